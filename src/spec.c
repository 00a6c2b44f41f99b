/*
 * spec.c — the loader of `vernier.yaml` (schema version 1): YAML text to a validated
 * vn__spec (spec.h), or one error line "NAME:LINE:COL: message".
 *
 * Two stages. First a small document tree is built from libyaml's events, one event at
 * a time, refusing what a spec never needs and what makes YAML dangerous before
 * anything is allocated for it: anchors and aliases (the "billion laughs" expansion),
 * tags other than the core ones, nesting deeper than VN__SPEC_MAX_DEPTH, more than
 * VN__SPEC_MAX_NODES values, collections as mapping keys, a second document. The tree
 * is at most a small constant times the text, which is at most VN__SPEC_MAX_BYTES.
 * Then the schema is checked over the tree, section by section in a fixed order
 * (version, data, metrics, slices, baseline, gates, ci) so that references between
 * sections (gates → metrics, slices, baseline) work whatever the key order in the file;
 * within one mapping, unknown and duplicate keys are reported in document order.
 *
 * Scalars are typed by the schema, not by YAML 1.1's resolver: where text is expected
 * any scalar is read as the text written (so a column named `no` or `2023` is that
 * text); a boolean is only a plain `true` or `false`; a number is a plain scalar that
 * the strict, locale-independent vn__parse_double accepts whole and finite. A quoted
 * scalar is always text. The user reference is docs/spec.md.
 */
#include "spec.h"

#include "eval.h"
#include "numparse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- the document tree ---------------------------------------------------------- */

typedef enum { N_SCALAR, N_SEQ, N_MAP } nkind;

typedef struct node {
    nkind kind;
    bool plain;        /* a plain (or core-typed) scalar: may be a number, bool or null */
    vn__spec_loc loc;  /* where the node starts */
    char *text;        /* scalar: NUL-terminated (no NUL inside) */
    size_t len;
    struct node **kid; /* sequence: the items; mapping: key, value, key, value, ... */
    size_t n, cap;
} node;

typedef struct ctx {
    const char *name; /* for messages */
    char *errbuf;
    size_t errlen;
    size_t nodes;
} ctx;

/* ---- messages ------------------------------------------------------------------- */

/* A value quoted for a one-line message: escapes '"', '\\' and control bytes, and cuts
 * long text (at a UTF-8 character boundary) with "...". Returned by value, so that
 * show(x).s can be an argument of a format call. */
typedef struct shown {
    char s[112];
} shown;

static shown show_n(const char *s, size_t len)
{
    shown o;
    size_t k = 0, i = 0;
    o.s[k++] = '"';
    for (; i < len && k < 80; i++) {
        const unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            o.s[k++] = '\\';
            o.s[k++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f) {
            static const char hex[] = "0123456789ABCDEF";
            o.s[k++] = '\\';
            o.s[k++] = 'x';
            o.s[k++] = hex[ch >> 4];
            o.s[k++] = hex[ch & 15];
        } else {
            o.s[k++] = (char)ch;
        }
    }
    if (i < len) {
        /* drop a possibly incomplete UTF-8 sequence at the cut */
        while (k > 1 && ((unsigned char)o.s[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 1 && (unsigned char)o.s[k - 1] >= 0xC0)
            k--;
        memcpy(o.s + k, "...", 3);
        k += 3;
    }
    o.s[k++] = '"';
    o.s[k] = '\0';
    return o;
}

static shown show(const node *n) { return show_n(n->text, n->len); }
static shown show_str(const char *s) { return show_n(s, strlen(s)); }

static bool is_null(const node *n)
{
    return n->kind == N_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
            strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

/* A plain scalar that reads as a number (finite or too large), true or false: shown
 * as written, without quotes. */
static bool looks_typed(const node *n)
{
    double d;
    const vn__num k = n->kind == N_SCALAR && n->plain && n->len
                          ? vn__parse_double(n->text, n->len, &d) : VN__NUM_SYNTAX;
    return k == VN__NUM_OK || k == VN__NUM_RANGE ||
           (n->kind == N_SCALAR && n->plain &&
            (strcmp(n->text, "true") == 0 || strcmp(n->text, "false") == 0));
}

/* What a node is, for "expected X, got Y": a mapping, a sequence, null, 12.5, true, or
 * text "abc" (quoted scalars are always text). */
static shown describe(const node *n)
{
    shown o;
    if (n->kind == N_MAP)
        vn__fmt(o.s, sizeof o.s, "a mapping");
    else if (n->kind == N_SEQ)
        vn__fmt(o.s, sizeof o.s, "a sequence");
    else if (is_null(n))
        vn__fmt(o.s, sizeof o.s, "null");
    else if (looks_typed(n))
        vn__fmt(o.s, sizeof o.s, "%s", n->text);
    else
        vn__fmt(o.s, sizeof o.s, "text %s", show(n).s);
    return o;
}

static vn_status fail(const ctx *c, vn__spec_loc at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "NAME:LINE:COL: PATH: message" (no "PATH: " at the top level) and returns
 * VN_ERR_DATA. */
static vn_status fail(const ctx *c, vn__spec_loc at, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path && *path)
        vn__fmt(c->errbuf, c->errlen, "%s:%u:%u: %s: %s", c->name, (unsigned)at.line,
                (unsigned)at.col, path, msg);
    else
        vn__fmt(c->errbuf, c->errlen, "%s:%u:%u: %s", c->name, (unsigned)at.line,
                (unsigned)at.col, msg);
    return VN_ERR_DATA;
}

/* ---- building the tree from events ---------------------------------------------- */

static void node_free(node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kid[i]); /* recursion bounded by VN__SPEC_MAX_DEPTH */
    vn__free(n->kid);
    vn__free(n->text);
    vn__free(n);
}

#define CORE_TAG "tag:yaml.org,2002:"

/* The core tag's short name ("str", ...) or NULL for any other tag. */
static const char *core_tag(const char *tag)
{
    static const char *const core[] = {"str", "int", "float", "bool", "null", "seq", "map"};
    const size_t pre = strlen(CORE_TAG);
    if (strncmp(tag, CORE_TAG, pre) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
        if (strcmp(tag + pre, core[i]) == 0)
            return core[i];
    return NULL;
}

static vn_status check_tag(const ctx *c, vn__spec_loc at, const yaml_char_t *tag,
                           const char *want, const char **core)
{
    *core = NULL;
    if (!tag)
        return VN_OK;
    const char *t = (const char *)tag;
    *core = core_tag(t);
    if (!*core) {
        const bool yaml_ns = strncmp(t, CORE_TAG, strlen(CORE_TAG)) == 0;
        char shown_tag[128];
        vn__fmt(shown_tag, sizeof shown_tag, "%s%s", yaml_ns ? "!!" : "",
                yaml_ns ? t + strlen(CORE_TAG) : t);
        return fail(c, at, NULL,
                    "tag %s is not allowed (only the core tags !!str, !!int, !!float, "
                    "!!bool, !!null, !!seq and !!map)",
                    show_str(shown_tag).s);
    }
    const bool collection = strcmp(*core, "seq") == 0 || strcmp(*core, "map") == 0;
    if (want ? strcmp(*core, want) != 0 : collection)
        return fail(c, at, NULL, "tag !!%s does not fit this %s", *core,
                    want ? (strcmp(want, "seq") == 0 ? "sequence" : "mapping") : "scalar");
    return VN_OK;
}

/* Attaches a new node to the open collection on top of the stack (or makes it the
 * root). On failure the node is freed. */
static vn_status attach(node **stack, size_t depth, node **root, node *n)
{
    if (depth == 0) {
        *root = n;
        return VN_OK;
    }
    node *p = stack[depth - 1];
    if (!vn__grow((void **)&p->kid, &p->cap, p->n + 1, sizeof *p->kid)) {
        node_free(n);
        return VN_ERR_NOMEM;
    }
    p->kid[p->n++] = n;
    return VN_OK;
}

typedef struct builder {
    node *stack[VN__SPEC_MAX_DEPTH];
    size_t depth;
    node *root;
    int docs;
    bool done;
} builder;

static vn_status scalar_event(const ctx *c, builder *b, const yaml_event_t *ev, vn__spec_loc at)
{
    const char *core;
    VN_TRY(check_tag(c, at, ev->data.scalar.tag, NULL, &core));
    const char *v = (const char *)ev->data.scalar.value;
    const size_t len = ev->data.scalar.length;
    if (strlen(v) != len)
        return fail(c, at, NULL, "text must not contain NUL characters");
    bool plain = core ? strcmp(core, "str") != 0
                      : ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (core && plain) { /* !!int, !!float, !!bool, !!null: the text must be one */
        double d;
        bool ok;
        if (strcmp(core, "bool") == 0)
            ok = strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
        else if (strcmp(core, "null") == 0)
            ok = len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
        else if (strcmp(core, "int") == 0)
            ok = len > (size_t)(*v == '-' || *v == '+') &&
                 strspn(v + (*v == '-' || *v == '+'), "0123456789") == len - (*v == '-' || *v == '+');
        else
            ok = vn__parse_double(v, len, &d) == VN__NUM_OK;
        if (!ok)
            return fail(c, at, NULL, "%s is not a valid !!%s", show_n(v, len).s, core);
    }
    node *n = vn__calloc(1, sizeof *n);
    if (!n)
        return VN_ERR_NOMEM;
    n->kind = N_SCALAR;
    n->plain = plain;
    n->loc = at;
    n->len = len;
    n->text = vn__strndup(v, len);
    if (!n->text) {
        vn__free(n);
        return VN_ERR_NOMEM;
    }
    return attach(b->stack, b->depth, &b->root, n);
}

static vn_status start_event(const ctx *c, builder *b, const yaml_event_t *ev, vn__spec_loc at)
{
    const bool map = ev->type == YAML_MAPPING_START_EVENT;
    /* Refused before anything is allocated: depth first, so a deep input costs nothing. */
    if (b->depth == VN__SPEC_MAX_DEPTH)
        return fail(c, at, NULL, "nesting deeper than %d levels is not allowed",
                    VN__SPEC_MAX_DEPTH);
    const yaml_char_t *anchor = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    if (anchor)
        return fail(c, at, NULL, "anchors and aliases are not allowed");
    const char *core;
    VN_TRY(check_tag(c, at, map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag,
                     map ? "map" : "seq", &core));
    const node *p = b->depth ? b->stack[b->depth - 1] : NULL;
    if (p && p->kind == N_MAP && p->n % 2 == 0)
        return fail(c, at, NULL, "a key must be text, not a %s", map ? "mapping" : "sequence");
    node *n = vn__calloc(1, sizeof *n);
    if (!n)
        return VN_ERR_NOMEM;
    n->kind = map ? N_MAP : N_SEQ;
    n->loc = at;
    VN_TRY(attach(b->stack, b->depth, &b->root, n));
    b->stack[b->depth++] = n;
    return VN_OK;
}

static vn_status on_event(ctx *c, builder *b, const yaml_event_t *ev)
{
    const vn__spec_loc at = {(uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1};
    switch (ev->type) {
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return VN_OK;
    case YAML_STREAM_END_EVENT:
        b->done = true;
        return VN_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++)
            return fail(c, at, NULL, "only one YAML document is allowed (this is a second one)");
        return VN_OK;
    case YAML_ALIAS_EVENT:
        return fail(c, at, NULL, "anchors and aliases are not allowed");
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (++c->nodes > VN__SPEC_MAX_NODES)
            return fail(c, at, NULL, "more than %d values: this is not a spec", VN__SPEC_MAX_NODES);
        if (ev->type != YAML_SCALAR_EVENT)
            return start_event(c, b, ev, at);
        if (ev->data.scalar.anchor)
            return fail(c, at, NULL, "anchors and aliases are not allowed");
        return scalar_event(c, b, ev, at);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        b->depth--;
        return VN_OK;
    }
    return VN_OK;
}

/* libyaml's message and position, e.g. "did not find expected key (while parsing a
 * block mapping at line 2, column 1)". Reader errors (bad UTF-8, control characters)
 * carry a byte offset instead of a position. */
static vn_status yaml_fail(const ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return VN_ERR_NOMEM;
    vn__spec_loc at = {(uint32_t)p->problem_mark.line + 1, (uint32_t)p->problem_mark.column + 1};
    char extra[96] = "";
    if (p->error == YAML_READER_ERROR) {
        at = (vn__spec_loc){1, 1};
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                at.line++;
                at.col = 1;
            } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
                at.col++;
            }
        }
        if (p->problem_value != -1)
            vn__fmt(extra, sizeof extra, " (#x%X)", (unsigned)p->problem_value);
    } else if (p->context) {
        vn__fmt(extra, sizeof extra, " (%s at line %u, column %u)", p->context,
                (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
    }
    return fail(c, at, NULL, "invalid YAML: %s%s", p->problem ? p->problem : "syntax error",
                extra);
}

static vn_status build(ctx *c, const char *text, size_t len, node **out)
{
    *out = NULL;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return VN_ERR_NOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    builder b = {.depth = 0};
    vn_status st = VN_OK;
    while (st == VN_OK && !b.done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            st = yaml_fail(c, &p, text, len);
            break;
        }
        st = on_event(c, &b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (st == VN_OK && (!b.root || is_null(b.root)))
        st = fail(c, b.root ? b.root->loc : (vn__spec_loc){1, 1}, NULL,
                  "the file is empty (a spec starts with \"version: 1\")");
    if (st != VN_OK) {
        node_free(b.root);
        return st;
    }
    *out = b.root;
    return VN_OK;
}

/* ---- reading typed values ------------------------------------------------------- */

/* The values of a mapping's known keys. names[i] → key[i], val[i] (NULL if absent). */
#define MAX_FIELDS 20
typedef struct fields {
    const node *key[MAX_FIELDS], *val[MAX_FIELDS];
} fields;

static bool text_is(const node *n, const char *s)
{
    return n->kind == N_SCALAR && strcmp(n->text, s) == 0 && strlen(s) == n->len;
}

static void join(char *buf, size_t len, const char *const *names, size_t n, const char *sep)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && k < len; i++) {
        vn__fmt(buf + k, len - k, "%s%s", i ? sep : "", names[i]);
        k += strlen(buf + k);
    }
}

static vn_status expect(const ctx *c, const node *n, nkind kind, const char *path)
{
    if (n->kind == kind)
        return VN_OK;
    return fail(c, n->loc, path, "expected %s, got %s",
                kind == N_MAP ? "a mapping" : kind == N_SEQ ? "a sequence" : "text",
                describe(n).s);
}

/* Checks mapping m (at path) against the allowed key names, in document order:
 * the first unknown or duplicate key is the error. */
static vn_status take(const ctx *c, const node *m, const char *path, const char *const *names,
                      size_t n, fields *f)
{
    memset(f, 0, sizeof *f);
    VN_TRY(expect(c, m, N_MAP, path));
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const node *k = m->kid[i];
        size_t j = 0;
        while (j < n && !text_is(k, names[j]))
            j++;
        if (j == n) {
            char list[400];
            join(list, sizeof list, names, n, ", ");
            return fail(c, k->loc, path, "unknown key %s (expected one of: %s)", show(k).s, list);
        }
        if (f->key[j])
            return fail(c, k->loc, path, "duplicate key %s", show(k).s);
        f->key[j] = k;
        f->val[j] = m->kid[i + 1];
    }
    return VN_OK;
}

