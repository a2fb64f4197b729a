"""The exported HTML: no code, no script, nothing loaded from the network, figures
embedded, synthetic banner and provenance footer; the run's index pages; and the quarterly
cycle end to end (ingest a new quarter from an official-form workbook, then run)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import paranalysis
from paranalysis import reporting as report
from paranalysis.dataset import bundled_data_dir
from paranalysis.ingest import ingest

ROW = dict(carried_over=10, received_online=5, received_direct=20, received_postal=1, resolved_early=10,
           resolved_on_time=12, resolved_late=2, pending_not_due=10, pending_overdue=2)
PARAMS = 'data_dir = None\nquarter = None\nlang = "vi"'


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def executed_like_notebook():
    """A notebook as papermill leaves it: code with every kind of output."""
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# Tiêu đề báo cáo\n\nMột đoạn giải thích."),
        new_code_cell("SECRET_SOURCE_LINE = compute_the_thing(42)", outputs=[
            new_output("stream", name="stderr", text="DeprecationWarning: noisy library chatter\n"),
            new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"},
                       metadata={"image/png": {"alt": "Chú thích hình: tỷ lệ quá hạn"}}),
            new_output("display_data", data={"text/html": "<table><tr><td>98,14%</td></tr></table>"}),
        ]),
        new_code_cell("another_hidden_call()", outputs=[
            new_output("error", ename="KeyError", evalue="'unit 999'",
                       traceback=["Traceback (most recent call last)", "  File secret_module.py, line 3"]),
        ]),
        new_code_cell("print('visible result')", outputs=[new_output("stream", name="stdout", text="visible result\n")]),
    ]
    return nb


# ------------------------------------------------------------------------------ the checker
@pytest.mark.parametrize("snippet", [
    '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js"></script>',
    "<script>var x = 1;</script>",
    '<img src="https://example.org/chart.png">',
    "<img src='//example.org/chart.png'>",
    '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">',
    '<link rel="stylesheet" href="local.css">',
    "<style>@import url('https://fonts.googleapis.com/css2?family=Inter');</style>",
    "<style>body { background: url(http://example.org/bg.png) }</style>",
    '<div style="background-image: url(//example.org/x.png)">x</div>',
    '<iframe src="http://example.org"></iframe>',
    '<img src="data:image/png;base64,AAAA" onload="fetch(1)">',
    '<div class="jp-InputArea"><pre>x = 1</pre></div>',
])
def test_checker_catches_remote_loads_scripts_and_code(snippet):
    page = f'<html><head><meta name="viewport" content="width=device-width"></head><body>{snippet}</body></html>'
    assert report.check_report(page), snippet


def test_checker_accepts_an_offline_page():
    page = ('<html><head><meta name="viewport" content="width=device-width"><style>img{max-width:100%}</style>'
            '</head><body><img src="data:image/png;base64,AAAA" alt="x">'
            '<a href="https://baonghean.vn/source">nguồn</a></body></html>')
    assert report.check_report(page) == []


def test_default_nbconvert_html_would_load_from_the_internet():
    """Why the package ships its own template: the stock one fails the check."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(executed_like_notebook())
    problems = report.check_report(body)
    assert any("script" in p for p in problems)


# ------------------------------------------------------------------------------ export
def test_export_has_no_code_embeds_figures_and_carries_banner_and_footer(tmp_path):
    nb = executed_like_notebook()
    data_file = tmp_path / "processing_x.csv"
    data_file.write_text("unit_code,period\n")
    vintage = {"folder": str(tmp_path), "bundled": False,
               "processing": {"first": "2024Q1", "last": "2024Q2", "units": 2, "rows": 4},
               "investments": {"n": 0, "first": None, "last": None},
               "rankings": {"indices": [], "first": None, "last": None}, "synthetic": {"processing": 4},
               "files": [{"path": "processing_x.csv", "sha256": hashlib.sha256(data_file.read_bytes()).hexdigest(),
                          "size": data_file.stat().st_size}], "latest_ingest": None}
    prov = report.provenance_block(vintage, lang="vi", parameters={"data_dir": None, "quarter": "2024Q2",
                                                                   "lang": "vi"},
                                   started="2024-07-20T09:00:00+07:00", seconds=12.3, commit="abc123")
    html = report.export_html(nb, lang="vi", banner="DỮ LIỆU MINH HỌA", provenance=prov)
    assert report.check_report(html) == []
    for hidden in ("SECRET_SOURCE_LINE", "compute_the_thing", "another_hidden_call", "print(",
                   "noisy library chatter", "secret_module.py", "Traceback"):
        assert hidden not in html, hidden
    assert "KeyError" in html and "unit 999" in html  # the failure is stated, briefly
    assert "visible result" in html and "98,14%" in html and "Một đoạn giải thích" in html
    imgs = re.findall(r"<img[^>]*>", html)
    assert len(imgs) == 1 and 'src="data:image/png;base64,iVBOR' in imgs[0]
    assert 'alt="Chú thích hình: tỷ lệ quá hạn"' in imgs[0]
    assert '<html lang="vi">' in html and 'name="viewport"' in html
    assert "DỮ LIỆU MINH HỌA" in html
    footer = html.split('class="pa-footer"', 1)[1]
    for needed in ("Nguồn gốc báo cáo", "2024Q1 đến 2024Q2", paranalysis.__version__, "abc123",
                   "quarter='2024Q2'", vintage["files"][0]["sha256"], "12.3", "processing: 4"):
        assert needed in footer, needed


