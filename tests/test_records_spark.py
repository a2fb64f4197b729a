"""summarize(path, engine="spark") gives what engine="duckdb" gives, and reads no personal column.

Runs Spark in local mode (local[2], 4 shuffle partitions, no UI, bound to 127.0.0.1): one
SparkSession for the whole test session, stopped at the end. Skips, saying why, without
pyspark (``pip install "paranalysis[spark]"``) or without a Java runtime 17+ (.ci/run
installs both).

The DuckDB engine is checked against independent computations in tests/test_records.py;
here every count and every quantile of the Spark engine must be *equal* to it (no
tolerance), and the counts per unit are also checked against pyarrow's own group count.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from paranalysis import DataError
from paranalysis import records as rec
from paranalysis.records.demo import generate_demo_records

pytest.importorskip("pyspark", reason='pyspark is not installed: pip install "paranalysis[spark]" (.ci/run does)')


def _java_major() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


_JAVA = _java_major()
if _JAVA is None or _JAVA < 17:
    pytest.skip(f"Spark needs a Java runtime 17 or newer, found {_JAVA or 'none'} "
                "(Debian: apt-get install openjdk-17-jre-headless; .ci/run does)", allow_module_level=True)

from paranalysis.records.spark import MALFORMED, local_session, plan_text, scanned_columns  # noqa: E402

PERSONAL = ["applicant_name", "citizen_id", "phone", "address", "email"]
ALLOWED = set(rec.RECORD_COLUMNS) | {"synthetic"}


@pytest.fixture(scope="session")
def spark():
    s = local_session("local[2]")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """300,000 synthetic dossiers with the five fake personal columns."""
    return generate_demo_records(300_000, seed=15, path=tmp_path_factory.mktemp("spark") / "r300k_synthetic.parquet")


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_spark_equals_duckdb_on_300k_dossiers_and_reads_no_personal_column(big, spark):
    assert set(PERSONAL) <= set(pq.read_schema(big).names)  # the file does carry them
    duck = rec.summarize(big)
    sp = rec.summarize(big, engine="spark", spark=spark)
    assert_same(duck, sp)
    # independent of both engines: dossiers per unit counted by pyarrow
    t = pq.read_table(big, columns=["unit_code"]).group_by("unit_code").aggregate([("unit_code", "count")])
    per_unit = dict(zip(t["unit_code"].to_pylist(), t["unit_code_count"].to_pylist()))
    got = sp.groupby("unit_code")["received"].sum()
    assert got.sum() == 300_000 and got.to_dict() == per_unit
    assert sp["median_working_days"].notna().sum() > 600
    # the physical plan: the one file scan reads allowed columns only
    scans = scanned_columns(plan_text(big, spark=spark))
    assert len(scans) == 1, scans
    assert {"unit_code", "received_at", "due_at", "resolved_at", "channel", "status"} <= set(scans[0])
    assert set(scans[0]) <= ALLOWED and not set(scans[0]) & set(PERSONAL), scans


def test_spark_histogram_equals_duckdb_by_every_key(big, spark):
    """The per-working-day histogram by unit, quarter, channel, procedure and status is the
    same table on both engines, so every coarser count and quantile is too."""
    by = ["unit_code", "period", "channel", "procedure_code", "status"]
    assert_same(rec.working_day_histogram(big, by=by), rec.working_day_histogram(big, by=by, engine="spark", spark=spark))


def test_csv_scan_reads_no_personal_column(tmp_path, spark):
    csv = generate_demo_records(5_000, seed=3, path=tmp_path / "r_synthetic.csv")
    plan = plan_text(csv, spark=spark)
    scans = scanned_columns(plan)
    assert len(scans) == 1 and "FileScan csv" in plan
    # and the column where Spark would keep a malformed line, which is only counted
    assert set(scans[0]) <= ALLOWED | {MALFORMED} and not set(scans[0]) & set(PERSONAL), scans
    assert_same(rec.summarize(csv), rec.summarize(csv, engine="spark", spark=spark))


def test_text_formats_headers_and_codes_parse_alike(tmp_path, spark):
    """Vietnamese headers and codes, ISO and day-first times, date-only values, padding,
    a trailing offset (ignored by both engines), a CSV with ';' and personal columns."""
    header = "Mã hồ sơ;Họ tên;Mã đơn vị;Mã TTHC;Ngày tiếp nhận;Hạn trả kết quả;Ngày trả kết quả;Kênh nộp;Trạng thái;SĐT\n"
    rows = [
        "X1;Nguyễn Văn A;426;P;02/02/2024 09:00;20/02/2024 17:00;16/02/2024 10:00;Trực tuyến;Đã giải quyết;0912345678",
        "X2;Trần Thị B;426;P;07/02/2024;15/02/2024 17:00;;trực tiếp;đang giải quyết;0912345679",
        "X3;Lê C;426;P;7/2/2024 8:5;15-02-2024;08/03/2024;BCCI;Đã giải quyết;0912345670",
        "X4;Lê D;412;P; 2024-04-26 10:00 ;2024-05-03T17:00;2024-05-06 09:00:00.5;direct;resolved;0912345671",
        "X5;Lê E;412;Q;2024-2-9 21:00;2024-02-16 17:00+07;2024-02-19 08:00Z;online;resolved;0912345672",
        "X6;Lê F;412;Q;2024-03-04;2024-03-05;2024-03-04 15:00;online;returned;0912345673",
    ]
    p = tmp_path / "vn.csv"
    p.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    duck = rec.summarize(p, by=["unit_code", "period", "procedure_code"])
    assert duck["received"].sum() == 6
    assert_same(duck, rec.summarize(p, by=["unit_code", "period", "procedure_code"], engine="spark", spark=spark))


def test_bad_rows_are_named_alike_on_both_engines(tmp_path, spark):
    hdr = "record_id,unit_code,procedure_code,received_at,due_at,resolved_at,channel,status\n"
    rows = ["A,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",
            "B,426,P,2024-13-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",   # line 3: month 13
            "C,426,P,2024,2024-01-05 17:00,2024-01-03 09:00,online,resolved",               # line 4: a year only
            "D,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,fax,resolved",      # line 5: channel
            "E,426,P,2024-01-02 08:00,2024-01-05 17:00,2023-12-29 09:00,online,resolved"]   # line 6: order
    p = tmp_path / "bad.csv"
    p.write_text(hdr + "\n".join(rows) + "\n", encoding="utf-8")
    found = {}
    for engine in ("duckdb", "spark"):
        with pytest.raises(DataError) as e:
            rec.summarize(p, engine=engine, **({"spark": spark} if engine == "spark" else {}))
        found[engine] = sorted((pr.row, pr.column, pr.value) for pr in e.value.problems)
    assert found["spark"] == found["duckdb"]
    assert [(r, c) for r, c, _ in found["spark"]] == [(3, "received_at"), (4, "received_at"), (5, "channel"),
                                                      (6, "resolved_at")]


def test_malformed_csv_line_is_refused_without_its_content(tmp_path, spark):
    hdr = "record_id,unit_code,procedure_code,received_at,due_at,resolved_at,channel,status\n"
    p = tmp_path / "ragged.csv"
    p.write_text(hdr + "A,426,P,2024-01-02 08:00,2024-01-05 17:00,,online,pending,Nguyễn Văn Bí Mật,0987654321\n",
                 encoding="utf-8")
    with pytest.raises(DataError) as e:
        rec.summarize(p, engine="spark", spark=spark)
    msg = str(e.value)
    assert "Bí Mật" not in msg and "0987654321" not in msg and str(p) in msg
    assert "Line: 2" in msg or "line 2" in msg.lower()  # as on DuckDB


def _partitioned(src, root):
    """The dossiers of ``src`` as year=YYYY/unit_code=NNN/*.parquet (unit_code only in the
    folder names; the personal columns kept in the files)."""
    t = pq.read_table(src)
    t = t.append_column("year", pc.year(t["received_at"]).cast(pa.string()))
    pq.write_to_dataset(t, root, partition_cols=["year", "unit_code"])
    return root


def test_folder_and_partitioned_dataset_on_both_engines(tmp_path, spark):
    src = generate_demo_records(30_000, seed=8, path=tmp_path / "one_synthetic.parquet")
    expected = rec.summarize(src)
    # a flat folder of two files (and a marker file that is not data)
    folder = tmp_path / "flat"
    folder.mkdir()
    t = pq.read_table(src)
    pq.write_table(t.slice(0, 12_000), folder / "part-0_synthetic.parquet")
    pq.write_table(t.slice(12_000), folder / "part-1_synthetic.parquet")
    (folder / "_SUCCESS").write_text("")
    part = _partitioned(src, tmp_path / "lake")
    assert "unit_code" not in pq.read_schema(next(part.rglob("*.parquet"))).names
    for path in (folder, part):
        assert_same(expected, rec.summarize(path))
        assert_same(expected, rec.summarize(path, engine="spark", spark=spark))
    scans = scanned_columns(plan_text(part, spark=spark))
    assert len(scans) == 1 and "unit_code" in scans[0] and not set(scans[0]) & set(PERSONAL), scans


def test_uri_paths_are_listed_by_spark_and_spark_submit_entry_point(tmp_path, spark):
    """A URI (here file://, as hdfs:// or s3a:// on a cluster) is listed by Spark itself:
    the format comes from the files found, a CSV header from Spark's own read; bad rows are
    counted and refused without DuckDB. The spark-submit entry point writes the summary."""
    from paranalysis.records import spark as sp

    src = generate_demo_records(8_000, seed=21, path=tmp_path / "u_synthetic.parquet")
    lake = _partitioned(src, tmp_path / "lake")
    expected = rec.summarize(src)
    assert_same(expected, rec.summarize(lake.as_uri(), engine="spark", spark=spark))
    csv = generate_demo_records(3_000, seed=22, path=tmp_path / "c_synthetic.csv")
    assert_same(rec.summarize(csv), rec.summarize(csv.as_uri(), engine="spark", spark=spark))
    bad = tmp_path / "bad.csv"
    bad.write_text("record_id,unit_code,procedure_code,received_at,due_at,resolved_at,channel,status\n"
                   "A,426,P,2024-13-02 08:00,2024-01-05 17:00,,online,pending\n", encoding="utf-8")
    with pytest.raises(DataError, match="1 rows fail"):
        rec.summarize(bad.as_uri(), engine="spark", spark=spark)
    out = tmp_path / "summary.csv"
    assert sp.main([lake.as_uri(), "--out", str(out)]) == 0
    got = pd.read_csv(out, dtype={"unit_code": str})
    assert got["received"].sum() == 8_000 and len(got) == len(expected)
