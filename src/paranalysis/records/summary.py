"""Summaries of record exports: one streaming DuckDB pass gives an additive histogram of
working days per group; medians, 90th percentiles, the official form's counts and the
reconciliation with the processing table are computed from it."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import QUARTER_FREQ
from paranalysis.records.calendar import working_day_calendar
from paranalysis.results import TableResult
from paranalysis.records.reader import (
    CHANNELS,
    _connect,
    _raise_if_bad,
    _register_calendar,
    _run,
    _Scan,
    canonical,
    fast_sql,
)

# --------------------------------------------------------------------------------------
# Summaries: one streaming pass -> an additive histogram -> every statistic
# --------------------------------------------------------------------------------------

_GROUPABLE = {"unit_code", "period", "channel", "procedure_code", "status"}


def _canonical_counts(df: pd.DataFrame, scan: _Scan, cal: pd.DataFrame, on_bad=None) -> pd.DataFrame:
    """Map the channel and status codes of aggregated rows to ours; check the faults that
    depend on the status (resolved without a resolution time, pending with one); raise a
    DataError naming the faulty rows if anything is wrong."""
    df = df.copy()
    df["unit_code"] = df["unit_code"].astype("str").str.strip()
    df["channel"] = canonical(df["channel"], "channel", scan.channel_map)
    df["status"] = canonical(df["status"], "status", scan.status_map)
    bad = int(df["_bad"].sum())
    bad += int(df.loc[df["channel"].isna() | df["status"].isna(), "n"].sum())
    bad += int(df.loc[df["status"] == "resolved", "no_resolution"].sum())
    bad += int(df.loc[df["status"] == "pending", "with_resolution_text"].sum())
    if on_bad is not None and bad:
        on_bad(bad)
    _raise_if_bad(scan, cal, bad)
    return df.drop(columns=["_bad", "no_resolution", "with_resolution_text"])


def _fast_counts(scan: _Scan, keys: list[str], cal: pd.DataFrame, *, threads=None, memory_limit=None) -> pd.DataFrame:
    """One streaming pass: counts per keys (SQL expressions) + raw channel and status."""
    with _connect(threads=threads, memory_limit=memory_limit) as con:
        # A CSV read without type detection has no row estimate, and DuckDB would then build
        # the join's hash table on the records instead of on the small calendar: keep the
        # calendar as the build side.
        con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        rng = _register_calendar(con, cal)
        body = fast_sql(scan, con, rng)
        sql = f"""
            SELECT {', '.join(keys)}, channel, status,
                   count(*) AS n,
                   count(*) FILTER (resolved_at > due_at) AS n_after_due,
                   count(*) FILTER (resolved_at IS NULL) AS no_resolution,
                   count(*) FILTER (_has_resolved_text) AS with_resolution_text,
                   count(*) FILTER (synthetic) AS n_synthetic,
                   count(*) FILTER (_bad_row) AS _bad
            FROM ({body})
            GROUP BY ALL"""
        out = _run(con, sql, scan)
    return _canonical_counts(out, scan, cal)


ENGINES = ("duckdb", "spark")


def _spark_fast_counts(path, keys: list[str], cal: pd.DataFrame, *, rename=None, channel_map=None, status_map=None,
                       spark=None, format=None) -> pd.DataFrame:
    """The same pass on Spark (paranalysis.records.spark); faults are then listed row by
    row by the DuckDB diagnosis when the files are local, so both engines name the same rows."""
    from paranalysis.records.spark import diagnose_remote, spark_counts

    out, src = spark_counts(path, keys, cal, rename=rename, channel_map=channel_map, status_map=status_map,
                            spark=spark, format=format)
    malformed = int(out.pop("_malformed").sum())
    if malformed and not src.remote:  # DuckDB names the first malformed line (without its content)
        scan = _Scan(src.paths, rename=rename, channel_map=channel_map, status_map=status_map, root=src.root)
        _fast_counts(scan, ["unit_code"], cal)
    if malformed:
        raise DataError([Problem(file=src.label, expected=Message("problem.rec.malformed_lines", n=malformed))],
                        file=src.label)
    if src.remote:
        def on_bad(n_bad):
            raise DataError(diagnose_remote(src, n_bad), file=src.label)

        return _canonical_counts(out, _RemoteScan(src, channel_map, status_map), cal, on_bad=on_bad)
    scan = _Scan(src.paths, rename=rename, channel_map=channel_map, status_map=status_map, root=src.root)
    scan.label = src.label
    return _canonical_counts(out, scan, cal)


class _RemoteScan:
    """What _canonical_counts needs of a scan, for a remote export (no DuckDB diagnosis)."""

    def __init__(self, src, channel_map, status_map):
        self.label, self.channel_map, self.status_map = src.label, channel_map or {}, status_map or {}


def working_day_histogram(path, by: Sequence[str] = ("unit_code", "period", "channel"), *,
                          rename: dict | None = None, channel_map: dict | None = None,
                          status_map: dict | None = None, threads: int | None = None,
                          memory_limit: str | None = None, engine: str = "duckdb", spark=None,
                          format: str | None = None, **calendar_options) -> pd.DataFrame:
    """Counts of dossiers per group (``by``: unit_code, period = quarter of receipt, channel,
    procedure_code, status) and per number of working days, in ONE streaming pass of the
    ``engine`` ("duckdb", the default, or "spark": see paranalysis.records.spark).
    Columns: the ``by`` columns, ``working_days`` (<NA> for dossiers not resolved),
    ``records``, ``resolved``, ``resolved_late``, ``pending``, ``returned_withdrawn``,
    ``synthetic_records``. Counts add up, so any coarser view is a sum of this table.
    ``threads``/``memory_limit`` tune DuckDB; ``spark`` is a SparkSession (default: the
    active one, else a small local one) and ``format`` ("parquet"/"csv") names the format of
    a remote folder whose files Spark lists."""
    by = list(by)
    unknown = [b for b in by if b not in _GROUPABLE]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {sorted(_GROUPABLE)}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
    cal = working_day_calendar(**calendar_options)
    if engine == "spark":
        keys = list(dict.fromkeys(["unit_code"] + [b for b in by if b not in ("channel", "status")] + ["working_days"]))
        raw = _spark_fast_counts(path, keys, cal, rename=rename, channel_map=channel_map, status_map=status_map,
                                 spark=spark, format=format)
    else:
        scan = _Scan(path, rename=rename, channel_map=channel_map, status_map=status_map)
        keys = [("CAST(date_trunc('quarter', received_at) AS DATE) AS period" if b == "period" else b)
                for b in by if b not in ("channel", "status")]
        keys = list(dict.fromkeys(["unit_code"] + keys + ["working_days"]))
        raw = _fast_counts(scan, keys, cal, threads=threads, memory_limit=memory_limit)
    st = raw["status"]
    resolved = (st == "resolved").to_numpy()
    raw["records"] = raw["n"]
    raw["resolved"] = raw["n"].where(resolved, 0)
    raw["resolved_late"] = raw["n_after_due"].where(resolved, 0)
    raw["pending"] = raw["n"].where((st == "pending").to_numpy(), 0)
    raw["returned_withdrawn"] = raw["n"].where(st.isin(["returned", "withdrawn"]).to_numpy(), 0)
    raw["synthetic_records"] = raw["n_synthetic"]
    raw["working_days"] = raw["working_days"].astype("Int64").where(resolved, pd.NA)
    counts = ["records", "resolved", "resolved_late", "pending", "returned_withdrawn", "synthetic_records"]
    hist = raw.groupby(by + ["working_days"], dropna=False, sort=True)[counts].sum().reset_index()
    if "period" in hist.columns:
        hist["period"] = pd.PeriodIndex(pd.to_datetime(hist["period"]), freq=QUARTER_FREQ)
    for c in ("unit_code", "channel", "procedure_code", "status"):
        if c in hist.columns:
            hist[c] = hist[c].astype("str").where(hist[c].notna(), None)
    for c in counts:
        hist[c] = hist[c].astype("int64")
    hist["working_days"] = hist["working_days"].astype("Int64")
    return hist.sort_values(by + ["working_days"], na_position="last").reset_index(drop=True)


def weighted_quantile(values, counts, q: float) -> float:
    """Quantile ``q`` of a distribution given as distinct ``values`` with ``counts``, with
    the same linear interpolation as ``numpy.quantile`` (and DuckDB's quantile_cont) on the
    expanded data: position (N - 1)·q between order statistics."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts, dtype=np.int64)
    keep = c > 0
    v, c = v[keep], c[keep]
    n = int(c.sum())
    if n == 0:
        return float("nan")
    order = np.argsort(v, kind="stable")
    v, c = v[order], c[order]
    cum = np.cumsum(c)
    h = (n - 1) * q
    lo = int(np.floor(h))
    frac = h - lo
    x_lo = v[np.searchsorted(cum, lo, side="right")]
    x_hi = v[np.searchsorted(cum, min(lo + 1, n - 1), side="right")]
    return float(x_lo + frac * (x_hi - x_lo))


def group_quantiles(hist: pd.DataFrame, by: Sequence[str], qs: Sequence[float] = (0.5, 0.9)) -> pd.DataFrame:
    """Median, 90th percentile (``qs``) and mean of working days of resolved dossiers per
    ``by`` group of a histogram, vectorised; same interpolation as :func:`weighted_quantile`."""
    by = list(by)
    names = {0.5: "median_working_days", 0.9: "p90_working_days"}
    res = hist[hist["working_days"].notna() & (hist["resolved"] > 0)]
    agg = (res.assign(working_days=res["working_days"].astype("float64"))
           .groupby(by + ["working_days"], dropna=False, sort=True)["resolved"].sum().reset_index())
    cols = [names.get(q, f"q{int(round(q * 100))}_working_days") for q in qs] + ["mean_working_days"]
    if agg.empty:
        return pd.DataFrame(columns=by + cols)
    gid = agg.groupby(by, dropna=False, sort=False).ngroup().to_numpy()
    v = agg["working_days"].to_numpy(dtype=float)
    c = agg["resolved"].to_numpy(dtype=np.int64)
    cum = np.cumsum(c)
    n_g = np.bincount(gid, weights=c).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(n_g)[:-1]])
    first = np.concatenate([[0], np.flatnonzero(np.diff(gid)) + 1])
    out = agg.iloc[first][by].reset_index(drop=True)
    for q, name in zip(qs, cols):
        h = (n_g - 1) * q
        k = np.floor(h).astype(np.int64)
        lo = np.searchsorted(cum, start + k, side="right")
        hi = np.searchsorted(cum, start + np.minimum(k + 1, n_g - 1), side="right")
        out[name] = v[lo] + (h - k) * (v[hi] - v[lo])
    out["mean_working_days"] = np.bincount(gid, weights=v * c) / n_g
    return out


