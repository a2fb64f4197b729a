"""A dataset folder and ``load_dataset``.

A dataset folder holds tidy tables as CSV or Parquet files, found by name anywhere below
the folder (except ``raw/``, which keeps received files as they came):

    units*.csv           extra units (the package's dated Nghe An registry is always known;
                         a row whose unit_code exists already is an error, see docs/units.md)
    crosswalk*.csv       crosswalk links replacing the package's for the (relation, from_code)
                         they name (see paranalysis.units.crosswalk)
    processing*.csv      one row per unit and quarter
    investments*.csv     the investment register
    rankings*.csv        published (or demo) ranks and scores
    facts*.csv           figures transcribed from reports (bundled data only)

Several files of one table are concatenated; a (unit, quarter) present twice is an error.
Files whose name contains "synthetic" must mark every row ``synthetic=true``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.tables import read_table_with_origin
from paranalysis.units import add_units, apply_crosswalk_overrides, package_crosswalk, package_units

TABLES = ("units", "processing", "investments", "rankings", "facts", "crosswalk")


def bundled_data_dir() -> Path:
    """The data folder shipped with paranalysis (the repository's ``data/``)."""
    env = os.environ.get("PARANALYSIS_BUNDLED_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for cand in (here / "_bundled_data", here.parent.parent / "data"):
        if cand.is_dir():
            return cand
    raise DataError([Problem(file=str(here), expected=Message("problem.data.bundled_folder"))])


def table_files(root: Path, table: str) -> list[Path]:
    """Files of one table under a dataset folder, in a stable order."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if not p.is_file() or rel.parts[0] in {"raw", ".staging"} or any(x.startswith(".") for x in rel.parts):
            continue
        if p.suffix.lower() not in {".csv", ".parquet"}:
            continue
        stem = p.stem.lower()
        if stem == table or stem.startswith(table + "_") or stem.startswith(table + "-"):
            out.append(p)
    return out


@dataclass
class Dataset:
    """The tables of one dataset folder, validated. ``synthetic`` columns say which rows
    are demonstration data."""

    path: Path
    units: pd.DataFrame
    processing: pd.DataFrame
    investments: pd.DataFrame
    rankings: pd.DataFrame
    facts: pd.DataFrame
    files: dict[str, list[Path]] = field(default_factory=dict)
    crosswalk: pd.DataFrame = field(default_factory=package_crosswalk)

    @property
    def has_synthetic(self) -> bool:
        """True if any processing, investment or ranking row is synthetic demo data."""
        return any(bool(getattr(self, t)["synthetic"].any()) for t in ("processing", "investments", "rankings")
                   if len(getattr(self, t)))

    def synthetic_tables(self) -> list[str]:
        return [t for t in ("processing", "investments", "rankings")
                if len(getattr(self, t)) and bool(getattr(self, t)["synthetic"].any())]

    def periods(self) -> pd.PeriodIndex:
        return pd.PeriodIndex(sorted(self.processing["period"].unique()), freq="Q-DEC")

    def input_files(self) -> list[Path]:
        return sorted({p for ps in self.files.values() for p in ps})


def _origin(origin: list, i: int) -> tuple[str | None, int | None]:
    if origin and 0 <= i < len(origin):
        return origin[i]
    return None, None


def _check_synthetic_labels(df: pd.DataFrame, table: str, origin: list) -> list[Problem]:
    """Rows read from a file named '...synthetic...' must say synthetic=true."""
    problems = []
    if "synthetic" not in df.columns or df.empty:
        return problems
    for i, flag in enumerate(df["synthetic"].tolist()):
        file, row = _origin(origin, i)
        if file and "synthetic" in Path(file).name.lower() and not flag:
            problems.append(Problem(file=file, row=row, column="synthetic", value=False,
                                    expected=Message("problem.data.synthetic_flag")))
    return problems


def load_dataset(path=None) -> Dataset:
    """Load and validate every table of a dataset folder. ``None`` loads the bundled
    data: real published facts and ranks, plus the labelled synthetic demo province.

    A folder that ingest writes to is read under its lock, and an ingest that was
    interrupted (journal in ``.staging``) is first completed or undone, so what is read is
    the folder before or after an ingest, never between."""
    root = Path(path) if path is not None else bundled_data_dir()
    if not root.is_dir():
        raise DataError([Problem(file=str(root), expected=Message("problem.data.dataset_folder"))])
    from paranalysis import folderlock, snapshot
    from paranalysis.ingest import pending, recover

    shared = snapshot.from_run(root)  # a kernel of `paranalysis run`: the run read this folder already
    if shared is not None:
        return shared
    if folderlock.held(root):  # ingest checking its own work
        return _load(root)
    if not (root / folderlock.LOCK_NAME).exists() and not pending(root):
        ds = _load(root)
        if not (root / folderlock.LOCK_NAME).exists() and not pending(root):
            return ds  # no ingest started meanwhile
    try:
        with folderlock.folder_lock(root):
            if pending(root):
                recover(root)
            return _load(root)
    except OSError as exc:  # a folder this user may read but not lock (read-only copy)
        if pending(root):
            raise DataError([Problem(file=root.name, expected=Message(
                "problem.data.unfinished_ingest", reason=exc.strerror))]) from None
        return _load(root)


def _load(root: Path) -> Dataset:
    files = {t: table_files(root, t) for t in TABLES}
    tables, origins = {}, {}
    for t in TABLES:
        if t not in ("units", "crosswalk"):
            tables[t], origins[t] = read_table_with_origin(files[t], t, root=root)
    problems = []
    for t in ("processing", "investments", "rankings"):
        problems += _check_synthetic_labels(tables[t], t, origins[t])
    if problems:
        raise DataError(problems)
    units = package_units()
    if files["units"]:
        extra, extra_origin = read_table_with_origin(files["units"], "units", root=root)
        units = add_units(units, extra, origin=extra_origin)
    crosswalk = package_crosswalk()
    if files["crosswalk"]:
        extra, extra_origin = read_table_with_origin(files["crosswalk"], "crosswalk", root=root)
        crosswalk = apply_crosswalk_overrides(crosswalk, extra, units, extra_origin=extra_origin)
    known = set(units["unit_code"])
    problems = []
    for t in ("processing", "investments", "rankings", "facts"):
        df = tables[t]
        if df.empty or "unit_code" not in df.columns:
            continue
        for i, code in enumerate(df["unit_code"].tolist()):
            if code is not None and not pd.isna(code) and code not in known:
                file, row = _origin(origins[t], i)
                problems.append(Problem(file=file or f"{t} table", row=row, column="unit_code", value=code,
                                        expected=Message("problem.data.unit_code")))
    if problems:
        raise DataError(problems[:200])
    for t in ("processing",):
        tables[t] = tables[t].sort_values(["unit_code", "period"]).reset_index(drop=True)
    return Dataset(path=root, units=units, files=files, crosswalk=crosswalk, **tables)
