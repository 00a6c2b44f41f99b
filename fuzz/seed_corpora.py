#!/usr/bin/env python3
"""Seeds fuzz/corpus/{csv,numparse} from the shared CSV cases, the CLI test data and the
examples, and fuzz/corpus/csvpar from generated files and the shared CSV cases (run once
per target; the corpora are then minimised with libFuzzer's -merge=1 and committed —
fuzz/README.md). Usage: fuzz/seed_corpora.py [CSV_CASES_DIR] [OUT_DIR] [TARGET,...]
(default: csv,numparse,csvpar)."""
import hashlib, os, sys, csv, io, random

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cases = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "csv-cases")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "fuzz", "corpus")
targets = set((sys.argv[3] if len(sys.argv) > 3 else "csv,numparse,csvpar").split(","))

def put(target, data):
    if target not in targets:
        return
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

# csvpar: byte 0 and byte 1 are the options of fuzz_csvpar.c, the rest the file.
def csvpar_opts(threads=1, chunk=0, w=0, skip=0, by=0, hdr=1, delim=0, maxf=0, binary=0,
                index=0, x=0):
    """chunk: index into (default, 1, 2, 3, 7, 16, 64, 4096); delim: , ; TAB |;
    maxf: index into (1 MiB, 1, 2, 3, 7, 16, 64, 4096)."""
    b0 = (threads == 2) | chunk << 1 | w << 4 | skip << 5 | by << 6 | hdr << 7
    b1 = delim | maxf << 2 | binary << 5 | index << 6 | x << 7
    return bytes([b0, b1])

rng = random.Random(12)

def spelling(r):
    """A finite number in one of many spellings."""
    u = r.random()
    k = r.randrange(12)
    return [lambda: "%d" % r.randrange(-1000, 1000), lambda: "%.4f" % (500 * u - 100),
            lambda: "%.17g" % (u * 1e6), lambda: "%.3e" % ((u - 0.5) * 1e-5),
            lambda: "%.22f" % u, lambda: "-0.%04d" % r.randrange(10000),
            lambda: "+%.2f" % (u * 10), lambda: "%.1fE+2" % u, lambda: "0000%.6g" % u,
            lambda: "1234567890123456789012.5", lambda: ".5", lambda: "5."][k]()

def rows(r, n, delim=",", eol="\n", label=False, missing=(), segs=("a", "b", "c\u00e9")):
    """n data rows y,yhat,w,seg,x; missing: spellings put in now and then."""
    lines = []
    for _ in range(n):
        y = str(r.randrange(2)) if label else spelling(r)
        p = "%.3f" % r.random() if label else spelling(r)
        if missing and r.randrange(7) == 0:
            p = r.choice(missing)
        w = r.choice(["1", "2.5", "0", "0.125", "3e0"])
        lines.append(delim.join([y, p, w, r.choice(segs), spelling(r)]) + eol)
    return "".join(lines).encode()

def splice(body, extra, line=9):
    """extra put in after the first `line` lines of body."""
    at = 0
    for _ in range(line):
        at = body.index(b"\n", at) + 1
    return body[:at] + extra + body[at:]

def header(delim=","):
    return delim.join(["y", "yhat", "w", "seg", "x"]).encode() + b"\n"

all_on = dict(w=1, by=1, x=1)
par = []  # (options, body): body is data only when hdr=1
par.append((csvpar_opts(threads=2, chunk=4, **all_on), rows(rng, 300)))
par.append((csvpar_opts(chunk=1, **all_on), rows(rng, 40)))
par.append((csvpar_opts(threads=2, chunk=2), rows(rng, 40, eol="\r\n")))
par.append((csvpar_opts(threads=2, chunk=3, hdr=0, **all_on),
            b"\xef\xbb\xbf" + header() + rows(rng, 60, eol="\r\n")))
blank = rows(rng, 80).replace(b"\n", b"\n\n", 9).replace(b"\n", b"\r\n\r\n", 3)
par.append((csvpar_opts(threads=2, chunk=4, by=1), blank))
r1 = rows(rng, 100)
par.append((csvpar_opts(threads=2, chunk=5, by=1, w=1),
            splice(r1, b'1,2,1,"quoted, seg",3\n', 50)))
par.append((csvpar_opts(threads=2, chunk=5), splice(r1, b'1,2,1,"multi\nline",3\n', 50)))
par.append((csvpar_opts(threads=2, chunk=4), splice(r1, b"1,2,1,a,3\r4,5,1,b,6\n")))
par.append((csvpar_opts(chunk=4), splice(r1, b"1,2\x00,1,a,3\n")))
par.append((csvpar_opts(threads=2, chunk=4), splice(r1, b"1,2,1,a\n")))
par.append((csvpar_opts(threads=2, chunk=4), splice(r1, b"1,2,1,a,3,extra\n")))
par.append((csvpar_opts(threads=2, chunk=4, w=1), splice(r1, b"1,2,-0.5,a,3\n")))
par.append((csvpar_opts(threads=2, chunk=4, w=1), splice(r1, b"1,2,-0,a,3\n")))
par.append((csvpar_opts(threads=2, chunk=4, by=1), splice(r1, b"1,2,1,\xff\xfe,3\n")))
par.append((csvpar_opts(threads=2, chunk=4, by=1), splice(r1, b"1,2,1,\xed\xa0\x80,3\n")))
par.append((csvpar_opts(threads=2, chunk=3, w=1, by=1), rows(rng, 30).rstrip(b"\n")))
par.append((csvpar_opts(threads=2, chunk=4, skip=1, w=1, by=1),
            rows(rng, 200, missing=("", "nan", "NaN", "-inf", "Infinity", " "))))
