/*
 * _core.c — the CPython extension of vernier: the library's evaluation over any object
 * with the buffer protocol (numpy arrays and their strided views, memoryview,
 * array.array, bytes of numbers), using only the public API in include/vernier.h.
 *
 * Zero copy: a 1-d float64 buffer in native byte order whose stride is a whole number
 * of elements is read in place, whatever its stride (negative too); any other numeric
 * buffer (other widths, integers, booleans, big-endian, odd strides) is converted once
 * into a fresh double array. The GIL is released while rows are converted, evaluated
 * and the result written, so threads evaluating different arrays run in parallel.
 *
 * Results cross into Python as the JSON document vn_result_write writes (schema
 * vernier.eval/1), so Python sees exactly the values, reasons and notes of the CLI.
 * Evaluation states (vernier.Accumulator) are handles of vn_eval with a versioned byte
 * form (vn_eval_state_write / vn_eval_state_read).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "vernier.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers from buffers ---- */

typedef struct column {
    const double *data; /* the values: the exporter's memory or `owned` */
    Py_ssize_t n;
    ptrdiff_t stride;   /* in elements */
    Py_buffer view;
    int has_view;
    double *owned;
    /* how to convert when not read in place */
    char kind;          /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int swap;           /* big-endian on this little-endian machine, or the reverse */
    Py_ssize_t itemsize;
} column;

static int host_little(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void column_release(column *c)
{
    if (c->has_view)
        PyBuffer_Release(&c->view);
    c->has_view = 0;
    PyMem_RawFree(c->owned);
    c->owned = NULL;
}

/* Reads obj's buffer: 1-d, numeric. Sets a Python exception and returns -1 on failure. */
static int column_get(PyObject *obj, const char *name, column *c)
{
    memset(c, 0, sizeof *c);
    if (PyObject_GetBuffer(obj, &c->view, PyBUF_RECORDS_RO) != 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s: expected an array of numbers with the buffer protocol (numpy "
                     "array, memoryview, array.array), got %.80s",
                     name, Py_TYPE(obj)->tp_name);
        return -1;
    }
    c->has_view = 1;
    if (c->view.ndim != 1) {
        PyErr_Format(PyExc_ValueError, "%s: expected a 1-d array, got %d dimensions", name,
                     c->view.ndim);
        column_release(c);
        return -1;
    }
    const char *f = c->view.format ? c->view.format : "B";
    int big = !host_little();
    if (*f == '<' || *f == '>' || *f == '!' || *f == '=' || *f == '@') {
        big = *f == '>' || *f == '!' ? 1 : *f == '<' ? 0 : big;
        f++;
    }
    c->swap = big == host_little();
    c->itemsize = c->view.itemsize;
    c->n = c->view.shape[0];
    if (f[0] == '\0' || f[1] != '\0')
        goto bad_format;
    switch (f[0]) {
    case 'd':
    case 'f': c->kind = 'f'; break;
    case 'b': case 'h': case 'i': case 'l': case 'q': case 'n': c->kind = 'i'; break;
    case 'B': case 'H': case 'I': case 'L': case 'Q': case 'N': c->kind = 'u'; break;
    case '?': c->kind = 'b'; break;
    default: goto bad_format;
    }
    if (c->kind == 'f' && c->itemsize != 4 && c->itemsize != 8)
        goto bad_format;
    if (c->kind != 'f' && c->itemsize != 1 && c->itemsize != 2 && c->itemsize != 4 &&
        c->itemsize != 8)
        goto bad_format;
    const Py_ssize_t st = c->view.strides ? c->view.strides[0] : c->itemsize;
    if (c->kind == 'f' && c->itemsize == 8 && !c->swap && st % 8 == 0) {
        c->data = c->view.buf; /* in place, no copy */
        c->stride = st / 8;
    }
    return 0;
bad_format:
    PyErr_Format(PyExc_TypeError, "%s: expected numbers, got buffer format '%s'", name,
                 c->view.format ? c->view.format : "B");
    column_release(c);
    return -1;
}

/* Converts a column that is not read in place (the GIL may be released). 0 or -1 (out
 * of memory). */
static int column_convert(column *c)
{
    if (c->data || c->n == 0) {
        if (!c->data)
            c->data = (const double *)"", c->stride = 1;
        return 0;
    }
    c->owned = PyMem_RawMalloc((size_t)c->n * sizeof(double));
    if (!c->owned)
        return -1;
    const Py_ssize_t st = c->view.strides ? c->view.strides[0] : c->itemsize;
    const unsigned char *base = c->view.buf;
    for (Py_ssize_t i = 0; i < c->n; i++) {
        unsigned char b[8];
        memcpy(b, base + i * st, (size_t)c->itemsize);
        if (c->swap)
            for (Py_ssize_t k = 0; k < c->itemsize / 2; k++) {
                const unsigned char t = b[k];
                b[k] = b[c->itemsize - 1 - k];
                b[c->itemsize - 1 - k] = t;
            }
        double v = 0;
        if (c->kind == 'f' && c->itemsize == 8)
            memcpy(&v, b, 8);
        else if (c->kind == 'f') {
            float x;
            memcpy(&x, b, 4);
            v = x;
        } else if (c->kind == 'b')
            v = b[0] != 0;
        else if (c->kind == 'u') {
            uint64_t u = 0;
            if (c->itemsize == 1) u = b[0];
            else if (c->itemsize == 2) { uint16_t x; memcpy(&x, b, 2); u = x; }
            else if (c->itemsize == 4) { uint32_t x; memcpy(&x, b, 4); u = x; }
            else memcpy(&u, b, 8);
            v = (double)u;
        } else {
            int64_t s = 0;
            if (c->itemsize == 1) s = (int8_t)b[0];
            else if (c->itemsize == 2) { int16_t x; memcpy(&x, b, 2); s = x; }
            else if (c->itemsize == 4) { int32_t x; memcpy(&x, b, 4); s = x; }
            else memcpy(&s, b, 8);
            v = (double)s;
        }
        c->owned[i] = v;
    }
    c->data = c->owned;
    c->stride = 1;
    return 0;
}

/* Slice codes: a buffer of integers 0 .. nlabels-1, read into uint32 ids. */
static int codes_get(PyObject *obj, Py_ssize_t n, Py_ssize_t nlabels, uint32_t **out)
{
    column c;
    if (column_get(obj, "by codes", &c) != 0)
        return -1;
    if (c.kind != 'i' && c.kind != 'u') {
        column_release(&c);
        PyErr_SetString(PyExc_TypeError, "by codes: expected integers");
        return -1;
    }
    if (c.n != n) {
        column_release(&c);
        PyErr_Format(PyExc_ValueError, "by: %zd labels for %zd rows", c.n, n);
        return -1;
    }
    int bad = column_convert(&c);
    uint32_t *ids = bad ? NULL : PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof *ids);
    Py_ssize_t wrong = -1;
    for (Py_ssize_t i = 0; ids && i < n; i++) {
        const double v = c.data[i * c.stride];
        if (!(v >= 0 && v < (double)nlabels)) {
            wrong = i;
            break;
        }
        ids[i] = (uint32_t)v;
    }
    column_release(&c);
    if (!ids) {
        PyErr_NoMemory();
        return -1;
    }
    if (wrong >= 0) {
        PyMem_RawFree(ids);
        PyErr_Format(PyExc_ValueError, "by codes: row %zd has a code outside 0..%zd", wrong,
                     nlabels - 1);
        return -1;
    }
    *out = ids;
    return 0;
}

