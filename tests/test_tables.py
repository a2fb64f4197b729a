"""Tidy-table loaders and schemas: reading CSV/Parquet, coercion, schema validation and
dataset folders. One test per error message, each checking where the problem is reported
(file, row, column) and the value found."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import DataError, load_dataset
from paranalysis.schemas import COUNT_COLUMNS, FACT_COLUMNS, PROCESSING_TABLE_COLUMNS
from paranalysis.tables import read_raw, read_table

HEADER = "unit_code,period," + ",".join(COUNT_COLUMNS)
ROW = "412,2024Q2,10,20,30,4,25,30,5,3,1"


def write(tmp_path: Path, text: str, name: str = "processing.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems(fn, *args, **kw):
    with pytest.raises(DataError) as ei:
        fn(*args, **kw)
    return ei.value.problems


def one(probs, expected: str):
    found = [p for p in probs if p.expected == expected or p.expected.startswith(expected + " ")]
    assert found, f"{expected!r} not among {[p.expected for p in probs]}"
    return found[0]


# ----------------------------------------------------------------------------- good paths
def test_processing_csv_types_and_values(tmp_path):
    df = read_table([write(tmp_path, f"{HEADER}\n{ROW}\n")], "processing")
    assert list(df.columns) == PROCESSING_TABLE_COLUMNS
    # combined columns absent from the file are the sums of their parts: 30 + 4, 25 + 30
    assert df["received_direct_postal"].iloc[0] == 34 and df["resolved_early_on_time"].iloc[0] == 55
    assert str(df["period"].iloc[0]) == "2024Q2" and df["period"].dtype == "period[Q-DEC]"
    assert df["carried_over"].dtype == "Int64" and df["resolved_late"].iloc[0] == 5
    assert df["returned_withdrawn"].isna().all() and not df["synthetic"].iloc[0]


def test_quarter_spellings(tmp_path):
    rows = "\n".join(ROW.replace("412,2024Q2", f"{u},{q}") for u, q in
                     [("412", "2024-Q2"), ("414", "Q2/2024"), ("415", "Quý II/2024")])
    df = read_table([write(tmp_path, f"{HEADER}\n{rows}\n")], "processing")
    assert df["period"].astype(str).tolist() == ["2024Q2"] * 3


def test_parquet_round_trip(tmp_path):
    df = read_table([write(tmp_path, f"{HEADER}\n{ROW}\n")], "processing")
    p = tmp_path / "processing.parquet"
    out = df.copy()
    out["period"] = out["period"].astype(str)
    out.to_parquet(p)
    back = paranalysis.load_processing(p)
    pd.testing.assert_frame_equal(back, df)


def test_load_processing_selects_period(tmp_path):
    p = write(tmp_path, f"{HEADER}\n{ROW}\n{ROW.replace('2024Q2', '2024Q3')}\n")
    assert paranalysis.load_processing(p, period="2024Q3")["period"].astype(str).tolist() == ["2024Q3"]


def test_bundled_dataset_loads_with_facts_and_labels():
    ds = load_dataset()
    assert list(ds.facts.columns) == FACT_COLUMNS and len(ds.facts) > 0
    assert ds.has_synthetic and "processing" in ds.synthetic_tables()
    assert ds.processing["synthetic"].all()
    assert not ds.facts.empty


def test_coverage_marks_missing_quarters(tmp_path):
    from paranalysis.overview import coverage

    rows = [ROW, ROW.replace("2024Q2", "2024Q4"), ROW.replace("412", "414")]
    df = read_table([write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")], "processing")
    cov = coverage(df)
    assert list(cov.columns) == ["2024Q2", "2024Q3", "2024Q4"]
    assert cov.loc["412", "2024Q2"] == 10 + 20 + 30 + 4  # carried over + received
    assert cov.loc["412"].isna().tolist() == [False, True, False]
    assert cov.loc["414"].isna().tolist() == [False, True, True]


# ----------------------------------------------------------------------------- one test per message
def test_error_not_csv_or_parquet(tmp_path):
    one(problems(read_raw, write(tmp_path, "x", "processing.txt")), "a .csv or .parquet file")


def test_error_not_utf8(tmp_path):
    p = tmp_path / "processing.csv"
    p.write_bytes((HEADER + "\n412,2024Q2,\xff\n").encode("latin-1"))
    pr = one(problems(read_raw, p), "UTF-8 text")
    assert (pr.row, pr.value) == (2, "byte 0xff at character 12 of the line")


@pytest.mark.parametrize("lines_before", [1, 400], ids=["early", "past-8KB"])
def test_cp1258_bytes_are_named_on_their_line(tmp_path, lines_before):
    """A Windows-1258 'Đ' (byte 0xD0) on line 2 + lines_before, also far past pandas' 8 KB buffer."""
    row = "412,2024Q2,10,5,20,1,10,12,2,10,2\n"
    p = tmp_path / "processing.csv"
    p.write_bytes((HEADER + "\n" + row * lines_before).encode() + ("Đ" + row).encode("cp1258"))
    pr = one(problems(read_raw, p), "UTF-8 text")
    assert (pr.row, pr.value) == (2 + lines_before, "byte 0xd0 at character 1 of the line")
    assert "cp1258" in pr.expected


