"""Matching unit names and codes, as forms write them, to registry keys, by date and level.

The API other readers call (``paranalysis.forms`` among them)::

    m = UnitMatcher(units)                       # a units table (package_units() or ds.units)
    m.resolve(name, *, level=None, on=None)      # -> unit_code or None
    m.candidates(name, *, on=None, level=None)   # -> set of unit_codes the name may mean
    m.resolve_code(code, *, on=None, level=None) # a "Mã đơn vị" cell: key or GSO code -> unit_code
    m.suggest(name, *, on=None, level=None)      # -> up to 3 unit_codes of similar names, valid then
    m.explain(name, *, on=None, level=None)      # -> why a name is unknown/ambiguous, how to add a unit

``on`` is the day the name must be valid on: a date, "2025-09-30", or a quarter
(``pd.Period("2025Q3")`` or "2025Q3", meaning its last day). A form passes its period's end
date, so a 2025Q3 form selects the 130 communes/wards and the 14 agencies, and a 2024Q2 form
the 21 district-level units; ``None`` ignores dates.

``level`` ("province", "agency", "district", "commune"; "department" is accepted for
"agency") keeps only units of that level; a form section that says its level passes it. A
name's administrative prefix says its level as well, strictly: "Xã/Phường/Thị trấn X"
matches only communes, "Huyện/Thị xã/Thành phố/TP/TX/H. X" only district-level units,
"Tỉnh X" only the province, "Sở/Ban/Thanh tra/Văn phòng/Trung tâm ..." only agencies. A
prefix that contradicts ``level`` matches nothing. A bare name ("Quỳ Hợp") that fits units
of several levels valid on ``on`` means the highest tier (province, then district-level
unit, then agency, then commune); several units of one level are ambiguous (None).

Names are compared by :func:`~paranalysis.units.names.match_key` (case, diacritics,
spacing and prefixes do not matter); the unit code, the GSO code, ``name_vi``,
``short_name_vi``, ``name_ascii`` and every ``aliases`` entry are names of a unit.
"""

from __future__ import annotations

import difflib

import pandas as pd

from paranalysis.units.names import match_key, prefix_level
from paranalysis.units.registry import HOW_TO_ADD, normalize_level, on_date, reorganisations_before

_TIER = {"province": 0, "district": 1, "agency": 2, "commune": 3}
_LEVEL_WORDS = {"province": "the province", "district": "a district-level unit", "agency": "a provincial agency",
                "commune": "a commune/ward"}


def _text(v) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v).strip()
    return s if s and s.lower() != "nan" else None


def _date(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)) or (isinstance(v, str) and not v.strip()):
        return None
    t = pd.to_datetime(v, errors="coerce")
    return None if pd.isna(t) else pd.Timestamp(t).normalize()


