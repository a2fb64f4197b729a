"""``harmonize``: one series across Nghệ An's reorganisations.

``harmonize(processing, *, level, on)`` re-aggregates a processing table onto the units of
``level`` ("district", "commune", "agency", "province") that were valid on day ``on``,
following the crosswalk (``paranalysis.units.crosswalk``): e.g. ``level="district",
on="2025-06-30"`` turns 2025Q3+ commune rows into their former district (the 20
district-level units after the Cửa Lò merger) and folds 2024 Cửa Lò rows into Vinh;
``level="agency", on="2025-09-30"`` folds the agencies into their 1 March 2025 successors.

Rules (docs/units.md, "harmonize"):

- A unit valid on ``on`` is its own target (a commune's target at district level is its
  district on that day, December 2024 moves included).
- A unit that ended before ``on`` passes its counts to its ``merged_into`` successors, each
  the share ``weight`` of them (integers kept: largest remainders, so totals are exact).
- A unit that began after ``on`` is traced back to its former units (those with a positive
  weight). If they all fall in one target, it is that target; if one target holds more than
  half of their weight, the whole row goes to it (approximate: the two 2025 communes that
  span two former districts, Xã Vĩnh Tường and Xã Diễn Châu); otherwise the counts cannot be
  divided by anything the data knows, and it is a DataError.
- Rows of units outside the target level's geography (provincial agencies at district or
  commune level; districts and communes at agency level; the province total row except at
  province level) are left out; :func:`harmonization` returns them beside the table
  (``.left_out``: unit_code, period, reason). District rows cannot be divided into
  communes (DataError).
- Totals are conserved: every count of every row that is not left out is in the result,
  once. A target row that would add a unit's own row to rows of its parts (a district row
  and its communes, the province row and any unit) is a DataError (double counting).
- The result has the processing table's columns plus ``approximation``: None where the row
  is exact, else why it is approximate. Optional counts are missing (NA) in a result row if
  any row behind it lacks them. ``synthetic`` rows are never mixed with real ones.
- Combined counts (``received_direct_postal``, ``resolved_early_on_time``: the sums a Biểu 06
  form prints instead of direct/postal and early/on time) are added up themselves, so a
  result row always has them. A part (``received_direct``, ...) is added up only when every
  row behind the result row gives it; if one row gave only the sum (its parts NA), the part
  of the result is NA too (a sum over units, one of which says only "direct + postal", is
  not a known number of direct records). A row shared out by crosswalk weights has its
  parts shared out and its combined count the sum of its shared parts (so every piece stays
  consistent); a row with only the combined count has that shared out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message, day_message
from paranalysis.results import TableResult
from paranalysis.schemas import (COMBINED_COUNT_COLUMNS, COMBINED_COUNTS, COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS,
                                 PROCESSING_COLUMNS, PROCESSING_TABLE_COLUMNS, validate, with_combined)
from paranalysis.units.crosswalk import HIGH_CONFIDENCE, effective_weights, package_crosswalk
from paranalysis.units.registry import normalize_level, on_date, package_units

HARMONIZE_LEVELS = ("district", "commune", "agency", "province")
PROVINCE = "40"
MAX_SOURCES_SHOWN = 5


@dataclass
class _Map:
    """Where one input unit's counts go: target -> share, and why it is approximate."""

    shares: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    left_out: str | None = None
    error: str | None = None


