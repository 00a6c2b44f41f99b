"""
Oracle: forecasting scores — mase, rmsse, mda — on series in time order, per slice.

References:
  * a worked MASE example computed by hand from Hyndman & Athanasopoulos, "Forecasting:
    Principles and Practice" (3rd ed.), section 5.8: q_j = e_j / ((1/(T-m)) sum_{t>m}
    |y_t - y_{t-m}|), MASE = mean |q_j|; RMSSE with squared errors and a squared scale;
  * numpy re-implementations of the same definitions on randomized series, per slice
    (--by), with rows shuffled in the file and put back in order by --time-col;
  * mda from its definition (share of t >= 2 with sign(y_t - y_{t-1}) = sign(yhat_t -
    y_{t-1})).
  * several series (--series): per-series values and the pooled overall value (the
    unweighted mean of the per-series values, M4's convention), with the scale from the
    evaluated series or from a training file (--train), re-implemented in numpy on random
    series whose rows are shuffled in both files; a two-series example by hand;
  * horizons (--horizon): slices listed in numeric order, values per horizon;
  * the same in a spec (data.series, data.horizon, data.train) under `vernier check`: the
    gate values against numpy's M4 pooling, thresholds just above and just below, the
    values bit for bit those of `vernier eval`, a baseline file, and the errors.
The JSON message states where the scale came from and how the overall value was pooled.
"""
import numpy as np
import pytest

from conftest import record, write_csv


def value(res, key, i=0):
    return res.values(i)[key]


def test_mase_worked_example(vernier):
    # y = 3, 5, 4, 8, 6, yhat = 4, 4, 6, 7, 6 (m = 1):
    #   naive errors |y_t - y_{t-1}|: 2, 1, 4, 2 -> scale = 9/4
    #   |e| = 1, 1, 2, 1, 0 -> mae = 5/5 = 1 -> MASE = 1 / (9/4) = 4/9
    #   e^2 = 1, 1, 4, 1, 0 -> mse = 7/5; naive^2 = 4, 1, 16, 4 -> 25/4
    #   RMSSE = sqrt((7/5) / (25/4)) = sqrt(28/125)
    # seasonal m = 2: |y_t - y_{t-2}|: |4-3|, |8-5|, |6-4| = 1, 3, 2 -> scale 2 -> MASE 1/2
    # mda: t = 2..5: sign(y_t - y_{t-1}) = +, -, +, -; sign(yhat_t - y_{t-1}) =
    #   sign(4-3)=+, sign(6-5)=+, sign(7-4)=+, sign(6-8)=-  -> 3 of 4 = 0.75
    y = [3.0, 5.0, 4.0, 8.0, 6.0]
    p = [4.0, 4.0, 6.0, 7.0, 6.0]
    res = vernier.eval(y, p, metrics="mase,rmsse,mase:m=2,mda")
    assert value(res, "mase")["value"] == pytest.approx(4 / 9, rel=1e-15)
    assert value(res, "rmsse")["value"] == pytest.approx((28 / 125) ** 0.5, rel=1e-15)
    assert value(res, "mase:m=2")["value"] == pytest.approx(0.5, rel=1e-15)
    assert value(res, "mda")["value"] == 0.75
    assert "scale from the evaluated series" in value(res, "mase")["message"]
    for k in ("mase", "rmsse", "mda"):
        record(k)


def naive_scale(y, m, k):
    d = y[m:] - y[:-m]
    return np.mean(np.abs(d) if k == 1 else d * d)


