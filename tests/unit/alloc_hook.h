/*
 * alloc_hook.h — the allocation hook the failure-injection tests install with
 * vn_set_allocator: it fails the allocation numbered fail_at (counting from 1 since
 * calls was reset) and counts live blocks, so a test sees leaks without a sanitizer.
 * Counters are atomic: evaluations allocate from worker threads.
 */
#ifndef VN_ALLOC_HOOK_H
#define VN_ALLOC_HOOK_H

#include <stdlib.h>

static long fail_at = -1;
static _Atomic long calls, live;

static void *hook(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        if (ptr)
            live--;
        free(ptr);
        return NULL;
    }
    if (++calls == fail_at)
        return NULL;
    void *p = realloc(ptr, size);
    if (p && !ptr)
        live++;
    return p;
}

#endif
