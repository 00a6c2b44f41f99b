/*
 * test_numparse.c — the number parser: the project's numeric edge cases, the syntax it
 * rejects, and a bit-for-bit comparison with glibc's strtod_l in the "C" locale (the
 * reference: correctly rounded) on a few million generated strings, including exact
 * halfway cases and literals longer than the parser's 800-digit window.
 */
#include "numparse.h"
#include "unit.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t cloc;

/* ---- helpers ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) { return rnd() % n; }

static double bits_to_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

static vn__num parse_str(const char *s, double *v) { return vn__parse_double(s, strlen(s), v); }

/* Compares the parser with strtod_l("C") on s (a valid decimal literal). Returns 1 when
 * they agree: same bits, or overflow (RANGE) where strtod gives +-HUGE_VAL. The parser is
 * given s without its NUL terminator, in a buffer followed by more digits, so a read past
 * len would change the result. Prints the first few disagreements. */
static long n_compared;
static int agree_with_strtod(const char *s, const char *what)
{
    static int reported;
    char *end;
    const double ref = strtod_l(s, &end, cloc);
    n_compared++;
    const size_t len = strlen(s);
    char buf[2048];
    int ok;
    double got = 0.0;
    vn__num st;
    if (*end != '\0' || len + 3 > sizeof buf) {
        ok = 0;
        st = VN__NUM_SYNTAX;
    } else {
        memcpy(buf, s, len);
        memcpy(buf + len, "77\0", 3);
        st = vn__parse_double(buf, len, &got);
        if (isinf(ref))
            ok = st == VN__NUM_RANGE;
        else
            ok = st == VN__NUM_OK && unit_same(got, ref);
    }
    if (!ok && reported++ < 10)
        fprintf(stderr, "%s: \"%s\": parser %d %.17g (%016llx), strtod_l %.17g (%016llx)\n",
                what, s, (int)st, got, (unsigned long long)double_to_bits(got), ref,
                (unsigned long long)double_to_bits(ref));
    return ok;
}

/* ---- the project's edge-case files ---- */

typedef struct {
    const char *text;
    vn__num want;
    double value; /* when want == VN__NUM_OK */
} num_case;

/* Reads a small file's lines (LF-terminated) after the header into lines[]. */
static int read_lines(const char *path, char lines[][128], int max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char line[256];
    int n = -1; /* skip the header */
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (n >= 0 && n < max && strlen(line) < 128)
            memcpy(lines[n], line, strlen(line) + 1);
        n++;
    }
    fclose(f);
    return n;
}

/* Each case is the first column of one data line; the file must hold exactly
 * "<text>,<second>" per line, in this order. */
static void check_file(const char *path, const num_case *cases, const char *const *second,
                       int ncases)
{
    char lines[64][128];
    const int n = read_lines(path, lines, 64);
    CHECKF(n == ncases, "%s: %d lines, expected %d", path, n, ncases);
    for (int i = 0; i < ncases && i < n; i++) {
        char want_line[256];
        snprintf(want_line, sizeof want_line, "%s,%s", cases[i].text, second[i]);
        CHECKF(strcmp(lines[i], want_line) == 0, "%s line %d: \"%s\" vs \"%s\"", path, i + 2,
               lines[i], want_line);
        double v = -12345.0;
        const vn__num st = parse_str(cases[i].text, &v);
        CHECKF(st == cases[i].want, "\"%s\": status %d, expected %d", cases[i].text, (int)st,
               (int)cases[i].want);
        if (cases[i].want == VN__NUM_OK)
            CHECKF(unit_same(v, cases[i].value), "\"%s\": %.17g, expected %.17g",
                   cases[i].text, v, cases[i].value);
        else
            CHECKF(v == -12345.0, "\"%s\": *out written on failure", cases[i].text);
    }
}

