/*
 * store.c — the run store: every evaluation recorded in one SQLite file (docs/store.md).
 *
 * The file is opened in WAL mode with a busy timeout, so several processes may log at
 * once; each run is written in one BEGIN IMMEDIATE … COMMIT transaction, so a killed
 * process leaves the whole run or none. SQL is constant text and every value is bound to
 * a prepared statement. Because the file may come from elsewhere, the connection runs
 * with defensive mode, trusted_schema off, triggers and views off, and the file must
 * carry vernier's application_id before anything is written to it.
 *
 * The schema is versioned by PRAGMA user_version. migrations[k] takes a store from
 * version k to k + 1 (version 0 is the empty file); opening applies every step from the
 * file's version to VN_STORE_SCHEMA in one transaction, so adding version 2 means
 * appending one function to the array and raising VN_STORE_SCHEMA.
 *
 * Memory: the library's own allocations (the handle, lists read back, labels) go
 * through the allocation hook; SQLite allocates through its own allocator.
 */
#include "eval.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id of a vernier store: "vnrs" in ASCII. Set by the first
 * migration; a SQLite file without it is someone else's database and is not touched. */
#define VN_STORE_APP_ID 0x766e7273

#define BUSY_TIMEOUT_MS 10000
#define ERRLEN 1024

/* ---------------------------------------------------------------------------------
 * Statements, prepared once per handle on first use.
 * ------------------------------------------------------------------------------- */
enum {
    Q_BEGIN, Q_BEGIN_READ, Q_COMMIT, Q_INSERT_RUN, Q_INSERT_TAG, Q_INSERT_SLICE,
    Q_INSERT_SLICE_KEY, Q_INSERT_VALUE, Q_FIND_ALL, Q_FIND_PREFIX, Q_FIND_TAG,
    Q_FIND_TAG_VALUE, Q_FIND_NAME, Q_TAGS_OF, Q_RUN_EXISTS, Q_VALUES_OF, Q_DELETE_TAG,
    Q__COUNT
};

/* Columns of a run, in the order read_run expects them. */
#define RUN_COLUMNS                                                                         \
    "SELECT id, created_at, name, command, argv, spec, source, y_col, yhat_col, "           \
    "weight_col, data_hash, vernier_version, git_commit, rows_read, rows_used, "            \
    "rows_missing, rows_zero_weight FROM runs "
#define NEWEST_FIRST " ORDER BY created_at DESC, run_no DESC LIMIT ?9 OFFSET ?10"

static const char *const sql_text[Q__COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_BEGIN_READ] = "BEGIN",
    [Q_COMMIT] = "COMMIT",
    [Q_INSERT_RUN] =
        "INSERT INTO runs (id, created_at, name, command, argv, spec, source, y_col, "
        "yhat_col, weight_col, by_columns, data_hash, rows_read, rows_used, rows_missing, "
        "rows_zero_weight, zero_policy, r2_constant, min_count, n_slices, n_metrics, "
        "vernier_version, json_schema, git_commit) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    [Q_INSERT_TAG] = "INSERT INTO run_tags (run_id, key, value) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
    [Q_INSERT_SLICE] =
        "INSERT INTO run_slices (run_id, slice_no, label, rows_used) VALUES (?1, ?2, ?3, ?4)",
    [Q_INSERT_SLICE_KEY] = "INSERT INTO run_slice_keys (run_id, slice_no, col_no, by_column, "
                           "by_value) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_INSERT_VALUE] =
        "INSERT INTO run_values (run_id, slice_no, metric_no, metric, metric_id, value, "
        "ci_low, ci_high, reason, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [Q_FIND_ALL] = RUN_COLUMNS NEWEST_FIRST,
    [Q_FIND_PREFIX] = RUN_COLUMNS "WHERE id GLOB ?1" NEWEST_FIRST,
    [Q_FIND_TAG] = RUN_COLUMNS "WHERE id IN (SELECT run_id FROM run_tags WHERE key = ?1)"
        NEWEST_FIRST,
    [Q_FIND_TAG_VALUE] = RUN_COLUMNS
        "WHERE id IN (SELECT run_id FROM run_tags WHERE key = ?1 AND value = ?2)" NEWEST_FIRST,
    [Q_FIND_NAME] = RUN_COLUMNS "WHERE name = ?1" NEWEST_FIRST,
    [Q_TAGS_OF] = "SELECT key, value FROM run_tags WHERE run_id = ?1 ORDER BY key",
    [Q_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1",
    [Q_VALUES_OF] =
        "SELECT s.label, v.metric, v.metric_id, v.value, v.ci_low, v.ci_high, v.reason, "
        "v.message, s.rows_used FROM run_values v JOIN run_slices s "
        "ON s.run_id = v.run_id AND s.slice_no = v.slice_no "
        "WHERE v.run_id = ?1 ORDER BY v.slice_no, v.metric_no",
    [Q_DELETE_TAG] = "DELETE FROM run_tags WHERE run_id = ?1 AND key = ?2",
};

struct vn_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *q[Q__COUNT];
    long crash_at, steps; /* the VERNIER_STORE_CRASH_AT test hook, during vn_store_log */
    char errmsg[ERRLEN];
};

/* ---------------------------------------------------------------------------------
 * Schema migrations. migrations[k] takes a store from user_version k to k + 1; it runs
 * inside the caller's transaction, which also sets user_version. Constant SQL only.
 * ------------------------------------------------------------------------------- */
