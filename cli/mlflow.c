/*
 * mlflow.c — `vernier runs export-mlflow`: runs from the store written in MLflow's
 * local file-store layout (the "mlruns" directory of MLflow 2.x's FileStore,
 * mlflow/store/tracking/file_store.py), so that `mlflow ui --backend-store-uri DIR`
 * shows them. docs/runs.md, "MLflow export", is the field-by-field description.
 *
 *   DIR/<experiment_id>/meta.yaml                  written when missing
 *   DIR/<experiment_id>/<run_uuid>/meta.yaml       RunInfo, status FINISHED
 *   DIR/<experiment_id>/<run_uuid>/metrics/<key>   "<timestamp_ms> <value> <step>\n"
 *   DIR/<experiment_id>/<run_uuid>/params/<key>    the value, no newline
 *   DIR/<experiment_id>/<run_uuid>/tags/<key>      the value, no newline
 *   DIR/<experiment_id>/<run_uuid>/artifacts/      empty
 *
 * A run directory is filled under a temporary name inside the experiment directory,
 * its meta.yaml last (MLflow skips a directory without one), synced, then renamed into
 * place, or atomically exchanged with the directory of an earlier export of the same
 * run, which is then removed.
 */
#include "cli.h"
#include "mlflow.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* MLflow's limits (mlflow/utils/validation.py): longer keys are refused by MLflow's
 * own logging calls, longer values truncated. */
#define MLFLOW_KEY_MAX 250
#define MLFLOW_PARAM_MAX 6000
#define MLFLOW_TAG_MAX 5000

enum { RUN_STATUS_FINISHED = 3, SOURCE_TYPE_LOCAL = 4 }; /* mlflow.entities.RunStatus, SourceType */

/* ---- names ---- */

/* Appends to out (capacity cap, NUL-terminated) a name component made safe for MLflow:
 * letters, digits, '_', '-', '.' and ' ' stay; every other byte or UTF-8 sequence,
 * '/' included, becomes one '_'. A component that would read as a path step ("",
 * ".", "..") becomes "_". */
static void safe_component(char *out, size_t cap, const char *s)
{
    size_t o = strlen(out);
    const size_t start = o;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 1 < cap;) {
        const unsigned char c = *p;
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ' ';
        out[o++] = ok ? (char)c : '_';
        p++;
        if (c >= 0xC0) /* skip the continuation bytes of one UTF-8 sequence */
            while ((*p & 0xC0) == 0x80)
                p++;
    }
    out[o] = '\0';
    const char *comp = out + start;
    if (!*comp || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
        if (start + 1 < cap) {
            out[start] = '_';
            out[start + 1] = '\0';
        }
    }
}

/* The run's metric key for a value: "<slice>/<metric>", each part made safe, at most
 * MLFLOW_KEY_MAX bytes, and made unique among used[0..nused) with "_2", "_3", ...
 * out has room for MLFLOW_KEY_MAX + 16 bytes. */
static void metric_key(char *out, const char *slice, const char *metric, char **used,
                       size_t nused)
{
    char sl[MLFLOW_KEY_MAX + 1] = "", me[MLFLOW_KEY_MAX + 1] = "";
    safe_component(sl, sizeof sl, slice);
    safe_component(me, sizeof me, metric);
    /* Keep the metric whole when possible: trim the slice part first. */
    const size_t room = MLFLOW_KEY_MAX - 11; /* space for a "_N" suffix */
    size_t lm = strlen(me) > room / 2 ? room / 2 : strlen(me);
    size_t ls = strlen(sl) > room - lm - 1 ? room - lm - 1 : strlen(sl);
    me[lm] = '\0';
    sl[ls] = '\0';
    char base[MLFLOW_KEY_MAX + 1];
    if (snprintf(base, sizeof base, "%s/%s", sl, me) >= (int)sizeof base)
        base[sizeof base - 1] = '\0'; /* cannot happen: ls + 1 + lm <= room */
    strcpy(out, base);
    for (unsigned k = 2;; k++) {
        bool taken = false;
        for (size_t i = 0; i < nused && !taken; i++)
            taken = strcmp(used[i], out) == 0;
        if (!taken)
            return;
        snprintf(out, MLFLOW_KEY_MAX + 16, "%s_%u", base, k);
    }
}

/* ---- files ---- */

/* Writes len bytes to a new file; 0 or an errno value. */
static int write_new(const char *path, const char *data, size_t len)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0)
        return errno;
    while (len > 0) {
        const ssize_t k = write(fd, data, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            const int e = k < 0 ? errno : EIO;
            close(fd);
            return e;
        }
        data += k;
        len -= (size_t)k;
    }
    return close(fd) == 0 ? 0 : errno;
}

