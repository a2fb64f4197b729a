"""Processing-speed indicators, each under a named definition, with uncertainty.

Everything here starts from the counts of the ``processing`` table (one row per unit and
quarter) and follows three rules:

1. **Named definitions.** "On-time rate" means different things in different reports
   (docs/indicators.md). There is no unnamed on-time rate: ``on_time_resolved_basis``
   (A, press reports), ``on_time_workload_basis`` (B, Gia Lai dashboard) and
   ``on_time_766_basis`` (C, Decision 766 indicator 2.1) are separate indicators.
2. **Sum counts, then divide.** A district total, a province total, a year or a rolling
   four quarters is built by adding records (:func:`aggregate_time`, :func:`combine`) and
   only then dividing; rates are never averaged. Over time, flows (records received,
   resolved, ...) are added, while the stock carried over is the one at the start of the
   window and the pending stock the one at its end.
3. **Uncertainty.** Every rate carries a confidence interval (Wilson score by default,
   exact Clopper-Pearson on request; statsmodels). The counts are a census of a period's
   records, so the interval describes the rate as a measure of the unit's underlying
   performance (how much it would move by chance alone with the same practice), not
   sampling error of a survey.

The indicator functions (``on_time_resolved_basis(counts)``, ...) each return a frame
with ``numerator, denominator, rate, ci_low, ci_high, missing_reason`` aligned with
``counts`` (``missing_reason``: why the rate is missing where the form gave only the sum
of two counts, e.g. "the form gives early and on-time as one number"; else None);
:func:`rates` computes many indicators at once as a tidy (long) table, and
:func:`changes` compares periods (quarter on quarter, year on year) with an interval for
the change.

``DEFINITION_BREAKS`` lists the dates at which the meaning of the counts changed
(regulations, mergers); other modules and the plots reuse it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import DEFAULT_LANG, _check_lang, t
from paranalysis.periods import QUARTER_FREQ, to_period
from paranalysis.schemas import COMBINED_COUNT_COLUMNS, COMBINED_COUNTS, COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS, with_combined

# --------------------------------------------------------------------------------------
# Definition breaks
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionBreak:
    """A date from which the counts of the processing table mean something different
    (a new regulation, a new indicator definition, a merger of units)."""

    key: str
    date: _dt.date
    label_vi: str
    label_en: str
    instruments: str
    scope: str  # "all", "district" or "commune": which series it breaks

    @property
    def quarter(self) -> pd.Period:
        """The calendar quarter in which the break falls."""
        return pd.Period(self.date, freq=QUARTER_FREQ)

    @property
    def first_full_quarter(self) -> pd.Period:
        """The first calendar quarter lying wholly after the break (a quarter starting on
        the break date counts)."""
        q = self.quarter
        return q if pd.Timestamp(self.date) == q.start_time else q + 1

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """The break's name in ``lang``."""
        return getattr(self, f"label_{_check_lang(lang)}")


DEFINITION_BREAKS: tuple[DefinitionBreak, ...] = (
    DefinitionBreak(
        "decree_61_2018", _dt.date(2018, 6, 21),
        "NĐ 61/2018: cơ chế một cửa", "Decree 61/2018: one-stop mechanism",
        "Decree 61/2018/NĐ-CP (in force 21 Jun 2018)", "all"),
    DefinitionBreak(
        "commune_merger_2020", _dt.date(2020, 1, 1),
        "Sắp xếp xã 2020", "Commune mergers 2020",
        "UBTVQH resolution on Nghe An, 2019-2021 round (in force 1 Jan 2020)", "commune"),
    DefinitionBreak(
        "decree_42_decision_766_2022", _dt.date(2022, 6, 23),
        "NĐ 42/2022 và QĐ 766: DVC toàn trình/một phần",
        "Decree 42/2022 and Decision 766: full/partial online services",
        "Decision 766/QĐ-TTg (23 Jun 2022); Decree 42/2022/NĐ-CP (24 Jun 2022)", "all"),
    DefinitionBreak(
        "vinh_cua_lo_merger_2024", _dt.date(2024, 12, 1),
        "Sáp nhập Cửa Lò vào Vinh", "Cửa Lò merged into Vinh",
        "Resolution 1243/NQ-UBTVQH15 (in force 1 Dec 2024)", "district"),
    DefinitionBreak(
        "two_level_government_2025", _dt.date(2025, 7, 1),
        "Chính quyền địa phương hai cấp", "Two-level local government",
        "Resolution 203/2025/QH15; Law 72/2025/QH15; Res. 1678/NQ-UBTVQH15; Decree 118/2025 (1 Jul 2025)", "all"),
)


