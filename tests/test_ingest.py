"""paranalysis.ingest: validation first, atomic update of the dataset folder (checked by
injecting a failure at every disk step), idempotent re-ingest, recorded revisions, and
no silent mixing with synthetic demo rows."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import ingest as ing
from paranalysis.errors import DataError
from paranalysis.units import package_units

NOW = datetime(2024, 7, 20, 8, 30, tzinfo=timezone.utc)


def _row(unit, period, **over):
    base = dict(unit_code=unit, period=period, carried_over=10, received_online=5, received_direct=20,
                received_postal=1, resolved_early=10, resolved_on_time=12, resolved_late=2,
                pending_not_due=10, pending_overdue=2)
    base.update(over)
    return base


def _csv(path: Path, rows) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every path below root, with the sha256 of every file ("dir" for folders)."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        if p.name == ".paranalysis.lock":  # the folder's lock (empty; no data)
            continue
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def first(tmp_path):
    return _csv(tmp_path / "bao_cao_2024.csv",
                [_row(u, q) for u in ("412", "413") for q in ("2024Q1", "2024Q2")])


def test_new_folder_is_initialised_and_loads(tmp_path, first):
    root = tmp_path / "ds"
    res = ing.ingest(first, root, now=NOW)
    assert res.action == "added" and res.rows == 4 and res.new_rows == 4
    ds = paranalysis.load_dataset(root)
    assert len(ds.units) == len(package_units())  # the Nghe An units come from the package
    assert len(ds.processing) == 4
    assert [str(p) for p in ds.periods()] == ["2024Q1", "2024Q2"]
    r = ds.processing.set_index(["unit_code", "period"]).loc[("413", pd.Period("2024Q2", "Q-DEC"))]
    assert (r.received_online, r.resolved_late, r.pending_overdue) == (5, 2, 2)
    assert not ds.has_synthetic
    # the raw file is kept byte for byte, with a sidecar
    assert res.raw_path.read_bytes() == first.read_bytes()
    side = json.loads(Path(str(res.raw_path) + ".json").read_text())
    assert side["original_name"] == "bao_cao_2024.csv"
    assert side["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert side["periods"] == ["2024Q1", "2024Q2"] and side["ingested_at_utc"].startswith("2024-07-20T08:30")
    log = ing.revisions(root)
    assert list(log["action"]) == ["added"] and int(log["rows"][0]) == 4


def test_same_file_again_changes_nothing(tmp_path, first):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    before = snapshot(root)
    res = ing.ingest(first, root, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert res.action == "unchanged"
    assert snapshot(root) == before
    # the same bytes under another name are the same file
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(first.read_bytes())
    assert ing.ingest(copy, root, now=NOW).action == "unchanged"
    assert snapshot(root) == before


def test_different_file_for_a_present_quarter_is_a_recorded_revision(tmp_path, first):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    sha_first = hashlib.sha256(first.read_bytes()).hexdigest()
    # corrected report for 2024Q2: three values differ from the first file
    fix = _csv(tmp_path / "bao_cao_2024Q2_sua.csv",
               [_row("412", "2024Q2", resolved_late=3, resolved_on_time=11),
                _row("413", "2024Q2", pending_overdue=0)])
    res = ing.ingest(fix, root, now=NOW)
    assert res.action == "revised"
    assert (res.rows, res.new_rows, res.replaced_rows, res.changed_values) == (2, 0, 2, 3)
    ds = paranalysis.load_dataset(root)
    assert len(ds.processing) == 4  # replaced, not doubled
    p = ds.processing.set_index(["unit_code", "period"])
    q2 = pd.Period("2024Q2", "Q-DEC")
    assert p.loc[("412", q2), "resolved_late"] == 3 and p.loc[("413", q2), "pending_overdue"] == 0
    assert p.loc[("412", pd.Period("2024Q1", "Q-DEC")), "resolved_late"] == 2  # other quarter untouched
    log = ing.revisions(root)
    assert list(log["action"]) == ["added", "revised"]
    assert log["replaced_sha256"].iloc[-1] == sha_first[:12]
    assert int(log["changed_values"].iloc[-1]) == 3
    # both raw files are kept
    assert len(list((root / "raw").rglob("*.csv.json"))) == 2


def test_report_for_some_units_keeps_the_others(tmp_path, first):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    one = _csv(tmp_path / "vinh.csv", [_row("412", "2024Q2", received_online=50), _row("412", "2024Q3")])
    res = ing.ingest(one, root, now=NOW)
    assert (res.new_rows, res.replaced_rows, res.changed_values) == (1, 1, 1)
    ds = paranalysis.load_dataset(root)
    assert len(ds.processing) == 5
    assert ds.processing.groupby("unit_code").size().to_dict() == {"412": 3, "413": 2}


def test_period_option_selects_rows_of_a_tidy_file(tmp_path, first):
    root = tmp_path / "ds"
    res = ing.ingest(first, root, period="2024Q2", now=NOW)
    assert res.periods == ["2024Q2"] and res.rows == 2
    assert res.raw_path.parent.name == "2024Q2"


@pytest.mark.parametrize("bad, column", [
    ([_row("412", "2024Q2", resolved_late=-1)], "resolved_late"),
    ([_row("999", "2024Q2")], "unit_code"),
    ([_row("412", "2024Q5")], "period"),
])
def test_invalid_file_writes_nothing(tmp_path, first, bad, column):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    before = snapshot(root)
    with pytest.raises(DataError) as exc:
        ing.ingest(_csv(tmp_path / "bad.csv", bad), root, now=NOW)
    assert any(p.column == column for p in exc.value.problems)
    assert snapshot(root) == before
    with pytest.raises(DataError):
        ing.ingest(tmp_path / "bad.csv", tmp_path / "never", now=NOW)
    assert not (tmp_path / "never").exists()


# ---------------------------------------------------------------------------------------
# atomicity
# ---------------------------------------------------------------------------------------

class Boom(RuntimeError):
    pass


def test_failure_mid_write_of_the_table_leaves_folder_identical(tmp_path, first, monkeypatch):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    before = snapshot(root)

    def half_then_fail(fh, data):
        fh.write(data[: len(data) // 2])
        raise Boom("disk full")

    monkeypatch.setattr(ing, "_write_table", half_then_fail)
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9), _row("412", "2024Q3")])
    with pytest.raises(Boom):
        ing.ingest(fix, root, now=NOW)
    assert snapshot(root) == before
    assert len(paranalysis.load_dataset(root).processing) == 4


def _steps_of_a_successful_ingest(tmp_path, first, fix, monkeypatch, existing=True) -> list[str]:
    ref = tmp_path / "ref"
    if existing:
        ing.ingest(first, ref, now=NOW)
    steps = []
    monkeypatch.setattr(ing._Transaction, "checkpoint", lambda self, step: steps.append(step))
    ing.ingest(fix, ref, now=NOW)
    monkeypatch.undo()
    return steps


@pytest.mark.parametrize("existing", [True, False], ids=["existing-folder", "new-folder"])
def test_failure_at_every_step_leaves_folder_identical(tmp_path, first, monkeypatch, existing):
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9), _row("414", "2024Q3")])
    steps = _steps_of_a_successful_ingest(tmp_path, first, fix, monkeypatch, existing)
    # staging, fsync, backups, journal, every replace and the final verification
    assert {"journal", "verify"} <= set(steps)
    assert sum(s.startswith("replace ") for s in steps) == 4
    for k, step in enumerate(steps):
        root = tmp_path / f"ds{k}"
        if existing:
            ing.ingest(first, root, now=NOW)
        before = snapshot(root)

        def fail_at(self, s, k=k, calls=[0]):  # noqa: B006 - counter per step k
            calls[0] += 1
            if calls[0] == k + 1:
                raise Boom(f"injected at {s}")

        monkeypatch.setattr(ing._Transaction, "checkpoint", fail_at)
        with pytest.raises(Boom):
            ing.ingest(first if not existing else fix, root, now=NOW)
        monkeypatch.undo()
        assert snapshot(root) == before, f"folder changed after a failure at step {k} ({step})"


def test_failed_verification_undoes_the_replaced_files(tmp_path, first, monkeypatch):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    before = snapshot(root)
    real_load = ing.load_dataset
    calls = []

    def load_then_fail(path):
        calls.append(path)
        if len(calls) == 2:  # 1st call: the folder before; 2nd: verification after the renames
            raise DataError("simulated: the folder does not load after writing")
        return real_load(path)

    monkeypatch.setattr(ing, "load_dataset", load_then_fail)
    with pytest.raises(DataError, match="simulated"):
        ing.ingest(_csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9)]), root, now=NOW)
    assert snapshot(root) == before


def test_crash_after_commit_is_completed_by_recovery(tmp_path, first, monkeypatch):
    """A hard stop between the renames (no in-process undo) is finished by the next ingest."""
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9)])
    ref, root = tmp_path / "ref", tmp_path / "ds"
    for r in (ref, root):
        ing.ingest(first, r, now=NOW)
    ing.ingest(fix, ref, now=NOW)
    expected = snapshot(ref)

    def crash(self, step):
        if step == "replace processing_ingested.csv":
            raise Boom("power cut")

    monkeypatch.setattr(ing._Transaction, "checkpoint", crash)
    monkeypatch.setattr(ing._Transaction, "rollback", lambda self: None)  # the process died: no undo
    with pytest.raises(Boom):
        ing.ingest(fix, root, now=NOW)
    monkeypatch.undo()
    assert (root / ".staging").exists()
    assert any("completed" in m for m in ing.recover(root))
    assert snapshot(root) == expected


def test_a_reader_completes_an_interrupted_ingest_first(tmp_path, first, monkeypatch):
    """load_dataset (and so validate and run) never shows new rows without their revision."""
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9)])
    ref, root = tmp_path / "ref", tmp_path / "ds"
    for r in (ref, root):
        ing.ingest(first, r, now=NOW)
    ing.ingest(fix, ref, now=NOW)
    expected = snapshot(ref)

    def crash(self, step):
        if step == "replace processing_ingested.csv":
            raise Boom("power cut")

    monkeypatch.setattr(ing._Transaction, "checkpoint", crash)
    monkeypatch.setattr(ing._Transaction, "rollback", lambda self: None)
    with pytest.raises(Boom):
        ing.ingest(fix, root, now=NOW)
    monkeypatch.undo()
    ds = paranalysis.load_dataset(root)
    p = ds.processing
    assert int(p[(p["unit_code"] == "412") & (p["period"].astype(str) == "2024Q2")]["resolved_late"].iloc[0]) == 9
    assert snapshot(root) == expected and not (root / ".staging").exists()


def test_crash_before_commit_is_discarded_by_recovery(tmp_path, first, monkeypatch):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    before = snapshot(root)

    def crash(self, step):
        if step == "journal":
            raise Boom("power cut")

    monkeypatch.setattr(ing._Transaction, "checkpoint", crash)
    monkeypatch.setattr(ing._Transaction, "rollback", lambda self: None)
    with pytest.raises(Boom):
        ing.ingest(_csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9)]), root, now=NOW)
    monkeypatch.undo()
    assert snapshot(root) != before
    assert any("discarded" in m for m in ing.recover(root))
    assert snapshot(root) == before


# ---------------------------------------------------------------------------------------
# synthetic demo rows
# ---------------------------------------------------------------------------------------

@pytest.fixture
def demo_copy(tmp_path):
    root = tmp_path / "democopy"
    root.mkdir()
    rows = [dict(_row(u, q), synthetic="true", source="SYNTHETIC demo")
            for u in ("412", "413") for q in ("2024Q1", "2024Q2")]
    _csv(root / "processing_synthetic.csv", rows)
    return root


def test_real_rows_for_a_quarter_the_demo_covers_are_refused(tmp_path, demo_copy):
    before = snapshot(demo_copy)
    real = _csv(tmp_path / "real.csv", [_row("412", "2024Q2", resolved_late=0)])
    with pytest.raises(DataError, match="SYNTHETIC demo rows"):
        ing.ingest(real, demo_copy, now=NOW)
    assert snapshot(demo_copy) == before


def test_real_quarter_beyond_the_demo_is_added_with_a_warning(tmp_path, demo_copy):
    demo_bytes = (demo_copy / "processing_synthetic.csv").read_bytes()
    real = _csv(tmp_path / "real.csv", [_row("412", "2024Q3"), _row("413", "2024Q3")])
    res = ing.ingest(real, demo_copy, now=NOW)
    assert res.action == "added" and any("synthetic" in w for w in res.warnings)
    assert (demo_copy / "processing_synthetic.csv").read_bytes() == demo_bytes  # never touched
    ds = paranalysis.load_dataset(demo_copy)
    by_q = ds.processing.groupby(ds.processing["period"].astype(str))["synthetic"].agg(["all", "any"])
    assert by_q.loc["2024Q3"].tolist() == [False, False]
    assert by_q.loc["2024Q2"].tolist() == [True, True]
    assert "synthetic" in ing.revisions(demo_copy)["note"].iloc[-1]


def test_synthetic_option_labels_the_rows(tmp_path, first):
    root = tmp_path / "ds"
    ing.ingest(first, root, synthetic=True, now=NOW)
    ds = paranalysis.load_dataset(root)
    assert ds.processing["synthetic"].all() and ds.synthetic_tables() == ["processing"]


def test_processing_csv_round_trips(tmp_path, first):
    df = paranalysis.load_processing(first)
    path = tmp_path / "processing_x.csv"
    path.write_bytes(ing.processing_csv_bytes(df))
    back = paranalysis.load_processing(path)
    pd.testing.assert_frame_equal(back, df.sort_values(["unit_code", "period"]).reset_index(drop=True))


# ---------------------------------------------------------------------------------------
# the official report form (.xlsx)
# ---------------------------------------------------------------------------------------

def _form_rows(period, bump=0):
    return pd.DataFrame([_row(u, period, carried_over=10 + i, received_online=5 * i, resolved_on_time=12 + i + bump,
                              pending_overdue=2 + i) for i, u in enumerate(["412", "413", "414"])])


def test_official_form_workbook_is_ingested_and_revised(tmp_path):
    from paranalysis.forms import write_official_form

    root = tmp_path / "ds"
    book = write_official_form(_form_rows("2024Q3"), tmp_path / "bao_cao_quy_III_2024.xlsx", period="2024Q3")
    res = ing.ingest(book, root, now=NOW)  # the quarter comes from the title
    assert res.periods == ["2024Q3"] and res.rows == 3
    assert any("total row" in w for w in res.warnings)  # the form's "Tổng cộng" row, checked and dropped
    p = paranalysis.load_dataset(root).processing.set_index("unit_code")
    assert p.loc["413", "received_online"] == 5 and p.loc["414", "carried_over"] == 12
    assert p.loc["414", "resolved_on_time"] == 14
    assert res.raw_path.suffix == ".xlsx" and res.raw_path.read_bytes() == book.read_bytes()
    assert ing.ingest(book, root, now=NOW).action == "unchanged"
    # a corrected workbook: resolved_on_time +1 in each of the three units
    fixed = write_official_form(_form_rows("2024Q3", bump=1), tmp_path / "bao_cao_quy_III_2024_v2.xlsx",
                                period="2024Q3")
    res2 = ing.ingest(fixed, root, now=NOW)
    assert (res2.action, res2.replaced_rows, res2.changed_values) == ("revised", 3, 3)
    assert len(paranalysis.load_dataset(root).processing) == 3


def test_period_that_contradicts_the_workbook_title_is_refused(tmp_path):
    from paranalysis.forms import write_official_form

    book = write_official_form(_form_rows("2024Q3"), tmp_path / "q3.xlsx", period="2024Q3")
    with pytest.raises(DataError):
        ing.ingest(book, tmp_path / "ds", period="2024Q2", now=NOW)
    assert not (tmp_path / "ds").exists()


def test_a_second_ingest_waits_then_stops_after_the_timeout(tmp_path, first, monkeypatch, capsys):
    """The lock is held by another process (a child), so this process waits, says so, and
    stops with a DataError after PARANALYSIS_LOCK_TIMEOUT seconds."""
    import subprocess
    import sys
    import time

    root = tmp_path / "ds"
    root.mkdir()
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from paranalysis.folderlock import folder_lock\n"
        f"with folder_lock({str(root)!r}):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        monkeypatch.setenv("PARANALYSIS_LOCK_TIMEOUT", "1")
        t0 = time.monotonic()
        with pytest.raises(DataError, match="another ingest still holds"):
            ing.ingest(first, root, now=NOW)
        assert time.monotonic() - t0 >= 0.9
        assert "waiting for another ingest in ds..." in capsys.readouterr().err
    finally:
        child.kill()
        child.wait()
    assert ing.ingest(first, root, now=NOW).action == "added"  # the lock is free again


def test_the_lock_is_in_the_folder_and_a_symlink_there_is_refused(tmp_path, first):
    root = tmp_path / "ds"
    ing.ingest(first, root, now=NOW)
    assert (root / ".paranalysis.lock").is_file()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (root / ".paranalysis.lock").unlink()
    (root / ".paranalysis.lock").symlink_to(victim)
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9)])
    with pytest.raises(DataError, match="symbolic link"):
        ing.ingest(fix, root, now=NOW)
    assert victim.read_text() == "keep me"


def test_a_failed_ingest_into_a_new_folder_leaves_no_folder(tmp_path):
    bad = _csv(tmp_path / "bad.csv", [_row("412", "2024Q2", resolved_late=-1)])
    with pytest.raises(DataError):
        ing.ingest(bad, tmp_path / "new", now=NOW)
    assert not (tmp_path / "new").exists()


def test_rows_for_a_unit_after_it_ceased_to_exist_are_kept_with_a_caution():
    """Districts were abolished on 1 Jul 2025 (valid_to 2025-06-30); Cửa Lò merged into Vinh
    on 1 Dec 2024 (valid_to 2024-11-30). Rows for later quarters are flagged, not dropped."""
    from paranalysis.ingest import outside_validity
    from paranalysis.units import package_units

    rows = pd.DataFrame({"unit_code": ["412", "413", "413"],
                         "period": pd.PeriodIndex(["2025Q3", "2024Q3", "2025Q1"], freq="Q-DEC")})
    notes = outside_validity(rows, package_units())
    assert notes == ["1 unit(s) with rows for 2025Q1 ceased to exist after 2024-11-30: 413",
                     "1 unit(s) with rows for 2025Q3 ceased to exist after 2025-06-30: 412"]