static const char schema_v1[] =
    /* One row per logged run. run_no is an alias of rowid (so VACUUM keeps it): the
     * insertion order that breaks ties between equal created_at. */
    "CREATE TABLE runs ("
    " run_no INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE CHECK (length(id) = 16),"
    " created_at TEXT NOT NULL,"
    " name TEXT, command TEXT NOT NULL, argv TEXT, spec TEXT,"
    " source TEXT, y_col TEXT, yhat_col TEXT, weight_col TEXT,"
    " by_columns TEXT NOT NULL,"
    " data_hash TEXT,"
    " rows_read INTEGER NOT NULL, rows_used INTEGER NOT NULL,"
    " rows_missing INTEGER NOT NULL, rows_zero_weight INTEGER NOT NULL,"
    " zero_policy TEXT NOT NULL, r2_constant TEXT NOT NULL, min_count INTEGER NOT NULL,"
    " n_slices INTEGER NOT NULL, n_metrics INTEGER NOT NULL,"
    " vernier_version TEXT NOT NULL, json_schema TEXT NOT NULL, git_commit TEXT);"
    "CREATE INDEX runs_by_time ON runs (created_at, run_no);"
    "CREATE INDEX runs_by_name ON runs (name);"
    "CREATE TABLE run_tags ("
    " run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;"
    "CREATE INDEX run_tags_by_key ON run_tags (key, value);"
    "CREATE TABLE run_slices ("
    " run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    " slice_no INTEGER NOT NULL, label TEXT NOT NULL, rows_used INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, slice_no)) WITHOUT ROWID;"
    "CREATE TABLE run_slice_keys ("
    " run_id TEXT NOT NULL, slice_no INTEGER NOT NULL, col_no INTEGER NOT NULL,"
    " by_column TEXT NOT NULL, by_value TEXT NOT NULL,"
    " PRIMARY KEY (run_id, slice_no, col_no),"
    " FOREIGN KEY (run_id, slice_no) REFERENCES run_slices (run_id, slice_no)"
    "  ON DELETE CASCADE) WITHOUT ROWID;"
    /* value, ci_low and ci_high have no declared type on purpose: REAL affinity would
     * store an integral double as an integer and turn -0.0 into 0. */
    "CREATE TABLE run_values ("
    " run_id TEXT NOT NULL, slice_no INTEGER NOT NULL, metric_no INTEGER NOT NULL,"
    " metric TEXT NOT NULL, metric_id TEXT NOT NULL,"
    " value CHECK (typeof(value) IN ('real', 'null')),"
    " ci_low CHECK (typeof(ci_low) IN ('real', 'null')),"
    " ci_high CHECK (typeof(ci_high) IN ('real', 'null')),"
    " reason TEXT, message TEXT,"
    " PRIMARY KEY (run_id, slice_no, metric_no),"
    " FOREIGN KEY (run_id, slice_no) REFERENCES run_slices (run_id, slice_no)"
    "  ON DELETE CASCADE) WITHOUT ROWID;";

static int migrate_0_to_1(sqlite3 *db)
{
    const int rc = sqlite3_exec(db, schema_v1, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return rc;
    /* 0x766e7273 = VN_STORE_APP_ID; a pragma takes no bound parameter, and this is a
     * constant, not a value. */
    return sqlite3_exec(db, "PRAGMA application_id = 1986949747", NULL, NULL, NULL);
}

typedef int (*migration_fn)(sqlite3 *db);
static const migration_fn migrations[VN_STORE_SCHEMA] = {migrate_0_to_1};

/* ---------------------------------------------------------------------------------
 * Errors.
 * ------------------------------------------------------------------------------- */
static vn_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return VN_OK;
    case SQLITE_NOMEM:
        return VN_ERR_NOMEM;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return VN_ERR_INTERNAL;
    default: /* FULL, IOERR, CANTOPEN, READONLY, NOTADB, CORRUPT, BUSY, LOCKED, ... */
        return VN_ERR_IO;
    }
}

/* Messages are one line: a selector, tag, path or SQLite message quoted in one may hold
 * line breaks or other control bytes (fuzz_store found a selector with a newline), so
 * each such byte is shown as '?'. */
