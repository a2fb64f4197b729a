"""Reading the project's own tidy tables (CSV or Parquet) into validated DataFrames.

Every value that cannot be parsed, and every schema failure, is reported together in one
DataError naming the file, line, column, the value found and what was expected.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from paranalysis import limits
from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import to_period
from paranalysis.schemas import (
    COLUMNS,
    COMBINED_COUNT_COLUMNS,
    COUNT_COLUMNS,
    OPTIONAL_COUNT_COLUMNS,
    validate,
)

_INT_COLUMNS = {
    "processing": COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS,
    "investments": ["amount_vnd", "endpoints"],
    "rankings": ["year", "rank", "n_ranked"],
    "units": [],
    "facts": [],
}
#: Plausibility ceilings of integer columns (paranalysis.limits, docs/data.md)
_INT_BOUNDS = {
    "processing": dict.fromkeys(COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS,
                                (limits.MAX_COUNT, Message("problem.rec.bound_records"))),
    "investments": {"amount_vnd": (limits.MAX_AMOUNT_VND, Message("problem.rec.bound_amount")),
                    "endpoints": (limits.MAX_COUNT, Message("problem.rec.bound_endpoints"))},
}
#: what the ceiling of an integer column without a plausibility bound counts
_ANY_COLUMN = Message("problem.rec.bound_column")
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}(\.0*)?", re.ASCII)
_FLOAT_COLUMNS = {"rankings": ["score"], "facts": ["value"], "crosswalk": ["weight"]}
_DATE_COLUMNS = {
    "investments": ["date_in_operation"],
    "units": ["valid_from", "valid_to"],
    "facts": ["period_start", "period_end"],
    "crosswalk": ["effective"],
}
_BOOL_COLUMNS = {"processing": ["synthetic"], "investments": ["synthetic"], "rankings": ["derived", "synthetic"]}
_BOOL_DEFAULTS = {"synthetic": False, "derived": False}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def read_raw(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file with every value as text (nothing coerced yet)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path)
            return df.astype(object).where(df.notna(), None)
        if path.suffix.lower() == ".csv":
            text = _csv_text(path)
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], comment=None,
                               index_col=False)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError([Problem(file=str(path), expected=Message("problem.rec.table_header"))]) from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DataError([Problem(file=str(path), value=str(exc)[:200],
                                 expected=Message("problem.rec.readable_table", kind=path.suffix.lower()[1:]))]) from None
    except Exception as exc:  # noqa: BLE001 - e.g. pyarrow errors on a damaged Parquet file
        raise DataError([Problem(file=str(path), value=f"{type(exc).__name__}: {exc}"[:200],
                                 expected=Message("problem.rec.readable_table", kind=path.suffix.lower()[1:]))]) from None
    raise DataError([Problem(file=str(path), expected=Message("problem.rec.table_kind"))])


def _csv_text(path: Path) -> str:
    """The text of a CSV file, checked line by line: UTF-8 (a problem names the line and
    the byte found) and the header's number of fields on every line (a problem names the
    line and what is wrong), before pandas reads it."""
    size = path.stat().st_size
    if size > limits.MAX_FILE_BYTES:
        raise DataError([Problem(file=str(path), value=Message("problem.value.bytes_grouped", n=size),
                                 expected=Message("problem.rec.file_size", limit=limits.MAX_FILE_BYTES))])
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start:exc.end].hex(" ")
        raise DataError([Problem(file=str(path), row=line, value=Message("problem.value.bad_byte", byte=bad, col=col),
                                 expected=Message("problem.rec.not_utf8"))]) from None
    problems = _Bounded()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width, start = None, 1
    try:
        for record in reader:
            if width is None:
                width = len(record)
            elif record and len(record) != width:
                problems.append(Problem(file=str(path), row=start, value=Message("problem.value.fields", n=len(record)),
                                        expected=Message("problem.rec.field_count", width=width)))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(file=str(path), row=start, value=str(exc)[:120],
                                expected=Message("problem.rec.csv_line")))
    if problems:
        raise DataError(problems.listed())
    return text


def coerce(df: pd.DataFrame, name: str, *, file: str | None, line_offset: int = 2) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse text values into the table's types. Returns the frame and the parse problems
    (with 1-based file line numbers: header is line 1)."""
    problems: list[Problem] = _Bounded()
    df = df.copy()
    cols = COLUMNS[name]
    for c in _BOOL_COLUMNS.get(name, []):
        if c not in df.columns:
            df[c] = _BOOL_DEFAULTS[c]
    if name == "processing":
        for c in COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS + ["source"]:  # combined: derived when absent
            if c not in df.columns:
                df[c] = None
    if name == "investments":
        for c in ("endpoints", "description"):
            if c not in df.columns:
                df[c] = None
    if name == "rankings":
        for c in ("note", "scale", "score", "rank", "n_ranked"):
            if c not in df.columns:
                df[c] = None
    if name == "units":
        if "gso_code" not in df.columns:  # added with the 2025 registry; older files lack it
            df["gso_code"] = None
        if "level" in df.columns:
            df["level"] = df["level"].map(lambda v: "agency" if isinstance(v, str) and v.strip() == "department" else v)
    if name == "crosswalk":
        for c in ("effective", "merge_type", "weight", "confidence", "clause", "source", "note"):
            if c not in df.columns:
                df[c] = None

    def blank(v) -> bool:
        return v is None or (isinstance(v, float) and pd.isna(v)) or (isinstance(v, str) and v.strip() == "")

    def line(i) -> int:
        return int(i) + line_offset if isinstance(i, (int,)) or str(i).isdigit() else None

    for c in _INT_COLUMNS.get(name, []):
        if c not in df.columns:
            continue
        quick = _plain_counts(df[c], _INT_BOUNDS.get(name, {}).get(c, (2**62, ""))[0])
        if quick is not None:
            df[c] = quick
            continue
        out = []
        for i, v in df[c].items():
            if blank(v):
                out.append(pd.NA)
                continue
            ceiling, what = _INT_BOUNDS.get(name, {}).get(c, (2**62, _ANY_COLUMN))
            try:
                if isinstance(v, bool) or type(v).__name__ == "bool_":  # true/false is not a count
                    raise ValueError
                if isinstance(v, (int, float)) or hasattr(v, "dtype"):  # Parquet: numbers as stored
                    f = float(v)
                    if not math.isfinite(f) or f != int(f):
                        raise ValueError
                    n = int(v)
                else:  # text: digits only ("12" or "12.0"); no exponent, no separators
                    t = str(v).strip()
                    if not _WHOLE.fullmatch(t):
                        raise ValueError
                    n = int(t.split(".")[0])
            except (ValueError, OverflowError, TypeError):
                problems.append(Problem(file=file, row=line(i), column=c, value=_short(v),
                                        expected=Message("problem.rec.whole_number")))
                out.append(pd.NA)
                continue
            if n > ceiling or n < (0 if c in _INT_BOUNDS.get(name, {}) else -ceiling):
                problems.append(Problem(file=file, row=line(i), column=c, value=_short(v),
                                        expected=Message("problem.rec.bound", ceiling=ceiling, what=what)))
                out.append(pd.NA)
                continue
            out.append(n)
        df[c] = pd.array(out, dtype="Int64")
    for c in _FLOAT_COLUMNS.get(name, []):
        if c not in df.columns:
            continue
        out = []
        for i, v in df[c].items():
            if blank(v):
                out.append(float("nan"))
                continue
            try:
                out.append(float(str(v).strip()) if not isinstance(v, (int, float)) else float(v))
            except ValueError:
                problems.append(Problem(file=file, row=line(i), column=c, value=v, expected=Message("problem.rec.number")))
                out.append(float("nan"))
        df[c] = pd.Series(out, index=df.index, dtype=float)
    for c in _DATE_COLUMNS.get(name, []):
        if c not in df.columns:
            continue
        out = []
        for i, v in df[c].items():
            if blank(v):
                out.append(pd.NaT)
                continue
            try:
                out.append(pd.Timestamp(str(v).strip()) if not isinstance(v, pd.Timestamp) else v)
            except (ValueError, TypeError):
                problems.append(Problem(file=file, row=line(i), column=c, value=v, expected=Message("problem.rec.date")))
                out.append(pd.NaT)
        df[c] = pd.Series(out, index=df.index, dtype="datetime64[ns]")
    for c in _BOOL_COLUMNS.get(name, []):
        out = []
        for i, v in df[c].items():
            if isinstance(v, bool):
                out.append(v)
                continue
            t = "" if blank(v) else str(v).strip().lower()
            if t in _TRUE:
                out.append(True)
            elif t in _FALSE:
                out.append(_BOOL_DEFAULTS[c] if t == "" else False)
            else:
                problems.append(Problem(file=file, row=line(i), column=c, value=v, expected=Message("problem.rec.boolean")))
                out.append(False)
        df[c] = pd.Series(out, index=df.index, dtype=bool)
    if name == "processing" and "period" in df.columns:
        out = []
        for i, v in df["period"].items():
            try:
                out.append(to_period(v))
            except ValueError:
                problems.append(Problem(file=file, row=line(i), column="period", value=v,
                                        expected=Message("problem.rec.quarter")))
                out.append(pd.NaT)
        df["period"] = pd.PeriodIndex(out, freq="Q-DEC") if out else pd.PeriodIndex([], freq="Q-DEC")
    # text columns: empty -> None, everything else str
    typed = set(_INT_COLUMNS.get(name, []) + _FLOAT_COLUMNS.get(name, []) + _DATE_COLUMNS.get(name, [])
                + _BOOL_COLUMNS.get(name, []) + (["period"] if name == "processing" else []))
    for c in cols:
        if c in df.columns and c not in typed:
            df[c] = pd.Series([None if blank(v) else str(v) for v in df[c]], index=df.index, dtype=object).astype("str").where(
                ~df[c].map(blank), None)
    present = [c for c in cols if c in df.columns]
    extra = [c for c in df.columns if c not in cols]
    return df[present + extra], problems.listed()


