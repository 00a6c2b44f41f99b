"""
Oracle tests for vernier — shared machinery.

What the oracle is
------------------
Every test in this directory runs the real `vernier` binary (path in the environment
variable VERNIER, default build/vernier) on a CSV file written here, parses its JSON
output and compares each metric value with a value computed *independently* of vernier:

* test_sklearn.py — scikit-learn 1.2.x / scipy / numpy (the Debian packages run by
  /usr/bin/python3), the references METRICS.md names with "as scikit-learn";
* test_hand.py    — exact rational arithmetic on the exact binary64 input values
  (Python integers / fractions.Fraction), with the final square root, logarithm,
  cosh or per-row quotient taken in 40-50 digit `decimal` arithmetic; plus named
  edge cases whose expected value or reason is derived by hand from METRICS.md;
* test_nist_cli.py — NIST StRD certified values (NumAcc1-4).

Values are written to the CSV with repr(), which round-trips binary64 exactly, so the
CLI and the oracle see bit-identical inputs; vernier prints values with %.17g, which
round-trips as well. Differences are therefore differences of computation only.

This file provides:
  * `vernier` fixture: a runner (`vernier.eval(y, yhat, w=..., metrics=..., flags=...)`)
    returning the parsed JSON, and `vernier.run(args)` for raw invocations;
  * a per-metric counter of oracle cases, printed in the terminal summary as
    "oracle cases: <metric> N (numeric a, undefined b)";
  * `Checker`, which compares one CLI value with one oracle value or expected reason
    and collects every mismatch with a reproducer (seed, data file kept under the
    session's tmp dir in failures/, command line); a failing test lists the first 4
    mismatches per metric (ORACLE_SHOW=N in the environment lists N);
  * the random data generators shared by the test files.
"""
import collections
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------
# case accounting
# ---------------------------------------------------------------------------------------
# metric id -> [numeric comparisons, undefined (null + reason) comparisons]
CASES = collections.defaultdict(lambda: [0, 0])
# free-form tallies for the summary (e.g. "w=0 runs bit-identical to deleted-rows runs")
TALLIES = collections.Counter()


ALIASES = {"bias": "mean_error"}


def metric_id_of(key):
    """Family name for the case summary: the spec up to the first ':' (bias counts as
    mean_error; the p50..p99_abs_error aliases are listed on their own)."""
    mid = key.split(":", 1)[0]
    return ALIASES.get(mid, mid)


def record(key, undefined=False):
    CASES[metric_id_of(key)][1 if undefined else 0] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not CASES and not TALLIES:
        return
    tr = terminalreporter
    tr.write_sep("-", "vernier oracle cases")
    total_n = total_u = 0
    for mid in sorted(CASES):
        n, u = CASES[mid]
        total_n += n
        total_u += u
        tr.write_line(f"oracle cases: {mid:<22} {n + u:6d} (numeric {n}, undefined {u})")
    tr.write_line(f"oracle cases: TOTAL {total_n + total_u} (numeric {total_n}, "
                  f"undefined {total_u}) over {len(CASES)} metrics")
    for k in sorted(TALLIES):
        tr.write_line(f"tally: {k}: {TALLIES[k]}")


# ---------------------------------------------------------------------------------------
# the binary
# ---------------------------------------------------------------------------------------
def _vernier_exe():
    exe = os.environ.get("VERNIER")
    if exe:
        return Path(exe)
    return REPO / "build" / "vernier"


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return repr(float(v))


def write_csv(path, columns):
    """columns: dict name -> sequence (floats are written with repr(), strings as is,
    None as an empty cell). Returns the path."""
    names = list(columns)
    cols = []
    for name in names:
        col = columns[name]
        if isinstance(col, np.ndarray) and col.dtype.kind == "f":
            cols.append(list(map(repr, col.tolist())))
        else:
            cols.append([_cell(v) for v in col])
    n = len(cols[0]) if cols else 0
    assert all(len(c) == n for c in cols), "columns of unequal length"
    with open(path, "w", newline="") as f:
        f.write(",".join(names) + "\n")
        if n:
            f.write("\n".join(map(",".join, zip(*cols))))
            f.write("\n")
    return path


