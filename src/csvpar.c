/*
 * csvpar.c — the parallel reader of csvpar.h.
 *
 * The data bytes after the header are cut into chunks of VN_PAR_CHUNK bytes. A chunk
 * owns the records that start inside it: its first record starts after the first line
 * break at or after its first byte minus one, and it parses past its end to finish the
 * last record it owns. Every chunk computes its boundaries from the bytes alone, so
 * neighbouring chunks agree without talking to each other — provided no quoted field
 * holds a line break across a boundary; a chunk with a quote anywhere stops the reader
 * before anything of it is used, so the records handed out are always exact.
 *
 * Workers take chunk numbers in order from a counter, map the chunk (plus the tail of its
 * last record) from the file — or pread it into their own buffer near the end of the
 * file (map_chunk says when) — and parse it into a slot, structurally where they can
 * (parse_structural); slots are handed to the sink strictly in chunk order by whichever
 * worker finds the next one ready, and unmapped once handed out. While one worker hands
 * a chunk out, the others parse: the sink's work (folding the rows into the evaluation)
 * overlaps the parsing of later chunks.
 *
 * Numbers: the common decimal (at most 19 significant digits, exponent within ±22 after
 * normalisation) is converted inline by Clinger's fast path, m·10^k or m/10^k with m and
 * 10^|k| exact doubles — one correctly rounded operation, so the same bits as
 * numparse.c. Everything else goes through vn__parse_double itself.
 */
#include "csvpar.h"

#include "csv.h"
#include "internal.h"
#include "numparse.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Bytes per chunk: large enough that per-chunk costs vanish, small enough that a few
 * chunks in flight per worker cost little memory. Tests set it small (unit tests through
 * vn__par_chunk_bytes) to put chunk boundaries everywhere. */
#ifndef VN_PAR_CHUNK
#define VN_PAR_CHUNK ((size_t)4 << 20)
#endif
size_t vn__par_chunk_bytes = VN_PAR_CHUNK;
int vn__par_map = 1;

enum { ROLE_SKIP = 0, ROLE_NUM = 1, ROLE_KEY = 2 };

/* A parsed chunk and its buffers (reused from chunk to chunk). */
typedef struct slot {
    int state; /* FREE, BUSY (being parsed or handed out), READY */
    uint64_t k;
    bool bail;        /* outside the common case: the reader stops at this chunk */
    vn_status st;     /* VN_ERR_IO / VN_ERR_NOMEM while reading it */
    int err_no;
    uint64_t r0;         /* absolute offset of buf[0] */
    uint64_t begin, end; /* absolute offsets: the records it owns */
    uint64_t lines;      /* line breaks in [begin, end) */
    unsigned char *buf;
    size_t bufcap;
    const unsigned char *data; /* the chunk's bytes: buf, or inside map */
    void *map;                 /* the chunk mapped from the file, or NULL */
    size_t maplen;
    double *col[VN_PAR_MAX_NUM];   /* ±m until the chunk is parsed, then the values */
    int16_t *exp10[VN_PAR_MAX_NUM];     /* k of each m (convert) */
    uint32_t *key;
    size_t n, cap;
    /* local slice keys: bytes in an arena, looked up by open addressing */
    char *arena;
    size_t alen, acap;
    size_t *koff, *klen;
    uint64_t *kword; /* a short key's word (short_word), 0 for longer keys */
    const char **kptr;
    size_t kptrcap;
    size_t nkeys, kcap;
    uint32_t *ktab; /* key index + 1, 0 = empty */
    size_t ktab_cap;
    char *row;      /* the row's key being built */
    size_t rowcap;
    uint64_t records, missing;
} slot;

enum { FREE = 0, BUSY = 1, READY = 2 };

typedef struct reader {
    const vn__par_spec *sp;
    unsigned char *role;  /* per field: ROLE_* */
    unsigned char *which; /* per field: index into num[] or key[] */
    /* 1 for the bytes that may follow a number: the delimiter, LF, CR and NUL (the zero
     * past the data's end; a NUL inside it stops the record where fields end) */
    unsigned char ends[256];
    bool short_max;       /* max_field < 64: a fast number's length is checked */
    uint64_t nchunks;
    slot *slots;
    size_t nslots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next_k;      /* next chunk to parse */
    uint64_t commit_k;    /* next chunk to hand out */
    bool committing;
    bool stop_all;        /* a chunk bailed, failed, or the sink said stop */
    vn_status st;
    char err[256];
    vn__par_sink sink;
    void *ctx;
    vn__par_end *end;
    vn__hash hash;
    bool hashing;
    bool mapping;         /* chunks are mapped from the file where they can be */
    uint64_t page;        /* the page size (mappings start on a page) */
    uint64_t line;        /* line number at commit_k's begin */
    uint64_t at;          /* offset of commit_k's begin */
} reader;

/* ---- reading bytes ---- */

/* pread all of [off, off + n) into dst, fewer at the end of the file; returns the count,
 * or -1 with errno set. */
