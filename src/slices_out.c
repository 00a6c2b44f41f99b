/*
 * slices_out.c — writers over a slice search (slices.c): a table and Markdown for people,
 * one CSV row per listed slice, and JSON (schema VN_SLICES_JSON_SCHEMA) with everything.
 * They read the search through the public accessors only.
 */
#include "eval.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const char *adjust_name(vn_adjust a) { return a == VN_ADJUST_BH ? "bh" : "holm"; }

/* The slices a writer lists: the reported findings, or every candidate. */
static size_t listed(const vn_slices *s, int all)
{
    return all ? vn_slices_count(s) : vn_slices_findings(s);
}

/* ---- JSON ---- */

static void json_condition(FILE *fp, const vn_slice *sl, int k)
{
    fputs("{\"column\":", fp);
    vn_json_string(fp, sl->column[k]);
    if (isnan(sl->bin_lo[k])) {
        fputs(",\"value\":", fp);
        vn_json_string(fp, sl->cond[k]);
    } else { /* lo < x <= hi; null for -inf and +inf */
        fputs(",\"bin\":", fp);
        vn_json_string(fp, sl->cond[k]);
        fputs(",\"lo\":", fp);
        vn__json_num(fp, sl->bin_lo[k]);
        fputs(",\"hi\":", fp);
        vn__json_num(fp, sl->bin_hi[k]);
    }
    fputc('}', fp);
}

static void write_json(const vn_slices *s, int all, FILE *fp)
{
    const vn_slices_info *in = vn_slices_summary(s);
    const vn_metric_info *mi = vn_metric_find(in->metric);
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"input\":{\"source\":",
            VN_SLICES_JSON_SCHEMA, VN_VERSION);
    vn__json_opt_str(fp, in->source);
    fputs(",\"y\":", fp);
    vn__json_opt_str(fp, in->y);
    fputs(",\"prediction\":", fp);
    vn__json_opt_str(fp, in->yhat);
    fputs(",\"weight\":", fp);
    vn__json_opt_str(fp, in->weight);
    fprintf(fp, ",\"rows_read\":%llu,\"rows_missing\":%llu,\"rows_zero_weight\":%llu,\"rows\":%llu},"
                "\"metric\":{\"key\":",
            (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
            (unsigned long long)in->rows_zero_weight, (unsigned long long)in->rows);
    vn_json_string(fp, in->metric);
    fprintf(fp, ",\"direction\":\"%s\",\"diff\":\"%s\",\"value\":",
            mi && mi->direction == VN_NO_DIRECTION ? "none" : "lower",
            mi && mi->direction == VN_NO_DIRECTION ? "|slice| - |rest|" : "slice - rest");
    vn__json_num(fp, in->value);
    fprintf(fp, "},\"search\":{\"depth\":%d,\"bins\":%u,\"min_count\":%llu,\"max_values\":%zu,"
                "\"adjust\":\"%s\",\"level\":",
            in->depth, in->bins, (unsigned long long)in->min_count, in->max_values,
            adjust_name(in->adjust));
    vn__json_num(fp, in->level);
    fprintf(fp, ",\"candidates\":%zu,\"tested\":%zu,\"worse\":%zu,\"findings\":%zu,"
                "\"small_pairs\":%llu,\"all\":%s},\"columns\":[",
            vn_slices_count(s), in->tested, in->worse, vn_slices_findings(s),
            (unsigned long long)in->small_pairs, all ? "true" : "false");
    for (size_t j = 0; j < vn_slices_column_count(s); j++) {
        const vn_slices_column *c = vn_slices_column_at(s, j);
        fprintf(fp, "%s{\"name\":", j ? "," : "");
        vn_json_string(fp, c->name);
        fprintf(fp, ",\"kind\":\"%s\",\"candidates\":%zu,\"note\":", c->kind, c->candidates);
        vn__json_opt_str(fp, c->note);
        fputc('}', fp);
    }
    fputs("],\"slices\":[", fp);
    for (size_t i = 0; i < listed(s, all); i++) {
        const vn_slice *sl = vn_slices_at(s, i);
        fprintf(fp, "%s{\"rank\":", i ? "," : "");
        if (sl->rank)
            fprintf(fp, "%zu", sl->rank);
        else
            fputs("null", fp);
        fputs(",\"label\":", fp);
        vn_json_string(fp, sl->label);
        fprintf(fp, ",\"depth\":%d,\"conditions\":[", sl->depth);
        for (int k = 0; k < sl->depth; k++) {
            fputs(k ? "," : "", fp);
            json_condition(fp, sl, k);
        }
        fprintf(fp, "],\"status\":\"%s\",\"note\":", vn_slice_status_name(sl->status));
        vn__json_opt_str(fp, sl->note);
        fprintf(fp, ",\"rows\":%llu", (unsigned long long)sl->rows);
        const double nums[] = {sl->row_share, sl->loss_share, sl->value, sl->rest, sl->diff,
                               sl->lo, sl->hi, sl->p, sl->p_adj};
        static const char *const names[] = {"row_share", "loss_share", "value", "rest", "diff",
                                            "lo", "hi", "p", "p_adj"};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            fprintf(fp, ",\"%s\":", names[k]);
            vn__json_num(fp, nums[k]);
        }
        fputs(",\"parents\":[", fp);
        for (int k = 0; sl->depth == 2 && k < 2; k++) {
            fprintf(fp, "%s{\"diff\":", k ? "," : "");
            vn__json_num(fp, sl->parent_diff[k]);
            fputs(",\"p\":", fp);
            vn__json_num(fp, sl->parent_p[k]);
            fputc('}', fp);
        }
        fputs("]}", fp);
    }
    fputs("],\"notes\":[", fp);
    for (size_t i = 0; i < vn_slices_note_count(s); i++) {
        fputs(i ? "," : "", fp);
        vn_json_string(fp, vn_slices_note(s, i));
    }
    fputs("]}\n", fp);
}

