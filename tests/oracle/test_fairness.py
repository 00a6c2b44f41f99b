"""
Oracle: fairness gaps, `vernier eval --sensitive COL` (issue 10), recomputed with pandas
(groupby) and statsmodels from the data the test wrote, following docs/fairness.md:

1. Every metric per group (mae, rmse, mean_error, r2) from a pandas groupby; groups with
   fewer rows than --min-count are left out of the gaps.
2. The gap between the worst and the best group (by |value| for mean_error; higher is
   better for r2), the ratio larger / smaller, and the gap's interval by MOVER from the
   groups' analytic intervals (--ci-method analytic): for mae and mean_error the
   interval of a mean, value ± z · sd(ddof 1) / sqrt(n), computed here; MOVER's formula
   written out here.
3. With --threshold (and --label-threshold): per group the selection rate P(yhat >= t),
   the true- and false-positive rates against y >= t_y, Wilson intervals
   (statsmodels.stats.proportion.proportion_confint(method="wilson")); the demographic-
   parity difference (max - min selection rate), its Newcombe interval (MOVER with the
   Wilson limits of the two extreme groups), the parity ratio min / max, and the
   equalized-odds difference max(TPR range, FPR range) — fairlearn's definitions.
4. The notes carry the significant gaps.
"""
import json
import math

import numpy as np
import pandas as pd
import scipy.stats as st
from statsmodels.stats.proportion import proportion_confint

from conftest import TALLIES, write_csv

RUNS = 30
Z = st.norm.ppf(0.975)


def close(got, exp, rel, absolute=0.0):
    if exp is None or (isinstance(exp, float) and math.isnan(exp)):
        return got is None
    return got is not None and abs(got - exp) <= max(rel * abs(exp), absolute)


def mover(x, lx, ux, y, ly, uy):
    d = x - y
    return d - math.hypot(x - lx, uy - y), d + math.hypot(ux - x, y - ly)


def mean_ci(v):
    v = np.asarray(v, float)
    m = v.mean()
    se = v.std(ddof=1) / math.sqrt(len(v))
    return m, m - Z * se, m + Z * se


