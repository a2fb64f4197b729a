"""Privacy at the door: personal columns planted in record exports (fake names, citizen ID
numbers, phones, addresses, e-mails) must never reach an output: not a DataFrame, not an
error message, not a file left behind, not notebook 06 or its HTML."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from paranalysis import DataError
from paranalysis import records as rec
from paranalysis.records import analysis as ra
from paranalysis.records.demo import DEFAULT_SEED, NOTEBOOK_RECORDS, generate_demo_records

PERSONAL = ["applicant_name", "citizen_id", "phone", "address", "email"]
ROOT = Path(__file__).resolve().parents[1]


def planted_values(path: Path) -> dict[str, set[str]]:
    """The fake personal values of a generated file (read here, in the test, on purpose)."""
    df = pd.read_parquet(path, columns=PERSONAL) if path.suffix == ".parquet" else pd.read_csv(
        path, usecols=PERSONAL, dtype=str)
    return {c: set(df[c].astype(str)) for c in PERSONAL}


def assert_clean(text: str, planted: dict[str, set[str]], where: str) -> None:
    """No planted value in ``text``. Digits and e-mails are matched as whole tokens, names
    and addresses as substrings; the address pattern must not appear at all."""
    digits = set(re.findall(r"\d{10,12}", text))
    assert not digits & planted["citizen_id"], f"citizen ID in {where}"
    assert not digits & planted["phone"], f"phone number in {where}"
    emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text))
    assert not emails & planted["email"], f"e-mail in {where}"
    assert "example.com" not in text, f"e-mail domain in {where}"
    assert not re.search(r"Xóm \d+ - khối dân cư \d+", text), f"address in {where}"
    leaked = [n for n in planted["applicant_name"] if n in text]
    assert not leaked, f"applicant names in {where}: {leaked[:3]}"


def frame_text(df) -> str:
    """Everything an output shows: a table, or a result's table, meta and settings."""
    if hasattr(df, "table") and hasattr(df, "meta"):
        extra = {**df.meta, **df.settings}
        df = df.table
    else:
        extra = df.attrs
    return df.to_csv(index=True) + repr(df) + json.dumps({k: str(v) for k, v in extra.items()})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("privacy")
    pq = generate_demo_records(8_000, seed=41, path=d / "records_synthetic.parquet")
    csv = generate_demo_records(8_000, seed=41, path=d / "records_synthetic.csv")
    return pq, csv


def test_generated_files_really_carry_personal_columns(files):
    for f in files:
        planted = planted_values(f)
        assert all(len(v) > 1000 for k, v in planted.items() if k != "address")
        raw = f.read_bytes() if f.suffix == ".csv" else b""
        if raw:
            assert next(iter(planted["citizen_id"])).encode() in raw  # the test has something to catch


def test_every_output_is_free_of_personal_data(files):
    for f in files:
        planted = planted_values(f)
        outputs = {
            "read_records": rec.read_records(f),
            "summarize": rec.summarize(f),
            "summarize by channel/procedure": rec.summarize(f, by=["unit_code", "channel", "procedure_code"]),
            "histogram": rec.working_day_histogram(f, by=["unit_code", "period", "channel", "procedure_code", "status"]),
            "processing_form": rec.processing_form(f),
        }
        outputs["reconcile"] = rec.reconcile(outputs["processing_form"], outputs["processing_form"].assign(
            resolved_late=outputs["processing_form"]["resolved_late"] + 1))
        hist = outputs["histogram"]
        outputs["unit_distribution"] = ra.unit_distribution(hist)
        for name, df in outputs.items():
            assert not set(PERSONAL) & set(getattr(df, "table", df).columns), f"personal column in {name}"
            assert_clean(frame_text(df), planted, f"{name} ({f.suffix})")
        assert set(outputs["read_records"].columns) == set(rec.RECORD_COLUMNS) | {"synthetic", "working_days"}
        cols = rec.export_columns(f)
        assert set(cols["dropped"]) == set(PERSONAL)


