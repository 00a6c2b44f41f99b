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
    "      --columns COL,...   also search these columns for the slices where the first\n"
    "                          metric with a direction (mae by default; mae when it\n"
    "                          cannot be searched) is significantly worse, and add the\n"
    "                          top 3 to the notes (see 'vernier slices')\n"
    "\n"
    "metrics:\n"
    "  -m, --metrics LIST      comma-separated metric ids with parameters, e.g.\n"
    "                          mae,huber:delta=2,pinball:q=0.9,adjusted_r2:p=12\n"
    "                          (default: count, mean_error, mae, rmse, mape, wmape, smape,\n"
    "                          r2, medae, p95/p99_abs_error, max_error, huber,\n"
    "                          pinball at q = 0.1, 0.5, 0.9; 'vernier metrics' lists all)\n"
    "                          and custom metrics NAME[OPTIONS]=EXPRESSION (quote them):\n"
    "                          mean, sum, wmean or quantile of a formula over each row's\n"
    "                          y, yhat, e = yhat - y, w and input columns by name, e.g.\n"
    "                          'cost=sum(abs(e) * price) / sum(y * price)'; OPTIONS: lower\n"
    "                          (default), higher or none, and unit=TEXT, e.g.\n"
    "                          cost[lower,unit=USD]=... (docs/expressions.md)\n"
    "      --zero POLICY       rows with y = 0 in mape/mpe: nan (default: undefined, with\n"
    "                          the count), skip (leave them out), eps (scikit-learn)\n"
    "      --r2-constant MODE  constant y in r2 and other skill scores: undefined\n"
    "                          (default) or sklearn (force_finite: 1.0 or 0.0)\n"
    "      --quantiles MODE    medae and pNN_abs_error: exact (default; keeps |e|, 8 bytes\n"
    "                          a row) or sketch (flat memory for data larger than RAM;\n"
    "                          each within 0.39 % of exact, the rank error in a note)\n"
    "      --task TASK         regression (default) or binary: y is a 0/1 label and the\n"
    "                          prediction a score (higher = more likely 1); every label is\n"
    "                          checked while reading (anything but 0 or 1 stops at\n"
    "                          file:line:column, exit 3), and without -m the battery is\n"
    "                          count, roc_auc, average_precision, log_loss, brier, ece,\n"
    "                          precision_at_recall:r=0.9, recall_at_precision:p=0.9,\n"
    "                          specificity_at_sensitivity:s=0.95 and\n"
    "                          sensitivity_at_specificity:s=0.95; operating points are\n"
    "                          shown with their threshold (value @t: yhat >= t predicts 1)\n"
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
    "      --threads N         worker threads (default 0 = one per CPU); the results\n"
    "                          are bit-identical for any N. A plain file is mapped\n"
    "                          into memory a chunk at a time; VERNIER_NO_MMAP=1 reads\n"
    "                          it instead (do that if the file may be truncated by\n"
    "                          another process while vernier reads it)\n"
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
    "forecasting (docs/forecasting.md):\n"
    "      --time-col COL      sort rows by this column first (numbers, or text in time\n"
    "      (or --time COL)     order such as ISO 8601 dates); intervals then use moving\n"
    "                          blocks of ceil(n^(1/3)) rows unless --block-size is given;\n"
    "                          mda, mase and rmsse read rows in this order\n"
    "      --series COL        each value of COL is one series: one result row per\n"
    "                          series, and the overall mase, rmsse and mda are the\n"
    "                          unweighted means of the per-series values (M4); not with\n"
    "                          --by or --horizon\n"
    "      --horizon COL       one result row per forecast horizon (numeric values of\n"
    "                          COL, listed 1, 2, ..., 10); with --by, per (horizon, by)\n"
    "      --train FILE        the seasonal-naive scale of mase and rmsse from the y\n"
    "                          column (-y) of this training file, in --time-col order,\n"
    "                          per series (matched by the --series value) with --series;\n"
    "                          a series absent from FILE is n/a (no_training)\n"
    "\n"
    "states (docs/state.md):\n"
    "      --save-state FILE   also write the evaluation's state: merge it later with\n"
    "                          others (--from-states, Python's vernier.Accumulator)\n"
    "      --from-states       the arguments are state files (from --save-state or\n"
    "                          vernier.Accumulator.to_bytes): merge them in order and\n"
    "                          report as if all their rows had been read at once\n"
    "\n"
    "fairness and diagnostics (docs/fairness.md, docs/diagnose.md):\n"
    "      --sensitive COL     every metric per group of COL, and for each metric the\n"
    "                          worst and best group, their gap and ratio with intervals\n"
    "                          (turns on --ci); the significant gaps go to the notes\n"
    "      --threshold T       with --sensitive: decisions are prediction >= T; per group\n"
    "                          the selection, true- and false-positive rates, and the\n"
    "                          demographic-parity and equalized-odds differences\n"
    "      --label-threshold T positive outcomes are actual >= T (default: --threshold)\n"
    "      --diagnose          run 'vernier diagnose' on the file too and add its flagged\n"
    "                          findings (heteroscedasticity, ...) to the notes\n"
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
    "overflow, one_class, unreachable, no_training. Notes under the table say what the numbers hide (zero actuals in MAPE,\n"
    "heavy tails, bias).\n"
    "\n"
    "examples:\n"
    "  vernier eval preds.csv -y actual -p predicted\n"
    "  vernier eval preds.csv -y y -p yhat -m mae,rmse,r2,p99_abs_error --by region\n"
    "  vernier eval preds.tsv.gz -y 2 -p 3 --no-header --format json -o metrics.json\n"
    "  zcat preds.csv.gz | vernier eval - -y y -p yhat -w weight --zero skip\n"
    "  vernier eval preds.csv -y y -p yhat --log --tag model=gbm-v2 --name nightly\n"
    "  vernier eval preds.csv -y y -p yhat --by region --ci --seed 7 --format json\n"
    "  vernier eval preds.csv -y y -p yhat --columns region,channel,price\n"
    "  vernier eval scores.csv -y y -p yhat --sensitive sex --threshold 0.5\n"
    "  vernier eval preds.csv -y y -p yhat --time-col ts --diagnose\n"
    "  vernier eval scores.csv --task binary -y label -p score --by segment --ci\n"
    "  vernier eval test.csv -y sales -p fc -m mase,rmsse,mda --series item --time week \\\n"
    "      --train train.csv\n"
    "  vernier eval test.csv -y sales -p fc -m mae,mase --horizon h --train train.csv\n"
    "  vernier eval preds.csv -y demand -p forecast \\\n"
    "      -m 'mae,stockout_cost=mean(if(e < 0, -3 * e, e))' --by store --ci\n"
    "  vernier eval part1.csv -y y -p yhat --by region --save-state part1.state\n"
    "  vernier eval --from-states part1.state part2.state --format json\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error, 3 data error (bad cell, missing column, invalid\n"
    "expression, ...), 4 I/O error (cannot read input, write output, or write the run\n"
    "store), 5 internal error\n";