def test_the_exporter_made_once_writes_every_page_as_a_new_one_would():
    """export_html keeps one nbconvert exporter per thread (its templates compiled once):
    pages of different notebooks, languages, banners and failures, one after another, are
    each the page a newly made exporter writes."""
    from paranalysis.reporting import html as H

    plain = new_notebook()
    plain.cells = [new_markdown_cell("## Một tiêu đề <b>đậm</b>")]
    cases = [(executed_like_notebook(), "vi", "DỮ LIỆU MINH HỌA", None), (plain, "en", None, "failed — KeyError"),
             (executed_like_notebook(), "en", None, None), (plain, "vi", "<i>banner</i>", None)]
    reused = [report.export_html(nb, lang=lang, banner=b, failed=f, title="T") for nb, lang, b, f in cases]
    fresh = []
    for nb, lang, b, f in cases:
        H._EXPORTERS.html = H._new_exporter()
        fresh.append(report.export_html(nb, lang=lang, banner=b, failed=f, title="T"))
    assert reused == fresh
    assert len(set(reused)) == 4


def test_tag_hidden_cells_stay_out_of_the_report():
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Analyst note: do not show", metadata={"tags": ["report-hide"]}),
                new_markdown_cell("## Shown heading")]
    html = report.export_html(nb)
    assert "Analyst note" not in html and "Shown heading" in html
    assert report.notebook_title(nb) == "Shown heading"