def summarize_histogram(hist: pd.DataFrame, by: Sequence[str] = ("unit_code", "period")) -> pd.DataFrame:
    """Reduce a :func:`working_day_histogram` to one row per ``by`` group (see :func:`summarize`)."""
    by = list(by)
    missing = [b for b in by if b not in hist.columns]
    if missing:
        raise ValueError(f"the histogram has no column(s) {missing}; build it with these in by=")
    h = hist.copy()
    counts = ["records", "resolved", "resolved_late", "pending", "returned_withdrawn", "synthetic_records"]
    out = h.groupby(by, dropna=False, sort=True)[counts].sum()
    out = out.rename(columns={"records": "received"})
    if "channel" in h.columns and "channel" not in by:
        ch = h.pivot_table(index=by, columns="channel", values="records", aggfunc="sum", fill_value=0, observed=True)
        for c in CHANNELS:
            out[f"received_{c}"] = ch[c].reindex(out.index).fillna(0).astype("int64") if c in ch.columns else 0
    stats = group_quantiles(h, by, (0.5, 0.9))
    out = out.join(stats.set_index(by) if by else stats, how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_within_statutory"] = np.where(out["resolved"] > 0,
                                                 (out["resolved"] - out["resolved_late"]) / out["resolved"].where(out["resolved"] > 0, 1),
                                                 np.nan)
    out["synthetic"] = out.pop("synthetic_records") > 0
    out = out.reset_index()
    order = by + ["received"] + [f"received_{c}" for c in CHANNELS if f"received_{c}" in out.columns] + [
        "resolved", "resolved_late", "pending", "returned_withdrawn", "median_working_days",
        "p90_working_days", "mean_working_days", "share_within_statutory", "synthetic"]
    out = out[order]
    for c in ["received", "resolved", "resolved_late", "pending", "returned_withdrawn"] + [
            f"received_{c}" for c in CHANNELS if f"received_{c}" in out.columns]:
        out[c] = out[c].astype("Int64")
    return out


