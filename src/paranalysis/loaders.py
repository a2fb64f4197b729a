"""Loading processing counts: the project's tidy CSV/Parquet, or the official per-unit
report form ("Tình hình, kết quả giải quyết TTHC") exported to .xlsx, .xlsm, .xls or .ods."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import to_period
from paranalysis.tables import read_table


def load_processing(path, *, period=None, units: pd.DataFrame | None = None, mapping=None,
                    data_dir=None) -> pd.DataFrame:
    """Tidy processing rows (``unit_code``, ``period`` and the official form's counts)
    from a tidy .csv/.parquet file or an official-form workbook (.xlsx, .xlsm, .xls, .ods).

    ``period`` ("2024Q2") is required information for a workbook whose title does not
    state its quarter; for tidy files it selects rows of that quarter. For a workbook,
    ``mapping`` (a YAML file) and ``data_dir``'s ``form_header_mapping.yaml`` are merged
    over the package's header mapping (``paranalysis.forms.mapping``).
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected=Message("problem.data.existing_file"))])
    suffix = path.suffix.lower()
    if path.is_dir():
        raise DataError([Problem(file=str(path), value=Message("problem.value.a_folder"),
                                 expected=Message("problem.data.file_not_folder"))])
    if suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
        from paranalysis.forms import read_official_form

        return read_official_form(path, period=period, units=units, mapping=mapping, data_dir=data_dir)
    if suffix in {".csv", ".parquet"}:
        df = read_table([path], "processing")
        if period is not None:
            df = df[df["period"] == to_period(period)].reset_index(drop=True)
        return df
    raise DataError([Problem(file=str(path), value=path.suffix,
                             expected=Message("problem.data.file_type"))])
