/*
 * test_spec.c — the vernier.yaml loader (src/spec.c).
 *
 * 1. Golden cases: every tests/spec/cases/NAME.yaml is parsed (named "vernier.yaml" in
 *    messages) and the outcome compared with NAME.expected: "ok" or the exact one-line
 *    error. VN_SPEC_UPDATE=1 rewrites the .expected files instead (review the diff).
 * 2. The model of the full example (ok_full.yaml) field by field, and of the forecasting
 *    keys (data.series, data.horizon with the "horizon" slice it adds, data.train).
 * 3. Safety: an alias bomb and 100 000-deep nesting are refused fast with the right
 *    message; a file over the size limit; every allocation is counted and none leaks.
 * 4. The starter template, vn__spec_load on a file, standard input and a missing file.
 *    Every YAML example of docs/spec.md: a complete one (starting "version:") loads, or
 *    fails with exactly the message of the ```text block right after it; a fragment
 *    loads when it replaces the same top-level sections of the page's first example
 *    (whose gates are dropped when the fragment replaces metrics, slices or baseline).
 * 5. Allocation-failure injection over the full example and the horizon example: every run ends in
 *    VN_ERR_NOMEM or in the same model as an undisturbed run, without leaks.
 *
 * Runs from the repository root (make test-unit).
 */
#include "spec.h"

#include "alloc_hook.h"
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CASES "tests/spec/cases/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (cap - n - 1 == 0) {
            char *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- a text rendering of the whole model, to compare runs ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

#define S(x) ((x) ? (x) : "(null)")

static char *dump(const vn__spec *s)
{
    sbuf b = {0};
    put(&b, "v%d %s|%d|%d|%s|%s|%s|%s|%s|%d|%d|%d|%u:%u\n", s->version, S(s->data.path),
        s->data.delimiter, s->data.header, S(s->data.y), S(s->data.prediction),
        S(s->data.weight), S(s->data.id), S(s->data.time), (int)s->data.missing,
        (int)s->data.zero, (int)s->data.r2c, s->data.loc.line, s->data.loc.col);
    put(&b, "F %s %s %s %u:%u %u:%u %u:%u\n", S(s->data.series), S(s->data.horizon),
        S(s->data.train), s->data.series_loc.line, s->data.series_loc.col,
        s->data.horizon_loc.line, s->data.horizon_loc.col, s->data.train_loc.line,
        s->data.train_loc.col);
    for (size_t i = 0; i < s->nmetrics; i++) {
        const vn__spec_metric *m = &s->metrics[i];
        put(&b, "M %s %s %s %s %s %s %d %.17g %d %u %llu %u:%u\n", m->id, m->type, m->list,
            S(m->y), S(m->prediction), S(m->weight), m->has_uncertainty, m->ci_level,
            (int)m->ci_method, m->resamples, (unsigned long long)m->seed, m->loc.line,
            m->loc.col);
    }
    for (size_t i = 0; i < s->nslices; i++) {
        const vn__spec_slice *sl = &s->slices[i];
        put(&b, "S %s %d %s op%d %.17g %llu n%d %u:%u", sl->id, (int)sl->kind, S(sl->column),
            (int)sl->op, sl->number, (unsigned long long)sl->min_count, sl->numeric,
            sl->loc.line, sl->loc.col);
        for (size_t k = 0; k < sl->nby; k++)
            put(&b, " by=%s", sl->by[k]);
        for (size_t k = 0; k < sl->nedges; k++)
            put(&b, " e=%.17g", sl->edges[k]);
        for (size_t k = 0; k < sl->nvalues; k++)
            put(&b, " v=%s", sl->values[k]);
        put(&b, "\n");
    }
    put(&b, "B %d %s %s %s %d %u:%u\n", (int)s->baseline.kind, S(s->baseline.file),
        S(s->baseline.run), S(s->baseline.store), (int)s->baseline.on_missing,
        s->baseline.loc.line, s->baseline.loc.col);
    for (size_t i = 0; i < s->ngates; i++) {
        const vn__spec_gate *g = &s->gates[i];
        put(&b, "G %s %s %zu %d %d %.17g %.17g on%d vs%d %d %d %.17g %d %d %.17g sev%d %u:%u",
            S(g->name), g->metric, g->m, g->has_min, g->has_max, g->min, g->max, (int)g->on,
            (int)g->vs, g->has_max_regression, g->max_regression_rel, g->max_regression,
            g->has_min_improvement, g->min_improvement_rel, g->min_improvement,
            (int)g->severity, g->loc.line, g->loc.col);
        for (size_t k = 0; k < g->nslices; k++)
            put(&b, " s=%s", g->slices[k]);
        put(&b, "\n");
    }
    put(&b, "C %s %s %s %d %s\n", S(s->ci.junit), S(s->ci.markdown), S(s->ci.json),
        s->ci.github, S(s->name));
    return b.s;
}

