"""Drop-in replacements for scikit-learn's regression metrics (scikit-learn 1.2 signatures
and semantics), computed by vernier's C engine.

    from vernier.sklearn import mean_absolute_error, r2_score
    from sklearn.metrics import make_scorer
    scorer = make_scorer(mean_absolute_error, greater_is_better=False)

Same arguments, same results (to within 1e-12; vernier's sums are compensated, so on
ill-conditioned data vernier is the more accurate), same edge cases: multioutput as
'raw_values', 'uniform_average', 'variance_weighted' (r2, explained variance) or an array
of output weights; force_finite for r2 and explained variance; MAPE as a fraction with
numpy's float64 epsilon for zero actuals; the same ValueErrors for negative values in
MSLE and for Tweedie deviances outside their domain; NaN with an UndefinedMetricWarning
for r2 and the D² scores on fewer than two samples.

Two-dimensional inputs are evaluated column by column on strided views (no copy). The
one place numpy computes a number itself: scikit-learn's weighted percentile rule
(inverted CDF, no interpolation) behind median_absolute_error and the D² pinball
denominator when sample_weight is given, which differs from vernier's documented
interpolating rule on exact ties; the losses around it are still vernier's. (And the
output weights of multioutput='variance_weighted', Σw(y − ȳ)² per output.)
"""
import warnings

import numpy as np

from . import evaluate

__all__ = [
    "explained_variance_score", "max_error", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_pinball_loss", "mean_squared_error",
    "mean_squared_log_error", "median_absolute_error", "r2_score", "mean_tweedie_deviance",
    "mean_poisson_deviance", "mean_gamma_deviance", "d2_tweedie_score", "d2_pinball_score",
    "d2_absolute_error_score",
]

try:  # the warning scikit-learn users filter on
    from sklearn.exceptions import UndefinedMetricWarning
except ImportError:  # pragma: no cover
    class UndefinedMetricWarning(UserWarning):
        pass

_MULTI = ("raw_values", "uniform_average", "variance_weighted")


def _array(x, name):
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name}: could not convert to numbers") from e
    if a.ndim == 0 or a.ndim > 2:
        raise ValueError(f"Expected 1D or 2D array for {name}, got {a.ndim}D")
    if not np.isfinite(a).all():
        raise ValueError("Input contains NaN, infinity or a value too large for "
                         "dtype('float64').")
    return a


def _targets(y_true, y_pred, multioutput, allowed=_MULTI):
    """scikit-learn's _check_reg_targets: 2-d float views, and the multioutput weights."""
    yt, yp = _array(y_true, "y_true"), _array(y_pred, "y_pred")
    if yt.shape[0] != yp.shape[0]:
        raise ValueError("Found input variables with inconsistent numbers of samples: "
                         f"[{yt.shape[0]}, {yp.shape[0]}]")
    if yt.ndim == 1:
        yt = yt.reshape(-1, 1)
    if yp.ndim == 1:
        yp = yp.reshape(-1, 1)
    if yt.shape[1] != yp.shape[1]:
        raise ValueError("y_true and y_pred have different number of output "
                         f"({yt.shape[1]}!={yp.shape[1]})")
    k = yt.shape[1]
    if multioutput is not None:
        if isinstance(multioutput, str):
            if multioutput not in allowed:
                raise ValueError(f"Allowed 'multioutput' string values are {allowed}. "
                                 f"You provided multioutput={multioutput!r}")
        else:
            multioutput = np.asarray(multioutput, dtype=np.float64)
            if k == 1:
                raise ValueError("Custom weights are useful only in multi-output cases.")
            if multioutput.shape != (k,):
                raise ValueError(f"There must be equally many custom weights "
                                 f"({multioutput.shape[0] if multioutput.ndim else 1}) as "
                                 f"outputs ({k}).")
    return yt, yp, multioutput


def _weights(sample_weight, n):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n},)!")
    return w


def _per_output(yt, yp, w, metric, **kw):
    """The metric on each output column: (values, results)."""
    out = np.empty(yt.shape[1])
    res = []
    for j in range(yt.shape[1]):
        r = evaluate(yt[:, j], yp[:, j], metrics=metric, sample_weight=w, **kw)
        out[j] = r.value(r.metrics[0])
        res.append(r)
    return out, res