@pytest.mark.parametrize("seed", range(6))
def test_random_series_per_slice_in_time_order(vernier, tmp_path, seed):
    rng = np.random.default_rng(50 + seed)
    nser = 4
    lens = rng.integers(3, 60, nser)
    rows = []
    for s in range(nser):
        y = np.cumsum(rng.normal(0, 1, lens[s])) + 10
        p = y + rng.normal(0, 0.7, lens[s])
        for t in range(lens[s]):
            rows.append((f"s{s}", t, y[t], p[t]))
    perm = rng.permutation(len(rows))
    rows = [rows[i] for i in perm]
    path = write_csv(tmp_path / f"ser{seed}.csv", {
        "series": [r[0] for r in rows], "t": [float(r[1]) for r in rows],
        "y": [r[2] for r in rows], "yhat": [r[3] for r in rows]})
    m = int(rng.integers(1, 3))
    res = vernier.eval_file(path, metrics=f"mase:m={m},rmsse:m={m},mda",
                            flags=["--by", "series", "--time-col", "t"])
    for s in res.doc["slices"][1:]:
        name = s["by"]["series"]
        sel = sorted((r for r in rows if r[0] == name), key=lambda r: r[1])
        y = np.array([r[2] for r in sel])
        p = np.array([r[3] for r in sel])
        e = p - y
        mase = np.mean(np.abs(e)) / naive_scale(y, m, 1)
        rmsse = np.sqrt(np.mean(e * e) / naive_scale(y, m, 2))
        mda = np.mean(np.sign(y[1:] - y[:-1]) == np.sign(p[1:] - y[:-1]))
        v = s["values"]
        assert v[f"mase:m={m}"]["value"] == pytest.approx(mase, rel=1e-12)
        assert v[f"rmsse:m={m}"]["value"] == pytest.approx(rmsse, rel=1e-12)
        assert v["mda"]["value"] == pytest.approx(mda, rel=1e-15)
        record("mase")


def test_zero_scale_and_short_series(vernier):
    # a constant series has a zero naive error: MASE is undefined, with the reason
    res = vernier.eval([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], metrics="mase,rmsse")
    for k in ("mase", "rmsse"):
        v = value(res, k)
        assert v["value"] is None and v["reason"] == "zero_denominator", v
        assert "seasonal-naive error" in v["message"]
    # a series with one row: no naive error at all
    one = vernier.eval([2.0], [1.0], metrics="mase,mda")
    assert value(one, "mase")["reason"] == "too_few_rows"
    assert value(one, "mda")["reason"] == "too_few_rows"
    # m >= n
    res = vernier.eval([1.0, 2.0, 4.0], [1.0, 2.0, 3.0], metrics="mase:m=3")
    assert value(res, "mase:m=3")["reason"] == "too_few_rows"


# ---------------------------------------------------------------------------------------
# several series, horizons and training scales
# ---------------------------------------------------------------------------------------
TWO = {  # rows shuffled; time column t
    "item": ["a", "b", "a", "a", "b", "b", "a", "a"],
    "t": [3.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0],
    "y": [4.0, 10.0, 3.0, 5.0, 12.0, 11.0, 8.0, 6.0],
    "yhat": [6.0, 11.0, 4.0, 4.0, 12.0, 13.0, 7.0, 6.0],
}