class _Registry:
    def __init__(self, units: pd.DataFrame, crosswalk: pd.DataFrame):
        u = units.set_index("unit_code")
        self.level = {c: normalize_level(v) if isinstance(v, str) else None for c, v in u["level"].items()}
        self.name = u["name_vi"].to_dict()
        self.parent = {c: (None if p is None or (isinstance(p, float) and np.isnan(p)) else str(p))
                       for c, p in u["parent_code"].items()}
        self.vf = {c: (None if pd.isna(v) else pd.Timestamp(v)) for c, v in u["valid_from"].items()}
        self.vt = {c: (None if pd.isna(v) else pd.Timestamp(v)) for c, v in u["valid_to"].items()}
        cw = crosswalk
        m = cw[cw["relation"] == "merged_into"].assign(w=effective_weights(cw[cw["relation"] == "merged_into"]))
        self.out_links: dict[str, list] = {}
        self.in_links: dict[str, list] = {}
        for r in m.itertuples(index=False):
            link = (r.from_code, r.to_code, r.effective, float(r.w), r.merge_type, r.confidence)
            self.out_links.setdefault(r.from_code, []).append(link)
            self.in_links.setdefault(r.to_code, []).append(link)
        p = cw[cw["relation"] == "parent"]
        self.parent_links: dict[str, list] = {}
        for r in p.itertuples(index=False):
            self.parent_links.setdefault(r.from_code, []).append((r.effective, r.to_code, r.confidence))

    def label(self, code: str) -> str:
        return f"{self.name.get(code, code)} ({code})"

    def valid(self, code: str, day: pd.Timestamp) -> bool:
        vf, vt = self.vf.get(code), self.vt.get(code)
        return (vf is None or vf <= day) and (vt is None or day <= vt)

    def parent_on(self, code: str, day: pd.Timestamp) -> tuple[str | None, str | None]:
        """(district on ``day``, reason if the link is not high-confidence)."""
        links = [lk for lk in self.parent_links.get(code, []) if pd.isna(lk[0]) or lk[0] <= day]
        if links:
            eff, to, conf = max(links, key=lambda lk: pd.Timestamp.min if pd.isna(lk[0]) else lk[0])
            why = None if conf in HIGH_CONFIDENCE else (
                f"{self.label(code)} in {self.label(to)} on {day.date()} by a link of confidence {conf}")
            return to, why
        return self.parent.get(code), None


def _link_reason(reg: _Registry, link) -> str | None:
    f, t, eff, w, mt, conf = link
    if mt == "partial":
        return f"{reg.label(f)} was split (partial link to {reg.label(t)}, weight {w:g})"
    if conf is not None and conf not in HIGH_CONFIDENCE:
        return f"link {reg.label(f)} -> {reg.label(t)} has confidence {conf}"
    return None


def _forward(reg: _Registry, code: str, day: pd.Timestamp, depth: int = 0) -> tuple[dict, list, str | None]:
    """Same-level units valid on ``day`` that a unit which ended before ``day`` became."""
    if reg.valid(code, day):
        return {code: 1.0}, [], None
    if depth > 10:
        return {}, [], Message("problem.model.crosswalk_loops", unit=reg.label(code))
    vf = reg.vf.get(code)
    if vf is not None and day < vf:
        return _backward(reg, code, day, depth + 1)
    links = [lk for lk in reg.out_links.get(code, []) if pd.isna(lk[2]) or lk[2] <= day]
    if not links:
        return {}, [], Message("problem.model.no_successor", unit=reg.label(code), end=day_message(reg.vt[code]),
                               day=day_message(day))
    shares: dict[str, float] = {}
    reasons: list[str] = []
    for lk in links:
        why = _link_reason(reg, lk)
        if why:
            reasons.append(why)
        if lk[3] <= 0:
            continue
        sub, sub_reasons, err = _forward(reg, lk[1], day, depth + 1)
        if err:
            return {}, [], err
        reasons += sub_reasons
        for t, s in sub.items():
            shares[t] = shares.get(t, 0.0) + lk[3] * s
    if len([s for s in shares.values() if 0 < s < 1]) > 0:
        reasons.append(f"{reg.label(code)}'s counts shared out by crosswalk weights "
                       + ", ".join(f"{reg.label(t)} {s:.0%}" for t, s in sorted(shares.items())))
    return shares, reasons, None