class UnitMatcher:
    """Resolve unit names (and codes) as written in exports to registry keys, by date and
    level. See the module docstring for the rules."""

    def __init__(self, units: pd.DataFrame):
        self.units = units
        self._index: dict[str, set[str]] = {}
        self._level: dict[str, str | None] = {}
        self._from: dict[str, pd.Timestamp | None] = {}
        self._to: dict[str, pd.Timestamp | None] = {}
        self._name: dict[str, str] = {}
        self._gso: dict[str, set[str]] = {}
        cols = set(units.columns)
        for row in units.to_dict("records"):
            code = str(row["unit_code"])
            lv = _text(row.get("level"))
            self._level[code] = normalize_level(lv) if lv else None
            self._from[code] = _date(row.get("valid_from")) if "valid_from" in cols else None
            self._to[code] = _date(row.get("valid_to")) if "valid_to" in cols else None
            self._name[code] = _text(row.get("name_vi")) or code
            gso = _text(row.get("gso_code")) if "gso_code" in cols else None
            if gso:
                self._gso.setdefault(gso, set()).add(code)
            names = [code, gso, row.get("name_vi"), row.get("short_name_vi"), row.get("name_ascii")]
            names += [a for a in str(_text(row.get("aliases")) or "").split("|") if a.strip()]
            for n in names:
                n = _text(n)
                if n:
                    self._index.setdefault(match_key(n), set()).add(code)

    # ------------------------------------------------------------------ filters
    def valid_on(self, code: str, on) -> bool:
        """True if unit ``code`` existed on day ``on`` (None: always)."""
        day = on_date(on)
        if day is None:
            return True
        vf, vt = self._from.get(code), self._to.get(code)
        return (vf is None or vf <= day) and (vt is None or day <= vt)

    def _valid_on(self, codes: set[str], on) -> set[str]:
        """Keep the codes of units that existed on date ``on`` (None keeps all)."""
        if on is None or not codes:
            return set(codes)
        return {c for c in codes if self.valid_on(c, on)}

    def _level_filter(self, codes: set[str], name: str, level) -> set[str]:
        explicit = normalize_level(level)
        implied = prefix_level(name)
        if explicit and implied and explicit != implied:
            return set()
        lv = explicit or implied
        # a unit whose table gives no level (another province's minimal list) is not excluded
        return {c for c in codes if self._level.get(c) in (lv, None)} if lv else set(codes)

    # ------------------------------------------------------------------ API
    def candidates(self, name: str, *, on=None, level=None) -> set[str]:
        """Every unit ``name`` may mean: valid on ``on``, of ``level`` and of the level the
        name's prefix says."""
        codes = set(self._index.get(match_key(name), set()))
        return self._level_filter(self._valid_on(codes, on), name, level)

    def resolve(self, name: str, *, level=None, on=None) -> str | None:
        """The unit ``name`` means on day ``on``, or None if unknown or ambiguous."""
        codes = self.candidates(name, on=on, level=level)
        if len(codes) > 1 and normalize_level(level) is None and prefix_level(name) is None:
            top = min(_TIER.get(self._level.get(c) or "", 9) for c in codes)
            codes = {c for c in codes if _TIER.get(self._level.get(c) or "", 9) == top}
        return next(iter(codes)) if len(codes) == 1 else None

    def resolve_code(self, code, *, on=None, level=None) -> str | None:
        """The unit a code cell ("Mã đơn vị") means on day ``on``: a registry key valid then,
        or a GSO code, which picks the vintage valid on ``on`` (GSO 17866 is Xã Nghi Long
        before 1 July 2025 and Xã Trung Lộc, key 17866-2025, from that day)."""
        s = _text(code)
        if s is None:
            return None
        if isinstance(code, float) and float(code).is_integer():
            s = str(int(code))
        lv = normalize_level(level)

        def ok(c):
            return self.valid_on(c, on) and (lv is None or self._level.get(c) == lv)

        if s in self._level and ok(s):
            return s
        codes = {c for c in self._gso.get(s, set()) if ok(c)}
        return next(iter(codes)) if len(codes) == 1 else None

    def suggest(self, name: str, *, on=None, level=None, n: int = 3) -> list[str]:
        """Up to ``n`` units valid on ``on`` (of ``level`` / the prefix's level) whose names
        are close to ``name``, closest first."""
        keys = [k for k, codes in self._index.items() if self._level_filter(self._valid_on(codes, on), name, level)]
        out: list[str] = []
        for k in difflib.get_close_matches(match_key(name), keys, n=n + 2, cutoff=0.6):
            for c in sorted(self._level_filter(self._valid_on(self._index[k], on), name, level)):
                if c not in out:
                    out.append(c)
        return out[:n]

    def label(self, code: str) -> str:
        return f"{self._name.get(code, code)} ({code})"

    def explain(self, name: str, *, on=None, level=None) -> str:
        """Why ``name`` does not resolve on ``on``, in words, with suggestions from the units
        valid then and how to add a unit."""
        day = on_date(on)
        when = f" on {day.date()}" if day is not None else ""
        valid = self.candidates(name, on=on, level=level)
        if len(valid) > 1:
            names = ", ".join(self.label(c) for c in sorted(valid))
            return (f"'{name}' matches several units valid{when}: {names}; write the name with its prefix "
                    "(Xã/Phường/Huyện/Thị xã/Thành phố) or give the unit code")
        parts = []
        key_codes = set(self._index.get(match_key(name), set()))
        other_time = self._level_filter(key_codes, name, level) - valid
        for c in sorted(other_time):
            vf, vt = self._from.get(c), self._to.get(c)
            if vt is not None and day is not None and day > vt:
                parts.append(f"{self.label(c)} existed until {vt.date()}")
            elif vf is not None and day is not None and day < vf:
                parts.append(f"{self.label(c)} exists only from {vf.date()}")
        other_level = self._valid_on(key_codes, on) - valid
        lv = normalize_level(level) or prefix_level(name)
        if other_level and lv:
            said = f"level='{lv}' asks for" if normalize_level(level) else "its prefix says"
            others = "; ".join(f"{self.label(c)}, {_LEVEL_WORDS.get(self._level.get(c) or '', 'a unit')}"
                               for c in sorted(other_level))
            parts.append(f"{said} {_LEVEL_WORDS[lv]}, but{when} the name matches only {others}")
        if day is not None and not valid:
            changes = reorganisations_before(day)
            if changes and (other_time or not key_codes):
                parts.append(f"{day.date()} is after the reorganisation when {changes[0]}; only units valid "
                             "then match")
        close = self.suggest(name, on=on, level=level)
        if close:
            parts.append("did you mean " + ", ".join(self.label(c) for c in close) + "?")
        parts.append(HOW_TO_ADD)
        return "; ".join(parts)
