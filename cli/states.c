/*
 * states.c — evaluation states on disk for `vernier eval`: --save-state writes the state
 * of an evaluation (the byte form of include/vernier.h, docs/state.md), --from-states
 * reads and merges states written by any process (the Python package's
 * Accumulator.to_bytes, other vernier runs) and finishes them.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The whole file (or standard input for "-"); 0 or an exit code. */
static int slurp(const char *path, unsigned char **buf, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp)
        return cli_error(EXIT_IO, NULL, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, fp);
        if (n < cap)
            break;
        unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    const int bad = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    if (!b)
        return cli_error(EXIT_INTERNAL, NULL, "%s: out of memory", path);
    if (bad) {
        free(b);
        return cli_error(EXIT_IO, NULL, "%s: read error", path);
    }
    *buf = b;
    *len = n;
    return 0;
}

int cli_states_load(char *const *files, size_t n, int threads, vn_eval **out)
{
    *out = NULL;
    vn_eval *all = NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char *buf = NULL;
        size_t len = 0;
        int rc = slurp(files[i], &buf, &len);
        if (rc != 0) {
            vn_eval_free(all);
            return rc;
        }
        char err[512];
        vn_eval *ev = NULL;
        vn_status st = vn_eval_state_read(buf, len, threads, &ev, err, sizeof err);
        free(buf);
        const char *hint = NULL;
        if (st == VN_OK && all) {
            st = vn_eval_merge(all, ev, err, sizeof err);
            vn_eval_free(ev);
            ev = NULL;
            hint = "states merge when written with the same metrics, by columns, policies "
                   "and intervals (docs/state.md)";
        }
        if (st != VN_OK) {
            vn_eval_free(all);
            /* an invalid state is bad input data (exit 3); mismatched states too */
            return cli_error(st == VN_ERR_NOMEM ? EXIT_INTERNAL : EXIT_DATA, hint, "%s: %s",
                             files[i], err);
        }
        if (!all)
            all = ev;
    }
    *out = all;
    return 0;
}

static vn_status write_bytes(const void *obj, vn_format fmt, FILE *fp)
{
    (void)fmt;
    const struct { const void *p; size_t n; } *b = obj;
    return fwrite(b->p, 1, b->n, fp) == b->n ? VN_OK : VN_ERR_IO;
}

int cli_state_save(const vn_eval *ev, const char *path)
{
    char err[512];
    struct { const void *p; size_t n; } b = {NULL, 0};
    void *buf = NULL;
    const vn_status st = vn_eval_state_write(ev, &buf, &b.n, err, sizeof err);
    if (st != VN_OK)
        return cli_error(cli_exit_code(st), NULL, "--save-state: %s", err);
    b.p = buf;
    const int rc = cli_write_output(path, write_bytes, &b, VN_FORMAT_TABLE);
    vn_state_free(buf);
    return rc;
}
