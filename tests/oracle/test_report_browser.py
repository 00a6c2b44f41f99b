"""
The HTML report in a real browser (issue 8): Debian's chromium, headless, driven over the
DevTools protocol (cdp.py). For a report on the bundled example with a hostile column
name, and for one on 10 million rows:

* the page makes no network request: the only URL it asks for is its own file;
* every chart has rendered SVG marks (rects, paths, circles with a non-zero box);
* the <script>alert(1)</script> column name is text on the page, not an element;
* clicking a column header sorts the metric table;
* dark mode (prefers-color-scheme) changes the colours;
* the 10-million-row report is under 1 MB.

REPORT_SCREENSHOT=PATH also saves the screenshot of the demo report there (docs/img/report.png
is made this way). Without chromium the tests are skipped, except under CI=true where a
missing browser is a failure (scripts/deps.sh installs it).
"""
import os
import shutil
import subprocess

import numpy as np
import pytest

from cdp import Browser, find_chromium
from conftest import REPO

pytestmark = pytest.mark.skipif(
    not find_chromium() and os.environ.get("CI") != "true",
    reason="chromium is not installed (apt-get install chromium)")

CHARTS = ["fig-density", "fig-errors", "fig-groups", "fig-slices"]


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def marks(browser, fid):
    """SVG shapes of a figure that the browser laid out with a non-zero box."""
    return browser.evaluate(f"""(function() {{
        var f = document.getElementById('{fid}'); if (!f) return -1;
        var n = 0;
        f.querySelectorAll('svg rect, svg path, svg circle').forEach(function(e) {{
            var b = e.getBBox(); if (b.width > 0 || b.height > 0) n++; }});
        return n; }})()""")


def check_page(browser, path):
    url = path.resolve().as_uri()
    requested = browser.load(url)
    assert requested and all(u == url for u in requested), requested
    for fid in CHARTS:
        assert marks(browser, fid) > 5, fid


@pytest.fixture(scope="module")
def example_report(vernier, tmp_path_factory):
    """examples/demand.csv with the actual column renamed to a script tag."""
    d = tmp_path_factory.mktemp("browser")
    src = (REPO / "examples" / "demand.csv").read_text().splitlines()
    head = src[0].split(",")
    head[head.index("demand")] = "<script>alert(1)</script>"
    data = d / "hostile.csv"
    data.write_text("\n".join([",".join(head)] + src[1:]) + "\n")
    out = d / "report.html"
    p = vernier.run(["report", str(data), "-y", "<script>alert(1)</script>", "-p", "forecast",
                     "--by", "store", "--ci", "--resamples", "500", "-o", str(out)])
    assert p.returncode == 0, p.stderr
    return out


def test_example_in_browser(browser, example_report, tmp_path):
    check_page(browser, example_report)
    # the injected name is text, and the only script element is the table sorter
    assert browser.evaluate("document.querySelectorAll('script').length") == 1
    assert "<script>alert(1)</script>" in browser.evaluate("document.body.innerText")
    # sorting: the mae column, descending then ascending, keeps overall first
    order = browser.evaluate("""(function() {
        var t = document.getElementById('metric-table');
        var i = [].findIndex.call(t.tHead.rows[0].cells,
                                  function(c) { return c.textContent.trim() === 'mae'; });
        var b = t.tHead.rows[0].cells[i].querySelector('button');
        function col() { return [].map.call(t.tBodies[0].rows, function(r) {
            return r.cells[0].textContent + '=' + r.cells[i].getAttribute('data-v'); }); }
        b.click(); var up = col(); b.click(); var down = col();
        return [up, down]; })()""")
    up, down = order
    assert up[0].startswith("overall") and down[0].startswith("overall")
    vals = [float(x.split("=")[-1]) for x in up[1:]]
    assert vals == sorted(vals) and len(vals) == 4
    assert [float(x.split("=")[-1]) for x in down[1:]] == sorted(vals, reverse=True)
    # light and dark
    shot = tmp_path / "light.png"
    browser.screenshot(str(shot))
    light = browser.evaluate("getComputedStyle(document.body).backgroundColor")
    browser.screenshot(str(tmp_path / "dark.png"), dark=True)
    dark = browser.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark, (light, dark)
    assert shot.stat().st_size > 10000


def test_demo_report(browser, vernier, tmp_path):
    """The report `make demo` writes; its screenshot is the README's."""
    out = tmp_path / "report.html"
    p = vernier.run(["report", str(REPO / "examples" / "demand.csv"), "-y", "demand",
                     "-p", "forecast", "--by", "store", "--ci", "--title",
                     "Daily demand forecast, four stores", "-o", str(out)])
    assert p.returncode == 0, p.stderr
    check_page(browser, out)
    shot = tmp_path / "demo.png"
    browser.screenshot(str(shot), width=1000, height=2300)
    assert shot.stat().st_size > 10000
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["REPORT_SCREENSHOT"])


def test_ten_million_rows(browser, vernier, tmp_path):
    n = 10_000_000
    data = tmp_path / "big.csv"
    # awk writes the file faster than Python: y ~ exp-ish, errors growing with y
    prog = ('BEGIN { srand(7); print "y,yhat,segment"; for (i = 0; i < n; i++) {'
            ' y = -log(rand()) * 40; e = (rand() - 0.5) * y * 0.4;'
            ' printf "%.3f,%.3f,s%d\\n", y, y + e, i % 20 } }')
    subprocess.run(["awk", "-v", f"n={n}", prog],
                   stdout=open(data, "w"), check=True)
    out = tmp_path / "big.html"
    p = vernier.run(["report", str(data), "-y", "y", "-p", "yhat", "--by", "segment",
                     "--threads", "2", "-o", str(out)])
    assert p.returncode == 0, p.stderr
    size = out.stat().st_size
    assert size < 1_000_000, size
    check_page(browser, out)
    rows = browser.evaluate("document.querySelector('#metric-table tbody tr.pin')"
                            ".cells[1].textContent")
    assert int(rows) == n
    data.unlink()
