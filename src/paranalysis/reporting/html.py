"""Notebook to leadership page, and the index pages that list every report of a run and
every run: the package's nbconvert template, inline stylesheet, banner and footer."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import paranalysis
from paranalysis.errors import RunError
from paranalysis.i18n import DEFAULT_LANG, LANGS, file_tag, quarter_label, t
from paranalysis.reporting.notebooks import REMOVE_CELL_TAGS, notebook_title


def templates_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "templates"


def report_css() -> str:
    return (templates_dir() / "report.css").read_text(encoding="utf-8")


def export_html(nb, *, lang: str = DEFAULT_LANG, banner: str | None = None, provenance: dict | None = None,
                failed: str | None = None, title: str | None = None) -> str:
    """A notebook (executed) as a self-contained leadership page: no code, no scripts,
    figures embedded, synthetic-data banner, provenance footer."""
    exporter = _exporter()
    resources = {"paranalysis": {
        "lang": lang, "banner": banner, "provenance": provenance, "failed": failed,
        "title": title or notebook_title(nb) or "paranalysis", "css": report_css(),
        "version": paranalysis.__version__,
    }}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_EXPORTERS = threading.local()


def _exporter():
    """The page exporter (nbconvert, the package's template), made once per thread: making
    one compiles its templates again, a tenth of a second per page."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        exporter = _EXPORTERS.html = _new_exporter()
    return exporter


def _new_exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="paranalysis", extra_template_basedirs=[str(templates_dir())],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVE_CELL_TAGS),
                                                         remove_all_outputs_tags={"remove-output"}), enabled=True)
    return exporter


def _render(template: str, **context) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True)
    return env.get_template(template).render(css=report_css(), version=paranalysis.__version__, **context)


def _html_name(stem: str, lang: str, suffix: str) -> str:
    return f"{stem}{file_tag(lang)}{suffix}"


def write_index(out: Path) -> Path:
    """``out/index.html``: every report of every language run in ``out``."""
    out = Path(out)
    runs = []
    for lang in LANGS:
        f = out / f"run-{lang}.json"
        if f.exists():
            runs.append(json.loads(f.read_text(encoding="utf-8")))
    if not runs:
        raise RunError(f"no run found in {out}")
    main = runs[0]
    lang = main["lang"]
    sections = []
    for run in runs:
        items = []
        for r in run["reports"]:
            status = t("report.status_ok", run["lang"]) if r["ok"] else t("report.status_failed", run["lang"])
            items.append({"href": r["html"] if r["html_bytes"] else None, "title": r["title"] or r["notebook"],
                          "meta": f"{r['notebook']} · {status} · {r['html_bytes'] / 1024:.0f} KB · {r['seconds']:.0f} s"})
        heading = f"{t('report.language', run['lang'])}: {run['lang']}" if len(runs) > 1 else None
        sections.append({"heading": heading, "items": items})
    footer = {"heading": t("prov.heading", lang), "items": [
        (t("prov.data", lang), main["vintage"]["folder"]),
        (t("prov.vintage", lang), f"{main['vintage']['processing']['first']} – {main['vintage']['processing']['last']}"),
        (t("prov.version", lang), main["version"]),
        (t("prov.commit", lang), main["commit"] or t("prov.unavailable", lang)),
        (t("prov.run_time", lang), f"{main['started']} ({main['seconds']:.0f} s)"),
    ]}
    html = _render("index_page.html.j2", lang=lang,
                   title=t("report.index_title", lang, quarter=quarter_label(main["quarter"], lang)),
                   intro=t("report.index_intro", lang), banner=main.get("banner"), sections=sections, footer=footer)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def write_reports_index(reports_root: Path, lang: str = DEFAULT_LANG) -> Path:
    """``reports/index.html``: every run folder below ``reports_root``, latest quarter first."""
    reports_root = Path(reports_root)
    entries = []
    for d in sorted((p for p in reports_root.iterdir() if p.is_dir()), reverse=True):
        manifests = [json.loads(f.read_text(encoding="utf-8")) for f in sorted(d.glob("run-*.json"))]
        if not manifests or not (d / "index.html").exists():
            continue
        m = manifests[0]
        ok = all(r["ok"] for x in manifests for r in x["reports"])
        entries.append({"href": f"{d.name}/index.html",
                        "title": t("report.index_title", lang, quarter=quarter_label(m["quarter"], lang)),
                        "meta": f"{d.name} · {', '.join(x['lang'] for x in manifests)} · {m['started']} · "
                                + (t("report.status_ok", lang) if ok else t("report.status_failed", lang))})
    html = _render("index_page.html.j2", lang=lang, title=t("report.all_runs", lang),
                   intro=t("report.index_intro", lang), banner=None,
                   sections=[{"heading": None, "items": entries}], footer=None)
    path = reports_root / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
