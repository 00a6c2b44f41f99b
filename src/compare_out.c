/*
 * compare_out.c — writers over a comparison: a table and Markdown for people, one CSV row
 * per (slice, metric), and JSON (schema VN_COMPARE_JSON_SCHEMA) with everything.
 */
#include "compare.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const vn_diff *cell_at(const vn_comparison *c, size_t s, size_t m)
{
    return &c->cells[s * c->nms + m];
}

static const char *const method_names[] = {"auto", "percentile", "bca", "analytic"};

/* ---- JSON ---- */

static void json_notes(const vn_result *r, FILE *fp)
{
    fputc('[', fp);
    for (size_t i = 0; i < r->nnotes; i++) {
        fprintf(fp, "%s{\"code\":", i ? "," : "");
        vn_json_string(fp, r->notes[i].code);
        fprintf(fp, ",\"slice\":%zu,\"message\":", r->notes[i].slice);
        vn_json_string(fp, r->notes[i].message);
        fputc('}', fp);
    }
    fputc(']', fp);
}

static void write_json(const vn_comparison *c, FILE *fp)
{
    const vn_result *a = c->res[0], *b = c->res[1];
    const vn_input_info *in = &a->input;
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"input\":{\"source\":",
            VN_COMPARE_JSON_SCHEMA, VN_VERSION);
    vn__json_opt_str(fp, in->source);
    fputs(",\"candidate_source\":", fp);
    vn__json_opt_str(fp, c->candidate_source);
    fputs(",\"y\":", fp);
    vn__json_opt_str(fp, in->y);
    fputs(",\"baseline\":", fp);
    vn__json_opt_str(fp, in->yhat);
    fputs(",\"candidate\":", fp);
    vn__json_opt_str(fp, b->input.yhat);
    fputs(",\"weight\":", fp);
    vn__json_opt_str(fp, in->weight);
    fputs(",\"time\":", fp);
    vn__json_opt_str(fp, c->time_col);
    fprintf(fp, ",\"rows_read\":%llu,\"rows_missing\":%llu,\"rows_zero_weight\":%llu,\"data_hash\":",
            (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
            (unsigned long long)in->rows_zero_weight);
    vn__json_opt_str(fp, in->data_hash);
    fprintf(fp, "},\"test\":{\"level\":");
    vn__json_num(fp, c->level);
    fprintf(fp, ",\"method\":\"%s\",\"resamples\":%u,\"seed\":%llu,\"block_size\":",
            method_names[c->method], c->resamples, (unsigned long long)c->seed);
    if (c->auto_block)
        fputs("\"auto\"", fp); /* ceil(n^(1/3)) per slice */
    else
        fprintf(fp, "%zu", c->block);
    fprintf(fp, ",\"adjustment\":\"%s\",\"tests\":%zu,\"horizon\":%d},\"by\":[",
            c->adjusted ? "holm" : "none", c->ntests, c->horizon);
    for (size_t k = 0; k < a->by_count; k++) {
        fputs(k ? "," : "", fp);
        vn_json_string(fp, a->by_names[k]);
    }
    fputs("],\"metrics\":[", fp);
    for (size_t m = 0; m < c->nms; m++) {
        fprintf(fp, "%s{\"key\":", m ? "," : "");
        vn_json_string(fp, a->ms[m].key);
        fputs(",\"id\":", fp);
        vn_json_string(fp, a->ms[m].info->id);
        fprintf(fp, ",\"direction\":\"%s\"}",
                a->ms[m].info->direction == VN_LOWER_IS_BETTER ? "lower"
                : a->ms[m].info->direction == VN_HIGHER_IS_BETTER ? "higher" : "none");
    }
    fputs("],\"slices\":[", fp);
    for (size_t s = 0; s < c->nslices; s++) {
        char label[512];
        fprintf(fp, "%s{\"label\":", s ? "," : "");
        vn_json_string(fp, vn__slice_label(a, s, label, sizeof label));
        fputs(",\"by\":{", fp);
        for (size_t k = 0; s && k < a->by_count; k++) {
            fputs(k ? "," : "", fp);
            vn_json_string(fp, a->by_names[k]);
            fputc(':', fp);
            vn_json_string(fp, a->slices[s].values[k]);
        }
        fprintf(fp, "},\"rows\":%llu,\"comparisons\":[", (unsigned long long)a->slices[s].rows);
        for (size_t m = 0; m < c->nms; m++) {
            const vn_diff *d = cell_at(c, s, m);
            fprintf(fp, "%s{\"metric\":", m ? "," : "");
            vn_json_string(fp, a->ms[m].key);
            const double nums[] = {d->baseline, d->candidate, d->diff, d->rel, d->lo, d->hi,
                                   d->p, d->p_adj};
            static const char *const names[] = {"baseline", "candidate", "diff", "rel", "lo",
                                                "hi", "p", "p_adj"};
            for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
                fprintf(fp, ",\"%s\":", names[i]);
                vn__json_num(fp, nums[i]);
            }
            fputs(",\"method\":", fp);
            vn__json_opt_str(fp, d->method);
            fprintf(fp, ",\"verdict\":\"%s\",\"note\":", vn_verdict_name(d->verdict));
            vn__json_opt_str(fp, d->note);
            fputc('}', fp);
        }
        fputs("],\"diebold_mariano\":[", fp);
        for (size_t l = 0; l < c->nlosses; l++) {
            const vn_dm_info *dm = &c->dm[s * c->nlosses + l];
            fprintf(fp, "%s{\"loss\":", l ? "," : "");
            vn_json_string(fp, dm->loss);
            fprintf(fp, ",\"n\":%llu,\"h\":%d,\"mean\":", (unsigned long long)dm->n, dm->h);
            vn__json_num(fp, dm->mean);
            fputs(",\"stat\":", fp);
            vn__json_num(fp, dm->stat);
            fputs(",\"stat_hln\":", fp);
            vn__json_num(fp, dm->stat_hln);
            fputs(",\"p\":", fp);
            vn__json_num(fp, dm->p);
            fprintf(fp, ",\"bartlett\":%s,\"note\":", dm->bartlett ? "true" : "false");
            vn__json_opt_str(fp, dm->note);
            fputc('}', fp);
        }
        fputs("]}", fp);
    }
    fputs("],\"guards\":[", fp);
    for (size_t g = 0; g < c->nguards; g++) {
        const vn_guard_info *gi = &c->guards[g];
        fprintf(fp, "%s{\"metric\":", g ? "," : "");
        vn_json_string(fp, gi->metric);
        fputs(",\"margin\":", fp);
        if (gi->has_margin)
            vn__json_num(fp, gi->margin);
        else
            fputs("null", fp);
        fprintf(fp, ",\"relative\":%s,\"limit\":", gi->relative ? "true" : "false");
        vn__json_num(fp, gi->limit);
        fputs(",\"bound\":", fp);
        vn__json_num(fp, gi->bound);
        fprintf(fp, ",\"passed\":%s,\"message\":", gi->passed ? "true" : "false");
        vn_json_string(fp, gi->message);
        fputc('}', fp);
    }
    fputs("],\"primary\":", fp);
    vn_json_string(fp, a->ms[c->primary].key);
    fprintf(fp, ",\"wins\":%s,\"summary\":", c->wins ? "true" : "false");
    vn_json_string(fp, c->summary);
    fputs(",\"notes\":{\"baseline\":", fp);
    json_notes(a, fp);
    fputs(",\"candidate\":", fp);
    json_notes(b, fp);
    fputs("}}\n", fp);
}

