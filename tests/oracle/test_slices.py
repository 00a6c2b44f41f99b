"""
Oracle: `vernier slices` (issue 13, worst-slice discovery).

Every number is recomputed here with numpy / scipy from the data the test wrote, never
from vernier's own output, following docs/slices.md:

1. Statistics. For every candidate (`--all --format json`): its rows (membership
   recomputed from the slice's conditions, and the quantile bin edges recomputed from the
   column by the documented rule), the metric on the slice and on the rest, the difference
   (|slice| - |rest| for mean_error), the normal interval and two-sided p-value with
   se^2 = sum over both sides of n/(n-1) * sum w^2 (t - m)^2 / W^2 (delta method for rmse),
   the row and loss shares; at depth 2 the comparisons with each parent's other rows and
   p = max of the three. Holm and Benjamini-Hochberg are implemented here directly and
   must give the same adjusted p-values; statuses and the ranking follow the stated rules.
2. Per-slice values equal `vernier eval --by` on the same (categorical) slices, exactly.
3. Planted slices: one bad category (depth 1) and one bad pair of categories (depth 2)
   must rank first in >= 95 % of the runs; on pure noise the share of runs with any
   finding must not exceed the nominal 5 % beyond binomial slack (P < 0.001 under 5 %).
   SLICES_RUNS (default 200) sets the number of runs.
4. Edge cases: a constant column, too many distinct values (capped, with the message),
   heavy ties at bin edges, mape undefined in a slice (reported, not a crash).
5. Usage errors exit 2, data errors exit 3 with file:line:column.
"""
import json
import math
import os

import numpy as np
import pytest
import scipy.stats

from conftest import TALLIES, write_csv

ALPHA = 0.05
Z = scipy.stats.norm.ppf(1 - ALPHA / 2)


def slices(vernier, path, *args, ok=0):
    p = vernier.run(["slices", str(path), *map(str, args), "--format", "json"])
    assert p.returncode == ok, f"exit {p.returncode}: {p.stderr}"
    return json.loads(p.stdout)


# ---------------------------------------------------------------------------------------
# the independent computation
# ---------------------------------------------------------------------------------------
def terms(metric, y, p, zero="nan"):
    """(t, use, bad): the per-row term of docs/metrics.md, whether it counts, and whether
    the row makes the metric undefined."""
    e = p - y
    use = np.ones(len(y), bool)
    bad = np.zeros(len(y), bool)
    name, _, par = metric.partition(":")
    if name == "mae":
        t = np.abs(e)
    elif name in ("mse", "rmse"):
        t = e * e
    elif name == "mean_error":
        t = e
    elif name == "mape":
        zeros = y == 0
        t = 100 * np.abs(e) / np.where(zeros, 1.0, np.abs(y))
        use = ~zeros
        bad = zeros if zero == "nan" else bad
    elif name == "pinball":
        q = float(par.split("=")[1])
        r = y - p
        t = np.where(r >= 0, q * r, (q - 1) * r)
    elif name == "huber":
        d = float(par.split("=")[1]) if par else 1.0
        t = np.where(np.abs(e) <= d, 0.5 * e * e, d * (np.abs(e) - 0.5 * d))
    else:
        raise ValueError(metric)
    return t, use, bad


def estimate(metric, t, use, bad, w, rows):
    """(value, se) on the rows selected by the mask rows (NaN when undefined)."""
    if rows.sum() == 0 or (bad & rows).any():
        return math.nan, math.nan
    sel = rows & use
    if sel.sum() == 0:
        return math.nan, math.nan
    ww, tt = w[sel], t[sel]
    W = ww.sum()
    m = (ww * tt).sum() / W
    n = sel.sum()
    se = math.sqrt(n / (n - 1) * (ww ** 2 * (tt - m) ** 2).sum()) / W if n >= 2 else math.nan
    if metric == "rmse":
        v = math.sqrt(m)
        return v, (se / (2 * v) if se > 0 else 0.0)
    return m, se