/* ---- CSV ---- */

static void write_csv(const vn_slices *s, int all, FILE *fp)
{
    fputs("rank,slice,depth,column1,value1,column2,value2,status,rows,row_share,loss_share,"
          "value,rest,diff,lo,hi,p,p_adj,parent1_diff,parent1_p,parent2_diff,parent2_p,note\n", fp);
    for (size_t i = 0; i < listed(s, all); i++) {
        const vn_slice *sl = vn_slices_at(s, i);
        char num[40];
        if (sl->rank)
            fprintf(fp, "%zu", sl->rank);
        fputc(',', fp);
        vn_csv_text(fp, sl->label);
        fprintf(fp, ",%d", sl->depth);
        for (int k = 0; k < 2; k++) {
            fputc(',', fp);
            vn_csv_text(fp, k < sl->depth ? sl->column[k] : "");
            fputc(',', fp);
            vn_csv_text(fp, k < sl->depth ? sl->cond[k] : "");
        }
        fprintf(fp, ",%s,%llu", vn_slice_status_name(sl->status), (unsigned long long)sl->rows);
        const double nums[] = {sl->row_share, sl->loss_share, sl->value, sl->rest, sl->diff,
                               sl->lo, sl->hi, sl->p, sl->p_adj, sl->parent_diff[0],
                               sl->parent_p[0], sl->parent_diff[1], sl->parent_p[1]};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            vn_format_double(num, sizeof num, nums[k]);
            fprintf(fp, ",%s", num);
        }
        fputc(',', fp);
        vn_csv_text(fp, sl->note);
        fputc('\n', fp);
    }
}

/* ---- for people ---- */

/* A value rounded for reading, as vn__human: 6 significant digits, "n/a" when undefined. */
static void human(char *buf, size_t len, double x)
{
    if (!isfinite(x))
        snprintf(buf, len, "n/a");
    else if (x != 0 && (fabs(x) >= 1e9 || fabs(x) < 1e-4))
        snprintf(buf, len, "%.4e", x);
    else
        snprintf(buf, len, "%.6g", x);
}


static void share(char *buf, size_t len, double x)
{
    if (isfinite(x))
        snprintf(buf, len, "%.1f%%", 100.0 * x);
    else
        snprintf(buf, len, "n/a");
}

