/*
 * cmd_eval.c — `vernier eval`: the metric battery over a CSV/TSV file, overall and per
 * slice, in the format asked for.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier eval FILE -y COL -p COL [options]\n"
    "\n"
    "Computes regression metrics of predictions against actuals. FILE is CSV or TSV\n"
    "(RFC 4180), optionally gzip-compressed (detected by content); '-' reads standard\n"
    "input. Columns are named by header name or by 1-based index. The error is\n"
    "e = prediction - actual, so a positive error is an over-prediction.\n"
    "\n"
    "columns:\n"
    "  -y, --actual COL        the actual (target) column                 (required)\n"
    "  -p, --pred COL          the prediction column                      (required)\n"
    "  -w, --weight COL        non-negative row weights; rows with 0 are ignored\n"
    "      --by COL[,COL...]   one result row per distinct value (per combination)\n"
    "      --min-count N       slices with fewer rows are listed with metrics n/a\n"
    "\n"
    "metrics:\n"
    "  -m, --metrics LIST      comma-separated metric ids with parameters, e.g.\n"
    "                          mae,huber:delta=2,pinball:q=0.9,adjusted_r2:p=12\n"
    "                          (default: count, mean_error, mae, rmse, mape, wmape, smape,\n"
    "                          r2, medae, p95/p99_abs_error, max_error, huber,\n"
    "                          pinball at q = 0.1, 0.5, 0.9; 'vernier metrics' lists all)\n"
    "      --zero POLICY       rows with y = 0 in mape/mpe: nan (default: undefined, with\n"
    "                          the count), skip (leave them out), eps (scikit-learn)\n"
    "      --r2-constant MODE  constant y in r2 and other skill scores: undefined\n"
    "                          (default) or sklearn (force_finite: 1.0 or 0.0)\n"
    "\n"
    "input:\n"
    "  -d, --delimiter C       field separator (default ',', or tab for *.tsv[.gz]);\n"
    "                          'tab' or '\\t' for a tab\n"
    "  -t, --tsv               same as -d tab\n"
    "      --no-header         the first record is data; name columns by index\n"
    "      --missing POLICY    empty cells, NaN and Inf in y, prediction or weight:\n"
    "                          error (default: stop at file:line:column) or skip (drop\n"
    "                          the row and count it)\n"
    "      --max-field BYTES   longest accepted field (default 1048576)\n"
    "      --threads N         worker threads (default 1; 0 = one per CPU); the results\n"
    "                          are bit-identical for any N\n"
    "\n"
    "output:\n"
    "  -f, --format FMT        table (default; rounded for people), csv, json (full\n"
    "                          precision, schema vernier.eval/1) or md (Markdown)\n"
    "  -o, --output FILE       write there instead of standard output; the file appears\n"
    "                          whole or not at all\n"
    "\n"
    "intervals:\n"
    "      --ci[=LEVEL]        a confidence interval on every metric (default 0.95)\n"
    "      --ci-method M       auto (default: analytic where valid and n >= 5000, else\n"
    "                          BCa), percentile, bca (bootstrap) or analytic (CLT, delta\n"
    "                          method, order statistics; none where not valid)\n"
    "      --resamples N       bootstrap resamples (default 2000)\n"
    "      --seed N            the resampler's seed (default 0): same seed, same intervals,\n"
    "                          for any --threads\n"
    "      --block-size L      moving-block bootstrap for time-ordered rows\n"
    "\n"
    "run history:\n"
    "      --log[=STORE]       record the run (values, command, input hash, git commit)\n"
    "                          in the run store: STORE, else $VERNIER_STORE, else\n"
    "                          .vernier/runs.db; see 'vernier runs'\n"
    "      --tag KEY=VALUE     tag the logged run (repeatable)\n"
    "      --name NAME         name the logged run\n"
    "\n"
    "Undefined metrics are n/a (JSON null) with a reason: no_rows, constant_y,\n"
    "zero_actual, zero_denominator, domain, too_few_rows, constant_input, min_count,\n"
    "overflow. Notes under the table say what the numbers hide (zero actuals in MAPE,\n"
    "heavy tails, bias).\n"
    "\n"
    "examples:\n"
    "  vernier eval preds.csv -y actual -p predicted\n"
    "  vernier eval preds.csv -y y -p yhat -m mae,rmse,r2,p99_abs_error --by region\n"
    "  vernier eval preds.tsv.gz -y 2 -p 3 --no-header --format json -o metrics.json\n"
    "  zcat preds.csv.gz | vernier eval - -y y -p yhat -w weight --zero skip\n"
    "  vernier eval preds.csv -y y -p yhat --log --tag model=gbm-v2 --name nightly\n"
    "  vernier eval preds.csv -y y -p yhat --by region --ci --seed 7 --format json\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error, 3 data error (bad cell, missing column, ...),\n"
    "4 I/O error (cannot read input, write output, or write the run store),\n"
    "5 internal error\n";

/* Splits a comma-separated list in place, appending to *list (grown with realloc). */
static int split_into(char *s, char ***list, size_t *n)
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