def contrast(metric, t, use, bad, w, a, b):
    va, sa = estimate(metric, t, use, bad, w, a)
    vb, sb = estimate(metric, t, use, bad, w, b)
    h = abs if metric == "mean_error" else (lambda v: v)
    d = h(va) - h(vb)
    se = math.hypot(sa, sb)
    p = 2 * scipy.stats.norm.sf(abs(d) / se) if se > 0 else (1.0 if d == 0 else 0.0)
    return va, vb, d, se, p


def holm(p):
    p = np.asarray(p, float)
    m = len(p)
    o = np.argsort(p, kind="stable")
    adj = np.empty(m)
    run = 0.0
    for j, i in enumerate(o):
        run = max(run, (m - j) * p[i])
        adj[i] = min(1.0, run)
    return adj


def bh(p):
    p = np.asarray(p, float)
    m = len(p)
    o = np.argsort(p, kind="stable")
    adj = np.empty(m)
    run = 1.0
    for j in range(m - 1, -1, -1):
        run = min(run, m / (j + 1) * p[o[j]])
        adj[o[j]] = run
    return adj


def expected_cuts(x, bins):
    """The documented bin rule: cut k = the smallest value with at least k*n/B rows at or
    below it, k = 1..B, equal cuts merged; if that leaves only the maximum in a column
    that is not constant, the largest smaller value is added."""
    s = np.sort(x)
    n = len(s)
    cuts = sorted(set(s[-(-k * n // bins) - 1] for k in range(1, bins + 1)))
    if len(cuts) == 1 and s[0] < s[-1]:
        cuts = [s[s < s[-1]][-1], s[-1]]
    return cuts


def member(cond, cols):
    x = cols[cond["column"]]
    if "value" in cond:
        return np.asarray(x) == cond["value"]
    lo = -math.inf if cond["lo"] is None else cond["lo"]
    hi = math.inf if cond["hi"] is None else cond["hi"]
    x = np.asarray(x, float)
    return (x > lo) & (x <= hi)


def close(got, exp, tol, what):
    if exp is None or (isinstance(exp, float) and math.isnan(exp)):
        assert got is None, f"{what}: expected null, got {got!r}"
        return
    assert got is not None, f"{what}: expected {exp!r}, got null"
    assert abs(got - exp) <= tol * max(1.0, abs(exp)), f"{what}: got {got!r}, expected {exp!r}"


def check_doc(doc, cols, y, p, w, metric, zero="nan", adjust="holm", min_count=30, top=10):
    """Recomputes every listed candidate of a `--all` document."""
    t, use, bad = terms(metric, y, p, zero)
    wv = np.ones(len(y)) if w is None else w
    n = len(y)
    minc = max(min_count, 2)
    allrows = np.ones(n, bool)
    L = (wv * np.abs(np.where(use, t, 0)))[use].sum()
    by_label = {}
    for s in doc["slices"]:
        what = f"{metric} {s['label']}"
        rows = np.ones(n, bool)
        for c in s["conditions"]:
            rows &= member(c, cols)
        by_label[s["label"]] = (s, rows)
        assert s["rows"] == rows.sum(), what
        close(s["row_share"], rows.sum() / n, 1e-15, what + " row_share")
        close(s["loss_share"], (wv * np.abs(t))[rows & use].sum() / L, 1e-12, what + " loss_share")
        va, vb, d, se, pv = contrast(metric, t, use, bad, wv, rows, allrows & ~rows)
        close(s["value"], va, 1e-12, what + " value")
        close(s["rest"], vb, 1e-12, what + " rest")
        tested = rows.sum() >= minc and (~rows).sum() >= minc and math.isfinite(d)
        parents = []
        if tested and s["depth"] == 2:
            for c in s["conditions"]:
                prow = member(c, cols)
                other = prow & ~rows
                if other.sum() < minc:
                    tested = False
                    break
                parents.append(contrast(metric, t, use, bad, wv, rows, other))
            tested = tested and all(math.isfinite(x[2]) for x in parents)
        if not tested:
            assert s["status"] in ("too_few_rows", "undefined"), what
            assert s["p"] is None and s["note"], what
            continue
        assert s["status"] in ("worse", "better", "not_significant"), what
        close(s["diff"], d, 1e-10, what + " diff")
        close(s["lo"], d - Z * se, 1e-9, what + " lo")
        close(s["hi"], d + Z * se, 1e-9, what + " hi")
        pexp = max([pv] + [x[4] for x in parents])
        close(s["p"], pexp, 1e-7, what + " p")
        for k, x in enumerate(parents):
            close(s["parents"][k]["diff"], x[2], 1e-10, what + " parent diff")
            close(s["parents"][k]["p"], x[4], 1e-7, what + " parent p")
    tested = [s for s in doc["slices"] if s["p"] is not None]
    assert doc["search"]["tested"] == len(tested)
    if not tested:
        return by_label
    padj = (bh if adjust == "bh" else holm)([s["p"] for s in tested])
    worse = []
    for s, a in zip(tested, padj):
        close(s["p_adj"], a, 1e-12, s["label"] + " p_adj")
        diffs = [s["diff"]] + [q["diff"] for q in s["parents"]]
        sig = s["p_adj"] < ALPHA
        exp = ("worse" if sig and all(x > 0 for x in diffs) else
               "better" if sig and all(x < 0 for x in diffs) else "not_significant")
        assert s["status"] == exp, s["label"]
        if exp == "worse":
            worse.append(s)
    worse.sort(key=lambda s: (-s["diff"], s["p_adj"], s["label"]))
    k = len(worse) if top == 0 else min(top, len(worse))
    assert doc["search"]["findings"] == k
    assert [s["label"] for s in doc["slices"][:k]] == [s["label"] for s in worse[:k]]
    assert [s["rank"] for s in doc["slices"][:k]] == list(range(1, k + 1))
    return by_label


def gen_data(seed, n=1500, weights=False, plant=None, zeros=False):
    rng = np.random.default_rng(seed)
    g = rng.choice(["g0", "g1", "g2", "g3", "g4"], n, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    h = rng.choice(["h0", "h1", "h2", "h3"], n)
    x = np.round(rng.gamma(2.0, 3.0, n), 1)      # ties at the bin edges
    z = rng.normal(0, 1, n)
    y = 20 + 2 * x + rng.normal(0, 3, n)
    e = rng.normal(0.2, 1.0, n)
    if plant == 1:
        e[g == "g3"] *= 1.5
    elif plant == 2:
        e[(g == "g1") & (h == "h2")] *= 2.0
    if zeros:
        y[(g == "g4") & (rng.random(n) < 0.3)] = 0.0
    p = y + e
    w = rng.uniform(0.2, 3.0, n) if weights else None
    cols = {"g": g, "h": h, "x": x, "z": z}
    return cols, y, p, w


def write(vernier, cols, y, p, w, stem="slices"):
    data = dict(cols)
    data["y"] = y
    data["p"] = p
    if w is not None:
        data["w"] = w
    return write_csv(vernier.path(stem), data)


# ---------------------------------------------------------------------------------------
# 1. statistics against numpy / scipy
# ---------------------------------------------------------------------------------------
CASES = [
    ("mae", False, "holm", 1, "nan"),
    ("mae", True, "bh", 2, "nan"),
    ("rmse", True, "holm", 2, "nan"),
    ("mean_error", False, "holm", 1, "nan"),
    ("mape", True, "bh", 1, "skip"),
    ("pinball:q=0.9", False, "holm", 2, "nan"),
    ("huber:delta=2", True, "holm", 1, "nan"),
]


@pytest.mark.parametrize("metric,weights,adjust,depth,zero", CASES)
def test_statistics(vernier, metric, weights, adjust, depth, zero):
    cols, y, p, w = gen_data(11, weights=weights, plant=2 if depth == 2 else 1,
                             zeros=metric == "mape")
    path = write(vernier, cols, y, p, w)
    args = ["-y", "y", "-p", "p", "-m", metric, "--adjust", adjust, "--depth", depth,
            "--zero", zero, "--all"]
    if weights:
        args += ["-w", "w"]
    doc = slices(vernier, path, *args)
    assert doc["schema"] == "vernier.slices/1"
    # the quantile bins, recomputed from the column
    for name in ("x", "z"):
        cuts = expected_cuts(np.asarray(cols[name]), 5)
        bins = sorted({(c["lo"], c["hi"]) for s in doc["slices"] if s["depth"] == 1
                       for c in s["conditions"] if c["column"] == name},
                      key=lambda b: -math.inf if b[0] is None else b[0])
        exp = [(None if k == 0 else cuts[k - 1], None if k == len(cuts) - 1 else cuts[k])
               for k in range(len(cuts))]
        assert bins == exp, name
        col = [c for c in doc["columns"] if c["name"] == name][0]
        assert col["kind"] == "numeric" and col["candidates"] == len(cuts)
    t, use, bad = terms(metric, y, p, zero)
    wv = np.ones(len(y)) if w is None else w
    close(doc["metric"]["value"], estimate(metric, t, use, bad, wv, np.ones(len(y), bool))[0],
          1e-12, "overall")
    check_doc(doc, cols, y, p, w, metric, zero, adjust)
    TALLIES["slices: candidates recomputed"] += len(doc["slices"])


def test_adjustments_direct():
    """The oracle's Holm and BH against hand values (R's p.adjust)."""
    p = [0.01, 0.04, 0.03, 0.005, 0.5]
    assert np.allclose(holm(p), [0.04, 0.09, 0.09, 0.025, 0.5])
    assert np.allclose(bh(p), [0.025, 0.05, 0.05, 0.025, 0.5])


# ---------------------------------------------------------------------------------------
# 2. equal to `vernier eval --by`
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric,weights,zero", [
    ("mae", False, "nan"), ("mae", True, "nan"), ("rmse", True, "nan"),
    ("mean_error", True, "nan"), ("mape", False, "skip"), ("mape", True, "nan"),
    ("pinball:q=0.9", True, "nan"), ("huber:delta=2", False, "nan"), ("smape", True, "nan"),
    ("log_cosh", False, "nan"), ("mpe", True, "eps"), ("msle", False, "nan"),
])
def test_equals_eval_by(vernier, metric, weights, zero):
    cols, y, p, w = gen_data(5, n=9000, weights=weights, zeros=metric in ("mape", "mpe"))
    path = write(vernier, cols, y, p, w)
    wargs = ["-w", "w"] if weights else []
    doc = slices(vernier, path, "-y", "y", "-p", "p", "-m", metric, "--zero", zero, "--all",
                 "--min-count", 0, *wargs)
    for col in ("g", "h"):
        ev = vernier.run(["eval", str(path), "-y", "y", "-p", "p", "-m", metric, "--by", col,
                          "--zero", zero, "--format", "json", *wargs])
        assert ev.returncode == 0, ev.stderr
        ev = json.loads(ev.stdout)
        n = 0
        for s in ev["slices"][1:]:
            label = f"{col}={s['by'][col]}"
            mine = [c for c in doc["slices"] if c["label"] == label][0]
            exp = s["values"][ev["metrics"][0]["key"]]["value"]
            assert mine["value"] == exp, f"{metric} {label}: {mine['value']!r} != eval {exp!r}"
            assert mine["rows"] == s["rows"]
            n += 1
        assert n == len(set(cols[col]))
        TALLIES["slices: values equal to eval --by"] += n
    assert doc["metric"]["value"] == ev["slices"][0]["values"][ev["metrics"][0]["key"]]["value"]


# ---------------------------------------------------------------------------------------
# 3. planted slices and pure noise
# ---------------------------------------------------------------------------------------
RUNS = int(os.environ.get("SLICES_RUNS", "200"))


def noise_bound(runs, rate=ALPHA):
    """The most runs with a finding that 5 % allows: P(X > bound) < 0.001, X ~ Bin(runs, 5 %)."""
    return int(scipy.stats.binom.ppf(0.999, runs, rate))


@pytest.mark.parametrize("depth", [1, 2])
def test_planted_slice_ranks_first(vernier, depth):
    target = "g=g3" if depth == 1 else "g=g1 & h=h2"
    first = 0
    for r in range(RUNS):
        cols, y, p, _ = gen_data(1000 * depth + r, plant=depth)
        path = write(vernier, cols, y, p, None)
        doc = slices(vernier, path, "-y", "y", "-p", "p", "--depth", depth)
        os.unlink(path)
        first += bool(doc["slices"]) and doc["slices"][0]["label"] == target
    TALLIES[f"slices: planted depth-{depth} slice ranked first in runs (of {RUNS})"] = first
    assert first >= math.ceil(0.95 * RUNS), f"{first} of {RUNS}"


@pytest.mark.parametrize("depth,adjust", [(1, "holm"), (2, "holm"), (2, "bh")])
def test_noise_false_discoveries(vernier, depth, adjust):
    found = 0
    for r in range(RUNS):
        cols, y, p, _ = gen_data(5000 + 100 * depth + r)
        path = write(vernier, cols, y, p, None)
        doc = slices(vernier, path, "-y", "y", "-p", "p", "--depth", depth, "--adjust", adjust)
        os.unlink(path)
        found += doc["search"]["worse"] > 0
    TALLIES[f"slices: pure noise, runs with a finding, depth {depth} {adjust} (of {RUNS})"] = found
    assert found <= noise_bound(RUNS), f"{found} of {RUNS} runs found a slice"


# ---------------------------------------------------------------------------------------
# 4. edge cases
# ---------------------------------------------------------------------------------------
def test_constant_and_capped_columns(vernier):
    n = 100_000
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, n)
    cols = {"const": ["k"] * n, "same": np.full(n, 7.0), "id": [f"u{i}" for i in range(n)],
            "num_id": np.arange(n, dtype=float), "g": rng.choice(["a", "b"], n)}
    path = write(vernier, cols, y, y + rng.normal(0, 1, n), None)
    doc = slices(vernier, path, "-y", "y", "-p", "p", "--all")
    info = {c["name"]: c for c in doc["columns"]}
    assert info["const"]["candidates"] == 0 and "one value" in info["const"]["note"]
    assert info["same"]["candidates"] == 0 and "one value" in info["same"]["note"]
    assert info["id"]["kind"] == "skipped" and "more than 1000 distinct values" in info["id"]["note"]
    assert info["num_id"]["kind"] == "numeric" and info["num_id"]["candidates"] == 5
    assert any('"id": more than 1000 distinct values' in m for m in doc["notes"])
    assert {s["conditions"][0]["column"] for s in doc["slices"]} == {"num_id", "g"}
    p = vernier.run(["slices", str(path), "-y", "y", "-p", "p", "--max-values", "50"])
    assert p.returncode == 0 and 'column "id": more than 50 distinct values' in p.stdout


def test_heavy_ties_at_bin_edges(vernier):
    rng = np.random.default_rng(8)
    n = 1000
    x = np.concatenate([np.zeros(600), np.ones(200), rng.uniform(1, 5, 200).round(1)])
    top = np.concatenate([np.arange(60.0), np.full(940, 60.0)])   # 94 % at the maximum
    cols = {"x": x, "top": top}
    y = rng.normal(0, 1, n)
    p = y + rng.normal(0, 1, n)
    path = write(vernier, cols, y, p, None)
    doc = slices(vernier, path, "-y", "y", "-p", "p", "--all", "--bins", 5)
    assert expected_cuts(x, 5)[:2] == [0.0, 1.0]
    assert expected_cuts(top, 5) == [59.0, 60.0]
    counts = {c["name"]: c["candidates"] for c in doc["columns"]}
    assert counts == {"x": len(expected_cuts(x, 5)), "top": 2}
    labels = {s["label"]: s["rows"] for s in doc["slices"]}
    assert labels["x<=0"] == 600 and labels["0<x<=1"] == 200
    assert labels["top<=59"] == 60 and labels["top>59"] == 940
    check_doc(doc, cols, y, p, None, "mae")
    out = vernier.run(["slices", str(path), "-y", "y", "-p", "p"]).stdout
    assert "x (3 quantile bins)" in out


def test_undefined_metric_in_a_slice(vernier):
    cols, y, p, _ = gen_data(21, zeros=True)
    path = write(vernier, cols, y, p, None)
    doc = slices(vernier, path, "-y", "y", "-p", "p", "-m", "mape", "--all")
    st = {s["label"]: s for s in doc["slices"]}
    assert st["g=g4"]["status"] == "undefined" and st["g=g4"]["value"] is None
    assert "on the slice: mape is undefined" in st["g=g4"]["note"]
    assert st["g=g0"]["status"] == "undefined" and "on the rest" in st["g=g0"]["note"]
    assert st["g=g0"]["value"] is not None
    assert doc["metric"]["value"] is None
    assert any("mape is undefined" in m for m in doc["notes"])
    out = vernier.run(["slices", str(path), "-y", "y", "-p", "p", "-m", "mape"])
    assert out.returncode == 0 and "candidate slices were not tested" in out.stdout
    doc = slices(vernier, path, "-y", "y", "-p", "p", "-m", "mape", "--zero", "skip", "--all")
    assert doc["search"]["tested"] > 0
    check_doc(doc, cols, y, p, None, "mape", zero="skip")


def test_formats_agree(vernier):
    cols, y, p, _ = gen_data(2, plant=1)
    path = write(vernier, cols, y, p, None)
    doc = slices(vernier, path, "-y", "y", "-p", "p")
    csv = vernier.run(["slices", str(path), "-y", "y", "-p", "p", "-f", "csv"]).stdout.splitlines()
    md = vernier.run(["slices", str(path), "-y", "y", "-p", "p", "-f", "md"]).stdout
    table = vernier.run(["slices", str(path), "-y", "y", "-p", "p"]).stdout
    assert len(csv) == 1 + len(doc["slices"]) and csv[1].startswith("1,g=g3,1,g,g3,")
    assert "| 1 | g=g3" in md.replace("   ", " ").replace("  ", " ")
    assert doc["slices"][0]["label"] == "g=g3" and "g=g3" in table


def test_threads_give_the_same_output(vernier):
    """--threads changes only which thread does what (docs/slices.md, "How it runs"): the
    output is the same bytes for 1, 2 and 3 threads, on a file of several reading
    batches (8192 rows) with text columns (one not ASCII, one with a cell that is not
    UTF-8 in the second batch), numeric, mixed and identifier columns, weights, and rows
    where mape is undefined."""
    rng = np.random.default_rng(11)
    n = 20000
    y = np.round(rng.gamma(2.0, 5.0, n), 3)
    y[rng.random(n) < 0.01] = 0.0
    p = np.round(y + rng.normal(0.3, 2.0, n), 3)
    w = np.round(rng.uniform(0.2, 3.0, n), 2)
    g = rng.choice(["north", "south", "east", "west"], n)
    u = rng.choice(["caf\u00e9", "na\u00efve", "plain", "\u65e5\u672c"], n)
    x = np.round(rng.normal(0.0, 1.0, n), 2)
    lines = [b"y,p,w,g,u,bad,mix,x,id"]
    yl, pl, wl, xl = y.tolist(), p.tolist(), w.tolist(), x.tolist()
    for i in range(n):
        bad = b"\xffbad" if i == 12000 else b"ok%d" % (i % 3)
        mix = b"%.2f" % xl[i] if i < 15000 else b"late%d" % (i % 4)
        lines.append(b"%r,%r,%r,%s,%s,%s,%s,%.2f,i%d" % (
            yl[i], pl[i], wl[i], g[i].encode(), u[i].encode(), bad, mix, xl[i], i))
    path = vernier.path("threads")
    path.write_bytes(b"\n".join(lines) + b"\n")
    for extra in (["-m", "mae"], ["-m", "mape", "-w", "w"], ["-m", "rmse", "--bins", "7"]):
        outs = []
        for threads in (1, 2, 3):
            r = vernier.run(["slices", path, "-y", "y", "-p", "p", "--depth", "2", "--all",
                             "--min-count", "5", "--format", "json", "--threads", threads,
                             *extra])
            assert r.returncode == 0, r.stderr
            outs.append(r.stdout)
        assert outs[0] == outs[1] == outs[2], extra
    doc = json.loads(outs[0])
    assert any(":12002:" in c["note"] and "not valid UTF-8" in c["note"]
               for c in doc["columns"] if c["name"] == "bad")


# ---------------------------------------------------------------------------------------
# 5. exit codes
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,code,msg", [
    (["-p", "p"], 2, "name the actual column"),
    (["-y", "y"], 2, "name the prediction column"),
    (["-y", "y", "-p", "p", "-m", "r2"], 2, "supported: mean_error, mae"),
    (["-y", "y", "-p", "p", "-m", "mae,rmse"], 2, "one metric"),
    (["-y", "y", "-p", "p", "-m", "nope"], 2, "nope"),
    (["-y", "y", "-p", "p", "--depth", "3"], 2, "--depth takes 1 or 2"),
    (["-y", "y", "-p", "p", "--bins", "1"], 2, "--bins needs 2 to 100"),
    (["-y", "y", "-p", "p", "--adjust", "bonferroni"], 2, "--adjust takes holm or bh"),
    (["-y", "y", "-p", "p", "--level", "95"], 2, "--level"),
    (["-y", "y", "-p", "p", "--by", "g"], 2, "unknown option"),
    (["-y", "y", "-p", "nope"], 3, "nope"),
    (["-y", "y", "-p", "p", "--columns", "g,nope"], 3, "nope"),
    (["-y", "g", "-p", "p"], 3, ":2:1: y column \"g\""),
    (["-y", "y", "-p", "p", "-w", "g"], 3, ":2:1: weight column \"g\""),
])
def test_exit_codes(vernier, args, code, msg):
    path = write_csv(vernier.path("err"), {"g": ["a", "b"], "y": [1.0, 2.0], "p": [1.5, 2.5]})
    p = vernier.run(["slices", str(path), *args])
    assert p.returncode == code, p.stderr
    assert msg in p.stderr and p.stderr.startswith("vernier: error: ")


