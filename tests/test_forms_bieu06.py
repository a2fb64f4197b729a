"""The Biểu 06/VPCP/KSTT layout (issue 11): "Tổng số" of the records received with "Trong
đó: Trực tuyến", direct and postal as ONE column "Trực tiếp và qua dịch vụ bưu chính", and
of the resolved "Trước hạn và đúng hạn" as one column beside "Quá hạn".

What is then known: carried over, online, direct + postal (``received_direct_postal``),
early + on time (``resolved_early_on_time``), late, pending. What is not: direct, postal,
early and on time apart (NA), hence the early share and the direct/postal shares (NA with a
``missing_reason``). Every expected figure below is written by hand from the counts in
``B06``, not computed by the package.
"""

from __future__ import annotations

import warnings

import openpyxl
import pandas as pd
import pytest

import paranalysis
from paranalysis import DataError, indicators
from paranalysis import forms as of
from paranalysis.ingest import processing_csv_bytes
from paranalysis.overview import coverage
from paranalysis.tables import read_table
from test_forms_layouts import F, build, errors, read
from test_officialform import make_rows

NA = pd.NA
# unit, carried over, online, direct + postal, early + on time, late, not yet due, overdue
_B06 = [
    ("40-SNV", 10, 120, 30, 140, 5, 12, 3),
    ("40-STP", 4, 50, 46, 90, 0, 9, 1),
    ("412", 25, 300, 175, 440, 20, 30, 10),
    ("415", 0, 8, 12, 17, 3, 0, 0),
]
B06 = pd.DataFrame([{"unit_code": u, "period": pd.Period("2024Q2", freq="Q-DEC"), "carried_over": c,
                     "received_online": o, "received_direct": NA, "received_postal": NA,
                     "received_direct_postal": dp, "resolved_early": NA, "resolved_on_time": NA,
                     "resolved_early_on_time": eot, "resolved_late": late, "pending_not_due": nd,
                     "pending_overdue": od, "synthetic": False, "source": "test"}
                    for u, c, o, dp, eot, late, nd, od in _B06])
for _c in [c for c in B06.columns if c not in ("unit_code", "period", "synthetic", "source")]:
    B06[_c] = B06[_c].astype("Int64")
PARTS = ["received_direct", "received_postal", "resolved_early", "resolved_on_time"]


def bieu06(tmp_path, rows=B06, name="b06.xlsx"):
    return of.write_official_form(rows, tmp_path / name, period="2024Q2", sections=True, layout="bieu06")


def _find(ws, text):
    return next((c.row, c.column) for row in ws.iter_rows() for c in row if c.value == text)


def test_bieu06_workbook_has_the_national_headers_and_sections(tmp_path):
    ws = openpyxl.load_workbook(bieu06(tmp_path)).active
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Trong đó: Trực tuyến", "Trực tiếp và qua dịch vụ bưu chính", "Trước hạn và đúng hạn",
            "Số mới tiếp nhận", "Cấp huyện", "TỔNG CỘNG (I+II)"} <= texts
    assert "Trước hạn" not in texts and "Đúng hạn" not in texts and "Trực tiếp" not in texts


def test_bieu06_is_read_exactly_with_the_parts_missing(tmp_path):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = paranalysis.load_processing(bieu06(tmp_path))
    msg = str(next(x.message for x in w if issubclass(x.category, of.FormWarning)))
    assert "3 total row(s)" in msg and "2 section heading(s)" in msg  # two "Cộng" and the grand total
    got = df.set_index("unit_code").loc[[u for u, *_ in _B06]]
    assert got["carried_over"].tolist() == [10, 4, 25, 0]
    assert got["received_online"].tolist() == [120, 50, 300, 8]
    assert got["received_direct_postal"].tolist() == [30, 46, 175, 12]
    assert got["resolved_early_on_time"].tolist() == [140, 90, 440, 17]
    assert got["resolved_late"].tolist() == [5, 0, 20, 3]
    assert got["pending_not_due"].tolist() == [12, 9, 30, 0]
    assert got["pending_overdue"].tolist() == [3, 1, 10, 0]
    for c in PARTS:  # what a Biểu 06 form does not say
        assert got[c].isna().all(), c


