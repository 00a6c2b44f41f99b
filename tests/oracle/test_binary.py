"""
Oracle: scikit-learn 1.2.x for the binary classification metrics (`vernier eval --task
binary`), run by /usr/bin/python3.

* roc_auc, average_precision, log_loss (eps=1e-15, labels=[0, 1]) and brier against
  roc_auc_score, average_precision_score, log_loss and brier_score_loss;
* the operating points (precision_at_recall, recall_at_precision,
  specificity_at_sensitivity, sensitivity_at_specificity) and their thresholds derived
  from precision_recall_curve and roc_curve(drop_intermediate=False): every threshold
  those curves list (the curves' artificial end points, which have no threshold of
  their own, left out), the best target rate among the thresholds whose constraint rate
  reaches the level, ties to the better constraint rate;
* ece against a numpy/fsum implementation of the definition in docs/metrics.md written
  here (equal-count bins cut after floor(b*n/B) rows, a cut inside tied scores moved past
  them);
* the AUC of integer scores with known counts per score level against its closed form
  in exact rational arithmetic (fractions), ~10^6 rows: the double vernier prints must be
  the correctly rounded value of the exact fraction.

Data: randomized with numpy.random.default_rng and fixed seeds; scores rounded to a few
values (heavy ties), prevalences from 2 % to 90 %, weights off / uniform(0.1, 5) /
integers 1..5 (with exact zeros), three slices. Every dataset is one `vernier eval`
call; the oracle always sees the rows with w > 0 (vernier ignores rows with w = 0).

Tolerance: 1e-12 relative (scikit-learn's plain cumulative sums and trapezoids vs
vernier's integer counts and compensated sums differ by a few ulps); operating points
are compared exactly with whole counts (the same ratio of the same counts, rounded once)
and to 1e-12 with non-integral weights; thresholds always exactly.
"""
from fractions import Fraction

import numpy as np
import pytest
from sklearn import metrics as skm

from conftest import Checker, write_csv

REL = 1e-12
OPS = [("precision_at_recall", "r", [0.0, 0.5, 0.8, 0.9, 1.0]),
       ("recall_at_precision", "p", [0.0, 0.5, 0.7, 0.9, 1.0]),
       ("specificity_at_sensitivity", "s", [0.0, 0.5, 0.9, 0.95, 1.0]),
       ("sensitivity_at_specificity", "s", [0.0, 0.5, 0.9, 0.95, 1.0])]
ECE_BINS = [10, 3, 1, 50]


def op_keys():
    return [f"{mid}:{p}={lv}" for mid, p, levels in OPS for lv in levels]


ALL_METRICS = (["count", "roc_auc", "average_precision", "log_loss", "brier"]
               + [f"ece:bins={b}" for b in ECE_BINS] + op_keys())


def close(key, chk, entry, exp, rel=REL):
    chk.value(key, entry, exp, rel * abs(exp) + 1e-300)


# ---- the oracle ------------------------------------------------------------------------
def both_classes(y):
    return 0 < y.sum() < len(y)


def integral_weights(w):
    return w is None or bool(np.all(w == np.round(w)))


def op_oracle(mid, level, y, s, w):
    """(value, threshold) or 'unreachable' from scikit-learn's curves."""
    if mid in ("precision_at_recall", "recall_at_precision"):
        prec, rec, thr = skm.precision_recall_curve(y, s, sample_weight=w)
        prec, rec = prec[:-1], rec[:-1]  # (1, 0) has no threshold
        target, con = (prec, rec) if mid == "precision_at_recall" else (rec, prec)
    else:
        fpr, tpr, thr = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        fpr, tpr, thr = fpr[1:], tpr[1:], thr[1:]  # (0, 0) at max + 1 predicts nothing
        if integral_weights(w):
            # whole counts: (N - FP)/N rounded once, as exact as the rate can be
            n_neg = float(np.sum(w[y == 0])) if w is not None else float(np.sum(y == 0))
            fps = np.round(fpr * n_neg)
            tnr = (n_neg - fps) / n_neg
        else:
            tnr = 1.0 - fpr
        target, con = (tnr, tpr) if mid == "specificity_at_sensitivity" else (tpr, tnr)
    ok = con >= level
    if not ok.any():
        return "unreachable"
    best = target[ok].max()
    cand = np.flatnonzero(ok & (target == best))
    k = cand[np.argmax(con[cand])]
    return float(best), float(thr[k])