def definition_breaks(scopes: Iterable[str] = ("all", "district")) -> list[DefinitionBreak]:
    """The definition breaks that affect series of the given scopes, in date order."""
    scopes = set(scopes)
    return [b for b in DEFINITION_BREAKS if b.scope in scopes]


def break_dummies(periods, scopes: Iterable[str] = ("all", "district")) -> pd.DataFrame:
    """One 0/1 column per definition break: 1 for quarters wholly after the break.
    ``periods`` is anything :func:`paranalysis.periods.to_period` accepts, one per row."""
    ps = pd.PeriodIndex([to_period(p) for p in periods], freq=QUARTER_FREQ)
    out = {b.key: (ps >= b.first_full_quarter).astype(int) for b in definition_breaks(scopes)}
    return pd.DataFrame(out, index=range(len(ps)))


# --------------------------------------------------------------------------------------
# Counts: derived totals and aggregation
# --------------------------------------------------------------------------------------

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
        raise DataError([Problem(column=c, expected=f"this column of the {what}") for c in missing])


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
        else:
            df[c] = df[c].astype("Int64")
    df["received"] = df["received_online"] + df["received_direct_postal"]
    df["handled"] = df["carried_over"] + df["received"]
    df["resolved"] = df["resolved_early_on_time"] + df["resolved_late"]
    df["resolved_in_time"] = df["resolved_early_on_time"]
    df["pending"] = df["pending_not_due"] + df["pending_overdue"]
    return df


def _count_cols(df: pd.DataFrame) -> list[str]:
    return [c for c in ALL_COUNTS if c in df.columns]


def _key_cols(df: pd.DataFrame) -> list[str]:
    skip = set(ALL_COUNTS) | set(DERIVED_COLUMNS) | {"synthetic", "source"}
    return [c for c in df.columns if c not in skip]


def _window_counts(part: pd.DataFrame, n_expected: int) -> dict:
    """Counts of one unit over consecutive quarters (``part`` sorted by period)."""
    out = {}
    complete = len(part) == n_expected
    for c in _count_cols(part):
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
    rows = []
    for key, part in df.groupby(by, sort=True):
        rows.append({by: key, "period": p1, "period_label": f"{p0}–{p1}" if n > 1 else str(p1),
                     **_window_counts(part, n)})
    out = pd.DataFrame(rows, columns=[by, "period", "period_label", *(_count_cols(df)), "n_quarters"])
    for c in _count_cols(df):
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
    cols = _count_cols(processing)
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
        for k in range(4):  # the quarter k quarters before each row's quarter
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
    cols = _count_cols(df)
    g = df.groupby(group_cols + time_cols, sort=True, dropna=False)
    out = g[cols].sum(skipna=False)
    out["n_units"] = g["unit_code"].nunique() if "unit_code" in df.columns else g.size()
    out = out.reset_index()
    for c in cols:
        out[c] = out[c].astype("Int64")
    return out


# --------------------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator counts (its docstring), its formula and labels."""

    key: str
    formula: str
    definition: str
    label_vi: str
    label_en: str
    higher_is_better: bool | None
    reports: str
    optional: bool
    func: Callable[[pd.DataFrame], tuple[pd.Series, pd.Series]]

    @property
    def doc(self) -> str:
        return " ".join((self.func.__doc__ or "").split())

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """The indicator's name in ``lang``."""
        return getattr(self, f"label_{_check_lang(lang)}")


INDICATORS: dict[str, IndicatorSpec] = {}


def _ci(num: np.ndarray, den: np.ndarray, conf: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(len(num), np.nan)
    hi = np.full(len(num), np.nan)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0) & (num <= den)
    if ok.any():
        a, b = proportion_confint(num[ok], den[ok], alpha=1 - conf, method=method)
        lo[ok], hi[ok] = np.clip(a, 0.0, 1.0), np.clip(b, 0.0, 1.0)
    return lo, hi


