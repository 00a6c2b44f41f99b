/*
 * csv.c — the CSV/TSV record reader (contract and policies in csv.h).
 *
 * Input comes through zlib's gz* API, which reads plain files as they are and inflates
 * gzip (detected by its magic bytes), so one code path serves both. The reader pulls
 * VN_CSV_BLOCK bytes at a time into `buf`. Runs of ordinary bytes are found with a
 * byte-class table (one lookup per byte, whatever the delimiter).
 *
 * Two parsers share the work. fast_record takes the common record — unquoted fields on
 * one line, wholly inside the current block — in place: it overwrites each delimiter and
 * the line break with a NUL and points the fields into `buf`, copying nothing.
 * Everything else (quotes, a record that crosses a block boundary, the last record
 * without a line break, every error) goes to parse_record, a byte-at-a-time state
 * machine that copies each field into `fb`, the record buffer, followed by a NUL.
 * Copying is what lets a record span any number of refills (multi-line quoted fields,
 * fields longer than a block) without keeping old blocks alive. Either way every byte
 * is looked at a bounded number of times, so the work is linear in the input.
 *
 * Positions: `line` is the 1-based line of the byte at `pos`, and `line_start` the
 * absolute offset of that line's first byte, so a column is one subtraction. LF, CRLF
 * and a bare CR each end a line, inside quotes too; `after_cr` remembers that the last
 * byte consumed was a CR, so the LF of a CRLF split across two blocks is not counted
 * twice. The UTF-8 BOM is not part of line 1 (the header's first byte is column 1).
 */
#include "csv.h"
#include "hash.h"

#include "internal.h"
#include "numparse.h"

#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Bytes read per gzread. Tests rebuild with a tiny block (-DVN_CSV_BLOCK=7) to put a
 * block boundary at every offset of their inputs. */
#ifndef VN_CSV_BLOCK
#define VN_CSV_BLOCK (1u << 20)
#endif
_Static_assert(VN_CSV_BLOCK >= 4 && VN_CSV_BLOCK <= INT_MAX / 2,
               "VN_CSV_BLOCK must hold a BOM and fit gzread's int");

#define GZ_BUFFER (256u << 10)            /* zlib's own buffer (gzbuffer) */
#define DEFAULT_MAX_FIELD ((size_t)1 << 20) /* opts->max_field == 0 */

typedef struct field_pos {
    char *ptr;     /* the field's bytes, NUL-terminated (in buf or fb) */
    size_t len;
    size_t off;    /* while parse_record builds the field: its offset in fb */
    uint64_t line; /* where the field starts in the input */
    uint64_t col;
} field_pos;

struct vn__csv {
    gzFile gz;
    char *name; /* display name for messages */
    char delim;
    int header;
    size_t max_field;
    /* 1 for the bytes that end a run of plain data: outside quotes (delimiter, quote,
     * CR, LF, NUL) and inside quotes (quote, CR, LF, NUL). */
    unsigned char stop_plain[256];
    unsigned char stop_quoted[256];

    /* input block: buf[pos..end) is unread; buf[0] is at absolute offset base */
    unsigned char *buf;
    size_t pos, end;
    uint64_t base;
    int eof; /* no more gzread calls (end of input, or an error was reported) */
    int hashing;
    vn__hash hash;

    uint64_t line;       /* line of buf[pos] */
    uint64_t line_start; /* absolute offset of that line's first byte */
    int after_cr;        /* the last byte consumed was a CR */

    /* the current record: in place in buf (fast_record) or copied into fb, fields back
     * to back, each followed by a NUL (parse_record) */
    char *fb;
    size_t fb_len, fb_cap;
    field_pos *fp;
    size_t nf, fp_cap;
    uint64_t rec_line;

    size_t ncols;
    char *hdr;        /* the header's fields, NUL-separated (header == 1) */
    size_t *hdr_off;  /* offsets of the names in hdr */
    int pending;      /* header == 0: the first record is loaded but not yet returned */
    uint64_t nrec;    /* data records returned */
    vn_status failed; /* sticky: every later call returns it */
    char err[512];
};

/* ---- errors ---- */