/* ---- input columns besides y and yhat ---- */

/* The columns an evaluation's metrics read (coverage's lo and hi, an expression's price),
 * in the order vn_eval_update_columns takes them. Each is fetched by calling
 * getcol(name, use) — the Python layer's lookup in columns=, which raises KeyError
 * naming the metric that reads it — and read like y: in place when it is float64. */
typedef struct xcols {
    size_t n;
    column *c;
    const double **data;
    ptrdiff_t *strides;
} xcols;

typedef const char *(*colinfo_fn)(const void *h, size_t i);

static const char *eval_colname(const void *h, size_t i) { return vn_eval_column_name(h, i); }
static const char *eval_coluse(const void *h, size_t i) { return vn_eval_column_use(h, i); }
static const char *compare_colname(const void *h, size_t i) { return vn_compare_column_name(h, i); }
static const char *compare_coluse(const void *h, size_t i) { return vn_compare_column_use(h, i); }

static void xcols_release(xcols *x)
{
    for (size_t k = 0; x->c && k < x->n; k++)
        column_release(&x->c[k]);
    PyMem_Free(x->c);
    PyMem_Free(x->data);
    PyMem_Free(x->strides);
    memset(x, 0, sizeof *x);
}

/* Fetches the n columns of handle h for rows rows. 0, or -1 with an exception set. */
static int xcols_get(const void *h, size_t n, colinfo_fn name, colinfo_fn use, PyObject *getcol,
                     Py_ssize_t rows, xcols *x)
{
    memset(x, 0, sizeof *x);
    if (n == 0)
        return 0;
    x->c = PyMem_Calloc(n, sizeof *x->c);
    x->data = PyMem_Calloc(n, sizeof *x->data);
    x->strides = PyMem_Calloc(n, sizeof *x->strides);
    if (!x->c || !x->data || !x->strides) {
        xcols_release(x);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        const char *nm = name(h, k), *us = use(h, k);
        if (!getcol || getcol == Py_None) {
            PyErr_Format(PyExc_KeyError, "input column '%s' is missing: %s; pass it in columns=",
                         nm, us);
            xcols_release(x);
            return -1;
        }
        PyObject *obj = PyObject_CallFunction(getcol, "ss", nm, us);
        char label[160];
        snprintf(label, sizeof label, "columns['%s']", nm);
        const int rc = obj ? column_get(obj, label, &x->c[k]) : -1;
        Py_XDECREF(obj); /* the buffer holds its own reference */
        x->n = k + (rc == 0);
        if (rc != 0) {
            xcols_release(x);
            return -1;
        }
        if (x->c[k].n != rows) {
            PyErr_Format(PyExc_ValueError, "%s: %zd rows, y_true has %zd (%s)", label,
                         x->c[k].n, rows, us);
            xcols_release(x);
            return -1;
        }
    }
    return 0;
}

/* Converts the columns not read in place, and points data/strides at them (the GIL may be
 * released). 0 or -1 (out of memory). */
static int xcols_convert(xcols *x)
{
    for (size_t k = 0; k < x->n; k++) {
        if (column_convert(&x->c[k]) != 0)
            return -1;
        x->data[k] = x->c[k].data;
        x->strides[k] = x->c[k].stride;
    }
    return 0;
}

/* ---- errors ---- */

static PyObject *raise_status(vn_status st, const char *msg)
{
    PyObject *type = st == VN_ERR_NOMEM ? PyExc_MemoryError
                     : st == VN_ERR_IO  ? PyExc_OSError
                     : st == VN_ERR_USAGE || st == VN_ERR_DATA ? PyExc_ValueError
                                                              : PyExc_RuntimeError;
    PyErr_SetString(type, msg && *msg ? msg : vn_strerror(st));
    return NULL;
}

/* A stream's whole content as a Python str; st from the writer. */
typedef vn_status (*writer_fn)(const void *obj, int fmt, FILE *fp);