# ------------------------------------------------------------------------------ a run
def _tiny_notebook(path: Path) -> Path:
    nb = new_notebook()
    nb.cells = [new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
                new_code_cell("from paranalysis import nbtools\nds, q = nbtools.setup(data_dir, quarter, lang)\n"
                              "nbtools.synthetic_banner(ds, lang)"),
                new_code_cell("from IPython.display import Markdown\n"
                              "Markdown(f'# Báo cáo {q} ({lang}): {len(ds.processing)} dòng')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_publishes_pages_index_and_provenance(tmp_path, monkeypatch):
    src = tmp_path / "in.csv"
    pd.DataFrame([dict(unit_code=u, period=q, **ROW) for u in ("412", "415") for q in ("2024Q1", "2024Q2")]
                 ).to_csv(src, index=False)
    ds_dir = tmp_path / "ds"
    ingest(src, ds_dir)
    nb = _tiny_notebook(tmp_path / "01-tiny.ipynb")
    monkeypatch.chdir(tmp_path)
    res = report.run_notebooks(data=ds_dir, notebooks=[nb], progress=False)
    assert res.ok and res.quarter == "2024Q2" and res.out == Path("reports") / "2024Q2"
    page = (res.out / "01-tiny.html").read_text()
    assert "Báo cáo 2024Q2 (vi): 4 dòng" in page
    assert report.check_report(page) == []
    assert "DỮ LIỆU MINH HỌA" not in page and "role=\"alert\"" not in page  # real rows: no banner
    sha = hashlib.sha256((ds_dir / "processing_ingested.csv").read_bytes()).hexdigest()
    assert sha in page and "2024Q1 đến 2024Q2" in page and "in.csv" in page  # vintage and latest ingest
    assert "<title>Báo cáo 2024Q2 (vi): 4 dòng</title>" in page
    # English into the same folder: separate files, one index listing both
    res_en = report.run_notebooks(data=ds_dir, quarter="2024Q1", lang="en", out=res.out, notebooks=[nb],
                                  progress=False)
    assert "Báo cáo 2024Q1 (en)" in (res.out / "01-tiny.en.html").read_text()
    index = (res.out / "index.html").read_text()
    assert 'href="01-tiny.html"' in index and 'href="01-tiny.en.html"' in index
    assert report.check_report(index) == []
    assert '"Segoe UI"' in index  # the stylesheet is inlined as is, not HTML-escaped
    top = (tmp_path / "reports" / "index.html").read_text()
    assert 'href="2024Q2/index.html"' in top
    manifest = json.loads((res.out / "run-vi.json").read_text())
    assert manifest["parameters"] == {"data_dir": ds_dir.name, "quarter": "2024Q2", "lang": "vi"}  # by name only
    assert manifest["vintage"]["files"][0]["sha256"] == sha
    assert manifest["vintage"]["versions"]["pandas"] == pd.__version__
    import sys
    for f in res.out.iterdir():  # issue 12 item 2: nothing published names this machine's folders
        if f.suffix in {".html", ".ipynb", ".json"}:
            text = f.read_text(encoding="utf-8")
            for p in (str(tmp_path), sys.prefix, str(Path.home())):
                assert p not in text, (f.name, p)
    assert res_en.ok


def test_synthetic_data_gets_the_banner(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame([dict(unit_code="412", period="2024Q2", **ROW)]).to_csv(src, index=False)
    ingest(src, tmp_path / "ds", synthetic=True)
    nb = new_notebook()  # a notebook that does not show the banner itself
    nb.cells = [new_code_cell(PARAMS, metadata={"tags": ["parameters"]}), new_code_cell("1 + 1")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "01-plain.ipynb")
    res = report.run_notebooks(data=tmp_path / "ds", out=tmp_path / "out", notebooks=[tmp_path / "01-plain.ipynb"],
                               progress=False)
    page = (tmp_path / "out" / "01-plain.html").read_text()
    assert 'class="pa-banner"' in page and "DỮ LIỆU MINH HỌA" in page and res.ok


def test_quarter_resolution():
    ds = paranalysis.load_dataset()
    last = str(ds.periods()[-1])
    assert report.resolve_quarter(ds) == last
    assert report.resolve_quarter(ds, "Q1/2019") == "2019Q1"
    with pytest.raises(report.RunError, match="not in the data"):
        report.resolve_quarter(ds, "2010Q1")


# ------------------------------------------------------------------------------ the cycle
def test_ingest_a_new_quarter_from_a_workbook_then_run_shows_it(tmp_path):
    """Done-when of issue 6: ingest an official-form workbook for a quarter after the demo,
    then run --quarter: the leadership report is about that quarter and says what arrived."""
    from paranalysis.forms import write_official_form

    nb05 = [p for p in report.list_notebooks() if p.name.startswith("05-")]
    assert nb05, "notebook 05 not found"
    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    ds = paranalysis.load_dataset(data)
    # the demo's last quarter is taken out of the copy and arrives as a workbook: a form names
    # the units valid in its own quarter (the quarter after the demo may be in a new map)
    new_q = ds.periods()[-1]
    for f in ds.files["processing"]:
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
        t[t["period"] != str(new_q)].to_csv(f, index=False)
    rows = ds.processing[ds.processing["period"] == new_q].copy()
    rows["resolved_late"] = rows["resolved_late"] + 1  # something that differs
    book = write_official_form(rows, tmp_path / f"bao_cao_{new_q}.xlsx", period=str(new_q))
    res = ingest(book, data)
    assert res.action == "added" and res.periods == [str(new_q)]
    run = report.run_notebooks(data=data, quarter=str(new_q), out=tmp_path / "out", notebooks=nb05, progress=False)
    assert run.ok, run.failed
    page = (tmp_path / "out" / run.reports[0].html).read_text()
    label = f"Quý {['I', 'II', 'III', 'IV'][new_q.quarter - 1]}/{new_q.year}"
    assert label in page
    assert f"bao_cao_{new_q}.xlsx" in page  # "what changed": the ingest is listed, and in the footer
    assert report.check_report(page) == []


def test_a_page_with_live_markup_is_not_published_and_the_run_fails_naming_it(tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame([dict(unit_code=u, period="2024Q2", **ROW) for u in ("412", "415")]).to_csv(src, index=False)
    ingest(src, tmp_path / "ds")
    nb = _tiny_notebook(tmp_path / "01-tiny.ipynb")
    bad = nbformat.read(nb, as_version=4)
    bad.cells.append(new_code_cell("from IPython.display import HTML\nHTML('<iframe srcdoc=\"x\"></iframe>')"))
    bad_path = tmp_path / "02-bad.ipynb"
    nbformat.write(bad, bad_path)
    res = report.run_notebooks(data=tmp_path / "ds", notebooks=[nb, bad_path], out=tmp_path / "out", progress=False)
    good, failed = res.reports
    assert good.ok and (tmp_path / "out" / "01-tiny.html").exists()
    assert not failed.ok and "UnsafeReportError" in failed.error and "02-bad.html" in failed.error
    assert "iframe" in failed.error
    assert not (tmp_path / "out" / "02-bad.html").exists()