/* ---- 1. golden cases ---- */

/* Every outcome of the golden cases, for the error list of docs/spec.md. */
static char *outcomes[1024];
static size_t noutcomes;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void)
{
    DIR *d = opendir(CASES);
    CHECKF(d != NULL, "cannot open %s (run from the repository root)", CASES);
    if (!d)
        return;
    char *names[1024];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 1024;) {
        const size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    const int update = getenv("VN_SPEC_UPDATE") != NULL;
    size_t nok = 0, nerr = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512], expath[512];
        snprintf(path, sizeof path, CASES "%s", names[i]);
        snprintf(expath, sizeof expath, CASES "%.*s.expected", (int)(strlen(names[i]) - 5),
                 names[i]);
        size_t len, elen = 0;
        char *text = slurp(path, &len);
        CHECKF(text != NULL, "%s", path);
        if (!text)
            continue;
        vn__spec *s = (vn__spec *)1;
        char err[512];
        live = 0;
        const vn_status st = vn__spec_parse(text, len, "vernier.yaml", &s, err, sizeof err);
        const char *got = st == VN_OK ? "ok" : err;
        CHECKF(st == VN_OK || (st == VN_ERR_DATA && s == NULL), "%s: status %d", names[i], st);
        CHECKF(st == VN_OK || (*err && !strchr(err, '\n')), "%s: not one line: %s", names[i], err);
        CHECKF(st == VN_OK || strncmp(err, "vernier.yaml:", 13) == 0, "%s: %s", names[i], err);
        if (st == VN_OK) {
            /* the dump walks every field: a sanitizer sees a bad pointer */
            char *dm = dump(s);
            free(dm);
        }
        vn__spec_free(st == VN_OK ? s : NULL);
        CHECKF(live == 0, "%s: %ld blocks leaked", names[i], (long)live);
        nok += st == VN_OK;
        nerr += st != VN_OK;
        if (noutcomes < 1024)
            outcomes[noutcomes++] = strdup(got);
        if (update) {
            FILE *f = fopen(expath, "w");
            CHECK(f != NULL);
            if (f) {
                fprintf(f, "%s\n", got);
                fclose(f);
            }
        } else {
            char *want = slurp(expath, &elen);
            CHECKF(want != NULL, "%s: no %s", names[i], expath);
            if (want) {
                while (elen && (want[elen - 1] == '\n' || want[elen - 1] == '\r'))
                    want[--elen] = '\0';
                CHECKF(strcmp(want, got) == 0, "%s:\n  want: %s\n  got:  %s", names[i], want, got);
            }
            free(want);
        }
        free(text);
        free(names[i]);
    }
    printf("ok golden spec cases: %zu (%zu valid, %zu invalid)\n", n, nok, nerr);
    CHECKF(n >= 60, "only %zu golden cases", n);
}

/* ---- 2. the model of the full example ---- */

static vn__spec *load_case(const char *name)
{
    char path[256], err[512];
    snprintf(path, sizeof path, CASES "%s", name);
    size_t len;
    char *text = slurp(path, &len);
    vn__spec *s = NULL;
    const vn_status st = text ? vn__spec_parse(text, len, "vernier.yaml", &s, err, sizeof err)
                              : VN_ERR_IO;
    CHECKF(st == VN_OK, "%s: %s", name, st == VN_ERR_IO ? "unreadable" : err);
    free(text);
    return s;
}