def test_two_series_by_hand(vernier, tmp_path):
    # In time order: a: y = 3, 5, 4, 8, 6, yhat = 4, 4, 6, 7, 6 (the worked example above:
    #   MASE_a = 1 / (9/4) = 4/9, RMSSE_a = sqrt((7/5) / (25/4)) = sqrt(28/125), mda 3/4);
    #   b: y = 10, 12, 11, yhat = 11, 12, 13: |e| = 1, 0, 2 -> mae 1, e^2 -> mse 5/3;
    #   naive |dy| = 2, 1 -> scale 3/2 -> MASE_b = 2/3; dy^2 = 4, 1 -> 5/2 ->
    #   RMSSE_b = sqrt((5/3) / (5/2)) = sqrt(2/3); mda_b: sign(12-10) = +, sign(12-10) = +;
    #   sign(11-12) = -, sign(13-12) = + -> 1/2.
    # Pooled (M4: unweighted mean of the series' values): MASE = (4/9 + 2/3) / 2 = 5/9,
    #   RMSSE = (sqrt(28/125) + sqrt(2/3)) / 2, mda = (3/4 + 1/2) / 2 = 5/8.
    # One scale over all 8 rows mixed (what --by item gives overall) would be wrong:
    #   it takes |y_t - y_{t-1}| across the two series.
    # Training file: a: 1, 2 (time order) -> scale 1 (both k); b: 10, 14 -> scale 4 (k=1),
    #   16 (k=2): MASE_a = 1, MASE_b = 1/4, pooled 5/8; RMSSE_a = sqrt(7/5),
    #   RMSSE_b = sqrt((5/3) / 16).
    path = write_csv(tmp_path / "two.csv", TWO)
    res = vernier.eval_file(path, metrics="mase,rmsse,mda",
                            flags=["--series", "item", "--time", "t"], keep=True)
    a, b = res.slice_by_labels(item="a")["values"], res.slice_by_labels(item="b")["values"]
    o = res.values(0)
    assert a["mase"]["value"] == pytest.approx(4 / 9, rel=1e-15)
    assert b["mase"]["value"] == pytest.approx(2 / 3, rel=1e-15)
    assert b["rmsse"]["value"] == pytest.approx((2 / 3) ** 0.5, rel=1e-15)
    assert b["mda"]["value"] == 0.5
    assert o["mase"]["value"] == pytest.approx(5 / 9, rel=1e-15)
    assert o["rmsse"]["value"] == pytest.approx(((28 / 125) ** 0.5 + (2 / 3) ** 0.5) / 2, rel=1e-15)
    assert o["mda"]["value"] == 0.625
    for k in ("mase", "rmsse"):
        assert "unweighted mean of 2 per-series values (M4 convention)" in o[k]["message"]
        assert "scale from the evaluated series" in o[k]["message"]
    # --min-count 4: b (3 rows) is n/a (min_count) and left out of the pooled mean
    small = vernier.eval_file(path, metrics="mase", keep=True,
                              flags=["--series", "item", "--time", "t", "--min-count", "4"])
    assert small.slice_by_labels(item="b")["values"]["mase"]["reason"] == "min_count"
    assert small.values(0)["mase"]["value"] == pytest.approx(4 / 9, rel=1e-15)
    assert "1 undefined series left out" in small.values(0)["mase"]["message"]
    mixed = vernier.eval_file(path, metrics="mase", flags=["--by", "item", "--time", "t"],
                              keep=True)
    assert mixed.values(0)["mase"]["value"] != pytest.approx(5 / 9, rel=1e-6)

    train = write_csv(tmp_path / "train.csv", {"t": [2.0, 1.0, 1.0, 2.0], "item": ["a", "a", "b", "b"],
                                               "y": [2.0, 1.0, 10.0, 14.0]})
    res = vernier.eval_file(path, metrics="mase,rmsse,mda",
                            flags=["--series", "item", "--time", "t", "--train", str(train)])
    a, b = res.slice_by_labels(item="a")["values"], res.slice_by_labels(item="b")["values"]
    o = res.values(0)
    assert a["mase"]["value"] == 1.0 and b["mase"]["value"] == 0.25
    assert a["rmsse"]["value"] == pytest.approx((7 / 5) ** 0.5, rel=1e-15)
    assert b["rmsse"]["value"] == pytest.approx((5 / 3 / 16) ** 0.5, rel=1e-15)
    assert o["mase"]["value"] == 0.625
    assert "scale from the training series" in a["mase"]["message"]
    assert "scale from the training series" in o["mase"]["message"]
    assert o["mda"]["value"] == 0.625  # mda takes no scale


def make_series(rng, names, lo, hi, t0=0):
    """A random walk per series name: {name: (t, y)} with t = t0, t0 + 1, ..."""
    out = {}
    for s in names:
        n = int(rng.integers(lo, hi))
        t = np.arange(t0, t0 + n, dtype=float)
        y = np.cumsum(rng.normal(0, 1, n)) + 20
        if rng.random() < 0.3:
            y = np.round(y)  # ties in the naive differences
        out[s] = (t, y)
    return out


def shuffled_file(rng, path, series, extra=None, dates=False):
    """The series' rows in random order; dates: the time column as ISO 8601 text."""
    import datetime
    day0 = datetime.date(2020, 1, 1)
    rows = []
    for s, (t, y) in series.items():
        for i in range(len(t)):
            ti = (day0 + datetime.timedelta(days=int(t[i]))).isoformat() if dates else t[i]
            rows.append((s, ti, y[i]) + ((extra[s][i],) if extra else ()))
    perm = rng.permutation(len(rows))
    rows = [rows[i] for i in perm]
    cols = {"series": [r[0] for r in rows], "t": [r[1] for r in rows], "y": [r[2] for r in rows]}
    if extra:
        cols["yhat"] = [r[3] for r in rows]
    return write_csv(path, cols)


def np_mase_rmsse(y, p, scale_y, m):
    """(mase, rmsse) of predictions p for y, scales from scale_y; None when n <= m or 0."""
    if len(scale_y) <= m:
        return None, None
    s1, s2 = naive_scale(scale_y, m, 1), naive_scale(scale_y, m, 2)
    e = p - y
    return (np.mean(np.abs(e)) / s1 if s1 else None,
            np.sqrt(np.mean(e * e) / s2) if s2 else None)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("with_train", [False, True])
