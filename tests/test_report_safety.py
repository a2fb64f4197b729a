"""Issue 12, items 1-2: text from data never becomes live markup in a report, the page
check refuses any live markup (and the run then fails that page by name instead of
publishing it), and nothing a run publishes names this machine's folders."""

from __future__ import annotations

from html.parser import HTMLParser

import matplotlib
import nbformat
import pandas as pd
import pytest

matplotlib.use("Agg")

import paranalysis
from paranalysis import leadership as L
from paranalysis import reporting as report
from paranalysis.errors import RunError, UnsafeReportError
from paranalysis.ingest import ingest
from paranalysis.markup import esc
from paranalysis.serviceindex import leadership as SL

VECTORS = [
    '<iframe srcdoc="<script>alert(1)</script>">',
    '<a href="javascript:alert(1)">x</a>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    "[x](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=javascript:alert(1)//>",
    "[x](vbscript:msgbox(1)) <JaVaScRiPt:alert(1)>",
]
FILE_VECTORS = [v for v in VECTORS if "/" not in v]  # a file name cannot hold "/"

LIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "form", "base", "svg", "math", "button", "input"}


class Live(HTMLParser):
    """Every live element or attribute of a page, found independently of report.check_report."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in LIVE_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append("<meta http-equiv>")
        for k, v in attrs:
            u = "".join((v or "").split()).lower()
            if k.startswith("on") or k == "srcdoc":
                self.found.append(f"<{tag} {k}>")
            if k in {"href", "src", "action", "data", "formaction"} and (
                    u.startswith(("javascript:", "vbscript:")) or (u.startswith("data:") and not u.startswith("data:image/png"))):
                self.found.append(f"<{tag} {k}={v}>")


def live(html: str) -> list[str]:
    p = Live()
    p.feed(html)
    p.close()
    return p.found


@pytest.fixture
def shown(monkeypatch):
    """What the library's display helpers show, as notebook outputs."""
    import IPython.display

    outputs = []

    def display(*objs, **kw):
        for o in objs:
            data = {}
            if isinstance(o, IPython.display.Markdown):
                data["text/markdown"] = o.data
            elif isinstance(o, IPython.display.HTML):
                data["text/html"] = o.data
            elif isinstance(o, IPython.display.Image):
                import base64

                data["image/png"] = base64.b64encode(o.data).decode()
                outputs.append(nbformat.v4.new_output("display_data", data=data, metadata={"alt": o.metadata.get("alt")}
                                                      if o.metadata else {}))
                continue
            else:
                data["text/plain"] = repr(o)
            outputs.append(nbformat.v4.new_output("display_data", data=data))

    monkeypatch.setattr(IPython.display, "display", display)
    return outputs


def page_of(outputs=(), markdown_lines=()) -> str:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = list(outputs) + [nbformat.v4.new_output("display_data", data={"text/markdown": m})
                                    for m in markdown_lines]
    nb.cells.append(cell)
    return report.export_html(nb, lang="en")


def assert_inert(html: str, vector: str):
    assert live(html) == [], (vector, live(html))
    assert report.check_report(html) == [], (vector, report.check_report(html))


# ---------------------------------------------------------------- escaping ----

@pytest.mark.parametrize("vector", VECTORS)
def test_esc_is_inert_in_markdown(vector):
    html = page_of(markdown_lines=[f"- {esc(vector)}", "## " + esc(vector), f"| a |\n|---|\n| {esc(vector)} |"])
    assert_inert(html, vector)
    assert "alert(1)" in html  # shown as text, not dropped