static void test_edge_files(void)
{
    static const num_case edge[] = {
        {"1e309", VN__NUM_RANGE, 0},
        {"-1e309", VN__NUM_RANGE, 0},
        {"1e-400", VN__NUM_OK, 0.0},
        {"4.9e-324", VN__NUM_OK, 0x1p-1074},
        {"2.2250738585072011e-308", VN__NUM_OK, 0x0.fffffffffffffp-1022},
        {"nan", VN__NUM_NONFINITE, 0},
        {"NaN", VN__NUM_NONFINITE, 0},
        {"inf", VN__NUM_NONFINITE, 0},
        {"-Infinity", VN__NUM_NONFINITE, 0},
        {"0x1p3", VN__NUM_SYNTAX, 0},
        {" 1", VN__NUM_OK, 1.0},
        {"1 ", VN__NUM_OK, 1.0},
        {"1,5", VN__NUM_SYNTAX, 0}, /* the line "1,5,1": a decimal comma */
        {"-0", VN__NUM_OK, -0.0},
        {"+1", VN__NUM_OK, 1.0},
        {"1_000", VN__NUM_SYNTAX, 0},
        {".5", VN__NUM_OK, 0.5},
        {"5.", VN__NUM_OK, 5.0},
        {"1e", VN__NUM_SYNTAX, 0},
        {"", VN__NUM_EMPTY, 0},
    };
    static const char *const edge2[] = {"0", "0", "0", "0", "0", "1", "1", "1", "1", "1",
                                        "1", "1", "1", "0", "1", "1", "1", "1", "1", "1"};
    check_file("../shared/data/csv-cases/edge/numeric_edge_values.csv", edge, edge2,
               (int)(sizeof edge / sizeof edge[0]));

    static const num_case lng[] = {
        {"0.1000000000000000055511151231257827021181583404541015625", VN__NUM_OK, 0.1},
        {"9007199254740993", VN__NUM_OK, 9007199254740992.0},
        {"1.00000000000000011102230246251565404236316680908203125", VN__NUM_OK, 1.0},
    };
    static const char *const lng2[] = {"0.1", "9007199254740992", "1"};
    check_file("../shared/data/csv-cases/edge/long_decimal_literals.csv", lng, lng2, 3);
    /* The second column holds the rounded values themselves. */
    for (int i = 0; i < 3; i++) {
        double v = 0;
        CHECK(parse_str(lng2[i], &v) == VN__NUM_OK && unit_same(v, lng[i].value));
    }
    double sub = 0;
    CHECK(parse_str("4.9e-324", &sub) == VN__NUM_OK && sub > 0 && sub < DBL_MIN);
    double z = 1;
    CHECK(parse_str("1e-400", &z) == VN__NUM_OK && z == 0 && !signbit(z));
    CHECK(parse_str("-1e-400", &z) == VN__NUM_OK && z == 0 && signbit(z));
}

/* ---- syntax ---- */

