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

from paranalysis.i18n import fmt_change, fmt_number
from paranalysis.markup import esc
from paranalysis.serviceindex import scorecard as C
from paranalysis.serviceindex.schema import GROUPS, component_label
from paranalysis.style import styled


TEXT = {
    "vi": {
        "heading": "Bộ chỉ số 766 (phục vụ người dân, doanh nghiệp): {month}",
        "synthetic": "Điểm của tỉnh và các xã, phường trong phần này là DỮ LIỆU MINH HỌA (giả lập), không phải điểm thật.",
        "none": "Thư mục dữ liệu chưa có bảng điểm Bộ chỉ số 766. Lấy bảng điểm bằng lệnh "
                "`paranalysis fetch-service-index --province ... --period ... --data ...`.",
        "province": "{month}, tỉnh đạt {score}/100 điểm ({band}).",
        "province_missing": "{month}: chưa đủ điểm sáu nhóm của tỉnh nên không có tổng điểm (thiếu không phải là 0).",
        "change": "So với {prev}: {change} điểm.",
        "not_comparable": "Không so sánh với {prev}: công thức tính điểm đã thay đổi ({a} → {b}); "
                          "chênh lệch điểm lúc này không phản ánh kết quả làm việc.",
        "loses": "Tỉnh mất nhiều điểm nhất ở: {items}.",
        "loss_item": "{group} (mất {lost}/{max} điểm)",
        "sub": "Trong nhóm {group}, chỉ tiêu mất nhiều điểm nhất: {items}.",
        "sub_item": "{name} (mất {lost}/{max})",
        "bands": "{n} xã, phường được chấm: {low} dưới {c1} điểm, {mid} từ {c1} đến dưới {c2}, {high} từ {c2} trở lên.",
        "fell": "Tụt xuống dưới {cut} điểm trong tháng: {items}.",
        "fell_none": "Không xã, phường nào tụt xuống dưới ngưỡng trong tháng.",
        "rose": "Lên nhóm điểm cao hơn: {items}.",
        "move_item": "{name} ({a} → {b})",
        "below": "Dưới {cut} điểm: {items}.",
        "commune_loses": "Các xã, phường mất nhiều điểm nhất ở nhóm {group} (trung bình mất {lost}/{max} điểm mỗi xã).",
        "movers": "Thay đổi lớn nhất so với {prev}: tăng {up}; giảm {down}.",
        "movers_nc": "Không so sánh điểm các xã với {prev}: công thức tính điểm đã thay đổi.",
        "published": "Số liệu thật đã công bố gần nhất của tỉnh: {score} điểm, hạng {rank}/{n} ({period}{open}).",
        "open": ", kỳ chưa kết thúc khi xuất số liệu",
        "band_low": "dưới {c1} điểm", "band_mid": "từ {c1} đến dưới {c2} điểm", "band_high": "từ {c2} điểm trở lên",
        "col_group": "Nhóm chỉ số", "col_score": "Điểm", "col_max": "Tối đa", "col_lost": "Điểm bị mất",
        "col_unit": "Xã, phường", "col_total": "Tổng điểm", "col_worst": "Mất nhiều nhất ở", "col_prev": "Tháng trước",
        "fig_title": "Điểm bị mất theo nhóm chỉ số, {month}",
        "fig_caption": "Mỗi thanh là số điểm tỉnh bị mất so với điểm tối đa của nhóm (tổng 100 điểm).{synthetic}",
        "fig_synth": " Dữ liệu minh họa, không phải điểm thật.",
        "fig_xlabel": "Điểm bị mất",
        "reconcile": "Điểm tiến độ {quarter} khớp số liệu biểu mẫu (định nghĩa C: đúng hạn cộng đang trong hạn) ở "
                     "{ok}/{n} xã, phường trong phạm vi làm tròn; chênh lệch lớn nhất {max} điểm %.",
        "month": "tháng {m}/{y}",
    },
    "en": {
        "heading": "Decision 766 service index: {month}",
        "synthetic": "The province's and the communes' scores in this section are SYNTHETIC demonstration data, "
                     "not real scores.",
        "none": "The data folder holds no Decision 766 scorecard. Fetch one with "
                "`paranalysis fetch-service-index --province ... --period ... --data ...`.",
        "province": "In {month} the province scored {score}/100 ({band}).",
        "province_missing": "{month}: not all six group scores of the province are present, so there is no total "
                            "(missing is not zero).",
        "change": "Since {prev}: {change} points.",
        "not_comparable": "Not compared with {prev}: the scoring formula changed ({a} → {b}); a score difference now "
                          "says nothing about performance.",
        "loses": "The province loses most points in: {items}.",
        "loss_item": "{group} ({lost} of {max} points lost)",
        "sub": "Within {group}, the sub-indicators losing most: {items}.",
        "sub_item": "{name} ({lost} of {max} lost)",
        "bands": "{n} communes and wards scored: {low} below {c1}, {mid} from {c1} to under {c2}, {high} at {c2} or "
                 "above.",
        "fell": "Fell below {cut} points this month: {items}.",
        "fell_none": "No commune or ward fell below a threshold this month.",
        "rose": "Moved up a band: {items}.",
        "move_item": "{name} ({a} → {b})",
        "below": "Below {cut} points: {items}.",
        "commune_loses": "Communes lose most points in {group} (on average {lost} of {max} points each).",
        "movers": "Largest changes since {prev}: up {up}; down {down}.",
        "movers_nc": "Commune scores are not compared with {prev}: the scoring formula changed.",
        "published": "Latest real published figure for the province: {score} points, ranked {rank} of {n} "
                     "({period}{open}).",
        "open": ", period still open when exported",
        "band_low": "below {c1}", "band_mid": "{c1} to under {c2}", "band_high": "{c2} or above",
        "col_group": "Group", "col_score": "Score", "col_max": "Maximum", "col_lost": "Points lost",
        "col_unit": "Commune / ward", "col_total": "Total", "col_worst": "Loses most in", "col_prev": "Last month",
        "fig_title": "Points lost by group, {month}",
        "fig_caption": "Each bar is the points the province lost against the group's maximum (100 in all).{synthetic}",
        "fig_synth": " Synthetic demonstration data, not real scores.",
        "fig_xlabel": "Points lost",
        "reconcile": "The progress score of {quarter} matches the form's counts (definition C: on time plus still "
                     "within the deadline) for {ok} of {n} communes up to rounding; largest difference {max} pp.",
        "month": "{mname} {y}",
    },
}
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]


