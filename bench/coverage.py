#!/usr/bin/python3
"""Coverage of `vernier eval --ci` at a larger size than the test suite (issue 4).

    /usr/bin/python3 bench/coverage.py                    # 2000 datasets per cell
    /usr/bin/python3 bench/coverage.py --datasets 500 --workers 2 --vernier build/vernier
    /usr/bin/python3 bench/coverage.py --reference        # also the numpy reference

The same simulation as tests/oracle/test_ci.py::test_coverage_simulation (it imports
its generator, truths and runner): n = 200 rows per dataset, y ~ N(10, 3^2), errors
e = yhat - y independent of y, normal (0.2 + N(0, 1)), Student t3 (0.2 + t_3) and
lognormal (exp(N(0, 0.5^2)) - 1); R = 400 resamples with --seed = dataset index;
95 % intervals by --ci-method bca and percentile for mae, rmse, mean_error, r2 and
p95_abs_error. True values: exact or numerical integration / root finding (scipy quad,
brentq) on the exact distributions; this script also prints a 10^7-sample Monte Carlo
check of them (numpy default_rng(5)).

Prints a table of coverage rates per distribution x metric x method, the binomial
standard error, the mean interval widths, and whether each rate is within the issue's
93-97 % target. --reference adds the coverage of this repository's independent numpy
implementation of the same intervals on the same datasets and seeds (it must be the
same to the dataset, since the intervals agree to 1e-12; slow: ~2 min per distribution).
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "oracle"))

import test_ci as T  # noqa: E402


def monte_carlo(dist, n=10**7, seed=5):
    e = dist.rvs(size=n, random_state=np.random.default_rng(seed))
    m2 = float(np.mean(e * e))
    return {"mean_error": float(np.mean(e)), "mae": float(np.mean(np.abs(e))),
            "rmse": math.sqrt(m2), "r2": 1 - m2 / T.VAR_Y,
            "p95_abs_error": float(np.quantile(np.abs(e), 0.95))}


def reference_coverage(N, truth):
    """The numpy implementation of test_ci.py on the same datasets and seeds."""
    hits = {(d, k, m): 0 for d in truth for k in T.COV_KEYS for m in T.COV_METHODS}
    ar = np.arange(T.COV_N)
    for d in truth:
        for i in range(N):
            y, p = T.coverage_dataset(d, i)
            idx = T.resample_indices(i, 0, T.COV_N, T.COV_R)
            for k in T.COV_KEYS:
                ts = T.metric_values(k, y, p, None, idx)
                th = float(T.metric_values(k, y, p, None, ar)[0])
                jk = T.jackknife_values(k, y, p, None)
                for m, ci in (("percentile", T.percentile_interval(ts, 0.95)),
                              ("bca", T.bca_interval(ts, th, jk, 0.95))):
                    hits[(d, k, m)] += ci[0] <= truth[d][k] <= ci[1]
    return hits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", type=int, default=2000, help="datasets per distribution")
    ap.add_argument("--workers", type=int, default=2, help="vernier processes at a time")
    ap.add_argument("--vernier", default=str(REPO / "build" / "vernier"))
    ap.add_argument("--reference", action="store_true",
                    help="also run the numpy reference implementation (slow)")
    a = ap.parse_args()
    N = a.datasets

    print("true values (quad/brentq; in brackets a 10^7-sample Monte Carlo check):")
    for d, dist in T.COV_DISTS.items():
        tv, mc = T.true_values(dist), monte_carlo(dist)
        print(f"  {d:<10} " + "  ".join(f"{k} {tv[k]:.5f} [{mc[k]:.5f}]" for k in T.COV_KEYS))

    t0 = time.time()
    hits, widths, truth, fallbacks = T.run_coverage(
        a.vernier, N, workers=a.workers,
        progress=lambda k, n: print(f"  {k}/{n} datasets", file=sys.stderr, flush=True))
    secs = time.time() - t0
    print()
    for line in T.coverage_table(hits, N, truth):
        print(line)
    print()
    se = math.sqrt(0.95 * 0.05 / N)
    print(f"issue target 93-97 % (at {N} datasets one s.e. is {se:.4f}); "
          f"every cell with its mean interval width, marked when outside the target:")
    for d in truth:
        for k in T.COV_KEYS:
            for m in T.COV_METHODS:
                r = hits[(d, k, m)] / N
                mark = "" if 0.93 <= r <= 0.97 else "   <-- outside 93-97 %"
                print(f"  {d:<10} {k:<14} {m:<10} {r:.3f}  width {widths[(d, k, m)]:.4f}{mark}")
    print(f"BCa -> percentile fallbacks: {fallbacks['bca']}; {2 * N * len(truth)} vernier "
          f"runs in {secs:.0f} s ({a.workers} at a time)")
    if a.reference:
        ref = reference_coverage(N, truth)
        same = all(ref[c] == hits[c] for c in hits)
        print(f"\nnumpy reference on the same datasets and seeds: "
              f"{'identical hit counts' if same else 'DIFFERENT hit counts'}")
        for c in sorted(hits):
            if ref[c] != hits[c]:
                print(f"  {c}: vernier {hits[c]}, reference {ref[c]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
