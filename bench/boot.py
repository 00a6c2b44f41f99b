#!/usr/bin/python3
"""Bootstrap intervals: vernier against the equivalent scikit-learn loop (issue 4).

    make && /usr/bin/python3 bench/boot.py               # 1e6 rows, appends to bench/RESULTS.md
    /usr/bin/python3 bench/boot.py --rows 2e5 --no-write  # a quicker look, writes nothing

1. generates (once; cached in bench/data/, git-ignored) 1,000,000 rows of y,yhat,segment
   with bench/gen.py (seed 12345: heavy-tailed errors, 0.1 % zeros in y);
2. runs, alternately, REPS (3) times each, as fresh processes timed whole (wall clock):
       build/vernier eval FILE -y y -p yhat --ci=0.95 --ci-method percentile \\
           --resamples 2000 --threads 2
       build/vernier eval FILE -y y -p yhat --ci=0.95 --ci-method bca \\
           --resamples 2000 --threads 2
   (the default battery, vn_default_metrics());
3. runs the equivalent loop in Python: read the CSV with pandas, then for each of the same
   2000 resamples (the row indices of vernier's generator, docs/intervals.md, rebuilt
   with numpy) gather y and yhat and call the scikit-learn functions (numpy where
   scikit-learn has none) for the default battery's metrics; for BCa also the 200
   jackknife subsets (n > 2000). A resample takes a few tenths of a second, so the loop
   is timed on its first --sk-resamples resamples (and --sk-groups jackknife subsets) and
   extrapolated to 2000 (and 200); the output says so;
4. checks that both compute the same thing: vernier's percentile intervals over those
   first resamples equal the loop's to 1e-9 relative (mape is undefined in vernier on
   this data, y has zeros; max_error and count have no interval);
5. prints a Markdown table and appends it to bench/RESULTS.md as the section
   "Bootstrap intervals (issue 4)" (replacing an earlier one), with this command.

bench/run.py rewrites bench/RESULTS.md from scratch; run this script after it.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
SEED = 12345
SECTION = "## Bootstrap intervals (issue 4)"

# ---------------------------------------------------------------------------------------
# vernier's resampler (docs/intervals.md), for one resample at a time
# ---------------------------------------------------------------------------------------
M64 = (1 << 64) - 1


def mix_int(z):
    z &= M64
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & M64
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def resample(np, seed, s, r, n):
    """Row indices of resample r of slice s (ordinary bootstrap), as vernier draws them."""
    U = np.uint64
    ks = mix_int(seed + s * 0x94D049BB133111EB)
    k = mix_int(ks + (r + 1) * 0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = U(k) + np.arange(1, n + 1, dtype=U) * U(0xD1B54A32D192ED03)
        z ^= z >> U(30)
        z *= U(0xBF58476D1CE4E5B9)
        z ^= z >> U(27)
        z *= U(0x94D049BB133111EB)
        z ^= z >> U(31)
        # the high word of z*n for n < 2^32, in 64-bit pieces
        nn = U(n)
        return (((z >> U(32)) * nn + (((z & U(0xFFFFFFFF)) * nn) >> U(32))) >> U(32)).astype(
            np.int64)


# ---------------------------------------------------------------------------------------
# the scikit-learn loop (runs in its own process: --sk-loop)
# ---------------------------------------------------------------------------------------
def battery(np, skm, y, p):
    """The default battery (vn_default_metrics()) with scikit-learn, numpy where it has
    none; percentages in percent, as vernier reports them."""
    e = p - y
    ae = np.abs(e)
    ay = np.abs(y)
    return {
        "count": float(len(y)),
        "mean_error": float(np.mean(e)),
        "mae": skm.mean_absolute_error(y, p),
        "rmse": math.sqrt(skm.mean_squared_error(y, p)),
        "mape": 100.0 * skm.mean_absolute_percentage_error(y, p),
        "wmape": 100.0 * float(np.sum(ae) / np.sum(ay)),
        "smape": 100.0 * float(np.mean(np.where(ay + np.abs(p) > 0,
                                                2.0 * ae / np.maximum(ay + np.abs(p), 1e-300),
                                                0.0))),
        "r2": skm.r2_score(y, p),
        "medae": skm.median_absolute_error(y, p),
        "p95_abs_error": float(np.percentile(ae, 95)),
        "p99_abs_error": float(np.percentile(ae, 99)),
        "max_error": skm.max_error(y, p),
        "huber": float(np.mean(np.where(ae <= 1.0, 0.5 * e * e, ae - 0.5))),
        "pinball:q=0.1": skm.mean_pinball_loss(y, p, alpha=0.1),
        "pinball:q=0.5": skm.mean_pinball_loss(y, p, alpha=0.5),
        "pinball:q=0.9": skm.mean_pinball_loss(y, p, alpha=0.9),
    }


def sk_loop(args):
    """Times the loop on a subset; prints JSON with the times and the percentile
    intervals over the measured resamples."""
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    from sklearn import metrics as skm
    df = pd.read_csv(args.sk_loop, usecols=["y", "yhat"], dtype={"y": "float64",
                                                                   "yhat": "float64"})
    y, p = df["y"].to_numpy(), df["yhat"].to_numpy()
    n = len(y)
    t_load = time.perf_counter() - t0
    t_index = t_eval = 0.0
    thetas = []
    for r in range(args.sk_resamples):
        t1 = time.perf_counter()
        idx = resample(np, 0, 0, r, n)
        t2 = time.perf_counter()
        thetas.append(battery(np, skm, y[idx], p[idx]))
        t3 = time.perf_counter()
        t_index += t2 - t1
        t_eval += t3 - t2
    # jackknife subsets for BCa: 200 contiguous groups left out (n > 2000)
    t_jack = 0.0
    for g in range(args.sk_groups):
        t1 = time.perf_counter()
        lo, hi = g * n // 200, (g + 1) * n // 200
        keep = np.concatenate([np.arange(lo), np.arange(hi, n)])
        battery(np, skm, y[keep], p[keep])
        t_jack += time.perf_counter() - t1
    keys = list(thetas[0])
    ci = {}
    for k in keys:
        v = np.array([t[k] for t in thetas])
        ci[k] = [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
    json.dump({"n": n, "load": t_load, "index": t_index, "eval": t_eval,
               "resamples": args.sk_resamples, "jack": t_jack, "groups": args.sk_groups,
               "ci": ci}, sys.stdout)
    return 0


# ---------------------------------------------------------------------------------------
# the benchmark
# ---------------------------------------------------------------------------------------
def parse_rows(text):
    v = float(text)
    if v < 1 or v != int(v):
        raise argparse.ArgumentTypeError(f"--rows must be a positive integer: {text!r}")
    return int(v)


def data_file(rows):
    import hashlib
    with open(os.path.join(HERE, "gen.py"), "rb") as f:
        gen_hash = hashlib.sha256(f.read()).hexdigest()[:12]
    path = os.path.join(HERE, "data", f"bench_{rows}_s{SEED}_{gen_hash}.csv")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"boot: generating {rows:,} rows -> {os.path.relpath(path, ROOT)}", flush=True)
        subprocess.run([PY, os.path.join(HERE, "gen.py"), "--rows", str(rows), "--seed",
                        str(SEED), "-o", path], check=True)
    with open(path, "rb") as f:  # into the page cache before timing
        while f.read(1 << 24):
            pass
    return path


def timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"boot: {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
    return wall, p.stdout


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "?"


def vernier_ci(stdout):
    doc = json.loads(stdout)
    return {k: v.get("ci") for k, v in doc["slices"][0]["values"].items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=parse_rows, default=parse_rows("1e6"))
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3, help="timed runs of each command")
    ap.add_argument("--sk-resamples", type=int, default=20,
                    help="resamples the scikit-learn loop is timed on (then extrapolated)")
    ap.add_argument("--sk-groups", type=int, default=10,
                    help="jackknife subsets the loop is timed on (then extrapolated to 200)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    ap.add_argument("--sk-loop", metavar="FILE", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sk_loop:
        return sk_loop(args)

    vernier = os.path.join(ROOT, "build", "vernier")
    if not os.path.exists(vernier):
        raise SystemExit("boot: build/vernier not found (run make)")
    path = data_file(args.rows)
    rel = os.path.relpath(path, ROOT)
    load_before = loadavg()
    base = [vernier, "eval", path, "-y", "y", "-p", "yhat", "--format", "json"]

    def vcmd(method, resamples=args.resamples):
        return base + ["--ci=0.95", "--ci-method", method, "--resamples", str(resamples),
                       "--threads", str(args.threads)]

    # 4. agreement first (also warms everything up)
    k = args.sk_resamples
    _, out = timed(vcmd("percentile", k))
    vci = vernier_ci(out)
    sk_argv = [PY, os.path.abspath(__file__), "--sk-loop", path, "--sk-resamples", str(k),
               "--sk-groups", str(args.sk_groups)]
    print(f"boot: the scikit-learn loop on {k} resamples and {args.sk_groups} jackknife "
          f"subsets ...", flush=True)
    sk_wall, sk_out = timed(sk_argv)
    sk = json.loads(sk_out)
    worst, compared = 0.0, []
    for key, (lo, hi) in sk["ci"].items():
        v = vci.get(key)
        if not v:
            continue
        for a, b in ((v["low"], lo), (v["high"], hi)):
            worst = max(worst, abs(a - b) / max(abs(b), 1e-300))
        compared.append(key)
    agree = worst <= 1e-9

    # 2. the timed runs, alternately
    runs = {"percentile": [], "bca": []}
    for rep in range(args.reps):
        for method in runs:
            wall, _ = timed(vcmd(method))
            runs[method].append(wall)
            print(f"boot: vernier {method} run {rep + 1}: {wall:.2f} s", flush=True)
    load_after = loadavg()

    # 3. the loop, extrapolated
    per_resample = (sk["index"] + sk["eval"]) / sk["resamples"]
    per_group = sk["jack"] / max(sk["groups"], 1)
    sk_pct = sk["load"] + per_resample * args.resamples
    sk_bca = sk_pct + per_group * 200

    def row(name, times, sk_time):
        med = statistics.median(times)
        return (f"| {name} | {med:.2f} | {min(times):.2f}–{max(times):.2f} | "
                f"{args.resamples / med:.0f} | {sk_time / med:.0f}× |")

    cmd = "make && /usr/bin/python3 bench/boot.py" + (
        f" --rows {args.rows}" if args.rows != 1_000_000 else "")
    v_pct, v_bca = statistics.median(runs["percentile"]), statistics.median(runs["bca"])
    lines = [
        SECTION,
        "",
        f"Produced by `bench/boot.py` (appended after `bench/run.py`'s sections; re-run "
        f"with `{cmd}`).",
        "",
        f"- Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {cpu_model()}, "
        f"{os.cpu_count()} CPUs; load average before the runs {load_before}, after "
        f"{load_after} (the machine is shared: other work on it slows the runs down)",
        f"- Data: `bench/gen.py --rows {args.rows} --seed {SEED}` ({args.rows:,} rows; "
        f"heavy-tailed errors, 0.1 % zeros in y), `{rel}`",
        f"- vernier: `build/vernier eval FILE -y y -p yhat --ci=0.95 --ci-method "
        f"percentile|bca --resamples {args.resamples} --threads {args.threads} --format json`,"
        f" the default battery (16 metrics: intervals on the 13 that have one here; mape is "
        f"undefined, y has zeros). Whole process (reading the CSV included), "
        f"{args.reps} runs each, alternately; median and range.",
        f"- scikit-learn loop: Python {platform.python_version()}; pandas `read_csv`, then per "
        f"resample the row indices of vernier's generator (numpy), `y[idx]`, `yhat[idx]` "
        f"and scikit-learn's functions (numpy for mean_error, wmape, smape, quantiles of "
        f"|e|, huber) for the same battery. **Timed on its first {sk['resamples']} "
        f"resamples and {sk['groups']} jackknife subsets and extrapolated** to "
        f"{args.resamples} resamples (+ 200 subsets for BCa): "
        f"{per_resample:.3f} s per resample ({sk['index'] / sk['resamples']:.3f} s of it "
        f"the indices), {per_group:.3f} s per subset, {sk['load']:.2f} s to load; one "
        f"thread (numpy's reductions are single-threaded).",
        f"- Same computation: vernier's percentile intervals over those {sk['resamples']} "
        f"resamples equal the loop's to {worst:.1e} relative on {len(compared)} metrics "
        f"({'within' if agree else '**not within**'} 1e-9).",
        "",
        "| run | wall time (s, median) | min–max (s) | resamples/s | scikit-learn loop ÷ this |",
        "|---|---:|---:|---:|---:|",
        row(f"vernier percentile, {args.threads} threads", runs["percentile"], sk_pct),
        row(f"vernier BCa, {args.threads} threads", runs["bca"], sk_bca),
        f"| scikit-learn loop, percentile (extrapolated) | {sk_pct:.0f} | – | "
        f"{args.resamples / sk_pct:.1f} | 1× |",
        f"| scikit-learn loop, BCa (extrapolated) | {sk_bca:.0f} | – | "
        f"{args.resamples / sk_bca:.1f} | 1× |",
        "",
        f"Targets: under 2 s — percentile {v_pct:.2f} s, BCa {v_bca:.2f} s: "
        f"**{'met' if max(v_pct, v_bca) < 2 else 'not met'}**; at least 50× the "
        f"scikit-learn loop — {sk_pct / v_pct:.0f}× and {sk_bca / v_bca:.0f}×: "
        f"**{'met' if min(sk_pct / v_pct, sk_bca / v_bca) >= 50 else 'not met'}**.",
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    if not args.no_write:
        res = os.path.join(HERE, "RESULTS.md")
        old = ""
        if os.path.exists(res):
            with open(res, encoding="utf-8") as f:
                old = f.read()
        if SECTION in old:  # replace the earlier section, up to the next one
            a = old.index(SECTION)
            b = old.find("\n## ", a + 1)
            old = old[:a].rstrip("\n") + ("\n\n" + old[b + 1:] if b >= 0 else "\n")
        with open(res, "w", encoding="utf-8") as f:
            f.write(old + ("\n" if old and not old.endswith("\n\n") else "") + text)
        print("boot: appended to bench/RESULTS.md")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