def test_random_series_pooled(vernier, tmp_path, seed, with_train):
    rng = np.random.default_rng(900 + seed)
    m = int(rng.integers(1, 4))
    names = [f"s{i:02d}" for i in range(int(rng.integers(3, 12)))]
    hist = make_series(rng, names, 1, 80)  # some training series too short for m
    test = {}
    for s in names:  # the test period continues the training series in time
        n = int(rng.integers(1, 30))  # some test series too short for their own scale
        t0 = hist[s][0][-1] + 1
        test[s] = (np.arange(t0, t0 + n), np.cumsum(rng.normal(0, 1, n)) + hist[s][1][-1])
    pred = {s: test[s][1] + rng.normal(0, 0.8, len(test[s][1])) for s in names}
    missing = names[-1] if with_train and rng.random() < 0.7 else None
    dates = seed % 2 == 1  # text times (ISO 8601) in both files, compared bytewise
    path = shuffled_file(rng, tmp_path / "test.csv", test, pred, dates)
    flags = ["--series", "series", "--time", "t"]
    if with_train:
        tr = {s: hist[s] for s in names if s != missing}
        flags += ["--train", str(shuffled_file(rng, tmp_path / "train.csv", tr, None, dates))]
    res = vernier.eval_file(path, metrics=f"mase:m={m},rmsse:m={m},mda", flags=flags)
    got = {s["by"]["series"]: s["values"] for s in res.doc["slices"][1:]}
    assert sorted(got) == names
    want = {f"mase:m={m}": [], f"rmsse:m={m}": [], "mda": []}
    for s in names:
        y, p = test[s][1], pred[s]
        if with_train:
            mase, rmsse = np_mase_rmsse(y, p, hist[s][1], m) if s != missing else (None, None)
        else:
            mase, rmsse = np_mase_rmsse(y, p, y, m)
        mda = np.mean(np.sign(y[1:] - y[:-1]) == np.sign(p[1:] - y[:-1])) if len(y) > 1 else None
        for k, x in ((f"mase:m={m}", mase), (f"rmsse:m={m}", rmsse), ("mda", mda)):
            v = got[s][k]
            if x is None:
                assert v["value"] is None and v["reason"], (s, k, v)
                if s == missing and k != "mda":
                    assert v["reason"] == "no_training", v
            else:
                assert v["value"] == pytest.approx(x, rel=1e-12, abs=1e-15), (s, k)
                want[k].append(x)
    o = res.values(0)
    for k, xs in want.items():
        left = len(names) - len(xs)
        if not xs:
            assert o[k]["value"] is None and o[k]["reason"] == "too_few_rows"
            continue
        assert o[k]["value"] == pytest.approx(np.mean(xs), rel=1e-12), k
        assert f"unweighted mean of {len(xs)} per-series value" in o[k]["message"]
        assert (f"; {left} undefined series left out" in o[k]["message"]) == (left > 0)
        if k != "mda":
            src = "training" if with_train else "evaluated"
            assert f"scale from the {src} series (m = {m})" in o[k]["message"]
    record("mase")
    record("rmsse")
    record("mda")


@pytest.mark.parametrize("seed", range(3))
def test_horizon_slices_in_numeric_order(vernier, tmp_path, seed):
    rng = np.random.default_rng(700 + seed)
    H = 12
    hist = np.cumsum(rng.normal(0, 1, 60)) + 5
    h = np.repeat(np.arange(1, H + 1), 4)  # 4 forecast origins x 12 horizons
    y = rng.normal(5, 2, len(h))
    p = y + rng.normal(0, 0.3, len(h)) * h
    perm = rng.permutation(len(h))
    path = write_csv(tmp_path / "h.csv", {"h": [str(int(x)) for x in h[perm]], "y": y[perm],
                                          "yhat": p[perm]})
    train = write_csv(tmp_path / "tr.csv", {"y": hist})
    res = vernier.eval_file(path, metrics="mae,mase,rmsse",
                            flags=["--horizon", "h", "--train", str(train)])
    labels = [s["by"]["h"] for s in res.doc["slices"][1:]]
    assert labels == [str(k) for k in range(1, H + 1)]  # 1, 2, ..., 10, 11, 12
    s1, s2 = naive_scale(hist, 1, 1), naive_scale(hist, 1, 2)
    for s in res.doc["slices"][1:]:
        sel = h == int(s["by"]["h"])
        e = p[sel] - y[sel]
        v = s["values"]
        assert v["mae"]["value"] == pytest.approx(np.mean(np.abs(e)), rel=1e-13)
        assert v["mase"]["value"] == pytest.approx(np.mean(np.abs(e)) / s1, rel=1e-12)
        assert v["rmsse"]["value"] == pytest.approx(np.sqrt(np.mean(e * e) / s2), rel=1e-12)
        assert v["mase"]["message"] == "scale from the training series (m = 1)"


