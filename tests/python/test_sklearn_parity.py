"""vernier.sklearn against scikit-learn 1.2 itself: every function, on randomized data
(1-d and 3-output targets, with and without weights, zero weights, heavy ties), every
multioutput form, and the edge cases (constant targets, perfect predictions, one sample,
zero actuals in MAPE, negative values in MSLE, Tweedie domains), to 1e-12 relative."""
import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

import vernier.sklearn as vs

FUNCS = [f for f in vs.__all__]
MULTI = {"explained_variance_score", "mean_absolute_error", "mean_absolute_percentage_error",
         "mean_pinball_loss", "mean_squared_error", "mean_squared_log_error",
         "median_absolute_error", "r2_score", "d2_pinball_score", "d2_absolute_error_score"}
POSITIVE = {"mean_squared_log_error", "mean_poisson_deviance", "mean_gamma_deviance"}
TWEEDIE = {"mean_tweedie_deviance", "d2_tweedie_score"}


def same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a, b)
    for x, y in zip(a.ravel(), b.ravel()):
        if math.isnan(y) or math.isinf(y):
            assert (math.isnan(x) and math.isnan(y)) or x == y, (x, y)
        else:
            assert x == pytest.approx(y, rel=1e-12, abs=1e-14), (x, y)


def data(seed, k, weighted, ties):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    shape = (n,) if k == 1 else (n, k)
    y = rng.gamma(2.0, 3.0, shape) + 0.01
    p = np.abs(y + rng.normal(0, 1.5, shape)) + 0.01
    if ties:
        y, p = np.round(y) + 1.0, np.round(p) + 0.5
    w = None
    if weighted:
        w = rng.integers(0, 5, n).astype(float)
        w[0] = 1.0
    return y, p, w


def call(mod, name, y, p, w, **kw):
    f = getattr(mod, name)
    args = {} if name == "max_error" else {"sample_weight": w}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(y, p, **args, **kw)


CASES = [(s, k, wt, t) for s in range(12) for k in (1, 3) for wt in (False, True)
         for t in (False, True)]


@pytest.mark.parametrize("name", FUNCS)
def test_randomized(name):
    checked = 0
    for seed, k, weighted, ties in CASES:
        if k > 1 and name not in MULTI:
            continue
        if name == "max_error" and weighted:
            continue
        y, p, w = data(seed, k, weighted, ties)
        kws = [{}]
        if name in MULTI and k > 1:
            kws = [{"multioutput": "raw_values"}, {"multioutput": "uniform_average"},
                   {"multioutput": [0.2, 0.5, 0.3]}]
            if name in ("r2_score", "explained_variance_score"):
                kws.append({"multioutput": "variance_weighted"})
        if name in ("mean_pinball_loss", "d2_pinball_score"):
            kws = [dict(kw, alpha=a) for kw in kws for a in (0.1, 0.5, 0.93)]
        if name in TWEEDIE:
            kws = [{"power": pw} for pw in (0, 1, 1.5, 2, 3, -1)]
        if name in ("r2_score", "explained_variance_score"):
            kws = [dict(kw, force_finite=f) for kw in kws for f in (True, False)]
        for kw in kws:
            same(call(vs, name, y, p, w, **kw), call(skm, name, y, p, w, **kw))
            checked += 1
    assert checked >= 12


@pytest.mark.parametrize("name", ["r2_score", "explained_variance_score", "d2_pinball_score",
                                  "d2_absolute_error_score", "d2_tweedie_score"])
@pytest.mark.parametrize("force", [True, False])
def test_constant_and_perfect(name, force):
    kw = {"force_finite": force} if name in ("r2_score", "explained_variance_score") else {}
    if not force and not kw:
        return
    for y, p in [([3.0] * 5, [3.0] * 5), ([3.0] * 5, [3.0, 3.0, 4.0, 3.0, 3.0]),
                 ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])]:
        same(call(vs, name, np.array(y), np.array(p), None, **kw),
             call(skm, name, np.array(y), np.array(p), None, **kw))


def test_one_sample_warns_like_sklearn():
    for name in ("r2_score", "d2_pinball_score", "d2_tweedie_score"):
        with pytest.warns(Warning):
            v = getattr(vs, name)([1.0], [2.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert math.isnan(v) and math.isnan(getattr(skm, name)([1.0], [2.0]))


def test_mape_zero_actuals_uses_epsilon():
    y = np.array([0.0, 1.0, 2.0, 0.0])
    p = np.array([0.5, 1.0, 3.0, 0.0])
    same(vs.mean_absolute_percentage_error(y, p), skm.mean_absolute_percentage_error(y, p))


def test_errors_match_sklearn():
    for name, y, p, kw in [
            ("mean_squared_log_error", [1.0, -2.0], [1.0, 2.0], {}),
            ("mean_tweedie_deviance", [1.0, 2.0], [0.0, 1.0], {"power": 1}),
            ("mean_tweedie_deviance", [1.0, 2.0], [1.0, 1.0], {"power": 0.5}),
            ("mean_gamma_deviance", [0.0, 2.0], [1.0, 1.0], {}),
            ("max_error", np.ones((3, 2)), np.ones((3, 2)), {}),
            ("mean_absolute_error", [1.0, 2.0], [1.0], {}),
            ("mean_absolute_error", np.ones((3, 2)), np.ones((3, 2)), {"multioutput": [1.0]}),
            ("mean_absolute_error", [1.0, np.nan], [1.0, 2.0], {}),
            ("mean_absolute_error", [1.0, 2.0], [1.0, 2.0], {"multioutput": "bogus"})]:
        with pytest.raises(ValueError) as mine:
            getattr(vs, name)(y, p, **kw)
        with pytest.raises(ValueError) as theirs:
            getattr(skm, name)(y, p, **kw)
        first = str(theirs.value).split(".")[0].split(":")[0][:30]
        assert first.lower()[:20] in str(mine.value).lower(), (name, str(mine.value), str(theirs.value))


def test_make_scorer_in_cross_validation():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(0, 0.3, 300)
    for mine, theirs, greater in [(vs.mean_absolute_error, skm.mean_absolute_error, False),
                                  (vs.r2_score, skm.r2_score, True)]:
        a = cross_val_score(LinearRegression(), X, y, cv=5,
                            scoring=skm.make_scorer(mine, greater_is_better=greater))
        b = cross_val_score(LinearRegression(), X, y, cv=5,
                            scoring=skm.make_scorer(theirs, greater_is_better=greater))
        same(a, b)
