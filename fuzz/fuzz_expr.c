/*
 * fuzz_expr.c — libFuzzer target for the expression language of custom metrics: the
 * tokenizer, parser, constant folding and code generation (expr.c), the metric-list
 * items that carry expressions (custom.c, metrics.c), and the two interpreters over what
 * compiles.
 *
 * The first byte picks the entry point: even, the rest is one expression; odd, the rest
 * is a whole metric list ("a=mean(e),mae,b[higher,unit=x]=..."). An expression that
 * compiles is run over a small block of fixed rows (every column it names gets values),
 * every aggregation's row program and then the top program. The properties checked by
 * the sanitizers: no crash, no out-of-bounds access, no leak, no undefined behaviour; and
 * (checked here) an expression's error message is one line starting with "expression:",
 * an undefined value has a message.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       fuzz/fuzz_expr.c $(ls src/[a-z]*.c) -lz -lsqlite3 -lyaml -lm -lpthread -o fuzz_expr
 *   ./fuzz_expr fuzz/corpus/expr
 *
 * No main(): the libFuzzer driver calls LLVMFuzzerTestOneInput (a replay driver can
 * link the same file).
 */
#include "eval.h"
#include "expr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { ROWS = 37 }; /* more than one row, fewer than a block */

static void run_expr(const vn__expr *x, size_t ncols)
{
    double y[ROWS], p[ROWS], w[ROWS], out[ROWS];
    double *cols = malloc((ncols ? ncols : 1) * ROWS * sizeof *cols);
    const double **xs = malloc((ncols ? ncols : 1) * sizeof *xs);
    if (!cols || !xs) {
        free(cols);
        free(xs);
        return;
    }
    for (size_t i = 0; i < ROWS; i++) {
        y[i] = (double)i - 10.0;
        p[i] = 0.5 * (double)i * (i % 3 ? 1.0 : -1.0);
        w[i] = 1.0 + (double)(i % 4);
    }
    for (size_t k = 0; k < ncols; k++) {
        for (size_t i = 0; i < ROWS; i++)
            cols[k * ROWS + i] = (double)(k + 1) * ((double)i - 3.0);
        xs[k] = cols + k * ROWS;
    }
    const vn__xrows r = {y, p, w, xs};
    double agg[VN_EXPR_MAX_AGGS];
    for (size_t k = 0; k < x->naggs; k++) {
        vn__prog_run(&x->aggs[k].term, &r, 0, ROWS, out);
        double s = 0.0;
        for (size_t i = 0; i < ROWS; i++)
            s += out[i];
        if (x->aggs[k].kind == VN_AGG_WMEAN) {
            vn__prog_run(&x->aggs[k].den, &r, 0, ROWS, out);
            double d = 0.0;
            for (size_t i = 0; i < ROWS; i++)
                d += out[i];
            s = s / d;
        }
        agg[k] = s;
    }
    double v;
    char msg[VN_MSG_LEN];
    const vn_reason why = vn__expr_top(x, agg, &v, msg, sizeof msg);
    if (why != VN_REASON_NONE && (!msg[0] || strchr(msg, '\n')))
        abort();
    free(cols);
    free(xs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *src = (const char *)data + 1;
    const size_t len = size - 1;
    char err[512];
    if (data[0] % 2 == 0) {
        vn__names cols = {0};
        vn__expr *x = NULL;
        const vn_status st = vn__expr_compile(src, len, "fuzz", &cols, &x, err, sizeof err);
        if (st == VN_OK)
            run_expr(x, cols.n);
        else if (st == VN_ERR_DATA && (strncmp(err, "expression:", 11) != 0 || strchr(err, '\n')))
            abort(); /* a message is one line with the position */
        vn__expr_free(x);
        vn__names_free(&cols);
        return 0;
    }
    /* a metric list: NUL-terminated copy (lists are C strings) */
    char *list = malloc(len + 1);
    if (!list)
        return 0;
    memcpy(list, src, len);
    list[len] = '\0';
    vn__names cols = {0};
    vn__mspec *ms = NULL;
    size_t n = 0;
    if (vn__metrics_parse_ex(list, NULL, 0, &cols, &ms, &n, err, sizeof err) == VN_OK)
        for (size_t i = 0; i < n; i++)
            if (ms[i].kind == MK_EXPR)
                run_expr(ms[i].um->expr, cols.n);
    vn__mspecs_free(ms, n);
    vn__names_free(&cols);
    free(list);
    return 0;
}
