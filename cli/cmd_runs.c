/*
 * cmd_runs.c — `vernier runs`: the run store as an experiment table. list, show, diff,
 * tag, rm, export and export-mlflow, written over the public store API (vn_store_*,
 * vn_run, vn_run_value) only: the CLI never talks to SQLite itself.
 *
 * Every subcommand opens an existing store and never creates one (a typo in --store
 * must not leave an empty database behind). Tables and Markdown are rounded for
 * people; CSV and JSON carry every value exactly (the shortest decimal that reads back
 * as the same double).
 */
#include "cli.h"
#include "mlflow.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUNS_LIST_SCHEMA "vernier.runs.list/1"
#define RUNS_SHOW_SCHEMA "vernier.runs.show/1"
#define RUNS_DIFF_SCHEMA "vernier.runs.diff/1"
#define RUNS_EXPORT_SCHEMA "vernier.runs/1"

/* ---------------------------------------------------------------------------------
 * Help
 * ------------------------------------------------------------------------------- */

static const char help_runs[] =
    "usage: vernier runs <subcommand> [options]\n"
    "\n"
    "The run store: 'vernier eval ... --log' records every value of an evaluation, with\n"
    "its command, a hash of the input data and the git commit, in one SQLite file. These\n"
    "subcommands read it, compare runs and tidy it up.\n"
    "\n"
    "subcommands:\n"
    "  list [RUN]                 runs, newest first, with chosen metrics as columns\n"
    "  show RUN                   one run: meta, tags, input, values per slice\n"
    "  diff RUN_A RUN_B           metric by metric, slice by slice: B - A, better or worse\n"
    "  tag RUN KEY=VALUE...       set tags on a run (--rm KEY removes one)\n"
    "  rm RUN...                  delete runs (asks first unless --yes)\n"
    "  export [RUN...]            every stored value as long CSV or JSON\n"
    "  export-mlflow DIR [RUN...] the runs as an MLflow file store (an mlruns directory)\n"
    "\n"
    "run selectors (RUN):\n"
    "  latest, latest~N           the newest run; the N-th before it\n"
    "  ID                         a run id (16 hex digits) or a prefix of 4 or more\n"
    "  tag:KEY, tag:KEY=VALUE     runs carrying that tag\n"
    "  name:NAME                  runs with that name\n"
    "\n"
    "store:\n"
    "      --store PATH           the store file (default: $VERNIER_STORE, else\n"
    "                             .vernier/runs.db); given before or after the subcommand\n"
    "\n"
    "Run 'vernier runs <subcommand> --help' for its options. docs/runs.md has the details.\n"
    "\n"
    "examples:\n"
    "  vernier eval preds.csv -y y -p yhat --log --tag model=gbm-v2 --name nightly\n"
    "  vernier runs list --metrics mae,rmse,r2\n"
    "  vernier runs diff latest~1 latest --only-changed\n"
    "  vernier runs tag latest stage=production\n"
    "  vernier runs export-mlflow mlruns tag:stage=production\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (a bad option, or a run selector that matches no\n"
    "run), 4 store error (no store, not a vernier store, cannot read or write),\n"
    "5 internal error\n";

static const char help_list[] =
    "usage: vernier runs list [RUN] [options]\n"
    "\n"
    "Lists runs newest first: id, time (UTC), name, command, rows used, the input's data\n"
    "hash, tags, then one column per chosen metric on one slice. RUN (a selector: latest,\n"
    "latest~N, an id prefix, tag:KEY[=VALUE], name:NAME) keeps the runs it matches.\n"
    "\n"
    "options:\n"
    "  -m, --metrics LIST      metric keys to show as columns, e.g. mae,rmse,huber:delta=2\n"
    "                          (default: the first four metrics of the newest run listed,\n"
    "                          leaving out count, which the rows column already shows)\n"
    "      --slice SLICE       the slice the values come from (default overall), e.g.\n"
    "                          store=s1 or region=north,tier=a\n"
    "      --since TIME        runs logged at or after TIME: 2026-11-28, 2026-11-28T14:03,\n"
    "                          2026-11-28T14:03:07Z, or 7d / 12h / 2w ago\n"
    "      --until TIME        runs logged up to TIME, which includes all of its last field\n"
    "                          (--until 2026-11-28 includes the whole day)\n"
    "  -n, --limit N           at most N runs\n"
    "  -f, --format FMT        table (default), csv, json (schema " RUNS_LIST_SCHEMA ") or md\n"
    "  -o, --output FILE       write there; the file appears whole or not at all\n"
    "      --store PATH        the store file\n"
    "\n"
    "A table shows the first 8 digits of ids and hashes; CSV and JSON show them whole.\n"
    "\n"
    "examples:\n"
    "  vernier runs list\n"
    "  vernier runs list tag:model=gbm-v2 --metrics mae,rmse --slice store=s1\n"
    "  vernier runs list --since 7d --limit 20 --format csv -o runs.csv\n"
    "\n"
    "Exit codes: 0 ok (also when no run matches), 2 usage error, 4 store error,\n"
    "5 internal error\n";

static const char help_show[] =
    "usage: vernier runs show RUN [options]\n"
    "\n"
    "Shows one run: id, time, name, command line, metric list, vernier version, git\n"
    "commit, tags, the input (file, columns, rows, data hash) and every value per slice,\n"
    "with the reason wherever a value is undefined.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT        table (default), csv (the long rows of 'runs export'),\n"
    "                          json (schema " RUNS_SHOW_SCHEMA ") or md\n"
    "  -o, --output FILE       write there; the file appears whole or not at all\n"
    "      --store PATH        the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs show latest\n"
    "  vernier runs show 3f9a1c02 --format json\n"
    "  vernier runs show tag:stage=production --format md -o model-card-metrics.md\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (also: RUN matches no run, or an id prefix matches\n"
    "several), 4 store error, 5 internal error\n";

static const char help_diff[] =
    "usage: vernier runs diff RUN_A RUN_B [options]\n"
    "\n"
    "Compares two runs metric by metric and slice by slice: the value in A and in B, the\n"
    "change B - A, the relative change (B - A) / |A|, and a verdict from the metric's\n"
    "direction: better or worse (lower is better for errors, higher for r2 and other\n"
    "scores, closer to zero for signed metrics such as mean_error), same, undefined in A\n"
    "or B, or only in A or B for slices and metrics that one run lacks. When both runs\n"
    "stored confidence intervals, 'beyond CI' says whether the intervals are disjoint;\n"
    "when they did not, that is said once. A different data hash is pointed out: the\n"
    "runs were then evaluated on different inputs.\n"
    "\n"
    "options:\n"
    "      --only-changed      leave out the rows whose values are the same\n"
    "  -f, --format FMT        table (default), csv, json (schema " RUNS_DIFF_SCHEMA ") or md\n"
    "  -o, --output FILE       write there; the file appears whole or not at all\n"
    "      --store PATH        the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs diff latest~1 latest\n"
    "  vernier runs diff tag:stage=production latest --only-changed\n"
    "  vernier runs diff 3f9a 7c21 --format json -o diff.json\n"
    "\n"
    "Exit codes: 0 ok (whatever changed; 'vernier check' is the gate), 2 usage error\n"
    "(also: a selector matches no run), 4 store error, 5 internal error\n";

static const char help_tag[] =
    "usage: vernier runs tag RUN KEY=VALUE... [--rm KEY]...\n"
    "\n"
    "Sets tags on one run (a tag already set is overwritten) and removes tags with --rm.\n"
    "Keys are not empty and hold no '='; values may be empty and may hold '='.\n"
    "\n"
    "options:\n"
    "      --rm KEY            remove the tag KEY (repeatable)\n"
    "      --store PATH        the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs tag latest stage=production\n"
    "  vernier runs tag 3f9a1c02 reviewed=yes note=\"baseline for Q4\"\n"
    "  vernier runs tag tag:stage=production --rm stage\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (also: RUN matches no run), 4 store error,\n"
    "5 internal error\n";

static const char help_rm[] =
    "usage: vernier runs rm RUN... [--yes]\n"
    "\n"
    "Deletes every run the selectors match, with all their values and tags. Without\n"
    "--yes it lists them and asks \"delete N runs? [y/N]\" on the terminal; when standard\n"
    "input is not a terminal, it refuses instead of guessing.\n"
    "\n"
    "options:\n"
    "  -y, --yes               delete without asking\n"
    "      --store PATH        the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs rm latest\n"
    "  vernier runs rm tag:scratch --yes\n"
    "  vernier runs rm 3f9a1c02 7c21d0e4\n"
    "\n"
    "Exit codes: 0 ok (also when you answer no), 2 usage error (also: a selector matches\n"
    "no run, or no terminal to ask and no --yes), 4 store error, 5 internal error\n";

static const char help_export[] =
    "usage: vernier runs export [RUN...] [options]\n"
    "\n"
    "Writes every stored value of the selected runs (default: all runs, newest first).\n"
    "CSV is long: one row per run, slice and metric, with the run's meta in the first\n"
    "columns. JSON (schema " RUNS_EXPORT_SCHEMA ") holds one object per run with its meta,\n"
    "tags and values. Values are exact (they read back as the same double); undefined\n"
    "values are empty (CSV) or null (JSON), with their reason.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT        csv (default) or json\n"
    "  -o, --output FILE       write there; the file appears whole or not at all\n"
    "      --store PATH        the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs export -o runs.csv\n"
    "  vernier runs export tag:stage=production --format json -o production.json\n"
    "  vernier runs export latest~1 latest | grep ,mae,\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (also: a selector matches no run), 4 store or\n"
    "output error, 5 internal error\n";

static const char help_mlflow[] =
    "usage: vernier runs export-mlflow DIR [RUN...] [options]\n"
    "\n"
    "Writes the selected runs (default: all) into DIR in MLflow's file-store layout (the\n"
    "'mlruns' directory of MLflow 2.x), so 'mlflow ui --backend-store-uri DIR' shows\n"
    "them: an experiment (DIR/ID/meta.yaml, created when missing), and per run a\n"
    "directory DIR/ID/RUN_UUID with meta.yaml, metrics/, params/ and tags/.\n"
    "\n"
    "  metrics/SLICE/METRIC    one file per defined value, \"TIMESTAMP_MS VALUE 0\";\n"
    "                          undefined values are left out. Characters MLflow does not\n"
    "                          allow in names become '_': overall/huber_delta_2\n"
    "  params/                 spec, command, argv, source, y, yhat, weight, data_hash,\n"
    "                          rows_read, rows_used, rows_missing, rows_zero_weight,\n"
    "                          vernier_version, vernier_run_id\n"
    "  tags/                   the run's tags, mlflow.runName, mlflow.source.git.commit\n"
    "\n"
    "The run uuid is the vernier run id followed by 16 zeros, so exporting a run again\n"
    "replaces its directory instead of adding a copy. Each run directory is written\n"
    "under a temporary name and renamed into place.\n"
    "\n"
    "options:\n"
    "      --experiment-id ID    the experiment directory (default 0)\n"
    "      --experiment-name NAME  its name when it is created (default vernier)\n"
    "      --store PATH          the store file\n"
    "\n"
    "examples:\n"
    "  vernier runs export-mlflow mlruns\n"
    "  vernier runs export-mlflow mlruns tag:stage=production latest\n"
    "  vernier runs export-mlflow ~/mlruns --experiment-id 7 --experiment-name demand\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (also: a selector matches no run), 4 store or\n"
    "file error, 5 internal error\n";