static ssize_t read_at(int fd, unsigned char *dst, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        const ssize_t r = pread(fd, dst + got, n - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ---- the inline number parser ---- */


/* The number at s (up to the first byte of class stop): 1 with *v and *endp when it is
 * a plain decimal the fast path converts exactly; 0 otherwise (the caller then takes the
 * whole field to vn__parse_double). */
/* ---- digits eight at a time ----
 * A run of digits of unknown length ends in a branch the predictor cannot learn; here
 * the run's length comes from bit tricks on eight bytes at once (a byte is a digit when,
 * xored with '0', it is below 10), and its value from three multiply-
 * and-add steps that combine digits pairwise, then pairs, then quads. The caller keeps
 * eight readable bytes past the data's end (zeros, which are not digits). */
static inline uint64_t load8(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The high bit of each byte of v that is not a digit (the first byte being the lowest). */
static inline uint64_t nondigits(uint64_t v)
{
    /* x = v ^ '0': a digit's byte is 0..9; adding 0x76 to its low seven bits sets the high
     * bit from 10 up (no carry crosses a byte), and a byte with the high bit set is no
     * digit either */
    const uint64_t x = v ^ 0x3030303030303030ull;
    return (((x & 0x7F7F7F7F7F7F7F7Full) + 0x7676767676767676ull) | x) & 0x8080808080808080ull;
}

/* Leading digit bytes of v (0..8). */
static inline unsigned digit_count(uint64_t v)
{
    const uint64_t nz = nondigits(v);
    return nz ? (unsigned)__builtin_ctzll(nz) / 8 : 8;
}

/* The value of the first k (1..8) digit bytes of v. */
static inline uint64_t digits_value(uint64_t v, unsigned k)
{
    uint64_t d = (v - 0x3030303030303030ull) << (8 * (8 - k)); /* leading zero digits */
    d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;
    d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFull;
    return (d * 10000 + (d >> 32)) & 0xFFFFFFFFull;
}

static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000};

/* A run of digits at *q into m (m·10^n + run); returns the run's length (m is garbage
 * beyond 19 digits in all, which the caller refuses). */
static inline size_t digit_run(const unsigned char **q, uint64_t *m)
{
    size_t n = 0;
    for (;;) {
        const uint64_t v = load8(*q);
        const unsigned k = digit_count(v);
        if (k)
            *m = *m * pow10_u64[k] + digits_value(v, k);
        *q += k;
        n += k;
        if (k < 8)
            return n;
    }
}

/* The number at s: 1 with *v = ±m and *k when it is a plain decimal m·10^k that the fast
 * path converts exactly (m ≤ 2^53, |k| ≤ 22; convert() finishes it), and *endp; 0
 * otherwise (the caller then takes the whole field to vn__parse_double). Reads up to 8
 * bytes past lim (see above); stops at lim since those are not digits. */
static inline __attribute__((always_inline)) int fast_number(const unsigned char *s, const unsigned char *lim, double *v, int *kout,
                       const unsigned char **endp)
{
    const unsigned char *q = s;
    bool neg = false;
    if (*q == '-' || *q == '+') /* (at lim: a zero byte) */
        neg = *q++ == '-';
    uint64_t m = 0;
    size_t nd;
    int k = 0;
    /* Most numbers end within eight bytes: one load classifies them. An integer is its
     * leading digits; with a dot, the bytes after the dot move down one place so that
     * the digits of both parts form one run, valued at once. (The bytes past lim are
     * zeros: not digits, not a dot.) Longer ones take the runs eight digits at a time. */
    const uint64_t w = load8(q), nz = nondigits(w);
    const unsigned a = nz ? (unsigned)__builtin_ctzll(nz) / 8 : 8; /* the first non-digit */
    const uint64_t after = nz & (nz - 1);                          /* non-digits after it */
    if (a < 8 && q[a] != '.') {
        nd = a;
        m = a ? digits_value(w, a) : 0;
        q += a;
    } else if (a < 8 && after) {
        const unsigned c = (unsigned)__builtin_ctzll(after) / 8; /* the fraction's end */
        const uint64_t low = (1ull << (8 * a)) - 1;                /* (a < 8) */
        nd = c - 1;
        m = nd ? digits_value((w & low) | ((w >> 8) & ~low), (unsigned)nd) : 0;
        k = -(int)(c - a - 1);
        q += c;
    } else {
        nd = digit_run(&q, &m);
        if (*q == '.') {
            q++;
            const size_t f = digit_run(&q, &m);
            nd += f;
            k = -(int)f;
        }
    }
    if (nd == 0 || nd > 19 || q > lim)
        return 0;
    if ((*q | 0x20) == 'e' && q < lim) {
        q++;
        bool eneg = false;
        if (*q == '-' || *q == '+')
            eneg = *q++ == '-';
        int x = 0, xd = 0;
        unsigned d;
        while (q < lim && (d = (unsigned)(*q - '0')) < 10) {
            if (x < 10000)
                x = x * 10 + (int)d;
            q++;
            xd++;
        }
        if (xd == 0 || xd > 4) /* (longer exponents: the general parser) */
            return 0;
        k += eneg ? -x : x;
    }
    if (m == 0)
        k = 0;
    else if (m > (1ull << 53) || (unsigned)(k + 22) > 44)
        return 0;
    const double d = (double)(int64_t)m; /* exact (m ≤ 2^53), one signed conversion */
    *v = neg ? -d : d;
    *kout = k;
    *endp = q;
    return 1;
}

/* m·10^k, rounded once: Clinger's fast path, m and 10^|k| being exact doubles (a
 * multiplication by 1 or a division by 1 is exact, so one table pair serves both). */
static const double scale_mul[45] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
static const double scale_div[45] = {
    1e22, 1e21, 1e20, 1e19, 1e18, 1e17, 1e16, 1e15, 1e14, 1e13, 1e12, 1e11, 1e10, 1e9, 1e8,
    1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1,
};

static inline double convert(double m, int k) { return m * scale_mul[k + 22] / scale_div[k + 22]; }

int vn__par_number(const char *s, size_t len, double *v)
{
    unsigned char buf[72] = {0}; /* the data and eight readable bytes after it */
    if (len > 64)
        return 0;
    memcpy(buf, s, len);
    const unsigned char *e = NULL;
    double m;
    int k;
    if (!fast_number(buf, buf + len, &m, &k, &e) || e != buf + len)
        return 0;
    *v = convert(m, k);
    return 1;
}

/* The first byte at or after q that ends a plain field (delimiter, LF, CR, quote, NUL),
 * eight bytes at a time: the lowest flagged byte of a has-zero-byte test is exact. The
 * zeros past the data stop it at lim at the latest. */
static inline uint64_t zbytes(uint64_t x)
{
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

static inline size_t scan_field(const unsigned char *b, size_t q, uint64_t dl)
{
    /* LF, CR, the quote and NUL are all below 0x23: one test flags every byte below it
     * (none missed; a flag above a true one may be spurious), and each flagged byte is
     * then looked at. A space or a tab inside a field costs a look, nothing more. */
    const uint64_t lt = 0x2323232323232323ull;
    const unsigned char delim = (unsigned char)dl;
    for (;; q += 8) {
        const uint64_t v = load8(b + q);
        for (uint64_t m = zbytes(v ^ dl) | ((v - lt) & ~v & 0x8080808080808080ull); m;
             m &= m - 1) {
            const size_t at = q + (size_t)__builtin_ctzll(m) / 8;
            const unsigned char c = b[at];
            if (c == delim || c == '\n' || c == '\r' || c == '"' || c == 0)
                return at;
        }
    }
}

/* ---- parsing a chunk ---- */

/* Room for `rows` rows in s's columns (keys: and their slice keys). */
static bool slot_grow_rows(slot *s, size_t nnum, bool keys, size_t rows)
{
    if (rows <= s->cap)
        return true;
    size_t cap = SIZE_MAX;
    for (size_t j = 0; j < nnum; j++) {
        size_t c1 = s->cap, c2 = s->cap;
        if (!vn__grow((void **)&s->col[j], &c1, rows, sizeof(double)) ||
            !vn__grow((void **)&s->exp10[j], &c2, rows, sizeof(int16_t)))
            return false;
        cap = c1 < cap ? c1 : cap;
        cap = c2 < cap ? c2 : cap;
    }
    if (keys) {
        size_t c = s->cap;
        if (!vn__grow((void **)&s->key, &c, rows, sizeof(uint32_t)))
            return false;
        cap = c < cap ? c : cap;
    }
    s->cap = cap == SIZE_MAX ? rows : cap;
    return true;
}

/* A key of n bytes always ends in a NUL (each slice value is NUL-terminated). With n ≤ 9
 * it is short: its first n − 1 bytes, zero-padded, make one word, which is hashed and
 * compared at once (the length too: "a" and "a\0" differ by it). */
enum { SHORT_KEY = 9 };

static inline uint64_t short_word(const char *p, size_t n)
{
    uint64_t w = 0;
    memcpy(&w, p, n - 1);
    return w;
}

static inline uint64_t word_hash(uint64_t w, size_t n)
{
    return ((w ^ n) * 0x9E3779B97F4A7C15ull) >> 17;
}

static uint64_t any_key_hash(const char *p, size_t n, uint64_t w)
{
    return n <= SHORT_KEY ? word_hash(w, n) : vn__fnv1a(p, n);
}

/* The local index of key row[0..n), added when new; false when out of memory. w is
 * short_word(row, n) when the key is short; the last byte of a short key is not read
 * (it is the NUL: the fast path passes the field itself). */
static bool local_key(slot *s, const char *row, size_t n, uint64_t w, uint32_t *out)
{
    if (4 * (s->nkeys + 1) > s->ktab_cap) { /* at most a quarter full: one probe, mostly */
        const size_t cap = s->ktab_cap ? 2 * s->ktab_cap : 64;
        uint32_t *t = vn__calloc(cap, sizeof *t);
        if (!t)
            return false;
        for (size_t i = 0; i < s->nkeys; i++) {
            size_t h = any_key_hash(s->arena + s->koff[i], s->klen[i], s->kword[i]) & (cap - 1);
            while (t[h])
                h = (h + 1) & (cap - 1);
            t[h] = (uint32_t)i + 1;
        }
        vn__free(s->ktab);
        s->ktab = t;
        s->ktab_cap = cap;
    }
    const bool shortk = n <= SHORT_KEY;
    if (!shortk)
        w = 0;
    size_t h = any_key_hash(row, n, w) & (s->ktab_cap - 1);
    for (; s->ktab[h]; h = (h + 1) & (s->ktab_cap - 1)) {
        const uint32_t i = s->ktab[h] - 1;
        if (s->klen[i] == n && s->kword[i] == w &&
            (shortk || memcmp(s->arena + s->koff[i], row, n) == 0)) {
            *out = i;
            return true;
        }
    }
    if (s->nkeys == s->kcap) {
        size_t c1 = s->kcap, c2 = s->kcap, c3 = s->kcap;
        if (!vn__grow((void **)&s->koff, &c1, s->nkeys + 1, sizeof *s->koff) ||
            !vn__grow((void **)&s->klen, &c2, s->nkeys + 1, sizeof *s->klen) ||
            !vn__grow((void **)&s->kword, &c3, s->nkeys + 1, sizeof *s->kword))
            return false;
        s->kcap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    }
    if (!vn__grow((void **)&s->arena, &s->acap, s->alen + n + 1, 1))
        return false;
    memcpy(s->arena + s->alen, row, n - 1);
    s->arena[s->alen + n - 1] = '\0';
    s->koff[s->nkeys] = s->alen;
    s->klen[s->nkeys] = n;
    s->kword[s->nkeys] = w;
    s->alen += n;
    s->ktab[h] = (uint32_t)s->nkeys + 1;
    *out = (uint32_t)s->nkeys++;
    return true;
}

static bool ascii(const unsigned char *p, size_t n)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc < 0x80;
}

/* A record's slice key while it is parsed: the one short key field where it lies in the
 * buffer, or the key fields' bytes joined (each NUL-terminated) in s->row. */
typedef struct rowkey {
    bool inplace; /* the key is the short field at buf + field, its word w */
    uint64_t w;
    size_t field;
    size_t len;   /* the key's bytes with their NULs */
} rowkey;

/* Notes the slice key field buf[f, f + n) into rk: 0; 1 when the chunk must bail (not
 * UTF-8); -1 when out of memory. */
static inline __attribute__((always_inline)) int key_field(slot *s, size_t nkey, const unsigned char *buf, size_t f,
                            size_t n, rowkey *rk)
{
    if (nkey == 1 && n < SHORT_KEY) {
        /* the one slice column, short: its word straight from the buffer (eight readable
         * bytes past the data, as ever) */
        const uint64_t w = n ? load8(buf + f) & (~0ull >> (64 - 8 * n)) : 0;
        if ((w & 0x8080808080808080ull) && !vn__utf8_valid(buf + f, n))
            return 1;
        *rk = (rowkey){true, w, f, n + 1};
        return 0;
    }
    if (!ascii(buf + f, n) && !vn__utf8_valid(buf + f, n))
        return 1;
    if (!vn__grow((void **)&s->row, &s->rowcap, rk->len + n + 1, 1))
        return -1;
    memcpy(s->row + rk->len, buf + f, n);
    s->row[rk->len + n] = '\0';
    rk->len += n + 1;
    return 0;
}

/* local_key, with a hit of a short key at its first probe inline (the common case). */
static inline __attribute__((always_inline)) bool key_index(slot *s, const char *row, size_t n,
                                                            uint64_t w, uint32_t *out)
{
    if (n <= SHORT_KEY && s->ktab_cap) {
        const uint32_t i = s->ktab[word_hash(w, n) & (s->ktab_cap - 1)];
        if (i && s->klen[i - 1] == n && s->kword[i - 1] == w) {
            *out = i - 1;
            return true;
        }
    }
    return local_key(s, row, n, w, out);
}

/* The slice key of row `row` from rk: false when out of memory. */
static inline __attribute__((always_inline)) bool put_key(slot *s, const unsigned char *buf,
                                                          const rowkey *rk, size_t row)
{
    uint32_t id;
    const char *kb = rk->inplace ? (const char *)buf + rk->field : s->row;
    const uint64_t kw = rk->inplace              ? rk->w
                        : rk->len <= SHORT_KEY ? short_word(s->row, rk->len)
                                               : 0;
    if (!key_index(s, kb, rk->len, kw, &id))
        return false;
    s->key[row] = id;
    return true;
}

/* Whether a record is refused whatever else: a negative weight, or (binary) a label
 * m0·10^k0 other than 0 or 1. The chunk then bails: csv.c says where. */
static inline bool row_refused(const vn__par_spec *sp, double w, double m0, int k0)
{
    return (sp->weight >= 0 && w < 0.0) ||
           (sp->binary && convert(m0, k0) != 0.0 && convert(m0, k0) != 1.0);
}

/* Stores a complete record's values v·10^ex and slice key as row s->n: 0; 1 when the
 * chunk must bail (a negative weight, a label neither 0 nor 1); -1 when out of memory. */
static inline int store_row(slot *s, const vn__par_spec *sp, const double *v, const int *ex,
                            const unsigned char *buf, const rowkey *rk)
{
    const size_t nnum = sp->nnum;
    if (row_refused(sp, sp->weight >= 0 ? v[sp->weight] : 0.0, v[0], ex[0]))
        return 1;
    if (!slot_grow_rows(s, nnum, sp->nkey > 0, s->n + 1))
        return -1;
    for (size_t j = 0; j < nnum; j++) {
        s->col[j][s->n] = v[j];
        s->exp10[j][s->n] = (int16_t)ex[j];
    }
    if (sp->nkey && !put_key(s, buf, rk, s->n))
        return -1;
    s->n++;
    return 0;
}

/* Parses the records of buf[p..lim) that start before `stop_at` into s, a byte at a time.
 * Returns the offset after the last record, or SIZE_MAX when the chunk must bail (s->bail
 * set) or memory ran out (s->st). With stop_at = p + 1 it parses the one record (or blank
 * line) at p: the structural parser below hands it what it does not take itself. */
static size_t parse_records(reader *rd, slot *s, const unsigned char *buf, size_t p,
                            size_t stop_at, size_t lim)
{
    const vn__par_spec *sp = rd->sp;
    const unsigned char delim = (unsigned char)sp->delim;
    const uint64_t dl = 0x0101010101010101ull * delim;
    const size_t ncols = sp->ncols;
    double v[VN_PAR_MAX_NUM];
    int ex[VN_PAR_MAX_NUM];
    while (p < stop_at && p < lim) {
        /* a blank line is not a record */
        if (buf[p] == '\n' || (buf[p] == '\r' && p + 1 < lim && buf[p + 1] == '\n')) {
            p += buf[p] == '\n' ? 1 : 2;
            s->lines++;
            continue;
        }
        bool missing = false;
        rowkey rk = {false, 0, 0, 0};
        size_t q = p;
        for (size_t c = 0; c < ncols; c++) {
            const bool last = c + 1 == ncols;
            const size_t f = q; /* the field's first byte */
            const unsigned role = rd->role[c];
            if (role == ROLE_NUM) {
                const unsigned char *e = NULL;
                double x = 0;
                int k = 0;
                const unsigned j = rd->which[c];
                if (fast_number(buf + f, buf + lim, &x, &k, &e) && rd->ends[*e] &&
                    (!rd->short_max || (size_t)(e - buf) - f <= sp->max_field)) {
                    q = (size_t)(e - buf);
                    v[j] = x;
                    ex[j] = k;
                } else {
                    q = scan_field(buf, q, dl);
                    if (q < lim && buf[q] != delim && buf[q] != '\n' && buf[q] != '\r')
                        goto bail; /* a quote or a NUL */
                    if (q - f > sp->max_field)
                        goto bail;
                    const vn__num r = vn__parse_double((const char *)buf + f, q - f, &x);
                    if (r == VN__NUM_EMPTY || r == VN__NUM_NONFINITE) {
                        if (sp->missing != VN_MISSING_SKIP)
                            goto bail;
                        missing = true;
                    } else if (r != VN__NUM_OK) {
                        goto bail;
                    }
                    v[j] = x;
                    ex[j] = 0;
                }
            } else {
                q = scan_field(buf, q, dl);
                if (q < lim && buf[q] != delim && buf[q] != '\n' && buf[q] != '\r')
                    goto bail;
                if (q - f > sp->max_field)
                    goto bail;
                if (role == ROLE_KEY) {
                    const int r = key_field(s, sp->nkey, buf, f, q - f, &rk);
                    if (r < 0)
                        goto nomem;
                    if (r > 0)
                        goto bail;
                }
            }
            /* the field's end: a delimiter unless last; the record's end when last */
            if (!last) {
                if (q >= lim || buf[q] != delim)
                    goto bail; /* too few fields */
                q++;
                continue;
            }
            if (q == lim)
                break; /* the last record, without a line break */
            if (buf[q] == '\r') {
                if (q + 1 >= lim || buf[q + 1] != '\n')
                    goto bail; /* a bare CR ends lines the sequential reader's way */
                q++;
            }
            if (buf[q] != '\n')
                goto bail; /* too many fields */
            q++;
            s->lines++;
        }
        s->records++;
        p = q;
        if (missing) {
            s->missing++;
            continue;
        }
        const int r = store_row(s, sp, v, ex, buf, &rk);
        if (r < 0)
            goto nomem;
        if (r > 0)
            goto bail;
    }
    return p;
nomem:
    s->st = VN_ERR_NOMEM;
    return SIZE_MAX;
bail:
    s->bail = true;
    return SIZE_MAX;
}

/* ---- the structural parser ----
 * Most records are short and plain: numbers the fast path takes, a short key, no quote,
 * no CR but the one before the line feed, no blank line. For those the bytes are first
 * classified 64 at a time into bit masks (delimiters, line feeds, and every other byte
 * below 0x23 — quote, CR, NUL, tab, space …), and a record is then read off the masks: its
 * line feed is the lowest bit of one, its fields lie between the delimiters below it, so
 * no byte is looked at twice and no field is scanned for its end. A record the masks do
 * not vouch for — longer than 63 bytes, with an odd byte, a field count other than the
 * header's, an empty or non-plain number, a non-ASCII short key, a blank line — goes to
 * parse_records above, alone; so the rows, and where a chunk bails, are the same as
 * that parser's by construction. */

/* The masks of the 64 bytes at b: delimiters, line feeds, and the other bytes below 0x23.
 * Eight bytes at a time: exact per-byte tests (no carry or borrow crosses a byte), each
 * byte's flag (its high bit) gathered into a bit by one multiplication. */
static inline uint64_t gather8(uint64_t flags)
{
    return ((flags >> 7) * 0x0102040810204080ull) >> 56;
}

static inline uint64_t eq_bytes(uint64_t v, uint64_t c)
{
    const uint64_t x = v ^ c, lo = 0x7F7F7F7F7F7F7F7Full;
    return ~(((x & lo) + lo) | x) & 0x8080808080808080ull;
}

static inline void classify64_swar(const unsigned char *b, unsigned char delim, uint64_t *dm,
                                   uint64_t *nm, uint64_t *om)
{
    const uint64_t hi = 0x8080808080808080ull, dl = 0x0101010101010101ull * delim,
                   nl = 0x0101010101010101ull * '\n';
    uint64_t d = 0, n = 0, o = 0;
    for (unsigned i = 0; i < 8; i++) {
        const uint64_t v = load8(b + 8 * i);
        d |= gather8(eq_bytes(v, dl)) << (8 * i);
        n |= gather8(eq_bytes(v, nl)) << (8 * i);
        /* below 0x23: the high bit clear, and the low seven bits below 0x23 */
        const uint64_t t = (v | hi) - 0x2323232323232323ull;
        o |= gather8(~v & ~t & hi) << (8 * i);
    }
    *dm = d;
    *nm = n;
    *om = o & ~(d | n);
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* The same, sixteen bytes at a time (SSE2 is part of x86-64). */
static inline void classify64_sse2(const unsigned char *b, unsigned char delim, uint64_t *dm,
                                   uint64_t *nm, uint64_t *om)
{
    const __m128i D = _mm_set1_epi8((char)delim), N = _mm_set1_epi8('\n'),
                  L = _mm_set1_epi8(0x22);
    uint64_t d = 0, n = 0, o = 0;
    for (unsigned i = 0; i < 4; i++) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * i));
        d |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, D)) << (16 * i);
        n |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, N)) << (16 * i);
        o |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, L), x))
             << (16 * i);
    }
    *dm = d;
    *nm = n;
    *om = o & ~(d | n);
}
#define classify64 classify64_sse2
#else
#define classify64 classify64_swar
#endif

