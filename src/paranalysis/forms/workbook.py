"""Opening a workbook (.xlsx/.xlsm through openpyxl, .xls through xlrd, .ods through
python-calamine)
into sparse sheets, with bounded work on hostile files.

Before a sheet is loaded, its size is checked from the file itself (limits.py): for .xlsx
and .ods the XML parts are streamed (never held whole) and the first cell beyond
``MAX_SHEET_ROWS`` x ``MAX_SHEET_COLS``, the cell count beyond ``MAX_SHEET_CELLS``, a text
longer than ``MAX_STRING_CHARS`` or a part larger than ``MAX_XLSX_PART_BYTES`` stops the read
with a DataError naming the file, sheet and cell. Only cells that hold a value make the used
range: formatted empty cells far away do not. An .xls (at most 65,536 x 256 cells by its
format) is read by xlrd row by row without padding (``ragged_rows``), then checked the same
way before it becomes a sheet.

Formulas: the value Excel saved with a formula is used. A formula saved without a value
(openpyxl and some generators write none) is evaluated when it is plain arithmetic (cell
references, numbers, ``SUM`` of ranges, ``+`` and ``-``); any other formula stays an
``Unevaluated`` cell, which the reader reports as such (never as a blank cell).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.formula.translate import Translator

from paranalysis import limits
from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.forms.messages import (E_CELL_BEYOND, E_PART_TOO_LARGE, E_STRING_TOO_LONG,
                                        E_TOO_MANY_CELLS, E_UNREADABLE)

SUFFIXES_OPENPYXL = {".xlsx", ".xlsm"}
SUFFIXES_XLRD = {".xls"}
SUFFIXES_CALAMINE = {".ods"}
SUFFIXES = SUFFIXES_OPENPYXL | SUFFIXES_XLRD | SUFFIXES_CALAMINE


@dataclass(frozen=True)
class Unevaluated:
    """A formula saved without its value that the reader does not evaluate."""

    formula: str

    def __str__(self) -> str:
        return f"={self.formula}"


@dataclass
class Sheet:
    """One worksheet, sparse: values by (row, column) 1-based, as Excel numbers them."""

    name: str
    cells: dict = field(default_factory=dict)  # (r, c) -> value (never None)
    formats: dict = field(default_factory=dict)  # (r, c) -> number format, when known
    origin: dict = field(default_factory=dict)  # (r, c) of a merged cell -> its top-left cell
    hidden_rows: set = field(default_factory=set)
    hidden_cols: set = field(default_factory=set)
    hidden: bool = False
    formats_known: bool = True  # False for .xls/.ods read through calamine (no number formats)
    evaluated: dict = field(default_factory=dict)  # (r, c) -> formula evaluated by the reader

    @property
    def n_rows(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c for _, c in self.cells), default=0)

    def value(self, r: int, c: int):
        return self.cells.get((r, c))

    def filled(self, r: int, c: int):
        """The value shown in a cell: a merged cell shows its top-left cell's value."""
        o = self.origin.get((r, c))
        return self.cells.get(o if o else (r, c))

    def rows(self) -> list[int]:
        return sorted({r for r, _ in self.cells})


# ----------------------------------------------------------------------------- bounds
def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")


def _split_ref(ref: str) -> tuple[int, int] | None:
    m = _REF.match(ref or "")
    return (int(m.group(2)), _col_index(m.group(1))) if m else None


def _letter(c: int) -> str:
    s = ""
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


