/*
 * csv.h — the CSV/TSV record reader (RFC 4180), internal to libvernier.
 *
 * Reads a file, a gzip file (detected by its magic bytes 1f 8b, through zlib) or
 * standard input ("-"), one record at a time. Strict RFC 4180 with these documented
 * policies (docs/input.md):
 *  - records end at LF, CRLF or a bare CR outside quotes; a final line break is optional;
 *  - inside quotes every byte is data, kept verbatim (CRLF stays CRLF); "" is one quote;
 *  - a quote inside an unquoted field, or text after a closing quote, is an error;
 *  - a quote left open at end of input is an error reported at the line it opened;
 *  - fully blank lines are skipped (they are never a record); a line of spaces is data;
 *  - a UTF-8 BOM at the start is removed; a UTF-16/UTF-32 BOM is an error
 *    ("unsupported encoding UTF-16LE");
 *  - a NUL byte anywhere is an error; a field longer than max_field bytes is an error;
 *  - every record must have as many fields as the header (or the first record).
 * Errors are one line: "FILE:LINE:COL: message", LINE 1-based, COL the 1-based byte
 * column within the line (a UTF-8 BOM is not counted). For text after a closing quote
 * COL is the closing quote's (as Go's encoding/csv reports it); a field-count error is
 * at the record's first byte. Errors about the whole input have no position:
 * "FILE: cannot open: ...", "FILE: empty input (no header)", "FILE: unexpected end of
 * gzip stream (truncated file?)".
 */
#ifndef VN_CSV_H
#define VN_CSV_H

#include "hash.h"
#include "vernier.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vn__csv vn__csv;

typedef struct vn__csv_opts {
    char delim;       /* field separator; must not be '"', CR or LF */
    int header;       /* 1: the first record is the header */
    size_t max_field; /* longest field in bytes; 0 = 1 MiB */
    int hash;         /* 1: hash every input byte (after gunzip) for vn__csv_hash */
} vn__csv_opts;

/* Opens path ("-" = stdin) and reads the header (or peeks the first record when
 * header == 0, to learn the field count); opts NULL means {',', 1, 0}. On error *out is
 * NULL and the message (with file and position) is in errbuf. An empty input (0 bytes,
 * or nothing but line breaks) is VN_ERR_DATA "empty input (no header)". Returns
 * VN_ERR_IO if the file cannot be opened or read, VN_ERR_DATA for malformed input (a
 * truncated or corrupt gzip stream included: the bytes are bad, not the device), VN_ERR_USAGE for a delimiter that is a
 * quote, CR, LF or NUL, VN_ERR_NOMEM. */
vn_status vn__csv_open(const char *path, const vn__csv_opts *opts, vn__csv **out,
                       char *errbuf, size_t errlen);
void vn__csv_free(vn__csv *r);

/* The display name used in messages ("<stdin>" for "-"). */
const char *vn__csv_name(const vn__csv *r);

/* Number of columns (fields of the header, or of the first record without header). */
size_t vn__csv_ncols(const vn__csv *r);
/* Name of column i (BOM stripped, verbatim otherwise), or NULL without a header. */
const char *vn__csv_colname(const vn__csv *r, size_t i);

/* Reads the next data record. *got = 1 with a record, 0 at the end of input. Errors
 * (VN_ERR_DATA, VN_ERR_IO, VN_ERR_NOMEM) leave their message in vn__csv_errmsg and are
 * sticky: later calls return the same status. A truncated gzip stream is VN_ERR_DATA
 * "unexpected end of gzip stream". */
vn_status vn__csv_next(vn__csv *r, int *got);

/* Fields of the current record: bytes (NUL-terminated in the reader's buffer, valid
 * until the next vn__csv_next) and length (fields may not contain NUL, so len ==
 * strlen). */
const char *vn__csv_field(const vn__csv *r, size_t i, size_t *len);
/* 1-based line number where the current record starts, and where field i starts, and
 * the 1-based byte column of field i's first byte within that line. */
uint64_t vn__csv_line(const vn__csv *r);
uint64_t vn__csv_field_line(const vn__csv *r, size_t i);
uint64_t vn__csv_field_col(const vn__csv *r, size_t i);
/* Data records returned so far. */
uint64_t vn__csv_records(const vn__csv *r);

const char *vn__csv_errmsg(const vn__csv *r);

/* The content hash (hash.c) of the bytes read so far — of the whole input once
 * vn__csv_next has returned *got = 0; 0 unless opts.hash was set. */
uint64_t vn__csv_hash(const vn__csv *r);

/* Resolves a column given by header name or by 1-based index ("3"); role names it in
 * messages ("prediction"). VN_ERR_DATA with a message naming the file (and listing the
 * columns) when there is no such column or the name is ambiguous. */
vn_status vn__csv_find_column(const vn__csv *r, const char *spec, const char *role, size_t *col,
                              char *errbuf, size_t errlen);
/* Parses numeric field col of the current record into *out. Returns 1 with a value, 0
 * when the cell is empty or not finite and missing is VN_MISSING_SKIP, -1 on error with
 * a "FILE:LINE:COL: role column \"name\": ..." message in errbuf. */
int vn__csv_number(const vn__csv *r, size_t col, const char *role, const char *colname,
                   vn_missing missing, double *out, char *errbuf, size_t errlen);
/* The delimiter a file name implies: tab for *.tsv and *.tsv.gz, else comma. */
char vn__csv_default_delimiter(const char *path);

/* For the parallel reader (csvpar.h): true when the input is a plain file (not gzip, not
 * standard input) with a header, just opened (no data record read yet), and the header
 * ended in LF or CRLF (not a bare CR); then *offset and *line say where the first data
 * record starts (after the LF). */
bool vn__csv_data_start(const vn__csv *r, uint64_t *offset, uint64_t *line);
/* Continues reading at offset (a record start) of a plain file, line number `line`,
 * with hash as the content hash of every byte before offset and `records` data records
 * counted as already returned. */
vn_status vn__csv_seek(vn__csv *r, uint64_t offset, uint64_t line, const vn__hash *hash,
                       uint64_t records);
/* s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool vn__utf8_valid(const unsigned char *s, size_t n);

#endif /* VN_CSV_H */
