/*
 * test_drift.c — the drift module (drift.c) and the distributions it rests on (stats.c):
 *  - chi-square, F and Kolmogorov tails and the exact two-sample KS p-value against
 *    scipy 1.10.1 values (the table below; generator in the comment above it);
 *  - the streamed path (radix refinement over passes, forced deep with small
 *    max_collect) cuts the same bins as the in-memory path: psi, jensen_shannon and chi2
 *    agree bit for bit, on data with ties, negative zeros, missing cells and a column
 *    that turns out to be text in the current file;
 *  - symmetric statistics are symmetric: swapping the files gives the same bits for
 *    ks, its p-value, the raw Wasserstein distance, chi2 and its p-value, and psi and
 *    jensen_shannon of categorical columns;
 *  - hand cases: PSI of a two-bin split, the constant reference, columns in one file;
 *  - allocation failure at every allocation of a streamed and an in-memory run.
 */
#include "stats.h"
#include "unit.h"
#include "alloc_hook.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* scipy 1.10.1 (python3-scipy, Debian 12):
 *   chi2.sf(x, k); f.sf(f, d1, d2); kstwobign.sf(l);
 *   ks_2samp(a, b, method='exact') on normal samples (numpy default_rng(5) and (9)),
 *   dmn = round(statistic * m * n). */
static const double chi2_cases[][3] = {
    {0.5, 1, 0.47950012218695337},     {3.84, 1, 0.05004352124870519},
    {10, 2, 0.006737946999085468},     {100, 2, 1.9287498479639183e-22},
    {50, 30, 0.01240206071890054},     {0.001, 5, 0.9999999983185123},
    {700, 10, 6.280146699235733e-144}, {20, 40, 0.9965456580241432},
    {1500, 999, 8.513135655488133e-23}, {200, 3, 4.218541107192018e-43},
    {0.1, 0.5, 0.48344467916953426},   {12.5, 7, 0.08526927515826925},
};
static const double f_cases[][4] = {
    {1, 1, 10, 0.34089313230205964},   {4.5, 3, 100, 0.0052690757454576425},
    {0.2, 5, 5, 0.9490302605850709},   {30, 2, 1000, 2.2236547964885213e-13},
    {2.5, 10, 20, 0.03890363634185957},
};
static const double kolm_cases[][2] = {
    {0.2, 0.999999999999495},  {0.5, 0.9639452436648751},  {0.8, 0.5441424115741981},
    {0.99, 0.2808738392255489}, {1.0, 0.26999967167735456}, {1.2, 0.11224966667072497},
    {2.0, 0.0006709252557796953}, {3.0, 3.045995948942526e-08}, {5.0, 3.8574996959278356e-22},
};
static const double ks_cases[][4] = {
    {5, 7, 9, 0.9595959595959594},         {20, 20, 80, 0.8319696107963263},
    {30, 45, 285, 0.36530850392275144},    {100, 80, 1100, 0.3400089826215987},
    {300, 310, 3960, 0.929392975922261},   {1000, 1500, 78500, 0.07293583163612802},
    {3, 2000, 4653, 0.022864693025867973}, {50, 60, 1890, 1.1044680361179673e-10},
    {200, 200, 14600, 3.0799540915748314e-12}, {400, 350, 41800, 3.5027651729887727e-15},
    {9, 11, 90, 0.00011907597046915933},
};

