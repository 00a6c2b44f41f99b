"""Fault injection and adversarial inputs through the CLI (issue 12; docs/robustness.md).

Allocation failure: VERNIER_TEST_FAIL_ALLOC=N (cli/main.c) fails the library's Nth
allocation; every N along an `eval --by --ci -o FILE --log STORE` must end with exit 5
and one error line, or succeed with the undisturbed output; never a partial output file
or a half-written store. Run with VERNIER pointing at an ASan build (`make asan`) the
same test also checks for leaks: LeakSanitizer's exit code is neither 0 nor 5.

I/O errors: the LD_PRELOAD library ioshim.c (short reads, EINTR, ENOSPC on the store,
EACCES on open), /dev/full, RLIMIT_FSIZE with SIGXFSZ ignored (stdio's writes fail with
EFBIG: a full disk for -o FILE), a directory, a FIFO, a pipe fed slowly.

Numeric adversaries: subnormals, signed zeros, values near DBL_MAX, 10^6 identical rows
streamed through stdin, alternating +-1e300. Oracles are hand-derived or math.fsum.
"""
import json
import math
import os
import re
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest

ASAN_OPTS = "detect_leaks=1:abort_on_error=0:verify_asan_link_order=0"


def run(vernier, args, env=None, stdin=None, preexec=None, input_bytes=None, timeout=300):
    e = dict(os.environ)
    e["ASAN_OPTIONS"] = ASAN_OPTS
    e["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    e.update(env or {})
    return subprocess.run([vernier] + args, env=e, stdin=stdin, input=input_bytes,
                          capture_output=True, preexec_fn=preexec, timeout=timeout)


def one_error_line(stderr):
    """The CLI's error contract: 'vernier: error: ...' on one line, maybe one hint."""
    lines = stderr.decode().splitlines()
    assert lines, "no message"
    assert lines[0].startswith("vernier: error: "), lines
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), lines
    return lines[0]


def write_small(path, n=40):
    with open(path, "w") as f:
        f.write("y,yhat,g\n")
        for i in range(n):
            f.write("%d.5,%d,%s\n" % (i % 7 + 1, i % 5 + 2, "ab"[i % 2]))


def store_runs(path):
    if not os.path.exists(path):
        return 0
    con = sqlite3.connect(path)
    try:
        assert con.execute("pragma integrity_check").fetchall() == [("ok",)]
        return con.execute("select count(*) from runs").fetchone()[0]
    finally:
        con.close()


def values(out_json):
    d = json.loads(out_json)
    return {k: v for k, v in d["slices"][0]["values"].items()}


# ---- allocation failure ---------------------------------------------------------------

def test_nomem_every_allocation_eval_by_ci(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data)
    args = ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g", "--ci",
            "--resamples", "20", "-m", "mae,rmse,medae,r2", "--format", "json"]
    ref = tmp_path / "ref.json"
    r = run(vernier, args + ["-o", str(ref), "--log=%s" % (tmp_path / "ref.db")],
            env={"VERNIER_TEST_FAIL_ALLOC": "count"})
    assert r.returncode == 0, r.stderr
    total = int(r.stderr.decode().split("test: ")[1].split()[0])
    assert total > 50
    ref_bytes = ref.read_bytes()
    nomem = recovered = 0
    for n in range(1, total + 1):
        d = tmp_path / ("n%d" % n)
        d.mkdir()
        out, store = d / "out.json", d / "runs.db"
        r = run(vernier, args + ["-o", str(out), "--log=%s" % store],
                env={"VERNIER_TEST_FAIL_ALLOC": str(n)})
        assert r.returncode in (0, 5), (n, r.returncode, r.stderr.decode()[-2000:])
        if r.returncode == 5:
            nomem += 1
            assert "out of memory" in one_error_line(r.stderr), (n, r.stderr)
            # no partial output: none, or (when only the logging after it failed) the
            # complete one; and then no run in the store
            assert not out.exists() or out.read_bytes() == ref_bytes, \
                "failing allocation %d left a partial output file" % n
        else:
            recovered += 1
            assert out.read_bytes() == ref_bytes, "allocation %d changed the output" % n
        leftovers = [p for p in os.listdir(d) if ".tmp." in p]
        assert not leftovers, (n, leftovers)
        runs = store_runs(str(store))
        assert runs <= 1 and (r.returncode != 0 or runs == 1), (n, runs)
        for p in d.iterdir():
            p.unlink()
        d.rmdir()
    assert nomem > total // 2, (nomem, recovered, total)