class _Stop(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _stream(parser, fh) -> None:
    while True:
        block = fh.read(1 << 16)
        if not block:
            break
        parser.Parse(block, False)
    parser.Parse(b"", True)


def _beyond(file, sheet, r, c) -> Problem:
    return Problem(file, sheet, r, _letter(c) if c else None, None,
                   E_CELL_BEYOND.format(rows=limits.MAX_SHEET_ROWS, cols=limits.MAX_SHEET_COLS))


def _scan_shared_strings(zf: zipfile.ZipFile, name: str) -> set[int]:
    """Indices of shared strings longer than MAX_STRING_CHARS (streamed, never held)."""
    long: set[int] = set()
    state = {"i": -1, "n": 0, "depth": 0}

    def start(tag, attrs):
        if tag.endswith("si") and (tag == "si" or tag.endswith(":si")):
            state["i"] += 1
            state["n"] = 0

    def chars(data):
        state["n"] += len(data)
        if state["n"] > limits.MAX_STRING_CHARS:
            long.add(state["i"])

    p = expat.ParserCreate()
    p.StartElementHandler = start
    p.CharacterDataHandler = chars
    with zf.open(name) as fh:
        _stream(p, fh)
    return long


def _scan_xlsx_sheet(zf, part: str, file: str, sheet: str, long_strings: set[int]) -> dict:
    """Stream one worksheet part: check its bounds; return the formulas saved without a value."""
    formulas: dict = {}
    masters: dict = {}  # shared-formula index -> (master cell ref, formula text)
    pending: dict = {}  # (r, c) -> (shared index, cell ref): shared-formula cells without a value
    st = {"cells": 0, "rows": 0, "ref": None, "t": None, "has_v": False, "f": None, "in_f": False,
          "in_v": False, "v": "", "si": None}

    def start(tag, attrs):
        tag = tag.rsplit(":", 1)[-1]
        if tag == "c":
            st["cells"] += 1
            if st["cells"] > limits.MAX_SHEET_CELLS:
                raise _Stop(Problem(file, sheet, None, None, None, E_TOO_MANY_CELLS.format(n=limits.MAX_SHEET_CELLS)))
            st["ref"], st["t"], st["has_v"], st["f"], st["v"] = attrs.get("r"), attrs.get("t"), False, None, ""
        elif tag == "row":
            st["rows"] += 1
            if st["rows"] > limits.MAX_SHEET_CELLS:
                raise _Stop(Problem(file, sheet, None, None, None, E_TOO_MANY_CELLS.format(n=limits.MAX_SHEET_CELLS)))
        elif tag == "v":
            st["in_v"] = True
        elif tag == "f":
            st["in_f"] = True
            st["f"] = ""
            st["si"] = attrs.get("si") if attrs.get("t") == "shared" else None
        elif tag == "is":
            st["has_v"] = True

    def end(tag):
        tag = tag.rsplit(":", 1)[-1]
        if tag == "v":
            st["in_v"] = False
            if st["v"].strip() != "":
                st["has_v"] = True
        elif tag == "f":
            st["in_f"] = False
            if st["si"] is not None and st["f"].strip() and st["ref"]:
                masters.setdefault(st["si"], (st["ref"], st["f"]))
        elif tag == "c":
            has_f = st["f"] is not None
            if st["has_v"] or has_f:
                rc = _split_ref(st["ref"])
                if rc is not None:
                    r, c = rc
                    if r > limits.MAX_SHEET_ROWS or c > limits.MAX_SHEET_COLS:
                        raise _Stop(_beyond(file, sheet, r, c))
                    if st["t"] == "s" and st["has_v"]:
                        try:
                            if int(st["v"]) in long_strings:
                                raise _Stop(Problem(file, sheet, r, _letter(c), None,
                                                    E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)))
                        except ValueError:
                            pass
                    if has_f and not st["has_v"]:
                        if not st["f"].strip() and st["si"] is not None:
                            pending[(r, c)] = (st["si"], st["ref"])
                        else:
                            formulas[(r, c)] = st["f"] or "(shared formula)"

    def chars(data):
        if st["in_v"]:
            if len(st["v"]) > limits.MAX_STRING_CHARS:
                raise _Stop(Problem(file, sheet, None, st["ref"], None,
                                    E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)))
            st["v"] += data
        elif st["in_f"]:
            if len(st["f"]) > limits.MAX_CELL_TEXT:
                st["f"] = st["f"][: limits.MAX_CELL_TEXT]
            else:
                st["f"] += data
        elif st["t"] == "inlineStr":
            st["v"] += data[: limits.MAX_STRING_CHARS + 1]
            if len(st["v"]) > limits.MAX_STRING_CHARS:
                rc = _split_ref(st["ref"]) or (None, None)
                raise _Stop(Problem(file, sheet, rc[0], _letter(rc[1]) if rc[1] else None, None,
                                    E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)))

    p = expat.ParserCreate()
    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    with zf.open(part) as fh:
        _stream(p, fh)
    for rc, (si, ref) in pending.items():
        # openpyxl keeps only the master's text of a shared formula: translate it to this cell
        if si in masters:
            origin, text = masters[si]
            try:
                formulas[rc] = Translator("=" + text, origin=origin).translate_formula(ref).lstrip("=")
            except Exception:  # a formula the translator cannot shift: refused as it stands
                formulas[rc] = f"{text} (shared from {origin})"
        else:
            formulas[rc] = "(shared formula)"
    return formulas


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in workbook order."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {}
    for rel in rels:
        t = rel.get("Target", "")
        t = t.lstrip("/") if t.startswith("/") else str(PurePosixPath("xl") / t)
        target[rel.get("Id")] = t
    out = []
    for el in wb.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            if rid in target:
                out.append((el.get("name"), target[rid]))
    return out


