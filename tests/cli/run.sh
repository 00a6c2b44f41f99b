#!/bin/sh
# Golden tests of the vernier command line.
#
#   tests/cli/run.sh VERNIER_BIN [CASE_NAME...]      run all cases (or the named ones)
#   UPDATE=1 tests/cli/run.sh VERNIER_BIN            rewrite the expected files
#
# Each case is a directory tests/cli/cases/NAME/ holding
#   cmd              one shell command line, run by sh from the repository root with
#                      $VERNIER  the binary under test (absolute path)
#                      $DATA     the shared test data, "../shared/data"
#                      $CASE     the case directory, "tests/cli/cases/NAME"
#                      $WORK     an empty scratch directory for this case (under $TMPDIR)
#                    standard input is /dev/null unless the command pipes into vernier;
#   expected_status  the exit code (required);
#   expected_stdout, expected_stderr   optional, compared exactly;
#   check            optional sh script for what an exact match cannot say ("the output
#                    file must not exist"); run with the same variables plus $STDOUT,
#                    $STDERR (files holding the command's output) and $STATUS; exit 0 = pass.
#
# The scratch directory's path is replaced by the literal text $WORK in the captured
# output before comparing, so messages that name files in it are stable.
#
# UPDATE=1 writes the actual stdout/stderr into expected_stdout/expected_stderr: always
# when the case has no check script, else only into the files that already exist. It
# never touches expected_status (a person decides the exit code), nor a case that has a
# file named "frozen" (expectations written by hand, e.g. for a known bug: the file says
# why). Review with git diff.
#
# Prints "FAIL NAME" and a diff for each failure, then "cli: N passed, M failed".
# Exits 0 only if every case passed.

if [ $# -lt 1 ]; then
    echo "usage: tests/cli/run.sh VERNIER_BIN [CASE_NAME...]" >&2
    exit 2
fi
bin=$1
shift

# The repository root is two levels above this script.
here=$(cd "$(dirname "$0")" && pwd) || exit 2
root=$(cd "$here/../.." && pwd) || exit 2
case $bin in
    /*) ;;
    *) bin=$(pwd)/$bin ;;
esac
if [ ! -x "$bin" ]; then
    echo "tests/cli/run.sh: not an executable: $bin" >&2
    exit 2
fi
cd "$root" || exit 2

VERNIER=$bin
DATA=../shared/data
LC_ALL=C
NO_COLOR=1
export VERNIER DATA LC_ALL NO_COLOR

tmproot=$(mktemp -d "${TMPDIR:-/tmp}/vernier-cli.XXXXXX") || exit 2
trap 'rm -rf "$tmproot"' EXIT HUP INT TERM

# A case that hangs must not hang the suite.
if command -v timeout >/dev/null 2>&1; then
    limit="timeout 120"
else
    limit=""
fi

if [ $# -gt 0 ]; then
    cases=""
    for n in "$@"; do cases="$cases tests/cli/cases/$n"; done
else
    cases=$(ls -d tests/cli/cases/*/ 2>/dev/null | sed 's|/$||')
fi

pass=0
fail=0
failed=""

# normalize FILE: replace the scratch directory's path by the text $WORK.
normalize() {
    pat=$(printf '%s' "$WORK" | sed 's/[].[\*^$|]/\\&/g')
    sed "s|$pat|\$WORK|g" "$1" > "$1.n" && mv "$1.n" "$1"
}

for dir in $cases; do
    name=${dir##*/}
    CASE=$dir
    WORK=$tmproot/$name
    out=$tmproot/$name.out
    err=$tmproot/$name.err
    export CASE WORK
    mkdir -p "$WORK"
    msg=""

    if [ ! -f "$dir/cmd" ] || [ ! -f "$dir/expected_status" ]; then
        msg="case has no cmd or expected_status file"
    else
        cmd=$(cat "$dir/cmd")
        $limit sh -c "$cmd" > "$out" 2> "$err" < /dev/null
        status=$?
        normalize "$out"
        normalize "$err"
        want=$(tr -d ' \n\r\t' < "$dir/expected_status")

        if [ -n "$UPDATE" ] && [ ! -f "$dir/frozen" ]; then
            for s in stdout stderr; do
                if [ "$s" = stdout ]; then got=$out; else got=$err; fi
                if [ -f "$dir/expected_$s" ] || [ ! -f "$dir/check" ]; then
                    cp "$got" "$dir/expected_$s"
                fi
            done
        fi

        if [ "$status" != "$want" ]; then
            msg="exit status $status, expected $want"
        fi
        for s in stdout stderr; do
            if [ "$s" = stdout ]; then got=$out; else got=$err; fi
            if [ -f "$dir/expected_$s" ] && ! cmp -s "$dir/expected_$s" "$got"; then
                msg="$msg${msg:+; }$s differs:
$(diff -u "$dir/expected_$s" "$got" | sed -e '1,2d' -e '60q')"
            fi
        done
        if [ -f "$dir/check" ]; then
            STDOUT=$out STDERR=$err STATUS=$status
            export STDOUT STDERR STATUS
            if ! chk=$(sh "$dir/check" 2>&1); then
                msg="$msg${msg:+; }check failed: $chk"
            fi
        fi
    fi

    if [ -z "$msg" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "FAIL $name"
        printf '%s\n' "$msg" | sed 's/^/    /'
        if [ -f "$dir/cmd" ]; then
            echo "    cmd: $(cat "$dir/cmd")"
            if [ ! -f "$dir/expected_stderr" ] && [ -s "$err" ]; then
                echo "    stderr: $(head -c 600 "$err")"
            fi
        fi
    fi
done

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