def _as_float(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _missing_reason(func, df: pd.DataFrame, num: pd.Series, den: pd.Series) -> pd.Series:
    """Per row, why the indicator is missing when the cause is a part of a combined count
    that the form does not give (``MISSING_REASONS``); None otherwise."""
    reason = pd.Series([None] * len(df), index=df.index, dtype=object)
    missing = num.isna() | den.isna()
    for c, parts in COMBINED_COUNTS.items():
        only_sum = df[list(parts)].isna().all(axis=1) & df[c].notna() & missing & reason.isna()
        if not only_sum.any():
            continue
        probe = df.copy()  # with the split known (any split), would the indicator exist?
        for p in parts:
            probe[p] = probe[p].mask(only_sum, 0)
        n2, d2 = func(probe)
        reason = reason.mask(only_sum & n2.notna() & d2.notna(), MISSING_REASONS[c])
    return reason


def _indicator(key, *, formula, definition, label_vi, label_en, higher_is_better, reports, optional=False):
    def deco(func):
        def wrapper(counts: pd.DataFrame, *, conf: float = 0.95, method: str = "wilson") -> pd.DataFrame:
            df = with_totals(counts)
            num, den = func(df)
            n, d = _as_float(num), _as_float(den)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(d > 0, n / d, np.nan)
            lo, hi = _ci(n, d, conf, method)
            return pd.DataFrame({"numerator": num.astype("Int64"), "denominator": den.astype("Int64"),
                                 "rate": r, "ci_low": lo, "ci_high": hi,
                                 "missing_reason": _missing_reason(func, df, num, den).to_numpy()},
                                index=counts.index)

        wrapper.__name__ = func.__name__
        wrapper.__qualname__ = func.__qualname__
        wrapper.__doc__ = (func.__doc__ or "") + (
            f"\n\n    Formula: {formula}. Definition: {definition}. Used in: {reports}.\n"
            "    Returns numerator, denominator, rate (0-1) and its confidence interval.")
        INDICATORS[key] = IndicatorSpec(key, formula, definition, label_vi, label_en, higher_is_better,
                                        reports, optional, func)
        return wrapper

    return deco


@_indicator("on_time_resolved_basis", formula="(early + on time) / resolved",
            definition="A, resolved basis", label_vi="Tỷ lệ đúng và trước hạn (A, trên hồ sơ đã giải quyết)",
            label_en="On-time rate (A, resolved basis)", higher_is_better=True,
            reports="most press reports and provincial summaries (e.g. Nghe An centre 96.57 %, May-Jun 2023)")
def on_time_resolved_basis(df):
    """Of the records resolved in the period, the share returned before or on the due
    date. Records still in progress, even overdue ones, do not count."""
    return df["resolved_in_time"], df["resolved"]


@_indicator("on_time_workload_basis", formula="1 - (resolved late + pending overdue) / handled",
            definition="B, workload basis (Gia Lai)",
            label_vi="Tỷ lệ đúng hạn (B, trên tổng hồ sơ cần giải quyết)",
            label_en="On-time rate (B, workload basis)", higher_is_better=True,
            reports="Gia Lai monthly dashboard")
def on_time_workload_basis(df):
    """Of all records the unit had to handle in the period (carried over + new), the
    share that was neither resolved late nor still pending past its due date. Overdue
    backlog counts against the unit."""
    return df["handled"] - df["resolved_late"] - df["pending_overdue"], df["handled"]


@_indicator("on_time_766_basis", formula="(early + on time + pending not yet due) / handled",
            definition="C, Decision 766 indicator 2.1 style",
            label_vi="Tỷ lệ đúng hạn (C, kiểu QĐ 766)", label_en="On-time rate (C, Decision 766 style)",
            higher_is_better=True, reports="National Public Service Portal, Decision 766 scoring (indicator 2.1)")
def on_time_766_basis(df):
    """Of all records handled in the period, the share finished early or on time plus
    those still in progress within their deadline, judged at the end of the period.
    Returned/withdrawn records stay in the denominator (the form does not say whether
    they ended in time); the portal's own rules (supplement waiting time deducted, a
    second supplement request counted late) need record-level data."""
    return df["resolved_in_time"] + df["pending_not_due"], df["handled"]


@_indicator("late_rate_resolved_basis", formula="resolved late / resolved",
            definition="late share of resolved records", label_vi="Tỷ lệ trễ hạn (trên hồ sơ đã giải quyết)",
            label_en="Late rate (of resolved)", higher_is_better=False,
            reports="Nghe An centre and province reports (0.3-3.4 %)")
def late_rate_resolved_basis(df):
    """Of the records resolved in the period, the share returned after the due date."""
    return df["resolved_late"], df["resolved"]


@_indicator("late_rate_received_basis", formula="resolved late / received",
            definition="late records per new record", label_vi="Hồ sơ trễ hạn trên hồ sơ tiếp nhận mới",
            label_en="Late records per record received", higher_is_better=False,
            reports="Nghe An H1 2017 conference report ('12 %' = 14,224 / 117,139)")
def late_rate_received_basis(df):
    """Records resolved late, per record newly received in the period. Some reports
    quote this as the 'late rate'; it is smaller than the late share of resolved
    records whenever not everything received was resolved."""
    return df["resolved_late"], df["received"]


@_indicator("late_rate_workload_basis", formula="(resolved late + pending overdue) / handled",
            definition="B, workload basis (Gia Lai)", label_vi="Tỷ lệ trễ hạn (B, trên tổng hồ sơ cần giải quyết)",
            label_en="Late rate (B, workload basis)", higher_is_better=False, reports="Gia Lai monthly dashboard")
def late_rate_workload_basis(df):
    """Of all records the unit had to handle (carried over + new), the share resolved
    late or still pending past the due date at the end of the period."""
    return df["resolved_late"] + df["pending_overdue"], df["handled"]


@_indicator("overdue_backlog_share", formula="pending overdue / pending",
            definition="overdue share of the backlog", label_vi="Tỷ lệ tồn quá hạn (trên hồ sơ đang giải quyết)",
            label_en="Overdue share of backlog", higher_is_better=False,
            reports="Lâm Đồng Q1/2020 (969 / 3,405 = 28 %, derived)")
def overdue_backlog_share(df):
    """Of the records still in progress at the end of the period, the share already
    past their due date."""
    return df["pending_overdue"], df["pending"]


@_indicator("early_share", formula="early / resolved", definition="early share of resolved records",
            label_vi="Tỷ lệ giải quyết trước hạn", label_en="Early share (of resolved)", higher_is_better=True,
            reports="Thừa Thiên Huế by service level; Long An centre")
def early_share(df):
    """Of the records resolved in the period, the share returned before the due date."""
    return df["resolved_early"], df["resolved"]


@_indicator("clearance_rate", formula="resolved / (carried over + received)", definition="clearance rate",
            label_vi="Tỷ lệ giải quyết xong (trên tổng hồ sơ cần giải quyết)", label_en="Clearance rate",
            higher_is_better=True, reports="derived from the standard form (all provinces)")
def clearance_rate(df):
    """Of all records the unit had to handle in the period (carried over + new), the
    share it resolved within the period. Below 1 the backlog is carried into the next
    period."""
    return df["resolved"], df["handled"]


@_indicator("online_share", formula="received online / received",
            definition="online submission share (form channels; not 766 indicator 3.3)",
            label_vi="Tỷ lệ hồ sơ trực tuyến", label_en="Online share", higher_is_better=True,
            reports="Nghe An press (8.6 % in 2022; 60.1 % Nghi Lộc 2023; 72.35 % mid-2025)")
def online_share(df):
    """Of the records newly received in the period, the share submitted online (through
    the provincial or national portal). Its meaning shifted with Decree 42/2022 and
    Decision 766 (see ``DEFINITION_BREAKS``)."""
    return df["received_online"], df["received"]


@_indicator("postal_share", formula="received by post / received", definition="postal (BCCI) share",
            label_vi="Tỷ lệ hồ sơ qua bưu chính công ích", label_en="Postal share", higher_is_better=None,
            reports="Long An centre (18.27 %)")
def postal_share(df):
    """Of the records newly received in the period, the share that came through the
    public postal service (BCCI)."""
    return df["received_postal"], df["received"]


@_indicator("direct_share", formula="received in person / received", definition="in-person share",
            label_vi="Tỷ lệ hồ sơ nộp trực tiếp", label_en="In-person share", higher_is_better=None,
            reports="Nghi Lộc 2023 (39.16 %)")
def direct_share(df):
    """Of the records newly received in the period, the share handed in at the counter."""
    return df["received_direct"], df["received"]


@_indicator("digitisation_rate", formula="digitised / handled",
            definition="digitisation rate (766 indicator 4.2 style)", label_vi="Tỷ lệ số hóa hồ sơ",
            label_en="Digitisation rate", higher_is_better=True,
            reports="Nghe An 88.43 % (Jul 2025); Nghi Lộc 68.51 % (2023)", optional=True)
def digitisation_rate(df):
    """Of all records handled in the period, the share with digitised input documents
    (and an electronic result where a paper result is required). Missing where the
    export has no digitisation counter."""
    return df["digitized"], df["handled"]


@_indicator("satisfaction_rate", formula="satisfied ratings / ratings",
            definition="counter-rating satisfaction (not 766 indicator 5.4)", label_vi="Tỷ lệ hài lòng (đánh giá)",
            label_en="Satisfaction (ratings)", higher_is_better=True, reports="Long An centre (98.12 %)",
            optional=True)
def satisfaction_rate(df):
    """Of the citizens' ratings given in the period, the share that were 'satisfied'.
    Missing where the export has no rating counter."""
    return df["satisfied"], df["ratings"]


_FUNCS = {
    "on_time_resolved_basis": on_time_resolved_basis,
    "on_time_workload_basis": on_time_workload_basis,
    "on_time_766_basis": on_time_766_basis,
    "late_rate_resolved_basis": late_rate_resolved_basis,
    "late_rate_received_basis": late_rate_received_basis,
    "late_rate_workload_basis": late_rate_workload_basis,
    "overdue_backlog_share": overdue_backlog_share,
    "early_share": early_share,
    "clearance_rate": clearance_rate,
    "online_share": online_share,
    "postal_share": postal_share,
    "direct_share": direct_share,
    "digitisation_rate": digitisation_rate,
    "satisfaction_rate": satisfaction_rate,
}
ON_TIME_DEFINITIONS = ("on_time_resolved_basis", "on_time_workload_basis", "on_time_766_basis")
#: the indicators a province summary shows, in order
HEADLINE = ("on_time_resolved_basis", "on_time_workload_basis", "on_time_766_basis", "late_rate_resolved_basis",
            "overdue_backlog_share", "clearance_rate", "online_share")


def indicator(key: str) -> IndicatorSpec:
    """The specification of one indicator (raises KeyError listing the known keys)."""
    if key not in INDICATORS:
        hint = " (there is no unnamed on-time rate; pick a definition)" if "on_time" in key else ""
        raise KeyError(f"unknown indicator {key!r}{hint}; known: {', '.join(INDICATORS)}")
    return INDICATORS[key]


def compute(counts: pd.DataFrame, key: str, *, conf: float = 0.95, method: str = "wilson") -> pd.DataFrame:
    """One indicator for every row of ``counts``: the key columns of ``counts`` plus
    numerator, denominator, rate and confidence interval."""
    indicator(key)
    out = _FUNCS[key](counts, conf=conf, method=method)
    return pd.concat([counts[_key_cols(counts)], out], axis=1)


def rates(counts: pd.DataFrame, indicators: Iterable[str] | None = None, *, conf: float = 0.95,
          method: str = "wilson", dropna: bool = False) -> pd.DataFrame:
    """Many indicators for every row of ``counts`` as one tidy table: the key columns of
    ``counts`` (unit_code or group, period, ...), then ``indicator``, ``definition``,
    ``numerator``, ``denominator``, ``rate``, ``ci_low``, ``ci_high``. ``method`` is
    ``"wilson"`` (default) or ``"beta"`` (exact Clopper-Pearson). Optional indicators
    whose counts are absent everywhere are left out."""
    keys = list(indicators) if indicators is not None else list(INDICATORS)
    frames = []
    for k in keys:
        spec = indicator(k)
        part = compute(counts, k, conf=conf, method=method)
        if indicators is None and spec.optional and part["numerator"].isna().all():
            continue
        part.insert(len(_key_cols(counts)), "indicator", k)
        part.insert(len(_key_cols(counts)) + 1, "definition", spec.definition)
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    if dropna:
        out = out[out["rate"].notna()].reset_index(drop=True)
    return out


def changes(rate_table: pd.DataFrame, lag: int = 1, *, conf: float = 0.95) -> pd.DataFrame:
    """Change of each rate against ``lag`` periods earlier (quarterly data: ``lag=1``
    quarter on quarter, ``lag=4`` year on year; yearly data: ``lag=1``), in rate points,
    with Newcombe's hybrid score interval for a difference of two proportions. The two
    periods share records (the backlog carried over), so the interval treats them as
    independent and is somewhat too narrow for units with a large backlog.
    ``significant`` is True where the interval excludes zero."""
    keys = [c for c in _key_cols(rate_table) if c not in ("period", "period_label", "definition", "n_quarters",
                                                            "n_units", "numerator", "denominator", "rate",
                                                            "ci_low", "ci_high", "missing_reason")]
    cur = rate_table[keys + ["period", "numerator", "denominator", "rate"]].copy()
    prev = cur.copy()
    prev["period"] = prev["period"] + lag
    m = cur.merge(prev, on=keys + ["period"], how="inner", suffixes=("", "_prev"))
    m = m.rename(columns={"numerator_prev": "numerator_before", "denominator_prev": "denominator_before",
                          "rate_prev": "rate_before"})
    m.insert(len(keys) + 1, "period_before", m["period"] - lag)
    n1, d1 = _as_float(m["numerator"]), _as_float(m["denominator"])
    n0, d0 = _as_float(m["numerator_before"]), _as_float(m["denominator_before"])
    m["change"] = m["rate"] - m["rate_before"]
    lo = np.full(len(m), np.nan)
    hi = np.full(len(m), np.nan)
    ok = (d1 > 0) & (d0 > 0) & np.isfinite(n1) & np.isfinite(n0)
    if ok.any():
        a, b = confint_proportions_2indep(n1[ok], d1[ok], n0[ok], d0[ok], method="newcomb", compare="diff",
                                          alpha=1 - conf)
        lo[ok], hi[ok] = a, b
    m["change_ci_low"], m["change_ci_high"] = lo, hi
    m["significant"] = (m["change_ci_low"] > 0) | (m["change_ci_high"] < 0)
    m["lag"] = lag
    return m.sort_values(keys + ["period"]).reset_index(drop=True)


def province_summary(processing: pd.DataFrame, quarter, *, indicators: Iterable[str] = HEADLINE,
                     units: pd.DataFrame | None = None, level: str | None = None, conf: float = 0.95,
                     lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Where the province stands in ``quarter``: each headline indicator for the sum of
    all units (of ``level``, if given), with its interval and its change on the same
    quarter a year earlier. One row per indicator, labels in ``lang``."""
    q = to_period(quarter)
    df = processing
    if level is not None:
        if units is None:
            raise ValueError("level= needs units=")
        df = df[df["unit_code"].isin(units.loc[units["level"] == level, "unit_code"])]
    tot = combine(df[df["period"].isin([q, q - 4])])
    rt = rates(tot, indicators, conf=conf)
    ch = changes(rt, lag=4, conf=conf)
    now = rt[rt["period"] == q].merge(ch[["indicator", "period", "rate_before", "change", "change_ci_low",
                                          "change_ci_high", "significant"]], on=["indicator", "period"], how="left")
    now.insert(0, "label", [indicator(k).label(lang) for k in now["indicator"]])
    cols = ["label", "indicator", "definition", "period", "numerator", "denominator", "rate", "ci_low", "ci_high",
            "rate_before", "change", "change_ci_low", "change_ci_high", "significant"]
    return now[cols].reset_index(drop=True)


def unit_names(units: pd.DataFrame | None, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """Short display names of units by code: Vietnamese with diacritics ("Quế Phong") for
    Vietnamese, ASCII ("Que Phong") in English (catalogue key ``units.name_column``)."""
    if units is None or units.empty:
        return {}
    col = t("units.name_column", lang)  # which column of the unit register names units in lang
    names = units[col].where(units[col].notna(), units["name_vi"])
    return dict(zip(units["unit_code"], names))


def format_rate_table(table: pd.DataFrame, *, decimals: int = 2) -> pd.DataFrame:
    """A copy of a rate or change table with rates written as percentages
    ("95.65 % (94.85-96.34)") for display; counts get thousands separators."""
    out = table.copy()
    pct = lambda v: "" if pd.isna(v) else f"{100 * v:.{decimals}f}"  # noqa: E731
    if {"rate", "ci_low", "ci_high"} <= set(out.columns):
        out["rate"] = [f"{pct(r)} % ({pct(lo)}–{pct(hi)})" if pd.notna(r) else "–"
                       for r, lo, hi in zip(table["rate"], table["ci_low"], table["ci_high"])]
        out = out.drop(columns=["ci_low", "ci_high"])
    if {"change", "change_ci_low", "change_ci_high"} <= set(out.columns):
        out["change"] = [f"{100 * c:+.{decimals}f} ({100 * lo:+.{decimals}f} to {100 * hi:+.{decimals}f})"
                         if pd.notna(c) and pd.notna(lo) else ("–" if pd.isna(c) else f"{100 * c:+.{decimals}f}")
                         for c, lo, hi in zip(table["change"], table["change_ci_low"], table["change_ci_high"])]
        out = out.drop(columns=["change_ci_low", "change_ci_high"])
    if "rate_before" in out.columns:
        out["rate_before"] = [pct(v) for v in table["rate_before"]]
    for c in ("numerator", "denominator"):
        if c in out.columns:
            out[c] = ["" if pd.isna(v) else f"{int(v):,}" for v in table[c]]
    return out


# --------------------------------------------------------------------------------------
# Figures reported in the press (the ``facts`` table)
# --------------------------------------------------------------------------------------

#: facts metrics that are record counts -> the count they give (see docs/data.md)
FACT_COUNT_METRICS = {
    "records_received_new": "received",
    "records_received": "received",
    "records_received_online": "received_online",
    "records_received_direct": "received_direct",
    "records_received_postal": "received_postal",
    "records_received_direct_or_postal": "received_direct_or_postal",
    "records_received_direct_postal": "received_direct_or_postal",
    "records_carried_over": "carried_over",
    "records_received_total": "handled",
    "records_total": "handled",
    "records_handled": "handled",
    "records_resolved": "resolved",
    "records_resolved_early": "resolved_early",
    "resolved_early": "resolved_early",
    "records_resolved_on_time": "resolved_on_time",
    "resolved_on_time": "resolved_on_time",
    "records_resolved_late": "resolved_late",
    "resolved_late": "resolved_late",
    "records_resolved_early_or_on_time": "resolved_in_time",
    "resolved_early_or_on_time": "resolved_in_time",
    "resolved_early_on_time": "resolved_in_time",
    "records_pending": "pending",
    "records_pending_overdue": "pending_overdue",
}
#: facts metrics that are percentages -> the indicator they report (press "on time" = A).
#: A bare "late_rate_pct" is not mapped: the press uses it with either denominator (the H1 2017
#: report's "12 %" is late / received); its counts give both rates as derived values.
FACT_PERCENT_METRICS = {
    "online_share_pct": "online_share",
    "direct_share_pct": "direct_share",
    "postal_share_pct": "postal_share",
    "on_time_share_pct": "on_time_resolved_basis",
    "on_time_rate_pct": "on_time_resolved_basis",
    "early_or_on_time_share_pct": "on_time_resolved_basis",
    "late_share_of_resolved_pct": "late_rate_resolved_basis",
    "late_share_of_received_pct": "late_rate_received_basis",
    "digitisation_rate_pct": "digitisation_rate",
    "digitization_rate_pct": "digitisation_rate",
}
# indicator -> (numerator count, denominator count) derivable from reported counts
_FACT_DERIVATIONS = {
    "on_time_resolved_basis": ("resolved_in_time", "resolved"),
    "early_share": ("resolved_early", "resolved"),
    "late_rate_resolved_basis": ("resolved_late", "resolved"),
    "late_rate_received_basis": ("resolved_late", "received"),
    "clearance_rate": ("resolved", "handled"),
    "online_share": ("received_online", "received"),
    "direct_share": ("received_direct", "received"),
    "postal_share": ("received_postal", "received"),
    "overdue_backlog_share": ("pending_overdue", "pending"),
}
FACT_RATE_COLUMNS = ["unit_code", "unit_name", "period_start", "period_end", "period_label", "indicator", "value",
                     "numerator", "denominator", "how", "fact_ids", "source_file", "sentence"]


def fact_rates(facts: pd.DataFrame | None) -> pd.DataFrame:
    """Indicator values reported in the press, from the ``facts`` table: percentages as
    reported (``how="reported"``) and rates derived from reported counts of the same
    unit, period and source (``how="derived"``, e.g. Nghi Thái 2023: (2,682 early + 70 on
    time) / 2,877 resolved). Values are shares (0-1). An empty or missing facts table
    gives an empty result; unknown metrics are ignored."""
    if facts is None or len(facts) == 0:
        return pd.DataFrame(columns=FACT_RATE_COLUMNS)
    rows = []
    f = facts.copy()
    f["metric"] = f["metric"].astype(str).str.strip().str.lower()
    for r in f[f["metric"].isin(FACT_PERCENT_METRICS)].itertuples(index=False):
        v = float(r.value)
        if str(getattr(r, "measure_unit", "%")).strip() in ("%", "percent", "pct") or v > 1:
            v = v / 100.0
        rows.append(dict(unit_code=r.unit_code, unit_name=r.unit_name, period_start=r.period_start,
                         period_end=r.period_end, period_label=r.period_label,
                         indicator=FACT_PERCENT_METRICS[r.metric], value=v, numerator=np.nan, denominator=np.nan,
                         how="reported", fact_ids=r.fact_id, source_file=r.source_file, sentence=r.sentence))
    cnt = f[f["metric"].isin(FACT_COUNT_METRICS)].copy()
    if len(cnt):
        cnt["count"] = cnt["metric"].map(FACT_COUNT_METRICS)
        keys = ["unit_code", "period_start", "period_end", "source_file"]
        for _, g in cnt.groupby(keys, dropna=False, sort=True):
            c = {k: float(v) for k, v in zip(g["count"], g["value"])}
            ids = dict(zip(g["count"], g["fact_id"]))
            if "resolved_in_time" not in c and "resolved_early" in c and "resolved_on_time" in c:
                c["resolved_in_time"] = c["resolved_early"] + c["resolved_on_time"]
                ids["resolved_in_time"] = f"{ids['resolved_early']}+{ids['resolved_on_time']}"
            if "handled" not in c and "carried_over" in c and "received" in c:
                c["handled"] = c["carried_over"] + c["received"]
                ids["handled"] = f"{ids['carried_over']}+{ids['received']}"
            first = g.iloc[0]
            for key, (n, d) in _FACT_DERIVATIONS.items():
                if n in c and d in c and c[d] > 0:
                    rows.append(dict(unit_code=first.unit_code, unit_name=first.unit_name,
                                     period_start=first.period_start, period_end=first.period_end,
                                     period_label=first.period_label, indicator=key, value=c[n] / c[d],
                                     numerator=c[n], denominator=c[d], how="derived",
                                     fact_ids=f"{ids[n]}/{ids[d]}", source_file=first.source_file,
                                     sentence=g.iloc[0].sentence))
    out = pd.DataFrame(rows, columns=FACT_RATE_COLUMNS)
    return out.reset_index(drop=True)


def facts_vs_data(facts: pd.DataFrame | None, processing: pd.DataFrame, *, units: pd.DataFrame | None = None,
                  lang: str = DEFAULT_LANG, conf: float = 0.95) -> pd.DataFrame:
    """Press figures beside the same indicator computed from the processing table for
    the same unit and the quarters covering the press period (``window``). One row per
    reported or derived press value whose unit has processing data for every quarter
    of the period; empty when nothing matches (e.g. no facts, or facts only for units the
    data do not hold). ``difference`` = data - press, in rate points (0-1 scale)."""
    cols = ["name", "unit_code", "period_label", "quarters", "indicator", "label", "how", "press_value",
            "data_value", "data_ci_low", "data_ci_high", "difference", "press_within_ci", "data_synthetic",
            "fact_ids"]
    fr = fact_rates(facts)
    if (facts is None or len(facts) == 0) or processing.empty:
        return pd.DataFrame(columns=cols)
    names = unit_names(units, lang)
    have = set(processing["unit_code"])
    rows = []
    for r in fr[fr["unit_code"].isin(have)].itertuples(index=False):
        if pd.isna(r.period_start) or pd.isna(r.period_end):
            continue
        p0, p1 = to_period(pd.Timestamp(r.period_start)), to_period(pd.Timestamp(r.period_end))
        sub = processing[processing["unit_code"] == r.unit_code]
        w = window(sub, p0, p1)
        if w.empty or w["n_quarters"].iloc[0] != (p1 - p0).n + 1:
            continue
        val = compute(w, r.indicator, conf=conf).iloc[0]
        syn = bool(sub[(sub["period"] >= p0) & (sub["period"] <= p1)]["synthetic"].any()) \
            if "synthetic" in sub.columns else False
        rows.append(dict(name=names.get(r.unit_code, r.unit_code), unit_code=r.unit_code,
                         period_label=r.period_label, quarters=w["period_label"].iloc[0], indicator=r.indicator,
                         label=indicator(r.indicator).label(lang), how=r.how, press_value=r.value,
                         data_value=val["rate"], data_ci_low=val["ci_low"], data_ci_high=val["ci_high"],
                         difference=val["rate"] - r.value,
                         press_within_ci=bool(val["ci_low"] <= r.value <= val["ci_high"]),
                         data_synthetic=syn, fact_ids=r.fact_ids))
    for r in _count_facts(facts, have):
        p0, p1 = to_period(pd.Timestamp(r["period_start"])), to_period(pd.Timestamp(r["period_end"]))
        sub = processing[processing["unit_code"] == r["unit_code"]]
        w = window(sub, p0, p1)
        if w.empty or w["n_quarters"].iloc[0] != (p1 - p0).n + 1:
            continue
        v = float(with_totals(w)[r["count"]].iloc[0])
        syn = bool(sub[(sub["period"] >= p0) & (sub["period"] <= p1)]["synthetic"].any()) \
            if "synthetic" in sub.columns else False
        rows.append(dict(name=names.get(r["unit_code"], r["unit_code"]), unit_code=r["unit_code"],
                         period_label=r["period_label"], quarters=w["period_label"].iloc[0], indicator=r["count"],
                         label=t(f"count.{r['count']}", lang), how="reported_count",
                         press_value=float(r["value"]), data_value=v, data_ci_low=np.nan, data_ci_high=np.nan,
                         difference=v - float(r["value"]), press_within_ci=False, data_synthetic=syn,
                         fact_ids=r["fact_id"]))
    return pd.DataFrame(rows, columns=cols)




#: the record counts a press figure can be set beside (catalogue: count.<name>)
_COUNT_FACTS = ("received", "resolved")


def _count_facts(facts: pd.DataFrame | None, have: set) -> list[dict]:
    """Press record counts (new records received, records resolved) of units in ``have``."""
    if facts is None or len(facts) == 0:
        return []
    f = facts.copy()
    f["count"] = f["metric"].astype(str).str.strip().str.lower().map(FACT_COUNT_METRICS)
    f = f[f["count"].isin(list(_COUNT_FACTS)) & f["unit_code"].isin(have)]
    f = f[f["period_start"].notna() & f["period_end"].notna()]
    return f.to_dict("records")
