"""Figures of rankings (in the project style)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, Message, fmt_number, t
from paranalysis.rankings.breaks import rank_changes
from paranalysis.rankings.districts import rank_correlation
from paranalysis.rankings.labels import _t, index_label
from paranalysis.style import styled

# ---------------------------------------------------------------------------------------
# Plots (paranalysis.style)
# ---------------------------------------------------------------------------------------


def _draw_trajectory(ax, rankings: pd.DataFrame, unit_code: str, indices, lang: str) -> list[str]:
    from paranalysis.style import PALETTE

    ch = rank_changes(rankings[rankings["unit_code"] == unit_code], lang=lang)
    order = list(indices) if indices is not None else list(dict.fromkeys(ch["index"]))
    drawn = []
    for j, ix in enumerate(order):
        d = ch[(ch["index"] == ix) & ch["rank"].notna()].sort_values("year")
        if d.empty:
            continue
        drawn.append(ix)
        color = PALETTE[j % len(PALETTE)]
        # cut the line where a break is crossed or a year is missing
        seg = (d["break_method"] | d["break_scale"] | d["break_units"]
               | (d["year"] - d["prev_year"] > 1).fillna(False)).cumsum()
        for _, part in d.assign(pct=100.0 * d["percentile"], seg=seg).groupby("seg"):
            ax.plot(part["year"].astype(int), part["pct"], color=color, lw=1.8)
        pub, der = d[~d["rank_derived"]], d[d["rank_derived"]]
        ax.plot(pub["year"].astype(int), 100.0 * pub["percentile"], "o", color=color, label=index_label(ix, lang))
        ax.plot(der["year"].astype(int), 100.0 * der["percentile"], "o", mfc="white", color=color)
        brk = d[d["break_method"] | d["break_scale"] | d["break_units"]]
        ax.plot(brk["year"].astype(int), 100.0 * brk["percentile"], "D", ms=9, mfc="none", color=color)
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(-3, 103)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.plot([], [], "o", mfc="white", color="#555555", label=_t(lang, "derived"))
    ax.plot([], [], "D", mfc="none", color="#555555", label=_t(lang, "break"))
    return drawn


@styled
def plot_trajectory(rankings: pd.DataFrame, unit_code: str = "40", *, indices: Iterable[str] | None = None,
                    lang: str = DEFAULT_LANG, unit_name: str | None = None, title: str | None = None):
    """Percentile (relative position) of one unit across indices and years. Lines are cut
    at method / scale / number-of-units breaks (marked ◇); derived ranks are hollow."""
    import matplotlib.pyplot as plt

    from paranalysis.style import finish

    fig, ax = plt.subplots(figsize=(9, 5.5))
    _draw_trajectory(ax, rankings, unit_code, indices, lang)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncol=3, frameon=False)
    name = unit_name or unit_code
    finish(fig, title=title or _t(lang, "trajectory_title").format(unit=name), caption=_t(lang, "trajectory_caption"),
           xlabel=_t(lang, "year"), ylabel=_t(lang, "percentile"), ax=ax)
    return fig


def province_fact_rates(facts: pd.DataFrame | None, unit_codes: Iterable[str] = ("40", "40-TTPVHCC"),
                        indicators: Iterable[str] = ("online_share", "on_time_resolved_basis",
                                                     "late_rate_resolved_basis")) -> pd.DataFrame:
    """Press figures (reported or derived from reported counts, ``indicators.fact_rates``)
    for the province and its service centre: one row per figure with the period's middle
    as a fractional year (``t``) and the value in %."""
    from paranalysis.indicators import fact_rates

    fr = fact_rates(facts)
    fr = fr[fr["unit_code"].isin(list(unit_codes)) & fr["indicator"].isin(list(indicators))].copy()
    if fr.empty:
        return fr.assign(t=pd.Series(dtype=float), percent=pd.Series(dtype=float))
    start = pd.to_datetime(fr["period_start"])
    end = pd.to_datetime(fr["period_end"])
    mid = start + (end - start) / 2
    fr["t"] = mid.dt.year + (mid.dt.day_of_year - 1) / 365.25
    fr["percent"] = 100.0 * fr["value"].astype(float)
    return fr.sort_values(["indicator", "t"]).reset_index(drop=True)


def units_with_investment(investments: pd.DataFrame, years: Iterable[int],
                          categories: Iterable[str] = ("one_stop_facility", "online_meeting_system")) -> pd.DataFrame:
    """Number of units with each investment category in operation at the end of each year."""
    rows = []
    for y in years:
        end = pd.Timestamp(f"{int(y)}-12-31")
        for c in categories:
            sel = investments[investments["category"] == c]
            first = pd.to_datetime(sel["date_in_operation"]).groupby(sel["unit_code"]).min()
            rows.append({"year": int(y), "category": c, "units": int((first <= end).sum())})
    return pd.DataFrame(rows)


@styled
def plot_province_timeline(rankings: pd.DataFrame, facts: pd.DataFrame | None, investments: pd.DataFrame, *,
                           unit_code: str = "40", indices: Iterable[str] | None = None, lang: str = DEFAULT_LANG,
                           unit_name: str | None = None, since: int = 2016):
    """Three stacked panels on one time axis: the province's rank percentiles (top), the
    online share and on-time rate published in the press (middle) and the number of
    district-level units with each investment in operation (bottom, marked synthetic when
    it is), from the year ``since``. Description of one province over time, not inference.
    A rankings table without a rank of ``unit_code`` from ``since`` is a DataError saying so."""
    import matplotlib.pyplot as plt

    from paranalysis.errors import DataError, Problem
    from paranalysis.style import PALETTE, SYNTHETIC_COLOR, finish

    rankings = rankings[(rankings["unit_code"] == unit_code) & (rankings["year"] >= since)]
    if rankings.empty or rankings["year"].isna().all():
        raise DataError([Problem(file=Message("problem.value.rankings_table"), column="unit_code", value=unit_code,
                                 expected=Message("problem.model.timeline_no_rank", unit=unit_code, since=since))])
    fig, axes = plt.subplots(3, 1, figsize=(11.5, 9.5), sharex=True, height_ratios=[3, 2, 1.6])
    _draw_trajectory(axes[0], rankings, unit_code, indices, lang)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    axes[0].set_ylabel(_t(lang, "percentile"), fontsize=8.5)
    fr = province_fact_rates(facts, unit_codes=(unit_code, f"{unit_code}-TTPVHCC"))
    fr = fr[fr["t"] >= since]
    ax = axes[1]
    if fr.empty:
        ax.text(0.5, 0.5, _t(lang, "timeline_nofacts"), ha="center", va="center", transform=ax.transAxes,
                color="#555555")
    for j, (ind, g) in enumerate(fr.groupby("indicator", sort=True)):
        for centre, part in g.groupby(g["unit_code"] != unit_code):
            ax.plot(part["t"], part["percent"], "s" if centre else "o", color=PALETTE[(j + 4) % len(PALETTE)],
                    mfc="white" if centre else None, ls="none",
                    label=_t(lang, ind) + (" (TT PVHCC)" if centre else ""))
    if not fr.empty:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    ax.set_ylim(0, 105)
    ax.set_ylabel(_t(lang, "timeline_facts"), fontsize=8.5)
    years = range(int(since), int(rankings["year"].max()) + 1)
    inv = units_with_investment(investments, years)
    synthetic = bool(len(investments)) and bool(investments["synthetic"].any())
    ax = axes[2]
    for j, (c, g) in enumerate(inv.groupby("category", sort=True)):
        ax.step(g["year"], g["units"], where="post", color=SYNTHETIC_COLOR if synthetic else PALETTE[j],
                ls="-" if j == 0 else "--", label=_t(lang, c) + (_t(lang, "synthetic_short") if synthetic else ""))
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    ax.set_ylabel(_t(lang, "timeline_inv"), fontsize=8.5)
    finish(fig, title=_t(lang, "timeline_title").format(unit=unit_name or unit_code),
           caption=_t(lang, "timeline_caption").format(synthetic=_t(lang, "synthetic_note") if synthetic else ""),
           xlabel=_t(lang, "year"), ax=axes[2])
    return fig


def p_method_text(p_method: str, lang: str) -> str:
    """How the p-value was computed (``rank_correlation``'s ``p_method``), in ``lang``."""
    if p_method == "exact":
        return _t(lang, "p_exact")
    if p_method == "exact permutation":
        return _t(lang, "p_exact_permutation")
    m = re.match(r"permutation \(([\d,]+) resamples\)", p_method)
    return t("rankings.p_permutation", lang, n=fmt_number(int(m.group(1).replace(",", "")), lang)) if m \
        else p_method


@styled
def plot_labelled_scatter(df: pd.DataFrame, x: str, y: str, *, label: str = "name", lang: str = DEFAULT_LANG,
                          title: str, xlabel: str, ylabel: str, highlight: str | None = None,
                          highlight_label: str | None = None, seed: int = 20240601):
    """Scatter of one point per unit with its name, and the Spearman correlation (with its
    small-sample p-value) in the caption. ``highlight`` names a boolean column drawn in a
    second colour (legend text ``highlight_label``)."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colors = [PALETTE[1] if (highlight and bool(v)) else PALETTE[0]
              for v in (df[highlight] if highlight else [False] * len(df))]
    ax.scatter(df[x].astype(float), df[y].astype(float), c=colors, s=36, zorder=3)
    if highlight:
        ax.scatter([], [], c=PALETTE[1], s=36, label=highlight_label or highlight)
        ax.scatter([], [], c=PALETTE[0], s=36, label=_t(lang, "other_units"))
        ax.legend(fontsize=8, loc="best")
    for xv, yv, lab in zip(df[x].astype(float), df[y].astype(float), df[label]):
        if not (pd.isna(xv) or pd.isna(yv)):
            ax.annotate(str(lab), (xv, yv), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.axhline(0, color="#999999", lw=0.8)
    res = rank_correlation(df[x], df[y], method="spearman", seed=seed)
    cap = _t(lang, "scatter_caption").format(rho=f"{res.statistic:.2f}", p=f"{res.p_value:.3f}",
                                             pm=p_method_text(res.p_method, lang), n=res.n)
    finish(fig, title=title, caption=cap, xlabel=xlabel, ylabel=ylabel, ax=ax)
    return fig


@styled
def plot_points_to_gain(gain: pd.DataFrame, *, unit: str, index: str, year: int, lang: str = DEFAULT_LANG):
    """Bar chart of ``points_to_gain`` output: points needed for 1, 2, 3, ... places."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    d = gain.dropna(subset=["points_needed"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(d["places"].astype(str), d["points_needed"], color=PALETTE[0])
    for xv, yv in zip(d["places"].astype(str), d["points_needed"]):
        ax.annotate(f"{yv:.2f}", (xv, yv), ha="center", va="bottom", fontsize=8)
    finish(fig, title=_t(lang, "points_title"),
           caption=_t(lang, "points_caption").format(unit=unit, index=index_label(index, lang), year=year),
           xlabel=_t(lang, "points_xlabel"), ylabel=_t(lang, "points_ylabel"), ax=ax)
    return fig
