"""The benchmark's metric battery, computed with scikit-learn and numpy.

Shared by the competitor scripts (pandas_sklearn.py times read_csv + this; numpy_battery.py
times only this on in-memory arrays) and by bench/run.py's agreement check, which compares
every value with vernier's to 1e-9 relative.

Units follow vernier, not scikit-learn: percentage metrics (mape, smape) are in percent.
mape uses scikit-learn's max(|y|, eps) denominator, i.e. vernier's `--zero eps`.

Names are vernier's metric keys (canonical spelling with parameters), so the two outputs
compare key by key.
"""

import numpy as np
from sklearn.metrics import (
    max_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_pinball_loss,
    mean_squared_error,
    median_absolute_error,
    r2_score,
)

HUBER_DELTA = 1.0
PINBALL_Q = 0.9

# The vernier metric list that asks for exactly this battery (bench/run.py passes it with
# -m in the agreement run). Keys below are the canonical keys vernier reports for them.
VERNIER_METRICS = ("count,mae,mse,rmse,mean_error,mape,smape,huber,pinball:q=0.9,r2,"
                   "medae,p95_abs_error,p99_abs_error,max_error")


def battery(y, yhat, sklearn=True):
    """Returns {key: float} for one slice. With sklearn=False every metric is computed
    with plain numpy (the numpy competitor: no input validation overhead)."""
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    e = yhat - y
    ae = np.abs(e)
    n = y.shape[0]
    out = {"count": float(n)}
    if sklearn:
        out["mae"] = mean_absolute_error(y, yhat)
        out["mse"] = mean_squared_error(y, yhat)
        out["rmse"] = mean_squared_error(y, yhat, squared=False)
        out["mape"] = 100.0 * mean_absolute_percentage_error(y, yhat)
        out["pinball:q=0.9"] = mean_pinball_loss(y, yhat, alpha=PINBALL_Q)
        out["r2"] = r2_score(y, yhat)
        out["medae"] = median_absolute_error(y, yhat)
        out["max_error"] = max_error(y, yhat)
    else:
        se = e * e
        out["mae"] = ae.mean()
        out["mse"] = se.mean()
        out["rmse"] = np.sqrt(out["mse"])
        out["mape"] = 100.0 * np.mean(ae / np.maximum(np.abs(y), np.finfo(np.float64).eps))
        r = -e  # residual y - yhat
        out["pinball:q=0.9"] = np.mean(np.where(r >= 0, PINBALL_Q * r, (PINBALL_Q - 1.0) * r))
        ss_res = se.sum()
        ss_tot = ((y - y.mean()) ** 2).sum()
        out["r2"] = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
        out["max_error"] = ae.max()
    # Neither library has these three; the formulas are METRICS.md's.
    out["mean_error"] = e.mean()
    denom = np.abs(y) + np.abs(yhat)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denom > 0, 2.0 * ae / denom, 0.0)
    out["smape"] = 100.0 * ratio.mean()
    out["huber"] = np.mean(np.where(ae <= HUBER_DELTA, 0.5 * e * e,
                                    HUBER_DELTA * (ae - 0.5 * HUBER_DELTA)))
    # Quantiles of |e|: numpy's default linear interpolation (Hyndman-Fan type 7).
    q50, q95, q99 = np.quantile(ae, [0.5, 0.95, 0.99])
    if not sklearn:
        out["medae"] = q50
    out["p95_abs_error"] = q95
    out["p99_abs_error"] = q99
    return {k: float(v) for k, v in out.items()}


def groups_by_codes(codes, labels):
    """[(label, row indices)] for integer codes 0..len(labels)-1, in order of first
    appearance (as vernier orders slices). One stable argsort groups the rows."""
    codes = np.asarray(codes)
    perm = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[perm], np.arange(len(labels) + 1))
    first = [(perm[bounds[k]], k) for k in range(len(labels)) if bounds[k + 1] > bounds[k]]
    return [(labels[k], perm[bounds[k]:bounds[k + 1]]) for _, k in sorted(first)]


def by_slices(y, yhat, groups=None, sklearn=True):
    """[{"by": None, "metrics": ...}, {"by": label, "metrics": ...}, ...]: the overall
    slice first, then one per group [(label, row indices)]."""
    y = np.asarray(y, dtype=np.float64)
    yhat = np.asarray(yhat, dtype=np.float64)
    slices = [{"by": None, "metrics": battery(y, yhat, sklearn)}]
    for label, rows in groups or []:
        slices.append({"by": str(label), "metrics": battery(y[rows], yhat[rows], sklearn)})
    return slices


def to_json_value(x):
    """NaN and infinities are not JSON: written as null."""
    return x if np.isfinite(x) else None


def emit(tool, rows, by, seconds, slices, out=None):
    """Writes a competitor's result document (JSON) to stdout: the harness reads it."""
    import json
    import sys
    out = out or sys.stdout
    for sl in slices:
        sl["metrics"] = {k: to_json_value(v) for k, v in sl["metrics"].items()}
    json.dump({"tool": tool, "rows": int(rows), "by": by, "seconds": seconds, "slices": slices},
              out, indent=1)
    out.write("\n")