def _t(lang: str, key: str, **kw) -> str:
    return TEXT.get(lang, TEXT["en"])[key].format(**kw)


def month_label(period: str, lang: str = "vi") -> str:
    """"tháng 10/2026" / "October 2026"; other periods as given ("2025-YTD" → "2025, lũy kế")."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(period))
    if not m:
        if str(period).endswith("-YTD"):
            return f"{esc(str(period)[:4])}, " + ("lũy kế từ đầu năm" if lang == "vi" else "year to date")
        return esc(period)
    y, mm = int(m.group(1)), int(m.group(2))
    return _t(lang, "month", m=mm, y=y, mname=_MONTHS_EN[mm - 1])


def _n(x, lang, d=2) -> str:
    return fmt_number(x, lang, d)


# --------------------------------------------------------------------------------------
# where the scorecard comes from
# --------------------------------------------------------------------------------------

def index_for(data_dir=None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The scorecard and the published real figures of a dataset folder's ``service_index/``
    (default: the bundled data): the synthetic scorecard (``*_synthetic.csv``), tidy tables
    saved there, and the latest capture of each period fetched there. Published real
    figures (``service_index_*published*.csv``) are returned apart, never mixed in."""
    from paranalysis.dataset import bundled_data_dir
    from paranalysis.serviceindex.demo import read_wide, to_tidy
    from paranalysis.serviceindex.loaders import load_service_index
    from paranalysis.serviceindex.schema import coerce, validate

    root = (Path(data_dir) if data_dir is not None else bundled_data_dir()) / "service_index"
    if not root.is_dir():
        return None, None
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
    score = validate(coerce(pd.concat(frames, ignore_index=True))) if frames else None
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
    m = scorecard[scorecard["period"] == month]
    prov = m[(m["unit_id"] == province) & (m["level"] == "province")]
    info["province_total"] = float(prov.loc[prov["component"] == "total", "score"].iloc[0]) \
        if (prov["component"] == "total").any() else float("nan")
    info["province_band"] = C.band([info["province_total"]], cuts).iloc[0]
    ch = C.changes(scorecard, month, level="province")
    ch = ch[ch["unit_id"] == province]
    info["province_change"] = float(ch["change"].iloc[0]) if len(ch) else float("nan")
    info["province_comparable"] = bool(ch["comparable"].iloc[0]) if len(ch) else None
    info["versions"] = (ch["prev_formula_version"].iloc[0], ch["formula_version"].iloc[0]) if len(ch) else (None, None)
    if len(prov):
        pl = C.where_points_are_lost(scorecard, month, province)
        info["province_losses"] = pl
    else:
        info["province_losses"] = pd.DataFrame()
    tot = C.totals(scorecard, month, "commune")
    info["n_communes"] = int(tot["score"].notna().sum())
    b = C.band(tot["score"], cuts)
    labels = [f"<{cuts[0]:g}"] + [f"{a:g}-{c:g}" for a, c in zip(cuts, cuts[1:])] + [f">={cuts[-1]:g}"]
    info["bands"] = {lab: int((b == lab).sum()) for lab in labels}
    info["below"] = C.below(scorecard, month, cuts[0], level="commune")
    x = C.threshold_crossings(scorecard, month, cuts=cuts, level="commune")
    info["crossings"] = x
    info["group_losses"] = C.group_losses(scorecard, month, "commune")
    info["main_losses"] = C.main_losses(scorecard, month, "commune")
    cc = C.changes(scorecard, month, level="commune")
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
    return SUB_LABELS.get(lang, SUB_LABELS["en"]).get(code, code)


