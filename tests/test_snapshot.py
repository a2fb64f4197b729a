"""The run's dataset snapshot: kernels get the dataset the run read, but only while the
folder is exactly as it was."""

from __future__ import annotations

import os
import shutil
import time

import pandas as pd
import pytest

from paranalysis import dataset, snapshot
from paranalysis.dataset import bundled_data_dir, load_dataset


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), root)
    return root


def _no_reading(monkeypatch):
    def refuse(root):
        raise AssertionError("the folder was read although the run's snapshot matched")
    monkeypatch.setattr(dataset, "_load", refuse)


def test_a_kernel_gets_the_runs_dataset_without_reading_the_folder(folder, monkeypatch):
    state = snapshot.folder_state(folder)
    ds = load_dataset(folder)
    with snapshot.shared_with_kernels(ds, state):
        name = os.environ[snapshot.ENV]
        assert os.stat(os.path.dirname(name)).st_mode & 0o077 == 0  # a folder of this user only
        with monkeypatch.context() as m:
            _no_reading(m)
            got = load_dataset(folder)
        for table in ("processing", "investments", "rankings", "facts", "units", "crosswalk"):
            pd.testing.assert_frame_equal(getattr(got, table), getattr(ds, table))
        assert got.path == ds.path and got.files == ds.files
    assert snapshot.ENV not in os.environ and not os.path.exists(name)  # removed after the run


def test_a_changed_file_is_read_again(folder):
    state = snapshot.folder_state(folder)
    ds = load_dataset(folder)
    with snapshot.shared_with_kernels(ds, state):
        inv = next(folder.rglob("investments*.csv"))
        text = inv.read_text(encoding="utf-8").splitlines(keepends=True)
        inv.write_text("".join(text[:-1]), encoding="utf-8")  # one register row fewer
        got = load_dataset(folder)
    assert len(got.investments) == len(ds.investments) - 1


def test_a_touched_file_or_a_new_file_is_read_again(folder, monkeypatch):
    state = snapshot.folder_state(folder)
    ds = load_dataset(folder)
    with snapshot.shared_with_kernels(ds, state):
        proc = next(folder.rglob("processing*.csv"))
        st = proc.stat()
        os.utime(proc, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # same size, other time
        assert snapshot.from_run(folder) is None
        os.utime(proc, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert snapshot.from_run(folder) is not None
        (folder / "rankings_extra.csv").write_text("x\n", encoding="utf-8")
        assert snapshot.from_run(folder) is None


def test_another_folder_or_an_ingest_under_way_is_not_served(folder, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    state = snapshot.folder_state(folder)
    ds = load_dataset(folder)
    with snapshot.shared_with_kernels(ds, state):
        assert snapshot.from_run(other) is None
        (folder / ".staging").mkdir()  # an interrupted ingest: load_dataset must recover it itself
        assert snapshot.from_run(folder) is None


def test_a_snapshot_written_while_an_ingest_ran_is_never_shared(folder):
    (folder / ".staging").mkdir()
    state = snapshot.folder_state(folder)
    assert state[2] is True
    with snapshot.shared_with_kernels(object(), state):
        assert snapshot.ENV not in os.environ


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="file owners are POSIX")
def test_a_snapshot_in_a_folder_others_may_write_is_ignored(folder, tmp_path):
    state = snapshot.folder_state(folder)
    ds = load_dataset(folder)
    with snapshot.shared_with_kernels(ds, state):
        shared = tmp_path / "open"
        shared.mkdir()
        shutil.copy(os.environ[snapshot.ENV], shared / "dataset.pickle")
        os.chmod(shared, 0o777)
        os.environ[snapshot.ENV] = str(shared / "dataset.pickle")  # the block's end restores it
        assert snapshot.from_run(folder) is None


def test_the_run_shares_its_dataset_with_the_kernels(tmp_path, monkeypatch):
    """End to end: one notebook run by ``paranalysis run`` finds the snapshot the run wrote."""
    import nbformat

    from paranalysis.reporting import run_notebooks

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = nbformat.v4.new_code_cell("data_dir = None\nquarter = None\nlang = 'vi'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Snapshot"), params, nbformat.v4.new_code_cell(
        "import os\nfrom paranalysis import snapshot\nfrom paranalysis.dataset import bundled_data_dir\n"
        "from pathlib import Path\nroot = Path(data_dir) if data_dir else bundled_data_dir()\n"
        "assert os.environ.get(snapshot.ENV), 'no snapshot named to the kernel'\n"
        "assert snapshot.from_run(root) is not None, 'the snapshot does not match the folder'\n"
        "print('shared')")]
    path = tmp_path / "01-snapshot.ipynb"
    nbformat.write(nb, path)
    t0 = time.perf_counter()
    result = run_notebooks(out=tmp_path / "out", notebooks=[path], progress=False)
    assert result.ok, result.failed
    assert time.perf_counter() - t0 < 600
    assert snapshot.ENV not in os.environ