def scan_xlsx(path: Path) -> dict[str, dict]:
    """Check an .xlsx file's bounds without loading it; formulas without values per sheet."""
    file = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError([Problem(file=file, value=f"{type(exc).__name__}: {exc}"[:200], expected=E_UNREADABLE)],
                        file=str(path)) from None
    with zf:
        for info in zf.infolist():
            if info.file_size > limits.MAX_XLSX_PART_BYTES:
                raise DataError([Problem(file=file, column=info.filename, value=info.file_size,
                                         expected=E_PART_TOO_LARGE.format(n=limits.MAX_XLSX_PART_BYTES))],
                                file=str(path))
        try:
            names = set(zf.namelist())
            long = _scan_shared_strings(zf, "xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else set()
            out = {}
            for sheet, part in _xlsx_sheet_parts(zf):
                if part in names:
                    out[sheet] = _scan_xlsx_sheet(zf, part, file, sheet, long)
            if long:  # not in any cell, but openpyxl would still read it whole
                raise _Stop(Problem(file, None, None, "xl/sharedStrings.xml", f"string #{min(long) + 1}",
                                    E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)))
            return out
        except _Stop as stop:
            raise DataError([stop.problem], file=str(path)) from None
        except Exception as exc:  # noqa: BLE001 - damaged zip/XML (zlib.error, ...): a problem of this file
            raise DataError([Problem(file=file, value=f"{type(exc).__name__}: {exc}"[:200], expected=E_UNREADABLE)],
                            file=str(path)) from None


def scan_ods(path: Path) -> dict[str, list]:
    """Check an .ods file's bounds (content.xml streamed; repeated empty rows/cells skipped);
    return the merged ranges of each sheet, ((r0, c0), (r1, c1)) 0-based."""
    file = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError([Problem(file=file, value=f"{type(exc).__name__}: {exc}"[:200], expected=E_UNREADABLE)],
                        file=str(path)) from None
    T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    st = {"sheet": None, "row": 0, "col": 0, "rrep": 1, "crep": 1, "has": False, "text": 0, "cells": 0,
          "in_cell": False}
    merges: dict[str, list] = {}

    def start(tag, attrs):
        if tag == T + " table":
            st["sheet"], st["row"] = attrs.get(T + " name"), 0
            merges[st["sheet"]] = []
        elif tag == T + " table-row":
            st["rrep"] = int(attrs.get(T + " number-rows-repeated", "1"))
            st["col"] = 0
        elif tag in (T + " table-cell", T + " covered-table-cell"):
            st["crep"] = int(attrs.get(T + " number-columns-repeated", "1"))
            st["has"] = (O + " value-type") in attrs
            st["text"] = 0
            st["in_cell"] = True
            nr = int(attrs.get(T + " number-rows-spanned", "1"))
            nc = int(attrs.get(T + " number-columns-spanned", "1"))
            if (nr > 1 or nc > 1) and nr * nc <= limits.MAX_SHEET_CELLS and len(merges[st["sheet"]]) < 10_000:
                r0, c0 = st["row"], st["col"]
                merges[st["sheet"]].append(((r0, c0), (r0 + nr - 1, c0 + nc - 1)))

    def chars(data):
        if st["in_cell"]:
            st["text"] += len(data)
            st["has"] = True
            if st["text"] > limits.MAX_STRING_CHARS:
                raise _Stop(Problem(file, st["sheet"], st["row"] + 1, _letter(st["col"] + 1), None,
                                    E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)))

    def end(tag):
        if tag in (T + " table-cell", T + " covered-table-cell"):
            st["in_cell"] = False
            if st["has"]:
                r, c = st["row"] + 1, st["col"] + st["crep"]
                last_r = st["row"] + st["rrep"]
                if last_r > limits.MAX_SHEET_ROWS or c > limits.MAX_SHEET_COLS:
                    raise _Stop(_beyond(file, st["sheet"], min(last_r, 10**7), min(c, 10**5)))
                st["cells"] += st["crep"] * st["rrep"]
                if st["cells"] > limits.MAX_SHEET_CELLS:
                    raise _Stop(Problem(file, st["sheet"], r, None, None,
                                        E_TOO_MANY_CELLS.format(n=limits.MAX_SHEET_CELLS)))
            st["col"] += st["crep"]
        elif tag == T + " table-row":
            st["row"] += st["rrep"]

    with zf:
        try:
            for info in zf.infolist():
                if info.file_size > limits.MAX_XLSX_PART_BYTES:
                    raise _Stop(Problem(file=file, column=info.filename, value=info.file_size,
                                        expected=E_PART_TOO_LARGE.format(n=limits.MAX_XLSX_PART_BYTES)))
            p = expat.ParserCreate(namespace_separator=" ")
            p.StartElementHandler = start
            p.EndElementHandler = end
            p.CharacterDataHandler = chars
            with zf.open("content.xml") as fh:
                _stream(p, fh)
            return merges
        except _Stop as stop:
            raise DataError([stop.problem], file=str(path)) from None
        except Exception as exc:  # noqa: BLE001 - damaged zip/XML: a problem of this file
            raise DataError([Problem(file=file, value=f"{type(exc).__name__}: {exc}"[:200], expected=E_UNREADABLE)],
                            file=str(path)) from None


