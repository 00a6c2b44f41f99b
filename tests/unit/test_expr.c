/*
 * test_expr.c — custom metrics: the expression language (errors with positions, limits,
 * precedence, the semantics of every function), expressions that restate built-ins
 * (bit-identical on randomized data, weighted and not, per slice, any thread count),
 * undefined values with their reasons, input columns, a metric implemented in C through
 * vn_metric_def, and allocation failures along an evaluation with all of them.
 *
 * Oracles: the built-in metrics (which tests/oracle checks against scikit-learn and
 * numpy) for the restatements; hand-derived values, worked out in the comments, for the
 * semantics; direct C computations for the C metric.
 */
#include "vernier.h"
#include "alloc_hook.h"
#include "expr.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static uint64_t rng = 0x243F6A8885A308D3ull;
static double uniform(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* ---- compile errors: the message and the position ---- */

static void expect_error(const char *src, const char *want)
{
    vn__names cols = {0};
    vn__expr *x = NULL;
    char err[512] = "";
    const vn_status st = vn__expr_compile(src, strlen(src), "m", &cols, &x, err, sizeof err);
    CHECKF(st == VN_ERR_DATA && x == NULL, "%s: status %d", src, st);
    CHECKF(strncmp(err, want, strlen(want)) == 0, "%s:\n  want: %s\n  got:  %s", src, want, err);
    CHECKF(!strchr(err, '\n'), "%s: not one line", src);
    vn__names_free(&cols);
}

static void test_errors(void)
{
    expect_error("mean(abs(e)", "expression:1:12: expected \",\" or \")\" to close the \"(\" of mean at 1:5");
    expect_error("mean(abs(e)))", "expression:1:13: unexpected \")\": no \"(\" is open");
    expect_error("(mean(e)", "expression:1:9: expected \")\" to close the \"(\" at 1:1");
    expect_error("mean(foo(e))", "expression:1:6: unknown function \"foo\"");
    expect_error("mean(e) / 0", "expression:1:9: division by zero");
    expect_error("mean(e / (2 - 2))", "expression:1:8: division by zero");
    expect_error("mean(e)/0.0e5", "expression:1:8: division by zero");
    expect_error("mean(abs(e, y))", "expression:1:6: abs takes 1 argument, not 2");
    expect_error("clip(mean(e), 1)", "expression:1:1: clip takes 3 arguments, not 2");
    expect_error("mean(mean(e))", "expression:1:6: aggregations cannot nest: mean inside mean");
    expect_error("sum(abs(e)) + e", "expression:1:15: \"e\" is a value of each row");
    expect_error("mean(e) * price", "expression:1:11: \"price\" is a value of each row");
    expect_error("3 * 4", "expression:1:1: the expression has no aggregation");
    expect_error("", "expression:1:1: the expression is empty");
    expect_error("  \n ", "expression:2:2: the expression is empty");
    expect_error("mean(e) +", "expression:1:10: expected a number, a name or \"(\", got end of");
    expect_error("mean(e) = 1", "expression:1:9: unexpected \"=\" (write == to compare)");
    expect_error("mean(y < yhat < 3)", "expression:1:15: comparisons do not chain");
    expect_error("quantile(e, 1.5)", "expression:1:13: the level of quantile must be a constant");
    expect_error("quantile(e, y)", "expression:1:13: the level of quantile must be a constant");
    expect_error("mean(1e400 * e)", "expression:1:6: the number 1e400 is too large");
    expect_error("mean(log(0) * e)", "expression:1:6: this constant part of the expression is not");
    expect_error("mean(e) $", "expression:1:9: unexpected character \"$\"");
    expect_error("mean(\"unit price)", "expression:1:6: a quoted column name is not closed");
    expect_error("mean(\"\")", "expression:1:6: an empty quoted column name");
    expect_error("mean(e and)", "expression:1:11: expected a number, a name or \"(\", got \")\"");
    /* the position counts characters: "é" is two bytes, one column */
    expect_error("mean(\"é\" + é)", "expression:1:12: unexpected character (byte 0xC3)");
    expect_error("sum(e)\n  + mean(abs(foo(e)))\n", "expression:2:14: unknown function \"foo\"");
    /* limits: 100 000 nested parentheses (200 kB: too long), 30 000 (too deep), a 1 MB
     * expression, a 3000-term chain */
    size_t n = 100000;
    char *deep = malloc(2 * n + 16);
    memset(deep, '(', n);
    strcpy(deep + n, "mean(e)");
    memset(deep + n + 7, ')', n);
    deep[2 * n + 7] = '\0';
    expect_error(deep, "expression:1:1: the expression is 200007 bytes long; the limit is 65536");
    n = 30000;
    memset(deep, '(', n);
    strcpy(deep + n, "mean(e)");
    memset(deep + n + 7, ')', n);
    deep[2 * n + 7] = '\0';
    expect_error(deep, "expression:1:257: nesting deeper than 256 levels");
    memset(deep, '-', n);
    strcpy(deep + n, "mean(e)");
    expect_error(deep, "expression:1:257: nesting deeper than 256 levels");
    memcpy(deep, "mean(", 5);
    memset(deep + 5, '(', n);
    strcpy(deep + 5 + n, "e");
    expect_error(deep, "expression:1:261: nesting deeper than 256 levels"); /* the call is one level */
    free(deep);
    n = 1 << 20;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "mean(e)+"[i % 8];
    big[n - 1] = '1';
    big[n] = '\0';
    expect_error(big, "expression:1:1: the expression is 1048576 bytes long; the limit is 65536");
    /* 3000 additions in a chain are 3000 operations deep: over the height limit */
    size_t k = 0;
    for (int i = 0; i < 3000; i++)
        k += (size_t)sprintf(big + k, "%smean(e)", i ? "+" : "");
    expect_error(big, "expression:1:");
    CHECK(strstr(big, "mean") != NULL);
    /* 1000 terms are fine */
    k = 0;
    for (int i = 0; i < 1000; i++)
        k += (size_t)sprintf(big + k, "%ssum(e)", i ? "+" : "");
    vn__names cols = {0};
    vn__expr *x = NULL;
    char err[512];
    vn_status st = vn__expr_compile(big, k, "m", &cols, &x, err, sizeof err);
    CHECKF(st == VN_ERR_DATA && strstr(err, "more than 256 aggregations"), "%s", err);
    k = 0;
    for (int i = 0; i < 1000; i++)
        k += (size_t)sprintf(big + k, "%s(y-%d)", i ? "+" : "mean(", i);
    big[k++] = ')';
    st = vn__expr_compile(big, k, "m", &cols, &x, err, sizeof err);
    CHECKF(st == VN_OK, "%s", err);
    vn__expr_free(x);
    vn__names_free(&cols);
    free(big);
}

/* ---- evaluating on small arrays ---- */

/* The value of metric list `metrics` (first metric) on rows (y, p, w, and column
 * "price" = c), its reason into *reason. */
static double value_of(const char *metrics, const double *y, const double *p, const double *w,
                       const double *c, size_t n, vn_reason *reason)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics;
    vn_eval *ev = NULL;
    char err[512];
    vn_status st = vn_eval_new(&cfg, &ev, err, sizeof err);
    CHECKF(st == VN_OK, "%s: %s", metrics, err);
    if (st != VN_OK)
        return NAN;
    const vn_rows rows = {n, y, 1, p, 1, w, 1, NULL};
    const double *cols[1] = {c};
    st = vn_eval_column_count(ev) ? vn_eval_update_columns(ev, &rows, cols, NULL)
                                  : vn_eval_update(ev, &rows);
    vn_result *res = NULL;
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    CHECKF(st == VN_OK, "%s: %s", metrics, vn_eval_errmsg(ev));
    vn_value v = {NAN, VN_REASON_NONE, "", NAN, NAN, "", "", NAN};
    if (res)
        vn_result_get(res, 0, 0, &v);
    if (reason)
        *reason = v.reason;
    vn_result_free(res);
    vn_eval_free(ev);
    return v.value;
}

