/*
 * options.c — the options `vernier eval` and `vernier compare` share (columns, metric
 * policies, input dialect, threads, format, resampling, run logging), parsed in one place
 * so both commands spell and check them the same way.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_split_into(char *s, char ***list, size_t *n)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        char **l = realloc(*list, (*n + 1) * sizeof *l);
        if (!l)
            return -1;
        *list = l;
        l[(*n)++] = tok;
    }
    return 0;
}

int cli_parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    *out = strtoull(s, &end, 10);
    return *end ? -1 : 0;
}

int cli_parse_level(const char *opt, const char *arg, double *level, const char *hint)
{
    char *end = NULL;
    *level = arg ? strtod(arg, &end) : 0.95;
    if ((arg && (end == arg || *end)) || !(*level > 0 && *level < 1))
        return cli_error(EXIT_USAGE, hint, "%s takes a level between 0 and 1 (e.g. %s0.9), not \"%s\"",
                         opt, strcmp(opt, "--ci") == 0 ? "--ci=" : "", arg ? arg : "");
    return -1;
}

int cli_parse_ci_method(const char *arg, int with_bca, vn_ci_method *m, const char *hint)
{
    if (strcmp(arg, "auto") == 0)
        *m = VN_CI_AUTO;
    else if (strcmp(arg, "percentile") == 0 || strcmp(arg, "bootstrap") == 0)
        *m = VN_CI_PERCENTILE;
    else if (with_bca && strcmp(arg, "bca") == 0)
        *m = VN_CI_BCA;
    else if (strcmp(arg, "analytic") == 0)
        *m = VN_CI_ANALYTIC;
    else
        return cli_error(EXIT_USAGE, hint, "--ci-method takes %s, not \"%s\"",
                         with_bca ? "auto, percentile, bca or analytic" : "auto, bootstrap or analytic", arg);
    return -1;
}

static int append(char ***list, size_t *n, char *item)
{
    char **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        return -1;
    *list = l;
    l[(*n)++] = item;
    return 0;
}

int cli_common_option(int c, char *arg, cli_common *a, const char *hint)
{
    unsigned long long u;
    vn_eval_config *ec = &a->ec;
    vn_csv_config *cc = &a->cc;
    switch (c) {
    case 'y': cc->y = arg; return -1;
    case 'w': cc->weight = arg; return -1;
    case 'm': ec->metrics = arg; return -1;
    case 'o': a->out = arg; return -1;
    case 't': cc->delimiter = '\t'; return -1;
    case CLI_O_NOHDR: cc->header = 0; return -1;
    case CLI_O_NAME: a->name = arg; return -1;
    case CLI_O_BY:
        return cli_split_into(arg, &a->by, &a->nby) ? cli_error(EXIT_INTERNAL, NULL, "out of memory") : -1;
    case CLI_O_LOG:
        a->log = 1;
        a->store = arg;
        return -1;
    case CLI_O_TAG:
        return append(&a->tags, &a->ntags, arg) ? cli_error(EXIT_INTERNAL, NULL, "out of memory") : -1;
    case CLI_O_RES:
        if (cli_parse_u64(arg, &u) != 0 || u == 0 || u > 10000000)
            return cli_error(EXIT_USAGE, hint, "--resamples needs 1 to 10000000, not \"%s\"", arg);
        ec->resamples = (uint32_t)u;
        return -1;
    case CLI_O_SEED:
        if (cli_parse_u64(arg, &u) != 0)
            return cli_error(EXIT_USAGE, hint, "--seed needs a whole number, not \"%s\"", arg);
        ec->seed = u;
        return -1;
    case CLI_O_BLOCK:
        if (cli_parse_u64(arg, &u) != 0)
            return cli_error(EXIT_USAGE, hint, "--block-size needs a whole number, not \"%s\"", arg);
        ec->block_size = (size_t)u;
        return -1;
    case CLI_O_MIN:
        if (cli_parse_u64(arg, &u) != 0)
            return cli_error(EXIT_USAGE, hint, "--min-count needs a whole number, not \"%s\"", arg);
        ec->min_count = u;
        return -1;
    case CLI_O_THREADS:
        if (cli_parse_u64(arg, &u) != 0 || u > 256)
            return cli_error(EXIT_USAGE, hint, "--threads needs 0 to 256, not \"%s\"", arg);
        ec->threads = (int)u;
        return -1;
    case CLI_O_MAXF:
        if (cli_parse_u64(arg, &u) != 0 || u == 0)
            return cli_error(EXIT_USAGE, hint, "--max-field needs a positive byte count, not \"%s\"", arg);
        cc->max_field = (size_t)u;
        return -1;
    case CLI_O_QUANT:
        if (strcmp(arg, "exact") == 0)
            ec->quantiles = VN_QUANTILES_EXACT;
        else if (strcmp(arg, "sketch") == 0)
            ec->quantiles = VN_QUANTILES_SKETCH;
        else
            return cli_error(EXIT_USAGE, hint, "--quantiles takes exact or sketch, not \"%s\"",
                             arg);
        return -1;
    case CLI_O_ZERO:
        if (strcmp(arg, "nan") == 0)
            ec->zero_policy = VN_ZERO_NAN;
        else if (strcmp(arg, "skip") == 0)
            ec->zero_policy = VN_ZERO_SKIP;
        else if (strcmp(arg, "eps") == 0)
            ec->zero_policy = VN_ZERO_EPS;
        else
            return cli_error(EXIT_USAGE, hint, "--zero takes nan, skip or eps, not \"%s\"", arg);
        return -1;
    case CLI_O_R2C:
        if (strcmp(arg, "undefined") == 0)
            ec->r2_constant = VN_R2_UNDEFINED;
        else if (strcmp(arg, "sklearn") == 0)
            ec->r2_constant = VN_R2_SKLEARN;
        else
            return cli_error(EXIT_USAGE, hint, "--r2-constant takes undefined or sklearn, not \"%s\"", arg);
        return -1;
    case CLI_O_MISSING:
        if (strcmp(arg, "error") == 0)
            cc->missing = VN_MISSING_ERROR;
        else if (strcmp(arg, "skip") == 0)
            cc->missing = VN_MISSING_SKIP;
        else
            return cli_error(EXIT_USAGE, hint, "--missing takes error or skip, not \"%s\"", arg);
        return -1;
    case 'd':
        if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
            cc->delimiter = '\t';
        else if (strlen(arg) == 1 && !strchr("\"\r\n", arg[0]))
            cc->delimiter = arg[0];
        else
            return cli_error(EXIT_USAGE, hint, "--delimiter takes one character (not a quote or line break) or 'tab', not \"%s\"", arg);
        return -1;
    case 'f':
        if (vn_format_parse(arg, &a->fmt) != VN_OK)
            return cli_error(EXIT_USAGE, hint, "--format takes table, csv, json or md, not \"%s\"", arg);
        return -1;
    default:
        return -2;
    }
}

void cli_common_init(cli_common *a)
{
    memset(a, 0, sizeof *a);
    vn_eval_config_init(&a->ec);
    a->ec.threads = 0; /* one per CPU: the results do not depend on it */
    vn_csv_config_init(&a->cc);
    a->fmt = VN_FORMAT_TABLE;
}

