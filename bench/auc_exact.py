"""Exactness at scale for the binary classification metrics (issue 9): 10^8 rows whose
ROC AUC is known in closed form, streamed to `vernier eval - --task binary`.

The scores are integers 0 .. L-1; level k holds a_k = s*(k + 1) + (k^2 mod 7) positives
and b_k = s*(L - k) + (k mod 5) negatives, so the AUC is the exact fraction
    sum_k b_k * (2 * #positives above k + a_k) / (2 * P * N)
(computed here with Python integers). The rows are generated on the fly, level by level
(positives and negatives interleaved in blocks), and piped to vernier; nothing is
written to disk. vernier's AUC must be the correctly rounded value of the fraction
(float(Fraction)), bit for bit, and its row count exact.

    /usr/bin/python3 bench/auc_exact.py [--exe build/vernier] [--levels 1000] [--scale 100]
                                        [--no-record]

The defaults give about levels*(levels + 1)*scale = 100,100,000 rows (plus a few
thousand from the irregular terms).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction

from results import write_section

HERE = os.path.dirname(os.path.abspath(__file__))


def counts(levels, scale):
    """a_k = s(k + 1) + (k^2 mod 7) positives, b_k = s(L - k) + (k mod 5) negatives: the
    small irregular terms keep the fraction from reducing to a round number."""
    return ([scale * (k + 1) + (k * k) % 7 for k in range(levels)],
            [scale * (levels - k) + k % 5 for k in range(levels)])


def exact_auc(a, b):
    P, N = sum(a), sum(b)
    above = num2 = 0
    for k in reversed(range(len(a))):
        num2 += b[k] * (2 * above + a[k])
        above += a[k]
    return Fraction(num2, 2 * P * N)


def stream(out, a, b, chunk=1 << 16):
    """Writes the rows: per level, positives and negatives in alternating blocks."""
    out.write(b"y,score\n")
    for k, (ak, bk) in enumerate(zip(a, b)):
        pos, neg = b"1,%d\n" % k, b"0,%d\n" % k
        while ak or bk:
            m, n = min(ak, chunk), min(bk, chunk)
            out.write(pos * m + neg * n)
            ak -= m
            bk -= n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exe", default=os.path.join(HERE, "..", "build", "vernier"))
    ap.add_argument("--levels", type=int, default=1000)
    ap.add_argument("--scale", type=int, default=100,
                    help="rows per level unit: about levels*(levels+1)*scale rows in all")
    ap.add_argument("--no-record", action="store_true", help="do not write bench/RESULTS.md")
    args = ap.parse_args()
    a, b = counts(args.levels, args.scale)
    n = sum(a) + sum(b)
    exact = exact_auc(a, b)
    cmd = [args.exe, "eval", "-", "--task", "binary", "-y", "y", "-p", "score",
           "-m", "count,roc_auc,average_precision,precision_at_recall:r=0.5", "-f", "json"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    stream(p.stdin, a, b)
    p.stdin.close()
    out = p.stdout.read()
    rc = p.wait()
    wall = time.monotonic() - t0
    if rc != 0:
        sys.exit(f"vernier exited {rc}")
    vals = json.loads(out)["slices"][0]["values"]
    got, cnt = vals["roc_auc"]["value"], vals["count"]["value"]
    ok = got == float(exact) and cnt == n
    line = (f"rows {n:,}; exact AUC {exact.numerator}/{exact.denominator} = {float(exact)!r}; "
            f"vernier {got!r}; count {int(cnt):,}; bit-identical: {'yes' if ok else 'NO'}; "
            f"wall {wall:.1f} s (generation and parsing included)")
    print(line)
    if not args.no_record:
        cmdline = ("/usr/bin/python3 bench/auc_exact.py --levels %d --scale %d"
                   % (args.levels, args.scale))
        write_section("## Binary AUC exact at scale (issue 9)", (
            "## Binary AUC exact at scale (issue 9)\n\n"
            f"Produced by `{cmdline}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
            f"({os.cpu_count()} CPUs, shared machine). Integer scores 0..{args.levels - 1}, "
            f"level k with {args.scale}(k+1) + (k^2 mod 7) positives and "
            f"{args.scale}({args.levels}-k) + (k mod 5) negatives, generated on the fly and piped to `vernier eval - --task binary -m "
            "count,roc_auc,average_precision,precision_at_recall:r=0.5`; the AUC's closed form "
            "is an exact fraction (Python integers).\n\n"
            f"- {line}.\n"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
