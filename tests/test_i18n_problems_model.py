"""The problems of the models, rankings, treatment and harmonize (catalogue keys
``problem.model.*``): each one a real input triggers prints the English it printed before
(what the command line and the other tests read) and is shown in Vietnamese on a page."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from paranalysis import harmonize
from paranalysis import rankings as R
from paranalysis.errors import DataError
from paranalysis.i18n import Message, shown
from paranalysis.models.did import staggered_did
from paranalysis.schemas import COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS, PROCESSING_COLUMNS
from paranalysis.treatment import quarter_of_date


def _problems(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as e:
            fn(*args, **kwargs)
    return e.value.problems


def _both(expected, en: str, vi: str) -> None:
    assert isinstance(expected, Message) and expected.key.startswith("problem.model.")
    assert str(expected) == en
    assert shown(expected, "vi") == vi


# --- models ------------------------------------------------------------------------------

def _panel():
    rng = np.random.default_rng(0)
    return pd.DataFrame([dict(u=i, t=t, g=(2 if i < 5 else 0), y=rng.normal()) for i in range(14) for t in (1, 2)])


DID = dict(outcome="y", unit="u", time="t", first_treated="g")


def test_did_problems_in_both_languages():
    bad = _panel()
    bad.loc[0, "g"] = 1.0  # unit 0: first treated in period 1 on one row, 2 on the other
    (p,) = _problems(staggered_did, bad, **DID)
    _both(p.expected, "one first-treated period per unit (treatment is irreversible)",
          "mỗi đơn vị chỉ một kỳ bắt đầu được đầu tư (đơn vị đã được đầu tư thì không trở lại trạng thái chưa đầu tư)")
    (p,) = _problems(staggered_did, _panel().query("g > 0"), **DID)
    _both(p.expected, "no never-treated units: use control_group='not_yet_treated'",
          "không có đơn vị nào chưa từng được đầu tư: hãy dùng control_group='not_yet_treated'")
    small = pd.DataFrame([dict(u=i, t=t, g=(2 if i == 0 else 0), y=float(i + t)) for i in range(2) for t in (1, 2)])
    (p,) = _problems(staggered_did, small, inference="pooled_t", **DID)
    _both(p.expected, "2 units in 2 cohorts leave no degrees of freedom for the pooled covariance; group adoption "
          "dates more coarsely (e.g. by half-year) or use inference='analytic'",
          "2 đơn vị trong 2 nhóm không còn bậc tự do để ước lượng hiệp phương sai gộp; hãy gộp các ngày bắt đầu "
          "đầu tư thành những khoảng dài hơn (ví dụ theo 6 tháng) hoặc dùng inference='analytic'")


# --- rankings ----------------------------------------------------------------------------

def test_ranks_and_the_province_timeline_in_both_languages():
    table = pd.DataFrame({"unit_name": list("ABCDE"), "score": [90.0, 85.0, 85.0, 80.0, 70.0]})
    (p,) = _problems(R.points_to_gain, table, "Z")
    _both(p.expected, "a unit present in the table", "một đơn vị có trong bảng")
    ranks = pd.DataFrame({"index": ["DDCI"], "year": [2020], "unit_code": ["412"], "score": [1.0], "rank": [1]})
    (p,) = _problems(R.plot_province_timeline, ranks, None, pd.DataFrame(), unit_code="40")
    _both(p.expected, "at least one rank of unit 40 from 2016 (rankings*.csv; see "
          "paranalysis.availability.require(ds, 'rankings'))",
          "ít nhất một thứ hạng của đơn vị 40 từ năm 2016 (tệp rankings*.csv; xem "
          "paranalysis.availability.require(ds, 'rankings'))")


def _csv(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


TABLE = dict(index="X", year=2020, unit_column="prov", score_column="score")


def test_ranking_table_problems_in_both_languages(tmp_path):
    (p, q) = _problems(R.load_ranking_table, _csv(tmp_path, "Tinh,Diem\nA,1\n"), **TABLE)
    _both(p.expected, "this column in the table (columns found: Tinh, Diem)",
          "cột này trong bảng (các cột tìm thấy: Tinh, Diem)")
    problems = _problems(R.load_ranking_table, _csv(tmp_path, 'prov,score,rank\nA,1;5,1.5\nB,"2,5",2\n,3,3\n'),
                         rank_column="rank", **TABLE)
    got = {(p.row, p.column): p.expected for p in problems}
    _both(got[2, "score"], "a number", "một số")
    _both(got[3, "score"], "a number (this looks like a decimal comma: pass decimal=',')",
          "một số (giá trị này có vẻ dùng dấu phẩy thập phân: hãy truyền decimal=',')")
    _both(got[2, "rank"], "a whole number", "một số nguyên")
    _both(got[4, "prov"], "a unit name", "tên đơn vị")
    (p,) = _problems(R.load_ranking_table, _csv(tmp_path, "prov,score\nA,1\nA,2\n"), **TABLE)
    _both(p.expected, "one row per unit and year (duplicate found)",
          "mỗi đơn vị chỉ một dòng cho mỗi năm (có dòng trùng lặp)")
    (p,) = _problems(R.load_ranking_table, _csv(tmp_path, "prov,score,rank\nA,90,1\nB,85,2\nC,85,3\nD,80,4\n"),
                     rank_column="rank", **TABLE)
    _both(p.expected, "rank 2 computed from 'score' (competition ranking: tied scores share the best rank); pass "
          "check_ranks=False to keep the published ranks",
          "thứ hạng 2 tính từ cột 'score' (cách xếp hạng có đồng hạng: các đơn vị bằng điểm cùng nhận thứ hạng cao "
          "nhất); hãy truyền check_ranks=False để giữ các thứ hạng đã công bố")
    (p,) = _problems(R.load_ranking_table, tmp_path / "none.csv", **TABLE)
    _both(p.expected, "an existing ranking table file", "một tệp bảng xếp hạng có tồn tại")
    (p,) = _problems(R.load_ranking_table, _csv(tmp_path, "x", name="t.json"), **TABLE)
    _both(p.expected, "a .csv or .xlsx ranking table", "một bảng xếp hạng dạng tệp .csv hoặc .xlsx")
    (p,) = _problems(R.load_ranking_table, _csv(tmp_path, "prov,score\nA,1\nB,1,2,3\n"), **TABLE)
    error = "Error tokenizing data. C error: Expected 2 fields in line 3, saw 4\n"  # pandas' own words, as found
    _both(p.expected, f"a UTF-8 CSV table ({error})", f"một bảng CSV mã UTF-8 ({error})")


# --- treatment ---------------------------------------------------------------------------

def test_an_investment_without_a_date_in_both_languages():
    (p,) = _problems(quarter_of_date, None)
    assert p.column == "date_in_operation"
    _both(p.expected, "the date the investment went into operation (it decides its quarter)",
          "ngày khoản đầu tư được đưa vào vận hành (ngày này quyết định khoản đầu tư thuộc quý nào)")


# --- harmonize ---------------------------------------------------------------------------

def _rows(codes, period: str, synthetic: bool = False) -> pd.DataFrame:
    df = pd.DataFrame({"unit_code": list(codes), "period": pd.PeriodIndex([period] * len(codes), freq="Q-DEC")})
    for c in COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS:
        df[c] = pd.array([1] * len(codes) if c in COUNT_COLUMNS else [None] * len(codes), dtype="Int64")
    df["synthetic"] = synthetic
    df["source"] = "test"
    return df[PROCESSING_COLUMNS]


def test_harmonize_problems_in_both_languages():
    (p,) = _problems(harmonize, _rows(["412"], "2024Q3"), level="district", on="2025-09-30")
    _both(p.expected, "a level with units valid on that day (no district unit existed then; the district tier ended "
          "on 2025-06-30)",
          "một cấp có đơn vị còn hiệu lực vào ngày đó (vào thời điểm đó không có đơn vị cấp huyện nào; cấp huyện chỉ "
          "tồn tại đến hết ngày 30/06/2025)")
    (p,) = _problems(harmonize, _rows(["412"], "2024Q3"), level="commune", on="2025-09-30")
    _both(p.expected, "Thành phố Vinh (412) is a district-level unit: its counts cannot be divided among communes; "
          "harmonize to level='district' or 'province', or keep only commune rows",
          "Thành phố Vinh (412) là đơn vị cấp huyện: số liệu của đơn vị này không thể phân bổ cho các xã, phường; "
          "hãy quy đổi về level='district' hoặc 'province', hoặc chỉ giữ các dòng của xã, phường")
    (p,) = _problems(harmonize, _rows(["40-STC-2025"], "2025Q3"), level="agency", on="2024-12-31")
    formers = "Sở Kế hoạch và Đầu tư (40-SKHDT), Sở Tài chính (40-STC)"
    _both(p.expected, f"the counts of Sở Tài chính (40-STC-2025) cannot be divided among its former agencies "
          f"({formers}); harmonize to a coarser level, or on a date when it existed",
          f"số liệu của Sở Tài chính (40-STC-2025) không thể phân bổ cho các sở, ngành tiền thân của đơn vị này "
          f"({formers}); hãy quy đổi về một cấp tổng hợp hơn, hoặc theo một ngày mà đơn vị này đã tồn tại")
    (p,) = _problems(harmonize, _rows(["40", "412"], "2024Q3"), level="province", on="2024-09-30")
    _both(p.expected, "rows of one level only: 40, 412 would be counted twice (a unit's own row and rows of its parts)",
          "chỉ các dòng của một cấp: 40, 412 sẽ bị tính hai lần (dòng của chính một đơn vị và các dòng của những đơn "
          "vị thuộc đơn vị đó)")
    mixed = pd.concat([_rows(["412"], "2024Q3"), _rows(["413"], "2024Q3", synthetic=True)], ignore_index=True)
    (p,) = _problems(harmonize, mixed, level="district", on="2025-06-30")
    _both(p.expected, "real and synthetic (demo) rows never mixed in one harmonized row",
          "dòng số liệu thật và dòng giả lập (minh họa) không bao giờ được gộp trong cùng một dòng đã quy đổi")


def test_a_day_in_a_harmonize_problem_is_written_as_each_language_writes_it():
    from paranalysis.units import package_crosswalk, package_units

    units = package_units()
    new = units[units["unit_code"] == "412"].assign(unit_code="X-2030", name_vi="Huyện Mới", parent_code=None,
                                                     valid_from=pd.Timestamp("2030-01-01"), valid_to=pd.NaT)
    (p,) = _problems(harmonize, _rows(["X-2030"], "2030Q1"), level="district", on="2024-09-30",
                     units=pd.concat([units, new], ignore_index=True), crosswalk=package_crosswalk())
    _both(p.expected, "Huyện Mới (X-2030) began on 2030-01-01 and the crosswalk gives no former unit valid on "
          "2024-09-30",
          "Huyện Mới (X-2030) chỉ có từ ngày 01/01/2030 và bảng chuyển đổi đơn vị (crosswalk) không cho đơn vị tiền "
          "thân nào còn hiệu lực vào ngày 30/09/2024")