def test_forecast_errors(vernier, tmp_path):
    path = write_csv(tmp_path / "two.csv", TWO)
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "mase", "--series", "store"])
    assert r.returncode == 3 and 'no series column "store"' in r.stderr, r.stderr
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "mase", "--horizon", "hz"])
    assert r.returncode == 3 and 'no horizon column "hz"' in r.stderr, r.stderr
    bad = write_csv(tmp_path / "bad.csv", {"item": ["a"], "sales": [1.0]})
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "mase", "--series", "item",
                     "--train", bad])
    assert r.returncode == 3 and 'no training y column "y"' in r.stderr, r.stderr
    r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "-m", "mase", "--series", "item",
                     "--train", tmp_path / "absent.csv"])
    assert r.returncode == 4, r.stderr
    for extra in (["--horizon", "t"], ["--by", "t"]):
        r = vernier.run(["eval", path, "-y", "y", "-p", "yhat", "--series", "item"] + extra)
        assert r.returncode == 2 and "not supported yet" in r.stderr, r.stderr


# ---------------------------------------------------------------------------------------
# in a spec: data.series, data.horizon and data.train under `vernier check`
# ---------------------------------------------------------------------------------------
def check_json(vernier, spec):
    """`vernier check --format json` on a spec: (exit code, document or None, stderr)."""
    import json
    r = vernier.run(["check", "--spec", spec, "--format", "json"])
    return r.returncode, (json.loads(r.stdout) if r.stdout.startswith("{") else None), r.stderr


def gate_rows(doc, gate):
    return [g for g in doc["gates"] if g["gate"] == gate]


def line_of(text, needle):
    """The 1-based line and column of the value after 'needle' in a spec text."""
    for i, ln in enumerate(text.split("\n")):
        k = ln.find(needle)
        if k >= 0:
            return i + 1, k + len(needle) + 1
    raise AssertionError(needle)


SERIES_SPEC = """version: 1
data:
  path: {path}
  y: y
  prediction: yhat
  time: t
  series: series
  train: {train}
metrics:
  - id: mase
    type: mase
  - id: rmsse2
    type: rmsse
    params: {{m: 2}}
  - id: mda
    type: mda
slices:
  - id: promo
    filter: {{column: promo, eq: "yes"}}
{baseline}gates:
  - name: pooled mase
    metric: mase
    max: {threshold!r}
  - name: promo mase
    metric: mase
    max: 100
    slices: [promo]
  - metric: rmsse2
    max: 100
  - metric: mda
    min: 0
{extra}"""


def m4_pooled(test, pred, hist, m, k, rows=None):
    """M4's pooled MASE (k = 1) or RMSSE (k = 2): the unweighted mean over series of the
    series' value, MAE_s / mean |y_t - y_{t-m}| (resp. sqrt(MSE_s / mean (y_t - y_{t-m})^2))
    with the scale from series s's training y; rows: per series, a mask of the rows kept."""
    vals = []
    for s in test:
        y, p = test[s][1], pred[s]
        if rows is not None:
            y, p = y[rows[s]], p[rows[s]]
            if len(y) == 0:
                continue  # not in the filtered rows at all: not a series there
        d = hist[s][1][m:] - hist[s][1][:-m]
        scale = np.mean(np.abs(d)) if k == 1 else np.mean(d * d)
        e = p - y
        vals.append(np.mean(np.abs(e)) / scale if k == 1 else np.sqrt(np.mean(e * e) / scale))
    return float(np.mean(vals)), len(vals)


