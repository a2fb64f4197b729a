"""A run's dataset snapshot: ``paranalysis run`` reads and validates the dataset folder once
and hands the result to every notebook kernel it starts, so seven notebooks do not read
and check the same files seven times.

The snapshot is a file in a private temporary folder of the run (readable by this user
only), named to the kernels by the environment variable ``PARANALYSIS_RUN_SNAPSHOT`` and
removed when the run ends. A kernel uses it only for the same folder and only while
every file of that folder is as it was when the run read it (same names, sizes and
modification times, no ingest under way); otherwise it reads the folder itself.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

ENV = "PARANALYSIS_RUN_SNAPSHOT"
_FILE = "dataset.pickle"


def folder_state(root: Path) -> tuple:
    """What a dataset folder holds now, as far as loading it is concerned: each table file
    with its size and modification time, and whether an ingest holds or left the folder."""
    from paranalysis import __version__, folderlock
    from paranalysis.dataset import TABLES, table_files
    from paranalysis.ingest import pending

    root = Path(root).resolve()
    files = []
    for table in TABLES:
        for f in table_files(root, table):
            st = f.stat()
            files.append((table, str(f.relative_to(root)), st.st_size, st.st_mtime_ns))
    busy = (root / folderlock.LOCK_NAME).exists() or bool(pending(root))
    return (__version__, str(root), busy, tuple(files))


@contextlib.contextmanager
def shared_with_kernels(ds, state: tuple):
    """While the block runs, kernels started from this process find ``ds`` (loaded from a
    folder in ``state``) through ``PARANALYSIS_RUN_SNAPSHOT``; the file is removed after."""
    saved = os.environ.get(ENV)
    folder = Path(tempfile.mkdtemp(prefix="paranalysis-run-"))  # mode 0700: this user only
    try:
        if not state[2]:  # never share a folder an ingest is changing
            path = folder / _FILE
            with open(path, "wb") as fh:
                pickle.dump((state, ds), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.environ[ENV] = str(path)
        yield
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
        shutil.rmtree(folder, ignore_errors=True)


def from_run(root: Path):
    """The dataset the run that started this kernel loaded from ``root``, or None when
    there is no run, the snapshot is not this user's, or the folder changed since."""
    name = os.environ.get(ENV)
    if not name:
        return None
    path = Path(name)
    try:
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or path.parent.stat().st_mode & 0o077):
            return None  # only a file this user wrote, in a folder only this user can write
        with open(path, "rb") as fh:
            state, ds = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None
    try:
        now = folder_state(root)
    except OSError:
        return None
    return ds if now == state and not now[2] else None
