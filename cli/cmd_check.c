/*
 * cmd_check.c — `vernier check`: apply a spec's gates for CI, and `vernier spec`: write a
 * starter spec or validate one without data.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char check_help[] =
    "usage: vernier check [--spec FILE] [options]\n"
    "\n"
    "Evaluates the data a spec (vernier.yaml, docs/spec.md) names, applies every gate to\n"
    "every slice it chooses, prints a verdict table and exits 0 when every error-severity\n"
    "gate passed, 1 when one failed (or could not be applied), 3 for a spec or data\n"
    "error, 5 when no gate could be applied at all. Each gate x slice is pass, fail,\n"
    "warn (a failing warn-severity gate), skipped (slice below min_count, baseline\n"
    "missing with on_missing: skip) or error (the metric is undefined there).\n"
    "\n"
    "options:\n"
    "      --spec FILE         the spec (default vernier.yaml; - reads standard input)\n"
    "      --data FILE         evaluate this file instead of the spec's data.path\n"
    "      --store FILE        the run store holding the baseline run (overrides\n"
    "                          baseline.store)\n"
    "  -f, --format FMT        table (default), json (schema vernier.check/1), junit, md,\n"
    "                          github (workflow-command annotations)\n"
    "  -o, --output FILE       write there instead of standard output (atomically)\n"
    "      --junit FILE        also write JUnit XML there (overrides ci.junit)\n"
    "      --markdown FILE     also write the Markdown summary there (ci.markdown)\n"
    "      --json FILE         also write the JSON results there (ci.json)\n"
    "      --github MODE       auto (default: on when GITHUB_ACTIONS=true), on, off. On:\n"
    "                          print ::error/::warning annotations on the gates' lines\n"
    "                          (at most 10, failures first) and append the Markdown\n"
    "                          summary to $GITHUB_STEP_SUMMARY\n"
    "      --threads N         worker threads (default 1; 0 = one per CPU)\n"
    "\n"
    "examples:\n"
    "  vernier spec init && $EDITOR vernier.yaml\n"
    "  vernier check\n"
    "  vernier check --spec examples/vernier.yaml --junit reports/vernier.xml\n"
    "  vernier check --data nightly.csv.gz --format json -o check.json\n"
    "\n"
    "Exit codes: 0 all gates passed, 1 a gate failed, 2 usage error, 3 spec or data\n"
    "error, 4 I/O error, 5 nothing could be evaluated (or an internal error)\n";

static const char spec_help[] =
    "usage: vernier spec init [FILE] [--force]\n"
    "       vernier spec check [FILE]\n"
    "\n"
    "init writes a commented starter spec (default vernier.yaml; never over an existing\n"
    "file unless --force). check validates a spec without reading data: unknown keys,\n"
    "wrong types, unknown metric ids, gates on undefined metrics or slices, duplicate\n"
    "ids, YAML anchors and aliases are errors naming the file, line and column.\n"
    "Every key is documented in docs/spec.md.\n"
    "\n"
    "Exit codes: 0 ok, 2 usage error (or the file exists), 3 the spec is invalid,\n"
    "4 I/O error\n";

static vn_status write_check(const void *c, vn_format fmt, FILE *fp)
{
    return vn_check_write(c, (vn_check_format)fmt, fp);
}

/* Creates the missing directories above path (mkdir -p of its dirname). */
static int make_parents(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return 0; /* let the open report it */
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cli_error(EXIT_IO, NULL, "%s: cannot create directory: %s", buf, strerror(errno));
        *p = '/';
    }
    return 0;
}

/* Writes one of the CI outputs to path (atomically), creating its directory. */
static int side_output(const vn_check *c, const char *path, vn_check_format fmt)
{
    if (!path)
        return 0;
    const int rc = make_parents(path);
    return rc ? rc : cli_write_output(path, write_check, c, (vn_format)fmt);
}

