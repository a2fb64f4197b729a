"""The tidy data model, validated at load time with pandera.

Four tables (plus the seed facts):

- ``units``: unit_code (a key unique across vintages, see docs/units.md), name_vi (Unicode
  NFC), short_name_vi, name_ascii, level (province / agency / district / commune; files may
  say "department" for "agency"), unit_type, parent_code, valid_from, valid_to, aliases
  ("|"-separated names used in exports), code_system, source, gso_code (the official code,
  which the 2025 system reuses; optional in files).
- ``crosswalk``: relation (merged_into / parent / district_commune), from_code, to_code,
  effective (first day of the link), merge_type (full / partial), weight (share of
  from_code's counts given to to_code), confidence, clause, source, note.
- ``processing``: one row per unit_code and period (a calendar quarter, "2024Q2") with
  the counts of the official form (``COUNT_COLUMNS``) and the optional counts
  (``OPTIONAL_COUNT_COLUMNS``), plus ``synthetic`` and ``source``.
- ``investments``: unit_code, date_in_operation, category (``one_stop_facility``,
  ``online_meeting_system``, ``other``), amount_vnd, endpoints, description, source,
  synthetic.
- ``rankings``: index (PAR_INDEX, SIPAS, PAPI, PCI, DDCI, ...), year, unit_code, score,
  rank, n_ranked, scale, source, derived, synthetic, note.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import pandera.pandas as pa

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import QUARTER_FREQ

COUNT_COLUMNS = [
    "carried_over",
    "received_online",
    "received_direct",
    "received_postal",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "pending_not_due",
    "pending_overdue",
]
OPTIONAL_COUNT_COLUMNS = ["returned_withdrawn", "digitized", "ratings", "satisfied"]
#: Sums some forms give instead of their parts (Biểu 06/VPCP/KSTT): column -> its parts.
#: Always filled in a loaded table (the sum of the parts when the parts are known, else the
#: form's own figure); where a form gives only the sum, both parts are missing (NA).
COMBINED_COUNTS = {
    "received_direct_postal": ("received_direct", "received_postal"),
    "resolved_early_on_time": ("resolved_early", "resolved_on_time"),
}
COMBINED_COUNT_COLUMNS = list(COMBINED_COUNTS)
#: the count columns that may be missing (as a pair) when their combined column is known
SPLIT_PARTS = [p for parts in COMBINED_COUNTS.values() for p in parts]
#: the columns every processing file and frame must have (the combined columns are derived
#: from them when absent: see ``with_combined``)
PROCESSING_COLUMNS = ["unit_code", "period", *COUNT_COLUMNS, *OPTIONAL_COUNT_COLUMNS, "synthetic", "source"]
#: the columns of a loaded processing table, in order
PROCESSING_TABLE_COLUMNS = ["unit_code", "period", *COUNT_COLUMNS, *COMBINED_COUNT_COLUMNS, *OPTIONAL_COUNT_COLUMNS,
                            "synthetic", "source"]

INVESTMENT_CATEGORIES = ["one_stop_facility", "online_meeting_system", "other"]
INVESTMENT_COLUMNS = [
    "unit_code", "date_in_operation", "category", "amount_vnd", "endpoints",
    "description", "source", "synthetic",
]
RANKING_INDICES = ["PAR_INDEX", "SIPAS", "PAPI", "PCI", "DDCI", "SERVICE_INDEX_766", "ICT_EGOV_INDEX_MIC"]
RANKING_COLUMNS = [
    "index", "year", "unit_code", "rank", "n_ranked", "score", "scale", "source",
    "derived", "synthetic", "note",
]
UNIT_COLUMNS = [
    "unit_code", "name_vi", "short_name_vi", "name_ascii", "level", "unit_type",
    "parent_code", "valid_from", "valid_to", "aliases", "code_system", "source", "gso_code",
]
UNIT_LEVELS = ["province", "agency", "district", "commune"]
UNIT_LEVEL_SYNONYMS = {"department": "agency"}
CROSSWALK_RELATIONS = ["merged_into", "parent", "district_commune"]
CROSSWALK_COLUMNS = [
    "relation", "from_code", "to_code", "effective", "merge_type", "weight", "confidence", "clause",
    "source", "note",
]
FACT_COLUMNS = [
    "fact_id", "unit_code", "unit_name", "period_start", "period_end", "period_label",
    "metric", "value", "measure_unit", "source_file", "source_date", "sentence", "note",
]

#: the catalogue message of each check error text of these schemas (pandera reports a failed
#: check by its error text, as plain English): how a problem names it in the reader's language
_CHECK_MESSAGES: dict[str, Message] = {}


def _check_error(message: Message) -> str:
    """The error text of a schema check (``message`` in English), remembered so that a failure
    of the check is reported with ``message`` itself (see :func:`_describe_check`)."""
    _CHECK_MESSAGES[str(message)] = message
    return str(message)


_is_nfc = pa.Check(
    lambda s: s.map(lambda x: x is None or pd.isna(x) or unicodedata.is_normalized("NFC", str(x))),
    element_wise=False,
    error=_check_error(Message("problem.rec.check_nfc")),
)

_count = lambda required: pa.Column(  # noqa: E731
    "Int64", pa.Check.ge(0, error=_check_error(Message("problem.rec.check_count"))), nullable=not required
)

PROCESSING_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, nullable=False),
        "period": pa.Column(pd.PeriodDtype(QUARTER_FREQ), nullable=False),
        **{c: _count(c not in SPLIT_PARTS) for c in COUNT_COLUMNS},
        **{c: _count(False) for c in COMBINED_COUNT_COLUMNS},  # missing only with a missing part (reported)
        **{c: _count(False) for c in OPTIONAL_COUNT_COLUMNS},
        "synthetic": pa.Column(bool, nullable=False),
        "source": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["satisfied"].isna() | df["ratings"].isna() | (df["satisfied"] <= df["ratings"]),
            error=_check_error(Message("problem.rec.check_satisfied")),
        ),
        *[pa.Check(lambda df, a=a, b=b: df[a].isna() == df[b].isna(),
                   error=_check_error(Message("problem.rec.check_parts", a=a, b=b)))
          for a, b in COMBINED_COUNTS.values()],
    ],
    unique=["unit_code", "period"],
    strict=True,
    ordered=False,
    name="processing",
)

INVESTMENTS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, nullable=False),
        "date_in_operation": pa.Column("datetime64[ns]", nullable=False),
        "category": pa.Column(str, pa.Check.isin(INVESTMENT_CATEGORIES), nullable=False),
        "amount_vnd": pa.Column("Int64", pa.Check.ge(0, error=_check_error(Message("problem.rec.check_amount"))), nullable=True),
        "endpoints": pa.Column("Int64", pa.Check.ge(0), nullable=True),
        "description": pa.Column(str, _is_nfc, nullable=True),
        "source": pa.Column(str, nullable=False),
        "synthetic": pa.Column(bool, nullable=False),
    },
    strict=True,
    ordered=False,
    name="investments",
)

RANKINGS_SCHEMA = pa.DataFrameSchema(
    {
        "index": pa.Column(str, nullable=False),
        "year": pa.Column("Int64", pa.Check.in_range(2000, 2100), nullable=False),
        "unit_code": pa.Column(str, nullable=False),
        "rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "n_ranked": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "score": pa.Column(float, nullable=True),
        "scale": pa.Column(str, nullable=True),
        "source": pa.Column(str, nullable=False),
        "derived": pa.Column(bool, nullable=False),
        "synthetic": pa.Column(bool, nullable=False),
        "note": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["rank"].isna() | df["n_ranked"].isna() | (df["rank"] <= df["n_ranked"]),
            error=_check_error(Message("problem.rec.check_rank")),
        )
    ],
    unique=["index", "year", "unit_code"],
    strict=True,
    ordered=False,
    name="rankings",
)

UNITS_SCHEMA = pa.DataFrameSchema(
    {
        "unit_code": pa.Column(str, nullable=False, unique=True),
        "name_vi": pa.Column(str, _is_nfc, nullable=False),
        "short_name_vi": pa.Column(str, _is_nfc, nullable=True),
        "name_ascii": pa.Column(str, pa.Check.str_matches(r"^[\x00-\x7f]*$"), nullable=False),
        "level": pa.Column(str, pa.Check.isin(UNIT_LEVELS), nullable=False),
        "unit_type": pa.Column(str, nullable=True),
        "parent_code": pa.Column(str, nullable=True),
        "valid_from": pa.Column("datetime64[ns]", nullable=True),
        "valid_to": pa.Column("datetime64[ns]", nullable=True),
        "aliases": pa.Column(str, _is_nfc, nullable=True),
        "code_system": pa.Column(str, nullable=True),
        "source": pa.Column(str, nullable=True),
        "gso_code": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(lambda df: df["valid_from"].isna() | df["valid_to"].isna() | (df["valid_from"] <= df["valid_to"]),
                 error=_check_error(Message("problem.rec.check_validity"))),
    ],
    strict=True,
    ordered=False,
    name="units",
)

CROSSWALK_SCHEMA = pa.DataFrameSchema(
    {
        "relation": pa.Column(str, pa.Check.isin(CROSSWALK_RELATIONS), nullable=False),
        "from_code": pa.Column(str, nullable=False),
        "to_code": pa.Column(str, nullable=False),
        "effective": pa.Column("datetime64[ns]", nullable=True),
        "merge_type": pa.Column(str, pa.Check.isin(["full", "partial"]), nullable=True),
        "weight": pa.Column(float, pa.Check.in_range(0, 1, error=_check_error(Message("problem.rec.check_share"))), nullable=True),
        "confidence": pa.Column(str, nullable=True),
        "clause": pa.Column(str, _is_nfc, nullable=True),
        "source": pa.Column(str, nullable=True),
        "note": pa.Column(str, nullable=True),
    },
    unique=["relation", "from_code", "to_code", "effective"],
    strict=True,
    ordered=False,
    name="crosswalk",
)

FACTS_SCHEMA = pa.DataFrameSchema(
    {
        "fact_id": pa.Column(str, nullable=False, unique=True),
        "unit_code": pa.Column(str, nullable=True),
        "unit_name": pa.Column(str, nullable=True),
        "period_start": pa.Column("datetime64[ns]", nullable=True),
        "period_end": pa.Column("datetime64[ns]", nullable=True),
        "period_label": pa.Column(str, nullable=True),
        "metric": pa.Column(str, nullable=False),
        "value": pa.Column(float, nullable=False),
        "measure_unit": pa.Column(str, nullable=False),
        "source_file": pa.Column(str, nullable=False),
        "source_date": pa.Column(str, nullable=True),
        "sentence": pa.Column(str, nullable=False),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    ordered=False,
    name="facts",
)

SCHEMAS = {
    "units": UNITS_SCHEMA,
    "processing": PROCESSING_SCHEMA,
    "investments": INVESTMENTS_SCHEMA,
    "rankings": RANKINGS_SCHEMA,
    "facts": FACTS_SCHEMA,
    "crosswalk": CROSSWALK_SCHEMA,
}
COLUMNS = {
    "units": UNIT_COLUMNS,
    "processing": PROCESSING_TABLE_COLUMNS,
    "investments": INVESTMENT_COLUMNS,
    "rankings": RANKING_COLUMNS,
    "facts": FACT_COLUMNS,
    "crosswalk": CROSSWALK_COLUMNS,
}


def empty_table(name: str) -> pd.DataFrame:
    """An empty table with the schema's columns and dtypes."""
    schema = SCHEMAS[name]
    return pd.DataFrame({c: pd.Series(dtype=col.dtype.type if col.dtype else object) for c, col in schema.columns.items()})


