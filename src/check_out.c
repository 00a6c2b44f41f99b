/*
 * check_out.c — writers over a check: the verdict table, JSON (VN_CHECK_JSON_SCHEMA),
 * JUnit XML, a Markdown summary kept under GitHub's 1 MiB step-summary cap, and GitHub
 * workflow commands (annotations on the gate's line of the spec).
 */
#include "check.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#define MD_CAP (1024 * 1024 - 4096) /* GitHub's step summary limit is 1 MiB; keep room */

static const vn_gate_result *at(const vn_check *c, size_t i) { return &c->rows[i].r; }

static size_t count(const vn_check *c, vn_gate_status s)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        k += at(c, i)->status == s;
    return k;
}

static const char *verdict_words(const vn_check *c)
{
    return c->verdict == 0 ? "PASSED" : c->verdict == 1 ? "FAILED" : "NOTHING EVALUATED";
}

static void num(char *buf, size_t len, double x)
{
    if (isnan(x))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.6g", x);
}

/* The allowed range in words: "<= 5", ">= 0.6", "[0, 20]". */
static void range(char *buf, size_t len, const vn_gate_result *r)
{
    if (isinf(r->lo) && isinf(r->hi))
        snprintf(buf, len, "-");
    else if (isinf(r->lo))
        snprintf(buf, len, "<= %.6g", r->hi);
    else if (isinf(r->hi))
        snprintf(buf, len, ">= %.6g", r->lo);
    else
        snprintf(buf, len, "[%.6g, %.6g]", r->lo, r->hi);
}

/* ---- table ---- */

static void write_table(const vn_check *c, FILE *fp)
{
    size_t gw = 4, sw = 5;
    for (size_t i = 0; i < c->n; i++) {
        gw = strlen(at(c, i)->gate) > gw ? strlen(at(c, i)->gate) : gw;
        sw = strlen(at(c, i)->slice) > sw ? strlen(at(c, i)->slice) : sw;
    }
    gw = gw > 48 ? 48 : gw;
    sw = sw > 40 ? 40 : sw;
    fprintf(fp, "vernier check %s: %llu rows", c->spec->name, (unsigned long long)c->rows_read);
    if (c->rows_missing)
        fprintf(fp, ", %llu dropped for missing values", (unsigned long long)c->rows_missing);
    if (*c->baseline)
        fprintf(fp, "; baseline %s", c->baseline);
    fputs("\n\n", fp);
    fprintf(fp, "%-7s  %-*s  %-*s  %12s  %14s  %12s\n", "status", (int)gw, "gate", (int)sw,
            "slice", "value", "allowed", "reference");
    for (size_t i = 0; i < c->n; i++) {
        const vn_gate_result *r = at(c, i);
        char v[32], ref[32], rg[64];
        num(v, sizeof v, r->value);
        num(ref, sizeof ref, r->reference);
        range(rg, sizeof rg, r);
        fprintf(fp, "%-7s  %-*.*s  %-*.*s  %12s  %14s  %12s\n", vn_gate_status_name(r->status),
                (int)gw, (int)gw, r->gate, (int)sw, (int)sw, r->slice, v, rg, ref);
        if (r->status != VN_GATE_PASS)
            fprintf(fp, "         %s (%s:%u)\n", r->message, c->spec->name, r->line);
    }
    fprintf(fp, "\n%s: %zu gates x slices: %zu passed, %zu failed, %zu warned, %zu skipped, "
                "%zu errors\n",
            verdict_words(c), c->n, count(c, VN_GATE_PASS), count(c, VN_GATE_FAIL),
            count(c, VN_GATE_WARN), count(c, VN_GATE_SKIPPED), count(c, VN_GATE_ERROR));
}

/* ---- JSON ---- */

