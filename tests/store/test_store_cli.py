"""
The run store through the `vernier` binary (path in $VERNIER, default build/vernier),
read back with Python's own sqlite3 module as an independent reader.

  * crash safety: 200 logs killed at a random statement (the VERNIER_STORE_CRASH_AT
    hook, docs/store.md) leave a store that passes integrity_check and holds only
    complete runs;
  * concurrency: 8 processes logging 50 runs each to one new store lose none;
  * migration: a store built from the committed version-1 fixture (v1.sql) is read by
    `vernier runs` and appended to; a store from a newer schema is refused;
  * bad input: a file that is not SQLite, another application's database, a read-only
    directory, a full disk: exit 4, one line, the file untouched.

Run: VERNIER=build/vernier /usr/bin/python3 -m pytest -q tests/store
"""
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCHEMA = 1  # VN_STORE_SCHEMA
APP_ID = 0x766E7273

SMALL = "y,yhat,g\n" + "".join(
    f"{1 + i % 7}.{i % 10},{1 + (i * 3) % 7}.{(i * 7) % 10},{'abc'[i % 3]}\n" for i in range(30))
TAGS = ["--tag", "stage=test", "--tag", "model=m1"]


@pytest.fixture(scope="session")
def has_runs(exe):
    """Whether this binary has `vernier runs` (another part of the same feature)."""
    return subprocess.run([exe, "runs", "--help"], capture_output=True).returncode == 0


@pytest.fixture()
def small(tmp_path):
    p = tmp_path / "small.csv"
    p.write_text(SMALL)
    return p


def env_without_store(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("VERNIER_STORE", "VERNIER_STORE_CRASH_AT")}
    env.update(extra)
    return env


def log(exe, small, store, *flags, env=None, **kw):
    cmd = [exe, "eval", str(small), "-y", "y", "-p", "yhat", "--by", "g",
           f"--log={store}"] + list(flags)
    return subprocess.run(cmd, capture_output=True, text=True, env=env or env_without_store(),
                          timeout=120, **kw)


def connect(store):
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    return db


def check_intact(store):
    db = connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def runs_of(store):
    """{id: (n_slices, n_metrics, slices stored, values stored, {tags}, name)}."""
    db = connect(store)
    try:
        out = {}
        for rid, ns, nm, name in db.execute("SELECT id, n_slices, n_metrics, name FROM runs"):
            nsl = db.execute("SELECT count(*) FROM run_slices WHERE run_id = ?", (rid,)).fetchone()[0]
            nv = db.execute("SELECT count(*) FROM run_values WHERE run_id = ?", (rid,)).fetchone()[0]
            tags = dict(db.execute("SELECT key, value FROM run_tags WHERE run_id = ?", (rid,)))
            out[rid] = (ns, nm, nsl, nv, tags, name)
        return out
    finally:
        db.close()


def one_error_line(p):
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {p.stderr!r}"
    assert lines[0].startswith("vernier: error: "), lines[0]
    return lines[0]


# ---------------------------------------------------------------------------------------
# The reference run: what one complete log of small.csv holds, and how many statements
# (sqlite3_step calls) writing it takes.
# ---------------------------------------------------------------------------------------
@pytest.fixture()
def reference(exe, small, tmp_path):
    store = tmp_path / "ref.db"
    p = log(exe, small, store, *TAGS, "--name", "ref")
    assert p.returncode == 0, p.stderr
    assert re.search(r"logged run [0-9a-f]{16} to ", p.stderr), p.stderr
    (rid, (ns, nm, nsl, nv, tags, name)), = runs_of(store).items()
    assert (nsl, nv, name) == (ns, ns * nm, "ref")
    assert ns == 4 and tags == {"stage": "test", "model": "m1"}
    db = connect(store)
    nkeys = db.execute("SELECT count(*) FROM run_slice_keys").fetchone()[0]
    db.close()
    # BEGIN, the run, one per tag, per slice, per slice key, per value, COMMIT
    steps = 1 + 1 + len(tags) + ns + nkeys + ns * nm + 1
    return {"slices": ns, "metrics": nm, "tags": tags, "steps": steps}