typedef struct eval_args {
    cli_common c;
    const char *file;
    int from_states;        /* the arguments are state files (--from-states) */
    char **states;
    size_t nstates;
    const char *save_state; /* --save-state FILE */
    char **columns; /* --columns: search them for the worst slices */
    size_t ncolumns;
    cli_monitor mon; /* --sensitive, --threshold, --diagnose (monitor.c) */
    char *series, *horizon; /* --series COL, --horizon COL */
    const char *train;      /* --train FILE */
} eval_args;

/* --series and --horizon become the (first) by column; the evaluation pools over series
 * or lists horizons in numeric order. */
static int forecast_options(eval_args *a, const char *hint)
{
    vn_eval_config *ec = &a->c.ec;
    if (a->series && a->horizon)
        return cli_error(EXIT_USAGE, hint, "--series with --horizon is not supported yet: "
                         "evaluate per series, or per horizon (with --train for the scale)");
    if (a->series && a->c.nby)
        return cli_error(EXIT_USAGE, hint, "--series with --by is not supported yet");
    if ((a->series || a->horizon || a->train) && a->save_state)
        return cli_error(EXIT_USAGE, hint, "--save-state does not keep --series, --horizon or --train");
    char *col = a->series ? a->series : a->horizon;
    if (!col)
        return -1;
    char **l = realloc(a->c.by, (a->c.nby + 1) * sizeof *l);
    if (!l)
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    memmove(l + 1, l, a->c.nby * sizeof *l);
    l[0] = col;
    a->c.by = l;
    a->c.nby++;
    ec->series = a->series != NULL;
    ec->numeric_slices = a->horizon != NULL;
    return -1;
}