static void test_semantics(void)
{
    /* four rows: y = 1 2 3 4, yhat = 2 2 1 8, so e = 1 0 -2 4; price 10 20 30 40 */
    const double y[4] = {1, 2, 3, 4}, p[4] = {2, 2, 1, 8}, c[4] = {10, 20, 30, 40};
    const double w[4] = {1, 2, 1, 0.5};
    static const struct {
        const char *m;
        double want;
    } cases[] = {
        {"a=mean(e)", 0.75},                          /* (1 + 0 - 2 + 4) / 4 */
        {"a=sum(e)", 3},
        {"a=mean(-2^2 + 0*e)", -4},                   /* ^ binds tighter than unary minus */
        {"a=mean(2^3^2 + 0*e)", 512},                 /* right-associative */
        {"a=mean(2^-1 + 0*e)", 0.5},
        {"a=mean(7 - 2 - 1 + 0*e)", 4},               /* left-associative */
        {"a=mean(8 / 4 / 2 + 0*e)", 1},
        {"a=mean(1 + 2 * 3 + 0*e)", 7},
        {"a=mean(e^2)", 5.25},                        /* (1 + 0 + 4 + 16) / 4 */
        {"a=mean(pow(e, 2))", 5.25},
        {"a=mean(abs(e))", 1.75},
        {"a=mean(y > yhat)", 0.25},                   /* only row 3 */
        {"a=mean(y >= 2)", 0.75},
        {"a=mean(e == 0)", 0.25},
        {"a=mean(e != 0)", 0.75},
        {"a=mean(e < 0 or e > 3)", 0.5},
        {"a=mean(e > -1 and e < 2)", 0.5},
        {"a=mean(not e)", 0.25},
        {"a=mean(not not e)", 0.75},
        {"a=mean(if(e < 0, -3 * e, e))", 2.75},      /* (1 + 0 + 6 + 4) / 4 */
        {"a=mean(clip(e, -1, 2))", 0.5},              /* 1 0 -1 2 */
        {"a=mean(min(e, 0))", -0.5},
        {"a=mean(max(e, 0))", 1.25},
        {"a=mean(sqrt(y))", (1 + M_SQRT2 + 1.7320508075688772 + 2) / 4},
        {"a=sum(log(y))", 3.1780538303479458},        /* log 24 */
        {"a=log(sum(exp(0 * y)))", 1.3862943611198906}, /* log 4 */
        {"a=sum(price)", 100},
        {"a=sum(\"price\" * 2)", 200},
        {"a=sum(abs(e) * price) / sum(y * price)", 230.0 / 300.0}, /* see below */
        {"a=wmean(e, price)", 1.1},                   /* (10 + 0 - 60 + 160) / 100 */
        {"a=quantile(e, 0.5)", 0.5},                  /* type 7 of -2 0 1 4 */
        {"a=quantile(e, 0)", -2},
        {"a=quantile(e, 1)", 4},
        {"a=quantile(abs(e), 0.25)", 0.75},
        {"a=max(mean(e), 1) + min(sum(y), 2)", 3},
        {"a=if(sum(y) > 100, 1 / (sum(y) - 10), 7) + 0 * sum(e)", 7}, /* the branch not taken */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vn_reason r;
        const double got = value_of(cases[i].m, y, p, NULL, c, 4, &r);
        CHECKF(unit_close(got, cases[i].want, 1e-15) && r == VN_REASON_NONE,
               "%s: want %.17g, got %.17g (reason %d)", cases[i].m, cases[i].want, got, r);
    }
    /* sum(|e|·price) = 10 + 0 + 60 + 160 = 230, sum(y·price) = 10 + 40 + 90 + 160 = 300 */
    CHECK(value_of("a=sum(abs(e) * price) / sum(y * price)", y, p, NULL, c, 4, NULL) == 230.0 / 300.0);
    /* weights: w = 1 2 1 0.5; mean = Σw·e / Σw = (1 + 0 - 2 + 2) / 4.5 */
    CHECK(unit_close(value_of("a=mean(e)", y, p, w, c, 4, NULL), 1.0 / 4.5, 1e-15));
    CHECK(value_of("a=sum(1)", y, p, w, c, 4, NULL) == 4.5); /* W */
    CHECK(value_of("a=sum(w)", y, p, w, c, 4, NULL) == 6.25); /* Σw·w = 1 + 4 + 1 + 0.25 */
    CHECK(value_of("a=sum(w)", y, p, NULL, c, 4, NULL) == 4.0);
    /* wmean(e, price) with row weights: Σ w·price·e / Σ w·price = (10 - 60 + 80) / (10 + 40 + 30 + 20) */
    CHECK(unit_close(value_of("a=wmean(e, price)", y, p, w, c, 4, NULL), 30.0 / 100.0, 1e-15));
    /* weighted quantile (averaged inverted CDF): e sorted -2 0 1 4 with w 1 2 1 0.5;
     * q = 0.5: t = 2.25, cumulative 1 3 ... -> 0 */
    CHECK(value_of("a=quantile(e, 0.5)", y, p, w, c, 4, NULL) == 0.0);
}