static const char selector_hint[] =
    "run selectors: latest, latest~N, an id prefix of 4+ hex digits, tag:KEY[=VALUE], "
    "name:NAME; 'vernier runs list' shows the runs";

/* ---------------------------------------------------------------------------------
 * Numbers and times
 * ------------------------------------------------------------------------------- */

void cli_num_exact(char *buf, size_t len, double x) { vn_format_double(buf, len, x); }

/* The metric's catalog entry by id, or NULL for a metric this vernier does not know
 * (a store written by a newer version). */
static const vn_metric_info *metric_info(const char *metric_id)
{
    return metric_id && *metric_id ? vn_metric_find(metric_id) : NULL;
}

/* Rounded for people, as `vernier eval` rounds: 6 significant digits, counts whole. */
static void num_human(char *buf, size_t len, double x, const char *metric_id)
{
    if (!isfinite(x))
        snprintf(buf, len, "n/a");
    else if (metric_id && strcmp(metric_id, "count") == 0 && x == floor(x) && fabs(x) < 1e15)
        snprintf(buf, len, "%.0f", x);
    else if (x != 0 && (fabs(x) >= 1e9 || fabs(x) < 1e-4))
        snprintf(buf, len, "%.4e", x);
    else
        snprintf(buf, len, "%.6g", x);
}

static const char *unit_suffix(const char *metric_id)
{
    const vn_metric_info *mi = metric_info(metric_id);
    return mi && strcmp(mi->unit, "%") == 0 ? " %" : "";
}

/* Exactly n ASCII digits at p. */
static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int cli_time_ms(const char *s, int64_t *ms, int64_t *unit)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h = 0, mi = 0, sec = 0, milli = 0, off = 0;
    int64_t u = 86400000;
    const char *p = s;
    if (!s || digits(p, 4, &Y) || p[4] != '-' || digits(p + 5, 2, &M) || p[7] != '-' ||
        digits(p + 8, 2, &D))
        return -1;
    p += 10;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &mi))
            return -1;
        p += 6;
        u = 60000;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec))
                return -1;
            p += 3;
            u = 1000;
            if (*p == '.') {
                int k = 0, scale = 100;
                for (p++; *p >= '0' && *p <= '9'; p++, k++) {
                    milli += (*p - '0') * scale;
                    scale /= 10;
                }
                if (k == 0)
                    return -1;
                u = 1;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            const int sign = *p == '-' ? -1 : 1;
            if (digits(p + 1, 2, &oh))
                return -1;
            p += 3;
            if (*p == ':')
                p++;
            if (digits(p, 2, &om) || oh > 23 || om > 59)
                return -1;
            p += 2;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    const bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (*p || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 60)
        return -1;
    if (sec == 60) /* a leap second reads as the last millisecond of its minute */
        sec = 59, milli = 999;
    const int64_t secs = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 +
                         mi * 60 + sec - off;
    *ms = secs * 1000 + milli;
    if (unit)
        *unit = u;
    return 0;
}

/* --since/--until: an ISO time, or "N" followed by h, d or w for that long ago. */
static int parse_when(const char *s, int64_t *ms, int64_t *unit)
{
    const size_t n = strlen(s);
    if (n >= 2 && strspn(s, "0123456789") == n - 1 && strchr("hdw", s[n - 1])) {
        const int64_t per = s[n - 1] == 'h' ? 3600000 : s[n - 1] == 'd' ? 86400000 : 604800000;
        const long long k = strtoll(s, NULL, 10);
        if (k < 0 || k > 1000000)
            return -1;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 - k * per;
        *unit = 1;
        return 0;
    }
    return cli_time_ms(s, ms, unit);
}

/* "2026-11-28T14:03:07.123Z" -> "2026-11-28 14:03:07": to the second, for tables. */
static void time_short(char *buf, size_t len, const char *iso)
{
    snprintf(buf, len, "%.19s", iso);
    if (strlen(buf) > 10 && buf[10] == 'T')
        buf[10] = ' ';
}

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

/* ---------------------------------------------------------------------------------
 * Writers: JSON, CSV, and a grid of cells for the people's formats
 * ------------------------------------------------------------------------------- */

static void json_str(FILE *fp, const char *s) { vn_json_string(fp, s); }

/* A string, or null when it is empty (absent in the store). */
static void json_opt(FILE *fp, const char *s)
{
    if (s && *s)
        json_str(fp, s);
    else
        fputs("null", fp);
}

static void json_num(FILE *fp, double x)
{
    char buf[40];
    cli_num_exact(buf, sizeof buf, x);
    fputs(*buf ? buf : "null", fp);
}

/* A text cell. One that a spreadsheet would run as a formula gets a leading quote
 * (OWASP "CSV injection"), as in `vernier eval --format csv`; cells with separators,
 * quotes or line breaks are quoted. */
static void csv_text(FILE *fp, const char *s) { vn_csv_text(fp, s); }

static void csv_num(FILE *fp, double x)
{
    char buf[40];
    cli_num_exact(buf, sizeof buf, x);
    fputs(buf, fp);
}

/* Display width of UTF-8 text in columns: one per code point (good enough for names;
 * wide CJK characters are rare in run names). */
static size_t text_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A copy of s that cannot break a table: control characters become spaces; for
 * Markdown, | is escaped and &, <, > become entities. NULL when out of memory. */
static char *clean_text(const char *s, bool md)
{
    char *out = malloc(6 * strlen(s) + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *o++ = ' ';
        else if (md && *p == '|')
            o += sprintf(o, "\\|");
        else if (md && *p == '&')
            o += sprintf(o, "&amp;");
        else if (md && *p == '<')
            o += sprintf(o, "&lt;");
        else if (md && *p == '>')
            o += sprintf(o, "&gt;");
        else
            *o++ = (char)*p;
    }
    *o = '\0';
    return out;
}

/* Cells, row by row, the first row being the header; printed aligned (table) or as a
 * Markdown table. An allocation failure is remembered and reported at the end, so
 * that filling a grid needs no error check per cell. */
typedef struct grid {
    size_t ncols, n, cap;
    char **cell;
    char *align; /* 'l' or 'r' per column */
    bool oom;
} grid;

static void grid_init(grid *g, size_t ncols)
{
    memset(g, 0, sizeof *g);
    g->ncols = ncols;
    g->align = malloc(ncols + 1);
    if (!g->align) {
        g->oom = true;
        return;
    }
    memset(g->align, 'l', ncols);
    g->align[ncols] = '\0';
}

static void grid_free(grid *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->cell[i]);
    free(g->cell);
    free(g->align);
    memset(g, 0, sizeof *g);
}

/* Takes ownership of s (which may be NULL after a failed allocation). */
static void grid_take(grid *g, char *s)
{
    if (!s || g->oom) {
        g->oom = true;
        free(s);
        return;
    }
    if (g->n == g->cap) {
        const size_t cap = g->cap ? 2 * g->cap : 64;
        char **c = realloc(g->cell, cap * sizeof *c);
        if (!c) {
            g->oom = true;
            free(s);
            return;
        }
        g->cell = c;
        g->cap = cap;
    }
    g->cell[g->n++] = s;
}

static void grid_add(grid *g, const char *s)
{
    grid_take(g, strdup(s ? s : ""));
}

__attribute__((format(printf, 2, 3))) static void grid_addf(grid *g, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    const int k = vasprintf(&s, fmt, ap);
    va_end(ap);
    grid_take(g, k < 0 ? NULL : s);
}

/* Prints the grid; 0, or -1 when out of memory. */
static int grid_write(grid *g, FILE *fp, bool md)
{
    if (g->oom)
        return -1;
    const size_t nc = g->ncols, nr = g->n / nc;
    size_t *w = calloc(nc, sizeof *w);
    char **txt = calloc(g->n + 1, sizeof *txt);
    int rc = 0;
    if (!w || !txt)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < nr * nc; i++) {
        txt[i] = clean_text(g->cell[i], md);
        if (!txt[i]) {
            rc = -1;
            break;
        }
        const size_t tw = text_width(txt[i]);
        w[i % nc] = tw > w[i % nc] ? tw : w[i % nc];
    }
    for (size_t r = 0; rc == 0 && r < nr; r++) {
        /* A table line ends at its last non-empty cell: no trailing blanks. */
        size_t end = nc;
        while (!md && end > 1 && !*txt[r * nc + end - 1])
            end--;
        for (size_t c = 0; c < end; c++) {
            const char *t = txt[r * nc + c];
            const size_t pad = w[c] - text_width(t);
            const bool right = g->align[c] == 'r', last = c + 1 == end;
            fputs(md ? (c ? " | " : "| ") : (c ? "  " : ""), fp);
            if (right)
                fprintf(fp, "%*s", (int)pad, "");
            fputs(t, fp);
            if (!right && (!last || md))
                fprintf(fp, "%*s", (int)pad, "");
        }
        fputs(md ? " |\n" : "\n", fp);
        if (md && r == 0) {
            for (size_t c = 0; c < nc; c++)
                fputs(g->align[c] == 'r' ? "|---:" : "|---", fp);
            fputs("|\n", fp);
        }
    }
    for (size_t i = 0; txt && i < g->n; i++)
        free(txt[i]);
    free(txt);
    free(w);
    return rc;
}

/* "k=v, k2=v2" (sep ", ") or "k=v;k2=v2" (sep ";"); malloc'd, NULL when out of memory. */
static char *tags_text(const vn_run *r, const char *sep)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m)
        return NULL;
    for (size_t i = 0; i < r->ntags; i++)
        fprintf(m, "%s%s=%s", i ? sep : "", r->tag_keys[i], r->tag_values[i]);
    if (fclose(m) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static void json_tags(FILE *fp, const vn_run *r)
{
    fputc('{', fp);
    for (size_t i = 0; i < r->ntags; i++) {
        fputs(i ? ", " : "", fp);
        json_str(fp, r->tag_keys[i]);
        fputs(": ", fp);
        json_str(fp, r->tag_values[i]);
    }
    fputc('}', fp);
}

/* The stored command line (a JSON array of strings) as a shell line, quoting words
 * that need it; NULL when it is not such an array or out of memory. */
static char *argv_display(const char *json)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m)
        return NULL;
    const char *p = json;
    bool ok = false, first = true;
    char *word = malloc(strlen(json) * 3 + 1);
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (word && *p++ == '[') {
        for (;;) {
            while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ',')
                p++;
            if (*p == ']') {
                ok = p[1] == '\0' || strspn(p + 1, " \n\r\t") == strlen(p + 1);
                break;
            }
            if (*p++ != '"')
                break;
            char *w = word;
            bool bad = false;
            while (*p && *p != '"' && !bad) {
                if (*p != '\\') {
                    *w++ = *p++;
                    continue;
                }
                p++;
                const char *esc = strchr("\"\\/bfnrt", *p);
                if (esc && *p) {
                    *w++ = "\"\\/\b\f\n\r\t"[esc - "\"\\/bfnrt"];
                    p++;
                } else if (*p == 'u') {
                    unsigned cp = 0;
                    for (int i = 1; i <= 4 && !bad; i++) {
                        const char c = p[i];
                        cp = cp * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0'
                                                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : (bad = true, 0));
                    }
                    p += 5;
                    if (cp < 0x80) {
                        *w++ = (char)cp;
                    } else if (cp < 0x800) {
                        *w++ = (char)(0xC0 | cp >> 6);
                        *w++ = (char)(0x80 | (cp & 0x3F));
                    } else {
                        *w++ = (char)(0xE0 | cp >> 12);
                        *w++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                        *w++ = (char)(0x80 | (cp & 0x3F));
                    }
                } else {
                    bad = true;
                }
            }
            if (bad || *p++ != '"')
                break;
            *w = '\0';
            fputs(first ? "" : " ", m);
            first = false;
            const bool plain = *word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
                                                     "QRSTUVWXYZ0123456789_./:=,@%+-") == strlen(word);
            if (plain) {
                fputs(word, m);
            } else {
                fputc('\'', m);
                for (const char *c = word; *c; c++)
                    fputs(*c == '\'' ? "'\\''" : (char[]){*c, 0}, m);
                fputc('\'', m);
            }
        }
    }
    free(word);
    if (fclose(m) != 0 || !ok) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---------------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------------- */