def section_lines(info: dict, lang: str = "vi") -> list[str]:
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


def province_table(info: dict, lang: str = "vi") -> pd.DataFrame:
    """The province's six groups: score, maximum and points lost, largest loss first."""
    pl = info["province_losses"]
    if not len(pl):
        return pd.DataFrame()
    g = pl[pl["is_group"]].sort_values("points_lost", ascending=False)
    return pd.DataFrame({_t(lang, "col_group"): [component_label(c, lang) for c in g["component"]],
                         _t(lang, "col_score"): [_n(v, lang) for v in g["score"]],
                         _t(lang, "col_max"): [_n(v, lang, 0) for v in g["max_score"]],
                         _t(lang, "col_lost"): [_n(v, lang) for v in g["points_lost"]]})


def communes_table(info: dict, lang: str = "vi", n: int = 10) -> pd.DataFrame:
    """The ``n`` lowest communes: total, last month's total and the group where each loses most."""
    ml = info["main_losses"].head(n)
    if not len(ml):
        return pd.DataFrame()
    prev = info["commune_changes"].set_index("unit_id")["prev_score"] if len(info["commune_changes"]) else {}
    return pd.DataFrame({_t(lang, "col_unit"): ml["unit_name"].astype(str),
                         _t(lang, "col_total"): [_n(v, lang) for v in ml["total"]],
                         _t(lang, "col_prev"): [_n(prev.get(u, np.nan), lang) if len(prev) else "—"
                                                for u in ml["unit_id"]],
                         _t(lang, "col_worst"): [component_label(c, lang) for c in ml["worst_group"]]})


@styled
def losses_figure(info: dict, lang: str = "vi"):
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


def show_section(ds, quarter=None, lang: str = "vi", *, data_dir=None):
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

