"""
Oracle: custom metrics written as expressions (docs/expressions.md) against numpy.

* Randomized datasets (numpy default_rng, fixed seeds; n log-uniform in 1..4000, with
  slices, weights off / uniform with zeros): every function and aggregation of the
  language evaluated by vernier (`eval --by -f json`) and by numpy on the same binary64
  inputs. numpy sums pairwise, vernier with compensation: relative 1e-12 of the scale of
  the summed terms; quantiles are compared exactly (vernier's type 7 is numpy's
  arithmetic, operation by operation).
* Restatements of built-ins through the CLI: bit-identical values.
* Intervals, comparisons, gates and slices on custom metrics: their values against
  numpy, their intervals against the built-in they restate.
* Malformed expressions: exit code 3 and the position; bad names and options: exit 2.
* The guide: every `$ vernier ...` block of docs/expressions.md is run and its output
  must be the one printed there, and every custom metric it defines is recomputed with
  numpy from the example CSV files.
"""
import csv
import os
import json
import re
import shlex
import subprocess

import numpy as np
import pytest

from conftest import REPO, TALLIES, record, write_csv

REL = 1e-12


def close(got, want, scale=None, rel=REL):
    scale = abs(want) if scale is None else scale
    return abs(got - want) <= rel * max(scale, 1e-300)


# ---------------------------------------------------------------------------------------
# randomized data against numpy
# ---------------------------------------------------------------------------------------
def wavg(x, w):
    return float(np.sum(w * x) / np.sum(w))


# name -> (expression, numpy function of (y, p, w, price) -> (value, scale of the terms))
FORMULAS = {
    "cost": ("mean(if(y > yhat, 3 * (y - yhat), yhat - y))",
             lambda y, p, w, c: _mean(np.where(y > p, 3 * (y - p), p - y), w)),
    "rev": ("sum(abs(e) * price) / sum(y * price)",
            lambda y, p, w, c: _ratio(np.abs(p - y) * c, y * c, w)),
    "wm": ("wmean(abs(e), price)",
           lambda y, p, w, c: _ratio(np.abs(p - y) * c, c, w)),
    "fn": ("mean(sqrt(abs(e)) + log(1 + abs(e)) + exp(-abs(e)) + clip(e, -1, 2) + min(e, 0)"
           " + max(y, yhat) / 100 + pow(abs(e), 1.5) - abs(e)^2 / (1 + e^2))",
           lambda y, p, w, c: _mean(_fn(y, p), w)),
    "lg": ("mean((e > 0 and y > 10) or not (e < -1))",
           lambda y, p, w, c: _mean(((((p - y) > 0) & (y > 10)) | ~((p - y) < -1)) * 1.0, w)),
    "sq": ("sqrt(mean(e*e)) / (1 + sum(1))",
           lambda y, p, w, c: (np.sqrt(_mean((p - y) ** 2, w)[0]) / (1 + np.sum(w)),
                               np.sqrt(_mean((p - y) ** 2, w)[0]) / (1 + np.sum(w)))),
}


def _fn(y, p):
    e = p - y
    a = np.abs(e)
    return (np.sqrt(a) + np.log(1 + a) + np.exp(-a) + np.clip(e, -1, 2) + np.minimum(e, 0)
            + np.maximum(y, p) / 100 + a ** 1.5 - a * a / (1 + e * e))


def _mean(x, w):
    x = np.asarray(x, dtype=float)
    return float(np.sum(w * x) / np.sum(w)), float(np.sum(w * np.abs(x)) / np.sum(w))


def _ratio(a, b, w):
    num, den = float(np.sum(w * a)), float(np.sum(w * b))
    return num / den, abs(num / den) + float(np.sum(w * np.abs(a))) / abs(den)


def gen(rng, n):
    y = rng.gamma(2.0, 10.0, n)
    p = y + rng.standard_t(3, n) * rng.uniform(0.5, 5)
    price = np.round(np.exp(rng.uniform(0, 6, n)), 2)
    g = rng.choice(["a", "b", "c"], n)
    return y, p, price, g


