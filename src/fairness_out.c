/*
 * fairness_out.c — writers over a fairness comparison (fairness.c): a table and
 * Markdown for people (the gaps and the rates: the per-group metrics are the
 * evaluation's own table), one CSV row per gap, and JSON (schema
 * VN_FAIRNESS_JSON_SCHEMA) with every metric per group, the gaps and the rates.
 */
#include "eval.h"
#include "monitor.h"
#include "fairness.h"

#include <stdio.h>
#include <string.h>

static void json_value(FILE *fp, const vn_value *v)
{
    fputs("{\"value\":", fp);
    vn__json_num(fp, v->value);
    fputs(",\"lo\":", fp);
    vn__json_num(fp, v->lo);
    fputs(",\"hi\":", fp);
    vn__json_num(fp, v->hi);
    fputs(",\"reason\":", fp);
    vn__json_opt_str(fp, vn_reason_name(v->reason));
    fputc('}', fp);
}

static void json_gap(FILE *fp, const vn_fairness_gap *g)
{
    fputs("{\"metric\":", fp);
    vn_json_string(fp, g->metric);
    fprintf(fp, ",\"groups\":%zu,\"worst\":", g->groups);
    vn__json_opt_str(fp, g->worst);
    fputs(",\"worst_value\":", fp);
    vn__json_num(fp, g->worst_value);
    fputs(",\"best\":", fp);
    vn__json_opt_str(fp, g->best);
    const double nums[] = {g->best_value, g->gap, g->lo, g->hi, g->ratio, g->ratio_lo, g->ratio_hi};
    static const char *const names[] = {"best_value", "gap", "lo", "hi", "ratio", "ratio_lo", "ratio_hi"};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        fprintf(fp, ",\"%s\":", names[k]);
        vn__json_num(fp, nums[k]);
    }
    fprintf(fp, ",\"significant\":%s}", g->significant ? "true" : "false");
}

static void write_json(const vn_fairness *f, FILE *fp)
{
    const vn_fairness_info *in = vn_fairness_summary(f);
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"sensitive\":", VN_FAIRNESS_JSON_SCHEMA,
            VN_VERSION);
    vn_json_string(fp, in->sensitive);
    fprintf(fp, ",\"groups\":%zu,\"compared\":%zu,\"level\":", in->groups, in->compared);
    vn__json_num(fp, in->level);
    fputs(",\"threshold\":", fp);
    vn__json_num(fp, in->threshold);
    fputs(",\"label_threshold\":", fp);
    vn__json_num(fp, in->label_threshold);
    fputs(",\"parity\":{\"demographic_parity_difference\":", fp);
    vn__json_num(fp, in->dp_difference);
    fputs(",\"lo\":", fp);
    vn__json_num(fp, in->dp_lo);
    fputs(",\"hi\":", fp);
    vn__json_num(fp, in->dp_hi);
    fputs(",\"demographic_parity_ratio\":", fp);
    vn__json_num(fp, in->dp_ratio);
    fputs(",\"equalized_odds_difference\":", fp);
    vn__json_num(fp, in->eo_difference);
    fputs("},\"gaps\":[", fp);
    for (size_t i = 0; i < vn_fairness_gap_count(f); i++) {
        fputs(i ? "," : "", fp);
        json_gap(fp, vn_fairness_gap_at(f, i));
    }
    fputs("],\"by_group\":[", fp);
    const size_t M = vn__fairness_metric_count(f);
    for (size_t g = 0; g < vn__fairness_group_total(f); g++) {
        fputs(g ? ",{\"group\":" : "{\"group\":", fp);
        vn_json_string(fp, vn__fairness_group_label(f, g));
        fprintf(fp, ",\"rows\":%llu,\"compared\":%s,\"values\":{",
                (unsigned long long)vn__fairness_group_rows(f, g),
                vn__fairness_group_compared(f, g) ? "true" : "false");
        for (size_t m = 0; m < M; m++) {
            fputs(m ? "," : "", fp);
            vn_json_string(fp, vn__fairness_metric_key(f, m));
            fputc(':', fp);
            json_value(fp, vn__fairness_value(f, g, m));
        }
        fputc('}', fp);
        const vn_fairness_group *r = vn_fairness_group_at(f, g);
        if (r) {
            fprintf(fp, ",\"rates\":{\"selected\":%llu,\"positives\":%llu,\"true_positives\":%llu,"
                        "\"false_positives\":%llu",
                    (unsigned long long)r->selected, (unsigned long long)r->positives,
                    (unsigned long long)r->true_positives, (unsigned long long)r->false_positives);
            const double nums[] = {r->selection_rate, r->selection_lo, r->selection_hi, r->tpr,
                                   r->tpr_lo, r->tpr_hi, r->fpr, r->fpr_lo, r->fpr_hi};
            static const char *const names[] = {"selection_rate", "selection_lo", "selection_hi",
                                                "tpr", "tpr_lo", "tpr_hi", "fpr", "fpr_lo", "fpr_hi"};
            for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
                fprintf(fp, ",\"%s\":", names[k]);
                vn__json_num(fp, nums[k]);
            }
            fputc('}', fp);
        }
        fputc('}', fp);
    }
    fputs("]}\n", fp);
}

