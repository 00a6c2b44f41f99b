/*
 * test_store.c — the run store (src/store.c) through the public API: a logged result
 * reads back bit-identically; selectors, tags, deletes; refusal of files that are not a
 * vernier store (newer schema, not SQLite, another application's database) without
 * touching them; a read-only directory; a full disk (RLIMIT_FSIZE); the crash hook at
 * every step of a log; a failing allocation at every step of open + log + find.
 *
 * The test links SQLite directly to look at the file from outside (integrity_check,
 * cascades, a user_version from the future), as an independent reader would.
 *
 * Timing: `test_store --bench` prints the time to log one run of 20 slices x 16 metrics
 * and 1000 such runs (docs/store.md quotes it).
 */
#include "vernier.h"
#include "alloc_hook.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/vn_store_XXXXXX";

static char *path_in(const char *name)
{
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", dir, name);
    return b;
}

/* ---------------------------------------------------------------------------------
 * Results to log.
 * ------------------------------------------------------------------------------- */

/* A result over nslices - 1 groups of two by columns ("g", "h"), built through the public
 * API. Group 1 has y == 0 rows (mape undefined, with a message) and the last group has
 * one row (r2 undefined: too few rows). */
static vn_result *make_result(size_t nslices, const char *metrics)
{
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = metrics;
    const char *by[] = {"g", "h"};
    cfg.by_count = 2;
    cfg.by_names = by;
    vn_eval *ev = NULL;
    char err[256];
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK) {
        fprintf(stderr, "vn_eval_new: %s\n", err);
        return NULL;
    }
    enum { ROWS = 600 };
    double y[ROWS], p[ROWS];
    uint32_t sl[ROWS];
    const size_t groups = nslices > 1 ? nslices - 1 : 1;
    for (size_t i = 0; i < ROWS; i++) {
        const size_t g = i < ROWS - 1 ? i % (groups > 1 ? groups - 1 : 1) : groups - 1;
        char gv[32], hv[32];
        snprintf(gv, sizeof gv, "grp%02zu", g);
        snprintf(hv, sizeof hv, "%s", g % 2 ? "x,y" : "z=1"); /* labels with , and = */
        const char *vals[] = {gv, hv};
        if (vn_eval_slice(ev, vals, NULL, &sl[i]) != VN_OK)
            return NULL;
        y[i] = g == 1 && i % 7 == 0 ? 0.0 : 1.0 + (double)(i % 37) * 0.37;
        p[i] = y[i] + ((double)(i % 11) - 5.0) * 0.123456789;
    }
    const vn_rows rows = {ROWS, y, 1, p, 1, NULL, 1, sl};
    vn_result *res = NULL;
    if (vn_eval_update(ev, &rows) != VN_OK || vn_eval_finish(ev, &res) != VN_OK) {
        vn_eval_free(ev);
        return NULL;
    }
    vn_eval_free(ev);
    return res;
}

static vn_status log_run(vn_store *st, const vn_result *res, const char *name, const char *tk,
                         const char *tv, char id[VN_RUN_ID_LEN + 1])
{
    const char *keys[] = {tk}, *vals[] = {tv};
    const vn_run_meta meta = {name, "eval", "[\"vernier\",\"eval\"]", "mae,rmse", "0123abcd",
                              tk ? 1 : 0, keys, vals};
    return vn_store_log(st, res, &meta, id);
}

/* ---------------------------------------------------------------------------------
 * Looking at the file from outside.
 * ------------------------------------------------------------------------------- */
static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return v;
}

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int integrity_ok(const char *path)
{
    sqlite3 *db = NULL;
    int ok = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            ok = strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0;
        sqlite3_finalize(q);
        if (ok && sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &q, NULL) == SQLITE_OK)
            ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return ok;
}

/* Runs whose stored values do not number n_slices x n_metrics, or whose slices do not
 * number n_slices: partial runs. */
static long long partial_runs(const char *path)
{
    return sql_int(path,
                   "SELECT count(*) FROM runs r WHERE "
                   "(SELECT count(*) FROM run_values v WHERE v.run_id = r.id) != "
                   "r.n_slices * r.n_metrics OR "
                   "(SELECT count(*) FROM run_slices s WHERE s.run_id = r.id) != r.n_slices");
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *b = malloc(1 << 20);
    *len = fread(b, 1, 1 << 20, fp);
    fclose(fp);
    return b;
}

static void remove_store(const char *path)
{
    char b[600];
    unlink(path);
    snprintf(b, sizeof b, "%s-wal", path);
    unlink(b);
    snprintf(b, sizeof b, "%s-shm", path);
    unlink(b);
}

static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Runs fn in a child process (to change uid or resource limits without affecting this
 * one) and adds its CHECK counts to ours. Returns the child's exit status. */