@pytest.mark.parametrize("weighted", [False, True])
def test_functions_vs_numpy(vernier, weighted):
    metrics = ",".join(f"{k}={v[0]}" for k, v in FORMULAS.items())
    metrics += ",q9=quantile(abs(e), 0.9),q0=quantile(y - 2 * yhat, 0),qm=quantile(e, 0.5)"
    compared = 0
    for seed in range(40):
        rng = np.random.default_rng(7000 + seed + 100 * weighted)
        n = [1, 2, 3][seed] if seed < 3 else int(np.exp(rng.uniform(0, np.log(4000))))
        y, p, price, g = gen(rng, n)
        w = np.where(rng.uniform(size=n) < 0.1, 0.0, rng.uniform(0.2, 3, n)) if weighted else None
        if weighted and not np.any(w > 0):
            w[0] = 1.0
        res = vernier.eval(y, p, w=w, metrics=metrics, flags=["--by", "g"],
                           extra_cols={"price": price, "g": list(g)})
        ww = w if weighted else np.ones(n)
        for s in res.doc["slices"]:
            sel = np.ones(n, bool) if not s["by"] else (g == s["by"]["g"])
            sel &= ww > 0
            vals = s["values"]
            if not np.any(sel):
                continue
            ys, ps, ws, cs = y[sel], p[sel], ww[sel], price[sel]
            for name, (_, f) in FORMULAS.items():
                want, scale = f(ys, ps, ws, cs)
                got = vals[name]["value"]
                assert got is not None, (name, vals[name], res.cmd)
                assert close(got, want, scale), (name, got, want, res.cmd)
                record("expression:" + name)
                compared += 1
            if not weighted:  # numpy's linear quantile, bit for bit
                for name, x, q in (("q9", np.abs(ps - ys), 0.9), ("q0", ys - 2 * ps, 0.0),
                                   ("qm", ps - ys, 0.5)):
                    want = float(np.median(x)) if q == 0.5 else float(np.percentile(x, 100 * q))
                    assert vals[name]["value"] == want, (name, vals[name], want, res.cmd)
                    record("expression:quantile")
    TALLIES["expressions vs numpy: values compared"] += compared


def test_weighted_quantile_integer_weights(vernier):
    """With integer weights the weighted rule is numpy's averaged inverted CDF over the
    rows repeated (kernels.h)."""
    for seed in range(20):
        rng = np.random.default_rng(8100 + seed)
        n = int(rng.integers(1, 300))
        y, p, price, g = gen(rng, n)
        w = rng.integers(1, 5, n).astype(float)
        res = vernier.eval(y, p, w=w, metrics="q=quantile(abs(e), 0.7),m=quantile(yhat, 0.5)")
        v = res.values()
        for name, x, q in (("q", np.abs(p - y), 0.7), ("m", p, 0.5)):
            want = float(np.percentile(np.repeat(x, w.astype(int)), 100 * q,
                                       method="averaged_inverted_cdf"))
            assert v[name]["value"] == want, (name, v[name], want, res.cmd)
            record("expression:quantile")


# ---------------------------------------------------------------------------------------
# restatements, intervals, comparisons, gates, slices
# ---------------------------------------------------------------------------------------
RESTATED = [("mae", "mean(abs(e))"), ("rmse", "sqrt(mean(e*e))"), ("mse", "mean(e^2)"),
            ("mean_error", "mean(e)"), ("wmape", "100 * sum(abs(e)) / sum(abs(y))"),
            ("pinball:q=0.7", "(0.7 * sum(max(-e, 0)) + (1 - 0.7) * sum(max(e, 0))) / sum(1)"),
            ("p95_abs_error", "quantile(abs(e), 0.95)"), ("medae", "quantile(abs(e), 0.5)")]