/* value truncated to at most max bytes, not inside a UTF-8 sequence. */
static size_t clipped_len(const char *value, size_t max)
{
    size_t n = strlen(value);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)value[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes a directory tree this export created (or swapped out); best effort. */
static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir that accepts an existing directory; 0 or an errno value. */
static int mkdir_ok(const char *path)
{
    struct stat sb;
    if (mkdir(path, 0777) == 0)
        return 0;
    const int e = errno;
    if (e == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return 0;
    return e == EEXIST ? ENOTDIR : e;
}

/* mkdir -p; 0 or an errno value. */
static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return ENOMEM;
    int e = 0;
    for (char *s = p + 1; *s && !e; s++)
        if (*s == '/') {
            *s = '\0';
            e = mkdir_ok(p);
            *s = '/';
        }
    if (!e)
        e = mkdir_ok(p);
    free(p);
    return e;
}

/* ---- YAML ---- */

/* A YAML double-quoted scalar: JSON-style escapes for quotes, backslashes and control
 * characters; U+0085, U+2028 and U+2029 (line breaks to YAML) and bytes that are not
 * valid UTF-8 escaped, so that any stored text reads back. */
static void yaml_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fprintf(fp, "\\%c", c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(fp, "\\x%02x", c);
            p++;
        } else if (c < 0x80) {
            fputc(c, fp);
            p++;
        } else {
            /* A well-formed UTF-8 sequence passes (but the YAML line breaks); a stray
             * byte becomes U+FFFD. */
            const int n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
            int ok = n > 0;
            for (int i = 1; i < n && ok; i++)
                ok = (p[i] & 0xC0) == 0x80;
            if (!ok) {
                fputs("\\ufffd", fp);
                p++;
            } else if (n == 2 && c == 0xC2 && p[1] == 0x85) {
                fputs("\\u0085", fp);
                p += 2;
            } else if (n == 3 && c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
                fprintf(fp, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
                p += 3;
            } else {
                fwrite(p, 1, (size_t)n, fp);
                p += n;
            }
        }
    }
    fputc('"', fp);
}

/* "file://" + the absolute path, percent-encoded as Python's pathlib.Path.as_uri()
 * does (MLflow's path_to_local_file_uri). Malloc'd, NULL when out of memory. */
static char *file_uri(const char *abs)
{
    char *u = malloc(7 + 3 * strlen(abs) + 1), *o = u;
    if (!u)
        return NULL;
    o += sprintf(o, "file://");
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/_.-~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return u;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- one export ---- */

typedef struct exporter {
    vn_store *st;
    const cli_mlflow_opts *opt;
    char *root;    /* realpath of DIR */
    char *expdir;  /* DIR/<experiment_id> */
    char *failed;  /* the path an error is about (malloc'd) */
    int err;       /* its errno */
} exporter;

static int fail(exporter *x, int e, const char *path)
{
    if (!x->err) {
        x->err = e ? e : EIO;
        free(x->failed);
        x->failed = strdup(path);
    }
    return -1;
}

/* Writes DIR/<id>/meta.yaml unless it exists; 0 or -1 (x->err set). */
static int experiment_meta(exporter *x)
{
    char *meta = NULL, *tmp = NULL, *loc = NULL, *uri = NULL;
    int rc = 0;
    if (asprintf(&meta, "%s/meta.yaml", x->expdir) < 0)
        return fail(x, ENOMEM, x->expdir);
    struct stat sb;
    if (stat(meta, &sb) == 0) {
        fprintf(stderr, "vernier: adding to the existing MLflow experiment %s in %s\n",
                x->opt->experiment_id, x->opt->dir);
        free(meta);
        return 0;
    }
    if (asprintf(&tmp, "%s/.meta.yaml.vernier-%ld", x->expdir, (long)getpid()) < 0)
        tmp = NULL;
    if (asprintf(&loc, "%s/%s", x->root, x->opt->experiment_id) < 0)
        loc = NULL;
    uri = loc ? file_uri(loc) : NULL;
    FILE *fp = tmp && uri ? fopen(tmp, "w") : NULL;
    if (!tmp || !uri) {
        rc = fail(x, ENOMEM, meta);
    } else if (!fp) {
        rc = fail(x, errno, tmp);
    } else {
        /* Keys sorted, as MLflow's write_yaml (yaml.safe_dump, sort_keys) writes them. */
        const long long now = (long long)now_ms();
        fputs("artifact_location: ", fp);
        yaml_str(fp, uri);
        fprintf(fp, "\ncreation_time: %lld\nexperiment_id: ", now);
        yaml_str(fp, x->opt->experiment_id);
        fprintf(fp, "\nlast_update_time: %lld\nlifecycle_stage: active\nname: ", now);
        yaml_str(fp, x->opt->experiment_name);
        fputc('\n', fp);
        const int bad = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0;
        const int e = errno;
        if ((fclose(fp) != 0 || bad) && !x->err)
            rc = fail(x, bad ? e : errno, tmp);
        else if (rename(tmp, meta) != 0)
            rc = fail(x, errno, meta);
        if (rc)
            unlink(tmp);
    }
    free(meta);
    free(tmp);
    free(loc);
    free(uri);
    return rc;
}

/* Writes a param or tag file dir/key with value clipped to max bytes. */
static int put_text(exporter *x, const char *dir, const char *key, const char *value, size_t max)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, key) < 0)
        return fail(x, ENOMEM, dir);
    const int e = write_new(path, value, clipped_len(value, max));
    const int rc = e ? fail(x, e, path) : 0;
    free(path);
    return rc;
}

