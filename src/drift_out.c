/*
 * drift_out.c — writers over a drift comparison (drift.c): a table and Markdown for
 * people, one CSV row per column, and JSON (schema VN_DRIFT_JSON_SCHEMA) with
 * everything. They read the comparison through the public accessors only.
 */
#include "eval.h"
#include "monitor.h"

#include <stdio.h>
#include <string.h>

static const char *verdict(int d) { return d == 1 ? "drift" : d == 0 ? "no_drift" : "untested"; }

/* ---- JSON ---- */

static void write_json(const vn_drift *d, FILE *fp)
{
    const vn_drift_info *in = vn_drift_summary(d);
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"reference\":{\"source\":",
            VN_DRIFT_JSON_SCHEMA, VN_VERSION);
    vn__json_opt_str(fp, in->reference);
    fprintf(fp, ",\"rows\":%llu},\"current\":{\"source\":", (unsigned long long)in->ref_rows);
    vn__json_opt_str(fp, in->current);
    fprintf(fp, ",\"rows\":%llu},\"options\":{\"test\":\"%s\",\"bins\":%u,\"psi_floor\":",
            (unsigned long long)in->cur_rows, vn_drift_stat_name(in->test), in->bins);
    vn__json_num(fp, in->psi_floor);
    fprintf(fp, ",\"small\":%llu,\"drift_share\":", (unsigned long long)in->small);
    vn__json_num(fp, in->drift_share);
    fprintf(fp, ",\"streamed\":%s},\"summary\":{\"columns\":%zu,\"tested\":%zu,\"drifted\":%zu,"
                "\"share\":",
            in->streamed ? "true" : "false", in->columns, in->tested, in->drifted);
    vn__json_num(fp, in->share);
    fprintf(fp, ",\"dataset_drift\":%s},\"columns\":[", in->dataset_drift ? "true" : "false");
    for (size_t i = 0; i < vn_drift_column_count(d); i++) {
        const vn_drift_column *c = vn_drift_column_at(d, i);
        fprintf(fp, "%s{\"name\":", i ? "," : "");
        vn_json_string(fp, c->name);
        fprintf(fp, ",\"kind\":\"%s\",\"ref_n\":%llu,\"cur_n\":%llu,\"ref_missing\":%llu,"
                    "\"cur_missing\":%llu,\"bins\":%zu",
                c->kind, (unsigned long long)c->ref_n, (unsigned long long)c->cur_n,
                (unsigned long long)c->ref_missing, (unsigned long long)c->cur_missing, c->bins);
        const double nums[] = {c->ref_mean, c->cur_mean, c->ref_sd, c->psi, c->ks, c->ks_p,
                               c->wasserstein, c->wasserstein_normed, c->js, c->chi2,
                               c->chi2_df, c->chi2_p};
        static const char *const names[] = {"ref_mean", "cur_mean", "ref_sd", "psi", "ks", "ks_p",
                                            "wasserstein", "wasserstein_normed", "jensen_shannon",
                                            "chi2", "chi2_df", "chi2_p"};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            fprintf(fp, ",\"%s\":", names[k]);
            vn__json_num(fp, nums[k]);
        }
        fputs(",\"ks_method\":", fp);
        vn__json_opt_str(fp, c->ks_method);
        fprintf(fp, ",\"test\":\"%s\",\"value\":", vn_drift_stat_name(c->test));
        vn__json_num(fp, c->value);
        fputs(",\"threshold\":", fp);
        vn__json_num(fp, c->threshold);
        fprintf(fp, ",\"drift\":%s,\"verdict\":\"%s\",\"change\":",
                c->drift < 0 ? "null" : c->drift ? "true" : "false", verdict(c->drift));
        vn__json_opt_str(fp, c->change);
        fputs(",\"note\":", fp);
        vn__json_opt_str(fp, c->note);
        fputc('}', fp);
    }
    fputs("],\"notes\":[", fp);
    for (size_t i = 0; i < vn_drift_note_count(d); i++) {
        fputs(i ? "," : "", fp);
        vn_json_string(fp, vn_drift_note(d, i));
    }
    fputs("]}\n", fp);
}

/* ---- CSV ---- */