def test_restatements_bit_identical(vernier):
    metrics = ",".join(f"{b},x{i}={x}" for i, (b, x) in enumerate(RESTATED))
    same = 0
    for seed in range(30):
        rng = np.random.default_rng(9000 + seed)
        n = int(np.exp(rng.uniform(0, np.log(20000))))
        y, p, price, g = gen(rng, n)
        w = None if seed % 2 else rng.uniform(0.1, 4, n)
        res = vernier.eval(y, p, w=w, metrics=metrics, flags=["--by", "g", "--threads", "3"],
                           extra_cols={"g": list(g)})
        keys = res.keys
        for s in res.doc["slices"]:
            for i, (b, _) in enumerate(RESTATED):
                a, r = s["values"][keys[2 * i]], s["values"][f"x{i}"]
                assert a["value"] == r["value"] and a["reason"] == r["reason"], \
                    (b, a, r, res.cmd)
                same += 1
    TALLIES["expressions restating built-ins: bit-identical values"] += same


def test_intervals(vernier):
    rng = np.random.default_rng(4242)
    y, p, price, g = gen(rng, 3000)
    res = vernier.eval(y, p, metrics="mae,r=mean(abs(e)),cost=mean(if(e < 0, -3 * e, e)),"
                                     "q=quantile(abs(e), 0.9)",
                       flags=["--ci", "--ci-method", "percentile", "--resamples", "300",
                              "--seed", "5"])
    v = res.values()
    assert v["mae"]["ci"] == v["r"]["ci"], (v["mae"], v["r"])
    for k in ("cost", "q"):
        ci = v[k]["ci"]
        assert ci["low"] <= v[k]["value"] <= ci["high"] and ci["method"] == "percentile", v[k]


def test_compare(vernier, tmp_path):
    rng = np.random.default_rng(77)
    n = 2000
    y = rng.gamma(2.0, 10.0, n)
    a = y + rng.normal(0, 4, n)
    b = y + rng.normal(1.5, 2, n)
    price = rng.uniform(1, 50, n)
    path = write_csv(tmp_path / "cmp.csv", {"y": y, "a": a, "b": b, "price": price})
    expr = "cost[lower,unit=USD]=mean(if(e < 0, -3 * e, e) * price)"
    r = vernier.run(["compare", path, "-y", "y", "-p", "a", "-p", "b", "-m", "mae," + expr,
                     "--primary", "cost", "--guard", "mae:50%", "--resamples", "300",
                     "--format", "json"])
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    cell = [c for c in doc["slices"][0]["comparisons"] if c["metric"] == "cost"][0]

    def cost(pred):
        e = pred - y
        return float(np.mean(np.where(e < 0, -3 * e, e) * price))

    assert close(cell["baseline"], cost(a)) and close(cell["candidate"], cost(b)), cell
    assert doc["primary"] == "cost" and cell["method"] == "bootstrap"
    assert cell["lo"] <= cell["diff"] <= cell["hi"]
    assert doc["guards"][0]["metric"] == "mae"


def test_check_gate(vernier, tmp_path):
    rng = np.random.default_rng(78)
    n = 1500
    y = rng.gamma(2.0, 10.0, n)
    p = y + rng.normal(0, 3, n)
    price = rng.uniform(1, 50, n)
    g = rng.choice(["x", "y"], n)
    path = write_csv(tmp_path / "chk.csv", {"y": y, "p": p, "price": price, "g": list(g)})
    want = float(np.sum(np.abs(p - y) * price) / np.sum(y * price))
    spec = tmp_path / "v.yaml"
    spec.write_text(f"""version: 1
data: {{path: {path}, y: y, prediction: p}}
metrics:
  - id: rev
    type: expression
    expr: sum(abs(e) * price) / sum(y * price)
slices:
  - id: grp
    by: g
gates:
  - {{metric: rev, max: {want * 1.001!r}}}
  - {{metric: rev, max: {want * 0.999!r}, name: too tight}}
  - {{metric: rev, vs: dummy, slices: [grp]}}
""")
    r = vernier.run(["check", "--spec", spec, "--format", "json"])
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    rows = doc["results"] if "results" in doc else doc["gates"]
    assert [x["status"] for x in rows[:2]] == ["pass", "fail"], rows[:2]
    assert close(rows[0]["value"], want), (rows[0], want)
    for row in rows[2:]:
        sel = g == row["slice"].split("=")[1]
        v = float(np.sum(np.abs(p - y)[sel] * price[sel]) / np.sum(y[sel] * price[sel]))
        assert row["status"] == "pass" and close(row["value"], v), (row, v)