def summarize(path, by: Sequence[str] = ("unit_code", "period"), engine: str = "duckdb", **options) -> pd.DataFrame:
    """Waiting times and deadlines per unit and quarter of receipt, from a record export
    (a CSV or Parquet file, a list or glob of them, or a folder such as a partitioned
    dataset ``year=2026/unit_code=426/part-0.parquet``), in one streaming pass of the
    ``engine``: "duckdb" (the default, one machine) or "spark" (a cluster, or local mode;
    needs ``pip install "paranalysis[spark]"``). Both engines give the same counts and the
    same quantiles; only the per-working-day counts leave the engine.

    One row per ``by`` group (default unit_code and period, the quarter of receipt, printing
    "2024Q2") with ``received`` (and by channel: ``received_online/direct/postal``),
    ``resolved`` (dossiers of that quarter resolved by the export date), ``resolved_late``
    (resolved after ``due_at``), ``pending``, ``returned_withdrawn``,
    ``median_working_days``, ``p90_working_days``, ``mean_working_days`` (working days
    after the day of receipt up to and including the day of resolution, resolved dossiers
    only), ``share_within_statutory`` = (resolved - resolved_late) / resolved, and
    ``synthetic`` (any demonstration record in the group)."""
    by = list(by)
    hist_by = list(dict.fromkeys(by + ["channel"]))
    return summarize_histogram(working_day_histogram(path, by=hist_by, engine=engine, **options), by=by)


