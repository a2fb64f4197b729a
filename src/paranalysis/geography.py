"""Which units an analysis compares, and one series across Nghệ An's reorganisations.

The province's map changed three times: Cửa Lò merged into Vinh (1 Dec 2024), the
provincial agencies merged into 14 (1 Mar 2025), and on 1 Jul 2025 the district tier was
abolished and 412 communes became 130 communes and wards. So:

- **compared units** of a quarter are the units reporting at the most common level in that
  quarter (district-level units before 2025Q3, the new communes from 2025Q3); a province
  total row or an agency is never ranked against them (:func:`compared_units`);
- a **series across the break** is built on one geography: the rows of the compared levels
  re-aggregated by :func:`paranalysis.harmonize` onto the units valid on one date (by
  default the 20 district-level units of 30 June 2025, Vinh including Cửa Lò)
  (:func:`harmonized_processing`); investments follow their unit
  (:func:`harmonized_investments`), so the investment models get one balanced panel
  (:func:`harmonized_panel`) instead of dropping the units whose map changed;
- :func:`crossing_lines` says in plain words which reorganisations a series crosses.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, Message, display_table, has, quarter_label, t, t_or
from paranalysis.periods import QUARTER_FREQ, to_period

#: the geography the investment models use: district-level units valid on this date
HARMONIZED_LEVEL = "district"
HARMONIZED_ON = "2025-06-30"
#: levels whose rows make up the province's series (agencies and the province row do not)
AREA_LEVELS = ("district", "commune")

#: the reorganisations a series can cross: (key, first quarter in the new map, scope)
REORGANISATIONS = (
    ("vinh_cua_lo", pd.Period("2024Q4", freq=QUARTER_FREQ), "area"),
    ("agencies_14", pd.Period("2025Q2", freq=QUARTER_FREQ), "agency"),
    ("two_level", pd.Period("2025Q3", freq=QUARTER_FREQ), "area"),
)



def text(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """A sentence of this module in ``lang`` (catalogue key ``geo.<key>``)."""
    return t(f"geo.{key}", lang, **values)


# ------------------------------------------------------------------------------------
# compared units
# ------------------------------------------------------------------------------------

def _level_map(ds) -> pd.Series:
    return ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]


def _levels(ds, codes, level_map: pd.Series | None = None) -> pd.Series:
    return (_level_map(ds) if level_map is None else level_map).reindex(list(codes))


def _top_level(level: pd.Series) -> str | None:
    """The most common level of a quarter's units (``level``: one per unit)."""
    return _most_common(level.tolist())


def _most_common(levels: list):
    """The most common known value of ``levels`` as text (on a tie the first to appear, as
    ``value_counts`` orders them); None when none is known."""
    counts: dict = {}
    for v in levels:
        if not pd.isna(v):
            counts[v] = counts.get(v, 0) + 1
    if not counts:
        return None
    top = max(counts.values())
    return str(next(v for v, n in counts.items() if n == top))


def _compared(codes, level: pd.Series) -> list[str]:
    return _compared_of(list(codes), level.tolist())


def _compared_of(codes: list, levels: list) -> list[str]:
    """The codes at the most common level (all of them when no level is known), sorted."""
    top = _most_common(levels)
    if top is not None:
        codes = [c for c, v in zip(codes, levels) if v == top]
    return sorted(codes)


def compared_level(ds, quarter) -> str | None:
    """The administrative level most units report at in ``quarter`` ("district" before
    2025Q3, "commune" from then on in Nghệ An); None when no row has a known level."""
    q = to_period(quarter)
    codes = ds.processing.loc[ds.processing["period"] == q, "unit_code"].unique()
    return _top_level(_levels(ds, codes))


def compared_units(ds, quarter) -> list[str]:
    """The units compared with each other in ``quarter``: those reporting at the most
    common level (so a province total row or an agency is never ranked against districts
    or communes). Without level information, every unit of the quarter."""
    q = to_period(quarter)
    codes = ds.processing.loc[ds.processing["period"] == q, "unit_code"].unique()
    return _compared(codes, _levels(ds, codes))


