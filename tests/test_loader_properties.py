"""Property tests (hypothesis): corrupting a valid input, an official form (.xlsx) or a
tidy processing CSV, always gives ``DataError`` and never another exception.

Two kinds of property:
- invalidating corruptions (a count made negative, fractional, textual, a date or blank;
  a count changed so that a printed total no longer adds up; an unknown unit name; a
  header label removed; bytes truncated) must raise DataError;
- arbitrary corruptions (any cell set to any value, random bytes) must either load or
  raise DataError, never anything else.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
from pathlib import Path

import numpy as np
import openpyxl
from openpyxl.cell.cell import MergedCell
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paranalysis
from paranalysis import DataError
from paranalysis import forms as of
from paranalysis.schemas import COUNT_COLUMNS
from paranalysis.units import UnitMatcher, package_units

UNITS = ["412", "415", "417", "425", "429"]
SETTINGS = settings(max_examples=int(os.environ.get("PARANALYSIS_HYPOTHESIS_EXAMPLES", "30")), deadline=None, derandomize=not os.environ.get("PARANALYSIS_HYPOTHESIS_EXAMPLES"), suppress_health_check=[HealthCheck.function_scoped_fixture])


def valid_rows() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = len(UNITS)
    df = pd.DataFrame({"unit_code": UNITS, "period": pd.PeriodIndex(["2024Q2"] * n, freq="Q-DEC")})
    for c in COUNT_COLUMNS:
        df[c] = pd.array(rng.integers(0, 20000, n), dtype="Int64")
    return df


class Blob(bytes):
    """Workbook bytes with a short repr (hypothesis prints the arguments of a failing case)."""

    def __repr__(self) -> str:
        return f"<workbook, {len(self)} bytes>"


@pytest.fixture(scope="module")
def form_bytes(tmp_path_factory) -> bytes:
    p = tmp_path_factory.mktemp("form") / "f.xlsx"
    of.write_official_form(valid_rows(), p, period="2024Q2", text_numbers=True)
    return Blob(p.read_bytes())


@pytest.fixture(scope="module")
def layout(form_bytes):
    """Rows of the unit lines, the count columns, header rows, of the written form."""
    ws = openpyxl.load_workbook(io.BytesIO(form_bytes)).active
    unit_rows = [c.row for c in ws["B"] if isinstance(c.value, str) and c.value.startswith(("TP", "H."))]
    total_row = next(c.row for c in ws["B"] if c.value == "Tổng cộng")
    count_cols = list(range(3, 15))  # C..N: counts and printed totals
    return {"unit_rows": unit_rows, "total_row": total_row, "count_cols": count_cols,
            "header_rows": [8, 9, 10], "max_col": ws.max_column, "max_row": ws.max_row}


def load_form(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        return paranalysis.load_processing(path)


def write_variant(tmp_path: Path, form_bytes: bytes, edits: dict) -> Path:
    wb = openpyxl.load_workbook(io.BytesIO(form_bytes))
    ws = wb.active
    for (r, c), v in edits.items():
        cell = ws.cell(r, c)
        if not isinstance(cell, MergedCell):  # covered by a merged range: not editable
            cell.value = v
    p = tmp_path / "corrupt.xlsx"
    wb.save(p)
    return p


# characters a worksheet cell can hold (XML 1.0: no control characters, no surrogates)
CELL_CHARS = st.characters(blacklist_categories=("Cc", "Cs"))
bad_count = st.one_of(
    st.integers(max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not np.isfinite(x)),
    st.text(alphabet=CELL_CHARS, min_size=1).filter(lambda s: not s.strip().replace(".", "").isdigit()),
    st.just(None), st.just(""), st.just("-"), st.booleans(),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
_matcher = UnitMatcher(package_units())


def _unknown(name: str) -> bool:
    return not name.strip() or not _matcher.candidates(name)


@SETTINGS
@given(data=st.data())
def test_form_invalid_count_cell_always_dataerror(tmp_path, form_bytes, layout, data):
    r = data.draw(st.sampled_from(layout["unit_rows"] + [layout["total_row"]]))
    c = data.draw(st.sampled_from(layout["count_cols"]))
    v = data.draw(bad_count)
    p = write_variant(tmp_path, form_bytes, {(r, c): v})
    with pytest.raises(DataError):
        load_form(p)


@SETTINGS
@given(data=st.data())
def test_form_changed_count_breaks_an_identity_or_total(tmp_path, form_bytes, layout, data):
    wb = openpyxl.load_workbook(io.BytesIO(form_bytes))
    r = data.draw(st.sampled_from(layout["unit_rows"] + [layout["total_row"]]))
    c = data.draw(st.sampled_from(layout["count_cols"]))
    old = int(str(wb.active.cell(r, c).value).replace(".", ""))
    new = data.draw(st.integers(min_value=0, max_value=10**9).filter(lambda x: x != old))
    as_text = data.draw(st.booleans())
    p = write_variant(tmp_path, form_bytes, {(r, c): f"{new:,}".replace(",", ".") if as_text else new})
    with pytest.raises(DataError):
        load_form(p)


@SETTINGS
@given(data=st.data())
def test_form_unknown_unit_name_always_dataerror(tmp_path, form_bytes, layout, data):
    r = data.draw(st.sampled_from(layout["unit_rows"]))
    name = data.draw(st.text(alphabet=CELL_CHARS, min_size=1, max_size=30).filter(_unknown))
    p = write_variant(tmp_path, form_bytes, {(r, 2): name})
    with pytest.raises(DataError):
        load_form(p)


@SETTINGS
@given(data=st.data())
def test_form_header_label_removed_always_dataerror(tmp_path, form_bytes, layout, data):
    wb = openpyxl.load_workbook(io.BytesIO(form_bytes))
    ws = wb.active
    labelled = [(r, c) for r in layout["header_rows"] for c in range(1, layout["max_col"] + 1)
                if ws.cell(r, c).value is not None]
    r, c = data.draw(st.sampled_from(labelled))
    p = write_variant(tmp_path, form_bytes, {(r, c): data.draw(st.sampled_from([None, "", "Cột mới"]))})
    with pytest.raises(DataError):
        load_form(p)


@SETTINGS
@given(cut=st.integers(min_value=0, max_value=10**6))
def test_form_truncated_bytes_always_dataerror(tmp_path, form_bytes, cut):
    p = tmp_path / "cut.xlsx"
    p.write_bytes(form_bytes[: cut % (len(form_bytes) - 1)])
    with pytest.raises(DataError):
        load_form(p)


any_value = st.one_of(st.none(), st.integers(-10**15, 10**15), st.floats(), st.text(alphabet=CELL_CHARS, max_size=40),
                      st.booleans(),
                      st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)))


@SETTINGS
@given(data=st.data())
def test_form_any_cell_edit_loads_or_raises_dataerror(tmp_path, form_bytes, layout, data):
    edits = {}
    for _ in range(data.draw(st.integers(1, 4))):
        r = data.draw(st.integers(1, layout["max_row"] + 2))
        c = data.draw(st.integers(1, layout["max_col"] + 2))
        edits[(r, c)] = data.draw(any_value)
    p = write_variant(tmp_path, form_bytes, edits)
    try:
        out = load_form(p)
    except DataError:
        return
    assert set(out["unit_code"]) <= set(UNITS) | set(package_units()["unit_code"])


@SETTINGS
@given(data=st.data())
def test_form_random_bytes_loads_or_raises_dataerror(tmp_path, form_bytes, data):
    b = bytearray(form_bytes)
    for _ in range(data.draw(st.integers(1, 20))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.integers(0, 255))
    p = tmp_path / "bytes.xlsx"
    p.write_bytes(bytes(b))
    try:
        load_form(p)
    except DataError:
        pass


# ----------------------------------------------------------------------------- tidy CSV
@pytest.fixture(scope="module")
def csv_text() -> str:
    df = valid_rows()
    df["period"] = df["period"].astype(str)
    return df.to_csv(index=False)


def _csv(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "processing.csv"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


bad_csv_value = st.one_of(
    st.integers(max_value=-1).map(str),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)).map(repr),
    st.text(alphabet=st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), min_size=1)
    .filter(lambda s: not _is_number(s)),
)


def _is_number(s: str) -> bool:
    try:
        float(s.strip())
        return True
    except ValueError:
        return False


@SETTINGS
@given(data=st.data())
def test_csv_invalid_count_always_dataerror(tmp_path, csv_text, data):
    df = pd.read_csv(io.StringIO(csv_text), dtype=str)
    i = data.draw(st.integers(0, len(df) - 1))
    c = data.draw(st.sampled_from(COUNT_COLUMNS))
    df.loc[i, c] = data.draw(st.one_of(bad_csv_value, st.just("")))
    with pytest.raises(DataError):
        paranalysis.load_processing(_csv(tmp_path, df.to_csv(index=False)))


@SETTINGS
@given(data=st.data())
def test_csv_structural_corruption_always_dataerror(tmp_path, csv_text, data):
    df = pd.read_csv(io.StringIO(csv_text), dtype=str)
    kind = data.draw(st.sampled_from(["drop_column", "rename_column", "duplicate_row", "bad_period",
                                      "blank_key", "extra_column"]))
    if kind == "drop_column":
        df = df.drop(columns=data.draw(st.sampled_from(["unit_code", "period", *COUNT_COLUMNS])))
    elif kind == "rename_column":
        c = data.draw(st.sampled_from(["unit_code", "period", *COUNT_COLUMNS]))
        df = df.rename(columns={c: c + "_x"})
    elif kind == "duplicate_row":
        df = pd.concat([df, df.iloc[[data.draw(st.integers(0, len(df) - 1))]]])
    elif kind == "bad_period":
        df.loc[data.draw(st.integers(0, len(df) - 1)), "period"] = data.draw(
            st.sampled_from(["2024Q5", "Q2", "24Q2", "2024-13", "abc"]))
    elif kind == "blank_key":
        df.loc[data.draw(st.integers(0, len(df) - 1)), data.draw(st.sampled_from(["unit_code", "period"]))] = ""
    else:
        df["col_" + data.draw(st.text(alphabet="abcxyz", min_size=1, max_size=5))] = "1"
    with pytest.raises(DataError):
        paranalysis.load_processing(_csv(tmp_path, df.to_csv(index=False)))


@SETTINGS
@given(data=st.data())
def test_csv_random_bytes_load_or_raise_dataerror(tmp_path, csv_text, data):
    b = bytearray(csv_text.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 10))):
        i = data.draw(st.integers(0, len(b) - 1))
        b[i] = data.draw(st.integers(0, 255))
    try:
        paranalysis.load_processing(_csv(tmp_path, bytes(b)))
    except DataError:
        pass


def test_csv_unchanged_loads(tmp_path, csv_text):
    out = paranalysis.load_processing(_csv(tmp_path, csv_text))
    assert out["carried_over"].tolist() == valid_rows()["carried_over"].tolist()
