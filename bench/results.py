"""bench/RESULTS.md, one section per script: write_section replaces a script's own section
(from its "## " heading up to the next one) or appends it, leaving the others alone."""

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write_section(section, text, path=os.path.join(HERE, "RESULTS.md")):
    """Puts text (which starts with the heading `section`) into the file at path."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
    if section in old:  # replace the earlier section, up to the next one
        a = old.index(section)
        b = old.find("\n## ", a + 1)
        old = old[:a].rstrip("\n") + ("\n\n" + old[b + 1:] if b >= 0 else "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(old + ("\n" if old and not old.endswith("\n\n") else "") + text)
