/*
 * alloc.c — the allocation hook. Every byte libvernier allocates goes through
 * vn__realloc, so an embedding program can account for memory and the tests can fail
 * the Nth allocation (tests/unit/test_alloc.c).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

/* Set once before any other call (documented in vernier.h), so a plain pair suffices. */
static vn_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;

void vn_set_allocator(vn_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = fn ? ud : NULL;
}

void *vn__realloc(void *ptr, size_t size)
{
    if (size == 0)
        return NULL;
    return alloc_fn(alloc_ud, ptr, size);
}

void *vn__malloc(size_t size) { return vn__realloc(NULL, size); }

void *vn__calloc(size_t n, size_t size)
{
    if (n != 0 && size > SIZE_MAX / n)
        return NULL;
    void *p = vn__malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void vn__free(void *ptr)
{
    if (ptr)
        alloc_fn(alloc_ud, ptr, 0);
}

char *vn__strndup(const char *s, size_t n)
{
    if (!s || n == SIZE_MAX)
        return NULL;
    char *d = vn__malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *vn__strdup(const char *s) { return s ? vn__strndup(s, strlen(s)) : NULL; }

bool vn__grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return false;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return false;
    void *p = vn__realloc(*ptr, n * elem);
    if (!p)
        return false;
    *ptr = p;
    *cap = n;
    return true;
}