static vn_status need(const ctx *c, const fields *f, size_t i, const char *const *names,
                      vn__spec_loc at, const char *path)
{
    if (f->val[i])
        return VN_OK;
    return fail(c, at, path, "missing key \"%s\"", names[i]);
}

/* Any non-null scalar, as written. A name or path (value == false) must be non-empty
 * and free of control characters (a `|` block's final line break, say); a filter value
 * (value == true) is compared with cells and may be anything. */
static vn_status get_text(const ctx *c, const node *n, const char *path, const char *what,
                          bool value, char **out)
{
    if (n->kind != N_SCALAR || is_null(n))
        return fail(c, n->loc, path, "expected %s, got %s", what, describe(n).s);
    if (!value && n->len == 0)
        return fail(c, n->loc, path, "expected %s, got empty text", what);
    for (size_t i = 0; !value && i < n->len; i++)
        if ((unsigned char)n->text[i] < 0x20 || n->text[i] == 0x7f)
            return fail(c, n->loc, path,
                        "expected %s without line breaks or other control characters, got %s",
                        what, describe(n).s);
    *out = vn__strndup(n->text, n->len);
    return *out ? VN_OK : VN_ERR_NOMEM;
}

/* A plain scalar that is a whole finite decimal number. */
static vn_status get_number(const ctx *c, const node *n, const char *path, double *out)
{
    if (n->kind == N_SCALAR && n->plain && !is_null(n)) {
        double v;
        const vn__num k = vn__parse_double(n->text, n->len, &v);
        const bool blank = n->text[0] == ' ' || n->text[0] == '\t';
        if (k == VN__NUM_OK && !blank) {
            *out = v;
            return VN_OK;
        }
        if (k == VN__NUM_NONFINITE || k == VN__NUM_RANGE)
            return fail(c, n->loc, path, "expected a finite number, got %s", describe(n).s);
    }
    return fail(c, n->loc, path, "expected a number, got %s", describe(n).s);
}

/* A plain scalar of decimal digits, in [lo, hi]. */
static vn_status get_uint(const ctx *c, const node *n, const char *path, uint64_t lo,
                          uint64_t hi, uint64_t *out)
{
    char want[80];
    if (hi == UINT64_MAX)
        vn__fmt(want, sizeof want, "a whole number >= %" PRIu64, lo);
    else
        vn__fmt(want, sizeof want, "a whole number from %" PRIu64 " to %" PRIu64, lo, hi);
    bool ok = n->kind == N_SCALAR && n->plain && n->len > 0, big = false;
    uint64_t v = 0;
    for (size_t i = 0; ok && !big && i < n->len; i++) {
        const unsigned d = (unsigned)(n->text[i] - '0');
        ok = d <= 9;
        big = ok && v > (UINT64_MAX - d) / 10;
        if (ok && !big)
            v = v * 10 + d;
    }
    if (!ok || big || v < lo || v > hi)
        return fail(c, n->loc, path, "expected %s, got %s%s", want, describe(n).s,
                    big ? " (too large)" : "");
    *out = v;
    return VN_OK;
}

