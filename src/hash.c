/*
 * hash.c — a streaming 64-bit content hash of input bytes, recorded with each logged
 * run so that a changed data file is visible. Not cryptographic: it detects changes,
 * not tampering. The value depends only on the byte stream, never on how it was cut
 * into reads.
 *
 * Each 8-byte little-endian word w updates h = rotl(h ^ w, 29) * K1 (K1 odd, from the
 * golden ratio); the tail and the length are mixed in at the end with a final
 * avalanche (xor-shift-multiply, the splitmix64 finaliser's constants).
 */
#include "hash.h"

#include <string.h>

#define K1 0x9E3779B97F4A7C15ull

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t load64(const unsigned char *p)
{
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--)
        w = (w << 8) | p[i];
    return w;
}

static void word(vn__hash *h, uint64_t w) { h->h = rotl(h->h ^ w, 29) * K1; }

void vn__hash_init(vn__hash *h) { memset(h, 0, sizeof *h); }

void vn__hash_update(vn__hash *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    h->len += n;
    while (h->ntail && n) {
        h->tail[h->ntail++] = *p++;
        n--;
        if (h->ntail == 8) {
            word(h, load64(h->tail));
            h->ntail = 0;
        }
    }
    if (n == 0)
        return; /* the tail is still being filled (or empty) */
    for (; n >= 8; p += 8, n -= 8)
        word(h, load64(p));
    memcpy(h->tail, p, n);
    h->ntail = (unsigned)n;
}

uint64_t vn__hash_final(const vn__hash *h)
{
    unsigned char last[8] = {0};
    memcpy(last, h->tail, h->ntail);
    uint64_t x = rotl(h->h ^ load64(last), 29) * K1;
    x ^= h->len;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}
