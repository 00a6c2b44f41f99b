/*
 * cmd_drift.c — `vernier drift`: has the data moved between a reference and a current
 * table? Per column psi, Kolmogorov–Smirnov, Wasserstein, Jensen–Shannon, chi-square,
 * a verdict per column and for the dataset.
 */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: vernier drift --reference REF --current CUR [options]\n"
    "       vernier drift REF CUR [options]\n"
    "\n"
    "Compares the distribution of every column the two files share (matched by header\n"
    "name): the reference is what the model was trained or last validated on, the\n"
    "current what it sees now. A column is numeric when every non-empty cell of both\n"
    "files is a number, else categorical. Per column:\n"
    "  psi             population stability index over the reference's quantile bins\n"
    "                  (deciles by default); an empty bin counts as 0.0001\n"
    "  ks              Kolmogorov-Smirnov statistic max|F_ref - F_cur| and p-value (exact\n"
    "                  when both files have <= 10000 values, else asymptotic)\n"
    "  wasserstein     Wasserstein-1 distance divided by the reference's standard deviation\n"
    "  jensen_shannon  Jensen-Shannon distance (natural log, 0 to 0.83) of the bins or values\n"
    "  chi2            chi-square test of homogeneity over the bins or values\n"
    "One of them decides each column's verdict. By default (--test auto): numeric columns\n"
    "ks when the reference has <= 1000 values, else wasserstein; categorical columns chi2,\n"
    "else jensen_shannon. The dataset has drifted when at least half of the tested\n"
    "columns have.\n"
    "\n"
    "files:\n"
    "      --reference FILE    the reference table (CSV/TSV, gzip or not; - for stdin)\n"
    "      --current FILE      the current table (one of the two may be -)\n"
    "      --columns COL[,COL...]\n"
    "                          compare only these (default: every column in both files)\n"
    "\n"
    "statistics:\n"
    "      --stats LIST        which to compute (default all five). With only psi,\n"
    "                          jensen_shannon and chi2 no row is held in memory: the\n"
    "                          reference is read 2-5 times, the current file once\n"
    "      --test NAME         the deciding statistic: auto (default), psi, ks,\n"
    "                          wasserstein, jensen_shannon, chi2\n"
    "      --threshold NAME=V[,NAME=V...]\n"
    "                          drift when psi >= 0.1, wasserstein >= 0.1, jensen_shannon\n"
    "                          >= 0.1, ks p < 0.05, chi2 p < 0.05 (the defaults)\n"
    "      --bins N            quantile bins of a numeric column (default 10, 2 to 100)\n"
    "      --psi-floor X       an empty bin's share in psi (default 0.0001)\n"
    "      --small N           reference size up to which auto uses ks / chi2 (default 1000)\n"
    "      --drift-share S     share of drifted columns that makes the dataset drift\n"
    "                          (default 0.5)\n"
    "      --max-values N      leave out a text column with more distinct values (default\n"
    "                          1000)\n"
    "      --fail-on-drift     exit 1 when the dataset has drifted (for CI)\n"
    "\n"
    "input and output: -d/--delimiter, -t/--tsv, --no-header (columns matched by\n"
    "position), --max-field, -f/--format (table, csv, json with schema vernier.drift/1,\n"
    "md), -o/--output as for 'vernier eval'.\n"
    "\n"
    "examples:\n"
    "  vernier drift --reference train.csv --current live.csv\n"
    "  vernier drift train.csv.gz live.csv.gz --columns distance,hour,region --format json\n"
    "  vernier drift train.csv huge.csv --stats psi,chi2 --test psi --threshold psi=0.25\n"
    "  vernier drift last_week.csv today.csv --fail-on-drift\n"
    "\n"
    "Exit codes: 0 ok (drift or not, unless --fail-on-drift), 1 the dataset has drifted\n"
    "(--fail-on-drift), 2 usage error, 3 data error, 4 I/O error, 5 internal error\n";

