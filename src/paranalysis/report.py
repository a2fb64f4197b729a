"""Running the notebooks and publishing them as HTML reports for leadership.

``run_notebooks`` executes every numbered notebook with papermill (parameters
``data_dir``, ``quarter``, ``lang``), then exports each one to HTML with the package's own
nbconvert template (``templates/paranalysis``):

- no code: input cells, prompts, warnings (stderr) and tracebacks are left out;
- self-contained and offline: figures are embedded, the stylesheet is inline, and there
  is no script, stylesheet or font from the internet (``check_report`` verifies it and a
  run refuses to publish a page that fails);
- readable on a phone (viewport, fluid images, scrolling tables) and printable (A4);
- a banner whenever any input is synthetic demonstration data;
- a provenance footer: data vintage (quarters covered, sha256 of every input file, the
  latest ingest), package version, git commit, parameters and run time.

Output folder (default ``reports/<quarter>/``): ``NN-name.ipynb`` and ``NN-name.html``
(``NN-name.en.*`` for English), ``run-<lang>.json`` (what ran, with timings) and
``index.html`` linking every report; ``reports/index.html`` lists every run.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import nbformat

import paranalysis
from paranalysis.ingest import sha256_file  # one checksum for raw files and report provenance
from paranalysis.dataset import Dataset, bundled_data_dir, load_dataset
from paranalysis.errors import DataError
from paranalysis.i18n import LANGS, quarter_label, t
from paranalysis.nbtools import banner_text
from paranalysis.markup import publishable_notebook  # published .ipynb: one-line errors, no traceback frames
from paranalysis.periods import to_period

NOTEBOOK_PARAMETERS = ("data_dir", "quarter", "lang")
REMOVE_CELL_TAGS = ("remove-cell", "report-hide", "papermill-error-cell-tag")  # the last: papermill's error links


from paranalysis.errors import RunError, UnsafeReportError  # noqa: E402  (defined beside DataError so the CLI need not import this module)


@dataclass
class NotebookReport:
    notebook: str
    title: str
    html: str
    ipynb: str
    ok: bool
    error: str | None = None
    seconds: float = 0.0
    html_bytes: int = 0


@dataclass
class RunResult:
    out: Path
    quarter: str
    lang: str
    reports: list[NotebookReport] = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    @property
    def failed(self) -> list[NotebookReport]:
        return [r for r in self.reports if not r.ok]


# ----------------------------------------------------------------------------------
# where things are
# ----------------------------------------------------------------------------------

def notebooks_dir() -> Path:
    """The numbered notebooks: the repository's ``notebooks/`` or the installed copy."""
    here = Path(__file__).resolve().parent
    for cand in (here.parent.parent / "notebooks", here / "_notebooks"):
        if cand.is_dir():
            return cand
    raise RunError("notebooks folder not found (reinstall paranalysis)")


def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The notebooks a run executes, in reading order (``NN-name.ipynb``)."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    return sorted(folder.glob("[0-9][0-9]-*.ipynb"))


def templates_dir() -> Path:
    return Path(__file__).resolve().parent / "templates"


def report_css() -> str:
    return (templates_dir() / "report.css").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------