static void write_json(const vn_check *c, FILE *fp)
{
    fprintf(fp, "{\"schema\":\"%s\",\"version\":\"%s\",\"spec\":", VN_CHECK_JSON_SCHEMA, VN_VERSION);
    vn_json_string(fp, c->spec->name);
    fprintf(fp, ",\"verdict\":\"%s\",\"exit_code\":%d,\"rows_read\":%llu,\"rows_missing\":%llu,"
                "\"baseline\":",
            c->verdict == 0 ? "pass" : c->verdict == 1 ? "fail" : "nothing_evaluated", c->verdict,
            (unsigned long long)c->rows_read, (unsigned long long)c->rows_missing);
    vn__json_opt_str(fp, c->baseline);
    fprintf(fp, ",\"counts\":{\"pass\":%zu,\"fail\":%zu,\"warn\":%zu,\"skipped\":%zu,\"error\":%zu},"
                "\"gates\":[",
            count(c, VN_GATE_PASS), count(c, VN_GATE_FAIL), count(c, VN_GATE_WARN),
            count(c, VN_GATE_SKIPPED), count(c, VN_GATE_ERROR));
    for (size_t i = 0; i < c->n; i++) {
        const vn_gate_result *r = at(c, i);
        fprintf(fp, "%s{\"gate\":", i ? "," : "");
        vn_json_string(fp, r->gate);
        fputs(",\"metric\":", fp);
        vn_json_string(fp, r->metric);
        fputs(",\"slice\":", fp);
        vn_json_string(fp, r->slice);
        fprintf(fp, ",\"status\":\"%s\",\"severity\":\"%s\",\"value\":",
                vn_gate_status_name(r->status), r->warn_only ? "warn" : "error");
        vn__json_num(fp, r->value);
        fputs(",\"reference\":", fp);
        vn__json_num(fp, r->reference);
        fputs(",\"lo\":", fp);
        vn__json_num(fp, r->lo);
        fputs(",\"hi\":", fp);
        vn__json_num(fp, r->hi);
        fprintf(fp, ",\"rows\":%llu,\"line\":%u,\"col\":%u,\"message\":", (unsigned long long)r->rows,
                r->line, r->col);
        vn_json_string(fp, r->message);
        fputc('}', fp);
    }
    fputs("]}\n", fp);
}

/* ---- JUnit XML ---- */

static void xml_text(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", fp); break;
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default:
            /* XML 1.0 forbids most control characters, even escaped */
            fputc(*p < 0x20 && *p != '\t' && *p != '\n' ? ' ' : *p, fp);
        }
    }
}

/* "vernier.overall", "vernier.region_north": a class name per slice (letters, digits, _ . -). */
static void classname(FILE *fp, const char *slice)
{
    fputs("vernier.", fp);
    for (const unsigned char *p = (const unsigned char *)slice; *p; p++)
        fputc((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '.' || *p >= 0x80
                  ? *p
                  : '_',
              fp);
}

static void write_junit(const vn_check *c, FILE *fp)
{
    const size_t failures = count(c, VN_GATE_FAIL), errors = count(c, VN_GATE_ERROR);
    const size_t skipped = count(c, VN_GATE_SKIPPED);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
    fprintf(fp, "<testsuites name=\"vernier check\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
                "skipped=\"%zu\">\n",
            c->n, failures, errors, skipped);
    fputs("  <testsuite name=\"", fp);
    xml_text(fp, c->spec->name);
    fprintf(fp, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", c->n,
            failures, errors, skipped);
    for (size_t i = 0; i < c->n; i++) {
        const vn_gate_result *r = at(c, i);
        fputs("    <testcase classname=\"", fp);
        classname(fp, r->slice);
        fputs("\" name=\"", fp);
        xml_text(fp, r->gate);
        fprintf(fp, "\" file=\"");
        xml_text(fp, c->spec->name);
        fprintf(fp, "\" line=\"%u\"", r->line);
        if (r->status == VN_GATE_PASS) {
            fputs("/>\n", fp);
            continue;
        }
        fputs(">\n      ", fp);
        const char *tag = r->status == VN_GATE_FAIL    ? "failure"
                          : r->status == VN_GATE_ERROR ? "error"
                          : r->status == VN_GATE_SKIPPED ? "skipped"
                                                         : "system-out";
        if (r->status == VN_GATE_WARN) {
            fputs("<system-out>warning: ", fp);
            xml_text(fp, r->message);
            fputs("</system-out>\n", fp);
        } else {
            fprintf(fp, "<%s message=\"", tag);
            xml_text(fp, r->message);
            if (r->status == VN_GATE_SKIPPED) {
                fputs("\"/>\n", fp);
            } else {
                fprintf(fp, "\" type=\"%s\">", r->status == VN_GATE_FAIL ? "gate" : "undefined");
                xml_text(fp, r->message);
                fprintf(fp, " (slice %s, %llu rows; %s line %u)", r->slice,
                        (unsigned long long)r->rows, c->spec->name, r->line);
                fprintf(fp, "</%s>\n", tag);
            }
        }
        fputs("    </testcase>\n", fp);
    }
    fputs("  </testsuite>\n</testsuites>\n", fp);
}

/* ---- Markdown ---- */

/* s with | escaped and line breaks as spaces, into buf. */
static const char *md_cell(const char *s, char *buf, size_t len)
{
    return vn__clean(s, buf, len, true);
}

static void write_md(const vn_check *c, FILE *fp)
{
    char line[2048];
    long budget = MD_CAP;
    int k = snprintf(line, sizeof line,
                     "### vernier check: %s\n\n`%s`: %zu passed, %zu failed, %zu warned, %zu "
                     "skipped, %zu errors (%llu rows)\n\n| status | gate | slice | value | allowed | "
                     "reference | detail |\n|---|---|---|---:|---|---:|---|\n",
                     verdict_words(c), c->spec->name, count(c, VN_GATE_PASS), count(c, VN_GATE_FAIL),
                     count(c, VN_GATE_WARN), count(c, VN_GATE_SKIPPED), count(c, VN_GATE_ERROR),
                     (unsigned long long)c->rows_read);
    fputs(line, fp);
    budget -= k;
    /* failures first, then warnings, errors, skipped, passes */
    static const vn_gate_status order[] = {VN_GATE_FAIL, VN_GATE_ERROR, VN_GATE_WARN,
                                           VN_GATE_SKIPPED, VN_GATE_PASS};
    size_t shown = 0;
    for (size_t o = 0; o < 5; o++)
        for (size_t i = 0; i < c->n; i++) {
            const vn_gate_result *r = at(c, i);
            if (r->status != order[o])
                continue;
            char g[400], s[600], m[900], v[32], ref[32], rg[64];
            num(v, sizeof v, r->value);
            num(ref, sizeof ref, r->reference);
            range(rg, sizeof rg, r);
            k = snprintf(line, sizeof line, "| %s | %s | %s | %s | %s | %s | %s |\n",
                         r->status == VN_GATE_PASS ? "pass" : r->status == VN_GATE_FAIL ? "**FAIL**"
                                                                                         : vn_gate_status_name(r->status),
                         md_cell(r->gate, g, sizeof g), md_cell(r->slice, s, sizeof s), v, rg, ref,
                         r->status == VN_GATE_PASS ? "" : md_cell(r->message, m, sizeof m));
            if (k < 0 || budget - k < 200) {
                fprintf(fp, "\n_%zu more rows left out to stay under GitHub's 1 MiB summary "
                            "limit; see the JSON or JUnit output._\n", c->n - shown);
                return;
            }
            fputs(line, fp);
            budget -= k;
            shown++;
        }
}

/* ---- GitHub workflow commands ---- */

/* Workflow-command data: % CR LF escaped as GitHub documents. */
static void gh_data(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '%')
            fputs("%25", fp);
        else if (*s == '\r')
            fputs("%0D", fp);
        else if (*s == '\n')
            fputs("%0A", fp);
        else
            fputc(*s, fp);
    }
}

