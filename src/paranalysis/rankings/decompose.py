"""Decomposing a composite score change into weighted sub-index contributions (PCI)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, t, t_or
from paranalysis.rankings.ranks import _locate

# ---------------------------------------------------------------------------------------
# Decomposing a composite score change into weighted sub-index contributions
# ---------------------------------------------------------------------------------------

#: PCI sub-index weights (VCCI PCI handbook 2016, INDICATORS.md §4.4), as shares of 1. The
#: composite is 10 x sum(weight x sub-index) on the 0-100 scale; these weights reproduce the
#: published PCI exactly for 2013-2021 (checked in tests/test_ranking_tables.py). Earlier
#: editions used other sub-index sets and weights (see ``BREAKS``).
PCI_WEIGHTS = {
    "entry": 0.05, "land": 0.05, "transparency": 0.20, "time": 0.05, "informal": 0.10,
    "bias": 0.05, "proactive": 0.05, "support": 0.20, "labor": 0.20, "legal": 0.05,
}
#: Column names of the PCI sub-indices in the published datasets the project reads in tests.
#: vietnamdata (mdtrinh): pci_<name>. Provincial panel (letrinhan): PCI1..PCI10, order found by
#: matching its 2013-2016 values to vietnamdata (PCI6-PCI9 = proactive, support, labor, legal;
#: PCI10 = bias), not documented in the file.
PCI_COLUMNS_VIETNAMDATA = {f"pci_{k}": k for k in PCI_WEIGHTS}
PCI_COLUMNS_PANEL = {"PCI1": "entry", "PCI2": "land", "PCI3": "transparency", "PCI4": "time", "PCI5": "informal",
                     "PCI6": "proactive", "PCI7": "support", "PCI8": "labor", "PCI9": "legal", "PCI10": "bias"}


def decompose_change(before: Mapping | pd.Series, after: Mapping | pd.Series, weights: Mapping[str, float], *,
                     multiplier: float = 10.0, composite_before: float | None = None,
                     composite_after: float | None = None, lang: str = DEFAULT_LANG,
                     labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Split a composite score change into sub-index contributions:
    contribution_i = multiplier x weight_i x (after_i - before_i).

    For the PCI (sub-indices on 0-10, weights summing to 1, composite on 0-100) the
    multiplier is 10: one more point of "transparency" (weight 0.20) is 2.0 PCI points.
    When both composites are given, a last row ``residual`` holds the published change
    minus the sum of contributions (0 when the weights are the edition's own; otherwise
    the effect of other weights, rounding or rescaling). ``share`` = contribution / total
    published change (or / sum of contributions)."""
    before = pd.Series(before, dtype=float)
    after = pd.Series(after, dtype=float)
    rows = []
    for k, w in weights.items():
        b, a = before.get(k, float("nan")), after.get(k, float("nan"))
        rows.append({"sub_index": k, "label": (labels or {}).get(k, t_or(f"pci.{k}", lang, k)),
                     "weight": float(w), "before": b, "after": a, "change": a - b,
                     "contribution": multiplier * float(w) * (a - b)})
    out = pd.DataFrame(rows)
    total = out["contribution"].sum(min_count=1)
    if composite_before is not None and composite_after is not None:
        published = float(composite_after) - float(composite_before)
        out = pd.concat([out, pd.DataFrame([{
            "sub_index": "residual", "label": t("pci.residual", lang),
            "weight": float("nan"), "before": float(composite_before), "after": float(composite_after),
            "change": published, "contribution": published - total}])], ignore_index=True)
        total = published
    out["share"] = out["contribution"] / total if total else float("nan")
    return out


def decompose_table_change(table: pd.DataFrame, unit, year_before: int, year_after: int,
                           columns: Mapping[str, str], weights: Mapping[str, float] = PCI_WEIGHTS, *,
                           multiplier: float = 10.0, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """``decompose_change`` for one unit between two years of a full table loaded with its
    sub-index columns (``load_ranking_table(..., keep_columns=list(columns))``); ``columns``
    maps the table's column names to the weights' keys (e.g. ``PCI_COLUMNS_PANEL``). The
    residual row compares with the table's own composite scores."""
    rows = {}
    for y in (year_before, year_after):
        part = table[table["year"] == y].reset_index(drop=True)
        i = _locate(part, unit, None)
        rows[y] = part.loc[i]
    def subs(r):
        return {k: pd.to_numeric(r[c], errors="coerce") for c, k in columns.items()}
    return decompose_change(subs(rows[year_before]), subs(rows[year_after]), weights, multiplier=multiplier,
                            composite_before=float(rows[year_before]["score"]),
                            composite_after=float(rows[year_after]["score"]), lang=lang)


def decomposition_table(table: pd.DataFrame, unit, year_before: int, year_after: int,
                        columns: Mapping[str, str] = PCI_COLUMNS_PANEL, *, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """:func:`decompose_table_change` with the columns a reader weighs: each sub-index's
    label, weight, score before and after, its change and its contribution to the change
    of the composite."""
    out = decompose_table_change(table, unit, year_before, year_after, columns, lang=lang)
    return (out[["label", "weight", "before", "after", "change", "contribution"]]
            .rename(columns={"before": "score_before", "after": "score_after", "change": "score_change"}))
