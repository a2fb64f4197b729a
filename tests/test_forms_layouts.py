"""The official form as provinces really export it (issue 11): wordings, layouts, files as
they are saved, periods, teaching the reader, and export-form.

Every expected count is independent of the reader: it is the seeded ``make_rows()`` table
(tests/test_officialform.py) that the workbook was built from, or a figure derived by hand
from it here (a sum of two columns, a printed rate)."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from openpyxl.utils import get_column_letter

import paranalysis
from paranalysis import DataError
from paranalysis import forms as of
from paranalysis.cli import main as cli
from paranalysis.forms.writer import _display_name
from paranalysis.schemas import COUNT_COLUMNS
from paranalysis.units import package_units
from test_officialform import make_rows

DATA = Path(__file__).parent / "data" / "forms"
ROWS = make_rows()
_UNITS = package_units().set_index("unit_code")
NAMES = {c: _display_name(_UNITS.loc[c], "standard") for c in ROWS["unit_code"]}


def F(k):
    return lambda r: int(r[k])


def S(*ks):
    return lambda r: int(sum(r[k] for k in ks))


def P(num, den, decimals=2, text=False):
    def f(r):
        v = round(100 * sum(r[k] for k in num) / sum(r[k] for k in den), decimals)
        return f"{v:.{decimals}f}%".replace(".", ",") if text else v
    return f


def build(path: Path, columns, rows=ROWS, *, title="Quý II năm 2024", names=NAMES, stt=True, sheet="Biểu 1",
          wb=None, before=None, codes=False, headings=None) -> Path:
    """A form: title rows, a merged header from each column's label path (a shorter path is
    merged down, equal neighbouring labels are merged across), one row per unit."""
    wb = wb or openpyxl.Workbook()
    ws = wb.active if wb.active.max_row == 1 and wb.active["A1"].value is None and before is None else wb.create_sheet(sheet)
    ws.title = sheet
    ws["A1"] = "UBND TỈNH NGHỆ AN"
    ws["A2"] = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    ws["A3"] = title
    h = 5
    depth = max(len(p) for p, _ in columns)
    lead = (["STT"] if stt else []) + (["Mã đơn vị"] if codes else []) + ["Tên đơn vị"]
    for i, lab in enumerate(lead, start=1):
        ws.cell(h, i, lab)
        ws.merge_cells(start_row=h, start_column=i, end_row=h + depth - 1, end_column=i)
    c0 = len(lead) + 1
    for j, (p, _) in enumerate(columns):
        c = c0 + j
        for d, lab in enumerate(p):
            ws.cell(h + d, c, lab)
        if len(p) < depth:
            ws.merge_cells(start_row=h + len(p) - 1, start_column=c, end_row=h + depth - 1, end_column=c)
    for d in range(depth):  # merge equal group labels across
        j = 0
        while j < len(columns):
            p = columns[j][0]
            k = j
            while (k + 1 < len(columns) and len(p) > d + 1 and len(columns[k + 1][0]) > d + 1
                   and columns[k + 1][0][: d + 1] == p[: d + 1]):
                k += 1
            if k > j:
                for jj in range(j + 1, k + 1):
                    ws.cell(h + d, c0 + jj).value = None
                ws.merge_cells(start_row=h + d, start_column=c0 + j, end_row=h + d, end_column=c0 + k)
            j = k + 1
    r = h + depth
    for i, rec in enumerate(rows.to_dict("records"), start=1):
        if headings and i in headings:  # a section heading before this unit: (STT, text)
            ws.cell(r, 1, headings[i][0])
            ws.cell(r, len(lead), headings[i][1])
            r += 1
        if stt:
            ws.cell(r, 1, i)
        if codes:
            ws.cell(r, 2, int(rec["unit_code"]) if rec["unit_code"].isdigit() else rec["unit_code"])
        ws.cell(r, len(lead), names[rec["unit_code"]])
        for j, (_, fn) in enumerate(columns):
            ws.cell(r, c0 + j, fn(rec))
        r += 1
    wb.save(path)
    return path


def read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        return paranalysis.load_processing(path, **kw)


def errors(path, **kw) -> DataError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        with pytest.raises(DataError) as ei:
            paranalysis.load_processing(path, **kw)
    return ei.value


def same_counts(df, rows=ROWS, cols=COUNT_COLUMNS):
    got = df.set_index("unit_code")[cols].sort_index()
    exp = rows.set_index("unit_code")[cols].sort_index()
    assert got.astype("int64").equals(exp.astype("int64"))


# ----------------------------------------------------------------------------- 1. wordings
GIA_LAI = [  # dashboard wording: "Tồn kỳ trước", "Tiếp nhận mới > Một cửa", "Đã xử lý > Sớm / Trễ hạn"
    (("Tồn kỳ trước",), F("carried_over")),
    (("Tiếp nhận mới", "Trực tuyến"), F("received_online")),
    (("Tiếp nhận mới", "Một cửa"), F("received_direct")),
    (("Tiếp nhận mới", "Tiếp nhận qua dịch vụ bưu chính công ích"), F("received_postal")),
    (("Cần xử lý",), S("carried_over", "received_online", "received_direct", "received_postal")),
    (("Đã xử lý", "Sớm"), F("resolved_early")),
    (("Đã xử lý", "Đúng hạn"), F("resolved_on_time")),
    (("Đã xử lý", "Trễ hạn"), F("resolved_late")),
    (("Đang xử lý", "Còn hạn"), F("pending_not_due")),
    (("Đang xử lý", "Đã quá hạn"), F("pending_overdue")),
    (("Tạm dừng, bổ sung",), lambda r: 3),
    (("Tỷ lệ trước và đúng hạn (%)",), P(("resolved_early", "resolved_on_time"),
                                         ("resolved_early", "resolved_on_time", "resolved_late"))),
]
HUE = [  # "Kỳ trước chuyển sang", "Đã tiếp nhận", "Hồ sơ đã có kết quả", "Trả trước và đúng hạn"
    (("Kỳ trước chuyển sang",), F("carried_over")),
    (("Đã tiếp nhận", "Trực tuyến"), F("received_online")),
    (("Đã tiếp nhận", "Trực tiếp"), F("received_direct")),
    (("Đã tiếp nhận", "BCCI"), F("received_postal")),
    (("Hồ sơ đã có kết quả", "Tổng số"), S("resolved_early", "resolved_on_time", "resolved_late")),
    (("Hồ sơ đã có kết quả", "Trước hạn"), F("resolved_early")),
    (("Hồ sơ đã có kết quả", "Đúng hạn"), F("resolved_on_time")),
    (("Hồ sơ đã có kết quả", "Quá hạn"), F("resolved_late")),
    (("Hồ sơ đã có kết quả", "Trả trước và đúng hạn"), S("resolved_early", "resolved_on_time")),
    (("Đang giải quyết", "Trong hạn"), F("pending_not_due")),
    (("Đang giải quyết", "Quá hạn"), F("pending_overdue")),
    (("Trả lại / Rút hồ sơ",), lambda r: 2),
    (("% trước và đúng hạn",), P(("resolved_early", "resolved_on_time"),
                                 ("resolved_early", "resolved_on_time", "resolved_late"), text=True)),
]
VINH_PHUC = [  # "Nhận trong kỳ > Một cửa / Trực tuyến", "Chậm hạn", "Đúng và trước hạn", "Sắp trễ"
    (("Từ kỳ trước",), F("carried_over")),
    (("Nhận trong kỳ", "Tổng số"), S("received_online", "received_direct", "received_postal")),
    (("Nhận trong kỳ", "Trong đó: Trực tuyến"), F("received_online")),
    (("Nhận trong kỳ", "Trong đó: Một cửa"), F("received_direct")),
    (("Nhận trong kỳ", "Trong đó: Dịch vụ bưu chính công ích"), F("received_postal")),
    (("Đã giải quyết", "Trước hạn"), F("resolved_early")),
    (("Đã giải quyết", "Đúng hạn"), F("resolved_on_time")),
    (("Đã giải quyết", "Chậm hạn"), F("resolved_late")),
    (("Đã giải quyết", "Đúng và trước hạn"), S("resolved_early", "resolved_on_time")),
    (("Đang giải quyết", "Chưa đến hạn"), lambda r: int(r["pending_not_due"]) // 2),
    (("Đang giải quyết", "Sắp trễ"), lambda r: int(r["pending_not_due"]) - int(r["pending_not_due"]) // 2),
    (("Đang giải quyết", "Trễ"), F("pending_overdue")),
    (("Tỉ lệ đúng hạn",), P(("resolved_early", "resolved_on_time"),
                            ("resolved_early", "resolved_on_time", "resolved_late"), decimals=1)),
    (("Tỷ lệ quá hạn (%)",), P(("resolved_late",), ("resolved_early", "resolved_on_time", "resolved_late"))),
]
BEN_TRE = [  # "Tỷ lệ (giải quyết) trước và đúng hạn", "Đang giải quyết > Sắp trễ" etc. and "Quá hạn"
    (("Số hồ sơ nhận giải quyết", "Tồn kỳ trước"), F("carried_over")),
    (("Số hồ sơ nhận giải quyết", "Trong kỳ", "Trực tuyến"), F("received_online")),
    (("Số hồ sơ nhận giải quyết", "Trong kỳ", "Trực tiếp"), F("received_direct")),
    (("Số hồ sơ nhận giải quyết", "Trong kỳ", "Bưu chính công ích"), F("received_postal")),
    (("Số hồ sơ đã giải quyết", "Đã giải quyết", "Trước hạn"), F("resolved_early")),
    (("Số hồ sơ đã giải quyết", "Đã giải quyết", "Đúng hạn"), F("resolved_on_time")),
    (("Số hồ sơ đã giải quyết", "Đã giải quyết", "Quá hạn"), F("resolved_late")),
    (("Số hồ sơ đang giải quyết", "Đang giải quyết", "Trong hạn"), F("pending_not_due")),
    (("Số hồ sơ đang giải quyết", "Đang giải quyết", "Quá hạn"), F("pending_overdue")),
    (("Tỷ lệ (giải quyết) trước và đúng hạn",), P(("resolved_early", "resolved_on_time"),
                                                  ("resolved_early", "resolved_on_time", "resolved_late"))),
    (("Tỷ lệ hồ sơ trực tuyến (%)",), P(("received_online",), ("received_online", "received_direct",
                                                                "received_postal"))),
]


@pytest.mark.parametrize("columns", [GIA_LAI, HUE, VINH_PHUC, BEN_TRE], ids=["gia_lai", "hue", "vinh_phuc", "ben_tre"])
def test_wordings_of_real_reports_read_exactly(tmp_path, columns):
    df = read(build(tmp_path / "f.xlsx", columns))
    same_counts(df)
    if columns is HUE:
        assert df["returned_withdrawn"].tolist() == [2] * len(ROWS)


def test_a_printed_rate_in_a_new_wording_is_checked_against_the_counts(tmp_path):
    cols = [c for c in BEN_TRE if "Tỷ lệ (giải quyết)" not in c[0][0]]
    cols.append((("Tỷ lệ giải quyết đúng và trước hạn",), lambda r: 50.0))
    err = errors(build(tmp_path / "f.xlsx", cols))
    assert {p.expected.split(" = ")[0] for p in err.problems} == {"on_time_rate"}
    assert len(err.problems) == len(ROWS)


def test_a_printed_combined_column_is_checked(tmp_path):
    cols = [c if c[0] != ("Đã giải quyết", "Đúng và trước hạn") else (c[0], lambda r: 1) for c in VINH_PHUC]
    err = errors(build(tmp_path / "f.xlsx", cols))
    assert all(p.expected.startswith("Đã giải quyết > Đúng và trước hạn = ") for p in err.problems)


def test_bieu_06_online_of_which_and_direct_plus_postal_in_one_column(tmp_path):
    """Biểu 06: "Tổng số tiếp nhận > Trong đó: Trực tuyến" and one column "Trực tiếp và qua
    BCCI". The online count is read as an "of which" of the received total; the combined column
    is kept as received_direct_postal (direct and postal then unknown), and checked against
    direct + postal when the form also gives them. (More in tests/test_forms_bieu06.py.)"""
    b06 = [(("Từ kỳ trước",), F("carried_over")),
           (("Trong kỳ", "Tổng số"), S("received_online", "received_direct", "received_postal")),
           (("Trong kỳ", "Trong đó: Trực tuyến"), F("received_online")),
           (("Trong kỳ", "Trực tiếp và qua BCCI"), S("received_direct", "received_postal"))] + BEN_TRE[4:9]
    df = read(build(tmp_path / "b06.xlsx", b06))
    known = [c for c in COUNT_COLUMNS if c not in ("received_direct", "received_postal")]
    same_counts(df, cols=known)
    got = df.set_index("unit_code").sort_index()
    exp = ROWS.set_index("unit_code").sort_index()
    assert got["received_direct_postal"].astype(int).tolist() == (exp["received_direct"]
                                                                  + exp["received_postal"]).tolist()
    assert got["received_direct"].isna().all() and got["received_postal"].isna().all()
    full = b06 + [(("Trong kỳ", "Trực tiếp"), F("received_direct")),
                  (("Tiếp nhận qua dịch vụ bưu chính công ích",), F("received_postal"))]
    same_counts(read(build(tmp_path / "b06full.xlsx", full)))
    bad = [c if c[0] != ("Trong kỳ", "Trực tiếp và qua BCCI") else (c[0], lambda r: 7) for c in full]
    assert all(x.expected.startswith("Trong kỳ > Trực tiếp và qua BCCI = ")
               for x in errors(build(tmp_path / "b06bad.xlsx", bad)).problems)


# ----------------------------------------------------------------------------- 2. layouts
SECTION_ROWS = pd.concat([make_rows(units=["40-SNV", "40-STP", "40-SXD"], seed=1),
                          make_rows(units=["412", "415", "417"], seed=2),
                          make_rows(units=["17866", "17926"], seed=3)], ignore_index=True)


def sectioned(tmp_path, name="s.xlsx") -> Path:
    return of.write_official_form(SECTION_ROWS, tmp_path / name, period="2024Q2", sections=True)


def test_sections_with_cong_rows_and_grand_total_at_the_bottom(tmp_path):
    p = sectioned(tmp_path)
    ws = openpyxl.load_workbook(p).active
    labels = [c.value for c in ws["B"] if isinstance(c.value, str)]
    assert "Cấp huyện" in labels and labels.count("Cộng") == 3 and "TỔNG CỘNG (I+II+III)" in labels
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = paranalysis.load_processing(p)
    same_counts(df, SECTION_ROWS)
    msg = str(next(x.message for x in w if issubclass(x.category, of.FormWarning)))
    assert "4 total row(s)" in msg and "3 section heading(s)" in msg


def _rows_of(ws, label):
    return [c.row for c in ws["B"] if c.value == label]


def test_subtotals_on_the_heading_rows_and_grand_total_on_top(tmp_path):
    p = sectioned(tmp_path)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    heads = [c.row for c in ws["A"] if c.value in ("I", "II", "III")]
    congs = _rows_of(ws, "Cộng")
    for hr, cr in zip(heads, congs):  # move each subtotal up onto its heading row
        for c in range(3, ws.max_column + 1):
            ws.cell(hr, c).value = ws.cell(cr, c).value
            ws.cell(hr, c).number_format = ws.cell(cr, c).number_format
    grand = _rows_of(ws, "TỔNG CỘNG (I+II+III)")[0]
    values = [ws.cell(grand, c).value for c in range(3, ws.max_column + 1)]
    for r in congs + [grand]:
        for c in range(1, ws.max_column + 1):
            ws.cell(r, c).value = None
    top = heads[0]
    ws.insert_rows(top)
    ws.cell(top, 2, "TỔNG CỘNG (I+II+III)")
    for j, v in enumerate(values):
        ws.cell(top, 3 + j, v)
        ws.cell(top, 3 + j).number_format = ws.cell(top + 2, 3 + j).number_format
    wb.save(p)
    same_counts(read(p), SECTION_ROWS)


def test_error_a_subtotal_is_checked_against_its_own_section(tmp_path):
    p = sectioned(tmp_path)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    second = _rows_of(ws, "Cộng")[1]  # districts
    ws.cell(second, 4).value = ws.cell(second, 4).value + 1  # carried over
    wb.save(p)
    (prob,) = [x for x in errors(p).problems if x.column.startswith("D ")]  # C: its row's total, checked too
    expected = int(SECTION_ROWS[SECTION_ROWS["unit_code"].isin(["412", "415", "417"])]["carried_over"].sum())
    assert prob.expected == of.E_SUBTOTAL.format(section="Cấp huyện", expected=expected)
    assert prob.row == second


def test_the_section_tells_the_level_of_a_shared_name(tmp_path):
    """A district and a commune both called "Hưng Nguyên": the section decides."""
    units = pd.DataFrame({"unit_code": ["D1", "D2", "C1"],
                          "name_vi": ["Huyện Hưng Nguyên", "Huyện Nam Đàn", "Xã Hưng Nguyên"],
                          "short_name_vi": ["Hưng Nguyên", "Nam Đàn", "Hưng Nguyên"],
                          "level": ["district", "district", "commune"]})
    rows = make_rows(units=["D1", "D2", "C1"])
    names = {"D1": "Hưng Nguyên", "D2": "Nam Đàn", "C1": "Hưng Nguyên"}
    p = build(tmp_path / "lv.xlsx", BEN_TRE, rows, names=names)
    # without sections a bare name means the higher tier (paranalysis.units): both rows are the district
    assert {x.expected.split(" (")[0] for x in errors(p, units=units).problems} == {"one row per unit and quarter"}
    p = build(tmp_path / "lv2.xlsx", BEN_TRE, rows, names=names, headings={1: ("I", "Cấp huyện"), 3: (None, "II. Cấp xã")})
    same_counts(read(p, units=units), rows)


def test_names_are_matched_as_they_were_at_the_period_end(tmp_path):
    """An old unit and its successor share a name: the quarter's date decides."""
    units = pd.DataFrame({"unit_code": ["OLD", "NEW", "X"], "name_vi": ["Xã Vân Du", "Xã Vân Du", "Xã Khác"],
                          "level": ["commune"] * 3, "valid_from": [None, "2025-07-01", None],
                          "valid_to": ["2025-06-30", None, None]})
    for quarter, code in (("2025Q2", "OLD"), ("2025Q4", "NEW")):
        rows = make_rows(units=[code, "X"], period=quarter)
        q = pd.Period(quarter, "Q-DEC")
        p = build(tmp_path / f"{quarter}.xlsx", BEN_TRE, rows, names={code: "Xã Vân Du", "X": "Xã Khác"},
                  title=f"Quý {q.quarter} năm {q.year}")
        assert read(p, units=units)["unit_code"].tolist() == [code, "X"]