def _backward(reg: _Registry, code: str, day: pd.Timestamp, depth: int = 0) -> tuple[dict, list, str | None]:
    """Same-level units valid on ``day`` that a unit which began after ``day`` was formed
    from, with their weights (not shares: the caller decides how a row is allocated)."""
    if reg.valid(code, day):
        return {code: 1.0}, [], None
    if depth > 10:
        return {}, [], Message("problem.model.crosswalk_loops", unit=reg.label(code))
    links = [lk for lk in reg.in_links.get(code, []) if not pd.isna(lk[2]) and lk[2] > day]
    if not links:
        return {}, [], Message("problem.model.no_predecessor", unit=reg.label(code), start=day_message(reg.vf[code]),
                               day=day_message(day))
    members: dict[str, float] = {}
    reasons: list[str] = []
    for lk in links:
        # a partial link only matters back in time if its part lands elsewhere (_allocate_back)
        if lk[5] is not None and lk[5] not in HIGH_CONFIDENCE:
            reasons.append(f"link {reg.label(lk[0])} -> {reg.label(lk[1])} has confidence {lk[5]}")
        sub, sub_reasons, err = _backward(reg, lk[0], day, depth + 1)
        if err:
            return {}, [], err
        reasons += sub_reasons
        for t, s in sub.items():
            members[t] = members.get(t, 0.0) + lk[3] * s
    return members, reasons, None


def _allocate_back(reg: _Registry, code: str, weights: dict[str, float], reasons: list[str], what: str) -> _Map:
    """One target for a unit traced back to several: exact if one, the dominant one (more
    than half the weight) if several, else an error. Former units of weight 0 (the part of
    a split commune the weight rule sends elsewhere) that fall in another target make the
    row approximate."""
    zero = sorted(t for t, w in weights.items() if w <= 0)
    weights = {t: w for t, w in weights.items() if w > 0}
    if not weights:
        return _Map(error=Message("problem.model.no_positive_weight", unit=reg.label(code)))
    total = sum(weights.values())
    best = min(weights, key=lambda t: (-weights[t], t))
    elsewhere = [t for t in zero if t != best] + [t for t in sorted(weights) if t != best]
    if len(weights) == 1 and not elsewhere:
        return _Map(shares={best: 1.0}, reasons=reasons)
    if weights[best] / total > 0.5:
        why = (f"{reg.label(code)} spans {reg.label(best)} and {', '.join(reg.label(t) for t in elsewhere)} "
               f"(crosswalk); counted whole for {reg.label(best)}, which holds "
               f"{weights[best] / total:.0%} of its former units by crosswalk weight")
        return _Map(shares={best: 1.0}, reasons=reasons + [why])
    return _Map(error=Message("problem.model.cannot_divide_back", unit=reg.label(code), what=what,
                              formers=", ".join(reg.label(t) for t in sorted(weights))))