/* Parses the command line; returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, eval_args *a)
{
    enum { O_CI = CLI_O_FIRST_OWN, O_CIM, O_TIME, O_COLUMNS, O_FROM_STATES, O_SAVE_STATE,
           O_TASK, O_SERIES, O_HORIZON, O_TRAIN };
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS, CLI_MONITOR_LONGOPTS,
        {"pred", required_argument, 0, 'p'},        {"ci", optional_argument, 0, O_CI},
        {"ci-method", required_argument, 0, O_CIM}, {"time-col", required_argument, 0, O_TIME},
        {"columns", required_argument, 0, O_COLUMNS},
        {"from-states", no_argument, 0, O_FROM_STATES},
        {"save-state", required_argument, 0, O_SAVE_STATE},
        {"task", required_argument, 0, O_TASK},
        {"time", required_argument, 0, O_TIME},
        {"series", required_argument, 0, O_SERIES},
        {"horizon", required_argument, 0, O_HORIZON},
        {"train", required_argument, 0, O_TRAIN},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *hint = "run 'vernier eval --help' for the options";
    vn_eval_config *ec = &a->c.ec;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":y:p:w:m:d:tf:o:h", opts, NULL)) != -1;) {
        int rc = cli_common_option(c, optarg, &a->c, hint);
        if (rc == -2)
            rc = cli_monitor_option(c, optarg, &a->mon, hint);
        if (rc >= 0)
            return rc;
        if (rc == -1)
            continue;
        switch (c) {
        case 'p': a->c.cc.yhat = optarg; break;
        case O_TIME: a->c.cc.time = optarg; break;
        case O_FROM_STATES: a->from_states = 1; break;
        case O_SERIES: a->series = optarg; break;
        case O_HORIZON: a->horizon = optarg; break;
        case O_TRAIN: a->train = optarg; break;
        case O_SAVE_STATE: a->save_state = optarg; break;
        case O_TASK:
            if (strcmp(optarg, "regression") == 0)
                ec->task = VN_TASK_REGRESSION;
            else if (strcmp(optarg, "binary") == 0)
                ec->task = VN_TASK_BINARY;
            else
                return cli_error(EXIT_USAGE, hint, "--task takes regression or binary, not \"%s\"",
                                 optarg);
            break;
        case O_COLUMNS:
            if (cli_split_into(optarg, &a->columns, &a->ncolumns) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case 'h': fputs(help, stdout); return EXIT_OK;
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
    if (optind >= argc)
        return cli_error(EXIT_USAGE, hint, "no input file (use - for standard input)");
    const int mrc = cli_monitor_finish(&a->mon, &a->c, argv[optind], a->from_states, hint);
    if (mrc >= 0)
        return mrc;
    if (a->from_states) { /* the states carry the metrics, slices and policies */
        if (a->c.cc.y || a->c.cc.yhat || a->c.cc.weight || a->c.ec.metrics || a->c.nby ||
            a->ncolumns || a->c.cc.time || a->c.ec.ci_level > 0 || a->c.ec.min_count ||
            a->c.ec.zero_policy || a->c.ec.r2_constant || a->save_state || a->c.ec.task ||
            a->series || a->horizon || a->train)
            return cli_error(EXIT_USAGE, hint, "--from-states reads metrics, columns, policies and intervals from the states: no -y, -p, -w, -m, --by, --min-count, --zero, --r2-constant, --ci, --time-col, --columns, --save-state, --task, --series, --horizon or --train");
        a->states = argv + optind;
        a->nstates = (size_t)(argc - optind);
        a->file = argv[optind];
        return cli_common_finish(&a->c, hint);
    }
    if (optind + 1 < argc)
        return cli_error(EXIT_USAGE, hint, "one input file only; unexpected \"%s\"", argv[optind + 1]);
    a->file = argv[optind];
    if (!a->c.cc.y || !a->c.cc.yhat)
        return cli_error(EXIT_USAGE, hint, "name the actual and prediction columns with -y COL -p COL");
    if (a->ncolumns && strcmp(a->file, "-") == 0)
        return cli_error(EXIT_USAGE, hint, "--columns reads the file a second time: give a file, not standard input");
    if ((ec->resamples != 2000 || ec->seed || ec->block_size || ec->ci_method) && ec->ci_level == 0)
        return cli_error(EXIT_USAGE, hint, "--ci-method, --resamples, --seed and --block-size shape intervals: add --ci");
    const int frc = forecast_options(a, hint);
    if (frc >= 0)
        return frc;
    return cli_common_finish(&a->c, hint);
}