static PyObject *write_str(writer_fn write, const void *obj, int fmt)
{
    char *buf = NULL;
    size_t len = 0;
    vn_status st = VN_ERR_NOMEM;
    Py_BEGIN_ALLOW_THREADS
    FILE *mem = open_memstream(&buf, &len);
    if (mem) {
        st = write(obj, fmt, mem);
        if (fclose(mem) != 0 && st == VN_OK)
            st = VN_ERR_NOMEM;
    }
    Py_END_ALLOW_THREADS
    PyObject *s = st == VN_OK ? PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "strict")
                              : raise_status(st, "could not write");
    free(buf);
    return s;
}

static vn_status result_out(const void *res, int fmt, FILE *fp)
{
    (void)fmt;
    return vn_result_write(res, VN_FORMAT_JSON, fp);
}

/* A result as its JSON document (a Python str). */
static PyObject *result_json(const vn_result *res) { return write_str(result_out, res, 0); }

/* ---- the configuration shared by evaluate() and State() ---- */

typedef struct options {
    vn_eval_config ec;
    const char **by_names;
    PyObject *names_seq; /* keeps the name strings alive */
} options;

static const char *const CI_METHODS[] = {"auto", "percentile", "bca", "analytic", NULL};
static const char *const ZEROS[] = {"nan", "skip", "eps", NULL};
static const char *const R2S[] = {"undefined", "sklearn", NULL};
static const char *const QUANTS[] = {"exact", "sketch", NULL};
static const char *const TASKS[] = {"regression", "binary", NULL};

static int pick(const char *what, const char *s, const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    PyErr_Format(PyExc_ValueError, "unknown %s '%s'", what, s);
    return -1;
}

static void options_free(options *o)
{
    PyMem_Free(o->by_names);
    Py_XDECREF(o->names_seq);
    o->by_names = NULL;
    o->names_seq = NULL;
}

static int options_set(options *o, const char *metrics, PyObject *by_names, double ci,
                       const char *ci_method, unsigned long long resamples,
                       unsigned long long seed, const char *zero, const char *r2,
                       unsigned long long min_count, int threads, const char *quantiles,
                       const char *task)
{
    memset(o, 0, sizeof *o);
    vn_eval_config_init(&o->ec);
    o->ec.metrics = metrics;
    o->ec.ci_level = ci;
    o->ec.resamples = (uint32_t)resamples;
    o->ec.seed = seed;
    o->ec.min_count = min_count;
    o->ec.threads = threads;
    int k;
    if (pick("ci_method", ci_method, CI_METHODS, &k) != 0)
        return -1;
    o->ec.ci_method = (vn_ci_method)k;
    if (pick("zero policy", zero, ZEROS, &k) != 0)
        return -1;
    o->ec.zero_policy = (vn_zero_policy)k;
    if (pick("r2 policy", r2, R2S, &k) != 0)
        return -1;
    o->ec.r2_constant = (vn_r2_constant)k;
    if (pick("quantiles", quantiles, QUANTS, &k) != 0)
        return -1;
    o->ec.quantiles = (vn_quantiles)k;
    if (pick("task", task, TASKS, &k) != 0)
        return -1;
    o->ec.task = (vn_task)k;
    if (resamples == 0 || resamples > 10000000) {
        PyErr_SetString(PyExc_ValueError, "resamples must be 1 to 10000000");
        return -1;
    }
    if (by_names && by_names != Py_None) {
        o->names_seq = PySequence_Fast(by_names, "by names must be a sequence of str");
        if (!o->names_seq)
            return -1;
        const Py_ssize_t nb = PySequence_Fast_GET_SIZE(o->names_seq);
        o->by_names = PyMem_Calloc((size_t)(nb ? nb : 1), sizeof(char *));
        if (!o->by_names) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < nb; i++) {
            o->by_names[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(o->names_seq, i));
            if (!o->by_names[i])
                return -1;
        }
        o->ec.by_count = (size_t)nb;
        o->ec.by_names = o->by_names;
    }
    return 0;
}

/* Who interns slice keys: an evaluation or a comparison. */
typedef struct interner {
    void *h;
    vn_status (*slice)(void *h, const char *const *values, const size_t *lens, uint32_t *id);
    const char *(*errmsg)(const void *h);
} interner;

static vn_status eval_slice(void *h, const char *const *v, const size_t *l, uint32_t *id)
{
    return vn_eval_slice(h, v, l, id);
}
static const char *eval_errmsg(const void *h) { return vn_eval_errmsg(h); }
static vn_status compare_slice(void *h, const char *const *v, const size_t *l, uint32_t *id)
{
    return vn_compare_slice(h, v, l, id);
}
static const char *compare_errmsg(const void *h) { return vn_compare_errmsg(h); }

/* Interns the label tuples (one str per by column) as slice ids: map[code] = id. */
static int intern_labels(const interner *in, PyObject *labels, size_t nby, uint32_t **map,
                         Py_ssize_t *nlabels)
{
    PyObject *seq = PySequence_Fast(labels, "by labels must be a sequence of tuples of str");
    if (!seq)
        return -1;
    const Py_ssize_t nl = PySequence_Fast_GET_SIZE(seq);
    uint32_t *m = PyMem_Malloc((size_t)(nl ? nl : 1) * sizeof *m);
    const char **vals = PyMem_Calloc(nby ? nby : 1, sizeof *vals);
    size_t *lens = PyMem_Calloc(nby ? nby : 1, sizeof *lens);
    int rc = m && vals && lens ? 0 : (PyErr_NoMemory(), -1);
    for (Py_ssize_t i = 0; rc == 0 && i < nl; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(t) || (size_t)PyTuple_GET_SIZE(t) != nby) {
            PyErr_Format(PyExc_ValueError, "by label %zd: expected a tuple of %zu str", i, nby);
            rc = -1;
            break;
        }
        for (size_t c = 0; rc == 0 && c < nby; c++) {
            Py_ssize_t len;
            vals[c] = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(t, c), &len);
            lens[c] = (size_t)len;
            rc = vals[c] ? 0 : -1;
        }
        if (rc == 0) {
            const vn_status st = in->slice(in->h, vals, lens, &m[i]);
            if (st != VN_OK) {
                raise_status(st, in->errmsg(in->h));
                rc = -1;
            }
        }
    }
    Py_DECREF(seq);
    PyMem_Free(vals);
    PyMem_Free(lens);
    if (rc != 0) {
        PyMem_Free(m);
        return -1;
    }
    *map = m;
    *nlabels = nl;
    return 0;
}

