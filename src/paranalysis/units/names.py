"""Unit names as exports write them: folding, prefixes, and the level a prefix says.

Matching is insensitive to case, diacritics (so the old and new tone placement,
"Hoà"/"Hòa", match), spacing and the usual administrative prefixes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Prefixes stripped before matching, longest first. Matching is done on ASCII-folded text.
_PREFIXES = [
    "ubnd thanh pho", "ubnd thi xa", "ubnd huyen", "ubnd tinh", "ubnd xa", "ubnd phuong",
    "ubnd thi tran", "ubnd tp", "ubnd tx", "ubnd h", "ubnd",
    "uy ban nhan dan",
    "thanh pho", "thi xa", "thi tran", "huyen", "phuong", "xa", "tinh",
    "tp", "tx", "tt", "h",
]

# The level an administrative prefix says, on folded text ("Xã Quỳ Hợp" is a commune,
# "Huyện Quỳ Hợp" a district-level unit). Longest first.
_LEVEL_PREFIXES = [
    ("uy ban nhan dan thanh pho", "district"), ("uy ban nhan dan thi xa", "district"),
    ("uy ban nhan dan huyen", "district"), ("uy ban nhan dan tinh", "province"),
    ("uy ban nhan dan thi tran", "commune"), ("uy ban nhan dan phuong", "commune"),
    ("uy ban nhan dan xa", "commune"),
    ("ubnd thanh pho", "district"), ("ubnd thi xa", "district"), ("ubnd huyen", "district"),
    ("ubnd tinh", "province"), ("ubnd thi tran", "commune"), ("ubnd phuong", "commune"),
    ("ubnd xa", "commune"), ("ubnd tp", "district"), ("ubnd tx", "district"), ("ubnd h", "district"),
    ("thanh pho", "district"), ("thi xa", "district"), ("thi tran", "commune"), ("huyen", "district"),
    ("phuong", "commune"), ("xa", "commune"), ("tinh", "province"),
    ("tp", "district"), ("tx", "district"), ("tt", "commune"), ("h", "district"),
    ("so", "agency"), ("ban", "agency"), ("thanh tra", "agency"), ("van phong", "agency"),
    ("trung tam", "agency"),
]


def fold(text: str) -> str:
    """ASCII-fold Vietnamese text: NFC, lower case, đ→d, diacritics removed, spaces collapsed."""
    s = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = s.lower()
    s = re.sub(r"[\.\,\-_/()]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def deaccent(text: str) -> str:
    """Vietnamese text without diacritics, case kept ("Xã Đông Hiếu" -> "Xa Dong Hieu")."""
    s = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return unicodedata.normalize("NFC", "".join(ch for ch in s if unicodedata.category(ch) != "Mn"))


def match_key(name: str) -> str:
    """The key under which a unit name is matched: folded, administrative prefix removed."""
    return _match_key(name) if type(name) is str else _strip_prefixes(fold(name))


@lru_cache(maxsize=1 << 16)
def _match_key(name: str) -> str:
    """:func:`match_key` of a text, kept: a registry's names are keyed again by every matcher."""
    return _strip_prefixes(fold(name))


def _strip_prefixes(s: str) -> str:
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if s.startswith(p + " ") and len(s) > len(p) + 1:
                s = s[len(p) + 1 :]
                changed = True
                break
    return s


def prefix_level(name: str) -> str | None:
    """The level the name's administrative prefix says: "commune" for Xã/Phường/Thị trấn,
    "district" for Huyện/Thị xã/Thành phố (TP, TX, H.), "province" for Tỉnh, "agency" for
    Sở/Ban/Thanh tra/Văn phòng/Trung tâm; None for a bare name ("Quỳ Hợp")."""
    s = fold(name)
    for p, level in _LEVEL_PREFIXES:
        if s.startswith(p + " ") and len(s) > len(p) + 1:
            return level
    return None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", str(text))
