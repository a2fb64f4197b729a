"""The problems of record exports, tidy tables and schema checks (keys problem.rec.*): for a
real input that triggers each, the problem's ``expected`` prints the English it printed
before (command line, exceptions, tests comparing strings) and a page in Vietnamese shows
it in Vietnamese, whole (the parts built at run time included)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paranalysis import DataError, limits
from paranalysis import records as rec
from paranalysis.i18n import Message, shown
from paranalysis.schemas import COUNT_COLUMNS
from paranalysis.tables import read_raw, read_table

HEADER = "unit_code,period," + ",".join(COUNT_COLUMNS)
ROW = "412,2024Q2,10,20,30,4,25,30,5,3,1"
REC_HEADER = "record_id,unit_code,procedure_code,received_at,due_at,resolved_at,channel,status\n"


def problems(fn, *args, **kw):
    with pytest.raises(DataError) as ei:
        fn(*args, **kw)
    return ei.value.problems


def write(tmp_path: Path, text: str, name: str = "processing.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def both(problem, english: str, vietnamese: str):
    """The problem's expected: a catalogue message, the former English, the Vietnamese."""
    m = problem.expected
    assert isinstance(m, Message) and m.key.startswith("problem.rec."), m
    assert str(m) == english and m == english
    assert shown(m, "en") == english
    assert shown(m, "vi") == vietnamese
    return m


def find(probs, english: str):
    found = [p for p in probs if p.expected == english]
    assert found, f"{english!r} not among {[str(p.expected) for p in probs]}"
    return found[0]


# ----------------------------------------------------------------------------- record exports

def test_a_date_outside_the_calendar():
    (pr,) = problems(rec.working_days, "1999-12-31", "2000-01-05")
    both(pr, "a date between 2000-01-01 and 2040-12-31", "một ngày trong khoảng từ 2000-01-01 đến 2040-12-31")


def test_folder_errors(tmp_path):
    from paranalysis.records.demo import generate_demo_records

    empty = tmp_path / "empty"
    empty.mkdir()
    both(problems(rec.summarize, empty)[0], "a folder holding record files (.csv or .parquet)",
         "một thư mục có chứa tệp hồ sơ (.csv hoặc .parquet)")
    src = generate_demo_records(300, seed=4, path=tmp_path / "s_synthetic.parquet")
    mixed = tmp_path / "mixed"
    (mixed / "year=2024").mkdir(parents=True)
    (mixed / "other").mkdir()
    pd.read_parquet(src).to_parquet(mixed / "year=2024" / "a.parquet")
    pd.read_parquet(src).to_parquet(mixed / "other" / "b.parquet")
    # the first file has no partition folder: the other files' ones are "none"
    both(problems(rec.summarize, mixed)[0], "the partition folders of the other files (none)",
         "các thư mục phân vùng giống như của các tệp khác (không có)")
    both(problems(rec.summarize, str(tmp_path / "nothing*.csv"))[0], "at least one record file matching this pattern",
         "ít nhất một tệp hồ sơ khớp với mẫu đường dẫn này")
    both(problems(rec.summarize, [src, src.with_suffix(".csv")])[0], "an existing record export (.csv or .parquet)",
         "một tệp xuất hồ sơ có tồn tại (.csv hoặc .parquet)")


def test_a_missing_required_column(tmp_path):
    p = write(tmp_path, "record_id,unit_code,received_at\nA1,426,2024-01-02\n", "m.csv")
    pr = next(x for x in problems(rec.summarize, p) if x.column == "status")
    cols = "['record_id', 'unit_code', 'procedure_code', 'received_at', 'due_at', 'resolved_at', 'channel', 'status']"
    both(pr, f"this column, which a record export requires (one of {cols})",
         f"cột này, là cột bắt buộc của tệp xuất hồ sơ (một trong các cột {cols})")


def test_bad_values_of_a_record_export(tmp_path):
    rows = [
        "A,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",
        "B,426,P,2024-13-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",  # line 3: month 13
        "C,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,fax,resolved",     # line 4: channel
        "D,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,pending",   # line 5: pending + date
        "E,426,P,2024-01-02 08:00,2024-01-05 17:00,2023-12-29 09:00,online,resolved",  # line 6: before receipt
    ]
    p = write(tmp_path, REC_HEADER + "\n".join(rows) + "\n", "b.csv")
    by_row = {pr.row: pr for pr in problems(rec.summarize, p)}
    both(by_row[3], "a receipt time such as 2024-02-09 10:15 or 09/02/2024 10:15",
         "thời điểm tiếp nhận, ví dụ 2024-02-09 10:15 hoặc 09/02/2024 10:15")
    both(by_row[4], "one of ['online', 'direct', 'postal'] (or pass channel_map= for the export's own codes)",
         "một trong các mã ['online', 'direct', 'postal'] (hoặc dùng tham số channel_map= để khai báo các mã "
         "riêng của tệp xuất)")
    both(by_row[5], "a resolution time when status is 'resolved', and none when 'pending'",
         "có thời điểm trả kết quả khi status là 'resolved' và để trống khi status là 'pending'")
    both(by_row[6], "received_at <= due_at and received_at <= resolved_at",
         "received_at <= due_at và received_at <= resolved_at")