/* Feeds rows to ev: y, yhat, optional w, optional slice codes + labels, the input columns
 * through getcol (see xcols). Releases the GIL for the conversion and the evaluation. */
static int feed(vn_eval *ev, size_t nby, PyObject *y, PyObject *yhat, PyObject *w,
                PyObject *codes, PyObject *labels, PyObject *getcol)
{
    column cy, cp, cw;
    xcols cx;
    memset(&cw, 0, sizeof cw);
    memset(&cx, 0, sizeof cx);
    uint32_t *ids = NULL, *map = NULL;
    Py_ssize_t nlabels = 0;
    int rc = -1;
    if (column_get(y, "y_true", &cy) != 0)
        return -1;
    if (column_get(yhat, "y_pred", &cp) != 0) {
        column_release(&cy);
        return -1;
    }
    if (w && w != Py_None && column_get(w, "sample_weight", &cw) != 0)
        goto out;
    if (cp.n != cy.n || (cw.has_view && cw.n != cy.n)) {
        PyErr_Format(PyExc_ValueError,
                     "inconsistent lengths: y_true has %zd rows, y_pred %zd%s", cy.n, cp.n,
                     cw.has_view ? ", sample_weight a different number" : "");
        goto out;
    }
    if ((codes && codes != Py_None) != (nby > 0)) {
        PyErr_SetString(PyExc_ValueError, nby ? "by names given without by codes"
                                              : "by codes given without by names");
        goto out;
    }
    const interner in = {ev, eval_slice, eval_errmsg};
    if (nby && (intern_labels(&in, labels, nby, &map, &nlabels) != 0 ||
                codes_get(codes, cy.n, nlabels, &ids) != 0))
        goto out;
    if (xcols_get(ev, vn_eval_column_count(ev), eval_colname, eval_coluse, getcol, cy.n, &cx) != 0)
        goto out;
    vn_status st = VN_OK;
    int nomem = 0;
    Py_BEGIN_ALLOW_THREADS
    nomem = column_convert(&cy) || column_convert(&cp) || (cw.has_view && column_convert(&cw)) ||
            xcols_convert(&cx);
    for (Py_ssize_t i = 0; ids && i < cy.n; i++)
        ids[i] = map[ids[i]];
    if (!nomem) {
        const vn_rows rows = {(size_t)cy.n, cy.data, cy.stride, cp.data, cp.stride,
                              cw.has_view ? cw.data : NULL, cw.stride, ids};
        st = cx.n ? vn_eval_update_columns(ev, &rows, cx.data, cx.strides)
                  : vn_eval_update(ev, &rows);
    }
    Py_END_ALLOW_THREADS
    if (nomem)
        PyErr_NoMemory();
    else if (st != VN_OK)
        raise_status(st, vn_eval_errmsg(ev));
    else
        rc = 0;
out:
    PyMem_RawFree(ids);
    PyMem_Free(map);
    column_release(&cy);
    column_release(&cp);
    column_release(&cw);
    xcols_release(&cx);
    return rc;
}

static vn_eval *new_eval(const options *o)
{
    char err[512];
    vn_eval *ev = NULL;
    const vn_status st = vn_eval_new(&o->ec, &ev, err, sizeof err);
    if (st != VN_OK)
        raise_status(st, err);
    return ev;
}

/* Finishes ev (which is spent) into a JSON str. */
static PyObject *finish_json(vn_eval *ev)
{
    vn_result *res = NULL;
    vn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vn_eval_finish(ev, &res);
    Py_END_ALLOW_THREADS
    if (st != VN_OK)
        return raise_status(st, vn_eval_errmsg(ev));
    PyObject *json = result_json(res);
    vn_result_free(res);
    return json;
}

/* Training data for the naive scale of mase and rmsse (train= of vernier.evaluate): a path
 * (str) read with vn_eval_train_csv — column ty, in the order of column tt when not NULL,
 * one series per value of column tby when the evaluation has series — or a sequence of
 * (key, values): key None for the one series of an evaluation without series, else a
 * tuple of str (the by values); values anything with the buffer protocol. */