def test_bieu06_indicators_by_hand(tmp_path):
    df = read(bieu06(tmp_path))
    df = df.set_index("unit_code").loc[[u for u, *_ in _B06]].reset_index()
    a = indicators.on_time_resolved_basis(df)
    # (early + on time) / resolved = eot / (eot + late): 140/145, 90/90, 440/460, 17/20
    assert a["numerator"].tolist() == [140, 90, 440, 17] and a["denominator"].tolist() == [145, 90, 460, 20]
    assert a["rate"].tolist() == pytest.approx([140 / 145, 1.0, 440 / 460, 0.85])
    assert a["missing_reason"].isna().all()
    # online / (online + direct&postal): 120/150 = 0.8, 50/96, 300/475, 8/20 = 0.4
    on = indicators.online_share(df)
    assert on["rate"].tolist() == pytest.approx([0.8, 50 / 96, 300 / 475, 0.4])
    # C: (eot + not yet due) / (carried + received): (140+12)/160 = 0.95, (90+9)/100, (440+30)/500, 17/20
    c = indicators.on_time_766_basis(df)
    assert c["rate"].tolist() == pytest.approx([0.95, 0.99, 0.94, 0.85])
    # clearance: resolved / handled = 145/160, 90/100, 460/500, 20/20
    assert indicators.clearance_rate(df)["rate"].tolist() == pytest.approx([145 / 160, 0.9, 0.92, 1.0])
    early = indicators.early_share(df)
    assert early["rate"].isna().all() and early["numerator"].isna().all()
    assert early["missing_reason"].tolist() == ["the form gives early and on-time as one number"] * 4
    for share in (indicators.direct_share, indicators.postal_share):
        r = share(df)
        assert r["rate"].isna().all()
        assert r["missing_reason"].tolist() == ["the form gives direct and postal as one number"] * 4
    # province total: (140+90+440+17) / (145+90+460+20) = 687/715
    tot = indicators.combine(df)
    assert int(tot["received_direct_postal"].iloc[0]) == 30 + 46 + 175 + 12 == 263
    assert indicators.on_time_resolved_basis(tot)["rate"].iloc[0] == pytest.approx(687 / 715)
    long = indicators.rates(tot)
    why = dict(zip(long["indicator"], long["missing_reason"]))
    assert why["early_share"] == "the form gives early and on-time as one number"
    assert why["on_time_resolved_basis"] is None and why["late_rate_resolved_basis"] is None
    # coverage: carried + online + direct&postal = 10+120+30 = 160 for 40-SNV
    assert coverage(df).loc["40-SNV", "2024Q2"] == 160


def test_bieu06_consistency_checks_still_work(tmp_path):
    p = bieu06(tmp_path)
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    _, col_dp = _find(ws, "Trực tiếp và qua dịch vụ bưu chính")
    unit_rows = [c.row for c in ws["B"] if c.row > 11 and isinstance(ws.cell(c.row, 1).value, int)]
    r0 = unit_rows[0]
    ws.cell(r0, col_dp).value = 31  # received total (150) no longer = online 120 + 31
    _, col_rate = _find(ws, "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")
    ws.cell(unit_rows[1], col_rate).value = 0.5  # printed 50 % where 90/90 = 100 %
    cong = [c.row for c in ws["B"] if c.value == "Cộng"]
    _, col_eot = _find(ws, "Trước hạn và đúng hạn")
    ws.cell(cong[1], col_eot).value = 458  # district subtotal: 440 + 17 = 457
    wb.save(p)
    probs = errors(p).problems
    text = [x.expected for x in probs]
    # the unit's printed totals no longer add up: received 150 = 120 + 31? records 160 = 10 + 120 + 31?
    assert "Số hồ sơ nhận giải quyết > Số mới tiếp nhận > Tổng số = Số hồ sơ nhận giải quyết > Số mới tiếp nhận > " \
           "Trong đó: Trực tuyến + Số hồ sơ nhận giải quyết > Số mới tiếp nhận > Trực tiếp và qua dịch vụ bưu " \
           "chính = 151" in text
    assert any(t.startswith("Số hồ sơ nhận giải quyết > Tổng số = ") and t.endswith(" = 161") for t in text)
    # the printed rate of 40-STP against (early + on time) / resolved = 90/90
    assert "on_time_rate = (resolved_early_on_time) / (resolved_early_on_time + resolved_late) = 100.0000% " \
           "(to the 2 decimals printed)" in text
    # subtotals and the grand total against their units: 31 + 46 = 77; 440 + 17 = 457; 263 + 1 = 264
    assert of.E_SUBTOTAL.format(section="Cấp tỉnh (sở, ban, ngành)", expected=77) in text
    assert of.E_SUBTOTAL.format(section="Cấp huyện", expected=457) in text
    assert of.E_TOTAL_ROW.format(expected=264) in text