void cli_common_free(cli_common *a)
{
    free(a->by);
    free(a->tags);
}

int cli_common_finish(cli_common *a, const char *hint)
{
    if ((a->ntags || a->name) && !a->log)
        return cli_error(EXIT_USAGE, hint, "--tag and --name describe a logged run: add --log");
    a->cc.hash = a->log;
    a->ec.by_count = a->nby;
    a->ec.by_names = (const char *const *)a->by;
    a->cc.by = (const char *const *)a->by;
    return -1;
}

int cli_write_output(const char *path, vn_status (*write)(const void *obj, vn_format fmt, FILE *fp),
                     const void *obj, vn_format fmt)
{
    cli_output out;
    int rc = cli_output_open(&out, path);
    if (rc != 0)
        return rc;
    if (write(obj, fmt, out.fp) != VN_OK) {
        cli_output_abort(&out);
        return cli_error(EXIT_IO, NULL, "%s: write error", path ? path : "standard output");
    }
    return cli_output_commit(&out);
}

int cli_with_typed_argv(int argc, char **argv, int (*cmd)(int argc, char **argv, char **typed))
{
    /* getopt_long permutes argv; a logged command line keeps the order as typed */
    char **typed = malloc((size_t)(argc + 1) * sizeof *typed);
    if (!typed)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    memcpy(typed, argv, (size_t)argc * sizeof *typed);
    typed[argc] = NULL;
    const int rc = cmd(argc, argv, typed);
    free(typed);
    return rc;
}

int cli_find_slices(const char *file, const vn_csv_config *cc, const char *yhat,
                    vn_zero_policy zero, char *const *columns, size_t ncolumns,
                    const char *metric, const vn_result *res, size_t top, vn_slices **out)
{
    vn_slices_config sc;
    vn_slices_config_init(&sc);
    sc.csv = *cc;
    sc.csv.yhat = yhat;
    sc.csv.by = NULL;
    sc.zero_policy = zero;
    sc.column_count = ncolumns;
    sc.columns = (const char *const *)columns;
    if (top)
        sc.top = top;
    sc.metric = metric;
    for (size_t m = 0; !sc.metric && m < vn_result_metric_count(res); m++) {
        const vn_metric_info *mi = vn_result_metric_info(res, m);
        if (strcmp(mi->id, "count") != 0 && strcmp(mi->id, "weight_sum") != 0 &&
            mi->direction != VN_NO_DIRECTION)
            sc.metric = vn_result_metric_key(res, m);
    }
    char err[512];
    vn_status st = vn_slices_run(file, &sc, out, err, sizeof err);
    if (st == VN_ERR_USAGE && strstr(err, "metric")) { /* not a mean of per-row terms */
        sc.metric = "mae";
        st = vn_slices_run(file, &sc, out, err, sizeof err);
    }
    return st == VN_OK ? 0 : cli_error(cli_exit_code(st), NULL, "%s", err);
}
