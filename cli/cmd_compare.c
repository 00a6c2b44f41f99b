/*
 * cmd_compare.c — `vernier compare`: champion vs challenger on the same rows, with paired
 * intervals, p-values, verdicts, the Diebold–Mariano test, and an exit code that can gate
 * a deployment.
 */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier compare FILE -y COL -p BASELINE -p CANDIDATE [options]\n"
    "       vernier compare BASE_FILE CANDIDATE_FILE --key COL -y COL -p COL [-p COL]\n"
    "\n"
    "Compares two models' predictions of the same rows: for every metric both values, the\n"
    "paired difference (candidate - baseline) with its interval and p-value, and a\n"
    "verdict: better, worse or no difference. Paired means resampled together: each\n"
    "bootstrap resample takes the same rows for both models, so a small but consistent\n"
    "improvement is detected where two separate intervals would overlap. The\n"
    "Diebold-Mariano test checks the per-row loss differentials in row (time) order.\n"
    "\n"
    "The decision: the candidate WINS when the primary metric is significantly better\n"
    "and no guard metric regresses. Exit code 0 when it wins, 1 when it does not, so\n"
    "the command can gate a deployment.\n"
    "\n"
    "columns:\n"
    "  -y, --actual COL        the actual (target) column                 (required)\n"
    "  -p, --pred COL          the baseline's prediction column, then the candidate's;\n"
    "                          with two files one -p names the column in both\n"
    "      --key COL           two files: join their rows on this column (each key exactly\n"
    "                          once in each file; a key in one file only is an error)\n"
    "  -w, --weight COL        non-negative row weights; rows with 0 are ignored\n"
    "      --by COL[,COL...]   compare per slice as well as overall\n"
    "      --min-count N       slices with fewer rows are listed but not tested\n"
    "      --time-col COL      sort rows by this column first (numbers, or text in time\n"
    "                          order such as ISO 8601), for the DM test and blocks\n"
    "\n"
    "metrics and the decision:\n"
    "  -m, --metrics LIST      as for 'vernier eval' (default: the eval battery)\n"
    "      --primary METRIC    the metric that decides (default: the first testable one,\n"
    "                          mae for the default battery)\n"
    "      --guard METRIC[:MARGIN[%]]\n"
    "                          repeatable. Without a margin the guard fails when the\n"
    "                          candidate is significantly worse on it. With one it is a\n"
    "                          non-inferiority test: it holds only when the worsening the\n"
    "                          interval allows stays within MARGIN (in the metric's unit,\n"
    "                          or % of the baseline's value), e.g. mean_error:0.5, p95:5%\n"
    "      --zero POLICY       zero actuals in mape/mpe: nan (default), skip, eps\n"
    "      --r2-constant MODE  undefined (default) or sklearn\n"
    "\n"
    "tests:\n"
    "      --level L           interval and test level (default 0.95: alpha 0.05)\n"
    "      --ci-method M       auto (default: delta method where valid and n >= 5000, else\n"
    "                          the paired bootstrap), bootstrap (always), analytic (only\n"
    "                          where valid; other metrics untested)\n"
    "      --resamples N       bootstrap resamples (default 2000); the smallest bootstrap\n"
    "                          p-value is 2/(N+1)\n"
    "      --seed N            the resampler's seed (default 0)\n"
    "      --block-size L      moving-block bootstrap for time-ordered rows\n"
    "      --no-adjust         raw p-values (default: Holm-adjusted across every metric\n"
    "                          and slice tested)\n"
    "      --dm-loss LIST      Diebold-Mariano losses: squared, absolute, pinball:q=Q\n"
    "                          (default squared,absolute)\n"
    "      --horizon H         forecast horizon of the DM test's HAC variance (default 1)\n"
    "\n"
    "input and output: -d/--delimiter, -t/--tsv, --no-header, --missing, --max-field,\n"
    "--threads, -f/--format (table, csv, json, md), -o/--output as for 'vernier eval';\n"
    "--log[=STORE], --tag KEY=VALUE, --name NAME record the candidate's values with the\n"
    "verdict as tags (compare.wins, compare.primary, compare.baseline).\n"
    "\n"
    "examples:\n"
    "  vernier compare preds.csv -y y -p champion -p challenger\n"
    "  vernier compare preds.csv -y eta -p v1 -p v2 --primary p95_abs_error \\\n"
    "      --guard mean_error:0.5 --by region\n"
    "  vernier compare old.csv new.csv --key order_id -y actual -p pred --format json\n"
    "  vernier compare demand.csv -y demand -p naive -p model --time-col date \\\n"
    "      --dm-loss absolute --horizon 7\n"
    "\n"
    "Exit codes: 0 the candidate wins, 1 it does not, 2 usage error, 3 data error,\n"
    "4 I/O error, 5 internal error\n";

