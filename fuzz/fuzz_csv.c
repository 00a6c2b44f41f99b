/*
 * fuzz_csv.c — libFuzzer target for the CSV/TSV reader (csv.c) under every dialect
 * option, and the number cells it hands to numparse.c.
 *
 * The first two bytes are the dialect; the rest is the file:
 *   byte 0: the delimiter — ',' '\t' ';' '|' ' ' for 0..4 (mod 8), 5 the byte itself
 *           (so '"', CR, LF and NUL reach the VN_ERR_USAGE check), 6 ':' , 7 'x';
 *   byte 1: bit 0 header on/off, bit 1 missing policy (error/skip), bits 2-4 max_field
 *           (0 = the default 1 MiB, 1, 2, 3, 7, 16, 64, 4096), bit 5 gzip-wrap the rest,
 *           bit 6 (with gzip) cut the gzip stream short, bit 7 content hashing on.
 * The file is written to a temporary file (the reader takes a path), opened and read to
 * the end or the first error. Checked beside the sanitizers' properties: every record
 * has the header's field count; each field is NUL-terminated at its length and holds no
 * NUL; lines and columns are >= 1 and lines never go back; an error is sticky, has a
 * status the header documents, and a one-line message; every numeric cell parses or
 * fails with a one-line message that names the file.
 */
#include "csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzwrap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void one_line(const char *msg)
{
    if (!msg || !msg[0] || strchr(msg, '\n'))
        abort();
}

static int write_file(const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    const size_t w = n ? fwrite(p, 1, n, f) : 0;
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > (1u << 20))
        return 0;
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/vn-fuzz-csv-%ld", dir && strlen(dir) < 32 ? dir : "/tmp",
                 (long)getpid());
    }
    static const char delims[8] = {',', '\t', ';', '|', ' ', 0, ':', 'x'};
    static const size_t maxf[8] = {0, 1, 2, 3, 7, 16, 64, 4096};
    vn__csv_opts o = {0};
    o.delim = (data[0] & 7) == 5 ? (char)data[0] : delims[data[0] & 7];
    o.header = data[1] & 1;
    const vn_missing missing = (data[1] & 2) ? VN_MISSING_SKIP : VN_MISSING_ERROR;
    o.max_field = maxf[(data[1] >> 2) & 7];
    o.hash = (data[1] >> 7) & 1;
    const uint8_t *body = data + 2;
    size_t n = size - 2;
    int ok;
    if (data[1] & 0x20) {
        size_t gn = 0;
        unsigned char *gz = gzip_wrap(body, n, &gn);
        if (!gz)
            return 0;
        if ((data[1] & 0x40) && gn > 1)
            gn = 1 + (n * 7919u) % (gn - 1); /* cut somewhere inside the stream */
        ok = write_file(gz, gn);
        free(gz);
    } else {
        ok = write_file(body, n);
    }
    if (ok != 0)
        return 0;

    char err[512] = "";
    vn__csv *r = NULL;
    const vn_status st = vn__csv_open(path, &o, &r, err, sizeof err);
    if (st != VN_OK) {
        if (r)
            abort();
        if (st != VN_ERR_IO && st != VN_ERR_DATA && st != VN_ERR_USAGE && st != VN_ERR_NOMEM)
            abort();
        one_line(err);
        return 0;
    }
    const size_t ncols = vn__csv_ncols(r);
    if (ncols == 0)
        abort();
    if (o.header)
        for (size_t i = 0; i < ncols; i++)
            if (!vn__csv_colname(r, i))
                abort();
    /* Column names and cells are quoted in messages; csv.c escapes control bytes in
     * them (the two crash-*-newline-* inputs of the corpus were multi-line before). */
    size_t col = 0;
    if (o.header && vn__csv_find_column(r, vn__csv_colname(r, ncols - 1), "actual", &col, err,
                                        sizeof err) != VN_OK)
        one_line(err);
    if (vn__csv_find_column(r, "1", "prediction", &col, err, sizeof err) != VN_OK)
        one_line(err);
    if (vn__csv_find_column(r, "no such column", "weight", &col, err, sizeof err) != VN_OK)
        one_line(err); /* (a header may well have that name: then VN_OK) */

    uint64_t last_line = 0, records = 0;
    vn_status s;
    for (;;) {
        int got = 0;
        s = vn__csv_next(r, &got);
        if (s != VN_OK || !got)
            break;
        records++;
        if (vn__csv_records(r) != records)
            abort();
        const uint64_t line = vn__csv_line(r);
        if (line < 1 || line < last_line)
            abort();
        last_line = line;
        for (size_t i = 0; i < ncols; i++) {
            size_t len = 0;
            const char *f = vn__csv_field(r, i, &len);
            if (!f || f[len] != '\0' || strlen(f) != len)
                abort();
            if (o.max_field && len > o.max_field)
                abort();
            if (vn__csv_field_line(r, i) < line || vn__csv_field_col(r, i) < 1)
                abort();
            double v = 0.0;
            const int k = vn__csv_number(r, i, "actual", "y", missing, &v, err, sizeof err);
            if (k < 0)
                one_line(err);
        }
    }
    if (s != VN_OK) {
        if (s != VN_ERR_DATA && s != VN_ERR_IO && s != VN_ERR_NOMEM)
            abort();
        one_line(vn__csv_errmsg(r));
        int got = 1;
        if (vn__csv_next(r, &got) != s)
            abort(); /* errors are sticky */
    }
    (void)vn__csv_hash(r);
    vn__csv_free(r);
    return 0;
}
