/*
 * numparse.c — decimal text to binary64, correctly rounded and locale independent.
 *
 * A first pass validates the syntax of numparse.h and accumulates the digits of the
 * significand into m (exact when there are at most 19 of them) with a decimal exponent
 * k, so the value is m * 10^k. Three paths then turn that into a double:
 *
 *  1. Clinger's fast path (W. D. Clinger, "How to read floating point numbers
 *     accurately", PLDI 1990): when m <= 2^53 and |k| <= 22, m and 10^|k| are exact
 *     doubles and one IEEE multiplication or division rounds the exact value once, so the
 *     result is correctly rounded. When 22 < k <= 22 + 15 and m * 10^(k-22) is still an
 *     exact integer <= 2^53, the same holds for (m * 10^(k-22)) * 1e22. Typical data
 *     (a dozen digits, small exponents) takes this path.
 *
 *  2. Where long double is the x87 80-bit format: up to 19 digits and |k| <= 27 (the
 *     17-digit output of repr or %.17g) in one long-double operation, accepted unless the
 *     result lies next to a midpoint between two doubles (details at the code).
 *
 *  3. Otherwise the significant digits are rewritten in C syntax without a radix
 *     character ("[-]DDDD...e[-]X") into a fixed stack buffer and given to glibc's
 *     strtod_l in the "C" locale, which rounds correctly at any length. Digits beyond the
 *     800th significant one are replaced by a single sticky '1': every boundary between
 *     two rounding outcomes (a double, or the midpoint of two adjacent doubles) has at
 *     most 767 significant decimal digits, so the shortened value lies strictly between
 *     the same two boundaries as the exact one and rounds the same way (the argument of
 *     Go's strconv and of fast_float). So the function never allocates, needs no NUL
 *     terminator, and literals of any length are exact.
 *
 * The "C" locale is created once, lazily, under pthread_once; it is never modified
 * afterwards, so sharing it between threads is safe.
 */
#include "numparse.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Significant digits kept for the slow path (plus one sticky digit); see above. */
#define KEEP_DIGITS 800
/* Exponent digits beyond this are saturated: |k| this large is 0 or overflow anyway. */
#define EXP_SATURATE 100000000

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t pow10_u64[16] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
};

#define TWO_POW_53 9007199254740992ull

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
/* 10^0 .. 10^27, exact in a 64-bit significand (5^27 < 2^64). */
static const long double pow10_ld[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};
#endif

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale; /* written once under c_locale_once, then read-only */

