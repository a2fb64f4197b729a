"""Running the notebooks and exporting HTML reports (minimal first version; the
quarterly-cycle work extends it)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter


def notebooks_dir() -> Path:
    here = Path(__file__).resolve().parent
    for cand in (here / "_notebooks", here.parent.parent / "notebooks"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("notebooks folder not found")


def run_notebooks(*, data=None, quarter=None, out=None, lang="vi") -> list[Path]:
    nbs = sorted(notebooks_dir().glob("[0-9][0-9]-*.ipynb"))
    out = Path(out) if out else Path("reports") / (quarter or "latest")
    out.mkdir(parents=True, exist_ok=True)
    params = {"data_dir": str(Path(data).resolve()) if data else None, "quarter": quarter, "lang": lang}
    written = []
    for nb in nbs:
        target = out / nb.name
        pm.execute_notebook(str(nb), str(target), parameters=params, cwd=str(nb.parent), progress_bar=False)
        node = nbformat.read(target, as_version=4)
        exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
        body, _ = exporter.from_notebook_node(node)
        html = target.with_suffix(".html")
        html.write_text(body, encoding="utf-8")
        written.append(html)
    return written
