"""Sections of a form: heading rows ("I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã", "A.",
"B.", or a text heading), their subtotals (on the heading row or in a "Cộng" row after the
section) and the grand total ("TỔNG CỘNG (I+II+III)", at the top or the bottom).

A section tells the level of its units (``section_levels`` in the mapping), which decides
between units of different levels that share a name; each subtotal is checked against the
sum of its own section's units, the grand total against all units, then they are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from paranalysis.forms.mapping import HeaderMapping, _norm_text

_ROMAN_OR_LETTER = r"(?:i{1,3}|iv|v|vi{1,3}|ix|x|[a-h])"
_ROMAN_NUMERAL = r"(?:i{1,3}|iv|v|vi{1,3}|ix|x)"
# "II. Cấp huyện": a Roman numeral before the text (a letter is not enough: "H. Quế Phong")
_NUMBERED = re.compile(rf"^{_ROMAN_NUMERAL}\s*[.)/:-]\s*\S", re.I)
_STT_SECTION = re.compile(rf"^\s*{_ROMAN_OR_LETTER}\s*[.)]?\s*$", re.I)
_REFS = re.compile(rf"(?:\s+{_ROMAN_OR_LETTER}(?:\s+{_ROMAN_OR_LETTER})*)$")


@dataclass
class Section:
    """One section of the form: its heading, the level it names and its rows."""

    label: str
    row: int
    level: str | None
    records: list = field(default_factory=list)  # unit rows (also unresolved ones)
    subtotals: list = field(default_factory=list)  # rows with the section's subtotal


def total_kind(name: str, mapping: HeaderMapping) -> str | None:
    """"grand", "sub" (a section's "Cộng" row) or None for a label that is not a total.
    "Tổng cộng (I+II+III)" -> grand; "Cộng (I)" -> sub."""
    s = _norm_text(name)
    refs = _REFS.search(s)
    core = s[: refs.start()].strip() if refs and s[: refs.start()].strip() else s
    if core not in mapping.total_labels:
        return None
    if core in mapping.grand_total_labels or (refs and len(refs.group(0).split()) > 1):
        return "grand"
    return "sub"


def heading_of(stt, name: str | None, mapping: HeaderMapping) -> tuple[bool, str | None]:
    """(is this a section heading?, the level it names). A heading has a Roman numeral or a
    letter in the STT column, a Roman numeral before its text ("II. Cấp huyện"), or names
    a level. Called only for names that are not units."""
    if name is None:
        return False, None
    level = mapping.section_level(name)
    numbered = bool(_NUMBERED.match(name.strip())) or (isinstance(stt, str) and bool(_STT_SECTION.match(stt)))
    return numbered or level is not None, level