def _map_unit(reg: _Registry, code: str, level: str, day: pd.Timestamp) -> _Map:
    lv = reg.level.get(code)
    if level == "province":
        return _Map(shares={PROVINCE: 1.0})
    if code == PROVINCE:
        return _Map(left_out="the province's own row")
    if level == "agency":
        if lv != "agency":
            return _Map(left_out=f"not a provincial agency ({lv})")
        if reg.valid(code, day) or (reg.vt.get(code) is not None and reg.vt[code] < day):
            shares, reasons, err = _forward(reg, code, day)
            return _Map(error=err) if err else _Map(shares=shares, reasons=reasons)
        w, reasons, err = _backward(reg, code, day)
        return _Map(error=err) if err else _allocate_back(reg, code, w, reasons,
                                                          Message("problem.model.former_agencies"))
    if lv == "agency":
        return _Map(left_out="a provincial agency, not part of any district or commune")
    if level == "commune":
        if lv == "district":
            return _Map(error=Message("problem.model.district_to_communes", unit=reg.label(code)))
        if reg.valid(code, day) or (reg.vt.get(code) is not None and reg.vt[code] < day):
            shares, reasons, err = _forward(reg, code, day)
            return _Map(error=err) if err else _Map(shares=shares, reasons=reasons)
        w, reasons, err = _backward(reg, code, day)
        return _Map(error=err) if err else _allocate_back(reg, code, w, reasons,
                                                          Message("problem.model.former_communes"))
    # level == "district"
    if lv == "district":
        if reg.valid(code, day) or (reg.vt.get(code) is not None and reg.vt[code] < day):
            shares, reasons, err = _forward(reg, code, day)
            return _Map(error=err) if err else _Map(shares=shares, reasons=reasons)
        w, reasons, err = _backward(reg, code, day)
        return _Map(error=err) if err else _allocate_back(reg, code, w, reasons,
                                                          Message("problem.model.former_districts"))
    # a commune: to communes valid on the day (either way), then up to their district
    if reg.valid(code, day) or (reg.vt.get(code) is not None and reg.vt[code] < day):
        base, reasons, err = _forward(reg, code, day)
        back = False
    else:
        base, reasons, err = _backward(reg, code, day)
        back = True
    if err:
        return _Map(error=err)
    up: dict[str, float] = {}
    for c, s in base.items():
        d, why = reg.parent_on(c, day)
        if d is None or reg.level.get(d) != "district":
            return _Map(error=Message("problem.model.no_district_parent", unit=reg.label(c), day=day_message(day)))
        if why:
            reasons.append(why)
        up[d] = up.get(d, 0.0) + s
    if back:
        return _allocate_back(reg, code, up, reasons, Message("problem.model.former_districts"))
    return _Map(shares=up, reasons=reasons)


def _na(v) -> bool:
    """``pd.isna`` of one count, without its cost for a plain int (most counts)."""
    return type(v) is not int and (v is None or v is pd.NA or pd.isna(v))


def _split(value, shares: list[tuple[str, float]]) -> list[int | None]:
    """An integer count shared out by ``shares`` (summing to 1): floors plus the largest
    remainders, so the parts add up to the count exactly."""
    if _na(value):
        return [None] * len(shares)
    v = int(value)
    if len(shares) == 1 and shares[0][1] == 1.0:  # the row goes whole to one unit (most rows)
        return [v]
    raw = [v * s for _, s in shares]
    parts = [int(np.floor(x)) for x in raw]
    rest = v - sum(parts)
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - parts[i]), shares[i][0]))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _split_row(row: dict, counts: list[str], shares: list[tuple[str, float]]) -> dict[str, list]:
    """Every count of one row shared out by ``shares``. Where both parts of a combined count
    are known, the combined count of each piece is the sum of its shared parts (largest
    remainders applied to the sum on its own could disagree with them by one); else the
    combined count (the only figure the form gave) is shared out and the parts stay NA."""
    if len(shares) == 1 and shares[0][1] == 1.0:  # the whole row to one unit (_split's first case)
        split = {c: [None if _na(row[c]) else int(row[c])] for c in counts}
    else:
        split = {c: _split(row[c], shares) for c in counts}
    for c, (a, b) in COMBINED_COUNTS.items():
        if not (_na(row[a]) or _na(row[b])):
            split[c] = [x + y for x, y in zip(split[a], split[b])]
    return split


def _sum_known(values: list) -> int | None:
    """The sum of one count over the pieces of a result row, or None (NA) unless every
    piece gives it: pandas ``sum(min_count=len(values))``, so a part that one unit did not
    report (its form gave only the combined count) is not passed off as known."""
    total = 0
    for v in values:  # plain Python: this runs once per count and result row (tens of thousands)
        if _na(v):
            return None
        total += int(v)
    return total


