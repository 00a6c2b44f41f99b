/*
 * cli.h — what the `vernier` commands share: error reporting, exit codes, and atomic
 * output files. The CLI uses only the public API in vernier.h.
 */
#ifndef VN_CLI_H
#define VN_CLI_H

#include "vernier.h"

#include <stdio.h>

/* Exit codes are API (documented in --help and docs/cli.md). */
enum {
    EXIT_OK = 0,
    EXIT_GATE = 1,     /* a gate failed (vernier check) */
    EXIT_USAGE = 2,    /* bad command line */
    EXIT_DATA = 3,     /* bad input data or spec */
    EXIT_IO = 4,       /* a file or store could not be read or written */
    EXIT_INTERNAL = 5, /* a bug, or out of memory */
};

/* Prints "vernier: error: MESSAGE" (and "hint: HINT" when hint is not NULL) to stderr;
 * returns code. */
int cli_error(int code, const char *hint, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The exit code for a library status. */
int cli_exit_code(vn_status st);

/* Output that appears whole or not at all: "-" or NULL is stdout; a path is written to a
 * temporary file beside it (with the mode the file has, or 0666 & ~umask) and renamed
 * into place by cli_output_commit; a path that exists and is not a regular file (a
 * device, a FIFO) is written in place. */
typedef struct cli_output {
    FILE *fp;
    char *path, *tmp;
    int direct; /* not a regular file: written in place */
} cli_output;

int cli_output_open(cli_output *o, const char *path);  /* 0 or an exit code */
int cli_output_commit(cli_output *o);                  /* 0 or an exit code */
void cli_output_abort(cli_output *o);                  /* removes the temporary file */

/* The commit (40 hex digits) checked out in the working directory's git repository;
 * 0, or -1 when there is none. Reads .git directly (git.c). */
int cli_git_commit(char out[41]);

/* Records a result in the run store (--log): argv as the command line, tags "k=v".
 * Prints "vernier: logged run ID to PATH" on stderr. 0 or an exit code. */
int cli_log_run(const char *store, const vn_result *res, const char *command, int argc,
                char **argv, const char *name, char **tags, size_t ntags, const char *spec);

/* ---- options shared by eval and compare (options.c) ---- */
enum {
    CLI_O_BY = 256, CLI_O_MIN, CLI_O_ZERO, CLI_O_R2C, CLI_O_NOHDR, CLI_O_MISSING, CLI_O_THREADS,
    CLI_O_MAXF, CLI_O_LOG, CLI_O_TAG, CLI_O_NAME, CLI_O_RES, CLI_O_SEED, CLI_O_BLOCK,
    CLI_O_QUANT,
    CLI_O_FIRST_OWN = 320 /* a command's own long options start here */
};

/* The getopt_long entries of the shared options (-y, -w, -m, -d, -t, -f, -o and the long
 * ones above); a command lists them first, then its own. */
#define CLI_COMMON_LONGOPTS                                                                   \
    {"actual", required_argument, 0, 'y'}, {"weight", required_argument, 0, 'w'},             \
    {"metrics", required_argument, 0, 'm'}, {"by", required_argument, 0, CLI_O_BY},           \
    {"min-count", required_argument, 0, CLI_O_MIN}, {"zero", required_argument, 0, CLI_O_ZERO}, \
    {"r2-constant", required_argument, 0, CLI_O_R2C},                                         \
    {"delimiter", required_argument, 0, 'd'}, {"tsv", no_argument, 0, 't'},                   \
    {"no-header", no_argument, 0, CLI_O_NOHDR},                                               \
    {"missing", required_argument, 0, CLI_O_MISSING},                                         \
    {"threads", required_argument, 0, CLI_O_THREADS},                                         \
    {"max-field", required_argument, 0, CLI_O_MAXF}, {"format", required_argument, 0, 'f'},   \
    {"output", required_argument, 0, 'o'}, {"log", optional_argument, 0, CLI_O_LOG},          \
    {"tag", required_argument, 0, CLI_O_TAG}, {"name", required_argument, 0, CLI_O_NAME},     \
    {"resamples", required_argument, 0, CLI_O_RES}, {"seed", required_argument, 0, CLI_O_SEED}, \
    {"block-size", required_argument, 0, CLI_O_BLOCK},                                       \
    {"quantiles", required_argument, 0, CLI_O_QUANT}

typedef struct cli_common {
    vn_eval_config ec;
    vn_csv_config cc;
    const char *out;
    vn_format fmt;
    char **by;
    size_t nby;
    int log;
    const char *store, *name;
    char **tags;
    size_t ntags;
} cli_common;

void cli_common_init(cli_common *a);
void cli_common_free(cli_common *a);
/* Applies a shared option: -1 when applied, -2 when c is not a shared option, else an
 * exit code (the error is printed). */
int cli_common_option(int c, char *arg, cli_common *a, const char *hint);
/* Checks and wires the shared options after parsing: -1 to go on, else an exit code. */
int cli_common_finish(cli_common *a, const char *hint);
/* Writes obj with write() to path (NULL or "-": stdout) atomically: 0 or an exit code. */
int cli_write_output(const char *path, vn_status (*write)(const void *obj, vn_format fmt, FILE *fp),
                     const void *obj, vn_format fmt);
/* Runs cmd with argv (which getopt may permute) and a copy in the order typed. */
int cli_with_typed_argv(int argc, char **argv, int (*cmd)(int argc, char **argv, char **typed));
/* --ci[=LEVEL] / --level: a level in (0, 1) (arg NULL: 0.95) into *level; -1 or an exit
 * code (the error printed, naming opt). */
int cli_parse_level(const char *opt, const char *arg, double *level, const char *hint);
/* --ci-method: auto, percentile (alias bootstrap), bca (when with_bca), analytic; -1 or an
 * exit code. */
int cli_parse_ci_method(const char *arg, int with_bca, vn_ci_method *m, const char *hint);
/* --columns of eval and report: the worst-slice search over file's columns on `metric`,
 * else the result's first metric with a direction that is not a count, falling back to
 * mae when the search cannot take it; top 0 = the search's default. 0 or an exit code. */
int cli_find_slices(const char *file, const vn_csv_config *cc, const char *yhat,
                    vn_zero_policy zero, char *const *columns, size_t ncolumns,
                    const char *metric, const vn_result *res, size_t top, vn_slices **out);
int cli_split_into(char *s, char ***list, size_t *n);
int cli_parse_u64(const char *s, unsigned long long *out);

/* ---- evaluation states on disk (states.c) ---- */
/* Reads the state files (each "-" or a path) and merges them in order into *out. 0 or an
 * exit code (3 for an invalid or mismatched state). */
int cli_states_load(char *const *files, size_t n, int threads, vn_eval **out);
/* Writes ev's state to path atomically ("-": stdout). 0 or an exit code. */
int cli_state_save(const vn_eval *ev, const char *path);

/* ---- eval's monitoring options (monitor.c): --sensitive, --threshold, --diagnose ---- */
enum { CLI_O_SENSITIVE = 300, CLI_O_THRESHOLD, CLI_O_LABEL_THRESHOLD, CLI_O_DIAGNOSE };
#define CLI_MONITOR_LONGOPTS                                                                  \
    {"sensitive", required_argument, 0, CLI_O_SENSITIVE},                                     \
    {"threshold", required_argument, 0, CLI_O_THRESHOLD},                                     \
    {"label-threshold", required_argument, 0, CLI_O_LABEL_THRESHOLD},                         \
    {"diagnose", no_argument, 0, CLI_O_DIAGNOSE}

typedef struct cli_monitor {
    const char *sensitive;
    double threshold, label_threshold; /* NaN when not given */
    int diagnose;
    vn_fairness *fair;   /* after cli_monitor_apply, for the outputs */
    vn_diagnosis *diag;
} cli_monitor;

void cli_monitor_init(cli_monitor *m);
void cli_monitor_free(cli_monitor *m);
/* Applies one of the options above: -1 applied, -2 not one of them, else an exit code. */
int cli_monitor_option(int c, const char *arg, cli_monitor *m, const char *hint);
/* After the options, before cli_common_finish: checks them (file: the input, NULL when
 * none; from_states: the input is states) and makes --sensitive the one by column with
 * intervals on (0.95 unless --ci says otherwise). -1 to go on, else an exit code. */
int cli_monitor_finish(cli_monitor *m, cli_common *c, const char *file, int from_states,
                       const char *hint);
/* After the evaluation: runs the diagnosis and builds the fairness comparison (kept in m
 * for the outputs) and adds their findings to res's notes. 0 or an exit code. */
int cli_monitor_apply(cli_monitor *m, const cli_common *c, const char *file, vn_result *res);
/* Writes res to c->out in c->fmt — with --sensitive followed by the fairness comparison
 * (table, md), as {"eval": ..., "fairness": ...} (json), or the gaps alone (csv). */
int cli_monitor_write(const cli_monitor *m, const cli_common *c, const vn_result *res);

int cmd_eval(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_slices(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);

#endif
