#!/usr/bin/python3
"""vernier's speed benchmark, side by side with what users would otherwise run.

    /usr/bin/python3 bench/run.py            # 1e7 rows, 3 repetitions, writes bench/RESULTS.md
    /usr/bin/python3 bench/run.py --smoke    # 20,000 rows, agreement check only (CI)

Full mode:
  1. generates (once; cached in bench/data/, git-ignored) a CSV of y,yhat,segment with
     bench/gen.py;
  2. installs DuckDB, the npm package @duckdb/node-api (DUCKDB_NODE_API below, which
     ships its native library), into the scratch folder bench/.duckdb-node/ (git-ignored)
     unless it is there already; when node, npm or the registry is missing, the run goes
     on without DuckDB and RESULTS.md says why (--no-duckdb skips it on purpose);
  3. builds bench/inmem.c with the Makefile's flags against build/libvernier.a (into a
     temporary directory);
  4. checks that vernier's numbers agree with the pandas + scikit-learn script's to 1e-9
     relative, for every metric of the battery and every slice (vernier run with the
     battery's metric list and --zero eps, which is scikit-learn's MAPE), and DuckDB's
     too;
  5. runs, alternately, REPS times each:
       vernier eval FILE -y y -p yhat --format json                (default battery)
       vernier eval FILE -y y -p yhat --format json --by segment
       bench/competitors/duckdb_battery.mjs FILE [--by segment]    (one SQL query, 2 threads)
       bench/competitors/pandas_sklearn.py FILE [--by segment]     (read_csv + sklearn)
       bench/competitors/numpy_battery.py FILE [--by segment]      (numpy on arrays in memory)
       inmem FILE [--threads 2] --metrics BATTERY --zero eps   (the C API on arrays in memory)
     each as a fresh process, measuring its wall time and peak RSS (GNU time's %M), and
     compares every run's values with scikit-learn's: the largest relative difference
     of each tool is reported ("agrees to");
  6. prints the medians and writes bench/RESULTS.md (command, machine, date, versions).

Only vernier's own disagreements beyond 1e-9 make the run fail (exit 1); a competitor's
(DuckDB sums doubles without compensation) are listed in RESULTS.md as they are.

--smoke: 20,000 rows in a temporary directory, one repetition of the two vernier runs and
of the in-memory C API program, no competitor timing and no DuckDB, only the agreement
check against scikit-learn; writes nothing, prints a summary and exits 1 on any
disagreement or failed run.
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

# The C API in memory computes what numpy's battery computes: its 14 metrics, MAPE with
# scikit-learn's epsilon.
INMEM_BATTERY = ["--metrics", VERNIER_METRICS, "--zero", "eps"]

REL_TOL = 1e-9
SEED = 12345

# DuckDB through Node.js: the npm package and the scratch folder it is installed into.
DUCKDB_NODE_API = "@duckdb/node-api@1.5.6-r.1"  # DuckDB 1.5.6; runs on Node.js 20
DUCKDB_DIR = os.path.join(HERE, ".duckdb-node")
DUCKDB_SCRIPT = os.path.join(HERE, "competitors", "duckdb_battery.mjs")
DUCKDB_THREADS = 2


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
    default zero policy) is listed, not compared. Returns (problems, compared, notes,
    largest relative difference)."""
    problems, notes, compared, worst = [], [], 0, 0.0
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
            worst = max(worst, d)
            if not d <= REL_TOL:
                problems.append(f"{label}: {where}: {key}: vernier {v!r}, sklearn {sv!r}, "
                                f"relative difference {d:.3g}")
    if len(vs) != len(sdoc["slices"]):
        problems.append(f"{label}: vernier has {len(vs)} slices, sklearn "
                        f"{len(sdoc['slices'])}")
    return problems, compared, notes, worst


