"""Figures reported in the press (the ``facts`` table): which of them are counts, which
percentages, the rates they allow, and how they compare with the processing data."""

from __future__ import annotations


import numpy as np
import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, t
from paranalysis.periods import to_period
from paranalysis.indicators.counts import window, with_totals
from paranalysis.indicators.definitions import compute, indicator
from paranalysis.indicators.summary import unit_names


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
