"""Text from data made safe to show: every unit name, file or sheet name, note or column
header passes through :func:`esc` before it enters Markdown or HTML.

Markdown lets inline HTML through, so escaping for HTML alone is not enough (``[x](javascript:...)``
is plain text to HTML but a live link to Markdown), nor is escaping Markdown alone: both are done.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

# what can start a link, an image, code, emphasis or a table cell; "_" inside a word is plain
# text to Markdown ("q1_fix.csv" stays as it is); < > & " ' are left to html.escape
_MD_SPECIAL = re.compile(r"([\\`*\[\]#|~])|(?<![^\W_])_|_(?![^\W_])")


def esc(text) -> str:
    """``text`` (any value, from data) as inert Markdown and HTML: Markdown punctuation
    backslash-escaped first, then ``< > & " '`` as HTML entities (so no tag, link, image
    or attribute can come out of it)."""
    if text is None:
        return ""
    s = str(text).replace("\r", " ").replace("\n", " ")  # a newline could start a heading or a block
    s = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), s)
    return html.escape(s, quote=True)


def esc_html(text) -> str:
    """``text`` for HTML only (attribute values and element text): ``< > & " '`` as entities."""
    return html.escape("" if text is None else str(text), quote=True)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def error_line(ename, evalue) -> str:
    """``Name: message`` of an error output, without terminal colour codes."""
    return _ANSI.sub("", f"{ename}: {evalue}")


def publishable_notebook(text: str) -> str:
    """An executed notebook (``.ipynb`` JSON text) fit to publish beside the HTML pages:
    every error output keeps its exception name and message but its traceback (the code
    around the failing line and the files it went through, with this machine's folders)
    is reduced to that one line, ``Name: message``, without terminal colour codes; and
    the folder paranalysis is installed in is named ``<paranalysis>`` wherever an output
    mentions it (a warning's origin). Other folders (data, output, Python, home) are
    replaced by :func:`paranalysis.report.scrub_paths`."""
    import nbformat

    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                out["ename"] = _ANSI.sub("", str(out.get("ename", "")))
                out["evalue"] = _ANSI.sub("", str(out.get("evalue", "")))
                out["traceback"] = [error_line(out["ename"], out["evalue"])]
    text = nbformat.writes(nb)
    for old in (_PACKAGE_DIR, _PACKAGE_DIR.replace("\\", "\\\\")):
        text = text.replace(old, "<paranalysis>")
    return text if text.endswith("\n") else text + "\n"


__all__ = ["error_line", "esc", "esc_html", "publishable_notebook"]