def test_malformed_csv_lines_name_line_and_cause(tmp_path):
    row = "412,2024Q2,10,5,20,1,10,12,2,10,2"
    pr = one(problems(read_raw, write(tmp_path, f"{HEADER}\n{row}\n{row},9\n")), "11 fields,")
    assert (pr.row, pr.value) == (3, "12 fields")
    pr = one(problems(read_raw, write(tmp_path, f'{HEADER}\n{row}\n413,"2024Q2,1\n{row}\n')), "a well-formed CSV line")
    assert pr.row == 3 and pr.value == "unexpected end of data"


def test_error_empty_file(tmp_path):
    one(problems(read_raw, write(tmp_path, "")), "a header line naming the table's columns")


def test_error_unparseable_csv(tmp_path):
    one(problems(read_raw, write(tmp_path, f'{HEADER}\n"412,2024Q2,1,2\n')), "a well-formed CSV line")


def test_error_damaged_parquet(tmp_path):
    p = tmp_path / "processing.parquet"
    p.write_bytes(b"PAR1 not really parquet")
    one(problems(read_raw, p), "a readable parquet table")


@pytest.mark.parametrize("value", ["2.5", "abc", "1e999", "99999999999999999999"])
def test_error_whole_number(tmp_path, value):
    p = write(tmp_path, f"{HEADER}\n{ROW}\n" + ROW.replace("412,2024Q2,10", f"415,2024Q2,{value}") + "\n")
    pr = one(problems(read_table, [p], "processing"), "a whole number")
    assert (pr.row, pr.column, pr.value) == (3, "carried_over", value)


def test_error_number(tmp_path):
    p = write(tmp_path, "index,year,unit_code,rank,n_ranked,score,source\nPCI,2019,40,18,63,abc,VCCI\n",
              "rankings.csv")
    pr = one(problems(read_table, [p], "rankings"), "a number")
    assert (pr.row, pr.column, pr.value) == (2, "score", "abc")


def test_error_date(tmp_path):
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source\n426,13/2019,other,5,x\n",
              "investments.csv")
    pr = one(problems(read_table, [p], "investments"), "a date YYYY-MM-DD")
    assert (pr.row, pr.column) == (2, "date_in_operation")


def test_error_boolean(tmp_path):
    p = write(tmp_path, f"{HEADER},synthetic\n{ROW},maybe\n")
    pr = one(problems(read_table, [p], "processing"), "true or false")
    assert pr.value == "maybe"


