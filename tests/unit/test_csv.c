/*
 * test_csv.c — the CSV reader against the shared golden inputs (csv-spectrum, the
 * project's edge cases, Apache Commons CSV) and generated inputs: huge fields and files,
 * gzip (whole and truncated), standard input, block boundaries at every offset of a
 * tricky record, and a failing allocator.
 *
 * Records are compared as text: dump() renders a whole file as one line per record
 * (the header first), fields separated by '|', with \\ \| \n \r and \xHH escapes, and a
 * final "ERR <status> <message>" line when reading stops on an error; the file name in
 * the message is replaced by '@'.
 *
 * Build it a second time with -DVN_CSV_BLOCK=7 (on csv.c and this file) to put a block
 * boundary inside every construct of every input here.
 */
#include "csv.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Must match csv.c's default (or the -D both are built with). */
#ifndef VN_CSV_BLOCK
#define VN_CSV_BLOCK (1u << 20)
#endif

#define DATA "../shared/data/csv-cases/"

/* ---- a growable string ---- */

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_free(sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
}

static void sb_field(sbuf *b, const char *f, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (unsigned char)f[j] >= 0x20 && (unsigned char)f[j] < 0x7f &&
               f[j] != '\\' && f[j] != '|')
            j++;
        sb_put(b, f + i, j - i);
        if (j == n)
            break;
        const unsigned char c = (unsigned char)f[j];
        char esc[8];
        if (c == '\\' || c == '|')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (c == '\r')
            snprintf(esc, sizeof esc, "\\r");
        else
            snprintf(esc, sizeof esc, "\\x%02X", c);
        sb_str(b, esc);
        i = j + 1;
    }
}

/* ---- temporary files ---- */

