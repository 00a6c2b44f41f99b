/*
 * cmd_report.c — `vernier report`: one self-contained HTML page (or a Markdown model
 * card) for an evaluation, a champion/challenger comparison (two -p), with the worst
 * slices (--columns) and, from a spec, the gates.
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier report FILE -y COL -p COL [-p CANDIDATE] [options] -o report.html\n"
    "       vernier report --spec vernier.yaml [options] -o report.html\n"
    "\n"
    "Writes a report people read: one HTML file that opens offline (no script, font or\n"
    "style from anywhere; light and dark mode) with the verdict-level summary, the notes,\n"
    "the metric table with intervals per slice (click a header to sort), and charts drawn\n"
    "as inline SVG: predicted vs actual (density-binned), the error distribution with a\n"
    "normal reference, absolute error by decile of the prediction (does the error grow\n"
    "with the value?), the metric by slice with interval bars, and the worst rows. With\n"
    "two -p it also shows the comparison: the decision, guards and paired differences.\n"
    "The page stays under 1 MB for any number of rows. --format md writes a Markdown\n"
    "model card instead, ready to paste into a pull request or a model registry.\n"
    "\n"
    "columns and metrics (as for 'vernier eval'):\n"
    "  -y, --actual COL        the actual (target) column                 (required)\n"
    "  -p, --pred COL          the prediction column; a second -p adds a candidate and\n"
    "                          the report compares the two (see 'vernier compare')\n"
    "  -w, --weight COL        non-negative row weights\n"
    "      --by COL[,COL...]   metrics per slice, and the slice chart\n"
    "      --min-count N       slices with fewer rows are listed with metrics n/a\n"
    "  -m, --metrics LIST      metric list (default: the eval battery)\n"
    "      --zero POLICY       zero actuals in mape/mpe: nan (default), skip, eps\n"
    "      --r2-constant MODE  undefined (default) or sklearn\n"
    "      --columns COL,...   search these columns for the worst slices and show them\n"
    "                          (see 'vernier slices')\n"
    "      --time-col COL      sort rows by this column first\n"
    "      --sensitive COL     a fairness section: per metric the worst and best group\n"
    "                          of COL, their gap and ratio with intervals (turns on --ci)\n"
    "      --threshold T, --label-threshold T   with --sensitive: parity rates (as eval)\n"
    "      --diagnose          a residual diagnostics section (see 'vernier diagnose')\n"
    "\n"
    "intervals and comparison:\n"
    "      --ci[=LEVEL]        confidence intervals (default level 0.95); with two -p\n"
    "                          the level of the comparison's tests\n"
    "      --ci-method M       auto (default), percentile, bca or analytic\n"
    "      --resamples N, --seed N, --block-size L   as for 'vernier eval'\n"
    "      --primary METRIC    with two -p: the metric that decides\n"
    "      --guard METRIC[:MARGIN[%]]  with two -p: repeatable guards\n"
    "\n"
    "from a spec:\n"
    "      --spec FILE         run the checks of a vernier.yaml and report on its data:\n"
    "                          its metrics, its first slice definition with 'by', and\n"
    "                          every gate's result (no FILE, -y or -p then)\n"
    "\n"
    "output:\n"
    "  -f, --format FMT        html (default) or md (the Markdown model card)\n"
    "  -o, --output FILE       write there (the file appears whole or not at all);\n"
    "                          default: standard output\n"
    "      --title TEXT        the page's title (default: from the file name)\n"
    "      --metric METRIC     the metric of the headline and the slice chart (default:\n"
    "                          the first listed metric with a direction, mae by default)\n"
    "      --max-slices N      slices listed in tables and charts, most rows first\n"
    "                          (default 200)\n"
    "  input options: -d, -t, --no-header, --missing, --max-field, --threads as for eval\n"
    "\n"
    "examples:\n"
    "  vernier report preds.csv -y actual -p predicted -o report.html\n"
    "  vernier report preds.csv -y y -p yhat --by region --ci -o report.html\n"
    "  vernier report preds.csv -y y -p v1 -p v2 --primary mae --guard mean_error -o cmp.html\n"
    "  vernier report preds.csv -y y -p yhat --by region --format md -o MODEL_CARD.md\n"
    "  vernier report --spec vernier.yaml -o report.html\n"
    "  vernier report preds.csv -y y -p yhat --sensitive sex --diagnose -o report.html\n"
    "\n"
    "Exit codes: 0 ok (the report is written even when a comparison is lost or a gate\n"
    "fails: read the report), 2 usage error, 3 data or spec error, 4 I/O error,\n"
    "5 internal error\n";

typedef struct report_args {
    cli_common c;
    const char *file, *spec, *title, *metric, *primary;
    const char *pred[2];
    int npred;
    char **columns, **guards;
    size_t ncolumns, nguards, max_slices;
    vn_report_format rfmt;
    char *command;
    cli_monitor mon; /* --sensitive, --threshold, --diagnose (monitor.c) */
} report_args;