static void distributions(void)
{
    double worst = 0;
    for (size_t i = 0; i < sizeof chi2_cases / sizeof chi2_cases[0]; i++) {
        const double *c = chi2_cases[i], got = vn__chi2_sf(c[0], c[1]);
        worst = fmax(worst, fabs(got - c[2]) / c[2]);
        CHECKF(unit_close(got, c[2], 1e-11), "chi2.sf(%g, %g) = %.17g, scipy %.17g", c[0], c[1], got, c[2]);
    }
    for (size_t i = 0; i < sizeof f_cases / sizeof f_cases[0]; i++) {
        const double *c = f_cases[i], got = vn__f_sf(c[0], c[1], c[2]);
        worst = fmax(worst, fabs(got - c[3]) / c[3]);
        CHECKF(unit_close(got, c[3], 1e-11), "f.sf(%g, %g, %g) = %.17g, scipy %.17g", c[0], c[1], c[2], got, c[3]);
    }
    for (size_t i = 0; i < sizeof kolm_cases / sizeof kolm_cases[0]; i++) {
        const double *c = kolm_cases[i], got = vn__kolmogorov_sf(c[0]);
        worst = fmax(worst, fabs(got - c[1]) / c[1]);
        CHECKF(unit_close(got, c[1], 1e-11), "kstwobign.sf(%g) = %.17g, scipy %.17g", c[0], got, c[1]);
    }
    double worst_ks = 0;
    for (size_t i = 0; i < sizeof ks_cases / sizeof ks_cases[0]; i++) {
        const double *c = ks_cases[i];
        const double got = vn__ks2_exact_p((uint64_t)c[0], (uint64_t)c[1], (uint64_t)c[2]);
        worst_ks = fmax(worst_ks, fabs(got - c[3]) / c[3]);
        CHECKF(unit_close(got, c[3], 1e-9), "ks exact p(%g, %g, %g) = %.17g, scipy %.17g", c[0], c[1],
               c[2], got, c[3]);
    }
    printf("  distributions: chi2/F/Kolmogorov max rel. error vs scipy %.2g; exact KS %.2g\n", worst,
           worst_ks);
    /* edges */
    CHECK(vn__chi2_sf(0, 3) == 1.0 && vn__chi2_sf(-1, 3) == 1.0 && isnan(vn__chi2_sf(1, 0)));
    CHECK(vn__kolmogorov_sf(0) == 1.0 && vn__kolmogorov_sf(40) == 0.0);
    CHECK(vn__ks2_exact_p(10, 10, 0) == 1.0);
    /* D = 1 for disjoint samples: every path touches the corner; p = 2 / C(m+n, m) */
    CHECK(unit_close(vn__ks2_exact_p(4, 3, 12), 2.0 / 35.0, 1e-15));
}

/* ---- files ---- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

/* A reference and a current file with ties, −0.0, empty and NaN cells, a column that is
 * numbers in the reference and text in the current file, and a categorical column. */
static void make_files(const char *ref, const char *cur, unsigned seed, size_t n)
{
    FILE *f[2] = {fopen(ref, "w"), fopen(cur, "w")};
    uint64_t s = seed * 2654435761u + 1;
    for (int w = 0; w < 2; w++) {
        fputs("a,b,c,d,e\n", f[w]);
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            const double u = (double)(s >> 11) / 9007199254740992.0;
            const unsigned k = (unsigned)(s >> 40);
            /* a: continuous with a heavy tie at 0 (both signs) and a shift in the current */
            if (k % 7 == 0)
                fprintf(f[w], "%s,", k % 2 ? "-0.0" : "0");
            else if (k % 53 == 0)
                fputs(",", f[w]);
            else if (k % 61 == 0)
                fputs("NaN,", f[w]);
            else
                fprintf(f[w], "%.17g,", (u - 0.5) * 10 + (w ? 0.7 : 0.0));
            /* b: few integer values (heavy ties) */
            fprintf(f[w], "%u,", (k / 3) % (w ? 6 : 5));
            /* c: categories */
            static const char *const cats[] = {"north", "south", "east", "west", "x"};
            fprintf(f[w], "%s,", cats[(k / 11) % (w ? 5 : 4)]);
            /* d: numbers, but one text cell in the current file */
            if (w && i == n / 2)
                fputs("oops,", f[w]);
            else
                fprintf(f[w], "%.0f,", u * 20);
            /* e: lognormal-ish skew */
            fprintf(f[w], "%.6g\n", exp(4 * u * u) * (w ? 1.1 : 1.0));
        }
        fclose(f[w]);
    }
}

static vn_drift *run(const char *ref, const char *cur, unsigned stats, size_t max_collect, unsigned bins)
{
    vn_drift_config cfg;
    vn_drift_config_init(&cfg);
    cfg.stats = stats;
    cfg.bins = bins;
    if (max_collect)
        cfg.max_collect = max_collect;
    char err[300];
    vn_drift *d = NULL;
    const vn_status st = vn_drift_run(ref, cur, &cfg, &d, err, sizeof err);
    CHECKF(st == VN_OK, "vn_drift_run: %s", err);
    return d;
}

enum { BINNED = (1u << VN_DRIFT_PSI) | (1u << VN_DRIFT_JS) | (1u << VN_DRIFT_CHI2) };