def _average(values, multioutput, denominators=None):
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return values
        if multioutput == "variance_weighted" and denominators is not None:
            if not np.any(denominators != 0):
                return np.average(values)
            return np.average(values, weights=denominators)
        return np.average(values)
    return np.average(values, weights=multioutput)


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def mean_absolute_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]), "mae")
    return _scalar(_average(v, multioutput))


def mean_squared_error(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average",
                       squared=True):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]),
                       "mse" if squared else "rmse")
    return _scalar(_average(v, multioutput))


def mean_squared_log_error(y_true, y_pred, *, sample_weight=None,
                           multioutput="uniform_average", squared=True):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    if (yt < 0).any() or (yp < 0).any():
        raise ValueError("Mean Squared Logarithmic Error cannot be used when targets "
                         "contain negative values.")
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]),
                       "msle" if squared else "rmsle")
    return _scalar(_average(v, multioutput))


def mean_absolute_percentage_error(y_true, y_pred, *, sample_weight=None,
                                   multioutput="uniform_average"):
    """A fraction (not a percentage), rows with y = 0 divided by float64's epsilon."""
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]), "mape", zero="eps")
    return _scalar(_average(v / 100.0, multioutput))


def mean_pinball_loss(y_true, y_pred, *, sample_weight=None, alpha=0.5,
                      multioutput="uniform_average"):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]), f"pinball:q={alpha!r}")
    return _scalar(_average(v, multioutput))


def _weighted_percentile(a, w, percentile):
    """scikit-learn 1.2's _weighted_percentile on a 1-d array (inverted CDF)."""
    order = np.argsort(a, kind="stable")
    cdf = np.cumsum(w[order], dtype=np.float64)
    target = percentile / 100.0 * cdf[-1]
    if percentile == 0:
        target = target + (w[order] == 0).cumsum().argmax()  # never used below: q > 0
    i = min(np.searchsorted(cdf, target), a.size - 1)
    return a[order[i]]


def median_absolute_error(y_true, y_pred, *, multioutput="uniform_average", sample_weight=None):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    w = _weights(sample_weight, yt.shape[0])
    if w is None:
        v, _ = _per_output(yt, yp, None, "medae")
    else:
        v = np.array([_weighted_percentile(np.abs(yp[:, j] - yt[:, j]), w, 50)
                      for j in range(yt.shape[1])], dtype=np.float64)
    return _scalar(_average(v, multioutput))


def max_error(y_true, y_pred):
    yt, yp, _ = _targets(y_true, y_pred, None)
    if yt.shape[1] > 1:
        raise ValueError("Multioutput not supported in max_error")
    v, _ = _per_output(yt, yp, None, "max_error")
    return float(v[0])


def _too_few(n, what="R^2"):
    if n < 2:
        warnings.warn(f"{what} score is not well-defined with less than two samples.",
                      UndefinedMetricWarning)
        return True
    return False


def _denominators(yt, w):
    """Σw(y − ȳ)² per output, the weights of multioutput='variance_weighted'."""
    avg = np.average(yt, axis=0, weights=w)
    ww = np.ones(yt.shape[0]) if w is None else w
    return (ww[:, None] * (yt - avg) ** 2).sum(axis=0)


def _skill(yt, yp, w, metric, multioutput, force_finite):
    """r2 or explained variance: vernier's value, scikit-learn's edge cases."""
    v, res = _per_output(yt, yp, w, metric,
                         r2_constant="sklearn" if force_finite else "undefined")
    if not force_finite:
        for j, r in enumerate(res):
            if r.reason(r.metrics[0]) == "constant_y":
                err = evaluate(yt[:, j], yp[:, j], metrics="mse" if metric == "r2"
                               else "explained_variance", sample_weight=w,
                               r2_constant="sklearn")
                perfect = err.value(err.metrics[0]) == (0.0 if metric == "r2" else 1.0)
                v[j] = np.nan if perfect else -np.inf
    den = _denominators(yt, w) if isinstance(multioutput, str) and \
        multioutput == "variance_weighted" else None
    return _scalar(_average(v, multioutput, den))


def r2_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average",
             force_finite=True):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    if _too_few(yt.shape[0]):
        return float("nan")
    return _skill(yt, yp, _weights(sample_weight, yt.shape[0]), "r2", multioutput,
                  force_finite)