def test_bieu06_direct_postal_derived_from_the_total_when_not_printed(tmp_path):
    """Only "Tổng số tiếp nhận" and its "of which" online: direct + postal = total - online."""
    rows = make_rows(units=["412", "415", "417"], seed=5)
    cols = [(("Kỳ trước chuyển sang",), F("carried_over")),
            (("Tổng số hồ sơ tiếp nhận", "Tổng số"), lambda r: int(r["received_online"] + r["received_direct"]
                                                                    + r["received_postal"])),
            (("Tổng số hồ sơ tiếp nhận", "Trong đó: Trực tuyến"), F("received_online")),
            (("Đã giải quyết", "Trước hạn và đúng hạn"), lambda r: int(r["resolved_early"] + r["resolved_on_time"])),
            (("Đã giải quyết", "Quá hạn"), F("resolved_late")),
            (("Đang giải quyết", "Trong hạn"), F("pending_not_due")),
            (("Đang giải quyết", "Quá hạn"), F("pending_overdue"))]
    p = build(tmp_path / "derived.xlsx", cols, rows=rows)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        df = paranalysis.load_processing(p)
    msg = str(next(x.message for x in w if issubclass(x.category, of.FormWarning)))
    assert "derived sheet Biểu 1: received_direct_postal = received_total - received_online" in msg
    got = df.set_index("unit_code").sort_index()
    exp = rows.set_index("unit_code").sort_index()
    assert got["received_direct_postal"].astype(int).tolist() == (exp["received_direct"] + exp["received_postal"]).tolist()
    assert got["resolved_early_on_time"].astype(int).tolist() == (exp["resolved_early"]
                                                                  + exp["resolved_on_time"]).tolist()
    assert got[PARTS].isna().all().all()
    # online larger than the total it is an "of which" of: refused
    bad = [c if c[0] != ("Tổng số hồ sơ tiếp nhận", "Tổng số") else (c[0], F("received_online")) for c in cols]
    bad[2] = (bad[2][0], lambda r: int(r["received_online"]) + 1)
    probs = errors(build(tmp_path / "bad.xlsx", bad, rows=rows)).problems
    assert [x.expected for x in probs] == [of.E_PART_EXCEEDS.format(
        total="D (Tổng số hồ sơ tiếp nhận > Tổng số)", value=int(r)) for r in rows["received_online"]]


def test_a_normal_form_fills_the_combined_columns_as_sums(tmp_path):
    rows = make_rows(units=["412", "415", "417", "40-SNV"], seed=7)
    df = read(of.write_official_form(rows, tmp_path / "n.xlsx", period="2024Q2"))
    got = df.set_index("unit_code").sort_index()
    exp = rows.set_index("unit_code").sort_index()
    assert got["received_direct_postal"].astype(int).tolist() == (exp["received_direct"] + exp["received_postal"]).tolist()
    assert got["resolved_early_on_time"].astype(int).tolist() == (exp["resolved_early"]
                                                                  + exp["resolved_on_time"]).tolist()
    assert got[PARTS].notna().all().all()
    e = indicators.early_share(got.reset_index())
    assert e["rate"].tolist() == pytest.approx((exp["resolved_early"] / (exp["resolved_early"] + exp["resolved_on_time"]
                                                                          + exp["resolved_late"])).tolist())
    assert e["missing_reason"].isna().all()


