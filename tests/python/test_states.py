"""Accumulator: streaming updates, merges and the versioned byte form shared with the C
API and the CLI. The oracle is the evaluation of all rows at once: counts, extremes and
exact quantiles must be bit-identical after any split and merge; compensated sums to
1e-12 relative (their blocks are grouped differently)."""
import json
import pickle
import struct

import numpy as np
import pandas as pd
import pytest

import vernier

EXACT = {"count", "max_error", "medae", "p95_abs_error", "p99_abs_error"}


def assert_same(whole, merged):
    assert whole.slices == merged.slices
    for s in whole.slices:
        assert whole.rows(s) == merged.rows(s)
        for k in whole.metrics:
            a, b = whole.value(k, s), merged.value(k, s)
            if np.isnan(a):
                assert np.isnan(b) and whole.reason(k, s) == merged.reason(k, s)
            elif k in EXACT:
                assert a == b, (k, s, a, b)
            else:
                assert b == pytest.approx(a, rel=1e-12, abs=1e-15), (k, s, a, b)


@pytest.mark.parametrize("seed", range(6))
def test_random_splits_merge_to_the_whole(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1000, 30000))
    y = np.round(rng.gamma(2, 20, n), 1)
    p = np.round(y + rng.normal(0, 5, n), 1)
    w = rng.integers(0, 4, n).astype(float) if seed % 2 else None
    g = rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.19, 0.01])
    whole = vernier.evaluate(y, p, sample_weight=w, by={"g": g})
    k = int(rng.integers(1, 9))
    cuts = np.sort(rng.choice(np.arange(1, n), k - 1, replace=False)) if k > 1 else []
    accs = []
    for ix in np.split(np.arange(n), cuts):
        a = vernier.Accumulator(by_names=["g"])
        for chunk in np.array_split(ix, int(rng.integers(1, 4))):  # several updates
            a.update(y[chunk], p[chunk], None if w is None else w[chunk], by={"g": g[chunk]})
        accs.append(a)
    merged = accs[0]
    for a in accs[1:]:
        merged.merge(pickle.loads(pickle.dumps(a)) if seed % 3 == 0 else a)
    assert_same(whole, merged.result())
    # result() leaves the accumulator usable, and bytes round-trip
    again = vernier.Accumulator.from_bytes(merged.to_bytes())
    assert_same(whole, again.result())
    assert_same(whole, merged.result())


def test_moments_only_states_are_small():
    a = vernier.Accumulator("mae,rmse,mean_error,r2")
    a.update(np.arange(100000.0), np.arange(100000.0) + 1)
    assert len(a.to_bytes()) < 2000  # no rows: the sums only
    b = vernier.Accumulator("mae,p95_abs_error")
    b.update(np.arange(1000.0), np.arange(1000.0) + 1)
    assert len(b.to_bytes()) > 24 * 1000  # exact quantiles keep the rows


def test_mismatched_states_do_not_merge():
    a, b = vernier.Accumulator("mae"), vernier.Accumulator("rmse")
    with pytest.raises(ValueError, match="metric 1 is mae here and rmse there"):
        a.merge(b)
    c = vernier.Accumulator("mae", by_names=["g"])
    with pytest.raises(ValueError, match="by columns"):
        a.merge(c)
    with pytest.raises(ValueError, match="policies"):
        a.merge(vernier.Accumulator("mae", zero="eps"))
    with pytest.raises(ValueError, match="itself"):
        a.merge(a)


def test_bad_bytes_are_refused_with_a_message():
    a = vernier.Accumulator("mae,medae")
    a.update(np.arange(50.0), np.arange(50.0) * 1.1)
    blob = a.to_bytes()
    newer = blob[:8] + struct.pack("<Q", vernier.STATE_FORMAT + 1) + blob[16:]
    with pytest.raises(ValueError, match="newer than this vernier reads"):
        vernier.Accumulator.from_bytes(newer)
    older = blob[:8] + struct.pack("<Q", 0) + blob[16:]
    with pytest.raises(ValueError, match="older than this vernier reads"):
        vernier.Accumulator.from_bytes(older)
    with pytest.raises(ValueError, match="not a vernier evaluation state"):
        vernier.Accumulator.from_bytes(b"PK\x03\x04" + blob[4:])
    for cut in (0, 10, 100, len(blob) - 1):
        with pytest.raises(ValueError):
            vernier.Accumulator.from_bytes(blob[:cut])
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x40
    with pytest.raises(ValueError, match="hash"):
        vernier.Accumulator.from_bytes(bytes(flipped))