static void test_undefined(void)
{
    const double y[3] = {1, 2, 3}, p[3] = {1, 2, 3}, c[3] = {0, 0, 0};
    static const struct {
        const char *m;
        vn_reason want;
    } cases[] = {
        {"a=sum(y) / sum(e)", VN_REASON_ZERO_DENOMINATOR},     /* e = 0 everywhere */
        {"a=mean(log(e))", VN_REASON_DOMAIN},                 /* log 0 on every row */
        {"a=mean(y / e)", VN_REASON_DOMAIN},
        {"a=quantile(1 / e, 0.5)", VN_REASON_DOMAIN},
        {"a=wmean(y, price)", VN_REASON_ZERO_DENOMINATOR},    /* the weights sum to 0 */
        {"a=log(sum(e))", VN_REASON_DOMAIN},
        {"a=sqrt(sum(e) - 1)", VN_REASON_DOMAIN},
        {"a=exp(sum(y) * 1000)", VN_REASON_OVERFLOW},
        {"a=mean(exp(y * 1000))", VN_REASON_DOMAIN},          /* a row's term is not finite */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vn_reason r;
        const double got = value_of(cases[i].m, y, p, NULL, c, 3, &r);
        CHECKF(isnan(got) && r == cases[i].want, "%s: value %g, reason %d, want %d", cases[i].m,
               got, r, cases[i].want);
    }
    /* if() discards the branch it does not take: log(e) on rows with e = 0 is not read */
    vn_reason r;
    CHECK(value_of("a=mean(if(e > 0, log(e), 0))", y, p, NULL, c, 3, &r) == 0.0 && r == VN_REASON_NONE);
    /* no rows: every weight is 0 */
    const double w0[3] = {0, 0, 0};
    CHECK(isnan(value_of("a=mean(e)", y, p, w0, c, 3, &r)) && r == VN_REASON_NO_ROWS);
}