def ece_oracle(y, s, w, bins):
    w = np.ones_like(s) if w is None else w
    order = np.argsort(s, kind="stable")
    ys, ss, ws = y[order], s[order], w[order]
    n = len(ss)
    cuts = []
    for b in range(1, bins):
        c = (b * n) // bins
        if 0 < c < n and ss[c] == ss[c - 1]:
            c = int(np.searchsorted(ss, ss[c - 1], side="right"))
        cuts.append(c)
    edges = sorted(set([0] + cuts + [n]))
    total = 0.0
    parts = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        d = Fraction(0)
        for yy, sv, wv in zip(ys[a:b], ss[a:b], ws[a:b]):
            d += Fraction(float(wv)) * (int(yy) - Fraction(float(sv)))
        parts.append(abs(d))
    total = sum(parts, Fraction(0))
    return float(total / sum(Fraction(float(x)) for x in ws))


def check_slice(chk, vals, y, s, w):
    if w is not None:
        keep = w > 0
        y, s, w = y[keep], s[keep], w[keep]
    if len(y) == 0:
        return
    both = both_classes(y)
    if both:
        close("roc_auc", chk, vals["roc_auc"], skm.roc_auc_score(y, s, sample_weight=w))
        close("average_precision", chk, vals["average_precision"],
              skm.average_precision_score(y, s, sample_weight=w))
    else:
        for k in ["roc_auc", "average_precision"] + op_keys():
            chk.undefined(k, vals[k], "one_class")
    close("log_loss", chk, vals["log_loss"],
          skm.log_loss(y, s, sample_weight=w, eps=1e-15, labels=[0, 1]))
    brier = np.average((y - s) ** 2, weights=w) if not both else \
        skm.brier_score_loss(y, s, sample_weight=w)
    close("brier", chk, vals["brier"], brier)
    for b in ECE_BINS:
        exp = ece_oracle(y, s, w, b)
        # |sum(w*y) - sum(w*s)| per bin can cancel: tolerance relative to the bin masses
        chk.value(f"ece:bins={b}", vals[f"ece:bins={b}"], exp, 1e-13 + REL * abs(exp))
    if not both:
        return
    for mid, p, levels in OPS:
        for lv in levels:
            key = f"{mid}:{p}={lv}"
            exp = op_oracle(mid, lv, y, s, w)
            e = vals[key]
            if exp == "unreachable":
                chk.undefined(key, e, "unreachable")
                if e.get("threshold") is not None:
                    chk._fail(key, "an unreachable point carries a threshold")
                continue
            # whole counts: the same ratio rounded once, exactly; non-integral weights:
            # scikit-learn's plain cumulative sums vs compensated ones, a few ulps
            tol = 0.0 if integral_weights(w) else REL * abs(exp[0])
            if chk.value(key, e, exp[0], tol) and e.get("threshold") != exp[1]:
                chk._fail(key, f"threshold {e.get('threshold')!r}, oracle {exp[1]!r}")