# --------------------------------------------------------------------------------------
# The official form rebuilt from records, and reconciliation with the processing table
# --------------------------------------------------------------------------------------

def processing_form(path, *, first_period=None, last_period=None, **options) -> pd.DataFrame:
    """The counts of the official quarterly form (the processing table's columns) rebuilt
    from a record export: received by channel in the quarter of receipt; resolved early
    (before the due date), on time (on the due date, by the due time) and late in the
    quarter of resolution; pending at the quarter's end, not yet due or overdue; carried
    over = pending at the end of the previous quarter; returned/withdrawn in the quarter
    they ended. Records received before the export's first dossier are unknown, so the
    first quarter's carried-over count is a floor."""
    scan = _Scan(path, rename=options.pop("rename", None), channel_map=options.pop("channel_map", None),
                 status_map=options.pop("status_map", None))
    threads, memory_limit = options.pop("threads", None), options.pop("memory_limit", None)
    cal = working_day_calendar(**options)
    q = "CAST(date_trunc('quarter', {}) AS DATE)"
    keys = [f"{q.format('received_at')} AS q_received", f"{q.format('due_at')} AS q_due",
            f"CASE WHEN resolved_at IS NOT NULL THEN {q.format('resolved_at')} END AS q_ended",
            """CASE WHEN resolved_at IS NULL THEN NULL WHEN resolved_at > due_at THEN 'late'
                    WHEN CAST(resolved_at AS DATE) < CAST(due_at AS DATE) THEN 'early' ELSE 'on_time' END AS timing"""]
    ev = _fast_counts(scan, ["unit_code"] + keys, cal, threads=threads, memory_limit=memory_limit)
    ev = ev.groupby(["unit_code", "channel", "status", "q_received", "q_due", "q_ended", "timing"], dropna=False,
                    as_index=False)[["n", "n_synthetic"]].sum()
    return _form_from_events(ev, first_period=first_period, last_period=last_period)