typedef struct drift_args {
    cli_common c;
    vn_drift_config cfg;
    const char *ref, *cur;
    char **columns;
    size_t ncolumns;
    int fail;
} drift_args;

static int parse_stats(char *arg, unsigned *bits, const char *hint)
{
    for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
        vn_drift_stat s;
        if (vn_drift_stat_parse(tok, &s) != VN_OK || s == VN_DRIFT_AUTO)
            return cli_error(EXIT_USAGE, hint,
                             "--stats takes psi, ks, wasserstein, jensen_shannon, chi2; not \"%s\"", tok);
        *bits |= 1u << s;
    }
    return -1;
}

static int parse_thresholds(char *arg, double *t, const char *hint)
{
    for (char *tok = strtok(arg, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        vn_drift_stat s;
        char *end = NULL;
        if (eq)
            *eq = '\0';
        if (!eq || vn_drift_stat_parse(tok, &s) != VN_OK || s == VN_DRIFT_AUTO)
            return cli_error(EXIT_USAGE, hint,
                             "--threshold takes NAME=VALUE with NAME one of psi, ks, wasserstein, "
                             "jensen_shannon, chi2; not \"%s\"", tok);
        const double v = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(v > 0) || !isfinite(v))
            return cli_error(EXIT_USAGE, hint, "--threshold %s needs a positive number, not \"%s\"",
                             tok, eq + 1);
        t[s] = v;
    }
    return -1;
}

static int parse_double_opt(const char *opt, const char *arg, double lo, double hi, double *out,
                            const char *hint)
{
    char *end = NULL;
    const double v = strtod(arg, &end);
    if (end == arg || *end || !(v > lo) || !(v <= hi))
        return cli_error(EXIT_USAGE, hint, "%s needs a number in (%g, %g], not \"%s\"", opt, lo, hi, arg);
    *out = v;
    return -1;
}