static int add_training(vn_eval *ev, PyObject *train, const char *ty, const char *tt,
                        const char *tby)
{
    vn_status st = VN_OK;
    if (PyUnicode_Check(train)) {
        const char *path = PyUnicode_AsUTF8(train);
        if (!path)
            return -1;
        vn_csv_config cc;
        vn_csv_config_init(&cc);
        cc.y = ty;
        cc.time = tt;
        const char *by[1] = {tby};
        cc.by = tby ? by : NULL;
        Py_BEGIN_ALLOW_THREADS
        st = vn_eval_train_csv(ev, path, &cc);
        Py_END_ALLOW_THREADS
        if (st != VN_OK) {
            raise_status(st, vn_eval_errmsg(ev));
            return -1;
        }
        return 0;
    }
    PyObject *seq = PySequence_Fast(train, "train: expected a path or a sequence of (key, values)");
    if (!seq)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i), *key, *vals;
        if (!PyTuple_Check(item) || !PyArg_ParseTuple(item, "OO", &key, &vals)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "train: expected (key, values) pairs");
            rc = -1;
            break;
        }
        const Py_ssize_t nk = key == Py_None ? 0 : PyTuple_Check(key) ? PyTuple_GET_SIZE(key) : -1;
        const char **bv = nk > 0 ? PyMem_Calloc((size_t)nk, sizeof *bv) : NULL;
        if (nk < 0 || (nk > 0 && !bv)) {
            if (nk < 0)
                PyErr_SetString(PyExc_TypeError, "train: a key is None or a tuple of str");
            else
                PyErr_NoMemory();
            rc = -1;
            break;
        }
        for (Py_ssize_t c = 0; rc == 0 && c < nk; c++)
            if (!(bv[c] = PyUnicode_AsUTF8(PyTuple_GET_ITEM(key, c))))
                rc = -1;
        column cv;
        if (rc == 0 && column_get(vals, "train", &cv) != 0)
            rc = -1;
        if (rc == 0) {
            int nomem;
            Py_BEGIN_ALLOW_THREADS
            nomem = column_convert(&cv);
            if (!nomem)
                st = vn_eval_train_series(ev, nk > 0 ? bv : NULL, cv.data, (size_t)cv.n, cv.stride);
            Py_END_ALLOW_THREADS
            column_release(&cv);
            if (nomem) {
                PyErr_NoMemory();
                rc = -1;
            } else if (st != VN_OK) {
                raise_status(st, vn_eval_errmsg(ev));
                rc = -1;
            }
        }
        PyMem_Free(bv);
    }
    Py_DECREF(seq);
    return rc;
}

#define EVAL_KWLIST                                                                           \
    "metrics", "by_names", "ci", "ci_method", "resamples", "seed", "zero", "r2", "min_count", \
        "threads", "quantiles", "task"
#define EVAL_FORMAT "zOdsKKssKiss"

static PyObject *py_evaluate(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"y_true", "y_pred", "sample_weight", "codes", "labels",
                             EVAL_KWLIST, "columns", "series", "numeric_slices", "train",
                             "train_y", "train_time", "train_series", NULL};
    PyObject *y, *yhat, *w = Py_None, *codes = Py_None, *labels = Py_None, *by_names = Py_None,
             *getcol = Py_None, *train = Py_None;
    const char *metrics = NULL, *ci_method = "auto", *zero = "nan", *r2 = "undefined";
    const char *train_y = "y", *train_time = NULL, *train_by = NULL;
    double ci = 0;
    const char *quantiles = "exact", *task = "regression";
    unsigned long long resamples = 2000, seed = 0, min_count = 0;
    int threads = 1, series = 0, numeric = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOO" EVAL_FORMAT "OppOszz", kwlist, &y,
                                     &yhat, &w, &codes, &labels, &metrics, &by_names, &ci,
                                     &ci_method, &resamples, &seed, &zero, &r2, &min_count,
                                     &threads, &quantiles, &task, &getcol, &series, &numeric,
                                     &train, &train_y, &train_time, &train_by))
        return NULL;
    options o;
    if (options_set(&o, metrics, by_names, ci, ci_method, resamples, seed, zero, r2,
                    min_count, threads, quantiles, task) != 0) {
        options_free(&o);
        return NULL;
    }
    o.ec.series = series;
    o.ec.numeric_slices = numeric;
    vn_eval *ev = new_eval(&o);
    PyObject *out = NULL;
    if (ev && feed(ev, o.ec.by_count, y, yhat, w, codes, labels, getcol) == 0 &&
        (train == Py_None || add_training(ev, train, train_y, train_time, train_by) == 0))
        out = finish_json(ev);
    vn_eval_free(ev);
    options_free(&o);
    return out;
}

/* ---- evaluation states: vernier.Accumulator's engine ---- */

typedef struct {
    PyObject_HEAD
    vn_eval *ev;
    size_t nby;
    /* The configuration it was made with (its strings owned here), so that result() can
     * finish a copy made by merging into a fresh evaluation: that works for every metric,
     * the byte form only for some (none over input columns). NULL metrics_copy and
     * has_config 0 for states read from bytes, which result() copies through bytes. */
    int has_config;
    vn_eval_config ec;
    char *metrics_copy;
    char **by_copy;
} State;

static void State_forget_config(State *s)
{
    for (size_t i = 0; s->by_copy && i < s->ec.by_count; i++)
        PyMem_Free(s->by_copy[i]);
    PyMem_Free(s->by_copy);
    PyMem_Free(s->metrics_copy);
    s->by_copy = NULL;
    s->metrics_copy = NULL;
    s->has_config = 0;
}

static char *dup_str(const char *x)
{
    const size_t n = strlen(x) + 1;
    char *d = PyMem_Malloc(n);
    if (d)
        memcpy(d, x, n);
    return d;
}

/* Keeps a copy of cfg and its strings. 0 or -1 (MemoryError set). */
static int State_keep_config(State *s, const vn_eval_config *cfg)
{
    State_forget_config(s);
    s->ec = *cfg;
    s->ec.by_count = 0;
    s->ec.by_names = NULL;
    if (cfg->metrics && !(s->metrics_copy = dup_str(cfg->metrics)))
        goto nomem;
    s->ec.metrics = s->metrics_copy;
    if (cfg->by_count) {
        s->by_copy = PyMem_Calloc(cfg->by_count, sizeof *s->by_copy);
        if (!s->by_copy)
            goto nomem;
        s->ec.by_count = cfg->by_count;
        for (size_t i = 0; i < cfg->by_count; i++)
            if (!(s->by_copy[i] = dup_str(cfg->by_names[i])))
                goto nomem;
        s->ec.by_names = (const char *const *)s->by_copy;
    }
    s->has_config = 1;
    return 0;
nomem:
    State_forget_config(s);
    PyErr_NoMemory();
    return -1;
}