def test_negative_weight_and_empty_file(vernier):
    path = write_csv(vernier.path("err"), {"g": ["a", "b"], "y": [1.0, 2.0], "p": [1.5, 2.5],
                                           "w": [1.0, -1.0]})
    p = vernier.run(["slices", str(path), "-y", "y", "-p", "p", "-w", "w"])
    assert p.returncode == 3 and ":3:11: weight column \"w\": negative weight" in p.stderr
    empty = vernier.path("empty")
    empty.write_text("g,y,p\n")
    p = vernier.run(["slices", str(empty), "-y", "y", "-p", "p"])
    assert p.returncode == 3 and "no data rows" in p.stderr
    p = vernier.run(["slices", str(vernier.path("missing")), "-y", "y", "-p", "p"])
    assert p.returncode == 4


def test_eval_columns_adds_the_findings_to_notes(vernier, tmp_path):
    """`vernier eval --columns` runs the same search (first directional metric, top 3)
    and puts each finding in the result's notes, with the search's own numbers; the
    findings themselves are checked against numpy above."""
    import json as _json
    p = vernier.run(["eval", "examples/demand.csv", "-y", "demand", "-p", "forecast",
                     "--columns", "store", "--format", "json"])
    assert p.returncode == 0, p.stderr
    notes = [n for n in _json.loads(p.stdout)["notes"] if n["code"] == "worst_slice"]
    s = vernier.run(["slices", "examples/demand.csv", "-y", "demand", "-p", "forecast",
                     "--columns", "store", "-m", "mae", "--top", "3", "--format", "json"])
    assert s.returncode == 0, s.stderr
    doc = _json.loads(s.stdout)
    found = doc["findings"] if "findings" in doc else [c for c in doc["slices"] if c.get("rank")]
    assert len(notes) == len(found) >= 1
    for n, f in zip(notes, found):
        assert f["label"] in n["message"] and f"{f['value']:.4g}" in n["message"]
        assert f"{f['rest']:.4g}" in n["message"] and n["slice"] == "overall"
    bad = vernier.run(["eval", "-", "-y", "y", "-p", "p", "--columns", "g"])
    assert bad.returncode == 2 and "not standard input" in bad.stderr