/* ---- restatements of built-ins ---- */

#define N 50000
static double Y[N], P[N], Wt[N], X[N];
static uint32_t S[N];

static const char *PAIRS[][2] = {
    {"mae", "r_mae=mean(abs(e))"},
    {"rmse", "r_rmse=sqrt(mean(e*e))"},
    {"mse", "r_mse=mean(e^2)"},
    {"mean_error", "r_bias=mean(e)"},
    {"wmape", "r_wmape=100 * sum(abs(e)) / sum(abs(y))"},
    {"pinball:q=0.9", "r_pin9=(0.9 * sum(max(-e, 0)) + (1 - 0.9) * sum(max(e, 0))) / sum(1)"},
    {"pinball:q=0.25", "r_pin25=(0.25 * sum(max(y - yhat, 0)) + (1 - 0.25) * sum(max(yhat - y, 0))) / sum(1)"},
    {"medae", "r_medae=quantile(abs(e), 0.5)"},
    {"p95_abs_error", "r_p95=quantile(abs(e), 0.95)"},
    {"abs_error_quantile:q=0.3", "r_q3=quantile(abs(yhat - y), 0.3)"},
};
#define NPAIRS (sizeof PAIRS / sizeof PAIRS[0])

static void make_data(void)
{
    for (size_t i = 0; i < N; i++) {
        Y[i] = 50.0 * uniform() * uniform() - 5.0;
        P[i] = Y[i] + 4.0 * tan(3.0 * (uniform() - 0.5));
        Wt[i] = uniform() < 0.03 ? 0.0 : 0.25 + 3.0 * uniform();
        X[i] = 1.0 + 99.0 * uniform();
        S[i] = (uint32_t)(5.0 * uniform());
    }
}

/* Evaluates the data set under cfg (by column "s" with its 5 slices when sliced),
 * feeding rows in chunks of `chunk` with column "price" = X. */
static vn_result *evaluate(vn_eval_config *cfg, int weighted, size_t chunk, int sliced)
{
    const char *by[1] = {"s"};
    cfg->by_count = sliced ? 1 : 0;
    cfg->by_names = by;
    vn_eval *ev = NULL;
    char err[512];
    if (vn_eval_new(cfg, &ev, err, sizeof err) != VN_OK) {
        CHECKF(0, "%s", err);
        return NULL;
    }
    for (uint32_t k = 0; sliced && k < 5; k++) {
        char v[2] = {(char)('a' + k), 0};
        const char *vals[1] = {v};
        uint32_t id;
        vn_eval_slice(ev, vals, NULL, &id);
    }
    vn_status st = VN_OK;
    for (size_t at = 0; at < N && st == VN_OK; at += chunk) {
        const size_t n = N - at < chunk ? N - at : chunk;
        const vn_rows r = {n, Y + at, 1, P + at, 1, weighted ? Wt + at : NULL, 1,
                           sliced ? S + at : NULL};
        const double *cols[1] = {X + at};
        st = vn_eval_update_columns(ev, &r, vn_eval_column_count(ev) ? cols : NULL, NULL);
    }
    vn_result *res = NULL;
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    CHECKF(st == VN_OK, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    return res;
}

static vn_result *run(const char *metrics, int weighted, int threads, size_t chunk, double ci)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics;
    cfg.threads = threads;
    cfg.ci_level = ci;
    cfg.ci_method = VN_CI_PERCENTILE;
    cfg.resamples = 40;
    cfg.seed = 9;
    return evaluate(&cfg, weighted, chunk, 1);
}

