"""Problems of data folders, ingest, the loaders, the folder lock, export_form and the units
registry and crosswalk (catalogue keys problem.data.*): for a real input that triggers each,
the problem prints the English it printed before and a page in Vietnamese shows it in
Vietnamese, whole."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import DataError, load_dataset
from paranalysis import dataset as dataset_module
from paranalysis import ingest as ing
from paranalysis.folderlock import LOCK_NAME, folder_lock
from paranalysis.i18n import TRANSLATIONS, Message, shown
from paranalysis.schemas import COUNT_COLUMNS
from paranalysis.units import apply_crosswalk_overrides, package_crosswalk, package_units

NOW = datetime(2024, 7, 20, 8, 30, tzinfo=timezone.utc)
HEADER = "unit_code,period," + ",".join(COUNT_COLUMNS)
ROW = "412,2024Q2,10,20,30,4,25,30,5,3,1"
UNIT_HEADER = ("unit_code,name_vi,short_name_vi,name_ascii,level,unit_type,parent_code,valid_from,valid_to,"
               "aliases,code_system,source")
#: English words that must not be left in a Vietnamese text (code names, file names and commands aside)
ENGLISH = re.compile(r"\b(a|an|the|of|for|with|in|and|or|rows?|file|folder|found|expected|already|known|"
                     r"table|units?|ingest(ed)?|lock|remove|wait|least|missing|weights)\b")


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _processing(path: Path, rows: list[str]) -> Path:
    return _csv(path, HEADER + "\n" + "\n".join(rows) + "\n")


def _problems(fn, *args, **kw):
    with pytest.raises(DataError) as ei:
        fn(*args, **kw)
    return ei.value.problems


def _check(problem, key: str, english: str):
    """``problem.expected`` is the catalogue message ``key`` with ``values``: it prints the
    former ``english``, and in Vietnamese the catalogue's Vietnamese (no English words left)."""
    m = problem.expected
    assert isinstance(m, Message) and m.key == key, (m, key)
    assert str(m) == english
    vi = shown(m, "vi")
    assert type(vi) is str and vi == TRANSLATIONS[key]["vi"].format(**{k: shown(v, "vi") for k, v in m.values.items()})
    assert vi != english and shown(m, "en") == english
    keep = r"paranalysis ingest FILE --data NEWDIR|paranalysis ingest|load_dataset|\S*\.(csv|lock)\b"  # code, files
    assert not ENGLISH.search(re.sub(keep, " ", vi)), vi
    return vi


# ----------------------------------------------------------------------------- dataset folders
def test_a_missing_dataset_folder(tmp_path):
    (p,) = _problems(load_dataset, tmp_path / "nope")
    assert _check(p, "problem.data.dataset_folder", "a dataset folder") == "một thư mục dữ liệu"


def test_a_real_row_in_a_synthetic_file(tmp_path):
    _csv(tmp_path / "processing_synthetic.csv", f"{HEADER},synthetic\n{ROW},true\n{ROW.replace('412', '414')},false\n")
    (p,) = _problems(load_dataset, tmp_path)
    vi = _check(p, "problem.data.synthetic_flag", "true in every row of a file named 'synthetic'")
    assert vi == "giá trị true ở mọi dòng của tệp có tên chứa 'synthetic'"


def test_an_unknown_unit_code_in_a_dataset_folder(tmp_path):
    _processing(tmp_path / "processing.csv", [ROW.replace("412", "999")])
    (p,) = _problems(load_dataset, tmp_path)
    vi = _check(p, "problem.data.unit_code", "a unit code known to the units table")
    assert vi == "một mã đơn vị có trong danh mục đơn vị" and p.value == "999"


def test_an_interrupted_ingest_in_a_folder_that_cannot_be_locked(tmp_path, monkeypatch):
    from paranalysis import folderlock

    def refused(root, *a, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ing, "pending", lambda root: True)
    monkeypatch.setattr(folderlock, "folder_lock", refused)
    (p,) = _problems(load_dataset, tmp_path)
    vi = _check(p, "problem.data.unfinished_ingest",
                "a finished ingest: the folder holds an interrupted one (.staging) and cannot be locked here "
                "(Permission denied); run paranalysis ingest again with write access to finish or undo it")
    assert "(Permission denied)" in vi and "paranalysis ingest" in vi


