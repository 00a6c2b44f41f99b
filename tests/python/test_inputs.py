"""How vernier.evaluate reads its inputs: float64 in place (no copy, checked with
tracemalloc, which sees every conversion buffer since they come from PyMem_RawMalloc),
other numeric types converted once, strided and reversed views, pandas, memoryview and
array.array; clear errors for wrong lengths and non-numbers; the GIL released while the
rows are evaluated; the same values, reasons and notes as the CLI."""
import array
import json
import threading
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import vernier

M = "mae,rmse,mean_error,max_error,count"


def values(r):
    return [r.value(k) for k in r.metrics]


def test_float64_is_not_copied_other_types_are_converted_once():
    n = 4_000_000
    rng = np.random.default_rng(0)
    y = rng.normal(size=n)
    p = y + rng.normal(size=n)
    vernier.evaluate(y[:10], p[:10], metrics=M)  # warm up
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    vernier.evaluate(y, p, metrics=M)
    peak_f64 = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.reset_peak()
    yi = (y * 1000).astype(np.int32)
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    vernier.evaluate(yi, p, metrics=M)
    peak_i32 = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak_f64 < 1 << 20, peak_f64            # no copy of 32 MB
    assert 8 * n <= peak_i32 < 8 * n + (1 << 20)    # exactly one double copy of y


def test_views_dtypes_and_containers_give_the_same_numbers():
    rng = np.random.default_rng(1)
    y = np.round(rng.normal(size=3001) * 100)
    p = np.round(y + rng.normal(size=3001) * 10)
    ref = values(vernier.evaluate(y, p, metrics=M))
    both = np.stack([y, p], axis=1)               # columns are strided views
    f = np.asfortranarray(both)
    cases = [(both[:, 0], both[:, 1]), (f[:, 0], f[:, 1]),
             (y[::-1][::-1], p.copy()), (y.astype(">f8"), p.astype(">f8")),
             (y.astype(np.float32), p.astype(np.float32)), (y.astype(np.int64), p.astype(np.int16)),
             (memoryview(y), memoryview(p)), (array.array("d", y), array.array("d", p)),
             (pd.Series(y), pd.Series(p)), (list(y), list(p))]
    for a, b in cases:
        assert values(vernier.evaluate(a, b, metrics=M)) == ref
    # every third row through a stride, reversed rows through a negative stride
    third = values(vernier.evaluate(y[::3], p[::3], metrics=M))
    assert third == values(vernier.evaluate(y[::3].copy(), p[::3].copy(), metrics=M))
    rev = vernier.evaluate(y[::-1], p[::-1], metrics="count,mae,max_error")
    assert rev["count"] == 3001 and rev["max_error"] == ref[3]
    b = vernier.evaluate(np.array([True, False, True]), np.array([1.0, 0.0, 0.0]), metrics="mae")
    assert b["mae"] == pytest.approx(1 / 3)


