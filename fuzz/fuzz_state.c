/*
 * fuzz_state.c — libFuzzer target for the byte form of evaluation states (state.c):
 * vn_eval_state_read on arbitrary bytes, and round trips of valid states.
 *
 * The first byte picks the mode (the rest is the payload):
 *   0 (mod 3): the payload as it is, to vn_eval_state_read (magic, version and hash
 *      checks, truncation anywhere);
 *   1: the payload with its last 8 bytes replaced by the correct content hash, so that
 *      mutations of a valid state (the corpus holds some) reach the decoder proper:
 *      counts, lengths, slice keys, accumulator words and rows;
 *   2: the payload as rows: a valid evaluation (a metric list and by column chosen by the
 *      next byte, rows from the payload's doubles) is written, read back, written again.
 * Whatever reads successfully is written again, read again and must give the same
 * bytes (the format is canonical), merged with a copy of itself, and finished; finished
 * values must be NaN exactly when they have a reason, with a one-line message. Errors
 * must be VN_ERR_DATA/USAGE/NOMEM with a one-line message.
 */
#include "hash.h"
#include "state.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *msg)
{
    if (!msg || !msg[0] || strchr(msg, '\n'))
        abort();
}

/* Finishes ev (consumed) and checks the result's values. */
static void finish(vn_eval *ev)
{
    vn__eval_meta m;
    vn__eval_get_meta(ev, &m);
    /* a state may ask for up to 2^32 resamples: a legitimate but slow request */
    if (m.ci.level > 0 && (uint64_t)m.ci.resamples * (m.rows_seen + 1) > 20000) {
        vn_eval_free(ev);
        return;
    }
    vn_result *res = NULL;
    if (vn_eval_finish(ev, &res) == VN_OK) {
        for (size_t s = 0; s < vn_result_slice_count(res); s++)
            for (size_t k = 0; k < vn_result_metric_count(res); k++) {
                vn_value v;
                if (vn_result_get(res, s, k, &v) != VN_OK)
                    abort();
                if ((v.reason != VN_REASON_NONE) != isnan(v.value))
                    abort(); /* NaN without a reason, or a reason with a value */
                if (!v.message || strchr(v.message, '\n'))
                    abort();
            }
    } else {
        one_line(vn_eval_errmsg(ev));
    }
    vn_result_free(res);
    vn_eval_free(ev);
}

/* Reads buf; on success checks write/read/write is canonical, merge, finish. */
static void read_and_check(const void *buf, size_t len)
{
    char err[512];
    vn_eval *ev = NULL;
    const vn_status st = vn_eval_state_read(buf, len, 1, &ev, err, sizeof err);
    if (st != VN_OK) {
        if (ev || (st != VN_ERR_DATA && st != VN_ERR_USAGE && st != VN_ERR_NOMEM))
            abort();
        one_line(err);
        return;
    }
    void *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    vn_eval *ev2 = NULL;
    if (vn_eval_state_write(ev, &a, &alen, err, sizeof err) == VN_OK) {
        if (vn_eval_state_read(a, alen, 1, &ev2, err, sizeof err) != VN_OK)
            abort(); /* what we wrote we must read */
        if (vn_eval_state_write(ev2, &b, &blen, err, sizeof err) != VN_OK)
            abort();
        if (alen != blen || memcmp(a, b, alen) != 0)
            abort(); /* not canonical */
        if (vn_eval_merge(ev2, ev, err, sizeof err) != VN_OK)
            one_line(err);
    } else {
        one_line(err);
    }
    vn_state_free(a);
    vn_state_free(b);
    finish(ev);
    if (ev2)
        finish(ev2);
}

static const char *const lists[8] = {
    "mae,rmse,mse,r2",
    "mae,medae,abs_error_quantile:q=0.9,spearman_rho",
    "mape,smape,wmape,mean_error",
    "huber:delta=2,pinball:q=0.1,tweedie_deviance:power=1.5",
    "mase,mda,kendall_tau,rmsse",
    NULL, /* the default battery */
    "rmse,mae",
    "max_error,explained_variance,pearson_r,ccc,d2_absolute_error",
};

static void round_trip_rows(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    const uint8_t sel = data[0];
    data++, size--;
    vn_eval_config cfg;
    vn_eval_config_init(&cfg);
    cfg.metrics = lists[sel & 7];
    const char *by[1] = {"g"};
    if (sel & 8) {
        cfg.by_count = 1;
        cfg.by_names = by;
    }
    if (sel & 16) {
        cfg.ci_level = 0.9;
        cfg.resamples = 20;
        cfg.ci_method = (vn_ci_method)((sel >> 5) & 3);
    }
    char err[512];
    vn_eval *ev = NULL;
    if (vn_eval_new(&cfg, &ev, err, sizeof err) != VN_OK)
        abort(); /* the lists are valid */
    const size_t n = size / 17 > 500 ? 500 : size / 17;
    for (size_t i = 0; i < n; i++) {
        double y, p, w;
        memcpy(&y, data + 17 * i, 8);
        memcpy(&p, data + 17 * i + 8, 8);
        const uint8_t g = data[17 * i + 16];
        w = (g & 0x80) ? (double)(g & 7) : 1.0;
        if (!isfinite(y) || !isfinite(p) || fabs(y) > 1e100 || fabs(p) > 1e100)
            continue;
        char key[2] = {(char)('a' + (g & 3)), 0};
        const char *vals[1] = {key};
        uint32_t id = 0;
        if (cfg.by_count && vn_eval_slice(ev, vals, NULL, &id) != VN_OK)
            abort();
        vn_rows r = {1, &y, 1, &p, 1, &w, 1, cfg.by_count ? &id : NULL};
        if (vn_eval_update(ev, &r) != VN_OK)
            abort();
    }
    void *a = NULL;
    size_t alen = 0;
    if (vn_eval_state_write(ev, &a, &alen, err, sizeof err) != VN_OK)
        abort();
    vn_eval_free(ev);
    read_and_check(a, alen);
    vn_state_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const int mode = data[0] % 3;
    data++, size--;
    if (mode == 2) {
        round_trip_rows(data, size);
        return 0;
    }
    unsigned char *buf = malloc(size ? size : 1); /* exact size: overreads are caught */
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    if (mode == 1 && size >= 8) {
        vn__hash h;
        vn__hash_init(&h);
        vn__hash_update(&h, buf, size - 8);
        const uint64_t v = vn__hash_final(&h);
        for (int i = 0; i < 8; i++)
            buf[size - 8 + (size_t)i] = (unsigned char)(v >> (8 * i));
    }
    read_and_check(buf, size);
    free(buf);
    return 0;
}
