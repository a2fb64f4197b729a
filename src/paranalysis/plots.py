"""The pictures of processing speed, drawn in the one project style (``paranalysis.style``).

- :func:`trend_small_multiples`: one small panel per unit, the rate with its interval
  over time, the province line for reference, definition breaks marked.
- :func:`funnel_plot`: rate against volume with 95 % and 99.8 % limits (``paranalysis.funnel``).
- :func:`league_plot`: units ranked, each with its interval.
- :func:`online_share_plot`: the online share over time with the definition breaks of
  ``paranalysis.indicators.DEFINITION_BREAKS`` marked and labelled.
- :func:`overlay_facts`: figures reported in the press drawn over any time plot.

Every function takes ``lang`` (default :data:`paranalysis.i18n.DEFAULT_LANG`) for its labels,
all from the catalogue (``paranalysis.i18n``), and returns a
matplotlib Figure with a title, axis labels with units, and a caption usable as alt text
(``fig.paranalysis_caption``).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from paranalysis import style
from paranalysis.funnel import FunnelResult
from paranalysis.i18n import DEFAULT_LANG, fmt_pct, isna, t
from paranalysis.indicators import DefinitionBreak, definition_breaks, indicator, unit_names
from paranalysis.style import styled


_DENOMINATOR_OF = {
    "on_time_resolved_basis": "resolved", "late_rate_resolved_basis": "resolved", "early_share": "resolved",
    "on_time_workload_basis": "handled", "on_time_766_basis": "handled", "late_rate_workload_basis": "handled",
    "clearance_rate": "handled", "digitisation_rate": "handled", "late_rate_received_basis": "received",
    "online_share": "received", "postal_share": "received", "direct_share": "received",
    "overdue_backlog_share": "pending", "satisfaction_rate": "ratings",
}


def denominator_label(key: str, lang: str = DEFAULT_LANG) -> str:
    """What the denominator of indicator ``key`` counts, for an axis label."""
    d = _DENOMINATOR_OF.get(key)
    return t(f"plot.denominator.{d}", lang) if d else _t(lang, "records")


FLAG_COLORS = {"within": style.PALETTE[0], "better": style.PALETTE[2], "worse": style.PALETTE[1],
               "high": style.PALETTE[3], "low": style.PALETTE[4]}


def _t(lang: str, key: str, **kw) -> str:
    return t(f"plot.{key}", lang, **kw)


def _pct(v, lang: str = DEFAULT_LANG, decimals: int = 1) -> str:
    """A share (0-1) as a percentage written in ``lang``; missing gives "—"."""
    return fmt_pct(None if isna(v) else 100 * v, lang, decimals)


def _mid(periods) -> pd.DatetimeIndex:
    """The middle of each period, for a time axis."""
    p = pd.PeriodIndex(periods)
    return p.start_time + (p.end_time - p.start_time) / 2


def _percent_axis(ax, decimals: int = 0, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.{decimals}f}"))


def _grain(periods, lang: str) -> str:
    freq = getattr(pd.PeriodIndex(periods), "freqstr", "Q")
    return _t(lang, "year" if freq.startswith("Y") else "quarter").lower()


def _breaks_text(brks: list[DefinitionBreak], lang: str) -> str:
    return "; ".join(f"{b.date:%d/%m/%Y} {b.label(lang)}" for b in brks)


def _draw_breaks(ax, brks: list[DefinitionBreak], *, label: bool, lang: str) -> None:
    lo, hi = ax.get_xlim()
    for i, b in enumerate(brks):
        x = pd.Timestamp(b.date)
        xn = plt.matplotlib.dates.date2num(x)
        if not (lo <= xn <= hi):
            continue
        ax.axvline(x, color="#555555", lw=0.9, ls=(0, (4, 3)) if label else ":", zorder=1)
        if label:
            ax.annotate(b.label(lang), xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -4 - 11 * (i % 3)),
                        textcoords="offset points", fontsize=7.5, color="#333333", va="top", ha="left")


def _visible_breaks(brks, periods) -> list[DefinitionBreak]:
    p = pd.PeriodIndex(periods)
    if len(p) == 0:
        return []
    start, end = p.min().start_time, p.max().end_time
    return [b for b in brks if start <= pd.Timestamp(b.date) <= end]


def _one(rate_table: pd.DataFrame, key: str | None) -> tuple[pd.DataFrame, str]:
    if "indicator" in rate_table.columns:
        keys = rate_table["indicator"].unique()
        if key is None:
            if len(keys) != 1:
                raise ValueError("pass key=: the rate table holds several indicators")
            key = keys[0]
        rate_table = rate_table[rate_table["indicator"] == key]
    elif key is None:
        raise ValueError("pass key=")
    return rate_table, key


# --------------------------------------------------------------------------------------
# Facts overlay
# --------------------------------------------------------------------------------------


def overlay_facts(ax, fact_rates: pd.DataFrame | None, key: str, *, unit_code=None, lang: str = DEFAULT_LANG,
                  label: bool = True) -> int:
    """Draw the press figures of indicator ``key`` (rows of
    :func:`paranalysis.indicators.fact_rates`; for one unit if ``unit_code`` is given)
    as red bars spanning their period, at their value. Returns how many were drawn;
    an empty or missing facts table draws nothing."""
    if fact_rates is None or len(fact_rates) == 0 or "indicator" not in fact_rates.columns:
        return 0
    f = fact_rates[fact_rates["indicator"] == key]
    if unit_code is not None:
        codes = [unit_code] if isinstance(unit_code, str) else list(unit_code)
        f = f[f["unit_code"].isin(codes)]
    n = 0
    for row in f.itertuples(index=False):
        x0, x1 = pd.Timestamp(row.period_start), pd.Timestamp(row.period_end)
        if pd.isna(x0) or pd.isna(x1) or pd.isna(row.value):
            continue
        ax.plot([x0, x1], [row.value, row.value], color=style.FACT_COLOR, lw=2.2, solid_capstyle="butt", zorder=5,
                label=_t(lang, "fact") if (label and n == 0) else None)
        ax.plot([x0 + (x1 - x0) / 2], [row.value], marker="D", ms=5, color=style.FACT_COLOR, zorder=6)
        n += 1
    return n


# --------------------------------------------------------------------------------------
# Trends per unit
# --------------------------------------------------------------------------------------


@styled
def trend_small_multiples(rate_table: pd.DataFrame, key: str | None = None, *, units: pd.DataFrame | None = None,
                          reference: pd.DataFrame | None = None, lang: str = DEFAULT_LANG, ncols: int = 5,
                          breaks: bool = True, fact_rates: pd.DataFrame | None = None, percent_decimals: int = 0,
                          title: str | None = None):
    """One panel per unit with the rate of indicator ``key`` over time and its 95 %
    interval. ``rate_table``: from :func:`paranalysis.indicators.rates` (columns
    unit_code, period, indicator, rate, ci_low, ci_high). ``reference``: a rate table of
    the province total (e.g. ``rates(combine(counts))``) drawn in grey in every panel.
    Panels share the vertical axis so units can be compared at a glance."""
    tab, key = _one(rate_table, key)
    spec = indicator(key)
    names = unit_names(units, lang)
    codes = sorted(tab["unit_code"].unique(), key=lambda c: (names.get(c, c)))
    n = len(codes)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols) if n else 1
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 1.9 * nrows + 0.6), sharex=True, sharey=True,
                             squeeze=False)
    ref = None
    if reference is not None:
        ref, _ = _one(reference, key)
        ref = ref.sort_values("period")
    brks = _visible_breaks(definition_breaks(), tab["period"]) if breaks else []
    n_facts = 0
    for ax, code in zip(axes.flat, codes):
        d = tab[tab["unit_code"] == code].sort_values("period")
        x = _mid(d["period"])
        if ref is not None:
            ax.plot(_mid(ref["period"]), ref["rate"], color=style.SYNTHETIC_COLOR, lw=1.0, zorder=2)
        ax.fill_between(x, d["ci_low"], d["ci_high"], color=style.PALETTE[0], alpha=0.2, lw=0, zorder=3)
        ax.plot(x, d["rate"], color=style.PALETTE[0], lw=1.4, zorder=4)
        ax.set_title(names.get(code, code), fontsize=9, fontweight="normal", y=1.0)  # fixed: no top ticks to avoid
        n_facts += overlay_facts(ax, fact_rates, key, unit_code=code, lang=lang, label=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes.flat[:n]:
        _draw_breaks(ax, brks, label=False, lang=lang)
        _percent_axis(ax, percent_decimals)
        ax.tick_params(labelsize=7.5)
    label = spec.label(lang)
    grain = _grain(tab["period"], lang)
    rolling = "n_quarters" in tab.columns and grain == _t(lang, "quarter").lower() and (tab["n_quarters"] > 1).any()
    per = _t(lang, "per_grain", grain=grain)
    in_text = label[:1].lower() + label[1:]  # mid-sentence
    caption = _t(lang, "trend_caption", label=in_text, grain=_t(lang, "rolling") if rolling else per,
                 breaks=_breaks_text(brks, lang) or _t(lang, "none"))
    if n_facts:
        caption += _t(lang, "facts_caption", n=n_facts)
    style.finish(fig, title=title or _t(lang, "trend_title", label=label), caption=caption,
                 xlabel=_t(lang, "year" if grain == _t(lang, "year").lower() else "quarter"),
                 ylabel=f"{label} (%)", shared=True)
    return fig


# --------------------------------------------------------------------------------------
# Funnel and league
# --------------------------------------------------------------------------------------


@styled
def funnel_plot(result: FunnelResult, *, units: pd.DataFrame | None = None, lang: str = DEFAULT_LANG,
                period: str | None = None, label_units: str = "outside", unit: str = "unit_code",
                percent_decimals: int = 1, title: str | None = None):
    """The funnel plot of a :func:`paranalysis.funnel.funnel` result: rate against the
    number of records (log scale), the province rate, and the 95 % (dashed) and 99.8 %
    (solid) limits. Units outside the 95 % limits are named (``label_units="all"``
    names every unit)."""
    spec = indicator(result.indicator)
    names = unit_names(units, lang)
    fig, ax = plt.subplots(figsize=(8, 5.2))
    lim = result.limits
    for lvl, ls in zip(sorted(result.levels), ["--", "-"]):
        tag = f"{100 * lvl:g}"
        lab = _t(lang, "limit95" if lvl < 0.99 else "limit998")
        ax.plot(lim["denominator"], lim[f"lower_{tag}"], color="#555555", ls=ls, lw=1, label=lab)
        ax.plot(lim["denominator"], lim[f"upper_{tag}"], color="#555555", ls=ls, lw=1)
    ax.axhline(result.target, color="#222222", lw=1.2, label=f"{_t(lang, 'target')} {_pct(result.target, lang, 2)}")
    u = result.units
    colors = [FLAG_COLORS.get(a, style.PALETTE[0]) for a in u["assessment"]]
    ax.scatter(u["denominator"], u["rate"], c=colors, s=36, zorder=5, edgecolor="white", linewidth=0.6)
    outside = u[u["flag"] != "within"]
    to_label = u if label_units == "all" else outside
    ax.set_xscale("log")
    _percent_axis(ax, percent_decimals)
    ymin = min(u["rate"].min(), lim[[c for c in lim.columns if c.startswith("lower_99")]].min().min())
    ymax = max(u["rate"].max(), lim[[c for c in lim.columns if c.startswith("upper_99")]].max().max())
    pad = (ymax - ymin) * 0.06 or 0.01
    ax.set_ylim(max(0.0, ymin - pad), min(1.0, ymax + pad))
    labels = [(r.denominator, r.rate, names.get(c, c)) for r in to_label.itertuples(index=False)
              for c in [getattr(r, unit) if hasattr(r, unit) else ""]]
    for x, y, name in spaced_labels(ax, labels):  # the caption names every unit outside the limits
        ax.annotate(name, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.legend(loc="lower right" if spec.higher_is_better is not False else "upper right", fontsize=8)
    label = spec.label(lang)
    adjust = _t(lang, f"adjust_{result.adjustment}", phi=f"{result.phi:.1f}")
    out_names = ", ".join(f"{names.get(getattr(r, unit), getattr(r, unit))} ({_pct(r.rate, lang, 2)})"
                          for r in outside.itertuples(index=False)) or _t(lang, "none")
    per = period or ""
    caption = _t(lang, "funnel_caption", label=label, target=_pct(result.target, lang, 2), adjust=adjust,
                 outside=out_names)
    style.finish(fig, title=title or _t(lang, "funnel_title", label=label, period=per).replace(" ()", ""),
                 caption=caption, xlabel=f"{denominator_label(result.indicator, lang)} ({_t(lang, 'log')})",
                 ylabel=f"{label} (%)", ax=ax)
    return fig


def spaced_labels(ax, labels, *, char_px: float = 5.0, line_px: float = 11.0):
    """The labels ``(x, y, text)`` that can be written beside their points without running
    over one written before (the largest x first, then left): units piled on one spot, such
    as many small units at 0 %, get one name, not a smudge. Distances are on the axes as
    they are now, a label of 8 points taken as ``char_px`` per letter and ``line_px`` high."""
    if not labels:
        return []
    ax.get_xlim(), ax.get_ylim()  # settle the axes' limits before measuring on them
    kept, boxes = [], []
    for x, y, text in sorted(labels, key=lambda v: (-v[0], v[1], str(v[2]))):
        px, py = ax.transData.transform((x, y))
        box = (px, px + 4 + char_px * len(str(text)), py, py + line_px)
        if all(box[1] <= b[0] or box[0] >= b[1] or box[3] <= b[2] or box[2] >= b[3] for b in boxes):
            kept.append((x, y, text))
            boxes.append(box)
    return kept


@styled
def league_plot(league: pd.DataFrame, key: str, *, lang: str = DEFAULT_LANG, period: str | None = None,
                percent_decimals: int = 1, title: str | None = None):
    """Dot-and-interval chart of a :func:`paranalysis.funnel.league_table`, best unit at
    the top, each label carrying the unit's rank interval."""
    spec = indicator(key)
    n = len(league)
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * n + 1.4))
    y = np.arange(n)[::-1]
    colors = [FLAG_COLORS.get(a, style.PALETTE[0]) for a in league.get("assessment", ["within"] * n)]
    ax.hlines(y, league["ci_low"], league["ci_high"], color=colors, lw=2)
    ax.scatter(league["rate"], y, color=colors, zorder=3, s=22)
    labels = [f"{r.name}  ({r.rank_low}–{r.rank_high})" if r.rank_low != r.rank_high else f"{r.name}  ({r.rank})"
              for r in league.itertuples(index=False)]
    ax.set_yticks(y, labels, fontsize=8.5)
    ax.grid(axis="y", visible=False)
    _percent_axis(ax, percent_decimals, axis="x")
    label = spec.label(lang)
    style.finish(fig, title=title or _t(lang, "league_title", label=label, period=period or "").replace(" ()", ""),
                 caption=_t(lang, "league_caption", label=label), xlabel=f"{label} (%)",
                 ylabel=_t(lang, "rank").capitalize(), ax=ax)
    return fig


