/*
 * csvpar.h — the parallel reader for the common CSV file: plain (not gzip, not standard
 * input), records one per line without quotes. Workers parse byte ranges of the file
 * into columns at once; the chunks are handed to the caller strictly in file order, so
 * everything downstream sees the rows exactly as the sequential reader (csv.c) would.
 *
 * The reader never reports an input error itself. A chunk holding anything outside the
 * common case — a quote, a bare CR, a NUL, a wrong field count, a field over max_field,
 * a value that is not a number (or missing under the error policy), a negative weight,
 * a slice value that is not UTF-8 — stops it: it returns where that chunk starts (a
 * record boundary, with its line number and the content hash so far), and csv.c's
 * reader takes over from there, with its full dialect and its exact error messages.
 */
#ifndef VN_CSVPAR_H
#define VN_CSVPAR_H

#include "hash.h"
#include "vernier.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VN_PAR_MAX_NUM 20 /* numeric columns: y, yhat, weight and input columns */

/* What to read. Column indexes are 0-based fields of each record. */
typedef struct vn__par_spec {
    int fd;                  /* the open file (read with pread; not closed here) */
    uint64_t size;           /* its size in bytes */
    uint64_t start;          /* offset of the first data record (just after the header) */
    uint64_t line;           /* its line number */
    size_t ncols;            /* fields per record */
    char delim;
    size_t max_field;
    vn_missing missing;
    size_t nnum;             /* numeric columns */
    size_t num[VN_PAR_MAX_NUM];
    int weight;              /* index in num[] of the weight column, or -1 */
    bool binary;             /* num[0] (the label) must be 0 or 1 */
    size_t nkey;             /* slice columns (their values joined, each NUL-terminated) */
    const size_t *key;
    int threads;
    const vn__hash *hash;    /* non-NULL: continue this content hash over the data bytes */
} vn__par_spec;

/* A chunk of parsed rows, in file order. Rows with a missing value (VN_MISSING_SKIP) are
 * already dropped and counted. */
typedef struct vn__par_chunk {
    size_t n;                          /* rows */
    const double *col[VN_PAR_MAX_NUM]; /* numeric column j of row i: col[j][i] */
    const uint32_t *key;               /* slice key of row i: an index into keys (nkey > 0) */
    size_t nkeys;                      /* distinct keys in this chunk, in order of first use */
    const char *const *keys;           /* their bytes ... */
    const size_t *keylen;              /* ... and lengths */
    uint64_t records, missing;         /* data records read, records dropped as missing */
} vn__par_chunk;

/* Called once per chunk in file order; a status other than VN_OK stops the reader. */
typedef vn_status (*vn__par_sink)(void *ctx, const vn__par_chunk *c);

typedef struct vn__par_end {
    bool complete;     /* the whole file was read */
    uint64_t offset;   /* !complete: where csv.c's reader takes over (a record start) */
    uint64_t line;     /* ... its line number */
    vn__hash hash;     /* the content hash continued through the bytes before offset */
} vn__par_end;

/* Reads the data records of spec->fd from spec->start. Returns VN_OK (end says how far
 * it got), VN_ERR_NOMEM, VN_ERR_IO (with errno's text in errbuf), or the sink's status. */
vn_status vn__par_read(const vn__par_spec *spec, vn__par_sink sink, void *ctx,
                       vn__par_end *end, char *errbuf, size_t errlen);

/* The inline number conversion alone, for tests: 1 with *v when the fast path converts
 * all of s[0..len) (bit-identical to vn__parse_double by construction), 0 when it would
 * leave the field to vn__parse_double. */
int vn__par_number(const char *s, size_t len, double *v);

/* For tests: the structural parser's masks of the 64 bytes at b (delimiters, line feeds,
 * other bytes below 0x23) as out[0..2], and the portable (SWAR) version's as out[3..5]. */
void vn__par_classify(const unsigned char *b, unsigned char delim, uint64_t out[6]);

/* 0: never map the file (tests compare both ways); VERNIER_NO_MMAP in the environment
 * does the same for users. */
extern int vn__par_map;

/* Bytes per chunk (tests lower it to put chunk boundaries everywhere). */
extern size_t vn__par_chunk_bytes;

#endif /* VN_CSVPAR_H */
