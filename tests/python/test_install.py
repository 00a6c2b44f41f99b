"""The documented install: `/usr/bin/python3 -m pip install --no-build-isolation ./python`
into a fresh virtual environment (with the system's numpy/pandas/scikit-learn/dask), then
`import vernier` from another directory; and the notebook-style example runs and agrees
with scikit-learn."""
import os
import subprocess
import sys
import venv

from conftest import REPO


def test_pip_install_into_a_venv(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # the system pip (Debian's python3-pip) installs into the venv's interpreter
    p = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-build-isolation",
                        "--no-index", str(REPO / "python")], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    code = ("import numpy as np, vernier, vernier.sklearn as s;"
            "y = np.arange(10.0); r = vernier.evaluate(y, y + 1, metrics='mae');"
            "print(vernier.__file__, r['mae'], s.mean_absolute_error(y, y + 2))")
    p = subprocess.run([str(py), "-c", code], capture_output=True, text=True, env=env,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    where, mae, mae2 = p.stdout.split()
    assert where.startswith(str(env_dir)) and float(mae) == 1.0 and float(mae2) == 2.0


def test_quickstart_example_runs():
    p = subprocess.run([sys.executable, "examples/python_quickstart.py"], cwd=REPO,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = dict(line.split(":", 1) for line in p.stdout.splitlines()
               if line.startswith(("sklearn mae", "merged p95", "mape reason")))
    sk, vn = out["sklearn mae"].split("vernier mae:")
    assert float(sk) == float(vn)
    merged, whole = out["merged p95"].split("whole p95:")
    assert float(merged) == float(whole)
    assert out["mape reason"].strip() == "zero_actual"