static void header(const vn_slices *s, FILE *fp, bool md)
{
    const vn_slices_info *in = vn_slices_summary(s);
    const vn_metric_info *mi = vn_metric_find(in->metric);
    const bool nodir = mi && mi->direction == VN_NO_DIRECTION;
    const char *q = md ? "`" : "", *it = md ? "_" : "";
    char src[512], y[256], p[256], w[256], v[40];
    fprintf(fp, "%svernier slices%s %s%s%s: %llu rows (y = %s%s%s, prediction = %s%s%s",
            md ? "**" : "", md ? "**" : "", q, vn__clean(in->source, src, sizeof src, md), q,
            (unsigned long long)in->rows_read, q, vn__clean(in->y, y, sizeof y, md), q, q,
            vn__clean(in->yhat, p, sizeof p, md), q);
    if (*in->weight)
        fprintf(fp, ", weight = %s%s%s", q, vn__clean(in->weight, w, sizeof w, md), q);
    fputc(')', fp);
    if (in->rows_missing)
        fprintf(fp, ", %llu dropped for missing values", (unsigned long long)in->rows_missing);
    if (in->rows_zero_weight)
        fprintf(fp, ", %llu with zero weight", (unsigned long long)in->rows_zero_weight);
    human(v, sizeof v, in->value);
    fprintf(fp, "%s\n%s%s = %s on all rows; diff = %s (> 0: the slice is worse)%s\n", md ? "\n" : "",
            it, in->metric, v, nodir ? "|slice| - |rest|" : "slice - rest", it);
    fprintf(fp, "%ssearched:", it);
    size_t ncand = 0;
    for (size_t j = 0, shown = 0; j < vn_slices_column_count(s); j++) {
        const vn_slices_column *c = vn_slices_column_at(s, j);
        char name[256];
        ncand += c->candidates;
        if (c->candidates == 0)
            continue;
        fprintf(fp, "%s %s%s%s (%zu %s)", shown++ ? "," : "", q, vn__clean(c->name, name, sizeof name, md),
                q, c->candidates, strcmp(c->kind, "numeric") == 0 ? "quantile bins" : "values");
    }
    if (ncand == 0)
        fputs(" no candidate slices", fp);
    fprintf(fp, "; depth %d: %zu candidates, %zu tested (slice and rest >= %llu rows)%s\n", in->depth,
            vn_slices_count(s), in->tested, (unsigned long long)(in->min_count > 2 ? in->min_count : 2), it);
    fprintf(fp, "%s%g %% normal (CLT) intervals of diff; p-values %s-adjusted across the %zu "
                "tested; a finding is significantly worse (p < %g)%s%s\n\n",
            it, 100.0 * in->level, in->adjust == VN_ADJUST_BH ? "Benjamini-Hochberg" : "Holm",
            in->tested, 1.0 - in->level,
            in->depth == 2 ? ", at depth 2 than the rest and both parents" : "", it);
}

/* The cells of one table row, formatted for people. */
typedef struct cells {
    char rank[24], rows[24], rs[16], ls[16], v[40], r[40], d[40], iv[96], p[16];
} cells;

static void format_row(const vn_slice *sl, cells *c)
{
    char lo[40], hi[40];
    c->rank[0] = c->d[0] = c->iv[0] = '\0';
    if (sl->rank)
        snprintf(c->rank, sizeof c->rank, "%zu", sl->rank);
    snprintf(c->rows, sizeof c->rows, "%llu", (unsigned long long)sl->rows);
    share(c->rs, sizeof c->rs, sl->row_share);
    share(c->ls, sizeof c->ls, sl->loss_share);
    human(c->v, sizeof c->v, sl->value);
    human(c->r, sizeof c->r, sl->rest);
    if (isfinite(sl->diff))
        human(c->d, sizeof c->d, sl->diff);
    if (isfinite(sl->lo) && isfinite(sl->hi)) {
        human(lo, sizeof lo, sl->lo);
        human(hi, sizeof hi, sl->hi);
        snprintf(c->iv, sizeof c->iv, "[%s, %s]", lo, hi);
    }
    vn__format_p(c->p, sizeof c->p, sl->p_adj);
}