def test_bieu06_rows_survive_the_tidy_csv(tmp_path):
    df = read(bieu06(tmp_path))
    p = tmp_path / "processing.csv"
    p.write_bytes(processing_csv_bytes(df))
    back = read_table([p], "processing").set_index("unit_code").sort_index()
    assert back["received_direct_postal"].tolist() == [30, 46, 175, 12]  # 40-SNV, 40-STP, 412, 415
    assert back[PARTS].isna().all().all()
    # a stated sum that disagrees with both parts given is an error naming the sum
    text = p.read_text(encoding="utf-8").splitlines()
    head = text[0].split(",")
    cells = text[1].split(",")
    for c, v in (("received_direct", "10"), ("received_postal", "10"), ("resolved_early", "100"),
                 ("resolved_on_time", "40")):
        cells[head.index(c)] = v
    p.write_text("\n".join([text[0], ",".join(cells)]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as ei:
        read_table([p], "processing")
    assert [(x.column, x.expected) for x in ei.value.problems] == [
        ("received_direct_postal", "received_direct_postal = received_direct + received_postal = 20")]


def test_standard_layout_refuses_rows_without_the_parts(tmp_path):
    with pytest.raises(ValueError, match="layout='bieu06'"):
        of.write_official_form(B06, tmp_path / "x.xlsx", period="2024Q2", layout="standard")


def test_the_writer_chooses_bieu06_when_only_the_sums_are_known(tmp_path):
    """Without a layout, rows giving only the sums are written as Biểu 06 (as export-form
    and notebook 01's example form need) and read back with the same counts."""
    path = of.write_official_form(B06, tmp_path / "auto.xlsx", period="2024Q2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        back = paranalysis.load_processing(path).set_index("unit_code")
    want = B06.set_index("unit_code")
    for c in ("received_online", "received_direct_postal", "resolved_early_on_time", "resolved_late"):
        assert back[c].tolist() == want.loc[back.index, c].tolist(), c


def test_bieu06_ingest_and_export_form_round_trip(tmp_path):
    """A Biểu 06 form ingested into a folder, exported again (export_form chooses the Biểu 06
    layout because the parts are missing), and read back: the same counts."""
    from paranalysis.ingest import ingest

    data = tmp_path / "data"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ingest(bieu06(tmp_path), data)
    ds = paranalysis.load_dataset(data)
    assert ds.processing["received_direct_postal"].sort_values().tolist() == [12, 30, 46, 175]
    out = of.export_form(data, "2024Q2", tmp_path / "again.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert any(c.value == "Trực tiếp và qua dịch vụ bưu chính" for row in ws.iter_rows() for c in row)
    back = read(out).set_index("unit_code").sort_index()
    assert back["received_direct_postal"].tolist() == [30, 46, 175, 12]  # 40-SNV, 40-STP, 412, 415
    assert back["resolved_early_on_time"].tolist() == [140, 90, 440, 17]
    assert back[PARTS].isna().all().all()


def test_a_hand_typed_national_form_in_its_own_wording_is_read_exactly(tmp_path):
    """A Biểu 06 typed by hand with openpyxl (not the package's writer), in the national
    form's own wording: "Số hồ sơ nhận giải quyết > Trong đó: Trực tuyến", "Kết quả giải
    quyết > Trước hạn và đúng hạn / Quá hạn"; merged two-row header, a contacts sheet
    first, a unit-code column, a section heading and a "Cộng" row; communes of the new map
    (2025Q4). Expected counts are the typed ones; pending overdue = total - resolved - not due."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Danh bạ"
    wb.active["A1"], wb.active["A2"] = "Danh sách cán bộ đầu mối", "Nguyễn Văn A"
    f = wb.create_sheet("Biểu 06")
    f["A3"] = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH QUÝ IV NĂM 2025"
    f["A4"] = "(Kỳ báo cáo: từ ngày 01/10/2025 đến ngày 31/12/2025)"
    top = ["STT", "Mã đơn vị", "Tên đơn vị", "Số hồ sơ nhận giải quyết", None, None, None,
           "Kết quả giải quyết", None, None, "Số hồ sơ đang giải quyết", None]
    sub = [None, None, None, "Tổng số", "Kỳ trước chuyển sang", "Trong đó: Trực tuyến",
           "Trực tiếp và qua dịch vụ bưu chính công ích", "Trước hạn và đúng hạn", "Quá hạn",
           "Tỷ lệ trước và đúng hạn (%)", "Trong hạn", "Quá hạn"]
    for j, (a, b) in enumerate(zip(top, sub), 1):
        f.cell(6, j, a)
        f.cell(7, j, b)
    for rng in ("A6:A7", "B6:B7", "C6:C7", "D6:G6", "H6:J6", "K6:L6"):
        f.merge_cells(rng)
    # code, name, carried over, direct+postal, online, early+on time, late, pending not due
    typed = [("16681-2025", "Phường Thành Vinh", 10, 300, 120, 280, 5, 25),
             ("16690-2025", "Phường Trường Vinh", 4, 150, 60, 140, 2, 12),
             ("16732-2025", "Phường Cửa Lò", 0, 80, 30, 75, 1, 4)]
    f.cell(8, 1, "I")
    f.cell(8, 3, "CẤP XÃ")
    for i, (code, name, carried, dp, online, ok, late, not_due) in enumerate(typed, 1):
        total = carried + online + dp
        row = [i, code, name, total, carried, online, dp, ok, late, round(100 * ok / (ok + late), 2),
               not_due, total - ok - late - not_due]
        for j, v in enumerate(row, 1):
            f.cell(8 + i, j, v)
    f.cell(12, 3, "Cộng")
    for j in (4, 5, 6, 7, 8, 9, 11, 12):
        f.cell(12, j, sum(f.cell(r, j).value for r in (9, 10, 11)))
    path = tmp_path / "bao_cao_quy_IV_2025.xlsx"
    wb.save(path)

    with pytest.warns(of.FormWarning, match="1 section heading"):
        got = paranalysis.load_processing(path).set_index("unit_code")
    assert list(got.index) == ["16681-2025", "16690-2025", "16732-2025"]
    assert set(got["period"].astype(str)) == {"2025Q4"}
    assert got["received_direct_postal"].tolist() == [300, 150, 80]
    assert got["received_online"].tolist() == [120, 60, 30]
    assert got["resolved_early_on_time"].tolist() == [280, 140, 75]
    assert got["resolved_late"].tolist() == [5, 2, 1]
    assert got["pending_not_due"].tolist() == [25, 12, 4]
    assert got["pending_overdue"].tolist() == [430 - 285 - 25, 214 - 142 - 12, 110 - 76 - 4]
    assert got[["received_direct", "received_postal", "resolved_early", "resolved_on_time"]].isna().all().all()
