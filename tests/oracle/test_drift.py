"""
Oracle: `vernier drift` (issue 10), every number recomputed here from the data the test
wrote, never from vernier's own output, following docs/drift.md:

1. Numeric columns (normal, skewed, rounded to create ties, few integer values, a shift or
   a scale change between the files; sizes from 5 to 30000 rows so that both the exact
   and the asymptotic KS p-value are used):
   - ks statistic and the exact p-value against scipy.stats.ks_2samp(method="exact");
     the asymptotic p-value against scipy.stats.kstwobign.sf(sqrt(m n / (m + n)) D)
     (scipy's own asymptotic branch uses kstwo with n = round(en); docs/drift.md says why
     vernier uses the limit law);
   - wasserstein against scipy.stats.wasserstein_distance, normed by numpy.std (ddof 0);
   - psi by hand: cuts at the sorted reference's values of rank ceil(k n / B), equal cuts
     merged, bins (c[k-1], c[k]], an empty bin's share replaced by 1e-4;
   - jensen_shannon against scipy.spatial.distance.jensenshannon of the bin shares;
   - chi2 against scipy.stats.chi2_contingency(correction=False) on the 2 x bins table
     (bins empty in both files left out).
2. Categorical columns: psi, jensen_shannon and chi2 over the categories of both files.
3. The verdict of the documented default test and the dataset's share.
4. The streamed run (--stats psi,jensen_shannon,chi2) prints the same psi, js and chi2
   as the in-memory run; swapping the files leaves ks, its p-value, the raw Wasserstein
   distance and every categorical statistic unchanged.
"""
import json
import math

import numpy as np
import pytest
import scipy.stats as st
from scipy.spatial.distance import jensenshannon

from conftest import TALLIES, write_csv

RUNS = 40


def drift(vernier, ref, cur, *args, ok=0):
    p = vernier.run(["drift", str(ref), str(cur), *map(str, args), "--format", "json"])
    assert p.returncode == ok, f"exit {p.returncode}: {p.stderr}"
    return json.loads(p.stdout)


def close(got, exp, rel, absolute=0.0):
    if exp is None or (isinstance(exp, float) and math.isnan(exp)):
        return got is None
    return got is not None and abs(got - exp) <= max(rel * abs(exp), absolute)