static int wider(int w, const char *s)
{
    const int l = (int)strlen(s);
    return l > w ? l : w;
}

static void table(const vn_slices *s, int all, FILE *fp, bool md)
{
    const vn_slices_info *in = vn_slices_summary(s);
    const size_t n = listed(s, all);
    if (n == 0)
        return;
    char ci[40], pa[24], cl[1024];
    snprintf(ci, sizeof ci, "%g %% CI of diff", 100.0 * in->level);
    snprintf(pa, sizeof pa, "p(%s)", in->adjust == VN_ADJUST_BH ? "BH" : "Holm");
    /* column widths: the headers, then every cell */
    int wl = 5, wn = 4, wv = wider(4, in->metric), wd = 4, wi = wider(0, ci), wp = wider(0, pa);
    cells c;
    for (size_t i = 0; i < n; i++) {
        const vn_slice *sl = vn_slices_at(s, i);
        format_row(sl, &c);
        wl = wider(wl, vn__clean(sl->label, cl, sizeof cl, md));
        wn = wider(wn, c.rows);
        wv = wider(wider(wv, c.v), c.r);
        wd = wider(wd, c.d);
        wi = wider(wi, c.iv);
    }
    const char *sep = md ? " | " : "  ";
    fprintf(fp, "%s%4s%s%-*s%s%*s%s%6s%s%6s%s%*s%s%*s%s%*s%s%-*s%s%*s", md ? "| " : "", "rank",
            sep, wl, "slice", sep, wn, "rows", sep, "rows%", sep, "loss%", sep, wv, in->metric, sep,
            wv, "rest", sep, wd, "diff", sep, wi, ci, sep, wp, pa);
    if (all)
        fprintf(fp, "%s%s", sep, "status");
    fputs(md ? " |\n" : "\n", fp);
    if (md)
        fprintf(fp, "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|%s\n", all ? "---|" : "");
    for (size_t i = 0; i < n; i++) {
        const vn_slice *sl = vn_slices_at(s, i);
        format_row(sl, &c);
        fprintf(fp, "%s%4s%s%-*s%s%*s%s%6s%s%6s%s%*s%s%*s%s%*s%s%-*s%s%*s", md ? "| " : "",
                c.rank, sep, wl, vn__clean(sl->label, cl, sizeof cl, md), sep, wn, c.rows, sep, c.rs,
                sep, c.ls, sep, wv, c.v, sep, wv, c.r, sep, wd, c.d, sep, wi, c.iv, sep, wp, c.p);
        if (all) {
            fprintf(fp, "%s%s", sep, vn_slice_status_name(sl->status));
            if (*sl->note)
                fprintf(fp, " (%s)", vn__clean(sl->note, cl, sizeof cl, md));
        }
        fputs(md ? " |\n" : "\n", fp);
    }
}

static void notes(const vn_slices *s, FILE *fp, bool md)
{
    const size_t n = vn_slices_note_count(s);
    if (n == 0)
        return;
    fprintf(fp, "%snotes:\n%s", listed(s, 0) ? "\n" : "", md ? "\n" : "");
    char cl[1024];
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "- %s\n", vn__clean(vn_slices_note(s, i), cl, sizeof cl, md));
}

vn_status vn_slices_write(const vn_slices *s, vn_format fmt, int all, FILE *fp)
{
    if ((unsigned)fmt > VN_FORMAT_MD)
        return VN_ERR_USAGE;
    /* the C locale for numbers, whatever the embedding program set (as vn_result_write) */
    const locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const locale_t old = loc ? uselocale(loc) : (locale_t)0;
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(s, all, fp); break;
    case VN_FORMAT_CSV: write_csv(s, all, fp); break;
    case VN_FORMAT_TABLE:
    case VN_FORMAT_MD:
        header(s, fp, fmt == VN_FORMAT_MD);
        table(s, all, fp, fmt == VN_FORMAT_MD);
        notes(s, fp, fmt == VN_FORMAT_MD);
        break;
    }
    if (loc) {
        uselocale(old);
        freelocale(loc);
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