def _ordinals(s: pd.Series) -> np.ndarray:
    """Quarter ordinals of a column of quarter-start dates (NaT -> -1; only used where set)."""
    idx = pd.PeriodIndex(pd.to_datetime(s), freq=QUARTER_FREQ)
    out = idx.asi8.copy()
    out[idx.isna()] = -1
    return out


def _form_from_events(ev: pd.DataFrame, *, first_period=None, last_period=None) -> pd.DataFrame:
    """Form counts from grouped events (quarter of receipt, due, end; channel; status;
    timing): flows are counted in their quarter, stocks as cumulative differences."""
    from paranalysis.periods import to_period

    units = sorted(ev["unit_code"].astype(str).unique())
    u = pd.Categorical(ev["unit_code"].astype(str), categories=units).codes
    n = ev["n"].to_numpy(dtype=np.int64)
    rec, due, end = _ordinals(ev["q_received"]), _ordinals(ev["q_due"]), _ordinals(ev["q_ended"])
    ended = (ev["q_ended"].notna() & (ev["status"] != "pending")).to_numpy()
    lo = to_period(first_period).ordinal if first_period is not None else int(rec.min())
    hi = to_period(last_period).ordinal if last_period is not None else int(max(rec.max(), end[ended].max() if ended.any() else rec.max()))
    base = int(min(rec.min(), lo))
    top = int(max(hi, rec.max(), due.max(), end[ended].max() if ended.any() else hi))
    width = top - base + 1

    def hist(mask, q) -> np.ndarray:
        a = np.zeros((len(units), width), dtype=np.int64)
        np.add.at(a, (u[mask], q[mask] - base), n[mask])
        return a

    def cum(a) -> np.ndarray:
        return np.cumsum(a, axis=1)

    status = ev["status"].to_numpy()
    timing = ev["timing"].to_numpy()
    channel = ev["channel"].to_numpy()
    everything = np.ones(len(ev), dtype=bool)
    cols = {}
    for c in CHANNELS:
        cols[f"received_{c}"] = hist(channel == c, rec)
    for t in ("early", "on_time", "late"):
        cols[f"resolved_{t}"] = hist((status == "resolved") & (timing == t) & ended, end)
    cols["returned_withdrawn"] = hist(np.isin(status, ["returned", "withdrawn"]) & ended, end)
    pending = cum(hist(everything, rec)) - cum(hist(ended, end))
    due_or_end = np.where(ended, np.maximum(due, end), due)
    overdue = cum(hist(everything, due)) - cum(hist(ended, due_or_end))
    cols["pending_overdue"] = overdue
    cols["pending_not_due"] = pending - overdue
    carried = np.zeros_like(pending)
    carried[:, 1:] = pending[:, :-1]
    cols["carried_over"] = carried
    sl = slice(lo - base, hi - base + 1)
    periods = pd.PeriodIndex.from_ordinals(np.arange(lo, hi + 1), freq=QUARTER_FREQ)
    out = pd.DataFrame({"unit_code": np.repeat(units, len(periods)),
                        "period": pd.PeriodIndex(np.tile(periods, len(units)), freq=QUARTER_FREQ)})
    order = ["carried_over", "received_online", "received_direct", "received_postal", "resolved_early",
             "resolved_on_time", "resolved_late", "pending_not_due", "pending_overdue", "returned_withdrawn"]
    for c in order:
        out[c] = pd.array(cols[c][:, sl].reshape(-1), dtype="Int64")
    synth = ev.groupby(ev["unit_code"].astype(str))["n_synthetic"].sum() > 0
    out["synthetic"] = out["unit_code"].map(synth).astype(bool)
    out["unit_code"] = out["unit_code"].astype("str")
    return out