# --------------------------------------------------------------------------------------
# Online share with definition breaks
# --------------------------------------------------------------------------------------


@styled
def online_share_plot(total_rates: pd.DataFrame, *, unit_rates: pd.DataFrame | None = None,
                      fact_rates: pd.DataFrame | None = None, fact_units=None, lang: str = DEFAULT_LANG,
                      who: str | None = None, title: str | None = None):
    """The online share over time for the province total (``total_rates``: a rate table
    of one series, e.g. ``rates(combine(counts), ["online_share"])``), with each unit in
    thin grey lines if ``unit_rates`` is given, the definition breaks (Decree 61/2018,
    Decree 42 and Decision 766 in 2022, the Vinh-Cửa Lò merger, two-level government)
    marked and labelled, and press figures of ``fact_units`` overlaid."""
    tot, _ = _one(total_rates, "online_share")
    tot = tot.sort_values("period")
    fig, ax = plt.subplots(figsize=(9, 4.8))
    if unit_rates is not None:
        ur, _ = _one(unit_rates, "online_share")
        for _, d in ur.groupby("unit_code"):
            d = d.sort_values("period")
            ax.plot(_mid(d["period"]), d["rate"], color="#b0b7bf", lw=0.7, zorder=1)
    x = _mid(tot["period"])
    ax.fill_between(x, tot["ci_low"], tot["ci_high"], color=style.PALETTE[0], alpha=0.25, lw=0, zorder=2)
    ax.plot(x, tot["rate"], color=style.PALETTE[0], lw=2.2, marker="o", ms=3, zorder=3,
            label=who or _t(lang, "province"))
    ax.set_ylim(0, 1)
    pad = pd.Timedelta(days=60)
    ax.set_xlim(x.min() - pad, x.max() + pad)
    brks = _visible_breaks(definition_breaks(), tot["period"])
    _draw_breaks(ax, brks, label=True, lang=lang)
    n_facts = overlay_facts(ax, fact_rates, "online_share", unit_code=fact_units, lang=lang)
    _percent_axis(ax, 0)
    ax.legend(loc="center left", fontsize=8)
    p = tot["period"]
    facts_txt = _t(lang, "facts_caption", n=n_facts) if n_facts else ""
    caption = _t(lang, "online_caption", who=who or _t(lang, "province").lower(), first=str(p.iloc[0]),
                 last=str(p.iloc[-1]), breaks=_breaks_text(brks, lang) or _t(lang, "none"), start=str(p.iloc[0]),
                 end=str(p.iloc[-1]), v0=_pct(tot["rate"].iloc[0], lang), v1=_pct(tot["rate"].iloc[-1], lang),
                 facts=facts_txt)
    style.finish(fig, title=title or _t(lang, "online_title"), caption=caption, xlabel=_t(lang, "quarter"),
                 ylabel=f"{indicator('online_share').label(lang)} (%)", ax=ax)
    return fig


def save_png(fig, path) -> Path:
    """Write a figure to PNG (the caption included) and return the path."""
    path = Path(path)
    fig.savefig(path, format="png")
    return path
