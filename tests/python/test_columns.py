"""Metrics that read input columns besides y and the prediction, from Python (issue 9):
interval, quantile and probabilistic forecasts and expressions over a column, passed in
columns= to vernier.evaluate, vernier.Accumulator.update, vernier.compare and
vernier.report. Every value is checked against an oracle computed here with numpy, scipy
or scikit-learn (never against vernier's own output): weighted means of the per-row
scores, scipy's normal distribution for the Gaussian scores, the CRPS integral of the
ensemble's step CDF, scikit-learn's mean_pinball_loss."""
import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.metrics import mean_pinball_loss

import vernier

REL = 1e-12


def data(seed=0, n=3000, weighted=True):
    rng = np.random.default_rng(seed)
    y = rng.gamma(2.0, 10.0, n)
    p = y + rng.normal(0, 4, n)
    half = np.abs(rng.normal(6, 2, n))
    cols = {
        "p05": p - half, "p95": p + half * rng.uniform(0.5, 1.5, n),
        "p10": p - 0.8 * half, "p90": p + 0.8 * half,
        "s": rng.uniform(1, 8, n),
        "price": rng.uniform(0.5, 3, n),
        "m1": p + rng.normal(0, 3, n), "m2": p + rng.normal(0, 3, n),
        "m3": p + rng.normal(0, 3, n),
    }
    w = rng.integers(0, 4, n).astype(float) if weighted else None  # zeros: rows ignored
    g = rng.choice(["north", "south", "east"], n)
    return y, p, cols, w, g


def wmean(x, w):
    return np.sum(x) / x.size if w is None else np.sum(w * x) / np.sum(w)


def winkler(y, lo, hi, alpha):
    return ((hi - lo) + (2 / alpha) * np.maximum(lo - y, 0)
            + (2 / alpha) * np.maximum(y - hi, 0))


def crps_gauss(y, mu, s):
    z = (y - mu) / s
    return s * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))


def crps_step_cdf(y, members):
    """The CRPS integral of the ensemble's empirical (step) CDF F against the step at y,
    integral of (F(x) - 1[x >= y])^2 dx, exactly: the integrand is constant between the
    sorted breakpoints."""
    out = np.empty(len(y))
    for i in range(len(y)):
        x = np.sort(members[i])
        pts = np.sort(np.append(x, y[i]))
        total = 0.0
        for a, b in zip(pts[:-1], pts[1:]):
            mid = (a + b) / 2
            f = np.searchsorted(x, mid, side="right") / x.size
            total += (f - (1.0 if mid >= y[i] else 0.0)) ** 2 * (b - a)
        out[i] = total
    return out


def crps_fair_pairs(y, members):
    m = members.shape[1]
    first = np.mean(np.abs(members - y[:, None]), axis=1)
    pairs = np.abs(members[:, :, None] - members[:, None, :]).sum(axis=(1, 2))
    return first - pairs / (2 * m * (m - 1))


INTERVALS = ("coverage:lo=p05:hi=p95,interval_width:lo=p05:hi=p95,"
             "interval_score:lo=p05:hi=p95:alpha=0.1")


@pytest.mark.parametrize("weighted", [False, True])
def test_intervals_overall_and_by_slice(weighted):
    y, p, cols, w, g = data(1, weighted=weighted)
    r = vernier.evaluate(y, p, metrics=INTERVALS, sample_weight=w, by=g, columns=cols)
    lo, hi = cols["p05"], cols["p95"]
    for label in [None, "north", "south", "east"]:
        k = np.ones(y.size, bool) if label is None else g == label
        ww = None if w is None else w[k]
        cov = wmean(((lo <= y) & (y <= hi))[k].astype(float), ww)
        assert r.value("coverage:lo=p05:hi=p95", label) == pytest.approx(cov, rel=REL)
        assert r.value("interval_width:lo=p05:hi=p95", label) == pytest.approx(
            wmean((hi - lo)[k], ww), rel=REL)
        assert r.value("interval_score:lo=p05:hi=p95:alpha=0.1", label) == pytest.approx(
            wmean(winkler(y, lo, hi, 0.1)[k], ww), rel=REL)