def test_slices(vernier, tmp_path):
    rng = np.random.default_rng(79)
    n = 3000
    y = rng.gamma(2.0, 10.0, n)
    g = rng.choice(["a", "b", "c"], n)
    p = y + rng.normal(0, 1, n) * np.where(g == "c", 6, 1)
    price = rng.uniform(1, 50, n)
    path = write_csv(tmp_path / "sl.csv", {"y": y, "p": p, "price": price, "g": list(g)})
    r = vernier.run(["slices", path, "-y", "y", "-p", "p", "--columns", "g", "--all",
                     "-m", "lost=mean(abs(e) * price)", "--format", "json"])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    lost = np.abs(p - y) * price
    assert close(doc["metric"]["value"], float(np.mean(lost)))
    for s in doc["slices"]:
        v = s["conditions"][0]["value"]
        assert close(s["value"], float(np.mean(lost[g == v]))), s
        assert close(s["rest"], float(np.mean(lost[g != v]))), s
    assert doc["slices"][0]["label"] == "g=c" and doc["slices"][0]["status"] == "worse"


@pytest.mark.parametrize("expr,code,msg", [
    ("c=mean(abs(e)", 3, "metric c: expression:1:12: expected \",\" or \")\""),
    ("c=mean(abs(e)))", 3, "metric c: expression:1:13: unexpected \")\""),
    ("c=mean(foo(e))", 3, "metric c: expression:1:6: unknown function \"foo\""),
    ("c=mean(e) / 0", 3, "metric c: expression:1:9: division by zero"),
    ("c=mean(e * nosuch)", 3, "no input column \"nosuch\""),
    ("c=" + "(" * 300 + "mean(e)" + ")" * 300, 3, "metric c: expression:1:257: nesting deeper"),
    ("c=mean(mean(e))", 3, "metric c: expression:1:6: aggregations cannot nest"),
    ("c[higher,upper]=mean(e)", 2, "metric c: unknown option \"upper\""),
    ("rmse=sqrt(mean(e*e))", 2, "is a built-in metric"),
])
def test_malformed(vernier, tmp_path, expr, code, msg):
    path = write_csv(tmp_path / "m.csv", {"y": [1.0, 2.0], "yhat": [1.5, 2.5]})
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", expr])
    assert r.returncode == code, (r.returncode, r.stderr)
    assert msg in r.stderr and r.stderr.count("\n") <= 2, r.stderr
    assert r.stdout == ""


# ---------------------------------------------------------------------------------------
# the guide
# ---------------------------------------------------------------------------------------
DOC = REPO / "docs" / "expressions.md"


def console_blocks():
    """(command, expected stdout) for every '$ vernier ...' line of the guide."""
    text = DOC.read_text()
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        lines = block.rstrip("\n").split("\n")
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ vernier "), lines[i]
            cmd, j = lines[i][2:], i + 1
            while j < len(lines) and not lines[j].startswith("$ "):
                j += 1
            out.append((cmd, "\n".join(lines[i + 1:j]) + "\n"))
            i = j
    return out


BLOCKS = console_blocks()