static vn_status get_bool(const ctx *c, const node *n, const char *path, int *out)
{
    if (n->kind == N_SCALAR && n->plain && (text_is(n, "true") || text_is(n, "false"))) {
        *out = text_is(n, "true");
        return VN_OK;
    }
    return fail(c, n->loc, path, "expected true or false, got %s", describe(n).s);
}

/* One of the words (plain or quoted); *out = its index. */
static vn_status get_enum(const ctx *c, const node *n, const char *path,
                          const char *const *words, size_t nwords, int *out)
{
    *out = 0;
    for (size_t i = 0; n->kind == N_SCALAR && i < nwords; i++)
        if (text_is(n, words[i])) {
            *out = (int)i;
            return VN_OK;
        }
    char list[200];
    join(list, sizeof list, words, nwords, ", ");
    return fail(c, n->loc, path, "expected one of: %s; got %s", list, describe(n).s);
}

static bool valid_id(const node *n)
{
    if (n->len == 0)
        return false;
    for (size_t i = 0; i < n->len; i++) {
        const char ch = n->text[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

static vn_status get_id(const ctx *c, const node *n, const char *path, char **out)
{
    if (n->kind == N_SCALAR && !is_null(n) && !valid_id(n))
        return fail(c, n->loc, path, "%s is not a valid id (use letters, digits, '_', '.' and '-')",
                    show(n).s);
    return get_text(c, n, path, "an id", false, out);
}

/* With `header: false` columns are named by their 1-based index (csv.c). */
static vn_status get_column(const ctx *c, const node *n, const char *path, int header, char **out)
{
    VN_TRY(get_text(c, n, path, "a column name", false, out));
    bool index = n->text[0] >= '1' && n->text[0] <= '9';
    for (size_t i = 1; index && i < n->len; i++)
        index = n->text[i] >= '0' && n->text[i] <= '9';
    if (!header && !index)
        return fail(c, n->loc, path,
                    "the data has no header (header: false), so columns are named by their "
                    "1-based index (\"1\", \"2\", ...), not %s",
                    show(n).s);
    return VN_OK;
}

/* A text or a non-empty sequence of texts, copied into a new array. */
static vn_status get_texts(const ctx *c, const node *n, const char *path, const char *what,
                           bool allow_empty, bool column, int header, char ***out, size_t *count)
{
    const bool seq = n->kind == N_SEQ;
    if (seq && n->n == 0)
        return fail(c, n->loc, path, "expected %s or a non-empty sequence of them, got an empty sequence", what);
    if (!seq && n->kind != N_SCALAR)
        return fail(c, n->loc, path, "expected %s or a sequence of them, got %s", what, describe(n).s);
    const size_t k = seq ? n->n : 1;
    *out = vn__calloc(k, sizeof **out);
    if (!*out)
        return VN_ERR_NOMEM;
    *count = k;
    for (size_t i = 0; i < k; i++) {
        const node *item = seq ? n->kid[i] : n;
        char p[128];
        if (seq)
            vn__fmt(p, sizeof p, "%s[%zu]", path, i);
        else
            vn__fmt(p, sizeof p, "%s", path);
        if (column)
            VN_TRY(get_column(c, item, p, header, &(*out)[i]));
        else
            VN_TRY(get_text(c, item, p, what, allow_empty, &(*out)[i]));
    }
    return VN_OK;
}

/* ---- version and data ----------------------------------------------------------- */

enum { T_VERSION, T_DATA, T_METRICS, T_SLICES, T_BASELINE, T_GATES, T_CI, T_N };
static const char *const top_keys[T_N] = {"version", "data", "metrics", "slices",
                                          "baseline", "gates", "ci"};

static vn_status read_version(const ctx *c, const node *v, vn__spec *s)
{
    double d;
    if (v->kind != N_SCALAR || !v->plain || is_null(v) ||
        vn__parse_double(v->text, v->len, &d) != VN__NUM_OK)
        return fail(c, v->loc, "version", "expected the number %d, got %s", VN__SPEC_VERSION,
                    describe(v).s);
    if (d != VN__SPEC_VERSION)
        return fail(c, v->loc, "version",
                    "unsupported version %s (this vernier reads version %d)", v->text,
                    VN__SPEC_VERSION);
    s->version = VN__SPEC_VERSION;
    return VN_OK;
}

enum {
    D_PATH, D_FORMAT, D_DELIMITER, D_HEADER, D_Y, D_PREDICTION, D_WEIGHT, D_ID, D_TIME,
    D_SERIES, D_HORIZON, D_TRAIN, D_MISSING, D_ZERO, D_R2C, D_TASK, D_N
};
static const char *const data_keys[D_N] = {"path", "format", "delimiter", "header", "y",
                                           "prediction", "weight", "id", "time", "series",
                                           "horizon", "train", "missing", "zero_policy",
                                           "r2_constant", "task"};
_Static_assert(D_N <= MAX_FIELDS, "data keys do not fit in fields");

static vn_status read_data(const ctx *c, const node *key, const node *m, vn__spec *s)
{
    fields f;
    VN_TRY(take(c, m, "data", data_keys, D_N, &f));
    s->data.loc = key->loc;
    VN_TRY(need(c, &f, D_PATH, data_keys, key->loc, "data"));
    VN_TRY(need(c, &f, D_Y, data_keys, key->loc, "data"));
    VN_TRY(need(c, &f, D_PREDICTION, data_keys, key->loc, "data"));
    VN_TRY(get_text(c, f.val[D_PATH], "data.path", "a path", false, &s->data.path));
    if (f.val[D_FORMAT] && f.val[D_DELIMITER])
        return fail(c, f.key[D_DELIMITER]->loc, "data",
                    "give format or delimiter, not both");
    if (f.val[D_FORMAT]) {
        static const char *const formats[] = {"csv", "tsv"};
        int k;
        VN_TRY(get_enum(c, f.val[D_FORMAT], "data.format", formats, 2, &k));
        s->data.delimiter = k ? '\t' : ',';
    }
    if (f.val[D_DELIMITER]) {
        const node *d = f.val[D_DELIMITER];
        if (d->kind == N_SCALAR && text_is(d, "tab"))
            s->data.delimiter = '\t';
        else if (d->kind == N_SCALAR && d->len == 1 && (unsigned char)d->text[0] < 0x80 &&
                 !strchr("\"\r\n", d->text[0]))
            s->data.delimiter = d->text[0];
        else
            return fail(c, d->loc, "data.delimiter",
                        "expected one ASCII character (not a quote or line break) or \"tab\", "
                        "got %s",
                        describe(d).s);
    }
    s->data.header = 1;
    if (f.val[D_HEADER])
        VN_TRY(get_bool(c, f.val[D_HEADER], "data.header", &s->data.header));
    char **const cols[] = {&s->data.y, &s->data.prediction, &s->data.weight, &s->data.id,
                           &s->data.time, &s->data.series, &s->data.horizon};
    for (int i = D_Y; i <= D_HORIZON; i++) {
        if (!f.val[i])
            continue;
        char path[32];
        vn__fmt(path, sizeof path, "data.%s", data_keys[i]);
        VN_TRY(get_column(c, f.val[i], path, s->data.header, cols[i - D_Y]));
    }
    /* the forecasting keys follow `vernier eval`'s rules for --series, --horizon and
     * --train (cli/cmd_eval.c), with the same refusal */
    if (f.val[D_SERIES] && f.val[D_HORIZON])
        return fail(c, f.key[D_HORIZON]->loc, "data",
                    "series with horizon is not supported yet: evaluate per series, or per "
                    "horizon (with train for the scale)");
    if (f.val[D_SERIES])
        s->data.series_loc = f.val[D_SERIES]->loc;
    if (f.val[D_HORIZON])
        s->data.horizon_loc = f.key[D_HORIZON]->loc;
    if (f.val[D_TRAIN]) {
        VN_TRY(get_text(c, f.val[D_TRAIN], "data.train", "a path", false, &s->data.train));
        s->data.train_loc = f.val[D_TRAIN]->loc;
        if (strcmp(s->data.train, "-") == 0)
            return fail(c, f.val[D_TRAIN]->loc, "data.train",
                        "the training file is read by every evaluation that needs its scale, "
                        "so it cannot be standard input: give a file");
    }
    int k;
    if (f.val[D_MISSING]) {
        static const char *const w[] = {"error", "skip"};
        VN_TRY(get_enum(c, f.val[D_MISSING], "data.missing", w, 2, &k));
        s->data.missing = k ? VN_MISSING_SKIP : VN_MISSING_ERROR;
    }
    if (f.val[D_ZERO]) {
        static const char *const w[] = {"nan", "skip", "eps"};
        VN_TRY(get_enum(c, f.val[D_ZERO], "data.zero_policy", w, 3, &k));
        s->data.zero = k == 0 ? VN_ZERO_NAN : k == 1 ? VN_ZERO_SKIP : VN_ZERO_EPS;
    }
    if (f.val[D_R2C]) {
        static const char *const w[] = {"undefined", "sklearn"};
        VN_TRY(get_enum(c, f.val[D_R2C], "data.r2_constant", w, 2, &k));
        s->data.r2c = k ? VN_R2_SKLEARN : VN_R2_UNDEFINED;
    }
    if (f.val[D_TASK]) {
        static const char *const w[] = {"regression", "binary"};
        VN_TRY(get_enum(c, f.val[D_TASK], "data.task", w, 2, &k));
        s->data.task = k ? VN_TASK_BINARY : VN_TASK_REGRESSION;
    }
    return VN_OK;
}

/* ---- metrics -------------------------------------------------------------------- */

/* A catalog parameter signature "delta=1" / "q" parsed: name, default text (NULL when
 * required). */
typedef struct param_sig {
    char name[32];
    const char *def;
    char defbuf[32];
    bool text; /* the default is not a number (nrmse's norm=mean): a text parameter */
} param_sig;

static size_t param_sigs(const char *params, param_sig *sig, size_t max)
{
    size_t n = 0;
    for (const char *p = params; *p && n < max;) {
        const size_t len = strcspn(p, ", :");
        const char *eq = memchr(p, '=', len);
        const size_t nlen = eq ? (size_t)(eq - p) : len;
        param_sig *g = &sig[n++];
        vn__fmt(g->name, sizeof g->name, "%.*s", (int)nlen, p);
        g->def = NULL;
        g->text = false;
        if (eq) {
            vn__fmt(g->defbuf, sizeof g->defbuf, "%.*s", (int)(len - nlen - 1), eq + 1);
            g->def = g->defbuf;
            double d;
            g->text = vn__parse_double(g->def, strlen(g->def), &d) != VN__NUM_OK;
        }
        p += len;
        while (*p == ',' || *p == ' ' || *p == ':')
            p++;
    }
    return n;
}

/* The shortest "%.Ng" that reads back as v (so 0.95 is "0.95", not 0.94999999999999996). */
static void fmt_shortest(char *buf, size_t len, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        vn__fmt(buf, len, "%.*g", prec, v);
        for (char *q = buf; *q; q++)
            if (*q == ',') /* a decimal comma from the locale */
                *q = '.';
        double back;
        if (vn__parse_double(buf, strlen(buf), &back) == VN__NUM_OK && back == v)
            return;
    }
}

#define MAX_SIGS 4

/* params: → "type:name=value..." in catalog order, validated by the metric-list parser
 * itself (ranges, integer parameters, aliases that fix a parameter). */
static vn_status read_params(const ctx *c, const node *type, const node *pkey, const node *pm,
                             const char *path, vn__spec_metric *m)
{
    param_sig sig[MAX_SIGS];
    const size_t nsig = param_sigs(m->info->params, sig, MAX_SIGS);
    const node *given[MAX_SIGS] = {NULL};
    char ppath[160];
    vn__fmt(ppath, sizeof ppath, "%s.params", path);
    if (pm) {
        VN_TRY(expect(c, pm, N_MAP, ppath));
        for (size_t i = 0; i + 1 < pm->n; i += 2) {
            const node *k = pm->kid[i];
            size_t j = 0;
            while (j < nsig && !text_is(k, sig[j].name))
                j++;
            if (j == nsig) {
                if (nsig == 0)
                    return fail(c, k->loc, ppath, "metric %s takes no parameters, not %s",
                                show(type).s, show(k).s);
                char list[128];
                const char *names[MAX_SIGS];
                for (size_t q = 0; q < nsig; q++)
                    names[q] = sig[q].name;
                join(list, sizeof list, names, nsig, ", ");
                return fail(c, k->loc, ppath, "unknown parameter %s of metric %s (it takes: %s)",
                            show(k).s, show(type).s, list);
            }
            if (given[j])
                return fail(c, k->loc, ppath, "duplicate key %s", show(k).s);
            given[j] = pm->kid[i + 1];
        }
    }
    char list[256];
    size_t len = (size_t)snprintf(list, sizeof list, "%s", type->text);
    size_t ngiven = 0;
    const node *only = NULL;
    for (size_t j = 0; j < nsig; j++) {
        const node *v = given[j];
        if (!v)
            continue;
        char vpath[200], val[64];
        vn__fmt(vpath, sizeof vpath, "%s.%s", ppath, sig[j].name);
        if (sig[j].text) {
            char *t = NULL;
            if (v->kind == N_SCALAR && !is_null(v) && (!valid_id(v) || v->len >= sizeof val))
                return fail(c, v->loc, vpath, "%s is not a valid value (a word such as %s)",
                            show(v).s, show_str(sig[j].def).s);
            VN_TRY(get_text(c, v, vpath, "a word", false, &t));
            vn__fmt(val, sizeof val, "%s", t);
            vn__free(t);
        } else {
            double d;
            VN_TRY(get_number(c, v, vpath, &d));
            fmt_shortest(val, sizeof val, d);
        }
        len += (size_t)snprintf(list + len, sizeof list - len, ":%s=%s", sig[j].name, val);
        ngiven++;
        only = v;
        if (len >= sizeof list)
            return fail(c, pkey->loc, ppath, "the parameters are too long");
    }
    vn__mspec *ms = NULL;
    size_t count = 0;
    char why[256];
    const vn_status st = vn__metrics_parse(list, &ms, &count, why, sizeof why);
    vn__mspecs_free(ms, count);
    if (st == VN_ERR_NOMEM)
        return st;
    if (st != VN_OK) {
        char tpath[160];
        vn__fmt(tpath, sizeof tpath, "%s.type", path);
        for (size_t j = 0; j < nsig; j++)
            if (!sig[j].def && !given[j])
                return fail(c, pkey ? pkey->loc : type->loc, pkey ? ppath : tpath,
                            "metric %s needs the parameter \"%s\" (add params: {%s: ...})",
                            show(type).s, sig[j].name, sig[j].name);
        if (ngiven == 1) {
            for (size_t j = 0; j < nsig; j++)
                if (given[j] == only)
                    vn__fmt(ppath + strlen(ppath), sizeof ppath - strlen(ppath), ".%s", sig[j].name);
            return fail(c, only->loc, ppath, "%s", why);
        }
        return fail(c, pkey ? pkey->loc : type->loc, pkey ? ppath : tpath, "%s", why);
    }
    m->list = vn__strdup(list);
    return m->list ? VN_OK : VN_ERR_NOMEM;
}

enum { U_LEVEL, U_METHOD, U_RESAMPLES, U_SEED, U_N };
static const char *const unc_keys[U_N] = {"level", "method", "resamples", "seed"};

static vn_status read_uncertainty(const ctx *c, const node *u, const char *path,
                                  vn__spec_metric *m)
{
    char p[160], q[200];
    vn__fmt(p, sizeof p, "%s.uncertainty", path);
    if (is_null(u))
        return fail(c, u->loc, p,
                    "expected a mapping, got null (write uncertainty: {} for the defaults)");
    fields f;
    VN_TRY(take(c, u, p, unc_keys, U_N, &f));
    m->has_uncertainty = 1;
    if (f.val[U_LEVEL]) {
        vn__fmt(q, sizeof q, "%s.level", p);
        VN_TRY(get_number(c, f.val[U_LEVEL], q, &m->ci_level));
        if (!(m->ci_level > 0 && m->ci_level < 1))
            return fail(c, f.val[U_LEVEL]->loc, q,
                        "expected a number between 0 and 1 (such as 0.95), got %s",
                        f.val[U_LEVEL]->text);
    }
    if (f.val[U_METHOD]) {
        static const char *const w[] = {"auto", "percentile", "bca", "analytic"};
        static const vn_ci_method methods[] = {VN_CI_AUTO, VN_CI_PERCENTILE, VN_CI_BCA,
                                               VN_CI_ANALYTIC};
        int k;
        vn__fmt(q, sizeof q, "%s.method", p);
        VN_TRY(get_enum(c, f.val[U_METHOD], q, w, 4, &k));
        m->ci_method = methods[k];
    }
    if (f.val[U_RESAMPLES]) {
        uint64_t r;
        vn__fmt(q, sizeof q, "%s.resamples", p);
        VN_TRY(get_uint(c, f.val[U_RESAMPLES], q, 1, 10000000, &r));
        m->resamples = (uint32_t)r;
    }
    if (f.val[U_SEED]) {
        vn__fmt(q, sizeof q, "%s.seed", p);
        VN_TRY(get_uint(c, f.val[U_SEED], q, 0, UINT64_MAX, &m->seed));
    }
    return VN_OK;
}

enum { M_ID, M_TYPE, M_PARAMS, M_Y, M_PREDICTION, M_WEIGHT, M_UNCERTAINTY, M_EXPR, M_DIRECTION,
       M_UNIT, M_N };
static const char *const metric_keys[M_N] = {"id", "type", "params", "y", "prediction",
                                             "weight", "uncertainty", "expr", "direction",
                                             "unit"};

/* type: expression — expr (required), direction (lower, higher, none; default lower) and
 * unit, compiled here so that an error points into the file: the expression's own
 * position ("expression:1:17") and, for a plain one-line scalar, the file's column. */
static vn_status read_expression(const ctx *c, const fields *f, const char *path,
                                 vn__spec_metric *m)
{
    char p[96];
    VN_TRY(need(c, f, M_EXPR, metric_keys, f->key[M_TYPE]->loc, path));
    if (f->key[M_PARAMS]) {
        vn__fmt(p, sizeof p, "%s.params", path);
        return fail(c, f->key[M_PARAMS]->loc, p,
                    "an expression takes no params: write the numbers into expr");
    }
    const node *e = f->val[M_EXPR];
    vn__fmt(p, sizeof p, "%s.expr", path);
    VN_TRY(get_text(c, e, p, "an expression such as mean(abs(e))", true, &m->expr));
    vn__names cols = {0};
    vn__expr *x = NULL;
    char err[512];
    vn_status st = vn__expr_compile(m->expr, strlen(m->expr), m->id, &cols, &x, err, sizeof err);
    vn__expr_free(x);
    vn__names_free(&cols);
    if (st == VN_ERR_DATA) {
        unsigned line = 0, col = 0;
        vn__spec_loc at = e->loc;
        if (sscanf(err, "expression:%u:%u:", &line, &col) == 2 && e->plain && line == 1 &&
            !memchr(m->expr, '\n', strlen(m->expr)))
            at.col += col - 1;
        return fail(c, at, p, "%s", err);
    }
    VN_TRY(st);
    vn_direction dir = VN_LOWER_IS_BETTER;
    if (f->val[M_DIRECTION]) {
        static const char *const w[] = {"lower", "higher", "none"};
        int k;
        vn__fmt(p, sizeof p, "%s.direction", path);
        VN_TRY(get_enum(c, f->val[M_DIRECTION], p, w, 3, &k));
        dir = k == 0 ? VN_LOWER_IS_BETTER : k == 1 ? VN_HIGHER_IS_BETTER : VN_NO_DIRECTION;
    }
    if (f->val[M_UNIT]) {
        vn__fmt(p, sizeof p, "%s.unit", path);
        VN_TRY(get_text(c, f->val[M_UNIT], p, "a unit such as USD", false, &m->unit));
        if (strpbrk(m->unit, ",]"))
            return fail(c, f->val[M_UNIT]->loc, p, "a unit cannot hold ',' or ']', got %s",
                        describe(f->val[M_UNIT]).s);
    } else if (!(m->unit = vn__strdup(""))) {
        return VN_ERR_NOMEM;
    }
    static const char *const dirs[] = {"lower", "higher", "none"};
    const size_t len = strlen(m->id) + strlen(m->unit) + strlen(m->expr) + 32;
    if (!(m->list = vn__malloc(len)))
        return VN_ERR_NOMEM;
    vn__fmt(m->list, len, "%s[%s,unit=%s]=%s", m->id, dirs[dir], m->unit, m->expr);
    vn__mspec *ms = NULL;
    size_t count = 0;
    char why[512];
    st = vn__metrics_parse(m->list, &ms, &count, why, sizeof why);
    vn__mspecs_free(ms, count);
    if (st == VN_ERR_NOMEM)
        return st;
    if (st != VN_OK) {
        vn__fmt(p, sizeof p, "%s.id", path);
        return fail(c, f->val[M_ID]->loc, p, "%s", why);
    }
    m->xinfo = (vn_metric_info){m->id, "", "", dir, m->unit, "custom metric (expression)", m->expr};
    m->info = &m->xinfo;
    return VN_OK;
}

static vn_status read_metric(const ctx *c, const node *item, size_t i, vn__spec *s)
{
    vn__spec_metric *m = &s->metrics[i];
    m->loc = item->loc;
    m->ci_method = VN_CI_AUTO;
    m->resamples = 2000;
    char path[64];
    vn__fmt(path, sizeof path, "metrics[%zu]", i);
    fields f;
    VN_TRY(take(c, item, path, metric_keys, M_N, &f));
    VN_TRY(need(c, &f, M_ID, metric_keys, item->loc, path));
    VN_TRY(need(c, &f, M_TYPE, metric_keys, item->loc, path));
    char p[96];
    vn__fmt(p, sizeof p, "%s.id", path);
    VN_TRY(get_id(c, f.val[M_ID], p, &m->id));
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->metrics[j].id, m->id) == 0)
            return fail(c, f.val[M_ID]->loc, p, "%s is already the id of metrics[%zu] (line %u)",
                        show_str(m->id).s, j, (unsigned)s->metrics[j].loc.line);
    vn__fmt(p, sizeof p, "%s.type", path);
    VN_TRY(get_text(c, f.val[M_TYPE], p, "a metric from the catalog", false, &m->type));
    if (strcmp(m->type, "expression") == 0) {
        VN_TRY(read_expression(c, &f, path, m));
    } else {
        for (int k = M_EXPR; k <= M_UNIT; k++)
            if (f.key[k]) {
                vn__fmt(p, sizeof p, "%s.%s", path, metric_keys[k]);
                return fail(c, f.key[k]->loc, p,
                            "%s is for custom metrics (type: expression); catalog metrics have "
                            "their own", metric_keys[k]);
            }
        m->info = vn_metric_find(m->type);
        if (!m->info)
            return fail(c, f.val[M_TYPE]->loc, p, "unknown metric %s (see 'vernier metrics')",
                        show_str(m->type).s);
        VN_TRY(read_params(c, f.val[M_TYPE], f.key[M_PARAMS], f.val[M_PARAMS], path, m));
    }
    char **const cols[] = {&m->y, &m->prediction, &m->weight};
    for (int k = M_Y; k <= M_WEIGHT; k++) {
        if (!f.val[k])
            continue;
        vn__fmt(p, sizeof p, "%s.%s", path, metric_keys[k]);
        VN_TRY(get_column(c, f.val[k], p, s->data.header, cols[k - M_Y]));
    }
    if (f.val[M_UNCERTAINTY]) {
        m->ci_level = 0.95;
        VN_TRY(read_uncertainty(c, f.val[M_UNCERTAINTY], path, m));
    }
    return VN_OK;
}

