"""Bounded work on hostile workbooks (issue 12, items 5 and 6): each probe is a small file
built here by writing the XML parts of an .xlsx directly; each must end in a DataError
naming the file, sheet and cell (never MemoryError, a long run or an internal error).
Time and memory of the full-size probes: benchmarks/hostile_workbooks.py."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

import paranalysis
from paranalysis import DataError, limits
from paranalysis import forms as of

sys.path.insert(0, str(Path(__file__).parent))
from xlsx_parts import simple_form_rows, write_xlsx  # noqa: E402

UNITS = [("TP Vinh", [10, 20, 30, 4, 25, 30, 5, 3, 1]), ("H. Quế Phong", [1, 2, 3, 4, 5, 2, 1, 1, 1])]


def errors(path, **kw) -> DataError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DataError) as ei:
            paranalysis.load_processing(path, **kw)
    return ei.value


def test_the_builder_makes_a_readable_form(tmp_path):
    df = paranalysis.load_processing(write_xlsx(tmp_path / "ok.xlsx", simple_form_rows(UNITS)))
    assert df["received_online"].tolist() == [20, 2] and df["unit_code"].tolist() == ["412", "415"]


@pytest.mark.parametrize("ref, row, col", [("XFD1048576", 1048576, "XFD"), ("A1048576", 1048576, "A"),
                                           ("GS5", 5, "GS")])
def test_a_value_beyond_the_sheet_bounds_is_refused_unloaded(tmp_path, ref, row, col):
    far = f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>'
    p = write_xlsx(tmp_path / "far.xlsx", simple_form_rows(UNITS), extra_rows_xml=far)
    (prob,) = errors(p).problems
    assert prob.expected == of.E_CELL_BEYOND.format(rows=limits.MAX_SHEET_ROWS, cols=limits.MAX_SHEET_COLS)
    assert (prob.file, prob.sheet, prob.row, prob.column) == ("far.xlsx", "Biểu", row, col)


def test_formatted_empty_cells_far_away_do_not_count(tmp_path):
    """Real exports carry styled empty cells to the sheet's edge: not values, not refused."""
    styled = '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    df = paranalysis.load_processing(write_xlsx(tmp_path / "styled.xlsx", simple_form_rows(UNITS),
                                                extra_rows_xml=styled))
    assert len(df) == 2


def test_too_many_cells_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 40)
    (prob,) = errors(write_xlsx(tmp_path / "many.xlsx", simple_form_rows(UNITS * 3))).problems
    assert prob.expected == of.E_TOO_MANY_CELLS.format(n=40) and prob.sheet == "Biểu"


def test_a_string_longer_than_excel_allows_is_refused_naming_its_cell(tmp_path):
    rows = simple_form_rows(UNITS)
    huge = "x" * (limits.MAX_STRING_CHARS + 1)
    cells = f'<row r="30"><c r="B30" t="s"><v>0</v></c></row>'
    p = write_xlsx(tmp_path / "long.xlsx", rows, extra_rows_xml=cells, shared=[huge])
    (prob,) = errors(p).problems
    assert prob.expected == of.E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS)
    assert (prob.sheet, prob.row, prob.column) == ("Biểu", 30, "B")
    # an inline string too
    p = write_xlsx(tmp_path / "inline.xlsx", {**rows, 30: {2: huge}})
    (prob,) = errors(p).problems
    assert prob.expected == of.E_STRING_TOO_LONG.format(n=limits.MAX_STRING_CHARS) and prob.row == 30


def test_an_oversized_part_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_XLSX_PART_BYTES", 2000)
    (prob,) = errors(write_xlsx(tmp_path / "big.xlsx", simple_form_rows(UNITS * 10))).problems
    assert prob.expected == of.E_PART_TOO_LARGE.format(n=2000) and prob.column == "xl/worksheets/sheet1.xml"


def test_text_longer_than_max_cell_text_is_cut_in_messages(tmp_path):
    long_name = "Tên " * 2000  # 8,000 characters, under Excel's limit
    (prob,) = errors(write_xlsx(tmp_path / "name.xlsx", simple_form_rows([(long_name, UNITS[0][1])]))).problems
    assert prob.expected.startswith("a unit known to the units table")
    assert len(prob.value) <= limits.MAX_CELL_TEXT + 1


def test_problems_stop_at_the_bound_and_say_how_many_more(tmp_path):
    n = 3 * limits.MAX_PROBLEMS
    bad = [(f"Đơn vị không có {i}", [1] * 9) for i in range(n)]
    err = errors(write_xlsx(tmp_path / "bad.xlsx", simple_form_rows(bad)))
    assert len(err.problems) == limits.MAX_PROBLEMS + 1
    last = err.problems[-1]
    assert last.expected == of.E_MORE_PROBLEMS.format(n=n - limits.MAX_PROBLEMS, limit=limits.MAX_PROBLEMS)


@pytest.mark.parametrize("value", [2**64, 2**62, limits.MAX_COUNT + 1, "18.446.744.073.709.551.616",
                                   "1" * 40, 1.8e19])
def test_a_count_above_max_count_names_its_cell(tmp_path, value):
    counts = list(UNITS[0][1])
    counts[1] = value  # received online of TP Vinh
    p = write_xlsx(tmp_path / "huge.xlsx", simple_form_rows([("TP Vinh", counts), UNITS[1]]))
    probs = [q for q in errors(p).problems if q.row == 6 and q.column.startswith("D ")]
    assert len(probs) == 1
    assert probs[0].expected == of.E_TOO_LARGE.format(n=f"{limits.MAX_COUNT:,}")
    assert (probs[0].file, probs[0].sheet) == ("huge.xlsx", "Biểu")


def test_max_count_itself_is_accepted(tmp_path):
    counts = list(UNITS[0][1])
    counts[1] = limits.MAX_COUNT
    df = paranalysis.load_processing(write_xlsx(tmp_path / "max.xlsx", simple_form_rows([("TP Vinh", counts)])))
    assert df["received_online"].tolist() == [limits.MAX_COUNT]


def test_not_a_zip_and_a_folder_are_named_errors(tmp_path):
    p = tmp_path / "fake.xlsx"
    p.write_bytes(b"PK\x03\x04 not really")
    (prob,) = errors(p).problems
    assert prob.expected == of.E_UNREADABLE
    d = tmp_path / "folder.xlsx"
    d.mkdir()
    assert errors(d).problems[0].value == "a folder"


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_xls_and_ods_with_a_value_at_the_last_cell_are_refused(suffix):
    """Made by LibreOffice from an openpyxl file with one value at IV65536 (tests/data/README.md):
    calamine would hold the whole 65,536 x 256 range (1.2 GB for the .xls); the bound comes first."""
    p = Path(__file__).parent / "data" / "forms" / f"far_IV65536.{suffix}"
    (prob,) = errors(p).problems
    assert prob.expected == of.E_CELL_BEYOND.format(rows=limits.MAX_SHEET_ROWS, cols=limits.MAX_SHEET_COLS)
    assert prob.file == p.name and prob.sheet and prob.row == 65536