static void test_restatements(void)
{
    char list[4096] = "";
    for (size_t k = 0; k < NPAIRS; k++) {
        strcat(list, k ? "," : "");
        strcat(list, PAIRS[k][0]);
        strcat(list, ",");
        strcat(list, PAIRS[k][1]);
    }
    for (int weighted = 0; weighted < 2; weighted++) {
        vn_result *a = run(list, weighted, 1, N, 0);
        vn_result *b = run(list, weighted, 4, 777, 0);
        if (!a || !b) {
            vn_result_free(a);
            vn_result_free(b);
            continue;
        }
        size_t same = 0, total = 0;
        for (size_t s = 0; s < vn_result_slice_count(a); s++)
            for (size_t k = 0; k < NPAIRS; k++) {
                vn_value x, y, z;
                vn_result_get(a, s, 2 * k, &x);
                vn_result_get(a, s, 2 * k + 1, &y);
                vn_result_get(b, s, 2 * k + 1, &z);
                total++;
                same += unit_same(x.value, y.value);
                CHECKF(unit_same(x.value, y.value) && isfinite(x.value),
                       "%s (weighted %d, slice %zu): built-in %.17g, expression %.17g", PAIRS[k][0],
                       weighted, s, x.value, y.value);
                CHECKF(unit_same(y.value, z.value), "%s: 1 thread %.17g, 4 threads and chunks %.17g",
                       PAIRS[k][1], y.value, z.value);
            }
        printf("  restatements (%s): %zu/%zu bit-identical to the built-ins\n",
               weighted ? "weighted" : "unweighted", same, total);
        vn_result_free(a);
        vn_result_free(b);
    }
    /* intervals: the same resamples give the same bounds (percentile bootstrap; the
     * counter sums the restatement's terms as it sums the built-in's) */
    vn_result *c = run("mae,r_mae=mean(abs(e)),rmse,r_rmse=sqrt(mean(e*e)),p95_abs_error,"
                       "r_p95=quantile(abs(e),0.95)", 1, 2, N, 0.9);
    for (size_t s = 0; c && s < vn_result_slice_count(c); s++)
        for (size_t k = 0; k < 3; k++) {
            vn_value x, y;
            vn_result_get(c, s, 2 * k, &x);
            vn_result_get(c, s, 2 * k + 1, &y);
            CHECKF(unit_close(x.lo, y.lo, 1e-15) && unit_close(x.hi, y.hi, 1e-15) && isfinite(y.lo),
                   "interval %zu slice %zu: [%.17g, %.17g] vs [%.17g, %.17g]", k, s, x.lo, x.hi,
                   y.lo, y.hi);
            CHECK(strcmp(y.ci_method, "percentile") == 0);
        }
    vn_result_free(c);
}

/* ---- input columns and API errors ---- */