static vn_status read_metrics(const ctx *c, const node *key, const node *seq, vn__spec *s)
{
    VN_TRY(expect(c, seq, N_SEQ, "metrics"));
    if (seq->n == 0)
        return fail(c, key->loc, "metrics", "at least one metric is needed");
    s->metrics = vn__calloc(seq->n, sizeof *s->metrics);
    if (!s->metrics)
        return VN_ERR_NOMEM;
    s->nmetrics = seq->n;
    for (size_t i = 0; i < seq->n; i++)
        VN_TRY(read_metric(c, seq->kid[i], i, s));
    return VN_OK;
}

/* ---- slices --------------------------------------------------------------------- */

enum { S_ID, S_BY, S_BINS, S_FILTER, S_MIN_COUNT, S_N };
static const char *const slice_keys[S_N] = {"id", "by", "bins", "filter", "min_count"};
enum { B_COLUMN, B_EDGES, B_N };
static const char *const bins_keys[B_N] = {"column", "edges"};
enum { F_COLUMN, F_EQ, F_NE, F_IN, F_NOT_IN, F_LT, F_LE, F_GT, F_GE, F_N };
static const char *const filter_keys[F_N] = {"column", "eq", "ne", "in", "not_in",
                                             "lt", "le", "gt", "ge"};

