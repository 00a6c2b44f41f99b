/*
 * output.c — writers over one result model: an aligned table for people, CSV and JSON
 * for machines (full precision, %.17g), and Markdown for pull requests and model cards.
 * Every writer reports a stream error as VN_ERR_IO; none allocates more than a line.
 */
#include "eval.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

vn_status vn_format_parse(const char *name, vn_format *out)
{
    static const struct {
        const char *name;
        vn_format fmt;
    } names[] = {{"table", VN_FORMAT_TABLE}, {"csv", VN_FORMAT_CSV}, {"json", VN_FORMAT_JSON},
                 {"md", VN_FORMAT_MD}, {"markdown", VN_FORMAT_MD}};
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return VN_OK;
        }
    return VN_ERR_USAGE;
}

static const char *direction_name(vn_direction d)
{
    return d == VN_LOWER_IS_BETTER ? "lower" : d == VN_HIGHER_IS_BETTER ? "higher" : "none";
}

static const char *const zero_names[] = {"nan", "skip", "eps"};

static const vn_value *value_at(const vn_result *r, size_t s, size_t m)
{
    return &r->values[s * r->nmetrics + m];
}

/* "overall" or "a=x,b=y" into buf. */
const char *vn__slice_label(const vn_result *r, size_t s, char *buf, size_t len)
{
    if (s == 0)
        return "overall";
    size_t at = 0;
    buf[0] = '\0';
    for (size_t c = 0; c < r->by_count && at < len; c++) {
        const int k = snprintf(buf + at, len - at, "%s%s=%s", c ? "," : "", r->by_names[c],
                               r->slices[s].values[c]);
        if (k < 0)
            break;
        at += (size_t)k;
    }
    return buf;
}

/* A label made safe for people's formats, into buf: control characters (a quoted
 * newline in a CSV value) become spaces; for Markdown, | is escaped and &, <, > become
 * entities, so a value cannot break the table or inject markup. */
