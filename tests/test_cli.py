"""The ``paranalysis`` command: every error path prints a clear message and exits
non-zero, never with a traceback; the happy paths of validate and ingest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from paranalysis import cli
from paranalysis.dataset import bundled_data_dir

ROW = dict(carried_over=10, received_online=5, received_direct=20, received_postal=1, resolved_early=10,
           resolved_on_time=12, resolved_late=2, pending_not_due=10, pending_overdue=2)


def _csv(path: Path, rows) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def good(tmp_path):
    return _csv(tmp_path / "processing_good.csv",
                [dict(unit_code=u, period=q, **ROW) for u in ("412", "415") for q in ("2024Q1", "2024Q2")])


@pytest.fixture
def bad(tmp_path):
    return _csv(tmp_path / "processing_bad.csv", [
        dict(unit_code="412", period="2024Q2", **{**ROW, "resolved_late": -3}),
        dict(unit_code="412", period="2024Q7", **ROW),
        dict(unit_code="413", period="2024Q2", **{**ROW, "received_online": "nhiều"}),
    ])


def run(argv, capsys):
    code = cli.main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


# ------------------------------------------------------------------------------ validate
def test_validate_ok(good, capsys):
    code, out, _ = run(["validate", str(good)], capsys)
    assert code == 0
    assert "OK" in out and "4 processing rows, 2 units" in out and "2024Q1, 2024Q2" in out
    # notes are the reader's own; a library's chatter (pandera importing pyspark.pandas
    # when the [spark] extra is installed) is not shown as a note about the file
    fresh = subprocess.run([sys.executable, "-m", "paranalysis", "validate", str(good)], capture_output=True,
                           text=True, timeout=300)
    assert fresh.returncode == 0 and "OK" in fresh.stdout and "PySpark" not in fresh.stdout + fresh.stderr


def test_validate_lists_every_problem_and_fails(good, bad, capsys):
    code, out, err = run(["validate", str(good), str(bad)], capsys)
    assert code == 1
    assert "FAIL" in out and "1 of 2 files with problems" in err
    # both unreadable values, each with its line and column
    assert "row 3, column 'period'" in out and "'2024Q7'" in out
    assert "row 4, column 'received_online'" in out and "'nhiều'" in out
    # values that parse but break the schema are reported too (once the file parses)
    neg = _csv(bad.parent / "processing_neg.csv", [dict(unit_code="412", period="2024Q2", **{**ROW, "resolved_late": -3}),
                                                  dict(unit_code="415", period="2024Q2", **{**ROW, "pending_overdue": -1})])
    code, out, _ = run(["validate", str(neg)], capsys)
    assert code == 1 and "2 problems" in out and "resolved_late" in out and "pending_overdue" in out


def test_validate_missing_file_and_unknown_suffix(tmp_path, capsys):
    other = tmp_path / "notes.txt"
    other.write_text("x")
    code, out, _ = run(["validate", str(tmp_path / "nope.csv"), str(other)], capsys)
    assert code == 1
    assert "an existing file" in out and ".xlsx (official report form)" in out


def test_validate_dataset_folder_and_other_tables(capsys):
    data = bundled_data_dir()
    code, out, _ = run(["validate", str(data), str(data / "demo" / "investments_synthetic.csv")], capsys)
    assert code == 0
    assert "dataset folder" in out and "rows of the investments table" in out


def test_validate_refuses_a_folder_without_tables_and_checks_every_table_of_one(tmp_path, capsys):
    empty = tmp_path / "bao_cao.xlsx"  # a folder, whatever its name says
    empty.mkdir()
    code, out, _ = run(["validate", str(empty)], capsys)
    assert code == 1 and "FAIL" in out and "holds none" in out and "OK" not in out
    ds = tmp_path / "ds"
    (ds / "sub").mkdir(parents=True)
    (ds / "processing_a.csv").write_text(
        "unit_code,period,carried_over,received_online,received_direct,received_postal,resolved_early,"
        "resolved_on_time,resolved_late,pending_not_due,pending_overdue\n412,2024Q2,10,5,20,1,10,12,2,10,2\n",
        encoding="utf-8")
    (ds / "sub" / "investments_x.csv").write_text(
        "unit_code,date_in_operation,category,amount_vnd,source\n412,2024-03-01,other,1e18,test\n", encoding="utf-8")
    code, out, _ = run(["validate", str(ds)], capsys)
    assert code == 1 and "investments_x.csv" in out and "amount_vnd" in out and "1e18" in out


def test_validate_official_form(tmp_path, capsys):
    from paranalysis.forms import write_official_form

    rows = pd.DataFrame([dict(unit_code=u, period="2024Q3", **ROW) for u in ("412", "414")])
    book = write_official_form(rows, tmp_path / "bao_cao.xlsx", period="2024Q3")
    code, out, _ = run(["validate", str(book)], capsys)
    assert code == 0 and "2 processing rows" in out and "2024Q3" in out
    assert "note:" in out  # the dropped total row is reported, not hidden
    code, out, _ = run(["validate", str(book), "--period", "2024Q2"], capsys)
    assert code == 1


# ------------------------------------------------------------------------------ ingest
def test_ingest_then_again_then_conflict(tmp_path, good, capsys):
    root = tmp_path / "ds"
    code, out, _ = run(["ingest", str(good), "--data", str(root)], capsys)
    assert code == 0 and out.startswith("added 2024Q1, 2024Q2: 4 rows (4 new")
    assert "revisions log" in out
    code, out, _ = run(["ingest", str(good), "--data", str(root)], capsys)
    assert code == 0 and out.startswith("nothing changed")
    demo = tmp_path / "demo"
    demo.mkdir()
    _csv(demo / "processing_synthetic.csv", [dict(unit_code="412", period="2024Q2", synthetic="true", **ROW)])
    code, _, err = run(["ingest", str(good), "--data", str(demo)], capsys)
    assert code == 1 and "SYNTHETIC demo rows" in err and "new empty folder" in err


def test_ingest_errors(tmp_path, good, bad, capsys):
    code, _, err = run(["ingest", str(tmp_path / "missing.xlsx"), "--data", str(tmp_path / "ds")], capsys)
    assert code == 1 and "an existing file to ingest" in err
    code, _, err = run(["ingest", str(bad), "--data", str(tmp_path / "ds")], capsys)
    assert code == 1 and "problems found" in err and not (tmp_path / "ds").exists()
    code, _, err = run(["ingest", str(good), "--data", str(good)], capsys)
    assert code == 1 and "this is a file" in err
    with pytest.raises(SystemExit) as exc:  # --data is required: argparse usage error
        cli.main(["ingest", str(good)])
    assert exc.value.code == 2


# ------------------------------------------------------------------------------ run
def test_run_refuses_bad_quarters_and_folders(tmp_path, good, capsys):
    code, _, err = run(["run", "--quarter", "Q5-2024"], capsys)
    assert code == 1 and "not a quarter" in err
    code, _, err = run(["run", "--quarter", "2031Q1"], capsys)
    assert code == 1 and "2031Q1 is not in the data (it covers 2017Q1 to" in err
    code, _, err = run(["run", "--data", str(tmp_path / "nowhere")], capsys)
    assert code == 1 and "data folder not found" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    _csv(broken / "processing_x.csv", [dict(unit_code="412", period="2024Q2", **{**ROW, "pending_overdue": -1})])
    code, _, err = run(["run", "--data", str(broken)], capsys)
    assert code == 1 and "problem" in err and "pending_overdue" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(["run", "--data", str(empty)], capsys)
    assert code == 1 and "no processing data" in err
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--lang", "fr"])
    assert exc.value.code == 2
    code, _, err = run(["run", "--notebook", "99-nothing"], capsys)
    assert code == 1 and "no notebook matches" in err


def _notebook(path: Path, params: str, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_refuses_a_notebook_with_other_parameters(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder / "01-a.ipynb", 'data_dir = None\nquarter = None\nlang = "vi"', "print(1)")
    _notebook(folder / "02-b.ipynb", 'data_dir = None\nquartre = None\nlang = "vi"', "print(2)")
    monkeypatch.setattr("paranalysis.reporting.notebooks.notebooks_dir", lambda: folder)
    code, _, err = run(["run", "--out", str(tmp_path / "out")], capsys)
    assert code == 1
    assert "02-b.ipynb" in err and "missing quarter" in err and "unknown quartre" in err
    assert not (tmp_path / "out").exists()  # refused before running anything


def test_run_reports_a_failing_notebook_and_runs_the_others(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    params = 'data_dir = None\nquarter = None\nlang = "vi"'
    _notebook(folder / "01-fails.ipynb", params, "raise ValueError('the figures do not add up')")
    _notebook(folder / "02-works.ipynb", params, "from IPython.display import Markdown\nMarkdown('# Works ' + quarter)")
    monkeypatch.setattr("paranalysis.reporting.notebooks.notebooks_dir", lambda: folder)
    out = tmp_path / "out"
    code, stdout, err = run(["run", "--out", str(out), "--quarter", "2024Q4", "--no-progress"], capsys)
    assert code == 1
    assert "FAILED 01-fails.ipynb" in stdout and "ValueError: the figures do not add up" in stdout
    assert "ok     02-works.ipynb" in stdout and "1 notebook(s) failed" in err
    page = (out / "01-fails.html").read_text()
    assert "the figures do not add up" in page and "Traceback" not in page and "raise ValueError" not in page
    assert "An Exception was encountered" not in page  # papermill's error-link cells stay out
    assert "Works 2024Q4" in (out / "02-works.html").read_text()
    assert "01-fails.html" in (out / "index.html").read_text()


def test_console_script_is_installed_and_never_shows_a_traceback(bad):
    exe = Path(sys.executable).parent / "paranalysis"
    if not exe.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    p = subprocess.run([str(exe), "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "FAIL" in p.stdout and "Traceback" not in p.stdout + p.stderr
    p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.startswith("paranalysis ")


def test_python_dash_m_paranalysis_is_the_command():
    import paranalysis

    out = subprocess.run([sys.executable, "-m", "paranalysis", "--version"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert paranalysis.__version__ in out.stdout
