"""The Decision 766 section of the leadership report (notebook 05) and of notebook 07:
where the province and the communes lose points this month, who fell below a threshold,
and what moved since last month, in plain Vietnamese (or English).

:func:`section` computes everything (tested); :func:`section_lines`,
:func:`province_table`, :func:`communes_table` and :func:`losses_figure` say it;
:func:`show_section` is the one call the notebooks make. Every name from the data is
escaped before it reaches Markdown.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, MISSING, display_table, fmt_change, fmt_date, fmt_number, t, t_or
from paranalysis.markup import esc
from paranalysis.serviceindex import scorecard as C
from paranalysis.serviceindex.schema import GROUPS, component_label
from paranalysis.style import styled


def _t(lang: str, key: str, **kw) -> str:
    return t(f"si.{key}", lang, **kw)


def month_label(period: str, lang: str = DEFAULT_LANG) -> str:
    """"tháng 10/2026" / "October 2026"; other periods as given ("2025-YTD" → "2025, lũy kế")."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(period))
    if not m:
        if str(period).endswith("-YTD"):
            return _t(lang, "year_to_date", year=esc(str(period)[:4]))
        return esc(period)
    return fmt_date(f"{m.group(1)}-{m.group(2)}-01", lang, style="date.month_pattern")


def _n(x, lang, d=2) -> str:
    return fmt_number(x, lang, d)


# --------------------------------------------------------------------------------------
# where the scorecard comes from
# --------------------------------------------------------------------------------------

#: index_for's tables by the files they were read from (path, size, sha1 of the bytes)
_INDEX_CACHE: dict[tuple, tuple[pd.DataFrame | None, pd.DataFrame | None]] = {}


def _files_read(root: Path) -> tuple:
    import hashlib

    return tuple((str(p), p.stat().st_size, hashlib.sha1(p.read_bytes()).hexdigest())
                 for p in sorted(root.rglob("*")) if p.is_file())


def _copies(score, pub):
    return (None if score is None else score.copy(), None if pub is None else pub.copy())


