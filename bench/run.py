#!/usr/bin/python3
"""vernier's speed benchmark, side by side with what users would otherwise run.

    /usr/bin/python3 bench/run.py            # 1e7 rows, 3 repetitions, writes bench/RESULTS.md
    /usr/bin/python3 bench/run.py --smoke    # 20,000 rows, agreement check only (CI)

Full mode:
  1. generates (once; cached in bench/data/, git-ignored) a CSV of y,yhat,segment with
     bench/gen.py;
  2. checks that vernier's numbers agree with the pandas + scikit-learn script's to 1e-9
     relative, for every metric of the battery and every slice (vernier run with the
     battery's metric list and --zero eps, which is scikit-learn's MAPE);
  3. runs, alternately, REPS times each:
       vernier eval FILE -y y -p yhat --format json                (default battery)
       vernier eval FILE -y y -p yhat --format json --by segment
       bench/competitors/pandas_sklearn.py FILE [--by segment]     (read_csv + sklearn)
       bench/competitors/numpy_battery.py FILE [--by segment]      (numpy on arrays in memory)
     each as a fresh process, measuring its wall time and peak RSS (os.wait4's rusage of
     that one child), and checks the metrics the default runs share with the battery too;
  4. prints the medians and writes bench/RESULTS.md (command, machine, date, versions).

--smoke: 20,000 rows in a temporary directory, one repetition of the two vernier runs,
no competitor timing, only the agreement check against scikit-learn; writes nothing,
prints a summary and exits 1 on any disagreement or failed run.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PY = "/usr/bin/python3"
sys.path.insert(0, os.path.join(HERE, "competitors"))

from battery import VERNIER_METRICS  # noqa: E402

REL_TOL = 1e-9
SEED = 12345


# --------------------------------------------------------------------------------------
# Running and measuring one process.
# --------------------------------------------------------------------------------------
class Run:
    def __init__(self, name, argv, wall, rss_kib, status, stdout_path, stderr):
        self.name, self.argv, self.wall = name, argv, wall
        self.rss_kib, self.status = rss_kib, status
        self.stdout_path, self.stderr = stdout_path, stderr

    def json(self):
        with open(self.stdout_path, encoding="utf-8") as f:
            return json.load(f)


TIME = "/usr/bin/time"


def run_measured(name, argv, stdout_path):
    """Runs argv as a fresh child with stdout to a file; returns its wall time and peak
    RSS. The RSS comes from GNU time (%M), which forks the command from its own small
    process: measured from here, a child forked from this Python process would count the
    parent's pages (numpy, scikit-learn) in its peak RSS before exec. Without
    /usr/bin/time (Debian package "time"), os.wait4's rusage is used, with that bias."""
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(prefix="vernier-bench-time.") as tf:
        use_time = os.access(TIME, os.X_OK)
        full = [TIME, "-f", "%M", "-o", tf.name] + argv if use_time else argv
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT)
        _, wstatus, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(wstatus)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        rss = ru.ru_maxrss
        if use_time:
            try:
                rss = int(open(tf.name).read().split()[-1])
            except (ValueError, IndexError):
                pass  # the command failed before time wrote; check_ok reports it
    return Run(name, argv, wall, rss, p.returncode, stdout_path, stderr)


def check_ok(run):
    if run.status != 0:
        sys.exit(f"bench: {run.name} failed (exit {run.status}): {shlex.join(run.argv)}\n"
                 f"{run.stderr.strip()}")


# --------------------------------------------------------------------------------------
# Reading vernier's JSON and comparing with the scikit-learn battery.
# --------------------------------------------------------------------------------------
def canonical_key(key):
    """vernier's metric key -> the battery's key (aliases and default parameters)."""
    key = key.strip()
    aliases = {
        "bias": "mean_error",
        "huber:delta=1": "huber",
        "pinball:q=0.9": "pinball:q=0.9",
        "abs_error_quantile:q=0.5": "medae",
        "p50_abs_error": "medae",
        "abs_error_quantile:q=0.95": "p95_abs_error",
        "abs_error_quantile:q=0.99": "p99_abs_error",
    }
    return aliases.get(key, key)


