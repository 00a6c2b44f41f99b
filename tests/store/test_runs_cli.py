"""
`vernier runs` through the binary (path in $VERNIER, default build/vernier): the
behaviours that need real logic, checked against values computed here.

  * list: newest first, selectors, --limit, --since/--until boundaries, default and
    chosen metrics, --slice; CSV and JSON agree;
  * show: every value per slice against mae/rmse/r2/mean_error computed in Python;
  * diff: B - A and (B - A)/|A| exactly, the verdict from each metric's direction,
    only-in-A/B rows, undefined values, --only-changed, and intervals (written into
    the store with Python's sqlite3) judged disjoint or not;
  * tag and rm, including the confirmation on a terminal (a pty);
  * export: CSV and JSON parsed back and compared value by value with `show`;
  * export-mlflow: the directory read back FIELD BY FIELD by a small reader written
    here against MLflow 2.x's FileStore layout (docs/runs.md, "MLflow export"), with
    MLflow's own name rules (mlflow/utils/validation.py) and line format
    (FileStore._get_metric_from_line). No mlflow package is needed.

Run: VERNIER=build/vernier /usr/bin/python3 -m pytest -q tests/store/test_runs_cli.py
"""
import csv
import io
import json
import math
import os
import pty
import random
import re
import posixpath
import select
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "VERNIER_STORE"}
    env.update(LC_ALL="C", NO_COLOR="1")
    env.update(extra)
    return env


def vern(exe, *args, rc=0, stdin=subprocess.DEVNULL, cwd=None):
    p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, stdin=stdin,
                       env=clean_env(), cwd=cwd, timeout=60)
    if rc is not None:
        assert p.returncode == rc, (args, p.returncode, p.stderr)
    return p


def runs(exe, store, *args, rc=0, **kw):
    return vern(exe, "runs", "--store", store, *args, rc=rc, **kw)


def runs_json(exe, store, *args):
    return json.loads(runs(exe, store, *args, "--format", "json").stdout)


# --------------------------------------------------------------------------------------
# data with known metrics
# --------------------------------------------------------------------------------------
def write_csv(path, rows, header=("y", "yhat", "g")):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(x) if isinstance(x, float) else x for x in r])
    return path


def dataset(seed, n=40, groups=("a", "b", "c"), scale=1.0, outlier=0.0):
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        y = float(rnd.randint(0, 400)) / 8
        e = rnd.uniform(-2, 2) * scale
        rows.append((y, y + e, groups[i % len(groups)]))
    if outlier:
        y, yh, g = rows[0]
        rows[0] = (y, y + outlier, g)
    return rows


def py_metrics(pairs):
    """mae, rmse, mean_error, r2 of (y, yhat) pairs, in careful floating point."""
    n = len(pairs)
    e = [yh - y for y, yh in pairs]
    ys = [y for y, _ in pairs]
    ybar = math.fsum(ys) / n
    sst = math.fsum((y - ybar) ** 2 for y in ys)
    sse = math.fsum(x * x for x in e)
    return {
        "mae": math.fsum(abs(x) for x in e) / n,
        "rmse": math.sqrt(sse / n),
        "mean_error": math.fsum(e) / n,
        "r2": 1 - sse / sst if n >= 2 and sst > 0 else None,
    }


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def log_run(exe, store, csvfile, *flags):
    p = subprocess.run([exe, "eval", str(csvfile), "-y", "y", "-p", "yhat", f"--log={store}",
                        *map(str, flags)], capture_output=True, text=True, env=clean_env(),
                       timeout=60)
    assert p.returncode == 0, p.stderr
    m = re.search(r"logged run ([0-9a-f]{16})", p.stderr)
    assert m, p.stderr
    time.sleep(0.005)  # distinct created_at milliseconds
    return m.group(1)


@pytest.fixture()
def three(exe, tmp_path):
    """A store with three runs r0, r1, r2 (oldest first), differing data and tags."""
    store = tmp_path / "runs.db"
    ids, files = [], []
    for k in range(3):
        f = write_csv(tmp_path / f"d{k}.csv", dataset(k, scale=1.0 - 0.2 * k))
        tags = ["--tag", f"stage={'prod' if k == 1 else 'dev'}", "--tag", f"k={k}"]
        ids.append(log_run(exe, store, f, "--by", "g", "--name", f"r{k}", *tags))
        files.append(f)
    return store, ids, files