def test_crash_hook_steps_formula(exe, small, tmp_path, reference):
    """The step count the crash test draws from is right: crashing at the last step
    (COMMIT) kills the process and stores nothing; one past it stores the run."""
    store = tmp_path / "s.db"
    n = reference["steps"]
    p = log(exe, small, store, *TAGS, env=env_without_store(VERNIER_STORE_CRASH_AT=str(n)))
    assert p.returncode == -signal.SIGKILL
    assert runs_of(store) == {}
    p = log(exe, small, store, *TAGS, env=env_without_store(VERNIER_STORE_CRASH_AT=str(n + 1)))
    assert p.returncode == 0, p.stderr
    assert len(runs_of(store)) == 1


def test_crash_safety(exe, small, tmp_path, reference):
    store = tmp_path / "crash.db"
    rng = random.Random(20261128)
    steps = reference["steps"]
    completed = killed = 0
    for i in range(200):
        n = rng.randint(1, steps + 2)
        p = log(exe, small, store, *TAGS, "--name", f"c{i}",
                env=env_without_store(VERNIER_STORE_CRASH_AT=str(n)))
        if n <= steps:
            assert p.returncode == -signal.SIGKILL, (n, p.returncode, p.stderr)
            killed += 1
        else:
            assert p.returncode == 0, (n, p.stderr)
            completed += 1
    check_intact(store)
    runs = runs_of(store)
    assert len(runs) == completed
    for rid, (ns, nm, nsl, nv, tags, name) in runs.items():
        assert (ns, nm) == (reference["slices"], reference["metrics"]), rid
        assert nsl == ns and nv == ns * nm, f"run {rid} is partial: {nsl} slices, {nv} values"
        assert tags == reference["tags"], rid
    assert killed > 150 and completed > 0
    # The store is still usable after 200 kills.
    p = log(exe, small, store, *TAGS)
    assert p.returncode == 0, p.stderr
    assert len(runs_of(store)) == completed + 1
    check_intact(store)


def test_concurrency(exe, small, tmp_path, reference):
    store = tmp_path / "sub" / "conc.db"  # missing: eight processes race to create it
    script = ('for j in $(seq 1 50); do "$VN" eval "$CSV" -y y -p yhat --by g '
              '--log="$STORE" --tag worker=$W --name "w$W-$j" >/dev/null 2>>"$ERR" '
              '|| { echo "run $j failed" >>"$ERR"; exit 1; }; done')

    def worker(w):
        err = tmp_path / f"err{w}.txt"
        env = env_without_store(VN=exe, CSV=str(small), STORE=str(store), W=str(w), ERR=str(err))
        p = subprocess.Popen(["sh", "-c", script], env=env)
        return p

    procs = [worker(w) for w in range(8)]
    codes = [p.wait(timeout=600) for p in procs]
    errors = [l for w in range(8) for l in (tmp_path / f"err{w}.txt").read_text().splitlines()
              if not l.startswith("vernier: logged run")]
    assert codes == [0] * 8, errors[:5]
    assert errors == []
    check_intact(store)
    runs = runs_of(store)
    assert len(runs) == 400
    names = sorted(name for *_, name in runs.values())
    assert names == sorted(f"w{w}-{j}" for w in range(8) for j in range(1, 51))
    for rid, (ns, nm, nsl, nv, tags, name) in runs.items():
        assert nsl == ns == reference["slices"] and nv == ns * nm
        assert tags == {"worker": name[1:name.index("-")]}