@pytest.mark.parametrize("cmd,expected", BLOCKS, ids=[c[:60] for c, _ in BLOCKS])
def test_guide_outputs(vernier, cmd, expected):
    args = shlex.split(cmd)[1:]
    r = subprocess.run([vernier.exe] + args, cwd=REPO, capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    assert r.stdout == expected, f"docs/expressions.md is out of date for:\n{cmd}"


def read_csv(name):
    with open(REPO / "examples" / name) as f:
        rows = list(csv.DictReader(f))
    return {k: np.array([r[k] for r in rows]) for k in rows[0]}


def num(a):
    return a.astype(float)


# the guide's custom metrics, recomputed from the rows: name -> f(y, yhat, cols)
GUIDE = {
    "stockout_cost": lambda y, p, c: np.mean(np.where(p - y < 0, -4 * (p - y), p - y)),
    "late_cost": lambda y, p, c: np.mean(np.where(p - y < 0, -3 * (p - y), p - y)
                                         + 10 * (p - y < -5)),
    "revenue_wape": lambda y, p, c: 100 * np.sum(np.abs(p - y) * num(c["price"]))
                                    / np.sum(y * num(c["price"])),
    "lost": lambda y, p, c: np.mean(np.abs(p - y) * num(c["price"])),
}


@pytest.mark.parametrize("cmd", [c for c, _ in BLOCKS if " eval " in c or " compare " in c])
def test_guide_numbers(vernier, cmd):
    """Each custom metric a guide command defines, per slice and per model, against numpy
    on the example file."""
    args = shlex.split(cmd)[1:]
    sub, path = args[0], args[1]
    opts = {}
    preds = []
    i = 2
    while i < len(args):
        if args[i] == "-p":
            preds.append(args[i + 1])
        if args[i].startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-"):
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            i += 1
    cols = read_csv(os.path.basename(path))
    y = num(cols[opts["-y"]])
    names = [m.split("=")[0].split("[")[0] for m in re.split(r",(?![^()\[\]]*[)\]])", opts["-m"])]
    custom = [n for n in names if n in GUIDE]
    assert custom, cmd
    r = subprocess.run([vernier.exe] + args + ["--format", "json"], cwd=REPO,
                       capture_output=True, text=True)
    doc = json.loads(r.stdout)
    checked = 0
    if sub == "eval":
        by = opts.get("--by")
        p = num(cols[preds[0]])
        for s in doc["slices"]:
            sel = np.ones(len(y), bool) if not s["by"] else cols[by] == s["by"][by]
            sub_cols = {k: v[sel] for k, v in cols.items()}
            for name in custom:
                want = GUIDE[name](y[sel], p[sel], sub_cols)
                assert close(s["values"][name]["value"], float(want)), (name, s["slice"], cmd)
                checked += 1
    else:
        for cell in doc["slices"][0]["comparisons"]:
            if cell["metric"] in custom:
                for which, pred in (("baseline", preds[0]), ("candidate", preds[1])):
                    want = GUIDE[cell["metric"]](y, num(cols[pred]), cols)
                    assert close(cell[which], float(want)), (cell, which, cmd)
                    checked += 1
    assert checked
    TALLIES["guide: custom metric values checked against numpy"] += checked


def test_guide_costs_spec(vernier):
    """examples/costs.yaml: the gate values against numpy."""
    cols = read_csv("sales.csv")
    y, p, price = num(cols["units"]), num(cols["forecast_b"]), num(cols["price"])
    e = p - y
    cost = np.where(e < 0, 0.30 * price * -e, 0.05 * price * e)
    r = subprocess.run([vernier.exe, "check", "--spec", "examples/costs.yaml", "--format", "json"],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = doc["results"] if "results" in doc else doc["gates"]
    by_slice = {x["slice"]: x["value"] for x in rows if x["metric"] == "error_cost" and
                x.get("reference") is None}
    assert close(by_slice["overall"], float(np.mean(cost)))
    for cat in ("grocery", "apparel", "electronics"):
        sel = cols["category"] == cat
        assert close(by_slice["category=" + cat], float(np.mean(cost[sel]))), cat
    # the upper bound of the revenue-weighted error's interval lies above its value
    rev = 100 * np.sum(np.abs(e) * price) / np.sum(y * price)
    up = [x for x in rows if x["metric"] == "revenue_wape"][0]["value"]
    assert up > rev



