"""
Oracle: `vernier compare` (issue 4, "compare").

Every number is recomputed here independently with numpy / scipy / scikit-learn:

1. The paired bootstrap. The resample indices come from the contract's generator
   (test_ci.resample_indices, itself checked against the formulas of docs/intervals.md);
   both models are evaluated on the same indices, the replicate differences are
   h(candidate*) - h(baseline*) (h = |.| for metrics whose ideal is 0), the interval is
   their percentile interval and the p-value 2 (1 + min(#{d* <= 0}, #{d* >= 0})) / (R + 1)
   capped at 1 (docs/compare.md). Endpoints must agree to 1e-12 of the scale.
2. The delta method (--ci-method analytic): the influence of each row on the difference,
   written out here per metric from the formulas in docs/compare.md.
3. The Diebold-Mariano test: d_t = L(baseline) - L(candidate), autocovariances to lag
   h - 1, the HLN factor, Student t with n - 1 df (scipy.stats.t) — and the same
   statistic from statsmodels-free first principles on a hand-sized case.
4. Holm's adjustment recomputed from the unadjusted p-values of a --no-adjust run.
5. Behaviour: identical predictions give "no difference" everywhere and exit 1; a
   candidate better on p95 but biased is rejected by a mean_error guard and accepted
   without it (exit 0); two files joined on a key give the same comparison as one file;
   unmatched and duplicate keys are data errors (exit 3); --time-col sorts rows; threads
   do not change a byte; usage errors exit 2.
"""
import json

import numpy as np
import pytest
import scipy.stats
from sklearn import metrics as skm

from conftest import write_csv
from test_ci import metric_values, resample_indices

NODIR = {"mean_error"}
HIGHER = {"r2"}


def compare(vernier, path, *args, ok=(0, 1)):
    p = vernier.run(["compare", str(path), *map(str, args), "--format", "json"])
    assert p.returncode in ok, f"exit {p.returncode}: {p.stderr}"
    return json.loads(p.stdout), p.returncode


def cells(doc, s=0):
    return {c["metric"]: c for c in doc["slices"][s]["comparisons"]}


def h(key, x):
    return np.abs(x) if key in NODIR else x


def close(got, exp, scale, tol=1e-12, what=""):
    assert got is not None, what
    assert abs(got - exp) <= tol * max(scale, 1e-300), f"{what}: got {got!r}, expected {exp!r}"


def gen(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.normal(10.0, 3.0, n)
    a = y + rng.normal(0.1, 1.0, n)
    b = y + 0.6 * (a - y) + rng.normal(0.0, 0.5, n)   # correlated with a, and better
    return y, a, b


# ---------------------------------------------------------------------------------------
# 1. paired bootstrap against numpy
# ---------------------------------------------------------------------------------------
BOOT_KEYS = ["mae", "mean_error", "rmse", "mse", "r2", "mape", "medae", "p95_abs_error"]


def check_boot_slice(doc_cells, keys, y, a, b, *, seed, s, R, level=0.95):
    idx = resample_indices(seed, s, len(y), R)
    for key in keys:
        c = doc_cells[key]
        ta = metric_values(key, y, a, None, idx)
        tb = metric_values(key, y, b, None, idx)
        d = h(key, tb) - h(key, ta)
        d = d[np.isfinite(d)]
        alpha = 1 - level
        lo, hi = np.percentile(d, 100 * alpha / 2), np.percentile(d, 100 * (1 - alpha / 2))
        scale = max(abs(lo), abs(hi), abs(np.max(np.abs(d))))
        close(c["lo"], lo, scale, what=f"{key} lo (slice {s})")
        close(c["hi"], hi, scale, what=f"{key} hi (slice {s})")
        le, ge = int(np.sum(d <= 0)), int(np.sum(d >= 0))
        assert c["p"] == pytest.approx(min(1.0, 2 * (1 + min(le, ge)) / (len(d) + 1)), rel=1e-15), key
        assert c["method"] == "bootstrap"
        # the point values are the models' own values
        va = metric_values(key, y, a, None, np.arange(len(y)))[0]
        vb = metric_values(key, y, b, None, np.arange(len(y)))[0]
        close(c["baseline"], va, abs(va), 1e-12, f"{key} baseline")
        close(c["candidate"], vb, abs(vb), 1e-12, f"{key} candidate")
        close(c["diff"], h(key, vb) - h(key, va), max(abs(va), abs(vb)), 1e-12, f"{key} diff")


def test_paired_bootstrap_matches_numpy(vernier, tmp_path):
    y, a, b = gen(1, 300)
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b})
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", ",".join(BOOT_KEYS),
                     "--ci-method", "bootstrap", "--resamples", 400, "--seed", 7, "--no-adjust")
    check_boot_slice(cells(doc), BOOT_KEYS, y, a, b, seed=7, s=0, R=400)
    # scikit-learn agrees on the point values
    c = cells(doc)
    assert c["mae"]["baseline"] == pytest.approx(skm.mean_absolute_error(y, a), rel=1e-13)
    assert c["r2"]["candidate"] == pytest.approx(skm.r2_score(y, b), rel=1e-13)