static void flatten(char *msg)
{
    for (unsigned char *p = (unsigned char *)msg; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* Records "PATH: what (sqlite's message)" and returns the status for rc. Call it right
 * after the failing SQLite call, before anything else touches the connection. */
static vn_status db_fail(vn_store *st, int rc, const char *what)
{
    const vn_status s = status_of(rc);
    /* Two causes a user can act on, whatever the statement was. */
    if ((rc & 0xff) == SQLITE_BUSY)
        what = "the run store stayed locked by another process for 10 s";
    else if ((rc & 0xff) == SQLITE_READONLY)
        what = "cannot write to the run store: the file or its directory is read-only";
    else if ((rc & 0xff) == SQLITE_FULL)
        what = "cannot write to the run store: the disk is full";
    else if (st->db) {
        /* a failed write met while reading (the WAL index, a checkpoint) is still a write */
        const int x = sqlite3_extended_errcode(st->db);
        if (x == SQLITE_IOERR_WRITE || x == SQLITE_IOERR_FSYNC || x == SQLITE_IOERR_TRUNCATE ||
            x == SQLITE_IOERR_SHMSIZE || x == SQLITE_IOERR_SHMMAP || x == SQLITE_IOERR_DIR_FSYNC)
            what = "cannot write to the run store";
    }
    if (s == VN_ERR_NOMEM)
        vn__fmt(st->errmsg, sizeof st->errmsg, "%s: %s: out of memory", st->path, what);
    else
        vn__fmt(st->errmsg, sizeof st->errmsg, "%s: %s (%s)", st->path, what,
                st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
    flatten(st->errmsg);
    return s == VN_OK ? VN_ERR_INTERNAL : s;
}

static vn_status fail(vn_store *st, vn_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static vn_status fail(vn_store *st, vn_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vn__vfmt(st->errmsg, sizeof st->errmsg, fmt, ap);
    va_end(ap);
    flatten(st->errmsg);
    return s;
}

static vn_status nomem(vn_store *st)
{
    vn__fmt(st->errmsg, sizeof st->errmsg, "out of memory");
    return VN_ERR_NOMEM;
}

/* ---------------------------------------------------------------------------------
 * Statement helpers.
 * ------------------------------------------------------------------------------- */
static int prep(vn_store *st, int id, sqlite3_stmt **out)
{
    if (!st->q[id]) {
        const int rc = sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                                          &st->q[id], NULL);
        if (rc != SQLITE_OK) {
            *out = NULL;
            return rc;
        }
    }
    *out = st->q[id];
    return SQLITE_OK;
}

/* sqlite3_step, through the crash-injection hook (docs/store.md): with
 * VERNIER_STORE_CRASH_AT=N, vn_store_log kills its own process right before its N-th
 * step, as `kill -9` would at that point. */
static int step(vn_store *st, sqlite3_stmt *s)
{
    if (st->crash_at > 0 && ++st->steps == st->crash_at)
        raise(SIGKILL);
    return sqlite3_step(s);
}

/* Binds text, or NULL when s is NULL. SQLITE_STATIC: the bytes outlive the step. */
static int bind_text(sqlite3_stmt *q, int i, const char *s)
{
    return s ? sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(q, i);
}

/* Text that is NULL when empty: absent fields stay NULL in the file. */
static const char *or_null(const char *s) { return s && *s ? s : NULL; }

static int bind_real(sqlite3_stmt *q, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(q, i) : sqlite3_bind_double(q, i, v);
}

/* Steps a statement that returns no row, then resets it (keeping its bindings). */
static int exec_stmt(vn_store *st, sqlite3_stmt *q)
{
    const int rc = step(st, q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void rollback(vn_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static void release_all(vn_store *st)
{
    for (int i = 0; i < Q__COUNT; i++)
        if (st->q[i]) {
            sqlite3_reset(st->q[i]);
            sqlite3_clear_bindings(st->q[i]);
        }
}

/* ---------------------------------------------------------------------------------
 * Opening.
 * ------------------------------------------------------------------------------- */

/* Creates the parent directory of path when it is missing (one level, 0777 & ~umask). */
static vn_status make_parent(const char *path, char *errbuf, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return VN_OK;
    char *dir = vn__strndup(path, (size_t)(slash - path));
    VN_RETURN_IF(!dir, VN_ERR_NOMEM, "out of memory");
    struct stat sb;
    vn_status s = VN_OK;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || (mkdir(dir, 0777) != 0 && errno != EEXIST)) {
            vn__fmt(errbuf, errlen, "%s: cannot create the run store's directory %s (%s)",
                    path, dir, strerror(errno));
            s = VN_ERR_IO;
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        vn__fmt(errbuf, errlen, "%s: cannot create the run store: %s is not a directory",
                path, dir);
        s = VN_ERR_IO;
    }
    vn__free(dir);
    return s;
}

/* One integer from a constant query (a pragma or a count), into *out. */
static int query_int(sqlite3 *db, const char *sql, long long *out)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(q, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_CORRUPT; /* these queries always return a row */
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* What the file is: 0 an empty database (to be created), 1 a vernier store of version
 * *version, or -1 (with the message in st->errmsg and the status in *s). */
static int identify(vn_store *st, long long *version, vn_status *s)
{
    /* The three reads must see one snapshot: another process may be creating the
     * schema right now (tables visible, application_id not yet, would look foreign). */
    const bool own_txn = sqlite3_get_autocommit(st->db);
    long long app = 0, objects = 0;
    int rc = own_txn ? sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) : SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = query_int(st->db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = query_int(st->db, "PRAGMA user_version", version);
    if (rc == SQLITE_OK)
        rc = query_int(st->db, "SELECT count(*) FROM sqlite_master", &objects);
    int kind = 1;
    if ((rc & 0xff) == SQLITE_NOTADB) {
        *s = fail(st, VN_ERR_IO, "%s: not a vernier run store (file is not a database)",
                  st->path);
        kind = -1;
    } else if (rc != SQLITE_OK) {
        *s = db_fail(st, rc, "cannot read the run store");
        kind = -1;
    } else if (app == 0 && *version == 0 && objects == 0) {
        kind = 0;
    } else if (app != VN_STORE_APP_ID) {
        *s = fail(st, VN_ERR_IO, "%s: not a vernier run store (a SQLite database of "
                                 "another application)", st->path);
        kind = -1;
    } else if (*version > VN_STORE_SCHEMA) {
        *s = fail(st, VN_ERR_IO,
                  "%s: store schema %lld is newer than this vernier supports (%d): "
                  "upgrade vernier", st->path, *version, VN_STORE_SCHEMA);
        kind = -1;
    } else if (*version < 1) {
        *s = fail(st, VN_ERR_IO, "%s: not a vernier run store (schema version %lld)",
                  st->path, *version);
        kind = -1;
    }
    if (own_txn)
        rollback(st); /* ends the read transaction (after the message is taken) */
    return kind;
}

/* Brings the file to VN_STORE_SCHEMA in one transaction. The version is read again
 * under the write lock: another process may have created or migrated it meanwhile. */
static vn_status migrate(vn_store *st)
{
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(st, rc, "cannot write to the run store");
    vn_status s = VN_OK;
    long long version = 0;
    const int kind = identify(st, &version, &s);
    if (kind < 0) {
        rollback(st);
        return s;
    }
    for (long long k = version; k < VN_STORE_SCHEMA; k++) {
        rc = migrations[k](st->db);
        if (rc != SQLITE_OK) {
            s = db_fail(st, rc, k == 0 ? "cannot create the run store"
                                       : "cannot migrate the run store");
            rollback(st);
            return s;
        }
    }
    if (version < VN_STORE_SCHEMA) {
        /* A constant: the schema version this code writes. */
        char sql[48];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", VN_STORE_SCHEMA);
        rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    } else {
        rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        s = db_fail(st, rc, version == 0 ? "cannot create the run store"
                                         : "cannot migrate the run store");
        rollback(st);
    }
    return s;
}

/* Connection settings for a file that may come from elsewhere (SQLite's "Defense
 * Against the Dark Arts"): no schema-defined functions with side effects, no writes to
 * the schema through SQL, no triggers or views (a store has none), strict quoting. */
static int configure(sqlite3 *db)
{
    sqlite3_extended_result_codes(db, 1);
    int rc = sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#endif
#ifdef SQLITE_DBCONFIG_TRUSTED_SCHEMA
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
#endif
#ifdef SQLITE_DBCONFIG_DQS_DML
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
#endif
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, (int *)NULL);
#ifdef SQLITE_DBCONFIG_ENABLE_VIEW
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, (int *)NULL);
#endif
    /* These pragmas read nothing from the file. trusted_schema repeats the db_config
     * above for SQLite builds that predate it. */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA trusted_schema = OFF; PRAGMA foreign_keys = ON; "
                              "PRAGMA cell_size_check = ON", NULL, NULL, NULL);
    return rc;
}

/* WAL (readers never block the writer, one fsync-free commit per run) with
 * synchronous=NORMAL: a committed run survives a killed process; a power cut may lose
 * the last commits but never corrupts the file. */
static vn_status set_wal(vn_store *st)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
    bool wal = false;
    /* Switching a new file to WAL needs an exclusive lock, and SQLite reports BUSY at
     * once, without the busy handler, when other processes are switching it too (as
     * when several loggers create one store together): wait and retry here. */
    for (int waited = 0; rc == SQLITE_OK;) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(q, 0);
            wal = mode && strcmp(mode, "wal") == 0;
            rc = SQLITE_OK;
            break;
        }
        sqlite3_reset(q);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
            break;
        const int slept = sqlite3_sleep(2 + (int)((unsigned)getpid() % 7u));
        waited += slept > 0 ? slept : 1;
        rc = SQLITE_OK;
    }
    vn_status s = VN_OK;
    if (rc != SQLITE_OK)
        s = db_fail(st, rc, "cannot switch the run store to WAL mode");
    sqlite3_finalize(q);
    if (s != VN_OK)
        return s;
    if (!wal)
        return fail(st, VN_ERR_IO, "%s: cannot switch the run store to WAL mode: the file "
                                   "or its directory is read-only", st->path);
    rc = sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    return rc == SQLITE_OK ? VN_OK : db_fail(st, rc, "cannot configure the run store");
}

