"""Figures of waiting times (project style: title, axis labels with units, caption)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, fmt_number, t
from paranalysis.style import PALETTE, SYNTHETIC_COLOR, finish, styled



def _t(key: str, lang: str, **kw) -> str:
    return t(f"records.{key}", lang, **kw)


def _names(units: pd.DataFrame | None, codes) -> list[str]:
    if units is None:
        return [str(c) for c in codes]
    m = units.set_index("unit_code")["short_name_vi"].to_dict()
    return [str(m.get(c, c)) for c in codes]


def _fmt(n: int, lang: str) -> str:
    return fmt_number(int(n), lang)


@styled
def plot_unit_distribution(dist: pd.DataFrame, *, units: pd.DataFrame | None = None, period: str = "",
                           lang: str = DEFAULT_LANG):
    """Box-like chart per unit from quantiles (10, 25, 50, 75, 90 %), sorted by median."""
    d = dist.dropna(subset=["median_working_days"]).sort_values(["median_working_days", "mean_working_days"],
                                                                 ascending=False)
    stats = [{"label": name, "med": r.median_working_days, "q1": r.q25_working_days, "q3": r.q75_working_days,
              "whislo": r.q10_working_days, "whishi": r.p90_working_days, "fliers": []}
             for name, r in zip(_names(units, d["unit_code"]), d.itertuples())]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(stats) + 1.5))
    ax.bxp(stats, orientation="horizontal", showfliers=False, patch_artist=True,
           boxprops={"facecolor": "#d6e4f0", "edgecolor": PALETTE[0]}, medianprops={"color": PALETTE[1], "linewidth": 2})
    ax.grid(axis="y", visible=False)
    return finish(fig, title=_t("unit_title", lang, period=period),
                  caption=_t("unit_caption", lang, n=_fmt(d["resolved"].sum(), lang)),
                  xlabel=_t("working_days", lang), ylabel="")


@styled
def plot_channel_trend(by_year_channel: pd.DataFrame, *, lang: str = DEFAULT_LANG, channels=("online", "direct")):
    """Mean working days per year of receipt, one line per channel."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, ch in enumerate(channels):
        d = by_year_channel[(by_year_channel["channel"] == ch) & (by_year_channel["resolved"] >= 30)]
        ax.plot(d["year"], d["mean_working_days"], marker="o", ms=4, color=PALETTE[i], label=_t(ch, lang))
    ax.legend(frameon=False)
    ax.set_ylim(bottom=0)
    return finish(fig, title=_t("channel_title", lang), caption=_t("channel_caption", lang),
                  xlabel=_t("year", lang), ylabel=_t("working_days", lang))


@styled
def plot_before_after(ba: pd.DataFrame, *, units: pd.DataFrame | None = None, quarters: int = 4, lang: str = DEFAULT_LANG):
    """Dumbbells: mean working days before -> after per unit, with the comparison units' change."""
    d = ba.sort_values("in_operation").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(d) + 1.5))
    if d.empty:
        ax.text(0.5, 0.5, _t("no_data", lang), ha="center", va="center", transform=ax.transAxes)
    y = np.arange(len(d))
    for i, r in d.iterrows():
        ax.plot([r.mean_before, r.mean_after], [i, i], color=PALETTE[0], lw=1.5)
        ax.plot([r.mean_before + r.comparison_change], [i], marker="|", ms=12, color=SYNTHETIC_COLOR)
    ax.plot(d["mean_before"], y, "o", mfc="white", mec=PALETTE[0])
    ax.plot(d["mean_after"], y, "o", color=PALETTE[0])
    ax.set_yticks(y, [f"{n} ({r.in_operation:%m/%Y})" for n, r in zip(_names(units, d["unit_code"]), d.itertuples())])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    return finish(fig, title=_t("ba_title", lang), caption=_t("ba_caption", lang, k=quarters),
                  xlabel=_t("change", lang), ylabel="")
