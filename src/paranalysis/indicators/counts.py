"""The counts of the ``processing`` table and their derived totals (received, handled,
resolved, resolved in time, pending), added up over units and over time: flows are
summed, the stock carried over is the one at the start of a window, the pending stock
the one at its end. Rates are never averaged: sum counts, then divide."""

from __future__ import annotations


import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import QUARTER_FREQ, to_period
from paranalysis.schemas import COMBINED_COUNT_COLUMNS, COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS, with_combined


RECEIVED_COLUMNS = ["received_online", "received_direct", "received_postal"]


RESOLVED_COLUMNS = ["resolved_early", "resolved_on_time", "resolved_late"]


PENDING_COLUMNS = ["pending_not_due", "pending_overdue"]


#: counted over the period (added up over time)
FLOW_COLUMNS = RECEIVED_COLUMNS + RESOLVED_COLUMNS + COMBINED_COUNT_COLUMNS + ["returned_withdrawn", "digitized",
                                                                          "ratings", "satisfied"]


#: stock at the start of the period (over a window: the first quarter's value)
OPENING_STOCK_COLUMNS = ["carried_over"]


#: stock at the end of the period (over a window: the last quarter's value)
CLOSING_STOCK_COLUMNS = PENDING_COLUMNS


ALL_COUNTS = COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS


#: why an indicator is missing where a form gave only a combined count (``missing_reason``)
MISSING_REASONS = {
    "resolved_early_on_time": "the form gives early and on-time as one number",
    "received_direct_postal": "the form gives direct and postal as one number",
}


DERIVED_COLUMNS = ["received", "handled", "resolved", "resolved_in_time", "pending"]


def _check_counts(df: pd.DataFrame, what: str = "processing counts") -> None:
    missing = [c for c in COUNT_COLUMNS if c not in df.columns]
    if missing:
        of = Message("problem.model.processing_counts") if what == "processing counts" else what
        raise DataError([Problem(column=c, expected=Message("problem.model.counts_column", what=of)) for c in missing])


def with_totals(counts: pd.DataFrame) -> pd.DataFrame:
    """Add the totals of the official form: ``received`` (new in the period: online +
    in person + postal), ``handled`` (carried over + received), ``resolved`` (early + on
    time + late), ``resolved_in_time`` (early + on time) and ``pending`` (not yet due +
    overdue). A total is missing when any of its parts is missing. Totals are built from the
    combined counts (``received_direct_postal``, ``resolved_early_on_time``; derived from their
    parts when absent), so a Biểu 06 form that gives only those sums has every total."""
    _check_counts(counts)
    df = with_combined(counts)
    for c in ALL_COUNTS:
        if c not in df.columns:
            df[c] = pd.array([pd.NA] * len(df), dtype="Int64")
        elif df[c].dtype != "Int64":
            df[c] = df[c].astype("Int64")
    df["received"] = df["received_online"] + df["received_direct_postal"]
    df["handled"] = df["carried_over"] + df["received"]
    df["resolved"] = df["resolved_early_on_time"] + df["resolved_late"]
    df["resolved_in_time"] = df["resolved_early_on_time"]
    df["pending"] = df["pending_not_due"] + df["pending_overdue"]
    return df


def count_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in ALL_COUNTS if c in df.columns]


def key_columns(df: pd.DataFrame) -> list[str]:
    skip = set(ALL_COUNTS) | set(DERIVED_COLUMNS) | {"synthetic", "source"}
    return [c for c in df.columns if c not in skip]


def _window_counts(part: pd.DataFrame, n_expected: int) -> dict:
    """Counts of one unit over consecutive quarters (``part`` sorted by period)."""
    out = {}
    complete = len(part) == n_expected
    for c in count_columns(part):
        s = part[c]
        if c in OPENING_STOCK_COLUMNS:
            v = s.iloc[0]
        elif c in CLOSING_STOCK_COLUMNS:
            v = s.iloc[-1]
        else:
            v = s.sum(skipna=False)
        out[c] = v if complete else pd.NA
    out["n_quarters"] = len(part)
    return out