vn_status vn_store_open(const char *path, vn_store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!path || !*path)
        path = getenv("VERNIER_STORE");
    if (!path || !*path)
        path = ".vernier/runs.db";
    VN_TRY(make_parent(path, errbuf, errlen));

    vn_store *st = vn__calloc(1, sizeof *st);
    VN_RETURN_IF(!st, VN_ERR_NOMEM, "out of memory");
    st->path = vn__strdup(path);
    /* A relative name SQLite would read as a URI ("file:…", with URI filenames on in
     * Debian's build) or as ":memory:" is made explicit, so the store is that file. */
    const bool literal = strncmp(path, "file:", 5) == 0 || path[0] == ':';
    char *fname = literal ? vn__malloc(strlen(path) + 3) : NULL;
    if (!st->path || (literal && !fname)) {
        vn__free(fname);
        vn_store_close(st);
        VN_RETURN_IF(true, VN_ERR_NOMEM, "out of memory");
    }
    if (fname)
        snprintf(fname, strlen(path) + 3, "./%s", path);

    int rc = sqlite3_open_v2(fname ? fname : path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    vn__free(fname);
    vn_status s = VN_OK;
    if (rc != SQLITE_OK)
        s = db_fail(st, rc, "cannot open the run store");
    if (s == VN_OK) {
        rc = configure(st->db);
        if (rc != SQLITE_OK)
            s = db_fail(st, rc, "cannot configure the run store");
    }
    /* Identify the file before writing anything to it, WAL mode included: a foreign
     * database or a newer store is left exactly as it was. */
    long long version = 0;
    int kind = 0;
    if (s == VN_OK)
        kind = identify(st, &version, &s);
    if (s == VN_OK)
        s = set_wal(st);
    if (s == VN_OK && (kind == 0 || version < VN_STORE_SCHEMA))
        s = migrate(st);
    if (s != VN_OK) {
        vn__fmt(errbuf, errlen, "%s", st->errmsg);
        vn_store_close(st);
        return s;
    }
    *out = st;
    return VN_OK;
}

void vn_store_close(vn_store *st)
{
    if (!st)
        return;
    for (int i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(st->q[i]);
    sqlite3_close_v2(st->db);
    vn__free(st->path);
    vn__free(st);
}

const char *vn_store_errmsg(const vn_store *st) { return st ? st->errmsg : "no store"; }

const char *vn_store_path(const vn_store *st) { return st ? st->path : ""; }

/* ---------------------------------------------------------------------------------
 * Logging.
 * ------------------------------------------------------------------------------- */

/* 16 lowercase hex digits from the kernel's random source. */
static bool new_run_id(char id[VN_RUN_ID_LEN + 1])
{
    unsigned char b[VN_RUN_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof b) {
        const ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof b) { /* a kernel without getrandom(2) */
        const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        got = 0;
        while (got < sizeof b) {
            const ssize_t n = read(fd, b + got, sizeof b - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
        if (got < sizeof b)
            return false;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof b; i++) {
        id[2 * i] = hex[b[i] >> 4];
        id[2 * i + 1] = hex[b[i] & 15];
    }
    id[VN_RUN_ID_LEN] = '\0';
    return true;
}

/* The current UTC time as 2026-11-28T14:03:07.123Z. */
static void now_iso(char buf[96])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000);
}

/* A growable byte buffer for labels and JSON. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static bool sb_add(sbuf *b, const char *s, size_t n)
{
    if (!vn__grow((void **)&b->p, &b->cap, b->len + n + 1, 1))
        return false;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

static bool sb_str(sbuf *b, const char *s) { return sb_add(b, s, strlen(s)); }

/* s as a JSON string literal. */
static bool sb_json(sbuf *b, const char *s)
{
    if (!sb_add(b, "\"", 1))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            esc[2] = '\0';
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
        } else {
            esc[0] = (char)*p;
            esc[1] = '\0';
        }
        if (!sb_str(b, esc))
            return false;
    }
    return sb_add(b, "\"", 1);
}

/* The slice label as the outputs print it: "overall" or "a=x,b=y". */
static bool slice_label(const vn_result *res, size_t s, sbuf *b)
{
    b->len = 0;
    if (s == 0)
        return sb_str(b, "overall");
    if (!sb_add(b, "", 0))
        return false;
    for (size_t c = 0; c < res->by_count; c++)
        if ((c && !sb_str(b, ",")) || !sb_str(b, res->by_names[c]) || !sb_str(b, "=") ||
            !sb_str(b, res->slices[s].values[c]))
            return false;
    return true;
}