def gen(rng, i):
    n = int(rng.choice([2, 5, 30, 200, 1000, 3000])) if i % 7 else int(rng.integers(5000, 20000))
    prev = float(rng.choice([0.02, 0.1, 0.3, 0.5, 0.9]))
    y = (rng.random(n) < prev).astype(np.int64)
    sep = rng.uniform(0, 2.5)
    z = rng.normal(sep * y, 1.0)
    s = 1.0 / (1.0 + np.exp(-z))
    mode = i % 5
    if mode == 0:
        s = np.round(s, 1)            # 11 levels: heavy ties
    elif mode == 1:
        s = np.round(s * 4) / 4       # 5 levels
    elif mode == 2:
        s = np.round(s, 2)
    elif mode == 3:
        s = np.round(s, 3)
    # mode 4: continuous
    wmode = [None, "float", "int", None, "float"][i % 5 if i % 3 else (i // 3) % 5]
    w = None
    if wmode == "float":
        w = rng.uniform(0.1, 5.0, n)
    elif wmode == "int":
        w = rng.integers(1, 6, n).astype(np.float64)
    if w is not None and n > 2:
        w[rng.random(n) < 0.1] = 0.0
        if not (w > 0).any():
            w[0] = 1.0
    g = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    return y, s, w, g, wmode


def test_random_against_sklearn(vernier):
    chk = Checker(vernier)
    rng = np.random.default_rng(20260901)
    for i in range(60):
        y, s, w, g, wmode = gen(rng, i)
        cols = {"y": y.tolist(), "yhat": s, "g": g.tolist()}
        if w is not None:
            cols["w"] = w
        path = write_csv(vernier.path("binary"), cols)
        res = vernier.eval_file(path, metrics=",".join(ALL_METRICS),
                                weight="w" if w is not None else None,
                                flags=["--task", "binary", "--by", "g"], keep=True)
        chk.set_context(f"dataset={i} n={len(y)} weights={wmode}", res)
        check_slice(chk, res.values(0), y, s, w)
        for lab in ("a", "b", "c"):
            m = g == lab
            if not m.any() or (w is not None and not (w[m] > 0).any()):
                continue
            check_slice(chk, res.slice_by_labels(g=lab)["values"], y[m], s[m],
                        None if w is None else w[m])
    chk.assert_ok()


# ---- edge cases --------------------------------------------------------------------------
def run_json(vernier, y, s, metrics, flags=("--task", "binary"), w=None):
    return vernier.eval(np.asarray(y, dtype=float), np.asarray(s, dtype=float), w=w,
                        metrics=metrics, flags=list(flags)).values(0)


def test_one_class(vernier):
    chk = Checker(vernier)
    y = np.ones(20)
    s = np.linspace(0.05, 0.95, 20)
    v = run_json(vernier, y, s, ",".join(ALL_METRICS))
    for k in ["roc_auc", "average_precision"] + op_keys():
        chk.undefined(k, v[k], "one_class")
        assert "both classes" in v[k]["message"]
    close("log_loss", chk, v["log_loss"], skm.log_loss(y, s, eps=1e-15, labels=[0, 1]))
    close("brier", chk, v["brier"], float(np.mean((1 - s) ** 2)))
    chk.assert_ok()


def test_all_tied_scores(vernier):
    chk = Checker(vernier)
    y = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=float)  # prevalence 0.3
    s = np.full(10, 0.4)
    v = run_json(vernier, y, s, "roc_auc,average_precision,precision_at_recall:r=0.5,"
                 "recall_at_precision:p=0.5,specificity_at_sensitivity:s=1,"
                 "sensitivity_at_specificity:s=0.5,ece:bins=4")
    chk.value("roc_auc", v["roc_auc"], 0.5, 0.0)              # every pair tied: half each
    chk.value("average_precision", v["average_precision"], 0.3, 0.0)
    chk.value("precision_at_recall", v["precision_at_recall:r=0.5"], 0.3, 0.0)
    assert v["precision_at_recall:r=0.5"]["threshold"] == 0.4
    chk.undefined("recall_at_precision", v["recall_at_precision:p=0.5"], "unreachable")
    chk.value("specificity_at_sensitivity", v["specificity_at_sensitivity:s=1"], 0.0, 0.0)
    chk.undefined("sensitivity_at_specificity", v["sensitivity_at_specificity:s=0.5"],
                  "unreachable")
    chk.value("ece", v["ece:bins=4"], 0.1, 1e-16)              # one bin: |0.3 - 0.4|
    assert skm.roc_auc_score(y, s) == 0.5
    chk.assert_ok()


def test_unreachable_operating_point(vernier):
    # the highest score is a negative: no threshold has precision 1
    y = [0, 1, 1, 0, 1, 0]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1]
    v = run_json(vernier, y, s, "recall_at_precision:p=1,recall_at_precision:p=0.6,"
                 "sensitivity_at_specificity:s=1")
    e = v["recall_at_precision:p=1"]
    assert e["value"] is None and e["reason"] == "unreachable" and e["threshold"] is None
    assert "precision >= 1" in e["message"] and "0.666667" in e["message"]
    # p = 0.6: thresholds 0.7 (2/3, recall 2/3) and 0.5 (3/5, recall 1): the best is 1 @0.5
    assert v["recall_at_precision:p=0.6"]["value"] == 1.0
    assert v["recall_at_precision:p=0.6"]["threshold"] == 0.5
    # specificity 1 needs no negative above the threshold: none (0.9 is a negative)
    assert v["sensitivity_at_specificity:s=1"]["reason"] == "unreachable"