typedef struct compare_args {
    cli_common c;
    vn_compare_config cfg;
    vn_compare_csv csv;
    const char *files[2];
    const char *pred[2];
    size_t npred;
    char **guards;
    size_t nguards;
} compare_args;

static int parse_args(int argc, char **argv, compare_args *a)
{
    enum { O_KEY = CLI_O_FIRST_OWN, O_TIME, O_PRIMARY, O_GUARD, O_LEVEL, O_CIM, O_NOADJ, O_DM,
           O_H };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS,
        {"pred", required_argument, 0, 'p'},         {"key", required_argument, 0, O_KEY},
        {"time-col", required_argument, 0, O_TIME},  {"primary", required_argument, 0, O_PRIMARY},
        {"guard", required_argument, 0, O_GUARD},    {"level", required_argument, 0, O_LEVEL},
        {"ci-method", required_argument, 0, O_CIM},  {"no-adjust", no_argument, 0, O_NOADJ},
        {"dm-loss", required_argument, 0, O_DM},     {"horizon", required_argument, 0, O_H},
        {"help", no_argument, 0, 'h'},               {0, 0, 0, 0}};
    const char *hint = "run 'vernier compare --help' for the options";
    vn_eval_config *ec = &a->c.ec;
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
        case 'p':
            if (a->npred == 2)
                return cli_error(EXIT_USAGE, hint, "-p names the baseline and then the candidate: at most two");
            a->pred[a->npred++] = optarg;
            break;
        case O_KEY: a->csv.key = optarg; break;
        case O_TIME: a->csv.time = optarg; break;
        case O_PRIMARY: a->cfg.primary = optarg; break;
        case O_GUARD: {
            char **g = realloc(a->guards, (a->nguards + 1) * sizeof *g);
            if (!g)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            a->guards = g;
            g[a->nguards++] = optarg;
            break;
        }
        case O_LEVEL: {
            const int rc2 = cli_parse_level("--level", optarg, &ec->ci_level, hint);
            if (rc2 >= 0)
                return rc2;
            break;
        }
        case O_CIM: {
            const int rc2 = cli_parse_ci_method(optarg, 0, &ec->ci_method, hint);
            if (rc2 >= 0)
                return rc2;
            break;
        }
        case O_NOADJ: a->cfg.no_adjust = 1; break;
        case O_DM: a->cfg.dm_losses = optarg; break;
        case O_H:
            if (cli_parse_u64(optarg, &u) != 0 || u == 0 || u > 100000)
                return cli_error(EXIT_USAGE, hint, "--horizon needs 1 to 100000, not \"%s\"", optarg);
            a->cfg.horizon = (int)u;
            break;
        case ':':
            return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    const int nfiles = argc - optind;
    if (nfiles < 1)
        return cli_error(EXIT_USAGE, hint, "no input file (use - for standard input)");
    if (nfiles > 2)
        return cli_error(EXIT_USAGE, hint, "one file with both predictions, or two files joined on --key; unexpected \"%s\"",
                         argv[optind + 2]);
    a->files[0] = argv[optind];
    a->files[1] = nfiles == 2 ? argv[optind + 1] : NULL;
    if (!a->c.cc.y)
        return cli_error(EXIT_USAGE, hint, "name the actual column with -y COL");
    if (nfiles == 1 && a->npred != 2)
        return cli_error(EXIT_USAGE, hint, "name both prediction columns: -p BASELINE -p CANDIDATE");
    if (nfiles == 2 && a->npred == 0)
        return cli_error(EXIT_USAGE, hint, "name the prediction column: -p COL (or -p BASELINE_COL -p CANDIDATE_COL)");
    if (nfiles == 2 && !a->csv.key)
        return cli_error(EXIT_USAGE, hint, "two files are joined row by row on a key column: add --key COL");
    if (nfiles == 1 && a->csv.key)
        return cli_error(EXIT_USAGE, hint, "--key joins two files; with one file both predictions are in the same rows");
    if (nfiles == 2 && strcmp(a->files[0], "-") == 0 && strcmp(a->files[1], "-") == 0)
        return cli_error(EXIT_USAGE, hint, "only one of the two files can be standard input");
    a->c.cc.yhat = a->pred[0];
    a->csv.candidate = a->npred == 2 ? a->pred[1] : a->pred[0];
    a->csv.candidate_path = a->files[1];
    return cli_common_finish(&a->c, hint);
}

