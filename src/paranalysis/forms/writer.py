"""Writing processing rows as the official report form (.xlsx): used by ``paranalysis
export-form`` (what analysts hand in) and by tests to build realistic workbooks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paranalysis.forms.reader import prepare_units
from paranalysis.periods import QUARTER_ROMAN, reporting_window, to_period
from paranalysis.schemas import COUNT_COLUMNS, SPLIT_PARTS, with_combined

_STD = "standard"
_ALT = "alt_wording"
#: the Biểu 06/VPCP/KSTT layout: received total with "Trong đó: Trực tuyến", direct and postal
#: as one column, early and on time as one column
BIEU06 = "bieu06"


def _display_name(unit: pd.Series, variant: str) -> str:
    short = unit.get("short_name_vi") if isinstance(unit.get("short_name_vi"), str) else None
    kind = unit.get("unit_type") if isinstance(unit.get("unit_type"), str) else None
    name = unit["name_vi"]
    if short is None or kind not in {"city", "town", "district", "commune"}:
        return name
    if variant == _ALT:
        word = {"city": "thành phố", "town": "thị xã", "district": "huyện", "commune": "xã"}[kind]
        return f"UBND {word} {short}"
    prefix = {"city": "TP ", "town": "TX. ", "district": "H. ", "commune": "Xã "}[kind]
    return prefix + short


def _fmt_count(n: int, text: bool):
    return f"{int(n):,}".replace(",", ".") if text else int(n)


_ROMAN_SECTIONS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
_SECTION_ORDER = ["province", "agency", "department", "district", "commune"]
_SECTION_TITLE = {"province": "Cấp tỉnh (UBND tỉnh)", "agency": "Cấp tỉnh (sở, ban, ngành)",
                  "department": "Cấp tỉnh (sở, ban, ngành)",
                  "district": "Cấp huyện", "commune": "Cấp xã"}


def write_official_form(rows: pd.DataFrame, path, *, period, units: pd.DataFrame | None = None,
                        province_title: str = "UBND TỈNH NGHỆ AN", variant: str = _STD,
                        text_numbers: bool = False, sections: bool = False, layout: str | None = None,
                        title: str = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH") -> Path:
    """Write processing rows of one quarter as the official report form (.xlsx), in the
    layout analysts receive: title rows with the quarter and its reporting window, the
    units line, a three-row merged header, the column-number row, STT, unit names with
    prefixes, totals and an on-time rate, a "Tổng cộng" row and signature lines.

    ``variant="alt_wording"`` uses another province's wording ("Kỳ trước chuyển qua",
    "Trả đúng thời hạn", "UBND huyện ..."), a total row on top. ``text_numbers=True``
    stores counts as text with "." thousands separators and rates as "97,79%".
    ``sections=True`` groups the units by level under headings "I. Cấp tỉnh", "II. Cấp
    huyện", "III. Cấp xã", each followed by a "Cộng" subtotal row, and ends with
    "TỔNG CỘNG (I+II+III)" (the layout of a provincial summary report).

    ``layout="bieu06"`` writes the Biểu 06/VPCP/KSTT columns: "Số mới tiếp nhận > Tổng số",
    "Trong đó: Trực tuyến", one column "Trực tiếp và qua dịch vụ bưu chính" (direct + postal)
    and, of the resolved, one column "Trước hạn và đúng hạn" (early + on time) beside "Quá
    hạn": what rows with only those sums known (the parts missing) can be written as; the
    standard layout needs the parts. ``layout=None`` (default): the standard layout when the
    rows give the parts, Biểu 06 when any row gives only the sums.
    """
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    if variant not in (_STD, _ALT):
        raise ValueError(f"variant must be {_STD!r} or {_ALT!r}")
    df = with_combined(rows)
    if layout is None:
        layout = BIEU06 if set(SPLIT_PARTS) <= set(df.columns) and df[SPLIT_PARTS].isna().any().any() else _STD
    if layout not in (_STD, BIEU06):
        raise ValueError(f"layout must be {_STD!r} or {BIEU06!r}")
    b06 = layout == BIEU06
    q = to_period(period)
    if "period" in df.columns:
        df = df[df["period"].map(lambda p: to_period(p) == q)]
    unit_table = prepare_units(units).set_index("unit_code")
    with_returned = "returned_withdrawn" in df.columns and df["returned_withdrawn"].notna().any()

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Quy {q.quarter}-{q.year}"
    bold = Font(bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    alt = variant == _ALT
    # columns: (key, leaf label); groups are merged above
    if not b06 and set(SPLIT_PARTS) <= set(df.columns) and df[SPLIT_PARTS].isna().any().any():
        raise ValueError("rows with only the combined counts known (direct + postal, early + on time) are "
                         "written with layout='bieu06'")
    leaf = [("stt", "TT" if alt else "STT"), ("name", "Cơ quan, đơn vị" if alt else "Tên đơn vị"),
            ("records_total", "Tổng số"), ("carried_over", "Kỳ trước chuyển qua" if alt else "Từ kỳ trước"),
            ("received_online", "Trực tuyến"), ("received_direct", "Trực tiếp"),
            ("received_postal", "Qua BCCI" if alt else "Dịch vụ bưu chính"),
            ("resolved_total", "Tổng" if alt else "Tổng số"),
            ("resolved_early", "Trả trước hạn" if alt else "Trước hạn"),
            ("resolved_on_time", "Trả đúng thời hạn" if alt else "Đúng hạn"),
            ("resolved_late", "Trả quá hạn" if alt else "Quá hạn"),
            ("pending_total", "Tổng" if alt else "Tổng số"),
            ("pending_not_due", "Chưa đến hạn" if alt else "Trong hạn"), ("pending_overdue", "Quá hạn"),
            ("on_time_rate", "Tỷ lệ trả đúng hạn (%)" if alt else "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")]
    if b06:
        leaf = [("stt", "STT"), ("name", "Tên đơn vị"), ("records_total", "Tổng số"),
                ("carried_over", "Kỳ trước chuyển sang"), ("received_total", "Tổng số"),
                ("received_online", "Trong đó: Trực tuyến"),
                ("received_direct_postal", "Trực tiếp và qua dịch vụ bưu chính"),
                ("resolved_total", "Tổng số"), ("resolved_early_on_time", "Trước hạn và đúng hạn"),
                ("resolved_late", "Quá hạn"), ("pending_total", "Tổng số"), ("pending_not_due", "Trong hạn"),
                ("pending_overdue", "Quá hạn"), ("on_time_rate", "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")]
    if with_returned:
        leaf.append(("returned_withdrawn", "Trả lại/Rút HS" if alt else "Trả lại/Rút hồ sơ"))
    ncol = len(leaf)
    last_letter = get_column_letter(ncol)
    start, end = reporting_window(q)
    place = province_title.upper().replace("UBND", "").replace("TỈNH", "").replace("THÀNH PHỐ", "").strip().title()
    ws.merge_cells("A1:E1")
    ws["A1"] = province_title
    ws["A1"].font = bold
    ws.merge_cells(f"I1:{last_letter}1")
    ws["I1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["I1"].font = bold
    ws.merge_cells(f"I2:{last_letter}2")
    ws["I2"] = "Độc lập - Tự do - Hạnh phúc"
    ws.merge_cells(f"A4:{last_letter}4")
    ws["A4"] = title
    ws["A4"].font = Font(bold=True, size=13)
    ws.merge_cells(f"A5:{last_letter}5")
    if alt:
        ws["A5"] = f"Kỳ báo cáo: Quý {q.quarter}/{q.year} (từ {start.day}/{start.month}/{start.year} đến {end.day}/{end.month}/{end.year})"
    else:
        ws["A5"] = (f"Quý {QUARTER_ROMAN[q.quarter]} năm {q.year} (Từ ngày {start:%d/%m/%Y} "
                    f"đến ngày {end.day}/{end.month}/{end.year})")
    ws.merge_cells(f"A6:{last_letter}6")
    ws["A6"] = "(Kèm theo Báo cáo số        /BC-UBND)"
    ws.merge_cells(f"{get_column_letter(ncol - 3)}7:{last_letter}7")
    ws.cell(7, ncol - 3, "Đơn vị tính: Số hồ sơ TTHC")
    for c in (1, 5, 9):
        ws.cell(1, c).alignment = center
    for c in (4, 5, 6):
        ws.cell(c, 1).alignment = center
    h = 8
    col_of = {k: i + 1 for i, (k, _) in enumerate(leaf)}

    def put(r1, c1, r2, c2, text):
        if (r1, c1) != (r2, c2):
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        cell = ws.cell(r1, c1, text)
        cell.font = bold
        cell.alignment = center
        for rr in range(r1, r2 + 1):
            for cc in range(c1, c2 + 1):
                ws.cell(rr, cc).border = border

    cs = col_of
    put(h, cs["stt"], h + 2, cs["stt"], leaf[0][1])
    put(h, cs["name"], h + 2, cs["name"], leaf[1][1])
    if b06:
        put(h, cs["records_total"], h, cs["received_direct_postal"], "Số hồ sơ nhận giải quyết")
        put(h + 1, cs["records_total"], h + 2, cs["records_total"], "Tổng số")
        put(h + 1, cs["carried_over"], h + 2, cs["carried_over"], dict(leaf)["carried_over"])
        put(h + 1, cs["received_total"], h + 1, cs["received_direct_postal"], "Số mới tiếp nhận")
        for k in ("received_total", "received_online", "received_direct_postal"):
            put(h + 2, cs[k], h + 2, cs[k], dict(leaf)[k])
        put(h, cs["resolved_total"], h, cs["resolved_late"], "Số hồ sơ đã giải quyết")
        put(h, cs["pending_total"], h, cs["pending_overdue"], "Số hồ sơ đang giải quyết")
        for k in ("resolved_total", "resolved_early_on_time", "resolved_late",
                  "pending_total", "pending_not_due", "pending_overdue"):
            put(h + 1, cs[k], h + 2, cs[k], dict(leaf)[k])
    else:
        put(h, cs["records_total"], h, cs["received_postal"], "Số hồ sơ nhận giải quyết")
        put(h + 1, cs["records_total"], h + 2, cs["records_total"], "Tổng số")
        put(h + 1, cs["carried_over"], h + 2, cs["carried_over"], dict(leaf)["carried_over"])
        put(h + 1, cs["received_online"], h + 1, cs["received_postal"], "Mới tiếp nhận" if alt else "Trong kỳ")
        for k in ("received_online", "received_direct", "received_postal"):
            put(h + 2, cs[k], h + 2, cs[k], dict(leaf)[k])
        if alt:
            put(h, cs["resolved_total"], h, cs["pending_overdue"], "Kết quả giải quyết")
            put(h + 1, cs["resolved_total"], h + 1, cs["resolved_late"], "Đã giải quyết")
            put(h + 1, cs["pending_total"], h + 1, cs["pending_overdue"], "Đang giải quyết")
            for k in ("resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
                      "pending_total", "pending_not_due", "pending_overdue"):
                put(h + 2, cs[k], h + 2, cs[k], dict(leaf)[k])
        else:
            put(h, cs["resolved_total"], h, cs["resolved_late"], "Số hồ sơ đã giải quyết")
            put(h, cs["pending_total"], h, cs["pending_overdue"], "Số hồ sơ đang giải quyết")
            for k in ("resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
                      "pending_total", "pending_not_due", "pending_overdue"):
                put(h + 1, cs[k], h + 2, cs[k], dict(leaf)[k])
    put(h, cs["on_time_rate"], h + 2, cs["on_time_rate"], dict(leaf)["on_time_rate"])
    if with_returned:
        put(h, cs["returned_withdrawn"], h + 2, cs["returned_withdrawn"], dict(leaf)["returned_withdrawn"])
    # column-number row
    nums = {k: f"({i + 1})" for i, (k, _) in enumerate(leaf)}
    received_parts = ("received_direct_postal",) if b06 else ("received_direct", "received_postal")
    resolved_parts = ("resolved_early_on_time",) if b06 else ("resolved_early", "resolved_on_time")
    nums["records_total"] += "=" + "+".join(nums[k] for k in ("carried_over", "received_online", *received_parts))
    if b06:
        nums["received_total"] += "=" + "+".join(nums[k] for k in ("received_online", *received_parts))
    nums["resolved_total"] += "=" + "+".join(nums[k] for k in (*resolved_parts, "resolved_late"))
    nums["pending_total"] += "=" + "+".join(nums[k] for k in ("pending_not_due", "pending_overdue"))
    for k, text in nums.items():
        cell = ws.cell(h + 3, cs[k], text)
        cell.alignment = center
        cell.border = border

    def values_of(rec) -> dict:
        keys = [k for k in COUNT_COLUMNS if not (b06 and k in SPLIT_PARTS)]
        v = {k: int(rec[k]) for k in keys + ["received_direct_postal", "resolved_early_on_time"]}
        v["received_total"] = v["received_online"] + v["received_direct_postal"]
        v["records_total"] = v["carried_over"] + v["received_total"]
        v["resolved_total"] = v["resolved_early_on_time"] + v["resolved_late"]
        v["pending_total"] = v["pending_not_due"] + v["pending_overdue"]
        if with_returned:
            rw = rec.get("returned_withdrawn")
            v["returned_withdrawn"] = None if rw is None or pd.isna(rw) else int(rw)
        return v

    def write_row(r, stt, name, v):
        if stt is not None:
            ws.cell(r, cs["stt"], stt)
        ws.cell(r, cs["name"], name)
        for k, c in cs.items():
            if k in ("stt", "name", "on_time_rate"):
                continue
            if v.get(k) is not None:
                ws.cell(r, c, _fmt_count(v[k], text_numbers))
        if v["resolved_total"]:
            rate = v["resolved_early_on_time"] / v["resolved_total"]
            if text_numbers:
                ws.cell(r, cs["on_time_rate"], f"{100 * rate:.2f}%".replace(".", ","))
            else:
                cell = ws.cell(r, cs["on_time_rate"], round(rate, 6))
                cell.number_format = "0.00%"
        for c in range(1, ncol + 1):
            ws.cell(r, c).border = border

    recs = [values_of(rec) for rec in df.to_dict("records")]
    names, levels = [], []
    for rec in df.to_dict("records"):
        code = str(rec["unit_code"])
        names.append(_display_name(unit_table.loc[code], variant) if code in unit_table.index else code)
        levels.append(unit_table.at[code, "level"] if code in unit_table.index else None)

    def sum_of(vs):
        tot = {k: sum(v[k] for v in vs) for k in (vs[0] if vs else {}) if k != "returned_withdrawn"}
        if with_returned:
            rws = [v.get("returned_withdrawn") for v in vs]
            tot["returned_withdrawn"] = None if any(x is None for x in rws) else sum(rws)
        return tot

    total = sum_of(recs)
    r = h + 4
    if sections and recs:
        order = [lv for lv in _SECTION_ORDER if lv in levels] + sorted({str(lv) for lv in levels
                                                                         if lv not in _SECTION_ORDER})
        numerals = []
        i = 1
        for k, lv in enumerate(order):
            roman = _ROMAN_SECTIONS[k]
            numerals.append(roman)
            ws.cell(r, cs["stt"], roman).font = bold
            ws.cell(r, cs["name"], _SECTION_TITLE.get(lv, str(lv))).font = bold
            r += 1
            members = [(v, n) for v, n, l in zip(recs, names, levels) if (l if l in _SECTION_ORDER else str(l)) == lv]
            for v, name in members:
                write_row(r, i, name, v)
                i += 1
                r += 1
            write_row(r, None, "Cộng", sum_of([v for v, _ in members]))
            ws.cell(r, cs["name"]).font = bold
            r += 1
        write_row(r, None, f"TỔNG CỘNG ({'+'.join(numerals)})", total)
        ws.cell(r, cs["name"]).font = bold
        r += 1
        recs = []  # written
    if alt and recs:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        write_row(r, None, None, total)
        ws.cell(r, 1, "Tổng cộng").font = bold
        r += 1
    for i, (v, name) in enumerate(zip(recs, names), start=1):
        write_row(r, i, name, v)
        r += 1
    if not alt and recs and not sections:
        write_row(r, None, "Tổng cộng", total)
        ws.cell(r, cs["name"]).font = bold
        r += 1
    # signature block (no personal names)
    r += 1
    right = max(ncol - 4, 3)
    ws.cell(r, right, f"{place}, ngày {end.day + 6} tháng {end.month} năm {end.year}").font = Font(italic=True)
    ws.cell(r + 1, cs["name"], "NGƯỜI LẬP BIỂU").font = bold
    ws.cell(r + 1, right, "KT. CHỦ TỊCH").font = bold
    ws.cell(r + 2, right, "PHÓ CHỦ TỊCH").font = bold
    ws.cell(r + 5, right, "(Đã ký)")
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 24
    for c in range(3, ncol + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    path = Path(path)
    wb.save(path)
    return path


def export_form(data_dir, quarter, out=None, *, level: str | None = None) -> Path:
    """What analysts hand in: the consolidated processing table of one quarter from a
    dataset folder, in the official layout (Vietnamese headers, the report title and its
    reporting window, sections by level with "Cộng" subtotals when there are several
    levels, a grand total), as .xlsx. ``level`` ("department", "district", "commune")
    keeps one level. Reading the file back gives the same counts."""
    from paranalysis.dataset import load_dataset
    from paranalysis.errors import DataError, Problem
    from paranalysis.i18n import Message

    q = to_period(quarter)
    ds = load_dataset(data_dir)
    rows = ds.processing[ds.processing["period"] == q]
    lv = ds.units.set_index("unit_code")["level"]
    if level is not None:
        rows = rows[rows["unit_code"].map(lambda c: lv.get(c) == level)]
    if rows.empty:
        raise DataError([Problem(file=str(data_dir), column="period", value=str(q), expected=(
            Message("problem.data.export_rows_level", level=level, quarter=q) if level
            else Message("problem.data.export_rows", quarter=q)))])
    rows = rows.sort_values("unit_code").reset_index(drop=True)
    several = rows["unit_code"].map(lambda c: lv.get(c)).nunique() > 1
    out = Path(out) if out is not None else Path(data_dir) / f"bieu_mau_{q}{'_' + level if level else ''}.xlsx"
    title = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    if rows["synthetic"].any():  # never mixed silently: the file itself says so
        title += " (SỐ LIỆU MÔ PHỎNG / SYNTHETIC DATA)"
    return write_official_form(rows, out, period=q, units=ds.units, sections=several, title=title,
                               layout=None)  # Biểu 06 when only the sums are known