static void test_full_model(void)
{
    live = 0;
    vn__spec *s = load_case("ok_full.yaml");
    if (!s)
        return;
    CHECK(s->version == 1);
    CHECK(strcmp(s->name, "vernier.yaml") == 0);
    CHECK(strncmp(s->text, "# The full example", 18) == 0);
    /* data */
    CHECK(strcmp(s->data.path, "data/preds.tsv.gz") == 0);
    CHECK(s->data.delimiter == '\t');
    CHECK(s->data.header == 1);
    CHECK(strcmp(s->data.y, "actual") == 0);
    CHECK(strcmp(s->data.prediction, "predicted") == 0);
    CHECK(strcmp(s->data.weight, "w") == 0);
    CHECK(strcmp(s->data.id, "order_id") == 0);
    CHECK(strcmp(s->data.time, "date") == 0);
    CHECK(s->data.missing == VN_MISSING_SKIP);
    CHECK(s->data.zero == VN_ZERO_EPS);
    CHECK(s->data.r2c == VN_R2_SKLEARN);
    CHECK(s->data.loc.line == 3 && s->data.loc.col == 1);
    /* metrics */
    CHECK(s->nmetrics == 6);
    if (s->nmetrics == 6) {
        const vn__spec_metric *m = s->metrics;
        CHECK(strcmp(m[0].id, "mae") == 0 && strcmp(m[0].type, "mae") == 0);
        CHECK(strcmp(m[0].list, "mae") == 0);
        CHECK(m[0].has_uncertainty && m[0].ci_level == 0.9 && m[0].ci_method == VN_CI_BCA);
        CHECK(m[0].resamples == 500 && m[0].seed == 18446744073709551615u);
        CHECK(m[0].loc.line == 17 && m[0].loc.col == 5);
        CHECK(m[0].info == vn_metric_find("mae"));
        CHECK(strcmp(m[1].id, "p95") == 0);
        CHECK(strcmp(m[1].list, "abs_error_quantile:q=0.95") == 0);
        CHECK(!m[1].has_uncertainty && m[1].ci_level == 0 && m[1].resamples == 2000);
        CHECK(m[1].loc.line == 24 && m[1].loc.col == 5);
        CHECK(strcmp(m[2].list, "huber:delta=2") == 0);
        CHECK(strcmp(m[2].y, "actual_clean") == 0 && strcmp(m[2].prediction, "pred2") == 0);
        CHECK(strcmp(m[2].weight, "w2") == 0);
        CHECK(strcmp(m[3].list, "nrmse:norm=range") == 0);
        CHECK(strcmp(m[4].id, "bias") == 0 && strcmp(m[4].type, "bias") == 0);
        CHECK(strcmp(m[4].list, "bias") == 0 && m[4].info == vn_metric_find("mean_error"));
        CHECK(m[4].has_uncertainty && m[4].ci_level == 0.95 && m[4].ci_method == VN_CI_AUTO);
        CHECK(m[4].resamples == 2000 && m[4].seed == 0);
        CHECK(strcmp(m[5].list, "tweedie_deviance:power=1.5") == 0);
        CHECK(!m[0].y && !m[0].prediction && !m[0].weight);
    }
    /* slices */
    CHECK(s->nslices == 5);
    if (s->nslices == 5) {
        const vn__spec_slice *sl = s->slices;
        CHECK(strcmp(sl[0].id, "region") == 0 && sl[0].kind == VN__SLICE_BY);
        CHECK(sl[0].nby == 1 && strcmp(sl[0].by[0], "region") == 0 && sl[0].min_count == 30);
        CHECK(sl[0].loc.line == 45 && sl[0].loc.col == 5);
        CHECK(sl[1].kind == VN__SLICE_BY && sl[1].nby == 2);
        CHECK(sl[1].nby == 2 && strcmp(sl[1].by[0], "region") == 0 && strcmp(sl[1].by[1], "no") == 0);
        CHECK(sl[1].min_count == 0);
        CHECK(sl[2].kind == VN__SLICE_BINS && strcmp(sl[2].column, "actual") == 0);
        CHECK(sl[2].nedges == 4);
        if (sl[2].nedges == 4)
            CHECK(sl[2].edges[0] == -1.5 && sl[2].edges[1] == 0 && sl[2].edges[2] == 100 &&
                  sl[2].edges[3] == 1e4);
        CHECK(sl[3].kind == VN__SLICE_FILTER && sl[3].op == VN__OP_IN);
        CHECK(strcmp(sl[3].column, "country") == 0 && sl[3].nvalues == 3);
        if (sl[3].nvalues == 3)
            CHECK(strcmp(sl[3].values[0], "de") == 0 && strcmp(sl[3].values[1], "no") == 0 &&
                  strcmp(sl[3].values[2], "007") == 0);
        CHECK(sl[4].kind == VN__SLICE_FILTER && sl[4].op == VN__OP_GE && sl[4].number == 2.5);
        CHECK(sl[4].nvalues == 0 && !sl[4].values);
    }
    /* baseline */
    CHECK(s->baseline.kind == VN__BASE_RUN);
    CHECK(strcmp(s->baseline.run, "tag:prod") == 0 && strcmp(s->baseline.store, "runs.db") == 0);
    CHECK(!s->baseline.file && s->baseline.on_missing == VN__MISSING_WARN);
    /* gates */
    CHECK(s->ngates == 6);
    if (s->ngates == 6) {
        const vn__spec_gate *g = s->gates;
        CHECK(strcmp(g[0].metric, "mae") == 0 && g[0].m == 0 && !g[0].name);
        CHECK(g[0].has_max && !g[0].has_min && g[0].max == 10 && g[0].on == VN__ON_CI_HIGH);
        CHECK(g[0].severity == VN__SEV_ERROR && g[0].vs == VN__VS_NONE && g[0].nslices == 0);
        CHECK(strcmp(g[1].name, "tail errors") == 0 && g[1].m == 1 && g[1].severity == VN__SEV_WARN);
        CHECK(g[1].nslices == 2 && strcmp(g[1].slices[0], "overall") == 0);
        CHECK(g[1].nslices == 2 && strcmp(g[1].slices[1], "region") == 0);
        CHECK(g[2].has_min && g[2].has_max && g[2].min == -0.5 && g[2].max == 0.5);
        CHECK(g[2].m == 4 && g[2].nslices == 1 && strcmp(g[2].slices[0], "*") == 0);
        CHECK(g[3].vs == VN__VS_BASELINE && g[3].has_max_regression && g[3].max_regression_rel);
        CHECK(g[3].max_regression == 5 && !g[3].has_min_improvement);
        CHECK(g[4].vs == VN__VS_BASELINE && g[4].has_max_regression && !g[4].max_regression_rel);
        CHECK(g[4].max_regression == 0.25 && g[4].has_min_improvement && g[4].min_improvement_rel);
        CHECK(g[4].min_improvement == 1.5);
        CHECK(g[5].vs == VN__VS_DUMMY && g[5].m == 2 && !g[5].has_min && !g[5].has_max);
        CHECK(g[5].loc.line == 85 && g[5].loc.col == 5);
    }
    /* ci */
    CHECK(strcmp(s->ci.junit, "out/junit.xml") == 0 && strcmp(s->ci.markdown, "out/report.md") == 0);
    CHECK(!s->ci.json && s->ci.github == 0);
    vn__spec_free(s);
    CHECK(live == 0);

    /* the minimal spec: defaults */
    s = load_case("ok_minimal.yaml");
    if (!s)
        return;
    CHECK(s->data.delimiter == 0 && s->data.header == 1 && !s->data.weight);
    CHECK(s->data.missing == VN_MISSING_ERROR && s->data.zero == VN_ZERO_NAN);
    CHECK(s->data.r2c == VN_R2_UNDEFINED);
    CHECK(s->nmetrics == 1 && s->nslices == 0 && s->ngates == 0 && !s->slices && !s->gates);
    CHECK(s->baseline.kind == VN__BASE_NONE && s->baseline.loc.line == 0);
    CHECK(s->ci.github == -1 && !s->ci.junit);
    vn__spec_free(s);
    CHECK(live == 0);
}

