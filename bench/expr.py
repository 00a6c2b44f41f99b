#!/usr/bin/python3
"""Custom metrics: an expression against the equivalent built-in and numpy (issue 11).

    make && /usr/bin/python3 bench/expr.py               # 1e7 rows, writes bench/RESULTS.md
    /usr/bin/python3 bench/expr.py --rows 1e6 --no-write  # a quicker look, writes nothing
    /usr/bin/python3 bench/expr.py --build build-expr     # another build directory

The expression is the asymmetric cost of docs/expressions.md's first example,
    cost=mean(if(y > yhat, 3 * (y - yhat), yhat - y))
(an under-prediction costs three times an over-prediction). It equals 4 × the pinball
loss at q = 0.75, so the built-in to match is pinball:q=0.75: the same data, the same
work for the reader, one per-row loss.

1. generates (once; cached in bench/data/, git-ignored) the rows with bench/gen.py
   (seed 12345, as bench/boot.py and bench/run.py);
2. times, alternately, REPS (5) times each, as fresh processes timed whole (wall clock):
       BUILD/vernier eval FILE -y y -p yhat -m pinball:q=0.75 --format json
       BUILD/vernier eval FILE -y y -p yhat -m 'cost=...' --format json
   and the same through the C API on arrays already in memory (bench/inmem.c, built as
   bench/run.py builds it: vn_eval_new + vn_eval_update + vn_eval_finish timed), with 1
   and 2 threads;
3. times numpy computing the expression on the same arrays in memory
   (np.mean(np.where(y > yhat, 3 * (y - yhat), yhat - y)), best of REPS), and pandas
   read_csv + that line as a whole process;
4. checks the three agree: vernier's cost against 4 × its pinball (1e-14 relative) and
   against numpy (1e-12);
5. prints a Markdown table and writes it to bench/RESULTS.md as the section
   "Custom metrics: expressions (issue 11)", replacing an earlier one.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from boot import cpu_model, data_file, loadavg, parse_rows, timed  # noqa: E402
from results import write_section  # noqa: E402
from run import build_inmem  # noqa: E402

PY = "/usr/bin/python3"
SECTION = "## Custom metrics: expressions (issue 11)"
EXPR = "cost=mean(if(y > yhat, 3 * (y - yhat), yhat - y))"
BUILTIN = "pinball:q=0.75"


def numpy_inmem(args):
    """Runs in its own process: loads the arrays (not timed), times the expression."""
    import numpy as np
    d = np.load(args.numpy_inmem + ".npz") if os.path.exists(args.numpy_inmem + ".npz") \
        else None
    if d is not None:
        y, p = d["y"], d["yhat"]
    else:
        import pandas as pd
        df = pd.read_csv(args.numpy_inmem, usecols=["y", "yhat"])
        y, p = df["y"].to_numpy(), df["yhat"].to_numpy()
    times, v = [], None
    for _ in range(args.reps):
        t0 = time.perf_counter()
        v = float(np.mean(np.where(y > p, 3 * (y - p), p - y)))
        times.append(time.perf_counter() - t0)
    json.dump({"times": times, "value": v}, sys.stdout)
    return 0


def numpy_whole(args):
    """Runs as a whole process: pandas read_csv, then the expression."""
    import numpy as np
    import pandas as pd
    df = pd.read_csv(args.numpy_whole, usecols=["y", "yhat"], dtype={"y": "float64",
                                                                      "yhat": "float64"})
    y, p = df["y"].to_numpy(), df["yhat"].to_numpy()
    print(json.dumps({"value": float(np.mean(np.where(y > p, 3 * (y - p), p - y)))}))
    return 0


def value_of(stdout, key):
    doc = json.loads(stdout)
    if "slices" in doc:
        return doc["slices"][0]["values"][key]["value"]
    return doc["values"][key]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=parse_rows, default=parse_rows("1e7"))
    ap.add_argument("--reps", type=int, default=5, help="timed runs of each command")
    ap.add_argument("--build", default="build", help="the build directory (default build)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--numpy-inmem", metavar="FILE", help=argparse.SUPPRESS)
    ap.add_argument("--numpy-whole", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.numpy_inmem:
        return numpy_inmem(args)
    if args.numpy_whole:
        return numpy_whole(args)

    vernier = os.path.join(ROOT, args.build, "vernier")
    if not os.path.exists(vernier):
        raise SystemExit(f"expr: {args.build}/vernier not found (run make)")
    path = data_file(args.rows)
    rel = os.path.relpath(path, ROOT)
    tmp = tempfile.mkdtemp(prefix="vernier-expr-bench-")
    inmem = build_inmem(vernier, tmp)
    load_before = loadavg()

    def cli(metric):
        return [vernier, "eval", path, "-y", "y", "-p", "yhat", "-m", metric, "--format", "json"]

    def api(metric, threads):
        return [inmem, path, "--metrics", metric, "--threads", str(threads)]

    runs = {
        "cli_builtin": (cli(BUILTIN), "pinball:q=0.75"),
        "cli_expr": (cli(EXPR), "cost"),
        "api_builtin_1": (api(BUILTIN, 1), "pinball:q=0.75"),
        "api_expr_1": (api(EXPR, 1), "cost"),
        "api_builtin_2": (api(BUILTIN, 2), "pinball:q=0.75"),
        "api_expr_2": (api(EXPR, 2), "cost"),
        "numpy_whole": ([PY, os.path.abspath(__file__), "--numpy-whole", path], "value"),
    }
    wall = {k: [] for k in runs}
    inside = {k: [] for k in runs if k.startswith("api")}  # the C API's own timing
    values = {}
    for rep in range(args.reps):
        for k, (argv_k, key) in runs.items():
            w, out = timed(argv_k)
            wall[k].append(w)
            doc = json.loads(out)
            if k.startswith("api"):
                inside[k].append(doc["seconds"])
                values[k] = doc["values"][key]
            elif k == "numpy_whole":
                values[k] = doc["value"]
            else:
                values[k] = value_of(out, key)
            print(f"expr: {k} run {rep + 1}: {w:.2f} s"
                  + (f" ({doc['seconds']:.3f} s in the API)" if k.startswith("api") else ""),
                  flush=True)
    _, out = timed([PY, os.path.abspath(__file__), "--numpy-inmem", path, "--reps",
                    str(args.reps)])
    npi = json.loads(out)
    load_after = loadavg()

    cost, pin, npv = values["cli_expr"], values["cli_builtin"], npi["value"]
    agree_pin = abs(cost - 4 * pin) <= 1e-14 * abs(cost)
    agree_np = abs(cost - npv) <= 1e-12 * abs(cost) and abs(values["numpy_whole"] - npv) == 0
    agree_api = values["api_expr_1"] == cost and values["api_expr_2"] == cost

    med = {k: statistics.median(v) for k, v in wall.items()}
    imed = {k: statistics.median(v) for k, v in inside.items()}
    np_best = min(npi["times"])
    np_med = statistics.median(npi["times"])

    def rng(v):
        return f"{min(v):.3f}–{max(v):.3f}"

    cmd = "make && /usr/bin/python3 bench/expr.py" + (
        f" --rows {args.rows}" if args.rows != 10_000_000 else "") + (
        f" --build {args.build}" if args.build != "build" else "")
    r_cli = med["cli_expr"] / med["cli_builtin"]
    r_api1 = imed["api_expr_1"] / imed["api_builtin_1"]
    r_api2 = imed["api_expr_2"] / imed["api_builtin_2"]
    f_np = np_med / imed["api_expr_1"]
    # the least disturbed run of each (the machine is shared: medians carry others' load)
    b_cli = min(wall["cli_expr"]) / min(wall["cli_builtin"])
    b_api1 = min(inside["api_expr_1"]) / min(inside["api_builtin_1"])
    b_np = np_best / min(inside["api_expr_1"])
    b_np2 = np_best / min(inside["api_expr_2"])
    lines = [
        SECTION,
        "",
        f"Produced by `bench/expr.py` (re-run with `{cmd}`; it replaces only this section).",
        "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {cpu_model()}, "
        f"{os.cpu_count()} CPUs; load average before the runs {load_before}, after "
        f"{load_after} (the machine is shared: other work on it slows the runs down)",
        f"- Data: `bench/gen.py --rows {args.rows} --seed 12345` ({args.rows:,} rows, "
        f"`{rel}`); Python {platform.python_version()}, numpy and pandas of Debian",
        f"- The expression: `-m '{EXPR}'` (an under-prediction costs 3× an "
        f"over-prediction), which is 4 × `{BUILTIN}`: the built-in it is timed against.",
        f"- {args.reps} runs of each, alternately; median and range. \"Whole process\" is "
        f"the wall time of a fresh process reading the CSV; \"in memory\" is the time "
        f"inside the process on arrays already loaded: bench/inmem.c's `vn_eval_new` + "
        f"`vn_eval_update` + `vn_eval_finish`, and numpy's one line.",
        f"- Same value: the expression {cost!r} = 4 × pinball ({4 * pin!r}) "
        f"{'within' if agree_pin else '**not within**'} 1e-14; numpy {npv!r} "
        f"{'within' if agree_np else '**not within**'} 1e-12; the C API gives the CLI's "
        f"value bit for bit: {'yes' if agree_api else '**no**'}.",
        "",
        "| run | time (s, median) | min–max (s) | ÷ built-in |",
        "|---|---:|---:|---:|",
        f"| vernier CLI, whole process, `{BUILTIN}` | {med['cli_builtin']:.3f} | "
        f"{rng(wall['cli_builtin'])} | 1 |",
        f"| vernier CLI, whole process, expression | {med['cli_expr']:.3f} | "
        f"{rng(wall['cli_expr'])} | {r_cli:.2f} |",
        f"| pandas read_csv + numpy, whole process | {med['numpy_whole']:.3f} | "
        f"{rng(wall['numpy_whole'])} | {med['numpy_whole'] / med['cli_builtin']:.2f} |",
        f"| vernier C API in memory, `{BUILTIN}`, 1 thread | {imed['api_builtin_1']:.3f} | "
        f"{rng(inside['api_builtin_1'])} | 1 |",
        f"| vernier C API in memory, expression, 1 thread | {imed['api_expr_1']:.3f} | "
        f"{rng(inside['api_expr_1'])} | {r_api1:.2f} |",
        f"| vernier C API in memory, `{BUILTIN}`, 2 threads | {imed['api_builtin_2']:.3f} | "
        f"{rng(inside['api_builtin_2'])} | 1 |",
        f"| vernier C API in memory, expression, 2 threads | {imed['api_expr_2']:.3f} | "
        f"{rng(inside['api_expr_2'])} | {r_api2:.2f} |",
        f"| numpy in memory (best {np_best:.3f}) | {np_med:.3f} | {rng(npi['times'])} | "
        f"{np_med / imed['api_builtin_1']:.2f} |",
        "",
        f"Targets, on the medians: within 2× of the built-in — {r_api1:.2f}× in memory "
        f"(1 thread), {r_cli:.2f}× whole process: "
        f"**{'met' if max(r_api1, r_cli) <= 2 else 'not met'}**; faster than numpy — "
        f"{f_np:.2f}× numpy's speed in memory on one thread, "
        f"{med['numpy_whole'] / med['cli_expr']:.1f}× as whole processes: "
        f"**{'met' if f_np > 1 and med['numpy_whole'] > med['cli_expr'] else 'not met'}**.",
        f"On the fastest run of each: {b_api1:.2f}× and {b_cli:.2f}× the built-in; "
        f"{b_np:.2f}× numpy's speed in memory on one thread, {b_np2:.2f}× on two.",
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
        print("expr: wrote bench/RESULTS.md")
    return 0 if agree_pin and agree_np and agree_api else 1


if __name__ == "__main__":
    sys.exit(main())