static const char *store_path(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *env = getenv("VERNIER_STORE");
    return env && *env ? env : ".vernier/runs.db";
}

/* Opens an existing store; 0 or an exit code (the error printed). */
static int open_store(const char *opt, vn_store **out)
{
    *out = NULL;
    const char *path = store_path(opt);
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return cli_error(EXIT_IO,
                         "record runs with 'vernier eval ... --log', or name the store with "
                         "--store PATH or VERNIER_STORE",
                         "no run store at %s", path);
    char err[512] = "";
    const vn_status s = vn_store_open(path, out, err, sizeof err);
    if (s != VN_OK)
        return cli_error(s == VN_ERR_NOMEM || s == VN_ERR_INTERNAL ? EXIT_INTERNAL : EXIT_IO,
                         NULL, "%s", *err ? err : vn_strerror(s));
    return 0;
}

/* Reports a failed store call; returns the exit code. */
static int store_fail(vn_store *st, vn_status s)
{
    const char *msg = st ? vn_store_errmsg(st) : "";
    if (s == VN_ERR_USAGE)
        return cli_error(EXIT_USAGE, "'vernier runs list' shows the runs", "%s",
                         *msg ? msg : vn_strerror(s));
    return cli_error(s == VN_ERR_NOMEM || s == VN_ERR_INTERNAL ? EXIT_INTERNAL : EXIT_IO, NULL,
                     "%s", *msg ? msg : vn_strerror(s));
}

/* Runs from several selectors, each of which must match at least one run, without
 * duplicates, newest first. */
typedef struct runset {
    vn_runs **lists;
    size_t nlists;
    const vn_run **run;
    size_t n;
} runset;

static void runset_free(runset *rs)
{
    for (size_t i = 0; i < rs->nlists; i++)
        vn_runs_free(rs->lists[i]);
    free(rs->lists);
    free(rs->run);
    memset(rs, 0, sizeof *rs);
}

static int newest_first(const void *a, const void *b)
{
    const vn_run *x = *(const vn_run *const *)a, *y = *(const vn_run *const *)b;
    const int c = strcmp(y->created_at, x->created_at);
    return c ? c : strcmp(y->id, x->id);
}

/* nsel == 0 selects every run. 0 or an exit code. */
static int runset_collect(vn_store *st, char **sel, size_t nsel, runset *rs)
{
    memset(rs, 0, sizeof *rs);
    const size_t nl = nsel ? nsel : 1;
    rs->lists = calloc(nl, sizeof *rs->lists);
    if (!rs->lists)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    size_t total = 0;
    for (size_t i = 0; i < nl; i++) {
        const vn_status s = vn_store_find(st, nsel ? sel[i] : NULL, 0, &rs->lists[i]);
        if (s != VN_OK)
            return store_fail(st, s);
        rs->nlists++;
        if (nsel && vn_runs_count(rs->lists[i]) == 0)
            return cli_error(EXIT_USAGE, selector_hint, "no run matches \"%s\"", sel[i]);
        total += vn_runs_count(rs->lists[i]);
    }
    rs->run = calloc(total + 1, sizeof *rs->run);
    if (!rs->run)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    for (size_t i = 0; i < rs->nlists; i++)
        for (size_t j = 0; j < vn_runs_count(rs->lists[i]); j++) {
            const vn_run *r = vn_runs_at(rs->lists[i], j);
            bool dup = false;
            for (size_t k = 0; k < rs->n && !dup; k++)
                dup = strcmp(rs->run[k]->id, r->id) == 0;
            if (!dup)
                rs->run[rs->n++] = r;
        }
    qsort(rs->run, rs->n, sizeof *rs->run, newest_first);
    return 0;
}

