"""
Oracle: NIST StRD univariate summary statistics, certified values
(https://www.itl.nist.gov/div898/strd/univ/, datasets NumAcc1-NumAcc4), through the CLI.

NumAcc1 = 10000001, 10000003, 10000002 (mean 10000002, sd 1); NumAcc2/3/4 = 1.2 /
1000000.2 / 10000000.2 followed by 500 pairs (x.1, x.3) (mean x.2, sd 0.1) — NIST's
cancellation torture tests: a large offset carrying a tiny spread, where a one-pass
Σy² − n·ȳ² variance has no correct digit. Every vernier metric that contains a centred
second moment of y sees them when the prediction is a constant:

  * mean_error with ŷ = 0 is −mean;
  * rmse with ŷ = the certified mean is the population sd, sd·√((n−1)/n);
  * nrmse:norm=std with ŷ = the certified mean is rmse / population sd = 1;
  * r2 with ŷ = the certified mean is 0 (and explained_variance with ŷ = 0 is 0).

The certified values belong to the decimal data; the CSV holds their nearest binary64
values, which are off by up to half an ulp of the offset (~9e-10 for NumAcc4, i.e.
~1e-8 of the 0.1 spread). The tolerance against the certified value is therefore that
representation error (computed per dataset), and each value is also compared with the
exact rational oracle on the binary64 data at 1e-12.
"""
import math
from decimal import Decimal

import numpy as np
import pytest

import oracle_exact as ox
from conftest import Checker

REL = 1e-12


def _numacc(k):
    if k == 1:
        return ["10000001", "10000003", "10000002"], "10000002", "1"
    base = {2: "1.", 3: "1000000.", 4: "10000000."}[k]
    vals = [base + "2"] + [base + d for _ in range(500) for d in ("1", "3")]
    return vals, base + "2", "0.1"


def _extended(pairs):
    vals = ["10000000.2"] + ["10000000." + d for _ in range(pairs) for d in ("1", "3")]
    return vals, "10000000.2", None


CASES = [("NumAcc1", *_numacc(1)), ("NumAcc2", *_numacc(2)), ("NumAcc3", *_numacc(3)),
         ("NumAcc4", *_numacc(4)),
         # NumAcc4's pattern over 100 001 rows (25 accumulation blocks of 4096 rows and
         # their merges); sd derived from the pattern: 2k deviations of 0.1 over 2k+1 rows
         ("NumAcc4x100", *_extended(50_000))]


@pytest.mark.parametrize("name,vals,mean,sd", CASES, ids=[c[0] for c in CASES])
def test_numacc(vernier, name, vals, mean, sd):
    chk = Checker(vernier)
    y = np.array([float(v) for v in vals])
    n = len(y)
    c = float(mean)
    dmean = Decimal(mean)
    if sd is None:  # derived: population variance = 2k * 0.01 / (2k + 1)
        pop_sd = math.sqrt(float(Decimal(n - 1) * Decimal("0.01") / Decimal(n)))
        samp_sd = math.sqrt(float(Decimal(n - 1) * Decimal("0.01") / Decimal(n - 1)))
    else:
        samp_sd = float(sd)
        pop_sd = float((Decimal(sd) ** 2 * Decimal(n - 1) / Decimal(n)).sqrt())
    # representation error of the data, relative to the spread
    rep = max(abs(Decimal(float(v)) - Decimal(v)) for v in set(vals))
    rel_rep = 4 * float(rep) / samp_sd + 1e-15

    chk.set_context(f"{name} n={n}")
    # mean_error with yhat = 0 is -mean
    res = vernier.eval(y, np.zeros(n), metrics="mean_error,explained_variance")
    v = res.values()
    chk.value("mean_error", v["mean_error"], -float(dmean), 1e-15 * float(dmean))
    chk.value("mean_error", v["mean_error"], float(ox.mean_error(y, np.zeros(n), None).value),
              REL * float(dmean))
    # EV with yhat = 0: Var(y - 0) / Var(y) = 1, EV = 0 (true value 0: absolute 1e-12)
    chk.value("explained_variance", v["explained_variance"], 0.0, 1e-12)

    # yhat = the certified mean
    p = np.full(n, c)
    res = vernier.eval(y, p, metrics="rmse,nrmse:norm=std,r2,mse")
    v = res.values()
    chk.value("rmse", v["rmse"], pop_sd, rel_rep * pop_sd)
    mse = ox.rmse_frac(y, p, None)
    chk.value("rmse", v["rmse"], float(ox.dsqrt(mse)), REL * pop_sd)
    chk.value("nrmse:norm=std", v["nrmse:norm=std"], 1.0, rel_rep)
    chk.value("nrmse:norm=std", v["nrmse:norm=std"], float(ox.nrmse(y, p, None, "std").value), REL)
    # R² = 1 − SS(y − c)/SS(y − ȳ) = 0 for the decimal data; the binary64 data make it
    # −n(c − ȳ)²/SS ~ 1e-16. Absolute tolerance: the true value is 0.
    r2, _, _ = ox.r2_frac(y, p, None)
    chk.value("r2", v["r2"], float(r2), 1e-12)
    chk.value("r2", v["r2"], 0.0, 1e-12)
    chk.assert_ok()
