"""
Oracle: the CLI contract (slices, --min-count, the default battery, --missing, thread
determinism, the JSON document) checked against the same independent oracles as the
other files — scikit-learn/scipy/numpy for the metrics it has, exact rational arithmetic
(oracle_exact.py) for the others — applied to the subset of rows each slice or policy
selects. Nothing here is compared with vernier's own earlier output except the
determinism test, whose oracle is "byte-identical stdout for any --threads".
"""
import json
import re

import numpy as np
import scipy.stats
from sklearn import metrics as skm

import oracle_exact as ox
from conftest import Checker, record, write_csv

REL = 1e-12
REL_LOG = 1e-9
TINY = 1e-300


def _aicdf(a, w, q):
    if w is None:
        return float(np.quantile(a, q))
    return float(np.quantile(np.repeat(a, w.astype(np.int64)), q, method="averaged_inverted_cdf"))


def _check_exact(chk, key, entry, ex, rel=REL):
    if isinstance(ex, ox.Reason):
        return chk.undefined(key, entry, ex.reasons)
    v = float(ex.value)
    return chk.value(key, entry, v, max(rel * abs(v), REL * float(ex.scale), TINY))


def _r2_tol(y, p, w, r2):
    num = float(np.sum((1.0 if w is None else w) * (y - p) ** 2))
    m = float(np.average(y, weights=w))
    den = float(np.sum((1.0 if w is None else w) * (y - m) ** 2))
    return max(REL * max(abs(r2), num / den), TINY)


# One oracle per metric key, on a subset of rows (y, p, w kept in file order).
SLICE_METRICS = ["count", "mae", "rmse", "r2", "medae", "p90_abs_error", "mape", "smape",
                 "wmape", "mean_error", "huber:delta=2", "pinball:q=0.9", "pearson_r",
                 "kendall_tau", "ccc", "mase", "mda", "d2_absolute_error"]


def _oracle_subset(chk, v, y, p, w):
    n = len(y)
    chk.value("count", v["count"], n, 0.0)
    ex = skm.mean_absolute_error(y, p, sample_weight=w)
    chk.value("mae", v["mae"], ex, REL * ex)
    ex = skm.mean_squared_error(y, p, sample_weight=w, squared=False)
    chk.value("rmse", v["rmse"], ex, REL * ex)
    if n < 2:
        chk.undefined("r2", v["r2"], "too_few_rows")
        chk.undefined("d2_absolute_error", v["d2_absolute_error"], "too_few_rows")
    else:
        r2 = skm.r2_score(y, p, sample_weight=w)
        chk.value("r2", v["r2"], r2, _r2_tol(y, p, w, r2))
        d2 = skm.d2_absolute_error_score(y, p, sample_weight=w)
        num = skm.mean_absolute_error(y, p, sample_weight=w)
        # d2 = 1 - num/den: relative to the scale num/den of the cancelling terms
        den = num / (1 - d2) if d2 != 1 else num
        chk.value("d2_absolute_error", v["d2_absolute_error"], d2,
                  max(REL * max(abs(d2), num / den if den else 0.0), TINY))
    ae = np.abs(p - y)
    ex = _aicdf(ae, w, 0.5)
    chk.value("medae", v["medae"], ex, REL * ex)
    ex = _aicdf(ae, w, 0.9)
    chk.value("p90_abs_error", v["p90_abs_error"], ex, REL * ex)
    ex = 100 * skm.mean_absolute_percentage_error(y, p, sample_weight=w)
    chk.value("mape", v["mape"], ex, REL * ex)
    _check_exact(chk, "smape", v["smape"], ox.smape(y, p, w))
    _check_exact(chk, "wmape", v["wmape"], ox.wmape(y, p, w))
    _check_exact(chk, "mean_error", v["mean_error"], ox.mean_error(y, p, w))
    _check_exact(chk, "huber:delta=2", v["huber:delta=2"], ox.huber(y, p, w, 2.0))
    ex = skm.mean_pinball_loss(y, p, alpha=0.9, sample_weight=w)
    chk.value("pinball:q=0.9", v["pinball:q=0.9"], ex, REL * ex)
    if w is None:  # rank/series metrics: unweighted runs only
        if n < 2:
            for key in ("pearson_r", "kendall_tau"):
                chk.undefined(key, v[key], {"too_few_rows", "constant_input"})
        else:
            r = float(scipy.stats.pearsonr(y, p)[0])
            # |r| <= 1 and the sum of |normalised products| is <= 1: 1e-12 absolute is
            # 1e-12 of the scale of the terms
            chk.value("pearson_r", v["pearson_r"], r, REL)
            t = float(scipy.stats.kendalltau(y, p)[0])
            chk.value("kendall_tau", v["kendall_tau"], t, REL * abs(t))
        _check_exact(chk, "ccc", v["ccc"], ox.ccc(y, p))
        _check_exact(chk, "mase", v["mase"], ox.mase(y, p, 1))
        _check_exact(chk, "mda", v["mda"], ox.mda(y, p))


