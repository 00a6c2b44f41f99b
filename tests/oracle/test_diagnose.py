"""
Oracle: `vernier diagnose` (issue 10) against statsmodels 0.13 (Debian's
python3-statsmodels) and numpy, on data the test writes:

1. Randomized datasets (n from 25 to 5000; homoscedastic, heteroscedastic, AR(1) and
   Student-t errors; 1 to 5 features, some nearly collinear; rows shuffled and put back
   in order by a --time column):
   - Breusch–Pagan against the prediction and against the features:
     statsmodels.stats.diagnostic.het_breuschpagan(e, add_constant(Z)) — LM, its
     p-value, F and its p-value;
   - Jarque–Bera: statsmodels.stats.stattools.jarque_bera(e) — JB, p, skewness and
     kurtosis (vernier reports the excess, kurtosis − 3);
   - Durbin–Watson (statsmodels durbin_watson) and Ljung–Box (acorr_ljungbox, lags given
     or the default min(10, n // 5)) on the errors in time order;
   - VIF per feature: variance_inflation_factor(add_constant(X), j);
   - the condition number: numpy.linalg.cond of add_constant(X) with unit-length columns;
   - the share of e² in the worst ceil(n/100) rows, by numpy.
2. NIST StRD: Longley's VIFs and condition number (the classic multicollinear data)
   against statsmodels and numpy, and the certified lag-1 autocorrelation r(1) of the
   univariate files through the CLI (y = the data, prediction 0, --ordered), LRE >= 10.
3. Exit codes.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.diagnostic import acorr_ljungbox, het_breuschpagan
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tools.tools import add_constant

from conftest import REPO, TALLIES, write_csv

NIST = REPO.parent / "shared" / "data" / "nist-strd"
RUNS = 60


def diagnose(vernier, path, *args, ok=0):
    p = vernier.run(["diagnose", str(path), *map(str, args), "--format", "json"])
    assert p.returncode == ok, f"exit {p.returncode}: {p.stderr}"
    return json.loads(p.stdout)


def find(doc, code, subject=None):
    for f in doc["findings"]:
        if f["code"] == code and (subject is None or f["subject"] == subject):
            return f
    raise KeyError((code, subject))


def close(got, exp, rel, absolute=0.0):
    return got is not None and abs(got - exp) <= max(rel * abs(exp), absolute)


def gen(rng, run):
    n = int(rng.choice([25, 60, 200, 800, 2000, 5000]))
    p = int(rng.integers(1, 6))
    X = rng.normal(0, 1, (n, p)) * rng.uniform(0.5, 50, p) + rng.uniform(-100, 100, p)
    if p >= 2 and run % 3 == 0:  # a nearly collinear pair
        X[:, 1] = X[:, 0] * rng.uniform(0.5, 2) + rng.normal(0, 0.05 * X[:, 0].std() + 1e-3, n)
    beta = rng.normal(0, 1, p)
    yhat = 10 + ((X - X.mean(0)) / np.maximum(X.std(0), 1e-9)) @ beta
    kind = ["homo", "hetero", "ar", "t"][run % 4]
    if kind == "homo":
        e = rng.normal(0, 1, n)
    elif kind == "hetero":
        e = rng.normal(0, 1, n) * (0.2 + np.abs(yhat - 10) / 3)
    elif kind == "ar":
        z = rng.normal(0, 1, n)
        e = np.empty(n)
        e[0] = z[0]
        for i in range(1, n):
            e[i] = 0.6 * e[i - 1] + z[i]
    else:
        e = rng.standard_t(3, n)
    y = yhat - e  # vernier's error is yhat - y = e
    return n, X, y, yhat, kind


def test_diagnose_against_statsmodels(vernier, tmp_path):
    rng = np.random.default_rng(20261011)
    checked = 0
    for run in range(RUNS):
        n, X, y, yhat, kind = gen(rng, run)
        p = X.shape[1]
        order = rng.permutation(n)  # the file is shuffled; --time puts it back
        cols = {"y": y[order], "yhat": yhat[order], "t": order.astype(float)}
        names = [f"x{j}" for j in range(p)]
        for j in range(p):
            cols[names[j]] = X[order, j]
        path = write_csv(tmp_path / f"d{run}.csv", cols)
        lags = int(rng.choice([0, 1, 3, 12])) if n > 60 else 0
        args = ["-y", "y", "-p", "yhat", "--features", ",".join(names), "--time", "t"]
        if lags:
            args += ["--lags", lags]
        doc = diagnose(vernier, path, *args)
        # the CSV holds repr() of the values: read them back exactly
        e = yhat - y
        ctx = f"run={run} n={n} p={p} kind={kind}"

        lm, lmp, fv, fp = het_breuschpagan(e, add_constant(yhat, has_constant="add"))
        f = find(doc, "breusch_pagan", "prediction")
        assert close(f["stat"], lm, 1e-8, 1e-9), (ctx, f["stat"], lm)
        assert close(f["p"], lmp, 1e-7, 1e-300), (ctx, f["p"], lmp)
        assert close(f["values"]["f"], fv, 1e-8, 1e-9) and close(f["values"]["f_p"], fp, 1e-7, 1e-300), ctx
        assert f["df"] == 1 and f["status"] == ("flag" if lmp < 0.05 else "ok")

        lm, lmp, fv, fp = het_breuschpagan(e, add_constant(X, has_constant="add"))
        f = find(doc, "breusch_pagan", "features")
        assert close(f["stat"], lm, 1e-7, 1e-8), (ctx, f["stat"], lm)
        assert close(f["p"], lmp, 1e-6, 1e-300), (ctx, f["p"], lmp)
        assert close(f["values"]["f"], fv, 1e-7, 1e-8), ctx
        assert f["df"] == p

        jb, jbp, skew, kurt = jarque_bera(e)
        f = find(doc, "jarque_bera")
        assert close(f["stat"], jb, 1e-9, 1e-12), (ctx, f["stat"], jb)
        assert close(f["p"], jbp, 1e-9 * max(1.0, jb), 1e-300), (ctx, f["p"], jbp)
        assert close(f["values"]["skewness"], skew, 1e-9, 1e-12), ctx
        assert close(f["values"]["excess_kurtosis"], kurt - 3, 1e-9, 1e-12), ctx

        et = e  # in time order: t is the original position
        f = find(doc, "durbin_watson")
        assert close(f["stat"], durbin_watson(et), 1e-12), (ctx, f["stat"], durbin_watson(et))
        h = lags or min(10, n // 5)
        lb = acorr_ljungbox(et, lags=[h])
        f = find(doc, "ljung_box")
        assert f["df"] == h and doc["options"]["lags"] == h
        assert close(f["stat"], float(lb["lb_stat"].iloc[0]), 1e-10), (ctx, f["stat"], lb)
        assert close(f["p"], float(lb["lb_pvalue"].iloc[0]), 1e-8, 1e-300), ctx

        Xc = add_constant(X, has_constant="add")
        for j in range(p):
            v = variance_inflation_factor(Xc, j + 1)
            f = find(doc, "vif", names[j])
            assert close(f["stat"], v, 1e-7), (ctx, names[j], f["stat"], v)
            assert f["status"] == ("flag" if v > 10 else "ok")
        cond = np.linalg.cond(Xc / np.linalg.norm(Xc, axis=0))
        f = find(doc, "condition_number")
        assert close(f["stat"], cond, 1e-8), (ctx, f["stat"], cond)

        k = -(-n // 100)
        sq = np.sort(e * e)[::-1]
        f = find(doc, "worst_rows_share")
        assert close(f["stat"], sq[:k].sum() / sq.sum(), 1e-12), ctx
        checked += 1
    TALLIES["diagnose datasets checked against statsmodels"] += checked


def read_nist(path, ncol):
    rows = []
    cert = {}
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        if i < 61:
            if "r(1):" in line:
                cert["r1"] = float(line.split("r(1):")[1].split()[0])
            continue
        parts = line.split()
        if len(parts) >= ncol:
            try:
                rows.append([float(v) for v in parts[:ncol]])
            except ValueError:
                pass
    return np.array(rows), cert


def test_longley_multicollinearity(vernier, tmp_path):
    data, _ = read_nist(NIST / "linear-regression" / "Longley.dat", 7)
    y, X = data[:, 0], data[:, 1:]
    cols = {"y": y, "zero": np.zeros(len(y))}
    for j in range(6):
        cols[f"x{j + 1}"] = X[:, j]
    path = write_csv(tmp_path / "longley.csv", cols)
    doc = diagnose(vernier, path, "-y", "y", "-p", "zero", "--features", "x1,x2,x3,x4,x5,x6")
    Xc = add_constant(X)
    for j in range(6):
        v = variance_inflation_factor(Xc, j + 1)
        f = find(doc, "vif", f"x{j + 1}")
        assert close(f["stat"], v, 1e-8), (j, f["stat"], v)
    cond = np.linalg.cond(Xc / np.linalg.norm(Xc, axis=0))
    f = find(doc, "condition_number")
    assert close(f["stat"], cond, 1e-8) and f["status"] == "flag", (f["stat"], cond)
    TALLIES["NIST Longley VIFs"] += 6


@pytest.mark.parametrize("name", ["PiDigits", "Lottery", "Lew", "Mavro", "Michelso", "NumAcc1",
                                  "NumAcc2", "NumAcc3", "NumAcc4"])
def test_nist_lag1_autocorrelation(vernier, tmp_path, name):
    # the data's own decimal text goes into the CSV, so vernier parses what NIST printed
    lines = (NIST / "univariate" / f"{name}.dat").read_text().splitlines()[60:]
    vals = [ln.strip() for ln in lines if ln.strip()]
    cert = None
    for ln in (NIST / "univariate" / f"{name}.dat").read_text().splitlines()[:60]:
        if "r(1):" in ln:
            cert = float(ln.split("r(1):")[1].split()[0])
    path = tmp_path / f"{name}.csv"
    path.write_text("y,zero\n" + "".join(f"{v},0\n" for v in vals))
    doc = diagnose(vernier, path, "-y", "y", "-p", "zero", "--ordered")
    r1 = find(doc, "durbin_watson")["values"]["r1"]
    lre = 15 if r1 == cert else -math.log10(abs(r1 - cert) / abs(cert))
    assert lre >= 10, (name, r1, cert, lre)
    TALLIES["NIST r(1) files"] += 1


def test_exit_codes(vernier, tmp_path):
    path = write_csv(tmp_path / "x.csv", {"y": [1.0, 2.0, 3.0], "p": [1.5, 2.0, 2.0], "w": ["a", "b", "c"]})
    assert vernier.run(["diagnose", path, "-y", "y"]).returncode == 2
    assert vernier.run(["diagnose", path, "-y", "y", "-p", "p", "--lags", "2"]).returncode == 2
    r = vernier.run(["diagnose", path, "-y", "y", "-p", "p", "--features", "w"])
    assert r.returncode == 3 and "x.csv:2:" in r.stderr
    assert vernier.run(["diagnose", tmp_path / "none.csv", "-y", "y", "-p", "p"]).returncode == 4
