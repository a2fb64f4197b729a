"""The numbered notebooks a run executes: where they are, their ``parameters`` cell, the
quarter they report on, and the title a reader sees."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from paranalysis.dataset import Dataset
from paranalysis.errors import RunError
from paranalysis.periods import to_period

NOTEBOOK_PARAMETERS = ("data_dir", "quarter", "lang")
REMOVE_CELL_TAGS = ("remove-cell", "report-hide", "papermill-error-cell-tag")  # the last: papermill's error links


def notebooks_dir() -> Path:
    """The numbered notebooks: the repository's ``notebooks/`` or the installed copy."""
    package = Path(__file__).resolve().parent.parent
    for cand in (package.parent.parent / "notebooks", package / "_notebooks"):
        if cand.is_dir():
            return cand
    raise RunError("notebooks folder not found (reinstall paranalysis)")


def list_notebooks(folder: Path | None = None) -> list[Path]:
    """The notebooks a run executes, in reading order (``NN-name.ipynb``)."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    return sorted(folder.glob("[0-9][0-9]-*.ipynb"))


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


def _shows_banner(nb) -> bool:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            if "paranalysis-synthetic-banner" in ("".join(html) if isinstance(html, list) else html):
                return True
    return False