static void c_locale_init(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* strtod in the "C" locale. If newlocale failed (out of memory), plain strtod is still
 * correct here: the text we pass has no radix character, and digits, 'e' and '-' mean
 * the same in every locale. */
static double strtod_c(const char *s)
{
    pthread_once(&c_locale_once, c_locale_init);
    if (c_locale != (locale_t)0)
        return strtod_l(s, NULL, c_locale);
    return strtod(s, NULL);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Case-insensitive comparison of p[0..n) with the lower-case ASCII word w. */
static int word_eq(const char *p, size_t n, const char *w)
{
    if (strlen(w) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char c = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
        if (c != w[i])
            return 0;
    }
    return 1;
}

/* Writes v in decimal at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u;
    if (v < 0) {
        *p++ = '-';
        u = (uint64_t)0 - (uint64_t)v;
    } else {
        u = (uint64_t)v;
    }
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The significant digits of the validated significand [p, e) (digits and at most one
 * '.'): from the first non-zero digit to the last non-zero digit. Sets *first to the
 * first one (NULL when all digits are zero), *nsig to their count and *tz to the number
 * of trailing zeros after them; *nfrac counts the digits after the point. */
static void significant_digits(const char *p, const char *e, const char **first,
                               int64_t *nsig, int64_t *tz, int64_t *nfrac)
{
    int64_t n = 0, zeros = 0, frac = 0;
    int in_frac = 0;
    *first = NULL;
    for (; p < e; p++) {
        if (*p == '.') {
            in_frac = 1;
            continue;
        }
        frac += in_frac;
        if (*p == '0') {
            zeros += *first != NULL;
            continue;
        }
        if (!*first)
            *first = p;
        n += zeros + 1;
        zeros = 0;
    }
    *nsig = n;
    *tz = zeros;
    *nfrac = frac;
}

vn__num vn__parse_double(const char *s, size_t len, double *out)
{
    const char *p = s;
    const char *e = s + len;
    while (p < e && is_blank(*p))
        p++;
    while (e > p && is_blank(e[-1]))
        e--;
    if (p == e)
        return VN__NUM_EMPTY;

    const int neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;

    /* Significand: digits [. digits]. m accumulates every digit; it is exact (leading
     * zeros included) when there are at most 19 of them. */
    const char *const sig = p;
    uint64_t m = 0;
    while (p < e && is_digit(*p))
        m = m * 10 + (uint64_t)(*p++ - '0');
    const size_t nint = (size_t)(p - sig);
    size_t nfrac = 0;
    if (p < e && *p == '.') {
        const char *const frac = ++p;
        while (p < e && is_digit(*p))
            m = m * 10 + (uint64_t)(*p++ - '0');
        nfrac = (size_t)(p - frac);
    }
    const char *const sig_end = p;
    if (nint + nfrac == 0) {
        const size_t n = (size_t)(e - sig);
        if (word_eq(sig, n, "nan") || word_eq(sig, n, "inf") || word_eq(sig, n, "infinity"))
            return VN__NUM_NONFINITE;
        return VN__NUM_SYNTAX;
    }

    int64_t ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        const int eneg = p < e && *p == '-';
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e || !is_digit(*p))
            return VN__NUM_SYNTAX;
        for (; p < e && is_digit(*p); p++)
            if (ex < EXP_SATURATE)
                ex = ex * 10 + (*p - '0');
        if (eneg)
            ex = -ex;
    }
    if (p != e)
        return VN__NUM_SYNTAX;

#if FLT_EVAL_METHOD == 0 /* the fast path needs plain binary64 arithmetic (no x87) */
    if (nint + nfrac <= 19 && m <= TWO_POW_53) {
        /* value = m * 10^k, both exact doubles when |k| <= 22. (Branch on integers
         * only: a test of the quotient would wait for the division.) */
        const int64_t k = ex - (int64_t)nfrac;
        const double sign = neg ? -1.0 : 1.0;
        if (k >= 0 && k <= 22) {
            *out = sign * ((double)m * pow10_exact[k]);
            return VN__NUM_OK;
        }
        if (k < 0 && k >= -22) {
            *out = sign * ((double)m / pow10_exact[-k]);
            return VN__NUM_OK;
        }
        if (m == 0) {
            *out = sign * 0.0;
            return VN__NUM_OK;
        }
        if (k > 22 && k <= 22 + 15 && m <= TWO_POW_53 / pow10_u64[k - 22]) {
            *out = sign * ((double)(m * pow10_u64[k - 22]) * 1e22);
            return VN__NUM_OK;
        }
    }
#endif

#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
    /* Extended fast path for up to 19 digits (x87 80-bit long double; on other machines
     * long double is double, or binary128 in software, and this is skipped): m < 2^64 and
     * 10^|k| <= 10^27 < 5^28 * 2^27 are exact, so m * 10^k costs one rounding to 64
     * bits, within half a long-double ulp of the exact value. Rounding that to 53 bits is
     * then correct unless it lies at (or next to) a midpoint between two doubles: the 11
     * bits below the double's mantissa are 0x400 there. Those few go to strtod. The result
     * lies in [1e-27, 1e46], far from subnormals and overflow. */
    if (nint + nfrac <= 19 && m != 0) {
        const int64_t k = ex - (int64_t)nfrac;
        if (k >= -27 && k <= 27) {
            const long double lm = (long double)m;
            const long double r = k >= 0 ? lm * pow10_ld[k] : lm / pow10_ld[-k];
            uint64_t bits; /* the x87 format's explicit 64-bit significand comes first */
            memcpy(&bits, &r, sizeof bits);
            const unsigned low = (unsigned)(bits & 0x7FF);
            if (low < 0x3FF || low > 0x401) {
                const double v = (double)r;
                *out = neg ? -v : v;
                return VN__NUM_OK;
            }
        }
    }
#endif

    /* value = (the nsig significant digits as an integer) * 10^k */
    const char *first;
    int64_t nsig, tz, nfr;
    significant_digits(sig, sig_end, &first, &nsig, &tz, &nfr);
    if (!first) {
        *out = neg ? -0.0 : 0.0;
        return VN__NUM_OK;
    }
    const int64_t k = ex - nfr + tz;

    /* The leading digit has weight 10^lead. 10^310 > DBL_MAX; below 10^-400 the value is
     * under half the smallest subnormal (2^-1075 ~ 2.47e-324) and rounds to zero. */
    const int64_t lead = k + nsig - 1;
    if (lead > 310)
        return VN__NUM_RANGE;
    if (lead < -400) {
        *out = neg ? -0.0 : 0.0;
        return VN__NUM_OK;
    }

    /* sign + KEEP_DIGITS + sticky digit + "e" + exponent + NUL */
    char buf[1 + KEEP_DIGITS + 1 + 1 + 24 + 1];
    char *w = buf;
    if (neg)
        *w++ = '-';
    const int64_t ncopy = nsig < KEEP_DIGITS ? nsig : KEEP_DIGITS;
    for (int64_t i = 0; i < ncopy; first++)
        if (*first != '.') {
            *w++ = *first;
            i++;
        }
    int64_t wexp = k;
    if (nsig > KEEP_DIGITS) {
        /* The dropped digits end in a non-zero digit, so they are never all zero. */
        *w++ = '1';
        wexp = k + nsig - (KEEP_DIGITS + 1);
    }
    *w++ = 'e';
    w = put_int(w, wexp);
    *w = '\0';

    const double v = strtod_c(buf);
    if (isinf(v))
        return VN__NUM_RANGE;
    *out = v;
    return VN__NUM_OK;
}