/* ---- CSV ---- */

static void write_csv(const vn_comparison *c, FILE *fp)
{
    const vn_result *a = c->res[0];
    fputs("slice,rows,metric,baseline,candidate,diff,rel,lo,hi,method,p,p_adj,verdict,note\n", fp);
    for (size_t s = 0; s < c->nslices; s++)
        for (size_t m = 0; m < c->nms; m++) {
            const vn_diff *d = cell_at(c, s, m);
            char label[512], num[40];
            vn_csv_text(fp, vn__slice_label(a, s, label, sizeof label));
            fprintf(fp, ",%llu,", (unsigned long long)a->slices[s].rows);
            vn_csv_text(fp, a->ms[m].key);
            const double nums[] = {d->baseline, d->candidate, d->diff, d->rel, d->lo, d->hi};
            for (size_t i = 0; i < 6; i++) {
                vn_format_double(num, sizeof num, nums[i]);
                fprintf(fp, ",%s", num);
            }
            fprintf(fp, ",%s,", d->method);
            vn_format_double(num, sizeof num, d->p);
            fprintf(fp, "%s,", num);
            vn_format_double(num, sizeof num, d->p_adj);
            fprintf(fp, "%s,%s,", num, vn_verdict_name(d->verdict));
            vn_csv_text(fp, d->note);
            fputc('\n', fp);
        }
}

