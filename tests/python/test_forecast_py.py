"""The forecasting options of `vernier eval` from Python (issue 9): series= (one slice per
series, the overall mase/rmsse/mda the unweighted mean over series, M4), horizon= (slices
in numeric order, before the by columns), and train= (the seasonal-naive scale from
training data: a CSV file, one array, or a dict per series). Every value is checked
against numpy: MASE = mean|e| / mean|y_t - y_{t-m}|, RMSSE = sqrt(mean e^2 / mean
(y_t - y_{t-m})^2), the naive differences over the training series when given, else over
the evaluated series (Hyndman & Koehler 2006; docs/forecasting.md)."""
from pathlib import Path

import numpy as np
import pytest

import vernier


def panel(seed=0, nseries=6):
    """Series of different lengths, rows interleaved at random but in time order within
    each series; labels str."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 60, nseries)
    series = np.concatenate([[f"s{k}"] * n for k, n in enumerate(lengths)])
    y = np.concatenate([np.cumsum(rng.normal(0, 1 + k, n)) + 10 * k
                        for k, n in enumerate(lengths)])
    # interleave, keeping time order within each series: sorted random keys per series
    keys = np.empty(series.size)
    at = 0
    for n in lengths:
        keys[at:at + n] = np.sort(rng.random(n))
        at += n
    order = np.argsort(keys, kind="stable")
    series, y = series[order], y[order]
    p = y + rng.normal(0, 1.5, y.size)
    return series, y, p


def naive(y, m, k):
    y = np.asarray(y, dtype=float)
    d = y[m:] - y[:-m]
    return np.mean(np.abs(d)) if k == 1 else np.mean(d * d)


def mase(y, p, m=1, train=None):
    return np.mean(np.abs(p - y)) / naive(y if train is None else train, m, 1)


def rmsse(y, p, m=1, train=None):
    return np.sqrt(np.mean((p - y) ** 2) / naive(y if train is None else train, m, 2))


def mda(y, p):
    return np.mean(np.sign(y[1:] - y[:-1]) == np.sign(p[1:] - y[:-1]))


def test_series_pooled_as_the_mean_over_series():
    pd = pytest.importorskip("pandas")
    series, y, p = panel(1)
    s = pd.Series(series, name="item")
    r = vernier.evaluate(y, p, metrics="mae,mase,rmsse,mda,mase:m=2", series=s)
    labels = list(dict.fromkeys(series))
    assert r.slices == ["overall"] + [f"item={k}" for k in labels]
    per = {k: (y[series == k], p[series == k]) for k in labels}
    for k, (ys, ps) in per.items():
        assert r.value("mase", k) == pytest.approx(mase(ys, ps), rel=1e-12)
        assert r.value("rmsse", k) == pytest.approx(rmsse(ys, ps), rel=1e-12)
        assert r.value("mda", k) == pytest.approx(mda(ys, ps), rel=1e-12)
        assert r.value("mase:m=2", k) == pytest.approx(mase(ys, ps, 2), rel=1e-12)
    assert r["mase"] == pytest.approx(np.mean([mase(*v) for v in per.values()]), rel=1e-12)
    assert r["rmsse"] == pytest.approx(np.mean([rmsse(*v) for v in per.values()]), rel=1e-12)
    assert r["mda"] == pytest.approx(np.mean([mda(*v) for v in per.values()]), rel=1e-12)
    assert r["mase:m=2"] == pytest.approx(np.mean([mase(*v, 2) for v in per.values()]),
                                          rel=1e-12)
    assert r["mae"] == pytest.approx(np.mean(np.abs(p - y)), rel=1e-12)  # over all rows
    assert any(n["code"] == "series_pooled" for n in r.notes)
    # by= gives the same slices but the overall row treats the rows as one series
    b = vernier.evaluate(y, p, metrics="mase", by=s)
    assert b["mase"] == pytest.approx(mase(y, p), rel=1e-12)


def test_horizon_slices_in_numeric_order():
    rng = np.random.default_rng(2)
    h = rng.integers(1, 11, 500)
    y = rng.normal(size=500)
    p = y + rng.normal(0, 1, 500) * h / 5
    r = vernier.evaluate(y, p, metrics="mae", horizon=h)
    assert r.slices == ["overall"] + [f"horizon={k}" for k in range(1, 11)]
    for k in range(1, 11):
        assert r.value("mae", str(k)) == pytest.approx(np.mean(np.abs(p - y)[h == k]),
                                                       rel=1e-12)
    # labels as text, and combined with by: the horizon comes first
    region = np.where(rng.random(500) < 0.5, "north", "south")
    r = vernier.evaluate(y, p, metrics="mae", horizon=h.astype(str), by={"region": region})
    assert r.to_dict()["by"] == ["horizon", "region"]
    hs = [s.split(",")[0] for s in r.slices[1:]]
    assert hs == sorted(hs, key=lambda s: int(s.split("=")[1]))
    assert r.value("mae", ("10", "south")) == pytest.approx(
        np.mean(np.abs(p - y)[(h == 10) & (region == "south")]), rel=1e-12)


def test_train_dict_per_series():
    series, y, p = panel(3)
    rng = np.random.default_rng(3)
    labels = list(dict.fromkeys(series))
    train = {k: np.cumsum(rng.normal(0, 2, 30)) for k in labels[:-1]}  # the last: absent
    r = vernier.evaluate(y, p, metrics="mase,rmsse", series=series, train=train)
    for k in labels[:-1]:
        ys, ps = y[series == k], p[series == k]
        assert r.value("mase", k) == pytest.approx(mase(ys, ps, train=train[k]), rel=1e-12)
        assert r.value("rmsse", k) == pytest.approx(rmsse(ys, ps, train=train[k]), rel=1e-12)
    assert r.reason("mase", labels[-1]) == "no_training"
    want = np.mean([mase(y[series == k], p[series == k], train=train[k]) for k in labels[:-1]])
    assert r["mase"] == pytest.approx(want, rel=1e-12)


def test_train_dict_with_numeric_labels():
    series = np.array([1, 2, 1, 2, 1, 2])
    y = np.array([3.0, 10, 5, 12, 4, 11])
    p = np.array([4.0, 11, 4, 12, 6, 13])
    r = vernier.evaluate(y, p, metrics="mase", series=series,
                         train={1: [1.0, 2.0], np.int64(2): [10.0, 14.0]})
    assert r.value("mase", "1") == pytest.approx(mase(y[::2], p[::2], train=[1.0, 2.0]))
    assert r.value("mase", "2") == pytest.approx(mase(y[1::2], p[1::2], train=[10.0, 14.0]))


def test_train_one_array_serves_every_slice():
    rng = np.random.default_rng(4)
    h = rng.integers(1, 4, 300)
    y = np.cumsum(rng.normal(size=300))
    p = y + rng.normal(0, 1, 300)
    train = np.cumsum(rng.normal(0, 3, 200))[::2]  # a strided view
    r = vernier.evaluate(y, p, metrics="mae,mase,rmsse", horizon=h, train=train)
    for k in (1, 2, 3):
        ys, ps = y[h == k], p[h == k]
        assert r.value("mase", k) == pytest.approx(mase(ys, ps, train=train), rel=1e-12)
        assert r.value("rmsse", k) == pytest.approx(rmsse(ys, ps, train=train), rel=1e-12)
    assert r["mase"] == pytest.approx(mase(y, p, train=train), rel=1e-12)
    # without any slices, and as a list of ints
    r = vernier.evaluate(y, p, metrics="mase", train=[1, 3, 2, 6])  # |d| = 2, 1, 4
    assert r["mase"] == pytest.approx(np.mean(np.abs(p - y)) / (7 / 3), rel=1e-12)


def test_train_csv_file(tmp_path):
    pd = pytest.importorskip("pandas")
    series, y, p = panel(5, nseries=4)
    rng = np.random.default_rng(5)
    labels = list(dict.fromkeys(series))
    train = {k: np.cumsum(rng.normal(0, 2, 25)) for k in labels}
    rows = [(t, k, v) for k in labels for t, v in enumerate(train[k])]
    rows = [rows[i] for i in rng.permutation(len(rows))]  # shuffled; the time column orders
    f = tmp_path / "train.csv"
    f.write_text("week,item,sales\n" + "".join(f"{t},{k},{v!r}\n" for t, k, v in rows))
    s = pd.Series(series, name="item")
    r = vernier.evaluate(y, p, metrics="mase,rmsse", series=s, train=f, train_y="sales",
                         train_time="week")
    for k in labels:
        ys, ps = y[series == k], p[series == k]
        assert r.value("mase", k) == pytest.approx(mase(ys, ps, train=train[k]), rel=1e-12)
    assert r["rmsse"] == pytest.approx(
        np.mean([rmsse(y[series == k], p[series == k], train=train[k]) for k in labels]),
        rel=1e-12)
    # the same from the dict: bit for bit
    d = vernier.evaluate(y, p, metrics="mase,rmsse", series=s, train=train)
    assert d["mase"] == r["mase"] and d["rmsse"] == r["rmsse"]
    # a series given as an array: the file's column named with train_series=
    r2 = vernier.evaluate(y, p, metrics="mase", series=series, train=str(f), train_y="sales",
                          train_time="week", train_series="item")
    assert r2["mase"] == r["mase"]
    # without series: the file is one series, in file order: |d| = 3, 2
    g = tmp_path / "one.csv"
    g.write_text("y\n1\n4\n2\n")
    r3 = vernier.evaluate(y, p, metrics="mase", train=Path(g))
    assert r3["mase"] == pytest.approx(np.mean(np.abs(p - y)) / 2.5, rel=1e-12)
    with pytest.raises(OSError):
        vernier.evaluate(y, p, metrics="mase", train=tmp_path / "absent.csv")
    with pytest.raises(ValueError, match='training y.*"nope"'):
        vernier.evaluate(y, p, metrics="mase", train=g, train_y="nope")


def test_errors_as_the_cli():
    series, y, p = panel(6, nseries=2)
    h = np.arange(y.size) % 3 + 1
    with pytest.raises(ValueError, match=r"^series= with by= is not supported yet$"):
        vernier.evaluate(y, p, metrics="mase", series=series, by=series)
    with pytest.raises(ValueError, match=r"series= with horizon= is not supported yet: "
                                         r"evaluate per series, or per horizon"):
        vernier.evaluate(y, p, metrics="mase", series=series, horizon=h)
    with pytest.raises(ValueError, match=r"train= as a dict .* needs series="):
        vernier.evaluate(y, p, metrics="mase", train={"s0": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"train= as one array is one training series"):
        vernier.evaluate(y, p, metrics="mase", series=series, train=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"series= has no name: name the file's series "
                                         r"column with train_series="):
        vernier.evaluate(y, p, metrics="mase", series=series, train="train.csv")
    with pytest.raises(ValueError, match=r"train_y, train_time and train_series name columns"):
        vernier.evaluate(y, p, metrics="mase", train_y="sales")
    with pytest.raises(ValueError, match=r'series "s0": value 2 is not finite'):
        vernier.evaluate(y, p, metrics="mase", series=series,
                         train={"s0": [1.0, np.nan]})
    with pytest.raises(ValueError, match=r"by 'series': 3 labels for"):
        vernier.evaluate(y, p, metrics="mase", series=["a", "b", "c"])