par.append((csvpar_opts(threads=2, chunk=4, w=1),
            rows(rng, 200, missing=("", "nan", "inf"))))
par.append((csvpar_opts(chunk=6), b"".join(b"%s,%s,1,a,0\n" % (a.encode(), b.encode()) for a, b in [
    ("12345678901234567890", "1"), ("0.1000000000000000055511151231257827021181583404541015625", "0.1"),
    ("9007199254740993", "9007199254740992"), ("1e22", "1e23"), ("1e-22", "1e-23"),
    ("4.9e-324", "0"), ("2.2250738585072011e-308", "0"), ("-0", "+0.0e5"), ("0e99999", "00001"),
    ("1.7976931348623157e308", "1"), ("123456789012345678.9", "1"), (" 1.5", "2.5\t")])))
par.append((csvpar_opts(threads=2, chunk=4, binary=1, by=1), rows(rng, 120, label=True)))
lab = rows(rng, 60, label=True)
par.append((csvpar_opts(threads=2, chunk=4, binary=1), splice(lab, b"2,0.5,1,a,1\n")))
par.append((csvpar_opts(threads=2, chunk=4, binary=1), splice(lab, b"1.0,0.5,1,a,1\n-0,0.5,1,a,1\n")))
par.append((csvpar_opts(threads=2, chunk=4, delim=1, **all_on), rows(rng, 80, delim=";")))
par.append((csvpar_opts(threads=2, chunk=4, delim=2, **all_on), rows(rng, 80, delim="\t")))
par.append((csvpar_opts(threads=2, chunk=4, delim=3, by=1), rows(rng, 80, delim="|")))
par.append((csvpar_opts(threads=2, chunk=4, maxf=6), rows(rng, 80)))
par.append((csvpar_opts(threads=2, chunk=3, maxf=5, by=1), rows(rng, 80)))
# max_field 7 (index 4): fields of exactly 7 bytes pass, one of 8 mid-file is an error
# (a number the inline parser takes, one it leaves to numparse.c, a slice value)
short = b"".join(b"%d.%03d,-%d.%02d,1,seg%04d,0\n" % (i % 1000, i, i % 1000, i % 100, i)
                 for i in range(100, 160))
par.append((csvpar_opts(threads=2, chunk=5, maxf=4, by=1), short))
par.append((csvpar_opts(threads=2, chunk=5, maxf=4, by=1), splice(short, b"1234.567,1,1,a,0\n", 30)))
par.append((csvpar_opts(threads=2, chunk=5, maxf=4, by=1), splice(short, b"1, 12.5   ,1,a,0\n", 30)))
par.append((csvpar_opts(threads=2, chunk=5, maxf=4, by=1), splice(short, b"1,2,1,abcdefgh,0\n", 30)))
par.append((csvpar_opts(threads=2, chunk=4), splice(r1, b"1,1e999,1,a,3\n")))
par.append((csvpar_opts(threads=2, chunk=4, skip=1), splice(r1, b"1,1e999,1,a,3\n")))
par.append((csvpar_opts(threads=2, chunk=4, index=1, w=1, by=1), rows(rng, 50)))
# slices in big chunks: repeated keys within a chunk, and more than 32 distinct ones (the
# chunk's key table grows)
many = tuple("k%d" % i for i in range(90)) + ("", "\u00e9t\u00e9", "a b")
par.append((csvpar_opts(threads=2, by=1, w=1), rows(rng, 400, segs=many)))
par.append((csvpar_opts(chunk=6, by=1), rows(rng, 120)))
par.append((csvpar_opts(threads=2, chunk=7, by=1, skip=1, x=1),
            rows(rng, 300, segs=many, missing=("", "nan"))))
par.append((csvpar_opts(hdr=0), header()))
par.append((csvpar_opts(hdr=0), b""))
par.append((csvpar_opts(threads=2, chunk=2, hdr=0, w=1), b"y,yhat,w\n1,2,3\n"))
par.append((csvpar_opts(threads=2, chunk=2, hdr=0), b"y,yhat\r\n1,2\r\n3,4\r\n"))
par.append((csvpar_opts(threads=2, chunk=2, hdr=0), b"y,yhat\r1,2\n3,4\n"))
par.append((csvpar_opts(threads=2, chunk=2, hdr=0), b"\n\ny,yhat\n\n1,2\n\n\n3,4"))
for opts, body in par:
    put("csvpar", opts + body)
# the shared cases as they are, their first two columns as y and yhat (by index): the
# ones authored with y_true/y_pred columns, and Go's dialect cases with two or more
edge = ["duplicate_and_empty_header.csv", "formula_injection_values.csv", "header_only.csv",
        "html_injection_header.csv", "long_decimal_literals.csv", "nul_byte_in_field.csv",
        "numeric_edge_values.csv", "utf8_bom_header.csv", "utf16le_bom.csv", "crlf.csv",
        "bare_cr_inside_field.csv", "blank_lines.csv", "ragged_rows.csv", "trailing_cr_eof.csv",
        "unterminated_quote_eof.csv", "crlf_in_quoted_field.csv", "binary_non_utf8_field.csv"]
for i, name in enumerate(edge):
    data = open(os.path.join(cases, "edge", name), "rb").read()
    put("csvpar", csvpar_opts(threads=2, chunk=(i % 7) + 1, hdr=0, index=1, skip=i % 2) + data)
for name in ("simple_crlf.csv", "utf8.csv", "empty.csv"):
    data = open(os.path.join(cases, "csv-spectrum", "csvs", name), "rb").read()
    put("csvpar", csvpar_opts(threads=2, chunk=2, hdr=0, index=1) + data)