static void streamed_equals_memory(void)
{
    char ref[] = "/tmp/vn_drift_ref_XXXXXX", cur[] = "/tmp/vn_drift_cur_XXXXXX";
    close(mkstemp(ref));
    close(mkstemp(cur));
    size_t compared = 0;
    for (unsigned seed = 1; seed <= 6; seed++) {
        const size_t n = seed % 2 ? 3000 : 517;
        make_files(ref, cur, seed, n);
        const unsigned bins = seed == 3 ? 100 : seed == 4 ? 2 : 10;
        vn_drift *mem = run(ref, cur, 0, 0, bins);
        const size_t collects[] = {1, 3, 64, 1u << 18};
        for (size_t ci = 0; ci < 4 && mem; ci++) {
            vn_drift *st = run(ref, cur, BINNED, collects[ci], bins);
            if (!st)
                continue;
            CHECK(vn_drift_summary(st)->streamed == 1 && vn_drift_summary(mem)->streamed == 0);
            CHECK(vn_drift_column_count(st) == vn_drift_column_count(mem));
            for (size_t j = 0; j < vn_drift_column_count(mem); j++) {
                const vn_drift_column *a = vn_drift_column_at(mem, j), *b = vn_drift_column_at(st, j);
                CHECKF(strcmp(a->kind, b->kind) == 0, "%s: kind %s vs %s", a->name, a->kind, b->kind);
                CHECKF(a->bins == b->bins && a->ref_n == b->ref_n && a->cur_n == b->cur_n &&
                           a->ref_missing == b->ref_missing && a->cur_missing == b->cur_missing,
                       "seed %u collect %zu column %s: counts differ", seed, collects[ci], a->name);
                CHECKF(unit_same(a->psi, b->psi) && unit_same(a->js, b->js) &&
                           unit_same(a->chi2, b->chi2) && unit_same(a->chi2_p, b->chi2_p),
                       "seed %u collect %zu column %s: psi %.17g/%.17g js %.17g/%.17g", seed,
                       collects[ci], a->name, a->psi, b->psi, a->js, b->js);
                CHECK(strcmp(a->change, b->change) == 0);
                compared++;
            }
            vn_drift_free(st);
        }
        /* kinds as designed */
        const vn_drift_column *d = vn_drift_column_at(mem, 3), *c = vn_drift_column_at(mem, 2);
        CHECK(d && strcmp(d->kind, "categorical") == 0); /* text in the current file */
        CHECK(c && strcmp(c->kind, "categorical") == 0 && c->bins == 5);
        CHECK(strcmp(vn_drift_column_at(mem, 0)->kind, "numeric") == 0);
        vn_drift_free(mem);
    }
    printf("  drift: streamed == in memory on %zu (column, max_collect) pairs\n", compared);
    unlink(ref);
    unlink(cur);
}

static void symmetry(void)
{
    char ref[] = "/tmp/vn_drift_ref_XXXXXX", cur[] = "/tmp/vn_drift_cur_XXXXXX";
    close(mkstemp(ref));
    close(mkstemp(cur));
    for (unsigned seed = 11; seed <= 13; seed++) {
        make_files(ref, cur, seed, seed == 12 ? 20000 : 800); /* exact and asymptotic KS */
        vn_drift *ab = run(ref, cur, 0, 0, 10), *ba = run(cur, ref, 0, 0, 10);
        if (!ab || !ba) {
            vn_drift_free(ab);
            vn_drift_free(ba);
            continue;
        }
        for (size_t j = 0; j < vn_drift_column_count(ab); j++) {
            const vn_drift_column *x = vn_drift_column_at(ab, j), *y = vn_drift_column_at(ba, j);
            CHECKF(unit_same(x->ks, y->ks) && unit_same(x->ks_p, y->ks_p) &&
                       unit_same(x->wasserstein, y->wasserstein),
                   "%s: ks %.17g/%.17g p %.17g/%.17g w %.17g/%.17g", x->name, x->ks, y->ks, x->ks_p,
                   y->ks_p, x->wasserstein, y->wasserstein);
            if (strcmp(x->kind, "categorical") == 0)
                CHECKF(unit_same(x->psi, y->psi) && unit_same(x->js, y->js) &&
                           unit_same(x->chi2, y->chi2) && unit_same(x->chi2_p, y->chi2_p),
                       "%s: psi %.17g/%.17g js %.17g/%.17g chi2 %.17g/%.17g", x->name, x->psi,
                       y->psi, x->js, y->js, x->chi2, y->chi2);
        }
        CHECK(strcmp(vn_drift_column_at(ab, 0)->ks_method, seed == 12 ? "asymptotic" : "exact") == 0);
        vn_drift_free(ab);
        vn_drift_free(ba);
    }
    /* the same in memory: vn_drift_numeric */
    double a[300], b[200];
    for (int i = 0; i < 300; i++)
        a[i] = sin(i * 1.7) * 3 + (i % 5 == 0);
    for (int i = 0; i < 200; i++)
        b[i] = cos(i * 0.9) * 3.5 - 0.2;
    vn_drift_config cfg;
    vn_drift_config_init(&cfg);
    vn_drift *x = NULL, *y = NULL;
    CHECK(vn_drift_numeric(a, 300, 1, b, 200, 1, &cfg, &x, NULL, 0) == VN_OK);
    CHECK(vn_drift_numeric(b, 200, 1, a, 300, 1, &cfg, &y, NULL, 0) == VN_OK);
    if (x && y) {
        const vn_drift_column *p = vn_drift_column_at(x, 0), *q = vn_drift_column_at(y, 0);
        CHECK(unit_same(p->ks, q->ks) && unit_same(p->ks_p, q->ks_p) && unit_same(p->wasserstein, q->wasserstein));
    }
    vn_drift_free(x);
    vn_drift_free(y);
    unlink(ref);
    unlink(cur);
}