def test_no_bundled_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PARANALYSIS_BUNDLED_DATA", raising=False)
    monkeypatch.setattr(dataset_module, "__file__", str(tmp_path / "pkg" / "paranalysis" / "dataset.py"))
    (p,) = _problems(dataset_module.bundled_data_dir)
    vi = _check(p, "problem.data.bundled_folder", "the bundled data folder (reinstall paranalysis)")
    assert "cài đặt lại paranalysis" in vi


# ----------------------------------------------------------------------------- loaders
def test_load_processing_missing_file_folder_and_unknown_suffix(tmp_path):
    (p,) = _problems(paranalysis.load_processing, tmp_path / "nope.csv")
    assert _check(p, "problem.data.existing_file", "an existing file") == "một tệp có tồn tại"
    (p,) = _problems(paranalysis.load_processing, tmp_path)
    _check(p, "problem.data.file_not_folder", "a file (a dataset folder is read with load_dataset)")
    (p,) = _problems(paranalysis.load_processing, _csv(tmp_path / "bao_cao.numbers", "x"))
    vi = _check(p, "problem.data.file_type",
                "a .csv or .parquet file, or an .xlsx (official report form) / .xlsm / .xls / .ods workbook")
    assert "biểu mẫu báo cáo chính thức" in vi


# ----------------------------------------------------------------------------- the command line
@pytest.fixture
def caught(monkeypatch):
    """Every DataError made while the test runs (the command line prints them, it does not raise)."""
    made = []
    init = DataError.__init__

    def record(self, *a, **kw):
        init(self, *a, **kw)
        made.append(self)

    monkeypatch.setattr(DataError, "__init__", record)
    return made


def test_validate_a_folder_without_tables_a_missing_file_and_a_quarter_without_rows(tmp_path, caught, capsys):
    from paranalysis.cli import main

    empty = tmp_path / "empty"
    empty.mkdir()
    good = _processing(tmp_path / "processing.csv", [ROW])
    assert main(["validate", str(empty), str(tmp_path / "nope.csv")]) == 1
    assert main(["validate", str(good), "--period", "2023Q1"]) == 1
    assert "holds none" in capsys.readouterr().out
    holds_none, missing, no_rows = (e.problems[0] for e in caught)
    vi = _check(holds_none, "problem.data.folder_without_tables",
                "a dataset folder holding at least one table (processing*.csv, investments*.csv, rankings*.csv, "
                "units*.csv ... or .parquet); this folder holds none")
    assert vi.endswith("thư mục này không có bảng nào")
    _check(missing, "problem.data.existing_file", "an existing file")
    vi = _check(no_rows, "problem.data.no_processing_rows_for", "at least one row of processing counts for 2023Q1")
    assert vi == "ít nhất một dòng số liệu giải quyết hồ sơ của kỳ 2023Q1"
    assert str(Message("problem.data.no_processing_rows")) == "at least one row of processing counts"


# ----------------------------------------------------------------------------- ingest
def test_ingest_a_missing_file_and_into_a_file(tmp_path):
    good = _processing(tmp_path / "good.csv", [ROW])
    (p,) = _problems(ing.ingest, tmp_path / "missing.xlsx", tmp_path / "ds", now=NOW)
    _check(p, "problem.data.file_to_ingest", "an existing file to ingest")
    (p,) = _problems(ing.ingest, good, good, now=NOW)
    assert _check(p, "problem.data.folder_is_a_file", "a dataset folder (this is a file)") == \
        "một thư mục dữ liệu (đây là một tệp)"


