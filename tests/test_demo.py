"""The synthetic demo province: reproducible, labelled, calibrated to the seed magnitudes."""

from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import demo

DATA = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_committed_demo_files_are_regenerated_byte_identical(tmp_path):
    written = demo.write_demo(tmp_path)
    for name, path in written.items():
        assert path.read_bytes() == (DATA / path.name).read_bytes(), f"{path.name} differs from the generator"


def test_every_demo_row_is_labelled_synthetic():
    ds = paranalysis.load_dataset()
    for table in ("processing", "investments", "rankings"):
        df = getattr(ds, table)
        demo_rows = df[df["source"].str.startswith("SYNTHETIC")]
        assert len(demo_rows) > 0
        assert demo_rows["synthetic"].all()
    assert ds.has_synthetic
    assert all("synthetic" in p.name for p in DATA.glob("*.csv"))


def test_demo_covers_21_district_units_2017q1_to_2025q2():
    p = demo.generate()["processing"]
    districts = p[p["period"] <= "2025Q2"]
    assert sorted(districts["unit_code"].unique()) == [str(c) for c in range(412, 433)]
    assert p["period"].min() == "2017Q1" and districts["period"].max() == "2025Q2"
    # Cửa Lò merged into Vinh on 1 Dec 2024: last quarter 2024Q3
    assert p.loc[p["unit_code"] == "413", "period"].max() == "2024Q3"
    assert len(districts) == 21 * 34 - 3


def test_demo_continues_in_the_new_map_through_2026q3():
    """From 2025Q3: the 130 new communes/wards and the 14 agencies, every quarter to 2026Q3,
    each a unit of the package registry valid then, at the right level."""
    p = demo.generate()["processing"]
    new = p[p["period"] >= "2025Q3"]
    assert sorted(new["period"].unique()) == ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert p["period"].max() == demo.LAST_QUARTER == "2026Q3"
    units = paranalysis.load_dataset().units.drop_duplicates("unit_code").set_index("unit_code")
    level = new["unit_code"].map(units["level"])
    assert new.loc[level == "commune", "unit_code"].nunique() == 130
    assert new.loc[level == "agency", "unit_code"].nunique() == 14
    assert (level.isin(["commune", "agency"])).all()
    assert new.groupby("period").size().eq(144).all()
    assert len(p) == 21 * 34 - 3 + 144 * 5
    # no district-level row after the district tier was abolished
    assert not set(new["unit_code"]) & {str(c) for c in range(412, 433)}


def test_backlog_at_the_break_is_handed_to_the_new_communes():
    """Every record a district still had in progress at the end of 2025Q2 is carried over
    by exactly one of its new communes in 2025Q3 (the home district of each commune)."""
    p = demo.generate()["processing"]
    home = demo.new_communes().set_index("unit_code")["home_district"]
    d = p[p["period"] == "2025Q2"].set_index("unit_code")
    pending = (d["pending_not_due"] + d["pending_overdue"]).astype(int)
    c = p[(p["period"] == "2025Q3") & p["unit_code"].isin(home.index)]
    carried = c.groupby(c["unit_code"].map(home))["carried_over"].sum().astype(int)
    assert carried.to_dict() == pending.to_dict()
    assert len(carried) == 20


def _rate(rows, num, den):
    """100 x the sum of the ``num`` columns over the sum of the ``den`` columns."""
    return 100 * rows[num].sum().sum() / rows[den].sum().sum()