def test_gaussian_scores_against_scipy():
    y, p, cols, w, _ = data(2)
    r = vernier.evaluate(y, p, metrics="crps_gaussian:sigma=s,log_score_gaussian:sigma=s,"
                         "crps_gaussian:sigma=s:mu=p90", sample_weight=w, columns=cols)
    s = cols["s"]
    assert r["crps_gaussian:sigma=s"] == pytest.approx(wmean(crps_gauss(y, p, s), w), rel=REL)
    assert r["crps_gaussian:sigma=s:mu=p90"] == pytest.approx(
        wmean(crps_gauss(y, cols["p90"], s), w), rel=REL)
    assert r["log_score_gaussian:sigma=s"] == pytest.approx(
        wmean(-norm.logpdf(y, loc=p, scale=s), w), rel=REL)


def test_crps_ensemble_toy_cases():
    # y = 0, members [0, 1]: standard 0.25, fair 0; y = 1, members [0, 0, 1]: 4/9, 1/3
    m = "crps_ensemble:members=[m1,m2],crps_ensemble:members=[m1,m2]:estimator=fair"
    r = vernier.evaluate([0.0], [0.0], metrics=m, columns={"m1": [0.0], "m2": [1.0]})
    assert r["crps_ensemble:members=[m1,m2]"] == 0.25
    assert r["crps_ensemble:members=[m1,m2]:estimator=fair"] == 0.0
    m = "crps_ensemble:members=m1..m3,crps_ensemble:members=m1..m3:estimator=fair"
    r = vernier.evaluate([1.0], [0.0], metrics=m,
                         columns={"m1": [0.0], "m2": [0.0], "m3": [1.0]})
    assert r["crps_ensemble:members=m1..m3"] == pytest.approx(4 / 9, rel=1e-15)
    assert r["crps_ensemble:members=m1..m3:estimator=fair"] == pytest.approx(1 / 3, rel=1e-15)


def test_crps_ensemble_random():
    y, p, cols, w, _ = data(3, n=400)
    members = np.stack([cols["m1"], cols["m2"], cols["m3"]], axis=1)
    r = vernier.evaluate(y, p, metrics="crps_ensemble:members=[m1,m2,m3],"
                         "crps_ensemble:members=[m1,m2,m3]:estimator=fair",
                         sample_weight=w, columns=cols)
    assert r["crps_ensemble:members=[m1,m2,m3]"] == pytest.approx(
        wmean(crps_step_cdf(y, members), w), rel=1e-11)  # the integral sums 4 pieces
    assert r["crps_ensemble:members=[m1,m2,m3]:estimator=fair"] == pytest.approx(
        wmean(crps_fair_pairs(y, members), w), rel=REL)


def test_pinball_on_quantile_columns_against_sklearn():
    y, p, cols, w, g = data(4)
    r = vernier.evaluate(y, p, metrics="pinball:q=0.9:col=p90,pinball:q=[0.1,0.9]:col=[p10,p90],"
                         "quantile_coverage:q=0.9:col=p90", sample_weight=w, by=g, columns=cols)
    for label in [None, "east"]:
        k = np.ones(y.size, bool) if label is None else g == label
        ww = None if w is None else w[k]
        p90 = mean_pinball_loss(y[k], cols["p90"][k], alpha=0.9, sample_weight=ww)
        p10 = mean_pinball_loss(y[k], cols["p10"][k], alpha=0.1, sample_weight=ww)
        assert r.value("pinball:q=0.9:col=p90", label) == pytest.approx(p90, rel=REL)
        assert r.value("pinball:q=[0.1,0.9]:col=[p10,p90]", label) == pytest.approx(
            (p10 + p90) / 2, rel=REL)
        assert r.value("quantile_coverage:q=0.9:col=p90", label) == pytest.approx(
            wmean((y <= cols["p90"])[k].astype(float), ww), rel=REL)


COST = "cost=sum(abs(e)*price)/sum(y*price)"