static const char *const zero_names[] = {"nan", "skip", "eps"};
static const char *const r2c_names[] = {"undefined", "sklearn"};

/* Checks meta before anything is written. */
static vn_status check_meta(vn_store *st, const vn_run_meta *meta)
{
    if (!meta || meta->ntags == 0)
        return VN_OK;
    if (!meta->tag_keys)
        return fail(st, VN_ERR_USAGE, "run tags: %zu tags but no keys", meta->ntags);
    for (size_t i = 0; i < meta->ntags; i++) {
        const char *k = meta->tag_keys[i];
        if (!k || !*k)
            return fail(st, VN_ERR_USAGE, "run tag %zu: the key is empty", i + 1);
        if (strchr(k, '='))
            return fail(st, VN_ERR_USAGE, "run tag \"%s\": a key cannot contain '='", k);
    }
    return VN_OK;
}

/* The statements of one log, in order; returns an SQLite code, *what says which step
 * failed. All text is bound SQLITE_STATIC from buffers that outlive the call. */
static int log_steps(vn_store *st, const vn_result *res, const vn_run_meta *meta,
                     const char *id, const char *created, const char *by_json, sbuf *label,
                     const char **what)
{
    sqlite3_stmt *q;
    int rc;
    *what = "cannot write to the run store";
    if ((rc = prep(st, Q_BEGIN, &q)) != SQLITE_OK || (rc = exec_stmt(st, q)) != SQLITE_OK)
        return rc;

    *what = "cannot record the run";
    if ((rc = prep(st, Q_INSERT_RUN, &q)) != SQLITE_OK)
        return rc;
    const vn_input_info *in = &res->input;
    const vn_run_meta none = {0};
    const vn_run_meta *m = meta ? meta : &none;
    bind_text(q, 1, id);
    bind_text(q, 2, created);
    bind_text(q, 3, m->name);
    bind_text(q, 4, m->command && *m->command ? m->command : "eval");
    bind_text(q, 5, or_null(m->argv));
    bind_text(q, 6, or_null(m->spec));
    bind_text(q, 7, or_null(in->source));
    bind_text(q, 8, or_null(in->y));
    bind_text(q, 9, or_null(in->yhat));
    bind_text(q, 10, or_null(in->weight));
    bind_text(q, 11, by_json);
    bind_text(q, 12, or_null(in->data_hash));
    sqlite3_bind_int64(q, 13, (sqlite3_int64)in->rows_read);
    sqlite3_bind_int64(q, 14, (sqlite3_int64)(res->nslices ? res->slices[0].rows : 0));
    sqlite3_bind_int64(q, 15, (sqlite3_int64)in->rows_missing);
    sqlite3_bind_int64(q, 16, (sqlite3_int64)in->rows_zero_weight);
    bind_text(q, 17, zero_names[res->opts.zero <= VN_ZERO_EPS ? res->opts.zero : 0]);
    bind_text(q, 18, r2c_names[res->opts.r2c == VN_R2_SKLEARN]);
    sqlite3_bind_int64(q, 19, (sqlite3_int64)res->min_count);
    sqlite3_bind_int64(q, 20, (sqlite3_int64)res->nslices);
    sqlite3_bind_int64(q, 21, (sqlite3_int64)res->nmetrics);
    bind_text(q, 22, VN_VERSION);
    bind_text(q, 23, VN_JSON_SCHEMA);
    bind_text(q, 24, or_null(m->git_commit));
    if ((rc = exec_stmt(st, q)) != SQLITE_OK)
        return rc;

    if (m->ntags) {
        if ((rc = prep(st, Q_INSERT_TAG, &q)) != SQLITE_OK)
            return rc;
        bind_text(q, 1, id);
        for (size_t i = 0; i < m->ntags; i++) {
            const char *v = m->tag_values ? m->tag_values[i] : NULL;
            bind_text(q, 2, m->tag_keys[i]);
            bind_text(q, 3, v ? v : "");
            if ((rc = exec_stmt(st, q)) != SQLITE_OK)
                return rc;
        }
    }

    sqlite3_stmt *qs, *qk, *qv;
    if ((rc = prep(st, Q_INSERT_SLICE, &qs)) != SQLITE_OK ||
        (rc = prep(st, Q_INSERT_SLICE_KEY, &qk)) != SQLITE_OK ||
        (rc = prep(st, Q_INSERT_VALUE, &qv)) != SQLITE_OK)
        return rc;
    bind_text(qs, 1, id);
    bind_text(qk, 1, id);
    bind_text(qv, 1, id);
    for (size_t s = 0; s < res->nslices; s++) {
        if (!slice_label(res, s, label))
            return SQLITE_NOMEM;
        sqlite3_bind_int64(qs, 2, (sqlite3_int64)s);
        bind_text(qs, 3, label->p);
        sqlite3_bind_int64(qs, 4, (sqlite3_int64)res->slices[s].rows);
        if ((rc = exec_stmt(st, qs)) != SQLITE_OK)
            return rc;
        for (size_t c = 0; s > 0 && c < res->by_count; c++) {
            sqlite3_bind_int64(qk, 2, (sqlite3_int64)s);
            sqlite3_bind_int64(qk, 3, (sqlite3_int64)c);
            bind_text(qk, 4, res->by_names[c]);
            bind_text(qk, 5, res->slices[s].values[c]);
            if ((rc = exec_stmt(st, qk)) != SQLITE_OK)
                return rc;
        }
        sqlite3_bind_int64(qv, 2, (sqlite3_int64)s);
        for (size_t k = 0; k < res->nmetrics; k++) {
            const vn_value *v = &res->values[s * res->nmetrics + k];
            sqlite3_bind_int64(qv, 3, (sqlite3_int64)k);
            bind_text(qv, 4, res->ms[k].key);
            bind_text(qv, 5, res->ms[k].info->id);
            bind_real(qv, 6, v->value);
            bind_real(qv, 7, v->lo); /* NULL when no interval was computed */
            bind_real(qv, 8, v->hi);
            bind_text(qv, 9, or_null(vn_reason_name(v->reason)));
            bind_text(qv, 10, or_null(v->message));
            if ((rc = exec_stmt(st, qv)) != SQLITE_OK)
                return rc;
        }
    }

    *what = "cannot commit the run";
    if ((rc = prep(st, Q_COMMIT, &q)) != SQLITE_OK || (rc = exec_stmt(st, q)) != SQLITE_OK)
        return rc;
    return SQLITE_OK;
}