# ----------------------------------------------------------------------------- formulas
_TOKEN = re.compile(r"\s*(?:(?P<sum>SUM)\s*\(|(?P<range>\$?[A-Z]{1,3}\$?\d{1,7}:\$?[A-Z]{1,3}\$?\d{1,7})|"
                    r"(?P<ref>\$?[A-Z]{1,3}\$?\d{1,7})|(?P<num>\d+(?:\.\d+)?)|(?P<op>[-+(),;]))", re.I)


def _tokens(formula: str):
    pos, out = 0, []
    s = formula.strip().lstrip("=")
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            if s[pos:].strip() == "":
                break
            return None
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _ref_rc(ref: str) -> tuple[int, int]:
    m = re.match(r"\$?([A-Z]{1,3})\$?(\d{1,7})", ref.upper())
    return int(m.group(2)), _col_index(m.group(1))


def evaluate_formulas(sheet: Sheet, formulas: dict) -> None:
    """Put the value of each plain-arithmetic formula (refs, numbers, SUM, + and -) into the
    sheet; other formulas become ``Unevaluated`` cells."""
    memo: dict = {}

    def value_of(rc, depth):
        if rc in formulas:
            return evaluate(rc, depth + 1)
        v = sheet.cells.get(rc)
        if v is None:
            return 0
        if isinstance(v, bool):
            raise ValueError
        if isinstance(v, (int, float)):
            return v
        if isinstance(v, str) and re.fullmatch(r"\d{1,3}(?:\.\d{3})+|\d+", v.strip()):
            return int(v.strip().replace(".", ""))
        raise ValueError

    def evaluate(rc, depth=0):
        if rc in memo:
            if memo[rc] is _BUSY:
                raise ValueError
            return memo[rc]
        if depth > 50:
            raise ValueError
        memo[rc] = _BUSY
        toks = _tokens(formulas[rc])
        if toks is None:
            raise ValueError
        pos = [0]

        def peek():
            return toks[pos[0]] if pos[0] < len(toks) else (None, None)

        def take():
            t = peek()
            pos[0] += 1
            return t

        def term():
            kind, text = take()
            if kind == "op" and text in "+-":
                v = term()
                return -v if text == "-" else v
            if kind == "num":
                return float(text) if "." in text else int(text)
            if kind == "ref":
                return value_of(_ref_rc(text), depth)
            if kind == "op" and text == "(":
                v = expr()
                if take() != ("op", ")"):
                    raise ValueError
                return v
            if kind == "sum":
                total = 0
                while True:
                    k, t = peek()
                    if k == "range":
                        take()
                        a, b = t.split(":")
                        (r1, c1), (r2, c2) = _ref_rc(a), _ref_rc(b)
                        if (abs(r2 - r1) + 1) * (abs(c2 - c1) + 1) > limits.MAX_SHEET_CELLS:
                            raise ValueError
                        for r in range(min(r1, r2), max(r1, r2) + 1):
                            for c in range(min(c1, c2), max(c1, c2) + 1):
                                total += value_of((r, c), depth)
                    else:
                        total += expr()
                    k, t = take()
                    if (k, t) == ("op", ")"):
                        return total
                    if (k, t) not in (("op", ","), ("op", ";")):
                        raise ValueError
            raise ValueError

        def expr():
            v = term()
            while peek()[0] == "op" and peek()[1] in "+-":
                _, op = take()
                w = term()
                v = v + w if op == "+" else v - w
            return v

        v = expr()
        if pos[0] != len(toks):
            raise ValueError
        memo[rc] = v
        return v

    for rc, f in formulas.items():
        try:
            v = evaluate(rc)
            sheet.cells[rc] = v
            sheet.evaluated[rc] = f
        except (ValueError, TypeError, RecursionError):
            memo[rc] = None
            sheet.cells[rc] = Unevaluated(f)


