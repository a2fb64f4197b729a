"""Administrative units: the Nghe An unit list shipped with the package, and matching of
the names that exports use ("TP Vinh", "TX. Cửa Lò", "H. Quế Phong", "Thái Hòa"/"Thái Hoà")
to official codes.

Matching is insensitive to case, diacritics (so the old and new tone placement,
"Hoà"/"Hòa", match), spacing and the usual administrative prefixes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

LEVELS = ("province", "department", "district", "commune")

# Prefixes stripped before matching, longest first. Matching is done on ASCII-folded text.
_PREFIXES = [
    "ubnd thanh pho", "ubnd thi xa", "ubnd huyen", "ubnd tinh", "ubnd xa", "ubnd phuong",
    "ubnd thi tran", "ubnd tp", "ubnd tx", "ubnd h", "ubnd",
    "uy ban nhan dan",
    "thanh pho", "thi xa", "thi tran", "huyen", "phuong", "xa", "tinh",
    "tp", "tx", "tt", "h",
]


def fold(text: str) -> str:
    """ASCII-fold Vietnamese text: NFC, lower case, đ→d, diacritics removed, spaces collapsed."""
    s = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = s.lower()
    s = re.sub(r"[\.\,\-_/()]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def match_key(name: str) -> str:
    """The key under which a unit name is matched: folded, administrative prefix removed."""
    s = fold(name)
    changed = True
    while changed:
        changed = False
        for p in _PREFIXES:
            if s.startswith(p + " ") and len(s) > len(p) + 1:
                s = s[len(p) + 1 :]
                changed = True
                break
    return s


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", str(text))


@lru_cache(maxsize=1)
def _package_units() -> pd.DataFrame:
    path = resources.files("paranalysis").joinpath("resources/units_nghean.csv")
    with path.open("rb") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return df


def package_units() -> pd.DataFrame:
    """The Nghe An units known to the package (province 40, district-level 412-432,
    communes named in the seed reports, provincial departments), as a ``units`` table."""
    from paranalysis.schemas import coerce_units

    return coerce_units(_package_units().copy(), source_name="paranalysis/resources/units_nghean.csv")


class UnitMatcher:
    """Resolve unit names as written in exports to unit codes."""

    def __init__(self, units: pd.DataFrame):
        self.units = units
        self._index: dict[str, set[str]] = {}
        for row in units.itertuples(index=False):
            names = [row.unit_code, row.name_vi, row.short_name_vi, row.name_ascii]
            names += [a for a in str(row.aliases or "").split("|") if a]
            for n in names:
                if n and str(n) != "nan":
                    self._index.setdefault(match_key(n), set()).add(row.unit_code)

    def _valid_on(self, codes: set[str], on) -> set[str]:
        """Keep the codes of units that existed on date ``on`` (None keeps all)."""
        if on is None or not codes:
            return codes
        day = pd.Timestamp(on).normalize()
        u = self.units.set_index("unit_code")
        keep = set()
        for c in codes:
            vf = pd.to_datetime(u.at[c, "valid_from"], errors="coerce") if "valid_from" in u else pd.NaT
            vt = pd.to_datetime(u.at[c, "valid_to"], errors="coerce") if "valid_to" in u else pd.NaT
            if (pd.isna(vf) or vf <= day) and (pd.isna(vt) or day <= vt):
                keep.add(c)
        return keep

    def resolve(self, name: str, *, level: str | None = None, on=None) -> str | None:
        """Return the unit code for ``name``, or None if unknown or ambiguous.

        ``on`` (a date) keeps only units valid on that day; ``level`` decides between
        units of different levels that share a name."""
        codes = self._valid_on(self._index.get(match_key(name), set()), on)
        if level is not None and len(codes) > 1:
            lv = self.units.set_index("unit_code")["level"]
            codes = {c for c in codes if lv.get(c) == level}
        return next(iter(codes)) if len(codes) == 1 else None

    def candidates(self, name: str, *, on=None) -> set[str]:
        return set(self._valid_on(set(self._index.get(match_key(name), set())), on))
