"""Building small .xlsx files by writing their XML parts directly (for hostile-file tests:
a cell at XFD1048576, a huge string, 2**64 as a count), without any spreadsheet library."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
      '</Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
      '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
           '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
           '</Relationships>')


def col_letter(c: int) -> str:
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def cell_xml(r: int, c: int, v) -> str:
    ref = f"{col_letter(c)}{r}"
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
    return f'<c r="{ref}"><v>{v}</v></c>'


def write_xlsx(path: Path, rows: dict[int, dict[int, object]] | None = None, *, sheet="Biểu", extra_rows_xml: str = "",
               shared: list[str] | None = None, shared_xml: str | None = None) -> Path:
    """A one-sheet workbook: ``rows`` = {row: {col: value}}; strings inline; ``extra_rows_xml``
    appended inside sheetData (for cells far away); ``shared`` strings for t="s" cells."""
    body = []
    for r in sorted(rows or {}):
        body.append(f'<row r="{r}">' + "".join(cell_xml(r, c, v) for c, v in sorted(rows[r].items())) + "</row>")
    sheet_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                 + "".join(body) + extra_rows_xml + "</sheetData></worksheet>")
    if shared_xml is None:
        shared = shared or []
        shared_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                      f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}">'
                      + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared) + "</sst>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WB.format(name=escape(sheet)))
        z.writestr("xl/_rels/workbook.xml.rels", WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        z.writestr("xl/sharedStrings.xml", shared_xml)
    return path


HEADER = ["STT", "Tên đơn vị", "Từ kỳ trước", "Trực tuyến", "Trực tiếp", "Dịch vụ bưu chính", "Trước hạn",
          "Đúng hạn", "Quá hạn", "Trong hạn", "Đang quá hạn"]


def simple_form_rows(units: list[tuple[str, list]], title="Quý II năm 2024") -> dict:
    """A minimal form: title, a two-row header, one row per (name, counts)."""
    rows = {1: {1: "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"}, 2: {1: title}}
    rows[4] = {1: "STT", 2: "Tên đơn vị", 3: "Nhận giải quyết", 4: "Trong kỳ", 5: "Trong kỳ",
               6: "Trong kỳ", 7: "Đã giải quyết", 8: "Đã giải quyết", 9: "Đã giải quyết",
               10: "Đang giải quyết", 11: "Đang giải quyết"}
    rows[5] = {3: "Từ kỳ trước", 4: "Trực tuyến", 5: "Trực tiếp", 6: "Dịch vụ bưu chính", 7: "Trước hạn",
               8: "Đúng hạn", 9: "Quá hạn", 10: "Trong hạn", 11: "Quá hạn"}
    for i, (name, counts) in enumerate(units):
        rows[6 + i] = {1: i + 1, 2: name, **{3 + j: v for j, v in enumerate(counts)}}
    return rows