static vn_status read_bins(const ctx *c, const node *key, const node *m, const char *path,
                           int header, vn__spec_slice *sl)
{
    char p[96], q[128];
    vn__fmt(p, sizeof p, "%s.bins", path);
    fields f;
    VN_TRY(take(c, m, p, bins_keys, B_N, &f));
    VN_TRY(need(c, &f, B_COLUMN, bins_keys, key->loc, p));
    VN_TRY(need(c, &f, B_EDGES, bins_keys, key->loc, p));
    vn__fmt(q, sizeof q, "%s.column", p);
    VN_TRY(get_column(c, f.val[B_COLUMN], q, header, &sl->column));
    const node *e = f.val[B_EDGES];
    vn__fmt(q, sizeof q, "%s.edges", p);
    VN_TRY(expect(c, e, N_SEQ, q));
    if (e->n < 2)
        return fail(c, e->loc, q, "expected at least 2 edges (one bin), got %zu", e->n);
    sl->edges = vn__calloc(e->n, sizeof *sl->edges);
    if (!sl->edges)
        return VN_ERR_NOMEM;
    sl->nedges = e->n;
    for (size_t i = 0; i < e->n; i++) {
        vn__fmt(q, sizeof q, "%s.edges[%zu]", p, i);
        VN_TRY(get_number(c, e->kid[i], q, &sl->edges[i]));
        if (i > 0 && !(sl->edges[i] > sl->edges[i - 1]))
            return fail(c, e->kid[i]->loc, q,
                        "edges must be strictly increasing (%s is not above %s)",
                        e->kid[i]->text, e->kid[i - 1]->text);
    }
    return VN_OK;
}