static void test_columns(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,rev=sum(abs(e) * price) / sum(y * price),c2=mean(\"unit cost\" + price)";
    vn_eval *ev = NULL;
    char err[512];
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    CHECK(vn_eval_column_count(ev) == 2);
    CHECK(strcmp(vn_eval_column_name(ev, 0), "price") == 0);
    CHECK(strcmp(vn_eval_column_name(ev, 1), "unit cost") == 0);
    CHECK(vn_eval_column_name(ev, 2) == NULL);
    const double y[2] = {1, 2}, p[2] = {2, 2}, pr[2] = {5, 1}, uc[2] = {NAN, 1};
    const vn_rows r = {2, y, 1, p, 1, NULL, 1, NULL};
    CHECK(vn_eval_update(ev, &r) == VN_ERR_USAGE);
    CHECK(strstr(vn_eval_errmsg(ev), "vn_eval_update_columns") != NULL);
    vn_eval_free(ev);
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    const double *cols[2] = {pr, uc};
    CHECK(vn_eval_update_columns(ev, &r, cols, NULL) == VN_ERR_DATA);
    CHECKF(strcmp(vn_eval_errmsg(ev), "row 1: column \"unit cost\" is not finite (nan)") == 0, "%s",
           vn_eval_errmsg(ev));
    vn_eval_free(ev);
    /* metric-list errors: names, options, duplicates; exit codes 2 (usage) and 3 (data) */
    static const struct {
        const char *list;
        vn_status st;
        const char *msg;
    } bad[] = {
        {"mae=mean(abs(e))", VN_ERR_USAGE, "metric name \"mae\" is a built-in metric"},
        {"bias=mean(e)", VN_ERR_USAGE, "metric name \"bias\" is a built-in metric"},
        {"a=mean(e),a=sum(e)", VN_ERR_USAGE, "metric a is defined twice"},
        {"a[upper]=mean(e)", VN_ERR_USAGE, "metric a: unknown option \"upper\""},
        {"a[lower=mean(e)", VN_ERR_USAGE, "metric a: the options have no closing \"]\""},
        {"a[lower] mean(e)", VN_ERR_USAGE, "metric a: expected \"=\""},
        {"-a=mean(e)", VN_ERR_USAGE, "metric name \"-a\" is not valid"},
        {"mae,cost=mean(abs(foo(e)))", VN_ERR_DATA,
         "metric cost: expression:1:10: unknown function \"foo\""},
        {"cost=mean(e) / 0", VN_ERR_DATA, "metric cost: expression:1:9: division by zero"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg.metrics = bad[i].list;
        const vn_status st = vn_eval_new(&cfg, &ev, err, sizeof err);
        CHECKF(st == bad[i].st && ev == NULL && strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0,
               "%s: status %d, %s", bad[i].list, st, err);
    }
    /* options: direction and unit reach the result */
    cfg.metrics = "a[higher,unit=USD / day]=sum(e),b[none]=mean(e),c=mean(e)";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_OK);
    const vn_rows r2 = {2, y, 1, p, 1, NULL, 1, NULL};
    CHECK(vn_eval_update(ev, &r2) == VN_OK);
    vn_result *res = NULL;
    CHECK(vn_eval_finish(ev, &res) == VN_OK);
    vn_eval_free(ev);
    if (res) {
        const vn_metric_info *a = vn_result_metric_info(res, 0), *b = vn_result_metric_info(res, 1);
        const vn_metric_info *c = vn_result_metric_info(res, 2);
        CHECK(a->direction == VN_HIGHER_IS_BETTER && strcmp(a->unit, "USD / day") == 0);
        CHECK(strcmp(a->id, "a") == 0 && strcmp(a->definition, "sum(e)") == 0);
        CHECK(b->direction == VN_NO_DIRECTION && c->direction == VN_LOWER_IS_BETTER);
        CHECK(strcmp(vn_result_metric_key(res, 2), "c") == 0);
    }
    vn_result_free(res);
}

/* Reading the columns from a file: names, quoted names, a missing one with its position,
 * the missing-value policy, and a time sort that carries them along. */
static void test_csv(void)
{
    char path[] = "/tmp/vn_expr_XXXXXX";
    const int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("t,y,yhat,price,unit cost\n3,1,2,10,1\n1,2,2,20,\n2,3,1,30,3\n0,4,8,40,4\n", f);
    fclose(f);
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.y = "y";
    cc.yhat = "yhat";
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    static const struct {
        const char *metrics;
        vn_missing missing;
        const char *time;
        vn_status st;
        double want;
        const char *msg;
    } cases[] = {
        {"a=sum(abs(e) * price)", VN_MISSING_ERROR, NULL, VN_OK, 230, ""},
        {"a=sum(abs(e) * pricee)", VN_MISSING_ERROR, NULL, VN_ERR_DATA, 0,
         ": no input column \"pricee\" (columns: t, y, yhat, price, unit cost); metric a reads "
         "it at expression:1:14"},
        {"a=sum(\"unit cost\")", VN_MISSING_ERROR, NULL, VN_ERR_DATA, 0,
         ":3:10: input column \"unit cost\": missing value (empty cell)"},
        {"a=sum(\"unit cost\" * e)", VN_MISSING_SKIP, NULL, VN_OK, 1 - 6 + 16, ""},
        /* in time order (t = 0 1 2 3): the last row is first; a quantile of price * w is
         * order-free, the rows' pairing with price must survive the sort */
        {"a=sum(abs(e) * price),b=quantile(price * abs(e), 0.5)", VN_MISSING_ERROR, "t", VN_OK, 230,
         ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg.metrics = cases[i].metrics;
        cc.missing = cases[i].missing;
        cc.time = cases[i].time;
        vn_eval *ev = NULL;
        vn_result *res = NULL;
        char err[512];
        vn_status st = vn_eval_new(&cfg, &ev, err, sizeof err);
        if (st == VN_OK)
            st = vn_eval_csv(ev, path, &cc);
        if (st == VN_OK)
            st = vn_eval_finish(ev, &res);
        CHECKF(st == cases[i].st, "%s: status %d (%s)", cases[i].metrics, st, vn_eval_errmsg(ev));
        if (st != VN_OK)
            CHECKF(strstr(vn_eval_errmsg(ev), cases[i].msg) != NULL, "%s: %s", cases[i].metrics,
                   vn_eval_errmsg(ev));
        vn_value v = {NAN, 0, "", NAN, NAN, "", "", NAN};
        if (res)
            vn_result_get(res, 0, 0, &v);
        if (st == VN_OK)
            CHECKF(v.value == cases[i].want, "%s: %.17g", cases[i].metrics, v.value);
        if (res && cases[i].time) { /* price·|e| = 10 0 60 160: median 35 */
            vn_result_get(res, 0, 1, &v);
            CHECKF(v.value == 35.0, "time-sorted quantile: %g", v.value);
        }
        vn_result_free(res);
        vn_eval_free(ev);
    }
    unlink(path);
}

/* ---- a metric implemented in C ---- */

/* The share of rows whose relative error exceeds ud's threshold ("late beyond 10 %"),
 * weighted, and the largest |e|·price. */
typedef struct late_state {
    double wlate, w, worst;
    uint64_t blocks;
} late_state;

static void late_block(void *st, const vn_block *b, void *ud)
{
    late_state *s = st;
    const double thr = *(const double *)ud;
    for (size_t i = 0; i < b->n; i++) {
        const double e = b->yhat[i] - b->y[i];
        s->wlate += b->w[i] * (e < -thr * fabs(b->y[i]));
        s->w += b->w[i];
    }
    s->blocks++;
}

static void worst_block(void *st, const vn_block *b, void *ud)
{
    (void)ud;
    late_state *s = st;
    for (size_t i = 0; i < b->n; i++)
        s->worst = fmax(s->worst, fabs(b->yhat[i] - b->y[i]) * b->cols[0][i]);
}

static void late_merge(void *st, const void *other, void *ud)
{
    (void)ud;
    late_state *a = st;
    const late_state *b = other;
    a->wlate += b->wlate;
    a->w += b->w;
    a->worst = fmax(a->worst, b->worst);
    a->blocks += b->blocks;
}

static double late_finish(const void *st, vn_reason *reason, void *ud)
{
    (void)ud;
    const late_state *s = st;
    if (s->wlate == 0) {
        *reason = VN_REASON_ZERO_DENOMINATOR;
        return NAN;
    }
    return s->wlate / s->w;
}

static double worst_finish(const void *st, vn_reason *reason, void *ud)
{
    (void)ud;
    (void)reason;
    return ((const late_state *)st)->worst;
}

static void worst_init(void *st, void *ud)
{
    (void)ud;
    ((late_state *)st)->worst = -1.0;
}

static double thr = 0.1;
static const char *const price_col[1] = {"price"};
static const vn_metric_def defs[2] = {
    {"late_share", VN_LOWER_IS_BETTER, "1", "share of rows more than 10 % late", 0, NULL,
     sizeof(late_state), NULL, late_block, late_merge, late_finish, &thr},
    {"worst_cost", VN_LOWER_IS_BETTER, "USD", NULL, 1, price_col, sizeof(late_state), worst_init,
     worst_block, late_merge, worst_finish, &thr},
};

static vn_result *run_c(int threads, size_t chunk, double ci, int sliced)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,late_share,worst_cost,x=mean(abs(e) * price)";
    cfg.custom = defs;
    cfg.custom_count = 2;
    cfg.threads = threads;
    cfg.ci_level = ci;
    cfg.resamples = 20;
    return evaluate(&cfg, 1, chunk, sliced);
}

static void test_c_metric(void)
{
    /* direct computation */
    double wl = 0, w = 0, worst = -1;
    for (size_t i = 0; i < N; i++) {
        const double e = P[i] - Y[i];
        if (Wt[i] == 0)
            continue;
        wl += Wt[i] * (e < -thr * fabs(Y[i]));
        w += Wt[i];
        worst = fmax(worst, fabs(e) * X[i]);
    }
    vn_result *a = run_c(1, N, 0, 1), *b = run_c(3, 1001, 0, 1);
    if (a && b) {
        vn_value v;
        vn_result_get(a, 0, 1, &v);
        CHECKF(unit_close(v.value, wl / w, 1e-12), "late_share %.17g vs %.17g", v.value, wl / w);
        vn_result_get(a, 0, 2, &v);
        CHECKF(v.value == worst, "worst_cost %.17g vs %.17g", v.value, worst);
        const vn_metric_info *mi = vn_result_metric_info(a, 2);
        CHECK(strcmp(mi->id, "worst_cost") == 0 && strcmp(mi->unit, "USD") == 0);
        CHECK(strcmp(vn_result_metric_info(a, 1)->summary, "share of rows more than 10 % late") == 0);
        /* the states are merged in row order whatever the threads and chunks */
        for (size_t s = 0; s < vn_result_slice_count(a); s++)
            for (size_t m = 0; m < 4; m++) {
                vn_value x, y;
                vn_result_get(a, s, m, &x);
                vn_result_get(b, s, m, &y);
                CHECKF(unit_same(x.value, y.value), "slice %zu metric %zu: %.17g vs %.17g", s, m,
                       x.value, y.value);
            }
    }
    vn_result_free(a);
    vn_result_free(b);
    /* intervals by the bootstrap on gathered rows */
    vn_result *c = run_c(2, N, 0.9, 0);
    if (c) {
        vn_value v;
        vn_result_get(c, 0, 1, &v);
        CHECKF(isfinite(v.lo) && v.lo <= v.value && v.value <= v.hi, "[%g, %g] around %g", v.lo,
               v.hi, v.value);
    }
    vn_result_free(c);
    /* bad definitions */
    vn_metric_def bad = defs[0];
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.custom = &bad;
    cfg.custom_count = 1;
    cfg.metrics = "late_share";
    vn_eval *ev = NULL;
    char err[512];
    bad.name = "mae";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "built-in"));
    bad.name = "late share";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "not valid"));
    bad = defs[0];
    bad.merge = NULL;
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "callbacks"));
    bad = defs[0];
    bad.state_size = 0;
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "state_size"));
    bad = defs[0];
    cfg.metrics = "late_share:q=1";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "no parameters"));
    cfg.metrics = "late_share=mean(e)";
    CHECK(vn_eval_new(&cfg, &ev, err, sizeof err) == VN_ERR_USAGE && strstr(err, "C API"));
}