def test_planted_transition_of_1_july_2025_is_visible():
    """Known truth (data/demo/README.md): late rate +1.5 pp in 2025Q3 and +0.5 pp in 2025Q4,
    overdue backlog share +6 pp in 2025Q3, against the last district quarter; the commune
    rows' volume steps up by the planted factor 1.10 against a year earlier."""
    p = demo.generate()["processing"]
    home = demo.new_communes().set_index("unit_code")["home_district"]
    area = p[p["unit_code"].isin(set(home.index) | {str(c) for c in range(412, 433)})]
    resolved = ["resolved_early", "resolved_on_time", "resolved_late"]
    late = {q: _rate(area[area["period"] == q], ["resolved_late"], resolved)
            for q in ("2025Q2", "2025Q3", "2025Q4", "2026Q1")}
    over = {q: _rate(area[area["period"] == q], ["pending_overdue"], ["pending_not_due", "pending_overdue"])
            for q in ("2025Q2", "2025Q3")}
    t = demo.REORGANISATION
    assert abs((late["2025Q3"] - late["2025Q2"]) - t["late_rate_resolved_pp"]["2025Q3"]) < 0.5
    assert late["2025Q3"] > late["2025Q4"] > late["2026Q1"]
    assert abs((over["2025Q3"] - over["2025Q2"]) - t["overdue_backlog_share_pp"]["2025Q3"]) < 2.0
    rec = ["received_online", "received_direct", "received_postal"]
    by_q = area.groupby("period")[rec].sum().sum(axis=1)
    ratio = by_q["2025Q3":"2026Q2"].sum() / by_q["2024Q3":"2025Q2"].sum()   # four quarters each, seasons cancel
    # the planted step times a year of growth (0-1.2 % a quarter), give or take the
    # negative-binomial noise of the sums (about 3 %, two standard errors allowed)
    step = t["volume_factor"]
    assert step - 0.06 <= ratio <= step * 1.012 ** 4 + 0.06


def test_commune_investments_after_july_2025_are_in_the_register():
    inv = demo.generate()["investments"]
    ca = demo.commune_adoption_table()
    com = inv[inv["unit_code"].isin(demo.new_communes()["unit_code"])]
    assert len(com) == len(ca) == 24 and (com["category"] == "one_stop_facility").all()
    got = {r.unit_code: pd.Timestamp(r.date_in_operation).to_period("Q-DEC") for r in com.itertuples()}
    assert got == {r.unit_code: r.first_quarter for r in ca.itertuples()}
    assert min(got.values()) >= pd.Period("2026Q1", "Q-DEC")
    # only in communes whose former district already had an upgraded facility
    home = demo.new_communes().set_index("unit_code")["home_district"]
    adopted = demo.adoption_table()
    fac = set(adopted[(adopted.category == "one_stop_facility") & adopted.first_quarter.notna()]["unit_code"])
    assert set(home[list(got)]) <= fac


def _yearly(p):
    p = p.assign(year=p["period"].str[:4])
    g = p.groupby("year")[["resolved_early", "resolved_on_time", "resolved_late",
                           "received_online", "received_direct", "received_postal"]].sum()
    resolved = g.resolved_early + g.resolved_on_time + g.resolved_late
    received = g.received_online + g.received_direct + g.received_postal
    return (g.resolved_early + g.resolved_on_time) / resolved, g.received_online / received


def test_calibration_to_seed_magnitudes():
    p = demo.generate()["processing"]
    p = p[p["period"] <= demo.LAST_DISTRICT_QUARTER]   # the district series
    on_time, online = _yearly(p)
    # on-time rates 95-99.5 % (INDICATORS.md §2.1, §7.1)
    assert on_time.between(0.95, 0.995).all()
    # online share under 10 % in 2017 and over 60 % in 2025 (8.6 % 2022; 72.35 % mid-2025)
    assert online["2017"] < 0.10 and online["2025"] > 0.60
    # volumes differ about tenfold between mountain districts and Vinh
    vol = p[p["period"].str.startswith("2017")].groupby("unit_code")[
        ["received_online", "received_direct", "received_postal"]].sum().sum(axis=1)
    assert vol["412"] / vol.min() >= 10
    # Yen Thanh about 21,013 district-level records in 2019 (seed 000): within 15 %
    yt = p[(p.unit_code == "426") & p.period.str.startswith("2019")][
        ["received_online", "received_direct", "received_postal"]].sum().sum()
    assert abs(yt / 21013 - 1) < 0.15


