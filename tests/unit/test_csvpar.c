/*
 * test_csvpar.c — the parallel CSV reader (csvpar.c) and the |e|-only row store against
 * the sequential paths they replace.
 *
 * Oracle: the same bytes gzip-compressed, which csv.c always reads sequentially, and,
 * for quantiles, a sorted copy with numpy's type-7 arithmetic. Every file is read with
 * chunk sizes from 1 byte up (so a chunk boundary falls at every offset: inside numbers,
 * inside CRLF pairs, on blank lines, inside a quoted field) on 1 and 2 threads; the
 * results must be the same bits, the same counts and, for bad input, the same message
 * at the same line and column.
 */
#include "unit.h"

#include "vernier.h"
#include "csvpar.h"
#include "kernels.h"
#include "numparse.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>


typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char *tmp = NULL;
    va_list ap;
    va_start(ap, fmt);
    const int n = vasprintf(&tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    sb_put(b, tmp, (size_t)n);
    free(tmp);
}

static void tmp_write(char path[64], const char *data, size_t n, int gz)
{
    snprintf(path, 64, "/tmp/vn_test_par_XXXXXX");
    const int fd = mkstemp(path);
    if (fd < 0)
        abort();
    if (gz) {
        close(fd);
        gzFile g = gzopen(path, "wb");
        if (!g || (n && gzwrite(g, data, (unsigned)n) != (int)n) || gzclose(g) != Z_OK)
            abort();
        return;
    }
    for (size_t at = 0; at < n;) {
        const ssize_t w = write(fd, data + at, n - at);
        if (w <= 0)
            abort();
        at += (size_t)w;
    }
    close(fd);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A number in one of many spellings (all parse to finite values). */
static void number(sbuf *b)
{
    const double u = (double)(next() >> 11) * 0x1p-53;
    switch (next() % 9) {
    case 0: sb_printf(b, "%d", (int)(next() % 2000) - 1000); break;
    case 1: sb_printf(b, "%.4f", 500 * u - 100); break;
    case 2: sb_printf(b, "%.17g", u * 1e6); break;
    case 3: sb_printf(b, "%.3e", (u - 0.5) * 1e-5); break;
    case 4: sb_printf(b, "%.22f", u); break; /* more than 19 digits: the exact parser */
    case 5: sb_printf(b, "-0.%04d", (int)(next() % 10000)); break;
    case 6: sb_printf(b, "+%.2f", u * 10); break;
    case 7: sb_printf(b, "%.1fE+2", u); break;
    default: sb_printf(b, "0000%.6g", u); break;
    }
}

typedef struct dialect {
    const char *eol;
    int blank_lines, missing, quotes, bom, no_final_eol, weights, utf8, spaces;
    char delim;   /* 0: ',' */
    int seg_last; /* the columns y, yhat, note, seg: the slice value ends the record */
} dialect;

/* y,yhat[,w],seg,note rows in the given dialect. */
static void make_file(sbuf *b, size_t rows, const dialect *d)
{
    const char dl = d->delim ? d->delim : ',';
    if (d->bom)
        sb_put(b, "\xEF\xBB\xBF", 3);
    sb_printf(b, "y%cyhat%s%c%s%c%s%s", dl, d->weights ? (dl == ',' ? ",w" : "\tw") : "", dl,
              d->seg_last ? "note" : "seg", dl, d->seg_last ? "seg" : "note", d->eol);
    /* slice values: ASCII and UTF-8; short (one word: 8 bytes or fewer), exactly 8 and 9
     * bytes, long; empty */
    static const char *segs[] = {"a", "b", "c\xC3\xA9", "dd", "a b", "12345678", "123456789",
                                 "a much longer slice value", "", "\xC3\xA9t\xC3\xA9 2026"};
    for (size_t i = 0; i < rows; i++) {
        if (d->blank_lines && next() % 17 == 0)
            sb_printf(b, "%s", d->eol);
        if (d->missing && next() % 23 == 0)
            sb_printf(b, "%s", next() % 2 ? "" : "NaN");
        else
            number(b);
        sb_put(b, &dl, 1);
        if (d->spaces && next() % 29 == 0)
            sb_put(b, " 1.5 ", 5);
        else
            number(b);
        if (d->weights)
            sb_printf(b, "%c%s", dl, next() % 13 == 0 ? "0" : "2.5");
        const char *seg = segs[next() % (d->utf8 ? 10 : 2)];
        if (!d->seg_last)
            sb_printf(b, "%c%s%c", dl, seg, dl);
        else
            sb_put(b, &dl, 1);
        if (d->quotes && i == rows / 2)
            sb_printf(b, "\"quoted%c%s with a break\"", dl, d->eol);
        else
            sb_printf(b, "n%zu", i);
        if (d->seg_last)
            sb_printf(b, "%c%s", dl, seg);
        if (!(d->no_final_eol && i + 1 == rows))
            sb_printf(b, "%s", d->eol);
    }
}

typedef struct outcome {
    vn_status st;
    char msg[512]; /* the error without the file name */
    sbuf json;     /* the result without the input's name */
} outcome;

static size_t max_field; /* vn_csv_config.max_field of evaluate() (0: the default) */

static void evaluate(const char *path, const dialect *d, int threads, outcome *o)
{
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    ec.metrics = "count,mae,rmse,mean_error,r2,medae,p90_abs_error,p99_abs_error,smape,huber";
    ec.threads = threads;
    const char *by[] = {"seg"};
    ec.by_count = 1;
    ec.by_names = by;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&ec, &ev, err, sizeof err) != VN_OK)
        abort();
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.y = "y";
    cc.yhat = "yhat";
    cc.weight = d->weights ? "w" : NULL;
    cc.by = by;
    cc.missing = d->missing ? VN_MISSING_SKIP : VN_MISSING_ERROR;
    cc.hash = 1;
    cc.max_field = max_field;
    cc.delimiter = d->delim;
    memset(o, 0, sizeof *o);
    o->st = vn_eval_csv(ev, path, &cc);
    if (o->st != VN_OK) {
        const char *m = vn_eval_errmsg(ev);
        const size_t pl = strlen(path);
        snprintf(o->msg, sizeof o->msg, "%s", strncmp(m, path, pl) == 0 ? m + pl : m);
        vn_eval_free(ev);
        return;
    }
    vn_result *res = NULL;
    if (vn_eval_finish(ev, &res) != VN_OK)
        abort();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vn_result_write(res, VN_FORMAT_JSON, f);
    fclose(f);
    /* drop the line naming the file (and the data hash, checked apart) */
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "\"source\""))
            sb_printf(&o->json, "%s\n", line);
    const vn_input_info *in = vn_result_input(res);
    sb_printf(&o->json, "hash %s rows %llu missing %llu zero %llu\n", in->data_hash,
              (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
              (unsigned long long)in->rows_zero_weight);
    free(buf);
    vn_result_free(res);
    vn_eval_free(ev);
}

