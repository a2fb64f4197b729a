"""Where the province stands in one quarter (headline indicators with intervals and the
change on a year earlier), unit display names, and rate tables written for reading."""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, t
from paranalysis.periods import to_period
from paranalysis.indicators.counts import combine
from paranalysis.indicators.definitions import HEADLINE, indicator, rates
from paranalysis.indicators.intervals import changes


def province_summary(processing: pd.DataFrame, quarter, *, indicators: Iterable[str] = HEADLINE,
                     units: pd.DataFrame | None = None, level: str | None = None, conf: float = 0.95,
                     lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Where the province stands in ``quarter``: each headline indicator for the sum of
    all units (of ``level``, if given), with its interval and its change on the same
    quarter a year earlier. One row per indicator, labels in ``lang``."""
    q = to_period(quarter)
    df = processing
    if level is not None:
        if units is None:
            raise ValueError("level= needs units=")
        df = df[df["unit_code"].isin(units.loc[units["level"] == level, "unit_code"])]
    tot = combine(df[df["period"].isin([q, q - 4])])
    rt = rates(tot, indicators, conf=conf)
    ch = changes(rt, lag=4, conf=conf)
    now = rt[rt["period"] == q].merge(ch[["indicator", "period", "rate_before", "change", "change_ci_low",
                                          "change_ci_high", "significant"]], on=["indicator", "period"], how="left")
    now.insert(0, "label", [indicator(k).label(lang) for k in now["indicator"]])
    cols = ["label", "indicator", "definition", "period", "numerator", "denominator", "rate", "ci_low", "ci_high",
            "rate_before", "change", "change_ci_low", "change_ci_high", "significant"]
    return now[cols].reset_index(drop=True)


def unit_names(units: pd.DataFrame | None, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Short display names of units by code: Vietnamese with diacritics ("Quế Phong") for
    Vietnamese, ASCII ("Que Phong") in English (catalogue key ``units.name_column``)."""
    if units is None or units.empty:
        return {}
    col = t("units.name_column", lang)  # which column of the unit register names units in lang
    names = units[col].where(units[col].notna(), units["name_vi"])
    return dict(zip(units["unit_code"], names))


def format_rate_table(table: pd.DataFrame, *, decimals: int = 2) -> pd.DataFrame:
    """A copy of a rate or change table with rates written as percentages
    ("95.65 % (94.85-96.34)") for display; counts get thousands separators."""
    out = table.copy()
    pct = lambda v: "" if pd.isna(v) else f"{100 * v:.{decimals}f}"  # noqa: E731
    if {"rate", "ci_low", "ci_high"} <= set(out.columns):
        out["rate"] = [f"{pct(r)} % ({pct(lo)}–{pct(hi)})" if pd.notna(r) else "–"
                       for r, lo, hi in zip(table["rate"], table["ci_low"], table["ci_high"])]
        out = out.drop(columns=["ci_low", "ci_high"])
    if {"change", "change_ci_low", "change_ci_high"} <= set(out.columns):
        out["change"] = [f"{100 * c:+.{decimals}f} ({100 * lo:+.{decimals}f} to {100 * hi:+.{decimals}f})"
                         if pd.notna(c) and pd.notna(lo) else ("–" if pd.isna(c) else f"{100 * c:+.{decimals}f}")
                         for c, lo, hi in zip(table["change"], table["change_ci_low"], table["change_ci_high"])]
        out = out.drop(columns=["change_ci_low", "change_ci_high"])
    if "rate_before" in out.columns:
        out["rate_before"] = [pct(v) for v in table["rate_before"]]
    for c in ("numerator", "denominator"):
        if c in out.columns:
            out[c] = ["" if pd.isna(v) else f"{int(v):,}" for v in table[c]]
    return out
