"""The working-day calendar of Vietnam's public administration.

Working days are Monday to Friday, except the public holidays of Vietnam (including lunar
Tết) given by the ``holidays`` library (country "VN"), plus the Saturdays that a government
decree turns into working days in exchange for a day off (``weekend_workdays``).
``extra_days_off`` / ``extra_working_days`` let an analyst add a decreed change the library
does not know yet. Waiting time in working days = the working days after the day of receipt
up to and including the day of resolution = wd_index(resolution day) - wd_index(receipt day).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message

CALENDAR_START = date(2000, 1, 1)
CALENDAR_END = date(2040, 12, 31)


# --------------------------------------------------------------------------------------
# Working-day calendar
# --------------------------------------------------------------------------------------

def _as_dates(values) -> frozenset[date]:
    return frozenset(pd.Timestamp(v).date() for v in (values or ()))


@lru_cache(maxsize=8)
def _calendar(start: date, end: date, days_off: frozenset, working: frozenset) -> pd.DataFrame:
    import holidays

    days = pd.date_range(start, end, freq="D")
    vn = holidays.country_holidays("VN", years=range(start.year, end.year + 1))
    named = dict(vn.items())  # every year asked for is filled in: a plain lookup per day
    names = pd.Series(pd.Index(days.date).map(named.get), index=days)
    weekend = np.asarray(days.day_of_week >= 5)
    is_holiday = names.notna().to_numpy()
    swapped = np.asarray(days.isin(pd.to_datetime(sorted(vn.weekend_workdays))))
    working_day = (~weekend & ~is_holiday) | swapped
    if days_off:
        working_day &= ~np.asarray(days.isin(pd.to_datetime(sorted(days_off))))
    if working:
        working_day |= np.asarray(days.isin(pd.to_datetime(sorted(working))))
    cal = pd.DataFrame({
        "date": days.date,
        "is_working_day": working_day,
        "wd_index": np.cumsum(working_day).astype("int32"),
        "holiday": pd.array(names, dtype="str"),
    })
    return cal


def working_day_calendar(start=CALENDAR_START, end=CALENDAR_END, *, extra_days_off: Iterable = (),
                         extra_working_days: Iterable = ()) -> pd.DataFrame:
    """The working-day calendar of Vietnam's public administration, one row per date:
    ``is_working_day``, ``wd_index`` (working days from ``start`` up to and including the
    date) and the ``holiday`` name. ``extra_days_off`` / ``extra_working_days`` add decreed
    days off or make-up working days that the ``holidays`` library does not know."""
    return _calendar(pd.Timestamp(start).date(), pd.Timestamp(end).date(),
                     _as_dates(extra_days_off), _as_dates(extra_working_days)).copy()


def working_days(received, resolved, **calendar_options) -> pd.Series | int:
    """Working days after the day of ``received`` up to and including the day of
    ``resolved`` (0 when resolved on the day of receipt). Scalars or array-likes; missing
    resolutions give <NA>."""
    cal = working_day_calendar(**calendar_options)
    scalar = np.ndim(received) == 0 and np.ndim(resolved) == 0
    rec = pd.to_datetime(pd.Series(np.atleast_1d(received))).dt.normalize()
    res = pd.to_datetime(pd.Series(np.atleast_1d(resolved))).dt.normalize()
    idx = pd.Series(cal["wd_index"].to_numpy(), index=pd.DatetimeIndex(pd.to_datetime(cal["date"])))
    for s in (rec, res):
        outside = s.notna() & ((s < idx.index[0]) | (s > idx.index[-1]))
        if outside.any():
            raise DataError([Problem(value=str(s[outside].iloc[0].date()),
                                     expected=Message("problem.rec.calendar_range", first=idx.index[0].date(),
                                                      last=idx.index[-1].date()))])
    a = pd.array(idx.reindex(rec).to_numpy(), dtype="Int64")
    b = pd.array(idx.reindex(res).to_numpy(), dtype="Int64")
    out = pd.Series(b - a, dtype="Int64")
    return (None if pd.isna(out.iloc[0]) else int(out.iloc[0])) if scalar else out


def add_working_days(day, n: int, **calendar_options) -> date:
    """The date ``n`` working days after ``day`` (the statutory deadline of a procedure
    whose time limit is ``n`` working days, counted from the day after receipt)."""
    cal = working_day_calendar(**calendar_options)
    d = pd.Timestamp(day).date()
    pos = int((cal["date"] == d).to_numpy().argmax())
    target = int(cal["wd_index"].iat[pos]) + int(n)
    j = int(np.searchsorted(cal["wd_index"].to_numpy(), target, side="left"))
    return cal["date"].iat[j]
