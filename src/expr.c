/*
 * expr.c — the expression language of custom metrics: tokenizer, recursive-descent
 * parser, constant folding, code generation into register programs, and the two
 * interpreters (over blocks of rows, and over aggregation values).
 *
 * Grammar (lowest precedence first; docs/expressions.md is the user's version):
 *
 *   expr    := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | cmp
 *   cmp     := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]      (no chains)
 *   sum     := prod (("+" | "-") prod)*
 *   prod    := unary (("*" | "/") unary)*
 *   unary   := ("-" | "+") unary | power
 *   power   := primary ["^" unary]                  (right-associative; -2^2 = -4)
 *   primary := NUMBER | NAME | "quoted name" | NAME "(" [expr ("," expr)*] ")" | "(" expr ")"
 *
 * Names: y, yhat, e (= yhat - y, the prediction error of METRICS.md), w (the row weight,
 * 1 without weights); any other name, or any quoted name, is an input column. Truth is
 * 1 and 0; a comparison or logical operation with a NaN operand is NaN, and so is
 * if() with a NaN condition, so a value outside a function's domain is never silently
 * turned into a number (min and max propagate NaN too; if() discards the branch it does
 * not take).
 *
 * Code generation: every node becomes at most one instruction writing a register of
 * VN_EXPR_ROWS doubles; columns and constants are read in place (binary operations take
 * a constant operand directly), children are generated in Sethi–Ullman order (the one
 * needing more registers first) so that registers stay few. Row programs of sums end
 * with the weighting, done the way acc.c weights its built-in sums — w·x, and for a
 * product a·b, (w·a)·b — so that mean(abs(e)) and sqrt(mean(e*e)) restate mae and rmse
 * term for term. x^2 is compiled as x*x (exactly rounded, as e*e is).
 *
 * The same element functions (f_*, through apply for scalars) fold constants, run the
 * top program and make every vector loop, so a value does not depend on where it is
 * computed.
 */
#include "expr.h"
#include "numparse.h"

#include <string.h>

/* ---- operations ---- */

enum {
    OP_CONST, OP_COPY, OP_NEG, OP_ABS, OP_SQRT, OP_LOG, OP_EXP, OP_NOT,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MIN, OP_MAX,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR,
    OP_IF,
};

enum { F_RR, F_RK, F_KR }; /* binary forms: two operands; constant right; constant left */

static inline bool binary(int op) { return op >= OP_ADD && op <= OP_OR; }

static inline double f_min(double a, double b) { return a < b || a != a ? a : b; }
static inline double f_max(double a, double b) { return a > b || a != a ? a : b; }
static inline double f_truth(double a, double b, bool t) { return a != a || b != b ? NAN : t ? 1.0 : 0.0; }
static inline double f_not(double a) { return a != a ? NAN : a == 0.0 ? 1.0 : 0.0; }
static inline double f_if(double c, double a, double b) { return c != c ? NAN : c != 0.0 ? a : b; }
static inline double f_add(double a, double b) { return a + b; }
static inline double f_sub(double a, double b) { return a - b; }
static inline double f_mul(double a, double b) { return a * b; }
static inline double f_div(double a, double b) { return a / b; }
static inline double f_lt(double a, double b) { return f_truth(a, b, a < b); }
static inline double f_le(double a, double b) { return f_truth(a, b, a <= b); }
static inline double f_gt(double a, double b) { return f_truth(a, b, a > b); }
static inline double f_ge(double a, double b) { return f_truth(a, b, a >= b); }
static inline double f_eq(double a, double b) { return f_truth(a, b, a == b); }
static inline double f_ne(double a, double b) { return f_truth(a, b, a != b); }
static inline double f_and(double a, double b) { return f_truth(a, b, a != 0.0 && b != 0.0); }
static inline double f_or(double a, double b) { return f_truth(a, b, a != 0.0 || b != 0.0); }

static double apply(int op, double a, double b, double c)
{
    switch (op) {
    case OP_COPY: return a;
    case OP_NEG: return -a;
    case OP_ABS: return fabs(a);
    case OP_SQRT: return sqrt(a);
    case OP_LOG: return log(a);
    case OP_EXP: return exp(a);
    case OP_NOT: return f_not(a);
    case OP_ADD: return f_add(a, b);
    case OP_SUB: return f_sub(a, b);
    case OP_MUL: return f_mul(a, b);
    case OP_DIV: return f_div(a, b);
    case OP_POW: return pow(a, b);
    case OP_MIN: return f_min(a, b);
    case OP_MAX: return f_max(a, b);
    case OP_LT: return f_lt(a, b);
    case OP_LE: return f_le(a, b);
    case OP_GT: return f_gt(a, b);
    case OP_GE: return f_ge(a, b);
    case OP_EQ: return f_eq(a, b);
    case OP_NE: return f_ne(a, b);
    case OP_AND: return f_and(a, b);
    case OP_OR: return f_or(a, b);
    case OP_IF: return f_if(a, b, c);
    }
    return NAN; /* OP_CONST: the caller reads the instruction's constant */
}

/* ---- the names table ---- */

vn_status vn__names_intern(vn__names *t, const char *name, size_t len, const char *use,
                           size_t *index)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->name[i]) == len && memcmp(t->name[i], name, len) == 0) {
            *index = i;
            return VN_OK;
        }
    size_t cap = t->cap;
    if (!vn__grow((void **)&t->name, &cap, t->n + 1, sizeof *t->name))
        return VN_ERR_NOMEM;
    cap = t->cap;
    if (!vn__grow((void **)&t->use, &cap, t->n + 1, sizeof *t->use))
        return VN_ERR_NOMEM;
    t->cap = cap;
    t->name[t->n] = vn__strndup(name, len);
    t->use[t->n] = vn__strdup(use ? use : "");
    if (!t->name[t->n] || !t->use[t->n]) {
        vn__free(t->name[t->n]);
        vn__free(t->use[t->n]);
        return VN_ERR_NOMEM;
    }
    *index = t->n++;
    return VN_OK;
}