void vn__par_classify(const unsigned char *b, unsigned char delim, uint64_t out[6])
{
    classify64(b, delim, &out[0], &out[1], &out[2]);
    classify64_swar(b, delim, &out[3], &out[4], &out[5]);
}

/* A plain decimal in exactly the n bytes at q — an optional sign, then 1..8 digits with
 * at most one dot among them — as ±m and k (m·10^k), the values fast_number gives: 1;
 * 0 otherwise. (k of a zero m may differ from fast_number's 0: m·10^k is ±0 either way.) */
static inline int short_number(const unsigned char *q, size_t n, double *v, int *kout)
{
    const bool neg = *q == '-';
    if (neg || *q == '+') {
        q++;
        n--;
    }
    if (n - 1 >= 8) /* n == 0 or n > 8 */
        return 0;
    const uint64_t keep = ~0ull >> (64 - 8 * n);
    const uint64_t w = load8(q) & keep;
    const uint64_t nz = nondigits(w) & keep; /* the non-digits among the n bytes */
    uint64_t m;
    int k = 0;
    if (!nz) {
        m = digits_value(w, (unsigned)n);
    } else {
        const unsigned a = (unsigned)__builtin_ctzll(nz) / 8;
        if ((nz & (nz - 1)) || q[a] != '.' || n == 1)
            return 0; /* more than one non-digit, or not a dot, or the dot alone */
        const uint64_t low = (1ull << (8 * a)) - 1; /* (a < 8) */
        m = digits_value((w & low) | ((w >> 8) & ~low), (unsigned)n - 1);
        k = (int)a + 1 - (int)n;
    }
    const double d = (double)(int64_t)m;
    *v = neg ? -d : d;
    *kout = k;
    return 1;
}