/* The forecasting keys (data.series, data.horizon, data.train): the model, and the
 * slice definition "horizon" that data.horizon puts first. */
static void test_forecast_model(void)
{
    live = 0;
    vn__spec *s = load_case("ok_data_series_train.yaml");
    if (s) {
        CHECK(strcmp(s->data.series, "item") == 0 && !s->data.horizon);
        CHECK(strcmp(s->data.train, "history/sales.csv") == 0);
        CHECK(s->data.series_loc.line == 9 && s->data.series_loc.col == 11);
        CHECK(s->data.train_loc.line == 10 && s->data.train_loc.col == 10);
        CHECK(s->nslices == 1 && s->slices[0].kind == VN__SLICE_FILTER && !s->slices[0].numeric);
    }
    vn__spec_free(s);
    s = load_case("ok_data_horizon.yaml");
    if (s) {
        CHECK(!s->data.series && strcmp(s->data.horizon, "h") == 0);
        CHECK(strcmp(s->data.train, "history.csv") == 0);
        CHECK(s->data.horizon_loc.line == 8 && s->data.horizon_loc.col == 3);
        CHECK(s->nslices == 4);
        if (s->nslices == 4) {
            const vn__spec_slice *sl = s->slices;
            CHECK(strcmp(sl[0].id, "horizon") == 0 && sl[0].kind == VN__SLICE_BY);
            CHECK(sl[0].nby == 1 && strcmp(sl[0].by[0], "h") == 0 && sl[0].numeric);
            CHECK(sl[0].loc.line == 8 && sl[0].loc.col == 3 && sl[0].min_count == 0);
            CHECK(strcmp(sl[1].id, "h_region") == 0 && sl[1].numeric);   /* by [h, region] */
            CHECK(strcmp(sl[2].id, "region") == 0 && !sl[2].numeric);
            CHECK(strcmp(sl[3].id, "h10") == 0 && !sl[3].numeric);
        }
        CHECK(s->ngates == 2);
        if (s->ngates == 2)
            CHECK(s->gates[0].nslices == 2 && strcmp(s->gates[0].slices[0], "horizon") == 0);
    }
    vn__spec_free(s);
    s = load_case("ok_minimal.yaml");
    if (s)
        CHECK(!s->data.series && !s->data.horizon && !s->data.train && s->data.train_loc.line == 0);
    vn__spec_free(s);
    CHECK(live == 0);
}

