"""
Oracle: `vernier check` gates (issue 5).

Gate decisions are recomputed here from values derived independently (numpy,
scikit-learn's metrics and DummyRegressor): min / max / between on values and on interval
bounds, regressions against a baseline file and a stored run (absolute, relative, and
relative against a zero baseline), the best constant model, min_count, severities and
every exit code. The CI formats are checked with real parsers: the JUnit XML with
xml.etree (the common JUnit schema subset: testsuites/testsuite/testcase with
failure/error/skipped), the Markdown summary as a table (and its 1 MiB cap), the GitHub
annotations and step summary under GITHUB_ACTIONS=true.
"""
import json
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.dummy import DummyRegressor

from conftest import write_csv


def spec_file(tmp_path, text, name="vernier.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def check(vernier, spec, *args, env=None, ok=(0, 1)):
    cmd = [vernier.exe, "check", "--spec", str(spec), "--format", "json", *map(str, args)]
    import subprocess
    e = dict(os.environ)
    e.pop("GITHUB_ACTIONS", None)
    e.pop("GITHUB_STEP_SUMMARY", None)
    e.update(env or {})
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=300)
    assert p.returncode in ok, f"exit {p.returncode}: {p.stderr}"
    return (json.loads(p.stdout) if p.stdout.startswith("{") else None), p


def by_slice(doc, gate=None):
    return {(g["gate"], g["slice"]): g for g in doc["gates"] if gate is None or g["gate"] == gate}


