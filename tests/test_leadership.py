"""paranalysis.leadership: the numbers of the leadership report, checked against hand
computations on small datasets, against the planted truth of the synthetic demo, and
against Nghe An's published ranks (reference-data README)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pandas as pd
import pytest

import paranalysis
from paranalysis import leadership as L
from paranalysis.ingest import ingest

BASE = dict(carried_over=0, received_postal=0, pending_not_due=0, pending_overdue=0)


def _dataset(tmp_path, rows, name="in.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    ingest(path, tmp_path / "ds")
    return paranalysis.load_dataset(tmp_path / "ds")


@pytest.fixture
def small(tmp_path):
    # two districts and the province total row (which must not be added to them)
    rows = []
    spec = {  # (online, direct, early, on_time, late)
        ("412", "2023Q2"): (100, 300, 150, 230, 20),
        ("415", "2023Q2"): (10, 90, 40, 55, 5),
        ("412", "2024Q1"): (200, 200, 180, 205, 15),
        ("415", "2024Q1"): (30, 70, 50, 48, 2),
        ("412", "2024Q2"): (300, 100, 200, 192, 8),
        ("415", "2024Q2"): (50, 50, 60, 37, 3),
        ("40", "2024Q2"): (9999, 9999, 9999, 9999, 9999),
    }
    for (u, q), (on, di, ea, ot, la) in spec.items():
        rows.append(dict(unit_code=u, period=q, received_online=on, received_direct=di, resolved_early=ea,
                         resolved_on_time=ot, resolved_late=la, **BASE))
    return _dataset(tmp_path, rows)


def test_comparison_units_leave_out_the_province_row(small):
    assert L.comparison_units(small, "2024Q2") == ["412", "415"]


def test_headline_sums_counts_then_divides(small):
    h = L.headline(small, "2024Q2").set_index("key")
    # by hand: 2024Q2 resolved 200+192+8 + 60+37+3 = 500, late 11; received 400 + 100 = 500, online 350
    assert h.loc["resolved", "now"] == 500 and h.loc["received", "now"] == 500
    assert h.loc["late_rate_resolved_basis", "now"] == pytest.approx(100 * 11 / 500)
    assert h.loc["on_time_resolved_basis", "now"] == pytest.approx(100 * 489 / 500)
    assert h.loc["online_share", "now"] == pytest.approx(70.0)
    # previous quarter 2024Q1: online 230 of 500; same quarter 2023Q2: online 110 of 500
    assert h.loc["online_share", "change_q"] == pytest.approx(70.0 - 46.0)
    assert h.loc["online_share", "change_y"] == pytest.approx(70.0 - 22.0)
    # counts change in %: resolved 500 vs 2024Q1 500 (+0 %), vs 2023Q2 500
    assert h.loc["resolved", "change_q"] == pytest.approx(0.0)
    # late 2023Q2: 25 of 500 = 5 %; change −2.8 pp
    assert h.loc["late_rate_resolved_basis", "change_y"] == pytest.approx(2.2 - 5.0)
    lo, hi = h.loc["late_rate_resolved_basis", ["ci_low", "ci_high"]]
    assert lo < 2.2 < hi
    assert "overdue_backlog_share" not in h.index  # nothing pending: no denominator, no row


def test_headline_table_in_both_languages(small):
    h = L.headline(small, "2024Q2")
    vi = L.headline_table(h, "vi").set_index("Chỉ số")
    en = L.headline_table(h, "en").set_index("Indicator")
    assert vi.loc["Tỷ lệ hồ sơ trực tuyến (%)", "Quý này"] == "70,00%"
    assert en.loc["Online share of new records (%)", "This quarter"] == "70.00%"
    assert vi.loc["Tỷ lệ hồ sơ trực tuyến (%)", "Thay đổi so với quý trước"] == "+24,00\u00a0đpt"
    assert en.loc["Resolved late (%)", "Change since last year"] == "−2.80\u00a0pp"


def test_a_planted_outlier_is_named(tmp_path):
    rows = []
    for i, u in enumerate(["412", "414", "415", "416", "417", "418", "419", "420", "421", "422", "423"]):
        late = 300 if u == "419" else 40 + (i % 3) * 4  # 419: 15 % late, the others about 2 %
        rows.append(dict(unit_code=u, period="2024Q2", received_online=500, received_direct=1500,
                         resolved_early=900, resolved_on_time=1100 - late, resolved_late=late, **BASE))
    ds = _dataset(tmp_path, rows)
    res = L.standout(ds, "2024Q2")
    from paranalysis.indicators import unit_names

    assert list(res.outside(0.998)["unit_code"]) == ["419"]
    name_vi, name_en = unit_names(ds.units, "vi")["419"], unit_names(ds.units, "en")["419"]
    lines = L.standout_lines(res, ds, "vi")
    assert lines == [f"Kém hơn mức chung một cách bất thường (cần xem xét): {name_vi} (15,00%)."]
    en = L.standout_lines(res, ds, "en")
    assert en == [f"Unusually worse than the province (needs attention): {name_en} (15.00%)."]


@pytest.fixture(scope="module")
def demo_effects():
    ds = paranalysis.load_dataset()
    assert ds.has_synthetic  # the bundled demo province
    return L.investment_effects(ds, ds.periods()[-1])


def test_model_intervals_cover_the_planted_demo_effects(demo_effects):
    """The bundled demo plants known effects (paranalysis.demo.PLANTED_EFFECTS): each 95 %
    interval must contain its truth, and the intervals of the true nulls must contain 0."""
    from paranalysis.demo import PLANTED_EFFECTS

    eff = demo_effects
    assert eff["ok"].all(), eff[["category", "outcome", "note"]]
    names = {"late_rate_resolved_basis": "late_rate_resolved_pp", "online_share": "online_share_pp",
             "overdue_backlog_share": "overdue_backlog_share_pp"}
    for r in eff.itertuples(index=False):
        truth = PLANTED_EFFECTS[r.category][names[r.outcome]]
        assert r.ci_low <= truth <= r.ci_high, (r.category, r.outcome, truth, r.ci_low, r.ci_high)
    table = L.effect_display_table(eff, "en")
    assert len(table) == 6
    reading = set(zip(table["Investment"], table["Indicator"], table["Reading"]))
    assert ("Modernised one-stop facility", "The late rate", "statistically distinguishable from zero") in reading
    # the planted nulls (online meeting system -> late rate, online share) are not claimed
    assert ("Online meeting system", "The late rate", "not statistically distinguishable from zero") in reading
    note = L.effect_note(eff, "en")
    assert "20 units" in note or "21 units" in note
    assert "do not prove it was the cause" in note and "Holm" in note


def test_effect_wording_states_weights_checks_and_holm(demo_effects):
    """Holm within each investment's family of three outcomes, recomputed by hand; the
    weights behind the headline effect add up to 100 %; every row carries the pre-trend,
    robustness and power checks; no sentence claims a cause."""
    eff = demo_effects
    for cat, part in eff.groupby("category"):
        p = sorted(part["p_value"])
        m = len(p)
        holm = [min(1.0, max((m - j) * p[j] for j in range(i + 1))) for i in range(m)]
        assert sorted(part["p_holm"]) == pytest.approx(holm, rel=1e-12)
        w = part["cohort_weights"].iloc[0]
        assert w["weight"].sum() == pytest.approx(1.0, abs=1e-12)
        assert w["n_units"].sum() == part["n_treated"].iloc[0]
    lines = L.effect_lines(eff, "en")
    effect_rows = [x for x in lines if "pp relative to the units without it" in x]
    assert len(effect_rows) == 6
    for x in effect_rows:
        assert "distinguishable from zero" in x and "before the investment" in x
        assert "could be detected" in x
        assert " caused " not in x and "effect of" not in x
    assert any("weight by first quarter in operation" in x for x in lines)
    vi = L.effect_lines(eff, "vi")
    assert any("phân biệt được với 0" in x for x in vi) and any("Holm" in x for x in vi)


def test_model_says_so_when_it_cannot_estimate(small):
    eff = L.investment_effects(small, "2024Q2")  # no investments at all
    assert not eff["ok"].any()
    assert L.effect_note(eff, "en") == "Not enough data to estimate the effect of the investments."


def test_ranking_latest_matches_published_ranks():
    ds = paranalysis.load_dataset()
    latest = L.ranking_latest(ds).set_index("index")
    assert "PAR_INDEX" in latest.index  # data/rankings/rankings_nghean_published.csv
    # reference-data README: PAR Index 2023 rank 15, 2024 rank 27 (of 63); SIPAS 2023 12, 2024 6
    par = latest.loc["PAR_INDEX"]
    assert (int(par["year"]), int(par["rank"]), int(par["prev_rank"]), int(par["places_gained"])) == (2024, 27, 15, -12)
    sipas = latest.loc["SIPAS"]
    assert (int(sipas["rank"]), int(sipas["places_gained"])) == (6, 6)
    lines = L.ranking_lines(latest.reset_index(), "vi")
    assert any("hạng 27/63 (giảm 12 bậc so với 2023)" in x for x in lines)
    assert any("hạng 6/63 (tăng 6 bậc so với 2023)" in x for x in lines)
    # one-off rankings (MIC ICT index 2017) are not presented as a "latest rank"
    assert "ICT_EGOV_INDEX_MIC" not in latest.index


def test_what_changed_reads_the_revisions_log(tmp_path):
    def rows(q, late):
        return [dict(unit_code=u, period=q, received_online=10, received_direct=10, resolved_early=5,
                     resolved_on_time=10, resolved_late=late, **BASE) for u in ("412", "415")]

    same_second = datetime(2024, 7, 20, 8, 30, tzinfo=timezone.utc)
    for name, data in (("q1.csv", rows("2024Q1", 1)), ("q2.csv", rows("2024Q2", 1)), ("q1_fix.csv", rows("2024Q1", 2)),
                       ("q2_fix.csv", rows("2024Q2", 3))):
        pd.DataFrame(data).to_csv(tmp_path / name, index=False)
        ingest(tmp_path / name, tmp_path / "ds", now=same_second)  # order, not clock time, decides
    ds = paranalysis.load_dataset(tmp_path / "ds")
    info = L.what_changed(ds, "2024Q2")
    # since 2024Q1 first arrived: q2, the q1 revision, the q2 revision
    assert list(info["log"]["file_name"]) == ["q2.csv", "q1_fix.csv", "q2_fix.csv"]
    assert info["revised_periods"] == ["2024Q1", "2024Q2"]
    assert (info["n_units"], info["n_units_prev"]) == (2, 2)
    lines = L.what_changed_lines(info, "en")
    assert "2024-07-20 08:30 UTC: revised Q1 2024 from file q1_fix.csv (2 rows; 2 values changed)." in lines
    assert "2024-07-20 08:30 UTC: added Q2 2024 from file q2.csv (2 rows)." in lines
    assert "Q1 2024, Q2 2024 were revised" in lines[-1]
    bundled = L.what_changed(paranalysis.load_dataset(), paranalysis.load_dataset().periods()[-1])
    assert bundled["log"] is None


def test_investment_progress_counts_units_by_quarter(tmp_path):
    ds_rows = [dict(unit_code=u, period=q, received_online=1, received_direct=1, resolved_early=1,
                    resolved_on_time=1, resolved_late=0, **BASE)
               for u in ("412", "415", "416") for q in ("2024Q1", "2024Q2", "2024Q3")]
    ds = _dataset(tmp_path, ds_rows)
    inv = pd.DataFrame([
        dict(unit_code="412", date_in_operation="2024-02-10", category="one_stop_facility", amount_vnd=2_000_000_000,
             source="test"),
        dict(unit_code="415", date_in_operation="2024-08-01", category="one_stop_facility", amount_vnd=1_500_000_000,
             source="test"),
        dict(unit_code="415", date_in_operation="2024-05-01", category="online_meeting_system", amount_vnd=300_000_000,
             source="test"),
    ])
    inv.to_csv(tmp_path / "ds" / "investments_test.csv", index=False)
    ds = paranalysis.load_dataset(tmp_path / "ds")
    prog = L.investment_progress(ds, "2024Q3").pivot(index="period", columns="category", values="units")
    assert prog["one_stop_facility"].tolist() == [1, 1, 2]
    assert prog["online_meeting_system"].tolist() == [0, 1, 1]
    s = L.investment_summary(ds, "2024Q2").set_index("category")
    assert (s.loc["one_stop_facility", "units"], s.loc["one_stop_facility", "n_units"]) == (1, 3)
    assert s.loc["one_stop_facility", "amount_vnd"] == 2e9
    assert L.investment_lines(s.reset_index(), "vi")[0] == "Bộ phận một cửa hiện đại: 1 trên 3 đơn vị đã vận hành (tổng 2,0 tỷ đồng)."
    assert math.isclose(L.investment_summary(ds, "2024Q3").set_index("category").loc["one_stop_facility",
                                                                                      "amount_vnd"], 3.5e9)
