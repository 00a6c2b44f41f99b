import os
import shutil

import pytest


@pytest.fixture(scope="session")
def vernier():
    v = os.environ.get("VERNIER") or shutil.which("vernier")
    if not v:
        pytest.skip("VERNIER is not set")
    return os.path.abspath(v)


@pytest.fixture(scope="session")
def ioshim():
    p = os.environ.get("IOSHIM")
    if not p or not os.path.exists(p):
        pytest.skip("IOSHIM (the LD_PRELOAD library tests/robust/ioshim.c) is not built")
    return os.path.abspath(p)