def test_paired_bootstrap_per_slice(vernier, tmp_path):
    y, a, b = gen(2, 240)
    g = np.where(np.arange(240) % 3 == 0, "u", "v")
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b, "g": list(g)})
    keys = ["mae", "rmse", "medae"]
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", ",".join(keys),
                     "--by", "g", "--ci-method", "bootstrap", "--resamples", 300, "--seed", 3)
    check_boot_slice(cells(doc, 0), keys, y, a, b, seed=3, s=0, R=300)
    for s, label in ((1, "u"), (2, "v")):
        assert doc["slices"][s]["by"] == {"g": label}
        m = g == label
        check_boot_slice(cells(doc, s), keys, y[m], a[m], b[m], seed=3, s=s, R=300)


# ---------------------------------------------------------------------------------------
# 2. the delta method
# ---------------------------------------------------------------------------------------
def delta_se(key, y, a, b):
    """se of h(theta_b) - h(theta_a), unweighted, n/(n-1) small-sample factor."""
    n = len(y)
    ea, eb = a - y, b - y
    if key == "r2":
        ybar = y.mean()
        c = (y - ybar) ** 2
        s = c.mean()
        A, B = ea ** 2, eb ** 2
        u = ((A - A.mean()) - (B - B.mean())) / s - (A.mean() - B.mean()) / s ** 2 * (c - s)
    else:
        term = {"mae": np.abs, "mean_error": lambda e: e, "mse": np.square,
                "rmse": np.square}[key]
        ta, tb = term(ea), term(eb)
        ma, mb = ta.mean(), tb.mean()
        ga = gb = 1.0
        if key == "rmse":
            ga, gb = 0.5 / np.sqrt(ma), 0.5 / np.sqrt(mb)
        if key == "mean_error":
            ga, gb = np.sign(ma), np.sign(mb)
        u = gb * (tb - mb) - ga * (ta - ma)
    return np.sqrt(n / (n - 1) * np.sum(u * u)) / n


def test_analytic_paired_intervals(vernier, tmp_path):
    y, a, b = gen(3, 6000)
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b})
    keys = ["mae", "mean_error", "mse", "rmse", "r2"]
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", ",".join(keys),
                     "--no-adjust")   # auto: n >= 5000 takes the delta method
    z = scipy.stats.norm.ppf(0.975)
    for key in keys:
        c = cells(doc)[key]
        assert c["method"] == "analytic", key
        va = metric_values(key, y, a, None, np.arange(len(y)))[0]
        vb = metric_values(key, y, b, None, np.arange(len(y)))[0]
        diff = h(key, vb) - h(key, va)
        se = delta_se(key, y, a, b)
        close(c["lo"], diff - z * se, abs(diff) + z * se, 1e-9, f"{key} lo")
        close(c["hi"], diff + z * se, abs(diff) + z * se, 1e-9, f"{key} hi")
        assert c["p"] == pytest.approx(2 * scipy.stats.norm.sf(abs(diff) / se), rel=1e-6, abs=1e-300)


# ---------------------------------------------------------------------------------------
# 3. Diebold-Mariano
# ---------------------------------------------------------------------------------------
def dm_reference(d, hz):
    n = len(d)
    dbar = d.mean()
    x = d - dbar
    gam = [np.dot(x[k:], x[:n - k]) / n for k in range(hz)]
    var = gam[0] + 2 * sum(gam[1:])
    bartlett = False
    if var <= 0:
        var = gam[0] + 2 * sum((1 - k / hz) * gam[k] for k in range(1, hz))
        bartlett = True
    stat = dbar / np.sqrt(var / n)
    hln = stat * np.sqrt((n + 1 - 2 * hz + hz * (hz - 1) / n) / n)
    p = 2 * scipy.stats.t.sf(abs(hln), n - 1)
    return dbar, stat, hln, p, bartlett


def pinball(u, q):
    return np.maximum(q * u, (q - 1) * u)