/* 64 bits of a two-word mask from bit o (0..63) on. */
static inline uint64_t from_bit(uint64_t lo, uint64_t hi, unsigned o)
{
    return (lo >> o) | ((hi << 1) << (63 - o));
}

/* One field of a record the structural parser reads, [f, e) of the record at p: its
 * number into row `row`, or its slice key into rk. 0; 1 when the record must be parsed
 * alone; -1 when out of memory. */
static inline __attribute__((always_inline)) int plain_field(
    slot *s, unsigned role, unsigned j, const unsigned char *buf, size_t p, size_t f, size_t e,
    size_t lim, size_t row, size_t nkey, rowkey *rk)
{
    const size_t n = e - f;
    const unsigned char *q = buf + p + f;
    if (role == ROLE_NUM) {
        double x;
        int k;
        if (!short_number(q, n, &x, &k)) {
            const unsigned char *end = NULL;
            if (!n || !fast_number(q, buf + lim, &x, &k, &end) || end != buf + p + e)
                return 1;
        }
        s->col[j][row] = x;
        s->exp10[j][row] = (int16_t)k;
    } else if (role == ROLE_KEY) {
        return key_field(s, nkey, buf, p + f, n, rk);
    }
    return 0;
}

/* As parse_records, with the records the masks vouch for read off them. Needs 64
 * readable bytes past lim. A record is parsed into row s->n in place (its values and
 * their exponents); one the masks do not vouch for is then parsed again, alone. */
