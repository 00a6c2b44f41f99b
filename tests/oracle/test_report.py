"""
Oracle: `vernier report` (issue 8) — the HTML page and the Markdown model card.

1. Chart data. Each chart is followed by its data table; the tables are parsed here and
   recomputed with numpy from the data the test wrote, following docs/report.md: the
   error histogram (range = numpy's 0.5th and 99.5th percentiles, 40 equal bins, counts),
   the normal reference's mean and standard deviation, |e| by decile of the prediction
   (cut points np.percentile(p, 10..90), rows equal to a cut in the lower group; mean,
   median and 90th percentile of |e|), the density grid's total, and the worst rows
   (largest |e|, ties to the earlier row).
2. Well-formed SVG: every <svg> element of the page parses as XML (ElementTree) for a
   normal, an empty, a single-row, a constant and an all-undefined-metric input.
3. Escaping: a column named <script>alert(1)</script> and slice values with markup and
   quotes appear as text, never as markup, in the page and in the card.
4. The card renders as tables with python3-markdown (the 'tables' extension): the metric
   table has a row per slice and a column per metric.
5. Size: 5000 slices and 200 000 rows stay under 1 MB (tables list at most 200 slices).
"""
import csv
import html
import re
import xml.etree.ElementTree as ET

import markdown
import numpy as np
import pytest

from conftest import write_csv


def report(vernier, path, *args, ok=0):
    p = vernier.run(["report", str(path), *map(str, args)])
    assert p.returncode == ok, f"exit {p.returncode}: {p.stderr}"
    return p.stdout


def figure(page, fid):
    m = re.search(r'<figure id="%s">(.*?)</figure>' % fid, page, re.S)
    assert m, f"no figure {fid}"
    return m.group(1)


