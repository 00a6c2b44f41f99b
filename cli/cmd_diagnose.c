/*
 * cmd_diagnose.c — `vernier diagnose`: what the errors say about a model's assumptions
 * (heteroscedasticity, normality, autocorrelation, multicollinearity, a few rows that
 * carry the squared error), each finding with what to do.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier diagnose FILE -y COL -p COL [--features COL,...] [--time COL] [options]\n"
    "\n"
    "Tests what the errors e = prediction - actual say about the model, and says for each\n"
    "finding what it means and what to do:\n"
    "  Breusch-Pagan     does the size of the errors grow with the prediction (always) or\n"
    "                    with the features (--features)? LM = n R^2 of e^2 on them\n"
    "  Jarque-Bera       are the errors normal? with skewness and excess kurtosis\n"
    "  worst rows        the share of the squared error in the worst 1% of rows\n"
    "  Durbin-Watson,    do errors repeat in time? only for rows in time order (--time COL,\n"
    "  Ljung-Box         or --ordered when the file is in time order)\n"
    "  condition number  of the feature matrix (columns scaled, with an intercept; > 30\n"
    "                    is serious) and the VIF of each feature (> 10 is serious)\n"
    "Regressions run on a Householder QR of the rows, never on normal equations.\n"
    "\n"
    "columns:\n"
    "  -y, --actual COL        the actual (target) column                 (required)\n"
    "  -p, --pred COL          the prediction column                      (required)\n"
    "      --features COL[,COL...]\n"
    "                          numeric features for Breusch-Pagan, VIF and the condition\n"
    "                          number (at most 200)\n"
    "      --time COL          put the rows in time order by this column (numbers, or text\n"
    "                          that sorts in time order such as ISO 8601) for Durbin-Watson\n"
    "                          and Ljung-Box\n"
    "      --ordered           the rows are in time order as they are in the file\n"
    "\n"
    "tests:\n"
    "      --lags H            Ljung-Box lags (default min(10, n/5))\n"
    "      --level L           tests flag at p < 1 - L (default 0.95)\n"
    "\n"
    "input and output: -d/--delimiter, -t/--tsv, --no-header, --missing (skip drops rows\n"
    "with a missing actual, prediction or feature), --max-field, -f/--format (table, csv,\n"
    "json with schema vernier.diagnose/1, md), -o/--output as for 'vernier eval'.\n"
    "\n"
    "examples:\n"
    "  vernier diagnose preds.csv -y actual -p predicted\n"
    "  vernier diagnose eta.csv -y actual -p v1 --features distance_km,hour --time ts\n"
    "  vernier diagnose sales.csv -y y -p yhat --features tv,radio,online --format json\n"
    "  vernier eval preds.csv -y y -p yhat --diagnose   (flagged findings in eval's notes)\n"
    "\n"
    "Exit codes: 0 ok (with or without findings), 2 usage error, 3 data error,\n"
    "4 I/O error, 5 internal error\n";

typedef struct diag_args {
    cli_common c;
    vn_diagnose_config cfg;
    const char *file;
    char **features;
    size_t nfeatures;
} diag_args;

static int parse_args(int argc, char **argv, diag_args *a)
{
    enum { O_FEATURES = CLI_O_FIRST_OWN, O_TIME, O_ORDERED, O_LAGS, O_LEVEL };
    static const struct option opts[] = {
        {"actual", required_argument, 0, 'y'},        {"pred", required_argument, 0, 'p'},
        {"features", required_argument, 0, O_FEATURES}, {"time", required_argument, 0, O_TIME},
        {"ordered", no_argument, 0, O_ORDERED},       {"lags", required_argument, 0, O_LAGS},
        {"level", required_argument, 0, O_LEVEL},     {"delimiter", required_argument, 0, 'd'},
        {"tsv", no_argument, 0, 't'},                 {"no-header", no_argument, 0, CLI_O_NOHDR},
        {"missing", required_argument, 0, CLI_O_MISSING},
        {"max-field", required_argument, 0, CLI_O_MAXF}, {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *hint = "run 'vernier diagnose --help' for the options";
    vn_diagnose_config *cfg = &a->cfg;
    unsigned long long u;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":y:p:d:tf:o:h", opts, NULL)) != -1;) {
        const int rc = cli_common_option(c, optarg, &a->c, hint);
        if (rc >= 0)
            return rc;
        if (rc == -1)
            continue;
        switch (c) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case 'p': a->c.cc.yhat = optarg; break;
        case O_FEATURES:
            if (cli_split_into(optarg, &a->features, &a->nfeatures) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_TIME: a->c.cc.time = optarg; break;
        case O_ORDERED: cfg->ordered = 1; break;
        case O_LAGS:
            if (cli_parse_u64(optarg, &u) != 0 || u == 0 || u > 100000)
                return cli_error(EXIT_USAGE, hint, "--lags needs 1 to 100000, not \"%s\"", optarg);
            cfg->lags = (size_t)u;
            break;
        case O_LEVEL: {
            const int rc2 = cli_parse_level("--level", optarg, &cfg->level, hint);
            if (rc2 >= 0)
                return rc2;
            break;
        }
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
    if (!a->c.cc.y || !a->c.cc.yhat)
        return cli_error(EXIT_USAGE, hint, "name the actual and prediction columns with -y COL -p COL");
    if (a->nfeatures > 200)
        return cli_error(EXIT_USAGE, hint, "--features takes at most 200 columns, not %zu", a->nfeatures);
    if (cfg->lags && !cfg->ordered && !a->c.cc.time)
        return cli_error(EXIT_USAGE, hint, "--lags is for rows in time order: add --time COL or --ordered");
    cfg->csv = a->c.cc;
    cfg->feature_count = a->nfeatures;
    cfg->features = (const char *const *)a->features;
    return -1;
}

static vn_status write_diagnosis(const void *obj, vn_format fmt, FILE *fp)
{
    return vn_diagnosis_write(obj, fmt, fp);
}

int cmd_diagnose(int argc, char **argv)
{
    diag_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    vn_diagnose_config_init(&a.cfg);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        char err[512];
        vn_diagnosis *d = NULL;
        const vn_status st = vn_diagnose_run(a.file, &a.cfg, &d, err, sizeof err);
        if (st != VN_OK)
            rc = cli_error(cli_exit_code(st), NULL, "%s", err);
        else
            rc = cli_write_output(a.c.out, write_diagnosis, d, a.c.fmt);
        vn_diagnosis_free(d);
    }
    free(a.features);
    cli_common_free(&a.c);
    return rc;
}