static size_t parse_structural(reader *rd, slot *s, const unsigned char *buf, size_t p,
                               size_t stop_at, size_t lim)
{
    const vn__par_spec *sp = rd->sp;
    const unsigned char delim = (unsigned char)sp->delim;
    const size_t ncols = sp->ncols, nnum = sp->nnum, nkey = sp->nkey, last = ncols - 1;
    const bool short_max = rd->short_max; /* else no field under 64 bytes is too long */
    const size_t max_field = sp->max_field;
    const int weight = sp->weight;
    const bool binary = sp->binary, checks = weight >= 0 || binary;
    const unsigned char *role = rd->role, *which = rd->which;
    if (ncols - 1 >= 64 || p + 64 > lim)
        return parse_records(rd, s, buf, p, stop_at, lim);
    /* the masks of [B, B + 128), which holds [p, p + 64); room for a row per byte of
     * [B, B + 64), made whenever B moves */
    size_t B = p;
    uint64_t d0, n0, o0, d1, n1, o1;
    classify64(buf + B, delim, &d0, &n0, &o0);
    classify64(buf + B + 64, delim, &d1, &n1, &o1);
    if (!slot_grow_rows(s, nnum, nkey > 0, s->n + 64))
        goto nomem;
    while (p < stop_at) {
        if (p + 64 > lim) /* the chunk's last bytes: their masks would run past */
            return parse_records(rd, s, buf, p, stop_at, lim);
        if (p - B >= 64) {
            do {
                B += 64;
                d0 = d1, n0 = n1, o0 = o1;
                classify64(buf + B + 64, delim, &d1, &n1, &o1);
            } while (p - B >= 64);
            if (!slot_grow_rows(s, nnum, nkey > 0, s->n + 64))
                goto nomem;
        }
        const size_t row = s->n;
        const unsigned o = (unsigned)(p - B);
        const uint64_t nl = from_bit(n0, n1, o);
        if (!nl)
            goto alone; /* 64 bytes or more */
        const unsigned t = (unsigned)__builtin_ctzll(nl); /* the line feed */
        const uint64_t below = (1ull << t) - 1;
        uint64_t odd = (o0 | o1) ? from_bit(o0, o1, o) & below : 0;
        size_t fe = t; /* the last field's end */
        if (t && buf[p + t - 1] == '\r') {
            fe = t - 1;
            odd &= ~(1ull << fe);
        }
        uint64_t d = from_bit(d0, d1, o) & below;
        if (odd || fe == 0)
            goto alone;
        rowkey rk;
        rk.inplace = false;
        rk.len = 0;
        size_t f = 0;
        int r;
        for (size_t c = 0; c < last; c++) {
            if (!d)
                goto alone; /* too few fields */
            const size_t e = (size_t)__builtin_ctzll(d);
            d &= d - 1;
            if ((short_max && e - f > max_field) ||
                (r = plain_field(s, role[c], which[c], buf, p, f, e, lim, row, nkey, &rk)) > 0)
                goto alone;
            if (r < 0)
                goto nomem;
            f = e + 1;
        }
        if (d || (short_max && fe - f > max_field) ||
            (r = plain_field(s, role[last], which[last], buf, p, f, fe, lim, row, nkey, &rk)) > 0)
            goto alone; /* too many fields, or the last field's own reasons */
        if (r < 0)
            goto nomem;
        if (checks && row_refused(sp, weight >= 0 ? s->col[weight][row] : 0.0, s->col[0][row],
                                  s->exp10[0][row]))
            goto alone; /* (which bails) */
        if (nkey && !put_key(s, buf, &rk, row))
            goto nomem;
        s->n = row + 1;
        s->records++;
        s->lines++;
        p += t + 1;
        continue;
    alone:
        p = parse_records(rd, s, buf, p, p + 1, lim);
        if (p == SIZE_MAX)
            return SIZE_MAX;
    }
    return p;
nomem:
    s->st = VN_ERR_NOMEM;
    return SIZE_MAX;
}