def index_for(data_dir=None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The scorecard and the published real figures of a dataset folder's ``service_index/``
    (default: the bundled data): the synthetic scorecard (``*_synthetic.csv``), tidy tables
    saved there, and the latest capture of each period fetched there. Published real
    figures (``service_index_*published*.csv``) are returned apart, never mixed in.
    Read once per content of the folder (notebooks 05 and 07 ask twice)."""
    from paranalysis.dataset import bundled_data_dir

    root = (Path(data_dir) if data_dir is not None else bundled_data_dir()) / "service_index"
    if not root.is_dir():
        return None, None
    key = (str(root.resolve()), _files_read(root))
    if key not in _INDEX_CACHE:
        if len(_INDEX_CACHE) >= 4:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = _read_index(root)
    return _copies(*_INDEX_CACHE[key])


def _read_index(root: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    from paranalysis.serviceindex.demo import read_wide, to_tidy
    from paranalysis.serviceindex.loaders import load_service_index
    from paranalysis.serviceindex.schema import coerce, validate

    frames, published = [], []
    for f in sorted(root.glob("*.csv")):
        if f.name.endswith("_synthetic.csv"):
            frames.append(to_tidy(read_wide(f)))
        elif "published" in f.name:
            published.append(load_service_index(f))
        elif f.name != "captures.csv":
            frames.append(load_service_index(f))
    raw = root / "raw"
    if raw.is_dir():
        for per in sorted(p for p in raw.iterdir() if p.is_dir()):
            caps = sorted(p for p in per.iterdir() if p.is_dir())
            if caps:
                frames.append(load_service_index(caps[-1]))
    score = validate(pd.concat(frames, ignore_index=True)) if frames else None  # validate coerces
    pub = coerce(pd.concat(published, ignore_index=True)) if published else None
    return score, pub


def report_month(scorecard: pd.DataFrame) -> str | None:
    """The month the section reports: the latest month of the scorecard."""
    ps = C.periods(scorecard, "month")
    return ps[-1] if ps else None


# --------------------------------------------------------------------------------------
# the section
# --------------------------------------------------------------------------------------

def section(scorecard: pd.DataFrame, month: str | None = None, *, published: pd.DataFrame | None = None,
            province: str = "H41", cuts=C.DEFAULT_CUTS, reconcile_with: pd.DataFrame | None = None) -> dict:
    """Everything the section says for ``month`` (default: the latest): the province's total,
    band, change since last month (or why it is not compared), points lost per group and
    sub-indicator; the communes' bands, who fell below or rose above a cut, the groups where
    communes lose most, the largest movers; the latest real published figure; optionally the
    reconciliation of progress with the processing counts ``reconcile_with``."""
    month = month or report_month(scorecard)
    prev = C.previous_period(scorecard, month)
    cuts = tuple(sorted(float(c) for c in cuts))
    info = {"month": month, "previous": prev, "cuts": cuts, "synthetic": bool(scorecard["synthetic"].any())}
    sc = scorecard[scorecard["period"].isin([month] if prev is None else [month, prev])]  # the two months read
    m = sc[sc["period"] == month]
    prov = m[(m["unit_id"] == province) & (m["level"] == "province")]
    info["province_total"] = float(prov.loc[prov["component"] == "total", "score"].iloc[0]) \
        if (prov["component"] == "total").any() else float("nan")
    info["province_band"] = C.band([info["province_total"]], cuts).iloc[0]
    ch = C.changes(sc, month, level="province")
    ch = ch[ch["unit_id"] == province]
    info["province_change"] = float(ch["change"].iloc[0]) if len(ch) else float("nan")
    info["province_comparable"] = bool(ch["comparable"].iloc[0]) if len(ch) else None
    info["versions"] = (ch["prev_formula_version"].iloc[0], ch["formula_version"].iloc[0]) if len(ch) else (None, None)
    if len(prov):
        pl = C.where_points_are_lost(sc, month, province)
        info["province_losses"] = pl
    else:
        info["province_losses"] = pd.DataFrame()
    tot = C.totals(sc, month, "commune")
    info["n_communes"] = int(tot["score"].notna().sum())
    b = C.band(tot["score"], cuts)
    labels = [f"<{cuts[0]:g}"] + [f"{a:g}-{c:g}" for a, c in zip(cuts, cuts[1:])] + [f">={cuts[-1]:g}"]
    info["bands"] = {lab: int((b == lab).sum()) for lab in labels}
    info["below"] = C.below(sc, month, cuts[0], level="commune")
    x = C.threshold_crossings(sc, month, cuts=cuts, level="commune")
    info["crossings"] = x
    info["group_losses"] = C.group_losses(sc, month, "commune")
    info["main_losses"] = C.main_losses(sc, month, "commune")
    cc = C.changes(sc, month, level="commune")
    info["commune_comparable"] = bool(cc["comparable"].all()) if len(cc) else False
    cc = cc.dropna(subset=["change"]).sort_values("change")
    info["down"] = cc.head(3)[cc.head(3)["change"] < 0]
    info["up"] = cc.tail(3).iloc[::-1][cc.tail(3).iloc[::-1]["change"] > 0]
    info["commune_changes"] = cc
    info["published"] = None
    if published is not None and len(published):
        pt = published[(published["component"] == "total") & (published["unit_id"] == province)]
        pt = pt.sort_values(["period_end", "period_type"], ascending=[True, False])
        if len(pt):
            info["published"] = pt.iloc[-1].to_dict()
    info["reconciliation"] = None
    if reconcile_with is not None and len(reconcile_with):
        from paranalysis.serviceindex.reconcile import reconcile_progress

        try:
            rec = reconcile_progress(scorecard, reconcile_with)
        except Exception:  # noqa: BLE001 - no overlap is reported as no reconciliation
            rec = pd.DataFrame()
        rec = rec[rec["diff_c_pp"].notna()] if len(rec) else rec
        mq = pd.Period(month, freq="M").asfreq("Q-DEC") if re.fullmatch(r"\d{4}-\d{2}", str(month)) else None
        if len(rec) and mq is not None:
            rec = rec[rec["quarter"] <= mq]
        if len(rec):
            last = rec["quarter"].max()
            r = rec[rec["quarter"] == last]
            info["reconciliation"] = {"quarter": last, "n": len(r), "ok": int((r["diff_c_pp"].abs() <= 0.5).sum()),
                                      "max": float(r["diff_c_pp"].abs().max())}
    return info


def _band_words(band: str | None, cuts, lang) -> str:
    if band is None:
        return "—"
    c1, c2 = (f"{cuts[0]:g}", f"{cuts[-1]:g}")
    if band.startswith("<"):
        return _t(lang, "band_low", c1=c1)
    if band.startswith(">="):
        return _t(lang, "band_high", c2=c2)
    return _t(lang, "band_mid", c1=c1, c2=c2)


def _sub_label(code: str, lang: str) -> str:
    return t_or(f"si.sub.{code}", lang, code)


def section_lines(info: dict, lang: str = DEFAULT_LANG) -> list[str]:
    """The section in sentences (Markdown, names escaped)."""
    mon = month_label(info["month"], lang)
    prev = month_label(info["previous"], lang) if info["previous"] else None
    cuts = info["cuts"]
    lines = []
    if info["synthetic"]:
        lines.append("**" + _t(lang, "synthetic") + "**")
    if np.isnan(info["province_total"]):
        lines.append(_t(lang, "province_missing", month=mon.capitalize()))
    else:
        lines.append(_t(lang, "province", month=mon.capitalize(), score=_n(info["province_total"], lang),
                        band=_band_words(info["province_band"], cuts, lang)))
        if prev and info["province_comparable"]:
            lines.append(_t(lang, "change", prev=prev, change=fmt_change(info["province_change"], lang, 2)))
        elif prev and info["province_comparable"] is False:
            a, b = info["versions"]
            lines.append(_t(lang, "not_comparable", prev=prev, a=esc(a), b=esc(b)))
    pl = info["province_losses"]
    if len(pl):
        g = pl[pl["is_group"]].dropna(subset=["points_lost"])
        top = g.sort_values("points_lost", ascending=False).head(3)
        items = [_t(lang, "loss_item", group=esc(component_label(r.component, lang)), lost=_n(r.points_lost, lang),
                    max=_n(r.max_score, lang, 0)) for r in top.itertuples()]
        if items:
            lines.append(_t(lang, "loses", items="; ".join(items)))
        if len(top):
            worst = top.iloc[0]["component"]
            subs = pl[(pl["group"] == worst) & ~pl["is_group"]].dropna(subset=["points_lost"])
            subs = subs[subs["points_lost"] > 0].sort_values("points_lost", ascending=False).head(2)
            if len(subs):
                lines.append(_t(lang, "sub", group=esc(component_label(worst, lang)),
                                items="; ".join(_t(lang, "sub_item", name=esc(_sub_label(r.component, lang)),
                                                   lost=_n(r.points_lost, lang), max=_n(r.max_score, lang, 0))
                                                for r in subs.itertuples())))
    if info["n_communes"]:
        bands = list(info["bands"].values())
        mid = sum(bands[1:-1])
        lines.append(_t(lang, "bands", n=info["n_communes"], low=bands[0], mid=mid, high=bands[-1],
                        c1=f"{cuts[0]:g}", c2=f"{cuts[-1]:g}"))
        x = info["crossings"]
        down = x[(x["direction"] == "down") & x["comparable"]]
        up = x[(x["direction"] == "up") & x["comparable"]]
        if len(down):
            for cut, part in down.groupby("fell_below", sort=True):
                if pd.isna(cut):
                    continue
                items = ", ".join(_t(lang, "move_item", name=esc(r.unit_name), a=_n(r.prev_score, lang),
                                     b=_n(r.score, lang)) for r in part.itertuples())
                lines.append(_t(lang, "fell", cut=f"{cut:g}", items=items))
        elif prev and info["commune_comparable"]:
            lines.append(_t(lang, "fell_none"))
        if len(up):
            items = ", ".join(_t(lang, "move_item", name=esc(r.unit_name), a=_n(r.prev_score, lang),
                                 b=_n(r.score, lang)) for r in up.head(5).itertuples())
            lines.append(_t(lang, "rose", items=items + (" …" if len(up) > 5 else "")))
        bl = info["below"]
        if len(bl):
            items = ", ".join(f"{esc(r.unit_name)} ({_n(r.score, lang)})" for r in bl.head(8).itertuples())
            lines.append(_t(lang, "below", cut=f"{cuts[0]:g}", items=items + (" …" if len(bl) > 8 else "")))
        gl = info["group_losses"]
        if len(gl):
            r = gl.iloc[0]
            lines.append(_t(lang, "commune_loses", group=component_label(r["component"], lang),
                            lost=_n(r["mean_points_lost"], lang), max=_n(r["max_score"], lang, 0)))
        if prev and not info["commune_comparable"]:
            lines.append(_t(lang, "movers_nc", prev=prev))
        elif prev and (len(info["up"]) or len(info["down"])):
            fmt = lambda d: ", ".join(f"{esc(r.unit_name)} ({fmt_change(r.change, lang, 2)})"  # noqa: E731
                                      for r in d.itertuples()) or "—"
            lines.append(_t(lang, "movers", prev=prev, up=fmt(info["up"]), down=fmt(info["down"])))
    rc = info.get("reconciliation")
    if rc:
        from paranalysis.i18n import quarter_label

        lines.append(_t(lang, "reconcile", quarter=quarter_label(str(rc["quarter"]), lang), ok=rc["ok"], n=rc["n"],
                        max=_n(rc["max"], lang)))
    p = info.get("published")
    if p:
        lines.append(_t(lang, "published", score=_n(p["score"], lang), rank=int(p["rank"]), n=int(p["n_ranked"]),
                        period=month_label(p["period"], lang), open=_t(lang, "open") if p.get("period_open") else ""))
    return lines


def province_table(info: dict, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The province's six groups: score, maximum and points lost, largest loss first."""
    pl = info["province_losses"]
    if not len(pl):
        return pd.DataFrame()
    g = pl[pl["is_group"]].sort_values("points_lost", ascending=False)
    return display_table(pd.DataFrame({"group": [component_label(c, lang) for c in g["component"]],
                                       "score": g["score"].to_numpy(), "max_score": g["max_score"].to_numpy(),
                                       "points_lost": g["points_lost"].to_numpy()}),
                         lang, decimals={"score": 2, "max_score": 0, "points_lost": 2})


def communes_table(info: dict, lang: str = DEFAULT_LANG, n: int = 10) -> pd.DataFrame:
    """The ``n`` lowest communes: total, last month's total and the group where each loses most."""
    ml = info["main_losses"].head(n)
    if not len(ml):
        return pd.DataFrame()
    prev = info["commune_changes"].set_index("unit_id")["prev_score"] if len(info["commune_changes"]) else {}
    return display_table(pd.DataFrame({
        "commune": ml["unit_name"].astype(str).to_numpy(), "total": ml["total"].to_numpy(),
        "prev_total": [prev.get(u, np.nan) if len(prev) else np.nan for u in ml["unit_id"]],
        "worst_group": [component_label(c, lang) for c in ml["worst_group"]]}), lang)


@styled
def losses_figure(info: dict, lang: str = DEFAULT_LANG):
    """Horizontal bars: the province's points lost by group in the month."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, SYNTHETIC_COLOR, finish

    pl = info["province_losses"]
    g = pl[pl["is_group"]].sort_values("points_lost") if len(pl) else pl
    fig, ax = plt.subplots(figsize=(8, 3.8))
    color = SYNTHETIC_COLOR if info["synthetic"] else PALETTE[0]
    if len(g):
        ax.barh([component_label(c, lang) for c in g["component"]], g["points_lost"], color=color)
        for yv, (v, mx) in enumerate(zip(g["points_lost"], g["max_score"])):
            ax.annotate(f"{_n(v, lang)} / {_n(mx, lang, 0)}", (v, yv), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
    mon = month_label(info["month"], lang)
    finish(fig, title=_t(lang, "fig_title", month=mon),
           caption=_t(lang, "fig_caption", synthetic=_t(lang, "fig_synth") if info["synthetic"] else ""),
           xlabel=_t(lang, "fig_xlabel"), ax=ax)
    return fig


def show_section(ds, quarter=None, lang: str = DEFAULT_LANG, *, data_dir=None):
    """Display the section in a notebook (heading, sentences, tables, figure): the one call
    notebooks 05 and 07 make. ``ds`` is the report's dataset (its folder, or the bundled data)."""
    from paranalysis.leadership import heading, say, show, table

    folder = data_dir if data_dir is not None else (getattr(ds, "path", None) if ds is not None else None)
    score, pub = index_for(folder)
    if score is None or score.empty:
        heading(_t(lang, "heading", month="—"))
        say([_t(lang, "none")])
        return None
    info = section(score, published=pub, reconcile_with=getattr(ds, "processing", None))
    heading(_t(lang, "heading", month=month_label(info["month"], lang)))
    say(section_lines(info, lang))
    table(province_table(info, lang))
    show(losses_figure(info, lang))
    table(communes_table(info, lang), text=True)
    return info


# --------------------------------------------------------------------------------------
# notebook 07 helpers
# --------------------------------------------------------------------------------------

def published_table(published: pd.DataFrame | None, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The bundled real figures of the province: one row per period, six groups and the total
    with rank, and the source."""
    if published is None or not len(published):
        return pd.DataFrame()
    rows = []
    for per, part in published.groupby("period", sort=False):
        s = part.set_index("component")["score"]
        tot = part[part["component"] == "total"].iloc[0]
        row = {"period": month_label(per, lang)}
        for g in GROUPS:
            row[component_label(g, lang)] = s.get(g, np.nan)
        row[component_label("total", lang)] = tot["score"]
        row["rank_of_n"] = f"{int(tot['rank'])}/{int(tot['n_ranked'])}" if not pd.isna(tot["rank"]) else MISSING
        rows.append(row)
    # the group names are already the reader's words (component_label)
    return display_table(pd.DataFrame(rows), lang,
                         translated=tuple(component_label(g, lang) for g in (*GROUPS, "total")))


def bands_by_month(scorecard: pd.DataFrame, cuts=C.DEFAULT_CUTS, level: str = "commune") -> pd.DataFrame:
    """Number of units of ``level`` in each score band, month by month, with the formula version."""
    t = scorecard[(scorecard["component"] == "total") & (scorecard["level"] == level)
                  & (scorecard["period_type"] == "month")].copy()
    t["band"] = C.band(t["score"], cuts)
    out = t.pivot_table(index=["period", "formula_version"], columns="band", values="unit_id", aggfunc="count",
                        fill_value=0)
    cuts = sorted(cuts)
    order = [f"<{cuts[0]:g}"] + [f"{a:g}-{b:g}" for a, b in zip(cuts, cuts[1:])] + [f">={cuts[-1]:g}"]
    return out.reindex(columns=[c for c in order if c in out.columns]).reset_index()


@styled
def trend_figure(scorecard: pd.DataFrame, unit_id: str = "H41", lang: str = DEFAULT_LANG):
    """The unit's monthly total and group scores (as % of their maxima), with the line cut
    and marked where the formula version changes."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    fig, ax = plt.subplots(figsize=(10, 4.8))
    own = scorecard[scorecard["unit_id"] == unit_id]  # the unit's rows, read once for its seven lines
    for j, comp in enumerate(("total",) + GROUPS):
        tr = C.trend(own, unit_id, comp)
        if tr.empty:
            continue
        for _, seg in tr.groupby("segment"):
            ax.plot(seg["period_start"], 100 * seg["score"] / seg["max_score"], color=PALETTE[j % len(PALETTE)],
                    lw=2.6 if comp == "total" else 1.2, marker="o" if comp == "total" else None, ms=3,
                    label=component_label(comp, lang) if seg["segment"].iloc[0] == tr["segment"].iloc[0] else None)
    fc = C.formula_changes(scorecard)
    for r in fc.itertuples():
        x = pd.Period(r.period, freq="M").start_time
        ax.axvline(x, color="#555555", ls="--", lw=1)
        ax.annotate(_t(lang, "trend_new_formula"), (x, 101), fontsize=8, ha="left", va="bottom")
    ax.set_ylim(40, 105)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    synth = bool(scorecard["synthetic"].any())
    cap = _t(lang, "trend_caption") + (_t(lang, "trend_synthetic") if synth else "")
    finish(fig, title=_t(lang, "trend_title"), caption=cap, ylabel=_t(lang, "trend_ylabel"), ax=ax)
    return fig


def reconciliation_rows(rec: pd.DataFrame, n: int = 5, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The first ``n`` reconciled rows with counts, for display (rates in %, headers and
    numbers in ``lang``)."""
    if rec is None or not len(rec):
        return pd.DataFrame()
    r = rec[rec["diff_c_pp"].notna()].head(n)
    return display_table(pd.DataFrame({
        "unit_id": r["unit_id"], "quarter": r["quarter"], "portal_pct": (100 * r["portal_ratio"]).round(2),
        "form_c_pct": (100 * r["form_rate_c"]).round(2), "form_a_pct": (100 * r["form_rate_a"]).round(2),
        "diff_c_pp": r["diff_c_pp"], "explanation": r["explanation"]}).reset_index(drop=True), lang)


def rank_moves_table(moves: pd.DataFrame, n: int = 5, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The ``n`` largest falls in relative position, for display (headers, months and
    numbers in ``lang``)."""
    if moves is None or not len(moves):
        return pd.DataFrame()
    m = moves.sort_values("percentile_change").head(n)
    return display_table(pd.DataFrame({
        "unit_name": m["unit_name"].astype(str), "previous": [month_label(p, lang) for p in m["previous"]],
        "prev_rank": m["prev_rank"], "period": [month_label(p, lang) for p in m["period"]], "rank": m["rank"],
        "n_ranked": m["n_ranked"], "places_gained": m["places_gained"],
        "percentile_change": (100 * m["percentile_change"]).round(1)}).reset_index(drop=True), lang,
        decimals={"percentile_change": 1})


def reconciliation_summary(rec: pd.DataFrame) -> pd.DataFrame:
    """Per quarter: units reconciled, which form count the portal's denominator matches, and
    the largest differences from definitions C and A (percentage points)."""
    if rec is None or not len(rec):
        return pd.DataFrame()
    r = rec.copy()
    r["quarter"] = r["quarter"].astype(str)
    g = r.groupby(["quarter", "basis", "formula_version"], dropna=False)
    out = g.agg(units=("unit_code", "nunique"),
                with_counts=("portal_received", lambda s: int(s.notna().sum())),
                matches_new_records=("denominator_basis", lambda s: int((s == "received").sum())),
                max_abs_diff_c_pp=("diff_c_pp", lambda s: float(s.abs().max()) if s.notna().any() else np.nan),
                mean_diff_a_pp=("diff_a_pp", "mean")).reset_index()
    return out


def reconciliation_summary_table(rec: pd.DataFrame, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """:func:`reconciliation_summary` as a reader sees it (headers, bases and numbers in ``lang``)."""
    out = reconciliation_summary(rec)
    if not len(out):
        return out
    out["basis"] = [t_or(f"si.basis.{b}", lang, b) for b in out["basis"]]
    return display_table(out, lang)


def load_reference_2025(path) -> pd.DataFrame:
    """The real 2025 portal export of the 34 provinces (the shared reference CSV, read in
    place): the two province tables; the An Giang unit tables, whose period is not known,
    are kept with period "unknown"."""
    from paranalysis.serviceindex.loaders import load_service_index

    return load_service_index(path, periods={"an_giang_departments": "unknown", "an_giang_communes": "unknown"},
                              retrieved_at="2025-10-16")


def province_vs_median(index: pd.DataFrame, period: str, unit_id: str = "H41", lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """One province's score and points lost per group beside the median of the provinces
    scored in the same period (same level: peers)."""
    d = index[(index["period"] == period) & (index["level"] == "province") & index["component"].isin(GROUPS + ("total",))]
    med = d.groupby("component")["score"].median()
    own = d[d["unit_id"] == unit_id].set_index("component")["score"]
    n = d.loc[d["component"] == "total", "unit_id"].nunique()
    comps = list(GROUPS) + ["total"]
    own_col = t("unit.nghe_an", lang) if unit_id == "H41" else unit_id
    median_col = _t(lang, "median_of", n=n)
    out = pd.DataFrame({
        "group": [component_label(c, lang) for c in comps],
        own_col: [own.get(c, np.nan) for c in comps],
        median_col: [med.get(c, np.nan) for c in comps],
        "difference": [fmt_change(own.get(c, np.nan) - med.get(c, np.nan), lang, 2) for c in comps],
    })
    return display_table(out, lang, translated=(own_col, median_col))