static vn_status fail(vn__csv *r, vn_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static vn_status fail(vn__csv *r, vn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->failed = st;
    r->eof = 1;
    return st;
}

/* VN_ERR_DATA with "FILE:LINE:COL: " in front of the message. */
static vn_status fail_at(vn__csv *r, uint64_t line, uint64_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static vn_status fail_at(vn__csv *r, uint64_t line, uint64_t col, const char *fmt, ...)
{
    vn__fmt(r->err, sizeof r->err, "%s:%llu:%llu: ", r->name, (unsigned long long)line,
            (unsigned long long)col);
    const size_t n = strlen(r->err);
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(r->err + n, sizeof r->err - n, fmt, ap);
    va_end(ap);
    r->failed = VN_ERR_DATA;
    r->eof = 1;
    return VN_ERR_DATA;
}

static vn_status fail_nomem(vn__csv *r)
{
    return fail(r, VN_ERR_NOMEM, "%s: out of memory", r->name);
}

/* 1-based column of buf[at]. */
static uint64_t col_of(const vn__csv *r, size_t at) { return r->base + at - r->line_start + 1; }

/* ---- input ---- */

/* gzread into dst. Returns the byte count (> 0), 0 at the end of input, or -1 after
 * reporting an error. zlib signals a gzip stream cut short only through gzerror
 * (Z_BUF_ERROR, a "soft" error gzread does not return -1 for), so it is checked
 * whenever gzread comes back empty. */
static int gz_read(vn__csv *r, unsigned char *dst, unsigned len)
{
    if (r->eof)
        return 0;
    errno = 0;
    const int n = gzread(r->gz, dst, len);
    const int saved_errno = errno;
    if (n > 0) {
        if (r->hashing)
            vn__hash_update(&r->hash, dst, (size_t)n);
        return n;
    }
    int errnum = Z_OK;
    const char *msg = gzerror(r->gz, &errnum);
    r->eof = 1;
    if (n == 0 && errnum == Z_OK)
        return 0;
    if (errnum == Z_BUF_ERROR)
        fail(r, VN_ERR_DATA, "%s: unexpected end of gzip stream (truncated file?)", r->name);
    else if (errnum == Z_ERRNO)
        fail(r, VN_ERR_IO, "%s: read error: %s", r->name,
             strerror(saved_errno ? saved_errno : EIO));
    else if (errnum == Z_MEM_ERROR)
        fail_nomem(r);
    else
        fail(r, VN_ERR_DATA, "%s: corrupt gzip stream: %s", r->name, msg ? msg : "unknown error");
    return -1;
}

/* Makes buf[pos] readable: 1 if it is, 0 at the end of input, -1 on error. */
static int more(vn__csv *r)
{
    if (r->pos < r->end)
        return 1;
    r->base += r->end;
    r->pos = r->end = 0;
    const int n = gz_read(r, r->buf, VN_CSV_BLOCK);
    if (n > 0)
        r->end = (size_t)n;
    return n > 0 ? 1 : n;
}

/* ---- the record buffer ---- */

/* Appends n bytes to field f (which starts at fb[f->off]), keeping room for its NUL. */
static vn_status field_append(vn__csv *r, const field_pos *f, const void *p, size_t n)
{
    if (r->fb_len - f->off + n > r->max_field)
        return fail_at(r, f->line, f->col, "field longer than %zu bytes", r->max_field);
    if (r->fb_len + n + 1 > r->fb_cap &&
        !vn__grow((void **)&r->fb, &r->fb_cap, r->fb_len + n + 1, 1))
        return fail_nomem(r);
    memcpy(r->fb + r->fb_len, p, n);
    r->fb_len += n;
    return VN_OK;
}

/* Starts a field at the current position. */
static vn_status field_begin(vn__csv *r)
{
    if (r->nf == r->fp_cap && !vn__grow((void **)&r->fp, &r->fp_cap, r->nf + 1, sizeof *r->fp))
        return fail_nomem(r);
    if (r->fb_len + 1 > r->fb_cap && !vn__grow((void **)&r->fb, &r->fb_cap, r->fb_len + 1, 1))
        return fail_nomem(r);
    field_pos *f = &r->fp[r->nf++];
    f->off = r->fb_len;
    f->line = r->line;
    f->col = col_of(r, r->pos);
    return VN_OK;
}

/* Ends the current field with its NUL (room for it is always kept). */
static void field_end(vn__csv *r)
{
    field_pos *f = &r->fp[r->nf - 1];
    f->len = r->fb_len - f->off;
    r->fb[r->fb_len++] = '\0';
}

/* ---- the parser ---- */

/* A line break at buf[pos] (CR or LF): consumes it and counts the line. */
static void take_newline(vn__csv *r)
{
    const unsigned char c = r->buf[r->pos++];
    if (c == '\r' || !r->after_cr)
        r->line++;
    r->after_cr = c == '\r';
    r->line_start = r->base + r->pos;
}

/* Reads a quoted field; pos is at the opening quote. On return the field is complete and
 * *end_rec tells whether the record ended with it (line break or end of input). */
static vn_status parse_quoted(vn__csv *r, int *end_rec)
{
    const size_t fi = r->nf - 1;
    r->pos++;
    for (;;) {
        int rc = more(r);
        if (rc < 0)
            return r->failed;
        if (rc == 0)
            return fail_at(r, r->fp[fi].line, r->fp[fi].col, "unterminated quoted field");
        const unsigned char *p = r->buf + r->pos;
        const unsigned char *const e = r->buf + r->end;
        const unsigned char *q = p;
        while (q < e && !r->stop_quoted[*q])
            q++;
        if (q > p) {
            VN_TRY(field_append(r, &r->fp[fi], p, (size_t)(q - p)));
            r->pos += (size_t)(q - p);
            r->after_cr = 0;
            if (q == e)
                continue;
        }
        const unsigned char c = *q;
        if (c == '\r' || c == '\n') {
            VN_TRY(field_append(r, &r->fp[fi], q, 1));
            take_newline(r);
            continue;
        }
        if (c == '\0')
            return fail_at(r, r->line, col_of(r, r->pos), "NUL byte in input");
        /* a quote: doubled (data) or closing */
        const uint64_t qline = r->line, qcol = col_of(r, r->pos);
        r->pos++;
        r->after_cr = 0;
        rc = more(r);
        if (rc < 0)
            return r->failed;
        if (rc == 0) {
            *end_rec = 1;
            return VN_OK;
        }
        const unsigned char n = r->buf[r->pos];
        if (n == '"') {
            VN_TRY(field_append(r, &r->fp[fi], "\"", 1));
            r->pos++;
            continue;
        }
        if (n == (unsigned char)r->delim) {
            r->pos++;
            *end_rec = 0;
            return VN_OK;
        }
        if (n == '\r' || n == '\n') {
            take_newline(r);
            *end_rec = 1;
            return VN_OK;
        }
        if (n == '\0')
            return fail_at(r, r->line, col_of(r, r->pos), "NUL byte in input");
        return fail_at(r, qline, qcol, "unexpected character after closing quote");
    }
}

/* Reads an unquoted field (possibly empty); same contract as parse_quoted. */
static vn_status parse_plain(vn__csv *r, int *end_rec)
{
    const size_t fi = r->nf - 1;
    for (;;) {
        const int rc = more(r);
        if (rc < 0)
            return r->failed;
        if (rc == 0) {
            *end_rec = 1;
            return VN_OK;
        }
        const unsigned char *p = r->buf + r->pos;
        const unsigned char *const e = r->buf + r->end;
        const unsigned char *q = p;
        while (q < e && !r->stop_plain[*q])
            q++;
        if (q > p) {
            VN_TRY(field_append(r, &r->fp[fi], p, (size_t)(q - p)));
            r->pos += (size_t)(q - p);
            if (q == e)
                continue;
        }
        const unsigned char c = *q;
        if (c == (unsigned char)r->delim) {
            r->pos++;
            *end_rec = 0;
            return VN_OK;
        }
        if (c == '\r' || c == '\n') {
            take_newline(r);
            *end_rec = 1;
            return VN_OK;
        }
        if (c == '"')
            return fail_at(r, r->line, col_of(r, r->pos), "bare quote in unquoted field");
        return fail_at(r, r->line, col_of(r, r->pos), "NUL byte in input");
    }
}

/* The common record, taken without copying: unquoted fields on one line, all inside the
 * current block. Its fields stay in buf, each delimiter and the line break overwritten
 * by a NUL. Returns 1 if it took the record; 0 leaves everything as it was for
 * parse_record (a quote or a NUL, the block's end, a field over max_field). */
static int fast_record(vn__csv *r)
{
    unsigned char *const buf = r->buf;
    const unsigned char *const stop = r->stop_plain;
    const unsigned char delim = (unsigned char)r->delim;
    const size_t end = r->end;
    const uint64_t line = r->line;
    const uint64_t col0 = r->base - r->line_start + 1; /* col of buf[i] is col0 + i */
    field_pos *fp = r->fp;
    size_t p = r->pos, s = p, nf = 0;
    unsigned char c;
    for (;;) {
        while (p < end && !stop[buf[p]])
            p++;
        if (p == end)
            return 0;
        c = buf[p];
        if ((c != delim && c != '\n' && c != '\r') || p - s > r->max_field)
            return 0;
        if (nf == r->fp_cap) {
            if (!vn__grow((void **)&r->fp, &r->fp_cap, nf + 1, sizeof *r->fp))
                return 0; /* parse_record runs into the same failure and reports it */
            fp = r->fp;
        }
        fp[nf].ptr = (char *)buf + s;
        fp[nf].len = p - s;
        fp[nf].line = line;
        fp[nf].col = col0 + s;
        nf++;
        if (c != delim)
            break;
        s = ++p;
    }
    for (size_t i = 0; i < nf; i++)
        fp[i].ptr[fp[i].len] = '\0';
    r->nf = nf;
    r->pos = p + 1;
    r->line = line + 1;
    r->after_cr = c == '\r';
    r->line_start = r->base + r->pos;
    return 1;
}

/* Reads the next record, skipping blank lines. *got = 0 at the end of input. */
static vn_status parse_record(vn__csv *r, int *got)
{
    *got = 0;
    r->fb_len = 0;
    r->nf = 0;
    for (;;) {
        const int rc = more(r);
        if (rc < 0)
            return r->failed;
        if (rc == 0)
            return VN_OK;
        const unsigned char c = r->buf[r->pos];
        if (c != '\r' && c != '\n')
            break;
        take_newline(r);
    }
    r->after_cr = 0;
    r->rec_line = r->line;
    if (fast_record(r)) {
        *got = 1;
        return VN_OK;
    }
    int end_rec = 0;
    while (!end_rec) {
        VN_TRY(field_begin(r));
        if (r->pos < r->end && r->buf[r->pos] == '"')
            VN_TRY(parse_quoted(r, &end_rec));
        else
            VN_TRY(parse_plain(r, &end_rec));
        field_end(r);
        /* After a delimiter that ended a block, refill now, so that a quote opening the
         * next field is seen as one (at the end of input the next field is empty). */
        if (!end_rec && more(r) < 0)
            return r->failed;
    }
    for (size_t i = 0; i < r->nf; i++)
        r->fp[i].ptr = r->fb + r->fp[i].off;
    *got = 1;
    return VN_OK;
}

/* ---- opening ---- */

static const char *bom_encoding(const unsigned char *b, size_t n)
{
    if (n >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0)
        return "UTF-32LE";
    if (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
        return "UTF-32BE";
    if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        return "UTF-16LE";
    if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        return "UTF-16BE";
    return NULL;
}

/* Opens the stream, checks the encoding, strips a UTF-8 BOM, reads the first record. */
static vn_status start(vn__csv *r, const char *path, int is_stdin)
{
    if (is_stdin) {
        const int fd = dup(0);
        if (fd < 0)
            return fail(r, VN_ERR_IO, "%s: cannot open: %s", r->name, strerror(errno));
        r->gz = gzdopen(fd, "rb");
        if (!r->gz) {
            close(fd);
            return fail(r, VN_ERR_NOMEM, "%s: cannot open: out of memory", r->name);
        }
    } else {
        errno = 0;
        r->gz = gzopen(path, "rb");
        if (!r->gz) {
            if (errno == 0)
                return fail(r, VN_ERR_NOMEM, "%s: cannot open: out of memory", r->name);
            return fail(r, VN_ERR_IO, "%s: cannot open: %s", r->name, strerror(errno));
        }
    }
    gzbuffer(r->gz, GZ_BUFFER);

    /* The first block, at least 4 bytes of it unless the input is shorter. */
    while (r->end < 4) {
        const int n = gz_read(r, r->buf + r->end, (unsigned)(VN_CSV_BLOCK - r->end));
        if (n < 0)
            return r->failed;
        if (n == 0)
            break;
        r->end += (size_t)n;
    }
    /* zlib reads a file that does not start with the gzip magic as plain data, so a
     * gzip file cut after its first byte would pass for a one-byte CSV. */
    if (r->end == 1 && r->buf[0] == 0x1f && gzdirect(r->gz))
        return fail(r, VN_ERR_DATA, "%s: unexpected end of gzip stream (truncated file?)",
                    r->name);
    const char *enc = bom_encoding(r->buf, r->end);
    if (enc)
        return fail_at(r, 1, 1, "unsupported encoding %s (convert to UTF-8)", enc);
    if (r->end >= 3 && r->buf[0] == 0xEF && r->buf[1] == 0xBB && r->buf[2] == 0xBF) {
        r->pos = 3;
        r->line_start = 3;
    }

    int got = 0;
    VN_TRY(parse_record(r, &got));
    if (!got)
        return fail(r, VN_ERR_DATA, "%s: empty input (no header)", r->name);
    r->ncols = r->nf;
    if (!r->header) {
        r->pending = 1;
        return VN_OK;
    }
    size_t total = 0;
    for (size_t i = 0; i < r->nf; i++)
        total += r->fp[i].len + 1;
    r->hdr = vn__malloc(total);
    r->hdr_off = vn__malloc(r->nf * sizeof *r->hdr_off);
    if (!r->hdr || !r->hdr_off)
        return fail_nomem(r);
    total = 0;
    for (size_t i = 0; i < r->nf; i++) {
        r->hdr_off[i] = total;
        memcpy(r->hdr + total, r->fp[i].ptr, r->fp[i].len + 1);
        total += r->fp[i].len + 1;
    }
    return VN_OK;
}

vn_status vn__csv_open(const char *path, const vn__csv_opts *opts, vn__csv **out,
                       char *errbuf, size_t errlen)
{
    static const vn__csv_opts defaults = {',', 1, 0, 0};
    VN_RETURN_IF(!out, VN_ERR_USAGE, "csv: no output handle");
    *out = NULL;
    VN_RETURN_IF(!path, VN_ERR_USAGE, "csv: no path");
    if (!opts)
        opts = &defaults;
    const char d = opts->delim;
    VN_RETURN_IF(d == '"' || d == '\r' || d == '\n' || d == '\0', VN_ERR_USAGE,
                 "%s: invalid delimiter (a quote, CR, LF or NUL)", path);

    const int is_stdin = strcmp(path, "-") == 0;
    vn__csv *r = vn__calloc(1, sizeof *r);
    VN_RETURN_IF(!r, VN_ERR_NOMEM, "%s: out of memory", path);
    r->name = vn__strdup(is_stdin ? "<stdin>" : path);
    r->buf = vn__malloc(VN_CSV_BLOCK);
    if (!r->name || !r->buf) {
        vn__csv_free(r);
        vn__fmt(errbuf, errlen, "%s: out of memory", path);
        return VN_ERR_NOMEM;
    }
    r->delim = d;
    r->header = opts->header != 0;
    r->max_field = opts->max_field ? opts->max_field : DEFAULT_MAX_FIELD;
    r->hashing = opts->hash != 0;
    vn__hash_init(&r->hash);
    r->line = 1;
    r->stop_plain[(unsigned char)d] = 1;
    r->stop_plain['"'] = r->stop_plain['\r'] = r->stop_plain['\n'] = r->stop_plain[0] = 1;
    r->stop_quoted['"'] = r->stop_quoted['\r'] = r->stop_quoted['\n'] = r->stop_quoted[0] = 1;

    const vn_status st = start(r, path, is_stdin);
    if (st != VN_OK) {
        vn__fmt(errbuf, errlen, "%s", r->err);
        vn__csv_free(r);
        return st;
    }
    *out = r;
    return VN_OK;
}

void vn__csv_free(vn__csv *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz); /* its status repeats what reading reported */
    vn__free(r->name);
    vn__free(r->buf);
    vn__free(r->fb);
    vn__free(r->fp);
    vn__free(r->hdr);
    vn__free(r->hdr_off);
    vn__free(r);
}

/* ---- reading ---- */

vn_status vn__csv_next(vn__csv *r, int *got)
{
    *got = 0;
    if (r->failed)
        return r->failed;
    if (r->pending) {
        r->pending = 0;
        r->nrec++;
        *got = 1;
        return VN_OK;
    }
    int have = 0;
    VN_TRY(parse_record(r, &have));
    if (!have)
        return VN_OK;
    if (r->nf != r->ncols)
        return fail_at(r, r->rec_line, 1, "record has %zu fields, expected %zu (%s has %zu)",
                       r->nf, r->ncols, r->header ? "header" : "first record", r->ncols);
    r->nrec++;
    *got = 1;
    return VN_OK;
}

const char *vn__csv_name(const vn__csv *r) { return r->name; }
size_t vn__csv_ncols(const vn__csv *r) { return r->ncols; }

const char *vn__csv_colname(const vn__csv *r, size_t i)
{
    if (!r->hdr || i >= r->ncols)
        return NULL;
    return r->hdr + r->hdr_off[i];
}

const char *vn__csv_field(const vn__csv *r, size_t i, size_t *len)
{
    if (i >= r->nf) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->fp[i].len;
    return r->fp[i].ptr;
}

uint64_t vn__csv_line(const vn__csv *r) { return r->rec_line; }
uint64_t vn__csv_field_line(const vn__csv *r, size_t i) { return i < r->nf ? r->fp[i].line : 0; }
uint64_t vn__csv_field_col(const vn__csv *r, size_t i) { return i < r->nf ? r->fp[i].col : 0; }
uint64_t vn__csv_records(const vn__csv *r) { return r->nrec; }
const char *vn__csv_errmsg(const vn__csv *r) { return r->err; }

uint64_t vn__csv_hash(const vn__csv *r) { return r->hashing ? vn__hash_final(&r->hash) : 0; }

/* ---- column lookup and cells, for the readers of eval.c and compare.c ---- */

static vn_status errorf(char *errbuf, size_t errlen, vn_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Keeps a message on one line: control bytes that came from the data (a header name
 * or a cell holding a line break, an escape sequence) are written as \n, \r, \t or
 * \xNN, truncating at the buffer's end. */
static void one_line(char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    char tmp[1024];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)buf; *p && o + 5 < sizeof tmp; p++) {
        const unsigned c = *p;
        if (c >= 0x20 && c != 0x7f) {
            tmp[o++] = (char)c;
            continue;
        }
        tmp[o++] = '\\';
        if (c == '\n' || c == '\r' || c == '\t') {
            tmp[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            static const char hex[] = "0123456789abcdef";
            tmp[o++] = 'x';
            tmp[o++] = hex[c >> 4];
            tmp[o++] = hex[c & 15];
        }
    }
    tmp[o] = '\0';
    vn__fmt(buf, len, "%s", tmp);
}

static vn_status errorf(char *errbuf, size_t errlen, vn_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(errbuf, errlen, fmt, ap);
    va_end(ap);
    one_line(errbuf, errlen);
    return st;
}

/* Resolves a column given by name or by 1-based index. */
vn_status vn__csv_find_column(const vn__csv *r, const char *spec, const char *role, size_t *col,
                              char *errbuf, size_t errlen)
{
    const size_t nc = vn__csv_ncols(r);
    size_t hits = 0, first = 0, second = 0;
    for (size_t i = 0; i < nc; i++) {
        const char *name = vn__csv_colname(r, i);
        if (name && strcmp(name, spec) == 0) {
            if (hits == 0)
                first = i;
            else if (hits == 1)
                second = i;
            hits++;
        }
    }
    if (hits > 1)
        return errorf(errbuf, errlen, VN_ERR_DATA,
                    "%s: column name \"%s\" is ambiguous (columns %zu and %zu); name it by its "
                    "1-based index instead",
                    vn__csv_name(r), spec, first + 1, second + 1);
    if (hits == 1) {
        *col = first;
        return VN_OK;
    }
    const size_t n = strspn(spec, "0123456789");
    if (n > 0 && n < 10 && spec[n] == '\0') {
        const unsigned long k = strtoul(spec, NULL, 10);
        if (k >= 1 && k <= nc) {
            *col = k - 1;
            return VN_OK;
        }
        return errorf(errbuf, errlen, VN_ERR_DATA, "%s: %s column %lu is out of range (the file has %zu columns)",
                    vn__csv_name(r), role, k, nc);
    }
    if (!vn__csv_colname(r, 0))
        return errorf(errbuf, errlen, VN_ERR_DATA,
                    "%s: %s column \"%s\": the file has no header (--no-header), so name columns "
                    "by 1-based index",
                    vn__csv_name(r), role, spec);
    char list[256] = "";
    size_t at = 0;
    for (size_t i = 0; i < nc && at + 4 < sizeof list; i++) {
        const int k = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "",
                               vn__csv_colname(r, i));
        at = k < 0 ? at : at + (size_t)k;
    }
    if (at >= sizeof list)
        memcpy(list + sizeof list - 5, "...", 4);
    return errorf(errbuf, errlen, VN_ERR_DATA, "%s: no %s column \"%s\" (columns: %s)", vn__csv_name(r), role,
                spec, list);
}

/* Checks that s[0..n) is valid UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF). */
bool vn__utf8_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        const unsigned c = s[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += k + 1;
    }
    return true;
}