@pytest.mark.parametrize("hz", [1, 3])
def test_diebold_mariano(vernier, tmp_path, hz):
    rng = np.random.default_rng(10 + hz)
    n = 150
    y = np.cumsum(rng.normal(0, 1, n)) + 50
    a = y + rng.normal(0, 1.0, n)
    # candidate errors that are autocorrelated (an MA(2) process), as h-step forecasts are
    z = rng.normal(0, 0.6, n + 2)
    b = y + z[2:] + 0.5 * z[1:-1] + 0.3 * z[:-2]
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b})
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", "mae",
                     "--dm-loss", "squared,absolute,pinball:q=0.9", "--horizon", hz)
    ua, ub = y - a, y - b
    losses = {"squared": ua ** 2 - ub ** 2, "absolute": np.abs(ua) - np.abs(ub),
              "pinball:q=0.9": pinball(ua, 0.9) - pinball(ub, 0.9)}
    got = {t["loss"]: t for t in doc["slices"][0]["diebold_mariano"]}
    assert set(got) == set(losses)
    for name, d in losses.items():
        dbar, stat, hln, p, bart = dm_reference(d, hz)
        t = got[name]
        assert t["n"] == n and t["h"] == hz
        assert t["mean"] == pytest.approx(dbar, rel=1e-12)
        assert t["stat"] == pytest.approx(stat, rel=1e-10)
        assert t["stat_hln"] == pytest.approx(hln, rel=1e-10)
        assert t["p"] == pytest.approx(p, rel=1e-9)
        assert t["bartlett"] == bart


def test_diebold_mariano_hand_case(vernier, tmp_path):
    # n = 4, h = 1: d = (1, 2, 3, 6) from squared losses a: e = (1, sqrt2, sqrt3, sqrt6),
    # b: e = 0. d-bar = 3, gamma_0 = (4 + 1 + 0 + 9) / 4 = 3.5, DM = 3 / sqrt(3.5 / 4)
    # = 3.2071349, HLN factor sqrt((4 + 1 - 2) / 4) = sqrt(0.75), HLN = 2.7774603.
    y = np.zeros(4)
    a = np.sqrt(np.array([1.0, 2.0, 3.0, 6.0]))
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": y.copy()})
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", "mae",
                     "--dm-loss", "squared")
    t = doc["slices"][0]["diebold_mariano"][0]
    assert t["mean"] == pytest.approx(3.0, rel=1e-15)
    assert t["stat"] == pytest.approx(3.0 / np.sqrt(3.5 / 4), rel=1e-14)
    assert t["stat_hln"] == pytest.approx(3.0 / np.sqrt(3.5 / 4) * np.sqrt(0.75), rel=1e-14)
    assert t["p"] == pytest.approx(2 * scipy.stats.t.sf(3.0 / np.sqrt(3.5 / 4) * np.sqrt(0.75), 3),
                                   rel=1e-10)


# ---------------------------------------------------------------------------------------
# 4. Holm
# ---------------------------------------------------------------------------------------
def holm(p):
    p = np.asarray(p, float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adj = np.empty(m)
    run = 0.0
    for rank, i in enumerate(order):
        run = max(run, (m - rank) * p[i])
        adj[i] = min(1.0, run)
    return adj


def test_holm_adjustment_and_verdicts(vernier, tmp_path):
    y, a, b = gen(4, 800)
    g = np.where(np.arange(800) % 2 == 0, "x", "z")
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b, "g": list(g)})
    args = ["-y", "y", "-p", "a", "-p", "b", "-m", "mae,rmse,mean_error,r2,medae", "--by", "g",
            "--resamples", 999]
    raw, _ = compare(vernier, path, *args, "--no-adjust")
    adj, _ = compare(vernier, path, *args)
    flat_raw = [c for s in raw["slices"] for c in s["comparisons"]]
    flat_adj = [c for s in adj["slices"] for c in s["comparisons"]]
    tested = [i for i, c in enumerate(flat_raw) if c["p"] is not None]
    assert adj["test"]["tests"] == len(tested) == 15
    want = holm([flat_raw[i]["p"] for i in tested])
    for k, i in enumerate(tested):
        assert flat_adj[i]["p"] == flat_raw[i]["p"]
        assert flat_adj[i]["p_adj"] == pytest.approx(want[k], rel=1e-15)
        c = flat_adj[i]
        key = c["metric"]
        better = c["diff"] > 0 if key in HIGHER else c["diff"] < 0
        exp = ("better" if better else "worse") if c["p_adj"] < 0.05 else "no_difference"
        assert c["verdict"] == exp, key


