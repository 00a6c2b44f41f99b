"""vernier: every metric a careful engineer would defend, at the speed of the hardware.

    >>> import numpy as np, vernier
    >>> r = vernier.evaluate(y, yhat, metrics="mae,rmse,p95_abs_error", by=region, ci=0.95)
    >>> r["mae"], r.interval("mae"), r.notes
    >>> r.to_pandas()                      # one row per slice (pandas when installed)

The numbers come from the C library (include/vernier.h) that the `vernier` command uses,
and the result is the same document (`vernier eval --format json`, schema
vernier.eval/1), so values, reasons and notes are identical to the CLI's.

Inputs are anything with the buffer protocol (numpy arrays and strided views, memoryview,
array.array); float64 is read in place without a copy, other numeric types are converted
once. pandas Series and lists are converted through numpy when it is installed.

* vernier.evaluate       -- the battery, overall and per slice, with intervals
* vernier.Accumulator    -- streaming: update(), merge(), result(), to_bytes()/from_bytes()
* vernier.sklearn        -- drop-in scikit-learn metric functions
* vernier.dask           -- evaluate a dask dataframe: per-partition states, tree-merged
"""
import json
import os

from . import _core

__version__ = _core.VERSION
STATE_FORMAT = _core.STATE_FORMAT

__all__ = ["evaluate", "compare", "report", "Accumulator", "Result", "Comparison", "metrics",
           "STATE_FORMAT", "__version__"]


def metrics():
    """The metric catalog: a list of dicts (id, params, aliases, direction, unit, summary,
    definition)."""
    return _core.metrics()


# ---- inputs ----------------------------------------------------------------------------

def _column(x, name):
    """An object with a 1-d numeric buffer, without copying when x already has one."""
    if hasattr(x, "to_numpy") and not isinstance(x, memoryview):  # pandas
        x = x.to_numpy()
    try:
        memoryview(x)
        return x
    except TypeError:
        pass
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is optional
        import array
        try:
            return array.array("d", x)
        except TypeError as e:
            raise TypeError(f"{name}: expected a sequence of numbers") from e
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got dtype {a.dtype}")
    return a


def _by_columns(by, default="by"):
    """The by argument as a dict name -> labels: one labelling (a sequence, pandas Series:
    named `default` unless it has a name) or several (a dict name -> sequence, a pandas
    DataFrame, a list of sequences)."""
    if hasattr(by, "columns") and hasattr(by, "__getitem__"):  # a DataFrame
        cols = {str(c): by[c] for c in by.columns}
    elif isinstance(by, dict):
        cols = {str(k): v for k, v in by.items()}
    elif isinstance(by, (list, tuple)) and by and not isinstance(by[0], (str, bytes)) \
            and hasattr(by[0], "__len__"):
        cols = {f"by{i}" if getattr(c, "name", None) is None else str(c.name): c
                for i, c in enumerate(by)}
    else:
        name = getattr(by, "name", None)
        cols = {default if name is None else str(name): by}
    return cols