vn_status vn_store_log(vn_store *st, const vn_result *res, const vn_run_meta *meta,
                       char id[VN_RUN_ID_LEN + 1])
{
    if (id)
        id[0] = '\0';
    if (!st || !res)
        return st ? fail(st, VN_ERR_USAGE, "vn_store_log: no result") : VN_ERR_USAGE;
    st->errmsg[0] = '\0';
    VN_TRY(check_meta(st, meta));

    char rid[VN_RUN_ID_LEN + 1], created[96];
    if (!new_run_id(rid))
        return fail(st, VN_ERR_IO, "%s: cannot record the run: no random source for the "
                                   "run id (%s)", st->path, strerror(errno));
    now_iso(created);

    sbuf by = {0}, label = {0};
    bool ok = sb_str(&by, "[");
    for (size_t c = 0; ok && c < res->by_count; c++)
        ok = (!c || sb_str(&by, ",")) && sb_json(&by, res->by_names[c]);
    ok = ok && sb_str(&by, "]");
    if (!ok) {
        vn__free(by.p);
        return nomem(st);
    }

    const char *crash = getenv("VERNIER_STORE_CRASH_AT");
    st->crash_at = crash ? strtol(crash, NULL, 10) : 0;
    st->steps = 0;

    const char *what = "";
    const int rc = log_steps(st, res, meta, rid, created, by.p, &label, &what);
    vn_status s = VN_OK;
    if (rc != SQLITE_OK) {
        s = db_fail(st, rc, what);
        rollback(st);
    }
    st->crash_at = 0;
    release_all(st);
    vn__free(by.p);
    vn__free(label.p);
    if (s == VN_OK && id)
        memcpy(id, rid, sizeof rid);
    return s;
}

/* ---------------------------------------------------------------------------------
 * Reading back. A list owns one arena holding every string and pointer array.
 * ------------------------------------------------------------------------------- */
typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} chunk;

typedef struct arena {
    chunk *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    n = (n + align - 1) / align * align;
    chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        const size_t cap = n > 4000 ? n : 4000;
        c = vn__malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void arena_free(arena *a)
{
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        vn__free(c);
    }
    a->head = NULL;
}

/* Column i as an owned string: "" for NULL (no allocation); NULL when out of memory. */
static const char *col_str(arena *a, sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    if (!t)
        return "";
    const size_t n = (size_t)sqlite3_column_bytes(q, i);
    if (n == 0)
        return "";
    char *d = arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, t, n);
        d[n] = '\0';
    }
    return d;
}

static double col_real(sqlite3_stmt *q, int i)
{
    return sqlite3_column_type(q, i) == SQLITE_NULL ? NAN : sqlite3_column_double(q, i);
}

static uint64_t col_u64(sqlite3_stmt *q, int i)
{
    const sqlite3_int64 v = sqlite3_column_int64(q, i);
    return v > 0 ? (uint64_t)v : 0;
}

struct vn_runs {
    vn_run *v;
    size_t n, cap;
    arena a;
};

struct vn_run_values {
    vn_run_value *v;
    size_t n, cap;
    arena a;
};

/* Reads the run at the current row of q (RUN_COLUMNS) into r; false when out of memory. */
static bool read_run(arena *a, sqlite3_stmt *q, vn_run *r)
{
    const char **f[] = {&r->id, &r->created_at, &r->name, &r->command, &r->argv, &r->spec,
                        &r->source, &r->y, &r->yhat, &r->weight, &r->data_hash, &r->version,
                        &r->git_commit};
    for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
        if (!(*f[i] = col_str(a, q, i)))
            return false;
    r->rows_read = col_u64(q, 13);
    r->rows_used = col_u64(q, 14);
    r->rows_missing = col_u64(q, 15);
    r->rows_zero_weight = col_u64(q, 16);
    return true;
}

/* Fills in the tags of r. Returns an SQLite code (SQLITE_NOMEM when the arena fails). */
static int read_tags(vn_store *st, arena *a, vn_run *r)
{
    sqlite3_stmt *q;
    int rc = prep(st, Q_TAGS_OF, &q);
    if (rc != SQLITE_OK)
        return rc;
    bind_text(q, 1, r->id);
    size_t n = 0, cap = 0;
    const char **keys = NULL, **vals = NULL;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) { /* grow both arrays inside the arena */
            const size_t ncap = cap ? 2 * cap : 4;
            const char **k2 = arena_alloc(a, ncap * sizeof *k2);
            const char **v2 = arena_alloc(a, ncap * sizeof *v2);
            if (!k2 || !v2) {
                rc = SQLITE_NOMEM;
                break;
            }
            if (n) {
                memcpy(k2, keys, n * sizeof *k2);
                memcpy(v2, vals, n * sizeof *v2);
            }
            keys = k2;
            vals = v2;
            cap = ncap;
        }
        keys[n] = col_str(a, q, 0);
        vals[n] = col_str(a, q, 1);
        if (!keys[n] || !vals[n]) {
            rc = SQLITE_NOMEM;
            break;
        }
        n++;
    }
    sqlite3_reset(q);
    r->ntags = n;
    r->tag_keys = keys;
    r->tag_values = vals;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* A parsed selector. */
typedef struct selector {
    int query;          /* Q_FIND_* */
    char a[VN_RUN_ID_LEN + 2]; /* the id prefix with its '*' */
    const char *key, *value;   /* into the caller's copy */
    long long offset;   /* latest~N */
    bool latest, prefix;
} selector;