/* --columns: the worst slices of the first listed metric with a direction (mae for the
 * default battery, and when the search cannot take that metric), added to the notes. */
static int add_worst_slices(const eval_args *a, vn_result *res)
{
    vn_slices *s = NULL;
    const int rc = cli_find_slices(a->file, &a->c.cc, a->c.cc.yhat, a->c.ec.zero_policy,
                                   a->columns, a->ncolumns, NULL, res, 3, &s);
    if (rc != 0)
        return rc;
    const vn_status st = vn_result_add_slice_findings(res, s, 3);
    vn_slices_free(s);
    return st == VN_OK ? 0 : cli_error(EXIT_INTERNAL, NULL, "out of memory");
}

static vn_status write_result(const void *res, vn_format fmt, FILE *fp)
{
    return vn_result_write(res, fmt, fp);
}

static int run(eval_args *a, int argc, char **argv)
{
    char err[512];
    vn_eval *ev = NULL;
    vn_result *res = NULL;
    vn_status st = VN_OK;
    if (a->from_states) {
        const int rc = cli_states_load(a->states, a->nstates, a->c.ec.threads, &ev);
        if (rc != 0)
            return rc;
    } else {
        st = vn_eval_new(&a->c.ec, &ev, err, sizeof err);
        if (st != VN_OK)
            return cli_error(cli_exit_code(st), NULL, "%s", err);
        st = vn_eval_csv(ev, a->file, &a->c.cc);
        if (st == VN_OK && a->train)
            st = vn_eval_train_csv(ev, a->train, &a->c.cc);
    }
    if (st == VN_OK && a->save_state) {
        const int rc = cli_state_save(ev, a->save_state);
        if (rc != 0) {
            vn_eval_free(ev);
            return rc;
        }
    }
    if (st == VN_OK)
        st = vn_eval_finish(ev, &res);
    if (st != VN_OK) {
        const int rc = cli_error(cli_exit_code(st), NULL, "%s", vn_eval_errmsg(ev));
        vn_eval_free(ev);
        return rc;
    }
    vn_eval_free(ev);
    int rc = a->ncolumns ? add_worst_slices(a, res) : 0;
    if (rc == 0)
        rc = cli_monitor_apply(&a->mon, &a->c, a->file, res);
    if (rc == 0)
        rc = a->mon.fair ? cli_monitor_write(&a->mon, &a->c, res)
                         : cli_write_output(a->c.out, write_result, res, a->c.fmt);
    if (rc == 0 && a->c.log)
        rc = cli_log_run(a->c.store, res, "eval", argc, argv, a->c.name, a->c.tags, a->c.ntags,
                         a->c.ec.metrics ? a->c.ec.metrics
                                         : vn_task_default_metrics(a->c.ec.task));
    vn_result_free(res);
    return rc;
}

static int eval_main(int argc, char **argv, char **typed)
{
    eval_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    cli_monitor_init(&a.mon);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = run(&a, argc, typed);
    cli_monitor_free(&a.mon);
    free(a.columns);
    cli_common_free(&a.c);
    return rc;
}

int cmd_eval(int argc, char **argv) { return cli_with_typed_argv(argc, argv, eval_main); }