@pytest.mark.parametrize("vector", VECTORS)
def test_unit_names_in_standout_lines(tmp_path, vector, shown):
    base = dict(carried_over=0, received_postal=0, pending_not_due=0, pending_overdue=0)
    rows = []
    for i, u in enumerate(["412", "414", "415", "416", "417", "418", "419", "420", "421", "422", "423"]):
        late = 300 if u == "419" else 40 + (i % 3) * 4
        rows.append(dict(unit_code=u, period="2024Q2", received_online=500, received_direct=1500,
                         resolved_early=900, resolved_on_time=1100 - late, resolved_late=late, **base))
    pd.DataFrame(rows).to_csv(tmp_path / "in.csv", index=False)
    ingest(tmp_path / "in.csv", tmp_path / "ds")
    ds = paranalysis.load_dataset(tmp_path / "ds")
    for col in ("short_name_vi", "name_vi", "name_ascii"):  # what a units_extra.csv row could say
        ds.units.loc[ds.units["unit_code"] == "419", col] = vector
    res = L.standout(ds, "2024Q2")
    for lang in ("vi", "en"):
        L.say(L.standout_lines(res, ds, lang))
    L.table(pd.DataFrame({vector: [vector]}))  # column header and cell
    assert_inert(page_of(shown), vector)


@pytest.mark.parametrize("vector", FILE_VECTORS)
def test_ingested_file_names_in_what_changed_and_footer(tmp_path, vector, shown):
    base = dict(carried_over=0, received_postal=0, pending_not_due=0, pending_overdue=0)
    for q in ("2024Q1", "2024Q2"):
        f = tmp_path / f"{vector} {q}.csv"
        pd.DataFrame([dict(unit_code=u, period=q, received_online=10, received_direct=10, resolved_early=5,
                           resolved_on_time=10, resolved_late=1, **base) for u in ("412", "415")]).to_csv(f, index=False)
        ingest(f, tmp_path / "ds")
    ds = paranalysis.load_dataset(tmp_path / "ds")
    info = L.what_changed(ds, "2024Q2")
    assert vector in " ".join(info["log"]["file_name"])
    L.say(L.what_changed_lines(info, "en"))
    vintage = report.data_vintage(ds)
    prov = report.provenance_block(vintage, lang="en", parameters={}, started=None, seconds=None, commit=None)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = shown
    nb.cells.append(cell)
    html = report.export_html(nb, lang="en", provenance=prov, title=vector, banner=vector, failed=vector)
    assert_inert(html, vector)


@pytest.mark.parametrize("vector", VECTORS)
def test_ranking_index_names_and_figure_captions(vector, shown):
    latest = pd.DataFrame([dict(index=vector, year=2024, rank=5, n_ranked=63, prev_year=2023, prev_rank=7,
                                places_gained=2, rank_comparable=True)])
    L.say(L.ranking_lines(latest, "en"))
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    fig.suptitle(vector)
    L.show(fig)
    assert_inert(page_of(shown), vector)


@pytest.mark.parametrize("vector", VECTORS)
def test_service_index_names_and_periods(vector):
    assert SL.month_label(vector) == esc(vector)
    html = page_of(markdown_lines=["## " + SL.month_label(vector), "- " + SL.month_label(vector + "-YTD")])
    assert_inert(html, vector)


@pytest.mark.parametrize("vector", VECTORS)
def test_index_pages_escape_titles(tmp_path, vector):
    import json

    run = {"quarter": "2024Q2", "lang": "vi", "started": "t", "seconds": 1, "version": "x", "commit": vector,
           "banner": vector, "vintage": {"folder": vector, "processing": {"first": vector, "last": "2024Q2"}},
           "reports": [{"notebook": vector, "title": vector, "html": "01-a.html", "ok": True, "html_bytes": 10,
                        "seconds": 1}]}
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "run-vi.json").write_text(json.dumps(run), encoding="utf-8")
    assert_inert(report.write_index(tmp_path / "q").read_text(encoding="utf-8"), vector)
    assert_inert(report.write_reports_index(tmp_path).read_text(encoding="utf-8"), vector)


# ------------------------------------------------------------- page check ----

