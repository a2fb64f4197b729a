"""Matching unit names and codes, as forms write them, to registry keys, by date and level.

The API other readers call (``paranalysis.forms`` among them)::

    m = UnitMatcher(units)                       # a units table (package_units() or ds.units)
    m.resolve(name, *, level=None, on=None, within=None)    # -> unit_code or None
    m.candidates(name, *, on=None, level=None, within=None) # -> set of unit_codes it may mean
    m.resolve_code(code, *, on=None, level=None)  # a "Mã đơn vị" cell: key or GSO code -> unit_code
    m.suggest(name, *, on=None, level=None)       # -> up to 3 unit_codes of similar names, valid then
    m.explain(name, *, on=None, level=None)       # -> why a name is unknown/ambiguous, how to add one
    m.parent_on(code, on)                         # -> the district a commune belonged to that day

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
unit, then agency, then commune); several units of one level are ambiguous (None), unless
``within`` (a district code, or several) says which district the commune was in that day
(the 412 old communes repeat 22 names: "Xã Tân Sơn" was in Đô Lương and in Quỳnh Lưu).

Names are compared by :func:`~paranalysis.units.names.match_key` (case, diacritics,
spacing and prefixes do not matter); the unit code, the GSO code, ``name_vi``,
``short_name_vi``, ``name_ascii`` and every ``aliases`` entry are names of a unit.
"""

from __future__ import annotations

import difflib

import pandas as pd

from paranalysis.units.names import match_key, prefix_level
from paranalysis.i18n import Message, day_message, joined
from paranalysis.units.registry import HOW_TO_ADD, normalize_level, on_date, reorganisations_before

_TIER = {"province": 0, "district": 1, "agency": 2, "commune": 3}
#: a unit of each level in words (catalogue ``units.level_<level>``)
_LEVEL_WORDS = {lv: Message(f"units.level_{lv}") for lv in ("province", "district", "agency", "commune")}
_A_UNIT = Message("units.level_other")