# ---------------------------------------------------------------------------------------
# 5. behaviour
# ---------------------------------------------------------------------------------------
def test_identical_predictions_no_difference(vernier, tmp_path):
    y, a, _ = gen(5, 200)
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": a.copy()})
    doc, rc = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "--resamples", 200)
    assert rc == 1 and doc["wins"] is False
    for c in doc["slices"][0]["comparisons"]:
        assert c["verdict"] in ("no_difference", "untested"), c
        if c["p"] is not None:
            assert c["p"] == 1.0 and c["diff"] == 0.0 and c["lo"] == 0.0 and c["hi"] == 0.0
    for t in doc["slices"][0]["diebold_mariano"]:
        assert t["mean"] == 0.0 and t["p"] == 1.0


def guard_case(tmp_path):
    """The seed case: the candidate cuts the tail (better p95) but is biased high."""
    rng = np.random.default_rng(6)
    n = 3000
    y = rng.gamma(4.0, 5.0, n)
    ea = rng.standard_t(3, n) * 2.0
    eb = np.clip(ea, -3.0, 3.0) * 0.8 + 0.8
    path = write_csv(tmp_path / "g.csv", {"y": y, "a": y + ea, "b": y + eb})
    return path, ea, eb


def test_guard_rejects_biased_candidate(vernier, tmp_path):
    path, ea, eb = guard_case(tmp_path)
    assert np.quantile(np.abs(eb), 0.95) < np.quantile(np.abs(ea), 0.95)
    assert abs(eb.mean()) > abs(ea.mean()) + 0.3
    base = ["-y", "y", "-p", "a", "-p", "b", "-m", "mae,mean_error,p95_abs_error",
            "--primary", "p95_abs_error", "--resamples", 1000]
    doc, rc = compare(vernier, path, *base)
    assert rc == 0 and doc["wins"] is True
    assert cells(doc)["p95_abs_error"]["verdict"] == "better"
    doc, rc = compare(vernier, path, *base, "--guard", "mean_error")
    assert rc == 1 and doc["wins"] is False
    g = doc["guards"][0]
    assert g["metric"] == "mean_error" and g["passed"] is False
    assert "guard mean_error fails" in doc["summary"]
    # a margin larger than the worst worsening the interval allows lets it pass
    c = cells(doc)["mean_error"]
    doc, rc = compare(vernier, path, *base, "--guard", f"mean_error:{c['hi'] * 1.01}")
    assert rc == 0 and doc["guards"][0]["passed"] is True
    assert doc["guards"][0]["bound"] == pytest.approx(c["hi"], rel=1e-15)
    # a relative margin is a share of the baseline's |value|
    doc, rc = compare(vernier, path, *base, "--guard", "mean_error:5%")
    g = doc["guards"][0]
    assert g["relative"] is True
    assert g["limit"] == pytest.approx(0.05 * abs(c["baseline"]), rel=1e-15)
    assert g["passed"] is (c["hi"] <= g["limit"]) and rc == (0 if g["passed"] else 1)


def test_two_files_joined_on_key(vernier, tmp_path):
    y, a, b = gen(8, 150)
    ids = [f"k{i}" for i in range(150)]
    one = write_csv(tmp_path / "one.csv", {"id": ids, "y": y, "a": a, "b": b})
    base = write_csv(tmp_path / "base.csv", {"id": ids, "y": y, "pred": a})
    perm = np.random.default_rng(1).permutation(150)
    cand = write_csv(tmp_path / "cand.csv", {"pred": b[perm], "id": [ids[i] for i in perm]})
    d1, _ = compare(vernier, one, "-y", "y", "-p", "a", "-p", "b", "--resamples", 200)
    d2, _ = compare(vernier, base, cand, "--key", "id", "-y", "y", "-p", "pred", "--resamples", 200)
    assert d2["input"]["candidate_source"] == str(cand)
    assert d1["slices"] == d2["slices"] and d1["summary"] == d2["summary"]
    # a key missing from the candidate file, and one only there, and a duplicate
    cand2 = write_csv(tmp_path / "cand2.csv", {"id": ids[1:], "pred": b[1:]})
    p = vernier.run(["compare", base, cand2, "--key", "id", "-y", "y", "-p", "pred"])
    assert p.returncode == 3 and 'key "k0" has no row in' in p.stderr and "base.csv:2:" in p.stderr
    cand3 = write_csv(tmp_path / "cand3.csv", {"id": ids + ["extra"], "pred": list(b) + [1.0]})
    p = vernier.run(["compare", base, cand3, "--key", "id", "-y", "y", "-p", "pred"])
    assert p.returncode == 3 and 'cand3.csv:152:1: key "extra" has no row in' in p.stderr
    cand4 = write_csv(tmp_path / "cand4.csv", {"id": ids + ["k3"], "pred": list(b) + [1.0]})
    p = vernier.run(["compare", base, cand4, "--key", "id", "-y", "y", "-p", "pred"])
    assert p.returncode == 3 and '"k3" appears twice (first on line 5)' in p.stderr


