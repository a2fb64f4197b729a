"""Every figure a notebook draws reaches its page. Found missing on 3 Dec 2026: after the
first figure of a notebook, which loaded the inline backend inside the package's style
context, matplotlib's interactive mode was set back to off, and the figures after it were
drawn but never shown (13 of 24 figures of the bundled run: notebooks 02, 03, 04 and 06
showed only their first). This runs every notebook on the bundled data, as
``paranalysis run`` does, and checks each cell that makes a figure."""

from __future__ import annotations

import html
import json
import re

import pytest

from paranalysis.reporting import list_notebooks, run_notebooks

MAKES_A_FIGURE = re.compile(r"^\s*fig\w*\s*=", re.M)  # a cell that assigns a figure (fig = ..., fig_x = ...)


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    res = run_notebooks(out=out, progress=False)
    assert res.ok, [r.error for r in res.failed]
    return out


def _images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))


@pytest.mark.parametrize("name", [p.stem for p in list_notebooks()])
def test_every_cell_that_makes_a_figure_shows_it_on_the_page(bundled_run, name):
    executed = json.loads((bundled_run / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = [(i, c) for i, c in enumerate(executed["cells"]) if c["cell_type"] == "code"]
    silent = [i for i, c in code if MAKES_A_FIGURE.search("".join(c["source"])) and _images(c) == 0]
    assert silent == [], f"{name}: cells {silent} make a figure and show none"
    shown = sum(_images(c) for _, c in code)
    page = (bundled_run / f"{name}.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == shown  # each one reaches the HTML page


def test_the_bundled_run_shows_a_figure_in_every_notebook_and_several_in_most(bundled_run):
    counts = {p.stem: sum(_images(c) for c in json.loads((bundled_run / f"{p.stem}.ipynb").read_text(
        encoding="utf-8"))["cells"]) for p in list_notebooks()}
    assert all(n >= 1 for n in counts.values()), counts
    assert sum(n >= 2 for n in counts.values()) >= 5, counts  # before the fix: 2 of 7 notebooks


@pytest.mark.parametrize("name", [p.stem for p in list_notebooks()])
def test_every_figure_on_a_page_has_its_caption_as_alt_text(bundled_run, name):
    """A reader who cannot see the picture (a screen reader, a blocked image) gets the
    caption: the package's figures carry it to the page, escaped, also when shown at the
    end of a cell rather than through ``leadership.show``."""
    executed = json.loads((bundled_run / f"{name}.ipynb").read_text(encoding="utf-8"))
    captions = [(o["metadata"].get("image/png") or {}).get("alt") or o["metadata"].get("alt")
                for c in executed["cells"] for o in c.get("outputs", [])
                if "image/png" in o.get("data", {})]
    assert captions and all(len(c) > 20 for c in captions), captions
    page = (bundled_run / f"{name}.html").read_text(encoding="utf-8")
    imgs = [tag for tag in re.findall(r"<img\b[^>]*>", page) if 'src="data:image/png;base64,' in tag]
    alts = [html.unescape(re.search(r'\balt="([^"]*)"', tag).group(1)) for tag in imgs]
    assert alts == captions
    assert all("<" not in tag.split('alt="')[1].split('"')[0] for tag in imgs)  # escaped in the page