static void gh_prop(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == ',')
            fputs("%2C", fp);
        else if (*s == ':')
            fputs("%3A", fp);
        else if (*s == '%' || *s == '\r' || *s == '\n') {
            char one[2] = {*s, 0};
            gh_data(fp, one);
        } else
            fputc(*s, fp);
    }
}

static void write_github(const vn_check *c, FILE *fp)
{
    size_t shown = 0;
    for (int pass = 0; pass < 2; pass++) /* failures (and errors) first, then warnings */
        for (size_t i = 0; i < c->n && shown < 10; i++) {
            const vn_gate_result *r = at(c, i);
            const bool bad = r->status == VN_GATE_FAIL || (r->status == VN_GATE_ERROR && !r->warn_only);
            const bool warn = r->status == VN_GATE_WARN || (r->status == VN_GATE_ERROR && r->warn_only);
            if (pass == 0 ? !bad : !warn)
                continue;
            fprintf(fp, "::%s file=", bad ? "error" : "warning");
            gh_prop(fp, c->spec->name);
            fprintf(fp, ",line=%u,col=%u,title=", r->line, r->col);
            gh_prop(fp, r->gate);
            fputs("::", fp);
            gh_data(fp, r->slice);
            fputs(": ", fp);
            gh_data(fp, r->message);
            fputc('\n', fp);
            shown++;
        }
}

vn_status vn_check_write(const vn_check *c, vn_check_format fmt, FILE *fp)
{
    if ((unsigned)fmt > VN_CHECK_GITHUB)
        return VN_ERR_USAGE;
    const locale_t loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const locale_t old = loc ? uselocale(loc) : (locale_t)0;
    switch (fmt) {
    case VN_CHECK_TABLE: write_table(c, fp); break;
    case VN_CHECK_JSON: write_json(c, fp); break;
    case VN_CHECK_JUNIT: write_junit(c, fp); break;
    case VN_CHECK_MD: write_md(c, fp); break;
    case VN_CHECK_GITHUB: write_github(c, fp); break;
    }
    if (loc) {
        uselocale(old);
        freelocale(loc);
    }
    return ferror(fp) ? VN_ERR_IO : VN_OK;
}