def _slice_data(seed, n):
    rng = np.random.default_rng(seed)
    # uneven groups; "x,y" needs CSV quoting; "solo" has 1 row, "tri" 3 rows
    labels = np.array(["a", "b", "c d", "x,y"])
    g = labels[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])].astype(object)
    g[int(rng.integers(0, n))] = "solo"
    for j in rng.choice(n, 3, replace=False):
        if g[j] != "solo":
            g[j] = "tri"
    h = np.array(["u", "v"], dtype=object)[rng.integers(0, 2, n)]
    y = rng.lognormal(2, 0.8, n)
    p = y * rng.lognormal(0.05, 0.3, n)
    w = rng.integers(1, 5, n).astype(float)
    return g, h, y, p, w


def _csv_label(s):
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s) else s


def test_slices_by_match_oracle_on_subsets(vernier):
    chk = Checker(vernier)
    for seed, weighted in [(80_001, False), (80_002, True)]:
        n = 2500
        g, h, y, p, w = _slice_data(seed, n)
        wcol = w if weighted else None
        res = vernier.eval(y, p, w=wcol, metrics=",".join(SLICE_METRICS), flags=["--by", "g"],
                           extra_cols={"g": [_csv_label(s) for s in g]})
        doc = res.doc
        assert doc["by"] == ["g"]
        slices = doc["slices"]
        assert slices[0]["slice"] == "overall" and slices[0]["by"] == {}
        order = list(dict.fromkeys(g.tolist()))  # first appearance
        assert [s["by"].get("g") for s in slices[1:]] == order, \
            "slices are not in order of first appearance"
        chk.set_context(f"seed={seed} weighted={weighted} overall")
        _oracle_subset(chk, slices[0]["values"], y, p, wcol)
        assert slices[0]["rows"] == n
        for s in slices[1:]:
            lab = s["by"]["g"]
            m = g == lab
            chk.set_context(f"seed={seed} weighted={weighted} slice g={lab!r}")
            assert s["rows"] == int(m.sum()), (lab, s["rows"], int(m.sum()))
            _oracle_subset(chk, s["values"], y[m], p[m], None if wcol is None else w[m])
    # two by-columns: one slice per combination present, labels in "by"
    g, h, y, p, w = _slice_data(80_003, 1200)
    res = vernier.eval(y, p, metrics="count,mae,medae", flags=["--by", "g,h"],
                       extra_cols={"g": [_csv_label(s) for s in g], "h": list(h)})
    combos = list(dict.fromkeys(zip(g.tolist(), h.tolist())))
    got = [(s["by"]["g"], s["by"]["h"]) for s in res.doc["slices"][1:]]
    assert got == combos
    for s in res.doc["slices"][1:]:
        m = (g == s["by"]["g"]) & (h == s["by"]["h"])
        chk.set_context(f"by g,h slice {s['by']}")
        assert s["rows"] == int(m.sum())
        chk.value("count", s["values"]["count"], int(m.sum()), 0.0)
        ex = skm.mean_absolute_error(y[m], p[m])
        chk.value("mae", s["values"]["mae"], ex, REL * ex)
        ex = float(np.median(np.abs(p[m] - y[m])))
        chk.value("medae", s["values"]["medae"], ex, REL * ex)
    chk.assert_ok()