LIVE_SNIPPETS = {
    "script": "<script>alert(1)</script>",
    "iframe srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "iframe": '<iframe src="x.html"></iframe>',
    "object": '<object data="x.swf"></object>',
    "embed": '<embed src="x.swf">',
    "form": '<form action="x"><input name="a"></form>',
    "base": '<base href="x/">',
    "meta refresh": '<meta http-equiv="Refresh" content="0;url=x">',
    "onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)>",
    "onclick upper": '<p ONCLICK="alert(1)">x</p>',
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "javascript entity": '<a href="jav&#x09;ascript&colon;alert(1)">x</a>',
    "javascript space": '<a href=" JavaScript:alert(1)">x</a>',
    "vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "data html href": '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "data html img": '<img src="data:text/html,<script>alert(1)</script>">',
    "xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "css expression": '<p style="width:expression(alert(1))">x</p>',
}


def _page(snippet: str) -> str:
    return ('<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"></head><body>'
            f"{snippet}</body></html>")


@pytest.mark.parametrize("name", sorted(LIVE_SNIPPETS))
def test_check_report_refuses_every_live_element(name):
    assert report.check_report(_page(LIVE_SNIPPETS[name])), name


def test_check_report_accepts_what_the_package_emits(shown):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    fig.suptitle("Tỷ lệ trễ hạn (%)")
    L.show(fig)
    L.say(["**đậm** và [liên kết](https://example.org) và [neo](#a)"])
    L.table(pd.DataFrame({"a": [1]}))
    html = page_of(shown)
    assert 'src="data:image/png;base64,' in html
    assert report.check_report(html) == []


def test_unsafe_report_error_names_page_and_element():
    err = UnsafeReportError("05-leadership-report.html", ["<iframe> element", "<a href='javascript:'>"])
    assert isinstance(err, RunError)
    assert "05-leadership-report.html" in str(err) and "<iframe> element" in str(err)


# ------------------------------------------------- published notebooks ----

def test_a_failing_cell_publishes_its_error_in_one_line_without_machine_paths(tmp_path):
    """Issue 12: the executed .ipynb published beside the pages keeps a failing cell's
    exception name and message, not its traceback (code and files of this machine)."""
    import json
    import sys
    from pathlib import Path

    import paranalysis.markup as M

    src = tmp_path / "in.csv"
    base = dict(carried_over=0, received_postal=0, pending_not_due=0, pending_overdue=0)
    pd.DataFrame([dict(unit_code="412", period="2024Q2", received_online=10, received_direct=10, resolved_early=5,
                       resolved_on_time=10, resolved_late=1, **base)]).to_csv(src, index=False)
    ingest(src, tmp_path / "ds")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('data_dir = None\nquarter = None\nlang = "vi"', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os, paranalysis\n"
                                          "paranalysis.load_dataset(os.path.join(data_dir, 'missing'))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "01-fails.ipynb")
    res = report.run_notebooks(data=tmp_path / "ds", notebooks=[tmp_path / "01-fails.ipynb"], out=tmp_path / "out",
                               progress=False)
    assert not res.ok and "DataError" in res.reports[0].error
    text = (tmp_path / "out" / "01-fails.ipynb").read_text(encoding="utf-8")
    errors = [o for c in json.loads(text)["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["ename"] == "DataError" and errors[0]["traceback"] == [f"DataError: {errors[0]['evalue']}"]
    assert "<ds>/missing" in errors[0]["evalue"]  # the data folder by name only
    assert "Traceback" not in text and "\x1b[" not in text and "\\u001b" not in text
    for p in (str(tmp_path), sys.prefix, str(Path.home()), M._PACKAGE_DIR):
        assert p not in text, p
    page = (tmp_path / "out" / "01-fails.html").read_text(encoding="utf-8")
    assert "DataError" in page and "&lt;ds&gt;/missing" in page
    for f in (tmp_path / "out").iterdir():  # the page's failure line, the index, run-vi.json
        if f.suffix in {".html", ".ipynb", ".json"}:
            body = f.read_text(encoding="utf-8")
            assert str(tmp_path) not in body and M._PACKAGE_DIR not in body, f.name