def test_unit_code_column_identifies_units(tmp_path):
    names = {c: f"Đơn vị số {i}" for i, c in enumerate(ROWS["unit_code"])}  # names no table knows
    p = build(tmp_path / "code.xlsx", BEN_TRE, names=names, codes=True)
    same_counts(read(p))
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    ws.cell(8, 2, 999)
    ws.cell(9, 3, "TX. Cửa Lò")  # a known unit, but the row's code is another one
    wb.save(p)
    err = errors(p)
    assert [pr.expected for pr in err.problems] == [
        of.E_UNIT_CODE.format(col="B (Mã đơn vị)"),
        of.E_CODE_NAME.format(code=ROWS["unit_code"][1], code_name=_UNITS.at[ROWS["unit_code"][1], "name_vi"])]


def test_hidden_rows_and_columns_are_read_and_noted(tmp_path):
    p = build(tmp_path / "h.xlsx", GIA_LAI)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    ws.row_dimensions[9].hidden = True
    ws.column_dimensions["E"].hidden = True
    wb.save(p)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        same_counts(paranalysis.load_processing(p))
    msg = str(next(x.message for x in w if issubclass(x.category, of.FormWarning)))
    assert "hidden row(s) 9" in msg and "hidden column(s) E" in msg


# ----------------------------------------------------------------------------- 3. files as saved
@pytest.mark.parametrize("name", ["form_2024Q2.xls", "form_2024Q2.ods", "formulas_cached.xlsx"])
def test_xls_ods_and_cached_formula_values(name):
    same_counts(read(DATA / name))