def test_creation_race(exe, small, tmp_path):
    """Eight processes creating the same new store at the same instant, 25 times: each
    sees either an empty file or a complete vernier store (the identification reads one
    snapshot; the switch to WAL, which SQLite reports BUSY without waiting, is retried)."""
    failures = []
    for r in range(25):
        store = tmp_path / f"race{r}" / "runs.db"
        procs = [subprocess.Popen([exe, "eval", str(small), "-y", "y", "-p", "yhat",
                                   f"--log={store}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, env=env_without_store())
                 for _ in range(8)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            if p.returncode != 0:
                failures.append(err.strip())
        if not failures:
            assert len(runs_of(store)) == 8
    assert failures == []


# ---------------------------------------------------------------------------------------
# Migration: the committed version-1 fixture.
# ---------------------------------------------------------------------------------------
def build_v1(path):
    db = sqlite3.connect(path)
    db.executescript((HERE / "v1.sql").read_text())
    db.close()
    return path


def schema_of(path):
    db = connect(path)
    try:
        return sorted((n, re.sub(r"\s+", " ", s or "")) for n, s in
                      db.execute("SELECT name, sql FROM sqlite_master"))
    finally:
        db.close()


def test_v1_fixture_is_the_v1_schema(exe, small, tmp_path):
    """While this vernier writes version 1, a new store's schema is exactly the
    fixture's: the fixture stands for real version-1 files."""
    v1 = build_v1(tmp_path / "v1.db")
    fresh = tmp_path / "fresh.db"
    assert log(exe, small, fresh).returncode == 0
    db = connect(fresh)
    version, app = (db.execute("PRAGMA user_version").fetchone()[0],
                    db.execute("PRAGMA application_id").fetchone()[0])
    db.close()
    assert app == APP_ID
    if version != 1:
        pytest.skip(f"this vernier writes schema {version}; the v1 fixture is migrated instead")
    assert schema_of(v1) == schema_of(fresh)


def test_v1_store_is_read_and_extended(exe, small, tmp_path, has_runs):
    store = build_v1(tmp_path / "v1.db")
    before = sqlite3.connect(store).execute(
        "SELECT run_id, slice_no, metric_no, value, reason, message FROM run_values "
        "ORDER BY 1, 2, 3").fetchall()
    env = env_without_store(VERNIER_STORE=str(store))
    if has_runs:
        p = subprocess.run([exe, "runs", "list"], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        assert "baseline" in p.stdout and "candidate" in p.stdout
        assert p.stdout.index("candidate") < p.stdout.index("baseline")  # newest first
        p = subprocess.run([exe, "runs", "show", "a41b"], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        assert "a41be09f7c3d2256" in p.stdout and "g=b" in p.stdout
        assert "too_few_rows" in p.stdout and "0.898649" in p.stdout
        p = subprocess.run([exe, "runs", "show", "tag:stage=prod"], capture_output=True,
                           text=True, env=env)
        assert p.returncode == 0 and "3f9c2a7b10d4e865" in p.stdout, p.stderr
    # Appending a run migrates (today: nothing to do) and keeps the old runs as they were.
    p = log(exe, small, "", "--name", "third", env=env)
    assert p.returncode == 0, p.stderr
    check_intact(store)
    db = connect(store)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
    assert [r[0] for r in db.execute("SELECT name FROM runs ORDER BY created_at DESC")] == [
        "third", "candidate", "baseline"]
    after = db.execute("SELECT run_id, slice_no, metric_no, value, reason, message FROM "
                       "run_values WHERE run_id != (SELECT id FROM runs WHERE name = 'third') "
                       "ORDER BY 1, 2, 3").fetchall()
    db.close()
    assert after == before
    if has_runs:
        p = subprocess.run([exe, "runs", "list"], capture_output=True, text=True, env=env)
        assert p.returncode == 0 and "third" in p.stdout, p.stderr


def test_newer_schema_refused(exe, small, tmp_path, has_runs):
    store = build_v1(tmp_path / "v99.db")
    db = sqlite3.connect(store)
    db.execute("PRAGMA user_version = 99")
    db.close()
    data = store.read_bytes()
    p = log(exe, small, store)
    assert p.returncode == 4, p.stderr
    line = one_error_line(p)
    assert "store schema 99 is newer than this vernier supports (1): upgrade vernier" in line
    assert str(store) in line
    if has_runs:
        p = subprocess.run([exe, "runs", "list", "--store", str(store)], capture_output=True,
                           text=True, env=env_without_store())
        assert p.returncode == 4 and "newer" in one_error_line(p)
    assert store.read_bytes() == data


# ---------------------------------------------------------------------------------------
# Bad input: exit 4, one line, nothing changed.
# ---------------------------------------------------------------------------------------
def test_not_sqlite(exe, small, tmp_path):
    for content in (b"just some notes\n", SMALL.encode() * 40, b"SQLite format 3\0" + b"\xff" * 200):
        store = tmp_path / "notes.txt"
        store.write_bytes(content)
        p = log(exe, small, store)
        assert p.returncode == 4, p.stderr
        assert "not a vernier run store" in one_error_line(p)
        assert store.read_bytes() == content
        assert not Path(str(store) + "-wal").exists()


def test_foreign_database(exe, small, tmp_path):
    store = tmp_path / "contacts.db"
    db = sqlite3.connect(store)
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('ada')")
    db.commit()
    db.close()
    data = store.read_bytes()
    p = log(exe, small, store)
    assert p.returncode == 4
    assert "not a vernier run store" in one_error_line(p)
    assert store.read_bytes() == data
    db = connect(store)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    db.close()


def _limit_file_size(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write(2) fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def test_full_disk(exe, small, tmp_path, reference):
    store = tmp_path / "full.db"
    assert log(exe, small, store, *TAGS).returncode == 0
    size = store.stat().st_size
    # Files may not grow past the store's size: the WAL cannot take one run.
    failed = None
    for _ in range(50):
        p = log(exe, small, store, *TAGS, preexec_fn=_limit_file_size(max(size, 32768)))
        if p.returncode != 0:
            failed = p
            break
    assert failed is not None and failed.returncode == 4, failed and failed.stderr
    assert str(store) in one_error_line(failed)
    check_intact(store)
    for rid, (ns, nm, nsl, nv, tags, name) in runs_of(store).items():
        assert nsl == ns and nv == ns * nm and tags == reference["tags"]
    # A store that cannot even be created.
    p = log(exe, small, tmp_path / "full2.db", preexec_fn=_limit_file_size(4096))
    assert p.returncode == 4
    assert "full2.db" in one_error_line(p)
    # /dev/full as the store.
    p = log(exe, small, "/dev/full")
    assert p.returncode == 4
    assert "/dev/full" in one_error_line(p)


def test_readonly_directory(exe, small, tmp_path):
    # A directory of our own under /tmp: as root the binary runs as nobody, who cannot
    # enter pytest's private tmp_path.
    base = Path(tempfile.mkdtemp(prefix="vn_ro_"))
    try:
        base.chmod(0o755)
        csv = base / "small.csv"
        shutil.copy(small, csv)
        csv.chmod(0o644)
        ro = base / "ro"
        ro.mkdir()
        assert log(exe, csv, ro / "old.db").returncode == 0
        data = (ro / "old.db").read_bytes()
        ro.chmod(0o555)
        kw = {}
        if os.geteuid() == 0:
            # Permission bits do not bind root: run the binary as nobody.
            probe = subprocess.run([exe, "--help"], capture_output=True, user=65534, group=65534)
            if probe.returncode != 0:
                pytest.skip("running as root, and uid 65534 cannot run the binary "
                            f"({probe.stderr.decode().strip()[:100]})")
            kw = {"user": 65534, "group": 65534}
        for name in ("new.db", "old.db", "sub/new.db"):
            p = log(exe, csv, ro / name, **kw)
            assert p.returncode == 4, (name, p.stderr)
            assert str(ro / name) in one_error_line(p)
        assert not (ro / "new.db").exists()
        assert (ro / "old.db").read_bytes() == data
    finally:
        for d in (base / "ro", base):
            if d.exists():
                d.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_logged_run_records_what_was_typed(exe, small, tmp_path):
    """The stored command line is argv as typed (getopt reorders its own copy), the
    input hash is the content hash of the bytes after gunzip (a .gz of the same bytes
    hashes the same), and the git commit is the one the .git directory names."""
    store = tmp_path / "runs.db"
    typed = [exe, "eval", str(small), "-y", "y", "-p", "yhat", "-m", "mae", "--log=" + str(store),
             "--tag", "k=v"]
    subprocess.run(typed, check=True, capture_output=True, env=env_without_store())
    gz = tmp_path / "small.csv.gz"
    subprocess.run(["gzip", "-k", "-c", str(small)], check=True, stdout=gz.open("wb"))
    subprocess.run([exe, "eval", str(gz), "-y", "y", "-p", "yhat", "-m", "mae",
                    "--log=" + str(store)], check=True, capture_output=True,
                   env=env_without_store())
    with connect(store) as db:
        rows = db.execute("SELECT argv, data_hash, git_commit FROM runs ORDER BY run_no").fetchall()
    import json
    assert json.loads(rows[0][0]) == ["vernier"] + typed[1:]
    assert re.fullmatch(r"[0-9a-f]{16}", rows[0][1])
    assert rows[0][1] == rows[1][1]
    if shutil.which("git") and os.getcwd().startswith(str(REPO)):
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"],
                              capture_output=True, text=True)
        if head.returncode == 0:
            assert rows[0][2] == head.stdout.strip()