/* Exactly one run; 0 or an exit code. */
static int get_one(vn_store *st, const char *sel, vn_runs **out)
{
    const vn_status s = vn_store_get(st, sel, out);
    if (s != VN_OK) {
        *out = NULL;
        return store_fail(st, s);
    }
    if (vn_runs_count(*out) != 1) { /* the contract says exactly one; do not trust blindly */
        vn_runs_free(*out);
        *out = NULL;
        return cli_error(EXIT_USAGE, selector_hint, "\"%s\" does not name exactly one run", sel);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------
 * A run's values as a table: slices in stored order down, metrics in stored order
 * across.
 * ------------------------------------------------------------------------------- */
typedef struct vtable {
    size_t ns, nm;
    const char **slice, **metric, **metric_id;
    uint64_t *rows;
    const vn_run_value **cell; /* ns * nm, NULL where not recorded */
} vtable;

static void vtable_free(vtable *t)
{
    free(t->slice);
    free(t->metric);
    free(t->metric_id);
    free(t->rows);
    free(t->cell);
    memset(t, 0, sizeof *t);
}

static size_t find_str(const char *const *list, size_t n, const char *s, size_t hint)
{
    if (hint < n && strcmp(list[hint], s) == 0)
        return hint;
    for (size_t i = n; i-- > 0;)
        if (strcmp(list[i], s) == 0)
            return i;
    return (size_t)-1;
}

/* 0, or -1 when out of memory. */
static int vtable_build(const vn_run_values *v, vtable *t)
{
    memset(t, 0, sizeof *t);
    const size_t n = vn_run_values_count(v);
    t->slice = calloc(n + 1, sizeof *t->slice);
    t->metric = calloc(n + 1, sizeof *t->metric);
    t->metric_id = calloc(n + 1, sizeof *t->metric_id);
    t->rows = calloc(n + 1, sizeof *t->rows);
    if (!t->slice || !t->metric || !t->metric_id || !t->rows)
        return -1;
    size_t ls = 0, lm = 0;
    for (size_t i = 0; i < n; i++) {
        const vn_run_value *x = vn_run_values_at(v, i);
        size_t s = find_str(t->slice, t->ns, x->slice, ls);
        if (s == (size_t)-1) {
            s = t->ns++;
            t->slice[s] = x->slice;
            t->rows[s] = x->rows;
        }
        ls = s;
        size_t m = find_str(t->metric, t->nm, x->metric, lm + 1);
        if (m == (size_t)-1) {
            m = t->nm++;
            t->metric[m] = x->metric;
            t->metric_id[m] = x->metric_id;
        }
        lm = m;
    }
    t->cell = calloc(t->ns * t->nm + 1, sizeof *t->cell);
    if (!t->cell)
        return -1;
    ls = lm = 0;
    for (size_t i = 0; i < n; i++) {
        const vn_run_value *x = vn_run_values_at(v, i);
        ls = find_str(t->slice, t->ns, x->slice, ls);
        lm = find_str(t->metric, t->nm, x->metric, lm + 1 < t->nm ? lm + 1 : 0);
        t->cell[ls * t->nm + lm] = x;
    }
    return 0;
}

static const vn_run_value *vtable_at(const vtable *t, size_t s, size_t m)
{
    return s < t->ns && m < t->nm ? t->cell[s * t->nm + m] : NULL;
}

/* The value of metric (a stored key, or an id or alias of a metric stored under its
 * bare id: "bias" finds mean_error) on slice, or NULL. */
static const vn_run_value *vtable_find(const vtable *t, const char *slice, const char *metric)
{
    const size_t s = find_str(t->slice, t->ns, slice, 0);
    if (s == (size_t)-1)
        return NULL;
    size_t m = find_str(t->metric, t->nm, metric, 0);
    if (m == (size_t)-1) {
        const vn_metric_info *mi = vn_metric_find(metric);
        if (mi)
            m = find_str(t->metric, t->nm, mi->id, 0);
    }
    return m == (size_t)-1 ? NULL : vtable_at(t, s, m);
}

/* Loads and tabulates a run's values; 0 or an exit code. */
static int load_values(vn_store *st, const vn_run *r, vn_run_values **v, vtable *t)
{
    memset(t, 0, sizeof *t);
    const vn_status s = vn_store_values(st, r->id, v);
    if (s != VN_OK) {
        *v = NULL;
        return store_fail(st, s);
    }
    if (vtable_build(*v, t) != 0) {
        vtable_free(t);
        vn_run_values_free(*v);
        *v = NULL;
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

/* ---------------------------------------------------------------------------------
 * Output plumbing shared by the reading subcommands
 * ------------------------------------------------------------------------------- */

/* Runs write(ctx, fp) into -o FILE or standard output, atomically. The writer returns
 * 0, or -1 when out of memory; a store error it meets is left in *late (may be NULL),
 * and then nothing is written. 0 or an exit code. */
static int emit(const char *path, int (*write)(void *ctx, FILE *fp), void *ctx, const int *late)
{
    cli_output out;
    const int rc = cli_output_open(&out, path);
    if (rc != 0)
        return rc;
    if (write(ctx, out.fp) != 0) {
        cli_output_abort(&out);
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    }
    if (late && *late) {
        cli_output_abort(&out);
        return *late;
    }
    return cli_output_commit(&out);
}

/* Common options of every subcommand: the long option table ends with these. */
enum { O_STORE = 300, O_SLICE, O_SINCE, O_UNTIL, O_ONLY, O_RM, O_EXPID, O_EXPNAME };

/* Reports a getopt failure (c is ':' or '?'); returns EXIT_USAGE. */
static int bad_option(int c, char **argv, const char *hint)
{
    if (c == ':')
        return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
    return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
}

static int parse_format(const char *s, vn_format *fmt, const char *hint, bool people)
{
    if (vn_format_parse(s, fmt) != VN_OK || (!people && *fmt != VN_FORMAT_CSV && *fmt != VN_FORMAT_JSON))
        return cli_error(EXIT_USAGE, hint,
                         people ? "--format takes table, csv, json or md, not \"%s\""
                                : "--format takes csv or json, not \"%s\"", s);
    return 0;
}

/* The run's meta as JSON object members (no braces), shared by show and export. */
static void json_run_members(FILE *fp, const vn_run *r, const char *ind)
{
    fprintf(fp, "%s\"id\": ", ind);
    json_str(fp, r->id);
    fprintf(fp, ",\n%s\"created_at\": ", ind);
    json_str(fp, r->created_at);
    fprintf(fp, ",\n%s\"name\": ", ind);
    json_opt(fp, r->name);
    fprintf(fp, ",\n%s\"command\": ", ind);
    json_opt(fp, r->command);
    fprintf(fp, ",\n%s\"argv\": ", ind);
    json_opt(fp, r->argv);
    fprintf(fp, ",\n%s\"spec\": ", ind);
    json_opt(fp, r->spec);
    fprintf(fp, ",\n%s\"vernier\": ", ind);
    json_opt(fp, r->version);
    fprintf(fp, ",\n%s\"git_commit\": ", ind);
    json_opt(fp, r->git_commit);
    fprintf(fp, ",\n%s\"tags\": ", ind);
    json_tags(fp, r);
    fprintf(fp, ",\n%s\"input\": {\"source\": ", ind);
    json_opt(fp, r->source);
    fputs(", \"y\": ", fp);
    json_opt(fp, r->y);
    fputs(", \"yhat\": ", fp);
    json_opt(fp, r->yhat);
    fputs(", \"weight\": ", fp);
    json_opt(fp, r->weight);
    fputs(", \"data_hash\": ", fp);
    json_opt(fp, r->data_hash);
    fprintf(fp, ", \"rows_read\": %llu, \"rows_used\": %llu, \"rows_missing\": %llu, "
                "\"rows_zero_weight\": %llu}",
            (unsigned long long)r->rows_read, (unsigned long long)r->rows_used,
            (unsigned long long)r->rows_missing, (unsigned long long)r->rows_zero_weight);
}

/* ---- export (also `show --format csv`) ---- */

static const char export_csv_header[] =
    "run_id,created_at,name,command,spec,source,y,yhat,weight,data_hash,rows_read,rows_used,"
    "git_commit,vernier,tags,slice,slice_rows,metric,metric_id,value,lo,hi,reason,message\n";

/* The long CSV rows of one run; -1 when out of memory. */
static int export_csv_run(FILE *fp, const vn_run *r, const vn_run_values *v)
{
    char *tags = tags_text(r, ";");
    if (!tags)
        return -1;
    for (size_t i = 0; i < vn_run_values_count(v); i++) {
        const vn_run_value *x = vn_run_values_at(v, i);
        const char *const text[] = {r->id, r->created_at, r->name, r->command, r->spec,
                                    r->source, r->y, r->yhat, r->weight, r->data_hash};
        for (size_t k = 0; k < sizeof text / sizeof text[0]; k++) {
            fputs(k ? "," : "", fp);
            csv_text(fp, text[k]);
        }
        fprintf(fp, ",%llu,%llu,", (unsigned long long)r->rows_read,
                (unsigned long long)r->rows_used);
        csv_text(fp, r->git_commit);
        fputc(',', fp);
        csv_text(fp, r->version);
        fputc(',', fp);
        csv_text(fp, tags);
        fputc(',', fp);
        csv_text(fp, x->slice);
        fprintf(fp, ",%llu,", (unsigned long long)x->rows);
        csv_text(fp, x->metric);
        fputc(',', fp);
        csv_text(fp, x->metric_id);
        fputc(',', fp);
        csv_num(fp, x->value);
        fputc(',', fp);
        csv_num(fp, x->lo);
        fputc(',', fp);
        csv_num(fp, x->hi);
        fputc(',', fp);
        csv_text(fp, x->reason);
        fputc(',', fp);
        csv_text(fp, x->message);
        fputc('\n', fp);
    }
    free(tags);
    return 0;
}

static void export_json_run(FILE *fp, const vn_run *r, const vn_run_values *v, bool first)
{
    fputs(first ? "\n    {\n" : ",\n    {\n", fp);
    json_run_members(fp, r, "      ");
    fputs(",\n      \"values\": [", fp);
    for (size_t i = 0; i < vn_run_values_count(v); i++) {
        const vn_run_value *x = vn_run_values_at(v, i);
        fputs(i ? ",\n        {\"slice\": " : "\n        {\"slice\": ", fp);
        json_str(fp, x->slice);
        fprintf(fp, ", \"rows\": %llu, \"metric\": ", (unsigned long long)x->rows);
        json_str(fp, x->metric);
        fputs(", \"metric_id\": ", fp);
        json_str(fp, x->metric_id);
        fputs(", \"value\": ", fp);
        json_num(fp, x->value);
        fputs(", \"lo\": ", fp);
        json_num(fp, x->lo);
        fputs(", \"hi\": ", fp);
        json_num(fp, x->hi);
        fputs(", \"reason\": ", fp);
        json_opt(fp, x->reason);
        fputs(", \"message\": ", fp);
        json_opt(fp, x->message);
        fputc('}', fp);
    }
    fputs(vn_run_values_count(v) ? "\n      ]\n    }" : "]\n    }", fp);
}

typedef struct export_ctx {
    vn_store *st;
    const runset *rs;
    vn_format fmt;
    int rc; /* a store error met while writing */
} export_ctx;

static int export_write(void *vctx, FILE *fp)
{
    export_ctx *c = vctx;
    if (c->fmt == VN_FORMAT_CSV)
        fputs(export_csv_header, fp);
    else
        fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"vernier\": \"%s\",\n  \"runs\": [",
                RUNS_EXPORT_SCHEMA, vn_version());
    for (size_t i = 0; i < c->rs->n; i++) {
        vn_run_values *v = NULL;
        const vn_status s = vn_store_values(c->st, c->rs->run[i]->id, &v);
        if (s != VN_OK) {
            c->rc = store_fail(c->st, s);
            return 0;
        }
        int bad = 0;
        if (c->fmt == VN_FORMAT_CSV)
            bad = export_csv_run(fp, c->rs->run[i], v);
        else
            export_json_run(fp, c->rs->run[i], v, i == 0);
        vn_run_values_free(v);
        if (bad)
            return -1;
    }
    if (c->fmt == VN_FORMAT_JSON)
        fputs(c->rs->n ? "\n  ]\n}\n" : "]\n}\n", fp);
    return 0;
}

/* The options `show` and `export` share: --format, -o, --store, --help. Returns -1 to
 * go on (operands from optind), or an exit code. */
static int parse_output_opts(int argc, char **argv, const char *name, const char *help,
                             bool people, const char **store, vn_format *fmt, const char **out)
{
    static const struct option opts[] = {
        {"format", required_argument, 0, 'f'}, {"output", required_argument, 0, 'o'},
        {"store", required_argument, 0, O_STORE}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    char hint[96];
    snprintf(hint, sizeof hint, "run 'vernier runs %s --help' for the options", name);
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1;) {
        switch (c) {
        case 'f':
            if (parse_format(optarg, fmt, hint, people))
                return EXIT_USAGE;
            break;
        case 'o': *out = optarg; break;
        case O_STORE: *store = optarg; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        default: return bad_option(c, argv, hint);
        }
    }
    return -1;
}

static int runs_export(int argc, char **argv, const char *store)
{
    const char *out = NULL;
    vn_format fmt = VN_FORMAT_CSV;
    const int prc = parse_output_opts(argc, argv, "export", help_export, false, &store, &fmt, &out);
    if (prc >= 0)
        return prc;
    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    runset rs;
    rc = runset_collect(st, argv + optind, (size_t)(argc - optind), &rs);
    if (rc == 0) {
        export_ctx c = {st, &rs, fmt, 0};
        rc = emit(out, export_write, &c, &c.rc);
    }
    runset_free(&rs);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * list
 * ------------------------------------------------------------------------------- */

typedef struct list_ctx {
    vn_format fmt;
    const char *slice;
    const char *store;
    char **metric;
    size_t nmetric;
    const vn_run **run;
    vtable *tab;
    size_t n;
} list_ctx;

/* The metric id of a listed metric, from the first run that recorded it ("" if none). */
static const char *list_metric_id(const list_ctx *c, size_t m)
{
    for (size_t i = 0; i < c->n; i++) {
        const vn_run_value *x = vtable_find(&c->tab[i], c->slice, c->metric[m]);
        if (x)
            return x->metric_id;
    }
    const vn_metric_info *mi = vn_metric_find(c->metric[m]);
    return mi ? mi->id : "";
}

static int list_write(void *vctx, FILE *fp)
{
    const list_ctx *c = vctx;
    if (c->fmt == VN_FORMAT_JSON) {
        fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"vernier\": \"%s\",\n  \"store\": ",
                RUNS_LIST_SCHEMA, vn_version());
        json_str(fp, c->store);
        fputs(",\n  \"slice\": ", fp);
        json_str(fp, c->slice);
        fputs(",\n  \"metrics\": [", fp);
        for (size_t m = 0; m < c->nmetric; m++) {
            fputs(m ? ", " : "", fp);
            json_str(fp, c->metric[m]);
        }
        fputs("],\n  \"runs\": [", fp);
        for (size_t i = 0; i < c->n; i++) {
            const vn_run *r = c->run[i];
            fputs(i ? ",\n    {\"id\": " : "\n    {\"id\": ", fp);
            json_str(fp, r->id);
            fputs(", \"created_at\": ", fp);
            json_str(fp, r->created_at);
            fputs(", \"name\": ", fp);
            json_opt(fp, r->name);
            fputs(", \"command\": ", fp);
            json_opt(fp, r->command);
            fprintf(fp, ", \"rows_read\": %llu, \"rows_used\": %llu, \"data_hash\": ",
                    (unsigned long long)r->rows_read, (unsigned long long)r->rows_used);
            json_opt(fp, r->data_hash);
            fputs(", \"git_commit\": ", fp);
            json_opt(fp, r->git_commit);
            fputs(", \"tags\": ", fp);
            json_tags(fp, r);
            fputs(", \"values\": {", fp);
            for (size_t m = 0; m < c->nmetric; m++) {
                const vn_run_value *x = vtable_find(&c->tab[i], c->slice, c->metric[m]);
                fputs(m ? ", " : "", fp);
                json_str(fp, c->metric[m]);
                fputs(": ", fp);
                json_num(fp, x ? x->value : NAN);
            }
            fputs("}}", fp);
        }
        fputs(c->n ? "\n  ]\n}\n" : "]\n}\n", fp);
        return 0;
    }
    if (c->fmt == VN_FORMAT_CSV) {
        fputs("id,created_at,name,command,rows,data_hash,tags", fp);
        for (size_t m = 0; m < c->nmetric; m++) {
            fputc(',', fp);
            csv_text(fp, c->metric[m]);
        }
        fputc('\n', fp);
        for (size_t i = 0; i < c->n; i++) {
            const vn_run *r = c->run[i];
            char *tags = tags_text(r, ";");
            if (!tags)
                return -1;
            csv_text(fp, r->id);
            fputc(',', fp);
            csv_text(fp, r->created_at);
            fputc(',', fp);
            csv_text(fp, r->name);
            fputc(',', fp);
            csv_text(fp, r->command);
            fprintf(fp, ",%llu,", (unsigned long long)r->rows_used);
            csv_text(fp, r->data_hash);
            fputc(',', fp);
            csv_text(fp, tags);
            free(tags);
            for (size_t m = 0; m < c->nmetric; m++) {
                const vn_run_value *x = vtable_find(&c->tab[i], c->slice, c->metric[m]);
                fputc(',', fp);
                csv_num(fp, x ? x->value : NAN);
            }
            fputc('\n', fp);
        }
        return 0;
    }
    /* table and Markdown */
    const bool md = c->fmt == VN_FORMAT_MD;
    grid g;
    grid_init(&g, 7 + c->nmetric);
    if (!g.oom) {
        g.align[4] = 'r';
        for (size_t m = 0; m < c->nmetric; m++)
            g.align[7 + m] = 'r';
    }
    const char *head[] = {"id", "time (UTC)", "name", "command", "rows", "data", "tags"};
    for (size_t k = 0; k < 7; k++)
        grid_add(&g, head[k]);
    for (size_t m = 0; m < c->nmetric; m++) {
        const char *slice_note = strcmp(c->slice, "overall") ? c->slice : NULL;
        grid_addf(&g, "%s%s%s%s", c->metric[m], unit_suffix(list_metric_id(c, m)),
                  slice_note ? " @" : "", slice_note ? slice_note : "");
    }
    for (size_t i = 0; i < c->n; i++) {
        const vn_run *r = c->run[i];
        char when[32];
        time_short(when, sizeof when, r->created_at);
        grid_addf(&g, "%.8s", r->id);
        grid_add(&g, when);
        grid_add(&g, or_dash(r->name));
        grid_add(&g, or_dash(r->command));
        grid_addf(&g, "%llu", (unsigned long long)r->rows_used);
        grid_addf(&g, "%.8s", or_dash(r->data_hash));
        char *tags = tags_text(r, ", ");
        if (tags && !*tags) {
            free(tags);
            tags = strdup("-");
        }
        grid_take(&g, tags);
        for (size_t m = 0; m < c->nmetric; m++) {
            const vn_run_value *x = vtable_find(&c->tab[i], c->slice, c->metric[m]);
            char num[64];
            num_human(num, sizeof num, x ? x->value : NAN, x ? x->metric_id : "");
            grid_add(&g, x ? num : "-");
        }
    }
    const int rc = grid_write(&g, fp, md);
    grid_free(&g);
    return rc;
}

static int runs_list(int argc, char **argv, const char *store)
{
    static const struct option opts[] = {
        {"metrics", required_argument, 0, 'm'}, {"slice", required_argument, 0, O_SLICE},
        {"since", required_argument, 0, O_SINCE}, {"until", required_argument, 0, O_UNTIL},
        {"limit", required_argument, 0, 'n'},   {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},  {"store", required_argument, 0, O_STORE},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *hint = "run 'vernier runs list --help' for the options";
    const char *out = NULL, *metrics = NULL;
    list_ctx c;
    memset(&c, 0, sizeof c);
    c.fmt = VN_FORMAT_TABLE;
    c.slice = "overall";
    int64_t since = INT64_MIN, until = INT64_MAX, unit;
    unsigned long long limit = 0;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":m:n:f:o:h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'm': metrics = optarg; break;
        case O_SLICE: c.slice = optarg; break;
        case 'o': out = optarg; break;
        case O_STORE: store = optarg; break;
        case 'h': fputs(help_list, stdout); return EXIT_OK;
        case 'f':
            if (parse_format(optarg, &c.fmt, hint, true))
                return EXIT_USAGE;
            break;
        case 'n': {
            char *end;
            if (!*optarg || strspn(optarg, "0123456789") != strlen(optarg))
                return cli_error(EXIT_USAGE, hint, "--limit needs a whole number, not \"%s\"", optarg);
            limit = strtoull(optarg, &end, 10);
            break;
        }
        case O_SINCE:
            if (parse_when(optarg, &since, &unit) != 0)
                return cli_error(EXIT_USAGE, hint, "--since needs a time like 2026-11-28, 2026-11-28T14:03:07Z or 7d, not \"%s\"", optarg);
            break;
        case O_UNTIL:
            if (parse_when(optarg, &until, &unit) != 0)
                return cli_error(EXIT_USAGE, hint, "--until needs a time like 2026-11-28, 2026-11-28T14:03:07Z or 7d, not \"%s\"", optarg);
            until += unit; /* exclusive end of the last field given */
            break;
        default: return bad_option(ch, argv, hint);
        }
    }
    if (argc - optind > 1)
        return cli_error(EXIT_USAGE, hint, "one run selector at most; unexpected \"%s\"", argv[optind + 1]);
    const char *sel = optind < argc ? argv[optind] : NULL;

    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    c.store = vn_store_path(st);
    vn_runs *runs = NULL;
    vn_run_values **vals = NULL;
    char *mlist = NULL;
    const vn_status s = vn_store_find(st, sel, 0, &runs);
    if (s != VN_OK) {
        rc = store_fail(st, s);
        goto done;
    }
    const size_t total = vn_runs_count(runs);
    c.run = calloc(total + 1, sizeof *c.run);
    c.tab = calloc(total + 1, sizeof *c.tab);
    vals = calloc(total + 1, sizeof *vals);
    c.metric = calloc(strlen(metrics ? metrics : "") / 2 + 5, sizeof *c.metric);
    mlist = strdup(metrics ? metrics : "");
    if (!c.run || !c.tab || !vals || !c.metric || !mlist) {
        rc = cli_error(EXIT_INTERNAL, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < total && (!limit || c.n < limit); i++) {
        const vn_run *r = vn_runs_at(runs, i);
        int64_t t;
        if ((since != INT64_MIN || until != INT64_MAX) &&
            (cli_time_ms(r->created_at, &t, NULL) != 0 || t < since || t >= until))
            continue;
        rc = load_values(st, r, &vals[c.n], &c.tab[c.n]);
        if (rc)
            goto done;
        c.run[c.n++] = r;
    }
    if (metrics) {
        for (char *tok = strtok(mlist, ","); tok; tok = strtok(NULL, ","))
            c.metric[c.nmetric++] = tok;
        for (size_t m = 0; m < c.nmetric && c.n; m++) {
            bool seen = false;
            for (size_t i = 0; i < c.n && !seen; i++)
                seen = vtable_find(&c.tab[i], c.slice, c.metric[m]) != NULL;
            if (!seen)
                fprintf(stderr, "vernier: warning: no listed run recorded %s on slice %s\n",
                        c.metric[m], c.slice);
        }
    } else if (c.n) {
        /* The first four metrics of the newest run, count left out (rows shows it). */
        const vtable *t = &c.tab[0];
        const size_t s0 = find_str(t->slice, t->ns, c.slice, 0);
        for (size_t m = 0; s0 != (size_t)-1 && m < t->nm && c.nmetric < 4; m++)
            if (strcmp(t->metric_id[m], "count") != 0 && vtable_at(t, s0, m))
                c.metric[c.nmetric++] = (char *)t->metric[m];
    }
    if (c.n == 0 && c.fmt == VN_FORMAT_TABLE) {
        if (sel || since != INT64_MIN || until != INT64_MAX)
            fprintf(stderr, "vernier: no runs in %s match%s%s%s\n", c.store, sel ? " \"" : "",
                    sel ? sel : "", sel ? "\"" : " the time range");
        else
            fprintf(stderr, "vernier: no runs in %s\n", c.store);
    } else {
        rc = emit(out, list_write, &c, NULL);
    }
done:
    for (size_t i = 0; i < c.n; i++) {
        vtable_free(&c.tab[i]);
        vn_run_values_free(vals[i]);
    }
    free(vals);
    free(c.tab);
    free(c.run);
    free(c.metric);
    free(mlist);
    vn_runs_free(runs);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * show
 * ------------------------------------------------------------------------------- */

typedef struct show_ctx {
    const vn_run *r;
    const vn_run_values *v;
    const vtable *t;
    vn_format fmt;
} show_ctx;

static bool has_interval(const vn_run_value *x)
{
    return x && isfinite(x->lo) && isfinite(x->hi);
}

static void show_json(const show_ctx *c, FILE *fp)
{
    const vtable *t = c->t;
    fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"vernier\": \"%s\",\n  \"run\": {\n",
            RUNS_SHOW_SCHEMA, vn_version());
    json_run_members(fp, c->r, "    ");
    fputs("\n  },\n  \"metrics\": [", fp);
    for (size_t m = 0; m < t->nm; m++) {
        const vn_metric_info *mi = metric_info(t->metric_id[m]);
        fputs(m ? ",\n    {\"key\": " : "\n    {\"key\": ", fp);
        json_str(fp, t->metric[m]);
        fputs(", \"id\": ", fp);
        json_str(fp, t->metric_id[m]);
        fprintf(fp, ", \"direction\": %s, \"unit\": ",
                !mi ? "null" : mi->direction == VN_LOWER_IS_BETTER ? "\"lower\""
                             : mi->direction == VN_HIGHER_IS_BETTER ? "\"higher\"" : "\"none\"");
        if (mi)
            json_str(fp, mi->unit);
        else
            fputs("null", fp);
        fputc('}', fp);
    }
    fputs(t->nm ? "\n  ],\n  \"slices\": [" : "],\n  \"slices\": [", fp);
    for (size_t s = 0; s < t->ns; s++) {
        fputs(s ? ",\n    {\"slice\": " : "\n    {\"slice\": ", fp);
        json_str(fp, t->slice[s]);
        fprintf(fp, ", \"rows\": %llu, \"values\": {", (unsigned long long)t->rows[s]);
        bool first = true;
        for (size_t m = 0; m < t->nm; m++) {
            const vn_run_value *x = vtable_at(t, s, m);
            if (!x)
                continue;
            fputs(first ? "\n      " : ",\n      ", fp);
            first = false;
            json_str(fp, x->metric);
            fputs(": {\"value\": ", fp);
            json_num(fp, x->value);
            fputs(", \"lo\": ", fp);
            json_num(fp, x->lo);
            fputs(", \"hi\": ", fp);
            json_num(fp, x->hi);
            fputs(", \"reason\": ", fp);
            json_opt(fp, x->reason);
            fputs(", \"message\": ", fp);
            json_opt(fp, x->message);
            fputc('}', fp);
        }
        fputs("}}", fp);
    }
    fputs(t->ns ? "\n  ]\n}\n" : "]\n}\n", fp);
}

static int show_people(const show_ctx *c, FILE *fp)
{
    const bool md = c->fmt == VN_FORMAT_MD;
    const vn_run *r = c->r;
    const vtable *t = c->t;
    char *args = *r->argv ? argv_display(r->argv) : NULL;
    char *tags = tags_text(r, ", ");
    if (!tags) {
        free(args);
        return -1;
    }
    char inbuf[1024];
    if (*r->source)
        snprintf(inbuf, sizeof inbuf, "%s%s%s%s%s%s%s%s", r->source, *r->y ? " (y = " : "",
                 r->y, *r->y ? ", prediction = " : "", r->yhat,
                 *r->weight ? ", weight = " : "", r->weight, *r->y ? ")" : "");
    else
        snprintf(inbuf, sizeof inbuf, "-");
    char rows[256];
    int k = snprintf(rows, sizeof rows, "%llu read, %llu used", (unsigned long long)r->rows_read,
                     (unsigned long long)r->rows_used);
    if (r->rows_missing && k > 0 && (size_t)k < sizeof rows)
        k += snprintf(rows + k, sizeof rows - (size_t)k, ", %llu dropped for missing values",
                      (unsigned long long)r->rows_missing);
    if (r->rows_zero_weight && k > 0 && (size_t)k < sizeof rows)
        snprintf(rows + k, sizeof rows - (size_t)k, ", %llu with zero weight",
                 (unsigned long long)r->rows_zero_weight);
    const char *fields[][2] = {
        {"run", r->id},
        {"time", r->created_at},
        {"name", or_dash(r->name)},
        {"command", or_dash(args ? args : r->argv)},
        {"metrics", *r->spec ? r->spec : "(the default battery)"},
        {"vernier", or_dash(r->version)},
        {"git commit", or_dash(r->git_commit)},
        {"tags", *tags ? tags : "-"},
        {"input", inbuf},
        {"rows", rows},
        {"data hash", or_dash(r->data_hash)},
    };
    const size_t nf = sizeof fields / sizeof fields[0];
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        char *v = clean_text(fields[i][1], md);
        if (!v) {
            rc = -1;
            break;
        }
        if (md)
            fprintf(fp, "- **%s**: %s\n", fields[i][0], v);
        else
            fprintf(fp, "%-10s  %s\n", fields[i][0], v);
        free(v);
    }
    free(args);
    free(tags);
    if (rc)
        return rc;
    fputc('\n', fp);

    bool any_ci = false;
    for (size_t i = 0; i < vn_run_values_count(c->v) && !any_ci; i++)
        any_ci = has_interval(vn_run_values_at(c->v, i));
    grid g;
    if (t->ns == 1 && !md) {
        /* One slice: a long list, as `vernier eval` prints it. */
        grid_init(&g, any_ci ? 4 : 3);
        if (!g.oom)
            g.align[1] = 'r';
        grid_add(&g, "metric");
        grid_add(&g, "value");
        if (any_ci)
            grid_add(&g, "interval");
        grid_add(&g, "");
        for (size_t m = 0; m < t->nm; m++) {
            const vn_run_value *x = vtable_at(t, 0, m);
            char num[64], lo[64], hi[64];
            num_human(num, sizeof num, x ? x->value : NAN, t->metric_id[m]);
            grid_add(&g, t->metric[m]);
            grid_addf(&g, "%s%s", x ? num : "-", x && isfinite(x->value) ? unit_suffix(t->metric_id[m]) : "");
            if (any_ci) {
                num_human(lo, sizeof lo, x ? x->lo : NAN, t->metric_id[m]);
                num_human(hi, sizeof hi, x ? x->hi : NAN, t->metric_id[m]);
                if (has_interval(x))
                    grid_addf(&g, "[%s, %s]", lo, hi);
                else
                    grid_add(&g, "");
            }
            if (x && *x->reason)
                grid_addf(&g, "(%s: %s)", x->reason, x->message);
            else
                grid_add(&g, "");
        }
    } else {
        grid_init(&g, 2 + t->nm);
        if (!g.oom)
            memset(g.align + 1, 'r', t->nm + 1);
        grid_add(&g, "slice");
        grid_add(&g, "rows");
        for (size_t m = 0; m < t->nm; m++)
            grid_addf(&g, "%s%s", t->metric[m], unit_suffix(t->metric_id[m]));
        for (size_t s = 0; s < t->ns; s++) {
            grid_add(&g, t->slice[s]);
            grid_addf(&g, "%llu", (unsigned long long)t->rows[s]);
            for (size_t m = 0; m < t->nm; m++) {
                const vn_run_value *x = vtable_at(t, s, m);
                char num[64];
                num_human(num, sizeof num, x ? x->value : NAN, t->metric_id[m]);
                grid_add(&g, x ? num : "-");
            }
        }
    }
    rc = grid_write(&g, fp, md);
    grid_free(&g);
    if (rc || (t->ns == 1 && !md))
        return rc;
    /* Why values are n/a: each (metric, reason) once, with the first slice it hits. */
    bool head = false;
    for (size_t m = 0; m < t->nm; m++)
        for (size_t s = 0; s < t->ns; s++) {
            const vn_run_value *x = vtable_at(t, s, m);
            if (!x || !*x->reason)
                continue;
            bool seen = false;
            size_t count = 0;
            for (size_t u = 0; u < t->ns; u++) {
                const vn_run_value *y = vtable_at(t, u, m);
                const bool same = y && strcmp(y->reason, x->reason) == 0;
                seen |= u < s && same;
                count += u >= s && same;
            }
            if (seen)
                continue;
            char *msg = clean_text(x->message, md), *sl = clean_text(x->slice, md);
            if (!msg || !sl) {
                free(msg);
                free(sl);
                return -1;
            }
            fprintf(fp, "%s%sn/a %s (%s) in %s%s: %s\n", head ? "" : "\n", md ? "- " : "",
                    x->metric, x->reason, sl, count > 1 ? " and other slices" : "", msg);
            head = true;
            free(msg);
            free(sl);
        }
    return 0;
}

static int show_write(void *vctx, FILE *fp)
{
    const show_ctx *c = vctx;
    switch (c->fmt) {
    case VN_FORMAT_JSON: show_json(c, fp); return 0;
    case VN_FORMAT_CSV:
        fputs(export_csv_header, fp);
        return export_csv_run(fp, c->r, c->v);
    default: return show_people(c, fp);
    }
}

static int runs_show(int argc, char **argv, const char *store)
{
    const char *hint = "run 'vernier runs show --help' for the options";
    const char *out = NULL;
    vn_format fmt = VN_FORMAT_TABLE;
    const int prc = parse_output_opts(argc, argv, "show", help_show, true, &store, &fmt, &out);
    if (prc >= 0)
        return prc;
    if (argc - optind != 1)
        return argc - optind == 0
                   ? cli_error(EXIT_USAGE, hint, "name the run to show, e.g. 'vernier runs show latest'")
                   : cli_error(EXIT_USAGE, hint, "one run at a time; unexpected \"%s\"", argv[optind + 1]);
    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    vn_runs *one = NULL;
    vn_run_values *v = NULL;
    vtable t;
    memset(&t, 0, sizeof t);
    rc = get_one(st, argv[optind], &one);
    if (rc == 0)
        rc = load_values(st, vn_runs_at(one, 0), &v, &t);
    if (rc == 0) {
        show_ctx c = {vn_runs_at(one, 0), v, &t, fmt};
        rc = emit(out, show_write, &c, NULL);
    }
    vtable_free(&t);
    vn_run_values_free(v);
    vn_runs_free(one);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * diff
 * ------------------------------------------------------------------------------- */

typedef enum verdict {
    V_SAME, V_BETTER, V_WORSE, V_CHANGED, V_UNDEF_BOTH, V_UNDEF_A, V_UNDEF_B, V_ONLY_A, V_ONLY_B,
    V_COUNT
} verdict;

static const char *const verdict_name[V_COUNT] = {
    "same", "better", "worse", "changed", "undefined in both", "undefined in A",
    "undefined in B", "only in A", "only in B"};
static const char *const verdict_key[V_COUNT] = {
    "same", "better", "worse", "changed", "undefined_both", "undefined_a", "undefined_b",
    "only_a", "only_b"};

typedef struct drow {
    const char *slice, *metric, *metric_id;
    const vn_run_value *a, *b;
    double change, rel;
    int beyond; /* 1 disjoint intervals, 0 overlapping, -1 no intervals */
    verdict v;
} drow;

typedef struct diff_ctx {
    const vn_run *ra, *rb;
    const char *sel_a, *sel_b;
    drow *row;
    size_t n;
    size_t count[V_COUNT];
    bool any_ci;
    vn_format fmt;
} diff_ctx;

static drow diff_one(const char *slice, const char *metric, const char *metric_id,
                     const vn_run_value *a, const vn_run_value *b)
{
    drow d = {slice, metric, metric_id, a, b, NAN, NAN, -1, V_SAME};
    if (!a || !b) {
        d.v = a ? V_ONLY_A : V_ONLY_B;
        return d;
    }
    const bool fa = isfinite(a->value), fb = isfinite(b->value);
    if (!fa || !fb) {
        d.v = fa ? V_UNDEF_B : fb ? V_UNDEF_A : strcmp(a->reason, b->reason) ? V_CHANGED : V_UNDEF_BOTH;
        return d;
    }
    d.change = b->value - a->value;
    d.rel = a->value != 0 ? d.change / fabs(a->value) : d.change == 0 ? 0 : NAN;
    if (has_interval(a) && has_interval(b))
        d.beyond = b->lo > a->hi || b->hi < a->lo;
    if (a->value == b->value) {
        d.v = V_SAME;
        return d;
    }
    const vn_metric_info *mi = metric_info(metric_id);
    if (!mi) {
        d.v = V_CHANGED;
    } else if (mi->direction == VN_LOWER_IS_BETTER) {
        d.v = b->value < a->value ? V_BETTER : V_WORSE;
    } else if (mi->direction == VN_HIGHER_IS_BETTER) {
        d.v = b->value > a->value ? V_BETTER : V_WORSE;
    } else {
        const double da = fabs(a->value), db = fabs(b->value);
        d.v = db < da ? V_BETTER : db > da ? V_WORSE : V_CHANGED;
    }
    return d;
}

static const char *direction_json(const char *metric_id)
{
    const vn_metric_info *mi = metric_info(metric_id);
    return !mi ? "null" : mi->direction == VN_LOWER_IS_BETTER ? "\"lower\""
                        : mi->direction == VN_HIGHER_IS_BETTER ? "\"higher\"" : "\"none\"";
}

static void json_interval(FILE *fp, const vn_run_value *x)
{
    if (!has_interval(x)) {
        fputs("null", fp);
        return;
    }
    fputc('[', fp);
    json_num(fp, x->lo);
    fputs(", ", fp);
    json_num(fp, x->hi);
    fputc(']', fp);
}

static void json_run_brief(FILE *fp, const vn_run *r, const char *sel)
{
    fputs("{\"selector\": ", fp);
    json_str(fp, sel);
    fputs(", \"id\": ", fp);
    json_str(fp, r->id);
    fputs(", \"created_at\": ", fp);
    json_str(fp, r->created_at);
    fputs(", \"name\": ", fp);
    json_opt(fp, r->name);
    fputs(", \"spec\": ", fp);
    json_opt(fp, r->spec);
    fputs(", \"data_hash\": ", fp);
    json_opt(fp, r->data_hash);
    fputs(", \"git_commit\": ", fp);
    json_opt(fp, r->git_commit);
    fputs(", \"tags\": ", fp);
    json_tags(fp, r);
    fputc('}', fp);
}

/* 1 same data, 0 different, -1 unknown (a hash was not recorded). */
static int same_data(const vn_run *a, const vn_run *b)
{
    if (!*a->data_hash || !*b->data_hash)
        return -1;
    return strcmp(a->data_hash, b->data_hash) == 0;
}

static void diff_json(const diff_ctx *c, FILE *fp)
{
    fprintf(fp, "{\n  \"schema\": \"%s\",\n  \"vernier\": \"%s\",\n  \"a\": ", RUNS_DIFF_SCHEMA,
            vn_version());
    json_run_brief(fp, c->ra, c->sel_a);
    fputs(",\n  \"b\": ", fp);
    json_run_brief(fp, c->rb, c->sel_b);
    const int sd = same_data(c->ra, c->rb);
    fprintf(fp, ",\n  \"same_data\": %s,\n  \"intervals\": %s,\n  \"summary\": {",
            sd < 0 ? "null" : sd ? "true" : "false", c->any_ci ? "true" : "false");
    for (int v = 0; v < V_COUNT; v++)
        fprintf(fp, "%s\"%s\": %zu", v ? ", " : "", verdict_key[v], c->count[v]);
    fputs("},\n  \"rows\": [", fp);
    for (size_t i = 0; i < c->n; i++) {
        const drow *d = &c->row[i];
        fputs(i ? ",\n    {\"slice\": " : "\n    {\"slice\": ", fp);
        json_str(fp, d->slice);
        fputs(", \"metric\": ", fp);
        json_str(fp, d->metric);
        fputs(", \"metric_id\": ", fp);
        json_str(fp, d->metric_id);
        fprintf(fp, ", \"direction\": %s, \"a\": ", direction_json(d->metric_id));
        json_num(fp, d->a ? d->a->value : NAN);
        fputs(", \"b\": ", fp);
        json_num(fp, d->b ? d->b->value : NAN);
        fputs(", \"change\": ", fp);
        json_num(fp, d->change);
        fputs(", \"relative\": ", fp);
        json_num(fp, d->rel);
        fputs(", \"a_interval\": ", fp);
        json_interval(fp, d->a);
        fputs(", \"b_interval\": ", fp);
        json_interval(fp, d->b);
        fprintf(fp, ", \"beyond_interval\": %s, \"verdict\": \"%s\", \"a_reason\": ",
                d->beyond < 0 ? "null" : d->beyond ? "true" : "false", verdict_key[d->v]);
        json_opt(fp, d->a ? d->a->reason : "");
        fputs(", \"b_reason\": ", fp);
        json_opt(fp, d->b ? d->b->reason : "");
        fputc('}', fp);
    }
    fputs(c->n ? "\n  ]\n}\n" : "]\n}\n", fp);
}

static void diff_csv(const diff_ctx *c, FILE *fp)
{
    fputs("slice,metric,metric_id,a,b,change,relative,a_lo,a_hi,b_lo,b_hi,beyond_interval,"
          "verdict,a_reason,b_reason\n", fp);
    for (size_t i = 0; i < c->n; i++) {
        const drow *d = &c->row[i];
        csv_text(fp, d->slice);
        fputc(',', fp);
        csv_text(fp, d->metric);
        fputc(',', fp);
        csv_text(fp, d->metric_id);
        const double nums[] = {d->a ? d->a->value : NAN, d->b ? d->b->value : NAN, d->change,
                               d->rel, d->a ? d->a->lo : NAN, d->a ? d->a->hi : NAN,
                               d->b ? d->b->lo : NAN, d->b ? d->b->hi : NAN};
        for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
            fputc(',', fp);
            csv_num(fp, nums[k]);
        }
        fprintf(fp, ",%s,%s,", d->beyond < 0 ? "" : d->beyond ? "yes" : "no", verdict_key[d->v]);
        csv_text(fp, d->a ? d->a->reason : "");
        fputc(',', fp);
        csv_text(fp, d->b ? d->b->reason : "");
        fputc('\n', fp);
    }
}

static int diff_people(const diff_ctx *c, FILE *fp)
{
    const bool md = c->fmt == VN_FORMAT_MD;
    const vn_run *rr[2] = {c->ra, c->rb};
    for (int k = 0; k < 2; k++) {
        char when[32];
        time_short(when, sizeof when, rr[k]->created_at);
        char *name = clean_text(or_dash(rr[k]->name), md);
        if (!name)
            return -1;
        fprintf(fp, "%s%c%s  %s  %s  %s\n", md ? "- **" : "", 'A' + k, md ? "**" : "", rr[k]->id,
                when, name);
        free(name);
    }
    const int sd = same_data(c->ra, c->rb);
    if (sd > 0)
        fprintf(fp, "%sinput: the same data (hash %s)\n", md ? "- " : "", c->ra->data_hash);
    else if (sd == 0)
        fprintf(fp, "%sinput: DIFFERENT data (hash %s in A, %s in B): the runs did not see the "
                    "same rows\n", md ? "- " : "", c->ra->data_hash, c->rb->data_hash);
    else
        fprintf(fp, "%sinput: data hash not recorded; cannot tell whether the data are the same\n",
                md ? "- " : "");
    fputc('\n', fp);
    /* Without intervals the "beyond CI" column would be all dashes: it is left out
     * and the fact said once under the table. */
    const size_t ncol = c->any_ci ? 8 : 7;
    grid g;
    grid_init(&g, ncol);
    if (!g.oom)
        memcpy(g.align, c->any_ci ? "llrrrrll" : "llrrrrl", ncol);
    const char *head[] = {"slice", "metric", "A", "B", "change", "relative", "beyond CI", "verdict"};
    for (size_t k = 0; k < 8; k++)
        if (k != 6 || c->any_ci)
            grid_add(&g, head[k]);
    for (size_t i = 0; i < c->n; i++) {
        const drow *d = &c->row[i];
        char a[64], b[64], ch[64], rel[64];
        num_human(a, sizeof a, d->a ? d->a->value : NAN, d->metric_id);
        num_human(b, sizeof b, d->b ? d->b->value : NAN, d->metric_id);
        if (isfinite(d->change)) {
            num_human(ch + 1, sizeof ch - 1, fabs(d->change), d->metric_id);
            ch[0] = d->change < 0 ? '-' : '+';
            if (d->change == 0)
                snprintf(ch, sizeof ch, "0");
        } else {
            snprintf(ch, sizeof ch, "-");
        }
        if (d->rel == 0)
            snprintf(rel, sizeof rel, "0 %%");
        else if (isfinite(d->rel))
            snprintf(rel, sizeof rel, "%+.2f %%", 100 * d->rel);
        else
            snprintf(rel, sizeof rel, "-");
        grid_add(&g, d->slice);
        grid_add(&g, d->metric);
        grid_add(&g, d->a ? a : "-");
        grid_add(&g, d->b ? b : "-");
        grid_add(&g, ch);
        grid_add(&g, rel);
        if (c->any_ci)
            grid_add(&g, d->beyond < 0 ? "-" : d->beyond ? "yes" : "no");
        grid_add(&g, verdict_name[d->v]);
    }
    int rc = 0;
    if (c->n)
        rc = grid_write(&g, fp, md);
    else
        fputs("nothing changed\n", fp);
    grid_free(&g);
    if (rc)
        return rc;
    fputc('\n', fp);
    bool first = true;
    for (int v = 0; v < V_COUNT; v++) {
        if (!c->count[v])
            continue;
        fprintf(fp, "%s%zu %s", first ? "" : ", ", c->count[v], verdict_name[v]);
        first = false;
    }
    fputs(first ? "no values to compare\n" : "\n", fp);
    if (!c->any_ci)
        fprintf(fp, "%sno intervals stored: whether a change is beyond noise cannot be said\n",
                md ? "\n" : "");
    return 0;
}

static int diff_write(void *vctx, FILE *fp)
{
    const diff_ctx *c = vctx;
    if (c->fmt == VN_FORMAT_JSON)
        diff_json(c, fp);
    else if (c->fmt == VN_FORMAT_CSV)
        diff_csv(c, fp);
    else
        return diff_people(c, fp);
    return 0;
}

/* Index of s in list[0..n), or -1. */
static long index_of(const char *const *list, size_t n, const char *s)
{
    const size_t i = find_str(list, n, s, 0);
    return i == (size_t)-1 ? -1 : (long)i;
}

/* The rows of the diff: slices of A then those only in B, and within a slice the
 * metrics of A then those only in B. -1 when out of memory. */
static int diff_rows(const vtable *ta, const vtable *tb, bool only_changed, diff_ctx *c)
{
    const size_t ns = ta->ns + tb->ns, nm = ta->nm + tb->nm;
    const char **sl = calloc(ns + 1, sizeof *sl), **ml = calloc(nm + 1, sizeof *ml),
               **mid = calloc(nm + 1, sizeof *mid);
    c->row = calloc(ns * nm + 1, sizeof *c->row);
    if (!sl || !ml || !mid || !c->row) {
        free(sl);
        free(ml);
        free(mid);
        return -1;
    }
    size_t nsl = 0, nml = 0;
    for (size_t s = 0; s < ta->ns; s++)
        sl[nsl++] = ta->slice[s];
    for (size_t s = 0; s < tb->ns; s++)
        if (index_of(sl, nsl, tb->slice[s]) < 0)
            sl[nsl++] = tb->slice[s];
    for (size_t m = 0; m < ta->nm; m++) {
        mid[nml] = ta->metric_id[m];
        ml[nml++] = ta->metric[m];
    }
    for (size_t m = 0; m < tb->nm; m++)
        if (index_of(ml, nml, tb->metric[m]) < 0) {
            mid[nml] = tb->metric_id[m];
            ml[nml++] = tb->metric[m];
        }
    for (size_t s = 0; s < nsl; s++) {
        const long sa = index_of(ta->slice, ta->ns, sl[s]), sb = index_of(tb->slice, tb->ns, sl[s]);
        for (size_t m = 0; m < nml; m++) {
            const long ma = index_of(ta->metric, ta->nm, ml[m]), mb = index_of(tb->metric, tb->nm, ml[m]);
            const vn_run_value *a = sa >= 0 && ma >= 0 ? vtable_at(ta, (size_t)sa, (size_t)ma) : NULL;
            const vn_run_value *b = sb >= 0 && mb >= 0 ? vtable_at(tb, (size_t)sb, (size_t)mb) : NULL;
            if (!a && !b)
                continue;
            const drow d = diff_one(sl[s], ml[m], mid[m], a, b);
            c->any_ci |= d.beyond >= 0;
            c->count[d.v]++;
            if (only_changed && (d.v == V_SAME || d.v == V_UNDEF_BOTH))
                continue;
            c->row[c->n++] = d;
        }
    }
    free(sl);
    free(ml);
    free(mid);
    return 0;
}

static int runs_diff(int argc, char **argv, const char *store)
{
    static const struct option opts[] = {
        {"only-changed", no_argument, 0, O_ONLY}, {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},    {"store", required_argument, 0, O_STORE},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    const char *hint = "run 'vernier runs diff --help' for the options";
    const char *out = NULL;
    bool only = false;
    diff_ctx c;
    memset(&c, 0, sizeof c);
    c.fmt = VN_FORMAT_TABLE;
    optind = 1;
    opterr = 0;
    for (int ch; (ch = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1;) {
        switch (ch) {
        case O_ONLY: only = true; break;
        case 'f':
            if (parse_format(optarg, &c.fmt, hint, true))
                return EXIT_USAGE;
            break;
        case 'o': out = optarg; break;
        case O_STORE: store = optarg; break;
        case 'h': fputs(help_diff, stdout); return EXIT_OK;
        default: return bad_option(ch, argv, hint);
        }
    }
    if (argc - optind != 2)
        return cli_error(EXIT_USAGE, hint, "diff takes two runs, e.g. 'vernier runs diff latest~1 latest'");
    c.sel_a = argv[optind];
    c.sel_b = argv[optind + 1];
    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    vn_runs *ra = NULL, *rb = NULL;
    vn_run_values *va = NULL, *vb = NULL;
    vtable ta, tb;
    memset(&ta, 0, sizeof ta);
    memset(&tb, 0, sizeof tb);
    rc = get_one(st, c.sel_a, &ra);
    if (rc == 0)
        rc = get_one(st, c.sel_b, &rb);
    if (rc == 0)
        rc = load_values(st, vn_runs_at(ra, 0), &va, &ta);
    if (rc == 0)
        rc = load_values(st, vn_runs_at(rb, 0), &vb, &tb);
    if (rc == 0) {
        c.ra = vn_runs_at(ra, 0);
        c.rb = vn_runs_at(rb, 0);
        if (diff_rows(&ta, &tb, only, &c) != 0)
            rc = cli_error(EXIT_INTERNAL, NULL, "out of memory");
        else
            rc = emit(out, diff_write, &c, NULL);
    }
    free(c.row);
    vtable_free(&ta);
    vtable_free(&tb);
    vn_run_values_free(va);
    vn_run_values_free(vb);
    vn_runs_free(ra);
    vn_runs_free(rb);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * tag
 * ------------------------------------------------------------------------------- */

static bool valid_key(const char *k)
{
    if (!*k || strchr(k, '='))
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int runs_tag(int argc, char **argv, const char *store)
{
    static const struct option opts[] = {
        {"rm", required_argument, 0, O_RM}, {"store", required_argument, 0, O_STORE},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    const char *hint = "run 'vernier runs tag --help' for the options";
    char **rm = calloc((size_t)argc + 1, sizeof *rm);
    size_t nrm = 0;
    if (!rm)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    int rc = 0;
    optind = 1;
    opterr = 0;
    for (int c; rc == 0 && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case O_RM:
            if (!valid_key(optarg))
                rc = cli_error(EXIT_USAGE, hint, "--rm needs a tag key, not \"%s\"", optarg);
            rm[nrm++] = optarg;
            break;
        case O_STORE: store = optarg; break;
        case 'h': fputs(help_tag, stdout); free(rm); return EXIT_OK;
        default: rc = bad_option(c, argv, hint);
        }
    }
    if (rc == 0 && optind >= argc)
        rc = cli_error(EXIT_USAGE, hint, "name the run to tag, e.g. 'vernier runs tag latest stage=production'");
    if (rc == 0 && optind + 1 >= argc && nrm == 0)
        rc = cli_error(EXIT_USAGE, hint, "give tags as KEY=VALUE, or --rm KEY");
    for (int i = optind + 1; rc == 0 && i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i])
            rc = cli_error(EXIT_USAGE, hint, "write tags as KEY=VALUE, not \"%s\"", argv[i]);
        for (const char *p = argv[i]; rc == 0 && p < eq; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                rc = cli_error(EXIT_USAGE, hint, "a tag key cannot hold control characters");
    }
    vn_store *st = NULL;
    vn_runs *one = NULL;
    if (rc == 0)
        rc = open_store(store, &st);
    if (rc == 0)
        rc = get_one(st, argv[optind], &one);
    if (rc == 0) {
        const vn_run *r = vn_runs_at(one, 0);
        for (int i = optind + 1; rc == 0 && i < argc; i++) {
            char *kv = strdup(argv[i]);
            if (!kv) {
                rc = cli_error(EXIT_INTERNAL, NULL, "out of memory");
                break;
            }
            char *eq = strchr(kv, '=');
            *eq = '\0';
            const vn_status s = vn_store_tag(st, r->id, kv, eq + 1);
            if (s != VN_OK)
                rc = store_fail(st, s);
            else
                fprintf(stderr, "vernier: run %s: tag %s=%s set\n", r->id, kv, eq + 1);
            free(kv);
        }
        for (size_t i = 0; rc == 0 && i < nrm; i++) {
            bool had = false;
            for (size_t k = 0; k < r->ntags && !had; k++)
                had = strcmp(r->tag_keys[k], rm[i]) == 0;
            const vn_status s = vn_store_tag(st, r->id, rm[i], NULL);
            if (s != VN_OK)
                rc = store_fail(st, s);
            else if (had)
                fprintf(stderr, "vernier: run %s: tag %s removed\n", r->id, rm[i]);
            else
                fprintf(stderr, "vernier: run %s had no tag %s\n", r->id, rm[i]);
        }
    }
    vn_runs_free(one);
    vn_store_close(st);
    free(rm);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * rm
 * ------------------------------------------------------------------------------- */

static int runs_rm(int argc, char **argv, const char *store)
{
    static const struct option opts[] = {
        {"yes", no_argument, 0, 'y'}, {"store", required_argument, 0, O_STORE},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *hint = "run 'vernier runs rm --help' for the options";
    bool yes = false;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":yh", opts, NULL)) != -1;) {
        switch (c) {
        case 'y': yes = true; break;
        case O_STORE: store = optarg; break;
        case 'h': fputs(help_rm, stdout); return EXIT_OK;
        default: return bad_option(c, argv, hint);
        }
    }
    if (optind >= argc)
        return cli_error(EXIT_USAGE, hint, "name the runs to delete, e.g. 'vernier runs rm latest'");
    for (int i = optind; i < argc; i++)
        if (!*argv[i])
            return cli_error(EXIT_USAGE, hint, "an empty selector would delete every run; name the runs");
    if (!yes && !isatty(STDIN_FILENO))
        return cli_error(EXIT_USAGE, "pass --yes to delete without being asked",
                         "not deleting: standard input is not a terminal to confirm on");
    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    runset rs;
    rc = runset_collect(st, argv + optind, (size_t)(argc - optind), &rs);
    bool go = rc == 0;
    if (go && !yes) {
        fprintf(stderr, "vernier: these runs would be deleted:\n");
        for (size_t i = 0; i < rs.n; i++) {
            char when[32];
            time_short(when, sizeof when, rs.run[i]->created_at);
            fprintf(stderr, "  %s  %s  %s\n", rs.run[i]->id, when, or_dash(rs.run[i]->name));
        }
        fprintf(stderr, "delete %zu run%s? [y/N] ", rs.n, rs.n == 1 ? "" : "s");
        fflush(stderr);
        char line[64] = "";
        if (!fgets(line, sizeof line, stdin))
            line[0] = '\0';
        line[strcspn(line, "\r\n")] = '\0';
        go = strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
        if (!go)
            fprintf(stderr, "vernier: nothing deleted\n");
    }
    size_t done = 0;
    for (size_t i = 0; go && i < rs.n; i++) {
        const vn_status s = vn_store_delete(st, rs.run[i]->id);
        if (s != VN_OK) {
            rc = store_fail(st, s);
            break;
        }
        done++;
    }
    if (go || done)
        fprintf(stderr, "vernier: deleted %zu run%s from %s\n", done, done == 1 ? "" : "s",
                vn_store_path(st));
    runset_free(&rs);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * export-mlflow
 * ------------------------------------------------------------------------------- */

static bool valid_experiment_id(const char *s)
{
    /* MLflow's _EXPERIMENT_ID_REGEX: ^[a-zA-Z0-9][\w\-]{0,63}$ */
    const size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '-')))
            return false;
    }
    return true;
}

static int runs_export_mlflow(int argc, char **argv, const char *store)
{
    static const struct option opts[] = {
        {"experiment-id", required_argument, 0, O_EXPID},
        {"experiment-name", required_argument, 0, O_EXPNAME},
        {"store", required_argument, 0, O_STORE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *hint = "run 'vernier runs export-mlflow --help' for the options";
    cli_mlflow_opts mo = {NULL, "0", "vernier"};
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case O_EXPID:
            if (!valid_experiment_id(optarg))
                return cli_error(EXIT_USAGE, hint, "--experiment-id takes letters, digits, _ and - (64 at most, not starting with _ or -), not \"%s\"", optarg);
            mo.experiment_id = optarg;
            break;
        case O_EXPNAME:
            if (!*optarg || strlen(optarg) > 500)
                return cli_error(EXIT_USAGE, hint, "--experiment-name needs 1 to 500 characters");
            mo.experiment_name = optarg;
            break;
        case O_STORE: store = optarg; break;
        case 'h': fputs(help_mlflow, stdout); return EXIT_OK;
        default: return bad_option(c, argv, hint);
        }
    }
    if (optind >= argc || !*argv[optind])
        return cli_error(EXIT_USAGE, hint, "name the directory to write, e.g. 'vernier runs export-mlflow mlruns'");
    mo.dir = argv[optind];
    vn_store *st;
    int rc = open_store(store, &st);
    if (rc)
        return rc;
    runset rs;
    rc = runset_collect(st, argv + optind + 1, (size_t)(argc - optind - 1), &rs);
    if (rc == 0 && rs.n == 0)
        fprintf(stderr, "vernier: no runs in %s: nothing exported\n", vn_store_path(st));
    else if (rc == 0)
        rc = cli_mlflow_export(st, &mo, rs.run, rs.n);
    runset_free(&rs);
    vn_store_close(st);
    return rc;
}

/* ---------------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------------- */

int cmd_runs(int argc, char **argv)
{
    const char *hint = "run 'vernier runs --help' for the subcommands";
    const char *store = NULL;
    int i = 1;
    /* Options before the subcommand: --store and --help. */
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_runs, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--store") == 0) {
            if (i + 1 >= argc)
                return cli_error(EXIT_USAGE, hint, "option --store needs a value");
            store = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--store=", 8) == 0) {
            store = argv[i] + 8;
            i++;
        } else {
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[i]);
        }
    }
    if (i >= argc) {
        fputs(help_runs, stderr);
        return EXIT_USAGE;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **, const char *);
    } subs[] = {{"list", runs_list},     {"ls", runs_list},         {"show", runs_show},
                {"diff", runs_diff},     {"tag", runs_tag},         {"rm", runs_rm},
                {"export", runs_export}, {"export-mlflow", runs_export_mlflow}};
    for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
        if (strcmp(argv[i], subs[k].name) == 0)
            return subs[k].fn(argc - i, argv + i, store);
    if (strcmp(argv[i], "help") == 0) {
        if (i + 1 < argc) {
            char *sub[] = {argv[i + 1], "--help", NULL};
            for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
                if (strcmp(argv[i + 1], subs[k].name) == 0)
                    return subs[k].fn(2, sub, store);
        }
        fputs(help_runs, stdout);
        return EXIT_OK;
    }
    return cli_error(EXIT_USAGE, hint, "unknown runs subcommand \"%s\"", argv[i]);
}
