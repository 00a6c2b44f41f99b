/*
 * fuzz_csvpar.c — libFuzzer target: the parallel CSV reader (csvpar.c) against the
 * sequential one (csv.c), differentially, through the public API (vn_eval_csv).
 *
 * The same bytes are evaluated twice with the same options: as a plain file, which takes
 * the parallel path (csvpar.c, handing over to csv.c at the first chunk outside the
 * common case), and gzip-compressed, which csv.c always reads alone. This is the oracle
 * of tests/unit/test_csvpar.c (evaluate / compare_dialect), with fuzzed bytes and options.
 *
 * The first two bytes are the options; the rest is the file:
 *   byte 0: bit 0 the plain file on 2 threads (else 1; the gzip reference always on 1),
 *           bits 1-3 vn__par_chunk_bytes (the default 4 MiB, 1, 2, 3, 7, 16, 64, 4096 —
 *           raised to size/4096 so no input makes more than 4096 chunks, each of which
 *           may pread up to 64 KiB to find its last line break), bit 4 a weight column,
 *           bit 5 missing policy skip (else error), bit 6 a slice (--by) column,
 *           bit 7 prepend the header "y,yhat,w,seg,x" (with the chosen delimiter), else
 *           the file's own first line is the header, so header errors are fuzzed too;
 *   byte 1: bits 0-1 the delimiter ',' ';' TAB '|', bits 2-4 max_field (0 = 1 MiB, 1, 2,
 *           3, 7, 16, 64, 4096), bit 5 VN_TASK_BINARY (y must be 0 or 1), bit 6 columns
 *           named by 1-based index (y 1, yhat 2, w 3, seg 4) instead of by name, so any
 *           file's first columns are usable, bit 7 a custom metric reading input column x
 *           (one more numeric column for the parallel parser).
 * Content hashing is always on. Inputs over 64 KiB are skipped. Both files are removed
 * after each input.
 *
 * Checked (abort() on failure): both reads give the same status; the same error message
 * once the file name in front is stripped (the two paths have the same length, so a
 * message cut at its buffer's end is cut at the same place); no message is empty or
 * spans lines; on success the same JSON result (its "source" line dropped) and the same
 * rows_read, rows_missing, rows_zero_weight and data_hash.
 *
 * One documented difference is left out: a plain file that starts with the gzip magic is
 * read as gzip (csv.h: gzip is detected by its magic bytes 1f 8b; a lone 1f byte is a
 * truncated gzip stream), whereas its gzip-compressed copy decompresses to those bytes.
 * A raw file starting with 0x1f is therefore skipped.
 */
#include "csvpar.h"
#include "vernier.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzwrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { INPUT_MAX = 64 << 10, CHUNKS_MAX = 4096 };

static char path_plain[80], path_gz[80];

typedef struct opts {
    int threads;
    size_t chunk; /* 0: the library's default */
    int weighted, skip, sliced, by_index, binary, input_x;
    char delim;
    size_t max_field;
} opts;

typedef struct outcome {
    vn_status st;
    char msg[1024]; /* the error without the file name in front */
    char *json;     /* the result without its "source" line, then the input counts */
    size_t len;
} outcome;

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    const size_t w = n ? fwrite(p, 1, n, f) : 0;
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

