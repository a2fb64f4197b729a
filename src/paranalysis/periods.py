"""Reporting periods. Processing data is kept per calendar quarter ("2024Q2").

Vietnamese reporting quarters run from the 15th of the month before the quarter starts
to the 14th of the quarter's last month (Quý II/2024 = 15/03/2024 to 14/06/2024); the
quarter label is kept, the exact dates are not needed for tidy data.
"""

from __future__ import annotations

import re

import pandas as pd

QUARTER_FREQ = "Q-DEC"
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}

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
        q = _ROMAN.get(r) or int(r)
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