_BUSY = object()


# ----------------------------------------------------------------------------- loading
def _unreadable(path: Path, exc: Exception) -> DataError:
    return DataError([Problem(file=path.name, value=f"{type(exc).__name__}: {exc}"[:200], expected=E_UNREADABLE)],
                     file=str(path))


def _cut(v):
    if isinstance(v, str) and len(v) > limits.MAX_CELL_TEXT:
        return v[: limits.MAX_CELL_TEXT] + "…"
    return v


def _load_openpyxl(path: Path) -> list[Sheet]:
    import openpyxl

    formulas = scan_xlsx(path)
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is a data problem of this file
        raise _unreadable(path, exc) from None
    sheets = []
    for ws in wb.worksheets:
        sh = Sheet(ws.title, hidden=ws.sheet_state != "visible")
        for (r, c), cell in ws._cells.items():  # sparse: only cells that exist in the file
            v = cell.value
            if v is None or r > limits.MAX_SHEET_ROWS or c > limits.MAX_SHEET_COLS:
                continue
            sh.cells[(r, c)] = _cut(v)
            if isinstance(v, (int, float)) and cell.has_style and cell.number_format != "General":
                sh.formats[(r, c)] = cell.number_format  # percentages: "0.00%"
        for rng in ws.merged_cells.ranges:
            r2, c2 = min(rng.max_row, limits.MAX_SHEET_ROWS), min(rng.max_col, limits.MAX_SHEET_COLS)
            if (r2 - rng.min_row + 1) * (c2 - rng.min_col + 1) > limits.MAX_SHEET_CELLS:
                continue
            for r in range(rng.min_row, r2 + 1):
                for c in range(rng.min_col, c2 + 1):
                    if (r, c) != (rng.min_row, rng.min_col):
                        sh.origin[(r, c)] = (rng.min_row, rng.min_col)
        for r, dim in ws.row_dimensions.items():
            if dim.hidden and r <= limits.MAX_SHEET_ROWS:
                sh.hidden_rows.add(r)
        for key, dim in ws.column_dimensions.items():
            if dim.hidden and dim.min and dim.max:
                for c in range(dim.min, min(dim.max, limits.MAX_SHEET_COLS) + 1):
                    sh.hidden_cols.add(c)
        f = formulas.get(ws.title) or {}
        if f:
            evaluate_formulas(sh, f)
        sheets.append(sh)
    return sheets