def test_errors_are_clear():
    y = np.arange(10.0)
    with pytest.raises(ValueError, match="inconsistent lengths"):
        vernier.evaluate(y, y[:9])
    with pytest.raises(TypeError, match="numbers"):
        vernier.evaluate(np.array(list("abcdefghij")), y)
    with pytest.raises(TypeError):
        vernier.evaluate(np.array([object()] * 10), y)
    with pytest.raises(ValueError, match="1-d"):
        vernier.evaluate(np.ones((5, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="not finite"):
        vernier.evaluate(np.array([1.0, np.nan]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="metric"):
        vernier.evaluate(y, y, metrics="no_such_metric")
    with pytest.raises(ValueError, match="labels for"):
        vernier.evaluate(y, y, by=["a"] * 9)


def test_gil_is_released():
    """While one thread is inside evaluate on 20M rows, the main thread keeps running
    Python: with the GIL held it could not execute a single bytecode meanwhile."""
    n = 20_000_000
    y = np.random.default_rng(2).normal(size=n)
    p = y * 1.01
    inside = threading.Event()
    done = threading.Event()

    def work():
        inside.set()
        vernier.evaluate(y, p, metrics="mae,rmse,p95_abs_error", threads=1)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    inside.wait()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    assert spins > 10000, spins


def test_default_threads_give_the_one_thread_bits():
    """evaluate, compare and report default to one thread per CPU (threads=0, as the
    CLI): the values are those of threads=1, bit for bit, overall and per slice, on rows
    enough for many blocks and for the two halves of the quantile passes."""
    import inspect
    for f in (vernier.evaluate, vernier.compare, vernier.report):
        assert inspect.signature(f).parameters["threads"].default == 0, f
    n = 1_200_000
    rng = np.random.default_rng(12)
    y = rng.gamma(2.0, 20.0, n)
    p = y + rng.standard_t(3, n)
    by = rng.choice(np.array(["a", "b", "c"]), n)
    m = "count,mae,rmse,mean_error,mape,smape,r2,huber,pinball:q=0.9,medae,p99_abs_error"
    a = vernier.evaluate(y, p, metrics=m, by=by, zero="eps")
    b = vernier.evaluate(y, p, metrics=m, by=by, zero="eps", threads=1)
    assert a.slices == b.slices
    for s in a.slices:
        got, want = [a.value(k, s) for k in a.metrics], [b.value(k, s) for k in b.metrics]
        assert got == want, (s, got, want)
    assert a.notes == b.notes


def test_same_document_as_the_cli(cli, tmp_path):
    rng = np.random.default_rng(3)
    n = 2000
    y = np.round(rng.gamma(2, 10, n), 2)
    y[:30] = 0.0
    p = np.round(y + rng.normal(0, 3, n), 2)
    g = rng.choice(["north", "south", "east"], n)
    path = tmp_path / "d.csv"
    pd.DataFrame({"y": y, "p": p, "g": g}).to_csv(path, index=False)
    doc = json.loads(cli("eval", path, "-y", "y", "-p", "p", "--by", "g", "--ci", "--seed", "3",
                         "--format", "json").stdout)
    r = vernier.evaluate(y, p, by=pd.Series(g, name="g"), ci=0.95, seed=3).to_dict()
    for k in ("metrics", "slices", "notes", "by", "options"):
        assert r[k] == doc[k], k
    assert r["input"]["rows_read"] == doc["input"]["rows_read"]


def test_result_object():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    r = vernier.evaluate(y, y + [0.5, -0.5, 1.0, 0.0], by={"g": ["a", "b", "a", "b"]},
                         metrics=["mae", "mape"])
    assert r["mae"] == 0.5 and r.value("mae", "a") == 0.75 and r.value("mae", ("b",)) == 0.25
    assert r.rows("g=a") == 2 and "mae" in r and "rmse" not in r
    df = r.to_pandas()
    assert list(df.index) == ["overall", "g=a", "g=b"] and df.loc["g=b", "mae"] == 0.25
    text = repr(r)
    assert "mae" in text and "4 rows" in text


def test_compare_and_report_match_the_cli(cli, tmp_path):
    rng = np.random.default_rng(5)
    n = 3000
    y = np.round(rng.gamma(2, 10, n), 2)
    v1 = np.round(y + rng.normal(0, 4, n), 2)
    v2 = np.round(y + rng.normal(0.5, 3, n), 2)
    g = rng.choice(["a", "b"], n)
    path = tmp_path / "c.csv"
    pd.DataFrame({"y": y, "v1": v1, "v2": v2, "g": g}).to_csv(path, index=False)
    doc = json.loads(cli("compare", path, "-y", "y", "-p", "v1", "-p", "v2", "--by", "g",
                         "-m", "mae,rmse,mean_error", "--guard", "mean_error:0.2",
                         "--resamples", "500", "--format", "json", check=False).stdout)
    c = vernier.compare(y, v1, v2, by=pd.Series(g, name="g"), metrics="mae,rmse,mean_error",
                        guards=["mean_error:0.2"], resamples=500)
    mine = c.to_dict()
    for k in ("slices", "guards", "primary", "wins", "summary"):
        assert mine[k] == doc[k], k
    assert c.diff("mae")["verdict"] == doc["slices"][0]["comparisons"][0]["verdict"]
    page = vernier.report(y, v1, candidate=v2, title="<b>cmp</b>")
    assert page.startswith("<!DOCTYPE html>") and "&lt;b&gt;cmp&lt;/b&gt;" in page
    assert 'id="fig-diffs"' in page
    card = vernier.report(y, v1, by=pd.Series(g, name="g"), format="md")
    assert card.startswith("# Model card") and "| g=a |" in card