def test_time_column_sorts_rows(vernier, tmp_path):
    y, a, b = gen(9, 120)
    t = np.arange(120)
    fwd = write_csv(tmp_path / "fwd.csv", {"t": t, "y": y, "a": a, "b": b})
    perm = np.random.default_rng(2).permutation(120)   # not a reversal: DM is symmetric in time
    rev = write_csv(tmp_path / "rev.csv", {"t": t[perm], "y": y[perm], "a": a[perm], "b": b[perm]})
    args = ["-y", "y", "-p", "a", "-p", "b", "-m", "mae", "--horizon", 3, "--block-size", 5,
            "--resamples", 200]
    d1, _ = compare(vernier, fwd, *args)
    d2, _ = compare(vernier, rev, *args, "--time-col", "t")
    d3, _ = compare(vernier, rev, *args)
    assert d1["slices"] == d2["slices"]
    assert d1["slices"][0]["diebold_mariano"] != d3["slices"][0]["diebold_mariano"]
    # ISO dates sort as text
    dates = [f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(120)]
    iso = write_csv(tmp_path / "iso.csv", {"t": [dates[i] for i in perm], "y": y[perm],
                                           "a": a[perm], "b": b[perm]})
    d4, _ = compare(vernier, iso, *args, "--time-col", "t")
    assert d4["slices"] == d1["slices"]


def test_threads_do_not_change_a_byte(vernier, tmp_path):
    y, a, b = gen(11, 500)
    path = write_csv(tmp_path / "d.csv", {"y": y, "a": a, "b": b,
                                          "g": ["p", "q", "r", "s", "t"] * 100})
    outs = []
    for th in (1, 2):
        p = vernier.run(["compare", path, "-y", "y", "-p", "a", "-p", "b", "--by", "g",
                         "--resamples", 300, "--threads", th, "--format", "json"])
        assert p.returncode in (0, 1)
        outs.append(p.stdout)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("flags, text", [
    (["-p", "a"], "name both prediction columns"),
    (["-p", "a", "-p", "b", "-p", "c"], "at most two"),
    (["-p", "a", "-p", "b", "--ci-method", "bca"], "--ci-method takes auto, bootstrap or analytic"),
    (["-p", "a", "-p", "b", "--guard", "mae:x"], "margin after ':' must be a non-negative number"),
    (["-p", "a", "-p", "b", "--primary", "nope"], "unknown metric"),
    (["-p", "a", "-p", "b", "--primary", "count"], "cannot be tested"),
    (["-p", "a", "-p", "b", "--dm-loss", "cubic"], "unknown DM loss"),
    (["-p", "a", "-p", "b", "--key", "id"], "--key joins two files"),
    (["-p", "a", "-p", "b", "--level", "1.5"], "--level takes a level"),
])
def test_usage_errors_exit_2(vernier, tmp_path, flags, text):
    path = write_csv(tmp_path / "d.csv", {"y": [1.0, 2.0], "a": [1.0, 2.0], "b": [1.0, 2.0]})
    p = vernier.run(["compare", path, "-y", "y", *flags])
    assert p.returncode == 2, p.stderr
    assert text in p.stderr, p.stderr


def test_log_records_candidate_with_verdict_tags(vernier, tmp_path):
    path, _, _ = guard_case(tmp_path)
    store = tmp_path / "runs.db"
    p = vernier.run(["compare", path, "-y", "y", "-p", "a", "-p", "b", "-m", "mae,p95_abs_error",
                     "--primary", "p95_abs_error", "--resamples", 300, f"--log={store}",
                     "--tag", "team=eta", "--name", "v2-vs-v1"])
    assert p.returncode == 0, p.stderr
    assert "logged run" in p.stderr
    show = vernier.run(["runs", "show", "latest", "--store", store, "--format", "json"])
    assert show.returncode == 0, show.stderr
    run = json.loads(show.stdout)
    text = json.dumps(run)
    for tag in ('"compare.wins": "true"', '"compare.primary": "p95_abs_error"',
                '"compare.baseline": "a"', '"team": "eta"'):
        assert tag in text, (tag, text[:800])
    assert '"command": "compare"' in text and '"v2-vs-v1"' in text
    # the values are the candidate's
    doc, _ = compare(vernier, path, "-y", "y", "-p", "a", "-p", "b", "-m", "mae,p95_abs_error",
                     "--resamples", 300)
    assert str(cells(doc)["mae"]["candidate"])[:12] in text