/* Readable zero bytes kept past a chunk's data: the masks of parse_structural reach 64
 * bytes past it, the digit scanners 8. */
enum { PAD = 64 };

static void unmap_chunk(slot *s)
{
    if (s->map)
        munmap(s->map, s->maplen);
    s->map = NULL;
}

/* Maps [r0, ne) and the rest of its last record from the file: true with s->data and
 * *len (up to the line break that ends the chunk's last record, with PAD readable bytes of
 * the file after it); false when the chunk is read instead (no such line break within
 * 64 KB past ne — at the end of the file, say —, a chunk smaller than a page, or mmap
 * failed).
 *
 * Mapping saves copying every byte from the page cache into a buffer that is then read
 * again (7 % of the CPU of `vernier eval`); the pages are unmapped once the chunk is
 * handed out, so at most a chunk per slot is mapped. The one hazard is the file's: a
 * file truncated by another process while it is read faults (SIGBUS) where read()
 * would return short; VERNIER_NO_MMAP=1 reads instead. */
static bool map_chunk(reader *rd, slot *s, uint64_t r0, uint64_t ne, size_t *len)
{
    const uint64_t size = rd->sp->size, page = rd->page, start = r0 - r0 % page;
    const uint64_t end = ne + (64u << 10) + PAD < size ? ne + (64u << 10) + PAD : size;
    if (!rd->mapping || end < ne + PAD || ne - r0 < page)
        return false;
    void *m = mmap(NULL, (size_t)(end - start), PROT_READ, MAP_SHARED | MAP_POPULATE,
                   rd->sp->fd, (off_t)start);
    if (m == MAP_FAILED)
        return false;
    s->map = m;
    s->maplen = (size_t)(end - start);
    s->data = (const unsigned char *)m + (r0 - start);
    const size_t from = (size_t)(ne - r0) - 1, to = (size_t)(end - PAD - r0);
    const unsigned char *nl = memchr(s->data + from, '\n', to - from);
    if (!nl) {
        unmap_chunk(s);
        return false;
    }
    *len = (size_t)(nl - s->data) + 1;
    return true;
}