static int in_child(void (*fn)(void))
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        unit_pass = unit_fail = 0;
        fn();
        const int counts[2] = {unit_pass, unit_fail};
        if (write(fds[1], counts, sizeof counts) != (ssize_t)sizeof counts)
            _exit(99);
        close(fds[1]);
        exit(0); /* exit, not _exit: a leak checker in the child still reports */
    }
    close(fds[1]);
    int counts[2] = {0, 1}, status = 0;
    if (read(fds[0], counts, sizeof counts) != (ssize_t)sizeof counts)
        counts[1] = 1;
    close(fds[0]);
    waitpid(pid, &status, 0);
    unit_pass += counts[0];
    unit_fail += counts[1];
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    return status;
}

/* ---------------------------------------------------------------------------------
 * Round trip.
 * ------------------------------------------------------------------------------- */
static void test_round_trip(void)
{
    vn_result *res = make_result(6, "mae,rmse,mape,r2,huber:delta=2,p95_abs_error,count");
    CHECK(res != NULL);
    if (!res)
        return;
    const char *path = path_in("sub/runs.db"); /* the parent directory is created */
    vn_store *st = NULL;
    char err[512], id[VN_RUN_ID_LEN + 1];
    CHECKF(vn_store_open(path, &st, err, sizeof err) == VN_OK, "%s", err);
    if (!st)
        return;
    CHECK(strcmp(vn_store_path(st), path) == 0);
    CHECK(sql_int(path, "PRAGMA user_version") == VN_STORE_SCHEMA);
    CHECK(sql_int(path, "PRAGMA application_id") == 0x766e7273);

    const char *keys[] = {"stage", "model", "stage"}, *vals[] = {"dev", "gbm", "prod"};
    const vn_run_meta meta = {"baseline", NULL, "[\"vernier\",\"eval\",\"a.csv\"]", "mae,rmse",
                              "0123456789abcdef0123456789abcdef01234567", 3, keys, vals};
    CHECKF(vn_store_log(st, res, &meta, id) == VN_OK, "%s", vn_store_errmsg(st));
    CHECK(strlen(id) == VN_RUN_ID_LEN && strspn(id, "0123456789abcdef") == VN_RUN_ID_LEN);

    vn_runs *runs = NULL;
    CHECKF(vn_store_get(st, id, &runs) == VN_OK, "%s", vn_store_errmsg(st));
    CHECK(vn_runs_count(runs) == 1);
    const vn_run *r = vn_runs_at(runs, 0);
    CHECK(vn_runs_at(runs, 1) == NULL);
    if (r) {
        CHECK(strcmp(r->id, id) == 0);
        CHECK(strlen(r->created_at) == 24 && r->created_at[10] == 'T' && r->created_at[23] == 'Z');
        CHECK(strcmp(r->name, "baseline") == 0);
        CHECK(strcmp(r->command, "eval") == 0); /* the default */
        CHECK(strcmp(r->argv, meta.argv) == 0);
        CHECK(strcmp(r->spec, "mae,rmse") == 0);
        CHECK(strcmp(r->git_commit, meta.git_commit) == 0);
        CHECK(strcmp(r->version, VN_VERSION) == 0);
        CHECK(strcmp(r->source, "") == 0 && strcmp(r->data_hash, "") == 0);
        CHECK(r->rows_used == vn_result_slice_rows(res, 0) && r->rows_read == 600);
        CHECK(r->rows_missing == 0 && r->rows_zero_weight == 0);
        /* sorted by key; a repeated key keeps its last value */
        CHECK(r->ntags == 2);
        if (r->ntags == 2) {
            CHECK(strcmp(r->tag_keys[0], "model") == 0 && strcmp(r->tag_values[0], "gbm") == 0);
            CHECK(strcmp(r->tag_keys[1], "stage") == 0 && strcmp(r->tag_values[1], "prod") == 0);
        }
    }

    vn_run_values *v = NULL;
    CHECKF(vn_store_values(st, id, &v) == VN_OK, "%s", vn_store_errmsg(st));
    const size_t ns = vn_result_slice_count(res), nm = vn_result_metric_count(res);
    CHECK(vn_run_values_count(v) == ns * nm);
    size_t same = 0, undefined = 0, with_msg = 0;
    for (size_t s = 0; v && s < ns; s++)
        for (size_t m = 0; m < nm; m++) {
            const vn_run_value *rv = vn_run_values_at(v, s * nm + m);
            vn_value want;
            vn_result_get(res, s, m, &want);
            char label[256] = "overall";
            if (s > 0)
                snprintf(label, sizeof label, "g=%s,h=%s", vn_result_slice_value(res, s, 0),
                         vn_result_slice_value(res, s, 1));
            same += unit_same(rv->value, want.value) && strcmp(rv->slice, label) == 0 &&
                    strcmp(rv->metric, vn_result_metric_key(res, m)) == 0 &&
                    strcmp(rv->metric_id, vn_result_metric_info(res, m)->id) == 0 &&
                    strcmp(rv->reason, vn_reason_name(want.reason)) == 0 &&
                    strcmp(rv->message, want.message) == 0 && isnan(rv->lo) && isnan(rv->hi) &&
                    rv->rows == vn_result_slice_rows(res, s);
            undefined += isnan(rv->value) && *rv->reason;
            with_msg += *rv->message != '\0';
        }
    CHECKF(same == ns * nm, "%zu of %zu values read back identically", same, ns * nm);
    CHECKF(undefined >= 2, "undefined values in the fixture: %zu", undefined);
    CHECK(with_msg >= 2);
    vn_run_values_free(v);

    /* -0.0 is a double like any other: the value columns have no REAL affinity, which
     * would store it as the integer 0. */
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "UPDATE run_values SET value = ?1 WHERE run_id = ?2 AND slice_no = 0 "
                           "AND metric_no = 0", -1, &q, NULL);
    sqlite3_bind_double(q, 1, -0.0);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    CHECK(sqlite3_step(q) == SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);
    CHECK(vn_store_values(st, id, &v) == VN_OK);
    CHECK(v && vn_run_values_at(v, 0)->value == 0.0 && signbit(vn_run_values_at(v, 0)->value));
    vn_run_values_free(v);

    /* The list outlives the store handle: it owns its strings. */
    vn_store_close(st);
    CHECK(r && strcmp(r->name, "baseline") == 0);
    vn_runs_free(runs);
    vn_result_free(res);
    CHECK(integrity_ok(path));
    CHECK(sql_int(path, "SELECT count(*) FROM run_slice_keys") == 2 * (long long)(ns - 1));
}