def test_min_count(vernier):
    """Slices with fewer than N rows (w > 0) are listed with their rows, every value
    null with reason min_count — except count, which METRICS.md says is always
    reported; larger slices are computed as usual."""
    chk = Checker(vernier)
    g, h, y, p, w = _slice_data(80_004, 800)
    w[(g == "tri")] = [0.0, 1.0, 1.0]  # "tri" has 2 rows with w > 0
    N = 3
    res = vernier.eval(y, p, w=w, metrics="count,mae,rmse,medae,r2,smape",
                       flags=["--by", "g", "--min-count", str(N)],
                       extra_cols={"g": [_csv_label(s) for s in g]})
    assert res.doc["options"]["min_count"] == N
    seen_small = 0
    for s in res.doc["slices"]:
        lab = s["by"].get("g")
        m = np.ones(len(y), bool) if lab is None else (g == lab)
        m &= w > 0
        rows = int(m.sum())
        assert s["rows"] == rows, (lab, s["rows"], rows)
        chk.set_context(f"min-count slice {lab!r} rows={rows}")
        if rows < N:
            seen_small += 1
            for key, ent in s["values"].items():
                if key == "count":
                    # METRICS.md: count and weight_sum are "always reported"
                    chk.value(key, ent, rows, 0.0)
                else:
                    chk.undefined(key, ent, "min_count")
        else:
            ex = skm.mean_absolute_error(y[m], p[m], sample_weight=w[m])
            chk.value("mae", s["values"]["mae"], ex, REL * ex)
            chk.value("count", s["values"]["count"], rows, 0.0)
    assert seen_small == 2, "expected the 'solo' and 'tri' slices under --min-count 3"
    chk.assert_ok()


DEFAULT_KEYS = ["count", "mean_error", "mae", "rmse", "mape", "wmape", "smape", "r2", "medae",
                "p95_abs_error", "p99_abs_error", "max_error", "huber", "pinball:q=0.1",
                "pinball:q=0.5", "pinball:q=0.9"]


def test_default_battery(vernier):
    chk = Checker(vernier)
    for seed, wmode in [(81_001, None), (81_002, "int"), (81_003, None), (81_004, "int")]:
        rng = np.random.default_rng(seed)
        n = int(rng.integers(50, 3000))
        y = rng.normal(10, 4, n)
        y[y == 0] = 1.0
        p = y + rng.standard_t(3, n)
        w = None if wmode is None else rng.integers(1, 6, n).astype(float)
        res = vernier.eval(y, p, w=w, metrics=None)
        assert res.keys == DEFAULT_KEYS
        chk.set_context(f"default battery seed={seed} n={n} weights={wmode}")
        v = res.values()
        ae = np.abs(p - y)
        chk.value("count", v["count"], n, 0.0)
        _check_exact(chk, "mean_error", v["mean_error"], ox.mean_error(y, p, w))
        ex = skm.mean_absolute_error(y, p, sample_weight=w)
        chk.value("mae", v["mae"], ex, REL * ex)
        ex = skm.mean_squared_error(y, p, sample_weight=w, squared=False)
        chk.value("rmse", v["rmse"], ex, REL * ex)
        ex = 100 * skm.mean_absolute_percentage_error(y, p, sample_weight=w)
        chk.value("mape", v["mape"], ex, REL * ex)
        _check_exact(chk, "wmape", v["wmape"], ox.wmape(y, p, w))
        _check_exact(chk, "smape", v["smape"], ox.smape(y, p, w))
        r2 = skm.r2_score(y, p, sample_weight=w)
        chk.value("r2", v["r2"], r2, _r2_tol(y, p, w, r2))
        for key, q in [("medae", 0.5), ("p95_abs_error", 0.95), ("p99_abs_error", 0.99)]:
            ex = _aicdf(ae, w, q)
            chk.value(key, v[key], ex, REL * ex)
        chk.value("max_error", v["max_error"], skm.max_error(y, p), 0.0)
        _check_exact(chk, "huber", v["huber"], ox.huber(y, p, w, 1.0))
        for q in (0.1, 0.5, 0.9):
            ex = skm.mean_pinball_loss(y, p, alpha=q, sample_weight=w)
            chk.value(f"pinball:q={q}", v[f"pinball:q={q}"], ex, REL * ex)
    chk.assert_ok()


def _missing_file(path, seed):
    """A CSV with empty cells, NaN and +-Inf spelled several ways in y, yhat and w (an
    extra leading column makes field index and character column differ)."""
    rng = np.random.default_rng(seed)
    n = 400
    y = rng.normal(5, 2, n)
    p = y + rng.normal(0, 1, n)
    w = rng.uniform(0.5, 2, n)
    cells = {"id": [f"r{i}" for i in range(n)], "y": list(map(repr, y.tolist())),
             "yhat": list(map(repr, p.tolist())), "w": list(map(repr, w.tolist()))}
    bad_tokens = ["", "NaN", "nan", "inf", "-inf", "Inf", "-Infinity"]
    bad_rows = sorted(rng.choice(np.arange(5, n), 40, replace=False).tolist())
    bad_cols = []
    for k, r in enumerate(bad_rows):
        col = ["y", "yhat", "w"][k % 3]
        cells[col][r] = bad_tokens[k % len(bad_tokens)]
        bad_cols.append(col)
    write_csv(path, cells)
    keep = np.ones(n, bool)
    keep[bad_rows] = False
    return y, p, w, keep, list(zip(bad_rows, bad_cols))


