/*
 * sort.c — a stable bottom-up merge sort of (a, b) pairs in lexicographic order, for
 * the kernels that need sorted pairs (weighted quantiles, ranks, Kendall's tau).
 * glibc's qsort is not used: it allocates scratch space with malloc, behind the
 * allocation hook's back.
 */
#include "internal.h"
#include "kernels.h"

static inline bool pair_less(const vn__pair *p, const vn__pair *q)
{
    return p->a < q->a || (p->a == q->a && p->b < q->b);
}

enum { RUN = 32 };

vn__pair *vn__pair_sort(vn__pair *a, vn__pair *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += RUN) {
        const size_t hi = n - lo < RUN ? n : lo + RUN;
        for (size_t i = lo + 1; i < hi; i++) {
            const vn__pair t = a[i];
            size_t j = i;
            while (j > lo && pair_less(&t, &a[j - 1])) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = t;
        }
    }
    vn__pair *src = a, *dst = tmp;
    for (size_t width = RUN; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            const size_t mid = n - lo < width ? n : lo + width;
            const size_t hi = n - mid < width ? n : mid + width;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = pair_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        vn__pair *const t = src;
        src = dst;
        dst = t;
    }
    return src;
}

vn__pair *vn__pair_alloc(size_t n)
{
    if (n > SIZE_MAX / (2 * sizeof(vn__pair)))
        return NULL;
    return vn__malloc(2 * n * sizeof(vn__pair));
}