def test_planted_effects_are_written_in_the_readme():
    text = (DATA / "README.md").read_text()
    eff = demo.PLANTED_EFFECTS
    assert f"**{eff['one_stop_facility']['late_rate_resolved_pp']:+.1f} pp**".replace("-", "−") in text
    assert f"**{eff['one_stop_facility']['online_share_pp']:+.1f} pp**" in text
    assert f"**{eff['online_meeting_system']['overdue_backlog_share_pp']:+.1f} pp**".replace("-", "−") in text
    assert f"**+{demo.PLANTED_SCORE_EFFECTS['DDCI']['one_stop_facility']:.1f} points (DDCI)**" in text


def test_adoption_in_register_matches_planted_timing():
    inv = demo.generate()["investments"]
    inv = inv[~inv["unit_code"].isin(demo.new_communes()["unit_code"])]
    adopt = demo.adoption_table().dropna()
    got = {(r.unit_code, r.category): pd.Timestamp(r.date_in_operation).to_period("Q-DEC")
           for r in inv.itertuples()}
    for r in adopt.itertuples():
        assert got[(r.unit_code, r.category)] == r.first_quarter
    assert len(inv) == len(adopt)


@pytest.mark.parametrize("index,year,n", [("DDCI", 2022, 21), ("DDCI", 2024, 20), ("DISTRICT_PAR_INDEX", 2019, 21)])
def test_demo_rankings_are_competition_ranks(index, year, n):
    r = demo.generate()["rankings"]
    t = r[(r["index"] == index) & (r["year"] == year)]
    assert len(t) == n and (t["n_ranked"] == n).all()
    expected = t["score"].rank(method="min", ascending=False).astype(int)
    assert (t["rank"].astype(int) == expected).all()


def _commune_rows():
    g = demo.generate()
    p = g["processing"]
    cp = p[p["unit_code"].isin(demo.new_communes()["unit_code"])].copy()
    cp["period"] = pd.PeriodIndex(cp["period"], freq="Q-DEC")
    return cp.reset_index(drop=True), g["investments"]


def test_commune_funnel_names_the_two_planted_struggling_communes():
    """Known truth: two communes have a late rate 5 pp above their peers from 2025Q3; a
    funnel of the 130 communes in 2026Q3 puts exactly them above the 99.8 % limit."""
    from paranalysis.funnel import funnel

    cp, _ = _commune_rows()
    res = funnel(cp[cp["period"] == pd.Period("2026Q3", "Q-DEC")].reset_index(drop=True), "late_rate_resolved_basis")
    assert res.n_units == 130
    worse = res.outside(0.998)
    worse = set(worse.loc[worse["assessment"] == "worse", "unit_code"])
    planted = set(demo.new_communes().set_index("gso_code").loc[list(demo.STRUGGLING_GSO), "unit_code"])
    assert worse == planted


@pytest.mark.parametrize("outcome,key", [("late_rate_resolved_basis", "late_rate_resolved_pp"),
                                         ("online_share", "online_share_pp")])
def test_commune_investment_effect_recovered_at_commune_level(outcome, key):
    """Known truth (demo.COMMUNE_EFFECTS): a 2026 commune upgrade raises its commune's online
    share by 4.0 pp and leaves its late rate alone; 130 communes, 2025Q3-2026Q3, communes
    without one as comparison."""
    import warnings

    from paranalysis import treatment as tr
    from paranalysis.models import staggered_did

    cp, inv = _commune_rows()
    panel = tr.treatment_panel(cp, inv, treatment="one_stop_facility", outcomes=[outcome])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = staggered_did(panel, outcome=outcome, unit="unit_code", time="period", first_treated="first_treated")
    a = r.aggregate("simple")
    truth = demo.COMMUNE_EFFECTS[key]
    assert r.n_units == 130
    assert a.ci_low <= truth <= a.ci_high, (a.estimate, a.ci_low, a.ci_high)
    if truth:
        assert a.ci_low > 0   # a clear change, the right sign