def compare_battery(doc, sdoc, label):
    """Compares a competitor's document (battery.py's emit() shape: the same keys) with
    the sklearn script's, every metric of every slice of sdoc. Returns (problems,
    compared, largest relative difference)."""
    problems, compared, worst = [], 0, 0.0
    mine = {s["by"]: s["metrics"] for s in doc["slices"]}
    for s in sdoc["slices"]:
        by = s["by"]
        where = "overall" if by is None else f"slice {by}"
        if by not in mine:
            problems.append(f"{label}: {where}: missing")
            continue
        for key, sv in s["metrics"].items():
            if key not in mine[by]:
                problems.append(f"{label}: {where}: {key}: missing")
                continue
            v = mine[by][key]
            if v is None or sv is None:
                if (v is None) != (sv is None):
                    problems.append(f"{label}: {where}: {key}: {v!r}, sklearn {sv!r}")
                continue
            compared += 1
            d = rel_diff(float(v), float(sv))
            worst = max(worst, d)
            if not d <= REL_TOL:
                problems.append(f"{label}: {where}: {key}: {v!r}, sklearn {sv!r}, "
                                f"relative difference {d:.3g}")
    if len(mine) != len(sdoc["slices"]):
        problems.append(f"{label}: {len(mine)} slices, sklearn {len(sdoc['slices'])}")
    return problems, compared, worst


def inmem_as_vernier(doc):
    """bench/inmem.c's document as a vernier.eval/1 document with the overall slice."""
    return {"schema": "vernier.eval/1", "slices": [{"by": {}, "values": {
        k: {"value": v, "reason": doc.get("reasons", {}).get(k, "")}
        for k, v in doc["values"].items()}}]}


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
# DuckDB (npm) and the in-memory C program.
# --------------------------------------------------------------------------------------
def duckdb_installed_version():
    pkg = os.path.join(DUCKDB_DIR, "node_modules", "@duckdb", "node-api", "package.json")
    try:
        with open(pkg, encoding="utf-8") as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def ensure_duckdb():
    """Installs DUCKDB_NODE_API into DUCKDB_DIR unless that version is there already.
    Returns (node binary, None) or (None, why DuckDB is not available)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        return None, "Node.js (`node`) is not installed"
    want = DUCKDB_NODE_API.rsplit("@", 1)[1]
    if duckdb_installed_version() == want:
        return node, None
    if not npm:
        return None, "npm is not installed"
    print(f"bench: installing {DUCKDB_NODE_API} into "
          f"{os.path.relpath(DUCKDB_DIR, ROOT)}/ (npm)", flush=True)
    cmd = [npm, "install", "--prefix", DUCKDB_DIR, "--no-audit", "--no-fund",
           "--loglevel=error", DUCKDB_NODE_API]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"`npm install {DUCKDB_NODE_API}` failed: {e}"
    if p.returncode != 0 or duckdb_installed_version() != want:
        msg = [ln for ln in p.stderr.strip().splitlines()
               if ln.strip() and "complete log of this run" not in ln]
        tail = " / ".join(msg[:2]) or "(no message)"
        return None, (f"`npm install {DUCKDB_NODE_API}` failed (exit {p.returncode}; no "
                      f"network?): {tail}")
    return node, None


def duckdb_argv(node, path, by):
    return ([node, DUCKDB_SCRIPT, path, "--threads", str(DUCKDB_THREADS),
             "--modules", DUCKDB_DIR] + (["--by", "segment"] if by else []))


def build_inmem(vernier, outdir):
    """Compiles bench/inmem.c with the Makefile's compiler and flags (read from make
    itself, so CI's -Werror applies too) against the libvernier.a beside the vernier
    binary. Returns the program's path; exits on failure."""
    lib = os.path.join(os.path.dirname(vernier), "libvernier.a")
    if not os.path.exists(lib):
        sys.exit(f"bench: no {lib} (run make first)")
    q = subprocess.run(["make", "-s", "--no-print-directory",
                        "--eval=_vernier_bench_flags: ; @echo '$(CC)'; echo '$(ALL_CFLAGS)'; "
                        "echo '$(LIBS)'", "_vernier_bench_flags"],
                       cwd=ROOT, capture_output=True, text=True, check=False)
    lines = q.stdout.splitlines()
    if q.returncode == 0 and len(lines) == 3:
        cc, cflags, libs = (shlex.split(x) for x in lines)
    else:  # the Makefile's flags, as of this writing
        cc = ["cc"]
        cflags = shlex.split("-std=c11 -D_GNU_SOURCE -ffp-contract=off -fPIC -Wall -Wextra "
                             "-Iinclude -Isrc -O2 -g")
        libs = shlex.split(sh(["pkg-config", "--libs", "zlib", "sqlite3"]) or "-lz -lsqlite3")
        libs += ["-lm", "-lpthread"]
    out = os.path.join(outdir, "inmem")
    cmd = cc + cflags + ["-o", out, os.path.join(HERE, "inmem.c"), lib] + libs
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        sys.exit(f"bench: building bench/inmem.c failed: {shlex.join(cmd)}\n"
                 f"{p.stdout}{p.stderr}")
    return out