/* ---- allocation failures ---- */

static vn_status pipeline(void)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = "mae,r=sum(abs(e) * price) / sum(y * price),q=quantile(e, 0.3),late_share";
    cfg.custom = defs;
    cfg.custom_count = 1;
    cfg.threads = 2;
    cfg.ci_level = 0.9;
    cfg.ci_method = VN_CI_BCA;
    cfg.resamples = 3;
    const char *by[1] = {"s"};
    cfg.by_count = 1;
    cfg.by_names = by;
    vn_eval *ev = NULL;
    vn_result *res = NULL;
    vn_status st = vn_eval_new(&cfg, &ev, NULL, 0);
    for (uint32_t k = 0; st == VN_OK && k < 5; k++) {
        char v[2] = {(char)('a' + k), 0};
        const char *vals[1] = {v};
        uint32_t id;
        st = vn_eval_slice(ev, vals, NULL, &id);
    }
    const size_t n = 100;
    const vn_rows r = {n, Y, 1, P, 1, Wt, 1, S};
    const double *cols[1] = {X};
    if (st == VN_OK)
        st = vn_eval_update_columns(ev, &r, cols, NULL);
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    vn_eval_free(ev);
    FILE *f = fopen("/dev/null", "w");
    for (int k = 0; st == VN_OK && k < 4; k++)
        st = vn_result_write(res, (vn_format)k, f);
    fclose(f);
    vn_result_free(res);
    return st;
}