/* ---- for people ---- */


static const char *verdict_words(const vn_diff *d)
{
    switch (d->verdict) {
    case VN_VERDICT_BETTER: return "better";
    case VN_VERDICT_WORSE: return "WORSE";
    case VN_VERDICT_SAME: return "no difference";
    default: return "-";
    }
}

static void header(const vn_comparison *c, FILE *fp, bool md)
{
    const vn_result *a = c->res[0], *b = c->res[1];
    char src[512], cand[512], y[256], pa[256], pb[256], w[256];
    const char *q = md ? "`" : "";
    const vn_input_info *in = &a->input;
    vn__clean(in->source, src, sizeof src, md);
    if (*src)
        fprintf(fp, "%svernier compare%s %s%s%s", md ? "**" : "", md ? "**" : "", q, src, q);
    else
        fprintf(fp, "%svernier compare%s", md ? "**" : "", md ? "**" : "");
    if (c->candidate_source)
        fprintf(fp, " + %s%s%s", q, vn__clean(c->candidate_source, cand, sizeof cand, md), q);
    fprintf(fp, ": %llu rows", (unsigned long long)in->rows_read);
    if (*in->y)
        fprintf(fp, " (y = %s%s%s, baseline = %s%s%s, candidate = %s%s%s%s%s%s%s)", q,
                vn__clean(in->y, y, sizeof y, md), q, q, vn__clean(in->yhat, pa, sizeof pa, md), q,
                q, vn__clean(b->input.yhat, pb, sizeof pb, md), q, *in->weight ? ", weight = " : "",
                *in->weight ? q : "", vn__clean(in->weight, w, sizeof w, md), *in->weight ? q : "");
    if (in->rows_missing)
        fprintf(fp, ", %llu dropped for missing values", (unsigned long long)in->rows_missing);
    if (in->rows_zero_weight)
        fprintf(fp, ", %llu with zero weight", (unsigned long long)in->rows_zero_weight);
    fputc('\n', fp);
    const char *it = md ? "_" : "";
    fprintf(fp, "%s%sdiff = candidate - baseline (for metrics whose ideal is 0, such as "
                "mean_error: |candidate| - |baseline|)%s\n", md ? "\n" : "", it, it);
    fprintf(fp, "%s%g %% intervals and two-sided p-values of the paired difference: ", it,
            100.0 * c->level);
    if (c->method == VN_CI_ANALYTIC)
        fprintf(fp, "delta method");
    else if (c->method == VN_CI_PERCENTILE)
        fprintf(fp, "paired bootstrap");
    else
        fprintf(fp, "delta method where valid and n >= 5000, else paired bootstrap");
    if (c->method != VN_CI_ANALYTIC)
        fprintf(fp, " (%u resamples, seed %llu%s)", c->resamples, (unsigned long long)c->seed,
                c->auto_block    ? ", moving blocks of ceil(n^(1/3)) rows"
                : c->block >= 2 ? ", moving blocks" : "");
    if (c->adjusted)
        fprintf(fp, "; p Holm-adjusted across %zu tests", c->ntests);
    if (c->time_col) {
        char t[256];
        fprintf(fp, "; rows in order of %s%s%s", q, vn__clean(c->time_col, t, sizeof t, md), q);
    }
    fprintf(fp, "%s\n", it);
    if (c->boot_used && c->adjusted && c->ntests &&
        2.0 / (c->resamples + 1.0) * (double)c->ntests >= 1.0 - c->level)
        fprintf(fp, "%snote: with %u resamples and %zu tests no bootstrap test can reach %g after "
                "the adjustment (the smallest p is 2/(R+1)); use more --resamples or fewer metrics "
                "or slices%s\n", it, c->resamples, c->ntests, 1.0 - c->level, it);
    fputc('\n', fp);
}

