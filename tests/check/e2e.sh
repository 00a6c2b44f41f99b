#!/bin/sh
# End to end, the way a CI job runs it: `vernier check` with the example spec on a
# passing model and on a failing one, in a scratch repository; asserts the exit codes,
# the files the spec's ci section asks for, and the GitHub step summary.
#
#   tests/check/e2e.sh VERNIER_BIN
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vernier-e2e.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT HUP INT TERM
fails=0
fail() { echo "FAIL e2e: $*"; fails=$((fails + 1)); }

mkdir -p "$work/repo/examples"
cp "$root/examples/vernier.yaml" "$root/examples/demand.csv" "$work/repo/examples/"
cd "$work/repo" || exit 2

# 1. the shipped model passes (one warning: store s3's bias)
"$bin" check --spec examples/vernier.yaml > out.txt 2> err.txt
rc=$?
[ $rc -eq 0 ] || fail "passing model: exit $rc, expected 0: $(cat err.txt)"
grep -q "^PASSED: 12 gates x slices: 10 passed, 0 failed, 1 warned, 1 skipped" out.txt ||
    fail "passing model: summary line: $(tail -1 out.txt)"
[ -s reports/vernier-junit.xml ] || fail "no reports/vernier-junit.xml"
[ -s reports/vernier-summary.md ] || fail "no reports/vernier-summary.md"
grep -q 'failures="0"' reports/vernier-junit.xml || fail "junit: expected failures=\"0\""

# 2. a model 60 % too high fails, under GitHub Actions
awk -F, 'NR == 1 { print; next } { $4 = $4 * 1.6; print }' OFS=, examples/demand.csv > worse.csv
rm -rf reports
: > summary.md
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$work/repo/summary.md" \
    "$bin" check --spec examples/vernier.yaml --data worse.csv > out.txt 2> err.txt
rc=$?
[ $rc -eq 1 ] || fail "failing model: exit $rc, expected 1: $(cat err.txt)"
grep -q "^::error file=examples/vernier.yaml,line=" out.txt || fail "no ::error annotation"
[ "$(grep -c '^::' out.txt)" -le 10 ] || fail "more than 10 annotations"
grep -q "^### vernier check: FAILED" summary.md || fail "step summary not appended"
grep -q '<failure message="wmape = ' reports/vernier-junit.xml || fail "junit: no wmape failure"

# 3. a broken spec is a data/spec error (exit 3) naming file:line:column
printf 'version: 1\ndata:\n  path: x.csv\n  y: y\n  prediction: p\nmetrics:\n  - id: m\n    type: mae\n    colour: red\n' > broken.yaml
"$bin" check --spec broken.yaml > out.txt 2> err.txt
rc=$?
[ $rc -eq 3 ] || fail "broken spec: exit $rc, expected 3"
grep -q "broken.yaml:9:5:" err.txt || fail "broken spec: message $(cat err.txt)"

if [ $fails -eq 0 ]; then
    echo "e2e: 3 scenarios passed"
    exit 0
fi
exit 1
