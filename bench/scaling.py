#!/usr/bin/python3
"""Scaling of `vernier eval` with the number of rows (issue 3).

    make && /usr/bin/python3 bench/scaling.py                  # 1e6, 1e7, 1e8 rows; writes RESULTS.md
    /usr/bin/python3 bench/scaling.py --sizes 1e6,1e7 --no-write
    /usr/bin/python3 bench/scaling.py --smoke                  # tiny sizes, checks only (CI)

1. generates (once; cached in bench/data/, git-ignored) the benchmark CSV of each size
   with bench/gen.py (seed 12345; the 1e8-row file is about 2 GB and takes minutes to
   write: it is made on the spot, never committed), and reads it once so that the timed
   runs find it in the page cache;
2. runs, as fresh processes, REPS (3; 1 for sizes over 2e7) times each, with the CLI's
   default thread count:
       vernier eval FILE -y y -p yhat --format json                       (exact quantiles)
       vernier eval FILE -y y -p yhat -m MOMENTS --format json            (no quantiles)
   where MOMENTS is the default battery without its quantiles (count, mae, mse, rmse,
   mean_error, mape, smape, wmape, huber, pinball, r2, max_error): every value a sum,
   so nothing per row is kept;
3. reports the median wall time, ns per row, peak RSS (GNU time's %M), and the targets:
   time at most linear in rows (ns/row at the largest size no more than 25 % above any
   smaller size's: a per-row cost that falls as fixed costs spread is fine), memory
   flat for the moment-only set (peak RSS at the largest size within 16 MiB of the
   smallest's), and at most 12 bytes per row for exact quantiles (the difference of the
   two runs' peak RSS over the rows, at the largest size); and checks that the moment
   metrics agree between the two runs (the same sums) to 1e-12.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run as bench  # noqa: E402  (bench/run.py: data_file, warm, run_measured, machine_info)
from results import write_section  # noqa: E402

SECTION = "## Scaling with the number of rows (issue 3)"
MOMENTS = ("count,mae,mse,rmse,mean_error,mape,smape,wmape,huber,pinball:q=0.9,r2,"
           "max_error")
TOL = 1e-12


def parse_size(text):
    v = float(text)
    if v < 1000 or v != int(v):
        raise argparse.ArgumentTypeError(f"sizes are integers >= 1000: {text!r}")
    return int(v)


def measure(vernier, path, metrics, reps, workdir, label):
    argv = [vernier, "eval", path, "-y", "y", "-p", "yhat", "--format", "json"]
    if metrics:
        argv += ["-m", metrics]
    runs = []
    for i in range(reps):
        r = bench.run_measured(label, argv, os.path.join(workdir, f"{label}.{i}.json"))
        bench.check_ok(r)
        runs.append(r)
    return runs


def overall(doc):
    return {k: v["value"] for k, v in doc["slices"][0]["values"].items()}


def agree(a, b, keys):
    """The largest relative difference over keys defined in both; None if none are."""
    worst = None
    for k in keys:
        x, y = a.get(k), b.get(k)
        if x is None or y is None:
            continue
        d = abs(x - y) / max(abs(x), abs(y), 1e-300)
        worst = d if worst is None else max(worst, d)
    return worst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e6,1e7,1e8",
                    help="comma-separated row counts (default 1e6,1e7,1e8)")
    ap.add_argument("--reps", type=int, default=3, help="runs per size and metric set (3)")
    ap.add_argument("--exe", default=os.path.join(bench.ROOT, "build", "vernier"))
    ap.add_argument("--data", default=os.path.join(HERE, "data"), help="the CSV cache")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    ap.add_argument("--smoke", action="store_true",
                    help="2e4 and 2e5 rows in a scratch folder, one run each, no RESULTS.md")
    args = ap.parse_args(argv)
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    reps = args.reps
    tmp = tempfile.TemporaryDirectory(prefix="vernier-scaling.")
    data = args.data
    if args.smoke:
        sizes, reps, data, args.no_write = [20000, 200000], 1, tmp.name, True
    vernier = os.path.abspath(args.exe)
    if not os.access(vernier, os.X_OK):
        sys.exit(f"scaling: no {vernier} (run make first)")
    mi = bench.machine_info(vernier)
    rows_out = []
    for n in sizes:
        path = bench.data_file(n, data)
        bench.warm(path)
        k = reps if n <= 20_000_000 else 1
        exact = measure(vernier, path, None, k, tmp.name, f"exact{n}")
        mom = measure(vernier, path, MOMENTS, k, tmp.name, f"moments{n}")
        d = agree(overall(exact[0].json()), overall(mom[0].json()), MOMENTS.split(","))
        if d is None or d > TOL:
            sys.exit(f"scaling: at {n:,} rows the moment metrics differ between the two runs "
                     f"({d})")
        rows_out.append({
            "rows": n, "bytes": os.path.getsize(path), "reps": k,
            "t_exact": statistics.median(r.wall for r in exact),
            "t_mom": statistics.median(r.wall for r in mom),
            "rss_exact": max(r.rss_kib for r in exact) * 1024,
            "rss_mom": max(r.rss_kib for r in mom) * 1024,
            "agree": d,
        })
        r = rows_out[-1]
        print(f"scaling: {n:>11,} rows: exact {r['t_exact']:.3f} s "
              f"{r['rss_exact'] / 2**20:.0f} MiB; moments {r['t_mom']:.3f} s "
              f"{r['rss_mom'] / 2**20:.0f} MiB", flush=True)

    big, small = rows_out[-1], rows_out[0]
    ns = {r["rows"]: (1e9 * r["t_exact"] / r["rows"], 1e9 * r["t_mom"] / r["rows"])
          for r in rows_out}
    # growth of the per-row cost from each smaller size to the largest (negative: falls)
    lin_exact = max(ns[big["rows"]][0] / ns[r["rows"]][0] - 1 for r in rows_out)
    lin_mom = max(ns[big["rows"]][1] / ns[r["rows"]][1] - 1 for r in rows_out)
    flat = (big["rss_mom"] - small["rss_mom"]) / 2**20
    per_row = (big["rss_exact"] - big["rss_mom"]) / big["rows"]

    def verdict(ok):
        return "met" if ok else "**not met**"

    cmd = "make && /usr/bin/python3 bench/scaling.py" + (
        f" --sizes {args.sizes}" if args.sizes != "1e6,1e7,1e8" else "")
    lines = [SECTION, "",
             f"Produced by `bench/scaling.py`; re-run with `{cmd}`.", "",
             f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {mi['cpu']}, "
             f"{mi['nproc']} CPUs; load average before: {mi['load']}, after: "
             f"{bench.loadavg()} (the machine is shared)",
             f"- Data: `bench/gen.py --seed 12345` at each size (made on the spot, not "
             f"committed); the CLI's default thread count; median of {reps} runs "
             f"(1 above 2·10⁷ rows); peak RSS from GNU time",
             f"- exact: the default battery (`--format json`), with medae, p95 and p99 |e| "
             f"(|e| kept per row); moments: `-m {MOMENTS}` (sums only). The moment metrics "
             f"of the two runs agree to {max(r['agree'] for r in rows_out):.1e} at every "
             f"size.", "",
             "| rows | file (MB) | exact: wall (s) | ns/row | peak RSS (MiB) | "
             "moments: wall (s) | ns/row | peak RSS (MiB) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows_out:
        e, m = ns[r["rows"]]
        lines.append(f"| {r['rows']:,} | {r['bytes'] / 1e6:.0f} | {r['t_exact']:.3f} | "
                     f"{e:.1f} | {r['rss_exact'] / 2**20:.0f} | {r['t_mom']:.3f} | {m:.1f} | "
                     f"{r['rss_mom'] / 2**20:.0f} |")
    lines += ["",
              f"- Time at most linear in rows: from each smaller size to "
              f"{big['rows']:,} rows the cost per row changes by at most "
              f"{100 * max(lin_exact, lin_mom):+.0f} % (target: at most +25 %: "
              f"{verdict(max(lin_exact, lin_mom) <= 0.25)})",
              f"- Memory flat without quantiles: peak RSS {small['rss_mom'] / 2**20:.0f} MiB "
              f"at {small['rows']:,} rows, {big['rss_mom'] / 2**20:.0f} MiB at "
              f"{big['rows']:,} ({flat:+.0f} MiB; target within 16 MiB: "
              f"{verdict(abs(flat) <= 16)})",
              f"- Exact quantiles cost {per_row:.1f} bytes per row at {big['rows']:,} rows "
              f"(target ≤ 12: {verdict(per_row <= 12)})", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