static vn_status read_filter(const ctx *c, const node *key, const node *m, const char *path,
                             int header, vn__spec_slice *sl)
{
    char p[96], q[128];
    vn__fmt(p, sizeof p, "%s.filter", path);
    fields f;
    VN_TRY(take(c, m, p, filter_keys, F_N, &f));
    VN_TRY(need(c, &f, F_COLUMN, filter_keys, key->loc, p));
    vn__fmt(q, sizeof q, "%s.column", p);
    VN_TRY(get_column(c, f.val[F_COLUMN], q, header, &sl->column));
    int op = -1;
    for (int i = F_EQ; i < F_N; i++) {
        if (!f.key[i])
            continue;
        if (op >= 0)
            return fail(c, f.key[i]->loc, p, "give one condition, not both %s and %s",
                        filter_keys[op], filter_keys[i]);
        op = i;
    }
    if (op < 0)
        return fail(c, key->loc, p, "missing a condition (one of: eq, ne, in, not_in, lt, le, gt, ge)");
    sl->op = (vn__filter_op)(op - F_EQ);
    const node *v = f.val[op];
    vn__fmt(q, sizeof q, "%s.%s", p, filter_keys[op]);
    if (op == F_EQ || op == F_NE) {
        if (v->kind == N_SEQ)
            return fail(c, v->loc, q, "expected one value, got a sequence (use %s for a list)",
                        op == F_EQ ? "in" : "not_in");
        sl->values = vn__calloc(1, sizeof *sl->values);
        if (!sl->values)
            return VN_ERR_NOMEM;
        sl->nvalues = 1;
        return get_text(c, v, q, "a value", true, &sl->values[0]);
    }
    if (op == F_IN || op == F_NOT_IN)
        return get_texts(c, v, q, "a value", true, false, header, &sl->values, &sl->nvalues);
    return get_number(c, v, q, &sl->number);
}

static vn_status read_slice(const ctx *c, const node *item, size_t i, vn__spec *s)
{
    vn__spec_slice *sl = &s->slices[i];
    sl->loc = item->loc;
    char path[64], p[96];
    vn__fmt(path, sizeof path, "slices[%zu]", i);
    fields f;
    VN_TRY(take(c, item, path, slice_keys, S_N, &f));
    VN_TRY(need(c, &f, S_ID, slice_keys, item->loc, path));
    vn__fmt(p, sizeof p, "%s.id", path);
    VN_TRY(get_id(c, f.val[S_ID], p, &sl->id));
    if (strcmp(sl->id, "overall") == 0)
        return fail(c, f.val[S_ID]->loc, p,
                    "\"overall\" is reserved (it names the whole data, always evaluated)");
    if (s->data.horizon && strcmp(sl->id, "horizon") == 0)
        return fail(c, f.val[S_ID]->loc, p,
                    "\"horizon\" is reserved for the slices of data.horizon (line %u)",
                    (unsigned)s->data.horizon_loc.line);
    for (size_t j = 0; j < i; j++)
        if (strcmp(s->slices[j].id, sl->id) == 0)
            return fail(c, f.val[S_ID]->loc, p, "%s is already the id of slices[%zu] (line %u)",
                        show_str(sl->id).s, j, (unsigned)s->slices[j].loc.line);
    int kind = -1;
    for (int k = S_BY; k <= S_FILTER; k++) {
        if (!f.key[k])
            continue;
        if (kind >= 0)
            return fail(c, f.key[k]->loc, path, "give one of by, bins and filter, not both %s and %s",
                        slice_keys[kind], slice_keys[k]);
        kind = k;
    }
    if (kind < 0)
        return fail(c, item->loc, path, "missing the kind of slice (one of: by, bins, filter)");
    /* as `vernier eval` refuses --series with --by: every slice of a partition would mix
     * the series it holds, and only the overall value is pooled over series */
    if (s->data.series && kind != S_FILTER)
        return fail(c, f.key[kind]->loc, path,
                    "%s with data.series is not supported yet (each slice would mix series; "
                    "the overall values are pooled over series): use a filter slice",
                    slice_keys[kind]);
    if (kind == S_BY) {
        sl->kind = VN__SLICE_BY;
        vn__fmt(p, sizeof p, "%s.by", path);
        VN_TRY(get_texts(c, f.val[S_BY], p, "a column name", false, true, s->data.header,
                         &sl->by, &sl->nby));
        for (size_t a = 1; a < sl->nby; a++)
            for (size_t b = 0; b < a; b++)
                if (strcmp(sl->by[a], sl->by[b]) == 0)
                    return fail(c, f.val[S_BY]->kid[a]->loc, p, "column %s is listed twice",
                                show_str(sl->by[a]).s);
        sl->numeric = s->data.horizon && strcmp(sl->by[0], s->data.horizon) == 0;
    } else if (kind == S_BINS) {
        sl->kind = VN__SLICE_BINS;
        VN_TRY(read_bins(c, f.key[S_BINS], f.val[S_BINS], path, s->data.header, sl));
    } else {
        sl->kind = VN__SLICE_FILTER;
        VN_TRY(read_filter(c, f.key[S_FILTER], f.val[S_FILTER], path, s->data.header, sl));
    }
    if (f.val[S_MIN_COUNT]) {
        vn__fmt(p, sizeof p, "%s.min_count", path);
        VN_TRY(get_uint(c, f.val[S_MIN_COUNT], p, 0, UINT64_MAX, &sl->min_count));
    }
    return VN_OK;
}

/* data.horizon: the slice definition "horizon" (by the horizon column, in numeric order)
 * becomes slices[0], before the spec's own, as --horizon makes its column the first by
 * column; at the key `horizon` in messages. */
static vn_status add_horizon_slice(vn__spec *s, vn__spec_loc at)
{
    vn__spec_slice *sl = vn__realloc(s->slices, (s->nslices + 1) * sizeof *sl);
    if (!sl)
        return VN_ERR_NOMEM;
    s->slices = sl;
    memmove(sl + 1, sl, s->nslices * sizeof *sl);
    s->nslices++;
    memset(sl, 0, sizeof *sl);
    sl->kind = VN__SLICE_BY;
    sl->numeric = 1;
    sl->loc = at;
    sl->id = vn__strdup("horizon");
    sl->by = vn__calloc(1, sizeof *sl->by);
    if (!sl->id || !sl->by)
        return VN_ERR_NOMEM;
    sl->nby = 1;
    sl->by[0] = vn__strdup(s->data.horizon);
    return sl->by[0] ? VN_OK : VN_ERR_NOMEM;
}

static vn_status read_slices(const ctx *c, const node *seq, vn__spec *s)
{
    VN_TRY(expect(c, seq, N_SEQ, "slices"));
    if (seq->n == 0)
        return VN_OK;
    s->slices = vn__calloc(seq->n, sizeof *s->slices);
    if (!s->slices)
        return VN_ERR_NOMEM;
    s->nslices = seq->n;
    for (size_t i = 0; i < seq->n; i++)
        VN_TRY(read_slice(c, seq->kid[i], i, s));
    return VN_OK;
}

/* ---- baseline ------------------------------------------------------------------- */

enum { BL_FILE, BL_RUN, BL_NONE, BL_STORE, BL_ON_MISSING, BL_N };
static const char *const base_keys[BL_N] = {"file", "run", "none", "store", "on_missing"};

static vn_status read_baseline(const ctx *c, const node *key, const node *m, vn__spec *s)
{
    fields f;
    VN_TRY(take(c, m, "baseline", base_keys, BL_N, &f));
    s->baseline.loc = key->loc;
    int kind = -1;
    for (int k = BL_FILE; k <= BL_NONE; k++) {
        if (!f.key[k])
            continue;
        if (kind >= 0)
            return fail(c, f.key[k]->loc, "baseline", "give one of file, run and none, not both %s and %s",
                        base_keys[kind], base_keys[k]);
        kind = k;
    }
    if (kind < 0)
        return fail(c, key->loc, "baseline", "missing the baseline (one of: file, run, none)");
    if (kind == BL_FILE) {
        s->baseline.kind = VN__BASE_FILE;
        VN_TRY(get_text(c, f.val[BL_FILE], "baseline.file", "a path", false, &s->baseline.file));
    } else if (kind == BL_RUN) {
        s->baseline.kind = VN__BASE_RUN;
        VN_TRY(get_text(c, f.val[BL_RUN], "baseline.run", "a run selector (such as latest or tag:prod)",
                        false, &s->baseline.run));
    } else {
        int yes;
        VN_TRY(get_bool(c, f.val[BL_NONE], "baseline.none", &yes));
        if (!yes)
            return fail(c, f.val[BL_NONE]->loc, "baseline.none",
                        "expected true (write none: true, or give file or run)");
        s->baseline.kind = VN__BASE_NONE;
    }
    if (f.key[BL_STORE]) {
        if (kind != BL_RUN)
            return fail(c, f.key[BL_STORE]->loc, "baseline", "store is used with run only");
        VN_TRY(get_text(c, f.val[BL_STORE], "baseline.store", "a path", false, &s->baseline.store));
    }
    if (f.key[BL_ON_MISSING]) {
        if (kind == BL_NONE)
            return fail(c, f.key[BL_ON_MISSING]->loc, "baseline",
                        "on_missing is used with file or run only");
        static const char *const w[] = {"fail", "skip", "warn"};
        int k;
        VN_TRY(get_enum(c, f.val[BL_ON_MISSING], "baseline.on_missing", w, 3, &k));
        s->baseline.on_missing = k == 0 ? VN__MISSING_FAIL : k == 1 ? VN__MISSING_SKIP : VN__MISSING_WARN;
    }
    return VN_OK;
}

