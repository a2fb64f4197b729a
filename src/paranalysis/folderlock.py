"""The lock of a dataset folder: one writer (ingest, or a reader finishing an interrupted
ingest) at a time, whatever TMPDIR each process has.

The lock is the file ``.paranalysis.lock`` inside the dataset folder, taken with
``filelock`` (``flock`` on POSIX, ``LockFileEx`` on Windows). It is never followed if it
is a symbolic link (refused, and opened with ``O_NOFOLLOW`` by filelock where the system
has it). A second process waits for it, saying so, up to ``PARANALYSIS_LOCK_TIMEOUT``
seconds (default 600), then stops with a DataError.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
import time
from pathlib import Path

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message

LOCK_NAME = ".paranalysis.lock"
DEFAULT_TIMEOUT = 600.0

_held: dict[str, int] = {}  # folders this process holds the lock of (re-entrant use)
_guard = threading.Lock()


def lock_timeout() -> float:
    """Seconds a second ingest waits for the lock (``PARANALYSIS_LOCK_TIMEOUT``)."""
    env = os.environ.get("PARANALYSIS_LOCK_TIMEOUT")
    try:
        return float(env) if env else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT


def _key(root: Path) -> str:
    return os.path.normcase(str(root.resolve()))


def held(root) -> bool:
    """True if this process holds the lock of ``root`` now."""
    return _key(Path(root)) in _held


def _refuse_link(path: Path, root: Path) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise DataError([Problem(file=f"{root.name}/{LOCK_NAME}", expected=Message("problem.data.plain_lock_file"))])


@contextlib.contextmanager
def folder_lock(root, timeout: float | None = None, *, quiet: bool = False, create: bool = False):
    """Hold the lock of dataset folder ``root`` (made first if ``create``). Re-entrant within
    one process. Waits (printing "waiting for another ingest in <name>...") up to ``timeout``."""
    from filelock import FileLock, Timeout

    root = Path(root)
    key = _key(root)
    with _guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    timeout = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    path = root / LOCK_NAME
    said = False
    while True:
        if not root.is_dir():
            if not create:
                raise DataError([Problem(file=root.name, expected=Message("problem.data.dataset_folder"))])
            root.mkdir(parents=True, exist_ok=True)
        _refuse_link(path, root)
        lock = FileLock(str(path), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not said and not quiet:
                print(f"waiting for another ingest in {root.name}...", file=sys.stderr, flush=True)
                said = True
            try:
                lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
            except Timeout:
                raise DataError([Problem(file=root.name, expected=Message(
                    "problem.data.lock_timeout", timeout=timeout, lock=LOCK_NAME))]) from None
        # the path must still be the plain file we locked (not replaced, removed or linked meanwhile)
        fd = getattr(getattr(lock, "_context", None), "lock_file_fd", None)
        try:
            st = os.lstat(path)
            same = stat.S_ISREG(st.st_mode) and (fd is None or os.fstat(fd).st_ino == st.st_ino)
        except FileNotFoundError:
            same = False
        if not same:
            lock.release()
            _refuse_link(path, root)
            continue
        break
    with _guard:
        _held[key] = 1
    try:
        yield
    finally:
        with _guard:
            _held.pop(key, None)
        lock.release()


def remove_lock_file(root) -> None:
    """Remove the lock file (while holding the lock: waiters notice and retry)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(Path(root) / LOCK_NAME)