# --------------------------------------------------------------------------------------
# Machine description.
# --------------------------------------------------------------------------------------
def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


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
    return {
        "load": loadavg(),
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
        "node": sh(["node", "--version"]) if shutil.which("node") else "",
    }


# --------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------
def fmt_rate(rows, seconds):
    r = rows / seconds
    return f"{r / 1e6:.2f} M" if r >= 1e6 else f"{r / 1e3:.0f} k"


def fmt_diff(d):
    """A largest relative difference, for the "agrees to" column."""
    if d is None:
        return "–"
    return "identical" if d == 0 else f"{d:.1e}"


def agreement(vernier, path, workdir, threads):
    """Strict agreement: vernier with the battery's metric list and --zero eps, by
    segment, vs the sklearn script. Returns (problems, compared, sklearn doc, largest
    relative difference)."""
    vargs = [vernier, "eval", path, "-y", "y", "-p", "yhat", "-m", VERNIER_METRICS,
             "--zero", "eps", "--by", "segment", "--format", "json"] + threads
    v = run_measured("vernier (agreement)", vargs, os.path.join(workdir, "agree_v.json"))
    check_ok(v)
    s = run_measured("pandas+sklearn (agreement)",
                     [PY, os.path.join(HERE, "competitors", "pandas_sklearn.py"), path,
                      "--by", "segment"], os.path.join(workdir, "agree_s.json"))
    check_ok(s)
    sdoc = s.json()
    problems, compared, _, worst = compare(v.json(), sdoc, strict=True,
                                           label="battery --zero eps")
    return problems, compared, sdoc, worst


def main(argv=None):
    ap = argparse.ArgumentParser(description="vernier speed benchmark (see the module doc)")
    ap.add_argument("--smoke", action="store_true",
                    help="20,000 rows, agreement check only, no DuckDB, writes nothing (CI)")
    ap.add_argument("--rows", type=float, default=None, help="rows (default 1e7; smoke 20000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each run (default 3)")
    ap.add_argument("--vernier", default=os.path.join(ROOT, "build", "vernier"),
                    help="the vernier binary (default build/vernier)")
    ap.add_argument("--threads", type=int, default=None,
                    help="pass --threads N to vernier (default: the CLI's own default)")
    ap.add_argument("--no-duckdb", action="store_true",
                    help="leave DuckDB out (no npm install, no DuckDB runs)")
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
    problems, compared, sdoc, _ = agreement(vernier, path, tmp, threads)
    sdoc_overall = {"slices": sdoc["slices"][:1]}
    notes = []
    for name, extra in (("vernier", []), ("vernier --by segment", ["--by", "segment"])):
        r = run_measured(name, [vernier, "eval", path, "-y", "y", "-p", "yhat",
                                "--format", "json"] + extra + threads,
                         os.path.join(tmp, "smoke.json"))
        check_ok(r)
        p, c, n, _ = compare(r.json(), sdoc if extra else sdoc_overall, strict=False,
                             label=f"default battery{' --by segment' if extra else ''}")
        problems += p
        compared += c
        notes += n
        print(f"bench --smoke: {name}: {rows:,} rows in {r.wall:.3f} s, "
              f"peak RSS {r.rss_kib / 1024:.1f} MiB")
    # The in-memory C API program: it must build and agree.
    inmem = build_inmem(vernier, tmp)
    r = run_measured("vernier C API (arrays in memory)", [inmem, path] + INMEM_BATTERY,
                     os.path.join(tmp, "inmem.json"))
    check_ok(r)
    doc = r.json()
    p, c, _, _ = compare(inmem_as_vernier(doc), sdoc_overall, strict=False,
                         label="C API in memory (battery)")
    problems += p
    compared += c
    print(f"bench --smoke: vernier C API (arrays in memory): {rows:,} rows in "
          f"{doc['seconds']:.4f} s")
    for n in notes:
        print(f"bench --smoke: note: {n}")
    for p in problems:
        print(f"bench --smoke: DISAGREE: {p}")
    print(f"bench --smoke: {compared} values compared with scikit-learn "
          f"(relative tolerance {REL_TOL:g}), {len(problems)} disagreements")
    return 1 if problems else 0