_DIGITS = r"[0-9]{1,15}"


def _plain_counts(s: pd.Series, ceiling: int):
    """A text column of plain digits (or empty) up to ``ceiling`` as Int64 at once, as the
    value-by-value parse gives it; None (parse value by value) for anything else."""
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object or s.isna().any():
        return None
    empty = (s == "").to_numpy(dtype=bool)
    if not (s.str.fullmatch(_DIGITS).to_numpy(dtype=bool) | empty).all():
        return None
    n = s.to_numpy(dtype=object).copy()
    n[empty] = "0"
    n = n.astype(np.int64)
    if (n > ceiling).any():
        return None
    return pd.arrays.IntegerArray(n, empty)


def _short(v):
    t = str(v)
    return v if len(t) <= 60 else t[:60] + "…"


class _Bounded(list):
    """A problem list that keeps the first limits.MAX_PROBLEMS and counts the rest."""

    def __init__(self):
        super().__init__()
        self.more = 0

    def append(self, p) -> None:
        if len(self) < limits.MAX_PROBLEMS:
            super().append(p)
        else:
            self.more += 1

    def listed(self) -> list[Problem]:
        if not self.more:
            return list(self)
        last = self[-1]
        return list(self) + [Problem(file=last.file, expected=Message("problem.rec.more_in_file", more=self.more,
                                                                      limit=limits.MAX_PROBLEMS))]


