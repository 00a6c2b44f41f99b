/*
 * test_alloc.c — allocation-failure injection: fail the Nth allocation, for every N,
 * along a whole evaluation of a small CSV file (slices, stored rows, quantiles, ranks,
 * notes, every output format). Each run must end with VN_OK or VN_ERR_NOMEM, never
 * crash, and leave no block allocated (counted by the hook itself, independently of
 * any sanitizer).
 */
#include "vernier.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

static long fail_at = -1, calls = 0, live = 0;

static void *hook(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        if (ptr)
            live--;
        free(ptr);
        return NULL;
    }
    if (++calls == fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        live++;
    return p;
}

static vn_status pipeline(const char *path)
{
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    ec.metrics = "mae,rmse,mape,r2,medae,p95_abs_error,huber:delta=2,kendall_tau,"
                 "spearman_rho,d2_pinball:q=0.3,nrmse:norm=iqr,mase,tweedie_deviance:power=1.5";
    const char *by[] = {"g"};
    ec.by_count = 1;
    ec.by_names = by;
    ec.threads = 2;
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.y = "y";
    cc.yhat = "yhat";
    cc.weight = "w";
    cc.by = by;
    vn_eval *ev = NULL;
    vn_result *res = NULL;
    vn_status st = vn_eval_new(&ec, &ev, NULL, 0);
    if (st == VN_OK)
        st = vn_eval_csv(ev, path, &cc);
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    vn_eval_free(ev);
    FILE *null = fopen("/dev/null", "w");
    for (int f = 0; st == VN_OK && f < 4; f++)
        st = vn_result_write(res, (vn_format)f, null);
    fclose(null);
    vn_result_free(res);
    return st;
}

int main(void)
{
    char path[] = "/tmp/vn_alloc_XXXXXX";
    const int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fprintf(fp, "y,yhat,w,g\n");
    for (int i = 0; i < 9000; i++) /* > 2 blocks, so merges and partial blocks happen */
        fprintf(fp, "%d.5,%d,%d,%c\n", i % 97 + 1, i % 89 + 2, i % 3 + 1, "abc"[i % 3]);
    fclose(fp);

    vn_set_allocator(hook, NULL);
    calls = 0;
    CHECK(pipeline(path) == VN_OK);
    const long total = calls;
    CHECK(live == 0);
    long nomem = 0, bad = 0, leaks = 0;
    for (long n = 1; n <= total; n++) {
        fail_at = n;
        calls = 0;
        live = 0;
        const vn_status st = pipeline(path);
        nomem += st == VN_ERR_NOMEM;
        if (st == VN_OK)
            fprintf(stderr, "  failing allocation %ld went unnoticed\n", n);
        bad += st != VN_ERR_NOMEM && st != VN_OK;
        leaks += live != 0;
        if (live != 0 && leaks < 4)
            fprintf(stderr, "  failing allocation %ld leaks %ld blocks\n", n, live);
    }
    printf("  %ld allocations, each failed once: %ld runs reported NOMEM\n", total, nomem);
    CHECKF(bad == 0, "%ld runs returned something other than OK or NOMEM", bad);
    CHECKF(leaks == 0, "%ld runs leaked", leaks);
    CHECKF(nomem == total, "every failed allocation is reported (%ld of %ld)", nomem, total);
    vn_set_allocator(NULL, NULL);
    unlink(path);
    return unit_summary("alloc");
}
