/*
 * fuzz_store.c — libFuzzer target for the run store's read path (store.c over SQLite):
 * a store file built from the input is opened and read. The corpus holds small valid
 * stores (512-byte pages) that libFuzzer mutates byte by byte: bad headers, broken
 * b-trees, wrong schema versions, foreign tables, values of the wrong type.
 *
 * Byte 0 (mod 24) is the length L of a selector taken from the next L bytes (to fuzz the
 * selector grammar too); the rest is the database file, written to a temporary path
 * (its -wal, -shm and -journal files removed before and after). Then: vn_store_open;
 * vn_store_find with every selector form; vn_store_get; vn_store_values of each run
 * found. Properties: no crash, leak or undefined behaviour; errors are documented
 * statuses with a one-line message (SQLite's "database disk image is malformed" is a
 * fine answer); every string of a run or value is non-NULL.
 */
#include "vernier.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64], side[80];

static void one_line(const char *msg)
{
    if (!msg || !msg[0] || strchr(msg, '\n'))
        abort();
}

static void status_ok(vn_status s, const char *msg)
{
    if (s == VN_OK)
        return;
    if (s != VN_ERR_IO && s != VN_ERR_USAGE && s != VN_ERR_DATA && s != VN_ERR_NOMEM)
        abort();
    one_line(msg);
}

static void remove_side_files(void)
{
    static const char *const ext[] = {"-wal", "-shm", "-journal"};
    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof side, "%s%s", path, ext[i]);
        unlink(side);
    }
}

static void check_run(const vn_run *r)
{
    const char *const s[] = {r->id, r->created_at, r->name, r->command, r->argv, r->spec,
                             r->source, r->y, r->yhat, r->weight, r->data_hash, r->version,
                             r->git_commit};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        if (!s[i])
            abort();
    for (size_t i = 0; i < r->ntags; i++)
        if (!r->tag_keys[i] || !r->tag_values[i])
            abort();
}

static void read_runs(vn_store *st, vn_runs *runs)
{
    for (size_t i = 0; i < vn_runs_count(runs) && i < 8; i++) {
        const vn_run *r = vn_runs_at(runs, i);
        if (!r)
            abort();
        check_run(r);
        vn_run_values *v = NULL;
        const vn_status s = vn_store_values(st, r->id, &v);
        status_ok(s, vn_store_errmsg(st));
        for (size_t k = 0; v && k < vn_run_values_count(v); k++) {
            const vn_run_value *x = vn_run_values_at(v, k);
            if (!x || !x->slice || !x->metric || !x->metric_id || !x->reason || !x->message)
                abort();
        }
        vn_run_values_free(v);
        if (strlen(r->id) >= 4) { /* an id prefix */
            char pre[8] = {0};
            memcpy(pre, r->id, 4);
            vn_runs *one = NULL;
            status_ok(vn_store_get(st, pre, &one), vn_store_errmsg(st));
            vn_runs_free(one);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (256u << 10))
        return 0;
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/vn-fuzz-store-%ld.db",
                 dir && strlen(dir) < 32 ? dir : "/tmp", (long)getpid());
    }
    size_t L = data[0] % 24;
    if (L > size - 1)
        L = size - 1;
    char sel[32];
    memcpy(sel, data + 1, L);
    sel[L] = '\0';
    const uint8_t *db = data + 1 + L;
    const size_t n = size - 1 - L;

    remove_side_files();
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    const size_t w = n ? fwrite(db, 1, n, f) : 0;
    if (fclose(f) != 0 || w != n)
        return 0;

    char err[512];
    vn_store *st = NULL;
    const vn_status so = vn_store_open(path, &st, err, sizeof err);
    if (so != VN_OK) {
        if (st)
            abort();
        status_ok(so, err);
        remove_side_files();
        return 0;
    }
    static const char *const sels[] = {NULL, "latest", "latest~1", "tag:model",
                                       "tag:model=v1", "name:n1", "0000"};
    for (size_t i = 0; i < sizeof sels / sizeof *sels; i++) {
        vn_runs *runs = NULL;
        const vn_status s = vn_store_find(st, sels[i], 0, &runs);
        status_ok(s, vn_store_errmsg(st));
        if (s == VN_OK && i == 0)
            read_runs(st, runs);
        vn_runs_free(runs);
    }
    vn_runs *runs = NULL;
    status_ok(vn_store_find(st, sel, 3, &runs), vn_store_errmsg(st));
    vn_runs_free(runs);
    runs = NULL;
    status_ok(vn_store_get(st, sel, &runs), vn_store_errmsg(st));
    if (runs)
        read_runs(st, runs);
    vn_runs_free(runs);
    runs = NULL;
    status_ok(vn_store_get(st, "latest", &runs), vn_store_errmsg(st));
    vn_runs_free(runs);
    vn_store_close(st);
    remove_side_files();
    return 0;
}
