"""Waiting-time views for the notebook: distributions by unit, online against direct
within the same procedure, and a descriptive before/after comparison around investments.

Everything is computed from a working-day histogram (counts only), so no record-level
data is involved beyond the DuckDB pass that built it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from paranalysis.periods import QUARTER_FREQ, to_period
from paranalysis.records.summary import group_quantiles, summarize_histogram
from paranalysis.results import TableResult


def find_exports(root) -> list[Path]:
    """Record exports in a dataset folder: files named ``records*.csv`` / ``records*.parquet``
    (outside ``raw/``)."""
    from paranalysis.dataset import table_files

    return table_files(Path(root), "records") if root is not None and Path(root).is_dir() else []


def records_source(ds, workdir) -> tuple[list[Path] | Path, bool]:
    """The record exports of a dataset folder, or, when it has none, a seeded synthetic
    demo export written into ``workdir`` (consistent with the folder's processing and
    investment tables). Returns the source and whether it is synthetic."""
    from paranalysis.records.demo import DEFAULT_SEED, NOTEBOOK_RECORDS, generate_demo_records

    exports = find_exports(ds.path)
    if exports:
        return exports, False
    path = Path(workdir) / "records_synthetic.parquet"
    generate_demo_records(NOTEBOOK_RECORDS, DEFAULT_SEED, path, processing=ds.processing, investments=ds.investments)
    return path, True


def window(hist: pd.DataFrame, first, last) -> pd.DataFrame:
    """The histogram rows of quarters ``first`` .. ``last`` (inclusive)."""
    lo, hi = to_period(first), to_period(last)
    return hist[(hist["period"] >= lo) & (hist["period"] <= hi)]


def unit_distribution(hist: pd.DataFrame, qs: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
    """Per unit: resolved dossiers, the quantiles ``qs`` of working days, the mean and the
    share resolved within the statutory time."""
    q = group_quantiles(hist, ["unit_code"], qs)
    s = summarize_histogram(hist, ["unit_code"])[["unit_code", "resolved", "resolved_late", "share_within_statutory"]]
    out = s.merge(q, on="unit_code", how="left")
    return out.sort_values("median_working_days" if "median_working_days" in out.columns else "unit_code",
                           kind="stable").reset_index(drop=True)


def channel_within_procedure(hist: pd.DataFrame, channels=("online", "direct")) -> pd.DataFrame:
    """Online against direct, procedure by procedure: the channels are used for different
    procedures, so a raw comparison mixes procedure and channel. Per procedure and channel:
    resolved dossiers, median and 90th percentile of working days, share within time."""
    need = {"procedure_code", "channel"}
    if not need <= set(hist.columns):
        raise ValueError("build the histogram with by=('procedure_code', 'channel', ...)")
    s = summarize_histogram(hist[hist["channel"].isin(channels)], ["procedure_code", "channel"])
    return s[["procedure_code", "channel", "resolved", "median_working_days", "p90_working_days",
              "share_within_statutory"]]


def _pooled(h: pd.DataFrame) -> dict:
    res = h[h["working_days"].notna() & (h["resolved"] > 0)]
    n = int(res["resolved"].sum())
    if n == 0:
        return {"resolved": 0, "median": np.nan, "p90": np.nan, "mean": np.nan, "late_share": np.nan}
    from paranalysis.records.summary import weighted_quantile

    wd = res["working_days"].astype(float).to_numpy()
    c = res["resolved"].to_numpy()
    return {"resolved": n, "median": weighted_quantile(wd, c, 0.5), "p90": weighted_quantile(wd, c, 0.9),
            "mean": float((wd * c).sum() / n), "late_share": float(res["resolved_late"].sum() / n)}


def before_after(hist: pd.DataFrame, investments: pd.DataFrame, category: str = "one_stop_facility",
                 quarters: int = 4) -> TableResult:
    """For each unit with an investment of ``category``: waiting times of the ``quarters``
    quarters before the quarter it went into operation and of the ``quarters`` after it (the
    quarter itself is left out), beside the same calendar windows in the units that never
    had such an investment. ``change`` is the change in mean working days; descriptive, not
    causal: ``change_vs_comparison`` is the change in the unit minus the change in the
    comparison units over the same quarters, one number per unit, with no adjustment for
    anything else that changed at the same time (nor for the procedure mix).

    Returns a :class:`~paranalysis.results.TableResult`: ``.table`` (one row per unit),
    ``.meta["comparison_units"]`` (the units without such an investment) and ``.settings``
    (``category``, ``quarters``)."""
    inv = investments[investments["category"] == category]
    first = inv.groupby(inv["unit_code"].astype(str))["date_in_operation"].min()
    treated = set(first.index)
    h = hist[["unit_code", "period", "working_days", "resolved", "resolved_late"]]  # the columns read
    codes = h["unit_code"].astype(str).to_numpy(dtype=object)
    units = set(codes)
    comparison = h[np.isin(codes, list(units - treated))]
    lo, hi = hist["period"].min(), hist["period"].max()
    pooled_comparison: dict = {}  # units sharing a window share its comparison

    def compared(a, b):
        if (a, b) not in pooled_comparison:
            pooled_comparison[(a, b)] = _pooled(window(comparison, a, b))
        return pooled_comparison[(a, b)]

    rows = []
    for unit, day in first.sort_values().items():
        q0 = pd.Timestamp(day).to_period(QUARTER_FREQ)
        b0, b1, a0, a1 = q0 - quarters, q0 - 1, q0 + 1, q0 + quarters
        if b0 < lo or a1 > hi:
            continue
        own = h[codes == unit]
        before, after = _pooled(window(own, b0, b1)), _pooled(window(own, a0, a1))
        cb, ca = compared(b0, b1), compared(a0, a1)
        rows.append({
            "unit_code": unit, "in_operation": pd.Timestamp(day).date(), "before": f"{b0}–{b1}", "after": f"{a0}–{a1}",
            "resolved_before": before["resolved"], "resolved_after": after["resolved"],
            "mean_before": before["mean"], "mean_after": after["mean"],
            "median_before": before["median"], "median_after": after["median"],
            "p90_before": before["p90"], "p90_after": after["p90"],
            "late_share_before": before["late_share"], "late_share_after": after["late_share"],
            "comparison_mean_before": cb["mean"], "comparison_mean_after": ca["mean"],
        })
    columns = ["unit_code", "in_operation", "before", "after", "resolved_before", "resolved_after", "mean_before",
               "mean_after", "median_before", "median_after", "p90_before", "p90_after", "late_share_before",
               "late_share_after", "comparison_mean_before", "comparison_mean_after"]
    out = pd.DataFrame(rows, columns=columns)
    out["change"] = out["mean_after"] - out["mean_before"]
    out["comparison_change"] = out["comparison_mean_after"] - out["comparison_mean_before"]
    out["change_vs_comparison"] = out["change"] - out["comparison_change"]
    return TableResult(table=out, meta={"comparison_units": sorted(units - treated)},
                       settings={"category": category, "quarters": quarters},
                       title=f"waiting times before and after {category}")


def shares_by_year(summary: pd.DataFrame, processing: pd.DataFrame) -> pd.DataFrame:
    """Online share of new receipts and late share of resolved dossiers per year, from the
    records (by year of receipt) beside the processing table (late: by year of resolution).
    For a SAMPLE of records, where counts cannot match, shares should agree up to sampling."""
    s = summary.assign(year=summary["period"].dt.year).groupby("year")[["received", "received_online", "resolved",
                                                                           "resolved_late"]].sum()
    p = processing.assign(year=processing["period"].dt.year,
                          received=processing["received_online"] + processing["received_direct"] + processing["received_postal"],
                          resolved=processing["resolved_early"] + processing["resolved_on_time"] + processing["resolved_late"])
    p = p.groupby("year")[["received", "received_online", "resolved", "resolved_late"]].sum()
    out = pd.DataFrame({
        "records": s["received"].astype("int64"),
        "online_share_records": s["received_online"] / s["received"],
        "online_share_table": (p["received_online"] / p["received"]).reindex(s.index),
        "late_share_records": s["resolved_late"] / s["resolved"],
        "late_share_table": (p["resolved_late"] / p["resolved"]).reindex(s.index),
    })
    return out.reset_index()
