"""vernier.dask on a real dask.distributed LocalCluster (two worker processes on
127.0.0.1): 10 million rows in 16 partitions give the numbers vernier.evaluate gives
on the same rows in memory, overall and per slice (exact quantiles included)."""
import numpy as np
import pandas as pd
import pytest

import vernier
import vernier.dask

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

EXACT = {"count", "max_error", "medae", "p95_abs_error", "p99_abs_error"}


def test_ten_million_rows_on_a_local_cluster():
    n = 10_000_000
    rng = np.random.default_rng(10)
    y = np.round(rng.gamma(2.0, 25.0, n), 2)
    df = pd.DataFrame({"y": y, "yhat": np.round(y * rng.normal(1.0, 0.1, n), 2),
                       "w": rng.integers(1, 4, n).astype(float),
                       "segment": rng.choice(np.array(["s%d" % i for i in range(8)]), n)})
    ddf = dd.from_pandas(df, npartitions=16)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        got = vernier.dask.evaluate(ddf, "y", "yhat", by="segment", sample_weight="w")
    want = vernier.evaluate(df.y, df.yhat, sample_weight=df.w, by=df.segment)
    assert got.slices == want.slices and got.rows() == n
    for s in want.slices:
        for k in want.metrics:
            a, b = want.value(k, s), got.value(k, s)
            if k in EXACT or np.isnan(a):
                assert (a == b) or (np.isnan(a) and np.isnan(b)), (k, s, a, b)
            else:
                assert b == pytest.approx(a, rel=1e-12), (k, s, a, b)


def test_bad_column_names():
    df = pd.DataFrame({"y": [1.0, 2.0], "p": [1.0, 2.5]})
    with pytest.raises(KeyError, match="nope"):
        vernier.dask.evaluate(dd.from_pandas(df, npartitions=1), "y", "nope")


def test_expression_metrics_on_a_local_cluster():
    """Expression metrics travel in the partitions' states (their definitions in the
    metric list): the values are numpy's, per slice too."""
    n = 200_000
    rng = np.random.default_rng(11)
    y = np.round(rng.gamma(2.0, 25.0, n), 2)
    df = pd.DataFrame({"y": y, "yhat": np.round(y * rng.normal(1.0, 0.1, n), 2),
                       "segment": rng.choice(np.array(["a", "b", "c"]), n)})
    metrics = "mae,cost=mean(if(y > yhat, 3 * (y - yhat), yhat - y))"
    ddf = dd.from_pandas(df, npartitions=8)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        got = vernier.dask.evaluate(ddf, "y", "yhat", by="segment", metrics=metrics)
    cost = np.where(df.y > df.yhat, 3 * (df.y - df.yhat), df.yhat - df.y)
    assert got.value("cost") == pytest.approx(np.mean(cost), rel=1e-12)
    for s in got.slices[1:]:
        seg = s.split("=", 1)[1]
        m = (df.segment == seg).to_numpy()
        assert got.value("cost", s) == pytest.approx(np.mean(cost[m]), rel=1e-12), s