/* Reads and parses chunk k into s. */
static void parse_chunk(reader *rd, slot *s, uint64_t k)
{
    const vn__par_spec *sp = rd->sp;
    const size_t C = vn__par_chunk_bytes;
    const uint64_t ns = sp->start + k * C;
    const uint64_t ne = ns + C < sp->size ? ns + C : sp->size;
    const uint64_t r0 = k == 0 ? ns : ns - 1; /* the byte before, to see a break there */
    s->k = k;
    s->r0 = r0;
    s->bail = false;
    s->st = VN_OK;
    s->n = s->nkeys = s->alen = 0;
    s->records = s->missing = s->lines = 0;
    if (s->ktab)
        memset(s->ktab, 0, s->ktab_cap * sizeof *s->ktab);
    size_t len = 0, want = (size_t)(ne - r0);
    if (map_chunk(rd, s, r0, ne, &len))
        goto parse;
    /* the chunk, then more until the line break that ends its last record */
    for (;;) {
        if (!vn__grow((void **)&s->buf, &s->bufcap, want + PAD, 1)) {
            s->st = VN_ERR_NOMEM;
            return;
        }
        s->data = s->buf;
        const ssize_t got = read_at(sp->fd, s->buf + len, want - len, r0 + len);
        if (got < 0) {
            s->st = VN_ERR_IO;
            s->err_no = errno;
            return;
        }
        len += (size_t)got;
        if (len < want || r0 + len >= sp->size)
            break; /* the end of the file */
        const size_t from = (size_t)(ne - r0) - 1;
        if (memchr(s->buf + from, '\n', len - from))
            break;
        want = len + (len < (64u << 10) ? (64u << 10) : len);
    }
    memset(s->buf + len, 0, PAD); /* the scanners read ahead (parse_structural) */
parse:;
    /* the first record: at the start (chunk 0) or after the first break at or after
     * the byte before the chunk */
    size_t p = 0;
    if (k > 0) {
        const unsigned char *nl = memchr(s->data, '\n', len);
        p = nl ? (size_t)(nl - s->data) + 1 : len;
    }
    s->begin = r0 + p;
    const size_t stop_at = (size_t)(ne - r0);
    const size_t e = p < stop_at ? parse_structural(rd, s, s->data, p, stop_at, len) : p;
    s->end = e == SIZE_MAX ? s->begin : r0 + e;
    /* the scaling, apart from the branchy parse: no division waits in its way */
    for (size_t j = 0; e != SIZE_MAX && j < sp->nnum; j++)
        for (size_t i = 0; i < s->n; i++)
            s->col[j][i] = convert(s->col[j][i], s->exp10[j][i]);
}

/* ---- the pipeline ---- */

/* Hands out every ready chunk in order (called with the lock held; drops it while the
 * sink runs). */
static void commit_ready(reader *rd)
{
    while (!rd->committing && !rd->stop_all) {
        slot *s = &rd->slots[rd->commit_k % rd->nslots];
        if (rd->commit_k >= rd->nchunks) {
            rd->stop_all = true; /* all done */
            rd->end->complete = true;
            break;
        }
        if (s->state != READY || s->k != rd->commit_k)
            break;
        if (s->st != VN_OK || s->bail || s->begin != rd->at) {
            if (s->st != VN_OK) {
                rd->st = s->st;
                if (s->st == VN_ERR_IO)
                    vn__fmt(rd->err, sizeof rd->err, "%s", strerror(s->err_no));
            }
            rd->stop_all = true; /* csv.c's reader takes over at this chunk */
            break;
        }
        rd->committing = true;
        pthread_mutex_unlock(&rd->mu);
        vn_status st = VN_OK;
        if (s->n || s->records) {
            vn__par_chunk c = {.n = s->n, .key = s->key, .nkeys = s->nkeys,
                               .keylen = s->klen, .records = s->records, .missing = s->missing};
            for (size_t j = 0; j < rd->sp->nnum; j++)
                c.col[j] = s->col[j];
            if (s->nkeys) {
                if (!vn__grow((void **)&s->kptr, &s->kptrcap, s->nkeys, sizeof *s->kptr))
                    st = VN_ERR_NOMEM;
                for (size_t i = 0; st == VN_OK && i < s->nkeys; i++)
                    s->kptr[i] = s->arena + s->koff[i];
                c.keys = s->kptr;
            }
            if (st == VN_OK)
                st = rd->sink(rd->ctx, &c);
        }
        if (st == VN_OK && rd->hashing)
            vn__hash_update(&rd->hash, s->data + (s->begin - s->r0), (size_t)(s->end - s->begin));
        pthread_mutex_lock(&rd->mu);
        rd->committing = false;
        if (st != VN_OK) {
            rd->st = st;
            rd->stop_all = true;
            break;
        }
        rd->at = s->end;
        rd->line += s->lines;
        unmap_chunk(s);
        s->state = FREE;
        rd->commit_k++;
        pthread_cond_broadcast(&rd->cv);
    }
}