# --------------------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------------------
def test_list_order_selectors_limit(exe, three):
    store, ids, _ = three
    d = runs_json(exe, store, "list")
    assert d["schema"] == "vernier.runs.list/1"
    assert [r["id"] for r in d["runs"]] == ids[::-1]
    assert [r["name"] for r in d["runs"]] == ["r2", "r1", "r0"]
    times = [r["created_at"] for r in d["runs"]]
    assert times == sorted(times, reverse=True)
    # Default metrics: the first four of the newest run, count left out.
    assert d["metrics"] == ["mean_error", "mae", "rmse", "mape"]
    assert d["slice"] == "overall"

    assert [r["name"] for r in runs_json(exe, store, "list", "tag:stage=prod")["runs"]] == ["r1"]
    assert [r["name"] for r in runs_json(exe, store, "list", "tag:stage")["runs"]] == ["r2", "r1", "r0"]
    assert [r["name"] for r in runs_json(exe, store, "list", "name:r0")["runs"]] == ["r0"]
    assert [r["name"] for r in runs_json(exe, store, "list", "latest~1")["runs"]] == ["r1"]
    assert [r["name"] for r in runs_json(exe, store, "list", ids[2][:6])["runs"]] == ["r2"]
    assert [r["name"] for r in runs_json(exe, store, "list", "--limit", "2")["runs"]] == ["r2", "r1"]
    assert runs_json(exe, store, "list", "tag:none")["runs"] == []
    p = runs(exe, store, "list", "tag:none")
    assert p.stdout == "" and "no runs" in p.stderr