def with_combined(df: pd.DataFrame) -> pd.DataFrame:
    """The combined counts filled in (a copy): ``received_direct_postal`` = direct + postal
    and ``resolved_early_on_time`` = early + on time wherever both parts are known (the
    parts win over a stale sum); where the form gave only the sum (the parts missing), its
    figure is kept. A missing column is added. Columns ordered as ``PROCESSING_TABLE_COLUMNS``
    when the frame has them all. (``validate`` reports a given sum that disagrees.)"""
    out = df.copy()
    for c, (a, b) in COMBINED_COUNTS.items():
        if a not in out.columns or b not in out.columns:
            continue
        given = out[c].astype("Int64") if c in out.columns else pd.Series(pd.NA, index=out.index, dtype="Int64")
        parts = out[a].astype("Int64") + out[b].astype("Int64")
        out[c] = parts.where(parts.notna(), given)
    if set(PROCESSING_TABLE_COLUMNS) == set(out.columns):
        out = out[PROCESSING_TABLE_COLUMNS]
    return out


def validate(df: pd.DataFrame, name: str, *, file: str | None = None, rows: pd.Series | None = None,
             files: pd.Series | None = None) -> pd.DataFrame:
    """Validate a table against its schema; every failure becomes one Problem of a
    single DataError. ``rows``/``files`` (aligned with ``df``'s index) give the source
    line number and file of each row for the message."""
    problems = []
    if name == "processing":
        problems += _combined_disagrees(df, file, rows, files)
        df = with_combined(df)
        problems += _unknown_parts(df, file, rows, files)
    try:
        out = SCHEMAS[name].validate(df, lazy=True)
        if problems:
            raise DataError(problems, file=file)
        return out
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        frame_rows: dict = {}  # (index, check) -> columns, for checks on whole rows
        for rec in fc.itertuples(index=False):
            idx = rec.index
            row = None
            f = file
            if idx is not None and not pd.isna(idx):
                if rows is not None and idx in rows.index:
                    row = int(rows.loc[idx])
                else:
                    row = int(idx) + 2 if isinstance(idx, (int,)) or str(idx).isdigit() else None
                if files is not None and idx in files.index:
                    f = files.loc[idx]
            col = rec.column if isinstance(rec.column, str) else None
            check = str(rec.check)
            value = rec.failure_case
            if check.startswith(("column_in_dataframe", "column_in_schema")):
                col, value = str(rec.failure_case), None  # the column itself is missing / unknown
            elif rec.schema_context == "DataFrameSchema" and row is not None:
                # a check on whole rows (uniqueness, satisfied <= ratings): one problem per row
                key = (f, row, check)
                if key in frame_rows:
                    frame_rows[key][1].append(col)
                    continue
                frame_rows[key] = (len(problems), [col])
            problems.append(Problem(file=f, row=row, column=col, value=value,
                                    expected=_describe_check(check, name)))
        for (f, row, check), (i, cols) in frame_rows.items():
            # uniqueness names the key columns; other row checks name their columns in the message
            column = ", ".join(c for c in cols if c) if "uniqueness" in check else None
            problems[i] = Problem(file=f, row=row, column=column, value=None, expected=problems[i].expected)
        raise DataError(problems, file=file) from None


