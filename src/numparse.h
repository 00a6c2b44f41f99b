/*
 * numparse.h — the number parser: decimal text to binary64, correctly rounded (round to
 * nearest, ties to even) and independent of the C locale.
 */
#ifndef VN_NUMPARSE_H
#define VN_NUMPARSE_H

#include <stddef.h>

typedef enum vn__num {
    VN__NUM_OK = 0,        /* *out holds the value (subnormals and underflow to 0 are OK) */
    VN__NUM_EMPTY = 1,     /* empty or only blanks: a missing value */
    VN__NUM_NONFINITE = 2, /* nan, inf, infinity (any case, optional sign): a missing value */
    VN__NUM_RANGE = 3,     /* syntactically fine but overflows binary64 (1e309) */
    VN__NUM_SYNTAX = 4,    /* not a decimal number: "1,5", "1_000", "0x10", "1e", "abc" */
} vn__num;

/* Parses s[0..len) entirely. Accepted syntax, with optional leading and trailing spaces
 * or tabs: [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]. Anything else,
 * including hex, digit separators, a decimal comma or an embedded NUL, is
 * VN__NUM_SYNTAX ("nan(...)" too). s need not be NUL-terminated: no byte past s[len-1]
 * is read, at any length. *out is written only on VN__NUM_OK. Never allocates; safe to
 * call from several threads at once. */
vn__num vn__parse_double(const char *s, size_t len, double *out);

#endif /* VN_NUMPARSE_H */
