"""Committed notebooks carry no outputs, execution counts or machine paths: executed copies
belong in reports/, and outputs in git would leak data and make noisy diffs."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"])
             if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_has_no_absolute_paths(path):
    text = path.read_text(encoding="utf-8")
    for marker in ("/work/", "/home/", "/root/", "/tmp/", "C:\\\\Users"):
        assert marker not in text, f"{path.name} names a machine path ({marker})"