def snapshot(vernier, tmp):
    """Copies the vernier binary and the libvernier.a beside it into tmp, so that a
    rebuild of build/ while the benchmark runs (several minutes) changes nothing that is
    measured. Returns the copy of the binary."""
    d = os.path.join(tmp, "bin")
    os.makedirs(d, exist_ok=True)
    for f in (vernier, os.path.join(os.path.dirname(vernier), "libvernier.a")):
        if os.path.exists(f):
            shutil.copy2(f, d)
    return os.path.join(d, os.path.basename(vernier))


def full(args, vernier, rows, tmp, threads):
    vernier = snapshot(vernier, tmp)
    path = data_file(rows, os.path.join(HERE, "data"))
    size_mb = os.path.getsize(path) / 1e6
    comp = os.path.join(HERE, "competitors")

    # DuckDB: installed into the scratch folder, or left out with the reason.
    duck = {"node": None, "why": "left out with --no-duckdb", "version": None,
            "package": DUCKDB_NODE_API}
    if not args.no_duckdb:
        duck["node"], duck["why"] = ensure_duckdb()
    inmem = build_inmem(vernier, tmp)

    warm(path)
    mi = machine_info(vernier)

    print("bench: agreement check (vernier vs pandas+sklearn, every metric and slice)",
          flush=True)
    problems, compared, sdoc, strict_worst = agreement(vernier, path, tmp, threads)
    for p in problems:
        print(f"bench: DISAGREE: {p}")
    print(f"bench: {compared} values compared, {len(problems)} disagreements", flush=True)
    sdoc_overall = {"slices": sdoc["slices"][:1]}

    # Competitors' disagreements are reported, not fatal: {tool name: [problems]}.
    comp_problems = {}
    comp_compared = 0
    duck_agree = None
    if duck["node"]:
        # The agreement run doubles as the check that the library loads.
        r = run_measured("duckdb (agreement)", duckdb_argv(duck["node"], path, True),
                         os.path.join(tmp, "agree_d.json"))
        if r.status != 0:
            duck["why"] = (f"`{shlex.join(r.argv)}` failed (exit {r.status}): "
                           f"{(r.stderr.strip().splitlines() or [''])[-1]}")
            duck["node"] = None
            print(f"bench: DuckDB left out: {duck['why']}", flush=True)
        else:
            d = r.json()
            duck["version"] = d.get("version")
            p, c, duck_agree = compare_battery(d, sdoc, "duckdb --by segment (agreement)")
            comp_problems.setdefault("duckdb --by segment", []).extend(p)
            comp_compared += c
            print(f"bench: DuckDB {duck['version']}: {c} values compared, largest relative "
                  f"difference {duck_agree:.3g}, {len(p)} beyond {REL_TOL:g}", flush=True)
    else:
        print(f"bench: DuckDB not measured: {duck['why']}", flush=True)

    base = [vernier, "eval", path, "-y", "y", "-p", "yhat", "--format", "json"] + threads
    # (name, argv, kind, by segment?)
    jobs = [
        ("vernier", base, "vernier", False),
        ("vernier --by segment", base + ["--by", "segment"], "vernier", True),
    ]
    if not threads:  # the default (one thread per CPU) against one thread
        jobs.append(("vernier --threads 1", base + ["--threads", "1"], "vernier", False))
    if duck["node"]:
        jobs += [
            ("duckdb", duckdb_argv(duck["node"], path, False), "duck", False),
            ("duckdb --by segment", duckdb_argv(duck["node"], path, True), "duck", True),
        ]
    jobs += [
        ("pandas+sklearn", [PY, os.path.join(comp, "pandas_sklearn.py"), path], "py", False),
        ("pandas+sklearn --by segment",
         [PY, os.path.join(comp, "pandas_sklearn.py"), path, "--by", "segment"], "py", True),
        ("numpy (arrays in memory)", [PY, os.path.join(comp, "numpy_battery.py"), path],
         "np", False),
        ("numpy (arrays in memory) --by segment",
         [PY, os.path.join(comp, "numpy_battery.py"), path, "--by", "segment"], "np", True),
        ("vernier C API (arrays in memory)", [inmem, path] + INMEM_BATTERY, "inmem", False),
        ("vernier C API (arrays in memory), 2 threads",
         [inmem, path, "--threads", "2"] + INMEM_BATTERY, "inmem", False),
    ]
    # Build the numpy competitor's .npz cache outside the timed runs.
    subprocess.run([PY, os.path.join(comp, "numpy_battery.py"), path],
                   stdout=subprocess.DEVNULL, check=True)

    results = {name: [] for name, *_ in jobs}
    slices_of = {}  # each vernier run's slices, to check that threads change no value
    inner = {name: [] for name, *_ in jobs}
    agrees = {name: 0.0 for name, *_ in jobs}
    notes = []
    for rep in range(args.reps):
        for name, argv, kind, by in jobs:
            r = run_measured(name, argv, os.path.join(tmp, "out.json"))
            check_ok(r)
            results[name].append(r)
            doc = r.json()
            if kind == "vernier":
                slices_of.setdefault(name, []).append(doc["slices"])
            ref = sdoc if by else sdoc_overall
            if kind in ("vernier", "inmem"):
                vdoc = doc if kind == "vernier" else inmem_as_vernier(doc)
                p, c, n, w = compare(vdoc, ref, strict=False,
                                     label=f"{name} ({'default ' if kind == 'vernier' else ''}"
                                           "battery)")
                problems += p
                compared += c
                if rep == 0:
                    notes += n
            else:
                p, c, w = compare_battery(doc, ref, name)
                comp_problems.setdefault(name, []).extend(p)
                comp_compared += c
            agrees[name] = max(agrees[name], w)
            if kind != "vernier":
                inner[name].append(doc["seconds"])
            print(f"bench: rep {rep + 1}/{args.reps} {name}: {r.wall:.2f} s, "
                  f"{r.rss_kib / 1024:.0f} MiB", flush=True)
    load_after = loadavg()

    def med(name):
        return statistics.median(r.wall for r in results[name])

    def rss(name):
        return max(r.rss_kib for r in results[name]) / 1024

    def inner_med(name, part=None):
        return statistics.median(s[part] if part else s for s in inner[name])

    v0 = med("vernier")
    vby = med("vernier --by segment")
    table = ["| run | median wall (s) | min–max (s) | peak RSS (MiB) | rows/s | "
             "time ÷ vernier | agrees to |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, argv, kind, by in jobs:
        if kind == "inmem":
            continue  # its wall time is mostly the untimed loading: see the in-memory table
        walls = [r.wall for r in results[name]]
        ref = vby if by else v0
        table.append(f"| {name} | {med(name):.2f} | {min(walls):.2f}–{max(walls):.2f} | "
                     f"{rss(name):.0f} | {fmt_rate(rows, med(name))} | "
                     f"{med(name) / ref:.1f}× | {fmt_diff(agrees[name])} |")
    inner_lines = []
    for name, _, kind, _ in jobs:
        if kind == "np":
            b = inner_med(name, "battery")
            inner_lines.append(f"| {name}: battery only, arrays already loaded | {b:.2f} | "
                               f"{fmt_rate(rows, b)} |")
        elif kind == "py":
            rd = inner_med(name, "read")
            b = inner_med(name, "battery")
            inner_lines.append(f"| {name}: read_csv | {rd:.2f} | {fmt_rate(rows, rd)} |")
            inner_lines.append(f"| {name}: battery | {b:.2f} | {fmt_rate(rows, b)} |")
        elif kind == "duck":
            o = inner_med(name, "open")
            q = inner_med(name, "query")
            inner_lines.append(f"| {name}: load the library, open a database | {o:.2f} | – |")
            inner_lines.append(f"| {name}: the SQL query (read_csv + aggregates) | {q:.2f} | "
                               f"{fmt_rate(rows, q)} |")

    # In memory: the C API's timed part against numpy's battery-only time.
    np_b = inner_med("numpy (arrays in memory)", "battery")
    mem_table = ["| run | battery time (s, median) | min–max (s) | rows/s | "
                 "numpy time ÷ this | agrees to |", "|---|---:|---:|---:|---:|---:|"]
    np_all = [s["battery"] for s in inner["numpy (arrays in memory)"]]
    mem_table.append(f"| numpy (arrays in memory): battery only | {np_b:.3f} | "
                     f"{min(np_all):.3f}–{max(np_all):.3f} | {fmt_rate(rows, np_b)} | 1.0× | "
                     f"{fmt_diff(agrees['numpy (arrays in memory)'])} |")
    mem = {}
    for name, _, kind, _ in jobs:
        if kind == "inmem":
            t = inner_med(name)
            mem[name] = t
            mem_table.append(f"| {name} | {t:.3f} | {min(inner[name]):.3f}–"
                             f"{max(inner[name]):.3f} | {fmt_rate(rows, t)} | "
                             f"{np_b / t:.1f}× | {fmt_diff(agrees[name])} |")

    # The targets, as ratios of medians.
    def verdict(ok):
        return "met" if ok else "**not met**"

    targets = []
    for suffix, ref in (("", v0), (" --by segment", vby)):
        if duck["node"]:
            r_ = med("duckdb" + suffix) / ref
            targets.append(f"`vernier{suffix}` vs DuckDB: DuckDB's time ÷ vernier's = "
                           f"{r_:.2f} (target ≥ 4: {verdict(r_ >= 4)})")
        else:
            targets.append(f"`vernier{suffix}` vs DuckDB: not measured in this run")
        r_ = med("pandas+sklearn" + suffix) / ref
        targets.append(f"`vernier{suffix}` vs pandas+sklearn: their time ÷ vernier's = "
                       f"{r_:.2f} (target ≥ 12: {verdict(r_ >= 12)})")
        m = rss("vernier" + suffix)
        targets.append(f"`vernier{suffix}` peak RSS {m * 1.048576:.0f} MB "
                       f"(target ≤ 200 MB: {verdict(m * 1.048576 <= 200)})")
    if "vernier --threads 1" in results:
        r_ = med("vernier --threads 1") / v0
        same = all(a == b for a in slices_of["vernier"]
                   for b in slices_of["vernier --threads 1"])
        if not same:
            problems.append("vernier on 1 thread and on the default threads differ")
        targets.append(f"`vernier` on {os.cpu_count()} threads (the default) vs 1 thread: "
                       f"{r_:.2f}× (target ≥ 1.7: {verdict(r_ >= 1.7)}); the results are "
                       f"{'the same values, bit for bit' if same else '**different**'}")
    c1 = mem["vernier C API (arrays in memory)"]
    c2 = mem["vernier C API (arrays in memory), 2 threads"]
    targets.append(f"C API in memory, {os.cpu_count()} threads (one per CPU, the default of "
                   f"the CLI and of Python) vs numpy's battery: numpy's time ÷ vernier's = "
                   f"{np_b / c2:.2f} (target ≥ 10: {verdict(np_b / c2 >= 10)}); on 1 thread "
                   f"(the C library's default) {np_b / c1:.2f}")

    print()
    print("\n".join(table))
    print()
    print("\n".join(mem_table))
    print()
    for t in targets:
        print(f"bench: target: {t.replace('**', '')}")
    for n in notes:
        print(f"bench: note: {n}")
    for p in problems:
        print(f"bench: DISAGREE: {p}")
    for tool, ps in comp_problems.items():
        for p in ps:
            print(f"bench: competitor disagrees: {p}")
    print(f"bench: vernier {fmt_rate(rows, v0)} rows/s; pandas+sklearn "
          f"{med('pandas+sklearn') / v0:.1f}× slower"
          + (f"; duckdb {med('duckdb') / v0:.1f}× slower" if duck["node"] else "")
          + f"; {compared} vernier values compared, {len(problems)} disagreements; "
          f"{comp_compared} competitor values compared, "
          f"{sum(len(p) for p in comp_problems.values())} beyond {REL_TOL:g}")

    if not args.no_write:
        cmd = "/usr/bin/python3 bench/run.py" + "".join(
            " " + shlex.quote(a) for a in (argv_given(args)))
        write_results(cmd, mi, rows, size_mb, args.reps, table, inner_lines, mem_table,
                      targets, problems, compared, notes, threads, duck, duck_agree,
                      comp_problems, comp_compared, agrees, strict_worst, load_after)
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
    if args.no_duckdb:
        out += ["--no-duckdb"]
    return out


def write_results(cmd, mi, rows, size_mb, reps, table, inner_lines, mem_table, targets,
                  problems, compared, notes, threads, duck, duck_agree, comp_problems,
                  comp_compared, agrees, strict_worst, load_after):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    agree = ("all agree" if not problems else
             f"**{len(problems)} DISAGREEMENTS** — see the list below")
    duck_line = (f"- DuckDB {duck['version']} through Node.js {mi['node']} and the npm "
                 f"package `{duck['package']}` (installed by `bench/run.py` into "
                 f"`bench/.duckdb-node/`), `SET threads={DUCKDB_THREADS}`"
                 if duck["node"] else
                 f"- DuckDB: **not measured in this run**: {duck['why']}")
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
        f"{mi['os']}, Linux {mi['kernel']}; load average before the runs: {mi['load']}, "
        f"after: {load_after} (the machine is shared: other work on it slows the runs "
        "down)",
        f"- vernier: `{mi['vernier']}`, built with `{mi['cc']}` (Makefile flags); "
        + (f"`{' '.join(threads)}`" if threads else "the CLI's default thread count"),
        f"- Python {mi['python']}, numpy {mi['numpy']}, pandas {mi['pandas']}, "
        f"scikit-learn {mi['sklearn']} (Debian packages)",
        duck_line,
        f"- Data: `bench/gen.py --rows {rows} --seed {SEED}`: {rows:,} rows of "
        f"`y,yhat,segment`, {size_mb:.0f} MB, heavy-tailed errors, 0.1 % zeros in y, "
        "20 Zipf-weighted segments. The file is read once before timing, so every run "
        "starts with it in the page cache.",
        f"- Each run is a fresh process, {reps} repetitions, run alternately; wall time is "
        "the median, peak RSS the largest of that process alone (GNU time's %M).",
        "",
        "## Targets (issue 3)",
        "",
    ] + [f"- {t}" for t in targets] + [
        "",
        "## Whole process: read the CSV, compute the battery, write the result",
        "",
        "vernier runs its default battery (`--format json`). The other tools compute the "
        "benchmark battery (`bench/competitors/battery.py`: count, mae, mse, rmse, "
        "mean_error, mape, smape, huber, pinball q=0.9, r2, median/p95/p99 |e|, "
        "max_error): DuckDB as one SQL query over the file "
        "(`bench/competitors/duckdb_battery.mjs`), the Python scripts with pandas + "
        "scikit-learn and with numpy. \"time ÷ vernier\" compares with the vernier run "
        "of the same kind (overall or `--by segment`). \"agrees to\" is the largest "
        "relative difference from scikit-learn's value over every metric both report, "
        "every slice and every repetition (see \"Agreement\" below).",
        "",
    ] + table + [
        "",
        "Inside the processes (medians of the scripts' own timers):",
        "",
        "| part | seconds | rows/s |",
        "|---|---:|---:|",
    ] + inner_lines + [
        "",
        "## In memory: the battery on arrays already loaded",
        "",
        "`bench/inmem.c` loads the CSV's y and yhat into two double arrays (not timed), "
        "then times `vn_eval_new` + `vn_eval_update` (all rows in one call) + "
        "`vn_eval_finish` for numpy's battery (`--metrics` the benchmark battery's 14 "
        "metrics, `--zero eps`: MAPE with scikit-learn's epsilon, as numpy's script) with "
        "`clock_gettime`, on 1 thread (the C library's default) and on 2 (one per CPU: "
        "the default of the CLI and of Python). "
        "numpy's time is `numpy_battery.py`'s battery alone (plain numpy, one thread) on "
        "arrays loaded from an .npz cache.",
        "",
    ] + mem_table + [
        "",
        "## Agreement with scikit-learn",
        "",
        f"vernier: {compared} values compared to a relative tolerance of {REL_TOL:g}: "
        f"{agree}. The strict check runs vernier with the battery's metric list "
        f"(`-m {VERNIER_METRICS} --zero eps --by segment`) against "
        "`bench/competitors/pandas_sklearn.py --by segment`: every metric on every slice "
        f"(largest relative difference {fmt_diff(strict_worst)}). The timed vernier runs "
        "(default battery) are compared on the metrics they share with the battery, the "
        "in-memory C API runs (the battery itself) on all of them.",
        "",
    ]
    for n in notes:
        lines.append(f"- {n}")
    for p in problems:
        lines.append(f"- DISAGREE: {p}")
    nbeyond = sum(len(p) for p in comp_problems.values())
    lines += [
        "",
        f"The other tools: {comp_compared} values compared with the same tolerance "
        "(every metric of every slice, every repetition), "
        + ("all within it." if not nbeyond else
           f"**{nbeyond} beyond {REL_TOL:g}**, listed below. These do not fail the "
           "benchmark (only vernier's own disagreements do); the tolerance is not "
           "loosened for them."),
    ]
    if nbeyond:
        lines.append("")
    shown = 0
    for tool, ps in comp_problems.items():
        for p in ps:
            if shown < 60:
                lines.append(f"- {p}")
            shown += 1
    if shown > 60:
        lines.append(f"- … and {shown - 60} more")
    lines += ["", "## DuckDB", ""]
    if duck["node"]:
        da = ", ".join(f"{n}: {fmt_diff(agrees[n])}" for n in ("duckdb", "duckdb --by segment"))
        lines += [
            f"DuckDB {duck['version']} from the npm package `{duck['package']}` (it ships "
            "its native library; `bench/run.py` installs it with `npm install --prefix "
            "bench/.duckdb-node` unless it is there), driven by "
            "`node bench/competitors/duckdb_battery.mjs FILE [--by segment]`: ONE SQL "
            "query over `read_csv(FILE, header = true, columns = {'y': 'DOUBLE', "
            "'yhat': 'DOUBLE', 'segment': 'VARCHAR'})` with `SET threads="
            f"{DUCKDB_THREADS}`; `--by segment` is one `GROUP BY GROUPING SETS ((), "
            "(segment))` query, so the overall slice and the 20 segments come from one "
            "scan. Metrics are plain aggregates as a user would write them: `avg()` for "
            "the means, `var_pop(y)` for R²'s total sum of squares, `quantile_cont(|e|, "
            "[0.5, 0.95, 0.99])` (linear interpolation, numpy's default) for the "
            "quantiles, `greatest(abs(y), 2.220446049250313e-16)` for MAPE's denominator "
            "(scikit-learn's rule). `node … --print-sql` prints the query.",
            "",
            f"Agreement with scikit-learn: largest relative difference on the strict "
            f"`--by segment` check {fmt_diff(duck_agree)}; over the timed runs {da}. "
            "DuckDB's sums of doubles are not compensated (scikit-learn's numpy sums are "
            "pairwise), and with 2 threads the order of the partial sums varies from run "
            "to run, so its last digits do too.",
            "",
        ]
    else:
        lines += [
            f"**Not measured in this run**: {duck['why']}. `bench/run.py` installs the npm "
            f"package `{duck['package']}` (DuckDB with its native library) into "
            "`bench/.duckdb-node/`; it needs Node.js, npm and the npm registry.",
            "",
        ]
    text = "\n".join(lines)
    # The sections of the other scripts (bench/python.py, scaling.py, expr.py, ...) stay:
    # every "## " section of the old file that this run does not write follows it.
    path = os.path.join(HERE, "RESULTS.md")
    ours = {ln for ln in lines if ln.startswith("## ")}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
        for part in old.split("\n## ")[1:]:
            if "## " + part.split("\n", 1)[0] not in ours:
                text = text.rstrip("\n") + "\n\n## " + part.rstrip("\n") + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    sys.exit(main())
