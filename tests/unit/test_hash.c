/*
 * test_hash.c — the content hash of input bytes (--log): the value depends only on the
 * byte stream, not on how it is cut into reads; any changed byte, or a changed length,
 * changes it. Oracle: the same function over the whole buffer at once.
 */
#include "hash.h"
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t whole(const unsigned char *b, size_t n)
{
    vn__hash h;
    vn__hash_init(&h);
    vn__hash_update(&h, b, n);
    return vn__hash_final(&h);
}

int main(void)
{
    enum { N = 10007 };
    unsigned char *b = malloc(N);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        b[i] = (unsigned char)x;
    }
    const uint64_t ref = whole(b, N);
    /* every chunking with chunk sizes 1..17 gives the same hash */
    for (size_t c = 1; c <= 17; c++) {
        vn__hash h;
        vn__hash_init(&h);
        for (size_t at = 0; at < N; at += c)
            vn__hash_update(&h, b + at, N - at < c ? N - at : c);
        CHECKF(vn__hash_final(&h) == ref, "chunk size %zu", c);
    }
    /* flipping any single bit of the first 2000 bytes changes it */
    size_t same = 0;
    for (size_t i = 0; i < 2000; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            same += whole(b, N) == ref;
            b[i] ^= (unsigned char)(1u << bit);
        }
    CHECKF(same == 0, "%zu single-bit changes went unnoticed", same);
    /* trailing zero bytes and the length matter: "a" vs "a\0" */
    CHECK(whole((const unsigned char *)"a", 1) != whole((const unsigned char *)"a\0", 2));
    CHECK(whole(b, 0) != whole((const unsigned char *)"\0", 1));
    CHECK(whole(b, N) == ref);
    free(b);
    return unit_summary("hash");
}
