#!/bin/sh
# Runs every C unit-test binary given on the command line; each prints one
# "name: N passed, M failed" line. Prints the total and fails if any test failed.
pass=0; fail=0
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^ok ' 
    p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n 1)
    if [ -z "$p" ] || [ "$rc" -ne 0 ]; then
        echo "FAIL: $t exited $rc"; fail=$((fail + 1)); pass=$((pass + ${p:-0}))
    else
        pass=$((pass + p)); fail=$((fail + f))
    fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
