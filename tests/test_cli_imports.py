"""Checking or ingesting one file must not pay for the notebook stack: `validate` and
`ingest` import neither nbformat/nbconvert/papermill nor the plotting and model libraries."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import paranalysis
from paranalysis.forms import write_official_form

HEAVY = ("nbformat", "nbconvert", "papermill", "jupyter_client", "IPython", "matplotlib",
         "statsmodels", "duckdb", "paranalysis.reporting", "paranalysis.plots")

PROBE = """
import json, sys
from paranalysis import cli
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


@pytest.fixture(scope="module")
def form(tmp_path_factory):
    ds = paranalysis.load_dataset()
    rows = ds.processing[ds.processing["period"].astype(str) == "2024Q2"]
    path = tmp_path_factory.mktemp("form") / "bao_cao_quy_II_2024.xlsx"
    write_official_form(rows, path, period="2024Q2")
    return path


def _run(*args):
    out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_validate_imports_no_notebook_stack(form):
    res = _run("validate", str(form))
    assert res["code"] == 0
    assert res["heavy"] == []


def test_ingest_imports_no_notebook_stack(form, tmp_path):
    res = _run("ingest", str(form), "--data", str(tmp_path / "mine"))
    assert res["code"] == 0
    assert res["heavy"] == []
    assert not pd.read_csv(next((tmp_path / "mine").glob("processing*.csv"))).empty