def _window_frame(df: pd.DataFrame, cols: list[str], by: str, p1, label: str, n: int) -> pd.DataFrame:
    """:func:`_window_counts` of every unit at once (``df`` sorted by unit and period, numeric
    counts): flows summed (missing if any quarter lacks them), the first quarter's stock
    carried over, the last quarter's pending stock; all missing unless ``n`` quarters."""
    g = df.groupby(by, sort=True)
    size = g.size()
    complete = (size == n).to_numpy()
    data = {by: list(size.index), "period": [p1] * len(size), "period_label": [label] * len(size)}
    opening = [c for c in cols if c in OPENING_STOCK_COLUMNS]
    closing = [c for c in cols if c in CLOSING_STOCK_COLUMNS]
    flows = [c for c in cols if c not in OPENING_STOCK_COLUMNS and c not in CLOSING_STOCK_COLUMNS]
    agg = pd.concat([g[flows].sum(skipna=False), g[opening].first(skipna=False), g[closing].last(skipna=False)],
                    axis=1)
    for c in cols:
        v = agg[c]
        arr = v.array.copy() if v.dtype == "Int64" else pd.array(v.to_numpy(dtype=object), dtype=object)
        arr[~complete] = pd.NA
        data[c] = arr
    data["n_quarters"] = size.to_numpy().tolist()
    return pd.DataFrame(data, columns=[by, "period", "period_label", *cols, "n_quarters"])


def window(processing: pd.DataFrame, start, end, *, by: str = "unit_code") -> pd.DataFrame:
    """Counts of each unit over the quarters ``start``..``end`` (e.g. "2017Q1".."2017Q2"
    for a half year): records received and resolved are added up, the stock carried over
    is the one at the start of ``start`` and the pending stock the one at the end of
    ``end``. A unit missing any quarter of the window gets missing counts (not a smaller
    total). Columns: ``by``, ``period`` (the last quarter), ``period_label``,
    ``n_quarters``, the counts."""
    _check_counts(processing)
    p0, p1 = to_period(start), to_period(end)
    if p1 < p0:
        raise ValueError(f"window end {p1} is before its start {p0}")
    n = (p1 - p0).n + 1
    df = processing[(processing["period"] >= p0) & (processing["period"] <= p1)].sort_values([by, "period"])
    label = f"{p0}–{p1}" if n > 1 else str(p1)
    cols = count_columns(df)
    # many units: all at once; a few (e.g. one unit's press figure): unit by unit is quicker
    if df[by].nunique() > 4 and all(pd.api.types.is_numeric_dtype(df[c]) for c in cols):
        out = _window_frame(df, cols, by, p1, label, n)
    else:
        rows = []
        for key, part in df.groupby(by, sort=True):
            rows.append({by: key, "period": p1, "period_label": label, **_window_counts(part, n)})
        out = pd.DataFrame(rows, columns=[by, "period", "period_label", *cols, "n_quarters"])
    for c in count_columns(df):
        out[c] = out[c].astype("Int64")
    if len(out):
        out["period"] = out["period"].astype(f"period[{QUARTER_FREQ}]")
    return out


