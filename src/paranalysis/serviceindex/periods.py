"""Periods of the service index: months, quarters, years and year-to-date."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from paranalysis.units import fold


@dataclass(frozen=True)
class IndexPeriod:
    """One scoring period: ``label`` ("2025-10", "2026Q3", "2026", "2025-YTD"), its type
    and first and last day (a year to date ends on the export day, when known)."""

    label: str
    kind: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None

    def is_open(self, retrieved_at) -> bool | None:
        """Whether the period had not yet ended at ``retrieved_at`` (None if unknown)."""
        if retrieved_at is None or pd.isna(retrieved_at):
            return None
        t = pd.Timestamp(retrieved_at)
        t = t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t
        if self.kind == "ytd":
            return t < pd.Timestamp(year=int(self.label[:4]), month=12, day=31) + pd.Timedelta(days=1)
        if self.end is None:
            return None
        return t < self.end + pd.Timedelta(days=1)


def month(year: int, m: int) -> IndexPeriod:
    p = pd.Period(year=year, month=m, freq="M")
    return IndexPeriod(f"{year}-{m:02d}", "month", p.start_time.normalize(), p.end_time.normalize())


def quarter(year: int, q: int) -> IndexPeriod:
    p = pd.Period(year=year, quarter=q, freq="Q-DEC")
    return IndexPeriod(f"{year}Q{q}", "quarter", p.start_time.normalize(), p.end_time.normalize())


def year(y: int) -> IndexPeriod:
    return IndexPeriod(f"{y}", "year", pd.Timestamp(year=y, month=1, day=1), pd.Timestamp(year=y, month=12, day=31))


def ytd(y: int, end=None) -> IndexPeriod:
    e = None
    if end is not None and not pd.isna(end):
        t = pd.Timestamp(end)
        e = (t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t).normalize()
    return IndexPeriod(f"{y}-YTD", "ytd", pd.Timestamp(year=y, month=1, day=1), e)


UNKNOWN = IndexPeriod("unknown", "unknown", None, None)

_PATTERNS = [
    ("ytd", re.compile(r"(?:year to date|ytd|luy ke|nam den nay|diem nam)\D{0,3}(\d{4})")),
    ("ytd", re.compile(r"(\d{4})\D{0,3}(?:ytd|year to date|luy ke)")),
    ("month", re.compile(r"(?:month|thang|\bt)\s*(\d{4})\s(\d{1,2})\b")),
    ("month_rev", re.compile(r"(?:month|thang|\bt)\s*(\d{1,2})\s(\d{4})\b")),
    ("month", re.compile(r"(?:^|\s)(\d{4})\s(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"(\d{4})\s?q([1-4])\b")),
    ("quarter_rev", re.compile(r"\b(?:q|quy|quarter)\s*([1-4])\s(\d{4})\b")),
    ("year", re.compile(r"^(?:year|nam)?\s*(\d{4})$")),
]


def parse_period(text, *, retrieved_at=None) -> IndexPeriod | None:
    """Read a period from a sheet name, table name or label: "2025-10", "thang 10/2025",
    "provinces_month_2025_10" (month); "2026Q3", "Quý 3/2026" (quarter); "2026", "Năm
    2026" (year); "2025-YTD", "year_to_date_2025" (year to date). None if no period is
    written in it."""
    if isinstance(text, IndexPeriod):
        return text
    s = fold(str(text)).replace("_", " ")
    s = re.sub(r"\s+", " ", s).strip()
    for kind, pat in _PATTERNS:
        m = pat.search(s)
        if not m:
            continue
        a, b = (int(g) for g in m.groups()) if len(m.groups()) == 2 else (int(m.group(1)), None)
        if kind == "ytd" and 2000 <= a <= 2100:
            return ytd(a, retrieved_at)
        if kind == "month" and 2000 <= a <= 2100 and 1 <= b <= 12:
            return month(a, b)
        if kind == "month_rev" and 2000 <= b <= 2100 and 1 <= a <= 12:
            return month(b, a)
        if kind == "quarter" and 2000 <= a <= 2100:
            return quarter(a, b)
        if kind == "quarter_rev" and 2000 <= b <= 2100:
            return quarter(b, a)
        if kind == "year" and 2000 <= a <= 2100:
            return year(a)
    return None


def from_payload(payload: dict) -> IndexPeriod | None:
    """The period of a 2026 reporting-API request: ``timeType`` + ``year``/``quarter``/
    ``month``, or ``fromDate``/``toDate`` covering a whole month, quarter or year."""
    if not isinstance(payload, dict):
        return None
    tt = payload.get("timeType")
    try:
        if tt == "month":
            return month(int(payload["year"]), int(payload["month"]))
        if tt == "quarter":
            return quarter(int(payload["year"]), int(payload["quarter"]))
        if tt == "year":
            return year(int(payload["year"]))
        if payload.get("fromDate") and payload.get("toDate"):
            a, b = pd.Timestamp(payload["fromDate"]), pd.Timestamp(payload["toDate"])
            for cand in (month(a.year, a.month), quarter(a.year, (a.month - 1) // 3 + 1), year(a.year)):
                if cand.start == a and cand.end == b:
                    return cand
            return IndexPeriod(f"{a.date()}..{b.date()}", "unknown", a, b)
    except (KeyError, TypeError, ValueError):
        return None
    return None


def payload_for(period: IndexPeriod, endpoint: str) -> dict:
    """The period part of a reporting-API request (the satisfaction endpoint takes dates)."""
    if endpoint == "handling-satisfaction":
        return {"fromDate": str(period.start.date()), "toDate": str(period.end.date())}
    y = int(period.label[:4])
    if period.kind == "month":
        return {"timeType": "month", "year": y, "month": int(period.label[5:7])}
    if period.kind == "quarter":
        return {"timeType": "quarter", "year": y, "quarter": int(period.label[-1])}
    if period.kind == "year":
        return {"timeType": "year", "year": y}
    raise ValueError(f"the reporting API serves months, quarters and years, not {period.label}")