/* ---- 3. safety ---- */

static void expect_error(const char *what, const char *text, size_t len, const char *want,
                         double max_seconds)
{
    char err[512];
    vn__spec *s = (vn__spec *)1;
    live = 0;
    calls = 0;
    const double t0 = now();
    const vn_status st = vn__spec_parse(text, len, "vernier.yaml", &s, err, sizeof err);
    const double dt = now() - t0;
    CHECKF(st == VN_ERR_DATA && s == NULL, "%s: status %d", what, st);
    CHECKF(st != VN_ERR_DATA || strcmp(err, want) == 0, "%s:\n  want: %s\n  got:  %s", what, want, err);
    CHECKF(dt < max_seconds, "%s: %.3f s", what, dt);
    CHECKF(live == 0, "%s: %ld blocks leaked", what, (long)live);
    printf("ok %s: refused in %.1f ms after %ld allocations\n", what, dt * 1e3, (long)calls);
}

static void test_alias_bomb(void)
{
    /* "billion laughs": 9 levels of 9 aliases would expand to 9^9 strings */
    sbuf b = {0};
    put(&b, "version: 1\nlol0: &a0 \"lol\"\n");
    for (int i = 1; i < 10; i++) {
        put(&b, "lol%d: &a%d [", i, i);
        for (int k = 0; k < 9; k++)
            put(&b, "%s*a%d", k ? ", " : "", i - 1);
        put(&b, "]\n");
    }
    expect_error("alias bomb", b.s, b.n, "vernier.yaml:2:7: anchors and aliases are not allowed",
                 0.5);
    /* an alias without its anchor is refused the same way */
    const char *alias = "version: 1\ndata: *d\n";
    expect_error("lone alias", alias, strlen(alias),
                 "vernier.yaml:2:7: anchors and aliases are not allowed", 0.5);
    free(b.s);
}