_RECONCILE_COLUMNS = ["carried_over", "received_online", "received_direct", "received_postal", "received",
                      "resolved_early", "resolved_on_time", "resolved_late", "resolved",
                      "pending_not_due", "pending_overdue", "returned_withdrawn"]


def _with_totals(df: pd.DataFrame, *, from_summary: bool) -> pd.DataFrame:
    d = df.copy()
    if not from_summary:
        if {"received_online", "received_direct", "received_postal"} <= set(d.columns) and "received" not in d.columns:
            d["received"] = d["received_online"] + d["received_direct"] + d["received_postal"]
        if {"resolved_early", "resolved_on_time", "resolved_late"} <= set(d.columns) and "resolved" not in d.columns:
            d["resolved"] = d["resolved_early"] + d["resolved_on_time"] + d["resolved_late"]
    return d


def reconcile(summary: pd.DataFrame, processing: pd.DataFrame) -> TableResult:
    """Differences between counts from records and the processing table, where both have
    the same unit and quarter. ``summary`` is either :func:`summarize` output (then only the
    receipts, total and by channel, are comparable: its resolved counts are by quarter of
    receipt) or :func:`processing_form` output (then every count of the form is compared).
    Returns one row per differing (unit_code, period, column) with ``records``,
    ``processing`` and ``difference`` = records - processing, as ``.table`` of a
    :class:`~paranalysis.results.TableResult` (empty: they agree; ``.empty`` and ``len()``
    read the table). ``.meta``: ``compared_columns``, ``compared_keys`` (unit-quarters in
    both), ``only_in_records`` / ``only_in_processing`` (unit_code, period found on one side)."""
    is_summary = "median_working_days" in summary.columns
    left = _with_totals(summary, from_summary=is_summary)
    right = _with_totals(processing, from_summary=False)
    if is_summary:
        cols = [c for c in ("received", "received_online", "received_direct", "received_postal")
                if c in left.columns and c in right.columns]
    else:
        cols = [c for c in _RECONCILE_COLUMNS if c in left.columns and c in right.columns]
    keys = ["unit_code", "period"]
    for d in (left, right):
        d["unit_code"] = d["unit_code"].astype("str")
    m = left[keys + cols].merge(right[keys + cols], on=keys, how="outer", suffixes=("_records", "_processing"),
                                indicator=True)
    both = m[m["_merge"] == "both"]
    rows = []
    for c in cols:
        a = both[f"{c}_records"].astype("Int64")
        b = both[f"{c}_processing"].astype("Int64")
        diff = (a - b)
        bad = diff.isna() & ~(a.isna() & b.isna()) | (diff.fillna(0) != 0)
        for i in both.index[bad.to_numpy()]:
            rows.append({"unit_code": both.at[i, "unit_code"], "period": both.at[i, "period"], "column": c,
                         "records": a.at[i], "processing": b.at[i], "difference": diff.at[i]})
    out = pd.DataFrame(rows, columns=["unit_code", "period", "column", "records", "processing", "difference"])
    for c in ("records", "processing", "difference"):
        out[c] = out[c].astype("Int64")
    out["unit_code"] = out["unit_code"].astype("str")
    if len(out):
        out["period"] = pd.PeriodIndex(out["period"], freq=QUARTER_FREQ)
        out = out.sort_values(["unit_code", "period", "column"]).reset_index(drop=True)
    meta = {"compared_columns": cols, "compared_keys": int(len(both)),
            "only_in_records": m.loc[m["_merge"] == "left_only", keys].reset_index(drop=True),
            "only_in_processing": m.loc[m["_merge"] == "right_only", keys].reset_index(drop=True)}
    return TableResult(table=out, meta=meta, settings={"basis": "summary" if is_summary else "processing_form"},
                       title="records against the processing table")