static void State_dealloc(State *s)
{
    vn_eval_free(s->ev);
    State_forget_config(s);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static int State_init(State *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {EVAL_KWLIST, NULL};
    PyObject *by_names = Py_None;
    const char *metrics = NULL, *ci_method = "auto", *zero = "nan", *r2 = "undefined";
    double ci = 0;
    const char *quantiles = "exact", *task = "regression";
    unsigned long long resamples = 2000, seed = 0, min_count = 0;
    int threads = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|" EVAL_FORMAT, kwlist, &metrics, &by_names,
                                     &ci, &ci_method, &resamples, &seed, &zero, &r2,
                                     &min_count, &threads, &quantiles, &task))
        return -1;
    options o;
    int rc = options_set(&o, metrics, by_names, ci, ci_method, resamples, seed, zero, r2,
                         min_count, threads, quantiles, task);
    if (rc == 0) {
        vn_eval_free(s->ev);
        s->ev = new_eval(&o);
        s->nby = o.ec.by_count;
        rc = s->ev ? State_keep_config(s, &o.ec) : -1;
    }
    options_free(&o);
    return rc;
}

static int State_ready(State *s)
{
    if (s->ev)
        return 0;
    PyErr_SetString(PyExc_ValueError, "the state is not initialised");
    return -1;
}

static PyObject *State_update(State *s, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"y_true", "y_pred", "sample_weight", "codes", "labels", "columns",
                             NULL};
    PyObject *y, *yhat, *w = Py_None, *codes = Py_None, *labels = Py_None, *getcol = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOO", kwlist, &y, &yhat, &w, &codes, &labels,
                                     &getcol) ||
        State_ready(s) != 0 || feed(s->ev, s->nby, y, yhat, w, codes, labels, getcol) != 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *State_to_bytes(State *s, PyObject *unused)
{
    (void)unused;
    if (State_ready(s) != 0)
        return NULL;
    void *buf = NULL;
    size_t len = 0;
    char err[512];
    vn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vn_eval_state_write(s->ev, &buf, &len, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != VN_OK)
        return raise_status(st, err);
    PyObject *b = PyBytes_FromStringAndSize(buf, (Py_ssize_t)len);
    vn_state_free(buf);
    return b;
}

/* A new State from bytes (a class method). */
static PyObject *State_from_bytes(PyObject *cls, PyObject *arg)
{
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) != 0)
        return NULL;
    char err[512];
    vn_eval *ev = NULL;
    size_t nby = 0;
    vn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vn_eval_state_read(b.buf, (size_t)b.len, 1, &ev, err, sizeof err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    if (st != VN_OK)
        return raise_status(st, err);
    nby = vn_eval_by_count(ev);
    State *s = (State *)PyType_GenericNew((PyTypeObject *)cls, NULL, NULL);
    if (!s) {
        vn_eval_free(ev);
        return NULL;
    }
    s->ev = ev;
    s->nby = nby;
    return (PyObject *)s;
}

static PyTypeObject StateType;