static void write_csv(const vn_fairness *f, FILE *fp)
{
    fputs("metric,groups,worst,worst_value,best,best_value,gap,lo,hi,ratio,ratio_lo,ratio_hi,"
          "significant\n", fp);
    for (size_t i = 0; i < vn_fairness_gap_count(f); i++) {
        const vn_fairness_gap *g = vn_fairness_gap_at(f, i);
        char num[40];
        vn_csv_text(fp, g->metric);
        fprintf(fp, ",%zu,", g->groups);
        vn_csv_text(fp, g->worst);
        vn_format_double(num, sizeof num, g->worst_value);
        fprintf(fp, ",%s,", num);
        vn_csv_text(fp, g->best);
        const double v[] = {g->best_value, g->gap, g->lo, g->hi, g->ratio, g->ratio_lo, g->ratio_hi};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            vn_format_double(num, sizeof num, v[k]);
            fprintf(fp, ",%s", num);
        }
        fprintf(fp, ",%s\n", g->significant ? "true" : "false");
    }
}

static void interval(char *buf, size_t len, double lo, double hi)
{
    char a[40], b[40];
    vn__num4(a, sizeof a, lo);
    vn__num4(b, sizeof b, hi);
    if (isnan(lo) || isnan(hi))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[%s, %s]", a, b);
}

enum { NG = 8 };