/* NULL path: $VERNIER_STORE, else .vernier/runs.db in the working directory. */
static void test_default_path(void)
{
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    unsetenv("VERNIER_STORE");
    vn_store *st = NULL;
    char err[512];
    CHECKF(vn_store_open(NULL, &st, err, sizeof err) == VN_OK, "%s", err);
    CHECK(st && strcmp(vn_store_path(st), ".vernier/runs.db") == 0);
    vn_store_close(st);
    CHECK(file_exists(path_in(".vernier/runs.db")));
    setenv("VERNIER_STORE", path_in("env.db"), 1);
    CHECKF(vn_store_open("", &st, err, sizeof err) == VN_OK, "%s", err);
    CHECK(st && strcmp(vn_store_path(st), path_in("env.db")) == 0);
    vn_store_close(st);
    unsetenv("VERNIER_STORE");
    /* A name SQLite would take for a URI is a plain file name here. */
    CHECKF(vn_store_open("file:odd.db?mode=ro", &st, err, sizeof err) == VN_OK, "%s", err);
    vn_store_close(st);
    CHECK(file_exists(path_in("file:odd.db?mode=ro")));
    /* Only one missing level is created. */
    CHECK(vn_store_open("a/b/runs.db", &st, err, sizeof err) == VN_ERR_IO && st == NULL);
    CHECKF(strstr(err, "a/b/runs.db") && strstr(err, "directory"), "%s", err);
    CHECK(chdir(cwd) == 0);
}

/* ---------------------------------------------------------------------------------
 * Selectors, tags, delete.
 * ------------------------------------------------------------------------------- */
static void check_find(vn_store *st, const char *sel, size_t limit, size_t want_n,
                       const char *want_first)
{
    vn_runs *runs = NULL;
    const vn_status s = vn_store_find(st, sel, limit, &runs);
    CHECKF(s == VN_OK, "find \"%s\": %s", sel ? sel : "(null)", vn_store_errmsg(st));
    CHECKF(vn_runs_count(runs) == want_n, "find \"%s\": %zu runs, want %zu", sel ? sel : "",
           vn_runs_count(runs), want_n);
    if (want_first && vn_runs_count(runs) > 0)
        CHECKF(strcmp(vn_runs_at(runs, 0)->id, want_first) == 0, "find \"%s\": first %s, want %s",
               sel, vn_runs_at(runs, 0)->id, want_first);
    vn_runs_free(runs);
}

static void check_get(vn_store *st, const char *sel, vn_status want, const char *want_id,
                      const char *msg_part)
{
    vn_runs *runs = NULL;
    const vn_status s = vn_store_get(st, sel, &runs);
    CHECKF(s == want, "get \"%s\": status %d (%s)", sel, s, vn_store_errmsg(st));
    if (s == VN_OK)
        CHECKF(vn_runs_count(runs) == 1 && (!want_id || strcmp(vn_runs_at(runs, 0)->id, want_id) == 0),
               "get \"%s\"", sel);
    else
        CHECK(runs == NULL);
    if (msg_part)
        CHECKF(strstr(vn_store_errmsg(st), msg_part) != NULL, "get \"%s\": message \"%s\" lacks "
               "\"%s\"", sel, vn_store_errmsg(st), msg_part);
    vn_runs_free(runs);
}

