"""
Oracle: `vernier eval --time-col` (issue 4, "--block-size L | --time-col COL").

Rows are put in stable time order before anything order-dependent, so a shuffled file
with its time column must give exactly the comparison of the sorted file: mda (which
reads consecutive rows) is checked against numpy on the sorted rows, and the intervals
must equal those of the sorted file with --block-size ceil(n^(1/3)) — the automatic
block length (docs/intervals.md) — per slice. Text times sort bytewise (ISO 8601), ties
keep file order, and an empty time cell is a located data error.
"""
import json
import math

import numpy as np

from conftest import write_csv


def run_json(vernier, args):
    p = vernier.run(["eval", *map(str, args), "--format", "json"])
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def values(doc):
    return [s["values"] for s in doc["slices"]]


def test_time_col_sorts_and_sets_blocks(vernier, tmp_path):
    rng = np.random.default_rng(4)
    n = 300
    t = np.arange(n)
    y = np.cumsum(rng.normal(0, 1, n))
    p = np.concatenate([[y[0]], y[:-1]]) + rng.normal(0, 0.3, n)
    g = np.where(t % 4 == 0, "a", "b")
    perm = rng.permutation(n)
    srt = write_csv(tmp_path / "sorted.csv", {"t": t, "y": y, "p": p, "g": list(g)})
    shf = write_csv(tmp_path / "shuffled.csv", {"t": t[perm], "y": y[perm], "p": p[perm],
                                                "g": list(g[perm])})
    common = ["-y", "y", "-p", "p", "-m", "mae,mda,rmse", "--by", "g"]
    d_time = run_json(vernier, [shf, *common, "--time-col", "t"])
    d_sorted = run_json(vernier, [srt, *common])
    assert values(d_time) == values(d_sorted)
    # mda by hand on the sorted rows: share of t with sign(y_t - y_{t-1}) == sign(p_t - y_{t-1})
    mda = np.mean(np.sign(y[1:] - y[:-1]) == np.sign(p[1:] - y[:-1]))
    assert abs(d_time["slices"][0]["values"]["mda"]["value"] - mda) < 1e-15
    # intervals: automatic blocks of ceil(n^(1/3)) rows per slice. Overall n = 300 -> 7,
    # slice b (225 rows) -> 7, slice a (75 rows) -> 5: with an explicit --block-size 7 on
    # the sorted file, the overall and b intervals are the same and a's are not.
    ci = ["--ci", "--ci-method", "percentile", "--resamples", 200, "--seed", 3]
    d_time = run_json(vernier, [shf, *common, "--time-col", "t", *ci])
    assert d_time["options"]["ci"]["block_size"] == "auto"
    assert [math.ceil(k ** (1 / 3) - 1e-9) for k in (300, 225, 75)] == [7, 7, 5]
    d7 = run_json(vernier, [srt, *common, *ci, "--block-size", 7])
    d5 = run_json(vernier, [srt, *common, *ci, "--block-size", 5])
    lab = [s["by"] for s in d_time["slices"]]
    assert lab == [s["by"] for s in d7["slices"]] and lab[1] == {"g": "a"}
    assert d_time["slices"][0]["values"] == d7["slices"][0]["values"]
    assert d_time["slices"][2]["values"] == d7["slices"][2]["values"]
    assert d_time["slices"][1]["values"] == d5["slices"][1]["values"]
    assert d_time["slices"][1]["values"] != d7["slices"][1]["values"]


def test_time_col_text_and_errors(vernier, tmp_path):
    y = np.array([1.0, 2.0, 4.0, 3.0, 5.0])
    p = np.array([1.5, 2.5, 3.0, 3.5, 4.0])
    order = [3, 0, 4, 1, 2]
    dates = ["2026-01-05", "2026-01-10", "2026-02-01", "2026-02-03", "2026-10-01"]
    shf = write_csv(tmp_path / "d.csv", {"d": [dates[i] for i in order], "y": y[order], "p": p[order]})
    srt = write_csv(tmp_path / "s.csv", {"d": dates, "y": y, "p": p})
    a = run_json(vernier, [shf, "-y", "y", "-p", "p", "-m", "mda,mae", "--time-col", "d"])
    b = run_json(vernier, [srt, "-y", "y", "-p", "p", "-m", "mda,mae"])
    assert values(a) == values(b)
    bad = tmp_path / "bad.csv"
    bad.write_text("d,y,p\n2026-01-01,1,1\n,2,2\n")
    r = vernier.run(["eval", bad, "-y", "y", "-p", "p", "--time-col", "d"])
    assert r.returncode == 3 and 'bad.csv:3:1: time column "d": missing value' in r.stderr
    r = vernier.run(["eval", bad, "-y", "y", "-p", "p", "--time-col", "nope"])
    assert r.returncode == 3 and 'no time column "nope"' in r.stderr
