"""The Python examples of the docs run as tests, so the pages cannot drift: every
```pycon block of docs/python.md and docs/forecasting.md is run with doctest (the blocks of
one page share their names, like a notebook), from the repository root so that the
bundled examples/ files are found. Their outputs are the CLI's (docs/forecasting.md shows
both), checked here character for character."""
import doctest
import re

import pytest

from conftest import REPO

PAGES = ["docs/python.md", "docs/forecasting.md"]


@pytest.mark.parametrize("page", PAGES)
def test_pycon_blocks(page, monkeypatch):
    pytest.importorskip("pandas")
    monkeypatch.chdir(REPO)
    text = (REPO / page).read_text()
    blocks = list(re.finditer(r"```pycon\n(.*?)```", text, flags=re.S))
    assert blocks, f"{page} has no pycon example"
    names, failed, tried = {}, 0, 0
    for m in blocks:
        line = text[:m.start()].count("\n") + 1
        test = doctest.DocTestParser().get_doctest(m.group(1), names, page, page, line)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        names.update(test.globs)
        failed += runner.failures
        tried += runner.tries
    assert tried > 5 and failed == 0, f"{failed} of {tried} examples of {page} failed (above)"
