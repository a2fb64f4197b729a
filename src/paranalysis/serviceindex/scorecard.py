"""Reading the scorecard: where points are lost, who crossed a threshold, fair peers,
rank changes among identical cohorts, and monthly trends.

Rules kept here (docs/service-index.md):

- a missing score is missing: no points lost are computed for it, and it never counts as 0;
- scores of different formula versions are not compared: a change across a formula
  change is reported as "not comparable", not as a rise or fall;
- rank changes are read through percentiles with ``paranalysis.rankings`` (the same
  ``rank_changes`` as the published indices), and places gained only between identical
  cohorts (the same units ranked in both periods: 63 provinces before July 2025, 34 after;
  the 130 communes from July 2025).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.serviceindex.schema import GROUPS, unit_key

#: Default score bands of the total: below 80, 80 to under 90, 90 and above.
DEFAULT_CUTS = (80.0, 90.0)


def _one(df: pd.DataFrame, column: str, value, what: str) -> pd.DataFrame:
    sel = df[df[column] == value]
    if sel.empty:
        raise DataError([Problem(column=column, value=value,
                                 expected=Message("problem.si.in_scorecard", what=what))])
    return sel


def periods(df: pd.DataFrame, period_type: str = "month") -> list[str]:
    """The periods of one type in the table, in time order."""
    sel = df.loc[df["period_type"] == period_type, ["period_start", "period"]]  # sorting two columns, not all
    return list(sel.sort_values("period_start")["period"].drop_duplicates())


def previous_period(df: pd.DataFrame, period: str) -> str | None:
    """The period of the same type just before ``period`` in the table (None if none)."""
    kind = _one(df, "period", period, Message("problem.si.the_period"))["period_type"].iloc[0]
    ps = periods(df, kind)
    i = ps.index(period)
    return ps[i - 1] if i > 0 else None


# --------------------------------------------------------------------------------------
# points lost
# --------------------------------------------------------------------------------------

def points_lost(df: pd.DataFrame, period: str | None = None, *, sub_indicators: bool = False) -> pd.DataFrame:
    """Points lost against the maximum for every unit and group (and sub-indicator with
    ``sub_indicators=True``) of ``period`` (default: all). Columns: the identity columns,
    ``component``, ``group``, ``score``, ``max_score``, ``points_lost`` (max - score;
    missing when the score is missing), ``share_of_max`` (score / max). Tracked-only
    sub-indicators (maximum 0) are left out."""
    d = df if period is None else _one(df, "period", period, Message("problem.si.the_period"))
    if sub_indicators:
        d = d[d["component"] != "total"]
    else:
        d = d[d["component"].isin(GROUPS)]
    d = d[d["max_score"].fillna(0) > 0]
    out = d[["unit_id", "unit_name", "unit_code", "level", "period", "component", "group", "score", "max_score",
             "formula_version", "synthetic"]].copy()
    out["points_lost"] = (out["max_score"] - out["score"]).round(2)
    out["share_of_max"] = out["score"] / out["max_score"]
    return out.reset_index(drop=True)


def where_points_are_lost(df: pd.DataFrame, period: str, unit_id: str, *, sub_indicators: bool = True) -> pd.DataFrame:
    """One unit's points lost in ``period``, largest first: the groups, then (where the
    export has them) the sub-indicators inside each group."""
    pl = points_lost(df, period, sub_indicators=sub_indicators)
    pl = pl[pl["unit_id"] == unit_id]
    if pl.empty:
        raise DataError([Problem(column="unit_id", value=unit_id,
                                 expected=Message("problem.si.unit_scored", period=period))])
    pl = pl.assign(is_group=pl["component"] == pl["group"])
    gl = pl[pl["is_group"]].set_index("group")["points_lost"]
    pl = pl.assign(_g=pl["group"].map(gl).fillna(-1))
    return pl.sort_values(["_g", "group", "is_group", "points_lost"], ascending=[False, True, False, False]) \
        .drop(columns="_g").reset_index(drop=True)


def main_losses(df: pd.DataFrame, period: str, level: str = "commune") -> pd.DataFrame:
    """For each unit of ``level``: its total, and the group where it lost most points."""
    pl = points_lost(df, period)
    pl = pl[pl["level"] == level].dropna(subset=["points_lost"])
    if pl.empty:
        return pd.DataFrame(columns=["unit_id", "unit_name", "total", "worst_group", "worst_points_lost"])
    worst = pl.sort_values(["unit_id", "points_lost"], ascending=[True, False]).groupby("unit_id").head(1)
    tot = totals(df, period).set_index("unit_id")["score"]
    out = pd.DataFrame({"unit_id": worst["unit_id"], "unit_name": worst["unit_name"],
                        "total": worst["unit_id"].map(tot), "worst_group": worst["component"],
                        "worst_points_lost": worst["points_lost"]})
    return out.sort_values("total").reset_index(drop=True)


def group_losses(df: pd.DataFrame, period: str, level: str = "commune") -> pd.DataFrame:
    """Points lost per group, summed over the units of ``level`` that have every group
    score, with the average per unit: where the whole level loses most."""
    pl = points_lost(df, period)
    pl = pl[pl["level"] == level]
    complete = pl.groupby("unit_id")["score"].apply(lambda s: s.notna().all())
    pl = pl[pl["unit_id"].isin(complete[complete].index)]
    g = pl.groupby("component").agg(units=("unit_id", "nunique"), points_lost=("points_lost", "sum"),
                                    max_score=("max_score", "first"))
    g["mean_points_lost"] = g["points_lost"] / g["units"]
    g["mean_share_of_max"] = 1 - g["mean_points_lost"] / g["max_score"]
    return g.sort_values("mean_points_lost", ascending=False).reset_index()


# --------------------------------------------------------------------------------------
# thresholds
# --------------------------------------------------------------------------------------

def totals(df: pd.DataFrame, period: str | None = None, level: str | None = None) -> pd.DataFrame:
    """The total rows (published, or derived from six groups) of a period and level."""
    d = df[df["component"] == "total"]
    if period is not None:
        d = d[d["period"] == period]
    if level is not None:
        d = d[d["level"] == level]
    return d.reset_index(drop=True)


def band(score, cuts=DEFAULT_CUTS) -> pd.Series:
    """The score band of each total: "<80", "80-90", ">=90" for the default cuts (a score
    equal to a cut belongs to the band above it); missing for a missing score."""
    cuts = sorted(float(c) for c in cuts)
    labels = [f"<{cuts[0]:g}"] + [f"{a:g}-{b:g}" for a, b in zip(cuts, cuts[1:])] + [f">={cuts[-1]:g}"]
    s = pd.Series(score, dtype=float)
    idx = np.searchsorted(np.array(cuts), s.to_numpy(), side="right")
    out = pd.Series([labels[i] if not np.isnan(v) else None for i, v in zip(idx, s.to_numpy())], index=s.index,
                    dtype=object)
    return out


def threshold_crossings(df: pd.DataFrame, period: str, *, previous: str | None = None, cuts=DEFAULT_CUTS,
                        level: str | None = None) -> pd.DataFrame:
    """Units whose total moved into another band since ``previous`` (default: the period
    before). Columns: unit_id, unit_name, level, score, prev_score, band, prev_band,
    direction ("down"/"up"), comparable (same formula version in both periods; a crossing
    across a formula change is listed with ``comparable=False`` and should not be read as
    a change of performance), ``fell_below`` (the lowest cut crossed downwards)."""
    previous = previous or previous_period(df, period)
    cols = ["unit_id", "unit_name", "level", "score", "prev_score", "band", "prev_band", "direction", "comparable",
            "fell_below", "formula_version", "prev_formula_version"]
    if previous is None:
        return pd.DataFrame(columns=cols)
    a = totals(df, period, level).assign(unit_key=lambda x: unit_key(x))
    b = totals(df, previous, level).assign(unit_key=lambda x: unit_key(x))
    m = a.merge(b[["unit_key", "score", "formula_version"]], on="unit_key", how="inner", suffixes=("", "_prev"))
    m["band"] = band(m["score"], cuts)
    m["prev_band"] = band(m["score_prev"], cuts)
    m = m[m["band"].notna() & m["prev_band"].notna() & (m["band"] != m["prev_band"])]
    cs = sorted(float(c) for c in cuts)
    down = m["score"] < m["score_prev"]
    fell = [max([c for c in cs if s < c <= p], default=np.nan) if d else np.nan
            for s, p, d in zip(m["score"], m["score_prev"], down)]
    out = pd.DataFrame({"unit_id": m["unit_id"], "unit_name": m["unit_name"], "level": m["level"], "score": m["score"],
                        "prev_score": m["score_prev"], "band": m["band"], "prev_band": m["prev_band"],
                        "direction": np.where(down, "down", "up"),
                        "comparable": m["formula_version"] == m["formula_version_prev"], "fell_below": fell,
                        "formula_version": m["formula_version"], "prev_formula_version": m["formula_version_prev"]})
    return out.sort_values(["direction", "score"]).reset_index(drop=True)[cols]


def below(df: pd.DataFrame, period: str, cut: float = DEFAULT_CUTS[0], level: str | None = None) -> pd.DataFrame:
    """Units whose total is below ``cut`` in ``period``, lowest first."""
    t = totals(df, period, level)
    return t[t["score"] < cut].sort_values("score")[["unit_id", "unit_name", "level", "score"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# changes and trends
# --------------------------------------------------------------------------------------

def changes(df: pd.DataFrame, period: str, *, previous: str | None = None, component: str = "total",
            level: str | None = None) -> pd.DataFrame:
    """Change of one component's score since ``previous`` (default: the period before),
    per unit. ``change`` is missing where the formula version differs between the two
    periods (``comparable`` False) or a score is missing: scores from different scoring
    bases are never subtracted. The period compared with is :func:`previous_period` when
    ``previous`` is not given."""
    previous = previous or previous_period(df, period)
    d = df[(df["component"] == component)]
    if level is not None:
        d = d[d["level"] == level]
    a = d[d["period"] == period].assign(unit_key=lambda x: unit_key(x))
    cols = ["unit_id", "unit_name", "level", "score", "prev_score", "change", "comparable", "formula_version",
            "prev_formula_version"]
    if previous is None:
        return a.assign(prev_score=np.nan, change=np.nan, comparable=False, prev_formula_version=None)[cols]
    b = d[d["period"] == previous].assign(unit_key=lambda x: unit_key(x))
    m = a.merge(b[["unit_key", "score", "formula_version"]], on="unit_key", how="left", suffixes=("", "_prev"))
    comp = m["formula_version"] == m["formula_version_prev"]
    out = pd.DataFrame({"unit_id": m["unit_id"], "unit_name": m["unit_name"], "level": m["level"],
                        "score": m["score"], "prev_score": m["score_prev"],
                        "change": (m["score"] - m["score_prev"]).where(comp).round(2), "comparable": comp,
                        "formula_version": m["formula_version"], "prev_formula_version": m["formula_version_prev"]})
    return out


def trend(df: pd.DataFrame, unit_id: str, component: str = "total", period_type: str = "month") -> pd.DataFrame:
    """One unit's monthly series of a component with ``segment``: a new segment starts
    where the formula version changes, so a plot or a reader does not join the two."""
    d = df[(df["unit_id"] == unit_id) & (df["component"] == component) & (df["period_type"] == period_type)]
    d = d.sort_values("period_start")[["period", "period_start", "score", "max_score", "formula_version",
                                       "period_open"]].reset_index(drop=True)
    d["segment"] = (d["formula_version"] != d["formula_version"].shift()).cumsum()
    return d


def formula_changes(df: pd.DataFrame, period_type: str = "month") -> pd.DataFrame:
    """The periods at which the formula version changes (first period on the new basis)."""
    d = df[df["period_type"] == period_type].drop_duplicates(["period", "formula_version"])
    d = d.sort_values("period_start")
    out, prev = [], None
    for per, fv in zip(d["period"], d["formula_version"]):
        if prev is not None and fv != prev:
            out.append({"period": per, "from_version": prev, "to_version": fv})
        prev = fv
    return pd.DataFrame(out, columns=["period", "from_version", "to_version"])


# --------------------------------------------------------------------------------------
# ranks: identical cohorts, through percentiles (paranalysis.rankings)
# --------------------------------------------------------------------------------------

def ranked_table(df: pd.DataFrame, level: str, period_type: str = "month") -> pd.DataFrame:
    """The totals of one level as a ``rankings``-shaped table (index, year = ordinal of
    the period, unit_code = the unit's key, rank, n_ranked, score, scale, derived): the
    published rank where the export gives it with its cohort size, otherwise the
    competition rank of the total among the units scored in that period."""
    from paranalysis.rankings import competition_rank

    t = df[(df["component"] == "total") & (df["level"] == level) & (df["period_type"] == period_type)].copy()
    t = t[t["score"].notna()]
    t["unit_key"] = unit_key(t)
    order = {p: i for i, p in enumerate(periods(df, period_type))}
    rows = []
    for per, part in t.groupby("period", sort=False):
        published = part["rank"].notna().all() and part["n_ranked"].notna().all()
        r = part["rank"] if published else competition_rank(part["score"]).astype("Int64")
        n = part["n_ranked"] if published else pd.Series(len(part), index=part.index)
        rows.append(pd.DataFrame({"index": f"SERVICE_INDEX_766:{level}", "year": order[per], "period": per,
                                  "unit_code": part["unit_key"], "unit_name": part["unit_name"],
                                  "rank": r.astype("Int64"), "n_ranked": n.astype("Int64"),
                                  "score": part["score"], "scale": "0-100", "derived": not published,
                                  "formula_version": part["formula_version"],
                                  "cohort": [frozenset(part["unit_key"])] * len(part)}))
    if not rows:
        return pd.DataFrame(columns=["index", "year", "period", "unit_code", "unit_name", "rank", "n_ranked", "score",
                                     "scale", "derived", "formula_version", "cohort"])
    return pd.concat(rows, ignore_index=True)


def rank_moves(df: pd.DataFrame, period: str, *, level: str = "commune", previous: str | None = None) -> pd.DataFrame:
    """Rank and percentile change of every unit of ``level`` between ``previous`` (default:
    the period before) and ``period``, computed by ``paranalysis.rankings.rank_changes``.

    ``places_gained`` is kept only between identical cohorts (the same set of units ranked
    in both periods) on the same formula version; otherwise it is missing and
    ``percentile_change`` is the comparison (marked ``cohort_changed``); across a formula
    change nothing is compared (``break_method``)."""
    from paranalysis.rankings import method_breaks, rank_changes

    kind = _one(df, "period", period, Message("problem.si.the_period"))["period_type"].iloc[0]
    previous = previous or previous_period(df, period)
    tab = ranked_table(df, level, kind)
    tab = tab[tab["period"].isin([period, previous])]
    if tab.empty or previous is None:
        return pd.DataFrame()
    order = tab.drop_duplicates("period").set_index("period")
    brk = method_breaks().iloc[0:0].copy()
    fa, fb = order.at[period, "formula_version"], order.at[previous, "formula_version"]
    if fa != fb:
        brk = pd.concat([brk, pd.DataFrame([{
            "index": f"SERVICE_INDEX_766:{level}", "year": int(order.at[period, "year"]), "kind": "method",
            "unit_code": None, "description_en": f"formula {fb} -> {fa}",
            "description_vi": f"công thức tính điểm thay đổi ({fb} -> {fa})", "source": "formula_version"}])],
            ignore_index=True)
        brk["year"] = brk["year"].astype("Int64")
    ch = rank_changes(tab[["index", "year", "unit_code", "rank", "n_ranked", "score", "scale", "derived"]],
                      breaks=brk)
    ch = ch[ch["year"] == int(order.at[period, "year"])].copy()
    same_cohort = order.at[period, "cohort"] == order.at[previous, "cohort"]
    ch["cohort_changed"] = not same_cohort
    ch.loc[~ch["rank_comparable"] | (not same_cohort), "places_gained"] = pd.NA
    ch.loc[ch["break_method"], "percentile_change"] = np.nan
    names = tab.drop_duplicates("unit_code").set_index("unit_code")["unit_name"]
    out = ch.rename(columns={"unit_code": "unit_id"})
    out.insert(1, "unit_name", out["unit_id"].map(names))
    out["period"], out["previous"] = period, previous
    return out[["unit_id", "unit_name", "period", "previous", "rank", "prev_rank", "n_ranked", "prev_n_ranked",
                "places_gained", "percentile", "prev_percentile", "percentile_change", "score", "prev_score",
                "cohort_changed", "break_method"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# peers
# --------------------------------------------------------------------------------------

def volume(df: pd.DataFrame, period: str) -> pd.Series:
    """Records handled per unit in ``period`` (the progress group's ``received``), by unit id."""
    d = df[(df["period"] == period) & (df["component"] == "progress")]
    return d.set_index("unit_id")["received"].astype("Float64")


def peers(df: pd.DataFrame, period: str, unit_id: str, *, k: int = 10, component: str = "total") -> pd.DataFrame:
    """The ``k`` units of the same level whose volume (records received in the period)
    is closest on a log scale to ``unit_id``'s, with their scores: a fair comparison group
    (a ward handling 3,000 records a month is not compared with a mountain commune handling
    200). Without volumes the peers are all units of the level. The unit itself comes first."""
    d = df[(df["period"] == period) & (df["component"] == component)]
    me = d[d["unit_id"] == unit_id]
    if me.empty:
        raise DataError([Problem(column="unit_id", value=unit_id,
                                 expected=Message("problem.si.unit_scored", period=period))])
    lvl = me["level"].iloc[0]
    same = d[d["level"] == lvl].copy()
    vol = volume(df, period)
    same["volume"] = same["unit_id"].map(vol)
    mine = same.loc[same["unit_id"] == unit_id, "volume"].iloc[0]
    if pd.isna(mine) or same["volume"].isna().all():
        same["distance"] = np.nan
        chosen = same
    else:
        same["distance"] = (np.log1p(same["volume"].astype(float)) - np.log1p(float(mine))).abs()
        chosen = same.sort_values("distance").head(k + 1)
    chosen = chosen.assign(is_unit=chosen["unit_id"] == unit_id)
    out = chosen.sort_values(["is_unit", "score"], ascending=[False, False])
    out["rank_among_peers"] = out["score"].rank(ascending=False, method="min").astype("Int64")
    return out[["unit_id", "unit_name", "level", "volume", "score", "rank_among_peers", "is_unit"]].reset_index(drop=True)
