"""paranalysis.rankings: ranks, percentiles, ties, rank changes with breaks, points to gain
places, score decomposition, rank correlations, and the bundled Nghe An rank history.

Expected numbers are derived by hand in the comments, or are the press statements of
change quoted in the bundled notes ("giảm 0,88 điểm và 21 bậc")."""

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import rankings as R
from paranalysis.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference-data"
BUNDLED = ROOT / "data" / "rankings" / "rankings_nghean_published.csv"


# --- ranks, ties, percentiles ---------------------------------------------------------

def test_competition_rank_ties_share_best_rank_and_skip():
    assert R.competition_rank([90, 85, 85, 80]).tolist() == [1, 2, 2, 4]
    # lower is better (e.g. a cost): 3 < 5 = 5 < 9
    assert R.competition_rank([5, 3, 9, 5], higher_is_better=False).tolist() == [2, 1, 4, 2]
    r = R.competition_rank([70.0, float("nan"), 71.0])
    assert r.iloc[0] == 2 and r.iloc[2] == 1 and pd.isna(r.iloc[1])


def test_competition_rank_rounding_only_when_asked():
    # PCI 2014: Binh Duong 58.82430 (27th) and Nghe An 58.81547 (28th) both print as 58.82
    assert R.competition_rank([58.82430, 58.81547]).tolist() == [1, 2]
    assert R.competition_rank([58.82430, 58.81547], decimals=2).tolist() == [1, 1]


def test_percentile_convention_by_hand():
    assert R.rank_to_percentile(1, 63) == 1.0
    assert R.rank_to_percentile(63, 63) == 0.0
    assert R.rank_to_percentile(32, 63) == 0.5
    assert R.rank_to_percentile(27, 63) == pytest.approx(36 / 62)      # 0.5806
    assert R.rank_to_percentile(24, 34) == pytest.approx(10 / 33)      # 766 index 2025: 0.3030
    assert math.isnan(R.rank_to_percentile(1, 1))
    # ties 1, 2, 2, 4 of 4: both tied units get the percentile of rank 2 = 2/3
    p = R.rank_to_percentile(pd.Series([1, 2, 2, 4]), pd.Series([4, 4, 4, 4]))
    assert p.tolist() == pytest.approx([1.0, 2 / 3, 2 / 3, 0.0])


def test_percentile_back_to_rank_and_equivalent_rank():
    # 27th of 63 -> p = 36/62; among 34: 34 - (36/62)*33 = 14.84 -> 15th
    assert R.percentile_to_rank(36 / 62, 34, as_integer=False) == pytest.approx(34 - 36 / 62 * 33)
    assert R.percentile_to_rank(36 / 62, 34) == 15
    assert R.equivalent_rank(27, 63, 34) == 15
    assert R.equivalent_rank(1, 63, 34) == 1 and R.equivalent_rank(63, 63, 34) == 34
    # round trip for every rank of a 63-unit table
    for r in range(1, 64):
        assert R.percentile_to_rank(R.rank_to_percentile(r, 63), 63) == r
    s = R.percentile_to_rank(pd.Series([1.0, 0.5, 0.0]), 21)
    assert s.tolist() == [1, 11, 21]


# --- rank changes and breaks -------------------------------------------------------------

def _frame(rows):
    df = pd.DataFrame(rows, columns=["index", "year", "unit_code", "rank", "n_ranked", "score", "scale", "derived"])
    df["year"] = df["year"].astype("Int64")
    df["rank"] = df["rank"].astype("Int64")
    df["n_ranked"] = df["n_ranked"].astype("Int64")
    df["score"] = df["score"].astype(float)
    return df