def compared_rows(ds, quarters=None) -> pd.DataFrame:
    """Processing rows of each quarter's compared units (districts, then communes): their
    sums are the province's series across the break, with no province or agency row."""
    p = ds.processing
    qs = sorted(p["period"].unique()) if quarters is None else [to_period(x) for x in quarters]
    # the rows of each quarter and the units' levels found once, not once per quarter
    rows = p if quarters is None else p[p["period"].isin(qs)]  # (a headline asks for three quarters)
    by_q = {k: part for k, part in rows.groupby("period", sort=False)} if len(rows) else {}
    lv = _level_map(ds).to_dict()
    keep = []
    for q in qs:
        part = by_q.get(q, p.iloc[0:0])
        codes = list(part["unit_code"].unique())
        units = set(_compared_of(codes, [lv.get(c, np.nan) for c in codes]))
        keep.append(part[part["unit_code"].isin(units)])
    if not keep:
        return p.iloc[0:0]
    return pd.concat(keep).sort_values(["unit_code", "period"]).reset_index(drop=True)


# ------------------------------------------------------------------------------------
# one geography across the break
# ------------------------------------------------------------------------------------

def area_rows(ds, end=None) -> pd.DataFrame:
    """Rows of district- and commune-level units up to ``end`` (the rows that add up to
    the province's territory; agencies and the province row are left out)."""
    p = ds.processing
    level = p["unit_code"].map(ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"])
    rows = p[level.isin(AREA_LEVELS).to_numpy()]
    if end is not None:
        rows = rows[rows["period"] <= to_period(end)]
    return rows.reset_index(drop=True)


def harmonized_processing(ds, *, end=None, level: str = HARMONIZED_LEVEL, on: str = HARMONIZED_ON) -> pd.DataFrame:
    """District and commune rows up to ``end`` re-aggregated onto the units of ``level``
    valid on ``on`` (:func:`paranalysis.harmonize`): with the defaults, the 20
    district-level units of 30 June 2025, every quarter from the first to ``end``."""
    from paranalysis import harmonize

    rows = area_rows(ds, end)
    if rows.empty:
        return rows
    return harmonize(rows, level=level, on=on).sort_values(["unit_code", "period"]).reset_index(drop=True)


def unit_map(codes, *, level: str = HARMONIZED_LEVEL, on: str = HARMONIZED_ON) -> dict:
    """For each unit code, the unit of ``level`` valid on ``on`` that the unit's records go
    to under :func:`paranalysis.harmonize` (where they are divided, the unit receiving most
    of them); a code harmonize leaves out (an agency at district level) maps to itself."""
    return dict(_unit_map(tuple(sorted({str(c) for c in codes})), level, str(on)))


@lru_cache(maxsize=32)
def _unit_map(codes: tuple, level: str, on: str) -> tuple:
    from paranalysis.harmonize import unit_targets

    if not codes:
        return ()
    # where harmonize sends most of a unit's records (the package's units and crosswalk)
    return tuple(sorted(unit_targets(codes, level=level, on=on).items()))


def harmonized_investments(ds, *, level: str = HARMONIZED_LEVEL, on: str = HARMONIZED_ON) -> pd.DataFrame:
    """The investment register with each investment's ``unit_code`` replaced by the unit
    of the harmonised geography it belongs to (Cửa Lò's go to Vinh, a new commune's to
    its former district); the original code is kept in ``unit_code_as_registered``.
    Treatment timing then follows :mod:`paranalysis.treatment`: a harmonised unit is
    treated from the first quarter any part of it had the investment in operation."""
    inv = ds.investments.copy()
    if inv.empty:
        inv["unit_code_as_registered"] = inv["unit_code"]
        return inv
    mapping = unit_map(inv["unit_code"], level=level, on=on)
    inv["unit_code_as_registered"] = inv["unit_code"]
    inv["unit_code"] = inv["unit_code"].astype(str).map(mapping)
    return inv


def harmonized_panel(ds, *, treatment: str = "one_stop_facility", outcomes=None, end=None,
                     level: str = HARMONIZED_LEVEL, on: str = HARMONIZED_ON) -> pd.DataFrame:
    """The investment models' panel on one geography: :func:`paranalysis.treatment.treatment_panel`
    over :func:`harmonized_processing` and :func:`harmonized_investments`, from the first
    quarter to ``end`` (default: the latest). Balanced when every harmonised unit reports
    every quarter, so no unit is dropped for a change of the map."""
    from paranalysis import treatment as tr

    proc = harmonized_processing(ds, end=end, level=level, on=on)
    inv = harmonized_investments(ds, level=level, on=on)
    kw = {} if outcomes is None else {"outcomes": list(outcomes)}
    return tr.treatment_panel(proc, inv, treatment=treatment, end=end, **kw)


def panel_window(panel: pd.DataFrame) -> dict:
    """The window of a unit x quarter panel: ``first``, ``last`` quarter, ``n_quarters``,
    ``n_units`` and ``balanced`` (every unit in every quarter)."""
    if panel.empty:
        return {"first": None, "last": None, "n_quarters": 0, "n_units": 0, "balanced": False}
    periods = sorted(panel["period"].unique())
    n_units = int(panel["unit_code"].nunique())
    balanced = bool(len(panel.drop_duplicates(["unit_code", "period"])) == n_units * len(periods))
    return {"first": periods[0], "last": periods[-1], "n_quarters": len(periods), "n_units": n_units,
            "balanced": balanced}


def window_line(panel: pd.DataFrame, lang: str = DEFAULT_LANG) -> str:
    """The DiD window in plain words (units, first and last quarter)."""
    w = panel_window(panel)
    if not w["n_units"]:
        return ""
    return text("window", lang, n_units=w["n_units"], first=quarter_label(w["first"], lang),
                last=quarter_label(w["last"], lang), n_quarters=w["n_quarters"])


# ------------------------------------------------------------------------------------
# saying where a series crosses a reorganisation
# ------------------------------------------------------------------------------------

def crossings(first, last, scope: str = "area") -> list[str]:
    """Keys of the reorganisations a series from ``first`` to ``last`` crosses (the new
    map starts inside the series): "vinh_cua_lo" (2024Q4), "agencies_14" (1 Mar 2025),
    "two_level" (2025Q3)."""
    a, b = to_period(first), to_period(last)
    return [key for key, start, sc in REORGANISATIONS if sc == scope and a < start <= b]


def crossing_lines(first, last, lang: str = DEFAULT_LANG, *, scope: str = "area", n_units: int = 20,
                   n_new: int = 130, harmonized: bool = True) -> list[str]:
    """One plain sentence per reorganisation a series from ``first`` to ``last`` crosses
    (or one saying it crosses none). ``harmonized``: the series is on one map
    (:func:`harmonized_processing`); False: the rows are as reported (a unit's series ends
    or begins at the break, province totals add up whatever reported)."""
    keys = crossings(first, last, scope)
    if not keys:
        return [text("none", lang)]
    suffix = "" if harmonized else "_rows"
    return [text(k + suffix if has(f"geo.{k}{suffix}") else k, lang, n_units=n_units, n_new=n_new) for k in keys]


# ------------------------------------------------------------------------------------
# helpers for the notebooks
# ------------------------------------------------------------------------------------

def recent_window(rows: pd.DataFrame, quarter, n: int = 4, *, ds=None) -> tuple[pd.DataFrame, str]:
    """The last ``n`` quarters up to ``quarter`` of ``rows`` (e.g. :func:`compared_rows`),
    added up per unit (:func:`paranalysis.indicators.window`), never reaching back across a
    reorganisation of the compared units: in 2025Q4 the window is 2025Q3-2025Q4 (the new
    communes), not four quarters mixing districts and communes. Returns the window and its
    label ("2025Q4–2026Q3"). Nor does it reach back before the first quarter of ``rows``: a
    folder holding two quarters gives a two-quarter window, labelled as such."""
    from paranalysis.indicators import window

    q = to_period(quarter)
    start = q - (n - 1)
    if len(rows) and rows["period"].min() > start:
        start = min(rows["period"].min(), q)
    for _key, first_new, scope in REORGANISATIONS:
        if scope == "area" and start < first_new <= q:
            start = first_new
    part = rows[(rows["period"] >= start) & (rows["period"] <= q)]
    # a unit counted only if it reported in every quarter of the window
    return window(part, start, q), (f"{start}–{q}" if start != q else str(q))


def level_view(ds, level: str):
    """The dataset with only the processing rows of units of ``level`` (e.g. the
    district-level units, for a coverage chart of the old map)."""
    import dataclasses

    lv = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    p = ds.processing[ds.processing["unit_code"].map(lv).eq(level).to_numpy()]
    return dataclasses.replace(ds, processing=p.reset_index(drop=True))


def chart_level(ds) -> str:
    """The level whose units a one-chart overview shows: the district-level units when the
    data has any (21 rows, the old map to 2025Q2), else the communes and wards (the new
    map), else the level with the most processing rows (e.g. agencies only)."""
    lv = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    levels = ds.processing["unit_code"].map(lv).value_counts()
    for level in ("district", "commune"):
        if levels.get(level, 0) > 0:
            return level
    if levels.empty:
        from paranalysis.errors import DataError, Problem

        raise DataError([Problem(expected=Message("problem.model.chart_no_units"))])
    return str(levels.index[0])


def level_summary(ds, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """One row per administrative level with rows in the processing table: how many
    units, from which quarter to which, and how many unit-quarters."""
    lv = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    p = ds.processing.assign(level=ds.processing["unit_code"].map(lv).fillna("?"))
    g = p.groupby("level").agg(units=("unit_code", "nunique"), first=("period", "min"), last=("period", "max"),
                               rows=("period", "size")).reset_index()
    g = g.sort_values("first").reset_index(drop=True)
    g["first"] = [quarter_label(q, lang) for q in g["first"]]
    g["last"] = [quarter_label(q, lang) for q in g["last"]]
    g["level"] = [t_or(f"level.{x}", lang, x) for x in g["level"]]
    return display_table(g.rename(columns={"first": "from_quarter", "last": "to_quarter", "units": "n_units",
                                           "rows": "n_rows"}), lang)


def gaps_within_span(processing: pd.DataFrame) -> pd.Series:
    """Per unit, the quarters without a row between its first and its last quarter (a
    unit that ceased to exist, or began in 2025Q3, has no gap for that)."""
    out = {}
    period = processing["period"]
    if period.dtype == f"period[{QUARTER_FREQ}]" and period.notna().all():
        # every unit at once: quarters from its first to its last, less the quarters it has
        o = pd.DataFrame({"unit_code": processing["unit_code"], "q": period.array.asi8})
        g = o.groupby("unit_code")["q"]
        gaps = g.max() - g.min() + 1 - g.nunique()
        out = dict(zip(gaps.index, gaps.tolist()))
    else:
        for code, part in processing.groupby("unit_code"):
            ps = pd.PeriodIndex(part["period"], freq=QUARTER_FREQ)
            span = pd.period_range(ps.min(), ps.max(), freq=QUARTER_FREQ)
            out[code] = len(span) - ps.nunique()
    s = pd.Series(out, dtype=int)
    return s[s > 0]


def window_text(panel: pd.DataFrame, lang: str = DEFAULT_LANG) -> str:
    """The window of an effect model's panel in plain words (units, quarters, whether every
    unit is in every quarter) and one line per reorganisation it crosses, as Markdown."""
    w = panel_window(panel)
    head = t("nb03.window", lang, n=w["n_units"], first=quarter_label(w["first"], lang),
             last=quarter_label(w["last"], lang), n_quarters=w["n_quarters"],
             unbalanced="" if w["balanced"] else t("nb03.unbalanced", lang))
    lines = [window_line(panel, lang)] + crossing_lines(w["first"], w["last"], lang, n_units=w["n_units"])
    return head + "\n\n" + "\n".join(f"- {x}" for x in lines)


def scope_text(rows: pd.DataFrame, quarter, n_facts: int, n_harmonized: int, lang: str = DEFAULT_LANG) -> str:
    """What a processing-speed analysis covers, as Markdown: how many units and which
    quarters (``rows``: the compared rows up to ``quarter``), how many press figures, and
    one line per reorganisation the series crosses (``n_harmonized``: units of the one map
    used across them)."""
    first = rows["period"].min()
    head = t("nb02.scope", lang, n=rows["unit_code"].nunique(), first=quarter_label(first, lang),
             last=quarter_label(quarter, lang), n_facts=n_facts)
    return head + "\n\n" + "\n".join(f"- {x}" for x in crossing_lines(first, quarter, lang, n_units=n_harmonized))