def _factorize(by, n):
    """(codes, labels, names) for the by argument (see _by_columns; a dict from it is
    taken as is). Labels are str, as in CSV input."""
    if by is None:
        return None, None, None
    cols = by if isinstance(by, dict) else _by_columns(by)
    cols = {str(k): v for k, v in cols.items()}
    names = list(cols)
    keys = [_labels(v, n, k) for k, v in cols.items()]
    if len(keys) == 1:
        codes, uniq = keys[0]
        return codes, [(u,) for u in uniq], names
    # combine several labellings: codes of the tuples, in order of first appearance
    try:
        import numpy as np
        stacked = np.stack([k[0] for k in keys], axis=1)
        uniq_rows, first, inverse = np.unique(stacked, axis=0, return_index=True,
                                              return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        codes = rank[inverse.reshape(-1)]
        labels = [tuple(keys[c][1][uniq_rows[i][c]] for c in range(len(keys))) for i in order]
        return codes, labels, names
    except ImportError:  # pragma: no cover
        seen, codes, labels = {}, [], []
        for row in zip(*[k[0] for k in keys]):
            if row not in seen:
                seen[row] = len(labels)
                labels.append(tuple(keys[c][1][row[c]] for c in range(len(keys))))
            codes.append(seen[row])
        import array
        return array.array("q", codes), labels, names


def _label_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _labels(values, n, name):
    """(codes, unique labels as str) of one labelling, labels in order of first appearance."""
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    if len(values) != n:
        raise ValueError(f"by {name!r}: {len(values)} labels for {n} rows")
    try:
        import numpy as np
        a = np.asarray(values)
        uniq, first, inverse = np.unique(a, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return rank[inverse.reshape(-1)].astype(np.int64), [_label_str(uniq[i].item() if hasattr(uniq[i], "item") else uniq[i]) for i in order]
    except (ImportError, TypeError):
        seen, codes = {}, []
        for v in values:
            codes.append(seen.setdefault(_label_str(v), len(seen)))
        import array
        return array.array("q", codes), list(seen)


def _column_getter(columns):
    """The lookup the C layer calls for each input column its metrics read (name, use),
    use saying which metric reads it: columns is None, a mapping name -> array-like, or a
    pandas DataFrame. Only the columns asked for are converted; others are ignored."""
    if columns is not None and not hasattr(columns, "__getitem__"):
        raise TypeError("columns: expected a dict name -> array-like or a pandas DataFrame, "
                        f"not {type(columns).__name__}")

    def get(name, use):
        if columns is None:
            raise KeyError(f"input column {name!r} is missing: {use}; pass it in columns= "
                           "(a dict name -> array, or a DataFrame)")
        keys = columns.columns if hasattr(columns, "columns") else columns
        if name in keys:
            return _column(columns[name], f"columns[{name!r}]")
        for k in keys:  # labels that are not str (a DataFrame with numbered columns)
            if str(k) == name:
                return _column(columns[k], f"columns[{name!r}]")
        raise KeyError(f"input column {name!r} is not in columns=: {use}")
    return get


def _forecast(by, series, horizon, n):
    """(codes, labels, names, series flag, numeric flag) for by, series= and horizon=, as
    `vernier eval --series / --horizon` make them: the series or the horizon becomes the
    (first) by column."""
    if series is not None and horizon is not None:
        raise ValueError("series= with horizon= is not supported yet: evaluate per series, "
                         "or per horizon (with train= for the scale)")
    if series is not None and by is not None:
        raise ValueError("series= with by= is not supported yet")
    if series is None and horizon is None:
        return _factorize(by, n) + (False, False)
    key = series if series is not None else horizon
    name = getattr(key, "name", None)
    name = ("series" if series is not None else "horizon") if name is None else str(name)
    cols = {name: key}
    for k, v in ({} if by is None else _by_columns(by)).items():
        if k == name:
            raise ValueError(f"horizon= and by= both name a column {name!r}")
        cols[k] = v
    return _factorize(cols, n) + (series is not None, horizon is not None)


def _training(train, series, train_y, train_time, train_series):
    """train= for the C layer: a path (str), or (key, values) pairs. Returns (train, the
    file's series column or None)."""
    if train is None:
        if train_time is not None or train_series is not None or train_y != "y":
            raise ValueError("train_y, train_time and train_series name columns of a "
                             "training file: pass its path in train=")
        return None, None
    if isinstance(train, (str, bytes, os.PathLike)):
        path = os.fsdecode(train)
        col = None
        if series is not None:
            col = train_series if train_series is not None else getattr(series, "name", None)
            if col is None:
                raise ValueError("train= is a file and series= has no name: name the file's "
                                 "series column with train_series=")
        return path, str(col) if col is not None else None
    if train_time is not None or train_series is not None or train_y != "y":
        raise ValueError("train_y, train_time and train_series name columns of a training "
                         "file; train= is not a path")
    if isinstance(train, dict) or (hasattr(train, "items") and hasattr(train, "keys")
                                   and not hasattr(train, "to_numpy")):
        if series is None:
            raise ValueError("train= as a dict {series label: values} gives one training "
                             "series per series: it needs series= (without it, pass one "
                             "array of training values)")
        return [((_label_str(k.item() if hasattr(k, "item") else k),),
                 _column(v, f"train[{k!r}]")) for k, v in train.items()], None
    if series is not None:
        raise ValueError("train= as one array is one training series: with series=, pass a "
                         "dict {series label: values} or the path of a training file")
    return [(None, _column(train, "train"))], None


def _policy(zero, r2_constant):
    if zero not in ("nan", "skip", "eps"):
        raise ValueError(f"zero must be 'nan', 'skip' or 'eps', not {zero!r}")
    if r2_constant not in ("undefined", "sklearn"):
        raise ValueError(f"r2_constant must be 'undefined' or 'sklearn', not {r2_constant!r}")


def _metric_list(metrics):
    if metrics is None or isinstance(metrics, str):
        return metrics
    return ",".join(metrics)


def _ci(ci):
    if ci is None or ci is False:
        return 0.0
    if ci is True:
        return 0.95
    if not 0 < float(ci) < 1:
        raise ValueError(f"ci is a level between 0 and 1 (e.g. 0.95), not {ci!r}")
    return float(ci)


# ---- results ---------------------------------------------------------------------------

class Result:
    """The result of an evaluation: the document `vernier eval --format json` writes.

    r["mae"]                the overall value (None when undefined)
    r.value("mae", slice)   a slice's value; slice is "overall", a label such as
                            "region=north", or a tuple of by values
    r.interval("mae")       (lo, hi) or None
    r.reason("mape")        why a value is undefined ("zero_actual"), or None
    r.notes                 the plain-language notes (list of dicts)
    r.to_dict()             the whole document
    r.to_pandas()           a DataFrame, one row per slice (needs pandas)
    """

    def __init__(self, doc):
        self._doc = doc
        self._slices = {s["slice"]: s for s in doc["slices"]}
        self._by_tuple = {tuple(s["by"].get(b) for b in doc["by"]): s
                          for s in doc["slices"][1:]}

    @property
    def metrics(self):
        return [m["key"] for m in self._doc["metrics"]]

    @property
    def slices(self):
        return [s["slice"] for s in self._doc["slices"]]

    @property
    def notes(self):
        return list(self._doc["notes"])

    def _slice(self, s):
        if s is None or s == "overall":
            return self._doc["slices"][0]
        if isinstance(s, tuple):
            return self._by_tuple[tuple(map(str, s))]
        if s in self._slices:
            return self._slices[s]
        if len(self._doc["by"]) == 1 and (str(s),) in self._by_tuple:
            return self._by_tuple[(str(s),)]
        raise KeyError(s)

    def _entry(self, metric, slice):
        values = self._slice(slice)["values"]
        if metric in values:
            return values[metric]
        for m in self._doc["metrics"]:  # an id or alias of a listed metric
            if m["id"] == metric:
                return values[m["key"]]
        raise KeyError(metric)

    def value(self, metric, slice=None):
        v = self._entry(metric, slice)["value"]
        return float("nan") if v is None else float(v)  # JSON writes 1.0 as 1

    def interval(self, metric, slice=None):
        ci = self._entry(metric, slice).get("ci")
        return (ci["low"], ci["high"]) if ci and ci.get("low") is not None else None

    def reason(self, metric, slice=None):
        return self._entry(metric, slice)["reason"]

    def rows(self, slice=None):
        return self._slice(slice)["rows"]

    def __getitem__(self, metric):
        return self.value(metric)

    def __contains__(self, metric):
        try:
            self._entry(metric, None)
            return True
        except KeyError:
            return False

    def to_dict(self):
        return json.loads(json.dumps(self._doc))

    def to_pandas(self):
        import pandas as pd
        rows = []
        for s in self._doc["slices"]:
            row = {"slice": s["slice"], **{b: s["by"].get(b) for b in self._doc["by"]},
                   "rows": s["rows"]}
            for k, e in s["values"].items():
                row[k] = float("nan") if e["value"] is None else float(e["value"])
                if e.get("ci") and e["ci"].get("low") is not None:
                    row[k + "_lo"], row[k + "_hi"] = e["ci"]["low"], e["ci"]["high"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("slice")

    def __repr__(self):
        keys = self.metrics
        width = max([len(k) for k in keys] + [6])
        lines = [f"<vernier.Result: {self.rows()} rows, {len(self.slices) - 1} slices, "
                 f"{len(keys)} metrics>"]
        for k in keys:
            e = self._entry(k, None)
            v = e["value"]
            text = "n/a (" + (e["reason"] or "") + ")" if v is None else f"{v:.6g}"
            if e.get("ci") and e["ci"].get("low") is not None:
                text += f"  [{e['ci']['low']:.6g}, {e['ci']['high']:.6g}]"
            lines.append(f"  {k:<{width}}  {text}")
        for n in self.notes:
            lines.append(f"  note: {n['message']}")
        return "\n".join(lines)


# ---- the entry points ------------------------------------------------------------------

def evaluate(y_true, y_pred, *, metrics=None, sample_weight=None, by=None, columns=None,
             series=None, horizon=None, train=None, train_y="y", train_time=None,
             train_series=None, ci=None, seed=None, ci_method="auto", resamples=2000,
             zero="nan", r2_constant="undefined", min_count=0, threads=0,
             quantiles="exact", task="regression"):
    """Evaluates predictions against actuals: the metric battery (or `metrics`, a list or
    a comma-separated string in the CLI's spelling, e.g. "mae,huber:delta=2"), overall
    and per slice of `by` (a sequence of labels, a pandas Series or DataFrame, or a dict
    name -> labels), with confidence intervals at level `ci` (True = 0.95). Returns a
    Result. The GIL is released while the rows are evaluated, on `threads` worker threads
    (0, the default: one per CPU, as the CLI; the values are the same, bit for bit, for any
    count). quantiles="sketch" computes
    medae and pNN_abs_error from a mergeable sketch (within 0.39 % of exact; the rank
    error in the notes) instead of keeping |e| of every row. task="binary": y_true is a
    0/1 label and y_pred a score; the default battery becomes the classification one
    (roc_auc, average_precision, log_loss, brier, ece, operating points).

    columns: the input columns that metrics read besides y and the prediction — interval
    bounds ("coverage:lo=p05:hi=p95", "interval_score:lo=p05:hi=p95:alpha=0.1", "wis",
    "quantile_coverage"), quantile columns ("pinball:q=0.9:col=p90"), ensembles
    ("crps_ensemble:members=[m1,m2,m3]"), a Gaussian's sigma ("crps_gaussian:sigma=s"),
    or a column an expression names ("cost=sum(abs(e)*price)/sum(y*price)"): a dict
    name -> array-like, or a pandas DataFrame. Each is read like y_true (float64 in place,
    other numbers converted once); unused ones are ignored. A column a metric needs and
    columns= lacks is a KeyError naming the column and the metric; a length other than
    y_true's a ValueError.

    Forecasting, as `vernier eval --series / --horizon / --train` (docs/forecasting.md):
    series: a label per row naming its series (rows in time order within each): one slice
    per series, and the overall mase, rmsse and mda become the unweighted mean of the
    per-series values (M4); not with by= or horizon=. horizon: a label per row (the
    forecast's lead time): one slice per horizon, listed in numeric order (1, 2, ..., 10),
    before the by columns when by= is given too. A pandas Series gives its name to the
    column. train: the seasonal-naive scale of mase and rmsse from training data instead
    of the evaluated rows — the path of a CSV file (its column train_y, in the order of
    train_time if given, one series per value of the column train_series, by default the
    name of the series= Series), one array-like (one training series, without series=),
    or a dict {series label: array-like} (with series=; labels matched as text)."""
    _policy(zero, r2_constant)
    y = _column(y_true, "y_true")
    p = _column(y_pred, "y_pred")
    w = None if sample_weight is None else _column(sample_weight, "sample_weight")
    n = len(memoryview(y)) if not hasattr(y, "shape") else y.shape[0]
    codes, labels, names, is_series, is_horizon = _forecast(by, series, horizon, n)
    tr, tr_by = _training(train, series, train_y, train_time, train_series)
    doc = _core.evaluate(y, p, w, codes, labels, metrics=_metric_list(metrics),
                         by_names=names, ci=_ci(ci), ci_method=ci_method,
                         resamples=resamples, seed=0 if seed is None else seed, zero=zero,
                         r2=r2_constant, min_count=min_count, threads=threads,
                         quantiles=quantiles, task=task, columns=_column_getter(columns),
                         series=is_series, numeric_slices=is_horizon, train=tr,
                         train_y=train_y, train_time=train_time, train_series=tr_by)
    return Result(json.loads(doc))


class Comparison:
    """A champion/challenger comparison: the document `vernier compare --format json`
    writes (schema vernier.compare/1).

    c.wins, c.summary, c.primary   the decision
    c.diff("mae")                  the overall comparison of a metric: baseline, candidate,
                                   diff, rel, lo, hi, p, p_adj, verdict, method
    c.diff("mae", "north")         on a slice (label or by value)
    c.guards, c.to_dict()
    """

    def __init__(self, doc):
        self._doc = doc

    wins = property(lambda self: self._doc["wins"])
    summary = property(lambda self: self._doc["summary"])
    primary = property(lambda self: self._doc["primary"])
    guards = property(lambda self: list(self._doc["guards"]))

    def diff(self, metric, slice=None):
        slices = self._doc["slices"]
        if slice is None or slice == "overall":
            s = slices[0]
        else:
            s = next((x for x in slices if x["label"] == slice or
                      (len(x["by"]) == 1 and list(x["by"].values())[0] == str(slice))), None)
            if s is None:
                raise KeyError(slice)
        for c in s["comparisons"]:
            if c["metric"] == metric:
                return dict(c)
        raise KeyError(metric)

    def to_dict(self):
        return json.loads(json.dumps(self._doc))

    def __repr__(self):
        return f"<vernier.Comparison: {self.summary}>"


def _compare_args(y_true, baseline, candidate, sample_weight, by):
    y = _column(y_true, "y_true")
    n = y.shape[0] if hasattr(y, "shape") else len(memoryview(y))
    codes, labels, names = _factorize(by, n)
    return (y, _column(baseline, "baseline"), _column(candidate, "candidate"),
            None if sample_weight is None else _column(sample_weight, "sample_weight"),
            codes, labels), names


def compare(y_true, baseline, candidate, *, metrics=None, sample_weight=None, by=None,
            columns=None, primary=None, guards=(), level=0.95, method="auto",
            resamples=2000, seed=None, horizon=1, dm_losses=None, zero="nan",
            r2_constant="undefined", min_count=0, threads=0):
    """Champion (baseline) against challenger (candidate) on the same rows, as
    `vernier compare`: paired differences with intervals and Holm-adjusted p-values, a
    verdict per metric, the Diebold-Mariano test, guards ("mean_error",
    "p95_abs_error:5%") and the decision. method: auto, bootstrap or analytic. columns:
    the input columns metrics read (as in evaluate; both models are scored with the same
    columns). horizon is the Diebold-Mariano test's forecast horizon h. Returns a
    Comparison."""
    _policy(zero, r2_constant)
    args, names = _compare_args(y_true, baseline, candidate, sample_weight, by)
    doc = _core.compare(*args, metrics=_metric_list(metrics), by_names=names, ci=level,
                        ci_method="percentile" if method == "bootstrap" else method,
                        resamples=resamples, seed=0 if seed is None else seed, zero=zero,
                        r2=r2_constant, min_count=min_count, threads=threads,
                        primary=primary, guards=list(guards), horizon=horizon,
                        dm_losses=dm_losses, columns=_column_getter(columns))
    return Comparison(json.loads(doc))


def report(y_true, y_pred, *, candidate=None, format="html", title=None, metrics=None,
           sample_weight=None, by=None, columns=None, ci=None, seed=None, primary=None,
           guards=(), zero="nan", r2_constant="undefined", min_count=0, threads=0):
    """The report of `vernier report` as a str: the self-contained HTML page
    (format="html") or the Markdown model card (format="md"). With candidate, y_pred is
    the baseline and the report shows the comparison (ci is then its level). columns:
    the input columns metrics read, as in evaluate."""
    if format not in ("html", "md"):
        raise ValueError(f"format is 'html' or 'md', not {format!r}")
    _policy(zero, r2_constant)
    fmt = 0 if format == "html" else 1
    if candidate is not None:
        args, names = _compare_args(y_true, y_pred, candidate, sample_weight, by)
        return _core.compare(*args, metrics=_metric_list(metrics), by_names=names,
                             ci=_ci(ci) or 0.95, seed=0 if seed is None else seed, zero=zero,
                             r2=r2_constant, min_count=min_count, threads=threads,
                             primary=primary, guards=list(guards), report=fmt, title=title,
                             columns=_column_getter(columns))
    y, p = _column(y_true, "y_true"), _column(y_pred, "y_pred")
    w = None if sample_weight is None else _column(sample_weight, "sample_weight")
    n = y.shape[0] if hasattr(y, "shape") else len(memoryview(y))
    codes, labels, names = _factorize(by, n)
    return _core.report(y, p, w, codes, labels, metrics=_metric_list(metrics), by_names=names,
                        ci=_ci(ci), seed=0 if seed is None else seed, zero=zero, r2=r2_constant,
                        min_count=min_count, threads=threads, report=fmt, title=title,
                        columns=_column_getter(columns))


class Accumulator:
    """A streaming, mergeable evaluation.

        acc = vernier.Accumulator(metrics="mae,rmse,p95_abs_error", by_names=["region"])
        acc.update(y, yhat, w=None, by=labels)   # any number of batches
        acc.merge(other)                         # another worker's rows, after ours
        acc.result()                             # a Result; acc stays usable
        blob = acc.to_bytes(); vernier.Accumulator.from_bytes(blob)   # also pickle

    The byte form is versioned (vernier.STATE_FORMAT) and shared with the C API and the
    CLI (`vernier eval --from-states FILE...`). Exact quantile metrics keep |e| of every
    row (8 bytes per value), so merged results equal the whole-data evaluation; with
    quantiles="sketch" they keep a mergeable sketch instead (memory flat in the rows,
    each quantile within 0.39 % of exact, merges bit-identical for any split).

    Metrics over input columns (coverage, wis, crps_*, pinball on a quantile column, an
    expression reading a column) take them in update(..., columns=...); such an
    accumulator merges and gives results, but has no byte form in state format 1:
    to_bytes() and pickling raise ValueError naming the metric. Expression metrics over
    y, yhat, e and w have a byte form (their definitions travel in it). The forecasting
    options of evaluate (series, horizon, train) are not available here.
    """

    def __init__(self, metrics=None, *, by_names=None, ci=None, seed=None, ci_method="auto",
                 resamples=2000, zero="nan", r2_constant="undefined", min_count=0,
                 threads=1, quantiles="exact", task="regression", _state=None):
        if _state is not None:
            self._state = _state
            return
        _policy(zero, r2_constant)
        self._state = _core.State(metrics=_metric_list(metrics),
                                  by_names=None if by_names is None else list(by_names),
                                  ci=_ci(ci), ci_method=ci_method, resamples=resamples,
                                  seed=0 if seed is None else seed, zero=zero,
                                  r2=r2_constant, min_count=min_count, threads=threads,
                                  quantiles=quantiles, task=task)

    def update(self, y, yhat, w=None, *, by=None, columns=None):
        """Folds a batch of rows in: y, yhat, weights w, slice labels by (as in
        evaluate, named by_names), and columns, the input columns the metrics read (a dict
        name -> array-like or a DataFrame, as in evaluate)."""
        y, yhat = _column(y, "y"), _column(yhat, "yhat")
        w = None if w is None else _column(w, "w")
        n = y.shape[0] if hasattr(y, "shape") else len(memoryview(y))
        codes, labels, _ = _factorize(by, n)
        self._state.update(y, yhat, w, codes, labels, _column_getter(columns))
        return self

    def merge(self, other):
        if not isinstance(other, Accumulator):
            raise TypeError("merge: expected an Accumulator")
        self._state.merge(other._state)
        return self

    def result(self):
        return Result(json.loads(self._state.result_json()))

    def to_bytes(self):
        return self._state.to_bytes()

    @classmethod
    def from_bytes(cls, data):
        return cls(_state=_core.State.from_bytes(data))

    def __reduce__(self):
        return (Accumulator.from_bytes, (self.to_bytes(),))