def test_ingest_into_an_invalid_folder(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    _processing(root / "processing.csv", [ROW.replace("412", "999")])
    first, *rest = _problems(ing.ingest, _processing(tmp_path / "good.csv", [ROW]), root, now=NOW)
    _check(first, "problem.data.valid_folder_first", "a valid dataset folder before ingest; fix these problems first")
    assert [p.expected.key for p in rest] == ["problem.data.unit_code"]


def test_ingest_a_file_without_rows_for_the_period(tmp_path):
    good = _processing(tmp_path / "good.csv", [ROW])
    (p,) = _problems(ing.ingest, good, tmp_path / "ds", period="2023Q1", now=NOW)
    vi = _check(p, "problem.data.rows_for_period", "at least one row; found no rows for 2023Q1")
    assert vi == "ít nhất một dòng; không có dòng nào của kỳ 2023Q1"
    (p,) = _problems(ing.ingest, _csv(tmp_path / "empty.csv", HEADER + "\n"), tmp_path / "ds", now=NOW)
    _check(p, "problem.data.rows_of_counts", "at least one row; found no rows of processing counts")


def test_ingest_a_unit_the_folder_does_not_know(tmp_path):
    bad = _processing(tmp_path / "bad.csv", [ROW.replace("412", "999")])
    (p,) = _problems(ing.ingest, bad, tmp_path / "ds", now=NOW)
    vi = _check(p, "problem.data.unit_code_package_or_folder",
                "a unit code known to the package or to the folder's units table")
    assert "danh mục đơn vị" in vi and p.value == "999"


def test_ingest_real_rows_over_synthetic_ones_and_over_unmanaged_files(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    _csv(demo / "processing_synthetic.csv", f"{HEADER},synthetic\n{ROW},true\n")
    real = _processing(tmp_path / "real.csv", [ROW])
    (p,) = _problems(ing.ingest, real, demo, now=NOW)
    vi = _check(p, "problem.data.real_over_synthetic",
                "real rows for 2024Q2 that the folder already holds as SYNTHETIC demo rows (1 unit-quarters); ingest "
                "never mixes real and demo data for the same quarter: ingest into a new empty folder instead "
                "(paranalysis ingest FILE --data NEWDIR)")
    assert "DỮ LIỆU MINH HỌA" in vi and vi.endswith("(paranalysis ingest FILE --data NEWDIR)")
    mine = tmp_path / "mine"
    mine.mkdir()
    _processing(mine / "processing_manual.csv", [ROW, ROW.replace("412", "414")])
    (p,) = _problems(ing.ingest, real, mine, now=NOW)
    vi = _check(p, "problem.data.overlap_unmanaged",
                "no overlap with rows kept in files ingest does not manage (2024Q2, 1 unit-quarters in "
                "processing_manual.csv); remove those rows or ingest into another folder")
    assert "(2024Q2, 1 cặp đơn vị - quý trong processing_manual.csv)" in vi


def test_ingest_checks_its_rows_after_writing(tmp_path, monkeypatch):
    real_load = ing.load_dataset

    def losing(root):
        ds = real_load(root)
        ds.processing = ds.processing.iloc[0:0]
        return ds

    monkeypatch.setattr(ing, "load_dataset", losing)
    (p,) = _problems(ing.ingest, _processing(tmp_path / "good.csv", [ROW]), tmp_path / "ds", now=NOW)
    assert _check(p, "problem.data.rows_after_writing", "the ingested rows after writing; 1 missing") == \
        "đầy đủ các dòng vừa nạp sau khi ghi; còn thiếu 1 dòng"


def test_ingest_of_a_half_year_report(tmp_path):
    from test_forms_layouts import BEN_TRE, build

    p = build(tmp_path / "h1.xlsx", BEN_TRE, title="Báo cáo 6 tháng đầu năm 2025 (từ ngày 15/12/2024 đến ngày 14/6/2025)")
    (prob,) = _problems(ing.ingest, p, tmp_path / "data", period="2025H1", now=NOW)
    vi = _check(prob, "problem.data.quarter_only",
                "a quarter such as '2024Q2': the dataset holds quarters; a report over a longer span is read with "
                "read_official_form(period=...)")
    assert vi.startswith("một quý, ví dụ '2024Q2'")


# ----------------------------------------------------------------------------- the folder lock
def test_a_lock_that_is_a_symbolic_link(tmp_path):
    root = tmp_path / "ds"
    root.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (root / LOCK_NAME).symlink_to(victim)
    with pytest.raises(DataError) as ei:
        with folder_lock(root):
            pass
    (p,) = ei.value.problems
    vi = _check(p, "problem.data.plain_lock_file",
                "a plain lock file (found a symbolic link or a special file; remove it, it was not made by paranalysis)")
    assert "liên kết tượng trưng" in vi and victim.read_text() == "keep me"


def test_a_lock_held_elsewhere_and_a_folder_that_is_not_there(tmp_path):
    from filelock import FileLock

    root = tmp_path / "ds"
    root.mkdir()
    other = FileLock(str(root / LOCK_NAME), thread_local=False, is_singleton=False)
    other.acquire()
    try:
        with pytest.raises(DataError) as ei:
            with folder_lock(root, timeout=0.2, quiet=True):
                pass
    finally:
        other.release()
    (p,) = ei.value.problems
    vi = _check(p, "problem.data.lock_timeout",
                "the folder's lock within 0.2 s (another ingest still holds .paranalysis.lock; wait for it to "
                "finish, or set PARANALYSIS_LOCK_TIMEOUT to wait longer)")
    assert vi.startswith("khóa được thư mục trong vòng 0.2 giây") and "PARANALYSIS_LOCK_TIMEOUT" in vi
    with pytest.raises(DataError) as ei:
        with folder_lock(tmp_path / "nope"):
            pass
    _check(ei.value.problems[0], "problem.data.dataset_folder", "a dataset folder")


# ----------------------------------------------------------------------------- export_form
def test_export_form_of_a_quarter_or_level_the_folder_lacks(tmp_path):
    from paranalysis.forms import export_form

    root = tmp_path / "ds"
    ing.ingest(_processing(tmp_path / "good.csv", [ROW]), root, now=NOW)
    (p,) = _problems(export_form, root, "2030Q1")
    vi = _check(p, "problem.data.export_rows", "processing rows for 2030Q1 in the dataset folder")
    assert vi == "các dòng số liệu giải quyết hồ sơ của quý 2030Q1 trong thư mục dữ liệu"
    (p,) = _problems(export_form, root, "2024Q2", level="commune")
    vi = _check(p, "problem.data.export_rows_level", "processing rows of level commune for 2024Q2 in the dataset folder")
    assert "thuộc cấp 'commune' của quý 2024Q2" in vi


# ----------------------------------------------------------------------------- units and crosswalk
def test_a_units_file_reusing_a_key_of_the_package(tmp_path):
    _csv(tmp_path / "units_extra.csv", UNIT_HEADER + "\n"
         "17866,Xã Trung Lộc,Trung Lộc,Xa Trung Loc,commune,commune,40,2025-07-01,,,GSO,test\n")
    (p,) = _problems(load_dataset, tmp_path)
    m = p.expected
    where = m.values["where"]
    assert where.key == "problem.data.where_line" and where.values["line"] >= 2
    english = (f"a key not already used (unit_code 17866 is already defined in {where.values['file']} line "
               f"{where.values['line']}); {TRANSLATIONS['units.how_to_add']['en']}")
    vi = _check(p, "problem.data.key_taken", english)
    assert f"đã được khai báo ở {where.values['file']} dòng {where.values['line']}" in vi
    assert "units_extra.csv" in vi and "17866-2025" in vi


def test_a_key_taken_by_a_unit_of_the_table_without_a_file():
    from paranalysis.units import add_units

    units = package_units()
    vinh = units[units["unit_code"] == "412"]
    # "412-x" is in the units table given, but in no file of the package: it has no file and line
    (p,) = _problems(add_units, pd.concat([units, vinh.assign(unit_code="412-x")], ignore_index=True),
                     vinh.assign(unit_code="412-x"), origin=[("units_extra.csv", 2)])
    assert p.expected.values["where"].key == "problem.data.the_units_table"
    vi = _check(p, "problem.data.key_taken",
                f"a key not already used (unit_code 412-x is already defined in the units table); "
                f"{TRANSLATIONS['units.how_to_add']['en']}")
    assert "đã được khai báo ở danh mục đơn vị" in vi


def test_crosswalk_links_with_unknown_codes_or_weights_not_summing_to_one(tmp_path):
    cw = package_crosswalk()
    units = package_units()
    link = cw[cw["relation"] == "merged_into"].iloc[[0]]
    bad_code = link.assign(to_code="99999")
    (p,) = _problems(apply_crosswalk_overrides, cw, bad_code, units, extra_origin=[("crosswalk_x.csv", 2)])
    _check(p, "problem.data.unit_code", "a unit code known to the units table")
    code = link["from_code"].iloc[0]
    half = link.assign(weight=0.5)
    (p,) = _problems(apply_crosswalk_overrides, cw, half, units, extra_origin=[("crosswalk_x.csv", 2)])
    vi = _check(p, "problem.data.crosswalk_weights",
                f"merged_into weights of {code} that sum to 1 (its counts are shared out among its successors)")
    assert vi == f"các trọng số merged_into của {code} có tổng bằng 1 (số liệu của đơn vị này được chia cho các đơn vị kế thừa)"
    assert (p.file, p.row, p.column, p.value) == ("crosswalk_x.csv", 2, "weight", 0.5)


def test_every_problem_data_key_is_reached_by_a_test_here():
    here = Path(__file__).read_text(encoding="utf-8")
    keys = sorted(k for k in TRANSLATIONS if k.startswith("problem.data."))
    assert keys and [k for k in keys if f'"{k}"' not in here] == []
