"""Cell values of the form: counts (also as text with "." thousands separators), percentages,
blank cells, the column-number row."""

from __future__ import annotations

import datetime as dt
import math
import re

from paranalysis import limits
from paranalysis.forms.messages import (E_BLANK, E_DATE, E_DECIMAL, E_FORMULA, E_NEGATIVE, E_NOT_A_NUMBER,
                                        E_PERCENT, E_TOO_LARGE)
from paranalysis.forms.workbook import Unevaluated

E_TOO_LARGE_N = E_TOO_LARGE.format(n=f"{limits.MAX_COUNT:,}")


def _bounded(n: int) -> tuple[int | None, str | None]:
    return (n, None) if n <= limits.MAX_COUNT else (None, E_TOO_LARGE_N)

_DIGITS = re.compile(r"^\d+$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_NEG = re.compile(r"^[-−–]\s*\d[\d.]*$")
_PERCENT_TEXT = re.compile(r"^(\d{1,3})(?:[.,](\d+))?\s*%?$")
_COLNUM = re.compile(r"^\(\s*[0-9A-Za-z]{1,3}\s*\)(?:\s*=.*)?$|^[A-Za-z]$")
_BLANK_TEXT = {"", "-", "–", "—"}


def _is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _parse_count(v) -> tuple[int | None, str | None]:
    """A count cell -> (whole number, None) or (None, expected-message). Blank -> (None, E_BLANK)."""
    if _is_blank(v):
        return None, E_BLANK
    if isinstance(v, Unevaluated):
        return None, E_FORMULA.format(formula=str(v))
    if isinstance(v, bool):
        return None, E_NOT_A_NUMBER
    if isinstance(v, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return None, E_DATE
    if isinstance(v, int):
        return _bounded(v) if v >= 0 else (None, E_NEGATIVE)
    if isinstance(v, float):
        if not math.isfinite(v):
            return None, E_NOT_A_NUMBER
        if abs(v) > limits.MAX_COUNT:
            return (None, E_TOO_LARGE_N) if v > 0 else (None, E_NEGATIVE)
        if v != int(v):
            return None, E_NEGATIVE if v < 0 else E_DECIMAL
        return (int(v), None) if v >= 0 else (None, E_NEGATIVE)
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        if s in _BLANK_TEXT:
            return None, E_BLANK
        if len(s) > 30:
            return None, E_TOO_LARGE_N if s.replace(".", "").isdigit() else E_NOT_A_NUMBER
        if _DIGITS.match(s):
            return _bounded(int(s))
        if _THOUSANDS.match(s):
            return _bounded(int(s.replace(".", "")))
        if _NEG.match(s):
            return None, E_NEGATIVE
        return None, E_NOT_A_NUMBER
    return None, E_NOT_A_NUMBER


def _looks_numeric(v) -> bool:
    """Whether a cell holds a number (or a number written as text): marks a data row."""
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, (int, float, Unevaluated)):
        return True
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        return bool(re.match(r"^[-−–]?\d[\d.,]*%?$", s))
    return False


def _parse_percent(v, number_format: str | None, formats_known: bool = True) -> tuple[float | None, int, str | None]:
    """A percentage cell -> (value in %, decimals printed, problem). Blank -> (None, 0, None).

    Without number formats (.xls/.ods read through calamine) a number up to 1 is read as a
    fraction (0.9779 = 97.79%), as Excel stores a cell formatted as a percentage."""
    if isinstance(v, Unevaluated):
        return None, 0, E_FORMULA.format(formula=str(v))
    if _is_blank(v) or (isinstance(v, str) and v.strip() in _BLANK_TEXT):
        return None, 0, None
    if isinstance(v, bool):
        return None, 0, E_PERCENT
    fmt = number_format or ""
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            return None, 0, E_PERCENT
        m = re.search(r"0\.(0+)", fmt)
        decimals = len(m.group(1)) if m else 2
        if not formats_known:
            pct = float(v) * 100 if 0 <= v <= 1 else float(v)
            frac = repr(round(pct, 8)).partition(".")[2].rstrip("0")
            decimals = min(len(frac), 6)
        else:
            pct = float(v) * 100 if "%" in fmt else float(v)
            if not m:  # no decimals in the format ("General"): as many as the value has, up to 6
                frac = repr(round(pct, 8)).partition(".")[2].rstrip("0")
                decimals = min(len(frac), 6) if "%" not in fmt else 2
        return (pct, decimals, None) if 0 <= pct <= 100 + 1e-9 else (None, 0, E_PERCENT)
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        m = _PERCENT_TEXT.match(s)
        if not m:
            return None, 0, E_PERCENT
        pct = float(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
        return (pct, len(m.group(2) or ""), None) if pct <= 100 else (None, 0, E_PERCENT)
    return None, 0, E_PERCENT



def _is_colnum_row(row: dict) -> bool:
    """Whether a row (column -> value) is the column-number row "(1) (2) (3)=(4)+(5) ..."
    or 1, 2, 3, ..."""
    cells = [row[c] for c in sorted(row) if not _is_blank(row[c])]
    if len(cells) < 3:
        return False
    if all(isinstance(v, str) and _COLNUM.match(v.strip()) for v in cells):
        return True
    ints = [v for v in cells if isinstance(v, int) and not isinstance(v, bool)]
    return len(ints) == len(cells) and ints == list(range(1, len(ints) + 1))