def published_table(published: pd.DataFrame | None, lang: str = "vi") -> pd.DataFrame:
    """The bundled real figures of the province: one row per period, six groups and the total
    with rank, and the source."""
    if published is None or not len(published):
        return pd.DataFrame()
    rows = []
    for per, part in published.groupby("period", sort=False):
        s = part.set_index("component")["score"]
        tot = part[part["component"] == "total"].iloc[0]
        row = {("Kỳ" if lang == "vi" else "Period"): month_label(per, lang)}
        for g in GROUPS:
            row[component_label(g, lang)] = _n(s.get(g, np.nan), lang)
        row[component_label("total", lang)] = _n(tot["score"], lang)
        row["Hạng" if lang == "vi" else "Rank"] = f"{int(tot['rank'])}/{int(tot['n_ranked'])}" \
            if not pd.isna(tot["rank"]) else "—"
        rows.append(row)
    return pd.DataFrame(rows)


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
def trend_figure(scorecard: pd.DataFrame, unit_id: str = "H41", lang: str = "vi"):
    """The unit's monthly total and group scores (as % of their maxima), with the line cut
    and marked where the formula version changes."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    fig, ax = plt.subplots(figsize=(10, 4.8))
    for j, comp in enumerate(("total",) + GROUPS):
        tr = C.trend(scorecard, unit_id, comp)
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
        ax.annotate("công thức mới" if lang == "vi" else "new formula", (x, 101), fontsize=8, ha="left", va="bottom")
    ax.set_ylim(40, 105)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    synth = bool(scorecard["synthetic"].any())
    cap = ("Điểm mỗi nhóm tính theo % điểm tối đa của nhóm. Đường bị ngắt ở tháng công thức tính điểm thay đổi: "
           "không so sánh qua điểm ngắt." if lang == "vi" else
           "Each group's score as % of its maximum. Lines are cut where the scoring formula changed: do not compare "
           "across the cut.") + ((" Dữ liệu minh họa." if lang == "vi" else " Synthetic data.") if synth else "")
    finish(fig, title=("Bộ chỉ số 766 theo tháng" if lang == "vi" else "Decision 766 index by month"), caption=cap,
           ylabel="% điểm tối đa" if lang == "vi" else "% of maximum", ax=ax)
    return fig


def reconciliation_rows(rec: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The first ``n`` reconciled rows with counts, for display (rates in %)."""
    if rec is None or not len(rec):
        return pd.DataFrame()
    r = rec[rec["diff_c_pp"].notna()].head(n)
    return pd.DataFrame({"unit_id": r["unit_id"], "quarter": r["quarter"].astype(str),
                         "portal_pct": (100 * r["portal_ratio"]).round(2), "form_c_pct": (100 * r["form_rate_c"]).round(2),
                         "form_a_pct": (100 * r["form_rate_a"]).round(2), "diff_c_pp": r["diff_c_pp"],
                         "explanation": r["explanation"]})


def rank_moves_table(moves: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` largest falls in relative position, for display."""
    if moves is None or not len(moves):
        return pd.DataFrame()
    m = moves.sort_values("percentile_change").head(n)
    return pd.DataFrame({"unit_name": m["unit_name"].astype(str), "previous": m["previous"], "prev_rank": m["prev_rank"],
                         "period": m["period"], "rank": m["rank"], "n_ranked": m["n_ranked"],
                         "places_gained": m["places_gained"], "percentile_change": (100 * m["percentile_change"]).round(1)})


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


def load_reference_2025(path) -> pd.DataFrame:
    """The real 2025 portal export of the 34 provinces (the shared reference CSV, read in
    place): the two province tables; the An Giang unit tables, whose period is not known,
    are kept with period "unknown"."""
    from paranalysis.serviceindex.loaders import load_service_index

    return load_service_index(path, periods={"an_giang_departments": "unknown", "an_giang_communes": "unknown"},
                              retrieved_at="2025-10-16")


def province_vs_median(index: pd.DataFrame, period: str, unit_id: str = "H41", lang: str = "vi") -> pd.DataFrame:
    """One province's score and points lost per group beside the median of the provinces
    scored in the same period (same level: peers)."""
    d = index[(index["period"] == period) & (index["level"] == "province") & index["component"].isin(GROUPS + ("total",))]
    med = d.groupby("component")["score"].median()
    own = d[d["unit_id"] == unit_id].set_index("component")["score"]
    n = d.loc[d["component"] == "total", "unit_id"].nunique()
    comps = list(GROUPS) + ["total"]
    return pd.DataFrame({
        ("Nhóm chỉ số" if lang == "vi" else "Group"): [component_label(c, lang) for c in comps],
        ("Nghệ An" if unit_id == "H41" else unit_id): [_n(own.get(c, np.nan), lang) for c in comps],
        (f"Trung vị {n} tỉnh" if lang == "vi" else f"Median of {n} provinces"): [_n(med.get(c, np.nan), lang)
                                                                                for c in comps],
        ("Chênh lệch" if lang == "vi" else "Difference"): [fmt_change(own.get(c, np.nan) - med.get(c, np.nan), lang, 2)
                                                         for c in comps],
    })
