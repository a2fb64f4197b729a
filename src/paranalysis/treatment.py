"""Treatment timing and dose from the investment register, and outcome panels.

The investment register lists, per unit, when an investment went into operation
(``date_in_operation``), its ``category`` (``one_stop_facility``, ``online_meeting_system``,
``other``) and its cost. For an event study each unit needs one *first treated quarter*
per treatment definition:

- one category on its own (``"one_stop_facility"``, ``"online_meeting_system"``);
- ``"any"``: the first quarter either investment was in operation;
- ``"both"``: the first quarter both were in operation (units with only one are not
  treated under this definition).

Units with no such investment are *never treated* (``first_treated`` missing). The
quarter of a date follows the Vietnamese reporting calendar by default (a quarter's report
covers the 15th of the month before it to the 14th of its last month), because the
processing counts are reported that way.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Iterable

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.periods import QUARTER_FREQ, reporting_window

CATEGORIES = ("one_stop_facility", "online_meeting_system")
TREATMENTS = CATEGORIES + ("any", "both")
RULES = ("reporting_quarter", "calendar_quarter", "next_full_quarter")
OUTCOMES = ("late_rate_resolved_basis", "on_time_resolved_basis", "online_share", "overdue_backlog_share")


def quarter_of_date(date, rule: str = "reporting_quarter") -> pd.Period:
    """The quarter in which an investment dated ``date`` counts as in operation.

    ``reporting_quarter``: the quarter whose Vietnamese report window (15th to 14th)
    contains the date; ``calendar_quarter``: the calendar quarter; ``next_full_quarter``:
    the first reporting quarter the investment worked for the whole quarter."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}")
    if date is None or pd.isna(date):
        raise DataError([Problem(column="date_in_operation", value=None,
                                 expected=Message("problem.model.investment_date"))])
    d = pd.Timestamp(date).normalize()
    q = d.to_period(QUARTER_FREQ)
    if rule == "calendar_quarter":
        return q
    nxt = q + 1
    rq = nxt if d >= reporting_window(nxt)[0] else q
    if rule == "next_full_quarter" and d > reporting_window(rq)[0]:
        rq = rq + 1
    return rq


def quarters_of_dates(dates, rule: str = "reporting_quarter") -> list:
    """:func:`quarter_of_date` of each date (a list of quarters, in order), computed at once
    for a column of dates without time zone; other input date by date."""
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}")
    s = pd.Series(dates) if not isinstance(dates, pd.Series) else dates
    if not pd.api.types.is_datetime64_dtype(s.dtype) or isinstance(s.dtype, pd.DatetimeTZDtype) or s.isna().any():
        return [quarter_of_date(d, rule) for d in s]
    year, month, day = s.dt.year.to_numpy(), s.dt.month.to_numpy(), s.dt.day.to_numpy()
    q = (year - 1970) * 4 + (month - 1) // 3  # ordinal of the calendar quarter (1970Q1 = 0)
    if rule != "calendar_quarter":
        late = (month % 3 == 0) & (day >= 15)  # from the 15th of a quarter's last month: the next report
        q = q + late
        if rule == "next_full_quarter":
            # the first quarter whose whole report window (from the 15th) follows the date
            q = q + (~late | (day > 15))
    return list(pd.PeriodIndex.from_ordinals(q.astype(np.int64), freq=QUARTER_FREQ))