def _load_calamine(path: Path) -> list[Sheet]:
    import python_calamine as pc

    ods_merges = scan_ods(path)  # bounds first: calamine holds a sheet's whole range in memory
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(path, exc) from None
    sheets = []
    visible = {m.name: str(m.visible).lower().endswith("visible") for m in wb.sheets_metadata}
    for name in wb.sheet_names:
        try:
            ws = wb.get_sheet_by_name(name)
        except Exception as exc:  # noqa: BLE001
            raise _unreadable(path, exc) from None
        start = ws.start or (0, 0)
        h, w = ws.height, ws.width
        if start[0] + h > limits.MAX_SHEET_ROWS or start[1] + w > limits.MAX_SHEET_COLS:
            raise DataError([_beyond(path.name, name, start[0] + h, start[1] + w)], file=str(path))
        if h * w > limits.MAX_SHEET_CELLS:
            raise DataError([Problem(path.name, name, None, None, None,
                                     E_TOO_MANY_CELLS.format(n=limits.MAX_SHEET_CELLS))], file=str(path))
        sh = Sheet(name, hidden=not visible.get(name, True), formats_known=False)
        for i, row in enumerate(ws.iter_rows()):
            for j, v in enumerate(row):
                if v is None or (isinstance(v, str) and v == ""):
                    continue
                if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
                    v = int(v)
                sh.cells[(start[0] + i + 1, start[1] + j + 1)] = _cut(v)
        for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or ods_merges.get(name) or []):
            if (r1 - r0 + 1) * (c1 - c0 + 1) > limits.MAX_SHEET_CELLS:
                continue
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        sh.origin[(r + 1, c + 1)] = (r0 + 1, c0 + 1)
        sheets.append(sh)
    return sheets


def _load_xlrd(path: Path) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, ragged_rows=True, on_demand=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is a data problem of this file
        raise _unreadable(path, exc) from None
    sheets = []
    empty = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
    try:
        for i in range(book.nsheets):
            ws = book.sheet_by_index(i)
            sh = Sheet(ws.name, hidden=bool(ws.visibility))
            n = 0
            for r in range(ws.nrows):
                types = ws.row_types(r)
                for c, t in enumerate(types):
                    if t in empty:
                        continue
                    if r + 1 > limits.MAX_SHEET_ROWS or c + 1 > limits.MAX_SHEET_COLS:
                        raise DataError([_beyond(path.name, ws.name, r + 1, c + 1)], file=str(path))
                    n += 1
                    if n > limits.MAX_SHEET_CELLS:
                        raise DataError([Problem(path.name, ws.name, r + 1, None, None,
                                                 E_TOO_MANY_CELLS.format(n=limits.MAX_SHEET_CELLS))], file=str(path))
                    cell = ws.cell(r, c)
                    v = cell.value
                    if t == xlrd.XL_CELL_NUMBER:
                        v = int(v) if float(v).is_integer() and abs(v) < 2**53 else v
                        fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key)
                        if fmt is not None and fmt.format_str not in ("General", ""):
                            sh.formats[(r + 1, c + 1)] = fmt.format_str
                    elif t == xlrd.XL_CELL_DATE:
                        try:
                            v = xlrd.xldate_as_datetime(v, book.datemode)
                        except (ValueError, OverflowError):
                            pass
                    elif t == xlrd.XL_CELL_BOOLEAN:
                        v = bool(v)
                    elif t == xlrd.XL_CELL_ERROR:
                        v = Unevaluated(xlrd.error_text_from_code.get(v, "#ERROR"))
                    sh.cells[(r + 1, c + 1)] = _cut(v)
            for r0, r1, c0, c1 in ws.merged_cells:  # half-open ranges
                if (r1 - r0) * (c1 - c0) > limits.MAX_SHEET_CELLS:
                    continue
                for r in range(r0, min(r1, limits.MAX_SHEET_ROWS)):
                    for c in range(c0, min(c1, limits.MAX_SHEET_COLS)):
                        if (r, c) != (r0, c0):
                            sh.origin[(r + 1, c + 1)] = (r0 + 1, c0 + 1)
            sh.hidden_rows = {r + 1 for r, info in ws.rowinfo_map.items() if info.hidden}
            sh.hidden_cols = {c + 1 for c, info in ws.colinfo_map.items() if info.hidden}
            sheets.append(sh)
            book.unload_sheet(i)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(path, exc) from None
    return sheets


def load_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook as a sparse ``Sheet`` (bounds checked first)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise DataError([Problem(file=path.name, value=Message("problem.value.a_folder"), expected=E_UNREADABLE)], file=str(path))
    if path.stat().st_size > limits.MAX_FILE_BYTES:
        raise DataError([Problem(file=path.name, value=path.stat().st_size,
                                 expected=E_PART_TOO_LARGE.format(n=limits.MAX_FILE_BYTES))], file=str(path))
    if suffix in SUFFIXES_XLRD:
        return _load_xlrd(path)
    if suffix in SUFFIXES_CALAMINE:
        return _load_calamine(path)
    return _load_openpyxl(path)