static void write_people(const vn_fairness *f, FILE *fp, bool md)
{
    const vn_fairness_info *in = vn_fairness_summary(f);
    char s[256], lv[32] = "";
    if (in->level > 0)
        snprintf(lv, sizeof lv, "%g%% ", 100.0 * in->level);
    fprintf(fp, "%sfairness by %s%s%s: %zu groups, %zu compared%s%s\n", md ? "**" : "",
            md ? "`" : "", vn__clean(in->sensitive, s, sizeof s, md), md ? "`**" : "", in->groups,
            in->compared, in->compared < in->groups ? " (the others have fewer rows than --min-count)" : "",
            md ? "\n" : "");
    fprintf(fp, "%sgap: worst - best group (|values| for metrics whose ideal is 0); %sCI by MOVER "
                "from the two groups' intervals%s; ratio: the larger value / the smaller%s\n\n",
            md ? "_" : "", lv, in->level > 0 ? "" : " (none: evaluate with --ci)", md ? "_" : "");
    static const char *const heads[NG] = {"metric", "worst", "value", "best", "value", "gap",
                                          "interval", "ratio"};
    char cell[NG][200];
    size_t width[NG];
    for (size_t k = 0; k < NG; k++)
        width[k] = strlen(heads[k]);
    const size_t n = vn_fairness_gap_count(f);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t k = 0; k < NG; k++) {
                if (md)
                    fprintf(fp, "| %s ", heads[k]);
                else
                    fprintf(fp, "%-*s%s", k + 1 < NG ? (int)width[k] : 0, heads[k], k + 1 < NG ? "  " : "\n");
            }
            if (md) {
                fputs("|\n", fp);
                for (size_t k = 0; k < NG; k++)
                    fputs(k == 1 || k == 3 || k == 0 ? "|---" : "|---:", fp);
                fputs("|\n", fp);
            }
        }
        for (size_t i = 0; i < n; i++) {
            const vn_fairness_gap *g = vn_fairness_gap_at(f, i);
            vn__clean(g->metric, cell[0], 200, md);
            vn__clean(*g->worst ? g->worst : "-", cell[1], 200, md);
            vn__num4(cell[2], 200, g->worst_value);
            vn__clean(*g->best ? g->best : "-", cell[3], 200, md);
            vn__num4(cell[4], 200, g->best_value);
            vn__num4(cell[5], 200, g->gap);
            interval(cell[6], 200, g->lo, g->hi);
            if (g->significant)
                strcat(cell[6], " *");
            vn__num4(cell[7], 200, g->ratio);
            for (size_t k = 0; k < NG; k++) {
                if (pass == 0) {
                    if (strlen(cell[k]) > width[k])
                        width[k] = strlen(cell[k]);
                } else if (md) {
                    fprintf(fp, "| %s ", cell[k]);
                } else {
                    fprintf(fp, "%-*s%s", k + 1 < NG ? (int)width[k] : 0, cell[k], k + 1 < NG ? "  " : "\n");
                }
            }
            if (pass == 1 && md)
                fputs("|\n", fp);
        }
    }
    fprintf(fp, "%s* the interval of the gap excludes 0%s\n", md ? "\n" : "", md ? "" : "");
    if (isnan(in->threshold))
        return;
    fprintf(fp, "\n%sdecisions: prediction >= %g; outcomes: actual >= %g; Wilson intervals%s\n\n",
            md ? "_" : "", in->threshold, in->label_threshold, md ? "_" : "");
    if (md)
        fputs("| group | rows | selection rate | TPR | FPR |\n|---|---:|---:|---:|---:|\n", fp);
    else
        fprintf(fp, "%-20s  %10s  %-26s  %-26s  %s\n", "group", "rows", "selection rate", "TPR", "FPR");
    for (size_t i = 0; i < vn_fairness_group_count(f); i++) {
        const vn_fairness_group *r = vn_fairness_group_at(f, i);
        char v[3][120], a[40], iv[80], g[200];
        const double val[3] = {r->selection_rate, r->tpr, r->fpr};
        const double lo[3] = {r->selection_lo, r->tpr_lo, r->fpr_lo};
        const double hi[3] = {r->selection_hi, r->tpr_hi, r->fpr_hi};
        for (int k = 0; k < 3; k++) {
            vn__num4(a, sizeof a, val[k]);
            interval(iv, sizeof iv, lo[k], hi[k]);
            snprintf(v[k], sizeof v[k], "%s %s", a, isnan(val[k]) ? "" : iv);
        }
        vn__clean(r->group, g, sizeof g, md);
        if (md)
            fprintf(fp, "| %s | %llu | %s | %s | %s |\n", g, (unsigned long long)r->rows, v[0], v[1], v[2]);
        else
            fprintf(fp, "%-20s  %10llu  %-26s  %-26s  %s\n", g, (unsigned long long)r->rows, v[0], v[1], v[2]);
    }
    char dp[40], dr[40], eo[40], iv[80];
    vn__num4(dp, sizeof dp, in->dp_difference);
    vn__num4(dr, sizeof dr, in->dp_ratio);
    vn__num4(eo, sizeof eo, in->eo_difference);
    interval(iv, sizeof iv, in->dp_lo, in->dp_hi);
    fprintf(fp, "\n%sdemographic parity difference %s %s (ratio %s%s); equalized odds difference %s\n",
            md ? "- " : "", dp, iv, dr, in->dp_ratio < 0.8 ? ", below the four-fifths rule's 0.8" : "", eo);
}

vn_status vn_fairness_write(const vn_fairness *f, vn_format fmt, FILE *fp)
{
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(f, fp); break;
    case VN_FORMAT_CSV: write_csv(f, fp); break;
    case VN_FORMAT_MD: write_people(f, fp, true); break;
    case VN_FORMAT_TABLE:
    default: write_people(f, fp, false); break;
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