/* Writes one run into tmp (an empty directory); 0 or -1. Counts what was written. */
static int fill_run(exporter *x, const vn_run *r, const char *tmp, const char *uuid,
                    int64_t t_ms, size_t *nmetrics, size_t *nskipped)
{
    char *metrics = NULL, *params = NULL, *tags = NULL, *arts = NULL;
    char **used = NULL;
    size_t nused = 0;
    vn_run_values *v = NULL;
    int rc = 0;
    if (asprintf(&metrics, "%s/metrics", tmp) < 0 || asprintf(&params, "%s/params", tmp) < 0 ||
        asprintf(&tags, "%s/tags", tmp) < 0 || asprintf(&arts, "%s/artifacts", tmp) < 0) {
        rc = fail(x, ENOMEM, tmp);
        goto out;
    }
    const char *dirs[] = {metrics, params, tags, arts};
    for (size_t i = 0; i < 4 && rc == 0; i++)
        if (mkdir(dirs[i], 0777) != 0)
            rc = fail(x, errno, dirs[i]);
    if (rc)
        goto out;

    /* metrics: one file per defined value */
    const vn_status s = vn_store_values(x->st, r->id, &v);
    if (s != VN_OK) {
        x->err = -1; /* a store error, reported by the caller */
        rc = -1;
        goto out;
    }
    const size_t nv = vn_run_values_count(v);
    used = calloc(nv + 1, sizeof *used);
    if (!used) {
        rc = fail(x, ENOMEM, metrics);
        goto out;
    }
    for (size_t i = 0; i < nv && rc == 0; i++) {
        const vn_run_value *val = vn_run_values_at(v, i);
        if (!isfinite(val->value)) {
            (*nskipped)++;
            continue;
        }
        char key[MLFLOW_KEY_MAX + 16], num[40], line[96], *path = NULL;
        metric_key(key, val->slice, val->metric, used, nused);
        used[nused] = strdup(key);
        if (!used[nused]) {
            rc = fail(x, ENOMEM, metrics);
            break;
        }
        nused++;
        /* the slice directory, then the file */
        char *slash = strchr(key, '/');
        *slash = '\0';
        if (asprintf(&path, "%s/%s", metrics, key) < 0) {
            rc = fail(x, ENOMEM, metrics);
            break;
        }
        const int e = mkdir_ok(path);
        free(path);
        path = NULL;
        *slash = '/';
        if (e) {
            rc = fail(x, e, metrics);
            break;
        }
        cli_num_exact(num, sizeof num, val->value);
        const int k = snprintf(line, sizeof line, "%lld %s 0\n", (long long)t_ms, num);
        if (asprintf(&path, "%s/%s", metrics, key) < 0) {
            rc = fail(x, ENOMEM, metrics);
            break;
        }
        const int e2 = write_new(path, line, (size_t)k);
        if (e2)
            rc = fail(x, e2, path);
        free(path);
        (*nmetrics)++;
    }
    if (rc)
        goto out;

    /* params: what the run was; empty ones are left out */
    char n[4][24];
    snprintf(n[0], sizeof n[0], "%llu", (unsigned long long)r->rows_read);
    snprintf(n[1], sizeof n[1], "%llu", (unsigned long long)r->rows_used);
    snprintf(n[2], sizeof n[2], "%llu", (unsigned long long)r->rows_missing);
    snprintf(n[3], sizeof n[3], "%llu", (unsigned long long)r->rows_zero_weight);
    const char *const pv[][2] = {
        {"spec", r->spec},         {"command", r->command},          {"argv", r->argv},
        {"source", r->source},     {"y", r->y},                      {"yhat", r->yhat},
        {"weight", r->weight},     {"data_hash", r->data_hash},      {"rows_read", n[0]},
        {"rows_used", n[1]},       {"rows_missing", n[2]},           {"rows_zero_weight", n[3]},
        {"vernier_version", r->version}, {"vernier_run_id", r->id},
    };
    for (size_t i = 0; i < sizeof pv / sizeof pv[0] && rc == 0; i++)
        if (pv[i][1] && *pv[i][1])
            rc = put_text(x, params, pv[i][0], pv[i][1], MLFLOW_PARAM_MAX);

    /* tags: the run's own (keys made safe), then MLflow's system tags, which win */
    for (size_t i = 0; i < r->ntags && rc == 0; i++) {
        char key[MLFLOW_KEY_MAX + 1] = "";
        safe_component(key, sizeof key, r->tag_keys[i]);
        rc = put_text(x, tags, key, r->tag_values[i], MLFLOW_TAG_MAX);
        if (rc && x->err == EEXIST) { /* two keys made the same: the first stays */
            x->err = 0;
            free(x->failed);
            x->failed = NULL;
            rc = 0;
        }
    }
    const char *const sys[][2] = {
        {"mlflow.runName", *r->name ? r->name : r->id},
        {"mlflow.source.git.commit", r->git_commit},
        {"mlflow.source.name", "vernier"},
        {"mlflow.source.type", "LOCAL"},
    };
    for (size_t i = 0; i < sizeof sys / sizeof sys[0] && rc == 0; i++) {
        if (!*sys[i][1])
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s/%s", tags, sys[i][0]) >= 0) {
            unlink(path); /* a vernier tag of the same name gives way */
            free(path);
        }
        rc = put_text(x, tags, sys[i][0], sys[i][1], MLFLOW_TAG_MAX);
    }
    if (rc)
        goto out;

    /* meta.yaml last: until it exists, MLflow does not take the directory for a run. */
    char *meta = NULL, *adir = NULL, *auri = NULL;
    if (asprintf(&meta, "%s/meta.yaml", tmp) < 0)
        meta = NULL;
    if (asprintf(&adir, "%s/%s/%s/artifacts", x->root, x->opt->experiment_id, uuid) < 0)
        adir = NULL;
    auri = adir ? file_uri(adir) : NULL;
    FILE *fp = meta && auri ? fopen(meta, "wx") : NULL;
    if (!meta || !auri) {
        rc = fail(x, ENOMEM, tmp);
    } else if (!fp) {
        rc = fail(x, errno, meta);
    } else {
        const long long t = (long long)t_ms;
        fputs("artifact_uri: ", fp);
        yaml_str(fp, auri);
        fprintf(fp, "\ndeleted_time: null\nend_time: %lld\nentry_point_name: ''\nexperiment_id: ", t);
        yaml_str(fp, x->opt->experiment_id);
        fputs("\nlifecycle_stage: active\nrun_id: ", fp);
        yaml_str(fp, uuid);
        fputs("\nrun_name: ", fp);
        yaml_str(fp, *r->name ? r->name : r->id);
        fputs("\nrun_uuid: ", fp);
        yaml_str(fp, uuid);
        fprintf(fp, "\nsource_name: ''\nsource_type: %d\nsource_version: ''\nstart_time: %lld\n"
                    "status: %d\ntags: []\nuser_id: ''\n",
                SOURCE_TYPE_LOCAL, t, RUN_STATUS_FINISHED);
        const int bad = fflush(fp) != 0 || ferror(fp);
        const int e = errno;
        if (fclose(fp) != 0 || bad)
            rc = fail(x, bad ? e : errno, meta);
    }
    free(meta);
    free(adir);
    free(auri);