#define SELECTOR_FORMS                                                                      \
    "use latest, latest~N, an id prefix of 4 to 16 hex digits, tag:KEY, tag:KEY=VALUE or "  \
    "name:NAME"

/* Parses text (modified: the '=' of tag:KEY=VALUE is cut) into sel. */
static vn_status parse_selector(vn_store *st, char *text, selector *sel)
{
    memset(sel, 0, sizeof *sel);
    sel->query = Q_FIND_ALL;
    if (!text || !*text)
        return VN_OK;
    if (strcmp(text, "latest") == 0) {
        sel->latest = true;
        return VN_OK;
    }
    if (strncmp(text, "latest~", 7) == 0) {
        const char *p = text + 7;
        long long n = 0;
        bool ok = *p != '\0';
        for (; ok && *p; p++) {
            ok = *p >= '0' && *p <= '9' && n < 100000000;
            n = n * 10 + (*p - '0');
        }
        if (!ok)
            return fail(st, VN_ERR_USAGE, "bad run selector \"%s\": N in latest~N is a "
                                          "count of runs (latest~1 is the one before the "
                                          "latest)", text);
        sel->latest = true;
        sel->offset = n;
        return VN_OK;
    }
    if (strncmp(text, "tag:", 4) == 0) {
        char *key = text + 4;
        char *eq = strchr(key, '=');
        if (eq) {
            *eq = '\0';
            sel->value = eq + 1;
        }
        if (!*key)
            return fail(st, VN_ERR_USAGE, "bad run selector \"tag:%s%s\": the tag key is "
                                          "empty; " SELECTOR_FORMS, key, eq ? "=" : "");
        sel->key = key;
        sel->query = eq ? Q_FIND_TAG_VALUE : Q_FIND_TAG;
        return VN_OK;
    }
    if (strncmp(text, "name:", 5) == 0) {
        if (!text[5])
            return fail(st, VN_ERR_USAGE, "bad run selector \"name:\": the name is empty; "
                                          SELECTOR_FORMS);
        sel->key = text + 5;
        sel->query = Q_FIND_NAME;
        return VN_OK;
    }
    const size_t n = strlen(text);
    bool hex = n >= 4 && n <= VN_RUN_ID_LEN;
    for (size_t i = 0; hex && i < n; i++)
        hex = (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f') ||
              (text[i] >= 'A' && text[i] <= 'F');
    if (!hex)
        return fail(st, VN_ERR_USAGE, "bad run selector \"%s\": " SELECTOR_FORMS, text);
    for (size_t i = 0; i < n; i++) /* ids are lowercase */
        sel->a[i] = (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
    sel->a[n] = '*';
    sel->a[n + 1] = '\0';
    sel->query = Q_FIND_PREFIX;
    sel->prefix = true;
    return VN_OK;
}

/* Runs the selector's query with the given limit (0 = all) into *out. */
static vn_status find(vn_store *st, const selector *sel, long long limit, vn_runs **out)
{
    *out = NULL;
    vn_runs *runs = vn__calloc(1, sizeof *runs);
    if (!runs)
        return nomem(st);
    sqlite3_stmt *q = NULL, *b = NULL;
    int rc = prep(st, Q_BEGIN_READ, &b);
    if (rc == SQLITE_OK)
        rc = prep(st, sel->query, &q);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(b);
        sqlite3_reset(b);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc == SQLITE_OK) {
        if (sel->prefix)
            bind_text(q, 1, sel->a);
        else if (sel->key)
            bind_text(q, 1, sel->key);
        if (sel->value)
            bind_text(q, 2, sel->value);
        sqlite3_bind_int64(q, 9, sel->latest ? 1 : limit > 0 ? limit : -1);
        sqlite3_bind_int64(q, 10, sel->offset);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (!vn__grow((void **)&runs->v, &runs->cap, runs->n + 1, sizeof *runs->v)) {
                rc = SQLITE_NOMEM;
                break;
            }
            vn_run *r = &runs->v[runs->n];
            memset(r, 0, sizeof *r);
            if (!read_run(&runs->a, q, r)) {
                rc = SQLITE_NOMEM;
                break;
            }
            runs->n++;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    for (size_t i = 0; rc == SQLITE_OK && i < runs->n; i++)
        rc = read_tags(st, &runs->a, &runs->v[i]);
    vn_status s = VN_OK;
    if (rc != SQLITE_OK)
        s = db_fail(st, rc, "cannot read the run store");
    rollback(st); /* ends the read transaction */
    release_all(st);
    if (s != VN_OK) {
        vn_runs_free(runs);
        return s;
    }
    *out = runs;
    return VN_OK;
}

vn_status vn_store_find(vn_store *st, const char *selector_text, size_t limit, vn_runs **out)
{
    *out = NULL;
    st->errmsg[0] = '\0';
    char *text = selector_text ? vn__strdup(selector_text) : NULL;
    if (selector_text && !text)
        return nomem(st);
    selector sel;
    vn_status s = parse_selector(st, text, &sel);
    if (s == VN_OK)
        s = find(st, &sel, (long long)(limit > (size_t)INT64_MAX ? 0 : limit), out);
    vn__free(text);
    return s;
}

vn_status vn_store_get(vn_store *st, const char *selector_text, vn_runs **out)
{
    *out = NULL;
    st->errmsg[0] = '\0';
    char *text = selector_text ? vn__strdup(selector_text) : NULL;
    if (selector_text && !text)
        return nomem(st);
    selector sel;
    vn_status s = parse_selector(st, text, &sel);
    vn_runs *runs = NULL;
    if (s == VN_OK)
        s = find(st, &sel, sel.prefix ? 0 : 1, &runs);
    vn__free(text);
    if (s != VN_OK)
        return s;
    if (runs->n == 0) {
        vn_runs_free(runs);
        if (!selector_text || !*selector_text)
            return fail(st, VN_ERR_USAGE, "no run in %s: the store is empty", st->path);
        return fail(st, VN_ERR_USAGE, "no run matches \"%s\" in %s", selector_text, st->path);
    }
    if (runs->n > 1) {
        s = fail(st, VN_ERR_USAGE, "run id prefix \"%s\" is ambiguous: it matches %zu runs "
                 "(%s, %s%s); give more digits", selector_text, runs->n, runs->v[0].id,
                 runs->v[1].id, runs->n > 2 ? ", ..." : "");
        vn_runs_free(runs);
        return s;
    }
    *out = runs;
    return VN_OK;
}

size_t vn_runs_count(const vn_runs *runs) { return runs ? runs->n : 0; }

const vn_run *vn_runs_at(const vn_runs *runs, size_t i)
{
    return runs && i < runs->n ? &runs->v[i] : NULL;
}

void vn_runs_free(vn_runs *runs)
{
    if (!runs)
        return;
    arena_free(&runs->a);
    vn__free(runs->v);
    vn__free(runs);
}

/* VN_OK when the run exists; VN_ERR_USAGE naming it when not. */
static vn_status run_exists(vn_store *st, const char *run_id)
{
    sqlite3_stmt *q;
    int rc = prep(st, Q_RUN_EXISTS, &q);
    if (rc == SQLITE_OK) {
        bind_text(q, 1, run_id);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
    }
    if (rc == SQLITE_DONE)
        return fail(st, VN_ERR_USAGE, "no run \"%s\" in %s", run_id, st->path);
    if (rc != SQLITE_ROW)
        return db_fail(st, rc, "cannot read the run store");
    return VN_OK;
}

vn_status vn_store_values(vn_store *st, const char *run_id, vn_run_values **out)
{
    *out = NULL;
    st->errmsg[0] = '\0';
    if (!run_id)
        return fail(st, VN_ERR_USAGE, "vn_store_values: no run id");
    vn_run_values *vals = vn__calloc(1, sizeof *vals);
    if (!vals)
        return nomem(st);
    sqlite3_stmt *b = NULL, *q = NULL;
    int rc = prep(st, Q_BEGIN_READ, &b);
    if (rc == SQLITE_OK)
        rc = prep(st, Q_VALUES_OF, &q);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(b);
        sqlite3_reset(b);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    vn_status s = VN_OK;
    if (rc == SQLITE_OK)
        s = run_exists(st, run_id);
    if (rc == SQLITE_OK && s == VN_OK) {
        bind_text(q, 1, run_id);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (!vn__grow((void **)&vals->v, &vals->cap, vals->n + 1, sizeof *vals->v)) {
                rc = SQLITE_NOMEM;
                break;
            }
            vn_run_value *v = &vals->v[vals->n];
            v->slice = col_str(&vals->a, q, 0);
            v->metric = col_str(&vals->a, q, 1);
            v->metric_id = col_str(&vals->a, q, 2);
            v->value = col_real(q, 3);
            v->lo = col_real(q, 4);
            v->hi = col_real(q, 5);
            v->reason = col_str(&vals->a, q, 6);
            v->message = col_str(&vals->a, q, 7);
            v->rows = col_u64(q, 8);
            if (!v->slice || !v->metric || !v->metric_id || !v->reason || !v->message) {
                rc = SQLITE_NOMEM;
                break;
            }
            vals->n++;
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(q);
    }
    if (s == VN_OK && rc != SQLITE_OK)
        s = db_fail(st, rc, "cannot read the run's values");
    rollback(st);
    release_all(st);
    if (s != VN_OK) {
        vn_run_values_free(vals);
        return s;
    }
    *out = vals;
    return VN_OK;
}

size_t vn_run_values_count(const vn_run_values *v) { return v ? v->n : 0; }

const vn_run_value *vn_run_values_at(const vn_run_values *v, size_t i)
{
    return v && i < v->n ? &v->v[i] : NULL;
}

void vn_run_values_free(vn_run_values *v)
{
    if (!v)
        return;
    arena_free(&v->a);
    vn__free(v->v);
    vn__free(v);
}

/* ---------------------------------------------------------------------------------
 * Editing.
 * ------------------------------------------------------------------------------- */

/* Runs q (bound by the caller) in its own write transaction after checking that the
 * run exists. */
static vn_status edit(vn_store *st, const char *run_id, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(st, rc, "cannot write to the run store");
    vn_status s = run_exists(st, run_id);
    if (s == VN_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_DONE)
            rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_DONE)
            s = db_fail(st, rc, what);
    }
    sqlite3_reset(q);
    rollback(st);
    return s;
}