static void test_deep_nesting(void)
{
    const size_t depth = 100000;
    char *t = malloc(2 * depth + 1);
    memset(t, '[', depth);
    memset(t + depth, ']', depth);
    t[2 * depth] = '\0';
    expect_error("100000-deep sequences", t, 2 * depth,
                 "vernier.yaml:1:33: nesting deeper than 32 levels is not allowed", 0.5);
    /* unclosed: the parser never has to see the end */
    expect_error("100000-deep unclosed", t, depth,
                 "vernier.yaml:1:33: nesting deeper than 32 levels is not allowed", 0.5);
    /* flow mappings "{a: {a: ..." inside a valid start */
    sbuf b = {0};
    put(&b, "version: 1\ndata: ");
    for (size_t i = 0; i < depth; i++)
        put(&b, "{a: ");
    expect_error("100000-deep mappings", b.s, b.n,
                 "vernier.yaml:2:131: nesting deeper than 32 levels is not allowed", 0.5);
    /* block style, one level per line */
    b.n = 0;
    put(&b, "version: 1\n");
    for (size_t i = 0; i < 40; i++)
        put(&b, "%*sk:\n", (int)(2 * i), "");
    expect_error("40-deep block mappings", b.s, b.n,
                 "vernier.yaml:34:65: nesting deeper than 32 levels is not allowed", 0.5);
    /* exactly 32 levels is allowed by the reader (and then refused by the schema) */
    b.n = 0;
    put(&b, "version: 1\nx: ");
    for (int i = 0; i < 31; i++)
        put(&b, "[");
    for (int i = 0; i < 31; i++)
        put(&b, "]");
    put(&b, "\n");
    expect_error("32 levels", b.s, b.n,
                 "vernier.yaml:2:1: unknown key \"x\" (expected one of: version, data, metrics, "
                 "slices, baseline, gates, ci)",
                 0.5);
    free(b.s);
    free(t);
}

static void test_limits(void)
{
    /* over the size limit: refused before parsing */
    const size_t n = VN__SPEC_MAX_BYTES + 1;
    char *t = malloc(n);
    memset(t, ' ', n);
    expect_error("1 MiB + 1", t, n,
                 "vernier.yaml:1:1: the file is larger than 1024 KiB: this is not a spec", 0.1);
    free(t);
    /* too many values: a flat sequence of 100 001 scalars */
    sbuf b = {0};
    put(&b, "version: 1\nx: [");
    for (int i = 0; i < VN__SPEC_MAX_NODES; i++)
        put(&b, "%s", i ? ",1" : "1");
    put(&b, "]\n");
    expect_error("too many values", b.s, b.n,
                 "vernier.yaml:2:199995: more than 100000 values: this is not a spec", 2.0);
    free(b.s);
    /* NUL bytes in the raw text: libyaml's reader refuses control characters */
    const char nul[] = "version: 1\nda\0ta: x\n";
    expect_error("raw NUL", nul, sizeof nul - 1,
                 "vernier.yaml:2:3: invalid YAML: control characters are not allowed (#x0)", 0.1);
}

/* ---- 4. template and files ---- */

static void test_template(void)
{
    const char *t = vn__spec_template();
    vn__spec *s = NULL;
    char err[512];
    live = 0;
    const vn_status st = vn__spec_parse(t, strlen(t), "vernier.yaml", &s, err, sizeof err);
    CHECKF(st == VN_OK, "template: %s", err);
    if (s) {
        CHECK(s->nmetrics >= 3 && s->ngates >= 3);
        CHECK(strcmp(s->data.path, "predictions.csv") == 0);
    }
    vn__spec_free(s);
    CHECK(live == 0);
}

