"""The period a form's title states: quarter titles in every common shape, the reporting
window dates, and other periods (half-year, nine months, a year) that are never read as
a quarter."""

from __future__ import annotations

import re

import pandas as pd

from paranalysis.errors import Problem
from paranalysis.forms.messages import COL_TITLE, E_BAD_DATE, E_WINDOW
from paranalysis.i18n import Message
from paranalysis.periods import QUARTER_FREQ, ROMAN_QUARTERS, ReportSpan, reporting_window
from paranalysis.units import fold

_Q_RE = re.compile(r"\b(?:quy|q)\s*(iv|iii|ii|i|[1-4])\s+(?:cua\s+)?(?:nam\s+)?(\d{4})\b")
_WINDOW_RE = re.compile(
    r"\btu\s+(?:ngay\s+)?(\d{1,2})\s+(\d{1,2})\s+(\d{4})\s+(?:(?:den|toi)\s+)?(?:het\s+)?(?:ngay\s+)?"
    r"(\d{1,2})\s+(\d{1,2})\s+(\d{4})")
_SPAN_RE = [
    (re.compile(r"\b(?:6|sau) thang cuoi nam (\d{4})\b"), "H2"),
    (re.compile(r"\b(?:6|sau) thang (?:dau )?nam (\d{4})\b"), "H1"),
    (re.compile(r"\b(?:9|chin) thang (?:dau )?nam (\d{4})\b"), "M9"),
    (re.compile(r"\bnam (\d{4})\b"), "Y"),
]
_MONTH_RE = re.compile(r"\bthang\s+(\d{1,2})\s+(?:nam\s+)?(\d{4})\b")
_ROMAN = {k.lower(): v for k, v in ROMAN_QUARTERS.items()}  # titles are matched lower-cased


def _span_of(text: str):
    """(ReportSpan or a month label, matched words) named by a title text, or None."""
    f = fold(text)
    for rx, part in _SPAN_RE[:3]:
        m = rx.search(f)
        if m:
            return ReportSpan(int(m.group(1)), part), m.group(0)
    m = _MONTH_RE.search(f)
    if m and not re.search(r"\bngay\s+\d", f[:m.start()][-12:]):
        return Message("form.span_month", month=int(m.group(1)), year=m.group(2)), m.group(0)
    m = _SPAN_RE[3][0].search(f)
    if m and ("bao cao" in f or f.startswith("nam ")) and not re.search(r"\bngay\s+\d", f):
        return ReportSpan(int(m.group(1)), "Y"), m.group(0)
    return None


def _title_period(texts: list[tuple[int, str]], file: str, sheet: str):
    """Period named by the title rows -> (Period | None, row, text, problems, other) where
    ``other`` is (ReportSpan or month text, row, text) when the title names a longer span."""
    problems: list[Problem] = []
    quarter = window = None
    q_row = q_text = None
    for row, text in texts:
        f = fold(text)
        m = _Q_RE.search(f)
        if m and quarter is None:
            r = m.group(1)
            quarter = pd.Period(year=int(m.group(2)), quarter=_ROMAN.get(r) or int(r), freq=QUARTER_FREQ)
            q_row, q_text = row, text
        w = _WINDOW_RE.search(f)
        if w and window is None:
            d1, m1, y1, d2, m2, y2 = (int(x) for x in w.groups())
            try:
                window = (pd.Timestamp(year=y1, month=m1, day=d1), pd.Timestamp(year=y2, month=m2, day=d2), row, text)
            except ValueError:
                problems.append(Problem(file=file, sheet=sheet, row=row, column=COL_TITLE, value=text, expected=E_BAD_DATE))
    if quarter is None:
        for row, text in texts:
            span = _span_of(text)
            if span is not None:
                return None, None, None, problems, (span[0], row, text, window)
    if quarter is None and window is not None:
        start, end = window[0], window[1]
        if (end - start).days > 100:  # longer than a quarter: a span given by its dates
            for part in ("H1", "H2", "M9", "Y"):
                sp = ReportSpan(end.year, part)
                if (start, end) in {sp.reporting_window(), (sp.start, sp.end)}:
                    return None, None, None, problems, (sp, window[2], window[3], window)
            return None, None, None, problems, (Message("form.span_dates", start=start, end=end),
                                                window[2], window[3], window)
    if quarter is None and window is None:
        return None, None, None, problems, None
    if window is not None:
        start, end, w_row, w_text = window
        cands = []
        for q in {start.to_period(QUARTER_FREQ), (start + pd.Timedelta(days=20)).to_period(QUARTER_FREQ),
                  end.to_period(QUARTER_FREQ)}:
            rs, re_ = reporting_window(q)
            if (start, end) in {(rs, re_), (q.start_time.normalize(), q.end_time.normalize())}:
                cands.append(q)
        target = quarter if quarter is not None else (cands[0] if cands else end.to_period(QUARTER_FREQ))
        if target not in cands:
            rs, re_ = reporting_window(target)
            problems.append(Problem(file=file, sheet=sheet, row=w_row, column=COL_TITLE, value=w_text,
                                    expected=E_WINDOW.format(start=rs, end=re_, cstart=target.start_time,
                                                             cend=target.end_time)))
        if quarter is None:
            quarter, q_row, q_text = target, w_row, w_text
    return quarter, q_row, q_text, problems, None


def check_span_window(span: ReportSpan, window, file, sheet) -> list[Problem]:
    """The title's dates, if any, must be the span's reporting window or calendar dates."""
    if window is None:
        return []
    start, end, row, text = window
    if (start, end) in {span.reporting_window(), (span.start, span.end)}:
        return []
    rs, re_ = span.reporting_window()
    return [Problem(file, sheet, row, COL_TITLE, text,
                    E_WINDOW.format(start=rs, end=re_, cstart=span.start, cend=span.end))]