def aggregate_time(processing: pd.DataFrame, freq: str = "year", *, by: str = "unit_code") -> pd.DataFrame:
    """Counts per unit over longer periods, added up from the quarters.

    ``freq="year"``: calendar years; ``period`` becomes a yearly Period ("2019").
    A year with fewer than four quarters of data keeps ``n_quarters`` < 4 and missing
    counts (use :func:`window` for a deliberate part-year such as a half year).
    ``freq="rolling4"``: for each quarter, the four quarters ending with it; ``period``
    stays the last quarter; missing counts until four consecutive quarters exist.
    Stocks are handled as in :func:`window` (carried over from the first quarter,
    pending from the last)."""
    _check_counts(processing)
    cols = count_columns(processing)
    flows = [c for c in cols if c in FLOW_COLUMNS]
    opening = [c for c in cols if c in OPENING_STOCK_COLUMNS]
    closing = [c for c in cols if c in CLOSING_STOCK_COLUMNS]
    df = processing[[by, "period", *cols]].sort_values([by, "period"]).reset_index(drop=True)
    if freq == "year":
        df["_year"] = df["period"].dt.year
        g = df.groupby([by, "_year"], sort=True)
        out = pd.concat([g[flows].sum(skipna=False), g[opening].first(skipna=False),
                         g[closing].last(skipna=False), g.size().rename("n_quarters")], axis=1).reset_index()
        out["period"] = pd.PeriodIndex([pd.Period(year=int(y), freq="Y-DEC") for y in out["_year"]], freq="Y-DEC")
        out = out.drop(columns="_year")
    elif freq == "rolling4":
        df["_q"] = df["period"].dt.year * 4 + df["period"].dt.quarter - 1
        out = df[[by, "period", "_q", *closing]].copy()
        present = pd.Series(0, index=out.index)
        acc = {c: pd.Series(0, index=out.index, dtype="Int64") for c in flows}
        # each (unit, quarter) once and no unit missing: look the lagged rows up by key
        keys = pd.MultiIndex.from_arrays([df[by], df["_q"]])
        table = df[[*flows, *opening]].set_axis(keys) if keys.is_unique and df[by].notna().all() else None
        for k in range(4):  # the quarter k quarters before each row's quarter
            if table is not None:
                m = table.reindex(pd.MultiIndex.from_arrays([out[by], out["_q"] - k]))
            else:
                lagged = df[[by, "_q", *flows, *opening]].assign(_q=df["_q"] + k)
                m = out[[by, "_q"]].merge(lagged, on=[by, "_q"], how="left")
            m.index = out.index
            present = present + m[[*flows, *opening]].notna().any(axis=1).astype(int)
            for c in flows:
                acc[c] = acc[c] + m[c].astype("Int64")
            if k == 3:
                for c in opening:
                    out[c] = m[c].astype("Int64")
        for c in flows:
            out[c] = acc[c]
        out["n_quarters"] = present
        out = out.drop(columns="_q")
    else:
        raise ValueError(f"freq must be 'year' or 'rolling4', not {freq!r}")
    complete = out["n_quarters"] == 4
    for c in cols:
        out[c] = out[c].astype("Int64").where(complete, pd.NA)
    return out[[by, "period", *cols, "n_quarters"]].reset_index(drop=True)


def combine(counts: pd.DataFrame, by: str | list[str] | None = None, *, units: pd.DataFrame | None = None,
            label: str = "all") -> pd.DataFrame:
    """Add up the counts of several units for each period: the province total
    (``by=None``), or per ``level`` / ``parent_code`` / any column of ``counts`` or of
    ``units``. The result has a ``group`` column (the value of ``by``, or ``label``),
    ``period`` (and ``period_label`` if present), ``n_units`` and the summed counts.
    A total is missing when any unit's count is missing, so an incomplete total is
    never passed off as a complete one."""
    _check_counts(counts)
    df = counts.copy()
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    need = [c for c in by_cols if c not in df.columns]
    if need:
        if units is None:
            raise ValueError(f"grouping by {need} needs the units table (units=ds.units)")
        df = df.merge(units[["unit_code", *need]], on="unit_code", how="left")
    time_cols = [c for c in ("period", "period_label") if c in df.columns]
    if by is None:
        df["group"] = label
        group_cols = ["group"]
    elif len(by_cols) == 1:
        df["group"] = df[by_cols[0]].astype(str)
        group_cols = ["group"]
    else:
        group_cols = by_cols
    cols = count_columns(df)
    g = df.groupby(group_cols + time_cols, sort=True, dropna=False)
    out = g[cols].sum(skipna=False)
    out["n_units"] = g["unit_code"].nunique() if "unit_code" in df.columns else g.size()
    out = out.reset_index()
    for c in cols:
        out[c] = out[c].astype("Int64")
    return out