#: the prefixes that tell a unit's level, as forms write them
_PREFIXES = "Xã/Phường/Huyện/Thị xã/Thành phố"


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

    def __init__(self, units: pd.DataFrame, *, crosswalk: pd.DataFrame | None = None):
        self.units = units
        self._crosswalk = crosswalk
        self._parent = {str(c): _text(p) for c, p in zip(units["unit_code"], units["parent_code"])} \
            if "parent_code" in units.columns else {}
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
        return self._valid_day(code, on_date(on))

    def _valid_day(self, code: str, day) -> bool:
        if day is None:
            return True
        vf, vt = self._from.get(code), self._to.get(code)
        return (vf is None or vf <= day) and (vt is None or day <= vt)

    def _valid_on(self, codes: set[str], on) -> set[str]:
        """Keep the codes of units that existed on date ``on`` (None keeps all)."""
        if on is None or not codes:
            return set(codes)
        day = on_date(on)
        return {c for c in codes if self._valid_day(c, day)}

    def _keys_for(self, day, lv: str | None) -> list[str]:
        """Match keys with a unit valid on ``day`` of level ``lv`` (cached: suggestions for
        many unknown names of one form cost one pass)."""
        cache = self.__dict__.setdefault("_keys_cache", {})
        k = (day, lv)
        if k not in cache:
            cache[k] = [key for key, codes in self._index.items()
                        if any(self._valid_day(c, day) and (lv is None or self._level.get(c) in (lv, None))
                               for c in codes)]
        return cache[k]

    def _level_filter(self, codes: set[str], name: str, level) -> set[str]:
        explicit = normalize_level(level)
        implied = prefix_level(name)
        if explicit and implied and explicit != implied:
            return set()
        lv = explicit or implied
        # a unit whose table gives no level (another province's minimal list) is not excluded
        return {c for c in codes if self._level.get(c) in (lv, None)} if lv else set(codes)

    # ------------------------------------------------------------------ API
    def parent_on(self, code: str, on=None) -> str | None:
        """The unit ``code`` belonged to on day ``on``: its ``parent`` crosswalk links (the
        December 2024 moves), else its ``parent_code``."""
        if self._crosswalk is None:
            from paranalysis.units.crosswalk import package_crosswalk

            self._crosswalk = package_crosswalk()
        links = self.__dict__.get("_parent_links")
        if links is None:
            cw = self._crosswalk
            links = {}
            for r in cw[cw["relation"] == "parent"].itertuples(index=False):
                links.setdefault(r.from_code, []).append((r.effective, r.to_code))
            self._parent_links = links
        day = on_date(on)
        mine = [lk for lk in links.get(code, []) if day is None or pd.isna(lk[0]) or lk[0] <= day]
        if mine:
            return max(mine, key=lambda lk: pd.Timestamp.min if pd.isna(lk[0]) else lk[0])[1]
        return self._parent.get(code)

    def _within(self, codes: set[str], within, on) -> set[str]:
        if within is None:
            return codes
        allowed = {str(within)} if isinstance(within, (str, int)) else {str(w) for w in within}
        return {c for c in codes if self.parent_on(c, on) in allowed}

    def candidates(self, name: str, *, on=None, level=None, within=None) -> set[str]:
        """Every unit ``name`` may mean: valid on ``on``, of ``level`` and of the level the
        name's prefix says, and (if ``within`` is given: a district code or several) in
        that district on that day."""
        codes = set(self._index.get(match_key(name), set()))
        return self._within(self._level_filter(self._valid_on(codes, on), name, level), within, on)

    def resolve(self, name: str, *, level=None, on=None, within=None) -> str | None:
        """The unit ``name`` means on day ``on``, or None if unknown or ambiguous.
        ``within`` (a district code, e.g. from a form's district section) decides between
        communes of one name in different districts."""
        codes = self.candidates(name, on=on, level=level, within=within)
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
        explicit, implied = normalize_level(level), prefix_level(name)
        if explicit and implied and explicit != implied:
            return []
        keys = self._keys_for(on_date(on), explicit or implied)
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
        cache = self.__dict__.setdefault("_explain_cache", {})
        ck = (name.strip(), day, normalize_level(level))
        if ck not in cache:
            if len(cache) > 10_000:
                cache.clear()
            cache[ck] = self._explain(name, day, level)
        return cache[ck]

    def _explain(self, name: str, day, level) -> str:
        on = day
        when = Message("units.when", day=day_message(day)) if day is not None else ""
        valid = self.candidates(name, on=on, level=level)
        if len(valid) > 1:
            names = ", ".join(self.label(c) for c in sorted(valid))
            return Message("units.several", name=name, when=when, names=names, prefixes=_PREFIXES)
        parts = []
        key_codes = set(self._index.get(match_key(name), set()))
        other_time = self._level_filter(key_codes, name, level) - valid
        for c in sorted(other_time):
            vf, vt = self._from.get(c), self._to.get(c)
            if vt is not None and day is not None and day > vt:
                parts.append(Message("units.existed_until", unit=self.label(c), day=day_message(vt)))
            elif vf is not None and day is not None and day < vf:
                parts.append(Message("units.exists_from", unit=self.label(c), day=day_message(vf)))
        other_level = self._valid_on(key_codes, on) - valid
        lv = normalize_level(level) or prefix_level(name)
        if other_level and lv:
            said = Message("units.level_asks", level=lv) if normalize_level(level) else Message("units.prefix_says")
            others = joined("; ", [joined(", ", [self.label(c), _LEVEL_WORDS.get(self._level.get(c) or "", _A_UNIT)])
                                   for c in sorted(other_level)])
            parts.append(Message("units.other_level", said=said, level=_LEVEL_WORDS[lv], when=when, others=others))
        if day is not None and not valid:
            changes = reorganisations_before(day)
            if changes and (other_time or not key_codes):
                parts.append(Message("units.after_reorganisation", day=day_message(day), change=changes[0]))
        close = self.suggest(name, on=on, level=level)
        if close:
            parts.append(Message("units.did_you_mean", names=", ".join(self.label(c) for c in close)))
        parts.append(HOW_TO_ADD)
        return joined("; ", parts)