@pytest.mark.parametrize("weighted", [False, True])
def test_expression_over_a_column(weighted):
    y, p, cols, w, g = data(5, weighted=weighted)
    r = vernier.evaluate(y, p, metrics=["mae", COST], sample_weight=w, by=g, columns=cols)
    ww = np.ones(y.size) if w is None else w
    for label in [None, "north", "south", "east"]:
        k = np.ones(y.size, bool) if label is None else g == label
        want = (np.sum(ww[k] * np.abs(p - y)[k] * cols["price"][k])
                / np.sum(ww[k] * y[k] * cols["price"][k]))
        assert r.value("cost", label) == pytest.approx(want, rel=REL)


def test_columns_from_a_dataframe_strided_and_int():
    pd = pytest.importorskip("pandas")
    y, p, cols, _, _ = data(6)
    df = pd.DataFrame(cols)
    df["text"] = "not a number"  # unused: ignored, never converted
    m = INTERVALS + "," + COST
    r = vernier.evaluate(y, p, metrics=m, columns=df)
    want_cov = np.mean((cols["p05"] <= y) & (y <= cols["p95"]))
    want_cost = np.sum(np.abs(p - y) * cols["price"]) / np.sum(y * cols["price"])
    assert r["coverage:lo=p05:hi=p95"] == pytest.approx(want_cov, rel=REL)
    assert r["cost"] == pytest.approx(want_cost, rel=REL)
    # the same from a dict of pandas Series, and with y from a DataFrame too
    r2 = vernier.evaluate(pd.Series(y), pd.Series(p), metrics=m,
                          columns={k: df[k] for k in ("p05", "p95", "price")})
    assert r2["cost"] == pytest.approx(want_cost, rel=REL)
    # strided views (every other row of a 2-d block, read in place) and an int column
    big = np.stack([np.repeat(y, 2), np.repeat(p, 2)], axis=1)
    price_int = np.arange(1, y.size + 1, dtype=np.int64) % 7 + 1
    lo2 = np.repeat(cols["p05"], 2)[::2]
    assert lo2.strides[0] == 16
    r3 = vernier.evaluate(big[::2, 0], big[::2, 1], metrics=m,
                          columns={"p05": lo2, "p95": cols["p95"], "price": price_int})
    assert r3["coverage:lo=p05:hi=p95"] == pytest.approx(want_cov, rel=REL)
    assert r3["cost"] == pytest.approx(
        np.sum(np.abs(p - y) * price_int) / np.sum(y * price_int), rel=REL)
    # a DataFrame with numbered columns: matched by their text
    r4 = vernier.evaluate(y, p, metrics="interval_width:lo=0:hi=1",
                          columns=pd.DataFrame({0: cols["p05"], 1: cols["p95"]}))
    assert r4["interval_width:lo=0:hi=1"] == pytest.approx(
        np.mean(cols["p95"] - cols["p05"]), rel=REL)


def test_errors():
    y, p, cols, _, _ = data(7, n=50)
    with pytest.raises(KeyError, match=r"'p95' is not in columns=: metric "
                                       r"coverage:lo=p05:hi=p95 reads it as hi"):
        vernier.evaluate(y, p, metrics="coverage:lo=p05:hi=p95", columns={"p05": cols["p05"]})
    with pytest.raises(KeyError, match=r"'price' is missing: metric cost reads it at "
                                       r"expression:1:\d+; pass it in columns="):
        vernier.evaluate(y, p, metrics=COST)
    with pytest.raises(ValueError, match=r"columns\['p95'\]: 49 rows, y_true has 50"):
        vernier.evaluate(y, p, metrics="coverage:lo=p05:hi=p95",
                         columns={"p05": cols["p05"], "p95": cols["p95"][1:]})
    bad = cols["price"].copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r'row 4: column "price" is not finite'):
        vernier.evaluate(y, p, metrics=COST, columns={"price": bad})
    with pytest.raises(TypeError, match=r"columns\['price'\]: expected numbers"):
        vernier.evaluate(y, p, metrics=COST, columns={"price": ["a"] * 50})
    with pytest.raises(TypeError, match="columns: expected a dict"):
        vernier.evaluate(y, p, metrics=COST, columns=3)
    acc = vernier.Accumulator(COST)
    with pytest.raises(KeyError, match="'price' is missing"):
        acc.update(y, p)