static void test_selectors(void)
{
    vn_result *res = make_result(3, "mae,rmse");
    const char *path = path_in("sel.db");
    vn_store *st = NULL;
    char err[512], id[4][VN_RUN_ID_LEN + 1];
    CHECKF(vn_store_open(path, &st, err, sizeof err) == VN_OK, "%s", err);
    if (!st || !res)
        return;
    check_find(st, "", 0, 0, NULL); /* an empty store is not an error */
    check_get(st, "latest", VN_ERR_USAGE, NULL, "no run matches \"latest\"");
    CHECK(log_run(st, res, "alpha", "stage", "prod", id[0]) == VN_OK);
    CHECK(log_run(st, res, "beta", "stage", "dev", id[1]) == VN_OK);
    CHECK(log_run(st, res, "alpha", NULL, NULL, id[2]) == VN_OK);
    check_find(st, NULL, 0, 3, id[2]); /* newest first */
    check_find(st, "", 2, 2, id[2]);
    check_find(st, "latest", 0, 1, id[2]);
    check_find(st, "latest~1", 0, 1, id[1]);
    check_find(st, "latest~0", 0, 1, id[2]);
    check_find(st, "latest~3", 0, 0, NULL);
    check_find(st, "tag:stage", 0, 2, id[1]);
    check_find(st, "tag:stage=prod", 0, 1, id[0]);
    check_find(st, "tag:stage=", 0, 0, NULL);
    check_find(st, "tag:none", 0, 0, NULL);
    check_find(st, "name:alpha", 0, 2, id[2]);
    check_find(st, "name:alpha", 1, 1, id[2]);
    check_find(st, "name:gamma", 0, 0, NULL);
    check_get(st, "latest~2", VN_OK, id[0], NULL);
    check_get(st, "latest~3", VN_ERR_USAGE, NULL, "no run matches");
    check_get(st, "tag:stage", VN_OK, id[1], NULL); /* several: the newest */
    check_get(st, "name:alpha", VN_OK, id[2], NULL);
    check_get(st, id[0], VN_OK, id[0], NULL);
    char prefix[8], upper[8];
    snprintf(prefix, sizeof prefix, "%.5s", id[1]);
    for (int i = 0; i < 6; i++)
        upper[i] = (char)(prefix[i] >= 'a' && prefix[i] <= 'f' ? prefix[i] - 32 : prefix[i]);
    check_get(st, prefix, VN_OK, id[1], NULL);
    check_get(st, upper, VN_OK, id[1], NULL);

    /* Two runs sharing a prefix, written from outside. */
    CHECK(sql_exec(path, "INSERT INTO runs (id, created_at, command, by_columns, rows_read, "
                         "rows_used, rows_missing, rows_zero_weight, zero_policy, r2_constant, "
                         "min_count, n_slices, n_metrics, vernier_version, json_schema) VALUES "
                         "('abcd000000000001', '2000-01-01T00:00:00.000Z', 'eval', '[]', 0, 0, "
                         "0, 0, 'nan', 'undefined', 0, 0, 0, '0.1.0', 'vernier.eval/1'), "
                         "('abcd000000000002', '2000-01-01T00:00:00.000Z', 'eval', '[]', 0, 0, "
                         "0, 0, 'nan', 'undefined', 0, 0, 0, '0.1.0', 'vernier.eval/1')") ==
          SQLITE_OK);
    check_find(st, "abcd", 0, 2, "abcd000000000002"); /* equal times: later insert first */
    check_get(st, "abcd", VN_ERR_USAGE, NULL, "ambiguous");
    check_get(st, "abcd0000", VN_ERR_USAGE, NULL, "abcd000000000001");
    check_get(st, "abcd000000000001", VN_OK, "abcd000000000001", NULL);
    check_find(st, "latest~3", 0, 1, "abcd000000000002"); /* the year 2000 is oldest */
    check_find(st, "latest~4", 0, 1, "abcd000000000001");

    /* Malformed: usage errors that list the forms. */
    const char *bad[] = {"abc", "lates", "latest~", "latest~x", "latest~-1", "latest~1x",
                         "tag:", "tag:=v", "name:", "xyz!", "0123456789abcdef0", "g00d",
                         " latest"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vn_runs *runs = (vn_runs *)1;
        CHECKF(vn_store_find(st, bad[i], 0, &runs) == VN_ERR_USAGE && runs == NULL,
               "selector \"%s\" accepted", bad[i]);
        CHECKF(strstr(vn_store_errmsg(st), "bad run selector") != NULL, "%s", vn_store_errmsg(st));
        check_get(st, bad[i], VN_ERR_USAGE, NULL, "bad run selector");
    }
    CHECK(vn_store_find(st, "xyz", 0, &(vn_runs *){NULL}) == VN_ERR_USAGE &&
          strstr(vn_store_errmsg(st), "latest~N") && strstr(vn_store_errmsg(st), "tag:KEY=VALUE") &&
          strstr(vn_store_errmsg(st), "name:NAME"));

    /* Tags: set, overwrite, remove; unknown run; bad key. */
    CHECK(vn_store_tag(st, id[2], "stage", "prod") == VN_OK);
    check_find(st, "tag:stage=prod", 0, 2, id[2]);
    CHECK(vn_store_tag(st, id[2], "stage", "staging") == VN_OK);
    check_find(st, "tag:stage=prod", 0, 1, id[0]);
    check_find(st, "tag:stage=staging", 0, 1, id[2]);
    CHECK(vn_store_tag(st, id[2], "stage", NULL) == VN_OK);
    check_find(st, "tag:stage", 0, 2, id[1]);
    CHECK(vn_store_tag(st, id[2], "stage", NULL) == VN_OK); /* removing again is fine */
    CHECK(vn_store_tag(st, "ffffffffffffffff", "k", "v") == VN_ERR_USAGE &&
          strstr(vn_store_errmsg(st), "no run"));
    CHECK(vn_store_tag(st, id[2], "a=b", "v") == VN_ERR_USAGE);
    CHECK(vn_store_tag(st, id[2], "", "v") == VN_ERR_USAGE);
    const char *k2[] = {"x=y"}, *v2[] = {"1"};
    const vn_run_meta badmeta = {.ntags = 1, .tag_keys = k2, .tag_values = v2};
    const long long before = sql_int(path, "SELECT count(*) FROM runs");
    CHECK(vn_store_log(st, res, &badmeta, id[3]) == VN_ERR_USAGE && id[3][0] == '\0');
    CHECK(sql_int(path, "SELECT count(*) FROM runs") == before);

    /* Delete cascades to tags, slices, slice keys and values. */
    CHECK(vn_store_delete(st, id[0]) == VN_OK);
    check_get(st, id[0], VN_ERR_USAGE, NULL, "no run matches");
    CHECK(vn_store_delete(st, id[0]) == VN_ERR_USAGE);
    vn_run_values *vals = (vn_run_values *)1;
    CHECK(vn_store_values(st, id[0], &vals) == VN_ERR_USAGE && vals == NULL);
    char sql[256];
    const char *tables[] = {"run_tags", "run_slices", "run_slice_keys", "run_values"};
    for (int t = 0; t < 4; t++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE run_id = '%s'", tables[t], id[0]);
        CHECKF(sql_int(path, sql) == 0, "%s keeps rows of a deleted run", tables[t]);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE run_id = '%s'", tables[t], id[1]);
        CHECKF(sql_int(path, sql) > 0, "%s lost rows of another run", tables[t]);
    }
    check_find(st, NULL, 0, 4, NULL);
    vn_store_close(st);
    vn_result_free(res);
    CHECK(integrity_ok(path));
}