static PyObject *State_merge(State *s, PyObject *other)
{
    if (!PyObject_TypeCheck(other, &StateType)) {
        PyErr_SetString(PyExc_TypeError, "merge: expected another state");
        return NULL;
    }
    State *o = (State *)other;
    if (State_ready(s) != 0 || State_ready(o) != 0)
        return NULL;
    if (o == s) {
        PyErr_SetString(PyExc_ValueError, "merge: a state cannot absorb itself");
        return NULL;
    }
    char err[512];
    vn_status st;
    Py_BEGIN_ALLOW_THREADS
    st = vn_eval_merge(s->ev, o->ev, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (st != VN_OK)
        return raise_status(st, err);
    Py_RETURN_NONE;
}

/* The result so far, leaving the state usable: finishes a copy — a fresh evaluation of the
 * same configuration that absorbed this one (vn_eval_merge), or for a state read from
 * bytes, one made through bytes. */
static PyObject *State_result(State *s, PyObject *unused)
{
    (void)unused;
    if (State_ready(s) != 0)
        return NULL;
    void *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    vn_eval *copy = NULL;
    vn_status st;
    Py_BEGIN_ALLOW_THREADS
    if (s->has_config) {
        st = vn_eval_new(&s->ec, &copy, err, sizeof err);
        if (st == VN_OK)
            st = vn_eval_merge(copy, s->ev, err, sizeof err);
    } else {
        st = vn_eval_state_write(s->ev, &buf, &len, err, sizeof err);
        if (st == VN_OK)
            st = vn_eval_state_read(buf, len, 1, &copy, err, sizeof err);
        vn_state_free(buf);
    }
    Py_END_ALLOW_THREADS
    if (st != VN_OK) {
        vn_eval_free(copy);
        return raise_status(st, err);
    }
    PyObject *json = finish_json(copy);
    vn_eval_free(copy);
    return json;
}

static PyMethodDef State_methods[] = {
    {"update", (PyCFunction)(void (*)(void))State_update, METH_VARARGS | METH_KEYWORDS,
     "update(y_true, y_pred, sample_weight=None, codes=None, labels=None, columns=None)"},
    {"merge", (PyCFunction)State_merge, METH_O, "merge(other): absorb other's rows (after ours)"},
    {"to_bytes", (PyCFunction)State_to_bytes, METH_NOARGS, "the versioned byte form"},
    {"from_bytes", (PyCFunction)State_from_bytes, METH_O | METH_CLASS, "a state from bytes"},
    {"result_json", (PyCFunction)State_result, METH_NOARGS, "the result so far, as JSON"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "vernier._core.State",
    .tp_basicsize = sizeof(State),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "An evaluation state: rows folded so far, mergeable, with a byte form.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)State_init,
    .tp_dealloc = (destructor)State_dealloc,
    .tp_methods = State_methods,
};

/* ---- comparisons and reports ---- */

static vn_status comparison_json(const void *c, int fmt, FILE *fp)
{
    (void)fmt;
    return vn_comparison_write(c, VN_FORMAT_JSON, fp);
}

static vn_status report_out(const void *cfg, int fmt, FILE *fp)
{
    return vn_report_write(cfg, (vn_report_format)fmt, fp);
}

/* Rows for a comparison: y, the baseline's and the candidate's predictions, weights,
 * slice codes. */
static int feed_compare(vn_compare *cmp, size_t nby, PyObject *y, PyObject *base,
                        PyObject *cand, PyObject *w, PyObject *codes, PyObject *labels,
                        PyObject *getcol)
{
    column cy, cb, cc, cw;
    xcols cx;
    memset(&cx, 0, sizeof cx);
    memset(&cw, 0, sizeof cw);
    memset(&cc, 0, sizeof cc);
    memset(&cb, 0, sizeof cb);
    uint32_t *ids = NULL, *map = NULL;
    Py_ssize_t nl = 0;
    int rc = -1;
    if (column_get(y, "y_true", &cy) != 0)
        return -1;
    if (column_get(base, "baseline", &cb) != 0 || column_get(cand, "candidate", &cc) != 0 ||
        (w != Py_None && column_get(w, "sample_weight", &cw) != 0))
        goto out;
    if (cb.n != cy.n || cc.n != cy.n || (cw.has_view && cw.n != cy.n)) {
        PyErr_SetString(PyExc_ValueError, "inconsistent lengths of y_true, baseline, candidate "
                                          "and sample_weight");
        goto out;
    }
    if ((codes != Py_None) != (nby > 0)) {
        PyErr_SetString(PyExc_ValueError, "by names and by codes go together");
        goto out;
    }
    const interner in = {cmp, compare_slice, compare_errmsg};
    if (nby && (intern_labels(&in, labels, nby, &map, &nl) != 0 ||
                codes_get(codes, cy.n, nl, &ids) != 0))
        goto out;
    if (xcols_get(cmp, vn_compare_column_count(cmp), compare_colname, compare_coluse, getcol,
                  cy.n, &cx) != 0)
        goto out;
    vn_status st = VN_OK;
    int nomem = 0;
    Py_BEGIN_ALLOW_THREADS
    nomem = column_convert(&cy) || column_convert(&cb) || column_convert(&cc) ||
            (cw.has_view && column_convert(&cw)) || xcols_convert(&cx);
    for (Py_ssize_t i = 0; ids && i < cy.n; i++)
        ids[i] = map[ids[i]];
    if (!nomem) {
        const vn_rows rows = {(size_t)cy.n, cy.data, cy.stride, cb.data, cb.stride,
                              cw.has_view ? cw.data : NULL, cw.stride, ids};
        st = cx.n ? vn_compare_update_columns(cmp, &rows, cc.data, cc.stride, cx.data, cx.strides)
                  : vn_compare_update(cmp, &rows, cc.data, cc.stride);
    }
    Py_END_ALLOW_THREADS
    if (nomem)
        PyErr_NoMemory();
    else if (st != VN_OK)
        raise_status(st, vn_compare_errmsg(cmp));
    else
        rc = 0;
out:
    PyMem_RawFree(ids);
    PyMem_Free(map);
    column_release(&cy);
    column_release(&cb);
    column_release(&cc);
    column_release(&cw);
    xcols_release(&cx);
    return rc;
}

/* compare(...) -> JSON str (schema vernier.compare/1); with report=0/1 the HTML page or
 * the model card instead. */
static PyObject *py_compare(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"y_true", "baseline", "candidate", "sample_weight", "codes",
                             "labels", EVAL_KWLIST, "primary", "guards", "horizon",
                             "dm_losses", "report", "title", "columns", NULL};
    PyObject *y, *base, *cand, *w = Py_None, *codes = Py_None, *labels = Py_None,
             *by_names = Py_None, *guards = Py_None, *getcol = Py_None;
    const char *metrics = NULL, *ci_method = "auto", *zero = "nan", *r2 = "undefined",
               *primary = NULL, *dm = NULL, *title = NULL;
    double ci = 0.95;
    const char *quantiles = "exact", *task = "regression";
    unsigned long long resamples = 2000, seed = 0, min_count = 0;
    int threads = 1, horizon = 1, report = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOO" EVAL_FORMAT "zOizizO", kwlist, &y,
                                     &base, &cand, &w, &codes, &labels, &metrics, &by_names,
                                     &ci, &ci_method, &resamples, &seed, &zero, &r2,
                                     &min_count, &threads, &quantiles, &task, &primary, &guards, &horizon, &dm,
                                     &report, &title, &getcol))
        return NULL;
    options o;
    PyObject *gseq = NULL, *out = NULL;
    const char **gl = NULL;
    vn_compare *cmp = NULL;
    vn_comparison *res = NULL;
    if (options_set(&o, metrics, by_names, ci, ci_method, resamples, seed, zero, r2,
                    min_count, threads, quantiles, task) != 0)
        goto done;
    vn_compare_config cfg;
    vn_compare_config_init(&cfg);
    cfg.eval = o.ec;
    cfg.primary = primary;
    cfg.horizon = horizon;
    cfg.dm_losses = dm;
    if (guards != Py_None) {
        gseq = PySequence_Fast(guards, "guards must be a sequence of str");
        if (!gseq)
            goto done;
        const Py_ssize_t ng = PySequence_Fast_GET_SIZE(gseq);
        gl = PyMem_Calloc((size_t)(ng ? ng : 1), sizeof *gl);
        if (!gl) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < ng; i++)
            if (!(gl[i] = PyUnicode_AsUTF8(PySequence_Fast_GET_ITEM(gseq, i))))
                goto done;
        cfg.guard_count = (size_t)ng;
        cfg.guards = gl;
    }
    char err[512];
    vn_status st = vn_compare_new(&cfg, &cmp, err, sizeof err);
    if (st != VN_OK) {
        raise_status(st, err);
        goto done;
    }
    if (report >= 0 && (st = vn_compare_keep_plots(cmp)) != VN_OK) {
        raise_status(st, vn_compare_errmsg(cmp));
        goto done;
    }
    if (feed_compare(cmp, o.ec.by_count, y, base, cand, w, codes, labels, getcol) != 0)
        goto done;
    Py_BEGIN_ALLOW_THREADS
    st = vn_compare_finish(cmp, &res);
    Py_END_ALLOW_THREADS
    if (st != VN_OK) {
        raise_status(st, vn_compare_errmsg(cmp));
        goto done;
    }
    if (report >= 0) {
        vn_report_config rc;
        vn_report_config_init(&rc);
        rc.comparison = res;
        rc.title = title;
        out = write_str(report_out, &rc, report);
    } else {
        out = write_str(comparison_json, res, 0);
    }
