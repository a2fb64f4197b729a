"""The named indicator definitions (there is no unnamed "on-time rate": A, resolved basis;
B, workload basis; C, Decision 766 basis; late rates, shares, clearance, digitisation,
satisfaction), each a numerator and a denominator from the counts, and the tidy table of
many indicators at once (:func:`rates`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, t
from paranalysis.schemas import COMBINED_COUNTS
from paranalysis.indicators.counts import MISSING_REASONS, key_columns, with_totals
from paranalysis.indicators.intervals import counts_as_float, proportion_interval


@dataclass(frozen=True)
class IndicatorSpec:
    """What an indicator counts (its docstring), its formula and labels."""

    key: str
    formula: str
    definition: str
    higher_is_better: bool | None
    reports: str
    optional: bool
    func: Callable[[pd.DataFrame], tuple[pd.Series, pd.Series]]

    @property
    def doc(self) -> str:
        return " ".join((self.func.__doc__ or "").split())

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """The name in ``lang`` (catalogue key ``indicator.<key>``)."""
        return t(f"indicator.{self.key}", lang)


INDICATORS: dict[str, IndicatorSpec] = {}


def _missing_reason(func, df: pd.DataFrame, num: pd.Series, den: pd.Series) -> pd.Series:
    """Per row, why the indicator is missing when the cause is a part of a combined count
    that the form does not give (``MISSING_REASONS``); None otherwise."""
    reason = pd.Series([None] * len(df), index=df.index, dtype=object)
    missing = num.isna() | den.isna()
    for c, parts in COMBINED_COUNTS.items():
        if not df[parts[0]].isna().any():  # every row gives this part: no row has only the sum
            continue
        only_sum = df[list(parts)].isna().all(axis=1) & df[c].notna() & missing & reason.isna()
        if not only_sum.any():
            continue
        probe = df.copy()  # with the split known (any split), would the indicator exist?
        for p in parts:
            probe[p] = probe[p].mask(only_sum, 0)
        n2, d2 = func(probe)
        reason = reason.mask(only_sum & n2.notna() & d2.notna(), MISSING_REASONS[c])
    return reason


def _ratio(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / d, np.nan)


def rate_of(totals: pd.DataFrame, key: str) -> np.ndarray:
    """The rate (0-1) of indicator ``key`` for every row of counts that already carry their
    totals (:func:`with_totals`), without intervals: the ``rate`` column of :func:`compute`."""
    num, den = indicator(key).func(totals)
    return _ratio(counts_as_float(num), counts_as_float(den))


def _evaluate(func, df: pd.DataFrame, conf: float, method: str) -> pd.DataFrame:
    """One indicator from the counts with their totals (:func:`with_totals`)."""
    num, den = func(df)
    n, d = counts_as_float(num), counts_as_float(den)
    r = _ratio(n, d)
    lo, hi = proportion_interval(n, d, conf, method)
    return pd.DataFrame({"numerator": num.astype("Int64"), "denominator": den.astype("Int64"),
                         "rate": r, "ci_low": lo, "ci_high": hi,
                         "missing_reason": _missing_reason(func, df, num, den).to_numpy()},
                        index=df.index)


def _indicator(key, *, formula, definition, higher_is_better, reports, optional=False):
    def deco(func):
        def wrapper(counts: pd.DataFrame, *, conf: float = 0.95, method: str = "wilson") -> pd.DataFrame:
            return _evaluate(func, with_totals(counts), conf, method)

        wrapper.__name__ = func.__name__
        wrapper.__qualname__ = func.__qualname__
        wrapper.__doc__ = (func.__doc__ or "") + (
            f"\n\n    Formula: {formula}. Definition: {definition}. Used in: {reports}.\n"
            "    Returns numerator, denominator, rate (0-1) and its confidence interval.")
        INDICATORS[key] = IndicatorSpec(key, formula, definition, higher_is_better,
                                        reports, optional, func)
        return wrapper

    return deco


@_indicator("on_time_resolved_basis", formula="(early + on time) / resolved",
            definition="A, resolved basis", higher_is_better=True,
            reports="most press reports and provincial summaries (e.g. Nghe An centre 96.57 %, May-Jun 2023)")
def on_time_resolved_basis(df):
    """Of the records resolved in the period, the share returned before or on the due
    date. Records still in progress, even overdue ones, do not count."""
    return df["resolved_in_time"], df["resolved"]


@_indicator("on_time_workload_basis", formula="1 - (resolved late + pending overdue) / handled",
            definition="B, workload basis (Gia Lai)", higher_is_better=True,
            reports="Gia Lai monthly dashboard")
def on_time_workload_basis(df):
    """Of all records the unit had to handle in the period (carried over + new), the
    share that was neither resolved late nor still pending past its due date. Overdue
    backlog counts against the unit."""
    return df["handled"] - df["resolved_late"] - df["pending_overdue"], df["handled"]


@_indicator("on_time_766_basis", formula="(early + on time + pending not yet due) / handled",
            definition="C, Decision 766 indicator 2.1 style",
            higher_is_better=True, reports="National Public Service Portal, Decision 766 scoring (indicator 2.1)")
def on_time_766_basis(df):
    """Of all records handled in the period, the share finished early or on time plus
    those still in progress within their deadline, judged at the end of the period.
    Returned/withdrawn records stay in the denominator (the form does not say whether
    they ended in time); the portal's own rules (supplement waiting time deducted, a
    second supplement request counted late) need record-level data."""
    return df["resolved_in_time"] + df["pending_not_due"], df["handled"]


@_indicator("late_rate_resolved_basis", formula="resolved late / resolved",
            definition="late share of resolved records", higher_is_better=False,
            reports="Nghe An centre and province reports (0.3-3.4 %)")
def late_rate_resolved_basis(df):
    """Of the records resolved in the period, the share returned after the due date."""
    return df["resolved_late"], df["resolved"]


@_indicator("late_rate_received_basis", formula="resolved late / received",
            definition="late records per new record", higher_is_better=False,
            reports="Nghe An H1 2017 conference report ('12 %' = 14,224 / 117,139)")
def late_rate_received_basis(df):
    """Records resolved late, per record newly received in the period. Some reports
    quote this as the 'late rate'; it is smaller than the late share of resolved
    records whenever not everything received was resolved."""
    return df["resolved_late"], df["received"]


@_indicator("late_rate_workload_basis", formula="(resolved late + pending overdue) / handled",
            definition="B, workload basis (Gia Lai)", higher_is_better=False, reports="Gia Lai monthly dashboard")
def late_rate_workload_basis(df):
    """Of all records the unit had to handle (carried over + new), the share resolved
    late or still pending past the due date at the end of the period."""
    return df["resolved_late"] + df["pending_overdue"], df["handled"]


@_indicator("overdue_backlog_share", formula="pending overdue / pending",
            definition="overdue share of the backlog", higher_is_better=False,
            reports="Lâm Đồng Q1/2020 (969 / 3,405 = 28 %, derived)")
def overdue_backlog_share(df):
    """Of the records still in progress at the end of the period, the share already
    past their due date."""
    return df["pending_overdue"], df["pending"]


@_indicator("early_share", formula="early / resolved", definition="early share of resolved records", higher_is_better=True,
            reports="Thừa Thiên Huế by service level; Long An centre")
def early_share(df):
    """Of the records resolved in the period, the share returned before the due date."""
    return df["resolved_early"], df["resolved"]


@_indicator("clearance_rate", formula="resolved / (carried over + received)", definition="clearance rate",
            higher_is_better=True, reports="derived from the standard form (all provinces)")
def clearance_rate(df):
    """Of all records the unit had to handle in the period (carried over + new), the
    share it resolved within the period. Below 1 the backlog is carried into the next
    period."""
    return df["resolved"], df["handled"]


@_indicator("online_share", formula="received online / received",
            definition="online submission share (form channels; not 766 indicator 3.3)", higher_is_better=True,
            reports="Nghe An press (8.6 % in 2022; 60.1 % Nghi Lộc 2023; 72.35 % mid-2025)")
def online_share(df):
    """Of the records newly received in the period, the share submitted online (through
    the provincial or national portal). Its meaning shifted with Decree 42/2022 and
    Decision 766 (see ``DEFINITION_BREAKS``)."""
    return df["received_online"], df["received"]


@_indicator("postal_share", formula="received by post / received", definition="postal (BCCI) share", higher_is_better=None,
            reports="Long An centre (18.27 %)")
def postal_share(df):
    """Of the records newly received in the period, the share that came through the
    public postal service (BCCI)."""
    return df["received_postal"], df["received"]


@_indicator("direct_share", formula="received in person / received", definition="in-person share", higher_is_better=None,
            reports="Nghi Lộc 2023 (39.16 %)")
def direct_share(df):
    """Of the records newly received in the period, the share handed in at the counter."""
    return df["received_direct"], df["received"]


@_indicator("digitisation_rate", formula="digitised / handled",
            definition="digitisation rate (766 indicator 4.2 style)", higher_is_better=True,
            reports="Nghe An 88.43 % (Jul 2025); Nghi Lộc 68.51 % (2023)", optional=True)
def digitisation_rate(df):
    """Of all records handled in the period, the share with digitised input documents
    (and an electronic result where a paper result is required). Missing where the
    export has no digitisation counter."""
    return df["digitized"], df["handled"]


@_indicator("satisfaction_rate", formula="satisfied ratings / ratings",
            definition="counter-rating satisfaction (not 766 indicator 5.4)", higher_is_better=True, reports="Long An centre (98.12 %)",
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
    return pd.concat([counts[key_columns(counts)], out], axis=1)


def rates(counts: pd.DataFrame, indicators: Iterable[str] | None = None, *, conf: float = 0.95,
          method: str = "wilson", dropna: bool = False) -> pd.DataFrame:
    """Many indicators for every row of ``counts`` as one tidy table: the key columns of
    ``counts`` (unit_code or group, period, ...), then ``indicator``, ``definition``,
    ``numerator``, ``denominator``, ``rate``, ``ci_low``, ``ci_high``. ``method`` is
    ``"wilson"`` (default) or ``"beta"`` (exact Clopper-Pearson). Optional indicators
    whose counts are absent everywhere are left out."""
    keys = list(indicators) if indicators is not None else list(INDICATORS)
    frames = []
    if keys:
        indicator(keys[0])  # an unknown first key is reported before the counts are checked
    totals = with_totals(counts) if keys else None  # once for all the indicators
    key_part = counts[key_columns(counts)]
    for k in keys:
        spec = indicator(k)
        part = pd.concat([key_part, _evaluate(spec.func, totals, conf, method)], axis=1)
        if indicators is None and spec.optional and part["numerator"].isna().all():
            continue
        part.insert(len(key_columns(counts)), "indicator", k)
        part.insert(len(key_columns(counts)) + 1, "definition", spec.definition)
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    if dropna:
        out = out[out["rate"].notna()].reset_index(drop=True)
    return out