/* ---------------------------------------------------------------------------------
 * Files that are not a (current) vernier store: refused, and left byte-for-byte alone.
 * ------------------------------------------------------------------------------- */
static void check_refused(const char *path, const char *what, const char *msg_part)
{
    size_t n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    vn_store *st = (vn_store *)1;
    char err[512] = "";
    const vn_status s = vn_store_open(path, &st, err, sizeof err);
    CHECKF(s == VN_ERR_IO && st == NULL, "%s: status %d", what, s);
    CHECKF(strstr(err, msg_part) && strstr(err, path) && !strchr(err, '\n'),
           "%s: message \"%s\" lacks \"%s\"", what, err, msg_part);
    char *after = slurp(path, &n1);
    CHECKF(before && after && n0 == n1 && memcmp(before, after, n0) == 0, "%s: file changed", what);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", path);
    CHECKF(!file_exists(side), "%s: a -wal file was left", what);
    free(before);
    free(after);
}

static void test_refusals(void)
{
    /* A store from a newer vernier. */
    const char *newer = path_in("newer.db");
    vn_store *st = NULL;
    char err[512];
    CHECK(vn_store_open(newer, &st, err, sizeof err) == VN_OK);
    vn_store_close(st);
    CHECK(sql_exec(newer, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 99") == SQLITE_OK);
    check_refused(newer, "newer schema",
                  "store schema 99 is newer than this vernier supports (1): upgrade vernier");

    /* Not SQLite at all: short, and longer than a page. */
    const char *text = path_in("notes.txt");
    FILE *fp = fopen(text, "w");
    fputs("these are my notes\n", fp);
    fclose(fp);
    check_refused(text, "text file", "not a vernier run store (file is not a database)");
    fp = fopen(text, "w");
    for (int i = 0; i < 2000; i++)
        fprintf(fp, "line %d of a CSV file,1,2,3\n", i);
    fclose(fp);
    check_refused(text, "long text file", "not a vernier run store (file is not a database)");

    /* Another application's SQLite database, in rollback-journal mode: not switched
     * to WAL, not given our tables. */
    const char *foreign = path_in("foreign.db");
    CHECK(sql_exec(foreign, "CREATE TABLE contacts (name TEXT); INSERT INTO contacts "
                            "VALUES ('ada')") == SQLITE_OK);
    check_refused(foreign, "foreign database", "not a vernier run store");
    CHECK(sql_int(foreign, "SELECT count(*) FROM sqlite_master") == 1);
    /* ... and one that only set a user_version. */
    const char *foreign2 = path_in("foreign2.db");
    CHECK(sql_exec(foreign2, "PRAGMA user_version = 1") == SQLITE_OK);
    check_refused(foreign2, "foreign user_version", "not a vernier run store");

    /* A directory. */
    CHECK(vn_store_open(dir, &st, err, sizeof err) == VN_ERR_IO && st == NULL);
    CHECKF(strstr(err, dir) && strstr(err, "cannot open"), "%s", err);
    /* A path through a regular file. */
    CHECK(vn_store_open(path_in("notes.txt/runs.db"), &st, err, sizeof err) == VN_ERR_IO);
    CHECKF(strstr(err, "not a directory"), "%s", err);
}

/* ---------------------------------------------------------------------------------
 * A read-only directory. Permission bits do not stop root, so as root the checks run
 * in a child that has given up root for uid/gid 65534 (nobody).
 * ------------------------------------------------------------------------------- */
static void readonly_checks(void)
{
    vn_store *st = NULL;
    char err[512];
    /* A new store in a directory we cannot write. */
    const vn_status s = vn_store_open(path_in("ro/new.db"), &st, err, sizeof err);
    CHECKF(s == VN_ERR_IO && st == NULL, "status %d", s);
    CHECKF(strstr(err, "ro/new.db") && strstr(err, "cannot open"), "%s", err);
    CHECK(!file_exists(path_in("ro/new.db")));
    /* A missing directory under one we cannot write. */
    CHECK(vn_store_open(path_in("ro/sub/new.db"), &st, err, sizeof err) == VN_ERR_IO);
    CHECKF(strstr(err, "Permission denied"), "%s", err);
    /* An existing store there: refused when opened or when logging; never changed. */
    vn_result *res = make_result(3, "mae");
    vn_status s2 = vn_store_open(path_in("ro/old.db"), &st, err, sizeof err);
    if (s2 == VN_OK) {
        s2 = vn_store_log(st, res, NULL, NULL);
        snprintf(err, sizeof err, "%s", vn_store_errmsg(st));
    }
    CHECKF(s2 == VN_ERR_IO, "logging into a read-only store: status %d", s2);
    CHECKF(strstr(err, "ro/old.db") != NULL, "%s", err);
    vn_store_close(st);
    vn_result_free(res);
}

static void readonly_checks_as_nobody(void)
{
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        CHECKF(0, "cannot switch to uid 65534: %s", strerror(errno));
        return;
    }
    readonly_checks();
}

static void test_readonly_dir(void)
{
    const char *ro = path_in("ro");
    CHECK(mkdir(ro, 0755) == 0);
    vn_store *st = NULL;
    char err[512];
    vn_result *res = make_result(3, "mae");
    CHECK(vn_store_open(path_in("ro/old.db"), &st, err, sizeof err) == VN_OK);
    CHECK(vn_store_log(st, res, NULL, NULL) == VN_OK);
    vn_store_close(st);
    vn_result_free(res);
    CHECK(chmod(path_in("ro/old.db"), 0444) == 0);
    CHECK(chmod(ro, 0555) == 0);
    size_t n0 = 0, n1 = 0;
    char *before = slurp(path_in("ro/old.db"), &n0);
    if (geteuid() != 0) {
        readonly_checks();
    } else {
        chmod(dir, 0755); /* nobody must reach ro/ */
        pid_t probe = fork(); /* can this process give up root? */
        if (probe == 0)
            _exit(setgid(65534) == 0 && setuid(65534) == 0 && access(dir, X_OK) == 0 ? 0 : 1);
        int status = 0;
        waitpid(probe, &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            in_child(readonly_checks_as_nobody);
        } else {
            printf("  read-only directory: SKIPPED (running as root and cannot switch to "
                   "uid 65534; permission bits do not bind root)\n");
        }
    }
    char *after = slurp(path_in("ro/old.db"), &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    chmod(ro, 0755);
    CHECK(sql_int(path_in("ro/old.db"), "SELECT count(*) FROM runs") == 1);
}

/* ---------------------------------------------------------------------------------
 * A full disk: a child process whose files may not grow past a limit (RLIMIT_FSIZE,
 * with SIGXFSZ ignored, so write(2) fails with EFBIG as on a full file system).
 * ------------------------------------------------------------------------------- */
#define FULL_LIMIT (256 * 1024)

static void full_disk_checks(void)
{
    signal(SIGXFSZ, SIG_IGN);
    const struct rlimit rl = {FULL_LIMIT, FULL_LIMIT};
    CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
    vn_result *res = make_result(20, NULL);
    vn_store *st = NULL;
    char err[512];
    CHECKF(vn_store_open(path_in("full.db"), &st, err, sizeof err) == VN_OK, "%s", err);
    if (!st || !res)
        return;
    vn_status s = VN_OK;
    int logged = 0;
    while (s == VN_OK && logged < 2000) {
        s = vn_store_log(st, res, NULL, NULL);
        logged += s == VN_OK;
    }
    printf("  full disk: %d runs logged before the %d KiB limit\n", logged, FULL_LIMIT / 1024);
    CHECKF(s == VN_ERR_IO, "status %d after %d runs", s, logged);
    CHECKF(strstr(vn_store_errmsg(st), "full.db: cannot") != NULL, "%s", vn_store_errmsg(st));
    CHECK(logged > 0);
    /* The handle stays usable: another log fails the same way, reading works. */
    CHECK(vn_store_log(st, res, NULL, NULL) == VN_ERR_IO);
    vn_runs *runs = NULL;
    CHECKF(vn_store_find(st, NULL, 0, &runs) == VN_OK, "%s", vn_store_errmsg(st));
    CHECK(vn_runs_count(runs) == (size_t)logged + 1);
    vn_runs_free(runs);
    vn_store_close(st);
    /* A new store that cannot even hold its schema. */
    const struct rlimit tiny = {4096, 4096};
    CHECK(setrlimit(RLIMIT_FSIZE, &tiny) == 0);
    s = vn_store_open(path_in("full2.db"), &st, err, sizeof err);
    CHECKF(s == VN_ERR_IO && st == NULL, "status %d", s);
    CHECKF(strstr(err, "full2.db: cannot"), "%s", err);
    vn_result_free(res);
}

static void test_full_disk(void)
{
    vn_result *res = make_result(20, NULL);
    vn_store *st = NULL;
    char err[512];
    CHECK(vn_store_open(path_in("full.db"), &st, err, sizeof err) == VN_OK);
    CHECK(vn_store_log(st, res, NULL, NULL) == VN_OK);
    vn_store_close(st);
    vn_result_free(res);
    in_child(full_disk_checks);
    CHECK(integrity_ok(path_in("full.db")));
    CHECK(partial_runs(path_in("full.db")) == 0);
    CHECK(sql_int(path_in("full.db"), "SELECT count(*) FROM runs") >= 2);
    /* Once space is back, logging works again. */
    res = make_result(20, NULL);
    CHECK(vn_store_open(path_in("full.db"), &st, err, sizeof err) == VN_OK);
    CHECK(st && vn_store_log(st, res, NULL, NULL) == VN_OK);
    vn_store_close(st);
    vn_result_free(res);
    CHECK(integrity_ok(path_in("full.db")) && partial_runs(path_in("full.db")) == 0);
    if (file_exists(path_in("full2.db")))
        CHECK(integrity_ok(path_in("full2.db")));
}

/* ---------------------------------------------------------------------------------
 * The crash hook: a child killed right before each step of a log in turn (and one
 * past the last) leaves the store intact, with the whole run or none.
 * ------------------------------------------------------------------------------- */
static void test_crash_every_step(void)
{
    vn_result *res = make_result(3, "mae,rmse");
    const char *path = path_in("crash.db");
    vn_store *st = NULL;
    char err[512];
    CHECK(vn_store_open(path, &st, err, sizeof err) == VN_OK);
    vn_store_close(st);
    /* BEGIN, the run, 1 tag, 3 slices, 2 x 2 slice keys, 3 x 2 values, COMMIT */
    const long steps = 1 + 1 + 1 + 3 + 4 + 6 + 1;
    long killed = 0, completed = 0, bad = 0;
    for (long k = 1; k <= steps + 1; k++) {
        fflush(NULL);
        const pid_t pid = fork();
        if (pid == 0) {
            char n[32];
            snprintf(n, sizeof n, "%ld", k);
            setenv("VERNIER_STORE_CRASH_AT", n, 1);
            vn_store *cst = NULL;
            char cerr[512];
            if (vn_store_open(path, &cst, cerr, sizeof cerr) != VN_OK)
                _exit(3);
            const vn_status s = log_run(cst, res, "crash", "k", "v", NULL);
            vn_store_close(cst);
            _exit(s == VN_OK ? 0 : 4);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        const int was_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
        killed += was_killed;
        completed += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (was_killed != (k <= steps)) {
            bad++;
            fprintf(stderr, "  crash at step %ld: status %d\n", k, status);
        }
        if (!integrity_ok(path) || partial_runs(path) != 0) {
            bad++;
            fprintf(stderr, "  crash at step %ld: store damaged or holds a partial run\n", k);
        }
    }
    CHECKF(bad == 0, "%ld bad outcomes", bad);
    CHECK(killed == steps && completed == 1);
    CHECK(sql_int(path, "SELECT count(*) FROM runs") == completed);
    CHECK(sql_int(path, "SELECT count(*) FROM run_tags") == completed);
    vn_result_free(res);
}

/* ---------------------------------------------------------------------------------
 * Allocation failure: fail the Nth allocation of open + log + find + get + values +
 * tag, for every N. Each run ends VN_OK or VN_ERR_NOMEM, leaks nothing, and leaves
 * the store intact with only complete runs.
 * ------------------------------------------------------------------------------- */

static vn_status store_pipeline(const char *path, const vn_result *res)
{
    vn_store *st = NULL;
    char err[256], id[VN_RUN_ID_LEN + 1];
    vn_status s = vn_store_open(path, &st, err, sizeof err);
    if (s != VN_OK)
        return s;
    for (int i = 0; i < 3 && s == VN_OK; i++) /* several runs: the lists grow */
        s = log_run(st, res, "n", "k", "v", id);
    vn_runs *runs = NULL;
    vn_run_values *vals = NULL;
    if (s == VN_OK)
        s = vn_store_find(st, "tag:k=v", 0, &runs);
    if (s == VN_OK && vn_runs_count(runs) != 3)
        s = VN_ERR_INTERNAL;
    vn_runs_free(runs);
    runs = NULL;
    if (s == VN_OK)
        s = vn_store_get(st, "latest", &runs);
    vn_runs_free(runs);
    if (s == VN_OK)
        s = vn_store_values(st, id, &vals);
    if (s == VN_OK && vn_run_values_count(vals) !=
                          vn_result_slice_count(res) * vn_result_metric_count(res))
        s = VN_ERR_INTERNAL;
    vn_run_values_free(vals);
    if (s == VN_OK)
        s = vn_store_tag(st, id, "k2", "v2");
    if (s == VN_OK) {
        s = vn_store_find(st, "zz", 0, &runs);
        s = s == VN_ERR_USAGE ? VN_OK : s == VN_OK ? VN_ERR_INTERNAL : s;
    }
    vn_store_close(st);
    return s;
}

static void test_alloc_failure(void)
{
    vn_result *res = make_result(4, "mae,rmse,mape");
    const char *sub = path_in("alloc"), *path = path_in("alloc/runs.db");
    calls = 0;
    live = 0;
    CHECK(store_pipeline(path, res) == VN_OK);
    const long total = calls;
    CHECK(live == 0);
    long nomem = 0, ok = 0, bad = 0, leaks = 0, damaged = 0;
    for (long n = 1; n <= total; n++) {
        remove_store(path);
        rmdir(sub);
        fail_at = n;
        calls = 0;
        live = 0;
        const vn_status s = store_pipeline(path, res);
        fail_at = -1;
        nomem += s == VN_ERR_NOMEM;
        ok += s == VN_OK;
        if (s != VN_OK && s != VN_ERR_NOMEM) {
            bad++;
            fprintf(stderr, "  failing allocation %ld: status %d\n", n, s);
        }
        if (live != 0) {
            leaks++;
            fprintf(stderr, "  failing allocation %ld leaks %ld blocks\n", n, live);
        }
        if (file_exists(path) && (!integrity_ok(path) || partial_runs(path) != 0))
            damaged++;
    }
    printf("  store: %ld allocations, each failed once: %ld NOMEM, %ld recovered\n", total,
           nomem, ok);
    CHECK(total > 5);
    CHECKF(bad == 0, "%ld runs returned something other than OK or NOMEM", bad);
    CHECKF(leaks == 0, "%ld runs leaked", leaks);
    CHECKF(damaged == 0, "%ld runs left a damaged store", damaged);
    CHECK(nomem + ok == total && nomem > 0);
    vn_result_free(res);
}

/* ---------------------------------------------------------------------------------
 * Timing: 20 slices x 16 metrics (the default battery).
 * ------------------------------------------------------------------------------- */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_timing(int nruns)
{
    vn_result *res = make_result(20, NULL);
    CHECK(res && vn_result_slice_count(res) == 20 && vn_result_metric_count(res) == 16);
    const char *path = path_in("bench.db");
    vn_store *st = NULL;
    char err[512];
    CHECK(vn_store_open(path, &st, err, sizeof err) == VN_OK);
    if (!st || !res)
        return;
    double t0 = now_s();
    CHECK(log_run(st, res, "bench", "k", "v", NULL) == VN_OK);
    const double one = now_s() - t0;
    t0 = now_s();
    int ok = 0;
    for (int i = 0; i < nruns; i++)
        ok += log_run(st, res, "bench", "k", "v", NULL) == VN_OK;
    const double many = now_s() - t0;
    CHECK(ok == nruns);
    t0 = now_s();
    vn_runs *runs = NULL;
    CHECK(vn_store_find(st, NULL, 0, &runs) == VN_OK && vn_runs_count(runs) == (size_t)nruns + 1);
    const double list = now_s() - t0;
    vn_runs_free(runs);
    vn_store_close(st);
    struct stat sb;
    stat(path, &sb);
    printf("  timing (20 slices x 16 metrics): first log %.2f ms; %d logs %.3f s (%.2f ms "
           "each); listing %d runs %.1f ms; file %.1f MiB\n",
           one * 1e3, nruns, many, many * 1e3 / nruns, nruns + 1, list * 1e3,
           (double)sb.st_size / 1048576.0);
    vn_result_free(res);
}

int main(int argc, char **argv)
{
    const int bench = argc > 1 && strcmp(argv[1], "--bench") == 0;
    vn_set_allocator(hook, NULL); /* counts allocations; fails none until asked */
    umask(022);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_round_trip);
    RUN(test_default_path);
    RUN(test_selectors);
    RUN(test_refusals);
    RUN(test_readonly_dir);
    RUN(test_full_disk);
    RUN(test_crash_every_step);
    RUN(test_alloc_failure);
    test_timing(bench ? 1000 : 100);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return unit_summary("store");
}