vn_status vn_store_tag(vn_store *st, const char *run_id, const char *key, const char *value)
{
    st->errmsg[0] = '\0';
    if (!run_id)
        return fail(st, VN_ERR_USAGE, "vn_store_tag: no run id");
    const char *keys[] = {key};
    const vn_run_meta meta = {.ntags = 1, .tag_keys = keys};
    VN_TRY(check_meta(st, &meta));
    sqlite3_stmt *q;
    const int rc = prep(st, value ? Q_INSERT_TAG : Q_DELETE_TAG, &q);
    if (rc != SQLITE_OK)
        return db_fail(st, rc, "cannot tag the run");
    bind_text(q, 1, run_id);
    bind_text(q, 2, key);
    if (value)
        bind_text(q, 3, value);
    const vn_status s = edit(st, run_id, q, "cannot tag the run");
    release_all(st);
    return s;
}

vn_status vn_store_delete(vn_store *st, const char *run_id)
{
    st->errmsg[0] = '\0';
    if (!run_id)
        return fail(st, VN_ERR_USAGE, "vn_store_delete: no run id");
    sqlite3_stmt *q = NULL;
    /* Not cached: deleting is rare. The cascade removes tags, slices and values. */
    int rc = sqlite3_prepare_v2(st->db, "DELETE FROM runs WHERE id = ?1", -1, &q, NULL);
    if (rc != SQLITE_OK)
        return db_fail(st, rc, "cannot delete the run");
    bind_text(q, 1, run_id);
    const vn_status s = edit(st, run_id, q, "cannot delete the run");
    sqlite3_finalize(q);
    release_all(st);
    return s;
}