static void compare_dialect(const char *name, size_t rows, const dialect *d, int expect_ok)
{
    sbuf b = {0};
    make_file(&b, rows, d);
    char plain[64], gz[64];
    tmp_write(plain, b.s, b.n, 0);
    tmp_write(gz, b.s, b.n, 1);
    outcome ref, got;
    evaluate(gz, d, 1, &ref);
    CHECKF((ref.st == VN_OK) == expect_ok, "%s: reference status %d: %s", name, ref.st, ref.msg);
    static const size_t chunks[] = {1, 2, 3, 5, 7, 11, 16, 31, 64, 97, 256, 1000, 4096, 4099, 6007, 1 << 22};
    const size_t saved = vn__par_chunk_bytes;
    int bad = 0;
    /* (tiny chunks of a long file each read 64 KB ahead: the short files cover them) */
    for (size_t c = rows > 1000 ? 9 : 0; c < sizeof chunks / sizeof *chunks; c++)
        for (int t = 1; t <= 4; t++) { /* threads 1 and 2, each read and mapped */
            vn__par_chunk_bytes = chunks[c];
            vn__par_map = t > 2;
            evaluate(plain, d, 2 - t % 2, &got);
            const int same = got.st == ref.st && strcmp(got.msg, ref.msg) == 0 &&
                             (ref.st != VN_OK || strcmp(got.json.s, ref.json.s) == 0);
            if (!same && bad++ < 3)
                fprintf(stderr, "%s: chunk %zu threads %d map %d: status %d vs %d\n  %s\n  %s\n",
                        name, chunks[c], 2 - t % 2, vn__par_map, got.st, ref.st,
                        got.st ? got.msg : "(ok)", ref.st ? ref.msg : "(ok)");
            CHECK(same);
            free(got.json.s);
        }
    vn__par_chunk_bytes = saved;
    vn__par_map = 1;
    free(ref.json.s);
    free(b.s);
    unlink(plain);
    unlink(gz);
}

