"""Tests of the Python package (python/vernier). Run by `make test-python`, which builds
the extension in place (python/vernier/_core*.so) and puts python/ on PYTHONPATH.
Oracles: scikit-learn 1.2, numpy, pandas and the vernier CLI's own JSON for the same
rows (the package must say exactly what the CLI says)."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    exe = os.environ.get("VERNIER", str(REPO / "build" / "vernier"))
    if not Path(exe).exists():
        pytest.skip(f"{exe} not built")

    def run(*args, check=True):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"vernier {' '.join(map(str, args))}: {p.returncode} {p.stderr}")
        return p
    return run
