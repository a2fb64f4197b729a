"""Figures: Vietnamese diacritics render, every figure has a title, axis labels with
units and a caption, labels follow ``lang``, definition breaks are marked, press figures
overlay (or not, when there are none)."""

from __future__ import annotations

import warnings

import matplotlib
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from paranalysis import funnel as fn
from paranalysis import indicators as ind
from paranalysis import plots, style
from paranalysis.schemas import COUNT_COLUMNS

matplotlib.use("Agg")


def render(fig, path) -> list[str]:
    """Save to PNG and return the warnings raised while drawing."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(path, format="png")
    plt.close(fig)
    return [str(w.message) for w in caught]


def missing_glyphs(messages) -> list[str]:
    return [m for m in messages if "missing from font" in m or "Glyph" in m]


def test_vietnamese_diacritics_render_without_missing_glyphs(tmp_path):
    with style.context():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        style.finish(fig, title="Quế Phong, Hoà", caption="Thái Hoà, Đô Lương, Kỳ Sơn, Quỳnh Lưu: tỷ lệ đúng hạn",
                     xlabel="Quý", ylabel="Tỷ lệ (%)")
    assert missing_glyphs(render(fig, tmp_path / "vi.png")) == []
    assert (tmp_path / "vi.png").stat().st_size > 1000


def test_the_glyph_check_can_fail(tmp_path):
    # A character DejaVu Sans lacks (CJK) must produce the warning the test above looks for.
    with style.context():
        fig, ax = plt.subplots()
        ax.set_title("漢字")
    assert missing_glyphs(render(fig, tmp_path / "cjk.png"))


def _counts():
    """Six units, 2021Q1-2024Q4, online share rising, one unit slow."""
    rng = np.random.default_rng(3)
    rows = []
    codes = ["412", "415", "414", "426", "429", "417"]
    for k, code in enumerate(codes):
        n = [9000, 800, 1500, 2500, 3000, 700][k]
        for i, p in enumerate(pd.period_range("2021Q1", "2024Q4", freq="Q-DEC")):
            online = int(n * min(0.9, 0.05 + 0.04 * i))
            late = int(n * (0.08 if code == "415" else 0.02)) + int(rng.integers(0, 5))
            rows.append(dict(unit_code=code, period=p, carried_over=50, received_online=online,
                             received_direct=n - online, received_postal=0, resolved_early=n - late - 100,
                             resolved_on_time=100, resolved_late=late, pending_not_due=40, pending_overdue=10))
    df = pd.DataFrame(rows)
    for c in COUNT_COLUMNS:
        df[c] = df[c].astype("Int64")
    return df


UNITS = pd.DataFrame({"unit_code": ["412", "415", "414", "426", "429", "417"],
                      "short_name_vi": ["Vinh", "Quế Phong", "Thái Hoà", "Yên Thành", "Nghi Lộc", "Kỳ Sơn"],
                      "name_ascii": ["Vinh", "Que Phong", "Thai Hoa", "Yen Thanh", "Nghi Loc", "Ky Son"],
                      "name_vi": ["Vinh", "Quế Phong", "Thái Hoà", "Yên Thành", "Nghi Lộc", "Kỳ Sơn"]})


def _figures(lang):
    counts = _counts()
    rt = ind.rates(counts, ["on_time_resolved_basis"])
    ref = ind.rates(ind.combine(counts), ["on_time_resolved_basis"])
    last = counts[counts["period"] == counts["period"].max()]
    res = fn.funnel(last, "late_rate_resolved_basis")
    lt = fn.league_table(last, "on_time_resolved_basis", units=UNITS, lang=lang)
    tot = ind.rates(ind.combine(counts), ["online_share"])
    return {
        "trend": plots.trend_small_multiples(rt, units=UNITS, reference=ref, lang=lang),
        "funnel": plots.funnel_plot(res, units=UNITS, lang=lang, period="2024Q4"),
        "league": plots.league_plot(lt, "on_time_resolved_basis", lang=lang, period="2024Q4"),
        "online": plots.online_share_plot(tot, unit_rates=ind.rates(counts, ["online_share"]), lang=lang),
    }


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_figure_has_title_axis_labels_with_units_and_caption(lang, tmp_path):
    for name, fig in _figures(lang).items():
        assert fig._suptitle is not None and fig._suptitle.get_text().strip(), name
        assert fig.paranalysis_title == fig._suptitle.get_text()
        assert fig.paranalysis_xlabel and fig.paranalysis_ylabel, name
        assert "%" in fig.paranalysis_ylabel or "%" in fig.paranalysis_xlabel, name  # rates carry their unit
        assert len(fig.paranalysis_caption) > 60, name
        assert missing_glyphs(render(fig, tmp_path / f"{name}-{lang}.png")) == [], name


def test_labels_follow_language():
    vi, en = _figures("vi"), _figures("en")
    for name in vi:
        assert vi[name].paranalysis_title != en[name].paranalysis_title, name
        assert vi[name].paranalysis_caption != en[name].paranalysis_caption, name
    assert "Quế Phong" in " ".join(t.get_text() for ax in vi["trend"].axes for t in [ax.title])
    assert "Que Phong" in " ".join(t.get_text() for ax in en["trend"].axes for t in [ax.title])
    plt.close("all")


def test_funnel_caption_names_the_slow_unit():
    counts = _counts()
    last = counts[counts["period"] == counts["period"].max()]
    res = fn.funnel(last, "late_rate_resolved_basis", overdispersion="none")
    assert "415" in set(res.outside(0.998)["unit_code"])
    fig = plots.funnel_plot(res, units=UNITS, lang="en")
    assert "Que Phong" in fig.paranalysis_caption
    assert "Records resolved" in fig.paranalysis_xlabel
    plt.close(fig)


def _vlines_at(ax) -> set[float]:
    xs = set()
    for line in ax.get_lines():
        x = line.get_xdata()
        if len(x) == 2 and x[0] == x[1]:
            v = x[0]
            xs.add(round(float(mdates.date2num(v) if not isinstance(v, (int, float, np.floating)) else v), 3))
    return xs


def test_online_share_marks_definition_breaks_inside_the_period():
    counts = _counts()  # 2021Q1-2024Q4
    fig = plots.online_share_plot(ind.rates(ind.combine(counts), ["online_share"]), lang="en")
    xs = _vlines_at(fig.axes[0])
    expected = {round(float(mdates.date2num(pd.Timestamp(b.date))), 3) for b in ind.DEFINITION_BREAKS
                if b.scope in ("all", "district") and pd.Timestamp("2021-01-01") <= pd.Timestamp(b.date)
                <= pd.Timestamp("2024-12-31")}
    assert len(expected) == 2  # June 2022 (Decree 42 / Decision 766) and 1 Dec 2024 (merger)
    assert expected <= xs
    assert round(float(mdates.date2num(pd.Timestamp("2018-06-21"))), 3) not in xs  # outside the data
    assert "Decision 766" in fig.paranalysis_caption and "Decree 61" not in fig.paranalysis_caption
    plt.close(fig)


def test_fact_overlay_tolerates_empty_and_draws_matching_facts():
    fig, ax = plt.subplots()
    assert plots.overlay_facts(ax, None, "online_share") == 0
    assert plots.overlay_facts(ax, ind.fact_rates(pd.DataFrame()), "online_share") == 0
    facts = pd.DataFrame([dict(fact_id="f6", unit_code="429", unit_name="Nghi Lộc", period_start="2023-01-01",
                               period_end="2023-12-31", period_label="2023", metric="online_share_pct", value=60.1,
                               measure_unit="%", source_file="s", source_date=None, sentence="s", note=None)])
    fr = ind.fact_rates(facts)
    assert plots.overlay_facts(ax, fr, "online_share", unit_code="429") == 1
    assert plots.overlay_facts(ax, fr, "online_share", unit_code="412") == 0
    assert plots.overlay_facts(ax, fr, "on_time_resolved_basis") == 0
    plt.close(fig)
    counts = _counts()
    fig = plots.online_share_plot(ind.rates(counts[counts["unit_code"] == "429"], ["online_share"]),
                                  fact_rates=fr, fact_units="429", lang="en", who="Nghi Loc")
    assert "1 figure(s) reported in the press" in fig.paranalysis_caption
    plt.close(fig)


def test_labels_piled_on_one_spot_get_one_name_and_distant_ones_all_theirs():
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.set_xscale("log")
    ax.set_xlim(1, 1000)
    ax.set_ylim(0, 1)
    pile = [(12.0, 0.0, f"Xã {c}") for c in "HGFEDCBA"]  # eight small units at 0 %
    far = [(900.0, 0.9, "Phường Vinh Phú"), (30.0, 0.5, "Xã Bình Chuẩn")]
    kept = plots.spaced_labels(ax, pile + far)
    assert [k[2] for k in kept] == ["Phường Vinh Phú", "Xã Bình Chuẩn", "Xã A"]
    # two labels side by side on one line overlap unless a label's width apart
    near = plots.spaced_labels(ax, [(10.0, 0.2, "Xã Một"), (10.5, 0.2, "Xã Hai"), (100.0, 0.2, "Xã Ba")])
    assert [k[2] for k in near] == ["Xã Ba", "Xã Hai"]
    assert plots.spaced_labels(ax, []) == []
    plt.close(fig)


def test_funnel_names_each_pile_once_in_the_figure_and_every_unit_in_the_caption():
    counts = _counts()
    last = counts[counts["period"] == counts["period"].max()]
    res = fn.funnel(last, "late_rate_resolved_basis", overdispersion="none")
    piled = res.units.copy()
    out = piled.index[piled["flag"] != "within"]
    fig_all = plots.funnel_plot(res, units=UNITS, lang="en", label_units="all")
    written = [t.get_text() for t in fig_all.axes[0].texts]
    assert 1 <= len(written) <= len(piled) and len(set(written)) == len(written)
    plt.close(fig_all)
    fig = plots.funnel_plot(res, units=UNITS, lang="en")
    for code in piled.loc[out, "unit_code"]:
        assert UNITS.set_index("unit_code").loc[code, "name_ascii"] in fig.paranalysis_caption
    plt.close(fig)
