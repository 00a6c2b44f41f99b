/*
 * cmd_slices.c — `vernier slices`: where is the model bad? Candidate slices from the values
 * and quantile bins of the other columns, each tested against the rest of the rows.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier slices FILE -y COL -p COL [options]\n"
    "\n"
    "Finds the slices of the data where the model is worst. Candidates are every value of\n"
    "a categorical column (text) and quantile bins of every numeric column and, with\n"
    "--depth 2, pairs of them from two columns (region=north & distance>12). Each is\n"
    "compared with the rest of the rows on one metric: the difference slice - rest with a\n"
    "normal (CLT) interval and a two-sided p-value, the slice's share of the rows and of\n"
    "the total loss. The p-values are adjusted across every tested slice; the findings\n"
    "are the slices significantly worse than the rest, largest difference first. A pair is\n"
    "a finding only when it is also significantly worse than the other rows of each of\n"
    "its two parents: otherwise one condition alone explains it.\n"
    "\n"
    "columns:\n"
    "  -y, --actual COL        the actual (target) column                 (required)\n"
    "  -p, --pred COL          the prediction column                      (required)\n"
    "  -w, --weight COL        non-negative row weights; rows with 0 are ignored\n"
    "      --columns COL[,COL...]\n"
    "                          the columns to slice by (default: every column except\n"
    "                          the actual, prediction and weight columns)\n"
    "\n"
    "the search:\n"
    "  -m, --metric METRIC     one metric that is a mean of a per-row term (default mae):\n"
    "                          mean_error, mae, mse, rmse, mape, mpe, smape, msle, rmsle,\n"
    "                          huber, pseudo_huber, log_cosh, pinball, poisson_deviance,\n"
    "                          gamma_deviance, tweedie_deviance (with parameters, e.g.\n"
    "                          pinball:q=0.9); for mean_error and mpe the difference is\n"
    "                          |slice| - |rest|\n"
    "      --zero POLICY       rows with y = 0 in mape/mpe: nan (default), skip, eps\n"
    "      --depth D           1 (default): single conditions; 2: also pairs\n"
    "      --bins N            quantile bins per numeric column (default 5, 2 to 100);\n"
    "                          equal quantiles merge, so heavy ties give fewer bins\n"
    "      --max-values N      leave out a text column with more distinct values\n"
    "                          (default 1000)\n"
    "      --min-count N       test a slice only when it and its rest have N rows\n"
    "                          (default 30)\n"
    "      --adjust METHOD     holm (default: family-wise error rate) or bh\n"
    "                          (Benjamini-Hochberg: false discovery rate)\n"
    "      --level L           interval and test level (default 0.95: alpha 0.05)\n"
    "      --top K             report the K worst findings (default 10; 0 = all)\n"
    "      --all               list every candidate with its status, not only findings\n"
    "      --threads N         worker threads (default 1; 0 = one per CPU); the results\n"
    "                          do not depend on it\n"
    "\n"
    "input and output: -d/--delimiter, -t/--tsv, --no-header, --missing, --max-field,\n"
    "-f/--format (table, csv, json with schema vernier.slices/1, md), -o/--output as for\n"
    "'vernier eval'.\n"
    "\n"
    "examples:\n"
    "  vernier slices examples/demand.csv -y demand -p forecast\n"
    "  vernier slices preds.csv -y eta -p pred --columns region,distance,hour --depth 2\n"
    "  vernier slices preds.csv -y y -p yhat -m pinball:q=0.9 --adjust bh --format json\n"
    "\n"
    "Exit codes: 0 ok (with or without findings), 2 usage error, 3 data error,\n"
    "4 I/O error, 5 internal error\n";

typedef struct slices_args {
    cli_common c;
    vn_slices_config cfg;
    const char *file;
    char **columns;
    size_t ncolumns;
    int all;
} slices_args;

static int parse_args(int argc, char **argv, slices_args *a)
{
    enum { O_COLUMNS = CLI_O_FIRST_OWN, O_DEPTH, O_BINS, O_MAXV, O_ADJUST, O_LEVEL, O_TOP,
           O_ALL };
    static const struct option opts[] = {
        {"actual", required_argument, 0, 'y'},       {"pred", required_argument, 0, 'p'},
        {"weight", required_argument, 0, 'w'},       {"metric", required_argument, 0, 'm'},
        {"zero", required_argument, 0, CLI_O_ZERO},  {"min-count", required_argument, 0, CLI_O_MIN},
        {"delimiter", required_argument, 0, 'd'},    {"tsv", no_argument, 0, 't'},
        {"no-header", no_argument, 0, CLI_O_NOHDR},  {"missing", required_argument, 0, CLI_O_MISSING},
        {"max-field", required_argument, 0, CLI_O_MAXF}, {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},       {"columns", required_argument, 0, O_COLUMNS},
        {"depth", required_argument, 0, O_DEPTH},    {"bins", required_argument, 0, O_BINS},
        {"max-values", required_argument, 0, O_MAXV}, {"adjust", required_argument, 0, O_ADJUST},
        {"level", required_argument, 0, O_LEVEL},    {"top", required_argument, 0, O_TOP},
        {"all", no_argument, 0, O_ALL},              {"help", no_argument, 0, 'h'},
        {"threads", required_argument, 0, CLI_O_THREADS},
        {0, 0, 0, 0}};
    const char *hint = "run 'vernier slices --help' for the options";
    vn_slices_config *cfg = &a->cfg;
    unsigned long long u;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":y:p:w:m:d:tf:o:h", opts, NULL)) != -1;) {
        const int rc = cli_common_option(c, optarg, &a->c, hint);
        if (rc >= 0)
            return rc;
        if (rc == -1)
            continue;
        switch (c) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case 'p': a->c.cc.yhat = optarg; break;
        case O_COLUMNS:
            if (cli_split_into(optarg, &a->columns, &a->ncolumns) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_DEPTH:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
                return cli_error(EXIT_USAGE, hint, "--depth takes 1 or 2, not \"%s\"", optarg);
            cfg->depth = optarg[0] - '0';
            break;
        case O_BINS:
            if (cli_parse_u64(optarg, &u) != 0 || u < 2 || u > 100)
                return cli_error(EXIT_USAGE, hint, "--bins needs 2 to 100, not \"%s\"", optarg);
            cfg->bins = (unsigned)u;
            break;
        case O_MAXV:
            if (cli_parse_u64(optarg, &u) != 0 || u < 2 || u > 1000000)
                return cli_error(EXIT_USAGE, hint, "--max-values needs 2 to 1000000, not \"%s\"", optarg);
            cfg->max_values = (size_t)u;
            break;
        case O_ADJUST:
            if (strcmp(optarg, "holm") == 0)
                cfg->adjust = VN_ADJUST_HOLM;
            else if (strcmp(optarg, "bh") == 0)
                cfg->adjust = VN_ADJUST_BH;
            else
                return cli_error(EXIT_USAGE, hint, "--adjust takes holm or bh, not \"%s\"", optarg);
            break;
        case O_LEVEL: {
            char *end = NULL;
            cfg->level = strtod(optarg, &end);
            if (end == optarg || *end || !(cfg->level > 0 && cfg->level < 1))
                return cli_error(EXIT_USAGE, hint, "--level takes a level between 0 and 1 (e.g. 0.9), not \"%s\"", optarg);
            break;
        }
        case O_TOP:
            if (cli_parse_u64(optarg, &u) != 0)
                return cli_error(EXIT_USAGE, hint, "--top needs a whole number, not \"%s\"", optarg);
            cfg->top = (size_t)u;
            break;
        case O_ALL: a->all = 1; break;
        case ':':
            return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (argc - optind < 1)
        return cli_error(EXIT_USAGE, hint, "no input file (use - for standard input)");
    if (argc - optind > 1)
        return cli_error(EXIT_USAGE, hint, "one input file; unexpected \"%s\"", argv[optind + 1]);
    a->file = argv[optind];
    if (!a->c.cc.y)
        return cli_error(EXIT_USAGE, hint, "name the actual column with -y COL");
    if (!a->c.cc.yhat)
        return cli_error(EXIT_USAGE, hint, "name the prediction column with -p COL");
    cfg->csv = a->c.cc;
    cfg->metric = a->c.ec.metrics;
    cfg->zero_policy = a->c.ec.zero_policy;
    cfg->min_count = a->c.ec.min_count;
    cfg->threads = a->c.ec.threads;
    cfg->column_count = a->ncolumns;
    cfg->columns = (const char *const *)a->columns;
    return -1;
}

typedef struct writing {
    const vn_slices *s;
    int all;
} writing;

static vn_status write_slices(const void *obj, vn_format fmt, FILE *fp)
{
    const writing *w = obj;
    return vn_slices_write(w->s, fmt, w->all, fp);
}

int cmd_slices(int argc, char **argv)
{
    slices_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    vn_slices_config_init(&a.cfg);
    a.c.ec.min_count = a.cfg.min_count; /* --min-count's default here is 30 */
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        char err[512];
        vn_slices *s = NULL;
        const vn_status st = vn_slices_run(a.file, &a.cfg, &s, err, sizeof err);
        if (st != VN_OK) {
            rc = cli_error(cli_exit_code(st), NULL, "%s", err);
        } else {
            const writing w = {s, a.all};
            rc = cli_write_output(a.c.out, write_slices, &w, a.c.fmt);
        }
        vn_slices_free(s);
    }
    free(a.columns);
    cli_common_free(&a.c);
    return rc;
}
