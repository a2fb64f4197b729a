"""A dataset folder and ``load_dataset``.

A dataset folder holds tidy tables as CSV or Parquet files, found by name anywhere below
the folder (except ``raw/``, which keeps received files as they came):

    units*.csv           extra units (the package's Nghe An units are always known)
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
from paranalysis.schemas import UNIT_COLUMNS, validate
from paranalysis.tables import read_table
from paranalysis.units import package_units

TABLES = ("units", "processing", "investments", "rankings", "facts")


def bundled_data_dir() -> Path:
    """The data folder shipped with paranalysis (the repository's ``data/``)."""
    env = os.environ.get("PARANALYSIS_BUNDLED_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for cand in (here / "_bundled_data", here.parent.parent / "data"):
        if cand.is_dir():
            return cand
    raise DataError([Problem(file=str(here), expected="the bundled data folder (reinstall paranalysis)")])


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


def _check_synthetic_labels(df: pd.DataFrame, files: list[Path], table: str, root: Path) -> None:
    if "synthetic" not in df.columns or df.empty:
        return
    problems = []
    # read_table keeps file order; recompute per-file row ranges
    start = 0
    for p in files:
        n = sum(1 for _ in open(p, encoding="utf-8-sig")) - 1 if p.suffix.lower() == ".csv" else len(pd.read_parquet(p))
        part = df.iloc[start:start + n]
        if "synthetic" in p.name.lower() and not part["synthetic"].all():
            bad = part.index[~part["synthetic"]]
            problems.append(Problem(file=str(p.relative_to(root)), row=int(bad[0] - start + 2), column="synthetic",
                                    value=False, expected="true in every row of a file named 'synthetic'"))
        start += n
    if problems:
        raise DataError(problems)


def load_dataset(path=None) -> Dataset:
    """Load and validate every table of a dataset folder. ``None`` loads the bundled
    data: real published facts and ranks, plus the labelled synthetic demo province."""
    root = Path(path) if path is not None else bundled_data_dir()
    if not root.is_dir():
        raise DataError([Problem(file=str(root), expected="a dataset folder")])
    files = {t: table_files(root, t) for t in TABLES}
    tables = {t: read_table(files[t], t, root=root) for t in TABLES if t != "units"}
    for t in ("processing", "investments", "rankings"):
        _check_synthetic_labels(tables[t], files[t], t, root)
    units = package_units()
    if files["units"]:
        extra = read_table(files["units"], "units", root=root)
        units = pd.concat([units, extra[~extra["unit_code"].isin(units["unit_code"])]], ignore_index=True)
        units = validate(units[UNIT_COLUMNS], "units")
    known = set(units["unit_code"])
    problems = []
    for t in ("processing", "investments", "rankings", "facts"):
        df = tables[t]
        if df.empty or "unit_code" not in df.columns:
            continue
        for i, code in df["unit_code"].items():
            if code is not None and not pd.isna(code) and code not in known:
                problems.append(Problem(file=f"{t} table", row=int(i) + 2, column="unit_code", value=code,
                                        expected="a unit code known to the units table"))
    if problems:
        raise DataError(problems[:200])
    for t in ("processing",):
        tables[t] = tables[t].sort_values(["unit_code", "period"]).reset_index(drop=True)
    return Dataset(path=root, units=units, files=files, **tables)