/* ---- gates ---------------------------------------------------------------------- */

enum {
    G_METRIC, G_NAME, G_SEVERITY, G_SLICES, G_ON, G_MIN, G_MAX, G_BETWEEN, G_VS,
    G_MAX_REGRESSION, G_MIN_IMPROVEMENT, G_N
};
static const char *const gate_keys[G_N] = {"metric", "name", "severity", "slices", "on",
                                           "min", "max", "between", "vs", "max_regression",
                                           "min_improvement"};

/* "0.5" (absolute) or "5%" (relative; 5 means 5 %), >= 0. */
static vn_status get_margin(const ctx *c, const node *n, const char *path, double *v, int *rel)
{
    double d;
    if (n->kind == N_SCALAR && !is_null(n) && n->len > 1 && n->text[n->len - 1] == '%' &&
        n->text[0] != ' ' && n->text[n->len - 2] != ' ' &&
        vn__parse_double(n->text, n->len - 1, &d) == VN__NUM_OK && d >= 0) {
        *v = d;
        *rel = 1;
        return VN_OK;
    }
    if (n->kind == N_SCALAR && n->plain && !is_null(n) &&
        vn__parse_double(n->text, n->len, &d) == VN__NUM_OK && d >= 0) {
        *v = d;
        *rel = 0;
        return VN_OK;
    }
    return fail(c, n->loc, path,
                "expected a number >= 0 or a percentage such as \"5%%\", got %s", describe(n).s);
}

static vn_status find_metric(const ctx *c, const node *n, const char *path, const vn__spec *s,
                             size_t *m)
{
    for (size_t i = 0; i < s->nmetrics; i++)
        if (text_is(n, s->metrics[i].id)) {
            *m = i;
            return VN_OK;
        }
    char ids[200];
    size_t k = 0;
    ids[0] = '\0';
    for (size_t i = 0; i < s->nmetrics && k + 8 < sizeof ids; i++) {
        vn__fmt(ids + k, sizeof ids - k, "%s%s", i ? ", " : "", s->metrics[i].id);
        k += strlen(ids + k);
    }
    return fail(c, n->loc, path, "unknown metric id %s (the ids under metrics: %s)", show(n).s, ids);
}

static vn_status read_gate_slices(const ctx *c, const node *n, const char *path,
                                  const vn__spec *s, vn__spec_gate *g)
{
    VN_TRY(get_texts(c, n, path, "a slice id", false, false, 1, &g->slices, &g->nslices));
    const bool seq = n->kind == N_SEQ;
    for (size_t i = 0; i < g->nslices; i++) {
        const node *item = seq ? n->kid[i] : n;
        char p[128];
        if (seq)
            vn__fmt(p, sizeof p, "%s[%zu]", path, i);
        else
            vn__fmt(p, sizeof p, "%s", path);
        const char *id = g->slices[i];
        if (strcmp(id, "*") == 0) {
            if (g->nslices > 1)
                return fail(c, item->loc, p, "\"*\" (every slice) stands alone");
            continue;
        }
        bool known = strcmp(id, "overall") == 0;
        for (size_t j = 0; !known && j < s->nslices; j++)
            known = strcmp(s->slices[j].id, id) == 0;
        if (!known) {
            char ids[200] = "overall";
            size_t k = strlen(ids);
            for (size_t j = 0; j < s->nslices && k + 8 < sizeof ids; j++) {
                vn__fmt(ids + k, sizeof ids - k, ", %s", s->slices[j].id);
                k += strlen(ids + k);
            }
            return fail(c, item->loc, p, "unknown slice %s (defined: %s, or \"*\" for all%s)",
                        show_str(id).s, ids,
                        strcmp(id, "horizon") == 0 ? "; data.horizon defines \"horizon\"" : "");
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(g->slices[j], id) == 0)
                return fail(c, item->loc, p, "slice %s is listed twice", show_str(id).s);
    }
    return VN_OK;
}

static vn_status read_gate(const ctx *c, const node *item, size_t i, vn__spec *s)
{
    vn__spec_gate *g = &s->gates[i];
    g->loc = item->loc;
    char path[64], p[96];
    vn__fmt(path, sizeof path, "gates[%zu]", i);
    fields f;
    VN_TRY(take(c, item, path, gate_keys, G_N, &f));
    VN_TRY(need(c, &f, G_METRIC, gate_keys, item->loc, path));
    vn__fmt(p, sizeof p, "%s.metric", path);
    VN_TRY(get_text(c, f.val[G_METRIC], p, "a metric id", false, &g->metric));
    VN_TRY(find_metric(c, f.val[G_METRIC], p, s, &g->m));
    const vn__spec_metric *m = &s->metrics[g->m];
    if (f.val[G_NAME]) {
        vn__fmt(p, sizeof p, "%s.name", path);
        VN_TRY(get_text(c, f.val[G_NAME], p, "a name", false, &g->name));
        for (size_t j = 0; j < i; j++)
            if (s->gates[j].name && strcmp(s->gates[j].name, g->name) == 0)
                return fail(c, f.val[G_NAME]->loc, p, "%s is already the name of gates[%zu] (line %u)",
                            show_str(g->name).s, j, (unsigned)s->gates[j].loc.line);
    }
    if (f.val[G_SEVERITY]) {
        static const char *const w[] = {"error", "warn"};
        int k;
        vn__fmt(p, sizeof p, "%s.severity", path);
        VN_TRY(get_enum(c, f.val[G_SEVERITY], p, w, 2, &k));
        g->severity = k ? VN__SEV_WARN : VN__SEV_ERROR;
    }
    if (f.val[G_SLICES]) {
        vn__fmt(p, sizeof p, "%s.slices", path);
        VN_TRY(read_gate_slices(c, f.val[G_SLICES], p, s, g));
    }
    /* the kind: exactly one of min, max, between, vs */
    int kind = -1;
    for (int k = G_MIN; k <= G_VS; k++) {
        if (!f.key[k])
            continue;
        if (kind >= 0)
            return fail(c, f.key[k]->loc, path,
                        "give one of min, max, between and vs, not both %s and %s%s",
                        gate_keys[kind], gate_keys[k],
                        kind == G_MIN && k == G_MAX ? " (use between: [min, max])" : "");
        kind = k;
    }
    if (kind < 0)
        return fail(c, item->loc, path, "missing the kind of gate (one of: min, max, between, vs)");
    if (kind == G_MIN || kind == G_MAX) {
        vn__fmt(p, sizeof p, "%s.%s", path, gate_keys[kind]);
        VN_TRY(get_number(c, f.val[kind], p, kind == G_MIN ? &g->min : &g->max));
        g->has_min = kind == G_MIN;
        g->has_max = kind == G_MAX;
    } else if (kind == G_BETWEEN) {
        const node *b = f.val[G_BETWEEN];
        vn__fmt(p, sizeof p, "%s.between", path);
        if (b->kind != N_SEQ || b->n != 2) {
            char got[40];
            vn__fmt(got, sizeof got, "a sequence of %zu", b->n);
            return fail(c, b->loc, p, "expected [low, high], two numbers, got %s",
                        b->kind == N_SEQ ? got : describe(b).s);
        }
        char q[128];
        vn__fmt(q, sizeof q, "%s.between[0]", path);
        VN_TRY(get_number(c, b->kid[0], q, &g->min));
        vn__fmt(q, sizeof q, "%s.between[1]", path);
        VN_TRY(get_number(c, b->kid[1], q, &g->max));
        if (g->min > g->max)
            return fail(c, b->loc, p, "the low bound %s is above the high bound %s",
                        b->kid[0]->text, b->kid[1]->text);
        g->has_min = g->has_max = 1;
    } else {
        static const char *const w[] = {"baseline", "dummy"};
        int k;
        vn__fmt(p, sizeof p, "%s.vs", path);
        VN_TRY(get_enum(c, f.val[G_VS], p, w, 2, &k));
        g->vs = k ? VN__VS_DUMMY : VN__VS_BASELINE;
        if (g->vs == VN__VS_BASELINE && s->baseline.kind == VN__BASE_NONE)
            return fail(c, f.val[G_VS]->loc, p,
                        "there is no baseline to compare with (add a baseline section with file or run)");
        if (g->vs == VN__VS_DUMMY && m->info->direction == VN_NO_DIRECTION)
            return fail(c, f.val[G_VS]->loc, p,
                        "metric %s (%s) has no better direction, so it cannot be compared with the dummy",
                        show_str(m->id).s, m->info->id);
    }
    for (int k = G_MAX_REGRESSION; k <= G_MIN_IMPROVEMENT; k++) {
        if (!f.key[k])
            continue;
        if (g->vs != VN__VS_BASELINE)
            return fail(c, f.key[k]->loc, path, "%s is used with vs: baseline only", gate_keys[k]);
        vn__fmt(p, sizeof p, "%s.%s", path, gate_keys[k]);
        if (k == G_MAX_REGRESSION) {
            g->has_max_regression = 1;
            VN_TRY(get_margin(c, f.val[k], p, &g->max_regression, &g->max_regression_rel));
        } else {
            g->has_min_improvement = 1;
            VN_TRY(get_margin(c, f.val[k], p, &g->min_improvement, &g->min_improvement_rel));
        }
    }
    if (g->vs == VN__VS_BASELINE && !g->has_max_regression && !g->has_min_improvement)
        return fail(c, f.key[G_VS]->loc, path,
                    "vs: baseline needs max_regression or min_improvement (or both)");
    if (f.val[G_ON]) {
        static const char *const w[] = {"value", "ci_low", "ci_high"};
        int k;
        vn__fmt(p, sizeof p, "%s.on", path);
        if (g->vs != VN__VS_NONE)
            return fail(c, f.key[G_ON]->loc, path, "on is used with min, max and between only");
        VN_TRY(get_enum(c, f.val[G_ON], p, w, 3, &k));
        g->on = k == 0 ? VN__ON_VALUE : k == 1 ? VN__ON_CI_LOW : VN__ON_CI_HIGH;
        if (g->on != VN__ON_VALUE && !m->has_uncertainty)
            return fail(c, f.val[G_ON]->loc, p,
                        "%s needs an interval: give metric %s an uncertainty section "
                        "(uncertainty: {} for the defaults)",
                        w[k], show_str(m->id).s);
    }
    return VN_OK;
}