static void comparisons(const vn_comparison *c, FILE *fp, bool md)
{
    const vn_result *a = c->res[0];
    const bool sliced = c->nslices > 1;
    size_t lw = 7, kw = 6;
    char label[512];
    for (size_t s = 0; s < c->nslices; s++) {
        const char *raw = vn__slice_label(a, s, label, sizeof label);
        char cl[512];
        const size_t l = strlen(vn__clean(raw, cl, sizeof cl, md));
        lw = l > lw ? l : lw;
    }
    for (size_t m = 0; m < c->nms; m++)
        kw = strlen(a->ms[m].key) > kw ? strlen(a->ms[m].key) : kw;
    const char *sep = md ? " | " : "  ";
    char ci[32];
    snprintf(ci, sizeof ci, "%g %% CI of diff", 100.0 * c->level);
    if (md)
        fputs("| ", fp);
    if (sliced)
        fprintf(fp, "%-*s%s", (int)lw, "slice", sep);
    fprintf(fp, "%-*s%s%11s%s%11s%s%11s%s%8s%s%-27s%s%-9s%s%7s%s%s%s\n", (int)kw, "metric", sep,
            "baseline", sep, "candidate", sep, "diff", sep, "rel", sep, ci, sep, "method", sep,
            c->adjusted ? "p(Holm)" : "p", sep, "verdict", md ? " |" : "");
    if (md)
        fprintf(fp, "%s|---|---:|---:|---:|---:|---|---|---:|---|\n", sliced ? "|---" : "");
    for (size_t s = 0; s < c->nslices; s++)
        for (size_t m = 0; m < c->nms; m++) {
            const vn_diff *d = cell_at(c, s, m);
            const vn__mspec *ms = &a->ms[m];
            char va[40], vb[40], df[40], rel[24], lo[40], hi[40], iv[96], p[16], cl[512];
            vn__human(va, sizeof va, d->baseline, ms);
            vn__human(vb, sizeof vb, d->candidate, ms);
            if (ms->kind == MK_COUNT || ms->kind == MK_WEIGHT_SUM)
                df[0] = '\0';
            else
                vn__human(df, sizeof df, d->diff, ms);
            if (isfinite(d->rel))
                snprintf(rel, sizeof rel, "%+.1f%%", 100.0 * d->rel);
            else
                rel[0] = '\0';
            iv[0] = '\0';
            if (isfinite(d->lo) && isfinite(d->hi)) {
                vn__human(lo, sizeof lo, d->lo, ms);
                vn__human(hi, sizeof hi, d->hi, ms);
                snprintf(iv, sizeof iv, "[%s, %s]", lo, hi);
            }
            vn__format_p(p, sizeof p, d->p_adj);
            if (md)
                fputs("| ", fp);
            if (sliced)
                fprintf(fp, "%-*s%s", (int)lw,
                        vn__clean(vn__slice_label(a, s, label, sizeof label), cl, sizeof cl, md), sep);
            fprintf(fp, "%-*s%s%11s%s%11s%s%11s%s%8s%s%-27s%s%-9s%s%7s%s%s", (int)kw, ms->key, sep,
                    va, sep, vb, sep, df, sep, rel, sep, iv, sep, d->method, sep, p, sep,
                    verdict_words(d));
            if (d->verdict == VN_VERDICT_UNTESTED && *d->note)
                fprintf(fp, " (%s)", d->note);
            fputs(md ? " |\n" : "\n", fp);
        }
}