def test_rank_changes_by_hand_with_breaks():
    df = _frame([
        ["PAPI", 2016, "40", 36, 63, 35.57, "6-60", False],
        ["PAPI", 2017, "40", 44, 63, 35.77, "6-60", False],
        ["PAPI", 2018, "40", 4, 63, 46.57, "8-80", False],
        ["PAPI", 2019, "40", 17, 63, 44.72, "8-80", False],
        ["PCI", 2024, "40", 44, 63, None, "0-100", False],
        ["PCI", 2025, "40", 20, 34, None, "0-100", True],
    ])
    ch = R.rank_changes(df, lang="en").set_index(["index", "year"])
    a = ch.loc[("PAPI", 2017)]
    assert a["places_gained"] == -8                          # 36 -> 44
    assert a["score_change"] == pytest.approx(0.20)
    assert a["score_comparable"] and a["rank_comparable"] and not a["break_method"]
    b = ch.loc[("PAPI", 2018)]
    assert b["places_gained"] == 40                          # 44 -> 4
    assert b["break_method"] and b["break_scale"] and not b["break_units"]
    assert not b["score_comparable"] and not b["rank_comparable"]
    assert "8 dimensions" in b["breaks"]
    c = ch.loc[("PAPI", 2019)]
    assert c["score_comparable"] and c["places_gained"] == -13
    d = ch.loc[("PCI", 2025)]
    # 44th of 63 (p = 19/62) -> 20th of 34 (p = 14/33): +0.1179 in percentile
    assert d["break_units"] and not d["rank_comparable"] and d["derived"]
    assert d["percentile_change"] == pytest.approx(14 / 33 - 19 / 62)
    assert d["places_gained"] == 24                          # raw rank difference, flagged not comparable
    assert pd.isna(ch.loc[("PAPI", 2016)]["prev_rank"])


def test_rank_changes_flags_unlisted_changes_found_in_the_data():
    df = _frame([
        ["X", 2020, "1", 3, 10, 50.0, "0-100", False],
        ["X", 2021, "1", 2, 9, 51.0, "0-10", False],
    ])
    row = R.rank_changes(df, lang="en").iloc[1]
    assert row["break_units"] and row["break_scale"] and not row["break_method"]
    assert "n_ranked 10 -> 9" in row["breaks"] and "scale 0-100 -> 0-10" in row["breaks"]


def test_breaks_are_one_table_with_the_known_breaks():
    b = R.method_breaks()
    keys = set(zip(b["index"], b["year"], b["kind"]))
    for k in [("PAPI", 2018, "method"), ("PAPI", 2018, "scale"), ("PAR_INDEX", 2020, "method"),
              ("PAR_INDEX", 2022, "method"), ("PAR_INDEX", 2025, "units"), ("PCI", 2025, "units"),
              ("DDCI", 2024, "units"), ("DISTRICT_PAR_INDEX", 2024, "units")]:
        assert k in keys
    assert set(b["kind"]) <= set(R.BREAK_KINDS)
    assert b["description_vi"].notna().all() and b["source"].notna().all()


def test_bundled_changes_match_the_press_statements_of_change():
    ds = paranalysis.load_dataset()
    ch = R.rank_changes(ds.rankings[ds.rankings["unit_code"] == "40"], lang="en").set_index(["index", "year"])
    # "65,72 diem, xep thu 44, giam 0,88 diem va 21 bac so voi 2022"
    assert ch.loc[("PCI", 2023), "places_gained"] == -21
    assert ch.loc[("PCI", 2023), "score_change"] == pytest.approx(-0.88)
    assert ch.loc[("PCI", 2022), "places_gained"] == 7          # "ranking increases by 7 places"
    assert ch.loc[("SIPAS", 2022), "places_gained"] == 21       # "+21 vs 2021"
    assert ch.loc[("SIPAS", 2023), "places_gained"] == 2        # "tang 2 bac"
    assert ch.loc[("SIPAS", 2024), "places_gained"] == 6        # "up 6 places vs 2023"
    assert ch.loc[("PAR_INDEX", 2023), "places_gained"] == 1    # "tang 1 bac so voi 2022"
    assert ch.loc[("PAPI", 2022), "places_gained"] == -2        # "decreasing by 2 ranks"
    assert ch.loc[("PAPI", 2018), "break_method"]
    assert ch.loc[("PAR_INDEX", 2022), "break_method"] and not ch.loc[("PAR_INDEX", 2023), "break_method"]


# --- points to gain places -------------------------------------------------------------

