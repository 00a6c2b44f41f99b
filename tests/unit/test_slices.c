/*
 * test_slices.c — worst-slice discovery through the public API: a hand-sized case whose
 * numbers are derived here, and allocation-failure injection along a whole depth-2
 * search (text, numeric and capped columns, every output format), on one thread and on
 * two (the cells taken and the passes run on worker threads): each run ends with
 * VN_ERR_NOMEM and no block left allocated, or with VN_OK and the undisturbed output.
 */
#include "vernier.h"
#include "alloc_hook.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vn_slice *find(const vn_slices *s, const char *label)
{
    for (size_t i = 0; i < vn_slices_count(s); i++)
        if (strcmp(vn_slices_at(s, i)->label, label) == 0)
            return vn_slices_at(s, i);
    return NULL;
}

/* 4 rows of g=a with |e| = 3 and 4 rows of g=b with |e| = 1: mae 3 vs 1 (se 0: every
 * term equal), so diff = 2 with p = 0; x is numeric 1..8 in 2 bins: x<=4 is g=a. */
static void hand_case(void)
{
    char path[] = "/tmp/vn_slices_hand_XXXXXX";
    FILE *fp = fdopen(mkstemp(path), "w");
    fprintf(fp, "g,x,y,p\n");
    for (int i = 0; i < 8; i++)
        fprintf(fp, "%s,%d,10,%d\n", i < 4 ? "a" : "b", i + 1, i < 4 ? 13 : (i % 2 ? 11 : 9));
    fclose(fp);
    vn_slices_config cfg;
    vn_slices_config_init(&cfg);
    cfg.csv.y = "y";
    cfg.csv.yhat = "p";
    cfg.min_count = 2;
    cfg.bins = 2;
    char err[256];
    vn_slices *s = NULL;
    CHECK(vn_slices_run(path, &cfg, &s, err, sizeof err) == VN_OK);
    if (s) {
        const vn_slices_info *in = vn_slices_summary(s);
        CHECK(in->rows == 8 && in->value == 2.0 && in->tested == 4);
        const vn_slice *a = find(s, "g=a"), *x = find(s, "x<=4"), *b = find(s, "x>4");
        CHECK(a && a->value == 3.0 && a->rest == 1.0 && a->diff == 2.0 && a->p == 0.0);
        CHECK(a && a->status == VN_SLICE_WORSE && a->loss_share == 0.75 && a->row_share == 0.5);
        CHECK(x && x->bin_lo[0] == -INFINITY && x->bin_hi[0] == 4.0 && x->value == 3.0);
        CHECK(b && b->status == VN_SLICE_BETTER && strcmp(b->cond[0], "(4, inf)") == 0);
        CHECK(vn_slices_findings(s) == 2 && vn_slices_at(s, 0)->rank == 1);
    }
    vn_slices_free(s);
    cfg.metric = "r2";
    CHECK(vn_slices_run(path, &cfg, &s, err, sizeof err) == VN_ERR_USAGE && !s);
    CHECK(strstr(err, "supported: mean_error, mae") != NULL);
    cfg.metric = "mae";
    cfg.csv.weight = "g";
    CHECK(vn_slices_run(path, &cfg, &s, err, sizeof err) == VN_ERR_DATA && !s);
    CHECK(strstr(err, ":2:1: weight column \"g\"") != NULL);
    unlink(path);
}

static const char *alloc_path;
static int alloc_threads; /* 2: the cells are taken and the passes run on worker threads */

static vn_status pipeline(char **out, size_t *out_len)
{
    vn_slices_config cfg;
    vn_slices_config_init(&cfg);
    cfg.csv.y = "y";
    cfg.csv.yhat = "yhat";
    cfg.csv.weight = "w";
    cfg.depth = 2;
    cfg.min_count = 5;
    cfg.max_values = 20;
    cfg.threads = alloc_threads;
    vn_slices *s = NULL;
    vn_status st = vn_slices_run(alloc_path, &cfg, &s, NULL, 0);
    FILE *mem = open_memstream(out, out_len);
    for (int f = 0; st == VN_OK && f < 4; f++)
        st = vn_slices_write(s, (vn_format)f, 1, mem);
    fclose(mem);
    vn_slices_free(s);
    return st;
}

static void alloc_failures(int threads)
{
    alloc_threads = threads;
    char path[] = "/tmp/vn_slices_alloc_XXXXXX";
    FILE *fp = fdopen(mkstemp(path), "w");
    fprintf(fp, "y,yhat,w,g,x,id\n");
    for (int i = 0; i < 300; i++)
        fprintf(fp, "%d.5,%d,%d,%c,%d,u%d\n", i % 97 + 1, i % 89 + 2, i % 3 + 1, "abc"[i % 3],
                i % 11, i);
    fclose(fp);
    alloc_path = path;
    vn_set_allocator(hook, NULL);
    fail_at = -1;
    calls = 0;
    char *ref = NULL, *out = NULL;
    size_t ref_len = 0, out_len = 0;
    CHECK(pipeline(&ref, &ref_len) == VN_OK);
    const long total = calls;
    CHECK(live == 0);
    long nomem = 0, bad = 0, leaks = 0;
    for (long n = 1; n <= total; n++) {
        fail_at = n;
        calls = 0;
        live = 0;
        const vn_status st = pipeline(&out, &out_len);
        nomem += st == VN_ERR_NOMEM;
        bad += st != VN_ERR_NOMEM &&
               !(st == VN_OK && out_len == ref_len && memcmp(out, ref, ref_len) == 0);
        leaks += live != 0;
        free(out);
        out = NULL;
    }
    printf("  slices, %d thread(s): %ld allocations, each failed once: %ld runs reported NOMEM\n",
           threads, total, nomem);
    CHECKF(bad == 0, "%ld runs returned neither NOMEM nor the same output", bad);
    CHECKF(leaks == 0, "%ld runs leaked", leaks);
    CHECK(nomem > total / 2);
    free(ref);
    vn_set_allocator(NULL, NULL);
    unlink(path);
}

static void alloc_failures_one_thread(void) { alloc_failures(1); }
static void alloc_failures_two_threads(void) { alloc_failures(2); }

int main(void)
{
    RUN(hand_case);
    RUN(alloc_failures_one_thread);
    RUN(alloc_failures_two_threads);
    return unit_summary("slices");
}