def test_labels_must_be_binary(vernier, tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("y,score\n0,0.1\n1,0.9\n2,0.5\n")
    r = vernier.run(["eval", p, "--task", "binary", "-y", "y", "-p", "score"])
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.splitlines()[0] == (
        f'vernier: error: {p}:4:1: y column "y": "2" is not a binary label (0 or 1)')
    # text labels are not numbers: the reader stops at the cell, before any metric
    p.write_text("score,y\n0.1,false\n")
    r = vernier.run(["eval", p, "--task", "binary", "-y", "y", "-p", "score"])
    assert r.returncode == 3 and f"{p}:2:5:" in r.stderr
    # without --task binary the rows are read, and the binary metrics say why they are n/a
    v = vernier.eval(np.array([0.0, 1.0, 2.0]), np.array([0.1, 0.9, 0.5]),
                     metrics="roc_auc,brier,mae").values(0)
    assert v["roc_auc"]["reason"] == "domain" and "other than 0 or 1" in v["roc_auc"]["message"]
    assert v["brier"]["reason"] == "domain"
    assert v["mae"]["value"] == pytest.approx((0.1 + 0.1 + 1.5) / 3, rel=1e-15)


def test_scores_outside_unit_interval(vernier):
    y = [0, 1, 0, 1]
    s = [-1.5, 2.0, 0.3, 0.7]
    v = run_json(vernier, y, s, "roc_auc,log_loss,brier,ece")
    assert v["roc_auc"]["value"] == skm.roc_auc_score(y, s)
    for k in ("log_loss", "brier", "ece"):
        assert v[k]["reason"] == "domain" and "outside [0, 1]" in v[k]["message"]


def test_default_battery_and_listing(vernier, tmp_path):
    p = write_csv(tmp_path / "d.csv", {"y": [0, 1, 0, 1, 1], "s": [0.1, 0.8, 0.3, 0.35, 0.9]})
    r = vernier.run(["eval", p, "--task", "binary", "-y", "y", "-p", "s", "-f", "json"])
    assert r.returncode == 0, r.stderr
    import json
    keys = [m["key"] for m in json.loads(r.stdout)["metrics"]]
    assert keys == ["count", "roc_auc", "average_precision", "log_loss", "brier", "ece",
                    "precision_at_recall:r=0.9", "recall_at_precision:p=0.9",
                    "specificity_at_sensitivity:s=0.95", "sensitivity_at_specificity:s=0.95"]
    listing = vernier.run(["metrics"]).stdout
    for mid in ("roc_auc", "average_precision", "log_loss", "brier", "ece",
                "precision_at_recall", "recall_at_precision", "specificity_at_sensitivity",
                "sensitivity_at_specificity"):
        assert mid in listing
    r = vernier.run(["eval", p, "--task", "multiclass", "-y", "y", "-p", "s"])
    assert r.returncode == 2 and "--task takes regression or binary" in r.stderr


def test_threshold_in_every_format(vernier, tmp_path):
    p = write_csv(tmp_path / "f.csv", {"y": [0, 1, 0, 1, 1, 0], "s": [0.1, 0.8, 0.3, 0.35, 0.9, 0.6]})
    base = ["eval", p, "--task", "binary", "-y", "y", "-p", "s", "-m",
            "roc_auc,precision_at_recall:r=1"]
    # thresholds 0.9, 0.8, 0.6, 0.35: recall reaches 1 first at 0.35, precision 3/4
    table = vernier.run(base).stdout
    assert "0.75 @0.35" in table
    md = vernier.run(base + ["-f", "md"]).stdout
    assert "0.75 @0.35" in md
    csv = vernier.run(base + ["-f", "csv"]).stdout.splitlines()
    assert csv[0].endswith("precision_at_recall:r=1,precision_at_recall:r=1_threshold")
    assert csv[1].endswith(",0.75,0.34999999999999998")
    js = vernier.run(base + ["-f", "json"]).stdout
    assert '"threshold": 0.35' in js


def test_intervals_and_threads(vernier, tmp_path):
    """--ci bootstraps the binary metrics like the other stored-row metrics; the result
    (values and intervals) does not depend on the thread count."""
    rng = np.random.default_rng(5)
    n = 3000
    y = (rng.random(n) < 0.3).astype(int)
    s = np.round(1 / (1 + np.exp(-rng.normal(1.2 * y, 1))), 2)
    p = write_csv(tmp_path / "ci.csv", {"y": y.tolist(), "s": s})
    args = ["eval", p, "--task", "binary", "-y", "y", "-p", "s", "-m",
            "roc_auc,average_precision,log_loss,brier,ece,precision_at_recall:r=0.8",
            "--ci", "--resamples", "300", "--seed", "3", "-f", "json"]
    one = vernier.run(args + ["--threads", "1"])
    two = vernier.run(args + ["--threads", "2"])
    assert one.returncode == 0, one.stderr
    assert one.stdout == two.stdout
    import json
    vals = json.loads(one.stdout)["slices"][0]["values"]
    for k, e in vals.items():
        assert e["ci"] is not None, (k, e)
        assert e["ci"]["low"] <= e["value"] <= e["ci"]["high"], (k, e)
    assert vals["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s), rel=REL)


# ---- exactness at scale --------------------------------------------------------------------
def closed_form_counts(levels, scale):
    """Positives and negatives per integer score level k = 0..levels-1:
    a_k = scale*(k+1) + (k^2 mod 7), b_k = scale*(levels-k) + (k mod 5) (more positives at
    high scores; the irregular terms keep the fraction from reducing to a round number).
    The same design as bench/auc_exact.py."""
    a = [scale * (k + 1) + (k * k) % 7 for k in range(levels)]
    b = [scale * (levels - k) + k % 5 for k in range(levels)]
    return a, b


def closed_form_auc(a, b):
    """P(score+ > score-) + P(tie)/2 over all pairs, as an exact fraction."""
    P, N = sum(a), sum(b)
    above = 0  # positives with a higher score than the current level
    num2 = 0   # twice the numerator: 2*(pairs ranked right) + tied pairs
    for k in reversed(range(len(a))):
        num2 += b[k] * (2 * above + a[k])
        above += a[k]
    return Fraction(num2, 2 * P * N)


def test_auc_exact_at_a_million_rows(vernier, tmp_path):
    levels, scale = 100, 99   # 100*101*99 = 999,900 rows, plus 397 irregular ones
    a, b = closed_form_counts(levels, scale)
    y = np.concatenate([np.ones(sum(a), np.int8), np.zeros(sum(b), np.int8)])
    s = np.concatenate([np.repeat(np.arange(levels), a), np.repeat(np.arange(levels), b)])
    order = np.random.default_rng(11).permutation(len(y))
    y, s = y[order], s[order]
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write("y,s\n")
        f.write("\n".join(f"{yy},{ss}" for yy, ss in zip(y.tolist(), s.tolist())))
        f.write("\n")
    res = vernier.eval_file(path, metrics="count,roc_auc", y="y", yhat="s",
                            flags=["--task", "binary"])
    v = res.values(0)
    assert v["count"]["value"] == len(y)
    exact = closed_form_auc(a, b)
    assert v["roc_auc"]["value"] == float(exact), (v["roc_auc"]["value"], exact)
    # the same, independently: scikit-learn's float trapezoids agree to a few ulps
    assert v["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s), rel=1e-13)
