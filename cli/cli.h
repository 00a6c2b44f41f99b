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

int cmd_eval(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_runs(int argc, char **argv);

#endif