int cmd_check(int argc, char **argv)
{
    enum { O_SPEC = 256, O_DATA, O_STORE, O_JUNIT, O_MD, O_JSON, O_GH, O_THREADS };
    static const struct option opts[] = {
        {"spec", required_argument, 0, O_SPEC},     {"data", required_argument, 0, O_DATA},
        {"store", required_argument, 0, O_STORE},   {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'},      {"junit", required_argument, 0, O_JUNIT},
        {"markdown", required_argument, 0, O_MD},   {"json", required_argument, 0, O_JSON},
        {"github", required_argument, 0, O_GH},     {"threads", required_argument, 0, O_THREADS},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    const char *hint = "run 'vernier check --help' for the options";
    vn_check_config cfg = {0};
    cfg.threads = 1;
    const char *out = NULL, *junit = NULL, *md = NULL, *json = NULL;
    int github = -2; /* not given */
    vn_check_format fmt = VN_CHECK_TABLE;
    unsigned long long u;
    optind = 1;
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h': fputs(check_help, stdout); return EXIT_OK;
        case O_SPEC: cfg.spec = optarg; break;
        case O_DATA: cfg.data = optarg; break;
        case O_STORE: cfg.store = optarg; break;
        case 'o': out = optarg; break;
        case O_JUNIT: junit = optarg; break;
        case O_MD: md = optarg; break;
        case O_JSON: json = optarg; break;
        case 'f': {
            static const char *const names[] = {"table", "json", "junit", "md", "github"};
            size_t k = 0;
            while (k < 5 && strcmp(optarg, names[k]) != 0)
                k++;
            if (k == 5 && strcmp(optarg, "markdown") == 0)
                k = 3;
            if (k == 5)
                return cli_error(EXIT_USAGE, hint, "--format takes table, json, junit, md or github, not \"%s\"", optarg);
            fmt = (vn_check_format)k;
            break;
        }
        case O_GH:
            if (strcmp(optarg, "auto") == 0)
                github = -1;
            else if (strcmp(optarg, "on") == 0 || strcmp(optarg, "true") == 0)
                github = 1;
            else if (strcmp(optarg, "off") == 0 || strcmp(optarg, "false") == 0)
                github = 0;
            else
                return cli_error(EXIT_USAGE, hint, "--github takes auto, on or off, not \"%s\"", optarg);
            break;
        case O_THREADS:
            if (cli_parse_u64(optarg, &u) != 0 || u > 256)
                return cli_error(EXIT_USAGE, hint, "--threads needs 0 to 256, not \"%s\"", optarg);
            cfg.threads = (int)u;
            break;
        case ':':
            return cli_error(EXIT_USAGE, hint, "option %s needs a value", argv[optind - 1]);
        default:
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_error(EXIT_USAGE, hint, "unexpected argument \"%s\" (the spec is given with --spec)", argv[optind]);
    char err[1024];
    vn_check *chk = NULL;
    const vn_status st = vn_check_run(&cfg, &chk, err, sizeof err);
    if (st != VN_OK)
        return cli_error(st == VN_ERR_NOMEM || st == VN_ERR_INTERNAL ? EXIT_INTERNAL : cli_exit_code(st),
                         NULL, "%s", err);
    int rc = cli_write_output(out, write_check, chk, (vn_format)fmt);
    if (rc == 0)
        rc = side_output(chk, junit ? junit : vn_check_junit_path(chk), VN_CHECK_JUNIT);
    if (rc == 0)
        rc = side_output(chk, md ? md : vn_check_markdown_path(chk), VN_CHECK_MD);
    if (rc == 0)
        rc = side_output(chk, json ? json : vn_check_json_path(chk), VN_CHECK_JSON);
    if (github == -2)
        github = vn_check_github(chk);
    if (github == -1) {
        const char *ga = getenv("GITHUB_ACTIONS");
        github = ga && strcmp(ga, "true") == 0;
    }
    if (rc == 0 && github) {
        if (fmt != VN_CHECK_GITHUB)
            vn_check_write(chk, VN_CHECK_GITHUB, stdout);
        const char *summary = getenv("GITHUB_STEP_SUMMARY");
        if (summary && *summary) { /* GitHub's file is appended to, by design */
            FILE *fp = fopen(summary, "a");
            if (!fp || vn_check_write(chk, VN_CHECK_MD, fp) != VN_OK || fclose(fp) != 0)
                rc = cli_error(EXIT_IO, NULL, "%s: cannot append the step summary: %s", summary,
                               strerror(errno));
        }
    }
    if (rc == 0)
        rc = vn_check_verdict(chk);
    vn_check_free(chk);
    return rc;
}

int cmd_spec(int argc, char **argv)
{
    const char *hint = "run 'vernier spec --help' for the usage";
    if (argc < 2)
        return cli_error(EXIT_USAGE, hint, "name a subcommand: init or check");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(spec_help, stdout);
        return EXIT_OK;
    }
    const char *file = NULL;
    int force = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(spec_help, stdout);
            return EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_error(EXIT_USAGE, hint, "unknown option \"%s\"", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_error(EXIT_USAGE, hint, "one file only; unexpected \"%s\"", argv[i]);
    }
    if (!file)
        file = "vernier.yaml";
    if (strcmp(argv[1], "init") == 0) {
        if (!force && strcmp(file, "-") != 0 && access(file, F_OK) == 0)
            return cli_error(EXIT_USAGE, "pass --force to replace it", "%s already exists", file);
        cli_output o;
        int rc = cli_output_open(&o, strcmp(file, "-") == 0 ? NULL : file);
        if (rc != 0)
            return rc;
        fputs(vn_spec_template(), o.fp);
        rc = cli_output_commit(&o);
        if (rc == 0 && strcmp(file, "-") != 0)
            fprintf(stderr, "vernier: wrote %s: edit data, metrics and gates, then run 'vernier check'\n", file);
        return rc;
    }
    if (strcmp(argv[1], "check") == 0) {
        if (force)
            return cli_error(EXIT_USAGE, hint, "--force is for init");
        char err[1024];
        const vn_status st = vn_spec_validate(file, err, sizeof err);
        if (st != VN_OK)
            return cli_error(cli_exit_code(st), NULL, "%s", err);
        printf("%s: valid\n", strcmp(file, "-") == 0 ? "<stdin>" : file);
        return EXIT_OK;
    }
    return cli_error(EXIT_USAGE, hint, "unknown subcommand \"%s\" (init or check)", argv[1]);
}