# ---- I/O errors ------------------------------------------------------------------------

def test_stdout_disk_full(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data)
    with open("/dev/full", "wb") as full:
        r = subprocess.run([vernier, "eval", str(data), "-y", "y", "-p", "yhat"],
                           stdout=full, stderr=subprocess.PIPE, timeout=60,
                           env=dict(os.environ, ASAN_OPTIONS=ASAN_OPTS))
    assert r.returncode == 4
    assert "No space left on device" in one_error_line(r.stderr)


def _fsize_limit(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes then fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def test_output_file_disk_full_keeps_old_file(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data)
    out = tmp_path / "out.json"
    out.write_text("OLD\n")
    r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g", "--ci",
                      "--resamples", "20", "--format", "json", "-o", str(out)],
            preexec=_fsize_limit(512))
    assert r.returncode == 4, r.stderr
    one_error_line(r.stderr)
    assert out.read_text() == "OLD\n"  # the old file is untouched, not half-replaced
    assert not [p for p in os.listdir(tmp_path) if ".tmp." in p]


@pytest.mark.parametrize("how", ["enospc", "fsize"])
def test_store_disk_full_not_half_written(vernier, ioshim, tmp_path, how):
    data = tmp_path / "small.csv"
    write_small(data)
    store = tmp_path / "runs.db"
    args = ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g", "-m", "mae,rmse",
            "--log=%s" % store]
    assert run(vernier, args).returncode == 0
    assert store_runs(str(store)) == 1
    if how == "enospc":
        r = run(vernier, args, env={"LD_PRELOAD": ioshim, "VN_SHIM_ENOSPC": "runs.db"})
    else:
        r = run(vernier, args, preexec=_fsize_limit(1024))  # below any page write
    assert r.returncode == 4, r.stderr
    assert "run store" in one_error_line(r.stderr)
    assert store_runs(str(store)) == 1  # the failed run left nothing behind


def _ref_csv(vernier, data):
    r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g",
                      "--format", "csv"])
    assert r.returncode == 0
    return r.stdout


@pytest.mark.parametrize("gz", [False, True])
def test_short_reads(vernier, ioshim, tmp_path, gz):
    data = tmp_path / "small.csv"
    write_small(data, 3000)
    ref = _ref_csv(vernier, data)
    if gz:
        import gzip
        (tmp_path / "small.csv.gz").write_bytes(gzip.compress(data.read_bytes()))
        data = tmp_path / "small.csv.gz"
    r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g", "--format",
                      "csv"], env={"LD_PRELOAD": ioshim, "VN_SHIM_READ": "short"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.replace(b".gz", b"") == ref


def test_eintr(vernier, ioshim, tmp_path):
    """zlib's read loop does not retry EINTR: today that is a clean I/O error (exit 4, one
    line); should the reader retry, the result must be the undisturbed one."""
    data = tmp_path / "small.csv"
    write_small(data, 500)
    ref = _ref_csv(vernier, data)
    r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat", "--by", "g", "--format",
                      "csv"], env={"LD_PRELOAD": ioshim, "VN_SHIM_READ": "eintr"})
    if r.returncode == 0:
        assert r.stdout == ref
    else:
        assert r.returncode == 4, r.stderr
        assert "Interrupted system call" in one_error_line(r.stderr)


def test_slow_pipe_on_stdin(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data, 2000)
    ref = _ref_csv(vernier, data)
    p = subprocess.Popen([vernier, "eval", "-", "-y", "y", "-p", "yhat", "--by", "g",
                          "--format", "csv"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ, ASAN_OPTIONS=ASAN_OPTS))
    raw = data.read_bytes()
    for i in range(0, len(raw), 997):  # chunks that cut records and numbers anywhere
        p.stdin.write(raw[i:i + 997])
        p.stdin.flush()
        time.sleep(0.002)
    p.stdin.close()
    out = p.stdout.read()
    err = p.stderr.read()
    p.wait(timeout=60)
    assert p.returncode == 0, err
    assert out == ref.replace(str(data).encode(), b"<stdin>")


