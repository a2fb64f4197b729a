"""What a reader sees in a report page, and the words in it that are not in the page's
language (used by tests/test_i18n_catalogue.py)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: letters only Vietnamese uses (with their tone marks), lower case
VI_LETTERS = set("ăâđêôơư" "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")
#: frequent English words that must not appear in a Vietnamese page's headings and table headers
EN_WORDS = {"units", "unit", "rate", "quarter", "quarters", "nan", "none", "records", "share", "late", "period",
            "year", "rank", "total", "score", "from", "the", "of", "and", "per", "change", "province", "group",
            "investment", "estimate", "indicator", "synthetic", "data", "median", "difference", "month"}
#: proper nouns and acronyms that are the same in both languages
PROPER = {"Nghệ An", "Cửa Lò", "Diễn Châu", "Vĩnh Tường", "Anh Sơn", "Đô Lương", "Nghi Lộc", "Nghi Thái",
          "Yên Thành", "Quỳnh Lưu", "Hưng Nguyên", "Thanh Chương", "Quế Phong", "Nam Đàn", "Con Cuông",
          "Tương Dương", "Kỳ Sơn", "Quỳ Châu", "Quỳ Hợp", "Nghĩa Đàn", "Tân Kỳ", "Thái Hòa", "Hoàng Mai",
          "QĐ-TTg", "Tết", "Hà Nội", "Đà Nẵng", "Việt Nam", "An Giang", "Bộ TT&TT", "TT PVHCC", "Một cửa",
          # words of the Vietnamese form, quoted (with their quotes) in the form reader's messages
          "'Tên đơn vị'", "'Đơn vị'", "'Quý II năm 2024'"}

_TEXT_TAGS = {"th", "h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "caption", "figcaption", "pre", "td"}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.parts: list[tuple[str, str]] = []   # (tag, text)
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        self.stack.append(tag)
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(("img", alt))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip = max(0, self.skip - 1)
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        if self.skip or not data.strip():
            return
        if "code" in self.stack:   # code, file and column names are not words of a language
            return
        tag = next((t for t in reversed(self.stack) if t in _TEXT_TAGS), None)
        if tag is not None:
            self.parts.append((tag, data.strip()))


def reader_text(html: str) -> list[tuple[str, str]]:
    """(tag, text) of every piece of text a reader sees (headings, paragraphs, list items,
    table headers and cells, figure alt texts)."""
    c = _Collect()
    c.feed(html)
    return c.parts


def _strip_names(text: str, names) -> str:
    for n in sorted(names, key=len, reverse=True):
        if n:
            text = text.replace(n, " ")
    return text


def foreign_words(html: str, lang: str, names=()) -> list[tuple[str, str]]:
    """(tag, word) of the words of the page not in ``lang``: for "en", words with letters
    only Vietnamese has (unit names ``names`` and :data:`PROPER` nouns aside) in headings,
    paragraphs, list items, table headers and figure texts; for "vi", frequent English
    words (:data:`EN_WORDS`) in the same places. Text in ``<code>`` (file, column and
    command names) is neither language. In both, a table header that
    is a raw column name (``snake_case``) or a raw missing value (NaN, None, <NA>) anywhere."""
    out = []
    all_names = set(names) | PROPER
    for tag, text in reader_text(html):
        if tag in ("th", "td") and re.search(r"^(NaN|None|<NA>|NaT|nan)$", text):
            out.append((tag, text))
        if tag == "th" and re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", text):
            out.append((tag, text))
        if lang == "en" and tag != "td" and tag != "pre":
            for w in re.findall(r"\w+", _strip_names(text, all_names)):
                if set(w.lower()) & VI_LETTERS:
                    out.append((tag, w))
        if lang == "vi" and (tag in ("th", "p", "li", "caption", "figcaption", "img") or tag.startswith("h")):
            for w in re.findall(r"[A-Za-z]+", text):
                if w.lower() in EN_WORDS:
                    out.append((tag, w))
    return out
