"""paranalysis.geography: compared units, one series across the reorganisations, and the
investment models on the harmonised map, checked by hand sums and against the planted
truth of the demo (data/demo/README.md)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import paranalysis
from paranalysis import demo, geography as geo
from paranalysis import leadership as L
from paranalysis.indicators import ALL_COUNTS

Q = lambda s: pd.Period(s, freq="Q-DEC")  # noqa: E731
DISTRICTS_2025 = [str(c) for c in range(412, 433) if c != 413]


@pytest.fixture(scope="module")
def ds():
    return paranalysis.load_dataset()


@pytest.fixture(scope="module")
def harmonized(ds):
    return geo.harmonized_processing(ds)


def test_compared_units_are_districts_then_communes(ds):
    assert geo.compared_units(ds, "2025Q2") == DISTRICTS_2025
    assert geo.compared_level(ds, "2025Q2") == "district"
    new = geo.compared_units(ds, "2026Q3")
    assert len(new) == 130 and geo.compared_level(ds, "2026Q3") == "commune"
    assert set(new) == set(demo.new_communes()["unit_code"])      # no agency, no province row
    rows = geo.compared_rows(ds, ["2025Q2", "2025Q3"])
    assert rows.groupby("period")["unit_code"].nunique().tolist() == [20, 130]


def test_harmonized_series_is_balanced_and_conserves_totals(ds, harmonized):
    w = geo.panel_window(harmonized)
    assert (w["first"], w["last"], w["n_units"], w["n_quarters"]) == (Q("2017Q1"), Q("2026Q3"), 20, 39)
    assert w["balanced"]
    assert sorted(harmonized["unit_code"].unique()) == DISTRICTS_2025
    area = geo.area_rows(ds)
    cols = [c for c in ALL_COUNTS if c in harmonized.columns]
    before = area.groupby("period")[cols].sum()
    after = harmonized.groupby("period")[cols].sum()
    pd.testing.assert_frame_equal(before.astype("float"), after.astype("float"), check_exact=False, atol=1e-6)


def test_vinh_includes_cua_lo_and_a_former_district_is_its_new_communes(ds, harmonized):
    p = ds.processing.set_index(["unit_code", "period"])
    h = harmonized.set_index(["unit_code", "period"])
    # by hand: Vinh 2020Q1 = Vinh's row + Cửa Lò's row
    for c in ("received_online", "resolved_late", "pending_overdue"):
        assert float(h.loc[("412", Q("2020Q1")), c]) == float(p.loc[("412", Q("2020Q1")), c]) + float(
            p.loc[("413", Q("2020Q1")), c])
    # Quỳ Châu (416): all its new communes come from it alone (crosswalk), so 2026Q3 = their sum
    com = demo.new_communes()
    mine = com.loc[com["home_district"] == "416", "unit_code"]
    rows = ds.processing[(ds.processing["period"] == Q("2026Q3")) & ds.processing["unit_code"].isin(mine)]
    assert len(rows) == 4
    assert float(h.loc[("416", Q("2026Q3")), "resolved_on_time"]) == float(rows["resolved_on_time"].sum())


def test_investments_follow_their_unit_onto_the_harmonized_map(ds):
    inv = geo.harmonized_investments(ds)
    cua_lo = inv[inv["unit_code_as_registered"] == "413"]
    assert len(cua_lo) == 1 and (cua_lo["unit_code"] == "412").all()
    home = demo.new_communes().set_index("unit_code")["home_district"]
    communal = inv[inv["unit_code_as_registered"].isin(home.index)]
    assert len(communal) == 24
    assert (communal["unit_code"] == communal["unit_code_as_registered"].map(home)).all()
    assert set(inv["unit_code"]) <= set(DISTRICTS_2025)


def test_recent_window_never_mixes_districts_and_communes(ds):
    rows = geo.compared_rows(ds)
    w, label = geo.recent_window(rows, "2025Q4", 4)
    assert label == "2025Q3–2025Q4" and len(w) == 130
    w, label = geo.recent_window(rows, "2026Q3", 4)
    assert label == "2025Q4–2026Q3" and len(w) == 130
    w, label = geo.recent_window(rows, "2025Q2", 4)
    # the Cửa Lò merger changed Vinh from 2024Q4: the window starts there
    assert label == "2024Q4–2025Q2" and sorted(w["unit_code"]) == DISTRICTS_2025


def test_crossing_lines_say_which_reorganisations_a_series_crosses():
    assert geo.crossings("2017Q1", "2026Q3") == ["vinh_cua_lo", "two_level"]
    assert geo.crossings("2025Q3", "2026Q3") == []
    en = geo.crossing_lines("2017Q1", "2026Q3", "en")
    assert len(en) == 2 and "Cửa Lò" in en[0] and "130 new communes" in en[1]
    assert geo.crossing_lines("2025Q3", "2026Q3", "vi") == [geo.text("none", "vi")]
    assert geo.crossings("2025Q1", "2025Q3", scope="agency") == ["agencies_14"]
    rows = geo.crossing_lines("2024Q1", "2026Q3", "en", harmonized=False)
    assert "Cửa Lò's own series ends in 2024Q3" in rows[0] and "each new commune's begins in 2025Q3" in rows[1]


PLANTED = {"late_rate_resolved_basis": "late_rate_resolved_pp", "online_share": "online_share_pp",
           "overdue_backlog_share": "overdue_backlog_share_pp"}


@pytest.mark.parametrize("category", ["one_stop_facility", "online_meeting_system"])
def test_models_on_the_harmonized_map_recover_the_planted_effects(ds, category):
    """Known truth across the break: 20 units (Vinh + Cửa Lò as one), 2017Q1-2026Q3, none
    dropped; every simple 95 % interval covers its planted effect."""
    from paranalysis.models import staggered_did

    panel = geo.harmonized_panel(ds, treatment=category, outcomes=list(PLANTED))
    w = geo.panel_window(panel)
    assert (w["n_units"], w["first"], w["last"], w["balanced"]) == (20, Q("2017Q1"), Q("2026Q3"), True)
    for outcome, key in PLANTED.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = staggered_did(panel, outcome=outcome, unit="unit_code", time="period", first_treated="first_treated")
        a = r.aggregate("simple")
        truth = demo.PLANTED_EFFECTS[category][key]
        assert r.n_units == 20
        assert a.ci_low <= truth <= a.ci_high, (category, outcome, truth, a.estimate, a.ci_low, a.ci_high)


def test_leadership_2026q3_uses_every_unit_and_names_the_window(ds):
    eff = L.investment_effects(ds, "2026Q3")
    assert eff["ok"].all() and (eff["n_units"] == 20).all()
    assert "20 units" in L.effect_note(eff, "en")
    lines = L.effect_window_lines(ds, "2026Q3", "en")
    assert "20 district-level units" in lines[0] and "Q1 2017" in lines[0] and "Q3 2026" in lines[0]
    assert any("Cửa Lò" in x for x in lines[1:]) and any("130 new communes" in x for x in lines[1:])


def test_leadership_headline_compares_across_the_break(ds):
    h = L.headline(ds, "2025Q3").set_index("key")
    # 2025Q2 (districts) and 2024Q3 (districts) compare with 2025Q3 (communes): same territory
    p = ds.processing
    area = geo.area_rows(ds)
    rec = ["received_online", "received_direct", "received_postal"]
    now = float(area.loc[area["period"] == Q("2025Q3"), rec].sum().sum())
    prev = float(area.loc[area["period"] == Q("2025Q2"), rec].sum().sum())
    assert h.loc["received", "now"] == now and h.loc["received", "prev_q"] == prev
    assert p.loc[p["period"] == Q("2025Q3"), "unit_code"].nunique() == 144   # the agencies are not added in
    notes = L.headline_notes(ds, "2025Q3", "en")
    assert any("130 new communes" in x for x in notes)
    assert L.headline_notes(ds, "2026Q3", "en") == [geo.text("level_commune", "en", n=130)]


def test_leadership_standout_in_2026q3_names_the_struggling_communes(ds):
    res = L.standout(ds, "2026Q3")
    assert res.n_units == 130
    worse = res.outside(0.998)
    planted = set(demo.new_communes().set_index("gso_code").loc[list(demo.STRUGGLING_GSO), "unit_code"])
    assert set(worse.loc[worse["assessment"] == "worse", "unit_code"]) == planted


def test_gaps_within_span_ignores_units_that_began_or_ended():
    p = pd.DataFrame({"unit_code": ["a", "a", "a", "b", "b"],
                      "period": pd.PeriodIndex(["2024Q1", "2024Q2", "2024Q4", "2025Q3", "2025Q4"], freq="Q-DEC")})
    assert geo.gaps_within_span(p).to_dict() == {"a": 1}


def test_chart_level_follows_the_map_the_data_is_on():
    """The overview chart shows the district-level units when there are any (the old map),
    the communes and wards of the new map when the folder starts after 1 July 2025."""
    import dataclasses

    ds = paranalysis.load_dataset()
    assert geo.chart_level(ds) == "district"
    new_map = ds.processing[ds.processing["period"] >= pd.Period("2025Q3", "Q")]
    lv = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    communes = new_map[new_map["unit_code"].map(lv).eq("commune").to_numpy()]
    assert geo.chart_level(dataclasses.replace(ds, processing=communes.reset_index(drop=True))) == "commune"
    agencies = ds.processing[ds.processing["unit_code"].map(lv).eq("agency").to_numpy()]
    if len(agencies):
        assert geo.chart_level(dataclasses.replace(ds, processing=agencies.reset_index(drop=True))) == "agency"


@pytest.mark.parametrize("seed", range(5))
def test_gaps_within_span_of_every_unit_at_once_equal_to_each_unit_counted(seed):
    rng = np.random.default_rng(seed)
    qs = pd.period_range("2019Q1", "2026Q4", freq="Q-DEC")
    rows = [(f"u{u}", q) for u in range(12) for q in qs if rng.random() < (0.3 + 0.06 * u)]
    rows += rows[:5]  # a quarter given twice counts once
    p = pd.DataFrame(rows, columns=["unit_code", "period"]).sample(frac=1, random_state=seed)
    p["period"] = p["period"].astype("period[Q-DEC]")
    ref = {}
    for code, part in p.groupby("unit_code"):
        span = pd.period_range(part["period"].min(), part["period"].max(), freq="Q-DEC")
        ref[code] = len(span) - part["period"].nunique()
    ref = pd.Series(ref, dtype=int)
    pd.testing.assert_series_equal(geo.gaps_within_span(p), ref[ref > 0])
    pd.testing.assert_series_equal(geo.gaps_within_span(p.astype({"period": object})), ref[ref > 0])


def test_most_common_level_is_the_first_of_value_counts():
    rng = np.random.default_rng(3)
    for _ in range(3000):
        levels = list(rng.choice(["district", "commune", "agency", "province", None], rng.integers(1, 40)))
        levels = [np.nan if v is None and rng.random() < 0.5 else v for v in levels]
        s = pd.Series(levels, dtype=object)
        ref = str(s.value_counts().index[0]) if s.notna().any() else None
        assert geo._most_common(levels) == ref


def test_compared_rows_are_each_quarters_compared_units():
    ds = paranalysis.load_dataset()
    rows = geo.compared_rows(ds)
    for q in sorted(ds.processing["period"].unique()):
        assert sorted(rows.loc[rows["period"] == q, "unit_code"].unique()) == geo.compared_units(ds, q)
        codes = ds.processing.loc[ds.processing["period"] == q, "unit_code"].unique()
        level = ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"].reindex(list(codes))
        top = str(level.value_counts().index[0])
        assert geo.compared_level(ds, q) == top
        assert geo.compared_units(ds, q) == sorted(c for c in codes if level.get(c) == top)


def test_window_text_names_the_window_and_the_reorganisations_it_crosses():
    from paranalysis import geography, load_dataset

    ds = load_dataset()
    panel = geography.harmonized_panel(ds, treatment="one_stop_facility", outcomes=["late_rate_resolved_basis"])
    w = geography.panel_window(panel)
    text = geography.window_text(panel, "en")
    assert f"{w['n_units']}" in text and text.count("\n- ") == 1 + len(
        geography.crossing_lines(w["first"], w["last"], "en", n_units=w["n_units"]))
    assert geography.window_line(panel, "vi") in geography.window_text(panel, "vi")