static int parse_u64(const char *s, unsigned long long *out)
{
    char *end;
    if (!*s || strspn(s, "0123456789") != strlen(s))
        return -1;
    *out = strtoull(s, &end, 10);
    return *end ? -1 : 0;
}

typedef struct eval_args {
    vn_eval_config ec;
    vn_csv_config cc;
    const char *file, *out;
    vn_format fmt;
    char **by;
    size_t nby;
    int log;
    const char *store, *name;
    char **tags;
    size_t ntags;
} eval_args;

/* Parses the command line; returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, eval_args *a)
{
    enum { O_BY = 256, O_MIN, O_ZERO, O_R2C, O_NOHDR, O_MISSING, O_THREADS, O_MAXF, O_LOG, O_TAG,
           O_NAME, O_CI, O_CIM, O_RES, O_SEED, O_BLOCK };
    static const struct option opts[] = {
        {"actual", required_argument, 0, 'y'},    {"pred", required_argument, 0, 'p'},
        {"weight", required_argument, 0, 'w'},    {"metrics", required_argument, 0, 'm'},
        {"by", required_argument, 0, O_BY},       {"min-count", required_argument, 0, O_MIN},
        {"zero", required_argument, 0, O_ZERO},   {"r2-constant", required_argument, 0, O_R2C},
        {"delimiter", required_argument, 0, 'd'}, {"tsv", no_argument, 0, 't'},
        {"no-header", no_argument, 0, O_NOHDR},   {"missing", required_argument, 0, O_MISSING},
        {"threads", required_argument, 0, O_THREADS}, {"max-field", required_argument, 0, O_MAXF},
        {"format", required_argument, 0, 'f'},    {"output", required_argument, 0, 'o'},
        {"log", optional_argument, 0, O_LOG},     {"tag", required_argument, 0, O_TAG},
        {"name", required_argument, 0, O_NAME},   {"ci", optional_argument, 0, O_CI},
        {"ci-method", required_argument, 0, O_CIM}, {"resamples", required_argument, 0, O_RES},
        {"seed", required_argument, 0, O_SEED},   {"block-size", required_argument, 0, O_BLOCK},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    const char *hint = "run 'vernier eval --help' for the options";
    unsigned long long u;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":y:p:w:m:d:tf:o:h", opts, NULL)) != -1;) {
        switch (c) {
        case 'y': a->cc.y = optarg; break;
        case 'p': a->cc.yhat = optarg; break;
        case 'w': a->cc.weight = optarg; break;
        case 'm': a->ec.metrics = optarg; break;
        case 'o': a->out = optarg; break;
        case 't': a->cc.delimiter = '\t'; break;
        case O_NOHDR: a->cc.header = 0; break;
        case 'h': fputs(help, stdout); return EXIT_OK;
        case O_BY:
            if (split_into(optarg, &a->by, &a->nby) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_LOG:
            a->log = 1;
            a->store = optarg;
            break;
        case O_TAG: {
            char **t = realloc(a->tags, (a->ntags + 1) * sizeof *t);
            if (!t)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            a->tags = t;
            t[a->ntags++] = optarg;
            break;
        }
        case O_NAME: a->name = optarg; break;
        case O_CI: {
            char *end = NULL;
            a->ec.ci_level = optarg ? strtod(optarg, &end) : 0.95;
            if ((optarg && (end == optarg || *end)) || !(a->ec.ci_level > 0 && a->ec.ci_level < 1))
                return cli_error(EXIT_USAGE, hint, "--ci takes a level between 0 and 1 (e.g. --ci=0.9), not \"%s\"",
                                 optarg);
            break;
        }
        case O_CIM:
            if (strcmp(optarg, "auto") == 0)
                a->ec.ci_method = VN_CI_AUTO;
            else if (strcmp(optarg, "percentile") == 0)
                a->ec.ci_method = VN_CI_PERCENTILE;
            else if (strcmp(optarg, "bca") == 0)
                a->ec.ci_method = VN_CI_BCA;
            else if (strcmp(optarg, "analytic") == 0)
                a->ec.ci_method = VN_CI_ANALYTIC;
            else
                return cli_error(EXIT_USAGE, hint, "--ci-method takes auto, percentile, bca or analytic, not \"%s\"", optarg);
            break;
        case O_RES:
            if (parse_u64(optarg, &u) != 0 || u == 0 || u > 10000000)
                return cli_error(EXIT_USAGE, hint, "--resamples needs 1 to 10000000, not \"%s\"", optarg);
            a->ec.resamples = (uint32_t)u;
            break;
        case O_SEED:
            if (parse_u64(optarg, &u) != 0)
                return cli_error(EXIT_USAGE, hint, "--seed needs a whole number, not \"%s\"", optarg);
            a->ec.seed = u;
            break;
        case O_BLOCK:
            if (parse_u64(optarg, &u) != 0)
                return cli_error(EXIT_USAGE, hint, "--block-size needs a whole number, not \"%s\"", optarg);
            a->ec.block_size = (size_t)u;
            break;
        case O_MIN:
            if (parse_u64(optarg, &u) != 0)
                return cli_error(EXIT_USAGE, hint, "--min-count needs a whole number, not \"%s\"", optarg);
            a->ec.min_count = u;
            break;
        case O_THREADS:
            if (parse_u64(optarg, &u) != 0 || u > 256)
                return cli_error(EXIT_USAGE, hint, "--threads needs 0 to 256, not \"%s\"", optarg);
            a->ec.threads = (int)u;
            break;
        case O_MAXF:
            if (parse_u64(optarg, &u) != 0 || u == 0)
                return cli_error(EXIT_USAGE, hint, "--max-field needs a positive byte count, not \"%s\"", optarg);
            a->cc.max_field = (size_t)u;
            break;
        case O_ZERO:
            if (strcmp(optarg, "nan") == 0)
                a->ec.zero_policy = VN_ZERO_NAN;
            else if (strcmp(optarg, "skip") == 0)
                a->ec.zero_policy = VN_ZERO_SKIP;
            else if (strcmp(optarg, "eps") == 0)
                a->ec.zero_policy = VN_ZERO_EPS;
            else
                return cli_error(EXIT_USAGE, hint, "--zero takes nan, skip or eps, not \"%s\"", optarg);
            break;
        case O_R2C:
            if (strcmp(optarg, "undefined") == 0)
                a->ec.r2_constant = VN_R2_UNDEFINED;
            else if (strcmp(optarg, "sklearn") == 0)
                a->ec.r2_constant = VN_R2_SKLEARN;
            else
                return cli_error(EXIT_USAGE, hint, "--r2-constant takes undefined or sklearn, not \"%s\"", optarg);
            break;
        case O_MISSING:
            if (strcmp(optarg, "error") == 0)
                a->cc.missing = VN_MISSING_ERROR;
            else if (strcmp(optarg, "skip") == 0)
                a->cc.missing = VN_MISSING_SKIP;
            else
                return cli_error(EXIT_USAGE, hint, "--missing takes error or skip, not \"%s\"", optarg);
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                a->cc.delimiter = '\t';
            else if (strlen(optarg) == 1 && !strchr("\"\r\n", optarg[0]))
                a->cc.delimiter = optarg[0];
            else
                return cli_error(EXIT_USAGE, hint, "--delimiter takes one character (not a quote or line break) or 'tab', not \"%s\"", optarg);
            break;
        case 'f':
            if (vn_format_parse(optarg, &a->fmt) != VN_OK)
                return cli_error(EXIT_USAGE, hint, "--format takes table, csv, json or md, not \"%s\"", optarg);
            break;
        case ':':
            return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_error(EXIT_USAGE, hint, "no input file (use - for standard input)");
    if (optind + 1 < argc)
        return cli_error(EXIT_USAGE, hint, "one input file only; unexpected \"%s\"", argv[optind + 1]);
    a->file = argv[optind];
    if (!a->cc.y || !a->cc.yhat)
        return cli_error(EXIT_USAGE, hint, "name the actual and prediction columns with -y COL -p COL");
    if ((a->ec.resamples != 2000 || a->ec.seed || a->ec.block_size || a->ec.ci_method) &&
        a->ec.ci_level == 0)
        return cli_error(EXIT_USAGE, hint, "--ci-method, --resamples, --seed and --block-size shape intervals: add --ci");
    if ((a->ntags || a->name) && !a->log)
        return cli_error(EXIT_USAGE, hint, "--tag and --name describe a logged run: add --log");
    a->cc.hash = a->log;
    a->ec.by_count = a->nby;
    a->ec.by_names = (const char *const *)a->by;
    a->cc.by = (const char *const *)a->by;
    return -1;
}

static int run(eval_args *a, int argc, char **argv)
{
    char err[512];
    vn_eval *ev = NULL;
    vn_result *res = NULL;
    vn_status st = vn_eval_new(&a->ec, &ev, err, sizeof err);
    if (st != VN_OK)
        return cli_error(cli_exit_code(st), NULL, "%s", err);
    st = vn_eval_csv(ev, a->file, &a->cc);
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    if (st != VN_OK) {
        const int rc = cli_error(cli_exit_code(st), NULL, "%s", vn_eval_errmsg(ev));
        vn_eval_free(ev);
        return rc;
    }
    vn_eval_free(ev);
    cli_output out;
    int rc = cli_output_open(&out, a->out);
    if (rc == 0) {
        if (vn_result_write(res, a->fmt, out.fp) != VN_OK) {
            rc = cli_error(EXIT_IO, NULL, "%s: write error", a->out ? a->out : "standard output");
            cli_output_abort(&out);
        } else {
            rc = cli_output_commit(&out);
        }
    }
    if (rc == 0 && a->log)
        rc = cli_log_run(a->store, res, "eval", argc, argv, a->name, a->tags, a->ntags,
                         a->ec.metrics ? a->ec.metrics : vn_default_metrics());
    vn_result_free(res);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    eval_args a;
    memset(&a, 0, sizeof a);
    vn_eval_config_init(&a.ec);
    vn_csv_config_init(&a.cc);
    a.fmt = VN_FORMAT_TABLE;
    /* getopt_long permutes argv; the logged command line keeps the order as typed */
    char **typed = malloc((size_t)(argc + 1) * sizeof *typed);
    if (!typed)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    memcpy(typed, argv, (size_t)argc * sizeof *typed);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = run(&a, argc, typed);
    free(typed);
    free(a.by);
    free(a.tags);
    return rc;
}
