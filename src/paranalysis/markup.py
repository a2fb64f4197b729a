"""Text from data made safe to show: every unit name, file or sheet name, note or column
header passes through :func:`esc` before it enters Markdown or HTML.

Markdown lets inline HTML through, so escaping for HTML alone is not enough (``[x](javascript:...)``
is plain text to HTML but a live link to Markdown), nor is escaping Markdown alone: both are done.
"""

from __future__ import annotations

import html
import re

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


__all__ = ["esc", "esc_html"]