void vn__names_free(vn__names *t)
{
    for (size_t i = 0; i < t->n; i++) {
        vn__free(t->name[i]);
        vn__free(t->use[i]);
    }
    vn__free(t->name);
    vn__free(t->use);
    memset(t, 0, sizeof *t);
}

/* ---- tokens ---- */

enum {
    TK_END, TK_NUM, TK_NAME, TK_STR, TK_LP, TK_RP, TK_COMMA, TK_PLUS, TK_MINUS, TK_STAR,
    TK_SLASH, TK_CARET, TK_LT, TK_LE, TK_GT, TK_GE, TK_EQ, TK_NE,
};

typedef struct tok {
    int kind;
    uint32_t at, len; /* the token's bytes (a quoted name: with its quotes) */
    double v;         /* TK_NUM */
} tok;

/* ---- the tree ---- */

enum { NK_NUM, NK_REF, NK_OP, NK_AGG };
#define NONE UINT32_MAX

typedef struct node {
    uint8_t kind, op, nk;
    uint32_t kid[3];
    uint32_t at;      /* byte offset of the operator, name or number */
    uint32_t height;  /* operations on the longest path below, this one included */
    uint32_t need;    /* registers its evaluation needs (Sethi–Ullman) */
    uint32_t ref;     /* NK_REF: the address; NK_AGG: the aggregation's index */
    double v;         /* NK_NUM */
} node;

typedef struct parser {
    const char *s;
    size_t len, i;
    tok t;
    node *nd;
    size_t nn, cap;
    int depth;
    const char *in_agg;   /* the aggregation whose argument is being read, or NULL */
    uint32_t aggnode[VN_EXPR_MAX_AGGS];
    size_t naggs;
    vn__names *cols;
    const char *who;      /* the metric's name, for the columns' uses */
    char *scratch;        /* unescaped quoted names */
    char *errbuf;
    size_t errlen;
    vn_status st;         /* the first error */
} parser;