def test_list_time_bounds(exe, three):
    store, _, _ = three
    d = runs_json(exe, store, "list")
    t = {r["name"]: r["created_at"] for r in d["runs"]}
    names = lambda *a: [r["name"] for r in runs_json(exe, store, "list", *a)["runs"]]
    # --since is inclusive to the millisecond; --until includes the whole last field.
    assert names("--since", t["r1"]) == ["r2", "r1"]
    assert names("--until", t["r1"]) == ["r1", "r0"]
    assert names("--since", t["r1"], "--until", t["r1"]) == ["r1"]
    day = t["r0"][:10]
    assert set(names("--until", day)) == {"r0", "r1", "r2"}  # the whole day
    assert names("--since", "2999-01-01") == []
    assert names("--since", "7d") == ["r2", "r1", "r0"]
    # the same instant written with a +02:00 offset
    dt = datetime.strptime(t["r1"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    plus2 = dt.astimezone(timezone(timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S.")
    assert names("--since", plus2 + t["r1"][20:23] + "+02:00") == ["r2", "r1"]
    for bad in ("yesterday", "2026-02-30", "2026-01-01T25:00", "5x"):
        p = runs(exe, store, "list", "--since", bad, rc=2)
        assert "--since" in p.stderr


def test_list_metrics_slice_csv_agrees(exe, three):
    store, _, files = three
    d = runs_json(exe, store, "list", "--metrics", "mae,r2,bias,nope", "--slice", "g=b")
    assert d["metrics"] == ["mae", "r2", "bias", "nope"]
    p = runs(exe, store, "list", "--metrics", "mae,r2,bias,nope", "--slice", "g=b", "--format", "csv")
    assert "no listed run recorded nope" in p.stderr
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["id"] for r in rows] == [r["id"] for r in d["runs"]]
    for r, j, f in zip(rows, d["runs"], files[::-1]):
        data = [(float(a), float(b)) for a, b, g in list(csv.reader(open(f)))[1:] if g == "b"]
        ref = py_metrics(data)
        assert close(j["values"]["mae"], ref["mae"])
        assert close(j["values"]["r2"], ref["r2"])
        assert j["values"]["bias"] == j["values"]["bias"] and close(j["values"]["bias"], ref["mean_error"])
        assert j["values"]["nope"] is None and r["nope"] == ""
        assert float(r["mae"]) == j["values"]["mae"]  # exact in both
        assert r["tags"] == ";".join(f"{k}={v}" for k, v in sorted(j["tags"].items()))
    table = runs(exe, store, "list", "--metrics", "mae", "--slice", "g=b").stdout
    assert "mae @g=b" in table.splitlines()[0]


# --------------------------------------------------------------------------------------
# show
# --------------------------------------------------------------------------------------
def test_show_values_against_python(exe, tmp_path):
    store = tmp_path / "runs.db"
    rows = dataset(11, n=31) + [(3.5, 4.0, "solo")]
    f = write_csv(tmp_path / "d.csv", rows)
    rid = log_run(exe, store, f, "--by", "g", "-m", "mae,rmse,r2,mean_error,count",
                  "--name", "s", "--tag", "owner=ana")
    d = runs_json(exe, store, "show", rid[:5])
    assert d["schema"] == "vernier.runs.show/1"
    run = d["run"]
    assert run["id"] == rid and run["name"] == "s" and run["tags"] == {"owner": "ana"}
    assert run["command"] == "eval" and run["spec"] == "mae,rmse,r2,mean_error,count"
    assert run["input"]["source"] == str(f) and run["input"]["rows_read"] == len(rows)
    assert re.fullmatch(r"[0-9a-f]{16}", run["input"]["data_hash"])
    assert json.loads(run["argv"])[:2] == ["vernier", "eval"]
    assert [m["key"] for m in d["metrics"]] == ["mae", "rmse", "r2", "mean_error", "count"]
    assert {m["key"]: m["direction"] for m in d["metrics"]}["r2"] == "higher"
    groups = {"overall": rows}
    for g in ("a", "b", "c", "solo"):
        groups[f"g={g}"] = [r for r in rows if r[2] == g]
    assert [s["slice"] for s in d["slices"]] == list(groups)
    for s in d["slices"]:
        pairs = [(y, yh) for y, yh, _ in groups[s["slice"]]]
        ref = py_metrics(pairs)
        assert s["rows"] == len(pairs)
        for k in ("mae", "rmse", "mean_error"):
            assert close(s["values"][k]["value"], ref[k]), (s["slice"], k)
        assert s["values"]["count"]["value"] == len(pairs)
        if ref["r2"] is None:
            assert s["values"]["r2"]["value"] is None
            assert s["values"]["r2"]["reason"] == "too_few_rows"
        else:
            assert close(s["values"]["r2"]["value"], ref["r2"])
    # the table shows the same run, rounded, with the reason for the n/a
    t = runs(exe, store, "show", "name:s").stdout
    assert rid in t and "owner=ana" in t and "n/a r2 (too_few_rows) in g=solo" in t
    assert "vernier eval" in t


# --------------------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------------------
DIRS = {"mae": "lower", "rmse": "lower", "max_error": "lower", "r2": "higher",
        "mean_error": "none", "medae": "lower"}


def expected_verdict(metric, a, b):
    if a == b:
        return "same"
    d = DIRS[metric]
    if d == "lower":
        return "better" if b < a else "worse"
    if d == "higher":
        return "better" if b > a else "worse"
    return "better" if abs(b) < abs(a) else "worse" if abs(b) > abs(a) else "changed"


@pytest.fixture()
def pair(exe, tmp_path):
    """A: overall only, with medae; B: smaller errors but one outlier, sliced by g."""
    store = tmp_path / "runs.db"
    fa = write_csv(tmp_path / "a.csv", dataset(5, scale=1.0))
    fb = write_csv(tmp_path / "b.csv", dataset(5, scale=0.5, outlier=9.0))
    a = log_run(exe, store, fa, "-m", "mae,rmse,max_error,r2,mean_error,medae", "--name", "A")
    b = log_run(exe, store, fb, "-m", "mae,rmse,max_error,r2,mean_error", "--by", "g", "--name", "B")
    return store, a, b


def test_diff_numbers_and_verdicts(exe, pair):
    store, a, b = pair
    d = runs_json(exe, store, "diff", "latest~1", "latest")
    assert d["schema"] == "vernier.runs.diff/1"
    assert (d["a"]["id"], d["b"]["id"]) == (a, b)
    assert d["same_data"] is False and d["intervals"] is False
    sa = runs_json(exe, store, "show", a)
    sb = runs_json(exe, store, "show", b)
    A = {(s["slice"], k): v["value"] for s in sa["slices"] for k, v in s["values"].items()}
    B = {(s["slice"], k): v["value"] for s in sb["slices"] for k, v in s["values"].items()}
    seen = set()
    verdicts = []
    for r in d["rows"]:
        key = (r["slice"], r["metric"])
        seen.add(key)
        assert r["direction"] == DIRS[r["metric"]]
        if key in A and key in B:
            x, y = A[key], B[key]
            assert (r["a"], r["b"]) == (x, y)
            assert r["change"] == y - x  # exactly the double subtraction
            assert r["relative"] == (y - x) / abs(x)
            assert r["verdict"] == expected_verdict(r["metric"], x, y), r
            assert r["beyond_interval"] is None
        elif key in A:
            assert r["verdict"] == "only_a" and r["b"] is None and r["change"] is None
        else:
            assert r["verdict"] == "only_b" and r["a"] is None
        verdicts.append(r["verdict"])
    assert seen == set(A) | set(B)
    # B has smaller errors but one outlier: both directions occur
    assert "better" in verdicts and "worse" in verdicts
    assert verdicts.count("only_a") == 1  # medae overall
    assert verdicts.count("only_b") == 3 * 5  # three slices, five metrics
    assert sum(d["summary"].values()) == len(d["rows"])
    # order: A's slices first, and overall rows before any slice
    assert [r["slice"] for r in d["rows"]][:6] == ["overall"] * 6

    table = runs(exe, store, "diff", "latest~1", "latest").stdout
    assert table.count("no intervals stored") == 1
    assert "beyond CI" not in table
    assert "DIFFERENT data" in table
    csvrows = list(csv.DictReader(io.StringIO(
        runs(exe, store, "diff", a, b, "--format", "csv").stdout)))
    assert [(r["slice"], r["metric"], r["verdict"]) for r in csvrows] == \
        [(r["slice"], r["metric"], r["verdict"]) for r in d["rows"]]
    for r, j in zip(csvrows, d["rows"]):
        if j["change"] is not None:
            assert float(r["change"]) == j["change"]


def test_diff_same_run_and_only_changed(exe, pair):
    store, a, _ = pair
    d = runs_json(exe, store, "diff", a, a)
    assert d["same_data"] is True
    assert {r["verdict"] for r in d["rows"]} == {"same"}
    assert d["summary"]["same"] == len(d["rows"]) == 6
    d2 = runs_json(exe, store, "diff", a, a, "--only-changed")
    assert d2["rows"] == [] and d2["summary"]["same"] == 6
    assert "nothing changed" in runs(exe, store, "diff", a, a, "--only-changed").stdout


def test_diff_undefined_values(exe, tmp_path):
    store = tmp_path / "runs.db"
    f = write_csv(tmp_path / "d.csv", dataset(3))
    a = log_run(exe, store, f, "--by", "g", "-m", "mae,r2", "--min-count", "1000")
    b = log_run(exe, store, f, "--by", "g", "-m", "mae,r2")
    d = runs_json(exe, store, "diff", a, b)
    by = {(r["slice"], r["metric"]): r for r in d["rows"]}
    assert by[("overall", "mae")]["verdict"] == "undefined_a"  # min_count in A
    assert by[("overall", "mae")]["a_reason"] == "min_count"
    assert by[("g=a", "r2")]["verdict"] == "undefined_a"
    back = runs_json(exe, store, "diff", b, a)
    assert {r["verdict"] for r in back["rows"]} == {"undefined_b"}
    both = runs_json(exe, store, "diff", a, a, "--only-changed")
    assert both["rows"] == [] and both["summary"]["undefined_both"] == 8


def test_diff_intervals(exe, pair, tmp_path):
    store, a, b = pair
    con = sqlite3.connect(store)
    # mae: disjoint intervals; rmse: overlapping; r2: only A has one.
    iv = {(a, "mae"): (0.9, 1.0), (b, "mae"): (0.2, 0.3),
          (a, "rmse"): (0.5, 1.5), (b, "rmse"): (1.0, 2.0), (a, "r2"): (0.1, 0.2)}
    for (rid, metric), (lo, hi) in iv.items():
        con.execute("UPDATE run_values SET ci_low = ?, ci_high = ? WHERE run_id = ? AND "
                    "metric = ? AND slice_no = 0", (lo, hi, rid, metric))
    con.commit()
    con.close()
    d = runs_json(exe, store, "diff", a, b)
    assert d["intervals"] is True
    by = {(r["slice"], r["metric"]): r for r in d["rows"]}
    assert by[("overall", "mae")]["beyond_interval"] is True
    assert by[("overall", "mae")]["a_interval"] == [0.9, 1.0]
    assert by[("overall", "rmse")]["beyond_interval"] is False
    assert by[("overall", "r2")]["beyond_interval"] is None
    assert by[("overall", "r2")]["a_interval"] == [0.1, 0.2] and by[("overall", "r2")]["b_interval"] is None
    table = runs(exe, store, "diff", a, b).stdout
    assert "beyond CI" in table and "no intervals stored" not in table
    line = next(l for l in table.splitlines() if l.startswith("overall") and " mae " in l)
    assert " yes " in line
    shown = runs(exe, store, "show", a).stdout
    assert "[0.9, 1]" in shown


# --------------------------------------------------------------------------------------
# tag, rm
# --------------------------------------------------------------------------------------
def test_tag_set_overwrite_remove(exe, three):
    store, ids, _ = three
    p = runs(exe, store, "tag", "name:r0", "stage=prod", "note=a=b", "empty=")
    assert "tag stage=prod set" in p.stderr
    tags = runs_json(exe, store, "list", "name:r0")["runs"][0]["tags"]
    assert tags == {"stage": "prod", "note": "a=b", "empty": "", "k": "0"}
    assert [r["name"] for r in runs_json(exe, store, "list", "tag:stage=prod")["runs"]] == ["r1", "r0"]
    p = runs(exe, store, "tag", ids[0], "--rm", "note", "--rm", "ghost")
    assert "tag note removed" in p.stderr and "had no tag ghost" in p.stderr
    assert "note" not in runs_json(exe, store, "list", "name:r0")["runs"][0]["tags"]
    for bad in (["tag", "latest"], ["tag", "latest", "=v"], ["tag", "latest", "novalue"],
                ["tag", "latest", "--rm", "a=b"], ["tag", "name:nobody", "a=b"]):
        runs(exe, store, *bad, rc=2)


def test_rm_union_and_refusals(exe, three):
    store, ids, _ = three
    # one selector that matches nothing: nothing is deleted
    runs(exe, store, "rm", "name:r0", "name:nobody", "--yes", rc=2)
    assert len(runs_json(exe, store, "list")["runs"]) == 3
    runs(exe, store, "rm", "name:r0", rc=2)  # no terminal, no --yes
    runs(exe, store, "rm", "", "--yes", rc=2)  # an empty selector would match all
    assert len(runs_json(exe, store, "list")["runs"]) == 3
    p = runs(exe, store, "rm", "name:r0", ids[0][:8], "tag:stage=prod", "--yes")
    assert "deleted 2 runs" in p.stderr
    assert [r["name"] for r in runs_json(exe, store, "list")["runs"]] == ["r2"]
    con = sqlite3.connect(store)  # everything recorded with them went too
    for table in ("run_values", "run_slices", "run_tags"):
        n = con.execute(f"SELECT count(*) FROM {table} WHERE run_id IN (?, ?)", (ids[0], ids[1]))
        assert n.fetchone()[0] == 0, table
    con.close()


def _rm_on_terminal(exe, store, answer):
    """Runs `vernier runs rm latest` with a pty as standard input; returns (rc, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([exe, "runs", "--store", str(store), "rm", "latest"], stdin=slave,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    os.close(slave)
    err = b""
    deadline = time.time() + 20
    while b"[y/N]" not in err and time.time() < deadline:
        r, _, _ = select.select([p.stderr], [], [], 0.5)
        if r:
            chunk = os.read(p.stderr.fileno(), 4096)
            if not chunk:
                break
            err += chunk
    os.write(master, answer)
    out, rest = p.communicate(timeout=20)
    os.close(master)
    return p.returncode, (err + rest).decode()


def test_rm_asks_on_a_terminal(exe, three):
    store, ids, _ = three
    rc, err = _rm_on_terminal(exe, store, b"n\n")
    assert rc == 0 and "delete 1 run? [y/N]" in err and "nothing deleted" in err
    assert ids[2] in err  # the run is listed before the question
    assert len(runs_json(exe, store, "list")["runs"]) == 3
    rc, err = _rm_on_terminal(exe, store, b"y\n")
    assert rc == 0 and "deleted 1 run" in err
    assert [r["id"] for r in runs_json(exe, store, "list")["runs"]] == ids[1::-1]


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------
def test_export_csv_json_roundtrip(exe, three):
    store, ids, _ = three
    runs(exe, store, "tag", ids[0], "odd=-x,y")  # a tag that needs quoting and guarding
    j = runs_json(exe, store, "export")
    assert j["schema"] == "vernier.runs/1"
    assert [r["id"] for r in j["runs"]] == ids[::-1]
    text = runs(exe, store, "export").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].startswith("run_id,created_at,name,command,spec,")
    assert len(rows) == sum(len(r["values"]) for r in j["runs"])
    it = iter(rows)
    for run in j["runs"]:
        show = runs_json(exe, store, "show", run["id"])
        assert {k: v for k, v in show["run"].items()} == {k: v for k, v in run.items() if k != "values"}
        shown = {(s["slice"], k): v for s in show["slices"] for k, v in s["values"].items()}
        assert len(shown) == len(run["values"])
        for v in run["values"]:
            r = next(it)
            assert r["run_id"] == run["id"] and r["name"] == run["name"]
            assert r["created_at"] == run["created_at"] and r["data_hash"] == run["input"]["data_hash"]
            assert (r["slice"], r["metric"], r["metric_id"]) == (v["slice"], v["metric"], v["metric_id"])
            assert int(r["slice_rows"]) == v["rows"]
            s = shown[(v["slice"], v["metric"])]
            assert s["value"] == v["value"]
            if v["value"] is None:
                assert r["value"] == "" and r["reason"] == v["reason"] == s["reason"]
            else:
                assert float(r["value"]) == v["value"]  # exact round trip
            assert r["lo"] == r["hi"] == "" and v["lo"] is None
            tags = ";".join(f"{k}={x}" for k, x in sorted(run["tags"].items()))
            # a cell starting with '-' is written with a leading quote (formula guard)
            assert r["tags"] in (tags, "'" + tags)
    # exact: every value is the double the store holds (read here with sqlite3)
    con = sqlite3.connect(store)
    stored = {(rid, lab, m): v for rid, lab, m, v in con.execute(
        "SELECT v.run_id, s.label, v.metric, v.value FROM run_values v JOIN run_slices s "
        "ON s.run_id = v.run_id AND s.slice_no = v.slice_no")}
    con.close()
    assert len(stored) == len(rows)
    for run in j["runs"]:
        for v in run["values"]:
            assert v["value"] == stored[(run["id"], v["slice"], v["metric"])]
    # selectors: union, each run once
    two = runs_json(exe, store, "export", "name:r0", "tag:k=0", "latest")
    assert [r["name"] for r in two["runs"]] == ["r2", "r0"]
    runs(exe, store, "export", "name:none", rc=2)


# --------------------------------------------------------------------------------------
# export-mlflow, read back as MLflow's FileStore reads it
# --------------------------------------------------------------------------------------
_VALID_NAME = re.compile(r"^[/\w.\- ]*$")             # mlflow/utils/validation.py
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXP_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,63}$")
EXP_KEYS = ["artifact_location", "creation_time", "experiment_id", "last_update_time",
            "lifecycle_stage", "name"]
RUN_KEYS = ["artifact_uri", "deleted_time", "end_time", "entry_point_name", "experiment_id",
            "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type",
            "source_version", "start_time", "status", "tags", "user_id"]


def _path_not_unique(name):
    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith("..") or norm.startswith("/")


def _check_name(name):
    assert _VALID_NAME.match(name) and name.isascii(), f"MLflow refuses the name {name!r}"
    assert not _path_not_unique(name), f"{name!r} is not a unique path"
    assert len(name) <= 250


def _yaml_keys(path):
    """The top-level keys of a meta.yaml in file order (MLflow writes them sorted)."""
    return [l.split(":", 1)[0] for l in path.read_text().splitlines() if l and not l.startswith(" ")]


def _files(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            name = os.path.relpath(os.path.join(root, f), d).replace(os.sep, "/")
            out[name] = (Path(root) / f).read_text()
    return out


def read_mlruns(root):
    """{experiment_id: {"meta": {...}, "runs": {run_id: {meta, metrics, params, tags}}}},
    read the way MLflow 2.x's FileStore reads it, checking what it checks."""
    root = Path(root)
    exps = {}
    for e in sorted(os.listdir(root)):
        ed = root / e
        if not ed.is_dir() or e == ".trash":
            continue
        assert _EXP_ID.match(e)
        meta = yaml.safe_load((ed / "meta.yaml").read_text())
        assert _yaml_keys(ed / "meta.yaml") == EXP_KEYS
        assert meta["experiment_id"] == e  # a string, equal to the directory name
        runs_ = {}
        for r in sorted(os.listdir(ed)):
            rd = ed / r
            if not rd.is_dir() or r in ("tags", "datasets", "traces"):
                continue
            assert not r.startswith(".vernier-tmp"), f"temporary directory left: {r}"
            if not (rd / "meta.yaml").exists():
                continue  # MLflow skips it (MissingConfigException)
            assert _yaml_keys(rd / "meta.yaml") == RUN_KEYS
            rm = yaml.safe_load((rd / "meta.yaml").read_text())
            assert _RUN_ID.match(rm["run_id"]) and rm["run_uuid"] == rm["run_id"] == r
            assert rm["experiment_id"] == e
            metrics = {}
            for name, text in _files(rd / "metrics").items():
                _check_name(name)
                lines = text.splitlines()
                assert text.endswith("\n") and lines
                pts = []
                for line in lines:  # FileStore._get_metric_from_line
                    parts = line.strip().split(" ")
                    assert len(parts) in (2, 3)
                    pts.append((int(parts[0]), float(parts[1]), int(parts[2]) if len(parts) == 3 else 0))
                metrics[name] = pts
            params = _files(rd / "params")
            tags = _files(rd / "tags")
            for name in list(params) + list(tags):
                _check_name(name)
            assert (rd / "artifacts").is_dir()
            runs_[r] = {"meta": rm, "metrics": metrics, "params": params, "tags": tags}
        exps[e] = {"meta": meta, "runs": runs_}
    return exps


def _safe(part):
    s = re.sub(r"[^A-Za-z0-9_\-. ]", "_", part)  # one '_' per character, '/' included
    return "_" if s in ("", ".", "..") else s


def expected_metric_keys(values):
    """{metric key: value} as docs/runs.md specifies: defined values only, <slice>/<metric>
    made safe, clashes numbered _2, _3 in stored order."""
    out = {}
    for v in values:
        if v["value"] is None:
            continue
        base = f"{_safe(v['slice'])}/{_safe(v['metric'])}"
        key, k = base, 2
        while key in out:
            key, k = f"{base}_{k}", k + 1
        out[key] = v["value"]
    return out


def ms(iso):
    """Milliseconds since the epoch of "2026-11-28T14:03:07.123Z", in integers only."""
    dt = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    whole = datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, tzinfo=timezone.utc)
    return int(whole.timestamp()) * 1000 + dt.microsecond // 1000


@pytest.fixture()
def odd_store(exe, tmp_path):
    """Runs whose slice labels and tag keys need MLflow-safe names, with a clash."""
    store = tmp_path / "runs.db"
    rows = [(1.0, 1.5, "north/east"), (2.0, 2.5, "north/east"), (3.0, 2.0, "a:b=c"),
            (4.0, 4.5, "a:b=c"), (5.0, 6.0, "zürich"), (6.0, 5.5, "zürich"), (7.0, 7.25, ".."),
            (8.0, 9.0, "a_b_c"), (9.0, 9.5, "solo")]
    f = write_csv(tmp_path / "odd.csv", rows)
    a = log_run(exe, store, f, "--by", "g", "-m", "mae,r2,huber:delta=2,pinball:q=0.9",
                "--name", "odd \"quoted\" ü", "--tag", "team/ml=core", "--tag", "mlflow.runName=x")
    b = log_run(exe, store, f, "-m", "mae,rmse")  # no name
    return store, a, b


def test_mlflow_export_field_by_field(exe, odd_store, tmp_path):
    store, a, b = odd_store
    out = tmp_path / "ml runs"  # a space: percent-encoded in URIs
    p = runs(exe, store, "export-mlflow", out)
    assert "exported 2 runs" in p.stderr and "undefined value" in p.stderr
    exps = read_mlruns(out)
    assert list(exps) == ["0"]
    assert (out / ".trash").is_dir()
    em = exps["0"]["meta"]
    assert em["name"] == "vernier" and em["lifecycle_stage"] == "active"
    assert em["artifact_location"] == (out.resolve() / "0").as_uri()
    assert isinstance(em["creation_time"], int) and em["last_update_time"] == em["creation_time"]
    assert abs(em["creation_time"] - time.time() * 1000) < 600_000

    exported = {r["id"]: r for r in runs_json(exe, store, "export")["runs"]}
    got = exps["0"]["runs"]
    assert sorted(got) == sorted(i + "0" * 16 for i in exported)
    for rid, run in exported.items():
        uuid = rid + "0" * 16
        g = got[uuid]
        m = g["meta"]
        t = ms(run["created_at"])
        assert m["artifact_uri"] == (out.resolve() / "0" / uuid / "artifacts").as_uri()
        assert m["deleted_time"] is None
        assert m["start_time"] == m["end_time"] == t
        assert m["entry_point_name"] == m["source_name"] == m["source_version"] == ""
        assert m["lifecycle_stage"] == "active"
        assert m["run_name"] == (run["name"] or rid)
        assert m["source_type"] == 4 and m["status"] == 3
        assert m["tags"] == [] and m["user_id"] == ""
        # metrics: every defined value, exactly, at the run's time, step 0
        want = expected_metric_keys(run["values"])
        assert set(g["metrics"]) == set(want)
        for k, v in want.items():
            assert g["metrics"][k] == [(t, v, 0)], k
        # params
        inp = run["input"]
        want_params = {"spec": run["spec"], "command": run["command"], "argv": run["argv"],
                       "source": inp["source"], "y": inp["y"], "yhat": inp["yhat"],
                       "weight": inp["weight"], "data_hash": inp["data_hash"],
                       "rows_read": str(inp["rows_read"]), "rows_used": str(inp["rows_used"]),
                       "rows_missing": str(inp["rows_missing"]),
                       "rows_zero_weight": str(inp["rows_zero_weight"]),
                       "vernier_version": run["vernier"], "vernier_run_id": rid}
        assert g["params"] == {k: v for k, v in want_params.items() if v}
        # tags: vernier's (keys made safe), then system tags that win
        want_tags = {_safe(k): v for k, v in run["tags"].items()}
        want_tags.update({"mlflow.runName": run["name"] or rid, "mlflow.source.name": "vernier",
                          "mlflow.source.type": "LOCAL"})
        if run["git_commit"]:
            want_tags["mlflow.source.git.commit"] = run["git_commit"]
        assert g["tags"] == want_tags
    ga = got[a + "0" * 16]
    # the names this data set produces, spelled out once
    assert {"g_north_east/mae", "g_a_b_c/mae", "g_a_b_c/mae_2", "g_z_rich/mae", "g_../mae",
            "overall/huber_delta_2", "overall/pinball_q_0.9"} <= set(ga["metrics"])
    assert "g_solo/r2" not in ga["metrics"]  # undefined: left out
    assert ga["tags"]["team_ml"] == "core" and ga["tags"]["mlflow.runName"] == 'odd "quoted" ü'


def test_mlflow_reexport_replaces_run(exe, odd_store, tmp_path):
    store, a, b = odd_store
    out = tmp_path / "mlruns"
    runs(exe, store, "export-mlflow", out, "latest")
    uuid = b + "0" * 16
    before = (out / "0" / uuid).stat().st_ino
    runs(exe, store, "tag", b, "stage=prod")
    p = runs(exe, store, "export-mlflow", out, "latest", "--experiment-name", "ignored")
    assert "existing MLflow experiment 0" in p.stderr
    exps = read_mlruns(out)
    assert exps["0"]["meta"]["name"] == "vernier"  # an existing experiment is kept
    assert list(exps["0"]["runs"]) == [uuid]
    assert exps["0"]["runs"][uuid]["tags"]["stage"] == "prod"
    assert (out / "0" / uuid).stat().st_ino != before
    assert sorted(os.listdir(out / "0")) == sorted(["meta.yaml", uuid])  # nothing temporary left


def test_mlflow_experiment_options(exe, odd_store, tmp_path):
    store, a, b = odd_store
    out = tmp_path / "mlruns"
    # an existing mlruns with MLflow's Default experiment stays untouched
    (out / "0").mkdir(parents=True)
    default = "artifact_location: file:///x/0\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n"
    (out / "0" / "meta.yaml").write_text(default)
    runs(exe, store, "export-mlflow", out, "--experiment-id", "vn-7", "--experiment-name", "demand q4")
    assert (out / "0" / "meta.yaml").read_text() == default
    meta = yaml.safe_load((out / "vn-7" / "meta.yaml").read_text())
    assert meta["experiment_id"] == "vn-7" and meta["name"] == "demand q4"
    runs_here = [d for d in os.listdir(out / "vn-7") if d != "meta.yaml"]
    assert sorted(runs_here) == sorted([a + "0" * 16, b + "0" * 16])
    for bad in ("-x", "a/b", "", "x" * 65):
        runs(exe, store, "export-mlflow", out, "--experiment-id", bad, rc=2)
    runs(exe, store, "export-mlflow", out, "name:nobody", rc=2)
    (tmp_path / "file").write_text("x")
    p = runs(exe, store, "export-mlflow", tmp_path / "file", rc=4)
    assert "file" in p.stderr


# --------------------------------------------------------------------------------------
# the command line itself
# --------------------------------------------------------------------------------------
SUBS = ["list", "show", "diff", "tag", "rm", "export", "export-mlflow"]


def test_missing_store_is_not_created(exe, tmp_path):
    store = tmp_path / "sub" / "runs.db"
    for args in (["list"], ["show", "latest"], ["diff", "latest", "latest"],
                 ["tag", "latest", "a=b"], ["rm", "latest", "--yes"], ["export"],
                 ["export-mlflow", tmp_path / "ml"]):
        p = runs(exe, store, *args, rc=4)
        assert "no run store at" in p.stderr
    assert not (tmp_path / "sub").exists() and not (tmp_path / "ml").exists()


def test_store_from_environment_and_default(exe, three, tmp_path):
    store, ids, _ = three
    env = clean_env(VERNIER_STORE=str(store))
    p = subprocess.run([exe, "runs", "list", "--format", "csv"], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 4
    (tmp_path / "proj" / ".vernier").mkdir(parents=True)
    os.link(store, tmp_path / "proj" / ".vernier" / "runs.db")
    p = vern(exe, "runs", "show", ids[0][:8], "--format", "json", cwd=tmp_path / "proj")
    assert json.loads(p.stdout)["run"]["id"] == ids[0]


@pytest.mark.parametrize("sub", [None] + SUBS)
def test_help_ends_with_examples_and_exit_codes(exe, sub):
    p = vern(exe, "runs", *([sub] if sub else []), "--help")
    text = p.stdout
    assert text.startswith("usage: vernier runs")
    assert "\nexamples:\n" in text
    last = text.rstrip("\n").split("\n\n")[-1]
    assert last.startswith("Exit codes: 0 ok") and "2 usage" in last
    assert text.index("examples:") < text.index("Exit codes:")
    if sub:
        assert vern(exe, "runs", "help", sub).stdout == text