/* Parses numeric field col of the current record into *out. Returns 1 with a value,
 * 0 when the cell is missing and the policy is skip, -1 on error (message in errbuf). */
int vn__csv_number(const vn__csv *r, size_t col, const char *role, const char *colname,
                   vn_missing missing, double *out, char *errbuf, size_t errlen)
{
    size_t len;
    const char *f = vn__csv_field(r, col, &len);
    const vn__num k = vn__parse_double(f, len, out);
    if (k == VN__NUM_OK)
        return 1;
    const unsigned long long line = (unsigned long long)vn__csv_field_line(r, col);
    const unsigned long long at = (unsigned long long)vn__csv_field_col(r, col);
    if ((k == VN__NUM_EMPTY || k == VN__NUM_NONFINITE) && missing == VN_MISSING_SKIP)
        return 0;
    const int show = len > 40 ? 40 : (int)len;
    if (k == VN__NUM_EMPTY || k == VN__NUM_NONFINITE)
        vn__fmt(errbuf, errlen, "%s:%llu:%llu: %s column \"%s\": %s (use --missing skip to drop such rows)",
             vn__csv_name(r), line, at, role, colname,
             k == VN__NUM_EMPTY ? "missing value (empty cell)" : "not a finite number");
    else
        vn__fmt(errbuf, errlen, "%s:%llu:%llu: %s column \"%s\": %s: \"%.*s%s\"", vn__csv_name(r),
             line, at, role, colname,
             k == VN__NUM_RANGE ? "number out of range for double precision" : "not a number",
             show, f, (size_t)show < len ? "..." : "");
    one_line(errbuf, errlen);
    return -1;
}