static vn_status read_gates(const ctx *c, const node *seq, vn__spec *s)
{
    VN_TRY(expect(c, seq, N_SEQ, "gates"));
    if (seq->n == 0)
        return VN_OK;
    s->gates = vn__calloc(seq->n, sizeof *s->gates);
    if (!s->gates)
        return VN_ERR_NOMEM;
    s->ngates = seq->n;
    for (size_t i = 0; i < seq->n; i++)
        VN_TRY(read_gate(c, seq->kid[i], i, s));
    return VN_OK;
}

/* ---- ci and the whole ----------------------------------------------------------- */

enum { C_JUNIT, C_MARKDOWN, C_JSON, C_GITHUB, C_N };
static const char *const ci_keys[C_N] = {"junit", "markdown", "json", "github"};

static vn_status read_ci(const ctx *c, const node *m, vn__spec *s)
{
    fields f;
    VN_TRY(take(c, m, "ci", ci_keys, C_N, &f));
    char **const paths[] = {&s->ci.junit, &s->ci.markdown, &s->ci.json};
    for (int k = C_JUNIT; k <= C_JSON; k++) {
        if (!f.val[k])
            continue;
        char p[32];
        vn__fmt(p, sizeof p, "ci.%s", ci_keys[k]);
        VN_TRY(get_text(c, f.val[k], p, "a path", false, paths[k]));
    }
    if (f.val[C_GITHUB]) {
        static const char *const w[] = {"auto", "true", "false"};
        int k;
        VN_TRY(get_enum(c, f.val[C_GITHUB], "ci.github", w, 3, &k));
        s->ci.github = k == 0 ? -1 : k == 1;
    }
    return VN_OK;
}

static vn_status read_spec(const ctx *c, const node *root, vn__spec *s)
{
    if (root->kind != N_MAP)
        return fail(c, root->loc, NULL,
                    "expected a mapping at the top level (version: 1, data: ..., metrics: ...), "
                    "got %s",
                    describe(root).s);
    /* The version first, so that a newer spec is told so before its new keys are. */
    const node *ver = NULL;
    for (size_t i = 0; i + 1 < root->n && !ver; i += 2)
        if (text_is(root->kid[i], "version"))
            ver = root->kid[i + 1];
    if (!ver)
        return fail(c, root->loc, NULL, "missing key \"version\" (a spec starts with \"version: 1\")");
    VN_TRY(read_version(c, ver, s));
    fields f;
    VN_TRY(take(c, root, NULL, top_keys, T_N, &f));
    VN_TRY(need(c, &f, T_DATA, top_keys, root->loc, NULL));
    VN_TRY(need(c, &f, T_METRICS, top_keys, root->loc, NULL));
    s->ci.github = -1;
    VN_TRY(read_data(c, f.key[T_DATA], f.val[T_DATA], s));
    VN_TRY(read_metrics(c, f.key[T_METRICS], f.val[T_METRICS], s));
    if (f.val[T_SLICES])
        VN_TRY(read_slices(c, f.val[T_SLICES], s));
    if (s->data.horizon)
        VN_TRY(add_horizon_slice(s, s->data.horizon_loc));
    if (f.val[T_BASELINE])
        VN_TRY(read_baseline(c, f.key[T_BASELINE], f.val[T_BASELINE], s));
    if (f.val[T_GATES])
        VN_TRY(read_gates(c, f.val[T_GATES], s));
    if (f.val[T_CI])
        VN_TRY(read_ci(c, f.val[T_CI], s));
    return VN_OK;
}

/* ---- the API -------------------------------------------------------------------- */

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        vn__free(v[i]);
    vn__free(v);
}

void vn__spec_free(vn__spec *s)
{
    if (!s)
        return;
    vn__free(s->data.path);
    vn__free(s->data.y);
    vn__free(s->data.prediction);
    vn__free(s->data.weight);
    vn__free(s->data.id);
    vn__free(s->data.time);
    vn__free(s->data.series);
    vn__free(s->data.horizon);
    vn__free(s->data.train);
    for (size_t i = 0; i < s->nmetrics; i++) {
        vn__spec_metric *m = &s->metrics[i];
        vn__free(m->id);
        vn__free(m->type);
        vn__free(m->list);
        vn__free(m->expr);
        vn__free(m->unit);
        vn__free(m->y);
        vn__free(m->prediction);
        vn__free(m->weight);
    }
    vn__free(s->metrics);
    for (size_t i = 0; i < s->nslices; i++) {
        vn__spec_slice *sl = &s->slices[i];
        vn__free(sl->id);
        free_strs(sl->by, sl->nby);
        vn__free(sl->column);
        vn__free(sl->edges);
        free_strs(sl->values, sl->nvalues);
    }
    vn__free(s->slices);
    vn__free(s->baseline.file);
    vn__free(s->baseline.run);
    vn__free(s->baseline.store);
    for (size_t i = 0; i < s->ngates; i++) {
        vn__free(s->gates[i].name);
        vn__free(s->gates[i].metric);
        free_strs(s->gates[i].slices, s->gates[i].nslices);
    }
    vn__free(s->gates);
    vn__free(s->ci.junit);
    vn__free(s->ci.markdown);
    vn__free(s->ci.json);
    vn__free(s->name);
    vn__free(s->text);
    vn__free(s);
}

vn_status vn__spec_parse(const char *text, size_t len, const char *name, vn__spec **out,
                         char *errbuf, size_t errlen)
{
    *out = NULL;
    ctx c = {name ? name : "<spec>", errbuf, errlen, 0};
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (len > VN__SPEC_MAX_BYTES)
        return fail(&c, (vn__spec_loc){1, 1}, NULL,
                    "the file is larger than %u KiB: this is not a spec",
                    (unsigned)(VN__SPEC_MAX_BYTES >> 10));
    vn__spec *s = vn__calloc(1, sizeof *s);
    node *root = NULL;
    vn_status st = VN_ERR_NOMEM;
    if (s && (s->name = vn__strdup(c.name)) && (s->text = vn__strndup(text, len)))
        st = build(&c, text, len, &root);
    if (st == VN_OK)
        st = read_spec(&c, root, s);
    node_free(root);
    if (st != VN_OK) {
        vn__spec_free(s);
        if (st == VN_ERR_NOMEM)
            vn__fmt(errbuf, errlen, "%s: out of memory", c.name);
        return st;
    }
    *out = s;
    return VN_OK;
}

vn_status vn__spec_load(const char *path, vn__spec **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    const bool in = strcmp(path, "-") == 0;
    const char *name = in ? "<stdin>" : path;
    FILE *f = in ? stdin : fopen(path, "rb");
    VN_RETURN_IF(!f, VN_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    /* Read at most one byte past the limit: a larger file is refused unread. */
    char *buf = NULL;
    size_t n = 0, cap = 0;
    vn_status st = VN_OK;
    while (st == VN_OK && n <= VN__SPEC_MAX_BYTES) {
        if (!vn__grow((void **)&buf, &cap, n + 4096, 1)) {
            st = VN_ERR_NOMEM;
            break;
        }
        size_t want = cap - n;
        if (want > VN__SPEC_MAX_BYTES + 1 - n)
            want = VN__SPEC_MAX_BYTES + 1 - n;
        const size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (got < want) {
            if (ferror(f))
                st = VN_ERR_IO;
            break;
        }
    }
    const int err = errno;
    if (!in)
        fclose(f);
    if (st == VN_OK)
        st = vn__spec_parse(buf ? buf : "", n, name, out, errbuf, errlen);
    else if (st == VN_ERR_IO)
        vn__fmt(errbuf, errlen, "%s: cannot read: %s", name, strerror(err));
    else
        vn__fmt(errbuf, errlen, "%s: out of memory", name);
    vn__free(buf);
    return st;
}
