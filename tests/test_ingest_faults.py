"""The ingest transaction under hard stops and concurrent use.

- Fault injection: a child process running ingest is ended (``os._exit``, no undo, no
  clean-up: what a kill -9 or a power cut leaves) before EVERY disk-changing step of the
  ingest, of its undo, and of a reader's recovery; a reader (``load_dataset``) must then
  see exactly the folder before or exactly the folder after (every file, tables and
  ``raw/revisions.csv`` alike).
- Concurrency: several ingest processes, each with its own TMPDIR and quarter, started at
  the same moment on one folder; every row and every revisions entry must be there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import ingest as ing

NOW = datetime(2024, 7, 20, 8, 30, tzinfo=timezone.utc)
TRIALS: dict[str, int] = {}

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fault injection forks a child (POSIX)")


def _row(unit, period, **over):
    base = {"unit_code": unit, "period": period, "carried_over": 10, "received_online": 5,
            "received_direct": 20, "received_postal": 1, "resolved_early": 10, "resolved_on_time": 12,
            "resolved_late": 2, "pending_not_due": 10, "pending_overdue": 2}
    base.update(over)
    return base


def _csv(path: Path, rows) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def state(root: Path) -> dict[str, bytes]:
    """Every file below root with its bytes (the lock file aside: it holds nothing)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".paranalysis.lock"}


def _in_child(fn, env: dict[str, str]) -> int:
    """Run fn() in a forked child with env set; return its exit status (77 = injected stop)."""
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.environ.update(env)
            ing._steps_done = 0
            fn()
        except BaseException:  # noqa: BLE001 - the child reports by exit status only
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _read(root: Path):
    if root.exists():
        paranalysis.load_dataset(root)


def _trials(name, tmp_path, setup, do, *, fail_verify=False):
    """Stop the ingest before step 1, 2, ... until it runs through; after each stop, stop the
    reader's recovery before step 1, 2, ... too; check before-or-after every time."""
    ref_before, ref_after, ref_done = (tmp_path / f"{name}-{s}" for s in ("before", "after", "done"))
    for r in (ref_before, ref_after, ref_done):
        setup(r)
    env = {"PARANALYSIS_TEST_FAIL_VERIFY": "1"} if fail_verify else {}
    assert _in_child(lambda: do(ref_after), env) == (1 if fail_verify else 0)
    assert _in_child(lambda: do(ref_done), {}) == 0
    before, after, done = state(ref_before), state(ref_after), state(ref_done)
    assert done != before
    if fail_verify:
        # the failed check undid everything; a stop after the journal but before the check
        # failed is finished by the reader: the ingest as if the check had passed
        assert after == before
    else:
        assert after == done
    trials, n = 0, 0
    while True:
        n += 1
        root = tmp_path / f"{name}-{n}"
        setup(root)
        code = _in_child(lambda root=root: do(root), {**env, "PARANALYSIS_TEST_CRASH_AT": str(n)})
        if code != 77:  # no step left to stop at: the ingest ran through
            assert code == (1 if fail_verify else 0)
            assert state(root) == after
            break
        m = 0
        while True:  # the reader that finds the journal may itself be stopped while recovering
            m += 1
            trials += 1
            rc = _in_child(lambda root=root: _read(root), {"PARANALYSIS_TEST_CRASH_AT": str(m)})
            if rc != 77:
                assert rc == 0
                break
        _read(root)
        seen = state(root)
        assert seen in (before, done), f"{name}: stop at step {n} left a state between"
        assert not (root / ".staging").exists()
    TRIALS[name] = trials
    print(f"{name}: ingest stopped at each of {n - 1} steps; {trials} reader runs after them "
          f"(each recovery stopped at every one of its steps in turn)")
    assert n > 10
    return trials


@pytest.fixture
def files(tmp_path):
    first = _csv(tmp_path / "bao_cao_2024.csv", [_row(u, q) for u in ("412", "413") for q in ("2024Q1", "2024Q2")])
    fix = _csv(tmp_path / "fix.csv", [_row("412", "2024Q2", resolved_late=9), _row("414", "2024Q3")])
    return first, fix


def test_a_stop_before_every_step_of_a_revision_leaves_before_or_after(tmp_path, files):
    first, fix = files
    n = _trials("revise", tmp_path, lambda r: ing.ingest(first, r, now=NOW), lambda r: ing.ingest(fix, r, now=NOW))
    assert n > 0


def test_a_stop_before_every_step_of_a_first_ingest_leaves_before_or_after(tmp_path, files):
    first, _ = files
    n = _trials("new", tmp_path, lambda r: None, lambda r: ing.ingest(first, r, now=NOW))
    assert n > 0


def test_a_stop_before_every_step_of_an_undo_leaves_before_or_after(tmp_path, files):
    """The final check fails (injected), so the ingest undoes itself; stops hit the undo too."""
    first, fix = files
    n = _trials("undo", tmp_path, lambda r: ing.ingest(first, r, now=NOW), lambda r: ing.ingest(fix, r, now=NOW),
                fail_verify=True)
    assert n > 0


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    go = Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.01)
    from paranalysis.ingest import ingest
    print(ingest(sys.argv[1], sys.argv[2]).summary())
""")


@pytest.mark.parametrize("fresh", [True, False], ids=["new-folder", "existing-folder"])
def test_concurrent_ingests_with_different_tmpdirs_lose_nothing(tmp_path, fresh):
    quarters = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    root = tmp_path / "ds"
    if not fresh:
        ing.ingest(_csv(tmp_path / "base.csv", [_row("420", "2023Q4")]), root, now=NOW)
    go = tmp_path / "go"
    procs = []
    for i, q in enumerate(quarters):
        f = _csv(tmp_path / f"q{i}.csv", [_row(u, q, resolved_late=i) for u in ("412", "413", "414")])
        tmp = tmp_path / f"tmp{i}"
        tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(tmp), "PARANALYSIS_LOCK_TIMEOUT": "300",
               "PYTHONPATH": os.pathsep.join(p for p in [str(Path(paranalysis.__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH", "")] if p)}
        procs.append(subprocess.Popen([sys.executable, "-c", CHILD, str(f), str(root), str(go)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    go.touch()
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0] * len(quarters), outs
    ds = paranalysis.load_dataset(root)
    got = {(u, str(q)) for u, q in zip(ds.processing["unit_code"], ds.processing["period"])}
    want = {(u, q) for q in quarters for u in ("412", "413", "414")} | (set() if fresh else {("420", "2023Q4")})
    assert got == want
    for i, q in enumerate(quarters):  # each quarter holds its own file's values
        p = ds.processing
        assert set(p[p["period"].astype(str) == q]["resolved_late"]) == {i}
    log = ing.revisions(root)
    assert sorted(log["periods"]) == sorted(quarters + ([] if fresh else ["2023Q4"]))
    assert (log["action"] == "added").all()