/* Hand-derived values. */
static void hand(void)
{
    /* 10 reference values 1..10, B = 2: the cut is the 5th value, 5; bins (-inf, 5], (5, inf).
     * Current: 1, 2, 3, 8: 3/4 and 1/4 against 1/2 and 1/2.
     * psi = (3/4 - 1/2) ln(3/2) + (1/4 - 1/2) ln(1/2) = (1/4)(ln 1.5 + ln 2) = ln(3)/4. */
    const double ref[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, cur[] = {1, 2, 3, 8};
    vn_drift_config cfg;
    vn_drift_config_init(&cfg);
    cfg.bins = 2;
    vn_drift *d = NULL;
    CHECK(vn_drift_numeric(ref, 10, 1, cur, 4, 1, &cfg, &d, NULL, 0) == VN_OK);
    const vn_drift_column *c = d ? vn_drift_column_at(d, 0) : NULL;
    if (c) {
        CHECKF(unit_close(c->psi, log(3.0) / 4.0, 1e-15), "psi %.17g", c->psi);
        CHECK(c->bins == 2);
        /* KS: ECDF gaps; at 3 the current is at 3/4, the reference at 3/10: D = 0.45 */
        CHECKF(unit_close(c->ks, 0.45, 1e-15), "ks %.17g", c->ks);
        CHECK(strcmp(c->ks_method, "exact") == 0);
        /* W1 = ∫|F - G|: from 1..3 gaps 0.4, 0.55 (cur 1/4,1/2,3/4 vs 1/10,2/10,3/10 ->
         * 0.15, 0.3, 0.45 on [1,2), [2,3), [3,4)), then 0.35, 0.25, 0.15, 0.05 on [4,8) and
         * 1 - 0.8 = 0.2, 0.1 on [8,9), [9,10): sum 0.15+0.3+0.45+0.35+0.25+0.15+0.05+0.2+0.1 */
        CHECKF(unit_close(c->wasserstein, 2.0, 1e-15), "w1 %.17g", c->wasserstein);
        CHECK(c->test == VN_DRIFT_KS); /* 10 reference values <= 1000 */
    }
    vn_drift_free(d);
    /* a constant reference: wasserstein is not normed; drift when the current differs */
    const double k5[] = {5, 5, 5, 5}, k6[] = {5, 6, 5};
    vn_drift_config_init(&cfg);
    cfg.test = VN_DRIFT_WASSERSTEIN;
    CHECK(vn_drift_numeric(k5, 4, 1, k6, 3, 1, &cfg, &d, NULL, 0) == VN_OK);
    c = d ? vn_drift_column_at(d, 0) : NULL;
    CHECK(c && isnan(c->wasserstein_normed) && c->drift == 1 && *c->note);
    vn_drift_free(d);
    CHECK(vn_drift_numeric(k5, 4, 1, k5, 2, 1, &cfg, &d, NULL, 0) == VN_OK);
    c = d ? vn_drift_column_at(d, 0) : NULL;
    CHECK(c && c->drift == 0);
    vn_drift_free(d);
    /* columns in one file only, a capped text column, all-missing */
    char ref_p[] = "/tmp/vn_drift_ref_XXXXXX", cur_p[] = "/tmp/vn_drift_cur_XXXXXX";
    close(mkstemp(ref_p));
    close(mkstemp(cur_p));
    write_file(ref_p, "id,x,only_ref,gone\na1,1,2,\na2,2,3,\na3,3,4,\n");
    write_file(cur_p, "gone,x,only_cur,id\n,2,1,b1\n,3,1,b2\n,4,1,b3\n");
    vn_drift_config_init(&cfg);
    cfg.max_values = 4;
    char err[300];
    CHECK(vn_drift_run(ref_p, cur_p, &cfg, &d, err, sizeof err) == VN_OK);
    if (d) {
        CHECK(vn_drift_column_count(d) == 3);
        CHECK(strcmp(vn_drift_column_at(d, 0)->name, "id") == 0 &&
              strcmp(vn_drift_column_at(d, 0)->kind, "skipped") == 0); /* 6 ids > 4 values */
        CHECK(strcmp(vn_drift_column_at(d, 2)->name, "gone") == 0 && vn_drift_column_at(d, 2)->drift == -1);
        CHECK(vn_drift_column_at(d, 2)->ref_missing == 3);
        bool ref_note = false, cur_note = false;
        for (size_t i = 0; i < vn_drift_note_count(d); i++) {
            ref_note = ref_note || strstr(vn_drift_note(d, i), "\"only_ref\" is only in the reference");
            cur_note = cur_note || strstr(vn_drift_note(d, i), "\"only_cur\" is only in the current");
        }
        CHECK(ref_note && cur_note);
        CHECK(vn_drift_summary(d)->tested == 1);
    }
    vn_drift_free(d);
    /* usage errors */
    vn_drift_config_init(&cfg);
    cfg.bins = 1;
    CHECK(vn_drift_run(ref_p, cur_p, &cfg, &d, err, sizeof err) == VN_ERR_USAGE && !d);
    vn_drift_config_init(&cfg);
    CHECK(vn_drift_run("-", "-", &cfg, &d, err, sizeof err) == VN_ERR_USAGE);
    CHECK(vn_drift_run("/nonexistent/x.csv", cur_p, &cfg, &d, err, sizeof err) == VN_ERR_IO);
    vn_drift_stat s;
    CHECK(vn_drift_stat_parse("js", &s) == VN_OK && s == VN_DRIFT_JS);
    CHECK(vn_drift_stat_parse("nope", &s) == VN_ERR_USAGE);
    unlink(ref_p);
    unlink(cur_p);
}

static void alloc_failures(void)
{
    char ref[] = "/tmp/vn_drift_ref_XXXXXX", cur[] = "/tmp/vn_drift_cur_XXXXXX";
    close(mkstemp(ref));
    close(mkstemp(cur));
    make_files(ref, cur, 21, 300);
    vn_set_allocator(hook, NULL);
    for (int mode = 0; mode < 2; mode++) {
        vn_drift_config cfg;
        vn_drift_config_init(&cfg);
        if (mode) {
            cfg.stats = BINNED;
            cfg.max_collect = 8; /* several refining passes */
        }
        calls = 0;
        fail_at = -1;
        vn_drift *d = NULL;
        char err[300];
        CHECK(vn_drift_run(ref, cur, &cfg, &d, err, sizeof err) == VN_OK);
        vn_drift_free(d);
        const long total = calls;
        long bad = 0, nomem = 0;
        for (long k = 1; k <= total; k++) {
            calls = 0;
            live = 0;
            fail_at = k;
            d = NULL;
            const vn_status st = vn_drift_run(ref, cur, &cfg, &d, err, sizeof err);
            nomem += st == VN_ERR_NOMEM;
            if (st == VN_ERR_NOMEM && (d || strcmp(err, "out of memory") != 0))
                bad++;
            if (st != VN_OK && st != VN_ERR_NOMEM)
                bad++;
            vn_drift_free(d);
            if (live != 0)
                bad++;
        }
        fail_at = -1;
        printf("  drift (%s): %ld allocations, each failed once: %ld runs reported NOMEM\n",
               mode ? "streamed" : "in memory", total, nomem);
        CHECKF(bad == 0, "%ld runs leaked or misreported", bad);
    }
    vn_set_allocator(NULL, NULL);
    unlink(ref);
    unlink(cur);
}

int main(void)
{
    RUN(distributions);
    RUN(streamed_equals_memory);
    RUN(symmetry);
    RUN(hand);
    RUN(alloc_failures);
    return unit_summary("drift");
}