def test_error_quarter(tmp_path):
    p = write(tmp_path, f"{HEADER}\n{ROW.replace('2024Q2', '2024Q5')}\n")
    pr = one(problems(read_table, [p], "processing"), "a quarter such as '2024Q2'")
    assert (pr.row, pr.column, pr.value) == (2, "period", "2024Q5")


def test_error_negative_count(tmp_path):
    p = write(tmp_path, f"{HEADER}\n{ROW.replace('412,2024Q2,10', '412,2024Q2,-10')}\n")
    pr = one(problems(read_table, [p], "processing"), "a whole number from 0 to 10,000,000")
    assert (pr.row, pr.column, pr.value) == (2, "carried_over", "-10")


def test_error_duplicate_unit_quarter(tmp_path):
    p = write(tmp_path, f"{HEADER}\n{ROW}\n{ROW}\n")
    probs = problems(read_table, [p], "processing")
    assert [(x.row, x.column) for x in probs] == [(2, "unit_code, period"), (3, "unit_code, period")]
    one(probs, "one row per key in the processing table (duplicate found)")


def test_error_duplicate_across_files(tmp_path):
    a = write(tmp_path, f"{HEADER}\n{ROW}\n", "processing_a.csv")
    b = write(tmp_path, f"{HEADER}\n{ROW}\n", "processing_b.csv")
    probs = problems(read_table, [a, b], "processing", root=tmp_path)
    assert {(x.file, x.row) for x in probs} == {("processing_a.csv", 2), ("processing_b.csv", 2)}


def test_error_missing_column(tmp_path):
    p = write(tmp_path, HEADER.replace(",pending_overdue", "") + "\n" + ROW.rsplit(",", 1)[0] + "\n")
    pr = one(problems(read_table, [p], "processing"), "this column, which the processing table requires")
    assert pr.column == "pending_overdue"


def test_error_missing_period_column(tmp_path):
    p = write(tmp_path, HEADER.replace("period,", "") + "\n" + ROW.replace("2024Q2,", "") + "\n")
    pr = one(problems(read_table, [p], "processing"), "this column, which the processing table requires")
    assert pr.column == "period"


def test_error_unknown_column(tmp_path):
    p = write(tmp_path, f"{HEADER},ghi_chu\n{ROW},x\n")
    pr = one(problems(read_table, [p], "processing"), "only the processing table's own columns (unknown column)")
    assert pr.column == "ghi_chu"


def test_error_empty_required_value(tmp_path):
    p = write(tmp_path, f"{HEADER}\n{ROW.replace(',25,', ',,')}\n")
    pr = one(problems(read_table, [p], "processing"), "a value (this column may not be empty)")
    assert (pr.row, pr.column) == (2, "resolved_early")


def test_error_satisfied_exceeds_ratings(tmp_path):
    p = write(tmp_path, f"{HEADER},ratings,satisfied\n{ROW},3,5\n")
    pr = one(problems(read_table, [p], "processing"), "satisfied ratings cannot exceed ratings")
    assert pr.row == 2


def test_error_category(tmp_path):
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source\n426,2019-12-31,camera,5,x\n",
              "investments.csv")
    pr = one(problems(read_table, [p], "investments"),
             "one of ['one_stop_facility', 'online_meeting_system', 'other']")
    assert pr.value == "camera"


def test_error_not_nfc(tmp_path):
    decomposed = "Ho\u0300a"  # "Hoà" with a combining grave accent
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source,description\n"
                        f"414,2019-12-31,other,5,x,{decomposed}\n", "investments.csv")
    one(problems(read_table, [p], "investments"), "text must be Unicode NFC")


def test_error_rank_exceeds_n_ranked(tmp_path):
    p = write(tmp_path, "index,year,unit_code,rank,n_ranked,source\nPCI,2020,40,70,63,x\n", "rankings.csv")
    pr = one(problems(read_table, [p], "rankings"), "rank must not exceed n_ranked")
    assert pr.row == 2


def test_error_dataset_folder_missing(tmp_path):
    one(problems(load_dataset, tmp_path / "nope"), "a dataset folder")