def test_cli_reads_python_states_and_python_reads_cli_states(cli, tmp_path):
    rng = np.random.default_rng(9)
    n = 5000
    df = pd.DataFrame({"y": np.round(rng.normal(50, 10, n), 2), "g": rng.choice(["x", "y"], n)})
    df["p"] = np.round(df.y + rng.normal(0, 2, n), 2)
    df.to_csv(tmp_path / "all.csv", index=False)
    df.iloc[:2000].to_csv(tmp_path / "a.csv", index=False)
    whole = json.loads(cli("eval", tmp_path / "all.csv", "-y", "y", "-p", "p", "--by", "g",
                           "--format", "json").stdout)
    # Python writes the first part's state, the CLI the second's; each side merges both
    acc = vernier.Accumulator(by_names=["g"])
    acc.update(df.y.iloc[:2000], df.p.iloc[:2000], by={"g": df.g.iloc[:2000]})
    (tmp_path / "a.state").write_bytes(acc.to_bytes())
    df.iloc[2000:].to_csv(tmp_path / "b.csv", index=False)
    cli("eval", tmp_path / "b.csv", "-y", "y", "-p", "p", "--by", "g", "--save-state",
        tmp_path / "b.state")
    merged = json.loads(cli("eval", "--from-states", tmp_path / "a.state", tmp_path / "b.state",
                            "--format", "json").stdout)
    assert merged["slices"] == whole["slices"] and merged["notes"] == whole["notes"]
    py = vernier.Accumulator.from_bytes((tmp_path / "a.state").read_bytes())
    py.merge(vernier.Accumulator.from_bytes((tmp_path / "b.state").read_bytes()))
    assert py.result().to_dict()["slices"] == whole["slices"]
    bad = cli("eval", "--from-states", tmp_path / "a.csv", check=False)
    assert bad.returncode == 3 and "not a vernier evaluation state" in bad.stderr


@pytest.mark.parametrize("seed", range(3))
def test_sketch_states_merge_bit_for_bit(seed):
    """quantiles='sketch': any split, merged (through pickle too), gives the sketch of the
    whole, so the same quantiles; each within 2^-8 of numpy's exact one."""
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5000, 50000))
    y = rng.gamma(2, 20, n)
    p = y + rng.standard_t(3, n) * 4
    m = "medae,p90_abs_error,p99_abs_error"
    whole = vernier.evaluate(y, p, metrics=m, quantiles="sketch")
    parts = np.array_split(rng.permutation(n), int(rng.integers(2, 7)))
    accs = []
    for ix in parts:
        a = vernier.Accumulator(m, quantiles="sketch")
        a.update(y[ix], p[ix])
        accs.append(pickle.loads(pickle.dumps(a)))
    merged = accs[0]
    for a in accs[1:]:
        merged.merge(a)
    ae = np.abs(p - y)
    for k, q in (("medae", 50), ("p90_abs_error", 90), ("p99_abs_error", 99)):
        assert merged.result().value(k) == whole.value(k)
        exact = np.percentile(ae, q)
        assert abs(whole.value(k) - exact) <= exact * 2.0 ** -8
    with pytest.raises(ValueError):
        vernier.Accumulator(m, quantiles="approximate")


# Expression metrics over y, yhat, e and w travel in the byte form: the metric list in
# the state carries their definitions (direction and unit included), and their sums are
# slot sums. Oracle: numpy on the whole data; the merged parts against the whole.
EXPR = ("mae,cost[higher,unit=USD]=mean(if(y > yhat, 3 * (y - yhat), yhat - y)),"
        "share=sum(abs(e)) / sum(abs(y)),q90=quantile(abs(e), 0.9)")


@pytest.mark.parametrize("seed", range(3))
def test_expression_states_round_trip(seed, cli, tmp_path):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2000, 20000))
    y = np.round(rng.gamma(2, 20, n), 1)
    p = np.round(y + rng.normal(0, 5, n), 1)
    w = rng.integers(1, 4, n).astype(float) if seed % 2 else None
    whole = vernier.evaluate(y, p, sample_weight=w, metrics=EXPR)
    ww = np.ones(n) if w is None else w
    cost = np.where(y > p, 3 * (y - p), p - y)
    assert whole.value("cost") == pytest.approx(np.sum(ww * cost) / np.sum(ww), rel=1e-12)
    assert whole.value("share") == pytest.approx(
        np.sum(ww * np.abs(p - y)) / np.sum(ww * np.abs(y)), rel=1e-12)
    cuts = np.sort(rng.choice(np.arange(1, n), 3, replace=False))
    parts = []
    for ix in np.split(np.arange(n), cuts):
        a = vernier.Accumulator(EXPR)
        a.update(y[ix], p[ix], None if w is None else w[ix])
        parts.append(vernier.Accumulator.from_bytes(a.to_bytes()))
    merged = pickle.loads(pickle.dumps(parts[0]))
    for a in parts[1:]:
        merged.merge(a)
    r = merged.result()
    for k in ("cost", "share", "q90", "mae"):
        assert r.value(k) == pytest.approx(whole.value(k), rel=1e-12), k
    info = {m["key"]: m for m in r.to_dict()["metrics"]}
    assert info["cost"]["direction"] == "higher" and info["cost"]["unit"] == "USD"
    # the CLI reads the states Python wrote and gives the same values
    paths = []
    for i, a in enumerate(parts):
        paths.append(tmp_path / f"{i}.state")
        paths[-1].write_bytes(a.to_bytes())
    doc = json.loads(cli("eval", "--from-states", *paths, "--format", "json").stdout)
    got = doc["slices"][0]["values"]
    for k in ("cost", "share", "q90", "mae"):
        assert got[k]["value"] == pytest.approx(whole.value(k), rel=1e-12), k


def test_expression_over_a_column_has_no_byte_form():
    acc = vernier.Accumulator("mae,c=mean(abs(e) * price)")
    acc.update(np.array([1.0, 2.0]), np.array([1.5, 2.5]), columns={"price": np.array([2.0, 3.0])})
    with pytest.raises(ValueError, match=r"input column \"price\": metrics over input columns "
                                         r"have no byte form in state format 1"):
        acc.to_bytes()

