/*
 * fuzz_numparse.c — libFuzzer target for the number parser (numparse.c).
 *
 * The input bytes are one cell. An independent classifier written from the contract in
 * numparse.h decides what the parser must return — EMPTY, NONFINITE, SYNTAX, or a
 * decimal literal — and for a decimal literal glibc's strtod_l in the "C" locale is the
 * oracle: the parser must return VN__NUM_OK with the same bits (sign of zero and
 * subnormals included), or VN__NUM_RANGE exactly where strtod_l overflows to +-HUGE_VAL.
 * The parser gets the bytes in a heap block of exactly len bytes, so AddressSanitizer
 * catches any read past s[len-1]; *out must not be written unless the result is OK.
 *
 *   make fuzz T=numparse S=600          (fuzz/README.md)
 */
#include "numparse.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static locale_t cloc;

static int blank(char c) { return c == ' ' || c == '\t'; }

static int lower_eq(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

static int digit(char c) { return c >= '0' && c <= '9'; }

/* What the contract says about s[0..n): 0 a decimal literal (trimmed to [*b, *e)), or
 * the expected vn__num for everything else. */
static int classify(const char *s, size_t n, size_t *b, size_t *e)
{
    size_t i = 0, j = n;
    while (i < j && blank(s[i]))
        i++;
    while (j > i && blank(s[j - 1]))
        j--;
    *b = i;
    *e = j;
    if (i == j)
        return VN__NUM_EMPTY;
    size_t k = i;
    if (s[k] == '+' || s[k] == '-')
        k++;
    if (lower_eq(s + k, j - k, "nan") || lower_eq(s + k, j - k, "inf") ||
        lower_eq(s + k, j - k, "infinity"))
        return VN__NUM_NONFINITE;
    size_t nd = 0;
    while (k < j && digit(s[k]))
        k++, nd++;
    if (k < j && s[k] == '.') {
        k++;
        while (k < j && digit(s[k]))
            k++, nd++;
    }
    if (nd == 0)
        return VN__NUM_SYNTAX;
    if (k < j && (s[k] == 'e' || s[k] == 'E')) {
        k++;
        if (k < j && (s[k] == '+' || s[k] == '-'))
            k++;
        size_t ne = 0;
        while (k < j && digit(s[k]))
            k++, ne++;
        if (ne == 0)
            return VN__NUM_SYNTAX;
    }
    return k == j ? -1 : VN__NUM_SYNTAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cloc)
        cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!cloc)
        abort();
    char *s = malloc(size ? size : 1); /* exactly size bytes: no terminator to lean on */
    if (!s)
        return 0;
    memcpy(s, data, size);
    const double sentinel = 12345.678;
    double got = sentinel;
    const vn__num st = vn__parse_double(s, size, &got);
    size_t b, e;
    const int want = classify(s, size, &b, &e);
    if (want >= 0) {
        if ((int)st != want)
            abort();
        if (memcmp(&got, &sentinel, sizeof got) != 0)
            abort(); /* *out written on a non-OK result */
        free(s);
        return 0;
    }
    /* a decimal literal: strtod_l on a NUL-terminated copy of the trimmed text */
    char *z = malloc(e - b + 1);
    if (!z)
        abort();
    memcpy(z, s + b, e - b);
    z[e - b] = '\0';
    char *end;
    const double ref = strtod_l(z, &end, cloc);
    if (*end != '\0')
        abort(); /* the classifier accepted something strtod does not: a bug here */
    if (ref == HUGE_VAL || ref == -HUGE_VAL) {
        if (st != VN__NUM_RANGE || memcmp(&got, &sentinel, sizeof got) != 0)
            abort();
    } else if (st != VN__NUM_OK || memcmp(&got, &ref, sizeof got) != 0) {
        abort(); /* not bit-identical to strtod_l("C") */
    }
    free(z);
    free(s);
    return 0;
}