def _where(idx, file, rows, files):
    row = int(rows.loc[idx]) if rows is not None and idx in rows.index else (
        int(idx) + 2 if isinstance(idx, int) or str(idx).isdigit() else None)
    return (files.loc[idx] if files is not None and idx in files.index else file), row


def _combined_disagrees(df, file, rows, files) -> list:
    """A combined count given beside both its parts that is not their sum."""
    out = []
    for c, (a, b) in COMBINED_COUNTS.items():
        if not {a, b, c} <= set(df.columns):
            continue
        x, y, z = (pd.to_numeric(df[k], errors="coerce") for k in (a, b, c))
        for idx in df.index[(z.notna() & x.notna() & y.notna() & (z != x + y)).astype(bool)]:
            f, row = _where(idx, file, rows, files)
            out.append(Problem(file=f, row=row, column=c, value=df.at[idx, c],
                               expected=Message("problem.rec.combined_sum", total=c, a=a, b=b,
                                                value=int(x[idx] + y[idx]))))
    return out


def _unknown_parts(df, file, rows, files) -> list:
    """A part of a combined count (received_direct, ...) left empty while the sum is not
    given either: one problem on the empty part."""
    out = []
    for c, parts in COMBINED_COUNTS.items():
        if c not in df.columns:
            continue
        for p in parts:
            if p not in df.columns:
                continue
            for idx in df.index[df[p].isna() & df[c].isna()]:
                f, row = _where(idx, file, rows, files)
                out.append(Problem(file=f, row=row, column=p, value=None,
                                   expected=Message("problem.rec.part_missing", total=c)))
    return out