static int parse_args(int argc, char **argv, drift_args *a)
{
    enum { O_REF = CLI_O_FIRST_OWN, O_CUR, O_COLUMNS, O_STATS, O_TEST, O_THRESH, O_BINS, O_FLOOR,
           O_SMALL, O_SHARE, O_MAXV, O_FAIL };
    static const struct option opts[] = {
        {"reference", required_argument, 0, O_REF},   {"current", required_argument, 0, O_CUR},
        {"columns", required_argument, 0, O_COLUMNS}, {"stats", required_argument, 0, O_STATS},
        {"test", required_argument, 0, O_TEST},       {"threshold", required_argument, 0, O_THRESH},
        {"bins", required_argument, 0, O_BINS},       {"psi-floor", required_argument, 0, O_FLOOR},
        {"small", required_argument, 0, O_SMALL},     {"drift-share", required_argument, 0, O_SHARE},
        {"max-values", required_argument, 0, O_MAXV}, {"fail-on-drift", no_argument, 0, O_FAIL},
        {"delimiter", required_argument, 0, 'd'},     {"tsv", no_argument, 0, 't'},
        {"no-header", no_argument, 0, CLI_O_NOHDR},   {"max-field", required_argument, 0, CLI_O_MAXF},
        {"format", required_argument, 0, 'f'},        {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},                {0, 0, 0, 0}};
    const char *hint = "run 'vernier drift --help' for the options";
    vn_drift_config *cfg = &a->cfg;
    unsigned long long u;
    int rc;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":d:tf:o:h", opts, NULL)) != -1;) {
        rc = cli_common_option(c, optarg, &a->c, hint);
        if (rc >= 0)
            return rc;
        if (rc == -1)
            continue;
        switch (c) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case O_REF: a->ref = optarg; break;
        case O_CUR: a->cur = optarg; break;
        case O_COLUMNS:
            if (cli_split_into(optarg, &a->columns, &a->ncolumns) != 0)
                return cli_error(EXIT_INTERNAL, NULL, "out of memory");
            break;
        case O_STATS:
            if ((rc = parse_stats(optarg, &cfg->stats, hint)) >= 0)
                return rc;
            break;
        case O_TEST:
            if (vn_drift_stat_parse(optarg, &cfg->test) != VN_OK)
                return cli_error(EXIT_USAGE, hint,
                                 "--test takes auto, psi, ks, wasserstein, jensen_shannon or chi2, not \"%s\"",
                                 optarg);
            break;
        case O_THRESH:
            if ((rc = parse_thresholds(optarg, cfg->threshold, hint)) >= 0)
                return rc;
            break;
        case O_BINS:
            if (cli_parse_u64(optarg, &u) != 0 || u < 2 || u > 100)
                return cli_error(EXIT_USAGE, hint, "--bins needs 2 to 100, not \"%s\"", optarg);
            cfg->bins = (unsigned)u;
            break;
        case O_FLOOR:
            if ((rc = parse_double_opt("--psi-floor", optarg, 0, 0.5, &cfg->psi_floor, hint)) >= 0)
                return rc;
            break;
        case O_SHARE:
            if ((rc = parse_double_opt("--drift-share", optarg, 0, 1, &cfg->drift_share, hint)) >= 0)
                return rc;
            break;
        case O_SMALL:
            if (cli_parse_u64(optarg, &u) != 0)
                return cli_error(EXIT_USAGE, hint, "--small needs a whole number, not \"%s\"", optarg);
            cfg->small = u;
            break;
        case O_MAXV:
            if (cli_parse_u64(optarg, &u) != 0 || u < 2 || u > 1000000)
                return cli_error(EXIT_USAGE, hint, "--max-values needs 2 to 1000000, not \"%s\"", optarg);
            cfg->max_values = (size_t)u;
            break;
        case O_FAIL: a->fail = 1; break;
        case ':':
            return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (!a->ref)
            a->ref = argv[i];
        else if (!a->cur)
            a->cur = argv[i];
        else
            return cli_error(EXIT_USAGE, hint, "two files: the reference and the current; unexpected \"%s\"",
                             argv[i]);
    }
    if (!a->ref || !a->cur)
        return cli_error(EXIT_USAGE, hint, "name the reference and the current file (--reference REF --current CUR)");
    if (strcmp(a->ref, "-") == 0 && strcmp(a->cur, "-") == 0)
        return cli_error(EXIT_USAGE, hint, "only one of the two files can be standard input");
    if (cfg->test != VN_DRIFT_AUTO && cfg->stats && !(cfg->stats >> cfg->test & 1u))
        return cli_error(EXIT_USAGE, hint, "--test %s is not among --stats", vn_drift_stat_name(cfg->test));
    cfg->delimiter = a->c.cc.delimiter;
    cfg->header = a->c.cc.header;
    cfg->max_field = a->c.cc.max_field;
    cfg->column_count = a->ncolumns;
    cfg->columns = (const char *const *)a->columns;
    return -1;
}

static vn_status write_drift(const void *obj, vn_format fmt, FILE *fp)
{
    return vn_drift_write(obj, fmt, fp);
}

int cmd_drift(int argc, char **argv)
{
    drift_args a;
    memset(&a, 0, sizeof a);
    cli_common_init(&a.c);
    vn_drift_config_init(&a.cfg);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0) {
        char err[512];
        vn_drift *d = NULL;
        const vn_status st = vn_drift_run(a.ref, a.cur, &a.cfg, &d, err, sizeof err);
        if (st != VN_OK) {
            rc = cli_error(cli_exit_code(st), NULL, "%s", err);
        } else {
            rc = cli_write_output(a.c.out, write_drift, d, a.c.fmt);
            if (rc == 0 && a.fail && vn_drift_summary(d)->dataset_drift)
                rc = EXIT_GATE;
        }
        vn_drift_free(d);
    }
    free(a.columns);
    cli_common_free(&a.c);
    return rc;
}