def test_missing_skip(vernier, tmp_path):
    chk = Checker(vernier)
    path = tmp_path / "missing.csv"
    y, p, w, keep, bad = _missing_file(path, 82_001)
    res = vernier.eval_file(path, metrics="count,mae,rmse,r2,smape,medae,mean_error",
                            weight="w", flags=["--missing", "skip"], keep=True)
    inp = res.doc["input"]
    assert inp["rows_read"] == len(y)
    assert inp["rows_missing"] == len(bad)
    chk.set_context("--missing skip")
    v = res.values()
    yk, pk, wk = y[keep], p[keep], w[keep]
    chk.value("count", v["count"], int(keep.sum()), 0.0)
    ex = skm.mean_absolute_error(yk, pk, sample_weight=wk)
    chk.value("mae", v["mae"], ex, REL * ex)
    ex = skm.mean_squared_error(yk, pk, sample_weight=wk, squared=False)
    chk.value("rmse", v["rmse"], ex, REL * ex)
    r2 = skm.r2_score(yk, pk, sample_weight=wk)
    chk.value("r2", v["r2"], r2, _r2_tol(yk, pk, wk, r2))
    _check_exact(chk, "smape", v["smape"], ox.smape(yk, pk, wk))
    _check_exact(chk, "mean_error", v["mean_error"], ox.mean_error(yk, pk, wk))
    # weighted median with non-integer weights: the averaged inverted CDF, by definition
    ae = np.abs(pk - yk)
    o = np.argsort(ae, kind="stable")
    c = np.cumsum(wk[o])  # the exact C_i is within ulps; no tie C_i == W/2 here
    i = int(np.searchsorted(c, 0.5 * c[-1]))
    chk.value("medae", v["medae"], float(ae[o][i]), 0.0)
    chk.assert_ok()


def test_missing_error_names_file_line_column(vernier, tmp_path):
    path = tmp_path / "missing.csv"
    y, p, w, keep, bad = _missing_file(path, 82_002)
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-w", "w", "--format", "json"])
    record("missing_error", undefined=True)
    assert r.returncode == 3, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"stderr is not one line: {r.stderr!r}"
    row, col = bad[0]  # the first bad cell (an empty y cell, k = 0)
    line_no = row + 2  # the header is line 1
    fields = path.read_text().splitlines()[line_no - 1].split(",")
    field_idx = {"y": 2, "yhat": 3, "w": 4}[col]  # 1-based, after the "id" column
    char_col = sum(len(f) + 1 for f in fields[:field_idx - 1]) + 1
    m = re.search(re.escape(str(path)) + r":(\d+):(\d+)", lines[0])
    assert m, f"no {path}:line:column in {lines[0]!r}"
    assert int(m.group(1)) == line_no, (m.group(0), line_no)
    # "column" may be the field number or the character position; both are accepted
    assert int(m.group(2)) in (field_idx, char_col), (m.group(0), field_idx, char_col)
    assert r.stdout == ""


def test_threads_determinism(vernier, tmp_path):
    """--threads 1 and --threads 4 (and 2, 3) give byte-identical JSON on 300 000 rows
    with slices."""
    rng = np.random.default_rng(83_001)
    n = 300_000
    y = 1e3 + rng.standard_t(3, n) * 50
    p = y + rng.normal(0.5, 20, n)
    w = rng.uniform(0.1, 3, n)
    w[rng.random(n) < 0.05] = 0.0
    g = np.array(["n", "s", "e", "w", "c"], dtype=object)[rng.integers(0, 5, n)]
    path = tmp_path / "big.csv"
    write_csv(path, {"y": y, "yhat": p, "w": w, "g": g})
    metrics = ("count,weight_sum,mean_error,mae,rmse,r2,explained_variance,medae,"
               "p99_abs_error,smape,wmape,huber:delta=20,pseudo_huber:delta=5,log_cosh,"
               "pinball:q=0.9,d2_pinball:q=0.9,pearson_r,spearman_rho,kendall_tau,ccc,"
               "mase,mda,nrmse:norm=std,poisson_deviance")
    outs = {}
    for t in (1, 4, 2, 3):
        r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-w", "w", "-m", metrics,
                         "--by", "g", "--format", "json", "--threads", str(t)])
        assert r.returncode == 0, r.stderr
        outs[t] = r.stdout
    record("threads_determinism")
    for t in (4, 2, 3):
        assert outs[t] == outs[1], f"--threads {t} output differs from --threads 1"
    doc = json.loads(outs[1])
    assert len(doc["slices"]) == 6
    assert doc["slices"][0]["rows"] == int((w > 0).sum())