static void tmp_write(char path[64], const void *data, size_t n)
{
    snprintf(path, 64, "/tmp/vn_test_csv_XXXXXX");
    const int fd = mkstemp(path);
    if (fd < 0)
        abort();
    const char *p = data;
    while (n > 0) {
        const ssize_t w = write(fd, p, n);
        if (w <= 0)
            abort();
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

static void tmp_write_str(char path[64], const char *s) { tmp_write(path, s, strlen(s)); }

static void tmp_write_gz(char path[64], const void *data, size_t n)
{
    tmp_write(path, "", 0);
    gzFile gz = gzopen(path, "wb");
    if (!gz || gzwrite(gz, data, (unsigned)n) != (int)n || gzclose(gz) != Z_OK)
        abort();
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sbuf b = {0};
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        sb_put(&b, tmp, k);
    fclose(f);
    if (!b.s)
        sb_put(&b, "", 0);
    *n = b.n;
    return b.s;
}

/* ---- reading a whole file ---- */

/* Renders the file as described at the top. Returns the final status. */
static vn_status dump_opts(const char *path, const vn__csv_opts *o, sbuf *out)
{
    char err[512];
    vn__csv *r = NULL;
    out->n = 0;
    sb_put(out, "", 0);
    vn_status st = vn__csv_open(path, o, &r, err, sizeof err);
    const char *msg = err;
    if (st == VN_OK) {
        const size_t nc = vn__csv_ncols(r);
        if (o->header) {
            for (size_t i = 0; i < nc; i++) {
                if (i)
                    sb_str(out, "|");
                sb_field(out, vn__csv_colname(r, i), strlen(vn__csv_colname(r, i)));
            }
            sb_str(out, "\n");
        }
        int got;
        while ((st = vn__csv_next(r, &got)) == VN_OK && got) {
            for (size_t i = 0; i < nc; i++) {
                size_t len;
                const char *f = vn__csv_field(r, i, &len);
                if (i)
                    sb_str(out, "|");
                sb_field(out, f, len);
            }
            sb_str(out, "\n");
        }
        msg = vn__csv_errmsg(r);
    }
    if (st != VN_OK) {
        char head[32];
        snprintf(head, sizeof head, "ERR %d ", (int)st);
        sb_str(out, head);
        const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
        if (strncmp(msg, name, strlen(name)) == 0) {
            sb_str(out, "@");
            sb_str(out, msg + strlen(name));
        } else {
            sb_str(out, msg);
        }
        sb_str(out, "\n");
    }
    if (r)
        vn__csv_free(r);
    return st;
}

static vn_status dump(const char *path, int header, sbuf *out)
{
    const vn__csv_opts o = {',', header, 0, 0};
    return dump_opts(path, &o, out);
}

/* Checks dump(path) == want. */
static void expect_file(const char *path, int header, const char *want)
{
    sbuf got = {0};
    dump(path, header, &got);
    CHECKF(strcmp(got.s, want) == 0, "%s (header=%d):\n--- got\n%s--- want\n%s", path, header,
           got.s, want);
    sb_free(&got);
}

static void expect_text(const char *text, int header, const char *want)
{
    char path[64];
    tmp_write_str(path, text);
    expect_file(path, header, want);
    unlink(path);
}

/* ---- 1. csv-spectrum ---- */

/* A minimal parser for the spectrum's JSON: an array of objects with string values.
 * Renders the keys of the first object as the header line, then one line per object. */
static const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *js_string(const char *p, sbuf *out)
{
    if (*p != '"')
        return NULL;
    p++;
    sbuf raw = {0};
    sb_put(&raw, "", 0);
    while (*p && *p != '"') {
        if (*p == '\\') {
            p++;
            char c = *p;
            switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case '"':
            case '\\':
            case '/': break;
            default: sb_free(&raw); return NULL; /* \u is not used by these files */
            }
            sb_put(&raw, &c, 1);
            p++;
        } else {
            sb_put(&raw, p++, 1);
        }
    }
    if (*p != '"') {
        sb_free(&raw);
        return NULL;
    }
    sb_field(out, raw.s, raw.n);
    sb_free(&raw);
    return p + 1;
}

static int json_expected(const char *json, sbuf *out)
{
    sbuf header = {0}, rows = {0};
    sb_put(&header, "", 0);
    sb_put(&rows, "", 0);
    const char *p = js_ws(json);
    int ok = *p == '[';
    p = js_ws(p + 1);
    for (int obj = 0; ok && *p == '{'; obj++) {
        p = js_ws(p + 1);
        for (int k = 0; ok && *p == '"'; k++) {
            sbuf key = {0};
            sb_put(&key, "", 0);
            p = js_string(p, &key);
            ok = p != NULL;
            if (ok && obj == 0) {
                sb_str(&header, k ? "|" : "");
                sb_str(&header, key.s);
            }
            sb_free(&key);
            if (!ok)
                break;
            p = js_ws(p);
            ok = *p == ':';
            p = js_ws(p + 1);
            sb_str(&rows, k ? "|" : "");
            p = js_string(p, &rows);
            ok = ok && p != NULL;
            if (!ok)
                break;
            p = js_ws(p);
            if (*p == ',')
                p = js_ws(p + 1);
        }
        ok = ok && *p == '}';
        sb_str(&rows, "\n");
        if (ok)
            p = js_ws(p + 1);
        if (ok && *p == ',')
            p = js_ws(p + 1);
    }
    ok = ok && *p == ']';
    out->n = 0;
    sb_str(out, header.s);
    sb_str(out, "\n");
    sb_str(out, rows.s);
    sb_free(&header);
    sb_free(&rows);
    return ok;
}

static void test_spectrum(void)
{
    static const char *const names[] = {
        "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "newlines",
        "newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf", "utf8",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char csv[256], json[256];
        snprintf(csv, sizeof csv, DATA "csv-spectrum/csvs/%s.csv", names[i]);
        snprintf(json, sizeof json, DATA "csv-spectrum/json/%s.json", names[i]);
        size_t n;
        char *js = slurp(json, &n);
        CHECKF(js != NULL, "cannot read %s", json);
        if (!js)
            continue;
        sbuf want = {0};
        CHECKF(json_expected(js, &want), "cannot parse %s", json);
        expect_file(csv, 1, want.s);
        sb_free(&want);
        free(js);
    }
    /* Sanity of the JSON-derived expectations themselves. */
    expect_file(DATA "csv-spectrum/csvs/newlines_crlf.csv", 1,
                "a|b|c\n1|2|3\nOnce upon \\r\\na time|5|6\n7|8|9\n");
    expect_file(DATA "csv-spectrum/csvs/comma_in_quotes.csv", 1,
                "first|last|address|city|zip\nJohn|Doe|120 any st.|Anytown, WW|08123\n");
    /* The known-inconsistent file has a bare quote in an unquoted field (strict: error). */
    expect_file(DATA "csv-spectrum/csvs/location_coordinates.csv", 1,
                "Contact Phone Number|Location Coordinates|Cities|Counties\n"
                "ERR 2 @:2:24: bare quote in unquoted field\n");
}

/* ---- 2. the project's edge cases ---- */

typedef struct edge_case {
    const char *file;
    int header;
    const char *want;
} edge_case;

static const edge_case edge_cases[] = {
    {"crlf.csv", 0, "a|b\nc|d\n"},
    /* policy: a bare CR ends the record (as LF and CRLF do) */
    {"bare_cr_inside_field.csv", 0, "a|b\nc|d\n"},
    /* '#' is data */
    {"rfc4180_example.csv", 1, "#field1|field2|field3\naaa|bb\\nb|ccc\na,a|b\"bb|ccc\nzzz|yyy|xxx\n"},
    {"no_final_eol.csv", 0, "a|b|c\n"},
    {"multiline_quoted.csv", 0, "two\\nline|one line|three\\nline\\nfield\n"},
    /* policy: blank lines are skipped */
    {"blank_lines.csv", 0, "a|b|c\nd|e|f\n"},
    {"leading_space_kept.csv", 0, " a|  b|   c\n"},
    {"bad_bare_quote.csv", 0, "ERR 2 @:1:3: bare quote in unquoted field\n"},
    {"bad_trailing_quote.csv", 0, "ERR 2 @:1:11: bare quote in unquoted field\n"},
    /* policy: the column is the closing quote's, as Go reports it */
    {"extraneous_quote.csv", 0, "ERR 2 @:1:4: unexpected character after closing quote\n"},
    {"bad_double_quotes.csv", 0, "ERR 2 @:1:2: bare quote in unquoted field\n"},
    {"trailing_comma_eof.csv", 0, "a|b|c|\n"},
    {"ragged_rows.csv", 0, "a|b|c\nERR 2 @:2:1: record has 2 fields, expected 3 (first record has 3)\n"},
    {"unterminated_quote_eof.csv", 0, "a|b\nERR 2 @:2:1: unterminated quoted field\n"},
    {"quote_then_text_crlf.csv", 0, "ERR 2 @:1:5: unexpected character after closing quote\n"},
    {"even_quotes.csv", 0, "\"\"\"\n"},
    {"odd_quotes.csv", 0, "ERR 2 @:1:1: unterminated quoted field\n"},
    /* policy: CRLF inside quotes is kept verbatim */
    {"crlf_in_quoted_field.csv", 0, "A|Hello\\r\\nHi|B\n"},
    /* bytes are kept as they are; UTF-8 validity is the caller's business */
    {"binary_non_utf8_field.csv", 0, "x09A\\xB4\\x1C|aktau\n"},
    {"trailing_cr_eof.csv", 0, "field1|field2\n"},
    {"quoted_multiple_lf.csv", 0, "\\n\\n\\n\\n\n"},
    {"only_crlf_lines.csv", 1, "ERR 2 @: empty input (no header)\n"},
    {"empty_file.csv", 1, "ERR 2 @: empty input (no header)\n"},
    {"header_only.csv", 1, "y_true|y_pred\n"},
    {"utf8_bom_header.csv", 1, "y_true|y_pred\n1|1.5\n"},
    {"utf16le_bom.csv", 1, "ERR 2 @:1:1: unsupported encoding UTF-16LE (convert to UTF-8)\n"},
    {"nul_byte_in_field.csv", 1, "y_true|y_pred\nERR 2 @:2:4: NUL byte in input\n"},
    /* duplicate and empty names are the caller's business */
    {"duplicate_and_empty_header.csv", 1, "y_true|y_true||group\n1|2|3|a\n"},
    /* strict: the quotes in g&"1 and =HYPERLINK("http://x") are bare quotes */
    {"html_injection_header.csv", 1,
     "<script>alert(1)</script>|y_pred|<img src=x onerror=alert(2)>\n"
     "ERR 2 @:2:7: bare quote in unquoted field\n"},
    {"formula_injection_values.csv", 1,
     "group|y_true|y_pred\nERR 2 @:2:12: bare quote in unquoted field\n"},
    /* the row "1,5,1" (a decimal comma) has 3 fields */
    {"numeric_edge_values.csv", 1,
     "y_true|y_pred\n1e309|0\n-1e309|0\n1e-400|0\n4.9e-324|0\n2.2250738585072011e-308|0\n"
     "nan|1\nNaN|1\ninf|1\n-Infinity|1\n0x1p3|1\n 1|1\n1 |1\n"
     "ERR 2 @:14:1: record has 3 fields, expected 2 (header has 2)\n"},
    {"long_decimal_literals.csv", 1,
     "y_true|y_pred\n0.1000000000000000055511151231257827021181583404541015625|0.1\n"
     "9007199254740993|9007199254740992\n"
     "1.00000000000000011102230246251565404236316680908203125|1\n"},
};

static void test_edge(void)
{
    const size_t n = sizeof edge_cases / sizeof edge_cases[0];
    for (size_t i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, DATA "edge/%s", edge_cases[i].file);
        expect_file(path, edge_cases[i].header, edge_cases[i].want);
    }
    /* Every CSV of the manifest has a case above. */
    size_t len;
    char *m = slurp(DATA "edge/manifest.json", &len);
    CHECK(m != NULL);
    int listed = 0;
    for (const char *p = m; p && (p = strstr(p, "\"file\": \"")) != NULL; listed++) {
        p += strlen("\"file\": \"");
        const size_t k = strcspn(p, "\"");
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strlen(edge_cases[i].file) == k && strncmp(edge_cases[i].file, p, k) == 0;
        CHECKF(found, "manifest file %.*s has no test case", (int)k, p);
    }
    CHECKF(listed == (int)n, "manifest lists %d files, %zu cases", listed, n);
    free(m);

    /* The same files without header semantics where the header matters. */
    expect_file(DATA "edge/header_only.csv", 0, "y_true|y_pred\n");
    expect_file(DATA "edge/ragged_rows.csv", 1,
                "a|b|c\nERR 2 @:2:1: record has 2 fields, expected 3 (header has 3)\n");
    expect_file(DATA "edge/empty_file.csv", 0, "ERR 2 @: empty input (no header)\n");
    expect_file(DATA "edge/only_crlf_lines.csv", 0, "ERR 2 @: empty input (no header)\n");

    /* Positions: header_only has 0 records and no error; the BOM is not a column. */
    char err[256];
    vn__csv *r = NULL;
    const vn__csv_opts o = {',', 1, 0, 0};
    CHECK(vn__csv_open(DATA "edge/header_only.csv", &o, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got = 1;
        CHECK(vn__csv_ncols(r) == 2);
        CHECK(vn__csv_next(r, &got) == VN_OK && got == 0);
        CHECK(vn__csv_next(r, &got) == VN_OK && got == 0);
        CHECK(vn__csv_records(r) == 0);
        vn__csv_free(r);
    }
    CHECK(vn__csv_open(DATA "edge/utf8_bom_header.csv", &o, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got = 0;
        CHECK(strcmp(vn__csv_colname(r, 0), "y_true") == 0);
        CHECK(vn__csv_colname(r, 2) == NULL);
        CHECK(vn__csv_next(r, &got) == VN_OK && got == 1);
        CHECK(vn__csv_line(r) == 2 && vn__csv_field_col(r, 1) == 3);
        vn__csv_free(r);
    }
    /* multiline_quoted: where each field starts. */
    const vn__csv_opts o0 = {',', 0, 0, 0};
    CHECK(vn__csv_open(DATA "edge/multiline_quoted.csv", &o0, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got = 0;
        CHECK(vn__csv_colname(r, 0) == NULL);
        CHECK(vn__csv_next(r, &got) == VN_OK && got == 1 && vn__csv_records(r) == 1);
        CHECK(vn__csv_line(r) == 1);
        CHECK(vn__csv_field_line(r, 0) == 1 && vn__csv_field_col(r, 0) == 1);
        CHECK(vn__csv_field_line(r, 1) == 2 && vn__csv_field_col(r, 1) == 7);
        CHECK(vn__csv_field_line(r, 2) == 2 && vn__csv_field_col(r, 2) == 18);
        CHECK(vn__csv_next(r, &got) == VN_OK && got == 0);
        vn__csv_free(r);
    }
}

/* ---- 3. Apache Commons CSV ---- */

/* test.csv line by line against test_rfc4180.txt: every line of test.csv is one record
 * there (no multi-line fields), so each line is read as its own input. Where our policy
 * differs: blank lines are no record (alone, "empty input"), and a quote after a space
 * in an unquoted field is an error (Commons keeps it as data). The whole file, with its
 * 1-field comment lines between 4-field records, is a field-count error. */
static void test_commons(void)
{
    size_t nc, nt;
    char *csv = slurp(DATA "commons-csv-CSVFileParser/test.csv", &nc);
    char *ctl = slurp(DATA "commons-csv-CSVFileParser/test_rfc4180.txt", &nt);
    CHECK(csv && ctl);
    if (!csv || !ctl) {
        free(csv);
        free(ctl);
        return;
    }
    /* Expected records from the control file, from its third line on. */
    char *exp[32];
    int nexp = 0;
    char *save = NULL;
    int lineno = 0;
    for (char *l = strtok_r(ctl, "\n", &save); l && nexp < 32; l = strtok_r(NULL, "\n", &save))
        if (++lineno > 2 && l[0] != '#')
            exp[nexp++] = l;
    int nline = 0, compared = 0;
    for (char *p = csv; *p; nline++) {
        const size_t k = strcspn(p, "\n");
        char *line = strndup(p, k + (p[k] == '\n'));
        p += k + (p[k] == '\n');
        CHECKF(nline < nexp, "test.csv has more lines than records");
        if (nline >= nexp) {
            free(line);
            break;
        }
        /* "n:[f1, f2, ...]" to our rendering */
        const char *e = exp[nline];
        const int n = atoi(e);
        const char *body = strchr(e, '[') + 1;
        const size_t blen = strlen(body) - 1; /* drop ']' */
        sbuf want = {0};
        sb_put(&want, "", 0);
        int fields = 1;
        for (size_t i = 0; i < blen; i++) {
            if (i + 1 < blen && body[i] == ',' && body[i + 1] == ' ') {
                sb_str(&want, "|");
                fields++;
                i++;
            } else {
                sb_field(&want, body + i, 1);
            }
        }
        sb_str(&want, "\n");
        CHECKF(fields == n, "control line %d: %d fields, expected %d", nline + 3, fields, n);
        if (k == 0) {
            expect_text(line, 0, "ERR 2 @: empty input (no header)\n");
        } else if (strstr(line, "\" j \"")) {
            expect_text(line, 0, "ERR 2 @:1:8: bare quote in unquoted field\n");
        } else {
            expect_text(line, 0, want.s);
            compared++;
        }
        sb_free(&want);
        free(line);
    }
    CHECK(nline == nexp);
    CHECK(compared == 12);
    expect_file(DATA "commons-csv-CSVFileParser/test.csv", 0,
                "A|B|C|D\nERR 2 @:2:1: record has 1 fields, expected 4 (first record has 4)\n");
    free(csv);
    free(ctl);

    /* bom.csv: the BOM is stripped, spaces after commas are kept, 251 rows. */
    char err[256];
    vn__csv *r = NULL;
    const vn__csv_opts o = {',', 1, 0, 0};
    CHECK(vn__csv_open(DATA "commons-csv-CSVFileParser/bom.csv", &o, &r, err, sizeof err) ==
          VN_OK);
    if (r) {
        CHECK(vn__csv_ncols(r) == 6);
        CHECK(strcmp(vn__csv_colname(r, 0), "Date") == 0);
        CHECK(strcmp(vn__csv_colname(r, 1), " Open") == 0);
        CHECK(strcmp(vn__csv_colname(r, 5), " Volume") == 0);
        int got;
        vn_status st;
        while ((st = vn__csv_next(r, &got)) == VN_OK && got)
            ;
        CHECK(st == VN_OK);
        CHECK(vn__csv_records(r) == 251);
        CHECK(vn__csv_line(r) == 252);
        vn__csv_free(r);
    }
}

/* ---- 4. generated inputs ---- */

static void test_small_generated(void)
{
    /* Line counting with LF, CRLF and bare CR, inside quotes too. */
    char path[64];
    tmp_write_str(path, "a,b\r\"x\r\ny\rz\n\",c\nd,e\r\n\r\n\n\rf,\"g\"");
    char err[256];
    vn__csv *r = NULL;
    const vn__csv_opts o0 = {',', 0, 0, 0};
    CHECK(vn__csv_open(path, &o0, &r, err, sizeof err) == VN_OK);
    if (r) {
        static const uint64_t lines[] = {1, 2, 6, 10};
        int got, i = 0;
        while (vn__csv_next(r, &got) == VN_OK && got) {
            CHECKF(i < 4 && vn__csv_line(r) == lines[i], "record %d at line %llu", i,
                   (unsigned long long)vn__csv_line(r));
            if (i == 1) {
                size_t len;
                CHECK(strcmp(vn__csv_field(r, 0, &len), "x\r\ny\rz\n") == 0 && len == 7);
                CHECK(vn__csv_field_line(r, 1) == 5 && vn__csv_field_col(r, 1) == 3);
            }
            if (i == 3)
                CHECK(vn__csv_field_line(r, 1) == 10 && vn__csv_field_col(r, 1) == 3);
            i++;
        }
        CHECK(i == 4);
        size_t len = 99;
        CHECK(vn__csv_field(r, 5, &len) == NULL && len == 0);
        vn__csv_free(r);
    }
    unlink(path);

    /* Error positions after multi-line fields. */
    expect_text("h\n\"a\nb\"x\n", 1, "h\nERR 2 @:3:2: unexpected character after closing quote\n");
    expect_text("h,i\n\"a\r\nb\",c\"d\n", 1, "h|i\nERR 2 @:3:5: bare quote in unquoted field\n");
    expect_text("h,i\n\"a\rb\nc\"\n", 1,
                "h|i\nERR 2 @:2:1: record has 1 fields, expected 2 (header has 2)\n");
    expect_text("h,i\n1,2\n3,\"4\n\n5\n", 1, "h|i\n1|2\nERR 2 @:3:3: unterminated quoted field\n");
    expect_text("h,i\n1,\"\"", 1, "h|i\n1|\n");
    expect_text("h,i\n1,\"", 1, "h|i\nERR 2 @:2:3: unterminated quoted field\n");
    expect_text("h,i\n1,\"a\"\"", 1, "h|i\nERR 2 @:2:3: unterminated quoted field\n");
    expect_text("h,i\n1,\"a\"\"\"", 1, "h|i\n1|a\"\n");
    /* Empty fields, empty quoted fields, a lone delimiter. */
    expect_text(",\n\"\",\"\"\n,\"\"", 0, "|\n|\n|\n");
    expect_text("\"\"\n", 0, "\n");
    /* Spaces around quoted fields are not allowed (strict RFC 4180). */
    expect_text("a,b\n\"1\" ,2\n", 1, "a|b\nERR 2 @:2:3: unexpected character after closing quote\n");
    expect_text("a,b\n \"1\",2\n", 1, "a|b\nERR 2 @:2:2: bare quote in unquoted field\n");
    /* Lines of only blanks are data, not blank lines. */
    expect_text("a\n \n\t\n", 1, "a\n \n\\x09\n");
    /* NUL anywhere, with its position. */
    {
        static const char nul1[] = "a,b\n\"x\0\",y\n";
        tmp_write(path, nul1, sizeof nul1 - 1);
        expect_file(path, 1, "a|b\nERR 2 @:2:3: NUL byte in input\n");
        unlink(path);
        static const char nul2[] = "a\0,b\n";
        tmp_write(path, nul2, sizeof nul2 - 1);
        expect_file(path, 1, "ERR 2 @:1:2: NUL byte in input\n");
        unlink(path);
        static const char nul3[] = "a,b\n\"x\"\0,y\n";
        tmp_write(path, nul3, sizeof nul3 - 1);
        expect_file(path, 1, "a|b\nERR 2 @:2:4: NUL byte in input\n");
        unlink(path);
        static const char nul4[] = "\0";
        tmp_write(path, nul4, 1);
        expect_file(path, 1, "ERR 2 @:1:1: NUL byte in input\n");
        unlink(path);
    }
    /* Other BOMs. */
    expect_text("\xFE\xFF\0a", 1, "ERR 2 @:1:1: unsupported encoding UTF-16BE (convert to UTF-8)\n");
    {
        static const char u32le[] = "\xFF\xFE\0\0a\0\0\0";
        tmp_write(path, u32le, sizeof u32le - 1);
        expect_file(path, 1, "ERR 2 @:1:1: unsupported encoding UTF-32LE (convert to UTF-8)\n");
        unlink(path);
        static const char u32be[] = "\0\0\xFE\xFF\0\0\0a";
        tmp_write(path, u32be, sizeof u32be - 1);
        expect_file(path, 1, "ERR 2 @:1:1: unsupported encoding UTF-32BE (convert to UTF-8)\n");
        unlink(path);
    }
    expect_text("\xEF\xBB\xBF", 1, "ERR 2 @: empty input (no header)\n");
    expect_text("\xEF\xBB\xBF\r\n\n", 1, "ERR 2 @: empty input (no header)\n");
    expect_text("\xEF\xBB\xBF\"a\"\"\",b\n", 1, "a\"|b\n");
    expect_text("\xEF\xBB\xBF\"a\"x", 1, "ERR 2 @:1:3: unexpected character after closing quote\n");
    expect_text("x\n\xEF\xBB\xBF\n", 1, "x\n\\xEF\\xBB\\xBF\n"); /* only a leading BOM goes */

    /* Other delimiters. */
    tmp_write_str(path, "a\tb\n\"x\ty\"\tz,w\n");
    const vn__csv_opts tab = {'\t', 1, 0, 0};
    sbuf got = {0};
    dump_opts(path, &tab, &got);
    CHECKF(strcmp(got.s, "a|b\nx\\x09y|z,w\n") == 0, "%s", got.s);
    const vn__csv_opts semi = {';', 0, 0, 0};
    dump_opts(path, &semi, &got);
    CHECKF(strcmp(got.s, "a\\x09b\nERR 2 @:2:5: unexpected character after closing quote\n") ==
               0,
           "%s", got.s);
    unlink(path);
    tmp_write_str(path, "a;b\n1,5;\"2;5\"\n");
    dump_opts(path, &semi, &got);
    CHECKF(strcmp(got.s, "a|b\n1,5|2;5\n") == 0, "%s", got.s);
    unlink(path);
    sb_free(&got);

    /* A small max_field, in unquoted and quoted fields. */
    tmp_write_str(path, "ab,c\nabc,\"d\"\"\"\nabcd,e\n");
    const vn__csv_opts three = {',', 1, 3, 0};
    dump_opts(path, &three, &got);
    CHECKF(strcmp(got.s, "ab|c\nabc|d\"\nERR 2 @:3:1: field longer than 3 bytes\n") == 0, "%s",
           got.s);
    unlink(path);
    tmp_write_str(path, "ab,c\n\"a\"\"bc\",d\n");
    dump_opts(path, &three, &got);
    CHECKF(strcmp(got.s, "ab|c\nERR 2 @:2:1: field longer than 3 bytes\n") == 0, "%s", got.s);
    unlink(path);
    sb_free(&got);

    /* Wide records: 5000 fields. */
    {
        sbuf w = {0};
        for (int rec = 0; rec < 3; rec++)
            for (int i = 0; i < 5000; i++) {
                char cell[32];
                snprintf(cell, sizeof cell, "%s%d_%d%s", rec == 2 ? "\"" : "", rec, i,
                         i == 4999 ? (rec == 2 ? "\"\n" : "\n") : (rec == 2 ? "\"," : ","));
                sb_str(&w, cell);
            }
        tmp_write(path, w.s, w.n);
        sb_free(&w);
        CHECK(vn__csv_open(path, NULL, &r, err, sizeof err) == VN_OK);
        if (r) {
            int g;
            CHECK(vn__csv_ncols(r) == 5000 && strcmp(vn__csv_colname(r, 4999), "0_4999") == 0);
            CHECK(vn__csv_next(r, &g) == VN_OK && g &&
                  strcmp(vn__csv_field(r, 4999, NULL), "1_4999") == 0);
            CHECK(vn__csv_next(r, &g) == VN_OK && g &&
                  strcmp(vn__csv_field(r, 4998, NULL), "2_4998") == 0);
            CHECK(vn__csv_next(r, &g) == VN_OK && !g && vn__csv_records(r) == 2);
            vn__csv_free(r);
        }
        unlink(path);
    }

    /* Bad options and files. */
    r = (vn__csv *)1;
    const vn__csv_opts quote = {'"', 1, 0, 0};
    CHECK(vn__csv_open(DATA "edge/crlf.csv", &quote, &r, err, sizeof err) == VN_ERR_USAGE &&
          r == NULL);
    const vn__csv_opts lf = {'\n', 1, 0, 0};
    CHECK(vn__csv_open(DATA "edge/crlf.csv", &lf, &r, err, sizeof err) == VN_ERR_USAGE);
    CHECK(vn__csv_open(DATA "edge/crlf.csv", NULL, &r, err, sizeof err) == VN_OK && r);
    if (r) {
        CHECK(strcmp(vn__csv_colname(r, 1), "b") == 0); /* NULL opts: ',' with a header */
        vn__csv_free(r);
    }
    vn__csv_free(NULL);
    expect_file("/nonexistent/dir/x.csv", 1,
                "ERR 3 @: cannot open: No such file or directory\n");
    expect_file("/tmp", 1, "ERR 3 @: read error: Is a directory\n");
    CHECK(vn__csv_open("/nonexistent.csv", NULL, &r, err, sizeof err) == VN_ERR_IO && !r);
    CHECK(strcmp(err, "/nonexistent.csv: cannot open: No such file or directory") == 0);

    /* Errors are sticky. */
    tmp_write_str(path, "a,b\n1\n2,3\n");
    CHECK(vn__csv_open(path, NULL, &r, err, sizeof err) == VN_OK);
    if (r) {
        int g = 1;
        CHECK(vn__csv_next(r, &g) == VN_ERR_DATA && g == 0);
        CHECK(vn__csv_next(r, &g) == VN_ERR_DATA && g == 0);
        CHECK(strstr(vn__csv_errmsg(r), ":2:1: record has 1 fields") != NULL);
        CHECK(strcmp(vn__csv_name(r), path) == 0);
        vn__csv_free(r);
    }
    unlink(path);
}

/* A 5,000-byte field after 10,000 lines; 10^6 tiny rows. */
static void test_many_lines(void)
{
    sbuf b = {0};
    for (int i = 0; i < 10000; i++)
        sb_str(&b, "#ik,x\n");
    for (int i = 0; i < 5000; i++)
        sb_str(&b, "a");
    sb_str(&b, ",z\n");
    char path[64];
    tmp_write(path, b.s, b.n);
    char err[256];
    vn__csv *r = NULL;
    const vn__csv_opts o0 = {',', 0, 0, 0};
    CHECK(vn__csv_open(path, &o0, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got;
        vn_status st;
        size_t len = 0;
        uint64_t line = 0, col = 0;
        while ((st = vn__csv_next(r, &got)) == VN_OK && got) {
            vn__csv_field(r, 0, &len);
            line = vn__csv_line(r);
            col = vn__csv_field_col(r, 1);
        }
        CHECK(st == VN_OK && vn__csv_records(r) == 10001);
        CHECK(len == 5000 && line == 10001 && col == 5002);
        vn__csv_free(r);
    }
    unlink(path);

    b.n = 0;
    for (int i = 0; i < 10000; i++)
        sb_str(&b, "#ik,x\n");
    sb_str(&b, "\"");
    for (int i = 0; i < 5000; i++)
        sb_str(&b, (i % 100 == 99) ? "\n" : "b");
    sb_str(&b, "\",end\n");
    tmp_write(path, b.s, b.n);
    CHECK(vn__csv_open(path, &o0, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got;
        vn_status st;
        size_t len = 0;
        uint64_t line = 0, fline = 0, col = 0;
        while ((st = vn__csv_next(r, &got)) == VN_OK && got) {
            vn__csv_field(r, 0, &len);
            line = vn__csv_line(r);
            fline = vn__csv_field_line(r, 1);
            col = vn__csv_field_col(r, 1);
        }
        CHECK(st == VN_OK && vn__csv_records(r) == 10001);
        CHECK(len == 5000 && line == 10001 && fline == 10051 && col == 3);
        vn__csv_free(r);
    }
    unlink(path);

    b.n = 0;
    sb_str(&b, "y,p\n");
    for (int i = 0; i < 1000000; i++)
        sb_str(&b, (i & 1) ? "1,2\r\n" : "3,4\n");
    tmp_write(path, b.s, b.n);
    const vn__csv_opts o1 = {',', 1, 0, 0};
    CHECK(vn__csv_open(path, &o1, &r, err, sizeof err) == VN_OK);
    if (r) {
        int got;
        vn_status st;
        long sum = 0;
        while ((st = vn__csv_next(r, &got)) == VN_OK && got)
            sum += vn__csv_field(r, 1, NULL)[0] - '0';
        CHECK(st == VN_OK && vn__csv_records(r) == 1000000);
        CHECK(sum == 3000000 && vn__csv_line(r) == 1000001);
        vn__csv_free(r);
    }
    unlink(path);
    sb_free(&b);
}

/* A 3 MB field against max_field. */
static void test_huge_field(void)
{
    const size_t big = 3u << 20;
    char *data = malloc(2 * big + 64);
    size_t n = 0;
    n += (size_t)sprintf(data, "h,i\n1,");
    memset(data + n, 'x', big);
    n += big;
    n += (size_t)sprintf(data + n, "\n2,3\n");
    char path[64];
    tmp_write(path, data, n);
    sbuf got = {0};
    const vn__csv_opts small = {',', 1, 1u << 20, 0};
    dump_opts(path, &small, &got);
    CHECKF(strcmp(got.s, "h|i\nERR 2 @:2:3: field longer than 1048576 bytes\n") == 0, "%s",
           got.s);
    const vn__csv_opts dflt = {',', 1, 0, 0}; /* 1 MiB */
    dump_opts(path, &dflt, &got);
    CHECKF(strcmp(got.s, "h|i\nERR 2 @:2:3: field longer than 1048576 bytes\n") == 0, "%s",
           got.s);
    unlink(path);

    /* Quoted, with doubled quotes: the limit counts the field's bytes, not the input's. */
    n = (size_t)sprintf(data, "h,i\n1,\"");
    for (size_t i = 0; i < big; i++) {
        if (i % 1000 == 0)
            data[n++] = '"'; /* doubled: one quote of data */
        data[n++] = (i % 1000 == 0) ? '"' : 'x';
    }
    n += (size_t)sprintf(data + n, "\"\n2,3\n");
    tmp_write(path, data, n);
    char err[256];
    vn__csv *r = NULL;
    const vn__csv_opts large = {',', 1, 4u << 20, 0};
    CHECK(vn__csv_open(path, &large, &r, err, sizeof err) == VN_OK);
    if (r) {
        int g;
        size_t len = 0;
        CHECK(vn__csv_next(r, &g) == VN_OK && g);
        const char *f = vn__csv_field(r, 1, &len);
        CHECK(len == big && strlen(f) == len && f[0] == '"' && f[1] == 'x' && f[1000] == '"');
        CHECK(vn__csv_next(r, &g) == VN_OK && g && strcmp(vn__csv_field(r, 1, NULL), "3") == 0);
        CHECK(vn__csv_next(r, &g) == VN_OK && !g);
        vn__csv_free(r);
    }
    const vn__csv_opts exact = {',', 1, big, 0};
    dump_opts(path, &exact, &got);
    CHECK(got.n > big && strstr(got.s, "ERR") == NULL);
    const vn__csv_opts one_less = {',', 1, big - 1, 0};
    dump_opts(path, &one_less, &got);
    CHECK(strstr(got.s, "ERR 2 @:2:3: field longer than") != NULL);
    unlink(path);
    sb_free(&got);
    free(data);
}

/* A tricky record placed so that the block boundary falls at each of its offsets. */
static void test_block_boundaries(void)
{
    static const char tricky[] = "\"q\"\"u\r\no\rt\",x\r\n\"\",\"\"\r\nab,\"c\"\"\"\r\n";
    static const char tail[] = "e,\"f\"";
    const size_t tl = sizeof tricky - 1;
    const size_t block = VN_CSV_BLOCK;
    enum { FILL_LINE = 64 };
    char *fill = malloc(block + FILL_LINE);
    for (size_t i = 0; i < block / FILL_LINE + 1; i++) {
        memset(fill + FILL_LINE * i, 'b', FILL_LINE);
        fill[FILL_LINE * i] = 'a';
        fill[FILL_LINE * i + 1] = ',';
        fill[FILL_LINE * i + FILL_LINE - 1] = '\n';
    }
    for (size_t d = 0; d <= tl + 1; d++) {
        /* Filler lines up to block - d bytes, the last one padded: the block boundary
         * falls d bytes into the tricky part. */
        sbuf b = {0};
        sb_str(&b, "h1,h2\n");
        const size_t target = block > d + 16 ? block - d : 16;
        size_t lines = 1;
        if (b.n + 2 * FILL_LINE <= target) {
            /* Lines of FILL_LINE bytes ("a,bbb...b\n") while two more still fit. */
            const size_t k = (target - b.n - 2 * FILL_LINE) / FILL_LINE + 1;
            sb_put(&b, fill, FILL_LINE * k);
            lines += k;
        }
        sb_str(&b, "a,");
        while (b.n + 1 < target)
            sb_str(&b, "b");
        sb_str(&b, "\n");
        lines++;
        sb_put(&b, tricky, tl);
        sb_str(&b, tail);
        char path[64];
        tmp_write(path, b.s, b.n);
        char err[256];
        vn__csv *r = NULL;
        CHECK(vn__csv_open(path, NULL, &r, err, sizeof err) == VN_OK);
        if (r) {
            int g;
            vn_status st;
            uint64_t n = 0;
            int ok = 1;
            while ((st = vn__csv_next(r, &g)) == VN_OK && g) {
                n++;
                if (n < lines - 1)
                    continue;
                const char *f0 = vn__csv_field(r, 0, NULL), *f1 = vn__csv_field(r, 1, NULL);
                const uint64_t ln = vn__csv_line(r);
                const uint64_t at = lines - 1;
                if (n == at)
                    ok &= f0[0] == 'a' && f1[0] == 'b' && ln == lines;
                else if (n == at + 1)
                    ok &= strcmp(f0, "q\"u\r\no\rt") == 0 && strcmp(f1, "x") == 0 &&
                          ln == lines + 1 && vn__csv_field_line(r, 1) == lines + 3 &&
                          vn__csv_field_col(r, 1) == 4;
                else if (n == at + 2)
                    ok &= f0[0] == 0 && f1[0] == 0 && ln == lines + 4 &&
                          vn__csv_field_col(r, 1) == 4;
                else if (n == at + 3)
                    ok &= strcmp(f0, "ab") == 0 && strcmp(f1, "c\"") == 0 && ln == lines + 5;
                else if (n == at + 4)
                    ok &= strcmp(f0, "e") == 0 && strcmp(f1, "f") == 0 && ln == lines + 6 &&
                          vn__csv_field_col(r, 1) == 3;
                else
                    ok = 0;
            }
            CHECKF(st == VN_OK && ok && n == lines + 3, "boundary at offset %zu: st %d n %llu",
                   d, (int)st, (unsigned long long)n);
            vn__csv_free(r);
        }
        /* The same file cut inside the first quoted field: unterminated, at its line. */
        const size_t cut = b.n - sizeof tail + 1 - tl + 5;
        unlink(path);
        tmp_write(path, b.s, cut);
        CHECK(vn__csv_open(path, NULL, &r, err, sizeof err) == VN_OK);
        if (r) {
            int g;
            vn_status st;
            while ((st = vn__csv_next(r, &g)) == VN_OK && g)
                ;
            char want[160];
            snprintf(want, sizeof want, "%s:%zu:1: unterminated quoted field", path, lines + 1);
            CHECKF(st == VN_ERR_DATA && strcmp(vn__csv_errmsg(r), want) == 0,
                   "cut at %zu: %s", d, vn__csv_errmsg(r));
            vn__csv_free(r);
        }
        unlink(path);
        sb_free(&b);
    }
    free(fill);
}

/* gzip: the same records as the plain file; cut short, an I/O error. */
static void test_gzip(void)
{
    sbuf b = {0};
    sb_str(&b, "y,yhat,note\n");
    for (int i = 0; i < 100000; i++) {
        char row[96];
        snprintf(row, sizeof row, "%d.%03d,%d,\"n%d\"\"\r\nx\"%s", i, i % 997, i * 7 % 1000, i,
                 (i % 3) ? "\n" : "\r\n");
        sb_str(&b, row);
    }
    char plain[64], gz[64];
    tmp_write(plain, b.s, b.n);
    tmp_write_gz(gz, b.s, b.n);
    sbuf a = {0}, c = {0};
    CHECK(dump(plain, 1, &a) == VN_OK);
    CHECK(dump(gz, 1, &c) == VN_OK);
    CHECK(a.n > b.n / 2 && a.n == c.n && memcmp(a.s, c.s, a.n) == 0);

    /* Through standard input, plain and gzip. */
    for (int k = 0; k < 2; k++) {
        const int saved = dup(0);
        const int fd = open(k ? gz : plain, O_RDONLY);
        CHECK(saved >= 0 && fd >= 0 && dup2(fd, 0) == 0);
        close(fd);
        sbuf s = {0};
        CHECK(dump("-", 1, &s) == VN_OK);
        CHECK(s.n == a.n && memcmp(s.s, a.s, a.n) == 0);
        char err[256];
        vn__csv *r = NULL;
        CHECK(lseek(0, 0, SEEK_SET) == 0);
        CHECK(vn__csv_open("-", NULL, &r, err, sizeof err) == VN_OK);
        if (r) {
            CHECK(strcmp(vn__csv_name(r), "<stdin>") == 0);
            vn__csv_free(r);
        }
        dup2(saved, 0);
        close(saved);
        sb_free(&s);
    }
    /* Errors through stdin name "<stdin>". */
    {
        char bad[64];
        tmp_write_str(bad, "a,b\n1\n");
        const int saved = dup(0);
        const int fd = open(bad, O_RDONLY);
        dup2(fd, 0);
        close(fd);
        sbuf s = {0};
        dump("-", 1, &s);
        CHECKF(strcmp(s.s, "a|b\nERR 2 @:2:1: record has 1 fields, expected 2 (header has 2)\n") ==
                   0,
               "%s", s.s);
        dup2(saved, 0);
        close(saved);
        sb_free(&s);
        unlink(bad);
    }

    /* Truncated gzip streams. */
    size_t gn;
    char *gzb = slurp(gz, &gn);
    CHECK(gzb && gn > 1000);
    const size_t cuts[] = {gn / 2, gn - 1, gn - 4, gn - 8, gn - 9, 200, 20, 10, 3, 2, 1};
    for (size_t i = 0; gzb && i < sizeof cuts / sizeof cuts[0]; i++) {
        char cut[64];
        tmp_write(cut, gzb, cuts[i]);
        sbuf s = {0};
        const vn_status st = dump(cut, 1, &s);
        const char *want = "ERR 2 @: unexpected end of gzip stream (truncated file?)\n";
        CHECKF(st == VN_ERR_DATA && s.n >= strlen(want) &&
                   strcmp(s.s + s.n - strlen(want), want) == 0,
               "gzip cut at %zu of %zu: status %d, %s", cuts[i], gn, (int)st,
               s.s + (s.n > 100 ? s.n - 100 : 0));
        unlink(cut);
        sb_free(&s);
    }
    /* A corrupted stream (bad CRC) is a data error too. */
    if (gzb) {
        gzb[gn - 6] ^= 0x55;
        char bad[64];
        tmp_write(bad, gzb, gn);
        sbuf s = {0};
        CHECK(dump(bad, 1, &s) == VN_ERR_DATA);
        CHECKF(strstr(s.s, "ERR 2 @: corrupt gzip stream: ") != NULL, "%s",
               s.s + (s.n > 100 ? s.n - 100 : 0));
        unlink(bad);
        sb_free(&s);
    }
    /* A small gzip file with the edge-case policies. */
    static const char small[] = "\xEF\xBB\xBFh1,h2\r\n\r\n\"a\r\nb\",c\rd,\"\"\n";
    char sg[64];
    tmp_write_gz(sg, small, sizeof small - 1);
    expect_file(sg, 1, "h1|h2\na\\r\\nb|c\nd|\n");
    unlink(sg);
    static const char utf16[] = "\xFF\xFEh\0";
    tmp_write_gz(sg, utf16, sizeof utf16 - 1);
    expect_file(sg, 1, "ERR 2 @:1:1: unsupported encoding UTF-16LE (convert to UTF-8)\n");
    unlink(sg);
    tmp_write_gz(sg, "", 0);
    expect_file(sg, 1, "ERR 2 @: empty input (no header)\n");
    unlink(sg);

    free(gzb);
    unlink(plain);
    unlink(gz);
    sb_free(&a);
    sb_free(&c);
    sb_free(&b);
}

/* ---- allocation failures ---- */

static long alloc_countdown = -1;

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (alloc_countdown == 0)
        return NULL;
    if (alloc_countdown > 0)
        alloc_countdown--;
    return realloc(ptr, size);
}

/* Fails the 1st, 2nd, ... allocation: every run ends in VN_ERR_NOMEM or succeeds, with
 * nothing leaked (AddressSanitizer checks). */
/* Where the parallel reader may start: just after the header's line break — its LF
 * when the header ends in CRLF (hand-derived offsets and line numbers); not after a bare
 * CR (whose meaning needs the byte after it, which the sequential reader then reads). */
static void test_data_start(void)
{
    static const struct {
        const char *text;
        int ok;
        uint64_t offset, line;
    } cases[] = {
        {"y,yhat\n1,2\n", 1, 7, 2},
        {"y,yhat\r\n1,2\r\n", 1, 8, 2},
        {"y,yhat\r\n\r\n1,2\r\n", 1, 8, 2}, /* a blank line next: the reader's to skip */
        {"\xEF\xBB\xBFy,yhat\r\n1,2\r\n", 1, 11, 2},
        {"y,yhat\r1,2\r", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[] = "/tmp/vn_test_csv_start_XXXXXX";
        const int fd = mkstemp(path);
        CHECK(fd >= 0);
        if (fd < 0)
            continue;
        const size_t len = strlen(cases[i].text);
        CHECK(write(fd, cases[i].text, len) == (ssize_t)len);
        close(fd);
        char err[256];
        vn__csv *r = NULL;
        const vn__csv_opts o = {',', 1, 0, 0};
        CHECK(vn__csv_open(path, &o, &r, err, sizeof err) == VN_OK);
        uint64_t off = 0, line = 0;
        const bool ok = r && vn__csv_data_start(r, &off, &line);
        CHECKF(ok == cases[i].ok && (!ok || (off == cases[i].offset && line == cases[i].line)),
               "case %zu: %d at %llu, line %llu", i, ok, (unsigned long long)off,
               (unsigned long long)line);
        vn__csv_free(r);
        unlink(path);
    }
}

static void test_alloc_failures(void)
{
    sbuf b = {0};
    sb_str(&b, "alpha,beta,gamma,delta\n");
    for (int i = 0; i < 300; i++)
        sb_str(&b, "1,\"two\r\nlines and a long enough field to grow the buffer\",3,4\n");
    char path[64];
    tmp_write(path, b.s, b.n);
    sbuf clean = {0};
    CHECK(dump(path, 1, &clean) == VN_OK);
    vn_set_allocator(failing_alloc, NULL);
    int nomem = 0, ok = 0, bad = 0;
    for (long k = 0; k < 200 && !ok; k++) {
        alloc_countdown = k;
        sbuf s = {0};
        const vn_status st = dump(path, 1, &s);
        alloc_countdown = -1;
        if (st == VN_ERR_NOMEM)
            nomem++;
        else if (st == VN_OK && s.n == clean.n && strcmp(s.s, clean.s) == 0)
            ok = 1;
        else
            bad++;
        sb_free(&s);
    }
    vn_set_allocator(NULL, NULL);
    CHECK(nomem >= 3 && ok && bad == 0);
    unlink(path);
    sb_free(&clean);
    sb_free(&b);
}

int main(void)
{
    RUN(test_spectrum);
    RUN(test_edge);
    RUN(test_commons);
    RUN(test_small_generated);
    RUN(test_many_lines);
    RUN(test_huge_field);
    RUN(test_block_boundaries);
    RUN(test_gzip);
    RUN(test_data_start);
    RUN(test_alloc_failures);
    return unit_summary("csv");
}
