#!/usr/bin/env python3
"""Seeds fuzz/corpus/{csv,numparse} from the shared CSV cases, the CLI test data and the
examples (run once; the corpora are then minimised with libFuzzer's -merge=1 and
committed — fuzz/README.md). Usage: fuzz/seed_corpora.py [CSV_CASES_DIR] [OUT_DIR]"""
import hashlib, os, sys, csv, io

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cases = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "csv-cases")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "fuzz", "corpus")

def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

files = []
for base in (cases, os.path.join(root, "tests", "cli", "data"), os.path.join(root, "examples")):
    for dp, _, fs in os.walk(base):
        for f in sorted(fs):
            if f.endswith((".csv", ".tsv", ".txt", ".gz")):
                files.append(os.path.join(dp, f))

# csv: byte 0 delimiter selector, byte 1 flags (fuzz_csv.c); a few dialects per file
dialects = [b"\x00\x01", b"\x00\x03", b"\x01\x01", b"\x02\x00", b"\x00\x21", b"\x00\x61", b"\x00\x89"]
cells = set()
for i, p in enumerate(files):
    data = open(p, "rb").read()
    if len(data) > 16384:
        data = data[:16384]
    tsv = p.endswith((".tsv", ".tsv.gz"))
    semi = "semicolon" in p
    first = b"\x01\x01" if tsv else b"\x02\x00" if semi else b"\x00\x01"
    put("csv", first + data)
    put("csv", dialects[i % len(dialects)] + data)
    if not p.endswith(".gz"):
        for line in data.splitlines()[:40]:
            for cell in line.replace(b"\t", b",").replace(b";", b",").split(b","):
                if len(cell) < 64:
                    cells.add(cell.strip(b'"'))

for c in sorted(cells)[:200]:
    put("numparse", c)
for c in [b"", b" ", b"0", b"-0", b"+0.0e-0", b".5", b"5.", b"1e", b"1e+", b"nan", b"-INF",
          b"Infinity", b"nan(1)", b"0x10", b"1,5", b"1_000", b"4.9406564584124654e-324",
          b"2.4703282292062327e-324", b"2.4703282292062328e-324", b"1.7976931348623157e308",
          b"1.7976931348623158e308", b"1.7976931348623159e308", b"1e309", b"-1e-400",
          b"2.2250738585072011e-308", b"9007199254740993", b"1e23", b"8.988465674311580536566680e307",
          b" \t12.5\t ", b"0." + b"0" * 400 + b"1e400", b"1" * 900 + b"e-900",
          b"1e99999999999999999999", b"1e-99999999999999999999", b"0e99999999999",
          b"123456789012345678901234567890e-30", b"\x001", b"1\x00"]:
    put("numparse", c)