@pytest.mark.parametrize("seed", range(4))
def test_check_series_train_gates_on_pooled_mase(vernier, tmp_path, seed):
    rng = np.random.default_rng(4400 + seed)
    names = [f"s{i:02d}" for i in range(int(rng.integers(3, 10)))]
    hist = make_series(rng, names, 6, 60)  # every training series longer than m = 2
    test, pred, base, promo = {}, {}, {}, {}
    for s in names:
        n = int(rng.integers(2, 25))
        t0 = hist[s][0][-1] + 1
        test[s] = (np.arange(t0, t0 + n), np.cumsum(rng.normal(0, 1, n)) + hist[s][1][-1])
        pred[s] = test[s][1] + rng.normal(0, 0.8, n)
        base[s] = test[s][1] + rng.normal(0.3, 1.0, n)
        promo[s] = rng.random(n) < 0.4
    # one file with the model's and the baseline's predictions and a promo flag, shuffled
    rows = [(s, test[s][0][i], test[s][1][i], pred[s][i], base[s][i],
             "yes" if promo[s][i] else "no")
            for s in names for i in range(len(test[s][0]))]
    rows = [rows[i] for i in rng.permutation(len(rows))]
    cols = lambda j: [r[j] for r in rows]
    path = write_csv(tmp_path / "test.csv", {"series": cols(0), "t": cols(1), "y": cols(2),
                                            "yhat": cols(3), "promo": cols(5)})
    bpath = write_csv(tmp_path / "base.csv", {"series": cols(0), "t": cols(1), "y": cols(2),
                                             "yhat": cols(4), "promo": cols(5)})
    train = shuffled_file(rng, tmp_path / "train.csv", hist)
    # the oracle: numpy, M4's convention, scales from the training series
    mase, nser = m4_pooled(test, pred, hist, 1, 1)
    rmsse2, _ = m4_pooled(test, pred, hist, 2, 2)
    mase_promo, _ = m4_pooled(test, pred, hist, 1, 1, rows=promo)
    mase_base, _ = m4_pooled(test, base, hist, 1, 1)
    assert nser == len(names)

    def run(threshold, baseline="", extra=""):
        text = SERIES_SPEC.format(path=path, train=train, threshold=threshold,
                                  baseline=baseline, extra=extra)
        spec = tmp_path / "vernier.yaml"
        spec.write_text(text)
        return check_json(vernier, spec)

    # just above the oracle's value: passes; just below: fails (exit 1)
    rc, doc, err = run(mase * (1 + 1e-9))
    assert rc == 0 and doc["verdict"] == "pass", err
    (g,) = gate_rows(doc, "pooled mase")
    assert g["slice"] == "overall" and g["status"] == "pass"
    assert g["value"] == pytest.approx(mase, rel=1e-12)
    (gp,) = gate_rows(doc, "promo mase")
    assert gp["slice"] == "promo" and gp["value"] == pytest.approx(mase_promo, rel=1e-12)
    assert gp["rows"] == sum(int(promo[s].sum()) for s in names)
    (gr,) = gate_rows(doc, "rmsse2 <= 100")
    assert gr["value"] == pytest.approx(rmsse2, rel=1e-12)
    rc, doc2, err = run(mase * (1 - 1e-9))
    assert rc == 1 and doc2["verdict"] == "fail", err
    (g2,) = gate_rows(doc2, "pooled mase")
    assert g2["status"] == "fail" and g2["value"] == g["value"]

    # the same numbers as `vernier eval --series --train` on the same data, bit for bit
    res = vernier.eval_file(path, metrics="mase,rmsse:m=2,mda", keep=True,
                            flags=["--series", "series", "--time", "t", "--train", str(train)])
    o = res.values(0)
    assert o["mase"]["value"] == g["value"]
    assert o["rmsse:m=2"]["value"] == gr["value"]
    (gm,) = gate_rows(doc, "mda >= 0")
    assert o["mda"]["value"] == gm["value"]
    assert "unweighted mean of %d per-series values (M4 convention); scale from the training " \
           "series (m = 1)" % nser in o["mase"]["message"]

    # a baseline file is evaluated the same way: its pooled MASE is the reference
    rc, doc3, err = run(mase * (1 + 1e-9), baseline=f"baseline:\n  file: {bpath}\n",
                        extra="  - name: vs base\n    metric: mase\n    vs: baseline\n"
                              "    max_regression: 0\n")
    (gb,) = gate_rows(doc3, "vs base")
    assert gb["reference"] == pytest.approx(mase_base, rel=1e-12), err
    assert gb["status"] == ("pass" if gb["value"] <= gb["reference"] else "fail")
    record("mase")
    record("rmsse")


