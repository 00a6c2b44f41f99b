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

#endif