static void *worker(void *arg)
{
    reader *rd = arg;
    pthread_mutex_lock(&rd->mu);
    for (;;) {
        if (rd->stop_all || rd->next_k >= rd->nchunks)
            break;
        const uint64_t k = rd->next_k++;
        slot *s = &rd->slots[k % rd->nslots];
        /* the slot is this chunk's once chunk k - nslots, its last user, is handed out
         * (a worker holding a later chunk must not take it first) */
        while ((s->state != FREE || k >= rd->commit_k + rd->nslots) && !rd->stop_all)
            pthread_cond_wait(&rd->cv, &rd->mu);
        if (rd->stop_all)
            break;
        s->state = BUSY;
        pthread_mutex_unlock(&rd->mu);
        parse_chunk(rd, s, k);
        pthread_mutex_lock(&rd->mu);
        s->state = READY;
        commit_ready(rd);
        pthread_cond_broadcast(&rd->cv);
    }
    /* finish handing out what others parsed, if it is this worker's turn */
    commit_ready(rd);
    pthread_cond_broadcast(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
    return NULL;
}

static void slot_free(slot *s)
{
    unmap_chunk(s);
    vn__free(s->buf);
    for (size_t j = 0; j < VN_PAR_MAX_NUM; j++) {
        vn__free(s->col[j]);
        vn__free(s->exp10[j]);
    }
    vn__free(s->key);
    vn__free(s->arena);
    vn__free(s->koff);
    vn__free(s->klen);
    vn__free(s->kword);
    vn__free((void *)s->kptr);
    vn__free(s->ktab);
    vn__free(s->row);
}

vn_status vn__par_read(const vn__par_spec *sp, vn__par_sink sink, void *ctx,
                       vn__par_end *end, char *errbuf, size_t errlen)
{
    *end = (vn__par_end){false, sp->start, sp->line, {0}};
    if (sp->hash)
        end->hash = *sp->hash;
    if (sp->nnum > VN_PAR_MAX_NUM || sp->nkey > 255 || sp->nnum > 255)
        return VN_OK; /* nothing read: the sequential reader does it all */
    reader rd = {.sp = sp, .sink = sink, .ctx = ctx, .end = end, .st = VN_OK,
                 .hashing = sp->hash != NULL, .line = sp->line, .at = sp->start};
    if (sp->hash)
        rd.hash = *sp->hash;
    const size_t C = vn__par_chunk_bytes;
    rd.nchunks = sp->size > sp->start ? (sp->size - sp->start + C - 1) / C : 0;
    const int threads = sp->threads < 1 ? 1 : sp->threads;
    rd.nslots = (size_t)threads + 1;
    rd.role = vn__calloc(sp->ncols ? sp->ncols : 1, 1);
    rd.which = vn__calloc(sp->ncols ? sp->ncols : 1, 1);
    rd.slots = vn__calloc(rd.nslots, sizeof *rd.slots);
    if (!rd.role || !rd.which || !rd.slots) {
        vn__free(rd.role);
        vn__free(rd.which);
        vn__free(rd.slots);
        return VN_ERR_NOMEM;
    }
    rd.ends[(unsigned char)sp->delim] = rd.ends['\n'] = rd.ends['\r'] = rd.ends[0] = 1;
    rd.short_max = sp->max_field < 64; /* (a fast number has at most 27 bytes) */
    rd.mapping = vn__par_map && !getenv("VERNIER_NO_MMAP");
    const long page = sysconf(_SC_PAGESIZE);
    rd.page = page > 0 ? (uint64_t)page : 4096;
    bool ok = true;
    for (size_t j = 0; j < sp->nnum; j++) {
        ok = ok && sp->num[j] < sp->ncols && rd.role[sp->num[j]] == ROLE_SKIP;
        if (ok) {
            rd.role[sp->num[j]] = ROLE_NUM;
            rd.which[sp->num[j]] = (unsigned char)j;
        }
    }
    for (size_t j = 0; j < sp->nkey; j++) {
        /* a column both numeric and a slice key, or named twice: the sequential reader */
        ok = ok && sp->key[j] < sp->ncols && rd.role[sp->key[j]] == ROLE_SKIP;
        if (ok) {
            rd.role[sp->key[j]] = ROLE_KEY;
            rd.which[sp->key[j]] = (unsigned char)j;
        }
    }
    /* slice columns are joined in the order given; the parser meets them in file order */
    for (size_t j = 1; ok && j < sp->nkey; j++)
        ok = sp->key[j] > sp->key[j - 1];
    vn_status st = VN_OK;
    if (ok && rd.nchunks) {
        pthread_mutex_init(&rd.mu, NULL);
        pthread_cond_init(&rd.cv, NULL);
        pthread_t tid[64];
        size_t nt = 0;
        for (; (int)nt + 1 < threads && nt < 64; nt++)
            if (pthread_create(&tid[nt], NULL, worker, &rd) != 0)
                break; /* fewer workers: the same rows, later */
        worker(&rd);
        for (size_t i = 0; i < nt; i++)
            pthread_join(tid[i], NULL);
        pthread_mutex_destroy(&rd.mu);
        pthread_cond_destroy(&rd.cv);
        st = rd.st;
        if (st == VN_ERR_IO)
            vn__fmt(errbuf, errlen, "read error: %s", rd.err);
        else if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "out of memory");
    } else if (rd.nchunks == 0) {
        end->complete = true;
    }
    end->offset = rd.at;
    end->line = rd.line;
    end->hash = rd.hash;
    for (size_t i = 0; i < rd.nslots; i++)
        slot_free(&rd.slots[i]);
    vn__free(rd.slots);
    vn__free(rd.role);
    vn__free(rd.which);
    return st;
}
