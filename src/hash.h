/*
 * hash.h — a streaming 64-bit content hash (hash.c). Not cryptographic.
 */
#ifndef VN_HASH_H
#define VN_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct vn__hash {
    uint64_t h, len;
    unsigned char tail[8];
    unsigned ntail;
} vn__hash;

void vn__hash_init(vn__hash *h);
void vn__hash_update(vn__hash *h, const void *data, size_t n);
/* The hash of every byte passed so far; the state is not changed. */
uint64_t vn__hash_final(const vn__hash *h);

/* FNV-1a of p[0..n): the hash of small interning tables (slice keys in eval.c and
 * csvpar.c, categories and groups in drift.c and fairness.c). */
static inline uint64_t vn__fnv1a(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

#endif