def _table():
    return pd.DataFrame({"unit_name": list("ABCDE"), "score": [90.0, 85.0, 85.0, 80.0, 70.0]})


def test_points_to_gain_by_hand():
    res = R.points_to_gain(_table(), "E", places=(1, 2, 3, 4, 5))
    g = res.table.set_index("places")
    # E is 5th with 70. Others best first: 90, 85, 85, 80.
    assert res.meta["rank"] == 5 and res.settings["unit"] == "E"
    assert g.loc[1, "score_needed"] == 80 and g.loc[1, "points_needed"] == 10 and g.loc[1, "rank_reached"] == 4
    # 2 places -> 3rd best other = 85 -> 15 points; tying B and C gives rank 2 (3 places)
    assert g.loc[2, "points_needed"] == 15 and g.loc[2, "rank_reached"] == 2
    assert g.loc[3, "points_needed"] == 15 and g.loc[3, "target_rank"] == 2
    assert g.loc[4, "points_needed"] == 20 and g.loc[4, "rank_reached"] == 1
    assert math.isnan(g.loc[5, "points_needed"])                 # cannot gain 5 places from 5th


def test_points_to_gain_lower_is_better_and_tied_unit():
    t = pd.DataFrame({"unit_name": list("ABC"), "score": [1.0, 2.0, 4.0]})   # a cost: lower is better
    g = R.points_to_gain(t, "C", places=(1, 2), higher_is_better=False).table.set_index("places")
    assert g.loc[1, "score_needed"] == 2.0 and g.loc[1, "points_needed"] == 2.0
    assert g.loc[2, "points_needed"] == 3.0
    # C (85, tied 2nd) needs 90 - 85 = 5 for one place
    g2 = R.points_to_gain(_table(), "C", places=(1,)).table.iloc[0]
    assert g2["target_rank"] == 1 and g2["points_needed"] == 5


def test_points_per_place_by_hand():
    assert R.points_per_place(_table()) == pytest.approx((90 - 70) / 4)
    assert R.points_per_place(_table(), from_rank=2, to_rank=4) == pytest.approx((85 - 80) / 2)
    with pytest.raises(DataError):
        R.points_per_place(_table(), from_rank=3, to_rank=3)


def test_points_to_gain_unknown_unit_is_a_data_error():
    with pytest.raises(DataError, match="a unit present in the table"):
        R.points_to_gain(_table(), "Z")


# --- decomposition ------------------------------------------------------------------------

def test_decomposition_by_hand():
    d = R.decompose_change({"a": 6.0, "b": 4.0}, {"a": 7.0, "b": 3.5}, {"a": 0.5, "b": 0.5},
                           labels={"a": "A", "b": "B"}).set_index("sub_index")
    # 10 x 0.5 x (+1) = +5.0 ; 10 x 0.5 x (-0.5) = -2.5 ; total +2.5
    assert d.loc["a", "contribution"] == pytest.approx(5.0)
    assert d.loc["b", "contribution"] == pytest.approx(-2.5)
    assert d.loc["a", "share"] == pytest.approx(2.0)
    # with published composites 50.0 -> 53.0 the residual is 3.0 - 2.5 = 0.5
    d2 = R.decompose_change({"a": 6.0, "b": 4.0}, {"a": 7.0, "b": 3.5}, {"a": 0.5, "b": 0.5},
                            composite_before=50.0, composite_after=53.0).set_index("sub_index")
    assert d2.loc["residual", "contribution"] == pytest.approx(0.5)
    assert d2["contribution"].sum() == pytest.approx(3.0)


def test_pci_weights_from_the_handbook():
    assert sum(R.PCI_WEIGHTS.values()) == pytest.approx(1.0)
    # one more point of transparency (weight 20 %) is 2.0 PCI points; of entry costs (5 %) 0.5
    before = {k: 5.0 for k in R.PCI_WEIGHTS}
    after = dict(before, transparency=6.0, entry=6.0)
    d = R.decompose_change(before, after, R.PCI_WEIGHTS).set_index("sub_index")
    assert d.loc["transparency", "contribution"] == pytest.approx(2.0)
    assert d.loc["entry", "contribution"] == pytest.approx(0.5)
    assert set(R.PCI_COLUMNS_PANEL.values()) == set(R.PCI_WEIGHTS)


