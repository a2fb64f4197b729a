"""Issue 12 item 8: what a dataset folder holds (paranalysis.availability), the plain-words
note a section shows when a part is missing, and the library functions that used to fail
on a folder holding only processing counts."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

import paranalysis
from paranalysis import availability as A
from paranalysis import geography
from paranalysis.errors import DataError
from paranalysis.i18n import TRANSLATIONS
from paranalysis.ingest import ingest
from paranalysis.markup import esc, publishable_notebook

ROW = dict(carried_over=10, received_online=50, received_direct=200, received_postal=1, resolved_early=100,
           resolved_on_time=120, resolved_late=9, pending_not_due=10, pending_overdue=2)
UNITS = ("412", "414", "415", "416", "417")
NO_INVESTMENTS_VI = "Chưa có khoản đầu tư nào được đăng ký"


def folder(tmp_path, quarters, name="du_lieu"):
    """A new folder built by ingest, holding only processing counts."""
    src = tmp_path / f"in_{name}.csv"
    pd.DataFrame([dict(unit_code=u, period=q, **ROW) for u in UNITS for q in quarters]).to_csv(src, index=False)
    ingest(src, tmp_path / name)
    return tmp_path / name


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    out = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: out.extend(objs))
    return out


def test_a_folder_with_only_processing_counts(tmp_path):
    ds = paranalysis.load_dataset(folder(tmp_path, ["2024Q1", "2024Q2"]))
    assert A.holds(ds) == {"processing": True, "whole_years": False, "investments": False,
                           "investment_effects": False, "rankings": False, "district_rankings": False,
                           "facts": False, "service_index": False, "records": False}
    vi = A.missing_note(ds, "investments")
    assert vi.startswith(NO_INVESTMENTS_VI) and "du_lieu" in vi
    # how to add the register, as docs/data.md and docs/quarterly-cycle.md say
    assert "`investments.csv`" in vi and "`date_in_operation`" in vi and "paranalysis validate" in vi
    assert A.missing_note(ds, "investment_effects") == vi  # no register: the same note
    assert A.missing_note(ds, "investments", "en").startswith("No investments registered")
    assert "`data/rankings/`" in A.missing_note(ds, "rankings") and "`data/facts/`" in A.missing_note(ds, "facts")
    assert "Quý I/2024 đến Quý II/2024" in A.missing_note(ds, "whole_years")
    assert A.missing_note(ds, "processing") == ""
    table = A.summary(ds, "en")
    assert list(table.columns) == ["Part of the data", "In the folder", "What is missing and how to add it"]
    assert table["In the folder"].tolist().count("yes") == 1


def test_require_shows_the_note_and_says_skip(tmp_path, shown):
    ds = paranalysis.load_dataset(folder(tmp_path, ["2024Q1", "2024Q2"]))
    assert A.require(ds, "investments", "vi") is False
    assert len(shown) == 1 and NO_INVESTMENTS_VI in shown[0].data and "Phần này được bỏ qua." in shown[0].data
    assert A.require(ds, "processing", "vi") is True and len(shown) == 1  # nothing shown when present
    assert A.require(ds, "rankings", "en", show=False) is False and len(shown) == 1
    with pytest.raises(ValueError, match="unknown part"):
        A.require(ds, "investment", "vi")


def test_bundled_data_holds_every_part_but_record_exports():
    ds = paranalysis.load_dataset()
    held = A.holds(ds)
    assert held.pop("records") is False  # notebook 06 generates its demo records
    assert all(held.values()), held


def test_whole_years_need_four_quarters_of_one_year_up_to_the_quarter(tmp_path):
    ds = paranalysis.load_dataset(folder(tmp_path, ["2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4"]))
    assert A.part(ds, "whole_years").ok
    assert not A.part(ds, "whole_years", quarter="2024Q3").ok  # 2024 incomplete then, 2023 has one quarter


def _investments(path, rows):
    pd.DataFrame([dict(unit_code=u, date_in_operation=d, category=c, amount_vnd=1e9, endpoints=0,
                       description="x", source="test", synthetic=False) for u, d, c in rows]
                 ).to_csv(path / "investments.csv", index=False)


def test_effect_model_needs_two_adopters_with_a_quarter_before_and_two_comparison_units(tmp_path):
    root = folder(tmp_path, ["2024Q1", "2024Q2", "2024Q3"])
    # reporting quarters run from the 15th of the month before: 1 May 2024 is in 2024Q2, 1 Aug in 2024Q3
    _investments(root, [("412", "2024-05-01", "one_stop_facility"), ("414", "2024-05-01", "one_stop_facility"),
                        ("415", "2024-08-01", "online_meeting_system"), ("416", "2024-08-01", "online_meeting_system")])
    ds = paranalysis.load_dataset(root)
    assert A.part(ds, "investments").ok
    assert A.part(ds, "investment_effects").ok  # 2 adopters and 3 never-treated units in each category
    p = A.part(ds, "investment_effects", quarter="2024Q2")  # the meeting systems come after the window
    assert not p.ok and p.values["categories"] == ["online_meeting_system"]
    note = A.missing_note(ds, "investment_effects", quarter="2024Q2")
    assert "hệ thống họp trực tuyến" in note and "Bộ phận Một cửa" not in note and "ít nhất 2 đơn vị" in note
    # an investment in operation from the first quarter has no quarter before it
    _investments(root, [("412", "2024-01-10", "one_stop_facility"), ("414", "2024-05-01", "one_stop_facility"),
                        ("415", "2024-08-01", "online_meeting_system"), ("416", "2024-08-01", "online_meeting_system")])
    p = A.part(paranalysis.load_dataset(root), "investment_effects")
    assert not p.ok and p.values["categories"] == ["one_stop_facility"]


def test_recent_window_starts_at_the_first_quarter_of_the_data(tmp_path):
    ds = paranalysis.load_dataset(folder(tmp_path, ["2024Q1", "2024Q2"]))
    rows = geography.compared_rows(ds)
    w, label = geography.recent_window(rows, "2024Q2", 4)
    assert label == "2024Q1–2024Q2" and sorted(w["unit_code"]) == list(UNITS)
    assert (w["resolved_late"] == 2 * ROW["resolved_late"]).all()  # two quarters added up per unit
    w, label = geography.recent_window(rows, "2024Q1", 4)
    assert label == "2024Q1" and (w["resolved_late"] == ROW["resolved_late"]).all()


def test_province_timeline_without_ranks_is_a_data_error_naming_the_unit(tmp_path):
    from paranalysis import rankings

    ds = paranalysis.load_dataset(folder(tmp_path, ["2024Q1", "2024Q2"]))
    with pytest.raises(DataError, match="at least one rank of unit 40 from 2016"):
        rankings.plot_province_timeline(ds.rankings, ds.facts, ds.investments, unit_code="40")


def test_every_availability_text_has_both_languages():
    keys = [k for k in TRANSLATIONS if k.startswith("avail.")]
    for name in A.PARTS:
        assert f"avail.part.{name}" in keys
    assert all(set(TRANSLATIONS[k]) == {"vi", "en"} for k in keys)


# ------------------------------------------------------- notebook 06's sentences ----

VECTOR = "<iframe srcdoc=x>"


def test_waiting_time_lines_escape_header_names_and_unit_codes(tmp_path):
    from paranalysis import records as rec
    from paranalysis.records import notes
    from paranalysis.records.demo import generate_demo_records
    from paranalysis.results import TableResult

    ds = paranalysis.load_dataset(folder(tmp_path, ["2024Q1", "2024Q2"]))
    demo = generate_demo_records(500, 7, tmp_path / "demo_synthetic.parquet", processing=ds.processing,
                                 investments=ds.investments)
    export = tmp_path / "records_planted_synthetic.csv"
    pd.read_parquet(demo).assign(**{VECTOR: "x"}).to_csv(export, index=False)  # a header from a received export
    columns = rec.export_columns(export)
    assert VECTOR in columns["dropped"]
    hist = rec.working_day_histogram(export, by=("unit_code", "period", "channel", "procedure_code"))
    line = notes.data_line(hist, columns, pd.Period("2024Q2", "Q"), is_demo=False, lang="vi")
    assert "<iframe" not in line and esc(VECTOR) in line and "&lt;iframe srcdoc=x&gt;" in line
    assert f"**{int(hist['records'].sum()):,}**".replace(",", ".") in line
    empty = TableResult(table=pd.DataFrame(columns=["change_vs_comparison"]),
                        meta={"comparison_units": [VECTOR, "412"]})
    text = notes.before_after_line(empty, "vi")
    assert "<iframe" not in text and "&lt;iframe srcdoc=x&gt;, 412" in text and "Không đơn vị nào" in text
    ba = TableResult(table=pd.DataFrame({"change_vs_comparison": [-1.0, -2.0]}), meta={"comparison_units": ["415"]})
    assert "**−1,50**" in notes.before_after_line(ba, "vi") or "**-1,50**" in notes.before_after_line(ba, "vi")


# ---------------------------------------------------- published notebooks ----

def test_publishable_notebook_reduces_tracebacks_to_one_line():
    import paranalysis.markup as M

    nb = nbformat.v4.new_notebook()
    frames = ["\x1b[31m---------------------------------------------------------------------------\x1b[39m",
              "\x1b[31mKeyError\x1b[39m   Traceback (most recent call last)",
              f"File \x1b[32m{M._PACKAGE_DIR}/funnel.py:195\x1b[39m, in funnel(data)",
              "File /home/analyst/.venv/lib/python3.11/site-packages/pandas/core/frame.py:4102"]
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("error", ename="KeyError", evalue="'\x1b[1mon_time\x1b[0m'", traceback=frames),
        nbformat.v4.new_output("stream", name="stderr", text=f"{M._PACKAGE_DIR}/plots.py:3: UserWarning: w\n")])]
    out = publishable_notebook(nbformat.writes(nb))
    back = nbformat.reads(out, as_version=4)
    err, stream = back.cells[0].outputs
    assert err["traceback"] == ["KeyError: 'on_time'"] and err["evalue"] == "'on_time'"
    assert stream["text"] == "<paranalysis>/plots.py:3: UserWarning: w\n"
    assert M._PACKAGE_DIR not in out and "site-packages" not in out and "Traceback" not in out