static void write_csv(const vn_drift *d, FILE *fp)
{
    fputs("column,kind,ref_n,cur_n,ref_missing,cur_missing,bins,ref_mean,cur_mean,ref_sd,psi,ks,"
          "ks_p,ks_method,wasserstein,wasserstein_normed,jensen_shannon,chi2,chi2_df,chi2_p,test,"
          "value,threshold,drift,change,note\n", fp);
    for (size_t i = 0; i < vn_drift_column_count(d); i++) {
        const vn_drift_column *c = vn_drift_column_at(d, i);
        char num[40];
        vn_csv_text(fp, c->name);
        fprintf(fp, ",%s,%llu,%llu,%llu,%llu,%zu", c->kind, (unsigned long long)c->ref_n,
                (unsigned long long)c->cur_n, (unsigned long long)c->ref_missing,
                (unsigned long long)c->cur_missing, c->bins);
        const double a[] = {c->ref_mean, c->cur_mean, c->ref_sd, c->psi, c->ks, c->ks_p};
        for (size_t k = 0; k < sizeof a / sizeof a[0]; k++) {
            vn_format_double(num, sizeof num, a[k]);
            fprintf(fp, ",%s", num);
        }
        fprintf(fp, ",%s", c->ks_method);
        const double b[] = {c->wasserstein, c->wasserstein_normed, c->js, c->chi2, c->chi2_df, c->chi2_p};
        for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
            vn_format_double(num, sizeof num, b[k]);
            fprintf(fp, ",%s", num);
        }
        fprintf(fp, ",%s", vn_drift_stat_name(c->test));
        vn_format_double(num, sizeof num, c->value);
        fprintf(fp, ",%s", num);
        vn_format_double(num, sizeof num, c->threshold);
        fprintf(fp, ",%s,%s,", num, verdict(c->drift));
        vn_csv_text(fp, c->change);
        fputc(',', fp);
        vn_csv_text(fp, c->note);
        fputc('\n', fp);
    }
}

/* ---- for people ---- */

static void pval(char *buf, size_t len, double p)
{
    vn__format_p(buf, len, p);
    if (!*buf)
        snprintf(buf, len, "n/a");
}

enum { NCELL = 11 };

/* The cells of one column's row. */
static void cells(const vn_drift_column *c, char cell[NCELL][200], bool md)
{
    const bool pv = c->test == VN_DRIFT_KS || c->test == VN_DRIFT_CHI2;
    vn__clean(c->name, cell[0], 200, md);
    snprintf(cell[1], 200, "%s", c->kind);
    snprintf(cell[2], 200, "%llu / %llu", (unsigned long long)c->ref_n, (unsigned long long)c->cur_n);
    snprintf(cell[3], 200, "%s", c->drift < 0 ? "-" : vn_drift_stat_name(c->test));
    char v[40], t[40];
    if (pv) {
        pval(v, sizeof v, c->value);
        vn__num4(t, sizeof t, c->threshold);
        snprintf(cell[4], 200, "p %s %s %s", v, c->drift == 1 ? "<" : ">=", t);
    } else {
        vn__num4(v, sizeof v, c->value);
        vn__num4(t, sizeof t, c->threshold);
        snprintf(cell[4], 200, "%s %s %s", v, c->drift == 1 ? ">=" : "<", t);
    }
    if (c->drift < 0)
        snprintf(cell[4], 200, "-");
    snprintf(cell[5], 200, "%s", c->drift == 1 ? (md ? "**drift**" : "DRIFT") : c->drift == 0 ? "ok" : "untested");
    vn__num4(cell[6], 200, c->psi);
    vn__num4(v, sizeof v, c->ks);
    pval(t, sizeof t, c->ks_p);
    if (isnan(c->ks))
        snprintf(cell[7], 200, "n/a");
    else
        snprintf(cell[7], 200, "%s (p %s%s)", v, t[0] == '<' ? "< " : "", t[0] == '<' ? t + 1 : t);
    vn__num4(cell[8], 200, c->wasserstein_normed);
    vn__num4(cell[9], 200, c->js);
    pval(cell[10], 200, c->chi2_p);
}

static const char *const heads[NCELL] = {"column", "kind", "values ref / cur", "test", "result",
                                         "verdict", "psi", "ks", "wasserstein", "js", "chi2 p"};

