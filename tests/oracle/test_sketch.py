"""--quantiles sketch: quantiles of |e| from a mergeable sketch (src/sketch.c).

Oracle: numpy on the same |e| — np.percentile (linear, numpy's default) unweighted, and a
sort-and-cumsum averaged inverted CDF weighted. The contract checked:
* every sketched quantile is within 2^-8 (0.39 %) of the exact one, relative to it;
* the note's rank error r bounds the rows strictly between the sketched value and the
  exact order statistic: at most r * n of them;
* q = 1 is the exact maximum; |e| = 0 has a bucket of its own, so exact zeros stay 0;
* states saved with a sketch merge to the sketch of all rows: the same values, bit for
  bit, as evaluating the whole file.
"""
import json
import re

import numpy as np
import pytest

from conftest import write_csv

LEVELS = [0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]
METRICS = ",".join(["medae"] + [f"abs_error_quantile:q={q}" for q in LEVELS])
REL = 2.0 ** -8


def weighted_aicdf(x, w, q):
    """The averaged inverted CDF of (x, w) at q (numpy's method for integer weights)."""
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    c = np.cumsum(w)
    t = q * c[-1]
    i = int(np.searchsorted(c, t, side="left"))
    i = min(i, len(x) - 1)
    if c[i] == t and i + 1 < len(x) and q > 0:
        return x[i] + (x[i + 1] - x[i]) / 2
    return x[i]


def datasets(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2000, 60000))
    y = np.round(rng.gamma(2.0, 30.0, n), 2)
    kind = seed % 4
    if kind == 0:
        e = rng.normal(0, 5, n)
    elif kind == 1:
        e = rng.standard_t(2, n) * 3            # heavy tails
    elif kind == 2:
        e = np.round(rng.normal(0, 2, n))        # ties, a third exact zeros
    else:
        e = rng.lognormal(0, 3, n) * rng.choice([-1, 1], n)  # many binades
    p = y + e
    w = rng.integers(1, 5, n).astype(float) if seed % 2 else None
    return y, p, w


def exact_quantile(ae, w, q):
    return weighted_aicdf(ae, w, q) if w is not None else float(np.percentile(ae, 100 * q))


def sketch_note(res):
    for n in res.doc.get("notes", []):
        if n["code"] == "quantile_sketch":
            m = re.search(r"at most ([0-9.e+-]+) of the rows", n["message"])
            return float(m.group(1))
    return None


@pytest.mark.parametrize("seed", range(8))
def test_sketch_within_its_bounds(vernier, seed):
    y, p, w = datasets(seed)
    res = vernier.eval(y, p, w=w, metrics=METRICS, flags=["--quantiles", "sketch"])
    exact = vernier.eval(y, p, w=w, metrics=METRICS)
    ae = np.abs(p - y)
    r = sketch_note(res)
    assert r is not None and 0 <= r <= 1, res.doc.get("notes")
    n = len(ae)
    for key in res.keys:
        q = 0.5 if key == "medae" else float(key.split("=")[1])
        got = res.values()[key]["value"]
        want = exact_quantile(ae, w, q)
        # the CLI's exact mode is the same oracle value (a check on the oracle itself)
        assert exact.values()[key]["value"] == pytest.approx(want, rel=1e-12, abs=1e-300)
        assert abs(got - want) <= REL * abs(want) + 1e-300, (key, got, want)
        if q == 1.0:
            assert got == ae.max()
        if want == 0.0:
            assert got == 0.0
        if w is None:  # rows strictly between the sketched and the exact value
            lo, hi = min(got, want), max(got, want)
            between = int(np.count_nonzero((ae > lo) & (ae < hi)))
            assert between <= r * n + 1, (key, between, r * n)


def test_sketch_by_slice_and_states_merge_exactly(vernier, tmp_path):
    rng = np.random.default_rng(7)
    n = 30000
    y = rng.gamma(2.0, 10.0, n)
    p = y + rng.standard_t(3, n)
    g = rng.choice(["a", "b", "c"], n)
    whole = write_csv(tmp_path / "whole.csv", {"y": y, "yhat": p, "g": list(g)})
    flags = ["-m", METRICS, "--quantiles", "sketch", "--by", "g", "--format", "json"]
    full = vernier.run(["eval", whole, "-y", "y", "-p", "yhat"] + flags)
    assert full.returncode == 0, full.stderr
    states = []
    for i, ix in enumerate(np.array_split(np.arange(n), 4)):
        part = write_csv(tmp_path / f"part{i}.csv", {"y": y[ix], "yhat": p[ix], "g": list(g[ix])})
        st = tmp_path / f"part{i}.state"
        r = vernier.run(["eval", part, "-y", "y", "-p", "yhat", "--save-state", st] + flags)
        assert r.returncode == 0, r.stderr
        states.append(st)
    merged = vernier.run(["eval", "--from-states"] + states + ["--format", "json"])
    assert merged.returncode == 0, merged.stderr
    a, b = json.loads(full.stdout), json.loads(merged.stdout)
    for sa, sb in zip(a["slices"], b["slices"]):
        for key in sa["values"]:
            assert sa["values"][key]["value"] == sb["values"][key]["value"], key
    # and each slice is within the bound of its own exact quantiles
    for s in a["slices"][1:]:
        m = g == s["by"]["g"]
        ae = np.abs(p[m] - y[m])
        for key, v in s["values"].items():
            q = 0.5 if key == "medae" else float(key.split("=")[1])
            want = float(np.percentile(ae, 100 * q))
            assert abs(v["value"] - want) <= REL * want, (s["by"], key)


def test_sketch_refused_where_rows_are_kept_anyway(vernier):
    """Intervals keep the rows: the quantiles are then exact, and no sketch note."""
    rng = np.random.default_rng(3)
    y = rng.normal(10, 2, 3000)
    p = y + rng.normal(0, 1, 3000)
    res = vernier.eval(y, p, metrics="medae", flags=["--quantiles", "sketch", "--ci",
                                                     "--resamples", "50"])
    assert sketch_note(res) is None
    assert res.values()["medae"]["value"] == float(np.median(np.abs(p - y)))


def test_bad_quantiles_mode_is_a_usage_error(vernier):
    r = vernier.run(["eval", "x.csv", "-y", "y", "-p", "yhat", "--quantiles", "approx"])
    assert r.returncode == 2
    assert "--quantiles takes exact or sketch" in r.stderr