def first_in_operation(investments: pd.DataFrame, *, rule: str = "reporting_quarter") -> pd.DataFrame:
    """One row per unit and category: first date and quarter in operation, the number of
    investments and their total cost (VND)."""
    need = ["unit_code", "date_in_operation", "category", "amount_vnd"]
    miss = [c for c in need if c not in investments.columns]
    if miss:
        raise DataError([Problem(column=c, expected=Message("problem.model.investment_column")) for c in miss])
    inv = investments[investments["category"].isin(CATEGORIES)].copy()
    if inv.empty:
        return pd.DataFrame({"unit_code": pd.Series(dtype=str), "category": pd.Series(dtype=str),
                             "first_date": pd.Series(dtype="datetime64[ns]"),
                             "first_quarter": pd.Series(dtype=pd.PeriodDtype(QUARTER_FREQ)),
                             "n_investments": pd.Series(dtype=int), "amount_vnd": pd.Series(dtype=float)})
    inv["date_in_operation"] = pd.to_datetime(inv["date_in_operation"])
    # nullable amounts sum to nullable floats, others to floats (as a sum per group gave them)
    masked = isinstance(inv["amount_vnd"].array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray,
                                                   pd.arrays.BooleanArray))
    inv["amount_vnd"] = pd.to_numeric(inv["amount_vnd"], errors="coerce")  # not a number: left out of the sum
    out = (inv.groupby(["unit_code", "category"], sort=True)
           .agg(first_date=("date_in_operation", "min"), n_investments=("date_in_operation", "size"),
                amount_vnd=("amount_vnd", "sum"))
           .reset_index())
    out["amount_vnd"] = out["amount_vnd"].astype("Float64" if masked else float)
    out["first_quarter"] = pd.PeriodIndex(quarters_of_dates(out["first_date"], rule), freq=QUARTER_FREQ)
    return out[["unit_code", "category", "first_date", "first_quarter", "n_investments", "amount_vnd"]]


def adoption(investments: pd.DataFrame, units: Iterable[str], *, treatment: str = "one_stop_facility",
             rule: str = "reporting_quarter") -> pd.DataFrame:
    """For every unit in ``units``: ``first_treated`` (quarter, missing = never treated under
    this definition), ``never_treated`` and the cost (``amount_vnd``) of the investments
    that define the treatment."""
    if treatment not in TREATMENTS:
        raise ValueError(f"treatment must be one of {TREATMENTS}")
    from paranalysis.harmonize import _frame_key  # a fingerprint of the register's content

    units = list(units)
    inv_key = _frame_key(investments)
    key = None if inv_key is None else (inv_key, tuple(map(repr, units)), treatment, rule)
    if key is not None and key in _ADOPTIONS:
        _ADOPTIONS.move_to_end(key)
        return _ADOPTIONS[key].copy()
    out = _adoption(investments, units, treatment, rule)
    if key is not None:
        _ADOPTIONS[key] = out.copy()
        while len(_ADOPTIONS) > 16:
            _ADOPTIONS.popitem(last=False)
    return out


#: the last few adoptions of this process, by the register's fingerprint, units, treatment
#: and rule (a report asks for the same ones several times); served as copies
_ADOPTIONS: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()


def _adoption(investments: pd.DataFrame, units: list, treatment: str, rule: str) -> pd.DataFrame:
    first = first_in_operation(investments, rule=rule)
    units = pd.Index(pd.unique(pd.Series(list(units), dtype=str)), name="unit_code")
    wide_q = first.pivot(index="unit_code", columns="category", values="first_quarter").reindex(index=units,
                                                                                               columns=list(CATEGORIES))
    wide_a = first.pivot(index="unit_code", columns="category", values="amount_vnd").reindex(index=units,
                                                                                            columns=list(CATEGORIES))
    if treatment in CATEGORIES:
        ft = wide_q[treatment]
        amount = wide_a[treatment]
    else:
        ords = wide_q.apply(lambda s: s.map(lambda p: p.ordinal if isinstance(p, pd.Period) else np.nan))
        o = ords.min(axis=1) if treatment == "any" else ords.max(axis=1, skipna=False)
        ft = o.map(lambda v: pd.Period(ordinal=int(v), freq=QUARTER_FREQ) if np.isfinite(v) else pd.NaT)
        amount = wide_a.sum(axis=1, min_count=1) if treatment == "any" else wide_a.sum(axis=1, min_count=2)
    ft = pd.Series(pd.PeriodIndex(ft.tolist(), freq=QUARTER_FREQ), index=units)
    out = pd.DataFrame({"unit_code": units.astype(str), "first_treated": ft.to_numpy(),
                        "never_treated": ft.isna().to_numpy(), "amount_vnd": amount.to_numpy(dtype=float)})
    return out.reset_index(drop=True)