def explained_variance_score(y_true, y_pred, *, sample_weight=None,
                             multioutput="uniform_average", force_finite=True):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    return _skill(yt, yp, _weights(sample_weight, yt.shape[0]), "explained_variance",
                  multioutput, force_finite)


def _tweedie_domain(yt, yp, power):
    if power < 0:
        if (yp <= 0).any():
            raise ValueError(f"Mean Tweedie deviance error with power={power} can only "
                             "be used on strictly positive y_pred.")
    elif power == 0:
        pass
    elif 0 < power < 1:
        raise ValueError("Tweedie deviance is only defined for power<=0 and power>=1.")
    elif 1 <= power < 2:
        if (yt < 0).any() or (yp <= 0).any():
            raise ValueError(f"Mean Tweedie deviance error with power={power} requires "
                             "y_true >= 0 and y_pred > 0.")
    elif (yt <= 0).any() or (yp <= 0).any():
        raise ValueError(f"Mean Tweedie deviance error with power={power} requires "
                         "y_true > 0 and y_pred > 0.")


def mean_tweedie_deviance(y_true, y_pred, *, sample_weight=None, power=0):
    yt, yp, _ = _targets(y_true, y_pred, None)
    if yt.shape[1] > 1:
        raise ValueError("Multioutput not supported in mean_tweedie_deviance")
    _tweedie_domain(yt, yp, power)
    v, _ = _per_output(yt, yp, _weights(sample_weight, yt.shape[0]),
                       f"tweedie_deviance:power={float(power)!r}")
    return float(v[0])


def mean_poisson_deviance(y_true, y_pred, *, sample_weight=None):
    return mean_tweedie_deviance(y_true, y_pred, sample_weight=sample_weight, power=1)


def mean_gamma_deviance(y_true, y_pred, *, sample_weight=None):
    return mean_tweedie_deviance(y_true, y_pred, sample_weight=sample_weight, power=2)


def d2_tweedie_score(y_true, y_pred, *, sample_weight=None, power=0):
    yt, yp, _ = _targets(y_true, y_pred, None)
    if yt.shape[1] > 1:
        raise ValueError("Multioutput not supported in d2_tweedie_score")
    if _too_few(yt.shape[0], "D^2"):
        return float("nan")
    _tweedie_domain(yt, yp, power)
    w = _weights(sample_weight, yt.shape[0])
    num, _ = _per_output(yt, yp, w, f"tweedie_deviance:power={float(power)!r}")
    avg = np.full_like(yt[:, 0], np.average(yt[:, 0], weights=w))
    den, _ = _per_output(yt, avg.reshape(-1, 1), w, f"tweedie_deviance:power={float(power)!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1 - num[0] / den[0])


def d2_pinball_score(y_true, y_pred, *, sample_weight=None, alpha=0.5,
                     multioutput="uniform_average"):
    yt, yp, multioutput = _targets(y_true, y_pred, multioutput)
    if _too_few(yt.shape[0], "D^2"):
        return float("nan")
    w = _weights(sample_weight, yt.shape[0])
    if w is None:  # vernier's quantile rule is numpy's here; scikit-learn's edge cases
        v, _ = _per_output(yt, yp, None, f"d2_pinball:q={alpha!r}", r2_constant="sklearn")
        return _scalar(_average(v, multioutput))
    num, _ = _per_output(yt, yp, w, f"pinball:q={alpha!r}")
    quant = np.array([_weighted_percentile(yt[:, j], w, alpha * 100)
                      for j in range(yt.shape[1])])
    den, _ = _per_output(yt, np.broadcast_to(quant, yt.shape).copy(), w, f"pinball:q={alpha!r}")
    scores = np.ones(yt.shape[1])
    valid = (num != 0) & (den != 0)
    scores[valid] = 1 - num[valid] / den[valid]
    scores[(num != 0) & (den == 0)] = 0.0
    return _scalar(_average(scores, multioutput))


def d2_absolute_error_score(y_true, y_pred, *, sample_weight=None,
                            multioutput="uniform_average"):
    return d2_pinball_score(y_true, y_pred, sample_weight=sample_weight, alpha=0.5,
                            multioutput=multioutput)
