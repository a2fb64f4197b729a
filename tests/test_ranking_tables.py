"""Full published ranking tables: ``load_ranking_table`` against the VCCI, UNDP and MIC
tables read IN PLACE from ../shared/reference-data/ (never copied into the project), and
its error messages on small files written here.

Tolerances: ranks are compared exactly; the PCI headline rebuilt from sub-indices with the
2016-handbook weights is compared to 1e-4 points (the published files keep 5-7 digits)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paranalysis import rankings as R
from paranalysis.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT.parent / "shared" / "reference-data"
needs_ref = pytest.mark.skipif(
    not REF.is_dir(),
    reason="reference data folder ../shared/reference-data not present (published tables are read in place, "
           "never copied into the project; it exists next to the repository on the project's machines only)")

PCI = REF / "pci_vietnamdata_2005_2016.csv"
PAPI = REF / "papi_vietnamdata_2011_2016.csv"
PANEL = REF / "provincial_panel_pci_papi_cp_2012_2021_letrinhan.csv"
ICT = REF / "ict_egov_index_2017_provinces.csv"
S766 = REF / "decision766_service_index_2025_new766.csv"


def _plain(path):
    """The reference file read independently of the loader (for the expected values)."""
    skip = sum(1 for ln in open(path, encoding="utf-8") if ln.startswith("#"))
    return pd.read_csv(path, skiprows=skip)


# --- VCCI PCI 2005-2016 -------------------------------------------------------------------

@needs_ref
def test_pci_2012_2016_computed_ranks_equal_official_ranks():
    t = R.load_ranking_table(PCI, index="PCI", year_column="year", unit_column="prov", score_column="pci_weighted",
                             rank_column="pci_rank_official")      # check_ranks=True: raises on any difference
    ref = _plain(PCI)
    official = ref[ref["pci_rank_official"].notna()]
    assert len(official) == 5 * 63
    m = t.merge(official, left_on=["year", "unit_name"], right_on=["year", "prov"])
    assert len(m) == 315
    assert (m["rank_computed"].astype(int) == m["pci_rank_official"].astype(int)).all()
    assert (t.groupby("year")["n_ranked"].first().to_dict()
            == {2005: 42, 2006: 64, 2007: 64, 2008: 64, 2009: 63, 2010: 63, 2011: 63, 2012: 63, 2013: 63,
                2014: 63, 2015: 63, 2016: 63})


@needs_ref
def test_pci_ranks_use_unrounded_scores_and_ties_share_the_best_rank():
    t = R.load_ranking_table(PCI, index="PCI", year_column="year", unit_column="prov", score_column="pci_weighted")
    y14 = t[t["year"] == 2014].set_index("unit_name")
    # both print as 58.82; VCCI ranks them 27 and 28 (official column)
    assert y14.loc["Binh Duong", "rank"] == 27 and y14.loc["Nghe An", "rank"] == 28
    # 2011: Binh Thuan and Ha Giang have the same score 57.62 -> both 40th (competition ranking);
    # the dataset's own derived column numbered them 41 and 40
    y11 = t[t["year"] == 2011].set_index("unit_name")
    assert y11.loc["Binh Thuan", "score"] == y11.loc["Ha Giang", "score"] == 57.62
    assert y11.loc["Binh Thuan", "rank"] == y11.loc["Ha Giang", "rank"] == 40
    assert (y11["rank"] == 41).sum() == 0 and (y11["rank"] == 42).sum() == 1
    ref = _plain(PCI)
    m = t.merge(ref, left_on=["year", "unit_name"], right_on=["year", "prov"])
    differ = m[m["rank_computed"].astype(int) != m["pci_rank_derived"]]
    assert list(zip(differ["year"], differ["prov"])) == [(2011, "Binh Thuan")]


@needs_ref
def test_pci_nghe_an_rows_match_the_bundled_history():
    import paranalysis

    t = R.load_ranking_table(PCI, index="PCI", year_column="year", unit_column="prov", score_column="pci_weighted")
    na = t[t["unit_code"] == "40"].set_index("year")
    assert list(na.index) == list(range(2005, 2017))            # "Nghe An" matched to code 40
    ds = paranalysis.load_dataset()
    b = ds.rankings[(ds.rankings["index"] == "PCI") & (ds.rankings["unit_code"] == "40")].set_index("year")
    for y in range(2005, 2017):
        assert na.loc[y, "rank"] == b.loc[y, "rank"]
        assert round(na.loc[y, "score"], 2) == pytest.approx(b.loc[y, "score"])
        assert na.loc[y, "n_ranked"] == b.loc[y, "n_ranked"]
    rows = R.table_to_rankings(na.reset_index(), scale="0-100")
    assert len(rows) == 12 and set(rows["unit_code"]) == {"40"}
    assert rows[rows["year"] == 2014]["derived"].iloc[0]        # no official column given here


# --- PCI 2017-2021 (provincial panel) and the PCI weights ---------------------------------------

@needs_ref
def test_panel_pci_ranks_for_nghe_an_match_the_news():
    t = R.load_ranking_table(PANEL, index="PCI", year_column="YEAR", unit_column="Province", score_column="PCI")
    na = t[t["unit_code"] == "40"].set_index("year")["rank"]
    # news: 2018 = 19th (2019 was "+1"), 2019 = 18th with 66.64, 2021 = 30th
    assert (na[2018], na[2019], na[2021]) == (19, 18, 30)
    ref = _plain(PANEL)
    m = t.merge(ref, left_on=["year", "unit_name"], right_on=["YEAR", "Province"])
    assert (m["rank_computed"].astype(int) == m["pci_rank_derived"]).all() and len(m) == 630


@needs_ref
def test_pci_weights_reproduce_the_published_headline_2013_2021():
    pci = _plain(PCI)
    pci = pci[pci["year"] >= 2013]
    rebuilt = sum(10 * w * pci[f"pci_{k}"] for k, w in R.PCI_WEIGHTS.items())
    assert np.abs(rebuilt - pci["pci_weighted"]).max() < 1e-4
    panel = _plain(PANEL)
    panel = panel[panel["YEAR"] >= 2013]
    rebuilt = sum(10 * R.PCI_WEIGHTS[k] * panel[c] for c, k in R.PCI_COLUMNS_PANEL.items())
    assert np.abs(rebuilt - panel["PCI"]).max() < 1e-4


@needs_ref
def test_decomposition_of_nghe_an_pci_change_adds_up_to_the_published_change():
    pci = _plain(PCI)
    na = pci[pci["prov"] == "Nghe An"].set_index("year")
    cols = {f"pci_{k}": k for k in R.PCI_WEIGHTS}
    before = na.loc[2015, list(cols)].rename(cols)
    after = na.loc[2016, list(cols)].rename(cols)
    d = R.decompose_change(before, after, R.PCI_WEIGHTS, composite_before=na.loc[2015, "pci_weighted"],
                           composite_after=na.loc[2016, "pci_weighted"]).set_index("sub_index")
    assert abs(d.loc["residual", "contribution"]) < 1e-4
    assert d["contribution"].drop("residual").sum() == pytest.approx(59.445488 - 58.468277, abs=1e-4)


# --- UNDP PAPI 2011-2016 -------------------------------------------------------------------

@needs_ref
def test_papi_ranks_and_nghe_an_match_the_news():
    # 2014: Bac Giang and Dong Thap have no dimension scores; the file stores their total as 0.0
    t = R.load_ranking_table(PAPI, index="PAPI", year_column="year", unit_column="prov",
                             score_column="papi_unweighted", na_values=["0.0"])
    na = t[t["unit_code"] == "40"].set_index("year")["rank"]
    assert (na[2014], na[2015], na[2016]) == (27, 22, 36)       # baonghean.vn: 27/63, 22/63, 36/63
    assert t[t["year"] == 2014]["n_ranked"].iloc[0] == 61
    ref = _plain(PAPI)
    m = t.merge(ref, left_on=["year", "unit_name"], right_on=["year", "prov"])
    scored = m[m["score"].notna()]
    assert len(scored) == 376 and (scored["rank_computed"].astype(int) == scored["papi_rank_derived"]).all()


# --- MIC ICT / e-government index 2017: official ties ------------------------------------------

@needs_ref
def test_ict_index_official_ties_are_reproduced():
    t = R.load_ranking_table(ICT, index="ICT_EGOV_INDEX_MIC", year=2017, unit_column="province",
                             score_column="index", rank_column="rank", n_ranked=63)
    assert len(t) == 53 and (t["n_ranked"] == 63).all()
    counts = t["rank_computed"].value_counts()
    assert sorted(counts[counts > 1].index.tolist()) == [17, 32, 40]
    assert (t["rank_computed"] == t["rank_published"]).all()
    assert 18 not in set(t["rank"]) and 33 not in set(t["rank"]) and 41 not in set(t["rank"])
    na = t[t["unit_code"] == "40"].iloc[0]
    assert na["rank"] == 15 and na["score"] == 0.648
    assert R.rank_to_percentile(na["rank"], na["n_ranked"]) == pytest.approx(48 / 62)


@needs_ref
def test_ict_table_as_published_workbook_with_title_row_and_decimal_comma(tmp_path):
    ref = _plain(ICT)
    xlsx = tmp_path / "xep_hang_cntt_2017.xlsx"
    body = pd.DataFrame({"STT": ref["row_no"], "Tỉnh, thành phố": ref["province"],
                         "Chỉ số": ref["index"].map(lambda v: f"{v:.3f}".replace(".", ",")),
                         "Xếp hạng": ref["rank"]})
    with pd.ExcelWriter(xlsx) as xw:
        pd.DataFrame([["Kết quả xếp hạng mức độ ứng dụng CNTT năm 2017"], [""]]).to_excel(
            xw, sheet_name="Bang 1", header=False, index=False)
        body.to_excel(xw, sheet_name="Bang 1", startrow=3, index=False)
    t = R.load_ranking_table(xlsx, index="ICT_EGOV_INDEX_MIC", year=2017, unit_column="Tỉnh, thành phố",
                             score_column="Chỉ số", rank_column="Xếp hạng", decimal=",", n_ranked=63)
    assert (t["rank_computed"] == t["rank_published"]).all() and len(t) == 53
    assert t[t["unit_code"] == "40"]["score"].iloc[0] == 0.648
    with pytest.raises(DataError) as e:
        R.load_ranking_table(xlsx, index="X", year=2017, unit_column="Tỉnh, thành phố", score_column="Chỉ số")
    p = e.value.problems[0]
    assert p.sheet == "Bang 1" and p.row == 5 and p.column == "Chỉ số" and "decimal=','" in p.expected


# --- Decision 766 portal export 2025: provinces yes, communes no -----------------------------------

@needs_ref
def test_766_province_tables_match_and_commune_row_counter_is_reported():
    for table, rank in (("provinces_year_to_date_2025", 24), ("provinces_month_2025_10", 20)):
        t = R.load_ranking_table(S766, index="SERVICE_INDEX_766", year=2025, unit_column="TEN",
                                 score_column="TONG_SCORE", rank_column="ROW_STT", where={"table": table})
        assert len(t) == 34 and t[t["unit_code"] == "40"]["rank"].iloc[0] == rank   # = bundled history
    # the portal numbers communes 2, 3, 4, ... even where scores tie: not a competition ranking
    with pytest.raises(DataError) as e:
        R.load_ranking_table(S766, index="SERVICE_INDEX_766", year=2025, unit_column="TEN",
                             score_column="TONG_SCORE", rank_column="ROW_STT", where={"table": "an_giang_communes"})
    assert "competition ranking" in str(e.value) and "check_ranks=False" in str(e.value)
    t = R.load_ranking_table(S766, index="SERVICE_INDEX_766", year=2025, unit_column="TEN",
                             score_column="TONG_SCORE", rank_column="ROW_STT", where={"table": "an_giang_communes"},
                             check_ranks=False)
    assert len(t) == 102 and (t["rank_published"] != t["rank_computed"]).any()


# --- error messages (no reference data needed) ---------------------------------------------------

def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_comment_header_lines_are_skipped_and_line_numbers_count_them(tmp_path):
    p = _write(tmp_path, "# source: somewhere\n# second note, with a # inside\nprov,score,rank\nA,3.5,1\nB,x,2\n")
    with pytest.raises(DataError) as e:
        R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score", rank_column="rank")
    prob = e.value.problems[0]
    assert prob.row == 5 and prob.column == "score" and prob.value == "x"


@pytest.mark.parametrize("comment", ["", "# nguồn: báo cáo\n"])
def test_a_table_saved_in_another_encoding_is_a_data_error_naming_its_first_bad_line(tmp_path, comment):
    """Found 4 Dec 2026: a CSV saved in Windows-1252 (not UTF-8) crashed with a raw
    UnicodeDecodeError, because the comment header was read before the guarded read."""
    p = tmp_path / "xep_hang.csv"
    p.write_bytes((comment + "prov,score\nA,3.5\n").encode("utf-8") + "Bình,4.1\n".encode("cp1252") + b"C,2.0\n")
    with pytest.raises(DataError) as e:
        R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score")
    (prob,) = e.value.problems
    assert prob.file == str(p) and prob.row == 3 + bool(comment) and prob.value == b"B\xecnh,4.1\n"
    assert "UTF-8" in str(prob.expected)


def test_missing_columns_are_listed_with_the_columns_found(tmp_path):
    p = _write(tmp_path, "Tinh,Diem\nA,1\n")
    with pytest.raises(DataError) as e:
        R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score")
    assert [q.column for q in e.value.problems] == ["prov", "score"]
    assert "columns found: Tinh, Diem" in e.value.problems[0].expected


def test_published_rank_that_differs_from_scores_is_reported(tmp_path):
    p = _write(tmp_path, "prov,score,rank\nA,90,1\nB,85,2\nC,85,3\nD,80,4\n")
    with pytest.raises(DataError) as e:
        R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score", rank_column="rank")
    assert len(e.value.problems) == 1
    q = e.value.problems[0]
    assert q.row == 4 and q.value == 3 and "rank 2" in q.expected
    t = R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score", rank_column="rank",
                             check_ranks=False)
    assert t["rank"].tolist() == [1, 2, 3, 4] and t["rank_computed"].tolist() == [1, 2, 2, 4]


def test_other_input_errors(tmp_path):
    p = _write(tmp_path, "prov,score\nA,1\nA,2\n")
    with pytest.raises(DataError, match="duplicate"):
        R.load_ranking_table(p, index="X", year=2020, unit_column="prov", score_column="score")
    with pytest.raises(DataError, match="year="):
        R.load_ranking_table(p, index="X", unit_column="prov", score_column="score")
    with pytest.raises(DataError, match="existing"):
        R.load_ranking_table(tmp_path / "none.csv", index="X", year=2020, unit_column="prov", score_column="score")
    q = _write(tmp_path, "x", name="t.json")
    with pytest.raises(DataError, match=r"\.csv or \.xlsx"):
        R.load_ranking_table(q, index="X", year=2020, unit_column="prov", score_column="score")
    r = _write(tmp_path, "prov,score,rank\nA,1,1.5\n", name="r.csv")
    with pytest.raises(DataError, match="whole number"):
        R.load_ranking_table(r, index="X", year=2020, unit_column="prov", score_column="score", rank_column="rank")


def test_lower_is_better_table_and_year_column(tmp_path):
    p = _write(tmp_path, "prov,year,days\nA,2020,3\nB,2020,5\nC,2020,5\nA,2021,9\nB,2021,2\n")
    t = R.load_ranking_table(p, index="X", year_column="year", unit_column="prov", score_column="days",
                             higher_is_better=False)
    got = {(int(r.year), r.unit_name): int(r.rank) for r in t.itertuples()}
    assert got == {(2020, "A"): 1, (2020, "B"): 2, (2020, "C"): 2, (2021, "B"): 1, (2021, "A"): 2}
    assert t[t["year"] == 2020]["n_ranked"].iloc[0] == 3 and t[t["year"] == 2021]["n_ranked"].iloc[0] == 2
    only = R.load_ranking_table(p, index="X", year=2021, year_column="year", unit_column="prov",
                                score_column="days", higher_is_better=False)
    assert len(only) == 2