def test_error_messages_are_free_of_personal_data(tmp_path, files):
    pq, _ = files
    df = pd.read_parquet(pq)
    bad = df.head(300).copy()
    bad["received_at"] = bad["received_at"].astype(str)
    bad.loc[bad.index[5], "received_at"] = "not a date"
    bad.loc[bad.index[9], "channel"] = "fax"
    bad.loc[bad.index[12], "status"] = "??"
    # a CSV whose faulty line also holds personal data, and a ragged one (extra field)
    path = tmp_path / "bad_synthetic.csv"
    bad.to_csv(path, index=False)
    planted = planted_values(path)
    for fn in (rec.summarize, rec.read_records, rec.processing_form):
        with pytest.raises(DataError) as e:
            fn(path)
        assert len(e.value.problems) == 3
        assert_clean(str(e.value) + repr(e.value.problems), planted, f"error of {fn.__name__}")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[20] = lines[20] + ",EXTRA FIELD"
    ragged = tmp_path / "ragged_synthetic.csv"
    ragged.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        rec.summarize(ragged)
    assert_clean(str(e.value), planted, "error of a malformed CSV")


def test_nothing_is_left_on_disk(files, tmp_path, monkeypatch):
    """No cache or spill file appears in the working folder or the temp folder."""
    monkeypatch.chdir(tmp_path)
    tmp_root = Path(tempfile.gettempdir())
    before_tmp = {p.name for p in tmp_root.iterdir() if p.name.startswith("paranalysis-duckdb-")}
    for f in files:
        rec.summarize(f)
        rec.processing_form(f)
        rec.read_records(f)
    assert list(tmp_path.iterdir()) == []
    after_tmp = {p.name for p in tmp_root.iterdir() if p.name.startswith("paranalysis-duckdb-")}
    assert after_tmp <= before_tmp


@pytest.mark.skipif(os.environ.get("PARANALYSIS_SKIP_NOTEBOOK_PRIVACY") == "1", reason="asked to skip")
def test_notebook_06_and_its_html_are_free_of_personal_data(tmp_path):
    """Run notebook 06 as the report does (papermill, then HTML without code), regenerate
    the same demo export it used, and look for every planted value in both outputs."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    from paranalysis import load_dataset

    nb_in = ROOT / "notebooks" / "06-waiting-times.ipynb"
    nb_out = tmp_path / "06.ipynb"
    pm.execute_notebook(str(nb_in), str(nb_out), parameters={"data_dir": None, "quarter": None, "lang": "vi"},
                        cwd=str(nb_in.parent), progress_bar=False)
    node = nbformat.read(nb_out, as_version=4)
    html, _ = HTMLExporter(exclude_input=True).from_notebook_node(node)
    ds = load_dataset()
    same = generate_demo_records(NOTEBOOK_RECORDS, DEFAULT_SEED, tmp_path / "again_synthetic.parquet",
                                 processing=ds.processing, investments=ds.investments)
    planted = planted_values(same)
    notebook_text = nb_out.read_text(encoding="utf-8")
    assert "60,000" in notebook_text or "60.000" in notebook_text  # it did read the same demo export
    assert_clean(notebook_text, planted, "executed notebook 06")
    assert_clean(html, planted, "HTML of notebook 06")


def test_the_scan_itself_projects_only_allowed_columns(files):
    """DuckDB's plan: the file scan (Parquet and CSV) names no personal column, so those
    columns are never materialised, let alone turned into DataFrame columns."""
    import duckdb

    from paranalysis.records.reader import _register_calendar, _Scan, fast_sql

    for f in files:
        con = duckdb.connect()
        rng = _register_calendar(con, rec.working_day_calendar())
        sql = "SELECT count(*) FILTER (_bad_row), count(working_days) FROM (" + fast_sql(_Scan(f), con, rng) + ")"
        plan = "".join(row[1] for row in con.execute("EXPLAIN " + sql).fetchall())
        flat = re.sub(r"[\s│╭╮╰╯─┬┴┼├┤]+", "", plan)
        assert "Projections:" in flat and "unit_code" in flat, plan
        for c in PERSONAL:
            assert c.replace("_", "") not in flat.replace("_", ""), f"{c} in the scan of {f.name}"
