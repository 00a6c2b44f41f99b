#!/bin/sh
# run-campaign.sh — runs libFuzzer targets one after another, each until it has used
# CPU_MIN minutes of CPU (not wall) time, at the lowest priority (nice 19, so it only
# takes idle CPU), and pauses while the file $PAUSE exists (checked every 5 s): the
# running fuzzer is ended (SIGINT, its CPU counted) and the next run starts once the file
# is gone. (Stopping it with SIGSTOP instead would count the pause as the current
# input's wall time: a false timeout on resume.) CPU time is read from /proc/PID/stat (utime + stime) of the fuzzer and
# added up per target across restarts in $LOGDIR/T.cpu (seconds); each run is also
# wrapped in /usr/bin/time -v, whose report lands at the end of $LOGDIR/T.log.
#
#   fuzz/run-campaign.sh csv numparse            # 30 CPU-minutes each
#   CPU_MIN=5 fuzz/run-campaign.sh spec
#
# libFuzzer's -timeout is wall time: at nice 19 on a busy machine a fuzzer can wait for
# the CPU for seconds, so the campaign gives an input 60 s (`make fuzz` keeps 10 s).
# A crash stops that target (the artifact lands in fuzz/build/artifacts-T/, the log
# says which); fix it, add the input to fuzz/corpus/T, move the artifact out of
# artifacts-T/, and run the script again: the CPU already spent is kept. Binaries come from `make fuzz-build`.
set -u
cd "$(dirname "$0")/.." || exit 2
CPU_MIN=${CPU_MIN:-30}
PAUSE=${PAUSE:-/tmp/fuzz.PAUSE}
LOGDIR=${LOGDIR:-/tmp/fuzzlogs}
B=fuzz/build
TCK=$(getconf CLK_TCK)
mkdir -p "$LOGDIR"
export TMPDIR=${TMPDIR:-/dev/shm}

cpu_of() { # utime+stime of pid $1 in whole seconds (0 if gone)
    awk -v t="$TCK" '{ sub(/^.*\) /, ""); print int(($12 + $13) / t) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

for t in "$@"; do
    bin=$B/fuzz_$t
    [ -x "$bin" ] || { echo "run-campaign: $bin missing (make fuzz-build)"; exit 2; }
    mkdir -p "$B/corpus-$t" "$B/artifacts-$t"
    done_s=$(cat "$LOGDIR/$t.cpu" 2>/dev/null || echo 0)
    goal=$((CPU_MIN * 60))
    while [ "$done_s" -lt "$goal" ]; do
        [ -e "$PAUSE" ] && { sleep 5; continue; }
        echo "$(date -u +%FT%TZ) start $t (cpu so far ${done_s}s of ${goal}s): nice -n 19 $bin -timeout=60 -rss_limit_mb=2048 -artifact_prefix=$B/artifacts-$t/ $B/corpus-$t fuzz/corpus/$t" >>"$LOGDIR/commands.log"
        /usr/bin/time -v nice -n 19 "$bin" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$B/artifacts-$t/" "$B/corpus-$t" "fuzz/corpus/$t" >>"$LOGDIR/$t.log" 2>&1 &
        tpid=$!
        sleep 1
        fpid=$(pgrep -P "$tpid" | head -n 1)
        [ -n "$fpid" ] || { wait "$tpid"; echo "run-campaign: $t did not start"; break; }
        last=0
        while kill -0 "$fpid" 2>/dev/null; do
            c=$(cpu_of "$fpid")
            [ "$c" -gt 0 ] && last=$c
            if [ -e "$PAUSE" ]; then
                echo "$(date -u +%FT%TZ) pause $t: run ended" >>"$LOGDIR/commands.log"
                kill -INT "$fpid"; break
            fi
            if [ $((done_s + last)) -ge "$goal" ]; then
                kill -INT "$fpid"; break
            fi
            sleep 5
        done
        wait "$tpid"
        rc=$?
        done_s=$((done_s + last))
        echo "$done_s" >"$LOGDIR/$t.cpu"
        echo "$(date -u +%FT%TZ) end $t rc=$rc cpu ${done_s}s" >>"$LOGDIR/commands.log"
        if find "$B/artifacts-$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
                -o -name 'oom-*' \) | grep -q .; then
            echo "$(date -u +%FT%TZ) $t: FOUND $(ls "$B/artifacts-$t")" >>"$LOGDIR/commands.log"
            break
        fi
    done
done