def test_accumulator_parts_and_merge_equal_the_whole():
    y, p, cols, w, g = data(8, n=20000)
    m = INTERVALS + ",pinball:q=0.9:col=p90,crps_gaussian:sigma=s," + COST + ",mae"
    whole = vernier.evaluate(y, p, metrics=m, sample_weight=w, by={"g": g}, columns=cols)
    cuts = [0, 777, 5000, 12345, 20000]
    a = vernier.Accumulator(m, by_names=["g"])
    b = vernier.Accumulator(m, by_names=["g"])
    for i, (s, e) in enumerate(zip(cuts[:-1], cuts[1:])):
        part = {k: v[s:e] for k, v in cols.items()}
        (a if i < 2 else b).update(y[s:e], p[s:e], w[s:e], by={"g": g[s:e]}, columns=part)
    before = a.result()  # a stays usable
    a.merge(b)
    r = a.result()
    assert before.rows() == int(np.sum(w[:5000] > 0))
    assert r.rows() == whole.rows()
    for key in whole.metrics:
        for label in [None, "north", "south", "east"]:
            assert r.value(key, label) == pytest.approx(whole.value(key, label), rel=REL), key
    # and the oracle
    lo, hi = cols["p05"], cols["p95"]
    assert r["interval_score:lo=p05:hi=p95:alpha=0.1"] == pytest.approx(
        wmean(winkler(y, lo, hi, 0.1), w), rel=REL)
    assert r["pinball:q=0.9:col=p90"] == pytest.approx(
        mean_pinball_loss(y, cols["p90"], alpha=0.9, sample_weight=w), rel=REL)
    assert r["cost"] == pytest.approx(
        np.sum(w * np.abs(p - y) * cols["price"]) / np.sum(w * y * cols["price"]), rel=REL)


def test_accumulator_states_refuse_column_metrics():
    y, p, cols, _, _ = data(9, n=100)
    acc = vernier.Accumulator("mae,coverage:lo=p05:hi=p95")
    acc.update(y, p, columns=cols)
    with pytest.raises(ValueError, match=r"coverage:lo=p05:hi=p95: .*metrics over input "
                                         r"columns have no byte form in state format 1"):
        acc.to_bytes()
    with pytest.raises(ValueError, match="no byte form"):
        pickle.dumps(acc)
    # another metric list, or other columns under the same key, do not merge
    other = vernier.Accumulator("mae,coverage:lo=p10:hi=p90")
    with pytest.raises(ValueError, match="cannot merge: metric 2 is"):
        acc.merge(other)
    c1, c2 = vernier.Accumulator("c=sum(price)"), vernier.Accumulator("c=sum(qty)")
    with pytest.raises(ValueError, match="cannot merge: input column 1 is price here and "
                                         "qty there"):
        c1.merge(c2)


def test_compare_and_report_take_columns():
    y, p, cols, w, _ = data(10, n=2000)
    rng = np.random.default_rng(10)
    q = y + rng.normal(0, 2, y.size)
    c = vernier.compare(y, p, q, metrics=["mae", COST], sample_weight=w, columns=cols,
                        primary="cost", seed=1, resamples=200)
    d = c.diff("cost")
    price = cols["price"]
    for pred, key in ((p, "baseline"), (q, "candidate")):
        assert d[key] == pytest.approx(
            np.sum(w * np.abs(pred - y) * price) / np.sum(w * y * price), rel=REL)
    with pytest.raises(KeyError, match="'price' is missing"):
        vernier.compare(y, p, q, metrics=COST)
    html = vernier.report(y, p, metrics=INTERVALS, columns=cols, title="intervals")
    assert "interval_score:lo=p05:hi=p95:alpha=0.1" in html
    card = vernier.report(y, p, candidate=q, metrics=COST, columns=cols, format="md")
    assert "cost" in card