out:
    for (size_t i = 0; i < nused; i++)
        free(used[i]);
    free(used);
    vn_run_values_free(v);
    free(metrics);
    free(params);
    free(tags);
    free(arts);
    return rc;
}

/* Moves the filled directory tmp to final: a plain rename, or an atomic exchange with
 * an earlier export there, whose tree is then removed. 0 or -1. */
static int place(exporter *x, const char *tmp, const char *final)
{
    if (rename(tmp, final) == 0)
        return 0;
    if (errno != EEXIST && errno != ENOTEMPTY)
        return fail(x, errno, final);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        rm_tree(tmp); /* now the old run */
        return 0;
    }
    /* No exchange on this file system: move the old one aside first. */
    char *old = NULL;
    if (asprintf(&old, "%s.old-vernier-%ld", tmp, (long)getpid()) < 0)
        return fail(x, ENOMEM, final);
    int rc = 0;
    if (rename(final, old) != 0)
        rc = fail(x, errno, final);
    else if (rename(tmp, final) != 0) {
        rc = fail(x, errno, final);
        rename(old, final);
    } else {
        rm_tree(old);
    }
    free(old);
    return rc;
}

static int export_run(exporter *x, const vn_run *r)
{
    /* The run uuid: the vernier id padded with zeros to MLflow's 32 hex digits. */
    char uuid[33];
    const size_t idlen = strnlen(r->id, 32);
    memcpy(uuid, r->id, idlen);
    memset(uuid + idlen, '0', 32 - idlen);
    uuid[32] = '\0';
    int64_t t_ms;
    if (cli_time_ms(r->created_at, &t_ms, NULL) != 0)
        t_ms = now_ms();
    char *tmpl = NULL, *final = NULL;
    if (asprintf(&tmpl, "%s/.vernier-tmp-%s-XXXXXX", x->expdir, uuid) < 0 ||
        asprintf(&final, "%s/%s", x->expdir, uuid) < 0) {
        free(tmpl);
        return fail(x, ENOMEM, x->expdir);
    }
    int rc = 0;
    size_t nm = 0, nskip = 0;
    if (!mkdtemp(tmpl)) {
        rc = fail(x, errno, x->expdir);
    } else {
        const mode_t mask = umask(0); /* mkdtemp makes 0700; let the umask decide */
        umask(mask);
        chmod(tmpl, 0777 & ~mask);
        rc = fill_run(x, r, tmpl, uuid, t_ms, &nm, &nskip);
        if (rc == 0) {
            /* The files reach the disk before the name does. */
            const int fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                syncfs(fd);
                close(fd);
            }
            rc = place(x, tmpl, final);
        }
        if (rc)
            rm_tree(tmpl);
    }
    if (rc == 0)
        fprintf(stderr, "vernier: run %s -> %s (%zu metric%s", r->id, final, nm, nm == 1 ? "" : "s");
    if (rc == 0 && nskip)
        fprintf(stderr, "; %zu undefined value%s left out", nskip, nskip == 1 ? "" : "s");
    if (rc == 0)
        fputs(")\n", stderr);
    free(tmpl);
    free(final);
    return rc;
}

