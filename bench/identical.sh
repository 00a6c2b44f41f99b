#!/bin/sh
# identical.sh — the numeric adversary "10^8 identical values" of issue 12
# (docs/robustness.md): N copies of the row "0.1,0.3" streamed through a pipe into
# `vernier eval -`, so nothing is held in memory but the accumulators; then each mean
# must be the correctly rounded sum divided by n (what math.fsum gives), i.e. no drift
# over 10^8 adds. (At 10^8 that is 0.2, one ulp from the row's error 0.19999999999999998:
# the exact sum 19999999.9999999983 rounds to 2e7. A plain running sum drifts by
# thousands of ulps.)
# The test suite runs the same check at 10^6 rows (tests/robust, test_many_identical_*).
#
#   bench/identical.sh [N] [VERNIER]      # N defaults to 100000000
set -eu
N=${1:-100000000}
V=${2:-build/vernier}
PY=${PYTHON:-/usr/bin/python3}
start=$(date +%s)
{ echo y,yhat; yes 0.1,0.3 | head -n "$N"; } |
    "$V" eval - -y y -p yhat -m count,mean_error,mae,rmse,max_error --format json >/tmp/vn-identical.json
end=$(date +%s)
"$PY" - "$N" <<'PY'
import json, math, sys
from fractions import Fraction
n = int(sys.argv[1])
d = json.load(open("/tmp/vn-identical.json"))["slices"][0]["values"]
e = 0.3 - 0.1
got = {k: v["value"] for k, v in d.items()}
assert got["count"] == n, got
mean = float(Fraction(e) * n) / n  # = math.fsum([e] * n) / n, without the list
for k in ("mean_error", "mae"):
    assert got[k] == mean, (k, got[k], mean)
assert got["max_error"] == e, got["max_error"]
assert abs(got["rmse"] - e) <= 2 * math.ulp(e), got["rmse"]
print("identical rows: n = %d, mean_error = mae = %r = fsum/n (%d ulp from e = %r), "
      "max_error = e, rmse within 2 ulp of e" % (n, mean, round(abs(mean - e) / math.ulp(e)), e))
PY
echo "wall time: $((end - start)) s"
