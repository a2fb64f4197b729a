"""The official report form reader: layout features, header variants through the mapping
file, and one test per error message (paranalysis.forms.E_*).

Expected numbers are derived independently: either from the rows written (round trip),
or, for the hand-built sheet, from the Nghi Thái figures of seed report 001 (2,880 records,
20 carried over, 1,198 online, 1,662 direct and postal, 2,877 resolved of which 2,682 early
and 70 on time, so 125 late and 3 still pending).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

import paranalysis
from paranalysis import DataError
from paranalysis import forms as of
from paranalysis.schemas import COUNT_COLUMNS

DISTRICTS = ["412", "414", "415", "417", "425", "426", "429"]


def make_rows(seed: int = 7, units=DISTRICTS, period="2024Q2") -> pd.DataFrame:
    """Processing rows with seeded random counts (magnitudes of a Nghe An quarter)."""
    rng = np.random.default_rng(seed)
    n = len(units)
    new = rng.integers(800, 40000, n)
    online = (new * rng.uniform(0.1, 0.7, n)).astype(int)
    postal = (new * rng.uniform(0.0, 0.05, n)).astype(int)
    direct = new - online - postal
    carried = rng.integers(0, 2000, n)
    handled = new + carried
    resolved = (handled * rng.uniform(0.85, 0.97, n)).astype(int)
    late = (resolved * rng.uniform(0.0, 0.03, n)).astype(int)
    early = (resolved * rng.uniform(0.4, 0.8, n)).astype(int)
    pending = handled - resolved
    overdue = (pending * rng.uniform(0, 0.3, n)).astype(int)
    df = pd.DataFrame({
        "unit_code": pd.Series(units, dtype="str"),
        "period": pd.PeriodIndex([period] * n, freq="Q-DEC"),
        "carried_over": carried, "received_online": online, "received_direct": direct,
        "received_postal": postal, "resolved_early": early, "resolved_on_time": resolved - early - late,
        "resolved_late": late, "pending_not_due": pending - overdue, "pending_overdue": overdue,
    })
    for c in COUNT_COLUMNS:
        df[c] = df[c].astype("Int64")
    return df


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        return of.read_official_form(path, **kw)


def errors_of(path, **kw) -> DataError:
    with pytest.raises(DataError) as ei:
        read(path, **kw)
    return ei.value


def find(ws, text: str, *, exact=True) -> tuple[int, int]:
    """(row, column) of the first cell whose text is ``text``."""
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and ((c.value == text) if exact else (text in c.value)):
                return c.row, c.column
    raise LookupError(text)


def leaf_col(ws, leaf: str, parent: str) -> int:
    """Column of a header leaf under a parent group (e.g. 'Quá hạn' under 'đang giải quyết')."""
    pr, pc = find(ws, parent)
    rng = next((r for r in ws.merged_cells.ranges if r.min_row == pr and r.min_col == pc), None)
    lo, hi = (rng.min_col, rng.max_col) if rng else (pc, pc)
    for row in ws.iter_rows(min_row=pr, max_row=pr + 3):
        for c in row:
            if c.value == leaf and lo <= c.column <= hi:
                return c.column
    raise LookupError(leaf)


@pytest.fixture
def form(tmp_path) -> Path:
    p = tmp_path / "bao_cao_quy_II_2024.xlsx"
    of.write_official_form(make_rows(), p, period="2024Q2")
    return p


def edit(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb.active)
    wb.save(path)
    return path


def only(err: DataError, expected_start: str):
    found = [p for p in err.problems if p.expected.startswith(expected_start)]
    assert found, f"no problem starting {expected_start!r} in:\n{err}"
    return found


def template(msg: str) -> str:
    """The fixed start of a message template (up to its first placeholder)."""
    return msg.split("{", 1)[0]


# ----------------------------------------------------------------------------- reading
@pytest.mark.parametrize("variant", ["standard", "alt_wording"])
@pytest.mark.parametrize("text_numbers", [False, True])
def test_round_trip_gives_exact_counts(tmp_path, variant, text_numbers):
    rows = make_rows(seed=11)
    rows["returned_withdrawn"] = pd.array([3, 0, 12, 5, 40, 7, 1], dtype="Int64")
    p = of.write_official_form(rows, tmp_path / "f.xlsx", period="2024Q2", variant=variant,
                               text_numbers=text_numbers)
    out = read(p)
    assert list(out["unit_code"]) == DISTRICTS
    cols = COUNT_COLUMNS + ["returned_withdrawn"]
    pd.testing.assert_frame_equal(out[cols].reset_index(drop=True), rows[cols].reset_index(drop=True))
    assert (out["period"].astype(str) == "2024Q2").all()
    assert not out["synthetic"].any()
    assert out["source"].iloc[0] == "f.xlsx#Quy 2-2024"


def test_load_processing_dispatches_xlsx(form):
    with pytest.warns(of.FormWarning):
        out = paranalysis.load_processing(form)
    assert len(out) == len(DISTRICTS)


def test_text_numbers_use_dot_thousands_and_are_never_decimals(tmp_path):
    rows = make_rows(units=["412"])
    rows.loc[0, ["carried_over", "received_online", "received_direct", "received_postal"]] = [610, 15610, 1000, 0]
    p = of.write_official_form(rows, tmp_path / "f.xlsx", period="2024Q2", text_numbers=True)
    ws = openpyxl.load_workbook(p).active
    r, _ = find(ws, "TP Vinh")
    assert "15.610" in [c.value for c in ws[r]]
    assert re.fullmatch(r"\d{1,3},\d{2}%", [c.value for c in ws[r]][-1])
    out = read(p)
    assert out.loc[0, "received_online"] == 15610
    assert out.loc[0, "carried_over"] == 610


def test_warning_counts_dropped_rows(form):
    with pytest.warns(of.FormWarning) as rec:
        of.read_official_form(form)
    msg = str(rec[0].message)
    # the writer puts one total row, 3 blank rows and 4 signature text rows below the table
    assert "1 total row(s)" in msg and "3 blank row(s)" in msg and "4 text row(s)" in msg


def test_period_from_title_and_given_period_agree(form):
    assert str(read(form)["period"].iloc[0]) == "2024Q2"
    assert str(read(form, period="Q2/2024")["period"].iloc[0]) == "2024Q2"


def test_calendar_quarter_dates_in_title_are_accepted(form):
    edit(form, lambda ws: ws.cell(5, 1, "Quý II năm 2024 (Từ ngày 01/04/2024 đến ngày 30/6/2024)"))
    assert str(read(form)["period"].iloc[0]) == "2024Q2"


def test_period_from_dates_alone(form):
    # Q1 runs from 15 December of the year before
    edit(form, lambda ws: ws.cell(5, 1, "(Từ ngày 15/12/2023 đến ngày 14/3/2024)"))
    assert str(read(form)["period"].iloc[0]) == "2024Q1"


def test_period_argument_used_when_title_has_none(form):
    edit(form, lambda ws: put(ws, 5, 1, None))
    assert str(read(form, period="2024Q2")["period"].iloc[0]) == "2024Q2"


def test_merged_headers_map_through_full_header_path(form):
    wb = openpyxl.load_workbook(form)
    ws = wb.active
    # the group label is written once, in a merged cell spanning its children
    r, c = find(ws, "Số hồ sơ đã giải quyết")
    assert any(m.min_row == r and m.min_col == c and m.max_col > c for m in ws.merged_cells.ranges)
    mp = of.load_mapping()
    assert mp.match(mp.path(["Số hồ sơ đã giải quyết", "Trước hạn", "Trước hạn"])) == [("count", "resolved_early")]
    assert mp.match(mp.path(["Số hồ sơ đang giải quyết", "Quá hạn"])) == [("count", "pending_overdue")]
    assert mp.match(mp.path(["Kết quả giải quyết", "Đã giải quyết", "Trả  quá\nhạn"])) == [("count", "resolved_late")]


def test_new_header_variant_needs_only_a_mapping_entry(tmp_path, form):
    edit(form, lambda ws: ws.cell(*find(ws, "Trước hạn"), "Giải quyết sớm hạn"))
    p = only(errors_of(form), template(of.E_UNKNOWN_HEADER))[0]
    # the message names the mapping used and gives a ready-to-paste entry, guessing the field
    assert "paranalysis/resources/form_header_mapping.yaml" in p.expected
    entry = yaml.safe_load(p.expected.split("(check the field):\n", 1)[1])
    (field, pats), = entry["counts"].items()
    assert field in of.reader.COUNT_COLUMNS and pats == ["Số hồ sơ đã giải quyết > Giải quyết sớm hạn"]
    entry = yaml.safe_dump({"counts": {"resolved_early": pats}}, allow_unicode=True)  # the analyst checks the field
    # a file with only that entry, merged over the package's mapping, teaches the reader
    custom = tmp_path / "mapping.yaml"
    custom.write_text(entry, encoding="utf-8")
    out = read(form, mapping=custom)
    assert out["resolved_early"].tolist() == make_rows()["resolved_early"].tolist()
    # so does the same file in the data folder, without any argument
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / of.DATA_MAPPING_NAME).write_text(entry, encoding="utf-8")
    out = read(form, data_dir=data_dir)
    assert out["resolved_early"].tolist() == make_rows()["resolved_early"].tolist()


def test_hand_built_commune_form_with_seed_figures(tmp_path):
    """A form laid out by hand (two header rows, 'Số TT', '[S2]'-style wording, counts as
    text, a received-total column, 'Cộng' total row on top, no column-number row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bieu 01"
    ws["A1"] = "UBND HUYỆN NGHI LỘC"
    ws["A3"] = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC CẤP XÃ"
    ws["A4"] = "Quý IV năm 2023 (Từ ngày 15/9/2023 đến ngày 14/12/2023)"
    ws["H5"] = "Đơn vị tính: Số hồ sơ TTHC"
    header1 = ["Số TT", "Đơn vị", "Tổng số hồ sơ nhận giải quyết", "Số kỳ trước chuyển qua",
               "Mới tiếp nhận", None, None, None, "Đã giải quyết", None, None, None,
               "Đang giải quyết", None, None, "Tỷ lệ hài lòng"]
    header2 = [None, None, None, None, "Tổng số", "Trực tuyến", "Trực tiếp", "Qua BCCI",
               "Tổng", "Trả trước hạn", "Trả đúng thời hạn", "Trả quá hạn", "Tổng", "Chưa đến hạn",
               "Quá hạn", None]
    for c, (a, b) in enumerate(zip(header1, header2), start=1):
        ws.cell(6, c, a)
        ws.cell(7, c, b)
    for rng in ("A6:A7", "B6:B7", "C6:C7", "D6:D7", "E6:H6", "I6:L6", "M6:O6", "P6:P7"):
        ws.merge_cells(rng)
    nghi_thai = ["2.880", "20", "2.860", "1.198", "1.662", "0", "2.877", "2.682", "70", "125", "3", "3", "0", "97,5%"]
    ws.append(["", "Cộng", *nghi_thai])
    ws.append([1, "Xã Nghi Thái", *nghi_thai])
    ws.append([])
    ws.append([None, "Người lập biểu", None, None, None, None, None, None, None, "CHỦ TỊCH"])
    p = tmp_path / "nghi_loc_xa_q4_2023.xlsx"
    wb.save(p)
    out = read(p)
    assert len(out) == 1
    r = out.iloc[0]
    assert r["unit_code"] == "17926" and str(r["period"]) == "2023Q4"
    assert (r["carried_over"], r["received_online"], r["received_direct"], r["received_postal"]) == (20, 1198, 1662, 0)
    assert r["resolved_early"] + r["resolved_on_time"] + r["resolved_late"] == 2877
    assert (r["resolved_early"], r["resolved_on_time"], r["resolved_late"]) == (2682, 70, 125)
    assert r["pending_not_due"] + r["pending_overdue"] == 2880 - 2877
    # the received-total column is checked: 2,860 must equal online + direct + postal
    edit(p, lambda ws: ws.cell(9, 5, "2.861"))
    err = errors_of(p)
    probs = only(err, "Mới tiếp nhận > Tổng số = ")
    assert probs[0].row == 9 and probs[0].column.startswith("E (") and probs[0].value == 2861
    assert "= 2860" in probs[0].expected


def test_other_province_with_units_table(tmp_path):
    units = pd.DataFrame({
        "unit_code": ["GL-PK", "GL-AK", "GL-CP"],
        "name_vi": ["Thành phố Pleiku", "Thị xã An Khê", "Huyện Chư Păh"],
        "short_name_vi": ["Pleiku", "An Khê", "Chư Păh"],
        "unit_type": ["city", "town", "district"],
    })
    rows = make_rows(units=list(units["unit_code"]))
    p = of.write_official_form(rows, tmp_path / "gl.xlsx", period="2024Q2", units=units,
                               province_title="UBND TỈNH GIA LAI", variant="alt_wording")
    out = read(p, units=units)
    assert out["unit_code"].tolist() == ["GL-PK", "GL-AK", "GL-CP"]
    assert out["resolved_late"].tolist() == rows["resolved_late"].tolist()
    # without the units table, these names are unknown to the package (Nghe An) list
    only(errors_of(p), template(of.E_UNKNOWN_UNIT))


def test_unit_aliases_hoa_tone_marks_and_prefixes(form):
    def rename(ws):
        ws.cell(find(ws, "TX. Thái Hòa")[0], 2, "Thị xã Thái Hoà")
        ws.cell(find(ws, "H. Quế Phong")[0], 2, "UBND huyện Quế Phong")
        ws.cell(find(ws, "TP Vinh")[0], 2, "Thành phố  Vinh")
    edit(form, rename)
    assert read(form)["unit_code"].tolist() == DISTRICTS


def test_all_problems_reported_together_with_locations(form):
    wb = openpyxl.load_workbook(form)
    ws = wb.active
    r_qp, _ = find(ws, "H. Quế Phong")
    r_ks, _ = find(ws, "H. Kỳ Sơn")
    c_early = leaf_col(ws, "Trước hạn", "Số hồ sơ đã giải quyết")
    ws.cell(r_qp, c_early, "abc")
    ws.cell(r_ks, 2, "H. Kỳ Sơnn")
    wb.save(form)
    err = errors_of(form)
    text = str(err)
    assert text.startswith(f"{len(err.problems)} problems found in '{form}'")
    p = only(err, of.E_NOT_A_NUMBER)[0]
    assert (p.file, p.sheet, p.row, p.value) == (form.name, "Quy 2-2024", r_qp, "abc")
    assert p.column == f"{openpyxl.utils.get_column_letter(c_early)} (Số hồ sơ đã giải quyết > Trước hạn)"
    assert f"row {r_qp}" in text and "column 'I (Số hồ sơ đã giải quyết > Trước hạn)'" in text
    u = only(err, template(of.E_UNKNOWN_UNIT))[0]
    assert u.row == r_ks and u.value == "H. Kỳ Sơnn" and "Kỳ Sơn (417)" in u.expected


def test_broken_form_example_reports_each_planted_fault(tmp_path):
    """The planted-fault form of notebook 01 gives one problem per planted fault (plus the
    identity the altered total-row cell breaks), and the clean copy reads exactly."""
    from paranalysis import overview

    rows = make_rows()
    good, broken, faults = overview.broken_form_example(rows, tmp_path, period="2024Q2")
    assert read(good)[COUNT_COLUMNS].equals(rows[COUNT_COLUMNS])
    err = errors_of(broken)
    where = {(p.row, (p.column or "")[:1]) for p in err.problems}
    planted = {(int(re.match(r"[A-Z](\d+)", f).group(1)), f[0]) for f in faults}
    planted = {(r, "t" if r == 5 else c) for r, c in planted}  # the title fault is reported on column 'title'
    assert planted <= where and len(faults) == 5
    kinds = {p.expected.split(" (")[0].split(";")[0] for p in err.problems}
    assert len(err.problems) == 6, kinds


# ----------------------------------------------------------------------------- one test per message
def test_error_missing_file(tmp_path):
    err = errors_of(tmp_path / "nope.xlsx")
    only(err, "an existing file")


def test_error_unreadable_workbook(tmp_path):
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not really a workbook")
    only(errors_of(p), of.E_UNREADABLE)


def test_error_no_form_in_any_sheet(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Danh sách cán bộ"
    p = tmp_path / "x.xlsx"
    wb.save(p)
    only(errors_of(p), template(of.E_NO_FORM))


def test_error_unknown_header_and_missing_column(form):
    edit(form, lambda ws: ws.cell(*find(ws, "Đúng hạn"), "Đúng hẹn"))
    err = errors_of(form)
    p = only(err, template(of.E_UNKNOWN_HEADER))[0]
    assert p.value == "Số hồ sơ đã giải quyết > Đúng hẹn" and "da giai quyet > dung hen" in p.expected
    assert only(err, template(of.E_MISSING_COLUMN).replace("a column for ", "a column for resolved_on_time"))


def test_error_missing_column(form):
    # a count column relabelled as an ignored one ("Ghi chú") leaves the count missing
    edit(form, lambda ws: ws.cell(*find(ws, "Dịch vụ bưu chính"), "Ghi chú"))
    err = errors_of(form)
    p = only(err, "a column for received_postal")[0]
    assert p.expected == of.E_MISSING_COLUMN.format(field="received_postal",
                                                    example=of.load_mapping().example("received_postal"))
    assert p.row == 8  # the first header row


def test_error_ambiguous_header(tmp_path, form):
    custom = tmp_path / "m.yaml"  # merged over the package's mapping: a second meaning
    custom.write_text(yaml.safe_dump({"counts": {"pending_overdue": ["Đã giải quyết > Quá hạn"]}},
                                     allow_unicode=True), encoding="utf-8")
    p = only(errors_of(form, mapping=custom), template(of.E_AMBIGUOUS_HEADER))[0]
    assert "resolved_late" in p.expected and "pending_overdue" in p.expected


def test_error_duplicate_column(form):
    edit(form, lambda ws: ws.cell(*find(ws, "Đúng hạn"), "Trước hạn"))
    p = only(errors_of(form), "one column for resolved_early")[0]
    assert p.expected == of.E_DUPLICATE_COLUMN.format(field="resolved_early",
                                                      other="I (Số hồ sơ đã giải quyết > Trước hạn)")


def test_error_values_without_header(form):
    def f(ws):
        ws.cell(find(ws, "H. Kỳ Sơn")[0], ws.max_column + 1, 17)
    edit(form, f)
    only(errors_of(form), of.E_VALUES_WITHOUT_HEADER)


def put(ws, row, col, value):
    """Set a cell (also to None: ``ws.cell(r, c, None)`` would leave it unchanged)."""
    ws.cell(row, col).value = value


def _set_count(form, unit, leaf, parent, value):
    def f(ws):
        put(ws, find(ws, unit)[0], leaf_col(ws, leaf, parent), value)
    edit(form, f)


def test_error_blank_count(form):
    _set_count(form, "H. Diễn Châu", "Trong hạn", "Số hồ sơ đang giải quyết", None)
    p = only(errors_of(form), of.E_BLANK)[0]
    assert p.value is None


@pytest.mark.parametrize("value", [15.61, 2.5])
def test_error_decimal_count(form, value):
    _set_count(form, "TP Vinh", "Trực tiếp", "Trong kỳ", value)
    assert only(errors_of(form), of.E_DECIMAL)[0].value == value


@pytest.mark.parametrize("value", [-5, "-5", "−1.200"])
def test_error_negative_count(form, value):
    _set_count(form, "TP Vinh", "Trực tiếp", "Trong kỳ", value)
    only(errors_of(form), of.E_NEGATIVE)


@pytest.mark.parametrize("value", ["abc", "15,610", "15.61", "12 hồ sơ", True])
def test_error_not_a_number(form, value):
    _set_count(form, "TP Vinh", "Trực tiếp", "Trong kỳ", value)
    only(errors_of(form), of.E_NOT_A_NUMBER)


def test_error_date_in_count_cell(form):
    _set_count(form, "TP Vinh", "Trực tiếp", "Trong kỳ", dt.datetime(2024, 5, 1))
    only(errors_of(form), of.E_DATE)


@pytest.mark.parametrize("value", ["abc%", 130.0, "120,5%"])
def test_error_bad_percentage(form, value):
    def f(ws):
        ws.cell(find(ws, "TP Vinh")[0], find(ws, "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")[1], value)
    edit(form, f)
    only(errors_of(form), of.E_PERCENT)


def test_error_rate_disagrees_with_counts(tmp_path):
    p = of.write_official_form(make_rows(), tmp_path / "f.xlsx", period="2024Q2", text_numbers=True)

    def f(ws):
        ws.cell(find(ws, "TP Vinh")[0], find(ws, "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")[1], "50,00%")
    edit(p, f)
    rows = make_rows()
    r = rows.iloc[0]
    computed = 100 * (r.resolved_early + r.resolved_on_time) / (r.resolved_early + r.resolved_on_time + r.resolved_late)
    e = only(errors_of(p), "on_time_rate = ")[0]
    assert e.value == 50.0 and f"{computed:.4f}%" in e.expected
    assert e.expected == of.E_RATE.format(
        rate="on_time_rate", computed=computed, decimals=2,
        formula="(resolved_early + resolved_on_time) / (resolved_early + resolved_on_time + resolved_late)")


@pytest.mark.parametrize("parent,first_part", [
    ("Số hồ sơ nhận giải quyết", "Số hồ sơ nhận giải quyết > Từ kỳ trước"),
    ("Số hồ sơ đã giải quyết", "Số hồ sơ đã giải quyết > Trước hạn"),
    ("Số hồ sơ đang giải quyết", "Số hồ sơ đang giải quyết > Trong hạn"),
])
def test_error_identity_with_printed_total(form, parent, first_part):
    rows = make_rows()
    parts = {"Số hồ sơ nhận giải quyết": ["carried_over", "received_online", "received_direct", "received_postal"],
             "Số hồ sơ đã giải quyết": ["resolved_early", "resolved_on_time", "resolved_late"],
             "Số hồ sơ đang giải quyết": ["pending_not_due", "pending_overdue"]}[parent]
    expected = int(rows.loc[rows.unit_code == "425", parts].sum(axis=1).iloc[0])
    _set_count(form, "H. Diễn Châu", "Tổng số", parent, expected + 1)
    err = errors_of(form)
    p = [x for x in err.problems if x.expected.startswith(f"{parent} > Tổng số = ")]
    assert len(p) == 1 and p[0].value == expected + 1
    formula = p[0].expected.split(" = ")[1]
    assert formula.startswith(first_part + " + ") and formula.count(" + ") == len(parts) - 1
    assert p[0].expected == of.E_IDENTITY.format(total=f"{parent} > Tổng số", formula=formula, expected=expected)
    # the total row no longer equals the sum of the units either
    assert only(err, template(of.E_TOTAL_ROW))


def test_error_total_row_differs_from_sum(form):
    rows = make_rows()
    s = int(rows["resolved_late"].sum())

    def f(ws):
        r = find(ws, "Tổng cộng")[0]
        c_late = leaf_col(ws, "Quá hạn", "Số hồ sơ đã giải quyết")
        c_early = leaf_col(ws, "Trước hạn", "Số hồ sơ đã giải quyết")
        ws.cell(r, c_late, s + 2)  # keep the row's own identity: early - 2
        ws.cell(r, c_early, ws.cell(r, c_early).value - 2)
    edit(form, f)
    err = errors_of(form)
    probs = only(err, template(of.E_TOTAL_ROW))
    assert {p.expected for p in probs} == {f"the sum of the unit rows ({s})",
                                           f"the sum of the unit rows ({int(rows['resolved_early'].sum())})"}
    assert not [p for p in err.problems if " = " in p.expected]  # identities still hold


def test_error_unknown_unit_with_suggestion(form):
    edit(form, lambda ws: ws.cell(find(ws, "H. Quế Phong")[0], 2, "H. Quế Phonng"))
    err = errors_of(form)
    p = only(err, template(of.E_UNKNOWN_UNIT))[0]
    assert p.value == "H. Quế Phonng" and "did you mean Huyện Quế Phong (415)" in p.expected
    # the row still counts towards the table's sum: no cascade of total-row problems
    assert len(err.problems) == 1


def test_error_ambiguous_unit(tmp_path):
    units = pd.DataFrame({"unit_code": ["A1", "A2", "B"], "name_vi": ["Huyện An Phú", "Thị xã An Phú", "Huyện Bình"],
                          "short_name_vi": ["An Phú", "An Phú", "Bình"], "unit_type": ["district", "town", "district"]})
    rows = make_rows(units=["A1", "B"])
    p = of.write_official_form(rows, tmp_path / "f.xlsx", period="2024Q2", units=units)
    e = only(errors_of(p, units=units), template(of.E_AMBIGUOUS_UNIT))[0]
    assert "A1, A2" in e.expected


def test_error_missing_unit_name(form):
    edit(form, lambda ws: put(ws, find(ws, "H. Kỳ Sơn")[0], 2, None))
    only(errors_of(form), of.E_MISSING_NAME)


def test_error_duplicate_unit_in_sheet(form):
    edit(form, lambda ws: ws.cell(find(ws, "H. Kỳ Sơn")[0], 2, "TX. Thái Hoà"))
    err = errors_of(form)
    p = only(err, "one row per unit and quarter (unit 414")[0]
    assert p.value == "TX. Thái Hoà"


def test_error_duplicate_unit_across_sheets(form):
    wb = openpyxl.load_workbook(form)
    wb.copy_worksheet(wb.active)
    wb.save(form)
    probs = only(errors_of(form), template(of.E_DUPLICATE_UNIT))
    assert len(probs) == len(DISTRICTS)


def test_error_no_period(form):
    edit(form, lambda ws: ws.cell(5, 1, "Kỳ báo cáo: (chưa ghi)"))
    only(errors_of(form), template(of.E_NO_PERIOD))


def test_error_period_contradicts_title(form):
    p = only(errors_of(form, period="2024Q3"), template(of.E_PERIOD_CONFLICT))[0]
    assert "(2024Q2)" in p.expected and "'2024Q3'" in p.expected and p.row == 5


def test_error_dates_not_the_quarter(form):
    edit(form, lambda ws: ws.cell(5, 1, "Quý II năm 2024 (Từ ngày 15/06/2024 đến ngày 14/9/2024)"))
    p = only(errors_of(form), template(of.E_WINDOW))[0]
    assert "15/03/2024 to 14/06/2024" in p.expected and "01/04/2024 to 30/06/2024" in p.expected


def test_error_not_a_quarterly_report(form):
    edit(form, lambda ws: ws.cell(5, 1, "Báo cáo tháng 5 năm 2024"))
    p = only(errors_of(form), template(of.E_NOT_QUARTERLY))[0]
    assert "the month 5/2024" in p.expected


@pytest.mark.parametrize("title, what, label", [
    ("Báo cáo 6 tháng đầu năm 2024", "the first half of 2024", "2024H1"),
    ("BÁO CÁO SÁU THÁNG CUỐI NĂM 2024", "the second half of 2024", "2024H2"),
    ("Kết quả 9 tháng năm 2024", "the first nine months of 2024", "2024M9"),
    ("Báo cáo năm 2024", "the year 2024", "2024"),
])
def test_error_half_year_nine_month_annual_never_a_quarter(form, title, what, label):
    edit(form, lambda ws: ws.cell(5, 1, title))
    p = only(errors_of(form), template(of.E_OTHER_PERIOD))[0]
    assert what in p.expected and f"period='{label}'" in p.expected and p.row == 5
    # a quarter given for it contradicts the title
    only(errors_of(form, period="2024Q2"), template(of.E_PERIOD_CONFLICT))


def test_error_invalid_date_in_title(form):
    edit(form, lambda ws: ws.cell(5, 1, "Quý I năm 2024 (Từ ngày 15/12/2023 đến ngày 31/02/2024)"))
    only(errors_of(form), of.E_BAD_DATE)


def test_error_bad_period_argument(form):
    p = only(errors_of(form, period="second quarter"), of.E_BAD_PERIOD_ARG)[0]
    assert p.value == "second quarter"


def test_error_no_unit_rows(tmp_path):
    p = of.write_official_form(make_rows().iloc[:0], tmp_path / "empty.xlsx", period="2024Q2")
    only(errors_of(p), of.E_NO_ROWS)


def test_every_message_has_a_test():
    """Each E_* message constant of paranalysis.forms is exercised by a test in this file."""
    here = Path(__file__).parent
    source = "".join(f.read_text(encoding="utf-8") for f in [Path(__file__), *here.glob("test_forms_*.py")])
    names = [n for n in dir(of) if n.startswith("E_")]
    assert len(names) >= 25
    missing = [n for n in names if f"of.{n}" not in source]
    assert missing == []