static void dm_table(const vn_comparison *c, FILE *fp, bool md)
{
    if (c->nlosses == 0)
        return;
    const vn_result *a = c->res[0];
    fprintf(fp, "\n%sDiebold-Mariano%s (h = %d; d = baseline loss - candidate loss, > 0 favours "
                "the candidate; Harvey-Leybourne-Newbold correction, Student t with n - 1 df%s):\n",
            md ? "**" : "", md ? "**" : "", c->horizon,
            a->input.weight[0] ? "; rows are unweighted in this test" : "");
    const char *sep = md ? " | " : "  ";
    if (md)
        fputs("\n| slice | loss | n | mean d | DM | HLN | p |\n|---|---|---:|---:|---:|---:|---:|\n", fp);
    else
        fprintf(fp, "%-20s%s%-16s%s%9s%s%12s%s%9s%s%9s%s%7s\n", "slice", sep, "loss", sep, "n", sep,
                "mean d", sep, "DM", sep, "HLN", sep, "p");
    for (size_t s = 0; s < c->nslices; s++)
        for (size_t l = 0; l < c->nlosses; l++) {
            const vn_dm_info *dm = &c->dm[s * c->nlosses + l];
            char label[512], cl[512], p[16];
            vn__clean(vn__slice_label(a, s, label, sizeof label), cl, sizeof cl, md);
            if (*dm->note) {
                fprintf(fp, "%s%-20s%s%-16s%s%9llu%s(no test: %s)%s\n", md ? "| " : "", cl, sep,
                        dm->loss, sep, (unsigned long long)dm->n, sep, dm->note,
                        md ? " | | | |" : "");
                continue;
            }
            vn__format_p(p, sizeof p, dm->p);
            fprintf(fp, "%s%-20s%s%-16s%s%9llu%s%12.5g%s%9.3f%s%9.3f%s%7s%s%s\n", md ? "| " : "", cl,
                    sep, dm->loss, sep, (unsigned long long)dm->n, sep, dm->mean, sep, dm->stat, sep,
                    dm->stat_hln, sep, p, dm->bartlett ? " (Bartlett HAC)" : "", md ? " |" : "");
        }
}

static void decision(const vn_comparison *c, FILE *fp, bool md)
{
    fputc('\n', fp);
    for (size_t g = 0; g < c->nguards; g++)
        fprintf(fp, "%s%s\n", md ? "- " : "", c->guards[g].message);
    if (c->nguards)
        fputc('\n', fp);
    fprintf(fp, "%sprimary metric: %s%s\n%s%s%s\n", md ? "_" : "", c->res[0]->ms[c->primary].key,
            md ? "_\n" : "", md ? "**" : "", c->summary, md ? "**" : "");
}

vn_status vn_comparison_write(const vn_comparison *c, vn_format fmt, FILE *fp)
{
    if ((unsigned)fmt > VN_FORMAT_MD)
        return VN_ERR_USAGE;
    /* the C locale for numbers, whatever the embedding program set (as vn_result_write) */
    const locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const locale_t old = loc ? uselocale(loc) : (locale_t)0;
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(c, fp); break;
    case VN_FORMAT_CSV: write_csv(c, fp); break;
    case VN_FORMAT_TABLE:
    case VN_FORMAT_MD:
        header(c, fp, fmt == VN_FORMAT_MD);
        comparisons(c, fp, fmt == VN_FORMAT_MD);
        dm_table(c, fp, fmt == VN_FORMAT_MD);
        decision(c, fp, fmt == VN_FORMAT_MD);
        break;
    }
    if (loc) {
        uselocale(old);
        freelocale(loc);
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