static void header(const vn_drift *d, FILE *fp, bool md)
{
    const vn_drift_info *in = vn_drift_summary(d);
    char a[512], b[512];
    const char *q = md ? "`" : "";
    fprintf(fp, "%svernier drift%s: reference %s%s%s (%llu rows) vs current %s%s%s (%llu rows)%s\n",
            md ? "**" : "", md ? "**" : "", q, vn__clean(*in->reference ? in->reference : "(arrays)", a, sizeof a, md),
            q, (unsigned long long)in->ref_rows, q,
            vn__clean(*in->current ? in->current : "(arrays)", b, sizeof b, md), q,
            (unsigned long long)in->cur_rows, md ? "\n" : "");
    if (in->tested)
        fprintf(fp, "%s%zu of %zu tested columns drifted (%.0f%%): %s%s\n", md ? "**" : "",
                in->drifted, in->tested, 100.0 * in->share,
                in->dataset_drift ? "the dataset has drifted" : "no dataset drift", md ? "**" : "");
    fprintf(fp, "%stest %s; psi over %u quantile bins of the reference (empty bins count as %g)%s%s\n",
            md ? "_" : "", vn_drift_stat_name(in->test), in->bins, in->psi_floor,
            in->streamed ? "; streamed (binned statistics only)" : "", md ? "_" : "");
}

/* Where each drifted column moved most, then the notes. */
static void moves_and_notes(const vn_drift *d, FILE *fp, bool md)
{
    bool any = false;
    for (size_t i = 0; i < vn_drift_column_count(d); i++) {
        const vn_drift_column *c = vn_drift_column_at(d, i);
        if (c->drift != 1 || !*c->change)
            continue;
        char nm[200], ch[200];
        vn__clean(c->name, nm, sizeof nm, md);
        vn__clean(c->change, ch, sizeof ch, md);
        if (md)
            fprintf(fp, "%s- `%s`: largest move %s\n", any ? "" : "\nWhere it moved:\n\n", nm, ch);
        else
            fprintf(fp, "%s  %s: largest move %s\n", any ? "" : "\nwhere it moved:\n", nm, ch);
        any = true;
    }
    if (vn_drift_note_count(d))
        fputs(md ? "\nNotes:\n\n" : "\nnotes:\n", fp);
    for (size_t i = 0; i < vn_drift_note_count(d); i++) {
        char nb[700];
        fprintf(fp, "%s%s\n", md ? "- " : "  - ", vn__clean(vn_drift_note(d, i), nb, sizeof nb, md));
    }
}

static void write_table(const vn_drift *d, FILE *fp)
{
    header(d, fp, false);
    const size_t n = vn_drift_column_count(d);
    size_t width[NCELL];
    for (size_t k = 0; k < NCELL; k++)
        width[k] = strlen(heads[k]);
    char cell[NCELL][200];
    for (size_t i = 0; i < n; i++) {
        cells(vn_drift_column_at(d, i), cell, false);
        for (size_t k = 0; k < NCELL; k++)
            if (strlen(cell[k]) > width[k])
                width[k] = strlen(cell[k]);
    }
    fputc('\n', fp);
    for (size_t k = 0; k < NCELL; k++)
        fprintf(fp, "%-*s%s", k + 1 < NCELL ? (int)width[k] : 0, heads[k], k + 1 < NCELL ? "  " : "\n");
    for (size_t i = 0; i < n; i++) {
        cells(vn_drift_column_at(d, i), cell, false);
        for (size_t k = 0; k < NCELL; k++)
            fprintf(fp, "%-*s%s", k + 1 < NCELL ? (int)width[k] : 0, cell[k], k + 1 < NCELL ? "  " : "\n");
    }
    moves_and_notes(d, fp, false);
}

static void write_md(const vn_drift *d, FILE *fp)
{
    header(d, fp, true);
    fputc('\n', fp);
    for (size_t k = 0; k < NCELL; k++)
        fprintf(fp, "| %s ", heads[k]);
    fputs("|\n", fp);
    for (size_t k = 0; k < NCELL; k++)
        fputs(k >= 6 || k == 2 ? "|---:" : "|---", fp);
    fputs("|\n", fp);
    char cell[NCELL][200];
    for (size_t i = 0; i < vn_drift_column_count(d); i++) {
        cells(vn_drift_column_at(d, i), cell, true);
        for (size_t k = 0; k < NCELL; k++)
            fprintf(fp, "| %s ", cell[k]);
        fputs("|\n", fp);
    }
    moves_and_notes(d, fp, true);
}

vn_status vn_drift_write(const vn_drift *d, vn_format fmt, FILE *fp)
{
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(d, fp); break;
    case VN_FORMAT_CSV: write_csv(d, fp); break;
    case VN_FORMAT_MD: write_md(d, fp); break;
    case VN_FORMAT_TABLE:
    default: write_table(d, fp); break;
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
