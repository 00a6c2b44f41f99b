/*
 * fuzz_spec.c — libFuzzer target for the vernier.yaml loader (spec.c over libyaml's
 * event API): the bytes are a spec file. They are written to a temporary file and given
 * to vn_spec_validate (the public entry point, which reads the file) and, from memory, to
 * vn__spec_parse; both must agree on the status. A loaded spec
 * is checked for the loader's documented guarantees (metric ids and list spellings set,
 * gates pointing at a metric of the spec, bin edges strictly increasing, slice ids
 * unique; the forecasting keys of spec.h: never series with horizon, no by or bins
 * slice with series, the "horizon" slice first exactly when data.horizon is set, numeric
 * slices only by the horizon column, no training file on standard input); an error must
 * be a documented status with a one-line message.
 */
#include "spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void one_line(const char *msg)
{
    if (!msg || !msg[0] || strchr(msg, '\n'))
        abort();
}

static void check_spec(const vn__spec *s)
{
    for (size_t i = 0; i < s->nmetrics; i++)
        if (!s->metrics[i].id || !s->metrics[i].list || !s->metrics[i].info)
            abort();
    for (size_t i = 0; i < s->ngates; i++)
        if (s->gates[i].metric && s->gates[i].m >= s->nmetrics)
            abort();
    for (size_t i = 0; i < s->nslices; i++)
        if (s->slices[i].kind == VN__SLICE_BINS)
            for (size_t k = 1; k < s->slices[i].nedges; k++)
                if (!(s->slices[i].edges[k - 1] < s->slices[i].edges[k]))
                    abort();
    for (size_t i = 0; i < s->nslices; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->slices[i].id, s->slices[j].id) == 0)
                abort();
    /* the forecasting keys */
    const char *h = s->data.horizon;
    if (s->data.series && h)
        abort();
    if (s->data.train && (!s->data.train[0] || strcmp(s->data.train, "-") == 0))
        abort();
    if (h && (s->nslices == 0 || strcmp(s->slices[0].id, "horizon") != 0 ||
              s->slices[0].kind != VN__SLICE_BY || s->slices[0].nby != 1 ||
              strcmp(s->slices[0].by[0], h) != 0 || !s->slices[0].numeric))
        abort();
    for (size_t i = 0; i < s->nslices; i++) {
        const vn__spec_slice *sl = &s->slices[i];
        if (s->data.series && sl->kind != VN__SLICE_FILTER)
            abort();
        if (sl->numeric && (!h || sl->kind != VN__SLICE_BY || strcmp(sl->by[0], h) != 0))
            abort();
        if (!h && strcmp(sl->id, "horizon") == 0 && sl->numeric)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (64u << 10))
        return 0;
    if (!path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/vn-fuzz-spec-%ld.yaml",
                 dir && strlen(dir) < 32 ? dir : "/tmp", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    const size_t w = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || w != size)
        return 0;

    char err[1024];
    const vn_status a = vn_spec_validate(path, err, sizeof err);
    if (a != VN_OK) {
        if (a != VN_ERR_DATA && a != VN_ERR_USAGE && a != VN_ERR_IO && a != VN_ERR_NOMEM)
            abort();
        one_line(err);
    }
    char *text = malloc(size ? size : 1); /* exact size: overreads are caught */
    if (!text)
        return 0;
    memcpy(text, data, size);
    vn__spec *s = NULL;
    const vn_status c = vn__spec_parse(text, size, "fuzz.yaml", &s, err, sizeof err);
    if (c != a || (c == VN_OK) != (s != NULL))
        abort(); /* the file and the memory entry points disagree */
    if (s)
        check_spec(s);
    else
        one_line(err);
    vn__spec_free(s);
    free(text);
    return 0;
}
