"""Issue 12 item 8, end to end: a data folder built the documented way (README "Every
quarter", docs/quarterly-cycle.md: ``paranalysis ingest`` of official-form workbooks into a
new empty folder) holds only processing counts. ``paranalysis run`` on it runs every
notebook without an error, and the pages say in plain words what is missing (no
investment register, no rankings, no press figures) and how to add it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import paranalysis
from paranalysis import cli
from paranalysis.forms import write_official_form
from paranalysis.reporting import list_notebooks

UNITS = ["412", "414", "415", "416", "417", "418"]
QUARTERS = ["2024Q1", "2024Q2"]


@pytest.fixture(scope="module")
def run_on_new_folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("documented")
    demo = paranalysis.load_dataset().processing  # realistic counts for the workbooks
    data = tmp / "du_lieu"
    for q in QUARTERS:
        rows = demo[(demo["period"].astype(str) == q) & demo["unit_code"].isin(UNITS)]
        book = write_official_form(rows.drop(columns=["synthetic", "source"]), tmp / f"bao_cao_{q}.xlsx", period=q)
        assert cli.main(["ingest", str(book), "--data", str(data)]) == 0
    assert sorted(p.name for p in data.iterdir() if p.is_file() and not p.name.startswith(".")) == ["processing_ingested.csv"]
    # the documented command, run from the folder that holds du_lieu: the default OUT is reports/<quarter>/,
    # relative to it (the kernels change the working folder meanwhile; the pages must still land there)
    here = os.getcwd()
    os.chdir(tmp)
    try:
        code = cli.main(["run", "--data", "du_lieu", "--no-progress"])
    finally:
        os.chdir(here)
    return code, tmp / "reports" / "2024Q2"


def test_every_notebook_runs_and_publishes_its_page(run_on_new_folder):
    code, out = run_on_new_folder
    assert code == 0
    manifest = json.loads((out / "run-vi.json").read_text(encoding="utf-8"))
    assert manifest["quarter"] == "2024Q2"
    names = [p.stem for p in list_notebooks()]
    assert len(names) >= 7
    assert [r["notebook"] for r in manifest["reports"]] == [f"{n}.ipynb" for n in names]
    assert all(r["ok"] and r["error"] is None for r in manifest["reports"]), manifest["reports"]
    for name in names:
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert 'class="pa-failed"' not in page and "Traceback" not in page, name
        executed = json.loads((out / f"{name}.ipynb").read_text(encoding="utf-8"))
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert errors == [], (name, errors)
        streams = "".join("".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", [])
                          if o["output_type"] == "stream")
        assert "Error" not in streams and "Traceback" not in streams, name


def _page(out: Path, prefix: str) -> str:
    (path,) = [p for p in out.glob(f"{prefix}-*.html") if not p.name.endswith(".en.html")]
    return path.read_text(encoding="utf-8")


def test_the_investment_section_explains_how_to_add_the_register(run_on_new_folder):
    _, out = run_on_new_folder
    page = _page(out, "03")
    assert "Chưa có khoản đầu tư nào được đăng ký" in page
    assert "thư mục dữ liệu du_lieu không có sổ đầu tư" in page
    assert "<code>investments.csv</code>" in page and "<code>paranalysis validate &lt;thư mục dữ liệu&gt;</code>" in page
    assert "Chưa có khoản đầu tư nào được đăng ký" in _page(out, "06")  # waiting times before/after


def test_the_other_pages_say_what_is_missing(run_on_new_folder):
    _, out = run_on_new_folder
    assert "Chưa có năm nào đủ bốn quý số liệu" in _page(out, "02")
    assert "không có số liệu của Nghi Lộc (mã 429) nên không có biểu đồ so sánh" in _page(out, "02")  # units 412-418
    rankings = _page(out, "04")
    assert "Chưa có số liệu xếp hạng của tỉnh" in rankings and "<code>data/rankings/</code>" in rankings
    assert "chưa có bảng xếp hạng các đơn vị cấp huyện" in rankings
    assert "chưa có số liệu báo chí" in _page(out, "01")


def test_a_new_map_folder_of_national_forms_runs_every_notebook(tmp_path):
    """The same documented steps after 1 July 2025: Biểu 06 forms (only the sums of direct +
    postal and early + on time) of six new communes and wards, 2025Q3 and 2025Q4, a file
    name carrying markup. Every notebook runs (found failing before: notebook 01 charted
    only district-level units and wrote its example form in the standard layout), and the
    file name is shown escaped."""
    demo = paranalysis.load_dataset()
    lv = demo.units.drop_duplicates("unit_code").set_index("unit_code")["level"]
    p = demo.processing
    communes = sorted(p.loc[(p["period"].astype(str) == "2025Q4") & p["unit_code"].map(lv).eq("commune"),
                            "unit_code"].unique())[:6]
    data = tmp_path / "du_lieu"
    for q in ("2025Q3", "2025Q4"):
        rows = p[(p["period"].astype(str) == q) & p["unit_code"].isin(communes)]
        book = write_official_form(rows.drop(columns=["synthetic", "source"]), tmp_path / f"bao_cao_<i>{q}<i>.xlsx",
                                   period=q, layout="bieu06")
        assert cli.main(["ingest", str(book), "--data", str(data)]) == 0
    assert paranalysis.load_dataset(data).processing["resolved_early"].isna().all()
    out = tmp_path / "out"
    assert cli.main(["run", "--data", str(data), "--out", str(out), "--no-progress"]) == 0
    manifest = json.loads((out / "run-vi.json").read_text(encoding="utf-8"))
    assert all(r["ok"] for r in manifest["reports"]), [r["error"] for r in manifest["reports"] if not r["ok"]]
    page = (out / "01-data-overview.html").read_text(encoding="utf-8")
    assert "bao_cao_&lt;i&gt;2025Q4&lt;i&gt;.xlsx" in page and "<i>2025Q4<i>" not in page