def cuts(ref, B):
    s = np.sort(ref)
    n = len(s)
    out = []
    for k in range(1, B):
        r = -(-k * n // B)  # ceil(k n / B)
        v = s[r - 1]
        if not out or out[-1] != v:
            out.append(v)
    return np.array(out)


def binned_counts(x, c):
    # bin index = number of cuts below x: x <= c[k] falls in bin k
    return np.bincount(np.searchsorted(c, x, side="left"), minlength=len(c) + 1)


def psi_js_chi2(rc, cc, floor=1e-4):
    p = rc / rc.sum()
    q = cc / cc.sum()
    pf = np.where(rc == 0, floor, p)
    qf = np.where(cc == 0, floor, q)
    psi = float(np.sum((qf - pf) * (np.log(qf) - np.log(pf))))
    js = float(jensenshannon(p, q))
    keep = (rc + cc) > 0
    if keep.sum() >= 2:
        chi, pv, df, _ = st.chi2_contingency(np.array([rc[keep], cc[keep]]), correction=False)
    else:
        chi, pv, df = math.nan, math.nan, math.nan
    return psi, js, chi, pv, df


def gen_numeric(rng, n, kind, shift):
    if kind == "normal":
        x = rng.normal(shift, 1 + shift / 3, n)
    elif kind == "skew":
        x = rng.lognormal(0.2 * shift, 1.0, n)
    elif kind == "ties":
        x = np.round(rng.normal(shift, 2, n))
    elif kind == "few":
        x = rng.integers(0, 4 + int(shift > 0.5), n).astype(float)
    elif kind == "decimals":
        x = np.round(rng.gamma(2.0, 1.0 + shift, n), 1)
    else:
        raise ValueError(kind)
    return x


def test_drift_against_scipy(vernier, tmp_path):
    rng = np.random.default_rng(20261010)
    checked = 0
    for run in range(RUNS):
        m = int(rng.choice([5, 12, 40, 300, 900, 2000, 12000]))
        n = int(rng.choice([7, 25, 200, 800, 1500, 11000]))
        if run == 3:
            m, n = 30000, 25000  # the asymptotic p-value
        B = int(rng.choice([2, 5, 10, 20]))
        cols_r, cols_c, kinds = {}, {}, {}
        for j, kind in enumerate(["normal", "skew", "ties", "few", "decimals"]):
            shift = float(rng.choice([0.0, 0.0, 0.3, 1.0]))
            cols_r[f"n{j}"] = gen_numeric(rng, m, kind, 0.0)
            cols_c[f"n{j}"] = gen_numeric(rng, n, kind, shift)
            kinds[f"n{j}"] = "numeric"
        cats = ["a", "b", "c", "d", "e"]
        pr = rng.dirichlet(np.ones(5))
        pc = pr if rng.random() < 0.5 else rng.dirichlet(np.ones(5))
        cols_r["cat"] = list(rng.choice(cats[:4], m, p=pr[:4] / pr[:4].sum()))
        cols_c["cat"] = list(rng.choice(cats, n, p=pc))
        kinds["cat"] = "categorical"
        ref = write_csv(tmp_path / f"r{run}.csv", cols_r)
        cur = write_csv(tmp_path / f"c{run}.csv", cols_c)
        doc = drift(vernier, ref, cur, "--bins", B)
        streamed = drift(vernier, ref, cur, "--bins", B, "--stats", "psi,jensen_shannon,chi2")
        swapped = drift(vernier, cur, ref, "--bins", B)
        assert doc["summary"]["columns"] == 6
        ctx = f"run={run} m={m} n={n} B={B}"
        drifted = 0
        for c, s, w in zip(doc["columns"], streamed["columns"], swapped["columns"]):
            name = c["name"]
            assert c["kind"] == kinds[name], ctx
            a = np.asarray(cols_r[name])
            b = np.asarray(cols_c[name])
            if c["kind"] == "numeric":
                ks = st.ks_2samp(a, b)
                assert close(c["ks"], ks.statistic, 1e-14, 1e-15), (ctx, name, c["ks"], ks.statistic)
                if max(m, n) <= 10000:
                    assert c["ks_method"] == "exact"
                    exp = st.ks_2samp(a, b, method="exact").pvalue
                    assert close(c["ks_p"], exp, 1e-8, 1e-300), (ctx, name, c["ks_p"], exp)
                else:
                    assert c["ks_method"] == "asymptotic"
                    en = m * n / (m + n)
                    exp = st.kstwobign.sf(math.sqrt(en) * c["ks"])
                    assert close(c["ks_p"], exp, 1e-9, 1e-300), (ctx, name, c["ks_p"], exp)
                wd = st.wasserstein_distance(a, b)
                assert close(c["wasserstein"], wd, 1e-11, 1e-14), (ctx, name, c["wasserstein"], wd)
                sd = float(np.std(a))
                assert close(c["ref_sd"], sd, 1e-13), (ctx, name)
                if sd > 0:
                    assert close(c["wasserstein_normed"], wd / sd, 1e-11, 1e-14), (ctx, name)
                cu = cuts(a, B)
                rc, cc = binned_counts(a, cu), binned_counts(b, cu)
                assert c["bins"] == len(cu) + 1, (ctx, name)
                assert close(c["ref_mean"], float(np.mean(a)), 1e-13, 1e-15)
                assert close(c["cur_mean"], float(np.mean(b)), 1e-13, 1e-15)
                # swapping the files: the symmetric statistics keep their bits
                assert (w["ks"], w["ks_p"], w["wasserstein"]) == (c["ks"], c["ks_p"], c["wasserstein"])
            else:
                values = sorted(set(cols_r[name]) | set(cols_c[name]))
                rc = np.array([cols_r[name].count(v) for v in values])
                cc = np.array([cols_c[name].count(v) for v in values])
                assert c["bins"] == len(values)
                assert c["ks"] is None and c["wasserstein"] is None
                for k in ("psi", "jensen_shannon", "chi2", "chi2_p"):
                    assert w[k] == c[k], (ctx, name, k)
            psi, js, chi, pv, df = psi_js_chi2(rc, cc)
            assert close(c["psi"], psi, 1e-12, 1e-15), (ctx, name, c["psi"], psi)
            assert close(c["jensen_shannon"], js, 1e-10, 1e-12), (ctx, name, c["jensen_shannon"], js)
            assert close(c["chi2"], chi, 1e-11, 1e-12), (ctx, name, c["chi2"], chi)
            assert close(c["chi2_p"], pv, 1e-9, 1e-300), (ctx, name, c["chi2_p"], pv)
            if not math.isnan(df):
                assert c["chi2_df"] == df
            for k in ("psi", "jensen_shannon", "chi2", "chi2_p", "bins"):
                assert s[k] == c[k], (ctx, name, k, s[k], c[k])
            # the default test of docs/drift.md and its verdict
            small = len(a) <= 1000
            if c["kind"] == "numeric":
                test = "ks" if small else "wasserstein"
            else:
                test = "chi2" if small else "jensen_shannon"
            assert c["test"] == test, (ctx, name)
            if test == "ks":
                verdict = c["ks_p"] < 0.05
            elif test == "chi2":
                verdict = c["chi2_p"] < 0.05 if c["chi2_p"] is not None else False
            elif test == "wasserstein":
                verdict = c["wasserstein_normed"] >= 0.1 if c["wasserstein_normed"] is not None else c["wasserstein"] > 0
            else:
                verdict = c["jensen_shannon"] >= 0.1
            assert c["drift"] == verdict, (ctx, name, c)
            drifted += verdict
            checked += 1
        assert doc["summary"]["drifted"] == drifted
        assert doc["summary"]["dataset_drift"] == (drifted / 6 >= 0.5)
    TALLIES["drift columns checked against scipy"] += checked


def test_missing_cells_and_text(vernier, tmp_path):
    """Empty cells (and NaN in numeric columns) are counted as missing and left out; a
    column with a text cell in either file is categorical."""
    ref = write_csv(tmp_path / "r.csv", {"x": [1.0, None, 3.0, "nan", 5.0, 2.0],
                                         "t": ["1", "2", "2", "1", "3", "1"]})
    cur = write_csv(tmp_path / "c.csv", {"x": [2.0, 2.5, None, 4.0],
                                         "t": ["1", "two", "2", ""]})
    doc = drift(vernier, ref, cur)
    x, t = doc["columns"]
    assert x["kind"] == "numeric" and (x["ref_n"], x["ref_missing"], x["cur_n"], x["cur_missing"]) == (4, 2, 3, 1)
    a, b = np.array([1.0, 3.0, 5.0, 2.0]), np.array([2.0, 2.5, 4.0])
    assert close(x["ks"], st.ks_2samp(a, b).statistic, 1e-15)
    assert t["kind"] == "categorical" and (t["ref_n"], t["cur_n"], t["cur_missing"]) == (6, 3, 1)


def test_exit_codes(vernier, tmp_path):
    ref = write_csv(tmp_path / "r.csv", {"x": [1.0, 2.0, 3.0]})
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n1\n\"2\n")
    assert vernier.run(["drift", ref]).returncode == 2
    assert vernier.run(["drift", ref, ref, "--bins", "1"]).returncode == 2
    assert vernier.run(["drift", ref, tmp_path / "none.csv"]).returncode == 4
    p = vernier.run(["drift", ref, bad])
    assert p.returncode == 3 and "bad.csv:3:1:" in p.stderr, p.stderr