def test_json_document(vernier):
    rng = np.random.default_rng(84_001)
    y = rng.lognormal(1, 0.5, 50)
    p = y * 1.1
    w = np.ones(50)
    w[:5] = 0.0
    specs = "mae,huber:delta=2,bias,p95_abs_error,mape,smape,wmape,mpe,pinball:q=0.9,nrmse:norm=range"
    res = vernier.eval(y, p, w=w, metrics=specs, flags=["--zero", "skip", "--r2-constant", "sklearn"])
    d = res.doc
    assert d["schema"] == "vernier.eval/1"
    assert d["vernier"] == "0.1.0"
    assert d["error_convention"] == "e = yhat - y (positive = over-prediction)"
    inp = d["input"]
    assert (inp["y"], inp["yhat"], inp["weight"]) == ("y", "yhat", "w")
    assert inp["rows_read"] == 50 and inp["rows_missing"] == 0 and inp["rows_zero_weight"] == 5
    assert d["options"] == {"zero_policy": "skip", "r2_constant": "sklearn", "min_count": 0,
                            "ci": None}
    assert d["by"] == []
    assert [m["key"] for m in d["metrics"]] == specs.split(",")
    meta = {m["key"]: m for m in d["metrics"]}
    assert meta["huber:delta=2"]["id"] == "huber" and meta["huber:delta=2"]["params"] == {"delta": 2}
    assert meta["pinball:q=0.9"]["params"] == {"q": 0.9}
    assert meta["bias"]["id"] in ("mean_error", "bias")
    assert meta["nrmse:norm=range"]["params"] == {"norm": "range"}
    for k in ("mape", "smape", "wmape", "mpe"):
        assert meta[k]["unit"] == "%", (k, meta[k]["unit"])
    for m in d["metrics"]:
        assert m["direction"] in ("lower", "higher", "none")
    s = d["slices"][0]
    assert s["slice"] == "overall" and s["by"] == {} and s["rows"] == 45
    for key, ent in s["values"].items():
        assert set(ent) == {"value", "reason", "message"}
        assert ent["reason"] is None and ent["message"] is None
    # a unitless p: mape of p = 1.1 y is exactly 10 %
    chk = Checker(vernier)
    chk.value("mape", s["values"]["mape"], 100 * skm.mean_absolute_percentage_error(
        y[5:], p[5:]), REL * 10)
    chk.assert_ok()


def test_usage_and_data_errors(vernier, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("y,yhat,w\n1,2,1\n2,2,-1\n")
    ok = tmp_path / "ok.csv"
    ok.write_text("y,yhat\n1,2\n2,2\n")
    cases = [
        (["eval", ok, "-y", "y", "-p", "yhat", "-m", "no_such_metric"], 2),
        (["eval", ok, "-y", "y", "-p", "yhat", "-m", "huber:delta=-1"], 2),
        (["eval", ok, "-y", "y", "-p", "yhat", "-m", "pinball:q=1.5"], 2),
        (["eval", ok, "-y", "y", "-p", "yhat", "-m", "abs_error_quantile"], 2),
        (["eval", ok, "-y", "y", "-p", "yhat", "--zero", "sometimes"], 2),
        (["eval", ok, "-y", "y", "-p", "nope"], 3),
        (["eval", path, "-y", "y", "-p", "yhat", "-w", "w"], 3),  # negative weight
        (["eval", tmp_path / "absent.csv", "-y", "y", "-p", "yhat"], 4),
    ]
    for args, code in cases:
        r = vernier.run(args)
        record("exit_codes")
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert r.stderr.strip() and len(r.stderr.strip().splitlines()) <= 2, r.stderr