/* The command line as typed, shell-quoted where needed, for the footer. */
static char *join_command(int argc, char **argv)
{
    size_t len = 8;
    for (int i = 0; i < argc; i++)
        len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len), *o = s;
    if (!s)
        return NULL;
    o += sprintf(o, "vernier"); /* argv[0] is the command, "report" */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const bool plain = *a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                           "0123456789_./=:,@%+-") == strlen(a);
        *o++ = ' ';
        if (plain) {
            o += sprintf(o, "%s", a);
            continue;
        }
        *o++ = '\'';
        for (; *a; a++)
            o += *a == '\'' ? sprintf(o, "'\\''") : sprintf(o, "%c", *a);
        *o++ = '\'';
    }
    *o = '\0';
    return s;
}

static int parse_args(int argc, char **argv, report_args *a)
{
    enum { O_CI = CLI_O_FIRST_OWN, O_CIM, O_TIME, O_COLUMNS, O_TITLE, O_METRIC, O_PRIMARY,
           O_GUARD, O_SPEC, O_MAXS };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS, CLI_MONITOR_LONGOPTS,
        {"pred", required_argument, 0, 'p'},        {"ci", optional_argument, 0, O_CI},
        {"ci-method", required_argument, 0, O_CIM}, {"time-col", required_argument, 0, O_TIME},
        {"columns", required_argument, 0, O_COLUMNS}, {"title", required_argument, 0, O_TITLE},
        {"metric", required_argument, 0, O_METRIC}, {"primary", required_argument, 0, O_PRIMARY},
        {"guard", required_argument, 0, O_GUARD},   {"spec", required_argument, 0, O_SPEC},
        {"max-slices", required_argument, 0, O_MAXS}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *hint = "run 'vernier report --help' for the options";
    vn_eval_config *ec = &a->c.ec;
    unsigned long long u;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":y:p:w:m:d:tf:o:h", opts, NULL)) != -1;) {
        if (c == 'f') { /* the report's own formats */
            if (strcmp(optarg, "html") == 0)
                a->rfmt = VN_REPORT_HTML;
            else if (strcmp(optarg, "md") == 0 || strcmp(optarg, "markdown") == 0)
                a->rfmt = VN_REPORT_CARD;
            else
                return cli_error(EXIT_USAGE, hint, "--format takes html or md, not \"%s\"", optarg);
            continue;
        }
        if (c == CLI_O_LOG || c == CLI_O_TAG || c == CLI_O_NAME)
            return cli_error(EXIT_USAGE, "log the run with 'vernier eval --log' or 'vernier compare --log'",
                             "report does not record runs");
        int rc = cli_common_option(c, optarg, &a->c, hint);
        if (rc == -2)
            rc = cli_monitor_option(c, optarg, &a->mon, hint);
        if (rc >= 0)
            return rc;
        if (rc == -1)
            continue;
        switch (c) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case 'p':
            if (a->npred == 2)
                return cli_error(EXIT_USAGE, hint, "-p names the prediction, then a candidate: at most two");
            a->pred[a->npred++] = optarg;
            break;
        case O_TIME: a->c.cc.time = optarg; break;
        case O_TITLE: a->title = optarg; break;
        case O_METRIC: a->metric = optarg; break;
        case O_PRIMARY: a->primary = optarg; break;
        case O_SPEC: a->spec = optarg; break;
        case O_COLUMNS:
            if (cli_split_into(optarg, &a->columns, &a->ncolumns) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_GUARD:
            if (cli_split_into(optarg, &a->guards, &a->nguards) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_MAXS:
            if (cli_parse_u64(optarg, &u) != 0 || u == 0 || u > 100000)
                return cli_error(EXIT_USAGE, hint, "--max-slices needs 1 to 100000, not \"%s\"", optarg);
            a->max_slices = (size_t)u;
            break;
        case O_CI: {
            const int rc2 = cli_parse_level("--ci", optarg, &ec->ci_level, hint);
            if (rc2 >= 0)
                return rc2;
            break;
        }
        case O_CIM: {
            const int rc2 = cli_parse_ci_method(optarg, 1, &ec->ci_method, hint);
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
    if ((a->mon.sensitive || a->mon.diagnose || !isnan(a->mon.threshold)) && (a->spec || a->npred == 2))
        return cli_error(EXIT_USAGE, hint, "--sensitive, --threshold and --diagnose report on one model's file: not with --spec or two -p");
    if (a->spec) {
        if (optind < argc || a->c.cc.y || a->npred || a->c.ec.metrics || a->c.nby)
            return cli_error(EXIT_USAGE, hint, "--spec names the data, columns and metrics: no FILE, -y, -p, -m or --by with it");
        if (a->ncolumns || a->nguards || a->primary)
            return cli_error(EXIT_USAGE, hint, "--columns, --guard and --primary need FILE -y -p, not --spec");
        return cli_common_finish(&a->c, hint);
    }
    if (optind >= argc)
        return cli_error(EXIT_USAGE, hint, "no input file (use - for standard input)");
    if (optind + 1 < argc)
        return cli_error(EXIT_USAGE, hint, "one input file only; unexpected \"%s\"", argv[optind + 1]);
    a->file = argv[optind];
    if (!a->c.cc.y || a->npred == 0)
        return cli_error(EXIT_USAGE, hint, "name the actual and prediction columns with -y COL -p COL");
    if ((a->nguards || a->primary) && a->npred != 2)
        return cli_error(EXIT_USAGE, hint, "--primary and --guard decide a comparison: give two -p");
    if (a->ncolumns && strcmp(a->file, "-") == 0)
        return cli_error(EXIT_USAGE, hint, "--columns reads the file a second time: give a file, not standard input");
    const int mrc = cli_monitor_finish(&a->mon, &a->c, a->file, 0, hint);
    if (mrc >= 0)
        return mrc;
    if ((ec->resamples != 2000 || ec->seed || ec->block_size || ec->ci_method) && ec->ci_level == 0 &&
        a->npred == 1)
        return cli_error(EXIT_USAGE, hint, "--ci-method, --resamples, --seed and --block-size shape intervals: add --ci");
    a->c.cc.yhat = a->pred[0];
    const int rc = cli_common_finish(&a->c, hint);
    a->c.cc.hash = 1; /* the card's data fingerprint */
    return rc;
}

/* --columns: the worst slices on the report's metric (mae when it cannot be searched). */
static int find_slices(const report_args *a, const vn_result *res, vn_slices **out)
{
    return cli_find_slices(a->file, &a->c.cc, a->npred == 2 ? a->pred[1] : a->pred[0],
                           a->c.ec.zero_policy, a->columns, a->ncolumns, a->metric, res, 0, out);
}

/* What cli_write_output hands to write_report. */
typedef struct report_job {
    vn_report_config cfg;
    vn_report_format fmt;
} report_job;

static vn_status write_report(const void *job, vn_format fmt, FILE *fp)
{
    (void)fmt; /* the report's own format is in the job */
    const report_job *j = job;
    return vn_report_write(&j->cfg, j->fmt, fp);
}

static int evaluate(report_args *a, vn_result **res)
{
    char err[512];
    vn_eval *ev = NULL;
    vn_status st = vn_eval_new(&a->c.ec, &ev, err, sizeof err);
    if (st != VN_OK)
        return cli_error(cli_exit_code(st), NULL, "%s", err);
    st = vn_eval_keep_plots(ev);
    if (st == VN_OK)
        st = vn_eval_csv(ev, a->file, &a->c.cc);
    if (st == VN_OK)
        st = vn_eval_finish(ev, res);
    const int rc = st == VN_OK ? 0 : cli_error(cli_exit_code(st), NULL, "%s", vn_eval_errmsg(ev));
    vn_eval_free(ev);
    return rc;
}

static int compare(report_args *a, vn_comparison **res)
{
    char err[512];
    vn_compare_config cfg;
    vn_compare_csv csv;
    vn_compare_config_init(&cfg);
    vn_compare_csv_init(&csv);
    cfg.eval = a->c.ec;
    cfg.primary = a->primary;
    cfg.guard_count = a->nguards;
    cfg.guards = (const char *const *)a->guards;
    csv.csv = a->c.cc;
    csv.candidate = a->pred[1];
    csv.time = a->c.cc.time;
    csv.csv.time = NULL;
    vn_compare *cmp = NULL;
    vn_status st = vn_compare_new(&cfg, &cmp, err, sizeof err);
    if (st != VN_OK)
        return cli_error(cli_exit_code(st), NULL, "%s", err);
    st = vn_compare_keep_plots(cmp);
    if (st == VN_OK)
        st = vn_compare_csv_read(cmp, a->file, &csv);
    if (st == VN_OK)
        st = vn_compare_finish(cmp, res);
    const int rc = st == VN_OK ? 0 : cli_error(cli_exit_code(st), NULL, "%s", vn_compare_errmsg(cmp));
    vn_compare_free(cmp);
    return rc;
}

static int from_spec(report_args *a, vn_check **chk, vn_result **res)
{
    char err[512];
    vn_check_config cc = {.spec = a->spec, .threads = a->c.ec.threads};
    vn_status st = vn_check_run(&cc, chk, err, sizeof err);
    if (st == VN_OK)
        st = vn_check_evaluate(*chk, &cc, res, err, sizeof err);
    return st == VN_OK ? 0 : cli_error(cli_exit_code(st), NULL, "%s", err);
}

static int run(report_args *a)
{
    vn_result *res = NULL;
    vn_comparison *cmp = NULL;
    vn_slices *sl = NULL;
    vn_check *chk = NULL;
    int rc = a->spec ? from_spec(a, &chk, &res) : a->npred == 2 ? compare(a, &cmp) : evaluate(a, &res);
    if (rc == 0 && a->ncolumns)
        rc = find_slices(a, cmp ? vn_comparison_model(cmp, 1) : res, &sl);
    if (rc == 0 && res && !chk)
        rc = cli_monitor_apply(&a->mon, &a->c, a->file, res);
    if (rc == 0) {
        report_job j = {.fmt = a->rfmt};
        vn_report_config_init(&j.cfg);
        j.cfg.title = a->title;
        j.cfg.result = res;
        j.cfg.comparison = cmp;
        j.cfg.slices = sl;
        j.cfg.check = chk;
        j.cfg.metric = a->metric;
        j.cfg.command = a->command;
        j.cfg.max_slices = a->max_slices;
        j.cfg.diagnosis = a->mon.diag;
        j.cfg.fairness = a->mon.fair;
        rc = cli_write_output(a->c.out, write_report, &j, VN_FORMAT_TABLE);
    }
    vn_slices_free(sl);
    vn_comparison_free(cmp);
    vn_result_free(res);
    vn_check_free(chk);
    return rc;
}

static int report_main(int argc, char **argv, char **typed)
{
    report_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    cli_monitor_init(&a.mon);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        a.command = join_command(argc, typed);
        rc = a.command ? run(&a) : cli_error(EXIT_INTERNAL, NULL, "out of memory");
    }
    cli_monitor_free(&a.mon);
    free(a.command);
    free(a.columns);
    free(a.guards);
    cli_common_free(&a.c);
    return rc;
}

int cmd_report(int argc, char **argv) { return cli_with_typed_argv(argc, argv, report_main); }