def read_table(paths: list[Path], name: str, *, root: Path | None = None) -> pd.DataFrame:
    """Read, coerce, concatenate and validate one table from one or more files."""
    return read_table_with_origin(paths, name, root=root)[0]


def read_table_with_origin(paths: list[Path], name: str, *,
                           root: Path | None = None) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """:func:`read_table`, and where each row came from: (file, line) per row, for messages
    about rules across tables."""
    frames, problems, rows, files = [], [], [], []
    for p in paths:
        label = str(p.relative_to(root)) if root is not None and p.is_relative_to(root) else str(p)
        raw = read_raw(p)
        df, probs = coerce(raw, name, file=label)
        problems += probs
        rows.append(pd.Series(range(2, len(df) + 2)))
        files.append(pd.Series([label] * len(df)))
        frames.append(df.reset_index(drop=True))
    if problems:
        raise DataError(problems, file=None if len(paths) != 1 else str(paths[0]))
    if not frames:
        from paranalysis.schemas import empty_table

        return empty_table(name), []
    df = pd.concat(frames, ignore_index=True)
    row_s = pd.concat(rows, ignore_index=True)
    file_s = pd.concat(files, ignore_index=True)
    if name == "processing" and "period" in df.columns:
        df["period"] = df["period"].astype("period[Q-DEC]")
    out = validate(df, name, rows=row_s, files=file_s, file=None if len(paths) != 1 else str(paths[0]))
    return out, list(zip(file_s.tolist(), row_s.tolist()))