def data(tmp_path, n=400, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.gamma(3.0, 4.0, n)
    p = y + rng.normal(0.5, 2.0, n)
    region = np.where(np.arange(n) % 4 == 0, "north", "south")
    path = write_csv(tmp_path / "d.csv", {"y": y, "p": p, "region": list(region),
                                          "size": rng.uniform(0, 30, n)})
    return path, y, p, region


HEAD = """version: 1
data:
  path: {path}
  y: y
  prediction: p
"""


def test_threshold_gates_match_sklearn(vernier, tmp_path):
    path, y, p, region = data(tmp_path)
    mae = skm.mean_absolute_error(y, p)
    r2 = skm.r2_score(y, p)
    north = region == "north"
    mae_n = skm.mean_absolute_error(y[north], p[north])
    spec = spec_file(tmp_path, HEAD.format(path=path) + f"""
metrics:
  - id: mae
    type: mae
  - id: r2
    type: r2
slices:
  - id: region
    by: region
gates:
  - name: mae-max
    metric: mae
    max: {mae_n - 1e-9}
    slices: [overall, region]
  - name: r2-min
    metric: r2
    min: {r2 + 1e-9}
  - name: mae-between
    metric: mae
    between: [{mae - 1e-9}, {mae + 1e-9}]
""")
    doc, p_ = check(vernier, spec)
    g = by_slice(doc)
    assert g[("mae-max", "overall")]["value"] == pytest.approx(mae, rel=1e-13)
    # the north slice's mae is just above the threshold: fail; others by their values
    assert g[("mae-max", "region=north")]["status"] == "fail"
    south = skm.mean_absolute_error(y[~north], p[~north])
    assert g[("mae-max", "region=south")]["status"] == ("pass" if south <= mae_n - 1e-9 else "fail")
    assert g[("mae-max", "overall")]["status"] == ("pass" if mae <= mae_n - 1e-9 else "fail")
    assert g[("r2-min", "overall")]["status"] == "fail"
    assert g[("mae-between", "overall")]["status"] == "pass"
    assert p_.returncode == 1 and doc["verdict"] == "fail" and doc["exit_code"] == 1


def test_ci_bound_gate_uses_the_interval(vernier, tmp_path):
    path, y, p, _ = data(tmp_path, n=6000)
    e = np.abs(p - y)
    # analytic (CLT) interval of the mean absolute error, as docs/intervals.md defines it
    se = np.sqrt(len(e) / (len(e) - 1) * np.sum((e - e.mean()) ** 2)) / len(e)
    hi = e.mean() + 1.959963984540054 * se
    spec = spec_file(tmp_path, HEAD.format(path=path) + f"""
metrics:
  - id: mae
    type: mae
    uncertainty: {{level: 0.95, method: analytic}}
gates:
  - name: upper
    metric: mae
    on: ci_high
    max: {e.mean() + 0.5 * (hi - e.mean())}
  - name: estimate
    metric: mae
    max: {e.mean() + 0.5 * (hi - e.mean())}
""")
    doc, _ = check(vernier, spec)
    g = by_slice(doc)
    assert g[("upper", "overall")]["value"] == pytest.approx(hi, rel=1e-6)
    assert g[("upper", "overall")]["status"] == "fail"      # the interval reaches past it
    assert g[("estimate", "overall")]["status"] == "pass"   # the estimate alone does not


def test_baseline_file_regressions(vernier, tmp_path):
    path, y, p, _ = data(tmp_path)
    rng = np.random.default_rng(9)
    pb = y + rng.normal(0.0, 1.0, len(y))           # a better baseline
    base = write_csv(tmp_path / "base.csv", {"y": y, "p": pb, "region": ["x"] * len(y),
                                             "size": np.zeros(len(y))})
    perfect = write_csv(tmp_path / "perfect.csv", {"y": y, "p": y.copy(), "region": ["x"] * len(y),
                                                   "size": np.zeros(len(y))})
    m, mb = skm.mean_absolute_error(y, p), skm.mean_absolute_error(y, pb)
    r2, r2b = skm.r2_score(y, p), skm.r2_score(y, pb)
    reg = m - mb
    assert reg > 0
    gates = f"""
metrics:
  - id: mae
    type: mae
  - id: r2
    type: r2
gates:
  - {{name: abs-ok, metric: mae, vs: baseline, max_regression: {reg * 1.001}}}
  - {{name: abs-bad, metric: mae, vs: baseline, max_regression: {reg * 0.999}}}
  - {{name: rel-ok, metric: mae, vs: baseline, max_regression: "{100 * reg / mb * 1.001}%"}}
  - {{name: rel-bad, metric: mae, vs: baseline, max_regression: "{100 * reg / mb * 0.999}%"}}
  - {{name: r2-improve, metric: r2, vs: baseline, min_improvement: 0}}
"""
    spec = spec_file(tmp_path, HEAD.format(path=path) + f"baseline:\n  file: {base}\n" + gates)
    doc, _ = check(vernier, spec)
    g = {k[0]: v for k, v in by_slice(doc).items()}
    assert g["abs-ok"]["reference"] == pytest.approx(mb, rel=1e-13)
    assert [g[k]["status"] for k in ("abs-ok", "abs-bad", "rel-ok", "rel-bad")] == \
        ["pass", "fail", "pass", "fail"]
    assert g["abs-ok"]["hi"] == pytest.approx(mb + reg * 1.001, rel=1e-12)
    # r2 is higher-is-better: the worsening is r2b - r2 > 0, so "improve by >= 0" fails
    assert r2b > r2 and g["r2-improve"]["status"] == "fail"
    assert g["r2-improve"]["lo"] == pytest.approx(r2b, rel=1e-12)
    # against a zero baseline a relative allowance is zero: any worsening fails
    spec0 = spec_file(tmp_path, HEAD.format(path=path) + f"baseline:\n  file: {perfect}\n" + """
metrics:
  - id: mae
    type: mae
gates:
  - {name: rel-zero, metric: mae, vs: baseline, max_regression: "50%"}
  - {name: abs-zero, metric: mae, vs: baseline, max_regression: 100}
""", "zero.yaml")
    doc, _ = check(vernier, spec0)
    g = {k[0]: v for k, v in by_slice(doc).items()}
    assert g["rel-zero"]["reference"] == 0.0
    assert g["rel-zero"]["status"] == "fail" and g["rel-zero"]["hi"] == 0.0
    assert g["abs-zero"]["status"] == "pass"
    # the same spec checked against the perfect file itself: no worsening, passes
    doc, p_ = check(vernier, spec0, "--data", perfect)
    assert all(x["status"] == "pass" for x in doc["gates"]) and p_.returncode == 0


def test_baseline_from_store_and_on_missing(vernier, tmp_path):
    path, y, p, region = data(tmp_path)
    store = tmp_path / "runs.db"
    r = vernier.run(["eval", path, "-y", "y", "-p", "p", "--by", "region", "-m", "mae",
                     f"--log={store}", "--tag", "env=prod"])
    assert r.returncode == 0, r.stderr
    body = """
metrics:
  - id: mae
    type: mae
slices:
  - id: region
    by: region
gates:
  - {name: same, metric: mae, vs: baseline, max_regression: 0, slices: [overall, region]}
"""
    spec = spec_file(tmp_path, HEAD.format(path=path) + "baseline:\n  run: tag:env=prod\n" + body)
    doc, p_ = check(vernier, spec, "--store", store)
    assert p_.returncode == 0
    assert len(doc["gates"]) == 3 and all(g["status"] == "pass" for g in doc["gates"])
    assert "tag:env=prod" in doc["baseline"]
    north = region == "north"
    g = by_slice(doc)
    assert g[("same", "region=north")]["reference"] == pytest.approx(
        skm.mean_absolute_error(y[north], p[north]), rel=1e-13)
    # no such run: on_missing decides (fail by default, skip -> exit 5: nothing applied)
    missing = tmp_path / "none.db"
    doc, p_ = check(vernier, spec, "--store", missing)
    assert p_.returncode == 1 and {g["status"] for g in doc["gates"]} == {"fail"}
    assert not missing.exists()          # a check never creates a store
    spec2 = spec_file(tmp_path, HEAD.format(path=path) +
                      "baseline:\n  run: tag:env=prod\n  on_missing: skip\n" + body, "skip.yaml")
    doc, p_ = check(vernier, spec2, "--store", missing, ok=(5,))
    assert {g["status"] for g in doc["gates"]} == {"skipped"} and doc["exit_code"] == 5


def test_dummy_gate_matches_sklearn_dummy(vernier, tmp_path):
    path, y, p, region = data(tmp_path)
    spec = spec_file(tmp_path, HEAD.format(path=path) + """
metrics:
  - id: mae
    type: mae
  - id: rmse
    type: rmse
  - id: pin
    type: pinball
    params: {q: 0.8}
slices:
  - id: region
    by: region
gates:
  - {name: d-mae, metric: mae, vs: dummy, slices: "*"}
  - {name: d-rmse, metric: rmse, vs: dummy}
  - {name: d-pin, metric: pin, vs: dummy}
""")
    doc, _ = check(vernier, spec)
    g = by_slice(doc)

    def best(metric, yy, strategies):
        vals = []
        for kw in strategies:
            d = DummyRegressor(**kw).fit(np.zeros((len(yy), 1)), yy)
            vals.append(metric(yy, d.predict(np.zeros((len(yy), 1)))))
        return min(vals)

    strategies = [{"strategy": "mean"}, {"strategy": "median"}]
    q8 = strategies + [{"strategy": "quantile", "quantile": 0.8}]
    rmse = lambda a, b: np.sqrt(skm.mean_squared_error(a, b))
    pin = lambda a, b: skm.mean_pinball_loss(a, b, alpha=0.8)
    assert g[("d-mae", "overall")]["reference"] == pytest.approx(best(skm.mean_absolute_error, y, strategies), rel=1e-12)
    for lab in ("north", "south"):
        m = region == lab
        assert g[("d-mae", f"region={lab}")]["reference"] == pytest.approx(
            best(skm.mean_absolute_error, y[m], strategies), rel=1e-12)
    assert g[("d-rmse", "overall")]["reference"] == pytest.approx(best(rmse, y, strategies), rel=1e-12)
    assert g[("d-pin", "overall")]["reference"] == pytest.approx(best(pin, y, q8), rel=1e-12)
    assert all(x["status"] == "pass" for x in doc["gates"])      # the model beats a constant


def test_min_count_severity_and_undefined(vernier, tmp_path):
    path, y, p, region = data(tmp_path)
    # one zero actual makes MAPE undefined
    y2 = y.copy()
    y2[5] = 0.0
    path2 = write_csv(tmp_path / "z.csv", {"y": y2, "p": p, "region": list(region)})
    spec = spec_file(tmp_path, HEAD.format(path=path2) + """
metrics:
  - id: mae
    type: mae
  - id: mape
    type: mape
slices:
  - id: region
    by: region
    min_count: 150
gates:
  - {name: small, metric: mae, max: 0.001, slices: [region], severity: warn}
  - {name: mape, metric: mape, max: 50}
""")
    doc, p_ = check(vernier, spec)
    g = by_slice(doc)
    assert g[("small", "region=north")]["status"] == "skipped"       # 100 rows < 150
    assert g[("small", "region=south")]["status"] == "warn"          # 300 rows, fails, warn
    assert g[("mape", "overall")]["status"] == "error"
    assert "zero_actual" in g[("mape", "overall")]["message"]
    assert p_.returncode == 1                                         # an error-severity error
    assert doc["counts"] == {"pass": 0, "fail": 0, "warn": 1, "skipped": 1, "error": 1}


def test_spec_and_data_errors_exit_3(vernier, tmp_path):
    path, *_ = data(tmp_path)
    bad = spec_file(tmp_path, HEAD.format(path=path) + "metrics:\n  - id: m\n    type: maee\n", "bad.yaml")
    _, p_ = check(vernier, bad, ok=(3,))
    assert "bad.yaml:8:11:" in p_.stderr and "maee" in p_.stderr
    nocol = spec_file(tmp_path, HEAD.format(path=path).replace("prediction: p", "prediction: nope")
                      + "metrics:\n  - id: m\n    type: mae\n", "nocol.yaml")
    _, p_ = check(vernier, nocol, ok=(3,))
    assert 'no spec column "nope"' in p_.stderr or '"nope"' in p_.stderr
    _, p_ = check(vernier, tmp_path / "missing.yaml", ok=(4,))


def test_junit_markdown_github(vernier, tmp_path):
    path, y, p, region = data(tmp_path)
    spec = spec_file(tmp_path, HEAD.format(path=path) + """
metrics:
  - id: mae
    type: mae
  - id: bias
    type: mean_error
slices:
  - id: region
    by: region
gates:
  - {name: "mae < 1", metric: mae, max: 1, slices: "*"}
  - {name: bias, metric: bias, between: [-5, 5], slices: [region]}
  - {name: soft, metric: mae, max: 0.5, severity: warn}
ci:
  junit: out/junit.xml
  markdown: out/summary.md
  json: out/check.json
""")
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    import subprocess
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    p_ = subprocess.run([vernier.exe, "check", "--spec", "vernier.yaml"], capture_output=True, text=True,
                        env=env, cwd=tmp_path, timeout=300)
    assert p_.returncode == 1, p_.stderr
    # JUnit: parses, counts agree, one classname per slice, failure text has the numbers
    root = ET.parse(tmp_path / "out/junit.xml").getroot()
    assert root.tag == "testsuites" and root.attrib["failures"] == "3"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == int(root.attrib["tests"]) == 3 + 2 + 1
    assert {c.attrib["classname"] for c in cases} == {"vernier.overall", "vernier.region_north",
                                                       "vernier.region_south"}
    fails = [c.find("failure") for c in cases if c.find("failure") is not None]
    assert len(fails) == 3 and all("mae = " in f.attrib["message"] for f in fails)
    mae = skm.mean_absolute_error(y, p)
    assert f"{mae:.6g}" in fails[0].text
    # the step summary was appended to, and is a Markdown table
    text = summary.read_text()
    assert text.startswith("earlier step\n### vernier check: FAILED")
    rows = [l for l in text.splitlines() if l.startswith("|")]
    assert rows[1].startswith("|---") and len(rows) == 2 + 6
    assert rows[2].startswith("| **FAIL**")                           # failures first
    assert (tmp_path / "out/summary.md").read_text() == text[len("earlier step\n"):]
    # annotations on the gate's line, failures first, at most 10
    ann = [l for l in p_.stdout.splitlines() if l.startswith("::")]
    assert ann[0].startswith("::error file=vernier.yaml,line=16,col=5,title=mae < 1::overall: mae = ")
    assert len(ann) == 4 and ann[-1].startswith("::warning file=vernier.yaml,line=18,")
    doc = json.loads((tmp_path / "out/check.json").read_text())
    assert doc["schema"] == "vernier.check/1" and doc["counts"]["fail"] == 3


def test_markdown_stays_under_1_mib(vernier, tmp_path):
    n = 30000
    rng = np.random.default_rng(3)
    y = rng.normal(10, 1, n)
    path = write_csv(tmp_path / "big.csv", {"y": y, "p": y + 1.0,
                                            "id": [f"customer-{i:06d}" for i in range(n)]})
    spec = spec_file(tmp_path, HEAD.format(path=path) + """
metrics:
  - id: mae
    type: mae
slices:
  - id: customer
    by: id
gates:
  - {name: "a gate with a long name so that the table grows quickly", metric: mae, max: 0.5, slices: [customer]}
""")
    out = tmp_path / "s.md"
    _, p_ = check(vernier, spec, "--markdown", out)
    text = out.read_text()
    assert len(text.encode()) < 1024 * 1024
    assert "more rows left out to stay under GitHub's 1 MiB summary limit" in text
