"""Counts and amounts are bounded where they are read (paranalysis.limits): any text in a
count cell of a tidy CSV or Parquet file is either a whole number from 0 to MAX_COUNT, kept
exactly, or a DataError naming file, row, column and value; sums of accepted counts stay
exact in int64. Property tests (hypothesis) plus the probes of issue 12."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paranalysis import limits
from paranalysis.errors import DataError
from paranalysis.tables import read_table

HEADER = ("unit_code,period,carried_over,received_online,received_direct,received_postal,resolved_early,"
          "resolved_on_time,resolved_late,pending_not_due,pending_overdue")


def _file(tmp: Path, value: str, suffix=".csv") -> Path:
    p = tmp / f"processing{suffix}"
    if "," in value and not value.startswith('"'):
        value = f'"{value}"'
    p.write_text(f"{HEADER}\n412,2024Q2,{value},5,20,1,10,12,2,10,2\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("value", [str(2**64), str(2**62), "1e18", "-1", "2.5", "1,000", "10000001", "0x10",
                                   "nan", "inf", " 12 3", "١٢"])
def test_implausible_counts_are_named_errors(tmp_path, value):
    with pytest.raises(DataError) as e:
        read_table([_file(tmp_path, value)], "processing")
    (p,) = e.value.problems
    assert (p.file.endswith("processing.csv"), p.row, p.column, p.value) == (True, 2, "carried_over", value)


@pytest.mark.parametrize("value,kept", [("0", 0), ("10000000", 10_000_000), ("7.0", 7), (" 42 ", 42), ("+3", 3)])
def test_plausible_counts_are_kept_exactly(tmp_path, value, kept):
    df = read_table([_file(tmp_path, value)], "processing")
    assert df["carried_over"].iloc[0] == kept


def _outcome(tmp_path: Path, text: str):
    try:
        return read_table([_file(tmp_path, text)], "processing")["carried_over"].iloc[0]
    except DataError as exc:
        return exc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.integers(min_value=-(2**70), max_value=2**70).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.text(alphabet="0123456789+-.,eE xX_", min_size=1, max_size=25)))
def test_any_count_text_is_a_bounded_int_or_a_named_error(tmp_path, text):
    text = text.replace('"', "")
    got = _outcome(tmp_path, text)
    if isinstance(got, DataError):
        assert all(p.row == 2 and p.column == "carried_over" for p in got.problems), got.problems
    else:
        assert 0 <= int(got) <= limits.MAX_COUNT
        assert int(got) == int(text.strip().split(".")[0])  # the number written, exactly


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=-(2**66), max_value=2**66))
def test_parquet_counts_are_bounded_too(tmp_path, n):
    row = {"unit_code": "412", "period": "2024Q2", "carried_over": n, "received_online": 5,
           "received_direct": 20, "received_postal": 1, "resolved_early": 10, "resolved_on_time": 12,
           "resolved_late": 2, "pending_not_due": 10, "pending_overdue": 2}
    p = tmp_path / "processing.parquet"
    df = pd.DataFrame([row])
    df["carried_over"] = df["carried_over"].astype(object).astype(str) if abs(n) >= 2**63 else df["carried_over"]
    df.to_parquet(p)
    try:
        got = read_table([p], "processing")["carried_over"].iloc[0]
    except DataError as exc:
        assert not 0 <= n <= limits.MAX_COUNT
        assert [(q.row, q.column) for q in exc.problems] == [(2, "carried_over")]
    else:
        assert 0 <= n <= limits.MAX_COUNT and int(got) == n


def test_sums_of_accepted_counts_cannot_overflow():
    """The worst case the bounds allow: every count column at its ceiling for every old
    commune (412 units + districts + agencies, say 1,000 units) over 100 years of quarters."""
    worst = limits.MAX_COUNT * 1_000 * 400 * 9
    assert worst < 2**53  # exact even in float64
    assert limits.MAX_AMOUNT_VND * 900_000 < 2**63


def test_investment_amount_beyond_the_ceiling_is_refused(tmp_path):
    p = tmp_path / "investments.csv"
    p.write_text("unit_code,date_in_operation,category,amount_vnd,source\n"
                 f"412,2024-03-01,one_stop_facility,{limits.MAX_AMOUNT_VND + 1},test\n"
                 "412,2024-03-01,one_stop_facility,1e12,test\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_table([p], "investments")
    got = [(q.row, q.column, q.value) for q in e.value.problems]
    assert got == [(2, "amount_vnd", str(limits.MAX_AMOUNT_VND + 1)), (3, "amount_vnd", "1e12")]


def test_100000_bad_rows_give_a_bounded_list_saying_how_many_more(tmp_path):
    p = tmp_path / "processing.csv"
    p.write_text(HEADER + "\n" + "412,2024Q2,-1,5,20,1,10,12,2,10,2\n" * 100_000,
                 encoding="utf-8")
    with pytest.raises(DataError) as e:
        read_table([p], "processing")
    probs = e.value.problems
    assert len(probs) == limits.MAX_PROBLEMS + 1
    assert "and 99800 more" in probs[-1].expected