def test_formulas_saved_without_values_are_evaluated(tmp_path):
    """openpyxl saves formulas without values: plain arithmetic is evaluated."""
    cols = [(("Tổng số hồ sơ cần giải quyết",), lambda r: 0)] + BEN_TRE
    p = build(tmp_path / "f.xlsx", cols)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    last = 7 + len(ROWS)
    for r in range(8, last + 1):
        ws.cell(r, 3, f"=D{r}+SUM(E{r}:G{r})")
    ws.cell(last + 1, 2, "Tổng cộng")
    for c in range(3, 13):
        L = get_column_letter(c)
        ws.cell(last + 1, c, f"=SUM({L}8:{L}{last})")
    wb.save(p)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        same_counts(paranalysis.load_processing(p))
    assert "formula(s) saved without values evaluated" in str(w[-1].message)
    ws.cell(8, 4, "=ROUND(D9*1.1,0)")
    wb.save(p)
    (prob,) = [x for x in errors(p).problems if x.row == 8 and x.column.startswith("D ")]
    assert prob.expected == of.E_FORMULA.format(formula="=ROUND(D9*1.1,0)") and prob.column.startswith("D ")


def test_the_form_sheet_is_found_by_content_and_every_form_sheet_is_read(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh bạ"
    for i, row in enumerate([["STT", "Đơn vị", "Người liên hệ", "Số điện thoại"], [1, "TP Vinh", "Phòng KSTT", "0238"]]):
        for j, v in enumerate(row):
            ws.cell(1 + i, 1 + j, v)
    p = tmp_path / "multi.xlsx"
    wb.save(p)
    build(p, BEN_TRE, ROWS.iloc[:4], wb=openpyxl.load_workbook(p), sheet="Cấp huyện 1", before=True)
    build(p, BEN_TRE, ROWS.iloc[4:], wb=openpyxl.load_workbook(p), sheet="Cấp huyện 2", before=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = paranalysis.load_processing(p)
    same_counts(df)
    assert sorted(df["source"].unique()) == ["multi.xlsx#Cấp huyện 1", "multi.xlsx#Cấp huyện 2"]
    assert "1 sheet(s) without the form (Danh bạ)" in str(w[-1].message)


# ----------------------------------------------------------------------------- 4. periods
@pytest.mark.parametrize("title", ["Quý II năm 2024", "QUÝ II/2024", "Quý 2 năm 2024", "Kỳ báo cáo: Quý II - 2024",
                                   "Báo cáo quý II.2024", "Q2/2024", "quý II, năm 2024",
                                   "(Từ ngày 15/3/2024 đến hết ngày 14/6/2024)"])
def test_quarter_titles_in_every_common_shape(tmp_path, title):
    assert read(build(tmp_path / "q.xlsx", BEN_TRE, title=title))["period"].astype(str).unique().tolist() == ["2024Q2"]


def test_half_year_is_read_into_its_own_typed_period(tmp_path):
    p = build(tmp_path / "h1.xlsx", BEN_TRE, title="Báo cáo 6 tháng đầu năm 2025 (từ ngày 15/12/2024 đến ngày 14/6/2025)")
    errors(p)  # refused by default (test_officialform checks the message)
    df = read(p, period="2025H1")
    assert "period" not in df.columns and list(df.columns) == of.SPAN_COLUMNS
    assert df["period_label"].unique().tolist() == ["2025H1"] and df["period_kind"].unique().tolist() == ["half_year"]
    assert df["period_start"].iloc[0] == pd.Timestamp("2025-01-01") and df["period_end"].iloc[0] == pd.Timestamp("2025-06-30")
    same_counts(df)
    (prob,) = [x for x in errors(p, period="2025M9").problems if x.column == "title"]
    assert prob.expected == of.E_PERIOD_CONFLICT.format(title="2025H1", given="2025M9")
    with pytest.raises(DataError):  # ingest holds quarters only
        from paranalysis.ingest import ingest

        ingest(p, tmp_path / "data", period="2025H1")
    assert not (tmp_path / "data" / "processing").exists()


def test_annual_report_by_year(tmp_path):
    df = read(build(tmp_path / "y.xlsx", BEN_TRE, title="BÁO CÁO NĂM 2024"), period="2024")
    assert df["period_kind"].unique().tolist() == ["year"]
    same_counts(df)


# ----------------------------------------------------------------------------- 5. teaching, CLI
def test_cli_mapping_option_teaches_validate_and_ingest(tmp_path, capsys):
    cols = [(("Số lượng hồ sơ xử lý sớm",) if c[0] == ("Hồ sơ đã có kết quả", "Trước hạn") else c[0], c[1])
            for c in HUE]
    p = build(tmp_path / "new.xlsx", cols)
    assert cli(["validate", str(p)]) == 1
    out = capsys.readouterr().out
    assert "form_header_mapping.yaml" in out and '- "Số lượng hồ sơ xử lý sớm"' in out
    m = tmp_path / "my_mapping.yaml"
    m.write_text(yaml.safe_dump({"counts": {"resolved_early": ["Xử lý sớm"]}}, allow_unicode=True), encoding="utf-8")
    assert cli(["validate", str(p), "--mapping", str(m)]) == 0
    data = tmp_path / "data"
    assert cli(["ingest", str(p), "--data", str(data), "--mapping", str(m)]) == 0
    ds = paranalysis.load_dataset(data)
    same_counts(ds.processing)


# ----------------------------------------------------------------------------- 6. export-form
def test_export_form_round_trip(tmp_path, capsys):
    data = tmp_path / "data"
    src = of.write_official_form(SECTION_ROWS, tmp_path / "in.xlsx", period="2024Q2")
    assert cli(["ingest", str(src), "--data", str(data)]) == 0
    out = tmp_path / "out.xlsx"
    assert cli(["export-form", "--quarter", "2024Q2", "--data", str(data), "--out", str(out)]) == 0
    df = read(out)
    same_counts(df, SECTION_ROWS)
    ws = openpyxl.load_workbook(out).active
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "TỔNG CỘNG (I+II+III)" in texts and any("15/03/2024" in t for t in texts)
    out2 = tmp_path / "districts.xlsx"
    assert cli(["export-form", "--quarter", "2024Q2", "--data", str(data), "--level", "district",
                "--out", str(out2)]) == 0
    same_counts(read(out2), SECTION_ROWS[SECTION_ROWS["unit_code"].isin(["412", "415", "417"])])
    assert cli(["export-form", "--quarter", "2023Q1", "--data", str(data)]) == 1


def _share_formulas(path: Path, row: int, first: int, last: int) -> None:
    """Rewrite the formulas of row ``row``, columns first..last, as ONE shared formula (as Excel
    saves a formula filled right): the master keeps the text, the others only ``t="shared"``; no values."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode()
    ref = f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}"
    for c in range(first, last + 1):
        a = f"{get_column_letter(c)}{row}"
        pat = re.compile(rf'(<c r="{a}"[^>]*>)<f>([^<]*)</f>(?:<v\s*/>|<v></v>)?')
        assert pat.search(xml), a
        repl = (rf'\1<f t="shared" ref="{ref}" si="0">\2</f>' if c == first else r'\1<f t="shared" si="0"/>')
        xml = pat.sub(repl, xml, count=1)
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def test_shared_formulas_saved_without_values_are_translated_and_evaluated(tmp_path):
    """Excel saves a formula filled across a row as one shared formula: only the first cell
    holds its text. Each other cell's formula is the master's, shifted to that cell."""
    cols = [(("Tổng số hồ sơ cần giải quyết",), lambda r: 0)] + BEN_TRE
    p = build(tmp_path / "f.xlsx", cols)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    last = 7 + len(ROWS)
    for r in range(8, last + 1):
        ws.cell(r, 3, f"=D{r}+SUM(E{r}:G{r})")
    ws.cell(last + 1, 2, "Tổng cộng")
    for c in range(3, 13):
        ws.cell(last + 1, c, f"=SUM({get_column_letter(c)}8:{get_column_letter(c)}{last})")
    wb.save(p)
    _share_formulas(p, last + 1, 3, 12)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        same_counts(paranalysis.load_processing(p))  # the total row is checked against the units
    assert "formula(s) saved without values evaluated" in str(w[-1].message)
    # a shared formula that is not plain arithmetic: refused, naming the shifted formula
    ws.cell(8, 4, "=ROUND(D9*1.1,0)")
    ws.cell(8, 5, "=ROUND(E9*1.1,0)")
    wb.save(p)
    _share_formulas(p, 8, 4, 5)
    probs = {x.column.split()[0]: x for x in errors(p).problems if x.row == 8 and x.column[0] in "DE"}
    assert probs["D"].expected == of.E_FORMULA.format(formula="=ROUND(D9*1.1,0)")
    assert probs["E"].expected == of.E_FORMULA.format(formula="=ROUND(E9*1.1,0)")
    assert "blank" not in probs["E"].expected and "formula without a saved value" in probs["E"].expected


@pytest.mark.parametrize("headings", [
    {1: ("A", "Cấp huyện"), 3: ("B", "Cấp xã")},
    {1: (None, "A. Cấp huyện"), 3: (None, "B. Cấp xã")},
    {1: (None, "Cấp huyện"), 3: (None, "Cấp xã")},
], ids=["letter_in_stt", "letter_in_name", "text_heading"])
def test_letter_and_text_section_headings_tell_the_level(tmp_path, headings):
    """Sections headed "A"/"B.", or only by text: the section decides between a district and a
    commune of the same name, and every count is read."""
    units = pd.DataFrame({"unit_code": ["D1", "D2", "C1"],
                          "name_vi": ["Huyện Hưng Nguyên", "Huyện Nam Đàn", "Xã Hưng Nguyên"],
                          "short_name_vi": ["Hưng Nguyên", "Nam Đàn", "Hưng Nguyên"],
                          "level": ["district", "district", "commune"]})
    rows = make_rows(units=["D1", "D2", "C1"])
    names = {"D1": "Hưng Nguyên", "D2": "Nam Đàn", "C1": "Hưng Nguyên"}
    p = build(tmp_path / "sec.xlsx", BEN_TRE, rows, names=names, headings=headings)
    same_counts(read(p, units=units), rows)


# ----------------------------------------------------------------------------- 7. issue 11 gaps
@pytest.mark.parametrize("label,decimals,text", [
    ("Tỷ lệ trước và đúng hạn (%)", 2, False),
    ("% trước và đúng hạn", 2, True),
    ("Tỉ lệ đúng hạn", 1, False),
    ("Tỷ lệ (giải quyết) trước và đúng hạn", 2, False),
])
def test_each_on_time_rate_wording_is_recomputed_and_checked(tmp_path, label, decimals, text):
    """Every rate wording of the issue is read as on_time_rate = (early + on time) / resolved:
    right values read, a value off by 5 points refused on every row."""
    rate = P(("resolved_early", "resolved_on_time"), ("resolved_early", "resolved_on_time", "resolved_late"),
             decimals=decimals, text=text)
    cols = BEN_TRE[:9] + [((label,), rate)]
    same_counts(read(build(tmp_path / "ok.xlsx", cols)))
    off = P(("resolved_early", "resolved_on_time"), ("resolved_early", "resolved_on_time", "resolved_late"),
            decimals=decimals)
    bad = BEN_TRE[:9] + [((label,), lambda r: round(off(r) - 5.0, decimals))]
    probs = errors(build(tmp_path / "bad.xlsx", bad)).problems
    assert len(probs) == len(ROWS) and {p.expected.split(" = ")[0] for p in probs} == {"on_time_rate"}


def test_roman_section_rows_in_the_name_cell_tell_the_level(tmp_path):
    """Headings written in one cell, "I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã"."""
    names = {c: _display_name(_UNITS.loc[c], "standard") for c in SECTION_ROWS["unit_code"]}
    p = build(tmp_path / "roman.xlsx", BEN_TRE, SECTION_ROWS, names=names,
              headings={1: (None, "I. Cấp tỉnh"), 4: (None, "II. Cấp huyện"), 7: (None, "III. Cấp xã")})
    ws = openpyxl.load_workbook(p).active
    assert {"I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã"} <= {c.value for c in ws["B"]}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = paranalysis.load_processing(p)
    same_counts(df, SECTION_ROWS)
    assert "3 section heading(s)" in str(next(x.message for x in w if issubclass(x.category, of.FormWarning)))


@pytest.mark.parametrize("name", ["form_2024Q2.xls", "form_2024Q2.ods"])
def test_xls_and_ods_fixtures_have_merged_headers(name):
    from paranalysis.forms.workbook import load_sheets

    (sheet,) = load_sheets(DATA / name)
    assert len(sheet.origin) > 20  # the three-row header is merged (cells shown from their top-left)
    same_counts(read(DATA / name))


def test_load_processing_takes_a_mapping_file_and_merges_the_data_folder_one(tmp_path):
    """``paranalysis.load_processing(path, mapping=...)`` and a ``form_header_mapping.yaml`` in
    the data folder (``data_dir=``) both teach a new wording, merged over the package's."""
    cols = [(("Số lượng hồ sơ xử lý sớm",) if c[0] == ("Hồ sơ đã có kết quả", "Trước hạn") else c[0], c[1])
            for c in HUE]
    p = build(tmp_path / "new.xlsx", cols)
    (prob,) = [x for x in errors(p).problems if x.value == "Số lượng hồ sơ xử lý sớm"]
    assert "paranalysis/resources/form_header_mapping.yaml" in prob.expected
    entry = yaml.safe_dump({"counts": {"resolved_early": ["Xử lý sớm"]}}, allow_unicode=True)
    m = tmp_path / "mine.yaml"
    m.write_text(entry, encoding="utf-8")
    same_counts(read(p, mapping=m))
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / of.DATA_MAPPING_NAME).write_text(entry, encoding="utf-8")
    same_counts(read(p, data_dir=folder))
    # the package's patterns still apply beside the merged ones: every other column was read
    assert read(p, mapping=m)["returned_withdrawn"].tolist() == [2] * len(ROWS)