def _describe_check(check: str, table: str) -> str:
    """What a failed pandera check expected, as a catalogue message: pandera's own check
    names (uniqueness, a missing column, ...) in words, a check of these schemas by its
    message; a check of pandera's that has no words here (``in_range(2000, 2100)``) by its name."""
    if "multiple_fields_uniqueness" in check or check == "field_uniqueness":
        return Message("problem.rec.duplicate_key", table=table)
    if check.startswith("column_in_dataframe"):
        return Message("problem.rec.table_column", table=table)
    if check.startswith("column_in_schema"):
        return Message("problem.rec.unknown_column", table=table)
    if check.startswith("not_nullable"):
        return Message("problem.rec.not_empty")
    if check.startswith("dtype("):
        return Message("problem.rec.dtype", dtype=check[6:-1])
    if check.startswith("greater_than_or_equal_to(0)"):
        return Message("problem.rec.non_negative")
    if check.startswith("isin("):
        return Message("problem.rec.one_of", values=check[5:-1])
    return _CHECK_MESSAGES.get(check, check)


def _to_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool:
        return s
    m = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
    return s.map(lambda v: m.get(str(v).strip().lower(), v) if not pd.isna(v) else False)


def _to_int(s: pd.Series) -> pd.Series:
    """Whole numbers to nullable Int64, leaving anything else as is for the schema to report."""
    try:
        num = pd.to_numeric(s, errors="raise")
    except (ValueError, TypeError):
        return s
    if (num.dropna() % 1 != 0).any():
        return num
    return num.astype("Int64")


def coerce_units(df: pd.DataFrame, *, source_name: str | None = None) -> pd.DataFrame:
    df = df.copy()
    if "gso_code" not in df.columns:
        df["gso_code"] = None
    df["level"] = df["level"].map(lambda v: UNIT_LEVEL_SYNONYMS.get(v, v) if isinstance(v, str) else v)
    for c in ("valid_from", "valid_to"):
        df[c] = pd.to_datetime(df[c].replace("", None), errors="coerce").astype("datetime64[ns]")
    for c in UNIT_COLUMNS:
        if c not in ("valid_from", "valid_to"):
            df[c] = df[c].replace("", None).astype("str").where(df[c].notna() & (df[c] != ""), None)
    return validate(df[UNIT_COLUMNS], "units", file=source_name)