def check_parameters(nb_path: Path) -> None:
    """A notebook must have one cell tagged ``parameters`` defining exactly ``data_dir``,
    ``quarter`` and ``lang``; anything else is refused (a misspelt name would otherwise
    silently keep its default)."""
    import papermill as pm

    nb = nbformat.read(nb_path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise RunError(f"{nb_path.name}: expected one cell tagged 'parameters', found {len(tagged)}")
    names = set(pm.inspect_notebook(str(nb_path)).keys())
    want = set(NOTEBOOK_PARAMETERS)
    if names != want:
        parts = []
        if want - names:
            parts.append("missing " + ", ".join(sorted(want - names)))
        if names - want:
            parts.append("unknown " + ", ".join(sorted(names - want)))
        raise RunError(f"{nb_path.name}: the parameters cell must define exactly "
                       f"{', '.join(NOTEBOOK_PARAMETERS)} ({'; '.join(parts)})")


def check_parameter_names(parameters: dict) -> None:
    """Refuse parameter names the notebooks do not declare."""
    unknown = sorted(set(parameters) - set(NOTEBOOK_PARAMETERS))
    if unknown:
        raise RunError(f"unknown notebook parameter(s): {', '.join(unknown)}; "
                       f"the notebooks take {', '.join(NOTEBOOK_PARAMETERS)}")


def resolve_quarter(ds: Dataset, quarter=None) -> str:
    """The quarter to report on: the one asked for (must be in the data) or the latest."""
    periods = ds.periods()
    if len(periods) == 0:
        raise RunError(f"the data folder {ds.path} has no processing data; ingest a quarter first "
                       "(paranalysis ingest FILE --data DIR)")
    if quarter is None:
        return str(periods[-1])
    try:
        q = to_period(quarter)
    except ValueError as exc:
        raise RunError(f"{exc}") from None
    if q not in set(periods):
        raise RunError(f"quarter {q} is not in the data (it covers {periods[0]} to {periods[-1]}"
                       f"{'' if len(periods) == periods[-1].ordinal - periods[0].ordinal + 1 else ', with gaps'})")
    return str(q)


# ----------------------------------------------------------------------------------
# provenance
# ----------------------------------------------------------------------------------

def git_commit() -> str | None:
    """The git commit of the package source (with "+ local changes" when the working
    tree differs), or None outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def data_vintage(ds: Dataset) -> dict:
    """What the data covers and exactly which files it came from (sha256 of each)."""
    p = ds.processing
    periods = ds.periods()
    inv = ds.investments
    rk = ds.rankings
    files = []
    for f in ds.input_files():
        try:
            rel = str(f.relative_to(ds.path))
        except ValueError:
            rel = str(f)
        files.append({"path": rel, "sha256": sha256_file(f), "size": f.stat().st_size})
    from paranalysis.ingest import revisions

    log = revisions(ds.path)
    latest = log.iloc[-1].to_dict() if len(log) else None
    return {
        "folder": Path(ds.path).name,  # by name: a report never shows this machine's paths
        "versions": dependency_versions(),
        "bundled": _same_path(ds.path, bundled_data_dir()),
        "processing": {"first": str(periods[0]) if len(periods) else None,
                       "last": str(periods[-1]) if len(periods) else None,
                       "units": int(p["unit_code"].nunique()), "rows": int(len(p))},
        "investments": {"n": int(len(inv)),
                        "first": str(inv["date_in_operation"].min().date()) if len(inv) else None,
                        "last": str(inv["date_in_operation"].max().date()) if len(inv) else None},
        "rankings": {"indices": sorted(rk["index"].unique().tolist()) if len(rk) else [],
                     "first": int(rk["year"].min()) if len(rk) else None,
                     "last": int(rk["year"].max()) if len(rk) else None},
        "synthetic": {tname: int(getattr(ds, tname)["synthetic"].sum()) for tname in ds.synthetic_tables()},
        "files": files,
        "latest_ingest": {k: str(v) for k, v in latest.items()} if latest else None,
    }


DEPENDENCIES = ("pandas", "numpy", "statsmodels", "matplotlib", "openpyxl", "pandera", "papermill", "nbconvert")


def dependency_versions() -> dict:
    """Versions of Python and of the libraries the numbers and pages depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def scrub_paths(text: str, *paths) -> str:
    """``text`` with this machine's folders (the data folder, the environment, the home
    folder) replaced by a short name."""
    subs = [(str(p), f"<{name}>") for p, name in paths if p]
    subs += [(sys.prefix, "<python>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    for old, new in sorted(subs, key=lambda x: -len(x[0])):
        if old and len(old) > 1:
            text = text.replace(old, new).replace(json.dumps(old)[1:-1], new)
    return text


def _same_path(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def provenance_block(vintage: dict, *, lang: str, parameters: dict, started: str | None,
                     seconds: float | None, commit: str | None) -> dict:
    """The footer of one report, as (label, value) pairs in ``lang``."""
    v = vintage
    pr, inv, rk = v["processing"], v["investments"], v["rankings"]
    items = [
        (t("prov.data", lang), f"{v['folder']}" + (f" ({t('prov.bundled', lang)})" if v["bundled"] else "")),
        (t("prov.vintage", lang), t("prov.vintage_value", lang, first=pr["first"], last=pr["last"],
                                    n_units=pr["units"], n_rows=pr["rows"]) if pr["first"] else t("prov.none", lang)),
        (t("prov.investments", lang), t("prov.investments_value", lang, n=inv["n"], first=inv["first"],
                                        last=inv["last"]) if inv["n"] else t("prov.none", lang)),
        (t("prov.rankings", lang), t("prov.rankings_value", lang, indices=", ".join(rk["indices"]),
                                     first=rk["first"], last=rk["last"]) if rk["indices"] else t("prov.none", lang)),
    ]
    if v["synthetic"]:
        items.append((t("prov.synthetic_rows", lang), ", ".join(f"{k}: {n}" for k, n in v["synthetic"].items())))
    li = v.get("latest_ingest")
    if li:
        items.append((t("prov.last_ingest", lang),
                      f"{li['time_utc']} UTC: {li['action']} {li['periods']} ← {li['file_name']} "
                      f"(sha256 {li['sha256'][:12]}…)"))
    items += [
        (t("prov.version", lang), paranalysis.__version__ + (" · " + ", ".join(
            f"{k} {x}" for k, x in v["versions"].items() if x) if v.get("versions") else "")),
        (t("prov.commit", lang), commit or t("prov.unavailable", lang)),
        (t("prov.parameters", lang), ", ".join(f"{k}={parameters.get(k)!r}" for k in NOTEBOOK_PARAMETERS)),
    ]
    if started:
        items.append((t("prov.run_time", lang), t("prov.run_time_value", lang, start=started,
                                                  seconds=f"{seconds:.1f}" if seconds is not None else "?")))
    return {"heading": t("prov.heading", lang), "items": items, "files": v["files"],
            "files_label": t("prov.files", lang)}


# ----------------------------------------------------------------------------------
# HTML export and its checks
# ----------------------------------------------------------------------------------

def notebook_title(nb) -> str:
    """The first heading a reader sees: in a markdown cell that is not hidden from the
    report, or in a displayed output (Markdown "# ..." or HTML <h1>-<h3>)."""
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(REMOVE_CELL_TAGS):
            continue
        texts = []
        if cell.cell_type == "markdown":
            texts.append(("md", cell.source))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for mime, kind in (("text/markdown", "md"), ("text/html", "html")):
                if mime in data:
                    v = data[mime]
                    texts.append((kind, "".join(v) if isinstance(v, list) else v))
        for kind, text in texts:
            if kind == "md":
                for line in text.splitlines():
                    m = re.match(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$", line)
                    if m:
                        return re.sub(r"[*_`]", "", m.group(1))
            else:
                m = re.search(r"<h[1-3][^>]*>(.*?)</h[1-3]>", text, re.S | re.I)
                if m:
                    return re.sub(r"<[^>]+>", "", m.group(1)).strip()
    return ""


def export_html(nb, *, lang: str = "vi", banner: str | None = None, provenance: dict | None = None,
                failed: str | None = None, title: str | None = None) -> str:
    """A notebook (executed) as a self-contained leadership page: no code, no scripts,
    figures embedded, synthetic-data banner, provenance footer."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="paranalysis", extra_template_basedirs=[str(templates_dir())],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVE_CELL_TAGS),
                                                         remove_all_outputs_tags={"remove-output"}), enabled=True)
    resources = {"paranalysis": {
        "lang": lang, "banner": banner, "provenance": provenance, "failed": failed,
        "title": title or notebook_title(nb) or "paranalysis", "css": report_css(),
        "version": paranalysis.__version__,
    }}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


_LOAD_ATTRS = {"src", "href", "data", "srcset", "poster", "background", "action", "formaction", "xlink:href"}
_URL_ATTRS = _LOAD_ATTRS | {"srcdoc", "codebase", "cite", "longdesc", "dynsrc", "lowsrc", "manifest", "ping",
                            "archive", "classid", "profile", "icon", "itemtype", "content"}
_LOADING_TAGS = {"script", "link", "img", "iframe", "frame", "source", "video", "audio", "track", "embed",
                 "object", "input", "image", "use", "svg", "body", "table", "td", "form"}
# elements that run code, show another document or send data: never in a report page
_LIVE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "portal",
              "fencedframe", "button", "textarea", "select", "input", "isindex", "keygen", "math", "template",
              "noscript", "xmp", "plaintext", "listing"}
_REMOTE = re.compile(r"^\s*(https?:|ftp:|//)", re.I)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!data:)([^'\")\s]+)", re.I)
_CSS_LIVE = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding", re.I)
_SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|livescript|mocha|data):", re.I)
_SAFE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml);", re.I)  # the package's embedded figures


def _scheme_text(value: str) -> str:
    """A URL as a browser reads its scheme: control characters and spaces dropped."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value)


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        a = {k.lower(): v for k, v in attrs}
        if tag == "script":
            self.problems.append(f"<script> element ({a.get('src') or 'inline'})")
        elif tag == "base":
            self.problems.append("<base> element")
        elif tag in _LIVE_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and ((a.get("http-equiv") or "").strip().lower() == "refresh" or "url=" in (a.get("content") or "").lower()):
            self.problems.append("<meta http-equiv=refresh>")
        for k, v in attrs:
            k = k.lower()
            if k.startswith("on"):
                self.problems.append(f"<{tag} {k}=...> (script in an attribute)")
            if v is None:
                continue
            if k == "srcdoc":
                self.problems.append(f"<{tag} srcdoc=...> (a document inside an attribute)")
            if k in _URL_ATTRS or k.endswith(":href"):
                for part in (v.split(",") if k == "srcset" else [v]):
                    u = _scheme_text(part)
                    if _SCRIPT_SCHEME.match(u) and not (tag == "img" and k == "src" and _SAFE_DATA.match(u)):
                        self.problems.append(f"<{tag} {k}={v[:60]!r}> (script or document URL)")
                        break
            if tag in _LOADING_TAGS and k in _LOAD_ATTRS and any(_REMOTE.match(part) for part in v.split(",")):
                self.problems.append(f"<{tag} {k}={v!r}> loads from the network")
            if k == "style":
                self._css(v, f"style attribute of <{tag}>")
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower() and not (a.get("href") or "").startswith("data:"):
            self.problems.append(f"<link rel=stylesheet href={a.get('href')!r}> (external stylesheet)")
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str):
        if re.search(r"@import", css, re.I):
            self.problems.append(f"@import in {where}")
        for m in _CSS_URL.finditer(css):
            self.problems.append(f"url({m.group(1)}) in {where}")
        if _CSS_LIVE.search(css):
            self.problems.append(f"script in CSS ({where})")


_CODE_MARKERS = ("jp-InputArea", "jp-CodeMirrorEditor", "cm-editor", 'class="highlight', "jp-InputPrompt",
                 "In&nbsp;[")


def check_report(html: str) -> list[str]:
    """Problems that make a page unfit for offline leadership use: anything loaded from the
    network (script/link/img/iframe/... src or href, CSS @import or url()), any live markup
    (script, iframe/frame/object/embed/form/base, ``srcdoc``, ``on*=`` handlers,
    ``javascript:``/``vbscript:``/``data:`` URLs other than embedded figures, meta refresh),
    or code cells. Empty list = fit."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    problems = list(scan.problems)
    for marker in _CODE_MARKERS:
        if marker in html:
            problems.append(f"code cell markup ({marker!r})")
    if 'name="viewport"' not in html:
        problems.append("no viewport meta tag (unreadable on phones)")
    return problems


# ----------------------------------------------------------------------------------
# index pages
# ----------------------------------------------------------------------------------

def _render(template: str, **context) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir())), autoescape=True)
    return env.get_template(template).render(css=report_css(), version=paranalysis.__version__, **context)


def _html_name(stem: str, lang: str, suffix: str) -> str:
    return f"{stem}{'' if lang == 'vi' else '.' + lang}{suffix}"


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


def write_reports_index(reports_root: Path, lang: str = "vi") -> Path:
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


# ----------------------------------------------------------------------------------
# the run
# ----------------------------------------------------------------------------------

def run_notebooks(*, data=None, quarter=None, out=None, lang: str = "vi", notebooks: list[Path] | None = None,
                  progress: bool = True, timeout: int = 900, workers: int | None = None) -> RunResult:
    """Execute the notebooks on a dataset folder (None = bundled data) for one quarter
    (None = latest in the data) and language, and publish HTML reports in ``out``
    (default ``reports/<quarter>/``). Raises DataError for invalid data and RunError for
    a bad quarter or notebook; a notebook that fails is reported (``RunResult.failed``)
    and the others still run. Independent notebooks run side by side on ``workers``
    kernels (default: :func:`run_workers`)."""
    from tqdm import tqdm

    if lang not in LANGS:
        raise RunError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")
    t0 = time.perf_counter()
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    data_path = Path(data).resolve() if data is not None else None
    if data_path is not None and not data_path.is_dir():
        raise RunError(f"data folder not found: {data}")
    ds = load_dataset(data_path)  # DataError lists every problem
    q = resolve_quarter(ds, quarter)
    nbs = list(notebooks) if notebooks is not None else list_notebooks()
    if not nbs:
        raise RunError(f"no notebooks (NN-name.ipynb) found in {notebooks_dir()}")
    for nb in nbs:
        check_parameters(nb)
    params = {"data_dir": str(data_path) if data_path is not None else None, "quarter": q, "lang": lang}
    check_parameter_names(params)

    default_out = out is None
    out = Path("reports") / q if default_out else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    vintage = data_vintage(ds)
    commit = git_commit()
    banner = banner_text(ds, lang)
    result = RunResult(out=out, quarter=q, lang=lang)

    env_backup = {k: os.environ.get(k) for k in ("MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures must reach the notebook
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    log_path = out / f"run-{lang}.log"
    n_workers = max(1, min(len(nbs), workers if workers is not None else run_workers()))

    def publish(nb_path: Path, error: str | None, seconds: float) -> NotebookReport:
        ipynb = out / _html_name(nb_path.stem, lang, ".ipynb")
        html_path = out / _html_name(nb_path.stem, lang, ".html")
        error = error and scrub_paths(error, (data_path, vintage["folder"]), (nb_path.parent.resolve(), "notebooks"),
                                      (out.resolve(), "out"))  # the page, the index and run-*.json show it
        if ipynb.exists():  # the published notebook names no folder of this machine
            ipynb.write_text(scrub_paths(publishable_notebook(ipynb.read_text(encoding="utf-8")), (data_path, vintage["folder"]),
                                         (nb_path.parent.resolve(), "notebooks"), (out.resolve(), "out")),
                             encoding="utf-8")
        nb = nbformat.read(ipynb, as_version=4) if ipynb.exists() else nbformat.read(nb_path, as_version=4)
        meta = nb.metadata.get("papermill", {})
        title = notebook_title(nb) or nb_path.stem
        prov = provenance_block(vintage, lang=lang, parameters=dict(params, data_dir=vintage["folder"]
                                                                     if data_path is not None else None),
                                started=_local_time(meta.get("start_time")) or started,
                                seconds=meta.get("duration") or seconds, commit=commit)
        failed = None if error is None else f"{t('report.status_failed', lang)} — {error}"
        shown = _shows_banner(nb)  # the notebook's own banner (nbtools.synthetic_banner) is enough
        page = export_html(nb, lang=lang, banner=None if shown else banner, provenance=prov, failed=failed,
                           title=title)
        problems = check_report(page)
        if problems:  # live markup: this page is not published (the others are), the run fails naming it
            unsafe = UnsafeReportError(html_path.name, problems)
            error = (error + "; " if error else "") + str(unsafe)
            html_path.unlink(missing_ok=True)  # never leave an older page under this name
            return NotebookReport(notebook=nb_path.name, title=title, html=html_path.name, ipynb=ipynb.name,
                                  ok=False, error=error, seconds=round(seconds, 1), html_bytes=0)
        html_path.write_text(page, encoding="utf-8")
        return NotebookReport(notebook=nb_path.name, title=title, html=html_path.name, ipynb=ipynb.name,
                              ok=error is None, error=error, seconds=round(seconds, 1),
                              html_bytes=html_path.stat().st_size)

    with _kernel_stderr_to(log_path) as console, _restore_env(env_backup):
        bar = tqdm(total=len(nbs), desc=f"paranalysis run {q} {lang}", unit="notebook", file=console,
                   disable=not progress, dynamic_ncols=True)
        reports: dict[Path, NotebookReport] = {}
        # Notebooks are independent (each reads the dataset folder and writes its own files), so
        # they run side by side, one kernel per worker; reports keep the reading order.
        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="paranalysis-run") as pool:
            futures = {pool.submit(_execute_notebook, nb_path, out / _html_name(nb_path.stem, lang, ".ipynb"),
                                   params, timeout): nb_path for nb_path in nbs}
            for fut in as_completed(futures):
                nb_path = futures[fut]
                error, seconds = fut.result()
                reports[nb_path] = publish(nb_path, error, seconds)
                bar.set_postfix_str(nb_path.stem)
                bar.update(1)
        bar.close()
        result.reports.extend(reports[nb_path] for nb_path in nbs)
    result.seconds = time.perf_counter() - t0
    shown_params = dict(params, data_dir=vintage["folder"] if data_path is not None else None)
    manifest = {"quarter": q, "lang": lang, "parameters": shown_params, "started": started,
                "seconds": round(result.seconds, 1), "version": paranalysis.__version__, "commit": commit,
                "banner": banner, "vintage": vintage, "reports": [asdict(r) for r in result.reports]}
    (out / f"run-{lang}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    result.index = write_index(out)
    if default_out:
        write_reports_index(out.parent, lang=lang)
    return result



def run_workers() -> int:
    """How many notebooks run at once: ``PARANALYSIS_WORKERS`` if set, else one per core
    this process may use."""
    env = os.environ.get("PARANALYSIS_WORKERS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise RunError(f"PARANALYSIS_WORKERS must be a whole number, not {env!r}") from None
        if n < 1:
            raise RunError(f"PARANALYSIS_WORKERS must be at least 1, not {n}")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Windows, macOS
        return max(1, os.cpu_count() or 1)


def _execute_notebook(nb_path: Path, ipynb: Path, params: dict, timeout: int) -> tuple[str | None, float]:
    """Execute one notebook with papermill into ``ipynb``; the error (or None) and seconds."""
    import papermill as pm

    t_nb = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(nb_path), str(ipynb), parameters=params, kernel_name="python3",
                            cwd=str(nb_path.parent), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False, execution_timeout=timeout)
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue} (cell {exc.exec_count})"
    except Exception as exc:  # kernel died, timeout, ...: report it, run the others
        error = f"{type(exc).__name__}: {exc}"
    return error, time.perf_counter() - t_nb


@contextlib.contextmanager
def _restore_env(saved: dict):
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _kernel_stderr_to(log_path: Path):
    """Send the process's stderr (which the notebook kernels inherit: their start-up and
    shutdown chatter) to ``log_path`` while the notebooks run; yield a stream on the real
    console for the progress bar."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (some IDEs): leave stderr alone
        yield sys.stderr
        return
    console = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace", buffering=1)
    with open(log_path, "wb") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield console
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            console.close()


def _shows_banner(nb) -> bool:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            if "paranalysis-synthetic-banner" in ("".join(html) if isinstance(html, list) else html):
                return True
    return False


def _local_time(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().isoformat(timespec="seconds")
    except ValueError:
        return iso


__all__ = ["RunError", "UnsafeReportError", "RunResult", "NotebookReport", "run_notebooks", "export_html", "check_report",
           "check_parameters", "resolve_quarter", "data_vintage", "provenance_block", "write_index",
           "write_reports_index", "run_workers", "list_notebooks", "notebooks_dir", "git_commit", "DataError"]