/* A message is one non-empty line; on success the result and the counts as text. */
static void evaluate(const char *path, const opts *o, int threads, outcome *out)
{
    memset(out, 0, sizeof *out);
    const char *by[] = {o->by_index ? "4" : "seg"};
    vn_eval_config ec;
    vn_eval_config_init(&ec);
    ec.metrics = o->binary ? (o->input_x ? "count,roc_auc,log_loss,brier,mae,xe=mean(abs(e)*x)"
                                         : "count,roc_auc,log_loss,brier,mae")
                 : o->input_x ? "count,mae,rmse,mean_error,r2,medae,p90_abs_error,"
                                "p99_abs_error,smape,huber,mape,xe=mean(abs(e)*x)"
                              : "count,mae,rmse,mean_error,r2,medae,p90_abs_error,"
                                "p99_abs_error,smape,huber,mape";
    ec.threads = threads;
    ec.task = o->binary ? VN_TASK_BINARY : VN_TASK_REGRESSION;
    ec.by_count = o->sliced ? 1 : 0;
    ec.by_names = o->sliced ? by : NULL;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&ec, &ev, err, sizeof err) != VN_OK)
        abort(); /* the target's own configuration */
    vn_csv_config cc;
    vn_csv_config_init(&cc);
    cc.delimiter = o->delim;
    cc.header = 1;
    cc.missing = o->skip ? VN_MISSING_SKIP : VN_MISSING_ERROR;
    cc.y = o->by_index ? "1" : "y";
    cc.yhat = o->by_index ? "2" : "yhat";
    cc.weight = !o->weighted ? NULL : o->by_index ? "3" : "w";
    cc.by = o->sliced ? by : NULL;
    cc.max_field = o->max_field;
    cc.hash = 1;
    out->st = vn_eval_csv(ev, path, &cc);
    vn_result *res = NULL;
    if (out->st == VN_OK)
        out->st = vn_eval_finish(ev, &res);
    if (out->st != VN_OK) {
        const char *m = vn_eval_errmsg(ev);
        const size_t pl = strlen(path);
        snprintf(out->msg, sizeof out->msg, "%s", strncmp(m, path, pl) == 0 ? m + pl : m);
        if (!m[0] || strchr(m, '\n'))
            abort(); /* an error has a message, on one line */
        vn_eval_free(ev);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    const vn_status ws = vn_result_write(res, VN_FORMAT_JSON, f);
    if (fclose(f) != 0 || ws != VN_OK)
        abort();
    FILE *j = open_memstream(&out->json, &out->len);
    if (!j)
        abort();
    /* the line naming the file is left out (the names differ) */
    for (char *line = buf, *nl; line && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        if (!strstr(line, "\"source\""))
            fprintf(j, "%s\n", line);
    }
    const vn_input_info *in = vn_result_input(res);
    fprintf(j, "hash %s rows %llu missing %llu zero %llu\n", in->data_hash,
            (unsigned long long)in->rows_read, (unsigned long long)in->rows_missing,
            (unsigned long long)in->rows_zero_weight);
    if (fclose(j) != 0)
        abort();
    free(buf);
    vn_result_free(res);
    vn_eval_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > INPUT_MAX)
        return 0;
    if (!path_plain[0]) {
        const char *dir = getenv("TMPDIR");
        dir = dir && dir[0] && strlen(dir) < 32 ? dir : "/tmp";
        const long pid = (long)getpid();
        snprintf(path_plain, sizeof path_plain, "%s/vn-fuzz-csvpar-%ld.p", dir, pid);
        snprintf(path_gz, sizeof path_gz, "%s/vn-fuzz-csvpar-%ld.z", dir, pid);
    }
    static const size_t chunks[8] = {0, 1, 2, 3, 7, 16, 64, 4096};
    static const char delims[4] = {',', ';', '\t', '|'};
    static const size_t maxf[8] = {0, 1, 2, 3, 7, 16, 64, 4096};
    opts o;
    o.threads = (data[0] & 1) ? 2 : 1;
    o.chunk = chunks[(data[0] >> 1) & 7];
    o.weighted = (data[0] >> 4) & 1;
    o.skip = (data[0] >> 5) & 1;
    o.sliced = (data[0] >> 6) & 1;
    const int header = (data[0] >> 7) & 1;
    o.delim = delims[data[1] & 3];
    o.max_field = maxf[(data[1] >> 2) & 7];
    o.binary = (data[1] >> 5) & 1;
    o.by_index = (data[1] >> 6) & 1;
    o.input_x = (data[1] >> 7) & 1;

    const uint8_t *raw = data + 2;
    const size_t nraw = size - 2;
    if (!header && nraw > 0 && raw[0] == 0x1f)
        return 0; /* gzip's magic: read as gzip, not as the bytes (see above) */
    char hdr[32];
    const int hl = header ? snprintf(hdr, sizeof hdr, "y%cyhat%cw%cseg%cx\n", o.delim, o.delim,
                                     o.delim, o.delim)
                          : 0;
    const size_t n = (size_t)hl + nraw;
    unsigned char *body = malloc(n ? n : 1);
    if (!body)
        return 0;
    memcpy(body, hdr, (size_t)hl);
    if (nraw)
        memcpy(body + hl, raw, nraw);
    size_t gn = 0;
    unsigned char *gz = gzip_wrap(body, n, &gn);
    const int ok = gz && write_file(path_plain, body, n) == 0 && write_file(path_gz, gz, gn) == 0;
    free(gz);
    free(body);
    if (!ok) {
        unlink(path_plain);
        unlink(path_gz);
        return 0;
    }

    outcome ref, got;
    evaluate(path_gz, &o, 1, &ref);
    const size_t saved = vn__par_chunk_bytes;
    if (o.chunk) {
        const size_t least = (n + CHUNKS_MAX - 1) / CHUNKS_MAX;
        vn__par_chunk_bytes = o.chunk > least ? o.chunk : least;
    }
    evaluate(path_plain, &o, o.threads, &got);
    vn__par_chunk_bytes = saved;
    unlink(path_plain); /* a replay of a corpus leaves nothing behind */
    unlink(path_gz);

    const int same = got.st == ref.st && strcmp(got.msg, ref.msg) == 0 &&
                     (ref.st != VN_OK || (got.len == ref.len &&
                                          memcmp(got.json, ref.json, ref.len) == 0));
    if (!same) {
        fprintf(stderr, "fuzz_csvpar: plain (parallel) and gzip (sequential) differ\n"
                        "  plain: status %d %s\n%s  gzip:  status %d %s\n%s",
                (int)got.st, got.msg, got.json ? got.json : "", (int)ref.st, ref.msg,
                ref.json ? ref.json : "");
        abort();
    }
    free(ref.json);
    free(got.json);
    return 0;
}