def test_a_malformed_line_is_named_by_duckdb_in_the_readers_words_around_its_message(tmp_path):
    p = write(tmp_path, REC_HEADER + "A,426,P,2024-01-02 08:00,2024-01-05 17:00,,online,pending,Nguyễn Văn A,09\n",
              "ragged.csv")
    (pr,) = problems(rec.summarize, p)
    detail = pr.expected.values["detail"]  # DuckDB's own (English) text, without the line's content
    assert "Nguyễn" not in detail
    both(pr, f"a readable record export: {detail}", f"một tệp xuất hồ sơ đọc được (lỗi khi đọc: {detail})")


def test_spark_words_for_a_malformed_line_are_the_packages():
    from paranalysis.records.spark import _clean_spark_error

    m = _clean_spark_error(RuntimeError("[MALFORMED_RECORD_IN_PARSING] Malformed records are detected"))
    assert isinstance(m, Message) and str(m) == "a malformed line (wrong number of fields or broken quotes)"
    whole = Message("problem.rec.unreadable", detail=m)
    assert str(whole) == "a readable record export: a malformed line (wrong number of fields or broken quotes)"
    assert shown(whole, "vi") == ("một tệp xuất hồ sơ đọc được (lỗi khi đọc: một dòng sai cấu trúc (sai số trường "
                                  "hoặc dấu ngoặc kép không khớp))")


# ----------------------------------------------------------------------------- tidy tables

def test_file_level_errors_of_a_table(tmp_path):
    both(problems(read_raw, write(tmp_path, "x", "processing.txt"))[0], "a .csv or .parquet file",
         "một tệp .csv hoặc .parquet")
    both(problems(read_raw, write(tmp_path, ""))[0], "a header line naming the table's columns",
         "một dòng tiêu đề ghi tên các cột của bảng")
    p = tmp_path / "processing.parquet"
    p.write_bytes(b"PAR1 not really parquet")
    both(problems(read_raw, p)[0], "a readable parquet table", "một bảng parquet đọc được")
    p = tmp_path / "latin.csv"
    p.write_bytes((HEADER + "\n412,2024Q2,\xff\n").encode("latin-1"))
    both(problems(read_raw, p)[0],
         "UTF-8 text (this byte is not UTF-8: the file was probably saved in a Windows code page such as cp1258; "
         "save it again as 'CSV UTF-8')",
         "văn bản mã UTF-8 (byte này không phải UTF-8: có lẽ tệp đã được lưu bằng một bảng mã của Windows như "
         "cp1258; hãy lưu lại tệp dưới dạng 'CSV UTF-8')")


def test_csv_lines_of_a_table(tmp_path):
    (pr,) = problems(read_raw, write(tmp_path, f"{HEADER}\n{ROW}\n{ROW},9\n"))
    both(pr, '11 fields, as many as the header line names (a comma inside a value must be enclosed in double '
             'quotes: "1,5")',
         '11 trường, bằng số cột mà dòng tiêu đề ghi (giá trị có dấu phẩy phải đặt trong dấu ngoặc kép: "1,5")')
    (pr,) = problems(read_raw, write(tmp_path, f'{HEADER}\n{ROW}\n413,"2024Q2,1\n{ROW}\n'))
    both(pr, "a well-formed CSV line (a value starting with a double quote must end with one, and a quote inside "
             "it is written twice)",
         "một dòng CSV đúng cấu trúc (giá trị mở đầu bằng dấu ngoặc kép phải kết thúc bằng dấu ngoặc kép, và dấu "
         "ngoặc kép nằm bên trong giá trị phải viết hai lần)")


def test_a_file_beyond_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10)
    (pr,) = problems(read_raw, write(tmp_path, f"{HEADER}\n{ROW}\n"))
    both(pr, "a file of at most 10 bytes (paranalysis.limits)", "một tệp có dung lượng tối đa 10 byte (paranalysis.limits)")


def test_values_of_a_table(tmp_path):
    p = write(tmp_path, f"{HEADER},synthetic\n{ROW.replace('412,2024Q2,10', '412,2024Q5,-10')},maybe\n"
                        + ROW.replace("412,2024Q2,10", "415,2024Q2,2.5") + ",false\n")
    probs = problems(read_table, [p], "processing")
    both(find(probs, "a quarter such as '2024Q2'"), "a quarter such as '2024Q2'", "một quý, ví dụ '2024Q2'")
    both(find(probs, "true or false"), "true or false", "true hoặc false")
    both(find(probs, "a whole number from 0 to 10,000,000 records per unit and quarter (paranalysis.limits)"),
         "a whole number from 0 to 10,000,000 records per unit and quarter (paranalysis.limits)",
         "một số nguyên từ 0 đến 10,000,000 hồ sơ cho mỗi đơn vị và quý (paranalysis.limits)")
    both(find(probs, "a whole number written with digits only (no decimals, exponent or thousands separator)"),
         "a whole number written with digits only (no decimals, exponent or thousands separator)",
         "một số nguyên chỉ gồm chữ số (không có phần thập phân, số mũ hay dấu phân cách hàng nghìn)")
    p = write(tmp_path, "index,year,unit_code,rank,n_ranked,score,source\nPCI,2019,40,18,63,abc,VCCI\n", "rankings.csv")
    both(problems(read_table, [p], "rankings")[0], "a number", "một số")
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source\n426,13/2019,other,5,x\n",
              "investments.csv")
    both(problems(read_table, [p], "investments")[0], "a date YYYY-MM-DD", "một ngày dạng YYYY-MM-DD")