@dataclass(repr=False)
class Harmonized(TableResult):
    """Result of :func:`harmonization`: ``table`` (the harmonized processing table),
    ``left_out`` (rows of units outside the level's geography: unit_code, period, reason)
    and ``settings`` (``level``, ``on``)."""

    @property
    def left_out(self) -> pd.DataFrame:
        return self.meta["left_out"]


def harmonize(processing, *, level: str, on, units: pd.DataFrame | None = None,
              crosswalk: pd.DataFrame | None = None) -> pd.DataFrame:
    """Re-aggregate processing counts onto the units of ``level`` ("district", "commune",
    "agency", "province") valid on day ``on`` (a date or a quarter, meaning its last day).

    ``processing`` is a processing table or a :class:`~paranalysis.Dataset` (whose units
    and crosswalk, with a folder's overrides, are then used). Returns the processing
    columns plus ``approximation`` (None = exact; else why). The rows left out (units
    outside the level's geography) are listed by :func:`harmonization`, which returns the
    same table with them. See the module docstring."""
    return harmonization(processing, level=level, on=on, units=units, crosswalk=crosswalk).table


#: the last few harmonizations of this process, by a fingerprint of their inputs
#: (:func:`_input_key`): a report harmonizes the same table several times
_CACHE: "OrderedDict[tuple, Harmonized]" = OrderedDict()
_CACHE_SIZE = 8


def _frame_key(df) -> tuple | None:
    """A fingerprint of a table's content: its columns, dtypes, shape and a digest of
    pandas' row hashes (index included); None when the table cannot be hashed."""
    if df is None:
        return ("none",)
    if not isinstance(df, pd.DataFrame):
        return None
    # pandas hashes the values of an object column that are not all text as their text
    # (5, 5.0 and "5" alike): such a column's kinds of values are part of the key, and a
    # column mixing kinds is not fingerprinted
    kinds = []
    for i in np.flatnonzero((df.dtypes == object).to_numpy()):
        kind = pd.api.types.infer_dtype(df.iloc[:, i], skipna=True)
        if kind not in _ONE_KIND:
            return None
        kinds.append(kind)
    try:
        rows = pd.util.hash_pandas_object(df, index=True).to_numpy()
    except (TypeError, ValueError):
        return None
    return (tuple(map(str, df.columns)), tuple(map(str, df.dtypes)), tuple(kinds), df.shape,
            hashlib.sha1(rows.tobytes()).hexdigest())


_ONE_KIND = {"string", "empty", "integer", "floating", "boolean"}


def _input_key(processing, level, on, units, crosswalk) -> tuple | None:
    keys = [_frame_key(processing), _frame_key(units), _frame_key(crosswalk)]
    if any(k is None for k in keys):
        return None
    try:
        hash(level), hash(on)
    except TypeError:
        return None
    return (*keys, type(level).__name__, level, type(on).__name__, on)


def _copy(h: Harmonized) -> Harmonized:
    """A copy the caller may change without changing the cached one."""
    return replace(h, table=h.table.copy(), settings=dict(h.settings),
                   meta={k: v.copy() if isinstance(v, pd.DataFrame) else v for k, v in h.meta.items()})


def harmonization(processing, *, level: str, on, units: pd.DataFrame | None = None,
                  crosswalk: pd.DataFrame | None = None) -> Harmonized:
    """:func:`harmonize` with what it left out: ``.table`` is the harmonized table,
    ``.left_out`` the rows of units outside the level's geography (unit_code, period as
    text, reason), ``.settings`` the level and day.

    The same inputs (same table content, units, crosswalk, level and day) harmonized again
    in the same process are served from a small cache, as a fresh copy."""
    if hasattr(processing, "processing") and hasattr(processing, "units"):
        ds = processing
        processing = ds.processing
        units = ds.units if units is None else units
        crosswalk = getattr(ds, "crosswalk", None) if crosswalk is None else crosswalk
    key = _input_key(processing, level, on, units, crosswalk)
    if key is not None and key in _CACHE:
        _CACHE.move_to_end(key)
        return _copy(_CACHE[key])
    h = _harmonization(processing, level=level, on=on, units=units, crosswalk=crosswalk)
    if key is not None:
        _CACHE[key] = _copy(h)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return h