done:
    vn_comparison_free(res);
    vn_compare_free(cmp);
    PyMem_Free(gl);
    Py_XDECREF(gseq);
    options_free(&o);
    return out;
}

/* report(...) -> the HTML page (fmt 0) or the model card (1) of an evaluation. */
static PyObject *py_report(PyObject *self, PyObject *args, PyObject *kw)
{
    (void)self;
    static char *kwlist[] = {"y_true", "y_pred", "sample_weight", "codes", "labels",
                             EVAL_KWLIST, "report", "title", "columns", NULL};
    PyObject *y, *yhat, *w = Py_None, *codes = Py_None, *labels = Py_None, *by_names = Py_None,
             *getcol = Py_None;
    const char *metrics = NULL, *ci_method = "auto", *zero = "nan", *r2 = "undefined",
               *title = NULL;
    double ci = 0;
    const char *quantiles = "exact", *task = "regression";
    unsigned long long resamples = 2000, seed = 0, min_count = 0;
    int threads = 1, report = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOO" EVAL_FORMAT "izO", kwlist, &y, &yhat,
                                     &w, &codes, &labels, &metrics, &by_names, &ci, &ci_method,
                                     &resamples, &seed, &zero, &r2, &min_count, &threads, &quantiles, &task,
                                     &report, &title, &getcol))
        return NULL;
    if (report != 0 && report != 1) {
        PyErr_SetString(PyExc_ValueError, "report: 0 (html) or 1 (card)");
        return NULL;
    }
    options o;
    if (options_set(&o, metrics, by_names, ci, ci_method, resamples, seed, zero, r2,
                    min_count, threads, quantiles, task) != 0) {
        options_free(&o);
        return NULL;
    }
    vn_eval *ev = new_eval(&o);
    PyObject *out = NULL;
    vn_result *res = NULL;
    vn_status st = ev ? vn_eval_keep_plots(ev) : VN_ERR_USAGE;
    if (ev && st != VN_OK)
        raise_status(st, vn_eval_errmsg(ev));
    if (ev && st == VN_OK && feed(ev, o.ec.by_count, y, yhat, w, codes, labels, getcol) == 0) {
        Py_BEGIN_ALLOW_THREADS
        st = vn_eval_finish(ev, &res);
        Py_END_ALLOW_THREADS
        if (st != VN_OK) {
            raise_status(st, vn_eval_errmsg(ev));
        } else {
            vn_report_config rc;
            vn_report_config_init(&rc);
            rc.result = res;
            rc.title = title;
            out = write_str(report_out, &rc, report);
        }
    }
    vn_result_free(res);
    vn_eval_free(ev);
    options_free(&o);
    return out;
}

/* ---- the catalog ---- */

static PyObject *py_metrics(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    static const char *const dirs[] = {"lower", "higher", "none"};
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < vn_metric_count(); i++) {
        const vn_metric_info *m = vn_metric_at(i);
        PyObject *d = Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", m->id, "params",
                                    m->params, "aliases", m->aliases, "direction",
                                    dirs[m->direction], "unit", m->unit, "summary", m->summary,
                                    "definition", m->definition);
        if (!d || PyList_Append(list, d) != 0) {
            Py_XDECREF(d);
            Py_CLEAR(list);
        }
        Py_XDECREF(d);
    }
    return list;
}

static PyMethodDef methods[] = {
    {"evaluate", (PyCFunction)(void (*)(void))py_evaluate, METH_VARARGS | METH_KEYWORDS,
     "evaluate(y_true, y_pred, sample_weight=None, codes=None, labels=None, metrics=None, "
     "by_names=None, ci=0, ci_method='auto', resamples=2000, seed=0, zero='nan', "
     "r2='undefined', min_count=0, threads=1) -> JSON str (schema vernier.eval/1)"},
    {"compare", (PyCFunction)(void (*)(void))py_compare, METH_VARARGS | METH_KEYWORDS,
     "compare(y_true, baseline, candidate, ...) -> JSON str (schema vernier.compare/1), or "
     "the report with report=0 (html) / 1 (card)"},
    {"report", (PyCFunction)(void (*)(void))py_report, METH_VARARGS | METH_KEYWORDS,
     "report(y_true, y_pred, ..., report=0 (html) / 1 (card), title=None) -> str"},
    {"metrics", py_metrics, METH_NOARGS, "the metric catalog"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "vernier._core",
    "vernier's C engine (include/vernier.h) over the buffer protocol.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__core(void)
{
    if (PyType_Ready(&StateType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Py_INCREF(&StateType);
    if (PyModule_AddObject(m, "State", (PyObject *)&StateType) != 0 ||
        PyModule_AddIntConstant(m, "STATE_FORMAT", VN_STATE_FORMAT) != 0 ||
        PyModule_AddStringConstant(m, "VERSION", vn_version()) != 0) {
        Py_DECREF(&StateType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