static void test_load(void)
{
    vn__spec *s = (vn__spec *)1;
    char err[512];
    vn_status st = vn__spec_load(CASES "no_such_file.yaml", &s, err, sizeof err);
    CHECK(st == VN_ERR_IO && s == NULL);
    CHECKF(strcmp(err, CASES "no_such_file.yaml: cannot open: No such file or directory") == 0,
           "%s", err);
    st = vn__spec_load(CASES, &s, err, sizeof err);
    CHECK(st == VN_ERR_IO && s == NULL);
    CHECKF(strcmp(err, CASES ": cannot read: Is a directory") == 0, "%s", err);
    st = vn__spec_load(CASES "err_version_2.yaml", &s, err, sizeof err);
    CHECK(st == VN_ERR_DATA && s == NULL);
    CHECKF(strncmp(err, CASES "err_version_2.yaml:1:10: version: ", 40) == 0, "%s", err);
    st = vn__spec_load(CASES "ok_full.yaml", &s, err, sizeof err);
    CHECKF(st == VN_OK, "%s", err);
    if (st == VN_OK) {
        CHECK(strcmp(s->name, CASES "ok_full.yaml") == 0 && s->nmetrics == 6);
        size_t len;
        char *text = slurp(CASES "ok_full.yaml", &len);
        CHECK(text && strlen(s->text) == len && strcmp(text, s->text) == 0);
        free(text);
        vn__spec_free(s);
    }
    /* standard input */
    if (freopen(CASES "err_anchor.yaml", "rb", stdin)) {
        st = vn__spec_load("-", &s, err, sizeof err);
        CHECK(st == VN_ERR_DATA && s == NULL);
        CHECKF(strncmp(err, "<stdin>:", 8) == 0, "%s", err);
    }
    if (freopen(CASES "ok_minimal.yaml", "rb", stdin)) {
        st = vn__spec_load("-", &s, err, sizeof err);
        CHECKF(st == VN_OK, "%s", err);
        if (st == VN_OK)
            CHECK(strcmp(s->name, "<stdin>") == 0);
        vn__spec_free(s);
    }
    /* a file over the limit is refused after reading one byte past it */
    char tmp[] = "/tmp/vernier-spec-XXXXXX";
    const int fd = mkstemp(tmp);
    FILE *big = fd >= 0 ? fdopen(fd, "wb") : NULL;
    CHECK(big != NULL);
    if (big) {
        for (size_t i = 0; i < VN__SPEC_MAX_BYTES / 8 + 2; i++)
            fputs("# 45678\n", big); /* 8 bytes */
        fclose(big);
        st = vn__spec_load(tmp, &s, err, sizeof err);
        char want[600];
        snprintf(want, sizeof want, "%s:1:1: the file is larger than 1024 KiB: this is not a spec", tmp);
        CHECK(st == VN_ERR_DATA && s == NULL);
        CHECKF(strcmp(err, want) == 0, "%s", err);
        remove(tmp);
    }
    /* NULL errbuf is allowed */
    st = vn__spec_parse("x", 1, "vernier.yaml", &s, NULL, 0);
    CHECK(st == VN_ERR_DATA && s == NULL);
}

/* The top-level section of a YAML text that starts at line p: "key" (len) or 0. */
static size_t top_key(const char *p)
{
    size_t n = 0;
    while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
        n++;
    return p[n] == ':' ? n : 0;
}

static bool has_section(const char *text, const char *key, size_t klen)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const size_t n = top_key(p);
        if (n == klen && strncmp(p, key, n) == 0)
            return true;
    }
    return false;
}

/* The base example without the sections the fragment defines, then the fragment. */
static char *compose(const char *base, const char *frag)
{
    const bool keep_gates = has_section(frag, "gates", 5) ||
                            !(has_section(frag, "metrics", 7) || has_section(frag, "slices", 6) ||
                              has_section(frag, "baseline", 8));
    sbuf b = {0};
    bool skip = false;
    for (const char *p = base; *p;) {
        const char *nl = strchr(p, '\n');
        const size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        const size_t k = top_key(p);
        if (k)
            skip = has_section(frag, p, k) || (!keep_gates && k == 5 && strncmp(p, "gates", 5) == 0);
        if (!skip)
            put(&b, "%.*s", (int)len, p);
        p += len;
    }
    put(&b, "%s", frag);
    return b.s;
}