# --- rank correlation with small-sample p-values ---------------------------------------------

def test_rank_correlation_exact_p_values_by_hand():
    # n = 4, perfectly monotone: only 2 of the 4! = 24 pairings reach |rho| = 1 -> p = 2/24
    s = R.rank_correlation([1, 2, 3, 4], [10, 20, 30, 40], method="spearman")
    assert s.statistic == pytest.approx(1.0)
    assert s.p_value == pytest.approx(2 / 24)
    assert s.p_method == "exact permutation"
    k = R.rank_correlation([1, 2, 3, 4], [40, 30, 20, 10], method="kendall")
    assert k.statistic == pytest.approx(-1.0)
    assert k.p_value == pytest.approx(2 / 24)
    assert k.p_method == "exact"
    # n = 5: 2 / 120
    assert R.rank_correlation(range(5), range(5), method="kendall").p_value == pytest.approx(2 / 120)


def test_rank_correlation_with_ties_uses_permutations():
    x = [0, 0, 0, 1, 1, 1, 1, 0, 1, 0]
    y = [1, 2, 3, 7, 8, 9, 10, 4, 6, 5]
    k = R.rank_correlation(x, y, method="kendall")
    assert k.p_method.startswith("permutation")
    assert k.statistic > 0.7 and k.p_value < 0.01
    assert math.isnan(R.rank_correlation([1, 1, 1], [1, 2, 3]).statistic)


# --- district rank changes against investment ------------------------------------------------

def test_district_rank_changes_by_hand():
    rk = _frame([
        ["DDCI", 2022, "412", 1, 4, 80.0, "0-100", False], ["DDCI", 2024, "412", 2, 3, 81.0, "0-100", False],
        ["DDCI", 2022, "413", 2, 4, 78.0, "0-100", False],
        ["DDCI", 2022, "414", 3, 4, 75.0, "0-100", False], ["DDCI", 2024, "414", 1, 3, 82.0, "0-100", False],
        ["DDCI", 2022, "415", 4, 4, 70.0, "0-100", False], ["DDCI", 2024, "415", 3, 3, 71.0, "0-100", False],
    ])
    inv = pd.DataFrame({
        "unit_code": ["414", "412", "414"],
        "category": ["one_stop_facility", "one_stop_facility", "online_meeting_system"],
        "date_in_operation": pd.to_datetime(["2023-06-30", "2019-12-31", "2025-01-15"]),
    })
    res = R.district_rank_changes(rk, inv, index="DDCI")
    out = res.table.set_index("unit_code")
    assert list(out.index) == ["412", "414", "415"] and res.meta["not_in_both_years"] == ["413"]
    assert out.loc["414", "places_gained"] == 2
    # 414: 3rd of 4 (p = 1/3) -> 1st of 3 (p = 1): +66.7 percentile points
    assert out.loc["414", "percentile_change"] == pytest.approx(100 * (1 - 1 / 3))
    assert out.loc["412", "percentile_change"] == pytest.approx(100 * (0.5 - 1.0))
    assert out.loc["414", "one_stop_facility_new"] and not out.loc["412", "one_stop_facility_new"]
    assert not out.loc["414", "online_meeting_system_new"]     # 2025: after the window
    assert out.loc["412", "one_stop_facility_years"] == pytest.approx(round(1827 / 365.25, 2))
    assert out.loc["415", "one_stop_facility_years"] == 0.0
    assert out.loc["414", "score_change"] == pytest.approx(7.0)
    assert out.loc["412", "footprint_changed"] and not out.loc["414", "footprint_changed"]
    assert out.loc["412", "name"] == "Vinh"