def vernier_slices(doc):
    """[{"by": label or None, "metrics": {key: (value or None, reason)}}] from vernier's
    JSON (schema vernier.eval/1)."""
    if doc.get("schema") != "vernier.eval/1":
        raise ValueError(f"unexpected vernier JSON schema {doc.get('schema')!r}")
    out = []
    for s in doc["slices"]:
        # "by" is {} for the overall slice, {"segment": "s03"} for a slice.
        by = ",".join(str(v) for v in s["by"].values()) if s["by"] else None
        metrics = {}
        for key, m in s["values"].items():
            metrics[canonical_key(key)] = (m["value"], m["reason"] or "")
        out.append({"by": by, "metrics": metrics})
    return out


def rel_diff(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare(vdoc, sdoc, strict, label):
    """Compares vernier's result with the sklearn script's. strict: every battery metric
    must be present and defined in vernier. Otherwise only the metrics both report are
    compared, and a metric vernier leaves undefined (mape with zero actuals under the
    default zero policy) is listed, not compared. Returns (problems, compared, notes)."""
    problems, notes, compared = [], [], 0
    vs = {s["by"]: s["metrics"] for s in vernier_slices(vdoc)}
    for s in sdoc["slices"]:
        by = s["by"]
        where = "overall" if by is None else f"slice {by}"
        if by not in vs:
            problems.append(f"{label}: {where}: missing in vernier's output")
            continue
        vm = vs[by]
        for key, sv in s["metrics"].items():
            if key not in vm:
                if strict:
                    problems.append(f"{label}: {where}: {key}: missing in vernier's output")
                continue
            v, reason = vm[key]
            if v is None or sv is None:
                if strict or (v is None) != (sv is None) and not reason:
                    problems.append(f"{label}: {where}: {key}: vernier {v!r} ({reason}), "
                                    f"sklearn {sv!r}")
                elif by is None:
                    notes.append(f"{label}: {key} not compared: vernier says undefined "
                                 f"({reason})")
                continue
            compared += 1
            d = rel_diff(float(v), float(sv))
            if not d <= REL_TOL:
                problems.append(f"{label}: {where}: {key}: vernier {v!r}, sklearn {sv!r}, "
                                f"relative difference {d:.3g}")
    if len(vs) != len(sdoc["slices"]):
        problems.append(f"{label}: vernier has {len(vs)} slices, sklearn "
                        f"{len(sdoc['slices'])}")
    return problems, compared, notes


# --------------------------------------------------------------------------------------
# Data.
# --------------------------------------------------------------------------------------
def data_file(rows, directory):
    """The benchmark CSV for this many rows, generated unless cached. The cache is keyed
    by rows, seed and the generator's own text, so a changed generator regenerates."""
    import hashlib
    with open(os.path.join(HERE, "gen.py"), "rb") as f:
        gen_hash = hashlib.sha256(f.read()).hexdigest()[:12]
    path = os.path.join(directory, f"bench_{rows}_s{SEED}_{gen_hash}.csv")
    if not os.path.exists(path):
        os.makedirs(directory, exist_ok=True)
        shown = os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
        print(f"bench: generating {rows:,} rows -> {shown}", flush=True)
        t0 = time.perf_counter()
        subprocess.run([PY, os.path.join(HERE, "gen.py"), "--rows", str(rows),
                        "--seed", str(SEED), "-o", path], check=True)
        print(f"bench: generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def warm(path):
    """Reads the file once so that every timed run starts with it in the page cache."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


# --------------------------------------------------------------------------------------
# Machine description.
# --------------------------------------------------------------------------------------
def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine_info(vernier):
    model = ""
    for line in sh(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import numpy
    import pandas
    import sklearn
    version = sh([vernier, "--version"]).splitlines()
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "?"
    return {
        "load": load,
        "nproc": sh(["nproc"]),
        "cpu": model,
        "memory": mem,
        "kernel": platform.release(),
        "os": sh(["sh", "-c", ". /etc/os-release && echo \"$PRETTY_NAME\""]),
        "vernier": version[0] if version else "(no --version)",
        "cc": (sh(["cc", "--version"]).splitlines() or [""])[0],
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "sklearn": sklearn.__version__,
    }


# --------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------
def fmt_rate(rows, seconds):
    r = rows / seconds
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


def agreement(vernier, path, workdir, threads):
    """Strict agreement: vernier with the battery's metric list and --zero eps, by
    segment, vs the sklearn script. Returns (problems, compared, sklearn doc)."""
    vargs = [vernier, "eval", path, "-y", "y", "-p", "yhat", "-m", VERNIER_METRICS,
             "--zero", "eps", "--by", "segment", "--format", "json"] + threads
    v = run_measured("vernier (agreement)", vargs, os.path.join(workdir, "agree_v.json"))
    check_ok(v)
    s = run_measured("pandas+sklearn (agreement)",
                     [PY, os.path.join(HERE, "competitors", "pandas_sklearn.py"), path,
                      "--by", "segment"], os.path.join(workdir, "agree_s.json"))
    check_ok(s)
    sdoc = s.json()
    problems, compared, _ = compare(v.json(), sdoc, strict=True, label="battery --zero eps")
    return problems, compared, sdoc


def main(argv=None):
    ap = argparse.ArgumentParser(description="vernier speed benchmark (see the module doc)")
    ap.add_argument("--smoke", action="store_true",
                    help="20,000 rows, agreement check only, writes nothing (CI)")
    ap.add_argument("--rows", type=float, default=None, help="rows (default 1e7; smoke 20000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each run (default 3)")
    ap.add_argument("--vernier", default=os.path.join(ROOT, "build", "vernier"),
                    help="the vernier binary (default build/vernier)")
    ap.add_argument("--threads", type=int, default=None,
                    help="pass --threads N to vernier (default: the CLI's own default)")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = ap.parse_args(argv)

    vernier = os.path.abspath(args.vernier)
    if not os.access(vernier, os.X_OK):
        sys.exit(f"bench: no vernier binary at {vernier} (run make first)")
    rows = int(args.rows if args.rows is not None else (20000 if args.smoke else 1e7))
    threads = ["--threads", str(args.threads)] if args.threads is not None else []
    tmp = tempfile.mkdtemp(prefix="vernier-bench.")
    try:
        if args.smoke:
            return smoke(vernier, rows, tmp, threads)
        return full(args, vernier, rows, tmp, threads)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def smoke(vernier, rows, tmp, threads):
    path = data_file(rows, tmp)
    problems, compared, sdoc = agreement(vernier, path, tmp, threads)
    sdoc_overall = {"slices": sdoc["slices"][:1]}
    notes = []
    for name, extra in (("vernier", []), ("vernier --by segment", ["--by", "segment"])):
        r = run_measured(name, [vernier, "eval", path, "-y", "y", "-p", "yhat",
                                "--format", "json"] + extra + threads,
                         os.path.join(tmp, "smoke.json"))
        check_ok(r)
        p, c, n = compare(r.json(), sdoc if extra else sdoc_overall, strict=False,
                          label=f"default battery{' --by segment' if extra else ''}")
        problems += p
        compared += c
        notes += n
        print(f"bench --smoke: {name}: {rows:,} rows in {r.wall:.3f} s, "
              f"peak RSS {r.rss_kib / 1024:.1f} MiB")
    for n in notes:
        print(f"bench --smoke: note: {n}")
    for p in problems:
        print(f"bench --smoke: DISAGREE: {p}")
    print(f"bench --smoke: {compared} values compared with scikit-learn "
          f"(relative tolerance {REL_TOL:g}), {len(problems)} disagreements")
    return 1 if problems else 0


def full(args, vernier, rows, tmp, threads):
    path = data_file(rows, os.path.join(HERE, "data"))
    size_mb = os.path.getsize(path) / 1e6
    warm(path)
    mi = machine_info(vernier)

    print("bench: agreement check (vernier vs pandas+sklearn, every metric and slice)",
          flush=True)
    problems, compared, sdoc = agreement(vernier, path, tmp, threads)
    for p in problems:
        print(f"bench: DISAGREE: {p}")
    print(f"bench: {compared} values compared, {len(problems)} disagreements", flush=True)

    comp = os.path.join(HERE, "competitors")
    base = [vernier, "eval", path, "-y", "y", "-p", "yhat", "--format", "json"] + threads
    jobs = [
        ("vernier", base, "vernier"),
        ("vernier --by segment", base + ["--by", "segment"], "vernier"),
        ("pandas+sklearn", [PY, os.path.join(comp, "pandas_sklearn.py"), path], "py"),
        ("pandas+sklearn --by segment",
         [PY, os.path.join(comp, "pandas_sklearn.py"), path, "--by", "segment"], "py"),
        ("numpy (arrays in memory)", [PY, os.path.join(comp, "numpy_battery.py"), path], "np"),
        ("numpy (arrays in memory) --by segment",
         [PY, os.path.join(comp, "numpy_battery.py"), path, "--by", "segment"], "np"),
    ]
    # Build the numpy competitor's .npz cache outside the timed runs.
    subprocess.run([PY, os.path.join(comp, "numpy_battery.py"), path],
                   stdout=subprocess.DEVNULL, check=True)

    results = {name: [] for name, _, _ in jobs}
    inner = {name: [] for name, _, _ in jobs}
    notes = []
    for rep in range(args.reps):
        for name, argv, kind in jobs:
            r = run_measured(name, argv, os.path.join(tmp, "out.json"))
            check_ok(r)
            results[name].append(r)
            doc = r.json()
            if kind == "vernier":
                by = "--by" in argv
                p, c, n = compare(doc, sdoc if by else {"slices": sdoc["slices"][:1]},
                                  strict=False, label=f"{name} (default battery)")
                problems += p
                compared += c
                if rep == 0:
                    notes += n
            else:
                inner[name].append(doc["seconds"])
            print(f"bench: rep {rep + 1}/{args.reps} {name}: {r.wall:.2f} s, "
                  f"{r.rss_kib / 1024:.0f} MiB", flush=True)

    def med(name):
        return statistics.median(r.wall for r in results[name])

    def rss(name):
        return max(r.rss_kib for r in results[name]) / 1024

    v0 = med("vernier")
    vby = med("vernier --by segment")
    table = ["| run | median wall (s) | min–max (s) | peak RSS (MiB) | rows/s | time ÷ vernier |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, argv, kind in jobs:
        walls = [r.wall for r in results[name]]
        ref = vby if "--by" in name else v0
        table.append(f"| {name} | {med(name):.2f} | {min(walls):.2f}–{max(walls):.2f} | "
                     f"{rss(name):.0f} | {fmt_rate(rows, med(name))} | "
                     f"{med(name) / ref:.1f}× |")
    inner_lines = []
    for name, _, kind in jobs:
        if kind == "np":
            b = statistics.median(s["battery"] for s in inner[name])
            inner_lines.append(f"| {name}: battery only, arrays already loaded | {b:.2f} | "
                               f"{fmt_rate(rows, b)} |")
        elif kind == "py":
            rd = statistics.median(s["read"] for s in inner[name])
            b = statistics.median(s["battery"] for s in inner[name])
            inner_lines.append(f"| {name}: read_csv | {rd:.2f} | {fmt_rate(rows, rd)} |")
            inner_lines.append(f"| {name}: battery | {b:.2f} | {fmt_rate(rows, b)} |")

    print()
    print("\n".join(table))
    print()
    for n in notes:
        print(f"bench: note: {n}")
    for p in problems:
        print(f"bench: DISAGREE: {p}")
    print(f"bench: vernier {fmt_rate(rows, v0)} rows/s; pandas+sklearn "
          f"{med('pandas+sklearn') / v0:.1f}× slower; "
          f"{compared} values compared, {len(problems)} disagreements")

    if not args.no_write:
        cmd = "/usr/bin/python3 bench/run.py" + "".join(
            " " + shlex.quote(a) for a in (argv_given(args)))
        write_results(cmd, mi, rows, size_mb, args.reps, table,
                      inner_lines, problems, compared, notes, threads)
        print("bench: wrote bench/RESULTS.md")
    return 1 if problems else 0


def argv_given(args):
    out = []
    if args.rows is not None:
        out += ["--rows", f"{args.rows:g}"]
    if args.reps != 3:
        out += ["--reps", str(args.reps)]
    if args.threads is not None:
        out += ["--threads", str(args.threads)]
    return out


def write_results(cmd, mi, rows, size_mb, reps, table, inner_lines, problems, compared,
                  notes, threads):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    agree = ("all agree" if not problems else
             f"**{len(problems)} DISAGREEMENTS** — see the list below")
    lines = [
        "# vernier benchmark results",
        "",
        "Produced by `bench/run.py`; do not edit by hand. Re-run with:",
        "",
        "```",
        "make && " + cmd,
        "```",
        "",
        f"- Date: {now}",
        f"- Machine: {mi['cpu']}, {mi['nproc']} CPUs (nproc), {mi['memory']} RAM; "
        f"{mi['os']}, Linux {mi['kernel']}; load average before the runs: {mi['load']} "
        "(other work on the machine slows the runs down)",
        f"- vernier: `{mi['vernier']}`, built with `{mi['cc']}` (Makefile flags); "
        + (f"`{' '.join(threads)}`" if threads else "the CLI's default thread count"),
        f"- Python {mi['python']}, numpy {mi['numpy']}, pandas {mi['pandas']}, "
        f"scikit-learn {mi['sklearn']} (Debian packages)",
        f"- Data: `bench/gen.py --rows {rows} --seed {SEED}`: {rows:,} rows of "
        f"`y,yhat,segment`, {size_mb:.0f} MB, heavy-tailed errors, 0.1 % zeros in y, "
        "20 Zipf-weighted segments. The file is read once before timing, so every run "
        "starts with it in the page cache.",
        f"- Each run is a fresh process, {reps} repetitions, run alternately; wall time is "
        "the median, peak RSS the largest of that process alone (GNU time's %M).",
        "",
        "## Whole process: read the CSV, compute the battery, write the result",
        "",
        "vernier runs its default battery (`--format json`). The Python scripts compute the "
        "benchmark battery (`bench/competitors/battery.py`: count, mae, mse, rmse, "
        "mean_error, mape, smape, huber, pinball q=0.9, r2, median/p95/p99 |e|, "
        "max_error). \"time ÷ vernier\" compares with the vernier run of the same kind "
        "(overall or `--by segment`).",
        "",
    ] + table + [
        "",
        "Inside the Python processes (medians of the scripts' own `time.perf_counter`):",
        "",
        "| part | seconds | rows/s |",
        "|---|---:|---:|",
    ] + inner_lines + [
        "",
        "## Agreement with scikit-learn",
        "",
        f"{compared} values compared to a relative tolerance of {REL_TOL:g}: {agree}. "
        "The strict check runs vernier with the battery's metric list "
        f"(`-m {VERNIER_METRICS} --zero eps --by segment`) against "
        "`bench/competitors/pandas_sklearn.py --by segment`: every metric on every slice. "
        "The timed vernier runs (default battery) are compared on the metrics they share "
        "with the battery.",
        "",
    ]
    for n in notes:
        lines.append(f"- {n}")
    for p in problems:
        lines.append(f"- DISAGREE: {p}")
    lines += [
        "",
        "## DuckDB — to come",
        "",
        "**Not measured yet.** DuckDB is not available on the benchmark machine (it is not "
        "in Debian's archive), so there are no DuckDB numbers here. The comparison "
        "(`read_csv_auto` + SQL aggregates for the same battery) is tracked separately "
        "and will be added to `bench/run.py` when DuckDB can be installed.",
        "",
    ]
    with open(os.path.join(HERE, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
