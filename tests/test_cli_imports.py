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


def test_run_skips_the_uri_grammar_jsonschema_would_compile_and_notebooks_still_validate():
    """`paranalysis run` keeps jsonschema from compiling rfc3987-syntax's grammar (~0.8 s,
    for a "uri" check notebook files never use); notebooks are still read, validated and
    written."""
    probe = (
        "import sys\n"
        "from paranalysis.cli import _skip_unused_uri_grammar\n"
        "_skip_unused_uri_grammar()\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1 + 1')])\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}, 'cells': [{'x': 1}]})\n"
        "try:\n"
        "    nbformat.validate(bad)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid refused')\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["invalid", "refused", "None"]
