"""Treatment timing and dose from the investment register (hand-built frames, expected
values worked out by hand), and the bundled demo register against the planted adoption
calendar of paranalysis.demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis import treatment as tr
from paranalysis.errors import DataError

Q = lambda s: pd.Period(s, freq="Q-DEC")  # noqa: E731


@pytest.mark.parametrize("date,rule,expected", [
    ("2019-11-17", "reporting_quarter", "2019Q4"),   # 15 Sep - 14 Dec window of Q4
    ("2019-12-20", "reporting_quarter", "2020Q1"),   # after the 14th of December: next report
    ("2019-12-20", "calendar_quarter", "2019Q4"),
    ("2019-09-14", "reporting_quarter", "2019Q3"),   # last day of the Q3 window
    ("2019-09-15", "reporting_quarter", "2019Q4"),   # first day of the Q4 window
    ("2019-09-15", "next_full_quarter", "2019Q4"),   # working from the window's first day
    ("2019-09-16", "next_full_quarter", "2020Q1"),
])
def test_quarter_of_date(date, rule, expected):
    assert tr.quarter_of_date(date, rule) == Q(expected)


def _register():
    return pd.DataFrame({
        "unit_code": ["A", "A", "B", "C", "C", "D"],
        "date_in_operation": pd.to_datetime(["2020-02-01", "2021-05-01", "2019-08-01", "2022-01-20", "2020-11-01",
                                             "2021-01-10"]),
        "category": ["one_stop_facility", "online_meeting_system", "online_meeting_system", "one_stop_facility",
                     "one_stop_facility", "other"],
        "amount_vnd": pd.array([2_000_000_000, 1_000_000_000, 500_000_000, 300_000_000, 700_000_000, 9],
                               dtype="Int64"),
    })


def test_adoption_each_category_any_and_both():
    units = ["A", "B", "C", "D", "E"]
    fac = tr.adoption(_register(), units, treatment="one_stop_facility").set_index("unit_code")
    assert fac.loc["A", "first_treated"] == Q("2020Q1")
    assert fac.loc["C", "first_treated"] == Q("2020Q4")          # the earlier of C's two facility dates
    assert fac.loc["C", "amount_vnd"] == 1_000_000_000             # both of C's facility investments
    assert fac["never_treated"].to_dict() == {"A": False, "B": True, "C": False, "D": True, "E": True}
    meet = tr.adoption(_register(), units, treatment="online_meeting_system").set_index("unit_code")
    assert meet.loc["A", "first_treated"] == Q("2021Q2") and meet.loc["B", "first_treated"] == Q("2019Q3")
    any_ = tr.adoption(_register(), units, treatment="any").set_index("unit_code")
    assert any_.loc["A", "first_treated"] == Q("2020Q1") and any_.loc["B", "first_treated"] == Q("2019Q3")
    assert pd.isna(any_.loc["D", "first_treated"])                # "other" is not a treatment
    both = tr.adoption(_register(), units, treatment="both").set_index("unit_code")
    assert both.loc["A", "first_treated"] == Q("2021Q2")           # when the second one started
    assert both.loc["A", "amount_vnd"] == 3_000_000_000
    assert both["never_treated"].sum() == 4                         # only A has both


def _processing(units=("A", "B"), periods=("2019Q1", "2019Q2", "2019Q3", "2019Q4", "2020Q1", "2020Q2")):
    rows = []
    for k, u in enumerate(units):
        for j, p in enumerate(periods):
            rows.append(dict(unit_code=u, period=Q(p), carried_over=100, received_online=10 * (j + 1),
                             received_direct=900 - 10 * (j + 1), received_postal=0, resolved_early=400,
                             resolved_on_time=480 - k * 10, resolved_late=20 + k * 10, pending_not_due=80,
                             pending_overdue=20, synthetic=True, source="test"))
    df = pd.DataFrame(rows)
    for c in df.columns[2:11]:
        df[c] = df[c].astype("Int64")
    return df


def test_treatment_panel_columns_rates_and_dose():
    p = tr.treatment_panel(_processing(), _register(), treatment="one_stop_facility")
    a = p[p["unit_code"] == "A"].reset_index(drop=True)
    # A: first quarter 2020Q1; event time counts quarters
    assert list(a["event_time"]) == [-4, -3, -2, -1, 0, 1]
    assert list(a["treated"]) == [0, 0, 0, 0, 1, 1]
    # late rate = late / resolved = 20 / 900
    assert a["late_rate_resolved_basis"].iloc[0] == pytest.approx(100 * 20 / 900)
    # online share in 2019Q3 = 30 online / 900 newly received
    assert a["online_share"].iloc[2] == pytest.approx(100 * 30 / 900)
    # dose: 2e9 VND / (4 quarters x 1,000 records handled (100 carried over + 900 new) / 1000)
    assert a["dose_per_1000_handled"].iloc[0] == pytest.approx(2e9 / 4.0)
    b = p[p["unit_code"] == "B"]
    assert b["never_treated"].all() and (b["treated"] == 0).all() and b["event_time"].isna().all()
    assert b["dose_per_1000_handled"].isna().all()


def test_dose_per_capita_needs_population():
    p = tr.treatment_panel(_processing(), _register(), population={"A": 200_000})
    assert p.loc[p.unit_code == "A", "dose_per_capita"].iloc[0] == pytest.approx(10_000.0)
    assert np.isnan(p.loc[p.unit_code == "B", "dose_per_capita"].iloc[0])


def test_demo_register_gives_the_planted_calendar():
    import paranalysis
    from paranalysis import demo

    ds = paranalysis.load_dataset()
    planted = demo.adoption_table()
    for cat in tr.CATEGORIES:
        got = tr.adoption(ds.investments, planted["unit_code"].unique(), treatment=cat).set_index("unit_code")
        want = planted[planted["category"] == cat].set_index("unit_code")["first_quarter"]
        for u, q in want.items():
            assert (pd.isna(q) and pd.isna(got.loc[u, "first_treated"])) or got.loc[u, "first_treated"] == q


def test_quarters_of_a_date_column_equal_quarter_of_each_date():
    import numpy as np

    from paranalysis.treatment import RULES, quarter_of_date, quarters_of_dates

    days = pd.Series(pd.date_range("2015-01-01", "2027-12-31", freq="D"))
    timed = days + pd.to_timedelta(np.random.default_rng(0).integers(0, 86400, len(days)), unit="s")
    for dates in (days, timed, days.dt.as_unit("s"), days.astype(str).head(40)):
        for rule in RULES:
            assert quarters_of_dates(dates, rule) == [quarter_of_date(d, rule) for d in dates], rule
    with pytest.raises(ValueError):
        quarters_of_dates(days, "monthly")
    # a missing date has no quarter: said as a data problem, the same date by date or at once
    with_nat = pd.Series([pd.Timestamp("2024-03-15"), pd.NaT], dtype="datetime64[ns]")
    for rule in RULES:
        with pytest.raises(DataError, match="date_in_operation"):
            quarters_of_dates(with_nat, rule)
    assert quarters_of_dates(with_nat.head(1), "calendar_quarter") == [pd.Period("2024Q1", freq="Q-DEC")]


def test_first_in_operation_sums_amounts_per_unit_and_category_as_a_sum_per_group():
    import numpy as np

    rng = np.random.default_rng(1)
    n = 200
    inv = pd.DataFrame({"unit_code": rng.choice(["401", "402", "403", "412"], n),
                        "category": rng.choice(["one_stop_facility", "online_meeting_system", "other"], n),
                        "date_in_operation": pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2500, n), "D"),
                        "amount_vnd": pd.array(rng.integers(0, 10**10, n), dtype="Int64")})
    inv.loc[rng.random(n) < 0.2, "amount_vnd"] = pd.NA
    out = tr.first_in_operation(inv)
    ref = (inv[inv["category"] != "other"].groupby(["unit_code", "category"])["amount_vnd"]
           .apply(lambda s: float(pd.to_numeric(s, errors="coerce").sum())))
    assert out["amount_vnd"].dtype == "Float64"
    assert out.set_index(["unit_code", "category"])["amount_vnd"].astype(float).to_dict() == ref.to_dict()


def test_adoption_asked_again_is_served_as_a_copy_and_follows_the_register():
    inv = pd.DataFrame({"unit_code": ["401", "401", "402"], "category": ["one_stop_facility"] * 3,
                        "date_in_operation": pd.to_datetime(["2020-01-10", "2021-06-20", "2022-03-15"]),
                        "amount_vnd": pd.array([5, 7, 9], dtype="Int64")})
    tr._ADOPTIONS.clear()
    ref = tr._adoption(inv, ["401", "402", "403"], "one_stop_facility", "reporting_quarter")
    first = tr.adoption(inv, ["401", "402", "403"])
    first.loc[0, "amount_vnd"] = -1.0  # the caller's copy: the kept one is untouched
    again = tr.adoption(inv.copy(), iter(["401", "402", "403"]))
    assert len(tr._ADOPTIONS) == 1
    pd.testing.assert_frame_equal(again, ref)
    later = inv.assign(date_in_operation=pd.to_datetime(["2020-01-10", "2021-06-20", "2023-03-15"]))
    assert tr.adoption(later, ["401", "402", "403"])["first_treated"].iloc[1] == pd.Period("2023Q2", freq="Q-DEC")
    assert tr.adoption(inv, ["401", "402"], treatment="any")["unit_code"].tolist() == ["401", "402"]


def test_adoption_calendar_says_when_each_unit_first_had_each_investment():
    from paranalysis.treatment import adoption_calendar

    inv = pd.DataFrame({"unit_code": ["421", "421", "432"],
                        "date_in_operation": pd.to_datetime(["2020-02-10", "2021-05-03", "2019-08-01"]),
                        "category": ["one_stop_facility", "online_meeting_system", "one_stop_facility"],
                        "amount_vnd": [6e9, 1e9, 2e9]})
    cal = adoption_calendar(inv, ["421", "432", "999"], {"421": "Quỳnh Lưu"})
    assert list(cal.columns) == ["unit_code", "name", "first_one_stop_facility", "first_online_meeting_system"]
    assert cal["name"].tolist() == ["Quỳnh Lưu", "432", "999"]
    assert str(cal["first_one_stop_facility"].iloc[0]) == "2020Q1" and str(cal["first_one_stop_facility"].iloc[1]) == "2019Q3"
    assert str(cal["first_online_meeting_system"].iloc[0]) == "2021Q2"
    assert pd.isna(cal["first_online_meeting_system"].iloc[1]) and pd.isna(cal["first_one_stop_facility"].iloc[2])


def test_the_demo_truth_is_the_planted_effects_by_outcome_column():
    from paranalysis import demo

    truth = demo.planted_truth()
    assert truth["one_stop_facility"]["late_rate_resolved_basis"] == -1.0
    assert truth["one_stop_facility"]["online_share"] == 4.0
    assert truth["online_meeting_system"]["overdue_backlog_share"] == -5.0
    assert set(truth["online_meeting_system"]) == set(demo.PLANTED_OUTCOMES)
