/*
 * bench/inmem.c — the battery through vernier's C API on arrays already in memory.
 *
 *     inmem FILE [-y y] [-p yhat] [--threads N] [--metrics LIST] [--zero eps|nan|skip]
 *
 * Built by bench/run.py with the Makefile's flags against build/libvernier.a. Loads the
 * y and yhat columns of a plain CSV (header, comma-separated, unquoted numbers) into two
 * double arrays with strtod (not timed), then times, with clock_gettime(CLOCK_MONOTONIC),
 * exactly what an embedding program pays for the battery:
 *
 *     vn_eval_new + vn_eval_update (all rows in one call) + vn_eval_finish
 *
 * for the default battery (vn_default_metrics()) unless --metrics says otherwise, with
 * --threads N worker threads (default 1, the library's default). Prints one JSON
 * document: {"tool", "rows", "threads", "metrics", "seconds", "values": {key: value or
 * null}, "reasons": {key: reason}} (values at full precision, %.17g).
 * This is the counterpart of numpy_battery.py's "battery only" time.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vernier.h"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "inmem: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The whole file, NUL-terminated. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf)
            die("out of memory", NULL);
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
    }
    if (ferror(f))
        die(path, "read error");
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* 0-based index of the header field equal to name, or die. */
static size_t column(const char *hdr, size_t hlen, const char *name)
{
    size_t col = 0;
    const size_t nlen = strlen(name);
    for (const char *p = hdr, *end = hdr + hlen; p <= end; col++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *fe = c ? c : end;
        if ((size_t)(fe - p) == nlen && memcmp(p, name, nlen) == 0)
            return col;
        if (!c)
            break;
        p = c + 1;
    }
    die("no such column in the header", name);
    return 0;
}

/* Loads columns ycol and pcol of the CSV text into *y and *p; returns the row count. */
static size_t load(const char *path, const char *ycol, const char *pcol, double **y, double **p)
{
    size_t len;
    char *buf = slurp(path, &len);
    char *end = buf + len;
    char *nl = memchr(buf, '\n', len);
    if (!nl)
        die(path, "no header line");
    size_t hlen = (size_t)(nl - buf);
    if (hlen && buf[hlen - 1] == '\r')
        hlen--;
    const size_t yc = column(buf, hlen, ycol), pc = column(buf, hlen, pcol);
    size_t cap = 1 << 16, n = 0, line = 1;
    double *ya = malloc(cap * sizeof *ya), *pa = malloc(cap * sizeof *pa);
    for (char *s = nl + 1; s < end; line++) {
        char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol)
            eol = end;
        if (eol == s || (eol == s + 1 && *s == '\r')) { /* blank line */
            s = eol + 1;
            continue;
        }
        if (n == cap) {
            cap *= 2;
            ya = realloc(ya, cap * sizeof *ya);
            pa = realloc(pa, cap * sizeof *pa);
        }
        if (!ya || !pa)
            die("out of memory", NULL);
        int got = 0;
        size_t col = 0;
        for (char *f = s; f <= eol && got < 2; col++) {
            if (col == yc || col == pc) {
                char *after;
                const double v = strtod(f, &after);
                if (after == f || (*after != ',' && *after != '\n' && *after != '\r' &&
                                   after != end)) {
                    fprintf(stderr, "inmem: %s:%zu: column %zu: not a number\n", path, line + 0,
                            col + 1);
                    exit(2);
                }
                (col == yc ? ya : pa)[n] = v;
                got++;
            }
            char *c = memchr(f, ',', (size_t)(eol - f));
            if (!c)
                break;
            f = c + 1;
        }
        if (got < 2) {
            fprintf(stderr, "inmem: %s:%zu: too few fields\n", path, line + 0);
            exit(2);
        }
        n++;
        s = eol + 1;
    }
    free(buf);
    *y = ya;
    *p = pa;
    return n;
}

static void print_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    const char *path = NULL, *ycol = "y", *pcol = "yhat", *metrics = NULL;
    int threads = 1;
    vn_zero_policy zero = VN_ZERO_NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-y") == 0 && v)
            ycol = argv[++i];
        else if (strcmp(a, "-p") == 0 && v)
            pcol = argv[++i];
        else if (strcmp(a, "--threads") == 0 && v)
            threads = atoi(argv[++i]);
        else if (strcmp(a, "--metrics") == 0 && v)
            metrics = argv[++i];
        else if (strcmp(a, "--zero") == 0 && v) {
            i++;
            zero = strcmp(v, "eps") == 0 ? VN_ZERO_EPS : strcmp(v, "skip") == 0 ? VN_ZERO_SKIP
                                                                                : VN_ZERO_NAN;
        } else if (a[0] == '-' || path)
            die("usage: inmem FILE [-y y] [-p yhat] [--threads N] [--metrics LIST] "
                "[--zero eps|nan|skip]", NULL);
        else
            path = a;
    }
    if (!path)
        die("usage: inmem FILE [-y y] [-p yhat] [--threads N] [--metrics LIST]", NULL);

    double *y, *p;
    const size_t n = load(path, ycol, pcol, &y, &p);

    /* ---- timed: plan, feed, finish ---- */
    const double t0 = now();
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics; /* NULL: vn_default_metrics() */
    cfg.zero_policy = zero;
    cfg.threads = threads;
    char err[512];
    vn_eval *ev;
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK)
        die("vn_eval_new", err);
    const vn_rows rows = {.n = n, .y = y, .y_stride = 1, .yhat = p, .yhat_stride = 1};
    if (vn_eval_update(ev, &rows) != VN_OK)
        die("vn_eval_update", vn_eval_errmsg(ev));
    vn_result *res;
    if (vn_eval_finish(ev, &res) != VN_OK)
        die("vn_eval_finish", vn_eval_errmsg(ev));
    const double t1 = now();
    /* ---- end of the timed part ---- */

    printf("{\n \"tool\": \"vernier C API\",\n \"version\": ");
    print_json_string(vn_version());
    printf(",\n \"rows\": %zu,\n \"threads\": %d,\n \"metrics\": ", n, threads);
    print_json_string(metrics ? metrics : vn_default_metrics());
    printf(",\n \"seconds\": %.9f,\n \"values\": {", t1 - t0);
    const size_t nm = vn_result_metric_count(res);
    for (size_t m = 0; m < nm; m++) {
        vn_value v;
        if (vn_result_get(res, 0, m, &v) != VN_OK)
            die("vn_result_get", NULL);
        printf("%s\n  ", m ? "," : "");
        print_json_string(vn_result_metric_key(res, m));
        if (isfinite(v.value))
            printf(": %.17g", v.value);
        else
            printf(": null");
    }
    printf("\n },\n \"reasons\": {");
    for (size_t m = 0; m < nm; m++) {
        vn_value v;
        vn_result_get(res, 0, m, &v);
        printf("%s\n  ", m ? "," : "");
        print_json_string(vn_result_metric_key(res, m));
        printf(": ");
        print_json_string(vn_reason_name(v.reason));
    }
    printf("\n }\n}\n");
    vn_result_free(res);
    vn_eval_free(ev);
    free(y);
    free(p);
    return 0;
}