def table_rows(fragment):
    """The body rows of the (first) table in fragment, as lists of unescaped cell texts."""
    body = re.search(r"<tbody>(.*?)</tbody>", fragment, re.S).group(1)
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        rows.append([html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


def svgs(page):
    return re.findall(r"<svg .*?</svg>", page, re.S)


def close(text, want, digits):
    """text is want printed with `digits` significant digits."""
    got = float(text)
    assert got == pytest.approx(want, rel=10 ** (1 - digits), abs=1e-300), (text, want)


@pytest.fixture(scope="module")
def hetero(tmp_path_factory):
    """Errors that grow with the value: the picture the decile chart exists for."""
    rng = np.random.default_rng(8)
    n = 20000
    y = rng.gamma(2.0, 50.0, n).round(2)
    p = (y * rng.normal(1.0, 0.15, n) + rng.normal(0, 2, n)).round(2)
    seg = rng.choice(["a", "b", "c"], n)
    path = tmp_path_factory.mktemp("report") / "hetero.csv"
    write_csv(path, {"y": y, "p": p, "seg": seg})
    return path, y, p, seg


def test_chart_data_matches_numpy(vernier, hetero):
    path, y, p, _ = hetero
    page = report(vernier, path, "-y", "y", "-p", "p", "--by", "seg")
    e = p - y
    # the error histogram
    lo, hi = np.percentile(e, [0.5, 99.5])
    k = np.clip(np.floor((e - lo) / (hi - lo) * 40), 0, 39).astype(int)
    inside = (e >= lo) & (e <= hi)
    counts = np.bincount(k[inside], minlength=40)
    rows = table_rows(figure(page, "fig-errors"))
    assert len(rows) == 40
    for r, c, i in zip(rows, counts, range(40)):
        close(r[0], lo + i * (hi - lo) / 40, 5)
        assert float(r[2]) == c, (i, r, c)
    desc = re.search(r'<desc id="fig-errors-sd">(.*?)</desc>', page, re.S).group(1)
    mean, sd = re.search(r"same mean \((\S+)\) and standard deviation \((\S+)\)", desc).groups()
    close(mean, e.mean(), 4)
    close(sd, e.std(), 4)
    below, above = re.search(r"Not drawn: (\S+) rows below and (\S+) above", desc).groups()
    assert int(below) == (e < lo).sum() and int(above) == (e > hi).sum()
    # |e| by decile of the prediction
    cut = np.percentile(p, np.arange(10, 100, 10))
    g = np.searchsorted(cut, p, side="left")  # p == cut goes to the lower group
    rows = table_rows(figure(page, "fig-groups"))
    groups = [j for j in range(10) if (g == j).any()]
    assert len(rows) == len(groups)
    for r, j in zip(rows, groups):
        a = np.abs(e[g == j])
        close(r[1], p[g == j].min(), 5)
        close(r[2], p[g == j].max(), 5)
        assert int(r[3]) == a.size
        close(r[4], a.mean(), 5)
        close(r[5], np.median(a), 5)
        close(r[6], np.percentile(a, 90), 5)
    # the density grid holds every row
    cells = table_rows(figure(page, "fig-density"))
    assert sum(float(c[4]) for c in cells) == len(y)
    # the worst rows: largest |e|, ties to the earlier row
    order = sorted(range(len(e)), key=lambda i: (-abs(e[i]), i))[:20]
    worst = table_rows(page[page.index('id="worst"'):])
    assert [int(r[0]) for r in worst] == [i + 1 for i in order]
    for r, i in zip(worst, order):
        close(r[1], y[i], 6)
        close(r[2], p[i], 6)
        close(r[3], e[i], 6)


def test_weighted_decile_means(vernier, tmp_path):
    rng = np.random.default_rng(3)
    n = 5000
    y = rng.normal(100, 20, n).round(3)
    p = (y + rng.normal(0, 5, n)).round(3)
    w = rng.integers(0, 4, n).astype(float)  # zero weights drop rows
    path = tmp_path / "w.csv"
    write_csv(path, {"y": y, "p": p, "w": w})
    page = report(vernier, path, "-y", "y", "-p", "p", "-w", "w")
    keep = w > 0
    y, p, w = y[keep], p[keep], w[keep]
    a = np.abs(p - y)
    cut = np.percentile(p, np.arange(10, 100, 10))
    g = np.searchsorted(cut, p, side="left")
    for r in table_rows(figure(page, "fig-groups")):
        j = int(r[0][1:]) - 1
        assert int(r[3]) == (g == j).sum()
        close(r[4], np.average(a[g == j], weights=w[g == j]), 5)
    cells = table_rows(figure(page, "fig-density"))
    assert sum(float(c[4]) for c in cells) == pytest.approx(w.sum(), rel=1e-12)


CASES = {
    "normal": ({"y": [1.5, 2.0, 3.25, 4.0, 8.0, 0.5], "p": [1.0, 2.5, 3.0, 5.0, 6.0, 0.75],
                "s": ["a", "b", "a", "b", "a", "b"]}, ["--by", "s", "--ci", "--resamples", "200"]),
    # a file without data rows is a data error; no rows used is the empty report
    "empty": ({"y": [1.0, 2.0], "p": [1.0, 3.0], "w": [0.0, 0.0], "s": ["a", "b"]},
              ["--by", "s", "-w", "w"]),
    "single": ({"y": [3.0], "p": [2.0], "s": ["a"]}, ["--by", "s"]),
    "constant": ({"y": [5.0] * 30, "p": [5.0] * 30, "s": ["a", "b", "c"] * 10}, ["--by", "s"]),
    "all_undefined": ({"y": [0.0] * 12, "p": [1.0, 2.0, 0.5] * 4, "s": ["a", "b"] * 6},
                      ["--by", "s", "-m", "mape,r2,mae"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_svg_well_formed(vernier, tmp_path, case):
    cols, flags = CASES[case]
    path = tmp_path / f"{case}.csv"
    write_csv(path, cols)
    page = report(vernier, path, "-y", "y", "-p", "p", *flags)
    n = sum(1 for w in cols.get("w", [1] * len(cols["y"])) if w > 0)
    charts = svgs(page)
    # density, errors, deciles with rows; the slice chart when a metric is defined
    assert len(charts) >= (3 if n else 0)
    for s in charts:
        root = ET.fromstring(s)  # raises on malformed XML
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}title").text
        assert root.find("{http://www.w3.org/2000/svg}desc").text
        for el in root.iter():
            for v in el.attrib.values():
                assert "nan" not in v.lower() and "inf" not in v.lower(), (case, el.tag, el.attrib)
    if n:
        assert 'id="fig-density"' in page and 'id="fig-errors"' in page
    if case == "all_undefined":
        assert "n/a" in page and "mape" in page


def hostile(tmp_path):
    ycol = "<script>alert(1)</script>"
    seg = ['<img src=x onerror=alert(1)>', '"quotes" & \'apos\'', "[link](javascript:alert(1))|x"]
    path = tmp_path / "hostile.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([ycol, "p", "seg"])
        for i, (a, b) in enumerate(zip([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1.5, 2.0, 2.0, 4.5, 5.0, 7.0])):
            w.writerow([a, b, seg[i % 3]])
    return path, ycol, seg


def test_escaping(vernier, tmp_path):
    path, ycol, seg = hostile(tmp_path)
    page = report(vernier, path, "-y", ycol, "-p", "p", "--by", "seg")
    assert "<script>alert" not in page and "<img" not in page
    assert page.count("<script>") == 1  # the table sorter only
    assert html.escape(ycol, quote=True).replace("&#x27;", "&#39;") in page
    for s in seg:
        assert html.escape(s, quote=True).replace("&#x27;", "&#39;") in page
    card = report(vernier, path, "-y", ycol, "-p", "p", "--by", "seg", "-f", "md")
    rendered = markdown.markdown(card, extensions=["tables"])
    assert "<script" not in rendered and "<img" not in rendered
    assert "javascript:" not in re.sub(r"<[^>]+>", "", rendered) or "<a " not in rendered
    assert "<a " not in rendered


def test_card_is_markdown_tables(vernier, hetero):
    path = hetero[0]
    card = report(vernier, path, "-y", "y", "-p", "p", "--by", "seg", "--ci",
                  "--resamples", "200", "-f", "md")
    rendered = markdown.markdown(card, extensions=["tables"])
    tables = re.findall(r"<table>(.*?)</table>", rendered, re.S)
    assert len(tables) >= 2  # the data and the metrics
    metric_table = next(t for t in tables if "mae" in t and "overall" in t)
    body = re.findall(r"<tr>(.*?)</tr>", metric_table, re.S)
    assert len(body) == 1 + 1 + 3  # header, overall, three slices
    head = re.findall(r"<th[^>]*>(.*?)</th>", body[0])
    for key in ["count", "mae", "rmse", "r2", "p95_abs_error", "pinball:q=0.9"]:
        assert key in head, head
    assert "Intended use" in rendered and "Data fingerprint" in rendered
    assert re.search(r"Data fingerprint</td>\s*<td>[0-9a-f]{16} ", rendered)


def test_size_bounded(vernier, tmp_path):
    rng = np.random.default_rng(5)
    n = 200000
    y = rng.normal(0, 1, n).round(4)
    p = (y + rng.normal(0, 0.5, n)).round(4)
    seg = rng.integers(0, 5000, n)
    path = tmp_path / "many.csv"
    write_csv(path, {"y": y, "p": p, "seg": seg})
    page = report(vernier, path, "-y", "y", "-p", "p", "--by", "seg", "-m", "mae,rmse,count")
    assert len(page.encode()) < 1_000_000
    assert "200 of 5000 slices are listed" in page


def test_compare_report(vernier, tmp_path):
    rng = np.random.default_rng(11)
    n = 3000
    y = rng.gamma(2.0, 10.0, n).round(2)
    v1 = (y + rng.normal(0, 4, n)).round(2)
    v2 = (y + rng.normal(0, 3, n)).round(2)
    path = tmp_path / "cmp.csv"
    write_csv(path, {"y": y, "v1": v1, "v2": v2})
    page = report(vernier, path, "-y", "y", "-p", "v1", "-p", "v2", "--primary", "mae",
                  "-m", "mae,rmse,mean_error", "--resamples", "300")
    rows = table_rows(figure(page, "fig-diffs"))
    got = {r[0]: float(r[1]) for r in rows}
    base, cand = np.abs(v1 - y).mean(), np.abs(v2 - y).mean()
    close(str(got["mae"]), (cand - base) / base * 100, 4)
    assert 'class="summary good"' in page  # the candidate is clearly better here
    for s in svgs(page):
        ET.fromstring(s)


def test_usage_errors(vernier, tmp_path):
    path = tmp_path / "u.csv"
    write_csv(path, {"y": [1.0, 2.0], "p": [1.0, 2.5]})
    for args, code in [(["-y", "y"], 2), (["-y", "y", "-p", "p", "-f", "json"], 2),
                       (["-y", "y", "-p", "p", "--guard", "mae"], 2),
                       (["-y", "y", "-p", "p", "--log"], 2), (["-y", "nope", "-p", "p"], 3)]:
        p = vernier.run(["report", str(path), *args])
        assert p.returncode == code, (args, p.returncode, p.stderr)
        assert p.stderr.startswith("vernier: error: ")
