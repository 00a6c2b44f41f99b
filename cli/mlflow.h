/*
 * mlflow.h — `vernier runs export-mlflow` (mlflow.c), and the two helpers it shares
 * with cmd_runs.c: run times in milliseconds and numbers written to round-trip.
 */
#ifndef VN_CLI_MLFLOW_H
#define VN_CLI_MLFLOW_H

#include "vernier.h"

#include <stdint.h>

/* Parses an ISO 8601 time "YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH:MM]" into
 * milliseconds since 1970-01-01T00:00:00Z; no zone means UTC. *unit (may be NULL)
 * receives the length in milliseconds of the finest field given (a day, a minute, a
 * second, a millisecond), so that "until 2026-11-28" can mean the whole day.
 * Returns 0, or -1 when s is not such a time. (cmd_runs.c) */
int cli_time_ms(const char *s, int64_t *ms, int64_t *unit);

/* The shortest of %.15g, %.16g, %.17g that reads back as x: exact, and still readable
 * (0.1, not 0.10000000000000001). "" for NaN and infinities. (cmd_runs.c) */
void cli_num_exact(char *buf, size_t len, double x);

/* Where and how to write the runs. */
typedef struct cli_mlflow_opts {
    const char *dir;             /* the mlruns directory (created when missing) */
    const char *experiment_id;   /* "0" unless given */
    const char *experiment_name; /* "vernier" unless given; used only when the experiment
                                    directory is new */
} cli_mlflow_opts;

/* Writes runs[0..n) into MLflow's file-store layout (docs/runs.md, "MLflow export"):
 * DIR/<experiment_id>/meta.yaml when missing, then one directory per run, each written
 * under a temporary name and renamed into place, so MLflow sees a run whole or not at
 * all; a run exported before is replaced. Prints one line per run on stderr.
 * Returns 0 or an exit code (the error printed). */
int cli_mlflow_export(vn_store *st, const cli_mlflow_opts *opt, const vn_run *const *runs,
                      size_t n);

#endif