def test_fairness_against_pandas(vernier, tmp_path):
    rng = np.random.default_rng(20261012)
    checked = 0
    for run in range(RUNS):
        k = int(rng.integers(2, 6))
        groups = [f"g{i}" for i in range(k)]
        sizes = rng.integers(40, 3000, k)
        if k >= 3:
            sizes[-1] = int(rng.choice([5, 60]))  # sometimes below --min-count 30
        g = np.repeat(groups, sizes)
        rng.shuffle(g)
        n = len(g)
        y = rng.normal(50, 15, n)
        gi = np.array([int(s[1:]) for s in g])
        scale = 3 + 2 * (gi % 3)
        bias = np.where(gi == 1, 2.0, 0.0)
        yhat = y + bias + rng.normal(0, 1, n) * scale
        t = float(np.round(rng.uniform(40, 60), 1))
        ty = t if run % 2 else float(np.round(t + rng.uniform(-5, 5), 1))
        path = write_csv(tmp_path / f"f{run}.csv", {"y": y, "yhat": yhat, "grp": list(g)})
        args = ["eval", path, "-y", "y", "-p", "yhat", "-m", "mae,rmse,mean_error,r2",
                "--sensitive", "grp", "--ci-method", "analytic", "--min-count", "30",
                "--threshold", t, "--label-threshold", ty, "--format", "json"]
        p = vernier.run(args)
        assert p.returncode == 0, p.stderr
        doc = json.loads(p.stdout)
        fair = doc["fairness"]
        ev = doc["eval"]
        ctx = f"run={run} sizes={list(sizes)} t={t} ty={ty}"
        df = pd.DataFrame({"y": y, "yhat": yhat, "g": g})
        df["e"] = df.yhat - df.y
        df["ae"] = df.e.abs()
        agg = df.groupby("g").agg(n=("e", "size"))
        big = [x for x in groups if agg.loc[x, "n"] >= 30]
        assert fair["groups"] == k and fair["compared"] == len(big), ctx
        per = {}
        for x in groups:
            d = df[df.g == x]
            per[x] = {
                "mae": mean_ci(d.ae),
                "mean_error": mean_ci(d.e),
                "rmse": (math.sqrt((d.e ** 2).mean()),),
                "r2": (1 - (d.e ** 2).sum() / ((d.y - d.y.mean()) ** 2).sum(),),
            }
        # every metric per group, as the eval reports it
        by_group = {b["group"]: b for b in fair["by_group"]}
        for x in groups:
            for m in ("mae", "rmse", "mean_error", "r2"):
                got = by_group[x]["values"][m]["value"]
                if x in big:
                    assert close(got, per[x][m][0], 1e-12, 1e-12), (ctx, x, m, got, per[x][m][0])
        gaps = {gp["metric"]: gp for gp in fair["gaps"]}
        assert set(gaps) == {"mae", "rmse", "mean_error", "r2", "selection_rate",
                             "true_positive_rate", "false_positive_rate"}
        if len(big) < 2:  # one group to compare: no gap
            assert all(gp["gap"] is None for gp in fair["gaps"]), ctx
            continue
        for m, higher, absval in (("mae", False, False), ("rmse", False, False),
                                  ("mean_error", False, True), ("r2", True, False)):
            vals = {x: per[x][m][0] for x in big}
            key = (lambda x: abs(vals[x])) if absval else (lambda x: vals[x])
            hi_g, lo_g = max(big, key=key), min(big, key=key)
            worst, best = (lo_g, hi_g) if higher else (hi_g, lo_g)
            gp = gaps[m]
            assert (gp["worst"], gp["best"]) == (worst, best), (ctx, m, gp)
            a, b = key(hi_g), key(lo_g)
            assert close(gp["gap"], a - b, 1e-12, 1e-12), (ctx, m)
            assert close(gp["ratio"], a / b if b > 0 else math.nan, 1e-12), (ctx, m)
            if m == "mae":
                lo, hi = mover(*per[hi_g]["mae"], *per[lo_g]["mae"])
                assert close(gp["lo"], lo, 1e-9, 1e-12) and close(gp["hi"], hi, 1e-9, 1e-12), (ctx, gp, lo, hi)
                assert gp["significant"] == (lo > 0)
                if gp["significant"]:
                    assert any(nt["code"] == "fairness_gap" and "mae" in nt["message"] for nt in ev["notes"])
            if m == "mean_error":
                def absci(v, l, u):
                    if l >= 0:
                        return abs(v), l, u
                    if u <= 0:
                        return abs(v), -u, -l
                    return abs(v), 0.0, max(-l, u)
                lo, hi = mover(*absci(*per[hi_g]["mean_error"]), *absci(*per[lo_g]["mean_error"]))
                assert close(gp["lo"], lo, 1e-9, 1e-12) and close(gp["hi"], hi, 1e-9, 1e-12), (ctx, gp, lo, hi)
        # thresholded rates
        rates = {}
        for x in groups:
            d = df[df.g == x]
            sel, pos = d.yhat >= t, d.y >= ty
            r = {"rows": len(d), "selected": int(sel.sum()), "positives": int(pos.sum()),
                 "true_positives": int((sel & pos).sum()), "false_positives": int((sel & ~pos).sum())}
            got = by_group[x]["rates"]
            for c in ("selected", "positives", "true_positives", "false_positives"):
                assert got[c] == r[c], (ctx, x, c)
            for name, kk, nn in (("selection", r["selected"], r["rows"]),
                                 ("tpr", r["true_positives"], r["positives"]),
                                 ("fpr", r["false_positives"], r["rows"] - r["positives"])):
                val = got["selection_rate" if name == "selection" else name]
                lo, hi = got[f"{name}_lo"], got[f"{name}_hi"]
                if nn == 0:
                    assert val is None
                    continue
                wl, wh = proportion_confint(kk, nn, alpha=0.05, method="wilson")
                assert close(val, kk / nn, 1e-15, 1e-15), (ctx, x, name)
                assert close(lo, wl, 1e-11, 1e-13) and close(hi, wh, 1e-11, 1e-13), (ctx, x, name, lo, wl, hi, wh)
                r[name] = (kk / nn, lo, hi)
            rates[x] = r
        sel = {x: rates[x]["selection"] for x in big}
        hi_g = max(big, key=lambda x: sel[x][0])
        lo_g = min(big, key=lambda x: sel[x][0])
        dpd = sel[hi_g][0] - sel[lo_g][0]
        par = fair["parity"]
        assert close(par["demographic_parity_difference"], dpd, 1e-14, 1e-15), ctx
        nl, nh = mover(*sel[hi_g], *sel[lo_g])
        assert close(par["lo"], nl, 1e-10, 1e-13) and close(par["hi"], nh, 1e-10, 1e-13), (ctx, par, nl, nh)
        assert close(par["demographic_parity_ratio"], sel[lo_g][0] / sel[hi_g][0], 1e-14), ctx

        def rng_of(key):
            v = [rates[x][key][0] for x in big if key in rates[x]]
            return max(v) - min(v) if len(v) >= 2 else math.nan
        eod = max(rng_of("tpr"), rng_of("fpr"))
        assert close(par["equalized_odds_difference"], eod, 1e-14, 1e-15), (ctx, par, eod)
        checked += 1
    TALLIES["fairness datasets checked against pandas"] += checked


def test_fairness_usage(vernier, tmp_path):
    path = write_csv(tmp_path / "u.csv", {"y": [1.0, 2.0, 3.0, 4.0], "yhat": [1.0, 2.5, 2.0, 4.0],
                                          "g": ["a", "b", "a", "b"]})
    base = ["eval", path, "-y", "y", "-p", "yhat"]
    assert vernier.run(base + ["--sensitive", "g", "--by", "g"]).returncode == 2
    assert vernier.run(base + ["--threshold", "2"]).returncode == 2
    assert vernier.run(base + ["--sensitive", "nope"]).returncode == 3
    p = vernier.run(base + ["--sensitive", "g", "--format", "csv"])
    assert p.returncode == 0 and p.stdout.startswith("metric,groups,worst,"), p.stdout
