/*
 * monitor.c — `vernier eval`'s monitoring options: --sensitive COL (fairness gaps between
 * the groups of a column, and with --threshold the parity rates) and --diagnose (the
 * residual diagnostics' flagged findings in the notes). The computations are the
 * library's (vn_fairness_new, vn_diagnose_run); this file wires options and outputs.
 */
#include "cli.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cli_monitor_init(cli_monitor *m)
{
    memset(m, 0, sizeof *m);
    m->threshold = m->label_threshold = NAN;
}

void cli_monitor_free(cli_monitor *m)
{
    vn_fairness_free(m->fair);
    vn_diagnosis_free(m->diag);
    m->fair = NULL;
    m->diag = NULL;
}

static int parse_number(const char *opt, const char *arg, double *out, const char *hint)
{
    char *end = NULL;
    *out = strtod(arg, &end);
    if (end == arg || *end || !isfinite(*out))
        return cli_error(EXIT_USAGE, hint, "%s needs a number, not \"%s\"", opt, arg);
    return -1;
}

int cli_monitor_option(int c, const char *arg, cli_monitor *m, const char *hint)
{
    switch (c) {
    case CLI_O_SENSITIVE: m->sensitive = arg; return -1;
    case CLI_O_THRESHOLD: return parse_number("--threshold", arg, &m->threshold, hint);
    case CLI_O_LABEL_THRESHOLD: return parse_number("--label-threshold", arg, &m->label_threshold, hint);
    case CLI_O_DIAGNOSE: m->diagnose = 1; return -1;
    default: return -2;
    }
}

int cli_monitor_finish(cli_monitor *m, cli_common *c, const char *file, int from_states,
                       const char *hint)
{
    const bool thr = !isnan(m->threshold) || !isnan(m->label_threshold);
    if (!m->sensitive && !thr && !m->diagnose)
        return -1;
    if (from_states)
        return cli_error(EXIT_USAGE, hint, "--sensitive, --threshold and --diagnose read the data file, not states");
    if (thr && !m->sensitive)
        return cli_error(EXIT_USAGE, hint, "--threshold and --label-threshold are for the fairness rates: add --sensitive COL");
    if (!isnan(m->label_threshold) && isnan(m->threshold))
        return cli_error(EXIT_USAGE, hint, "--label-threshold needs --threshold (the decision threshold)");
    if ((thr || m->diagnose) && file && strcmp(file, "-") == 0)
        return cli_error(EXIT_USAGE, hint, "%s reads the file a second time: give a file, not standard input",
                         m->diagnose ? "--diagnose" : "--threshold");
    if (!m->sensitive)
        return -1;
    if (c->nby)
        return cli_error(EXIT_USAGE, hint, "--sensitive COL slices by that column: drop --by");
    char **by = realloc(c->by, sizeof *by);
    if (!by)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    c->by = by;
    by[0] = (char *)m->sensitive;
    c->nby = 1;
    if (c->ec.ci_level == 0)
        c->ec.ci_level = 0.95;
    return -1;
}

int cli_monitor_apply(cli_monitor *m, const cli_common *c, const char *file, vn_result *res)
{
    char err[512];
    if (m->diagnose) {
        vn_diagnose_config dc;
        vn_diagnose_config_init(&dc);
        dc.csv = c->cc;
        dc.csv.by = NULL;
        vn_status st = vn_diagnose_run(file, &dc, &m->diag, err, sizeof err);
        if (st == VN_OK)
            st = vn_result_add_diagnosis_findings(res, m->diag);
        if (st != VN_OK)
            return cli_error(cli_exit_code(st), NULL, "%s", st == VN_ERR_NOMEM ? "out of memory" : err);
    }
    if (m->sensitive) {
        vn_fairness_config fc;
        vn_fairness_config_init(&fc);
        fc.threshold = m->threshold;
        fc.label_threshold = m->label_threshold;
        fc.path = file;
        fc.csv = c->cc;
        vn_status st = vn_fairness_new(res, &fc, &m->fair, err, sizeof err);
        if (st == VN_OK)
            st = vn_result_add_fairness_findings(res, m->fair);
        if (st != VN_OK)
            return cli_error(cli_exit_code(st), NULL, "%s", st == VN_ERR_NOMEM ? "out of memory" : err);
    }
    return 0;
}

typedef struct both {
    const vn_result *res;
    const vn_fairness *fair;
} both;

/* Writes a document into a string (NULL when out of memory or on a write error). */
static char *capture(const both *b, vn_format fmt, int fair, size_t *len)
{
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    if (!mem)
        return NULL;
    const vn_status st = fair ? vn_fairness_write(b->fair, fmt, mem) : vn_result_write(b->res, fmt, mem);
    if (fclose(mem) != 0 || st != VN_OK) {
        free(buf);
        return NULL;
    }
    while (*len && (buf[*len - 1] == '\n' || buf[*len - 1] == ' '))
        buf[--*len] = '\0';
    return buf;
}

static vn_status write_both(const void *obj, vn_format fmt, FILE *fp)
{
    const both *b = obj;
    if (!b->fair)
        return vn_result_write(b->res, fmt, fp);
    switch (fmt) {
    case VN_FORMAT_CSV: return vn_fairness_write(b->fair, fmt, fp);
    case VN_FORMAT_JSON: {
        size_t le = 0, lf = 0;
        char *e = capture(b, fmt, 0, &le), *f = capture(b, fmt, 1, &lf);
        if (e && f)
            fprintf(fp, "{\"schema\":\"vernier.eval+fairness/1\",\"eval\":%s,\"fairness\":%s}\n", e, f);
        free(e);
        free(f);
        return e && f && !ferror(fp) ? VN_OK : VN_ERR_IO;
    }
    default: {
        const vn_status st = vn_result_write(b->res, fmt, fp);
        if (st != VN_OK)
            return st;
        fputc('\n', fp);
        return vn_fairness_write(b->fair, fmt, fp);
    }
    }
}

int cli_monitor_write(const cli_monitor *m, const cli_common *c, const vn_result *res)
{
    const both b = {res, m->fair};
    return cli_write_output(c->out, write_both, &b, c->fmt);
}