@pytest.mark.parametrize("seed", range(2))
def test_check_horizon_slices_and_gate_on_horizon_10(vernier, tmp_path, seed):
    rng = np.random.default_rng(7700 + seed)
    H = 12
    hist = np.cumsum(rng.normal(0, 1, 60)) + 5
    h = np.repeat(np.arange(1, H + 1), 5)
    y = rng.normal(5, 2, len(h))
    p = y + rng.normal(0, 0.3, len(h)) * h
    perm = rng.permutation(len(h))
    path = write_csv(tmp_path / "h.csv", {"h": [str(int(x)) for x in h[perm]], "y": y[perm],
                                          "yhat": p[perm]})
    train = write_csv(tmp_path / "tr.csv", {"y": hist})
    s1 = naive_scale(hist, 1, 1)
    want = {k: float(np.mean(np.abs(p[h == k] - y[h == k])) / s1) for k in range(1, H + 1)}
    text = f"""version: 1
data:
  path: {path}
  y: y
  prediction: yhat
  horizon: h
  train: {train}
metrics:
  - id: mase
    type: mase
slices:
  - id: h10
    filter: {{column: h, eq: "10"}}
gates:
  - name: per horizon
    metric: mase
    max: 1000
    slices: [horizon]
  - name: horizon 10
    metric: mase
    max: {want[10] * (1 - 1e-9)!r}
    slices: [h10]
"""
    spec = tmp_path / "vernier.yaml"
    spec.write_text(text)
    rc, doc, err = check_json(vernier, spec)
    assert rc == 1, err
    rows = gate_rows(doc, "per horizon")
    assert [g["slice"] for g in rows] == [f"h={k}" for k in range(1, H + 1)]  # numeric order
    for g in rows:
        assert g["value"] == pytest.approx(want[int(g["slice"][2:])], rel=1e-12)
        assert g["rows"] == 5 and g["status"] == "pass"
    (g10,) = gate_rows(doc, "horizon 10")
    assert g10["slice"] == "h10" and g10["status"] == "fail"
    assert g10["value"] == rows[9]["value"] == pytest.approx(want[10], rel=1e-12)
    # the same as `vernier eval --horizon h --train`
    res = vernier.eval_file(path, metrics="mase", flags=["--horizon", "h", "--train", str(train)],
                            keep=True)
    assert [sl["values"]["mase"]["value"] for sl in res.doc["slices"][1:]] == \
        [g["value"] for g in rows]
    # above the value the horizon-10 gate passes
    spec.write_text(text.replace(repr(want[10] * (1 - 1e-9)), repr(want[10] * (1 + 1e-9))))
    rc, doc, err = check_json(vernier, spec)
    assert rc == 0 and gate_rows(doc, "horizon 10")[0]["status"] == "pass", err
    record("mase")