/* Line and column (1-based, in characters) of byte offset at. */
static void line_col(const char *s, size_t len, size_t at, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < at && i < len; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static uint32_t perr(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error, "expression:LINE:COL: message"; returns NONE. */
static uint32_t perr(parser *p, size_t at, const char *fmt, ...)
{
    if (p->st != VN_OK)
        return NONE;
    uint32_t line, col;
    line_col(p->s, p->len, at, &line, &col);
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote the source (a quoted column name may hold a line break): keep them
     * one line, control bytes shown as '?' (fuzz_expr found it). */
    for (unsigned char *c = (unsigned char *)msg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    vn__fmt(p->errbuf, p->errlen, "expression:%u:%u: %s", (unsigned)line, (unsigned)col, msg);
    p->st = VN_ERR_DATA;
    return NONE;
}

static uint32_t nomem(parser *p)
{
    if (p->st == VN_OK) {
        vn__fmt(p->errbuf, p->errlen, "out of memory");
        p->st = VN_ERR_NOMEM;
    }
    return NONE;
}

/* The current token for messages: "\")\"", "end of the expression", ... */
static void show_tok(const parser *p, char *buf, size_t len)
{
    if (p->t.kind == TK_END) {
        vn__fmt(buf, len, "end of the expression");
        return;
    }
    const size_t n = p->t.len > 40 ? 40 : p->t.len;
    vn__fmt(buf, len, "\"%.*s%s\"", (int)n, p->s + p->t.at, n < p->t.len ? "..." : "");
}

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* Reads the next token into p->t (TK_END at the end or after an error). */
static void next(parser *p)
{
    const char *s = p->s;
    size_t i = p->i;
    while (i < p->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    tok t = {TK_END, (uint32_t)i, 0, 0};
    p->t = t;
    if (i >= p->len || p->st != VN_OK) {
        p->i = i;
        return;
    }
    const int c = (unsigned char)s[i], c1 = i + 1 < p->len ? (unsigned char)s[i + 1] : 0;
    size_t j = i + 1;
    if (is_digit(c) || (c == '.' && is_digit(c1))) {
        j = i;
        while (j < p->len && is_digit((unsigned char)s[j]))
            j++;
        if (j < p->len && s[j] == '.')
            for (j++; j < p->len && is_digit((unsigned char)s[j]);)
                j++;
        if (j < p->len && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < p->len && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < p->len && is_digit((unsigned char)s[k])) {
                while (k < p->len && is_digit((unsigned char)s[k]))
                    k++;
                j = k;
            }
        }
        t.kind = TK_NUM;
        const vn__num r = vn__parse_double(s + i, j - i, &t.v);
        if (r == VN__NUM_RANGE) {
            perr(p, i, "the number %.*s is too large for double precision", (int)(j - i > 40 ? 40 : j - i),
                 s + i);
            return;
        }
        if (r != VN__NUM_OK) {
            perr(p, i, "malformed number \"%.*s\"", (int)(j - i > 40 ? 40 : j - i), s + i);
            return;
        }
    } else if (is_alpha(c)) {
        while (j < p->len && (is_alpha((unsigned char)s[j]) || is_digit((unsigned char)s[j])))
            j++;
        t.kind = TK_NAME;
    } else if (c == '"') {
        for (;; j++) {
            if (j >= p->len) {
                perr(p, i, "a quoted column name is not closed (a \" is missing)");
                return;
            }
            const unsigned char d = (unsigned char)s[j];
            if (d == '"')
                break;
            if (d < 0x20) {
                perr(p, j, "a quoted column name holds a control character or line break");
                return;
            }
            if (d == '\\')
                j++;
        }
        j++;
        t.kind = TK_STR;
    } else {
        static const char ops[] = "(),+-*/^";
        static const int kinds[] = {TK_LP, TK_RP, TK_COMMA, TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_CARET};
        const char *o = c ? strchr(ops, c) : NULL;
        if (o) {
            t.kind = kinds[o - ops];
        } else if (c == '<' || c == '>') {
            const bool eq = c1 == '=';
            t.kind = c == '<' ? (eq ? TK_LE : TK_LT) : (eq ? TK_GE : TK_GT);
            j += eq;
        } else if (c == '=' && c1 == '=') {
            t.kind = TK_EQ;
            j++;
        } else if (c == '!' && c1 == '=') {
            t.kind = TK_NE;
            j++;
        } else if (c == '=') {
            perr(p, i, "unexpected \"=\" (write == to compare)");
            return;
        } else if (c == '!') {
            perr(p, i, "unexpected \"!\" (write not x, or != to compare)");
            return;
        } else if (c >= 0x21 && c < 0x7F) {
            perr(p, i, "unexpected character \"%c\"", c);
            return;
        } else {
            perr(p, i, "unexpected character (byte 0x%02X); quote column names that are not "
                       "plain words: \"unit price\"", (unsigned)c);
            return;
        }
    }
    t.len = (uint32_t)(j - i);
    p->t = t;
    p->i = j;
}

static bool tok_is(const parser *p, const char *word)
{
    return p->t.kind == TK_NAME && strlen(word) == p->t.len && memcmp(p->s + p->t.at, word, p->t.len) == 0;
}

/* ---- building nodes ---- */

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

static uint32_t add_node(parser *p, node n)
{
    if (p->st != VN_OK)
        return NONE;
    uint32_t h = 0;
    for (int k = 0; k < n.nk; k++)
        h = h > p->nd[n.kid[k]].height ? h : p->nd[n.kid[k]].height;
    n.height = h + (n.kind == NK_OP || n.kind == NK_AGG);
    if (n.height > VN_EXPR_MAX_HEIGHT)
        return perr(p, n.at, "the expression is too deep: more than %d operations on one path",
                    VN_EXPR_MAX_HEIGHT);
    /* registers: leaves none (read in place), an operation at least one for its result */
    if (n.kind == NK_OP) {
        uint32_t c[3] = {0, 0, 0};
        for (int k = 0; k < n.nk; k++) {
            const node *kid = &p->nd[n.kid[k]];
            /* if() reads no constant in place: it is put in a register */
            c[k] = kid->need ? kid->need : n.op == OP_IF && kid->kind == NK_NUM;
        }
        if (n.nk == 3) { /* by decreasing need, each held while the next ones are computed */
            for (int a = 0; a < 3; a++)
                for (int b = a + 1; b < 3; b++)
                    if (c[b] > c[a]) {
                        const uint32_t t = c[a];
                        c[a] = c[b];
                        c[b] = t;
                    }
            n.need = max3(c[0], c[1] + 1, c[2] + 2);
        } else if (n.nk == 2 && n.kid[0] != n.kid[1]) {
            n.need = c[0] == c[1] ? c[0] + 1 : (c[0] > c[1] ? c[0] : c[1]);
        } else {
            n.need = c[0] ? c[0] : 1;
        }
    }
    if (!vn__grow((void **)&p->nd, &p->cap, p->nn + 1, sizeof *p->nd))
        return nomem(p);
    p->nd[p->nn] = n;
    return (uint32_t)p->nn++;
}

static uint32_t mk_num(parser *p, double v, uint32_t at)
{
    return add_node(p, (node){.kind = NK_NUM, .at = at, .v = v});
}

static uint32_t mk_ref(parser *p, uint32_t ref, uint32_t at)
{
    return add_node(p, (node){.kind = NK_REF, .at = at, .ref = ref});
}

/* An operation on a, b, c (NONE when absent); folded when every operand is a constant.
 * A division by a constant zero is an error, as is a constant that is not finite. */
static uint32_t mk_op(parser *p, int op, uint32_t at, uint32_t a, uint32_t b, uint32_t c)
{
    if (p->st != VN_OK)
        return NONE;
    const uint32_t kid[3] = {a, b, c};
    const int nk = c != NONE ? 3 : b != NONE ? 2 : 1;
    if (op == OP_DIV && p->nd[b].kind == NK_NUM && p->nd[b].v == 0.0)
        return perr(p, at, "division by zero");
    if (op == OP_POW && p->nd[b].kind == NK_NUM && p->nd[b].v == 2.0)
        return mk_op(p, OP_MUL, at, a, a, NONE); /* x^2 = x*x, exactly rounded */
    bool all = true;
    for (int k = 0; k < nk; k++)
        all = all && p->nd[kid[k]].kind == NK_NUM;
    if (all) {
        const double v = apply(op, p->nd[a].v, nk > 1 ? p->nd[b].v : 0.0, nk > 2 ? p->nd[c].v : 0.0);
        if (!isfinite(v))
            return perr(p, at, "this constant part of the expression is not a finite number");
        return mk_num(p, v, p->nd[a].at);
    }
    node n = {.kind = NK_OP, .op = (uint8_t)op, .nk = (uint8_t)nk, .at = at};
    memcpy(n.kid, kid, sizeof kid);
    return add_node(p, n);
}

/* ---- the parser ---- */

static uint32_t parse_expr(parser *p);
static uint32_t parse_unary(parser *p);

static bool enter(parser *p)
{
    if (++p->depth > VN_EXPR_MAX_DEPTH) {
        perr(p, p->t.at, "nesting deeper than %d levels", VN_EXPR_MAX_DEPTH);
        return false;
    }
    return true;
}

/* Functions and aggregations: name, arguments, operation (or aggregation kind). */
typedef struct fn {
    const char *name;
    int nargs;
    bool agg;
    int op; /* an OP_*, or a vn__agg_kind; clip is op -1 */
} fn;

static const fn fns[] = {
    {"abs", 1, false, OP_ABS},       {"sqrt", 1, false, OP_SQRT},
    {"log", 1, false, OP_LOG},       {"exp", 1, false, OP_EXP},
    {"min", 2, false, OP_MIN},       {"max", 2, false, OP_MAX},
    {"pow", 2, false, OP_POW},       {"if", 3, false, OP_IF},
    {"clip", 3, false, -1},          {"mean", 1, true, VN_AGG_MEAN},
    {"sum", 1, true, VN_AGG_SUM},    {"wmean", 2, true, VN_AGG_WMEAN},
    {"quantile", 2, true, VN_AGG_QUANTILE},
};

static const char fn_list[] =
    "functions: abs, sqrt, log, exp, min, max, pow, clip, if; aggregations: mean, sum, wmean, "
    "quantile";

const char *vn__agg_name(vn__agg_kind k)
{
    static const char *const names[] = {"sum", "mean", "wmean", "quantile"};
    return names[k];
}

static uint32_t parse_call(parser *p, uint32_t at, size_t namelen)
{
    const fn *f = NULL;
    for (size_t k = 0; k < sizeof fns / sizeof fns[0]; k++)
        if (strlen(fns[k].name) == namelen && memcmp(fns[k].name, p->s + at, namelen) == 0)
            f = &fns[k];
    if (!f)
        return perr(p, at, "unknown function \"%.*s\" (%s)", (int)(namelen > 40 ? 40 : namelen),
                    p->s + at, fn_list);
    if (f->agg && p->in_agg)
        return perr(p, at, "aggregations cannot nest: %s inside %s", f->name, p->in_agg);
    if (f->agg && p->naggs == VN_EXPR_MAX_AGGS)
        return perr(p, at, "more than %d aggregations", VN_EXPR_MAX_AGGS);
    const size_t open = p->t.at;
    next(p); /* ( */
    if (f->agg)
        p->in_agg = f->name;
    uint32_t arg[3] = {NONE, NONE, NONE};
    int n = 0;
    if (p->t.kind != TK_RP) {
        for (;;) {
            if (!enter(p))
                return NONE;
            const uint32_t a = parse_expr(p);
            p->depth--;
            if (a == NONE)
                return NONE;
            if (n < 3)
                arg[n] = a;
            n++;
            if (p->t.kind != TK_COMMA)
                break;
            next(p);
        }
    }
    if (p->t.kind != TK_RP) {
        uint32_t line, col;
        line_col(p->s, p->len, open, &line, &col);
        char got[64];
        show_tok(p, got, sizeof got);
        return perr(p, p->t.at, "expected \",\" or \")\" to close the \"(\" of %s at %u:%u, got %s",
                    f->name, (unsigned)line, (unsigned)col, got);
    }
    next(p);
    if (f->agg)
        p->in_agg = NULL;
    if (n != f->nargs)
        return perr(p, at, "%s takes %d argument%s, not %d", f->name, f->nargs,
                    f->nargs == 1 ? "" : "s", n);
    if (!f->agg) {
        if (f->op < 0) /* clip(x, lo, hi) = min(max(x, lo), hi), as numpy.clip */
            return mk_op(p, OP_MIN, at, mk_op(p, OP_MAX, at, arg[0], arg[1], NONE), arg[2], NONE);
        return mk_op(p, f->op, at, arg[0], arg[1], arg[2]);
    }
    if (f->op == VN_AGG_QUANTILE) {
        const node *q = &p->nd[arg[1]];
        if (q->kind != NK_NUM || !(q->v >= 0.0 && q->v <= 1.0))
            return perr(p, q->at, "the level of quantile must be a constant from 0 to 1");
    }
    node a = {.kind = NK_AGG, .op = (uint8_t)f->op, .nk = (uint8_t)n, .at = at,
              .ref = (uint32_t)p->naggs};
    memcpy(a.kid, arg, sizeof arg);
    const uint32_t id = add_node(p, a);
    if (id != NONE)
        p->aggnode[p->naggs++] = id;
    return id;
}

static uint32_t parse_primary(parser *p)
{
    const tok t = p->t;
    char got[64];
    switch (t.kind) {
    case TK_NUM:
        next(p);
        return mk_num(p, t.v, t.at);
    case TK_LP: {
        if (!enter(p)) /* the error points at this "(" */
            return NONE;
        next(p);
        const uint32_t e = parse_expr(p);
        p->depth--;
        if (e == NONE)
            return NONE;
        if (p->t.kind != TK_RP) {
            uint32_t line, col;
            line_col(p->s, p->len, t.at, &line, &col);
            show_tok(p, got, sizeof got);
            return perr(p, p->t.at, "expected \")\" to close the \"(\" at %u:%u, got %s",
                        (unsigned)line, (unsigned)col, got);
        }
        next(p);
        return e;
    }
    case TK_NAME:
    case TK_STR: {
        next(p);
        if (t.kind == TK_NAME && p->t.kind == TK_LP)
            return parse_call(p, t.at, t.len);
        const char *name = p->s + t.at;
        size_t len = t.len;
        if (t.kind == TK_STR) { /* unescape \" and \\ */
            len = 0;
            for (size_t k = 1; k + 1 < t.len; k++) {
                if (name[k] == '\\')
                    k++;
                p->scratch[len++] = name[k];
            }
            name = p->scratch;
            if (len == 0)
                return perr(p, t.at, "an empty quoted column name");
        } else if (t.len == 3 && (memcmp(name, "and", 3) == 0 || memcmp(name, "not", 3) == 0)) {
            return perr(p, t.at, "unexpected \"%.3s\"", name);
        } else if (t.len == 2 && memcmp(name, "or", 2) == 0) {
            return perr(p, t.at, "unexpected \"or\"");
        }
        if (!p->in_agg)
            return perr(p, t.at, "\"%.*s\" is a value of each row: use it inside an "
                                 "aggregation, such as mean(%.*s)", (int)(t.len > 40 ? 40 : t.len), p->s + t.at,
                        (int)(t.len > 40 ? 40 : t.len), p->s + t.at);
        if (t.kind == TK_NAME) {
            const bool is_y = len == 1 && name[0] == 'y', is_w = len == 1 && name[0] == 'w';
            const bool is_p = len == 4 && memcmp(name, "yhat", 4) == 0;
            if (is_y || is_w || is_p)
                return mk_ref(p, is_y ? VN_T_Y : is_w ? VN_T_W : VN_T_P, t.at);
            if (len == 1 && name[0] == 'e') /* e = yhat - y */
                return mk_op(p, OP_SUB, t.at, mk_ref(p, VN_T_P, t.at), mk_ref(p, VN_T_Y, t.at), NONE);
        }
        size_t k;
        uint32_t line, col;
        char use[160];
        line_col(p->s, p->len, t.at, &line, &col);
        vn__fmt(use, sizeof use, "metric %s reads it at expression:%u:%u", p->who ? p->who : "?",
                (unsigned)line, (unsigned)col);
        if (vn__names_intern(p->cols, name, len, use, &k) != VN_OK)
            return nomem(p);
        if (k > (size_t)(VN_T_AGG - VN_T_X - 1))
            return perr(p, t.at, "too many columns");
        return mk_ref(p, VN_T_X + (uint32_t)k, t.at);
    }
    default:
        show_tok(p, got, sizeof got);
        return perr(p, t.at, "expected a number, a name or \"(\", got %s", got);
    }
}

static uint32_t parse_power(parser *p)
{
    const uint32_t base = parse_primary(p);
    if (base == NONE || p->t.kind != TK_CARET)
        return base;
    const uint32_t at = p->t.at;
    next(p);
    if (!enter(p))
        return NONE;
    const uint32_t ex = parse_unary(p);
    p->depth--;
    return ex == NONE ? NONE : mk_op(p, OP_POW, at, base, ex, NONE);
}

static uint32_t parse_unary(parser *p)
{
    if (p->t.kind != TK_MINUS && p->t.kind != TK_PLUS)
        return parse_power(p);
    const tok t = p->t;
    if (!enter(p))
        return NONE;
    next(p);
    const uint32_t a = parse_unary(p);
    p->depth--;
    if (a == NONE || t.kind == TK_PLUS)
        return a;
    return mk_op(p, OP_NEG, t.at, a, NONE, NONE);
}

/* The left-associative levels of the grammar: or, and, + -, * /. */
enum { L_OR, L_AND, L_SUM, L_PROD };

static uint32_t parse_not(parser *p);
static uint32_t parse_level(parser *p, int level);

/* The operation of the current token at this level, or -1. */
static int level_op(const parser *p, int level)
{
    switch (level) {
    case L_OR: return tok_is(p, "or") ? OP_OR : -1;
    case L_AND: return tok_is(p, "and") ? OP_AND : -1;
    case L_SUM: return p->t.kind == TK_PLUS ? OP_ADD : p->t.kind == TK_MINUS ? OP_SUB : -1;
    default: return p->t.kind == TK_STAR ? OP_MUL : p->t.kind == TK_SLASH ? OP_DIV : -1;
    }
}

/* An operand of this level: the next tighter one. */
static uint32_t level_operand(parser *p, int level)
{
    switch (level) {
    case L_OR: return parse_level(p, L_AND);
    case L_AND: return parse_not(p);
    case L_SUM: return parse_level(p, L_PROD);
    default: return parse_unary(p);
    }
}

/* operand (op operand)*, grouping to the left (a - b - c = (a - b) - c). */
static uint32_t parse_level(parser *p, int level)
{
    uint32_t a = level_operand(p, level);
    while (a != NONE && level_op(p, level) >= 0) {
        const int op = level_op(p, level);
        const uint32_t at = p->t.at;
        next(p);
        const uint32_t b = level_operand(p, level);
        a = b == NONE ? NONE : mk_op(p, op, at, a, b, NONE);
    }
    return a;
}

static uint32_t parse_cmp(parser *p)
{
    const uint32_t a = parse_level(p, L_SUM);
    static const int ops[] = {[TK_LT] = OP_LT, [TK_LE] = OP_LE, [TK_GT] = OP_GT,
                              [TK_GE] = OP_GE, [TK_EQ] = OP_EQ, [TK_NE] = OP_NE};
    if (a == NONE || p->t.kind < TK_LT || p->t.kind > TK_NE)
        return a;
    const tok t = p->t;
    next(p);
    const uint32_t b = parse_level(p, L_SUM);
    if (b != NONE && p->t.kind >= TK_LT && p->t.kind <= TK_NE)
        return perr(p, p->t.at, "comparisons do not chain: write (a < b) and (b < c)");
    return b == NONE ? NONE : mk_op(p, ops[t.kind], t.at, a, b, NONE);
}

static uint32_t parse_not(parser *p)
{
    if (!tok_is(p, "not"))
        return parse_cmp(p);
    const uint32_t at = p->t.at;
    if (!enter(p))
        return NONE;
    next(p);
    const uint32_t a = parse_not(p);
    p->depth--;
    return a == NONE ? NONE : mk_op(p, OP_NOT, at, a, NONE, NONE);
}

static uint32_t parse_expr(parser *p) { return parse_level(p, L_OR); }

/* ---- code generation ---- */

enum { O_REG, O_TAB, O_K }; /* an operand: a register, a column or aggregation, a constant */

typedef struct opnd {
    int kind;
    uint32_t a;
    double k;
} opnd;

typedef struct cgen {
    parser *p;
    vn__ins *ins;
    size_t n, cap;
    uint32_t top; /* registers in use: a stack */
} cgen;

static void emit(cgen *g, int op, int form, uint32_t d, uint32_t a, uint32_t b, uint32_t c,
                 double k, uint32_t at)
{
    if (g->p->st != VN_OK)
        return;
    if (!vn__grow((void **)&g->ins, &g->cap, g->n + 1, sizeof *g->ins)) {
        nomem(g->p);
        return;
    }
    g->ins[g->n++] = (vn__ins){(uint8_t)op, (uint8_t)form, d, a, b, c, k, at};
}

static uint32_t reg_alloc(cgen *g, uint32_t at)
{
    if (g->top >= VN_EXPR_REGS) {
        perr(g->p, at, "the expression is too complex: it needs more than %d registers",
             VN_EXPR_REGS);
        return 0;
    }
    return g->top++;
}

/* Registers are a stack: the operands of an operation are released last first. */
static void reg_release(cgen *g, opnd o)
{
    if (o.kind == O_REG && g->top > 0)
        g->top--;
}

/* o in a register of its own (a constant is broadcast, a column copied). */
static opnd in_reg(cgen *g, opnd o, uint32_t at)
{
    if (o.kind == O_REG)
        return o;
    const uint32_t d = reg_alloc(g, at);
    emit(g, o.kind == O_K ? OP_CONST : OP_COPY, F_RR, d, o.a, 0, 0, o.k, at);
    return (opnd){O_REG, d, 0};
}

/* d = a op b for two operands, at most one of them constant. */
static void emit_binary(cgen *g, int op, uint32_t d, opnd a, opnd b, uint32_t at)
{
    if (a.kind == O_K)
        emit(g, op, F_KR, d, 0, b.a, 0, a.k, at);
    else if (b.kind == O_K)
        emit(g, op, F_RK, d, a.a, 0, 0, b.k, at);
    else
        emit(g, op, F_RR, d, a.a, b.a, 0, 0.0, at);
}

/* Generates the two children of a binary node, the one needing more registers first. */
static void gen_pair(cgen *g, const node *n, opnd *a, opnd *b);

static opnd gen(cgen *g, uint32_t id)
{
    const node *n = &g->p->nd[id];
    if (g->p->st != VN_OK)
        return (opnd){O_K, 0, 0.0};
    switch (n->kind) {
    case NK_NUM: return (opnd){O_K, 0, n->v};
    case NK_REF: return (opnd){O_TAB, n->ref, 0.0};
    case NK_AGG: return (opnd){O_TAB, VN_T_AGG + n->ref, 0.0};
    default: break;
    }
    if (n->nk == 1) {
        const opnd a = gen(g, n->kid[0]); /* never a constant: it would have been folded */
        reg_release(g, a);
        const uint32_t d = reg_alloc(g, n->at);
        emit(g, n->op, F_RR, d, a.a, 0, 0, 0.0, n->at);
        return (opnd){O_REG, d, 0.0};
    }
    if (n->nk == 2) {
        opnd a, b;
        gen_pair(g, n, &a, &b);
        const uint32_t d = reg_alloc(g, n->at);
        emit_binary(g, n->op, d, a, b, n->at);
        return (opnd){O_REG, d, 0.0};
    }
    /* if(c, a, b): children by decreasing need; constants broadcast into registers */
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (g->p->nd[n->kid[order[j]]].need > g->p->nd[n->kid[order[i]]].need) {
                const int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    opnd o[3];
    for (int i = 0; i < 3; i++) {
        o[order[i]] = gen(g, n->kid[order[i]]);
        if (o[order[i]].kind == O_K)
            o[order[i]] = in_reg(g, o[order[i]], n->at);
    }
    for (int i = 2; i >= 0; i--)
        reg_release(g, o[order[i]]);
    const uint32_t d = reg_alloc(g, n->at);
    emit(g, n->op, F_RR, d, o[0].a, o[1].a, o[2].a, 0.0, n->at);
    return (opnd){O_REG, d, 0.0};
}

static void gen_pair(cgen *g, const node *n, opnd *a, opnd *b)
{
    if (n->kid[0] == n->kid[1]) { /* x*x from x^2: one evaluation */
        *a = *b = gen(g, n->kid[0]);
        reg_release(g, *a);
        return;
    }
    if (g->p->nd[n->kid[1]].need > g->p->nd[n->kid[0]].need) {
        *b = gen(g, n->kid[1]);
        *a = gen(g, n->kid[0]);
        reg_release(g, *a);
        reg_release(g, *b);
    } else {
        *a = gen(g, n->kid[0]);
        *b = gen(g, n->kid[1]);
        reg_release(g, *b);
        reg_release(g, *a);
    }
}

/* Ends a program: the value of o. */
static void finish_prog(cgen *g, opnd o, vn__prog *pg)
{
    pg->ins = g->ins;
    pg->nins = g->n;
    pg->is_const = o.kind == O_K;
    pg->k = o.k;
    pg->out = o.a;
    g->ins = NULL;
}

/* w·x in a fresh register, x·w's product form (w·a)·b when x is a product a·b, as acc.c
 * weights its sums (Σ(w·e)·e for mse). */
static opnd gen_weighted(cgen *g, uint32_t x, uint32_t at)
{
    const node *n = &g->p->nd[x];
    const opnd w = {O_TAB, VN_T_W, 0.0};
    if (n->kind == NK_OP && n->op == OP_MUL) {
        opnd a, b;
        gen_pair(g, n, &a, &b);
        /* a and b stay where they are; the product goes above them */
        g->top += (a.kind == O_REG) + (b.kind == O_REG && b.a != a.a);
        const uint32_t d = reg_alloc(g, at);
        emit_binary(g, OP_MUL, d, w, a, at);
        emit_binary(g, OP_MUL, d, (opnd){O_REG, d, 0.0}, b, at);
        return (opnd){O_REG, d, 0.0};
    }
    const opnd a = gen(g, x);
    const uint32_t d = reg_alloc(g, at);
    emit_binary(g, OP_MUL, d, w, a, at);
    return (opnd){O_REG, d, 0.0};
}

/* The row program of aggregation node a: its term (den: wmean's denominator w·v). */
static void gen_term(parser *p, const node *a, bool den, vn__prog *pg)
{
    cgen g = {p, NULL, 0, 0, 0};
    opnd r;
    const uint32_t at = a->at;
    switch ((vn__agg_kind)a->op) {
    case VN_AGG_WMEAN: {
        const opnd w = {O_TAB, VN_T_W, 0.0};
        opnd v, x = {O_K, 0, 0.0};
        if (den) {
            v = gen(&g, a->kid[1]);
        } else if (p->nd[a->kid[0]].need > p->nd[a->kid[1]].need) {
            x = gen(&g, a->kid[0]);
            v = gen(&g, a->kid[1]);
        } else {
            v = gen(&g, a->kid[1]);
            x = gen(&g, a->kid[0]);
        }
        const uint32_t d = reg_alloc(&g, at);
        emit_binary(&g, OP_MUL, d, w, v, at);
        if (!den)
            emit_binary(&g, OP_MUL, d, (opnd){O_REG, d, 0.0}, x, at);
        r = (opnd){O_REG, d, 0.0};
        break;
    }
    case VN_AGG_QUANTILE:
        r = gen(&g, a->kid[0]);
        break;
    default:
        r = gen_weighted(&g, a->kid[0], at);
        break;
    }
    finish_prog(&g, r, pg);
    vn__free(g.ins);
}

/* ---- compiling ---- */

void vn__expr_free(vn__expr *x)
{
    if (!x)
        return;
    for (size_t k = 0; k < x->naggs; k++) {
        vn__free(x->aggs[k].term.ins);
        vn__free(x->aggs[k].den.ins);
    }
    vn__free(x->aggs);
    vn__free(x->top.ins);
    vn__free(x->src);
    vn__free(x);
}

vn_status vn__expr_compile(const char *src, size_t len, const char *who, vn__names *cols,
                           vn__expr **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    VN_RETURN_IF(len > VN_EXPR_MAX_LEN, VN_ERR_DATA,
                 "expression:1:1: the expression is %zu bytes long; the limit is %d", len,
                 VN_EXPR_MAX_LEN);
    parser p = {.s = src, .len = len, .cols = cols, .who = who, .errbuf = errbuf, .errlen = errlen};
    p.scratch = vn__malloc(len + 1);
    vn__expr *x = vn__calloc(1, sizeof *x);
    if (!p.scratch || !x) {
        vn__free(p.scratch);
        vn__free(x);
        VN_RETURN_IF(true, VN_ERR_NOMEM, "out of memory");
    }
    next(&p);
    if (p.t.kind == TK_END)
        perr(&p, p.t.at, "the expression is empty");
    const uint32_t root = parse_expr(&p);
    if (root != NONE && p.t.kind != TK_END) {
        char got[64];
        show_tok(&p, got, sizeof got);
        perr(&p, p.t.at, "unexpected %s%s", got,
             p.t.kind == TK_RP ? ": no \"(\" is open" : "");
    }
    if (p.st == VN_OK && p.naggs == 0)
        perr(&p, 0, "the expression has no aggregation: a metric aggregates the rows, as in "
                    "mean(abs(e))");
    if (p.st == VN_OK) {
        x->src = vn__strndup(src, len);
        x->aggs = vn__calloc(p.naggs, sizeof *x->aggs);
        if (!x->src || !x->aggs)
            nomem(&p);
    }
    for (size_t k = 0; p.st == VN_OK && k < p.naggs; k++) {
        const node *a = &p.nd[p.aggnode[k]];
        vn__agg *g = &x->aggs[k];
        x->naggs++;
        g->kind = (vn__agg_kind)a->op;
        line_col(src, len, a->at, &g->line, &g->col);
        if (g->kind == VN_AGG_QUANTILE) {
            g->q = p.nd[a->kid[1]].v;
            x->quantile = true;
        } else {
            g->slot = x->nsums;
            x->nsums += g->kind == VN_AGG_WMEAN ? 2 : 1;
        }
        gen_term(&p, a, false, &g->term);
        if (g->kind == VN_AGG_WMEAN)
            gen_term(&p, a, true, &g->den);
    }
    if (p.st == VN_OK) {
        cgen g = {&p, NULL, 0, 0, 0};
        const opnd r = gen(&g, root);
        finish_prog(&g, r, &x->top);
        vn__free(g.ins);
    }
    vn__free(p.nd);
    vn__free(p.scratch);
    if (p.st != VN_OK) {
        vn__expr_free(x);
        return p.st;
    }
    *out = x;
    return VN_OK;
}

/* ---- the row interpreter ---- */

static const double *addr(uint32_t k, double (*R)[VN_EXPR_ROWS], const vn__xrows *r, size_t base)
{
    if (k < VN_EXPR_REGS)
        return R[k];
    switch (k) {
    case VN_T_Y: return r->y + base;
    case VN_T_P: return r->p + base;
    case VN_T_W: return r->w ? r->w + base : vn__ones; /* NULL: every weight 1 */
    default: return r->x[k - VN_T_X] + base;
    }
}

#define LOOP(E)                                                                               \
    for (size_t i = 0; i < m; i++)                                                            \
        d[i] = (E);                                                                           \
    break
#define BIN(OP, F)                                                                            \
    case OP:                                                                                  \
        if (in->form == F_RR) {                                                               \
            LOOP(F(a[i], b[i]));                                                              \
        } else if (in->form == F_RK) {                                                        \
            LOOP(F(a[i], k));                                                                 \
        } else {                                                                              \
            LOOP(F(k, b[i]));                                                                 \
        }

/* One instruction over m rows. The loops are plain element-wise code over contiguous
 * arrays (d may be a or b: element-wise that is safe), which the compiler vectorises
 * with a check for overlap; GCC's default cost model at -O2 ("very cheap") refuses any
 * loop that needs such a check, hence the dynamic model for this function (measured on
 * the cost expression of bench/expr.py: 0.26 s of CPU for 10 million rows without it,
 * 0.20 s with it; an AVX2 clone of the loops gained nothing measurable). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("vect-cost-model=dynamic")))
#endif
VN_CLONES
static void step(const vn__ins *in, double *d, const double *a, const double *b,
                 const double *c, size_t m)
{
    const double k = in->k;
    switch (in->op) {
    case OP_CONST: LOOP(k);
    case OP_COPY: LOOP(a[i]);
    case OP_NEG: LOOP(-a[i]);
    case OP_ABS: LOOP(fabs(a[i]));
    case OP_SQRT: LOOP(sqrt(a[i]));
    case OP_LOG: LOOP(log(a[i]));
    case OP_EXP: LOOP(exp(a[i]));
    case OP_NOT: LOOP(f_not(a[i]));
    case OP_IF: LOOP(f_if(a[i], b[i], c[i]));
    BIN(OP_ADD, f_add)
    BIN(OP_SUB, f_sub)
    BIN(OP_MUL, f_mul)
    BIN(OP_DIV, f_div)
    BIN(OP_POW, pow)
    BIN(OP_MIN, f_min)
    BIN(OP_MAX, f_max)
    BIN(OP_LT, f_lt)
    BIN(OP_LE, f_le)
    BIN(OP_GT, f_gt)
    BIN(OP_GE, f_ge)
    BIN(OP_EQ, f_eq)
    BIN(OP_NE, f_ne)
    BIN(OP_AND, f_and)
    BIN(OP_OR, f_or)
    }
}

#undef LOOP
#undef BIN

void vn__prog_run(const vn__prog *pg, const vn__xrows *r, size_t off, size_t n, double *out)
{
    double R[VN_EXPR_REGS][VN_EXPR_ROWS];
    for (size_t at = 0; at < n; at += VN_EXPR_ROWS) {
        const size_t m = n - at < VN_EXPR_ROWS ? n - at : VN_EXPR_ROWS, base = off + at;
        if (pg->is_const) {
            for (size_t i = 0; i < m; i++)
                out[at + i] = pg->k;
            continue;
        }
        for (size_t j = 0; j < pg->nins; j++) {
            const vn__ins *in = &pg->ins[j];
            step(in, R[in->d], addr(in->a, R, r, base), addr(in->b, R, r, base),
                 addr(in->c, R, r, base), m);
        }
        memcpy(out + at, addr(pg->out, R, r, base), m * sizeof *out);
    }
}

/* ---- the top program ---- */

bool vn__expr_root_of_agg(const vn__expr *x, bool *root)
{
    const vn__prog *t = &x->top;
    *root = t->nins == 1 && t->ins[0].op == OP_SQRT && t->ins[0].a == VN_T_AGG &&
            t->out == t->ins[0].d;
    return *root || (t->nins == 0 && !t->is_const && t->out == VN_T_AGG);
}

/* Why a value stopped being finite, decided where it happened. */
static vn_reason origin(int op, double b, double r)
{
    if (op == OP_DIV && b == 0.0)
        return VN_REASON_ZERO_DENOMINATOR;
    if (op == OP_LOG || op == OP_SQRT || (op == OP_POW && isnan(r)))
        return VN_REASON_DOMAIN;
    return VN_REASON_OVERFLOW;
}

vn_reason vn__expr_top(const vn__expr *x, const double *agg, double *out, char *msg, size_t len)
{
    double R[VN_EXPR_REGS];
    long cause[VN_EXPR_REGS]; /* per register: the instruction where its value first was
                                 not finite, or -1 */
    vn_reason kind[VN_EXPR_REGS];
    for (int r = 0; r < VN_EXPR_REGS; r++) { /* unused operands read register 0 */
        R[r] = 0.0;
        cause[r] = -1;
        kind[r] = VN_REASON_NONE;
    }
    const vn__prog *pg = &x->top;
    for (size_t j = 0; j < pg->nins; j++) {
        const vn__ins *in = &pg->ins[j];
        const uint32_t src[3] = {in->a, in->b, in->c};
        double v[3];
        long why[3];
        vn_reason wk[3];
        for (int s = 0; s < 3; s++) {
            const bool reg = src[s] < VN_EXPR_REGS;
            v[s] = reg ? R[src[s]] : src[s] >= VN_T_AGG ? agg[src[s] - VN_T_AGG] : 0.0;
            why[s] = reg ? cause[src[s]] : -1;
            wk[s] = reg ? kind[src[s]] : VN_REASON_NONE;
        }
        if (in->form == F_RK || in->form == F_KR) {
            const int s = in->form == F_RK ? 1 : 0;
            v[s] = in->k;
            why[s] = -1;
        }
        const double r = in->op == OP_CONST ? in->k : apply(in->op, v[0], v[1], v[2]);
        long c = -1;
        vn_reason ck = VN_REASON_NONE;
        if (!isfinite(r)) {
            /* an operand that was not finite already is the cause; if() only through the
             * branch it takes */
            int s = -1;
            if (in->op == OP_IF)
                s = !isfinite(v[0]) ? 0 : v[0] != 0.0 ? 1 : 2;
            else
                for (int t = binary(in->op) ? 1 : 0; t >= 0; t--)
                    s = !isfinite(v[t]) && why[t] >= 0 ? t : s;
            if (s >= 0 && why[s] >= 0) {
                c = why[s];
                ck = wk[s];
            } else {
                c = (long)j;
                ck = origin(in->op, v[1], r);
            }
        }
        R[in->d] = r;
        cause[in->d] = c;
        kind[in->d] = ck;
    }
    const bool reg = !pg->is_const && pg->out < VN_EXPR_REGS;
    *out = pg->is_const ? pg->k : reg ? R[pg->out] : agg[pg->out - VN_T_AGG];
    if (isfinite(*out))
        return VN_REASON_NONE;
    uint32_t line = 1, col = 1;
    const long c = reg ? cause[pg->out] : -1;
    const vn_reason k = c >= 0 ? kind[pg->out] : VN_REASON_OVERFLOW;
    const int op = c >= 0 ? pg->ins[c].op : -1;
    if (c >= 0)
        line_col(x->src, strlen(x->src), pg->ins[c].at, &line, &col);
    if (k == VN_REASON_ZERO_DENOMINATOR)
        vn__fmt(msg, len, "the expression divides by 0 at %u:%u", (unsigned)line, (unsigned)col);
    else if (k == VN_REASON_DOMAIN)
        vn__fmt(msg, len, "%s at %u:%u is outside its domain (%s)",
                op == OP_LOG ? "log" : op == OP_SQRT ? "sqrt" : "pow", (unsigned)line, (unsigned)col,
                op == OP_LOG    ? "it needs a value > 0"
                : op == OP_SQRT ? "it needs a value >= 0"
                                : "a negative base with a fractional power");
    else
        vn__fmt(msg, len, "the value is not finite in double precision (at %u:%u)", (unsigned)line,
                (unsigned)col);
    return k;
}
