"""Loading processing counts: the project's tidy CSV/Parquet, or the official per-unit
report form ("Tình hình, kết quả giải quyết TTHC") exported to .xlsx."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.periods import to_period
from paranalysis.tables import read_table


def load_processing(path, *, period=None, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Tidy processing rows (``unit_code``, ``period`` and the official form's counts)
    from a tidy .csv/.parquet file or an official-form .xlsx workbook.

    ``period`` ("2024Q2") is required information for a workbook whose title does not
    state its quarter; for tidy files it selects rows of that quarter.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected="an existing file")])
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        from paranalysis.officialform import read_official_form

        return read_official_form(path, period=period, units=units)
    if suffix in {".csv", ".parquet"}:
        df = read_table([path], "processing")
        if period is not None:
            df = df[df["period"] == to_period(period)].reset_index(drop=True)
        return df
    raise DataError([Problem(file=str(path), value=path.suffix,
                             expected="a .csv, .parquet or .xlsx (official report form) file")])