int cli_mlflow_export(vn_store *st, const cli_mlflow_opts *opt, const vn_run *const *runs,
                      size_t n)
{
    exporter x = {st, opt, NULL, NULL, NULL, 0};
    int rc = 0, e = mkdir_p(opt->dir);
    if (e)
        return cli_error(EXIT_IO, NULL, "%s: cannot create the directory: %s", opt->dir, strerror(e));
    x.root = realpath(opt->dir, NULL);
    if (!x.root)
        return cli_error(EXIT_IO, NULL, "%s: %s", opt->dir, strerror(errno));
    char *trash = NULL;
    if (asprintf(&x.expdir, "%s/%s", opt->dir, opt->experiment_id) < 0 ||
        asprintf(&trash, "%s/.trash", opt->dir) < 0) {
        free(x.root);
        free(x.expdir);
        return cli_error(EXIT_INTERNAL, NULL, "out of memory");
    }
    /* MLflow's FileStore keeps deleted experiments in .trash and creates it itself;
     * making it here leaves a store MLflow needs not touch before reading. */
    e = mkdir_ok(trash);
    if (!e)
        e = mkdir_ok(x.expdir);
    if (e)
        rc = cli_error(EXIT_IO, NULL, "%s: cannot create the directory: %s", e == ENOTDIR ? opt->dir : x.expdir, strerror(e));
    else if (experiment_meta(&x) != 0)
        rc = -1;
    size_t done = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (export_run(&x, runs[i]) != 0)
            rc = -1;
        else
            done++;
    }
    if (rc == -1) {
        if (x.err == -1) {
            const char *msg = vn_store_errmsg(st);
            rc = cli_error(EXIT_IO, NULL, "%s", *msg ? msg : "cannot read the run store");
        } else {
            rc = cli_error(x.err == ENOMEM ? EXIT_INTERNAL : EXIT_IO, NULL, "%s: cannot write: %s",
                           x.failed ? x.failed : opt->dir, strerror(x.err));
        }
        if (done)
            fprintf(stderr, "vernier: %zu of %zu runs were exported before the error\n", done, n);
    } else {
        fprintf(stderr, "vernier: exported %zu run%s to %s (MLflow experiment %s)\n", n,
                n == 1 ? "" : "s", opt->dir, opt->experiment_id);
    }
    free(trash);
    free(x.failed);
    free(x.root);
    free(x.expdir);
    return rc;
}
