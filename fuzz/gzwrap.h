/*
 * gzwrap.h — for the CSV fuzz targets (fuzz_csv.c, fuzz_csvpar.c): the fuzz input
 * gzip-compressed in memory, so the readers see the same bytes through zlib.
 */
#ifndef VN_FUZZ_GZWRAP_H
#define VN_FUZZ_GZWRAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip-wraps src into a malloc'd buffer; *n its length. */
static unsigned char *gzip_wrap(const uint8_t *src, size_t len, size_t *n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    const uLong cap = deflateBound(&z, (uLong)len) + 32;
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    *n = z.total_out;
    deflateEnd(&z);
    return out;
}

#endif /* VN_FUZZ_GZWRAP_H */