def test_sigbus_is_an_io_error(vernier, tmp_path):
    """SIGBUS (a mapped input truncated by another process) ends with exit 4 and the
    error contract, not a crash: vernier blocked on a pipe gets the signal."""
    p = subprocess.Popen([vernier, "eval", "-", "-y", "y", "-p", "yhat"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(b"y,yhat\n1,2\n")
    p.stdin.flush()
    time.sleep(0.3)
    p.send_signal(signal.SIGBUS)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 4, (p.returncode, err)
    assert "changed size while it was being read" in one_error_line(err)


def test_input_truncated_while_read(vernier, tmp_path):
    """A plain file truncated while vernier reads it (mapped a chunk at a time): a result,
    a data error or an I/O error — never a crash, always the error contract."""
    path = tmp_path / "big.csv"
    row = b"12.5,13.25,ab\n"
    body = b"y,yhat,g\n" + row * 3_000_000
    outcomes = set()
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        path.write_bytes(body)
        p = subprocess.Popen([vernier, "eval", str(path), "-y", "y", "-p", "yhat"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        with open(path, "r+b") as f:
            f.truncate(len(body) // 3)
        out, err = p.communicate(timeout=120)
        assert p.returncode in (0, 3, 4), (delay, p.returncode, err[-300:])
        if p.returncode:
            one_error_line(err)
        outcomes.add(p.returncode)


def test_unreadable_file(vernier, ioshim, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data)
    data.chmod(0)
    if os.geteuid() == 0:
        # root reads mode-000 files, so the open is refused by the shim instead (a real
        # permission check as another user would need the tree readable by that user)
        r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat"],
                env={"LD_PRELOAD": ioshim, "VN_SHIM_EACCES": "small.csv"})
    else:
        r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat"])
    assert r.returncode == 4
    assert "cannot open: Permission denied" in one_error_line(r.stderr)


def test_directory_as_input_spec_and_output(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data)
    r = run(vernier, ["eval", str(tmp_path), "-y", "y", "-p", "yhat"])
    assert r.returncode == 4 and "Is a directory" in one_error_line(r.stderr)
    r = run(vernier, ["check", "--spec", str(tmp_path)])
    assert r.returncode == 4 and "Is a directory" in one_error_line(r.stderr)
    r = run(vernier, ["eval", str(data), "-y", "y", "-p", "yhat", "-o", str(tmp_path)])
    assert r.returncode == 4 and "Is a directory" in one_error_line(r.stderr)


def test_fifo_as_input(vernier, tmp_path):
    data = tmp_path / "small.csv"
    write_small(data, 3000)
    ref = _ref_csv(vernier, data)
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)

    def feed(payload):
        with open(fifo, "wb") as f:
            f.write(payload)

    t = threading.Thread(target=feed, args=(data.read_bytes(),))
    t.start()
    # a reader that opened the FIFO a second time (a parallel pass) would block forever
    r = run(vernier, ["eval", str(fifo), "-y", "y", "-p", "yhat", "--by", "g", "--format", "csv"],
            timeout=60)
    t.join()
    assert r.returncode == 0, r.stderr
    assert r.stdout == ref.replace(str(data).encode(), str(fifo).encode())
    t = threading.Thread(target=feed, args=(b"",))  # a writer that sends nothing
    t.start()
    r = run(vernier, ["eval", str(fifo), "-y", "y", "-p", "yhat"], timeout=60)
    t.join()
    assert r.returncode == 3 and "empty input" in one_error_line(r.stderr)


# ---- numeric adversaries ---------------------------------------------------------------

def eval_json(vernier, text, metrics, extra=()):
    r = run(vernier, ["eval", "-", "-y", "y", "-p", "yhat", "-m", metrics, "--format", "json"]
            + list(extra), input_bytes=text.encode())
    assert r.returncode == 0, r.stderr
    for note in json.loads(r.stdout)["notes"]:  # no "RMSE/MAE = -nan" in plain words
        assert not re.search(r"(?<![A-Za-z])-?(nan|inf)(?![A-Za-z])", json.dumps(note), re.I), note
    return values(r.stdout)


def test_subnormals_and_signed_zeros(vernier):
    tiny = 5e-324
    rows = [(tiny, 0.0), (-0.0, 0.0), (0.0, -0.0), (1e-310, -1e-310), (3 * tiny, tiny)]
    text = "y,yhat\n" + "".join("%r,%r\n" % r for r in rows)
    v = eval_json(vernier, text, "count,mae,mean_error,max_error,mse,rmse,mape")
    errs = [p - y for y, p in rows]
    assert v["count"]["value"] == 5
    assert v["mae"]["value"] == math.fsum(abs(e) for e in errs) / 5
    assert v["mean_error"]["value"] == math.fsum(errs) / 5
    assert v["max_error"]["value"] == max(abs(e) for e in errs)
    # the squares underflow: reported, never a silent 0 (rmse 0 would call this perfect)
    for k in ("mse", "rmse"):
        assert v[k]["value"] is None and v[k]["reason"] == "overflow", v[k]
    assert v["mape"]["reason"] == "zero_actual"  # -0.0 and 0.0 are zeros
    # all errors exactly zero, of either sign: a perfect model, not an underflow
    v = eval_json(vernier, "y,yhat\n-0.0,0.0\n0.0,-0.0\n0,0\n", "mae,mse,rmse,mean_error")
    for k in ("mae", "mse", "rmse", "mean_error"):
        assert v[k]["value"] == 0.0 and v[k]["reason"] is None, (k, v[k])


def test_near_dbl_max_squares_overflow_reported(vernier):
    text = "y,yhat\n1e200,-1e200\n2e200,0\n-1e200,1e200\n"
    v = eval_json(vernier, text, "mae,max_error,mean_error,mse,rmse,r2,explained_variance,"
                                 "pearson_r,ccc")
    assert v["mae"]["value"] == 2e200
    assert v["max_error"]["value"] == 2e200
    assert v["mean_error"]["value"] == math.fsum([-2e200, -2e200, 2e200]) / 3
    # e^2 = 4e400 overflows: undefined with a reason, never inf, never a wrong number;
    # y is not constant, and y and yhat are negatively correlated (r2 used to say
    # "y is constant" and pearson_r 1)
    for k in ("mse", "rmse", "r2", "explained_variance", "pearson_r", "ccc"):
        assert v[k]["value"] is None and v[k]["reason"] == "overflow", (k, v[k])
        assert v[k]["message"]
    # y - yhat itself overflows
    v = eval_json(vernier, "y,yhat\n1.7e308,-1.7e308\n1,2\n", "mae,max_error,mean_error,mse")
    for k in v:
        assert v[k]["value"] is None and v[k]["reason"] == "overflow", (k, v[k])


def test_near_dbl_max_below_overflow_is_exact(vernier):
    # |e| = 1e150: e^2 = 1e300 is finite, so mse is defined and matches fsum
    rows = [(1e150, 0.0), (0.0, 1e150), (-1e150, 0.0)]
    text = "y,yhat\n" + "".join("%r,%r\n" % r for r in rows)
    v = eval_json(vernier, text, "mse,rmse,mae")
    sq = [(p - y) ** 2 for y, p in rows]
    assert v["mse"]["value"] == pytest.approx(math.fsum(sq) / 3, rel=1e-15)
    assert v["rmse"]["value"] == pytest.approx(1e150, rel=1e-15)
    assert v["mae"]["value"] == 1e150


def test_alternating_pm_1e300(vernier):
    n = 10000
    text = "y,yhat\n" + "".join("%s,0\n" % ("1e300" if i % 2 == 0 else "-1e300")
                                for i in range(n))
    v = eval_json(vernier, text, "mean_error,mae,max_error,mse,rmse,r2")
    assert v["mean_error"]["value"] == 0.0  # compensated: exactly 0, not rounding debris
    assert v["mae"]["value"] == 1e300
    assert v["max_error"]["value"] == 1e300
    for k in ("mse", "rmse", "r2"):
        assert v[k]["value"] is None and v[k]["reason"] == "overflow", (k, v[k])


@pytest.mark.parametrize("n", [10 ** 6])
def test_many_identical_values_streamed(vernier, n):
    """10^6 identical rows piped through stdin (bench/identical.sh runs 10^8)."""
    gen = subprocess.Popen([sys.executable, "-c",
                            "import sys\nw=sys.stdout.write\nw('y,yhat\\n')\n"
                            "line='0.1,0.3\\n'*10000\n"
                            "for _ in range(%d): w(line)\n" % (n // 10000)],
                           stdout=subprocess.PIPE)
    r = subprocess.run([vernier, "eval", "-", "-y", "y", "-p", "yhat", "-m",
                        "count,mean_error,mae,rmse,max_error,medae,r2", "--format", "json"],
                       stdin=gen.stdout, capture_output=True, timeout=600,
                       env=dict(os.environ, ASAN_OPTIONS=ASAN_OPTS))
    gen.stdout.close()
    gen.wait()
    assert r.returncode == 0, r.stderr
    v = values(r.stdout)
    e = 0.3 - 0.1  # the per-row error in binary64
    assert v["count"]["value"] == n
    assert v["mean_error"]["value"] == math.fsum([e] * n) / n == e
    assert v["mae"]["value"] == e
    assert v["max_error"]["value"] == e
    assert v["medae"]["value"] == e
    assert v["rmse"]["value"] == pytest.approx(e, rel=1e-15)
    assert v["r2"]["reason"] == "constant_y"