def _setup(level: str, on, units: pd.DataFrame | None, crosswalk: pd.DataFrame | None):
    """The level, the day and the registry of a harmonization (checked)."""
    lv = normalize_level(level)
    if lv not in HARMONIZE_LEVELS:
        raise ValueError(f"level {level!r}: expected one of {', '.join(HARMONIZE_LEVELS)}")
    day = on_date(on)
    if day is None:
        raise ValueError("on: the day whose map the counts are put on (e.g. '2025-06-30')")
    units = package_units() if units is None else units
    crosswalk = package_crosswalk() if crosswalk is None else crosswalk
    reg = _Registry(units, crosswalk)
    targets = {c for c, l in reg.level.items() if l == lv and reg.valid(c, day)}
    if not targets:
        raise DataError([Problem(column="level", value=Message("problem.value.level_on_day", level=lv, day=day.date()),
                                 expected=Message("problem.model.level_without_units",
                                                  level=Message(f"problem.model.level_{lv}")))])
    return lv, day, reg


def _maps(reg: _Registry, codes: list[str], lv: str, day: pd.Timestamp) -> dict[str, _Map]:
    """Where each unit's counts go (a DataError for unknown units or counts that cannot go anywhere)."""
    unknown = [c for c in codes if c not in reg.level]
    if unknown:
        raise DataError([Problem(column="unit_code", value=c, expected=Message("problem.model.unknown_unit_code"))
                         for c in unknown[:200]])
    maps = {c: _map_unit(reg, c, lv, day) for c in codes}
    errors = [Problem(column="unit_code", value=c, expected=m.error) for c, m in maps.items() if m.error]
    if errors:
        raise DataError(errors)
    return maps


def unit_targets(codes, *, level: str, on, units: pd.DataFrame | None = None,
                 crosswalk: pd.DataFrame | None = None) -> dict[str, str]:
    """For each unit code, the unit of ``level`` valid on ``on`` that gets most of a count of
    the unit (1,000,000 records shared out as :func:`harmonize` shares them; on a tie the
    lower code); a unit harmonize leaves out maps to itself. The same errors as harmonize."""
    lv, day, reg = _setup(level, on, units, crosswalk)
    codes = sorted({str(c) for c in codes})
    out = {c: c for c in codes}
    for c, m in _maps(reg, codes, lv, day).items():
        if m.left_out:
            continue
        shares = sorted(m.shares.items())
        pieces = [(n, t) for (t, _), n in zip(shares, _split(1_000_000, shares)) if n > 0]
        if pieces:
            out[c] = min(pieces, key=lambda nt: (-nt[0], nt[1]))[1]
    return out