def outcome_panel(processing: pd.DataFrame, outcomes: Iterable[str] = OUTCOMES, *, percent: bool = True) -> pd.DataFrame:
    """Unit x quarter outcome rates from the processing counts (``paranalysis.indicators``
    definitions), in percent by default, with the records ``handled`` (carried over +
    received) as the size of each unit-quarter."""
    from paranalysis import indicators as ind

    from paranalysis.indicators.definitions import rate_of

    base = processing[["unit_code", "period"]].copy()
    tot = None  # the totals, once for every outcome (after the first key is checked, as compute does)
    for key in outcomes:
        ind.indicator(key)
        tot = ind.with_totals(processing) if tot is None else tot
        base[key] = rate_of(tot, key).astype(float) * (100.0 if percent else 1.0)
    tot = ind.with_totals(processing) if tot is None else tot
    base["handled"] = pd.to_numeric(tot["handled"], errors="coerce").astype(float).to_numpy()
    return base.reset_index(drop=True)


def treatment_panel(processing: pd.DataFrame, investments: pd.DataFrame, *, treatment: str = "one_stop_facility",
                    outcomes: Iterable[str] = OUTCOMES, start=None, end=None, rule: str = "reporting_quarter",
                    population: dict | pd.Series | None = None, percent: bool = True) -> pd.DataFrame:
    """The analysis panel: one row per unit and quarter (``start`` .. ``end``) with the
    outcome rates, ``first_treated``, ``never_treated``, ``treated`` (1 from the first
    quarter in operation on), ``event_time`` (quarters since adoption) and the dose:
    ``dose_per_1000_handled`` = investment cost (VND) per 1,000 records the unit handled in
    the four quarters before adoption, ``dose_per_capita`` (VND per inhabitant, when
    ``population`` is given)."""
    out = outcome_panel(processing, outcomes, percent=percent)
    if start is not None:
        out = out[out["period"] >= pd.Period(str(start), freq=QUARTER_FREQ)]
    if end is not None:
        out = out[out["period"] <= pd.Period(str(end), freq=QUARTER_FREQ)]
    adopt = adoption(investments, out["unit_code"].unique(), treatment=treatment, rule=rule)
    out = out.merge(adopt, on="unit_code", how="left")
    ord_p = out["period"].map(lambda p: p.ordinal).astype(float)
    ord_g = out["first_treated"].map(lambda p: p.ordinal if isinstance(p, pd.Period) else np.nan).astype(float)
    out["event_time"] = (ord_p - ord_g).astype("Int64")
    out["treated"] = (ord_p >= ord_g).astype(float)
    # dose: cost per 1,000 records handled in the four quarters before adoption
    pre = out[(ord_p < ord_g) & (ord_p >= ord_g - 4)].groupby("unit_code")["handled"].sum()
    per_k = adopt.set_index("unit_code")["amount_vnd"] / (pre.reindex(adopt["unit_code"]).to_numpy() / 1000.0)
    out["dose_per_1000_handled"] = out["unit_code"].map(per_k.replace([np.inf, -np.inf], np.nan))
    if population is not None:
        pop = pd.Series(population, dtype=float)
        out["dose_per_capita"] = out["unit_code"].map(adopt.set_index("unit_code")["amount_vnd"] / pop)
    else:
        out["dose_per_capita"] = np.nan
    return out.sort_values(["unit_code", "period"]).reset_index(drop=True)


def adoption_calendar(investments: pd.DataFrame, units: Iterable[str], names: dict | None = None) -> pd.DataFrame:
    """When each unit first had each kind of investment in operation (the reporting-quarter
    rule of :func:`adoption`): one row per unit, columns unit_code, name (from ``names``,
    else the code), first_one_stop_facility, first_online_meeting_system (missing = never)."""
    units = list(units)
    out = pd.DataFrame({"unit_code": units})
    out.insert(1, "name", [(names or {}).get(u, u) for u in units])
    for cat in CATEGORIES:
        first = adoption(investments, units, treatment=cat).set_index("unit_code")["first_treated"]
        out[f"first_{cat}"] = out["unit_code"].map(first)
    return out