bool vn__csv_data_start(const vn__csv *r, uint64_t *offset, uint64_t *line)
{
    if (!r->header || r->pending || r->nrec || r->failed || !r->gz || !gzdirect(r->gz) ||
        strcmp(r->name, "<stdin>") == 0)
        return false;
    *offset = r->base + r->pos;
    *line = r->line;
    if (r->after_cr) { /* the header ended in CR: the data starts after its LF, if any */
        if (r->pos >= r->end || r->buf[r->pos] != '\n')
            return false; /* (not read yet, or a bare CR: the sequential reader) */
        return r->line_start == (*offset)++;
    }
    return r->line_start == *offset;
}

vn_status vn__csv_seek(vn__csv *r, uint64_t offset, uint64_t line, const vn__hash *hash,
                       uint64_t records)
{
    if (r->failed)
        return r->failed;
    if (gzseek(r->gz, (z_off_t)offset, SEEK_SET) < 0)
        return fail(r, VN_ERR_IO, "%s: cannot seek: %s", r->name, strerror(errno ? errno : EIO));
    r->pos = r->end = 0;
    r->base = offset;
    r->eof = 0;
    r->line = line;
    r->line_start = offset;
    r->after_cr = 0;
    if (hash)
        r->hash = *hash;
    r->nrec = records;
    return VN_OK;
}

char vn__csv_default_delimiter(const char *path)
{
    const size_t n = strlen(path);
    const bool tsv = (n >= 4 && strcmp(path + n - 4, ".tsv") == 0) ||
                     (n >= 7 && strcmp(path + n - 7, ".tsv.gz") == 0);
    return tsv ? '\t' : ',';
}