def _harmonization(processing, *, level: str, on, units: pd.DataFrame | None,
                   crosswalk: pd.DataFrame | None) -> Harmonized:
    lv, day, reg = _setup(level, on, units, crosswalk)
    missing = [c for c in PROCESSING_COLUMNS if c not in processing.columns]
    if missing:
        raise DataError([Problem(column=c, expected=Message("problem.model.processing_column")) for c in missing])
    # the combined counts derived from their parts where a table lacks them (PROCESSING_COLUMNS)
    df = with_combined(processing.reset_index(drop=True))
    codes = sorted(df["unit_code"].astype(str).unique())
    maps = _maps(reg, codes, lv, day)

    pieces, left = [], []
    counts = COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS
    for row in df.to_dict("records"):
        code = str(row["unit_code"])
        m = maps[code]
        if m.left_out:
            left.append({"unit_code": code, "period": row["period"], "reason": m.left_out})
            continue
        reasons = list(m.reasons)
        # a continuing unit that absorbed others after ``day``: its later rows include them
        for f, t, eff, w, mt, conf in reg.in_links.get(code, []):
            if not pd.isna(eff) and eff > day and row["period"].end_time >= eff and code in m.shares:
                reasons.append(f"{reg.label(code)} includes {reg.label(f)} from {eff.date()} (merged; not separable)")
        shares = sorted(m.shares.items())
        split = _split_row(row, counts, shares)
        for i, (t, _) in enumerate(shares):
            pieces.append({"unit_code": t, "period": row["period"], **{c: split[c][i] for c in counts},
                           "synthetic": bool(row["synthetic"]), "source": row["source"],
                           "_level": reg.level.get(code), "_from": code, "_why": reasons})
    out_rows, problems = [], []
    grouped: dict[tuple, list] = {}
    for p in pieces:
        grouped.setdefault((p["unit_code"], p["period"]), []).append(p)
    for (t, period), ps in sorted(grouped.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        levels = {p["_level"] for p in ps}
        froms = sorted({p["_from"] for p in ps})
        if (PROVINCE in froms and len(froms) > 1) or ({"district", "commune"} <= levels):
            problems.append(Problem(column="unit_code", value=f"{t} {period}",
                                    expected=Message("problem.model.counted_twice", units=", ".join(froms))))
            continue
        synth = {p["synthetic"] for p in ps}
        if len(synth) > 1:
            problems.append(Problem(column="synthetic", value=f"{t} {period}",
                                    expected=Message("problem.model.synthetic_mixed")))
            continue
        rec = {"unit_code": t, "period": period}
        if len(ps) == 1:  # one piece: its counts as they are (_sum_known of one value)
            rec.update({c: None if _na(ps[0][c]) else int(ps[0][c]) for c in counts})
        else:
            for c in counts:  # combined counts summed themselves; a part NA if any piece lacks it
                rec[c] = _sum_known([p[c] for p in ps])
        rec["synthetic"] = synth.pop()
        srcs = sorted({str(p["source"]) for p in ps if p["source"] is not None and not pd.isna(p["source"])})
        if len(froms) > 1 or froms != [t]:
            head = f"harmonized onto {t} from {', '.join(froms)}"
            shown = srcs[:MAX_SOURCES_SHOWN] + ([f"... {len(srcs) - MAX_SOURCES_SHOWN} more"]
                                                if len(srcs) > MAX_SOURCES_SHOWN else [])
            rec["source"] = head + (": " + " ; ".join(shown) if shown else "")
        else:
            rec["source"] = srcs[0] if srcs else None
        why = list(dict.fromkeys(w for p in ps for w in p["_why"]))
        rec["approximation"] = "; ".join(why) if why else None
        out_rows.append(rec)
    if problems:
        raise DataError(problems)
    out = pd.DataFrame(out_rows, columns=["unit_code", "period", *counts, "synthetic", "source", "approximation"])
    out["unit_code"] = out["unit_code"].astype(str)
    out["period"] = pd.PeriodIndex(out["period"], freq="Q-DEC") if len(out) else pd.PeriodIndex([], freq="Q-DEC")
    for c in counts:
        out[c] = pd.array(out[c].tolist(), dtype="Int64")
    out["synthetic"] = out["synthetic"].astype(bool)
    out["source"] = out["source"].astype(object)
    approx = out["approximation"].astype(object).where(out["approximation"].notna(), None)
    res = validate(out[PROCESSING_TABLE_COLUMNS].copy(), "processing")
    res["approximation"] = approx.to_numpy()
    left_out = pd.DataFrame([{"unit_code": r["unit_code"], "period": str(r["period"]), "reason": r["reason"]}
                             for r in left], columns=["unit_code", "period", "reason"])
    return Harmonized(table=res, meta={"left_out": left_out}, title=f"harmonized onto {lv} units of {day.date()}",
                      settings={"level": lv, "on": str(day.date())})