def test_check_forecast_errors(vernier, tmp_path):
    path = write_csv(tmp_path / "two.csv", TWO)
    train = write_csv(tmp_path / "train.csv", {"t": [2.0, 1.0, 1.0, 2.0], "item": ["a", "a", "b", "b"],
                                               "y": [2.0, 1.0, 10.0, 14.0]})
    base = f"version: 1\ndata:\n  path: {path}\n  y: y\n  prediction: yhat\n  time: t\n"
    tail = "metrics: [{id: mase, type: mase}]\ngates: [{metric: mase, max: 1}]\n"

    def run(data_lines, ok=False):
        text = base + data_lines + tail
        spec = tmp_path / "vernier.yaml"
        spec.write_text(text)
        r = vernier.run(["check", "--spec", spec])
        if not ok:
            assert r.stdout == "" and r.stderr.count("\n") == 1, r.stderr  # one line
        return text, spec, r

    # series with horizon: refused as --series --horizon is, at the key horizon
    text, spec, r = run("  series: item\n  horizon: t\n")
    line, _ = line_of(text, "horizon:")
    assert r.returncode == 3
    assert r.stderr == (f"vernier: error: {spec}:{line}:3: data: series with horizon is not "
                        "supported yet: evaluate per series, or per horizon (with train for "
                        "the scale)\n")
    # a training file that does not exist: an I/O error (4) at the key's value
    text, spec, r = run(f"  series: item\n  train: {tmp_path / 'absent.csv'}\n")
    line, col = line_of(text, "train: ")
    assert r.returncode == 4
    assert r.stderr == (f"vernier: error: {spec}:{line}:{col}: data.train: "
                        f"{tmp_path / 'absent.csv'}: cannot open: No such file or directory\n")
    # a series column the data does not have: a data error (3) naming the key
    text, spec, r = run(f"  series: store\n  train: {train}\n")
    line, col = line_of(text, "series: ")
    assert r.returncode == 3
    assert f'two.csv: no spec column "store" (columns: item, t, y, yhat)' in r.stderr
    assert f"the series column (data.series at {spec}:{line}:{col})" in r.stderr
    # the training file lacks the series column: a data error at data.train
    bad = write_csv(tmp_path / "bad.csv", {"t": [1.0, 2.0], "y": [1.0, 2.0]})
    text, spec, r = run(f"  series: item\n  train: {bad}\n")
    line, col = line_of(text, "train: ")
    assert r.returncode == 3
    assert r.stderr.startswith(f"vernier: error: {spec}:{line}:{col}: data.train: {bad}: "
                               'no training series column "item"'), r.stderr
    # and the valid spec passes: MASE (1 + 1/4) / 2 = 0.625 as in the two-series example
    text, spec, r = run(f"  series: item\n  train: {train}\n", ok=True)
    assert r.returncode == 0 and r.stderr == ""
    rc, doc, _ = check_json(vernier, spec)
    assert doc["gates"][0]["value"] == 0.625


# ---------------------------------------------------------------------------------------
# the guide: every '$ vernier ...' line of docs/forecasting.md is run and its output
# compared with the page; the bundled example is regenerated byte for byte
# ---------------------------------------------------------------------------------------
import re
import shlex
import subprocess
import sys

from conftest import REPO

DOC = REPO / "docs" / "forecasting.md"


def console_blocks():
    out = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.S):
        lines = block.rstrip("\n").split("\n")
        i = 0
        while i < len(lines):
            assert lines[i].startswith("$ vernier "), lines[i]
            j = i + 1
            while j < len(lines) and not lines[j].startswith("$ "):
                j += 1
            out.append((lines[i][2:], "\n".join(lines[i + 1:j]) + "\n"))
            i = j
    return out


BLOCKS = console_blocks()


@pytest.mark.parametrize("cmd,expected", BLOCKS, ids=[c[:60] for c, _ in BLOCKS])
def test_guide_outputs(vernier, cmd, expected):
    r = subprocess.run([vernier.exe] + shlex.split(cmd)[1:], cwd=REPO, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == expected, f"docs/forecasting.md is out of date for:\n{cmd}"


def test_example_is_regenerated_exactly(tmp_path):
    src = (REPO / "examples" / "make_forecasting.py").read_text()
    script = tmp_path / "make_forecasting.py"
    script.write_text(src)
    subprocess.run([sys.executable, str(script)], check=True)
    assert (tmp_path / "stockout.csv").read_bytes() == (REPO / "examples" / "stockout.csv").read_bytes()


def test_guide_numbers_against_numpy():
    """The page's claims, recomputed from the CSV without vernier."""
    import csv
    with open(REPO / "examples" / "stockout.csv") as f:
        rows = list(csv.DictReader(f))
    y = np.array([float(r["demand"]) for r in rows])
    q = {k: np.array([float(r[k]) for r in rows]) for k in ("p10", "p50", "p90")}
    pin = lambda s: np.mean(np.where(y >= s, 0.9 * (y - s), 0.1 * (s - y)))
    cost = lambda s: np.mean(9 * np.maximum(y - s, 0) + np.maximum(s - y, 0))
    assert cost(q["p50"]) == pytest.approx(10 * pin(q["p50"]), rel=1e-12)
    assert round(pin(q["p50"]), 2) == 11.37 and round(pin(q["p90"]), 2) == 6.22
    order = np.lexsort((np.arange(len(y)), np.abs(q["p50"])))
    top = order[2 * len(y) // 3:]
    cov = (q["p10"] <= y) & (y <= q["p90"])
    assert round(cov.mean(), 3) == 0.792 and round(cov[top].mean(), 3) == 0.607