def test_many_bad_values_end_with_how_many_more(tmp_path):
    n = limits.MAX_PROBLEMS + 3
    p = write(tmp_path, HEADER + "\n" + "412,2024Q2,-1,5,20,1,10,12,2,10,2\n" * n)
    last = problems(read_table, [p], "processing")[-1]
    both(last, f"no more problems: and 3 more in this file not listed (limit {limits.MAX_PROBLEMS})",
         f"không có thêm lỗi: còn 3 lỗi khác trong tệp này không được liệt kê (giới hạn {limits.MAX_PROBLEMS})")


# ----------------------------------------------------------------------------- schema checks

def test_schema_checks_of_pandera_in_words(tmp_path):
    (a, b) = problems(read_table, [write(tmp_path, f"{HEADER}\n{ROW}\n{ROW}\n")], "processing")
    both(a, "one row per key in the processing table (duplicate found)",
         "mỗi khóa chỉ một dòng trong bảng processing (có dòng trùng)")
    p = write(tmp_path, HEADER.replace(",pending_overdue", "") + "\n" + ROW.rsplit(",", 1)[0] + "\n")
    both(problems(read_table, [p], "processing")[0], "this column, which the processing table requires",
         "cột này, là cột bắt buộc của bảng processing")
    p = write(tmp_path, f"{HEADER},ghi_chu\n{ROW},x\n")
    both(problems(read_table, [p], "processing")[0], "only the processing table's own columns (unknown column)",
         "chỉ các cột của bảng processing (cột không có trong bảng)")
    p = write(tmp_path, f"{HEADER}\n{ROW.replace('2024Q2,10,', '2024Q2,,')}\n")  # carried_over empty
    both(find(problems(read_table, [p], "processing"), "a value (this column may not be empty)"),
         "a value (this column may not be empty)", "một giá trị (cột này không được để trống)")
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source\n426,2019-12-31,camera,5,x\n",
              "investments.csv")
    both(problems(read_table, [p], "investments")[0],
         "one of ['one_stop_facility', 'online_meeting_system', 'other']",
         "một trong các giá trị ['one_stop_facility', 'online_meeting_system', 'other']")


def test_schema_checks_of_the_package_by_their_catalogue_message(tmp_path):
    p = write(tmp_path, f"{HEADER},ratings,satisfied\n{ROW},3,5\n")
    both(problems(read_table, [p], "processing")[0], "satisfied ratings cannot exceed ratings",
         "số lượt đánh giá hài lòng (satisfied) không được lớn hơn tổng số lượt đánh giá (ratings)")
    p = write(tmp_path, "unit_code,date_in_operation,category,amount_vnd,source,description\n"
                        "414,2019-12-31,other,5,x,Ho\u0300a\n", "investments.csv")
    both(problems(read_table, [p], "investments")[0], "text must be Unicode NFC",
         "văn bản phải ở dạng chuẩn Unicode NFC (dựng sẵn)")
    p = write(tmp_path, "index,year,unit_code,rank,n_ranked,source\nPCI,2020,40,70,63,x\n", "rankings.csv")
    both(problems(read_table, [p], "rankings")[0], "rank must not exceed n_ranked",
         "rank (thứ hạng) không được lớn hơn n_ranked (số đơn vị được xếp hạng)")


def test_combined_counts_and_their_parts(tmp_path):
    header = HEADER + ",received_direct_postal"
    row = ROW + ",99"  # direct 30 + postal 4 = 34, not 99
    both(problems(read_table, [write(tmp_path, f"{header}\n{row}\n")], "processing")[0],
         "received_direct_postal = received_direct + received_postal = 34",
         "received_direct_postal = received_direct + received_postal = 34")
    row = ROW.replace(",30,4,", ",,4,") + ","  # direct empty, and no sum given
    probs = problems(read_table, [write(tmp_path, f"{header}\n{row}\n")], "processing")
    both(find(probs, "a value (this column may not be empty) unless received_direct_postal, the sum some forms "
                     "give instead of the parts, is given"),
         "a value (this column may not be empty) unless received_direct_postal, the sum some forms give instead "
         "of the parts, is given",
         "một giá trị (cột này không được để trống), trừ khi có received_direct_postal, là tổng mà một số biểu mẫu "
         "ghi thay cho các phần")
    both(find(probs, "received_direct and received_postal both given or both missing (missing: only their sum is "
                     "known)"),
         "received_direct and received_postal both given or both missing (missing: only their sum is known)",
         "received_direct và received_postal cùng có giá trị hoặc cùng để trống (để trống: chỉ biết tổng của hai "
         "cột này)")