static vn_status write_comparison(const void *c, vn_format fmt, FILE *fp)
{
    return vn_comparison_write(c, fmt, fp);
}

/* --log: the candidate's values, with the verdict as tags. */
static int log_run(compare_args *a, const vn_comparison *cmp, int argc, char **argv)
{
    const size_t n = a->c.ntags;
    char **tags = malloc((n + 3) * sizeof *tags);
    char t[3][300];
    if (!tags)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    snprintf(t[0], sizeof t[0], "compare.wins=%s", vn_comparison_wins(cmp) ? "true" : "false");
    snprintf(t[1], sizeof t[1], "compare.primary=%s", vn_comparison_primary(cmp));
    snprintf(t[2], sizeof t[2], "compare.baseline=%.280s", a->pred[0]);
    for (int i = 0; i < 3; i++)
        tags[i] = t[i];
    memcpy(tags + 3, a->c.tags, n * sizeof *tags); /* the user's tags win on a repeated key */
    const int rc = cli_log_run(a->c.store, vn_comparison_model(cmp, 1), "compare", argc, argv,
                               a->c.name, tags, n + 3,
                               a->c.ec.metrics ? a->c.ec.metrics : vn_default_metrics());
    free(tags);
    return rc;
}

static int run(compare_args *a, int argc, char **argv)
{
    char err[512];
    vn_compare *cmp = NULL;
    vn_comparison *res = NULL;
    a->cfg.eval = a->c.ec;
    a->cfg.guard_count = a->nguards;
    a->cfg.guards = (const char *const *)a->guards;
    a->csv.csv = a->c.cc;
    vn_status st = vn_compare_new(&a->cfg, &cmp, err, sizeof err);
    if (st != VN_OK)
        return cli_error(cli_exit_code(st), NULL, "%s", err);
    st = vn_compare_csv_read(cmp, a->files[0], &a->csv);
    if (st == VN_OK)
        st = vn_compare_finish(cmp, &res);
    if (st != VN_OK) {
        const int rc = cli_error(cli_exit_code(st), NULL, "%s", vn_compare_errmsg(cmp));
        vn_compare_free(cmp);
        return rc;
    }
    vn_compare_free(cmp);
    int rc = cli_write_output(a->c.out, write_comparison, res, a->c.fmt);
    if (rc == 0 && a->c.log)
        rc = log_run(a, res, argc, argv);
    if (rc == 0 && !vn_comparison_wins(res))
        rc = EXIT_GATE;
    vn_comparison_free(res);
    return rc;
}

static int compare_main(int argc, char **argv, char **typed)
{
    compare_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    vn_compare_config_init(&a.cfg);
    vn_compare_csv_init(&a.csv);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = run(&a, argc, typed);
    free(a.guards);
    cli_common_free(&a.c);
    return rc;
}

int cmd_compare(int argc, char **argv) { return cli_with_typed_argv(argc, argv, compare_main); }