def test_yearly_processing_rates_by_hand():
    from paranalysis.periods import to_period

    p = pd.DataFrame({
        "unit_code": ["412", "412"], "period": pd.PeriodIndex([to_period("2023Q1"), to_period("2023Q2")]),
        "resolved_early": [50, 50], "resolved_on_time": [40, 48], "resolved_late": [10, 2],
        "received_online": [30, 10], "received_direct": [65, 90], "received_postal": [5, 0],
    })
    y = R.yearly_processing(p).iloc[0]
    assert y["on_time_rate"] == pytest.approx(100 * 188 / 200)   # 94.0 %
    assert y["online_share"] == pytest.approx(100 * 40 / 200)    # 20.0 %
    assert y["quarters"] == 2


# --- the bundled Nghe An history ---------------------------------------------------------------

def test_bundled_history_loads_through_load_dataset():
    ds = paranalysis.load_dataset()
    nr = ds.rankings[ds.rankings["unit_code"] == "40"]
    assert len(nr) == 46
    assert not nr["synthetic"].any()
    assert set(nr["index"]) >= {"PAR_INDEX", "SIPAS", "PAPI", "PCI", "SERVICE_INDEX_766", "ICT_EGOV_INDEX_MIC"}
    assert not nr.duplicated(["index", "year", "unit_code"]).any()
    assert nr["source"].notna().all()
    row = nr[(nr["index"] == "PAR_INDEX") & (nr["year"] == 2019)].iloc[0]
    assert row["rank"] == 24 and row["score"] == pytest.approx(81.93) and not row["derived"]
    assert nr[(nr["index"] == "PAR_INDEX") & (nr["year"] == 2018)].iloc[0]["derived"]


def _reference_rows():
    lines = [ln for ln in open(REF / "nghean_indices_by_year.csv", encoding="utf-8") if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("".join(lines))))


@pytest.mark.skipif(not REF.is_dir(), reason="reference data folder ../shared/reference-data not present "
                                             "(it sits next to the repository on the project's own machines only)")
def test_bundled_history_matches_reference_row_by_row():
    ref = _reference_rows()
    ours = list(csv.DictReader(open(BUNDLED, encoding="utf-8")))
    assert len(ours) == len(ref)
    for r, o in zip(ref, ours):
        st = r["source_type"]
        note = r["note"]
        if r["year"].isdigit():
            assert o["year"] == r["year"] and o["index"] == r["index"]
        else:                                          # 2025_ytd / 2025_10 (see data/rankings/README.md)
            assert o["year"] == "2025" and r["year"] in o["note"]
            assert o["index"] == (r["index"] if r["year"].endswith("_ytd") else r["index"] + "_MONTHLY")
        assert o["unit_code"] == "40"
        assert o["rank"] == r["rank"] and o["n_ranked"] == r["n_units"]
        assert o["score"] == r["score"] and o["scale"] == r["score_scale"]
        assert o["source"] == r["source"]
        assert o["note"].startswith(f"[{st}] ") and o["note"].endswith(note)
        derived = st == "derived_from_news" or ("rank_derived" in note and "news" not in st)
        assert o["derived"] == ("true" if derived else "false")
        assert o["synthetic"] == "false"


def test_permutation_statistics_equal_scipy_tau_b_and_rho_with_ties():
    from scipy import stats

    x = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 0, 2]
    y = [5.0, 3.0, 4.0, 4.0, 7.0, 6.0, 9.0, 8.0, 8.0, 10.0, 1.0, 2.0]
    k = R.rank_correlation(x, y, method="kendall")
    s = R.rank_correlation(x, y, method="spearman")
    assert k.statistic == pytest.approx(stats.kendalltau(x, y).statistic)
    assert s.statistic == pytest.approx(stats.spearmanr(x, y).statistic)
    # same seed, same p-value (deterministic notebooks)
    assert R.rank_correlation(x, y, method="kendall").p_value == k.p_value


# --- known truth: the demo generator plants score effects of investments ----------------------

def _planted_fit(seeds, index="DISTRICT_PAR_INDEX", start=2019, end=2023):
    import numpy as np

    from paranalysis import demo

    coefs, frames = [], []
    for seed in seeds:
        g = demo.generate(seed)
        d = R.district_rank_changes(g["rankings"], g["investments"], None, index=index, start=start, end=end).table
        X = np.column_stack([np.ones(len(d)), d["one_stop_facility_new"].astype(float),
                             d["online_meeting_system_new"].astype(float)])
        coefs.append(np.linalg.lstsq(X, d["score_change"].to_numpy(), rcond=None)[0][1:])
        frames.append(d)
    return np.array(coefs), frames