static void test_syntax(void)
{
    static const num_case cases[] = {
        {"", VN__NUM_EMPTY, 0},
        {"   ", VN__NUM_EMPTY, 0},
        {"\t \t", VN__NUM_EMPTY, 0},
        {"0", VN__NUM_OK, 0.0},
        {"-0.0e-5", VN__NUM_OK, -0.0},
        {"000", VN__NUM_OK, 0.0},
        {"0.1", VN__NUM_OK, 0.1},
        {"\t-2.5e+3 ", VN__NUM_OK, -2500.0},
        {"1E2", VN__NUM_OK, 100.0},
        {"1e-2", VN__NUM_OK, 0.01},
        {"00012.50", VN__NUM_OK, 12.5},
        {"-.5", VN__NUM_OK, -0.5},
        {"+.5e1", VN__NUM_OK, 5.0},
        {"1e23", VN__NUM_OK, 1e23},
        {"123456789012345678901234567890", VN__NUM_OK, 123456789012345678901234567890.0},
        {"1.7976931348623157e308", VN__NUM_OK, DBL_MAX},
        {"1.7976931348623158e308", VN__NUM_OK, DBL_MAX},
        {"1.7976931348623159e308", VN__NUM_RANGE, 0},
        {"-1.7976931348623159e308", VN__NUM_RANGE, 0},
        {"2e308", VN__NUM_RANGE, 0},
        {"2.2250738585072014e-308", VN__NUM_OK, DBL_MIN},
        {"1e0000000000000000000000001", VN__NUM_OK, 10.0},
        {"1e99999999999999999999", VN__NUM_RANGE, 0},
        {"1e-99999999999999999999", VN__NUM_OK, 0.0},
        {"0e99999999999999999999", VN__NUM_OK, 0.0},
        {"nan", VN__NUM_NONFINITE, 0},
        {"+nan", VN__NUM_NONFINITE, 0},
        {"-NAN", VN__NUM_NONFINITE, 0},
        {"INF", VN__NUM_NONFINITE, 0},
        {"-inf", VN__NUM_NONFINITE, 0},
        {"Infinity", VN__NUM_NONFINITE, 0},
        {" +INFINITY\t", VN__NUM_NONFINITE, 0},
        {"iNfInItY", VN__NUM_NONFINITE, 0},
        {"infinit", VN__NUM_SYNTAX, 0},
        {"nan(0x1)", VN__NUM_SYNTAX, 0},
        {"nana", VN__NUM_SYNTAX, 0},
        {"+", VN__NUM_SYNTAX, 0},
        {"-", VN__NUM_SYNTAX, 0},
        {" - ", VN__NUM_SYNTAX, 0},
        {".", VN__NUM_SYNTAX, 0},
        {"+.", VN__NUM_SYNTAX, 0},
        {"-.e1", VN__NUM_SYNTAX, 0},
        {"e1", VN__NUM_SYNTAX, 0},
        {"1e", VN__NUM_SYNTAX, 0},
        {"1e+", VN__NUM_SYNTAX, 0},
        {"1e-", VN__NUM_SYNTAX, 0},
        {"1e+-1", VN__NUM_SYNTAX, 0},
        {"1e1.5", VN__NUM_SYNTAX, 0},
        {"1 2", VN__NUM_SYNTAX, 0},
        {"1 e2", VN__NUM_SYNTAX, 0},
        {"--1", VN__NUM_SYNTAX, 0},
        {"+-1", VN__NUM_SYNTAX, 0},
        {"- 1", VN__NUM_SYNTAX, 0},
        {"0x10", VN__NUM_SYNTAX, 0},
        {"0x1p3", VN__NUM_SYNTAX, 0},
        {"0X1P3", VN__NUM_SYNTAX, 0},
        {"1_000", VN__NUM_SYNTAX, 0},
        {"1,5", VN__NUM_SYNTAX, 0},
        {"1,000.5", VN__NUM_SYNTAX, 0},
        {"1.2.3", VN__NUM_SYNTAX, 0},
        {"1..2", VN__NUM_SYNTAX, 0},
        {"abc", VN__NUM_SYNTAX, 0},
        {"1d", VN__NUM_SYNTAX, 0},
        {"1f", VN__NUM_SYNTAX, 0},
        {"1\r", VN__NUM_SYNTAX, 0},
        {"\n1", VN__NUM_SYNTAX, 0},
        {"\xef\xbc\x91", VN__NUM_SYNTAX, 0}, /* fullwidth digit one */
        {"1.5\xc2\xa0", VN__NUM_SYNTAX, 0},  /* no-break space is not a blank */
        {"(1)", VN__NUM_SYNTAX, 0},
        {"$1", VN__NUM_SYNTAX, 0},
        {"1%", VN__NUM_SYNTAX, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -12345.0;
        const vn__num st = parse_str(cases[i].text, &v);
        CHECKF(st == cases[i].want, "\"%s\": status %d, expected %d", cases[i].text, (int)st,
               (int)cases[i].want);
        if (cases[i].want == VN__NUM_OK)
            CHECKF(unit_same(v, cases[i].value), "\"%s\": %.17g, expected %.17g",
                   cases[i].text, v, cases[i].value);
    }

    /* Embedded NUL bytes are counted in len and are a syntax error wherever they are. */
    double v = 0;
    CHECK(vn__parse_double("1\0", 2, &v) == VN__NUM_SYNTAX);
    CHECK(vn__parse_double("\0" "1", 2, &v) == VN__NUM_SYNTAX);
    CHECK(vn__parse_double("1\0" "2", 3, &v) == VN__NUM_SYNTAX);
    CHECK(vn__parse_double("\0", 1, &v) == VN__NUM_SYNTAX);
    CHECK(vn__parse_double(" \0 ", 3, &v) == VN__NUM_SYNTAX);
    /* len, not the terminator, delimits the text. */
    CHECK(vn__parse_double("12345", 3, &v) == VN__NUM_OK && v == 123.0);
    CHECK(vn__parse_double("1e5", 2, &v) == VN__NUM_SYNTAX);
    CHECK(vn__parse_double("nan", 0, &v) == VN__NUM_EMPTY);

    /* Exponent arithmetic far from the digits. */
    char big[1200];
    memset(big, '0', sizeof big);
    big[0] = '0';
    big[1] = '.';
    big[502] = '1';
    strcpy(big + 503, "e500"); /* 10^-501 * 10^500 */
    CHECK(parse_str(big, &v) == VN__NUM_OK && v == 0.1);
    memset(big, '0', sizeof big);
    big[0] = '1';
    strcpy(big + 401, "e-400"); /* 10^400 * 10^-400 */
    CHECK(parse_str(big, &v) == VN__NUM_OK && v == 1.0);
    memset(big, '0', sizeof big);
    big[0] = '1';
    big[1] = '.';
    strcpy(big + 1100, "1"); /* 1.000...0001 with 1100 digits: rounds to 1 */
    CHECK(parse_str(big, &v) == VN__NUM_OK && v == 1.0);
}

/* ---- exact ties and literals longer than the 800-digit window ---- */

/* Exact decimal expansion of x in %e form, with enough digits. */
static void exact_decimal(char *buf, size_t n, long double x, int prec)
{
    snprintf(buf, n, "%.*Le", prec, x);
}

/* The mantissa part of buf ("D.DDDe+X") decremented by one unit in its last place with a
 * '9' appended (a value a hair below), or with a "1" appended (a hair above). */
static void nudge(const char *tie, char *out, size_t n, int up)
{
    const char *e = strchr(tie, 'e');
    const size_t ml = (size_t)(e - tie);
    const size_t el = strlen(e);
    if (ml + 1 + el + 1 > n) {
        out[0] = '\0';
        return;
    }
    memcpy(out, tie, ml);
    if (!up) {
        for (size_t i = ml; i-- > 0;) {
            if (out[i] == '.')
                continue;
            if (out[i] > '0') {
                out[i]--;
                break;
            }
            out[i] = '9';
        }
    }
    out[ml] = up ? '1' : '9';
    memcpy(out + ml + 1, e, el + 1);
}

static void test_long_literals(void)
{
#if LDBL_MANT_DIG > DBL_MANT_DIG && LDBL_MIN_EXP < DBL_MIN_EXP - DBL_MANT_DIG
    static char tie[1400], s[1600];
    double v = -1;
    /* 2^-1075, the midpoint between 0 and the smallest subnormal: 1075 decimals, 752
     * significant digits. The tie rounds to even (0); anything above rounds up. */
    exact_decimal(tie, sizeof tie, 0x1p-1075L, 760);
    CHECK(parse_str(tie, &v) == VN__NUM_OK && v == 0.0);
    CHECK(agree_with_strtod(tie, "2^-1075"));
    /* The same with a 1 far beyond the 800th significant digit. */
    char *e = strchr(tie, 'e');
    snprintf(s, sizeof s, "%.*s%0300d1%s", (int)(e - tie), tie, 0, e);
    CHECK(strlen(s) > 1000);
    CHECK(parse_str(s, &v) == VN__NUM_OK && v == 0x1p-1074);
    CHECK(agree_with_strtod(s, "2^-1075+tiny"));
    nudge(tie, s, sizeof s, 0);
    CHECK(parse_str(s, &v) == VN__NUM_OK && v == 0.0);
    /* The midpoint between DBL_MAX and 2^1024 overflows (ties to even); a hair below
     * does not. */
    const long double top = (long double)DBL_MAX + 0x1p970L;
    exact_decimal(tie, sizeof tie, top, 320);
    CHECK(parse_str(tie, &v) == VN__NUM_RANGE);
    nudge(tie, s, sizeof s, 0);
    CHECK(parse_str(s, &v) == VN__NUM_OK && v == DBL_MAX);
    /* 1 + 2^-53 (a tie) followed by 1000 zeros and a 1: 1 + 2^-52. */
    exact_decimal(tie, sizeof tie, 1.0L + 0x1p-53L, 60);
    e = strchr(tie, 'e');
    snprintf(s, sizeof s, "%.*s%01000d1%s", (int)(e - tie), tie, 0, e);
    CHECK(parse_str(s, &v) == VN__NUM_OK && v == 1.0 + 0x1p-52);
    CHECK(agree_with_strtod(s, "1+2^-53+tiny"));
    snprintf(s, sizeof s, "%.*s%01000d%s", (int)(e - tie), tie, 0, e);
    CHECK(parse_str(s, &v) == VN__NUM_OK && v == 1.0);

    /* Random literals of 800-1200 digits around ties at every scale. */
    long bad = 0;
    for (int i = 0; i < 2000; i++) {
        const int n = 790 + (int)rnd_below(400);
        s[0] = (char)('1' + rnd_below(9));
        for (int j = 1; j < n; j++)
            s[j] = (char)('0' + rnd_below(10));
        /* Put a tie-like pattern (5 then zeros) at a random place, then a random tail. */
        const int at = 15 + (int)rnd_below(800);
        if (at < n - 1) {
            s[at] = '5';
            for (int j = at + 1; j < n - 1 && j < at + 800; j++)
                s[j] = '0';
        }
        snprintf(s + n, sizeof s - (size_t)n, "e%d", -(int)rnd_below(1400) + 300);
        bad += !agree_with_strtod(s, "long literal");
    }
    CHECKF(bad == 0, "%ld long literals disagree with strtod_l", bad);
#else
    printf("test_numparse: long double too narrow, exact tie tests skipped\n");
#endif
}

static void test_halfway(void)
{
#if LDBL_MANT_DIG > DBL_MANT_DIG && LDBL_MIN_EXP < DBL_MIN_EXP - DBL_MANT_DIG
    static char tie[1400], s[1600];
    long bad = 0, wrong = 0;
    for (int i = 0; i < 80000; i++) {
        uint64_t b = rnd() & 0x7fffffffffffffffull;
        if (i % 10 != 0) /* mostly moderate magnitudes; every 10th anywhere */
            b = (b & 0x800fffffffffffffull) | ((uint64_t)(1023 - 200 + rnd_below(400)) << 52);
        else if (i % 20 == 0) /* subnormals */
            b &= 0x000fffffffffffffull;
        const double d = bits_to_double(b);
        const double nx = nextafter(d, INFINITY);
        if (!isfinite(d) || isinf(nx))
            continue;
        const long double mid = ((long double)d + (long double)nx) / 2;
        /* mid = odd * 2^q with 2^(q+1) = nx - d: it has exactly -q decimals when q < 0. */
        const int q = ilogb(nx - d) - 1;
        const int lg = (int)floorl(log10l(mid));
        const int prec = (q < 0 ? -q + lg : lg) + 2;
        exact_decimal(tie, sizeof tie, mid, prec);
        const double even = (double_to_bits(d) & 1) ? nx : d;
        double v = -1;
        bad += !agree_with_strtod(tie, "tie");
        wrong += !(parse_str(tie, &v) == VN__NUM_OK && unit_same(v, even));
        nudge(tie, s, sizeof s, 1);
        bad += !agree_with_strtod(s, "above tie");
        wrong += !(parse_str(s, &v) == VN__NUM_OK && unit_same(v, nx));
        nudge(tie, s, sizeof s, 0);
        bad += !agree_with_strtod(s, "below tie");
        wrong += !(parse_str(s, &v) == VN__NUM_OK && unit_same(v, d));
    }
    CHECKF(bad == 0, "%ld halfway strings disagree with strtod_l", bad);
    CHECKF(wrong == 0, "%ld halfway strings not rounded to nearest even", wrong);
#endif
}

/* ---- random strings against strtod_l ---- */

static long random_doubles(int n)
{
    long bad = 0;
    char s[64];
    for (int i = 0; i < n; i++) {
        uint64_t b = rnd();
        if (i % 4 != 0) /* mostly typical data magnitudes; every 4th anywhere */
            b = (b & 0x800fffffffffffffull) | ((uint64_t)(1023 - 40 + rnd_below(80)) << 52);
        const double d = bits_to_double(b);
        if (!isfinite(d))
            continue;
        snprintf(s, sizeof s, "%.17g", d);
        bad += !agree_with_strtod(s, "random double %.17g");
        snprintf(s, sizeof s, "%.15g", d);
        bad += !agree_with_strtod(s, "random double %.15g");
        snprintf(s, sizeof s, "%.6e", d);
        bad += !agree_with_strtod(s, "random double %.6e");
        /* %.17g round-trips. */
        snprintf(s, sizeof s, "%.17g", d);
        double v;
        bad += !(parse_str(s, &v) == VN__NUM_OK && unit_same(v, d));
    }
    return bad;
}

static long random_digit_strings(int n)
{
    long bad = 0;
    char s[128];
    for (int i = 0; i < n; i++) {
        char *w = s;
        const uint64_t r = rnd();
        if (r & 1)
            *w++ = '-';
        else if (r & 2)
            *w++ = '+';
        const int nd = 1 + (int)rnd_below(40);
        const int dot = (r & 4) ? -1 : (int)rnd_below((uint64_t)nd + 1);
        for (int j = 0; j < nd; j++) {
            if (j == dot)
                *w++ = '.';
            /* Leading zeros and runs of zeros or nines now and then. */
            const uint64_t k = rnd_below(10);
            *w++ = (r & 8) && k < 4 ? ((r & 16) ? '0' : '9') : (char)('0' + rnd_below(10));
        }
        if (dot == nd)
            *w++ = '.';
        if (!(r & 32)) {
            *w++ = (r & 64) ? 'e' : 'E';
            const int ex = (int)rnd_below(701) - 350;
            w += sprintf(w, (r & 128) ? "%+d" : "%d", ex);
        }
        *w = '\0';
        bad += !agree_with_strtod(s, "digit string");
    }
    return bad;
}

/* 15 to 19 significant digits with exponents that keep the value near 1e-27 .. 1e46:
 * the parser's long-double path, including exact midpoints between doubles (every odd
 * integer in [2^53, 2^54) is one) and values one unit away from them. */
static long random_long_significands(int n)
{
    long bad = 0;
    char s[96];
    for (int i = 0; i < n; i++) {
        const uint64_t r = rnd();
        if (i % 3 == 0) {
            /* m = 2^53 + odd, or a neighbour of it, scaled by a power of ten */
            const uint64_t m = (1ull << 53) + (rnd_below(1ull << 52) * 2 + 1) + (r % 3) - 1;
            snprintf(s, sizeof s, "%llue%d", (unsigned long long)m, (int)(r >> 8) % 11 - 5);
        } else {
            const int nd = 15 + (int)rnd_below(5);
            const int dot = (int)rnd_below((uint64_t)nd + 1);
            char *w = s;
            for (int j = 0; j < nd; j++) {
                if (j == dot)
                    *w++ = '.';
                *w++ = (char)((j == 0 ? '1' : '0') + rnd_below(j == 0 ? 9 : 10));
            }
            if (dot == nd)
                *w++ = '.';
            sprintf(w, "e%d", (int)rnd_below(45) - 27 + (nd - dot));
        }
        bad += !agree_with_strtod(s, "long significand");
    }
    return bad;
}

static void test_random(void)
{
    const long b0 = random_long_significands(300000);
    CHECKF(b0 == 0, "%ld long significands disagree", b0);
    const long b1 = random_doubles(400000);
    CHECKF(b1 == 0, "%ld printed doubles disagree", b1);
    const long b2 = random_digit_strings(800000);
    CHECKF(b2 == 0, "%ld digit strings disagree", b2);
}

/* Blanks around the text change nothing. */
static void test_blanks(void)
{
    long bad = 0;
    char s[64], t[80];
    for (int i = 0; i < 20000; i++) {
        const double d = bits_to_double(rnd());
        if (!isfinite(d))
            continue;
        snprintf(s, sizeof s, "%.17g", d);
        snprintf(t, sizeof t, "%s%s%s", (i & 1) ? " \t" : "", s, (i & 2) ? "\t " : "");
        double v;
        bad += !(parse_str(t, &v) == VN__NUM_OK && unit_same(v, d));
    }
    CHECK(bad == 0);
}

/* The parser must not read past len: give it exact-size heap copies (AddressSanitizer
 * reports any over-read). */
static void test_no_overread(void)
{
    static const char *const texts[] = {
        "1", "-0.5", "1e5", "123456789012345678901234567890", "1e-400", "nan", "  ",
        "9007199254740993", "2.2250738585072011e-308",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const size_t n = strlen(texts[i]);
        char *p = malloc(n ? n : 1);
        memcpy(p, texts[i], n);
        double v1 = 0, v2 = 0;
        const vn__num a = vn__parse_double(p, n, &v1);
        const vn__num b = parse_str(texts[i], &v2);
        CHECK(a == b && unit_same(v1, v2));
        free(p);
    }
}

/* LC_NUMERIC with a decimal comma must not change anything. */
static void test_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (!got || strcmp(localeconv()->decimal_point, ",") != 0) {
        printf("test_numparse: no decimal-comma locale installed, locale check skipped\n");
        setlocale(LC_NUMERIC, "C");
        return;
    }
    double v = 0;
    CHECK(parse_str("1.5", &v) == VN__NUM_OK && v == 1.5);
    CHECK(parse_str("1,5", &v) == VN__NUM_SYNTAX);
    CHECK(parse_str("0.1000000000000000055511151231257827021181583404541015625", &v) ==
              VN__NUM_OK &&
          v == 0.1);
    CHECK(parse_str("1.00000000000000011102230246251565404236316680908203125", &v) ==
              VN__NUM_OK &&
          v == 1.0);
    /* The slow path, many times: agree_with_strtod uses strtod_l("C"), so this compares
     * the parser under de_DE with the C-locale reference. */
    const long b = random_digit_strings(50000);
    CHECKF(b == 0, "%ld digit strings disagree under %s", b, got);
    setlocale(LC_NUMERIC, "C");
}

int main(void)
{
    cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!cloc) {
        fprintf(stderr, "newlocale failed\n");
        return 1;
    }
    RUN(test_edge_files);
    RUN(test_syntax);
    RUN(test_no_overread);
    RUN(test_blanks);
    RUN(test_long_literals);
    RUN(test_halfway);
    RUN(test_random);
    RUN(test_locale);
    CHECKF(n_compared >= 2000000, "only %ld strings compared with strtod_l", n_compared);
    printf("test_numparse: %ld strings compared bit for bit with strtod_l\n", n_compared);
    freelocale(cloc);
    return unit_summary("numparse");
}
