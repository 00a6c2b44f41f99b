#!/usr/bin/python3
"""Worst-slice search against a plain evaluation of the same file (issue 13).

    make && /usr/bin/python3 bench/slices.py                 # 1e7 rows, appends to bench/RESULTS.md
    /usr/bin/python3 bench/slices.py --rows 1e6 --no-write    # a quicker look, writes nothing
    /usr/bin/python3 bench/slices.py --exe build-x/vernier    # another build

1. generates (once; cached in bench/data/, git-ignored) ROWS rows of y, yhat and ten
   candidate columns: five categorical (c1..c5 with 3, 5, 8, 12 and 20 values) and five
   numeric (n1..n5), seed 7; one planted weak slice (c2 = v1 and n3 in its top fifth:
   errors doubled) and noise elsewhere;
2. runs, alternately, REPS (3) times each, as fresh processes timed whole (wall clock,
   and the CPU time of the process), with the same --threads T (2) for both:
       build/vernier eval FILE -y y -p yhat --threads T               (the default battery)
       build/vernier slices FILE -y y -p yhat --columns c1,...,n5 --depth 2 --threads T
3. checks that the search's first finding is the planted slice, prints a Markdown table
   and writes it to bench/RESULTS.md as the section "Worst-slice search (issue 13)"
   (replacing an earlier one).
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SECTION = "## Worst-slice search (issue 13)"
COLUMNS = ["c1", "c2", "c3", "c4", "c5", "n1", "n2", "n3", "n4", "n5"]


def data_file(rows):
    import numpy as np
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    path = os.path.join(HERE, "data", f"slices_{rows}_s7.csv")
    if os.path.exists(path):
        return path
    rng = np.random.default_rng(7)
    levels = [3, 5, 8, 12, 20]
    cats = [rng.integers(0, k, rows) for k in levels]
    nums = [rng.normal(0, 1, rows) for _ in range(5)]
    y = rng.gamma(4.0, 5.0, rows)
    e = rng.normal(0, 2.0, rows)
    planted = (cats[1] == 1) & (nums[2] > np.quantile(nums[2], 0.8))
    e[planted] *= 2.0
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("y,yhat," + ",".join(COLUMNS) + "\n")
        step = 500_000
        for a in range(0, rows, step):
            b = min(rows, a + step)
            cols = [np.char.mod("%.4f", y[a:b]), np.char.mod("%.4f", y[a:b] + e[a:b])]
            cols += [np.char.add("v", cats[k][a:b].astype(str)) for k in range(5)]
            cols += [np.char.mod("%.5f", nums[k][a:b]) for k in range(5)]
            lines = cols[0]
            for c in cols[1:]:
                lines = np.char.add(np.char.add(lines, ","), c)
            f.write("\n".join(lines.tolist()))
            f.write("\n")
    os.replace(tmp, path)
    return path


def timed(argv):
    """Wall-clock and CPU (user + system) seconds of one run, and its output."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"slices: {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p.stdout


def write_section(text):
    res = os.path.join(HERE, "RESULTS.md")
    old = open(res, encoding="utf-8").read() if os.path.exists(res) else ""
    if SECTION in old:  # replace the earlier section, up to the next one
        a = old.index(SECTION)
        b = old.find("\n## ", a + 1)
        old = old[:a].rstrip("\n") + ("\n\n" + old[b + 1:] if b >= 0 else "\n")
    with open(res, "w", encoding="utf-8") as f:
        f.write(old.rstrip("\n") + "\n\n" + text + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="1e7", help="rows of the generated file (default 1e7)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="--threads of both commands (default 2)")
    ap.add_argument("--exe", default=os.path.join(ROOT, "build", "vernier"),
                    help="the vernier binary (default build/vernier)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = ap.parse_args(argv)
    rows = int(float(args.rows))
    exe = os.path.abspath(args.exe)
    path = data_file(rows)
    thr = str(args.threads)
    ev = [exe, "eval", path, "-y", "y", "-p", "yhat", "--threads", thr, "--format", "json"]
    sl = [exe, "slices", path, "-y", "y", "-p", "yhat", "--columns", ",".join(COLUMNS),
          "--depth", "2", "--threads", thr, "--format", "json"]
    t_ev, t_sl, c_ev, c_sl = [], [], [], []
    out = ""
    load0 = os.getloadavg()
    for _ in range(args.reps):
        w, c, _out = timed(ev)
        t_ev.append(w)
        c_ev.append(c)
        w, c, out = timed(sl)
        t_sl.append(w)
        c_sl.append(c)
    load1 = os.getloadavg()
    doc = json.loads(out)
    first = doc["slices"][0]
    planted_first = first.get("rank") == 1 and "c2=v1" in first["label"] and "n3" in first["label"]
    me, ms = statistics.median(t_ev), statistics.median(t_sl)
    ce, cs = statistics.median(c_ev), statistics.median(c_sl)
    cmd = "bench/slices.py" + ("" if args.rows == "1e7" else f" --rows {args.rows}") + \
        ("" if args.threads == 2 else f" --threads {args.threads}") + \
        ("" if args.reps == 3 else f" --reps {args.reps}") + \
        ("" if args.exe == ap.get_default("exe") else f" --exe {args.exe}")
    text = "\n".join([
        SECTION,
        "",
        f"Produced by `/usr/bin/python3 {cmd}` on "
        f"{datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M')} UTC ({os.cpu_count()} CPUs, "
        f"load average {load0[0]:.2f} before the runs and {load1[0]:.2f} after: the machine is "
        f"shared; medians of {args.reps} whole-process runs, alternating). Data: {rows:,} rows, "
        "y, yhat and ten candidate columns (five categorical with 3 to 20 values, five numeric "
        "in 5 quantile bins), one planted weak slice `c2=v1 & n3` in its top fifth (errors "
        f"doubled). Both commands with `--threads {args.threads}`.",
        "",
        "| run | wall time (s, median) | runs (s) | CPU time (s, median) |",
        "|---|---:|---|---:|",
        f"| `vernier eval` (default battery, {args.threads} threads) | {me:.2f} | "
        + ", ".join(f"{t:.2f}" for t in t_ev) + f" | {ce:.2f} |",
        f"| `vernier slices --depth 2` over 10 columns (mae, {args.threads} threads) | {ms:.2f} | "
        + ", ".join(f"{t:.2f}" for t in t_sl) + f" | {cs:.2f} |",
        "",
        f"Ratio: {ms / me:.1f}x a plain evaluation in wall time (target: at most 3x): "
        f"**{'met' if ms / me <= 3 else 'not met'}**; {cs / ce:.1f}x in CPU time. First finding: "
        f"`{first['label']}` ({'the planted slice' if planted_first else 'NOT the planted slice'}), "
        f"{doc['search']['tested'] if 'tested' in doc.get('search', {}) else '?'} candidates tested.",
    ])
    print(text)
    if not args.no_write:
        write_section(text)
        print("slices: wrote the section to bench/RESULTS.md")
    return 0 if planted_first else 1


if __name__ == "__main__":
    sys.exit(main())