class Result:
    """Parsed JSON of one `vernier eval --format json` run."""

    def __init__(self, doc, cmd, path, stdout):
        self.doc = doc
        self.cmd = cmd
        self.path = path
        self.stdout = stdout

    @property
    def keys(self):
        return [m["key"] for m in self.doc["metrics"]]

    def slice(self, i=0):
        return self.doc["slices"][i]

    def values(self, i=0):
        return self.doc["slices"][i]["values"]

    def slice_by_labels(self, **labels):
        want = {k: str(v) for k, v in labels.items()}
        for s in self.doc["slices"]:
            if s.get("by") == want:
                return s
        raise KeyError(f"no slice with by={want}")


class Vernier:
    def __init__(self, exe, workdir):
        self.exe = str(exe)
        self.workdir = Path(workdir)
        self.faildir = self.workdir / "failures"
        self._n = 0

    def path(self, stem="data", suffix=".csv"):
        self._n += 1
        return self.workdir / f"{stem}-{self._n:05d}{suffix}"

    def run(self, args, timeout=600):
        cmd = [self.exe] + [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def eval_file(self, path, metrics=None, weight=None, flags=(), y="y", yhat="yhat",
                  keep=False):
        args = ["eval", str(path), "-y", y, "-p", yhat]
        if weight:
            args += ["-w", weight]
        if metrics is not None:
            args += ["-m", metrics]
        args += ["--format", "json"] + list(flags)
        p = self.run(args)
        cmd = " ".join([self.exe] + [a if a and "," not in a and ":" not in a else repr(a)
                                     for a in args])
        if p.returncode != 0:
            saved = self.save(path)
            raise AssertionError(
                f"vernier exited {p.returncode}\n  command: {cmd}\n  data: {saved}\n"
                f"  stderr: {p.stderr.strip()}")
        try:
            doc = json.loads(p.stdout)
        except ValueError as ex:
            saved = self.save(path)
            raise AssertionError(f"stdout is not JSON ({ex})\n  command: {cmd}\n"
                                 f"  data: {saved}\n  stdout[:500]: {p.stdout[:500]!r}")
        res = Result(doc, cmd, path, p.stdout)
        if not keep:
            try:
                os.unlink(path)
            except OSError:
                pass
        return res

    def eval(self, y, yhat, w=None, metrics=None, flags=(), extra_cols=None, keep=False,
             stem="data"):
        cols = {"y": y, "yhat": yhat}
        if w is not None:
            cols["w"] = w
        if extra_cols:
            cols.update(extra_cols)
        path = write_csv(self.path(stem), cols)
        return self.eval_file(path, metrics=metrics, weight="w" if w is not None else None,
                              flags=flags, keep=keep)

    def save(self, path):
        """Keeps a copy of a data file for a failure report; returns the copy's path."""
        self.faildir.mkdir(exist_ok=True)
        dst = self.faildir / Path(path).name
        try:
            shutil.copyfile(path, dst)
        except OSError:
            return f"(not kept: {path})"
        return str(dst)


@pytest.fixture(scope="session")
def vernier(tmp_path_factory):
    exe = _vernier_exe()
    if not exe.exists():
        if os.environ.get("VERNIER"):
            pytest.fail(f"VERNIER={exe} does not exist")
        pytest.skip(f"{exe} not built (run make, or set VERNIER)")
    return Vernier(exe, tmp_path_factory.mktemp("vernier"))


# ---------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------
def rel_err(got, exp):
    if exp == 0:
        return abs(got)
    return abs(got - exp) / abs(exp)


class Checker:
    """Collects mismatches between CLI values and oracle values for one test.

    value(key, entry, expected, tol): |got - expected| <= tol (tol is absolute; callers
    build it from a relative tolerance and, where the result cancels, the scale of the
    terms — each call site says why).
    undefined(key, entry, reasons): value null and reason in `reasons`.
    """

    def __init__(self, vernier=None):
        self.failures = []
        self.vernier = vernier
        self.ctx = ""
        self.res = None
        self._saved = None

    def set_context(self, ctx, res=None):
        """Starts the checks of one dataset; res is its Result (its data file is kept
        as a reproducer if a check fails, and removed otherwise)."""
        self._cleanup()
        self.ctx = ctx
        self.res = res
        self._saved = None

    def _cleanup(self):
        if self.res is not None:
            try:
                os.unlink(self.res.path)
            except OSError:
                pass
            self.res = None

    def _fail(self, key, msg):
        where = self.ctx
        if self.res is not None:
            if self._saved is None and self.vernier is not None:
                self._saved = self.vernier.save(self.res.path)
            where += f"\n      command: {self.res.cmd}\n      data kept: {self._saved}"
        self.failures.append((metric_id_of(key), f"{key}: {msg}\n      [{where}]"))

    def value(self, key, entry, expected, tol):
        record(key)
        if entry is None:
            self._fail(key, "missing from the output")
            return False
        got = entry.get("value")
        expected = float(expected)
        if not math.isfinite(expected):
            self._fail(key, f"oracle is not finite ({expected!r}); vernier gave {got!r} "
                            f"reason={entry.get('reason')!r}")
            return False
        if got is None:
            self._fail(key, f"expected {expected!r}, got null, reason={entry.get('reason')!r} "
                            f"message={entry.get('message')!r}")
            return False
        if entry.get("reason") is not None:
            self._fail(key, f"defined value {got!r} carries reason {entry.get('reason')!r}")
            return False
        if not abs(got - expected) <= tol:
            self._fail(key, f"expected {expected!r}, got {got!r} "
                            f"(|diff|={abs(got - expected):.3g}, tol={tol:.3g}, "
                            f"rel={rel_err(got, expected):.3g})")
            return False
        return True

    def undefined(self, key, entry, reasons):
        record(key, undefined=True)
        if isinstance(reasons, str):
            reasons = {reasons}
        if entry is None:
            self._fail(key, "missing from the output")
            return False
        if entry.get("value") is not None or entry.get("reason") not in reasons:
            self._fail(key, f"expected null with reason in {sorted(reasons)}, got "
                            f"value={entry.get('value')!r} reason={entry.get('reason')!r} "
                            f"message={entry.get('message')!r}")
            return False
        if not entry.get("message"):
            self._fail(key, f"undefined value (reason {entry.get('reason')!r}) has no message")
            return False
        return True

    def expect(self, key, entry, exp, tol=0.0):
        """exp is a float (compare with tol) or a set/str of reasons (undefined)."""
        if isinstance(exp, (set, frozenset, str)):
            return self.undefined(key, entry, exp)
        return self.value(key, entry, exp, tol)

    def assert_ok(self, limit_per_metric=int(os.environ.get("ORACLE_SHOW", "4"))):
        self._cleanup()
        if not self.failures:
            return
        by_metric = collections.defaultdict(list)
        for mid, msg in self.failures:
            by_metric[mid].append(msg)
        lines = [f"{len(self.failures)} mismatches in {len(by_metric)} metrics:"]
        for mid, msgs in sorted(by_metric.items()):
            lines.append(f"  [{mid}] {len(msgs)} mismatches, first {min(len(msgs), limit_per_metric)}:")
            for m in msgs[:limit_per_metric]:
                lines.append("    " + m)
        pytest.fail("\n".join(lines), pytrace=False)


# ---------------------------------------------------------------------------------------
# random data (numpy.random.default_rng with fixed seeds)
# ---------------------------------------------------------------------------------------
KINDS = ["normal", "t2", "cauchy", "ties0", "ties1", "negative", "nearconst", "offset",
         "positive", "independent", "constant"]


def gen_size(rng, i, nmax=100_000, nsmall=2000):
    """Dataset i's row count: tiny n (1, 2, 3) for the first nine datasets; a handful
    near nmax (every 50th); otherwise log-uniform in [1, nsmall] with an occasional
    log-uniform draw in [nsmall, nmax / 5]."""
    if i < 9:
        return 1 + i % 3
    if nmax > nsmall and i % 50 == 49:
        return int(rng.integers(nmax // 2, nmax + 1))
    if nmax > nsmall and i % 10 == 7:
        return int(math.exp(rng.uniform(math.log(nsmall), math.log(max(nsmall + 1, nmax // 5)))))
    return max(1, int(math.exp(rng.uniform(0.0, math.log(nsmall)))))


def gen_pair(rng, n, kind):
    """(y, yhat) float64 arrays of length n for one of KINDS."""
    if kind == "normal":
        s = 10 ** rng.uniform(-2, 3)
        y = rng.normal(rng.uniform(-5, 5) * s, s, n)
        yhat = y + rng.normal(rng.normal(0, 0.3) * s, s * 10 ** rng.uniform(-2, 0.3), n)
    elif kind == "t2":
        s = 10 ** rng.uniform(-1, 2)
        y = rng.standard_t(2, n) * s + rng.uniform(-3, 3) * s
        yhat = y + rng.standard_t(2, n) * s * 10 ** rng.uniform(-1.5, 0)
    elif kind == "cauchy":
        y = np.clip(rng.standard_cauchy(n) * 10, -1e6, 1e6)
        yhat = np.clip(y + rng.standard_cauchy(n), -1e6, 1e6)
    elif kind == "ties0":
        y = np.round(rng.normal(rng.uniform(-3, 3), 3, n))
        yhat = np.round(y + rng.normal(0, 1.5, n))
    elif kind == "ties1":
        y = np.round(rng.normal(0, 2, n), 1)
        yhat = np.round(y + rng.normal(0, 0.7, n), 1)
    elif kind == "negative":
        y = -rng.lognormal(rng.uniform(-2, 5), 1.0, n)
        yhat = y * rng.lognormal(0, 0.3, n)
    elif kind == "nearconst":
        # spread/offset >= ~1e-8 so that binary64 two-pass variances stay accurate to
        # ~1e-16 relative (the rounding of the mean enters squared: (ulp(mean)/spread)^2)
        c = rng.uniform(1, 10)
        s = c * 10 ** rng.uniform(-7, -5)
        y = c + rng.normal(0, s, n)
        yhat = c + rng.normal(0, s, n)
    elif kind == "offset":
        # 1e9 + noise with noise >= 10: (ulp(1e9)/10)^2 ~ 1e-16, see nearconst
        s = 10 ** rng.uniform(1, 3)
        y = 1e9 + rng.normal(0, s, n)
        yhat = y + rng.normal(rng.normal(0, 0.2) * s, s * 0.5, n)
    elif kind == "positive":
        y = rng.lognormal(rng.uniform(-3, 6), 1.0, n)
        yhat = y * rng.lognormal(0, 0.4, n)
    elif kind == "independent":
        y = rng.normal(0, 1, n)
        yhat = rng.normal(0, 1, n)
    elif kind == "constant":
        c = float(np.round(rng.normal(0, 10), int(rng.integers(0, 3))))
        y = np.full(n, c)
        if rng.random() < 0.3:
            yhat = y.copy()
        else:
            yhat = c + np.round(rng.normal(0, 1, n), 2)
    else:
        raise ValueError(kind)
    return np.asarray(y, dtype=np.float64), np.asarray(yhat, dtype=np.float64)


def gen_weights(rng, n, mode):
    """None (unweighted), 'float' uniform(0.1, 5) with ~10% exact zeros, 'int' integers
    1..5 with ~10% zeros, or '01' weights in {0, 1}. At least one weight is positive."""
    if mode is None:
        return None
    if mode == "float":
        w = rng.uniform(0.1, 5.0, n)
    elif mode == "int":
        w = rng.integers(1, 6, n).astype(np.float64)
    elif mode == "01":
        w = np.ones(n)
    else:
        raise ValueError(mode)
    if n > 1:
        zero = rng.random(n) < 0.1
        w[zero] = 0.0
        if not (w > 0).any():
            w[int(rng.integers(0, n))] = 1.0 if mode != "float" else 2.5
    return w


def describe(seed, i, n, kind, wmode, extra=""):
    return f"seed={seed} dataset={i} n={n} kind={kind} weights={wmode}{extra}"