def test_error_synthetic_file_with_real_rows(tmp_path):
    write(tmp_path, f"{HEADER},synthetic\n{ROW},true\n{ROW.replace('412', '414')},false\n", "processing_synthetic.csv")
    pr = one(problems(load_dataset, tmp_path), "true in every row of a file named 'synthetic'")
    assert (pr.file, pr.row) == ("processing_synthetic.csv", 3)


def test_error_unknown_unit_code(tmp_path):
    write(tmp_path, f"{HEADER}\n{ROW.replace('412', '999')}\n")
    pr = one(problems(load_dataset, tmp_path), "a unit code known to the units table")
    assert pr.value == "999"
    assert (pr.file, pr.row, pr.column) == ("processing.csv", 2, "unit_code")  # file and line, not a position


def test_error_real_row_in_synthetic_file_names_file_and_line(tmp_path):
    write(tmp_path, f"{HEADER}\n{ROW}\n", "processing_synthetic.csv")
    pr = one(problems(load_dataset, tmp_path), "true in every row of a file named 'synthetic'")
    assert (pr.file, pr.row) == ("processing_synthetic.csv", 2)


def test_extra_units_file_makes_code_known(tmp_path):
    write(tmp_path, f"{HEADER}\n{ROW.replace('412', '999')}\n")
    write(tmp_path, "unit_code,name_vi,short_name_vi,name_ascii,level,unit_type,parent_code,valid_from,valid_to,"
                    "aliases,code_system,source\n999,Huyện Thử,Thử,Thu,district,district,40,,,,project,test\n",
          "units_extra.csv")
    assert load_dataset(tmp_path).processing["unit_code"].tolist() == ["999"]


def test_error_load_processing_missing_file(tmp_path):
    one(problems(paranalysis.load_processing, tmp_path / "nope.csv"), "an existing file")


def test_error_load_processing_unknown_suffix(tmp_path):
    p = write(tmp_path, "x", "bao_cao.numbers")  # .ods is read since issue 11 (paranalysis.forms)
    pr = one(problems(paranalysis.load_processing, p),
             "a .csv or .parquet file, or an .xlsx (official report form) / .xlsm / .xls / .ods workbook")
    assert pr.value == ".numbers"


def test_raw_folder_is_ignored(tmp_path):
    (tmp_path / "raw").mkdir()
    write(tmp_path / "raw", "not,a,table\n", "processing_received.csv")
    write(tmp_path, f"{HEADER}\n{ROW}\n")
    assert len(load_dataset(tmp_path).processing) == 1


@pytest.mark.parametrize("seed", range(6))
def test_plain_digit_counts_parsed_at_once_as_value_by_value(seed):
    """A CSV column of plain digits is parsed in one go; the result and the problems equal
    the value-by-value parse (which an object column, as from Parquet, still takes)."""
    import numpy as np

    from paranalysis.tables import coerce

    rng = np.random.default_rng(seed)
    n = 300
    odd = ["", " 12", "12.0", "-3", "1e3", "1,000", "x", "99999999999", "007", "+4", "٣"]
    raw = {"unit_code": ["401"] * n, "period": ["2024Q1"] * n}
    for j, c in enumerate(COUNT_COLUMNS):
        v = rng.integers(0, 10**6, n).astype(str).astype(object)
        if j % 2:  # some columns plain digits and blanks only, others with a value of every odd kind
            v[rng.random(n) < 0.1] = ""
        else:
            v[rng.integers(0, n, 4)] = rng.choice(odd, 4)
        raw[c] = v
    text = pd.DataFrame(raw).astype(str)
    fast, fast_probs = coerce(text, "processing", file="f.csv")
    slow, slow_probs = coerce(text.astype(object), "processing", file="f.csv")
    for c in COUNT_COLUMNS:
        pd.testing.assert_series_equal(fast[c], slow[c], check_exact=True)
    assert [str(p) for p in fast_probs] == [str(p) for p in slow_probs]