static void test_docs(void)
{
    size_t len;
    char *doc = slurp("docs/spec.md", &len);
    CHECKF(doc != NULL, "docs/spec.md");
    if (!doc)
        return;
    char *base = NULL;
    int nblocks = 0, nerrors = 0;
    for (char *p = strstr(doc, "\n```yaml\n"); p; p = strstr(p, "\n```yaml\n")) {
        char *body = p + 9, *end = strstr(body, "\n```\n");
        if (!end)
            break;
        char *text = strndup(body, (size_t)(end - body) + 1);
        /* an expected error: the next fence, after blank lines only, is ```text */
        char *want = NULL, *q = end + 5;
        while (*q == '\n')
            q++;
        if (strncmp(q, "```text\n", 8) == 0) {
            char *e = strstr(q + 8, "\n```");
            if (e)
                want = strndup(q + 8, (size_t)(e - q - 8));
        }
        const bool full = strncmp(text, "version:", 8) == 0;
        if (full && !base && !want)
            base = strdup(text);
        char *spec = full ? strdup(text) : base ? compose(base, text) : NULL;
        CHECKF(spec != NULL, "docs/spec.md: a fragment before the first complete example");
        if (spec) {
            vn__spec *s = NULL;
            char err[512];
            live = 0;
            const vn_status st = vn__spec_parse(spec, strlen(spec), "vernier.yaml", &s, err, sizeof err);
            if (want)
                CHECKF(st == VN_ERR_DATA && strcmp(err, want) == 0,
                       "docs/spec.md example:\n%s\n  want: %s\n  got:  %s", text, want,
                       st == VN_OK ? "ok" : err);
            else
                CHECKF(st == VN_OK, "docs/spec.md example:\n%s\n  %s", text, err);
            vn__spec_free(s);
            CHECK(live == 0);
        }
        nblocks++;
        nerrors += want != NULL;
        free(spec);
        free(want);
        free(text);
        p = end;
    }
    /* the list under "## Errors": every line is the outcome of a golden case */
    const char *errs = strstr(doc, "\n## Errors\n");
    errs = errs ? strstr(errs, "\n```text\n") : NULL;
    CHECKF(errs != NULL, "docs/spec.md: no error list");
    int nlisted = 0;
    for (const char *q = errs ? errs + 9 : NULL; q && strncmp(q, "```", 3) != 0;) {
        const char *nl = strchr(q, '\n');
        if (!nl)
            break;
        bool found = false;
        for (size_t i = 0; i < noutcomes && !found; i++)
            found = strlen(outcomes[i]) == (size_t)(nl - q) && strncmp(outcomes[i], q, (size_t)(nl - q)) == 0;
        CHECKF(found, "docs/spec.md lists an error no golden case gives: %.*s", (int)(nl - q), q);
        nlisted++;
        q = nl + 1;
    }
    printf("ok docs/spec.md: %d YAML examples (%d with their error), %d listed errors\n", nblocks,
           nerrors, nlisted);
    CHECK(nlisted >= 5);
    CHECK(nblocks >= 10);
    free(base);
    free(doc);
    for (size_t i = 0; i < noutcomes; i++)
        free(outcomes[i]);
    noutcomes = 0;
}

/* ---- 5. allocation failures ---- */

static void alloc_failures(const char *name)
{
    size_t len;
    char path[256];
    snprintf(path, sizeof path, CASES "%s", name);
    char *text = slurp(path, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    char err[512];
    vn__spec *s = NULL;
    fail_at = -1;
    calls = 0;
    live = 0;
    vn_status st = vn__spec_parse(text, len, "vernier.yaml", &s, err, sizeof err);
    CHECK(st == VN_OK);
    char *want = s ? dump(s) : NULL;
    vn__spec_free(s);
    const long total = calls;
    int bad = 0, ok_runs = 0;
    for (long k = 1; k <= total; k++) {
        fail_at = k;
        calls = 0;
        live = 0;
        s = NULL;
        st = vn__spec_parse(text, len, "vernier.yaml", &s, err, sizeof err);
        if (st == VN_OK) {
            char *got = dump(s);
            bad += !want || strcmp(got, want) != 0;
            free(got);
            ok_runs++;
        } else {
            bad += st != VN_ERR_NOMEM || s != NULL ||
                   strcmp(err, "vernier.yaml: out of memory") != 0;
        }
        vn__spec_free(s);
        bad += live != 0;
        if (bad) {
            CHECKF(0, "failing allocation %ld: status %d, %ld leaked: %s", k, st, (long)live, err);
            break;
        }
    }
    fail_at = -1;
    CHECK(bad == 0);
    printf("ok allocation failures, %s: %ld runs (%d recovered)\n", name, total, ok_runs);
    free(want);
    free(text);
}

static void test_alloc_failures(void)
{
    alloc_failures("ok_full.yaml");
    alloc_failures("ok_data_horizon.yaml"); /* the "horizon" slice the loader adds */
}

int main(void)
{
    vn_set_allocator(hook, NULL);
    RUN(test_golden);
    RUN(test_full_model);
    RUN(test_forecast_model);
    RUN(test_alias_bomb);
    RUN(test_deep_nesting);
    RUN(test_limits);
    RUN(test_template);
    RUN(test_load);
    RUN(test_docs);
    RUN(test_alloc_failures);
    return unit_summary("spec");
}