static void test_dialects(void)
{
    const dialect lf = {"\n", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    compare_dialect("lf", 300, &lf, 1);
    const dialect crlf = {"\r\n", 1, 0, 0, 1, 0, 0, 1, 0, 0, 0};
    compare_dialect("crlf+blank+bom+utf8", 300, &crlf, 1);
    const dialect miss = {"\n", 1, 1, 0, 0, 1, 1, 0, 1, 0, 0};
    compare_dialect("missing+noeol+weights+spaces", 300, &miss, 1);
    const dialect quoted = {"\n", 0, 0, 1, 0, 0, 1, 1, 0, 0, 0};
    compare_dialect("quoted field mid-file (resume)", 300, &quoted, 1);
    const dialect quoted_crlf = {"\r\n", 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    compare_dialect("everything", 300, &quoted_crlf, 1);
    const dialect empty = {"\n", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    compare_dialect("header only", 0, &empty, 0);
    /* tab-separated: the delimiter is one of the bytes the structural parser's "odd" mask
     * would otherwise flag; and 3,000 rows, so that the mapped chunks meet far more
     * records than the 64 KB they look ahead */
    const dialect tsv = {"\n", 1, 1, 0, 0, 1, 1, 0, 1, '\t', 0};
    compare_dialect("tab-separated", 300, &tsv, 1);
    compare_dialect("lf, 3000 rows", 3000, &lf, 1);
    const dialect tsv_crlf = {"\r\n", 0, 0, 0, 0, 0, 1, 1, 0, '\t', 0};
    compare_dialect("tab-separated crlf, 3000 rows", 3000, &tsv_crlf, 1);
    /* the slice value last, before CRLF: the CR is not part of it */
    const dialect last = {"\r\n", 1, 1, 0, 0, 1, 1, 1, 0, 0, 1};
    compare_dialect("slice value last, crlf", 1000, &last, 1);
    const dialect last_lf = {"\n", 0, 0, 0, 0, 0, 0, 1, 0, 0, 1};
    compare_dialect("slice value last, lf", 1000, &last_lf, 1);
}

/* Bad input between many good chunks: the same message, line and column as csv.c, or
 * the same result where csv.c reads the record. The odd record sits in the middle of the
 * file, where the structural parser meets it (the last 64 bytes of a chunk are parsed a
 * byte at a time). */
static void test_errors(void)
{
    static const struct {
        const char *s;
        size_t n;   /* 0: strlen */
        int expect; /* 1 ok, 0 an error, -1 whichever csv.c says */
        int odd;    /* a byte the structural parser's masks flag, in a field it skips */
    } bad[] = {
        {"1,2,a,x\n3,4,b,y\n5,abc,a,z\n", 0, 0, 0},    /* not a number */
        {"1,2,a,x\n3,4,b\n5,6,a,z\n", 0, 0, 0},        /* too few fields */
        {"1,2,a,x\n3,4,b,y,extra\n5,6,a,z\n", 0, 0, 0}, /* too many fields */
        {"1,2,a,x\n3,4,b,y,\n5,6,a,z\n", 0, 0, 0},     /* a trailing delimiter */
        {"1,2,a,x\n3,,b,y\n5,6,a,z\n", 0, 0, 0},       /* missing under the error policy */
        {"1,2,a,x\n3,4,b,\"open\n5,6,a,z\n", 0, 0, 0}, /* a quote left open */
        {"1,2,a,x\n3,4,b,y\r5,6,a,z\n", 0, 1, 0},      /* a bare CR ends a line: valid */
        {"1,2,a,x\n3,4,b,y\rz\n", 0, 0, 1},         /* ... so here "z" is a short record */
        {"1,2,a,x\n3,4,b,y\0z\n5,6,a,z\n", 24, -1, 1}, /* a NUL inside a field */
        {"1,2,a,x\n3,4,b,y\"z\n5,6,a,z\n", 0, -1, 1},  /* a quote inside a field */
        {"1,2,a,x\n3,4,\"b\",y\n5,6,a,z\n", 0, 1, 0},  /* a quoted slice value */
        {"1,2,a,x\n3,4,b\t,y\n5,6,a,z\n", 0, -1, 0},   /* a tab inside a slice value */
        {"1,2,a,x\n 3,4,b,y\n5,6,a,z\n", 0, -1, 0},    /* a space before a number */
        {"1,2,a,x\n3,1e999,b,y\n", 0, 0, 0},           /* out of range */
        {"1,2,\xff\xfe,x\n", 0, 0, 0},                 /* a slice value that is not UTF-8 */
        {"1,2,\xc3\xa9,x\n", 0, 1, 0},                 /* one that is */
    };
    /* each case, then the ones with a byte the masks flag moved through every offset of
     * the 64-byte windows (a pad of 0..63 bytes before them) */
    const size_t ncase = sizeof bad / sizeof *bad;
    for (int crlf = 0; crlf < 2; crlf++) /* each file again with CRLF line breaks */
    for (size_t i = 0, shift = 0; i < ncase; shift < 63 && bad[i].odd ? shift++ : (shift = 0, i++)) {
        if (crlf && shift)
            continue;
        sbuf b = {0};
        sb_printf(&b, "y,yhat,seg,note\n");
        for (int r = 0; r < 200; r++)
            sb_printf(&b, "%d.5,%d.25,%s,n\n", r, r + 1, r % 3 ? "a" : "b");
        sb_printf(&b, "1,2,a,%.*s\n", (int)shift,
                  "0123456789012345678901234567890123456789012345678901234567890123");
        sb_put(&b, bad[i].s, bad[i].n ? bad[i].n : strlen(bad[i].s));
        for (int r = 0; r < 200; r++)
            sb_printf(&b, "%d.5,-%d.25,%s,n\n", r, r + 1, r % 5 ? "a" : "c");
        if (crlf) {
            sbuf c = {0};
            for (size_t k = 0; k < b.n; k++)
                sb_put(&c, b.s[k] == '\n' ? "\r\n" : b.s + k, b.s[k] == '\n' ? 2 : 1);
            free(b.s);
            b = c;
        }
        char plain[64], gz[64];
        tmp_write(plain, b.s, b.n, 0);
        tmp_write(gz, b.s, b.n, 1);
        const dialect d = {"\n", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        outcome ref, got;
        evaluate(gz, &d, 1, &ref);
        CHECKF(bad[i].expect < 0 || (ref.st == VN_OK) == bad[i].expect || crlf,
               "case %zu: status %d", i, ref.st);
        const size_t saved = vn__par_chunk_bytes;
        static const size_t chunks[] = {1, 4, 13, 40, 121, 364, 4096, 1 << 22};
        for (size_t c = shift ? 12 : 0; c < 2 * sizeof chunks / sizeof *chunks; c++) {
            vn__par_chunk_bytes = chunks[c / 2];
            vn__par_map = c % 2;
            evaluate(plain, &d, 2, &got);
            CHECKF(got.st == ref.st && strcmp(got.msg, ref.msg) == 0 &&
                       (ref.st != VN_OK || strcmp(got.json.s, ref.json.s) == 0),
                   "case %zu%s shift %zu chunk %zu map %d: \"%s\" vs \"%s\"", i,
                   crlf ? " crlf" : "", shift, chunks[c / 2], vn__par_map, got.msg, ref.msg);
            free(got.json.s);
        }
        vn__par_map = 1;
        vn__par_chunk_bytes = saved;
        free(ref.json.s);
        free(b.s);
        unlink(plain);
        unlink(gz);
    }
}

/* A number the fast path could convert but longer than max_field (a long exponent):
 * the same error as the sequential reader's, at max_field 64 (where the parallel reader
 * skips its own length check of fast numbers) and at 20; and a field over 20 bytes, last
 * or not, in a record the structural parser takes (shorter than 64 bytes). */
static void test_max_field(void)
{
    for (int v = 0; v < 3; v++) {
        sbuf b = {0};
        sb_printf(&b, "y,yhat,seg,note\n");
        for (int r = 0; r < 50; r++)
            sb_printf(&b, "%d.5,%d.25,a,n\n", r, r + 1);
        if (v == 0) { /* a fast number of 72 bytes */
            sb_printf(&b, "1.5,2e");
            for (int i = 0; i < 70; i++)
                sb_put(&b, "0", 1);
            sb_printf(&b, "1,a,n\n");
        } else if (v == 1) { /* a record shorter than 64 bytes with a last field of 22 */
            sb_printf(&b, "1.5,2.5,a,n23456789012345678901\n");
        } else { /* ... and with a slice value of 24, not last */
            sb_printf(&b, "1.5,2.5,a23456789012345678901234,n\n");
        }
        for (int r = 0; r < 50; r++)
            sb_printf(&b, "%d.5,%d.25,a,n\n", r, r + 1);
        char plain[64], gz[64];
        tmp_write(plain, b.s, b.n, 0);
        tmp_write(gz, b.s, b.n, 1);
        const dialect d = {"\n", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        const size_t limits[] = {64, 20, 0};
        for (size_t l = 0; l < 3; l++) {
            max_field = limits[l];
            outcome ref, got;
            evaluate(gz, &d, 1, &ref);
            evaluate(plain, &d, 2, &got);
            const int fails = v == 0 ? limits[l] != 0 : limits[l] == 20;
            CHECKF(ref.st == (fails ? VN_ERR_DATA : VN_OK), "case %d max_field %zu: status %d",
                   v, limits[l], ref.st);
            CHECKF(got.st == ref.st && strcmp(got.msg, ref.msg) == 0 &&
                       (ref.st != VN_OK || strcmp(got.json.s, ref.json.s) == 0),
                   "case %d max_field %zu: \"%s\" vs \"%s\"", v, limits[l], got.msg, ref.msg);
            free(ref.json.s);
            free(got.json.s);
        }
        max_field = 0;
        free(b.s);
        unlink(plain);
        unlink(gz);
    }
}

/* The parallel reader alone on a clean file: it must read to the end itself (a chunk
 * that ends in the wrong place would hand the rest to csv.c, and the results above would
 * still agree), every value the bits strtod gives its text, every row's key right. */
typedef struct collect {
    const double *want_y, *want_p;
    const int *want_key;
    size_t at, wrong;
} collect;

static vn_status collect_sink(void *ctx, const vn__par_chunk *c)
{
    collect *k = ctx;
    for (size_t i = 0; i < c->n; i++, k->at++) {
        const char *key = c->keys[c->key[i]];
        const int kid = key[0] == 's' ? atoi(key + 1) : -1;
        if (!unit_same(c->col[0][i], k->want_y[k->at]) ||
            !unit_same(c->col[1][i], k->want_p[k->at]) || kid != k->want_key[k->at])
            k->wrong++;
    }
    return VN_OK;
}

static void test_reader_alone(void)
{
    const size_t rows = 20000;
    double *y = malloc(rows * sizeof *y), *p = malloc(rows * sizeof *p);
    int *key = malloc(rows * sizeof *key);
    sbuf b = {0};
    sb_printf(&b, "y,yhat,seg\n");
    const size_t start = b.n;
    for (size_t i = 0; i < rows; i++) {
        sbuf t = {0};
        number(&t);
        y[i] = strtod(t.s, NULL);
        sb_printf(&b, "%s,", t.s);
        t.n = 0;
        number(&t);
        p[i] = strtod(t.s, NULL);
        key[i] = (int)(next() % 25);
        sb_printf(&b, "%s,s%d\n", t.s, key[i]);
        free(t.s);
    }
    char path[64];
    tmp_write(path, b.s, b.n, 0);
    const int fd = open(path, O_RDONLY);
    static const size_t chunks[] = {4096, 6007, 65536, 1 << 22};
    const size_t saved = vn__par_chunk_bytes, keycol = 2;
    for (size_t c = 0; c < 4 * sizeof chunks / sizeof *chunks; c++) {
        vn__par_chunk_bytes = chunks[c / 4];
        vn__par_map = c % 2;
        const vn__par_spec sp = {.fd = fd, .size = b.n, .start = start, .line = 2, .ncols = 3,
                                 .delim = ',', .max_field = 1 << 20, .nnum = 2, .num = {0, 1},
                                 .weight = -1, .nkey = 1, .key = &keycol,
                                 .threads = 1 + (int)(c / 2 % 2)};
        collect k = {y, p, key, 0, 0};
        vn__par_end end;
        char err[128];
        const vn_status st = vn__par_read(&sp, collect_sink, &k, &end, err, sizeof err);
        CHECKF(st == VN_OK && end.complete && k.at == rows && k.wrong == 0,
               "chunk %zu map %d: status %d, complete %d, %zu rows, %zu wrong", chunks[c / 4],
               vn__par_map, st, end.complete, k.at, k.wrong);
    }
    vn__par_chunk_bytes = saved;
    vn__par_map = 1;
    close(fd);
    unlink(path);
    free(b.s);
    free(y);
    free(p);
    free(key);
}

/* ---- quantiles of |e| kept alone, and the radix selection of large arrays ---- */

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's linear percentile on a sorted copy (the arithmetic of select.c's contract). */
static double type7_sorted(const double *s, size_t n, double q)
{
    const double h = (double)(n - 1) * q;
    if (h >= (double)(n - 1))
        return q == 0.5 ? vn__median_numpy(s[n - 1], s[n - 1], false)
                        : vn__lerp_numpy(s[n - 1], s[n - 1], h + 1.0);
    const size_t lo = (size_t)floor(h);
    if (q == 0.5)
        return vn__median_numpy(s[lo], s[lo + 1], n % 2 == 0);
    return vn__lerp_numpy(s[lo], s[lo + 1], h - floor(h));
}

static void test_radix_quantiles(void)
{
    const size_t n = 200003;
    double *x = malloc(n * sizeof *x), *s = malloc(n * sizeof *s);
    const double qs[] = {0, 0.001, 0.25, 0.5, 0.5, 0.9, 0.95, 0.99, 0.999999, 1};
    for (int kind = 0; kind < 6; kind++) {
        for (size_t i = 0; i < n; i++) {
            const double u = (double)(next() >> 11) * 0x1p-53;
            switch (kind) {
            case 0: x[i] = u; break;                              /* uniform */
            case 1: x[i] = (u - 0.5) * 1e300; break;              /* both signs, huge */
            case 2: x[i] = (double)(next() % 7); break;           /* heavy ties */
            case 3: x[i] = u < 0.5 ? 0.0 : -0.0; break;           /* signed zeros only */
            case 4: x[i] = pow(u, 8) * 1e-300; break;             /* subnormals */
            default: x[i] = 1.0 / (u + 1e-12); break;             /* heavy tail */
            }
        }
        memcpy(s, x, n * sizeof *x);
        qsort(s, n, sizeof *s, cmp_d);
        double out[10];
        vn__quantiles_type7(x, n, qs, 10, out);
        for (int j = 0; j < 10; j++) {
            const double want = type7_sorted(s, n, qs[j]);
            CHECKF(out[j] == want, "kind %d q %g: %.17g vs %.17g", kind, qs[j], out[j], want);
        }
        /* the sum of the k largest squares */
        for (size_t i = 0; i < n; i++)
            x[i] = fabs(s[i]);
        const size_t k = n / 100;
        double *sq = malloc(n * sizeof *sq);
        for (size_t i = 0; i < n; i++)
            sq[i] = x[i] * x[i];
        const double want = vn__top_k_sum(sq, n, k), got = vn__top_k_sumsq(x, n, k);
        CHECKF(unit_close(got, want, 1e-15) || (isinf(got) && isinf(want)),
               "kind %d top-k: %.17g vs %.17g", kind, got, want);
        free(sq);
    }
    free(x);
    free(s);
}

/* medae alone keeps |e|; with spearman it keeps the rows: the same quantiles, from
 * memory in pieces of every size, weighted and not. */
static void test_abs_only_store(void)
{
    const size_t n = 70001;
    double *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p), *w = malloc(n * sizeof *w);
    for (size_t i = 0; i < n; i++) {
        y[i] = (double)(next() % 1000) / 8;
        p[i] = y[i] + (double)(int)(next() % 41 - 20) / 4;
        w[i] = (double)(next() % 4);
    }
    for (int weighted = 0; weighted < 2; weighted++) {
        double vals[2][4];
        for (int store = 0; store < 2; store++) {
            vn_eval_config ec;
            vn_eval_config_init(&ec);
            ec.metrics = store ? "medae,p90_abs_error,p99_abs_error,mae,spearman_rho"
                               : "medae,p90_abs_error,p99_abs_error,mae";
            ec.threads = 2;
            vn_eval *ev;
            char err[200];
            if (vn_eval_new(&ec, &ev, err, sizeof err) != VN_OK)
                abort();
            for (size_t at = 0, step = 1; at < n; at += step, step = step * 3 + 1) {
                const size_t m = n - at < step ? n - at : step;
                const vn_rows r = {m, y + at, 1, p + at, 1, weighted ? w + at : NULL, 1, NULL};
                CHECK(vn_eval_update(ev, &r) == VN_OK);
            }
            vn_result *res;
            CHECK(vn_eval_finish(ev, &res) == VN_OK);
            for (size_t m = 0; m < 4; m++) {
                vn_value v;
                vn_result_get(res, 0, m, &v);
                vals[store][m] = v.value;
            }
            vn_result_free(res);
            vn_eval_free(ev);
        }
        for (int m = 0; m < 4; m++)
            CHECKF(unit_same(vals[0][m], vals[1][m]), "weighted %d metric %d: %.17g vs %.17g",
                   weighted, m, vals[0][m], vals[1][m]);
    }
    free(y);
    free(p);
    free(w);
}

/* The structural parser's byte classes, both versions (SSE2 where the build has it, and
 * the portable one), against a byte loop, for delimiters among and apart from the bytes
 * below 0x23. */
static void test_classify(void)
{
    static const unsigned char pick[] = {',', '\t', ';', '|', ' ', '\n', '\r', '"', 0, '!',
                                         0x22, 0x23, 0x1F, 0x7F, 0x80, 0xFF, 0xA2, 0x8A,
                                         '0', '9', '.', '-', 'e', 'a'};
    static const unsigned char delims[] = {',', '\t', ';', '|', ' ', 0x22 - 1};
    unsigned char b[64];
    size_t wrong = 0;
    for (int i = 0; i < 200000; i++) {
        for (size_t j = 0; j < 64; j++)
            b[j] = next() % 4 ? pick[next() % sizeof pick] : (unsigned char)next();
        const unsigned char dl = delims[i % sizeof delims];
        uint64_t want[3] = {0, 0, 0}, got[6];
        for (size_t j = 0; j < 64; j++) {
            want[0] |= (uint64_t)(b[j] == dl) << j;
            want[1] |= (uint64_t)(b[j] == '\n') << j;
            want[2] |= (uint64_t)(b[j] < 0x23 && b[j] != dl && b[j] != '\n') << j;
        }
        vn__par_classify(b, dl, got);
        for (int k = 0; k < 6; k++)
            wrong += got[k] != want[k % 3];
    }
    CHECKF(wrong == 0, "%zu masks differ from the byte loop", wrong);
}

/* The inline conversion against the exact parser, bit for bit, on every spelling the
 * generator knows and on random digit strings around the fast path's limits. */
static void test_fast_numbers(void)
{
    size_t fast = 0, total = 0, wrong = 0;
    char buf[64];
    for (int i = 0; i < 2000000; i++) {
        sbuf b = {0};
        if (i % 2)
            number(&b);
        else { /* sign, up to 21 digits with a point anywhere, maybe an exponent */
            const int nd = 1 + (int)(next() % 21), pt = (int)(next() % (nd + 1));
            if (next() % 3 == 0)
                sb_put(&b, next() % 2 ? "-" : "+", 1);
            for (int d = 0; d < nd; d++) {
                if (d == pt && next() % 2)
                    sb_put(&b, ".", 1);
                sb_printf(&b, "%d", (int)(next() % 10));
            }
            if (next() % 4 == 0)
                sb_printf(&b, "e%d", (int)(next() % 61) - 30);
        }
        snprintf(buf, sizeof buf, "%s", b.s);
        free(b.s);
        double v = 0, w = 0;
        const size_t n = strlen(buf);
        total++;
        if (!vn__par_number(buf, n, &v))
            continue;
        fast++;
        const vn__num r = vn__parse_double(buf, n, &w);
        if (!(r == VN__NUM_OK && unit_same(v, w)) && wrong++ < 5)
            fprintf(stderr, "\"%s\": %.17g vs %.17g\n", buf, v, w);
    }
    CHECKF(wrong == 0, "%zu of %zu fast conversions differ from vn__parse_double", wrong, fast);
    CHECKF(fast > total / 2, "the fast path took %zu of %zu", fast, total);
    /* the edges: 19 and 20 digits, 2^53 and 2^53 + 1, exponents at +-22 and beyond */
    static const char *const edge[] = {
        "9007199254740992", "9007199254740993", "1234567890123456789", "12345678901234567890",
        "1e22", "1e23", "1e-22", "1e-23", "0.0000000000000000000000001", "-0", "-0.0e5",
        "123456789012345678.9", "4.9e-324", "1.7976931348623157e308", "0e99999", ".5", "5.",
    };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        double v = 0, w = 0;
        const vn__num r = vn__parse_double(edge[i], strlen(edge[i]), &w);
        if (vn__par_number(edge[i], strlen(edge[i]), &v))
            CHECKF(r == VN__NUM_OK && unit_same(v, w), "\"%s\": %.17g vs %.17g", edge[i], v, w);
    }
}

int main(void)
{
    RUN(test_classify);
    RUN(test_fast_numbers);
    RUN(test_max_field);
    RUN(test_dialects);
    RUN(test_reader_alone);
    RUN(test_errors);
    RUN(test_radix_quantiles);
    RUN(test_abs_only_store);
    return unit_summary("csvpar");
}