static void test_alloc(void)
{
    vn_set_allocator(hook, NULL);
    calls = 0;
    fail_at = -1;
    CHECK(pipeline() == VN_OK);
    const long total = calls;
    long nomem = 0, ok = 0;
    for (long k = 1; k <= total; k++) {
        calls = 0;
        fail_at = k;
        const vn_status st = pipeline();
        nomem += st == VN_ERR_NOMEM;
        ok += st == VN_OK;
        CHECKF(st == VN_ERR_NOMEM || st == VN_OK, "allocation %ld: status %d", k, st);
        CHECKF(live == 0, "allocation %ld failed: %ld blocks leaked", k, (long)live);
    }
    /* compiling alone */
    for (long k = 1; k < 60; k++) {
        calls = 0;
        fail_at = k;
        vn__names cols = {0};
        vn__expr *x = NULL;
        char err[256];
        const char *src = "sum(abs(e) * price) / sum(y * \"unit cost\") + wmean(e, w) + quantile(e, 0.1)";
        const vn_status st = vn__expr_compile(src, strlen(src), "m", &cols, &x, err, sizeof err);
        CHECKF(st == VN_ERR_NOMEM || st == VN_OK, "compile, allocation %ld: %d", k, st);
        vn__expr_free(x);
        vn__names_free(&cols);
        CHECKF(live == 0, "compile, allocation %ld: %ld blocks leaked", k, (long)live);
    }
    fail_at = -1;
    vn_set_allocator(NULL, NULL);
    printf("  expressions: %ld allocations, each failed once: %ld NOMEM, %ld recovered\n", total,
           nomem, ok);
}

int main(void)
{
    make_data();
    RUN(test_errors);
    RUN(test_semantics);
    RUN(test_undefined);
    RUN(test_restatements);
    RUN(test_columns);
    RUN(test_csv);
    RUN(test_c_metric);
    RUN(test_alloc);
    return unit_summary("expr");
}
