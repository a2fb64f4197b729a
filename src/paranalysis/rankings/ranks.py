"""Ranks and percentiles as publishers print them, and what it takes to gain places."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.results import TableResult

# ---------------------------------------------------------------------------------------
# Ranks and percentiles
# ---------------------------------------------------------------------------------------


def competition_rank(scores, *, higher_is_better: bool = True, decimals: int | None = None) -> pd.Series:
    """Ranks as publishers print them: 1 = best, tied scores share the best rank and the
    next rank is skipped (90, 85, 85, 80 -> 1, 2, 2, 4). Missing scores get no rank.

    ``decimals`` rounds the scores first: use it only when the publisher ranks on the
    printed (rounded) score; VCCI ranks the PCI on the unrounded score (2014: Bình Dương
    58.8243 is 27th and Nghệ An 58.8155 28th although both print as 58.82)."""
    s = pd.Series(scores, dtype=float) if not isinstance(scores, pd.Series) else scores.astype(float)
    if decimals is not None:
        s = s.round(decimals)
    return s.rank(method="min", ascending=not higher_is_better, na_option="keep").astype("Int64")


def rank_to_percentile(rank, n_ranked):
    """Relative position of a rank among ``n_ranked`` units: (n - rank) / (n - 1);
    1.0 = first, 0.0 = last, NaN when n = 1 or a value is missing. Works on scalars and
    aligned Series."""
    if isinstance(rank, pd.Series) or isinstance(n_ranked, pd.Series):
        r = pd.to_numeric(pd.Series(rank), errors="coerce").astype(float)
        n = pd.to_numeric(pd.Series(n_ranked, index=r.index) if not isinstance(n_ranked, pd.Series) else n_ranked,
                          errors="coerce").astype(float)
        out = (n - r) / (n - 1)
        return out.where(n > 1)
    if rank is None or n_ranked is None or pd.isna(rank) or pd.isna(n_ranked) or n_ranked <= 1:
        return float("nan")
    return (float(n_ranked) - float(rank)) / (float(n_ranked) - 1.0)


def percentile_to_rank(percentile, n_ranked, *, as_integer: bool = True):
    """The rank among ``n_ranked`` units that sits at ``percentile`` (inverse of
    ``rank_to_percentile``): n - p (n - 1), rounded half up to a whole rank unless
    ``as_integer=False``. "27th of 63" (p = 0.581) corresponds to 14.8, i.e. 15th of 34."""
    if isinstance(percentile, pd.Series):
        r = float(n_ranked) - percentile.astype(float) * (float(n_ranked) - 1.0) if not isinstance(n_ranked, pd.Series) \
            else n_ranked.astype(float) - percentile.astype(float) * (n_ranked.astype(float) - 1.0)
        return np.floor(r + 0.5).astype("Int64") if as_integer else r
    if percentile is None or pd.isna(percentile):
        return pd.NA if as_integer else float("nan")
    r = float(n_ranked) - float(percentile) * (float(n_ranked) - 1.0)
    return int(math.floor(r + 0.5)) if as_integer else r


def equivalent_rank(rank, n_from: int, n_to: int, *, as_integer: bool = True):
    """The rank in a table of ``n_to`` units at the same relative position as ``rank`` of
    ``n_from`` (e.g. to read a 2025 rank among 34 provinces next to earlier ranks among 63)."""
    return percentile_to_rank(rank_to_percentile(rank, n_from), n_to, as_integer=as_integer)


# ---------------------------------------------------------------------------------------
# What it takes to gain places (from one year's full table)
# ---------------------------------------------------------------------------------------


def _locate(table: pd.DataFrame, unit, unit_column: str | None) -> int:
    cols = [unit_column] if unit_column else [c for c in ("unit_code", "unit_name") if c in table.columns]
    for c in cols:
        hits = table.index[table[c].astype(str) == str(unit)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise DataError([Problem(column=c, value=unit, expected=Message("problem.model.one_row_for_unit"))])
    if "unit_name" in table.columns:
        from paranalysis.units import match_key

        key = match_key(str(unit))
        hits = table.index[table["unit_name"].map(lambda v: match_key(str(v)) == key)]
        if len(hits) == 1:
            return hits[0]
    raise DataError([Problem(column="/".join(cols), value=unit, expected=Message("problem.model.unit_in_table"))])


def points_to_gain(table: pd.DataFrame, unit, places: Iterable[int] = (1, 2, 3, 5, 10), *,
                   score_column: str = "score", unit_column: str | None = None,
                   higher_is_better: bool = True) -> TableResult:
    """How many more points ``unit`` would have needed in this one-year table to rank at
    least k places higher, other units' scores unchanged (an equal score shares the rank,
    as in competition ranking). Returns a :class:`TableResult`: ``.table`` (below),
    ``.meta`` (``rank`` and ``score`` of the unit now) and ``.settings`` (``unit``,
    ``score_column``, ``higher_is_better``).

    Needed score for k places from rank r: the (r - k)-th best score among the *other*
    units. Columns: places, target_rank, score_needed, points_needed, rank_reached (the
    rank that score gives, which can be better than the target when scores are tied)."""
    if table["year"].nunique(dropna=True) > 1 if "year" in table.columns else False:
        raise DataError([Problem(column="year", value=sorted(table["year"].dropna().unique().tolist()),
                                 expected=Message("problem.model.one_year_table"))])
    i = _locate(table, unit, unit_column)
    own = float(table.loc[i, score_column])
    if math.isnan(own):
        raise DataError([Problem(column=score_column, value=None,
                                 expected=Message("problem.model.score_for", unit=unit))])
    others = table.drop(index=i)[score_column].astype(float).dropna()
    sign = 1.0 if higher_is_better else -1.0
    ordered = np.sort(others.to_numpy() * sign)[::-1]  # best first, in "higher is better" units
    rank = 1 + int((ordered > own * sign).sum())
    rows = []
    for k in places:
        target = rank - int(k)
        if target < 1:
            rows.append({"places": int(k), "target_rank": pd.NA, "score_needed": float("nan"),
                         "points_needed": float("nan"), "rank_reached": pd.NA})
            continue
        need = ordered[target - 1]
        reached = 1 + int((ordered > need).sum())
        rows.append({"places": int(k), "target_rank": target, "score_needed": need * sign,
                     "points_needed": (need - own * sign), "rank_reached": reached})
    out = pd.DataFrame(rows)
    for c in ("target_rank", "rank_reached"):
        out[c] = out[c].astype("Int64")
    return TableResult(table=out, meta={"rank": rank, "score": own},
                       settings={"unit": unit, "score_column": score_column, "higher_is_better": higher_is_better},
                       title=f"points {unit} needed to move up")


def points_per_place(table: pd.DataFrame, *, from_rank: int = 1, to_rank: int | None = None,
                     score_column: str = "score", higher_is_better: bool = True) -> float:
    """Average score distance per place between two ranks of a one-year table:
    (score at ``from_rank`` - score at ``to_rank``) / (to_rank - from_rank), on scores
    sorted best first. A crowded middle of the table means few points per place."""
    s = np.sort(table[score_column].astype(float).dropna().to_numpy() * (1 if higher_is_better else -1))[::-1]
    to_rank = len(s) if to_rank is None else to_rank
    if not 1 <= from_rank < to_rank <= len(s):
        raise DataError([Problem(column=score_column, value=(from_rank, to_rank),
                                 expected=Message("problem.model.rank_range", n=len(s)))])
    return float((s[from_rank - 1] - s[to_rank - 1]) / (to_rank - from_rank))


def latest_table(rankings: pd.DataFrame, index: str) -> pd.DataFrame:
    """The rows of ``index`` in its latest published year (one year's full table)."""
    rows = rankings[rankings["index"] == index]
    if rows.empty:
        raise DataError([Problem(column="index", value=index, expected=Message("problem.model.index_in_rankings"))])
    return rows[rows["year"] == rows["year"].max()]


def middle_unit(table: pd.DataFrame, unit_column: str = "unit_code"):
    """The unit ranked in the middle of a one-year table (the worked example of how many
    points a place costs: neither the leader nor the last)."""
    return table.sort_values("rank")[unit_column].iloc[len(table) // 2]
