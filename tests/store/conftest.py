"""Fixtures shared by the run-store suites: the `vernier` binary under test
($VERNIER, default build/vernier)."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def exe():
    p = Path(os.environ.get("VERNIER") or REPO / "build" / "vernier")
    if not p.exists():
        if os.environ.get("VERNIER"):
            pytest.fail(f"VERNIER={p} does not exist")
        pytest.skip(f"{p} not built (run make, or set VERNIER)")
    return str(p.resolve())