def test_district_score_changes_recover_the_planted_investment_effects():
    """Across 20 demo seeds, the score change of units whose investment came into operation
    in 2020-2023 exceeds the others' by the planted +1.5 (one-stop) and +1.0 (meeting)
    points of DISTRICT_PAR_INDEX. One seed's estimate has a standard error of about 0.8,
    so the mean of 20 has about 0.18; tolerance 0.6."""
    from paranalysis.demo import PLANTED_SCORE_EFFECTS

    coefs, frames = _planted_fit(range(20))
    truth = PLANTED_SCORE_EFFECTS["DISTRICT_PAR_INDEX"]
    assert coefs[:, 0].mean() == pytest.approx(truth["one_stop_facility"], abs=0.6)
    assert coefs[:, 1].mean() == pytest.approx(truth["online_meeting_system"], abs=0.6)
    assert len(frames[0]) == 21 and frames[0]["one_stop_facility_new"].sum() == 9


@pytest.mark.slow
def test_power_and_size_of_the_rank_correlation_test_on_demo_districts():
    """Measured (docs/rankings.md): share of 200 demo seeds in which the Spearman permutation
    test rejects at 5 % (planted +1.5 one-stop effect), and the rejection rate for a placebo
    (the same flags shuffled across units, no effect by construction)."""
    import numpy as np

    _, frames = _planted_fit(range(200))
    rng = np.random.default_rng(7)
    power = np.mean([R.rank_correlation(d["one_stop_facility_new"], d["score_change"], n_resamples=1999).p_value
                     < 0.05 for d in frames])
    size = np.mean([R.rank_correlation(rng.permutation(d["one_stop_facility_new"].to_numpy()), d["score_change"],
                                       n_resamples=1999).p_value < 0.05 for d in frames])
    print(f"power {power:.3f} size {size:.3f}")
    assert 0.2 < power < 0.7
    assert size < 0.10


# --- helpers used by notebook 04 ---------------------------------------------------------------

def test_history_table_follows_the_requested_order_and_language():
    ds = paranalysis.load_dataset()
    h = R.history_table(ds.rankings, "40", lang="en", indices=["SIPAS", "PCI"])
    assert list(dict.fromkeys(h["Index"])) == ["SIPAS (satisfaction)", "PCI"]
    row = h[(h["Index"] == "PCI") & (h["Year"] == "2023")].iloc[0]
    # shown as text written in the language: typographic minus, 100 * 19 / 62 = 30.6
    assert row["Rank/n"] == "44/63" and row["Places gained"] == "\u221221" and row["Score change"] == "\u22120.88"
    assert row["Relative position (%)"] == "30.6"
    hv = R.history_table(ds.rankings, "40", lang="vi", indices=["PAPI"])
    assert hv[hv["Năm"] == "2018"]["Lưu ý so sánh"].iloc[0].startswith("⚠ 2018: 6 -> 8 nội dung")


def test_decompose_table_change_by_hand():
    t = pd.DataFrame({"year": [2020, 2021], "unit_name": ["A", "A"], "unit_code": ["40", "40"],
                      "score": [50.0, 52.0], "s1": ["6.0", "7.0"], "s2": ["4.0", "4.5"]})
    d = R.decompose_table_change(t, "40", 2020, 2021, {"s1": "a", "s2": "b"}, {"a": 0.5, "b": 0.5}).set_index("sub_index")
    # 10 x 0.5 x 1.0 = 5.0 ; 10 x 0.5 x 0.5 = 2.5 ; published change 2.0 -> residual -5.5
    assert d.loc["a", "contribution"] == pytest.approx(5.0) and d.loc["b", "contribution"] == pytest.approx(2.5)
    assert d.loc["residual", "contribution"] == pytest.approx(-5.5)