const char *vn__clean(const char *src, char *buf, size_t len, bool md)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && o + 6 < len; p++) {
        const char *rep = NULL;
        if (*p < 0x20 || *p == 0x7f)
            rep = " ";
        else if (md && *p == '|')
            rep = "\\|";
        else if (md && *p == '&')
            rep = "&amp;";
        else if (md && *p == '<')
            rep = "&lt;";
        else if (md && *p == '>')
            rep = "&gt;";
        if (rep) {
            const size_t k = strlen(rep);
            memcpy(buf + o, rep, k);
            o += k;
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* The slice label, cleaned for a people's format. */
static const char *people_label(const vn_result *r, size_t s, char *buf, size_t len, bool md)
{
    char raw[512];
    return vn__clean(vn__slice_label(r, s, raw, sizeof raw), buf, len, md);
}

/* ---- JSON ---- */

void vn_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(fp, "\\u%04x", *p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

static void json_str(FILE *fp, const char *s) { vn_json_string(fp, s); }

void vn_format_double(char *buf, size_t len, double x)
{
    if (!isfinite(x)) {
        if (len)
            buf[0] = '\0';
        return;
    }
    const locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const locale_t old = c ? uselocale(c) : (locale_t)0;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (c) {
        uselocale(old);
        freelocale(c);
    }
}

void vn__json_num(FILE *fp, double x)
{
    char buf[40];
    vn_format_double(buf, sizeof buf, x);
    fputs(*buf ? buf : "null", fp);
}

void vn__json_opt_str(FILE *fp, const char *s)
{
    if (s && *s)
        json_str(fp, s);
    else
        fputs("null", fp);
}

static void write_json(const vn_result *r, FILE *fp)
{
    const vn_input_info *in = &r->input;
    fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"vernier\": \"%s\",\n  \"input\": {\"source\": ",
            VN_JSON_SCHEMA, VN_VERSION);
    json_str(fp, in->source);
    fputs(", \"y\": ", fp);
    vn__json_opt_str(fp, in->y);
    fputs(", \"yhat\": ", fp);
    vn__json_opt_str(fp, in->yhat);
    fputs(", \"weight\": ", fp);
    vn__json_opt_str(fp, in->weight);
    fprintf(fp, ", \"rows_read\": %llu, \"rows_missing\": %llu, \"rows_zero_weight\": %llu",
            (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
            (unsigned long long)in->rows_zero_weight);
    if (*in->data_hash)
        fprintf(fp, ", \"data_hash\": \"%s\"", in->data_hash);
    fputs("},\n", fp);
    fprintf(fp, "  \"error_convention\": \"e = yhat - y (positive = over-prediction)\",\n");
    fprintf(fp, "  \"options\": {\"zero_policy\": \"%s\", \"r2_constant\": \"%s\", \"min_count\": %llu, \"ci\": ",
            zero_names[r->opts.zero], r->opts.r2c == VN_R2_SKLEARN ? "sklearn" : "undefined",
            (unsigned long long)r->min_count);
    if (r->ci.level > 0) {
        static const char *const methods[] = {"auto", "percentile", "bca", "analytic"};
        fputs("{\"level\": ", fp);
        vn__json_num(fp, r->ci.level);
        fprintf(fp, ", \"method\": \"%s\", \"resamples\": %u, \"seed\": %llu, \"block_size\": ",
                methods[r->ci.method], r->ci.resamples, (unsigned long long)r->ci.seed);
        if (r->ci.block == VN_BLOCK_AUTO)
            fputs("\"auto\"}", fp); /* ceil(n^(1/3)) rows per slice */
        else
            fprintf(fp, "%zu}", r->ci.block);
    } else {
        fputs("null", fp);
    }
    fputs("},\n", fp);
    fputs("  \"by\": [", fp);
    for (size_t c = 0; c < r->by_count; c++) {
        fputs(c ? ", " : "", fp);
        json_str(fp, r->by_names[c]);
    }
    fputs("],\n  \"metrics\": [", fp);
    for (size_t m = 0; m < r->nmetrics; m++) {
        const vn__mspec *ms = &r->ms[m];
        fputs(m ? ",\n    {\"key\": " : "\n    {\"key\": ", fp);
        json_str(fp, ms->key);
        fputs(", \"id\": ", fp);
        json_str(fp, ms->info->id);
        fputs(", \"params\": {", fp);
        for (int j = 0; j < VN_MAX_PARAMS && vn__metric_param_name(ms, j); j++) {
            fprintf(fp, "%s\"%s\": ", j ? ", " : "", vn__metric_param_name(ms, j));
            if (ms->kind == MK_NRMSE)
                json_str(fp, vn__nrmse_norms[(int)ms->param[j]]);
            else
                vn__json_num(fp, ms->param[j]);
        }
        fprintf(fp, "}, \"direction\": \"%s\", \"unit\": ", direction_name(ms->info->direction));
        json_str(fp, ms->info->unit);
        fputc('}', fp);
    }
    fputs("\n  ],\n  \"slices\": [", fp);
    for (size_t s = 0; s < r->nslices; s++) {
        char label[512];
        fputs(s ? ",\n    {\"slice\": " : "\n    {\"slice\": ", fp);
        json_str(fp, vn__slice_label(r, s, label, sizeof label));
        fputs(", \"by\": {", fp);
        for (size_t c = 0; s > 0 && c < r->by_count; c++) {
            fputs(c ? ", " : "", fp);
            json_str(fp, r->by_names[c]);
            fputs(": ", fp);
            json_str(fp, r->slices[s].values[c]);
        }
        fprintf(fp, "}, \"rows\": %llu, \"values\": {", (unsigned long long)r->slices[s].rows);
        for (size_t m = 0; m < r->nmetrics; m++) {
            const vn_value *v = value_at(r, s, m);
            fputs(m ? ",\n      " : "\n      ", fp);
            json_str(fp, r->ms[m].key);
            fputs(": {\"value\": ", fp);
            vn__json_num(fp, v->value);
            fputs(", \"reason\": ", fp);
            vn__json_opt_str(fp, vn_reason_name(v->reason));
            fputs(", \"message\": ", fp);
            vn__json_opt_str(fp, v->message);
            if (vn__has_threshold(r->ms[m].kind)) {
                fputs(", \"threshold\": ", fp);
                vn__json_num(fp, v->threshold);
            }
            if (r->ci.level > 0) {
                if (isfinite(v->lo) && isfinite(v->hi)) {
                    fputs(", \"ci\": {\"low\": ", fp);
                    vn__json_num(fp, v->lo);
                    fputs(", \"high\": ", fp);
                    vn__json_num(fp, v->hi);
                    fprintf(fp, ", \"method\": \"%s\"}", v->ci_method);
                } else {
                    fputs(", \"ci\": null, \"ci_reason\": ", fp);
                    vn__json_opt_str(fp, v->ci_note);
                }
            }
            fputc('}', fp);
        }
        fputs("}}", fp);
    }
    fputs("\n  ],\n  \"notes\": [", fp);
    for (size_t i = 0; i < r->nnotes; i++) {
        char label[512];
        fputs(i ? ",\n    {\"code\": " : "\n    {\"code\": ", fp);
        json_str(fp, r->notes[i].code);
        fputs(", \"slice\": ", fp);
        json_str(fp, vn__slice_label(r, r->notes[i].slice, label, sizeof label));
        fputs(", \"message\": ", fp);
        json_str(fp, r->notes[i].message);
        fputc('}', fp);
    }
    fputs(r->nnotes ? "\n  ]\n}\n" : "]\n}\n", fp);
}

/* ---- CSV: one row per slice, one column per metric, full precision ---- */

void vn_csv_text(FILE *fp, const char *s)
{
    const bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    if (formula)
        fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void csv_cell(FILE *fp, const char *s) { vn_csv_text(fp, s); }

static void write_csv(const vn_result *r, FILE *fp)
{
    fputs("slice", fp);
    for (size_t c = 0; c < r->by_count; c++) {
        fputc(',', fp);
        csv_cell(fp, r->by_names[c]);
    }
    fputs(",rows", fp);
    const bool ci = r->ci.level > 0;
    for (size_t m = 0; m < r->nmetrics; m++) {
        fputc(',', fp);
        csv_cell(fp, r->ms[m].key);
        if (ci) {
            char head[VN_KEY_MAX + 8];
            snprintf(head, sizeof head, "%s_lo", r->ms[m].key);
            fputc(',', fp);
            csv_cell(fp, head);
            snprintf(head, sizeof head, "%s_hi", r->ms[m].key);
            fputc(',', fp);
            csv_cell(fp, head);
        }
        if (vn__has_threshold(r->ms[m].kind)) { /* the operating point's threshold */
            char head[VN_KEY_MAX + 12];
            snprintf(head, sizeof head, "%s_threshold", r->ms[m].key);
            fputc(',', fp);
            csv_cell(fp, head);
        }
    }
    fputc('\n', fp);
    for (size_t s = 0; s < r->nslices; s++) {
        char label[512];
        csv_cell(fp, vn__slice_label(r, s, label, sizeof label));
        for (size_t c = 0; c < r->by_count; c++) {
            fputc(',', fp);
            csv_cell(fp, s ? r->slices[s].values[c] : "");
        }
        fprintf(fp, ",%llu", (unsigned long long)r->slices[s].rows);
        for (size_t m = 0; m < r->nmetrics; m++) {
            const vn_value *v = value_at(r, s, m);
            const double xs[3] = {v->value, v->lo, v->hi};
            for (int k = 0; k < (ci ? 3 : 1); k++) {
                if (isfinite(xs[k]))
                    fprintf(fp, ",%.17g", xs[k]);
                else
                    fputc(',', fp);
            }
            if (vn__has_threshold(r->ms[m].kind)) {
                if (isfinite(v->threshold))
                    fprintf(fp, ",%.17g", v->threshold);
                else
                    fputc(',', fp);
            }
        }
        fputc('\n', fp);
    }
}

/* ---- for people: table and Markdown ---- */

/* A value rounded for reading: 6 significant digits, plain notation where sensible. */
void vn__human(char *buf, size_t len, double x, const vn__mspec *ms)
{
    if (!isfinite(x)) {
        snprintf(buf, len, "n/a");
        return;
    }
    if (ms->kind == MK_COUNT || (x == floor(x) && fabs(x) < 1e15 && ms->kind == MK_WEIGHT_SUM))
        snprintf(buf, len, "%.0f", x);
    else if (x != 0 && (fabs(x) >= 1e9 || fabs(x) < 1e-4))
        snprintf(buf, len, "%.4e", x);
    else
        snprintf(buf, len, "%.6g", x);
}

/* A value and, when there is one, its interval: "44.8 [40.9, 48.3]"; an operating
 * point with its threshold: "0.912 @0.73". */
static void human_ci(char *buf, size_t len, const vn_value *v, const vn__mspec *ms)
{
    char a[80], b[40], c[40];
    vn__human(a, sizeof a, v->value, ms);
    if (vn__has_threshold(ms->kind) && isfinite(v->threshold)) {
        const size_t k = strlen(a);
        snprintf(a + k, sizeof a - k, " @%.6g", v->threshold);
    }
    if (!isfinite(v->lo) || !isfinite(v->hi)) {
        snprintf(buf, len, "%s", a);
        return;
    }
    vn__human(b, sizeof b, v->lo, ms);
    vn__human(c, sizeof c, v->hi, ms);
    if (snprintf(buf, len, "%s [%s, %s]", a, b, c) >= (int)len)
        buf[len - 1] = '\0'; /* cannot happen with 6 significant digits; never overflow */
}

static const char *unit_suffix(const vn__mspec *ms)
{
    return strcmp(ms->info->unit, "%") == 0 ? " %" : "";
}

static void header_lines(const vn_result *r, FILE *fp, bool md)
{
    char src[512], y[256], yhat[256], w[256];
    const vn_input_info raw = r->input, *in = &raw;
    const vn_input_info cleaned = {vn__clean(raw.source, src, sizeof src, md),
                                   vn__clean(raw.y, y, sizeof y, md),
                                   vn__clean(raw.yhat, yhat, sizeof yhat, md),
                                   vn__clean(raw.weight, w, sizeof w, md),
                                   raw.rows_read, raw.rows_missing, raw.rows_zero_weight,
                                   raw.data_hash};
    in = &cleaned;
    const char *q = md ? "`" : "";
    if (*in->source)
        fprintf(fp, "%svernier eval%s %s%s%s: %llu rows", md ? "**" : "", md ? "**" : "", q,
                in->source, q, (unsigned long long)in->rows_read);
    else
        fprintf(fp, "%svernier eval%s: %llu rows", md ? "**" : "", md ? "**" : "",
                (unsigned long long)in->rows_read);
    if (*in->y)
        fprintf(fp, " (y = %s%s%s, prediction = %s%s%s%s%s%s%s)", q, in->y, q, q, in->yhat, q,
                *in->weight ? ", weight = " : "", *in->weight ? q : "", in->weight,
                *in->weight ? q : "");
    if (in->rows_missing)
        fprintf(fp, ", %llu dropped for missing values", (unsigned long long)in->rows_missing);
    if (in->rows_zero_weight)
        fprintf(fp, ", %llu with zero weight", (unsigned long long)in->rows_zero_weight);
    fprintf(fp, "\n%se = yhat - y: positive means over-prediction%s\n", md ? "_" : "",
            md ? "_" : "");
    bool op = false;
    for (size_t m = 0; m < r->nmetrics; m++)
        op = op || vn__has_threshold(r->ms[m].kind);
    if (op)
        fprintf(fp, "%svalue @t: an operating point and its threshold t (yhat >= t predicts 1)%s\n",
                md ? "\n_" : "", md ? "_" : "");
    if (r->ci.level > 0) {
        static const char *const methods[] = {"auto: analytic for n >= 5000 where valid, else BCa",
                                              "bootstrap percentile", "bootstrap BCa",
                                              "analytic"};
        fprintf(fp, "%s[lo, hi]: %g %% confidence intervals (%s", md ? "\n_" : "",
                100.0 * r->ci.level, methods[r->ci.method]);
        if (r->ci.method != VN_CI_ANALYTIC)
            fprintf(fp, "; %u resamples, seed %llu%s", r->ci.resamples,
                    (unsigned long long)r->ci.seed,
                    r->ci.block == VN_BLOCK_AUTO ? ", moving blocks of ceil(n^(1/3)) rows"
                    : r->ci.block >= 2           ? ", moving blocks"
                                                 : "");
        fprintf(fp, ")%s\n", md ? "_" : "");
    }
    fputc('\n', fp);
}

/* The long table: one line per metric with its unit and, when undefined, why. */
static void write_long(const vn_result *r, FILE *fp)
{
    size_t kw = 6;
    for (size_t m = 0; m < r->nmetrics; m++)
        kw = strlen(r->ms[m].key) > kw ? strlen(r->ms[m].key) : kw;
    const bool ci = r->ci.level > 0;
    if (ci)
        fprintf(fp, "%-*s  %14s  %g %% interval\n", (int)kw, "metric", "value",
                100.0 * r->ci.level);
    else
        fprintf(fp, "%-*s  %14s\n", (int)kw, "metric", "value");
    for (size_t m = 0; m < r->nmetrics; m++) {
        const vn_value *v = value_at(r, 0, m);
        char num[64];
        vn__human(num, sizeof num, v->value, &r->ms[m]);
        fprintf(fp, "%-*s  %14s%s", (int)kw, r->ms[m].key, num,
                isfinite(v->value) ? unit_suffix(&r->ms[m]) : "");
        if (vn__has_threshold(r->ms[m].kind) && isfinite(v->threshold))
            fprintf(fp, " @%.6g", v->threshold);
        if (ci && isfinite(v->lo) && isfinite(v->hi)) {
            char lo[40], hi[40];
            vn__human(lo, sizeof lo, v->lo, &r->ms[m]);
            vn__human(hi, sizeof hi, v->hi, &r->ms[m]);
            fprintf(fp, "  [%s, %s] %s", lo, hi, v->ci_method);
        } else if (ci && v->reason == VN_REASON_NONE && *v->ci_note) {
            fprintf(fp, "  (no interval: %s)", v->ci_note);
        }
        if (v->reason != VN_REASON_NONE)
            fprintf(fp, "  (%s: %s)", vn_reason_name(v->reason), v->message);
        fputc('\n', fp);
    }
}

/* The wide table: one row per slice, one column per metric. */
static vn_status write_wide(const vn_result *r, FILE *fp, bool md)
{
    char label[512], num[64];
    size_t lw = 7, *w = vn__calloc(r->nmetrics + 1, sizeof *w);
    if (!w)
        return VN_ERR_NOMEM;
    for (size_t s = 0; s < r->nslices; s++) {
        const size_t l = strlen(people_label(r, s, label, sizeof label, md));
        lw = l > lw ? l : lw;
    }
    for (size_t m = 0; m < r->nmetrics; m++) {
        w[m] = strlen(r->ms[m].key) + strlen(unit_suffix(&r->ms[m]));
        for (size_t s = 0; s < r->nslices; s++) {
            human_ci(num, sizeof num, value_at(r, s, m), &r->ms[m]);
            w[m] = strlen(num) > w[m] ? strlen(num) : w[m];
        }
    }
    const char *sep = md ? " | " : "  ";
    fprintf(fp, "%s%-*s%s%8s", md ? "| " : "", (int)lw, "slice", sep, "rows");
    for (size_t m = 0; m < r->nmetrics; m++) {
        char head[VN_KEY_MAX + 4];
        snprintf(head, sizeof head, "%s%s", r->ms[m].key, unit_suffix(&r->ms[m]));
        fprintf(fp, "%s%*s", sep, (int)w[m], head);
    }
    fputs(md ? " |\n" : "\n", fp);
    if (md) {
        fputs("|---|---:|", fp);
        for (size_t m = 0; m < r->nmetrics; m++)
            fputs("---:|", fp);
        fputc('\n', fp);
    }
    for (size_t s = 0; s < r->nslices; s++) {
        fprintf(fp, "%s%-*s%s%8llu", md ? "| " : "", (int)lw, people_label(r, s, label, sizeof label, md),
                sep, (unsigned long long)r->slices[s].rows);
        for (size_t m = 0; m < r->nmetrics; m++) {
            human_ci(num, sizeof num, value_at(r, s, m), &r->ms[m]);
            fprintf(fp, "%s%*s", sep, (int)w[m], num);
        }
        fputs(md ? " |\n" : "\n", fp);
    }
    vn__free(w);
    return VN_OK;
}

/* Why values are n/a: each distinct (metric, reason) once, with the slices it hits. */
static void write_undefined(const vn_result *r, FILE *fp, bool md)
{
    for (size_t m = 0; m < r->nmetrics; m++)
        for (size_t s = 0; s < r->nslices; s++) {
            const vn_value *v = value_at(r, s, m);
            if (v->reason == VN_REASON_NONE)
                continue;
            bool seen = false;
            for (size_t t = 0; t < s && !seen; t++)
                seen = value_at(r, t, m)->reason == v->reason;
            if (seen)
                continue;
            size_t count = 0;
            for (size_t t = s; t < r->nslices; t++)
                count += value_at(r, t, m)->reason == v->reason;
            char label[512];
            fprintf(fp, "%sn/a %s (%s) in %s%s: %s\n", md ? "- " : "", r->ms[m].key,
                    vn_reason_name(v->reason), people_label(r, s, label, sizeof label, md),
                    count > 1 ? " and other slices" : "", v->message);
        }
}

static void write_notes(const vn_result *r, FILE *fp, bool md)
{
    if (r->nnotes)
        fputs(md ? "\n**Notes**\n\n" : "\nnotes:\n", fp);
    for (size_t i = 0; i < r->nnotes; i++)
        fprintf(fp, "%s%s\n", md ? "- " : "  * ", r->notes[i].message);
}

static vn_status write_people(const vn_result *r, FILE *fp, bool md)
{
    header_lines(r, fp, md);
    if (r->nslices == 1 && !md) {
        write_long(r, fp);
    } else {
        VN_TRY(write_wide(r, fp, md));
        bool any = false;
        for (size_t i = 0; i < r->nslices * r->nmetrics && !any; i++)
            any = r->values[i].reason != VN_REASON_NONE;
        if (any) {
            fputc('\n', fp);
            write_undefined(r, fp, md);
        }
    }
    write_notes(r, fp, md);
    return VN_OK;
}

vn_status vn_result_write(const vn_result *res, vn_format fmt, FILE *fp)
{
    if ((unsigned)fmt > VN_FORMAT_MD)
        return VN_ERR_USAGE;
    /* Numbers are written in the C locale whatever the embedding program set: a
     * decimal comma would corrupt CSV and JSON. uselocale is per thread. */
    const locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const locale_t old = c ? uselocale(c) : (locale_t)0;
    vn_status st = VN_OK;
    switch (fmt) {
    case VN_FORMAT_JSON: write_json(res, fp); break;
    case VN_FORMAT_CSV: write_csv(res, fp); break;
    case VN_FORMAT_MD: st = write_people(res, fp, true); break;
    case VN_FORMAT_TABLE: st = write_people(res, fp, false); break;
    }
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    return st != VN_OK ? st : ferror(fp) ? VN_ERR_IO : VN_OK;
}

void vn__format_p(char *buf, size_t len, double p)
{
    if (!isfinite(p))
        buf[0] = '\0';
    else if (p < 0.001)
        snprintf(buf, len, "<0.001");
    else
        snprintf(buf, len, "%.3f", p);
}
