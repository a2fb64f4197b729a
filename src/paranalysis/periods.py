"""Reporting periods. Processing data is kept per calendar quarter ("2024Q2").

Vietnamese reporting quarters run from the 15th of the month before the quarter starts
to the 14th of the quarter's last month (Quý II/2024 = 15/03/2024 to 14/06/2024); the
quarter label is kept, the exact dates are not needed for tidy data.
"""

from __future__ import annotations

import re

import pandas as pd

QUARTER_FREQ = "Q-DEC"
#: Quarter numerals as report titles print them ("Quý III"), both ways.
ROMAN_QUARTERS = {"I": 1, "II": 2, "III": 3, "IV": 4}
QUARTER_ROMAN = {v: k for k, v in ROMAN_QUARTERS.items()}

_PATTERNS = [
    re.compile(r"^\s*(?P<y>\d{4})\s*-?\s*Q(?P<q>[1-4])\s*$", re.I),  # 2024Q2, 2024-Q2
    re.compile(r"^\s*Q(?P<q>[1-4])\s*[/\- ]\s*(?P<y>\d{4})\s*$", re.I),  # Q2/2024, Q2 2024
]


def to_period(value) -> pd.Period:
    """Parse a quarter ("2024Q2", "2024-Q2", "Q2/2024", a Period or Timestamp) into a
    calendar-quarter Period that prints as "2024Q2". Raises ValueError otherwise."""
    if isinstance(value, pd.Period):
        return value.asfreq(QUARTER_FREQ) if value.freqstr != QUARTER_FREQ else value
    if isinstance(value, pd.Timestamp):
        return value.to_period(QUARTER_FREQ)
    text = str(value)
    for pat in _PATTERNS:
        m = pat.match(text)
        if m:
            return pd.Period(year=int(m["y"]), quarter=int(m["q"]), freq=QUARTER_FREQ)
    roman = re.match(r"^\s*Qu[ýy]\s+(?P<r>IV|I{1,3}|[1-4])\s*(?:/|n[ăa]m)?\s*(?P<y>\d{4})\s*$", text, re.I)
    if roman:
        r = roman["r"].upper()
        q = ROMAN_QUARTERS.get(r) or int(r)
        return pd.Period(year=int(roman["y"]), quarter=q, freq=QUARTER_FREQ)
    raise ValueError(f"not a quarter: {value!r} (expected e.g. '2024Q2')")


def is_quarter_string(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}Q[1-4]", str(text)))


def reporting_window(value) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates a Vietnamese quarterly report covers: from the 15th of the month before
    the quarter starts to the 14th of the quarter's last month (2024Q2: 15/03/2024 to
    14/06/2024)."""
    q = to_period(value)
    start = (q.start_time - pd.DateOffset(months=1)).replace(day=15).normalize()
    end = q.end_time.replace(day=14).normalize()
    return start, end


# ----------------------------------------------------------------------------- longer spans
class ReportSpan:
    """A reporting period longer than a quarter, as some reports give it: the first or
    second half-year ("2025H1", "6 tháng đầu năm 2025"), the first nine months ("2025M9",
    "9 tháng năm 2025") or a year ("2025", "năm 2025"). Never a quarter: a form read with
    such a period gives its own table (``period_label``, ``period_start``, ``period_end``,
    as the seed facts are dated), which ingest refuses and which can sit beside the seeds'
    half-year figures."""

    KINDS = {"H1": "half_year", "H2": "half_year", "M9": "nine_months", "Y": "year"}

    def __init__(self, year: int, part: str):
        if part not in self.KINDS:
            raise ValueError(f"not a report span part: {part!r}")
        self.year, self.part = int(year), part

    @property
    def kind(self) -> str:
        return self.KINDS[self.part]

    @property
    def label(self) -> str:
        return f"{self.year}" if self.part == "Y" else f"{self.year}{self.part}"

    @property
    def months(self) -> tuple[int, int]:
        return {"H1": (1, 6), "H2": (7, 12), "M9": (1, 9), "Y": (1, 12)}[self.part]

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.year, month=self.months[0], day=1)

    @property
    def end(self) -> pd.Timestamp:
        return (pd.Timestamp(year=self.year, month=self.months[1], day=1) + pd.offsets.MonthEnd(0)).normalize()

    def reporting_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """From the 15th of the month before the span to the 14th of its last month."""
        start = (self.start - pd.DateOffset(months=1)).replace(day=15).normalize()
        return start, self.end.replace(day=14).normalize()

    def describe(self) -> str:
        from paranalysis.i18n import Message

        return Message(f"period.describe_{self.part.lower()}", year=self.year)

    def __eq__(self, other) -> bool:
        return isinstance(other, ReportSpan) and (self.year, self.part) == (other.year, other.part)

    def __hash__(self) -> int:
        return hash((self.year, self.part))

    def __repr__(self) -> str:
        return f"ReportSpan({self.label!r})"

    __str__ = lambda self: self.label  # noqa: E731


def to_span(value) -> ReportSpan:
    """Parse "2025H1", "2025H2", "2025M9" (nine months), "2025" (a year) or a ReportSpan."""
    if isinstance(value, ReportSpan):
        return value
    text = str(value).strip().upper().replace("-", "").replace(" ", "")
    m = re.fullmatch(r"(\d{4})(H[12]|M9|9M)?", text)
    if not m:
        raise ValueError(f"not a report span: {value!r} (expected e.g. '2025H1', '2025M9' or '2025')")
    part = m.group(2) or "Y"
    return ReportSpan(int(m.group(1)), "M9" if part == "9M" else part)


def to_report_period(value):
    """A quarter (pd.Period) or a longer span (ReportSpan) from "2024Q2", "2025H1", "2025"."""
    try:
        return to_period(value)
    except ValueError:
        return to_span(value)