def test_district_indices_and_table_to_rankings():
    ds = paranalysis.load_dataset()
    assert R.district_indices(ds.rankings)[:2] == ["DISTRICT_PAR_INDEX", "DDCI"]   # 6 years before 3
    t = pd.DataFrame({"index": "PCI", "year": [2016, 2016], "unit_name": ["Nghe An", "Ha Tinh"],
                      "unit_code": ["40", None], "score": [59.45, 60.0], "rank": [25, 20],
                      "rank_published": [25, pd.NA], "rank_computed": [25, 20], "n_ranked": [63, 63], "source": "x.csv"})
    rows = R.table_to_rankings(t, scale="0-100")
    assert len(rows) == 1 and rows.iloc[0]["rank"] == 25 and not rows.iloc[0]["derived"]


def test_plots_have_titles_and_captions():
    ds = paranalysis.load_dataset()
    for lang in ("vi", "en"):
        fig = R.plot_trajectory(ds.rankings, "40", lang=lang, unit_name="Nghệ An")
        assert fig.paranalysis_caption and "Nghệ An" in fig._suptitle.get_text()
        fig = R.plot_province_timeline(ds.rankings, ds.facts, ds.investments, lang=lang, unit_name="Nghệ An")
        assert ("minh họa" if lang == "vi" else "synthetic") in fig.paranalysis_caption.lower()
        d = R.district_rank_changes(ds.rankings, ds.investments, ds.processing, index="DDCI").table
        fig = R.plot_labelled_scatter(d, "on_time_rate_change_pp", "score_change", lang=lang, title="t",
                                      xlabel="x", ylabel="y", highlight="one_stop_facility_new")
        assert "n = 20" in fig.paranalysis_caption
    import matplotlib.pyplot as plt

    plt.close("all")


def test_break_catalogue_is_a_data_file_with_a_source_per_row():
    import csv
    from pathlib import Path

    path = Path(R.__file__).resolve().parent.parent / "resources" / "ranking_breaks.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(R.BREAKS) == len(R.method_breaks())
    assert all(r["kind"] in R.BREAK_KINDS and r["source"].strip() and r["description_vi"].strip() for r in rows)
    # the Cua Lo merger (1 Dec 2024) is a number-of-units break of the district indices
    assert {("DDCI", 2024, "units"), ("DISTRICT_PAR_INDEX", 2024, "units")} <= {
        (b["index"], b["year"], b["kind"]) for b in R.BREAKS}


def test_latest_table_and_middle_unit_pick_the_worked_example():
    from paranalysis import rankings as R

    rk = pd.DataFrame({"index": ["DDCI"] * 5 + ["PCI"], "year": [2022, 2022, 2023, 2023, 2023, 2023],
                       "unit_code": ["a", "b", "a", "b", "c", "x"], "rank": [1, 2, 3, 1, 2, 7]})
    full = R.latest_table(rk, "DDCI")
    assert sorted(full["unit_code"]) == ["a", "b", "c"] and set(full["year"]) == {2023}
    assert R.middle_unit(full) == "c"  # ranks 1 (b), 2 (c), 3 (a): the middle one
    with pytest.raises(DataError):
        R.latest_table(rk, "PAPI")


def test_the_pci_panel_and_its_decomposition_as_the_notebook_shows_them():
    from paranalysis import rankings as R

    ref = R.reference_data_dir()
    if ref is None or not (ref / R.PCI_PANEL_FILE).exists():
        pytest.skip("../shared/reference-data (the published PCI panel) is not here")
    panel = R.load_pci_panel(ref)
    assert set(R.PCI_COLUMNS_PANEL) <= set(panel.columns) and panel["year"].between(2012, 2021).all()
    shown = R.decomposition_table(panel, "Nghệ An", 2020, 2021)
    assert list(shown.columns) == ["label", "weight", "score_before", "score_after", "score_change", "contribution"]
    full = R.decompose_table_change(panel, "Nghệ An", 2020, 2021, R.PCI_COLUMNS_PANEL)
    assert shown["contribution"].tolist() == full["contribution"].tolist()
