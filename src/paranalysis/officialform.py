"""The official per-unit report form ("Tình hình, kết quả giải quyết thủ tục hành chính")
as analysts receive it from the provincial administrative-procedure information system,
exported to .xlsx: reading it into tidy ``processing`` rows, and writing one.

The layout (INDICATORS.md §1): title rows ("UBND TỈNH NGHỆ AN", the report title, "Quý II
năm 2024 (Từ ngày 15/03/2024 đến ngày 14/6/2024)"), "Đơn vị tính: Số hồ sơ TTHC", a header
over two or three merged rows, a row of column numbers "(1) (2) (3)=(4)+(5)+...", an STT
column, unit names with prefixes ("TP Vinh", "TX. Cửa Lò", "H. Quế Phong"), counts possibly
stored as text with "." thousands separators ("15.610" = 15610), percentage columns
("97,79%"), a "Tổng cộng" total row and signature lines below.

Columns are identified through the declarative mapping file
``paranalysis/resources/form_header_mapping.yaml`` (a new header wording needs an entry
there, not code). Every problem in a file is collected into one ``DataError``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from paranalysis.errors import DataError, Problem
from paranalysis.periods import QUARTER_FREQ, reporting_window, to_period
from paranalysis.schemas import COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS, PROCESSING_COLUMNS, validate
from paranalysis.units import UnitMatcher, fold, match_key, package_units

__all__ = ["read_official_form", "write_official_form", "load_mapping", "HeaderMapping", "FormWarning",
           "IDENTITIES", "RATES"]

MAPPING_FILE = "resources/form_header_mapping.yaml"
MAX_HEADER_SEARCH_ROWS = 40
MAX_HEADER_DEPTH = 4


class FormWarning(UserWarning):
    """Rows of an official form that were dropped (blank rows, total rows after their
    check, headings, notes and signature lines), counted."""


# Identities between the totals a form prints and the counts (checked, never stored).
IDENTITIES = {
    "records_total": ("carried_over", "received_online", "received_direct", "received_postal"),
    "received_total": ("received_online", "received_direct", "received_postal"),
    "resolved_total": ("resolved_early", "resolved_on_time", "resolved_late"),
    "pending_total": ("pending_not_due", "pending_overdue"),
}
# Rates a form may print, recomputed from the counts: (numerator, denominator) in %.
RATES = {
    "on_time_rate": (("resolved_early", "resolved_on_time"), ("resolved_early", "resolved_on_time", "resolved_late")),
    "online_share": (("received_online",), ("received_online", "received_direct", "received_postal")),
}

# ----------------------------------------------------------------------------- messages
# One constant per kind of problem (tests check each one).
E_UNREADABLE = "a readable .xlsx workbook"
E_NO_FORM = ("a sheet holding the report form: a header row with a unit-name column "
             "('Tên đơn vị', 'Đơn vị', ...) within the first {n} rows")
E_UNKNOWN_HEADER = ("a column header listed in form_header_mapping.yaml (normalised: '{norm}'); "
                    "add a pattern under counts, totals, rates or ignore")
E_AMBIGUOUS_HEADER = "a header that matches one field only (matches {fields}); make the mapping patterns longer"
E_DUPLICATE_COLUMN = "one column for {field} (already read from column {other})"
E_MISSING_COLUMN = "a column for {field} (a header such as '{example}'); none of the headers matched"
E_VALUES_WITHOUT_HEADER = "no values in a column without a header (or a header for this column)"
E_BLANK = "a count (blank cells are not read as 0: write 0)"
E_DECIMAL = ("a whole number of records (a decimal here may be a count typed with '.' as thousands "
             "separator that Excel read as a decimal, e.g. 15.61 for 15.610: retype it as text or a whole number)")
E_NEGATIVE = "a non-negative number of records"
E_NOT_A_NUMBER = "a whole number of records (digits, optionally with '.' thousands separators such as '15.610')"
E_DATE = "a number of records (Excel stored this cell as a date)"
E_PERCENT = "a percentage between 0 and 100 (such as '97,79%')"
E_RATE = "{rate} = {formula} = {computed:.4f}% (to the {decimals} decimals printed)"
E_IDENTITY = "{total} = {formula} = {expected}"
E_TOTAL_ROW = "the sum of the unit rows ({expected})"
E_UNKNOWN_UNIT = "a unit known to the units table{hint}"
E_AMBIGUOUS_UNIT = "a name that identifies one unit (it matches units {codes})"
E_MISSING_NAME = "a unit name for a row that has counts"
E_DUPLICATE_UNIT = "one row per unit and quarter (unit {code} is also in {where})"
E_NO_PERIOD = ("a title stating the quarter (e.g. 'Quý II năm 2024') or the period argument "
               "(e.g. period='2024Q2')")
E_PERIOD_CONFLICT = "the quarter stated in the title ({title}), which contradicts period={given!r}"
E_WINDOW = ("dates of the quarter's reporting window ({start:%d/%m/%Y} to {end:%d/%m/%Y}) "
            "or of the calendar quarter ({cstart:%d/%m/%Y} to {cend:%d/%m/%Y})")
E_NOT_QUARTERLY = "a quarterly report (this title names another period: '{what}')"
E_BAD_DATE = "a valid date dd/mm/yyyy"
E_BAD_PERIOD_ARG = "a quarter such as '2024Q2'"
E_NO_ROWS = "at least one unit row under the header"


# ----------------------------------------------------------------------------- mapping
def _norm_text(text) -> str:
    """Fold a header label: lower case, no diacritics or punctuation, single spaces."""
    s = fold(str(text)).replace("%", " ").replace(":", " ").replace("*", " ").replace("&", " ")
    return re.sub(r"\s+", " ", s).strip()


@dataclass(frozen=True)
class HeaderMapping:
    """The declarative header mapping: which normalised header paths mean which field."""

    filler: frozenset
    prefixes: tuple
    total_labels: frozenset
    stt: frozenset
    unit_name: frozenset
    patterns: tuple  # ((segment, ...), role, field)
    source: str

    def segment(self, text) -> str:
        """Normalise one header label (fold, then cut a leading 'Số hồ sơ'-like prefix)."""
        s = _norm_text(text)
        for p in self.prefixes:
            if s.startswith(p + " "):
                s = s[len(p) + 1:]
                break
        return s

    def path(self, labels) -> tuple:
        """Normalised header path from the labels of one column, top row first."""
        out: list[str] = []
        for lab in labels:
            if lab is None or str(lab).strip() == "":
                continue
            s = self.segment(lab)
            if not s or s in self.filler:
                continue
            if out and out[-1] == s:
                continue
            out.append(s)
        return tuple(out)

    def match(self, path: tuple) -> list[tuple[str, str]]:
        """The (role, field) pairs whose pattern is the longest suffix of ``path``."""
        best: list[tuple[str, str]] = []
        best_len = 0
        for segs, role, field in self.patterns:
            n = len(segs)
            if n <= len(path) and path[-n:] == segs:
                if n > best_len:
                    best, best_len = [(role, field)], n
                elif n == best_len and (role, field) not in best:
                    best.append((role, field))
        return best

    def example(self, field: str) -> str:
        return next((" > ".join(s) for s, _, f in self.patterns if f == field), field)


def _build_mapping(data: dict, source: str) -> HeaderMapping:
    prefixes = sorted({_norm_text(p) for p in data.get("segment_prefixes", [])}, key=len, reverse=True)
    base = HeaderMapping(
        filler=frozenset(_norm_text(x) for x in data.get("filler_segments", [])),
        prefixes=tuple(prefixes), total_labels=frozenset(), stt=frozenset(), unit_name=frozenset(),
        patterns=(), source=source,
    )

    def seg(x):
        return base.segment(x)

    def pat(text):
        return tuple(s for s in (seg(part) for part in str(text).split(">")) if s and s not in base.filler)

    patterns = []
    for role in ("counts", "totals", "rates"):
        for field, pats in (data.get(role) or {}).items():
            for p in pats:
                patterns.append((pat(p), role[:-1] if role != "counts" else "count", field))
    for kind, pats in (data.get("ignore") or {}).items():
        for p in pats:
            patterns.append((pat(p), "ignore", kind))
    return HeaderMapping(
        filler=base.filler, prefixes=base.prefixes,
        total_labels=frozenset(_norm_text(x) for x in data.get("total_row_labels", [])),
        stt=frozenset(seg(x) for x in data.get("stt", [])),
        unit_name=frozenset(seg(x) for x in data.get("unit_name", [])),
        patterns=tuple(p for p in patterns if p[0]), source=source,
    )


@lru_cache(maxsize=4)
def load_mapping(path: str | None = None) -> HeaderMapping:
    """The header mapping (the package's ``form_header_mapping.yaml`` unless ``path``)."""
    if path is None:
        res = resources.files("paranalysis").joinpath(MAPPING_FILE)
        text, source = res.read_text(encoding="utf-8"), "paranalysis/" + MAPPING_FILE
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    return _build_mapping(yaml.safe_load(text), source)


# ----------------------------------------------------------------------------- cells
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
    if isinstance(v, bool):
        return None, E_NOT_A_NUMBER
    if isinstance(v, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return None, E_DATE
    if isinstance(v, int):
        return (v, None) if v >= 0 else (None, E_NEGATIVE)
    if isinstance(v, float):
        if not math.isfinite(v):
            return None, E_NOT_A_NUMBER
        if v != int(v):
            return None, E_NEGATIVE if v < 0 else E_DECIMAL
        return (int(v), None) if v >= 0 else (None, E_NEGATIVE)
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        if s in _BLANK_TEXT:
            return None, E_BLANK
        if _DIGITS.match(s):
            return int(s), None
        if _THOUSANDS.match(s):
            return int(s.replace(".", "")), None
        if _NEG.match(s):
            return None, E_NEGATIVE
        return None, E_NOT_A_NUMBER
    return None, E_NOT_A_NUMBER


def _looks_numeric(v) -> bool:
    """Whether a cell holds a number (or a number written as text): marks a data row."""
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, (int, float)):
        return True
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        return bool(re.match(r"^[-−–]?\d[\d.,]*%?$", s))
    return False


def _parse_percent(v, number_format: str | None) -> tuple[float | None, int, str | None]:
    """A percentage cell -> (value in %, decimals printed, problem). Blank -> (None, 0, None)."""
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
        pct = float(v) * 100 if "%" in fmt else float(v)
        return (pct, decimals, None) if 0 <= pct <= 100 + 1e-9 else (None, 0, E_PERCENT)
    if isinstance(v, str):
        s = v.strip().replace("\u00a0", "").replace(" ", "")
        m = _PERCENT_TEXT.match(s)
        if not m:
            return None, 0, E_PERCENT
        pct = float(m.group(1) + ("." + m.group(2) if m.group(2) else ""))
        return (pct, len(m.group(2) or ""), None) if pct <= 100 else (None, 0, E_PERCENT)
    return None, 0, E_PERCENT


# ----------------------------------------------------------------------------- period
_Q_RE = re.compile(r"\bquy\s+(iv|iii|ii|i|[1-4])\s+(?:nam\s+)?(\d{4})\b")
_WINDOW_RE = re.compile(
    r"\btu\s+(?:ngay\s+)?(\d{1,2})\s+(\d{1,2})\s+(\d{4})\s+(?:(?:den|toi)\s+)?(?:ngay\s+)?(\d{1,2})\s+(\d{1,2})\s+(\d{4})")
_OTHER_PERIOD_RE = re.compile(r"\b(6 thang|sau thang|9 thang|chin thang|thang\s+\d{1,2}(?:\s+nam)?\s+\d{4}|nam\s+\d{4})\b")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _title_period(texts: list[tuple[int, str]], file: str, sheet: str):
    """Quarter named by the title rows -> (Period | None, row, text, problems)."""
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
                problems.append(Problem(file=file, sheet=sheet, row=row, column="title", value=text, expected=E_BAD_DATE))
    if quarter is None and window is None:
        for row, text in texts:
            m = _OTHER_PERIOD_RE.search(fold(text))
            if m and ("bao cao" in fold(text) or re.search(r"\b(thang|nam)\b", fold(text))) and \
                    not re.search(r"\bngay\s+\d", fold(text)):
                problems.append(Problem(file=file, sheet=sheet, row=row, column="title", value=text,
                                        expected=E_NOT_QUARTERLY.format(what=m.group(1))))
                break
        return None, None, None, problems
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
            problems.append(Problem(file=file, sheet=sheet, row=w_row, column="title", value=w_text,
                                    expected=E_WINDOW.format(start=rs, end=re_, cstart=target.start_time,
                                                             cend=target.end_time)))
        if quarter is None:
            quarter, q_row, q_text = target, w_row, w_text
    return quarter, q_row, q_text, problems


# ----------------------------------------------------------------------------- units
def _prepare_units(units: pd.DataFrame | None) -> pd.DataFrame:
    if units is None:
        return package_units()
    u = units.copy()
    for c in ("short_name_vi", "name_ascii", "aliases", "level", "unit_type"):
        if c not in u.columns:
            u[c] = None
    u["unit_code"] = u["unit_code"].astype(str)
    return u


def _suggest(name: str, matcher: UnitMatcher, units: pd.DataFrame) -> str:
    keys = list(matcher._index.keys())
    close = difflib.get_close_matches(match_key(name), keys, n=3, cutoff=0.6)
    names = units.set_index("unit_code")["name_vi"]
    out = []
    for k in close:
        for code in sorted(matcher._index[k]):
            label = f"{names.get(code, code)} ({code})"
            if label not in out:
                out.append(label)
    return f"; did you mean {', '.join(out[:3])}?" if out else ""


# ----------------------------------------------------------------------------- reader
@dataclass
class _Col:
    index: int  # 1-based Excel column
    letter: str
    written: str  # header path as written in the file
    role: str | None = None  # count, total, rate, ignore
    field: str | None = None

    @property
    def label(self) -> str:
        return f"{self.letter} ({self.written})" if self.written else self.letter


def _load_workbook(path: Path):
    import openpyxl

    try:
        return openpyxl.load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is a data problem of this file
        raise DataError([Problem(file=path.name, value=f"{type(exc).__name__}: {exc}"[:200],
                                 expected=E_UNREADABLE)], file=str(path)) from None


def _grid(ws):
    """Cell values and number formats (1-based), and the origin of every merged cell."""
    n_rows, n_cols = ws.max_row, ws.max_column
    values = [[None] * (n_cols + 2) for _ in range(n_rows + 2)]
    formats = [[None] * (n_cols + 2) for _ in range(n_rows + 2)]
    for row in ws.iter_rows(min_row=1, max_row=n_rows, max_col=n_cols):
        for cell in row:
            if cell.value is not None:
                values[cell.row][cell.column] = cell.value
                formats[cell.row][cell.column] = cell.number_format
    origin = {}
    for rng in ws.merged_cells.ranges:
        for r in range(rng.min_row, min(rng.max_row, n_rows) + 1):
            for c in range(rng.min_col, min(rng.max_col, n_cols) + 1):
                origin[(r, c)] = (rng.min_row, rng.min_col)
    return values, formats, origin, n_rows, n_cols


def _filled(values, origin, r, c):
    o = origin.get((r, c))
    return values[o[0]][o[1]] if o else values[r][c]


def _is_colnum_row(values, r, n_cols) -> bool:
    cells = [values[r][c] for c in range(1, n_cols + 1) if not _is_blank(values[r][c])]
    if len(cells) < 3:
        return False
    if all(isinstance(v, str) and _COLNUM.match(v.strip()) for v in cells):
        return True
    ints = [v for v in cells if isinstance(v, int) and not isinstance(v, bool)]
    return len(ints) == len(cells) and ints == list(range(1, len(ints) + 1))


def _read_sheet(ws, path: Path, mapping: HeaderMapping, matcher: UnitMatcher, units: pd.DataFrame,
                period, counters: dict):
    """Rows of one sheet -> (records, problems) or None if the sheet holds no form."""
    from openpyxl.utils import get_column_letter

    file, sheet = path.name, ws.title
    values, formats, origin, n_rows, n_cols = _grid(ws)
    # 1. header start: the first row with a unit-name header cell
    head = unit_col = None
    for r in range(1, min(n_rows, MAX_HEADER_SEARCH_ROWS) + 1):
        for c in range(1, n_cols + 1):
            v = values[r][c]
            if isinstance(v, str) and mapping.segment(v) in mapping.unit_name:
                head, unit_col = r, c
                break
        if head:
            break
    if head is None:
        return None
    problems: list[Problem] = []
    stt_cols = {c for c in range(1, n_cols + 1)
                if isinstance(values[head][c], str) and mapping.segment(values[head][c]) in mapping.stt}
    # 2. header depth: following rows without a unit name, without numbers, not the column-number row
    last = head
    while last + 1 <= n_rows and last + 1 - head < MAX_HEADER_DEPTH:
        r = last + 1
        cells = [values[r][c] for c in range(1, n_cols + 1)]
        if (not _is_blank(values[r][unit_col]) or _is_colnum_row(values, r, n_cols)
                or all(_is_blank(v) for v in cells) or any(_looks_numeric(v) for v in cells)):
            break
        last = r
    header_rows = list(range(head, last + 1))
    data_start = last + 1
    if data_start <= n_rows and _is_colnum_row(values, data_start, n_cols):
        data_start += 1
    # 3. columns
    cols: list[_Col] = []
    for c in range(1, n_cols + 1):
        if c == unit_col or c in stt_cols:
            continue
        labels = [_filled(values, origin, r, c) for r in header_rows]
        written = []
        for lab in labels:
            if not _is_blank(lab):
                t = re.sub(r"\s+", " ", str(lab)).strip()
                if not written or written[-1] != t:
                    written.append(t)
        col = _Col(c, get_column_letter(c), " > ".join(written))
        if written:
            npath = mapping.path(labels)
            found = mapping.match(npath)
            if not found:
                problems.append(Problem(file, sheet, head, col.label, col.written,
                                        E_UNKNOWN_HEADER.format(norm=" > ".join(npath))))
            elif len(found) > 1:
                problems.append(Problem(file, sheet, head, col.label, col.written,
                                        E_AMBIGUOUS_HEADER.format(fields=", ".join(f for _, f in found))))
            else:
                col.role, col.field = found[0]
        cols.append(col)
    by_field: dict[str, _Col] = {}
    for col in cols:
        if col.role in ("count", "total", "rate"):
            if col.field in by_field:
                problems.append(Problem(file, sheet, head, col.label, col.written,
                                        E_DUPLICATE_COLUMN.format(field=col.field, other=by_field[col.field].label)))
                col.role = "duplicate"
            else:
                by_field[col.field] = col
    for f in COUNT_COLUMNS:
        if f not in by_field:
            problems.append(Problem(file, sheet, head, None, None,
                                    E_MISSING_COLUMN.format(field=f, example=mapping.example(f))))
    # 4. period
    texts = [(r, str(values[r][c])) for r in range(1, head) for c in range(1, n_cols + 1)
             if isinstance(values[r][c], str) and values[r][c].strip()]
    title_q, q_row, q_text, p_probs = _title_period(texts, file, sheet)
    problems += p_probs
    if period is not None:
        if title_q is not None and title_q != period:
            problems.append(Problem(file, sheet, q_row, "title", q_text,
                                    E_PERIOD_CONFLICT.format(title=str(title_q), given=str(period))))
        quarter = period
    else:
        quarter = title_q
        if quarter is None and not any(p.column == "title" for p in p_probs):
            problems.append(Problem(file, sheet, None, "title", None, E_NO_PERIOD))
    # 5. rows
    value_cols = [c for c in cols if c.role in ("count", "total", "rate", "ignore", "duplicate") or not c.written]
    records = []
    seen: dict[str, int] = {}
    totals, others = [], []
    name_header = re.sub(r"\s+", " ", str(values[head][unit_col])).strip()
    name_label = f"{get_column_letter(unit_col)} ({name_header})"
    for r in range(data_start, n_rows + 1):
        row_vals = [values[r][c] for c in range(1, n_cols + 1)]
        if all(_is_blank(v) for v in row_vals):
            counters["blank"] += 1
            continue
        name = _filled(values, origin, r, unit_col)
        if _is_blank(name):
            name = next((values[r][c] for c in sorted(stt_cols) if isinstance(values[r][c], str)
                         and _norm_text(values[r][c]) in mapping.total_labels), None)
        name_s = None if _is_blank(name) else re.sub(r"\s+", " ", str(name)).strip()
        has_numbers = any(_looks_numeric(values[r][c.index]) for c in value_cols if c.role != "ignore")
        kind = "unit"
        code = None
        if name_s is not None and _norm_text(name_s) in mapping.total_labels:
            kind = "total"
        elif name_s is None:
            if not has_numbers:
                counters["text"] += 1
                continue
            problems.append(Problem(file, sheet, r, name_label, None, E_MISSING_NAME))
            kind = "unresolved"
        else:
            # units valid on the last day of the form's quarter; the name's prefix says its level
            on = None if quarter is None else quarter.end_time.normalize()
            code = matcher.resolve(name_s, level=None, on=on)
            cands = {code} if code is not None else matcher.candidates(name_s, on=on, level=None)
            if code is not None:
                pass
            elif len(cands) > 1:
                problems.append(Problem(file, sheet, r, name_label, name_s,
                                        E_AMBIGUOUS_UNIT.format(codes=", ".join(sorted(cands)))))
                kind = "unresolved"
            else:
                if not has_numbers:
                    counters["text"] += 1
                    continue
                problems.append(Problem(file, sheet, r, name_label, name_s,
                                        E_UNKNOWN_UNIT.format(hint="; " + matcher.explain(name_s, on=on))))
                kind = "unresolved"
        rec = {"_row": r}
        for col in cols:
            v = values[r][col.index]
            if col.role in ("count", "total"):
                n, err = _parse_count(v)
                if err and not (err == E_BLANK and col.field in OPTIONAL_COUNT_COLUMNS):
                    problems.append(Problem(file, sheet, r, col.label, None if _is_blank(v) else v, err))
                rec[col.field] = n
            elif col.role == "rate" or (col.role == "ignore" and col.field == "percent"):
                pct, dec, err = _parse_percent(v, formats[r][col.index])
                if err:
                    problems.append(Problem(file, sheet, r, col.label, v, err))
                elif col.role == "rate" and pct is not None:
                    rec["_rate_" + col.field] = (pct, dec, col)
            elif not col.written and not _is_blank(v):
                problems.append(Problem(file, sheet, r, col.label, v, E_VALUES_WITHOUT_HEADER))
        _check_row(rec, by_field, problems, file, sheet, r)
        if kind == "total":
            counters["total"] += 1
            totals.append(rec)
            continue
        if kind == "unresolved":  # reported above; its counts still belong to the table's sum
            others.append(rec)
            continue
        if code in seen:
            problems.append(Problem(file, sheet, r, name_label, name_s,
                                    E_DUPLICATE_UNIT.format(code=code, where=f"row {seen[code]}")))
            others.append(rec)
            continue
        seen[code] = r
        rec["unit_code"] = code
        records.append(rec)
    if not records and not problems:
        problems.append(Problem(file, sheet, data_start, name_label, None, E_NO_ROWS))
    # 6. total rows against the sum of the units
    for tot in totals:
        for field, col in by_field.items():
            if col.role not in ("count", "total") or tot.get(field) is None:
                continue
            vals = [rec.get(field) for rec in records + others]
            if not records or any(v is None for v in vals):
                continue
            s = sum(vals)
            if s != tot[field]:
                problems.append(Problem(file, sheet, tot["_row"], col.label, values[tot["_row"]][col.index],
                                        E_TOTAL_ROW.format(expected=s)))
    for rec in records:
        rec["_quarter"] = quarter
        rec["_source"] = f"{path.name}#{sheet}"
    return records, problems


def _check_row(rec: dict, by_field: dict, problems: list, file: str, sheet: str, r: int) -> None:
    """Identities (totals printed = sum of parts) and printed rates of one row."""
    for total, parts in IDENTITIES.items():
        if total not in by_field or rec.get(total) is None:
            continue
        if any(rec.get(p) is None for p in parts):
            continue
        expected = sum(rec[p] for p in parts)
        if rec[total] != expected:
            col = by_field[total]
            problems.append(Problem(file, sheet, r, col.label, rec[total],
                                    E_IDENTITY.format(total=col.written or total,
                                                      formula=" + ".join(by_field[p].written or p for p in parts),
                                                      expected=expected)))
    for rate, (num, den) in RATES.items():
        key = "_rate_" + rate
        if key not in rec or any(rec.get(p) is None for p in num + den):
            continue
        pct, dec, col = rec[key]
        d = sum(rec[p] for p in den)
        if d == 0:
            continue
        computed = 100.0 * sum(rec[p] for p in num) / d
        if abs(computed - pct) > 0.5 * 10 ** (-dec) + 1e-9:
            problems.append(Problem(file, sheet, r, col.label, pct,
                                    E_RATE.format(rate=rate, formula=f"({' + '.join(num)}) / ({' + '.join(den)})",
                                                  computed=computed, decimals=dec)))


def read_official_form(path, *, period=None, units: pd.DataFrame | None = None,
                       mapping: str | Path | None = None) -> pd.DataFrame:
    """Read an official report form (.xlsx) into tidy ``processing`` rows: one per unit,
    counts exact, ``synthetic=False``, ``source`` = "file#sheet".

    The quarter comes from the title ("Quý II năm 2024 (Từ ngày 15/03/2024 ...)") unless
    ``period`` is given; a ``period`` that contradicts the title is an error. Unit names
    are matched against ``units`` (default: the package's Nghe An units). Every sheet that
    holds the form is read. All problems are raised together in one ``DataError``; dropped
    rows (blank, total rows after their check, headings and signature lines) are counted
    in a ``FormWarning``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected="an existing file")], file=str(path))
    given = None
    if period is not None:
        try:
            given = to_period(period)
        except ValueError:
            raise DataError([Problem(file=path.name, column="period argument", value=period,
                                     expected=E_BAD_PERIOD_ARG)], file=str(path)) from None
    mp = load_mapping(None if mapping is None else str(mapping))
    unit_table = _prepare_units(units)
    matcher = UnitMatcher(unit_table)
    wb = _load_workbook(path)
    counters = {"blank": 0, "total": 0, "text": 0}
    records, problems, no_form = [], [], []
    for ws in wb.worksheets:
        out = _read_sheet(ws, path, mp, matcher, unit_table, given, counters)
        if out is None:
            no_form.append(ws.title)
            continue
        recs, probs = out
        records += recs
        problems += probs
    if len(no_form) == len(wb.worksheets):
        problems.append(Problem(file=path.name, sheet=", ".join(no_form) or None,
                                expected=E_NO_FORM.format(n=MAX_HEADER_SEARCH_ROWS)))
    # the same unit and quarter on two sheets
    seen: dict = {}
    for rec in records:
        key = (rec["unit_code"], rec["_quarter"])
        if rec["_quarter"] is not None and key in seen:
            problems.append(Problem(file=path.name, sheet=rec["_source"].split("#", 1)[1], row=rec["_row"],
                                    column="unit", value=rec["unit_code"],
                                    expected=E_DUPLICATE_UNIT.format(code=rec["unit_code"], where=seen[key])))
        seen.setdefault(key, f"sheet {rec['_source'].split('#', 1)[1]} row {rec['_row']}")
    if problems:
        raise DataError(problems, file=str(path))
    dropped = []
    if counters["total"]:
        dropped.append(f"{counters['total']} total row(s) (checked against the sum of the units)")
    if counters["blank"]:
        dropped.append(f"{counters['blank']} blank row(s)")
    if counters["text"]:
        dropped.append(f"{counters['text']} text row(s) without counts (headings, notes, signature lines)")
    if no_form:
        dropped.append(f"{len(no_form)} sheet(s) without the form ({', '.join(no_form)})")
    if dropped:
        warnings.warn(f"{path.name}: dropped " + "; ".join(dropped), FormWarning, stacklevel=2)
    return _tidy(records, path)


def _tidy(records: list[dict], path: Path) -> pd.DataFrame:
    n = len(records)
    data = {
        "unit_code": pd.Series([r["unit_code"] for r in records], dtype="str"),
        "period": pd.PeriodIndex([r["_quarter"] for r in records], freq=QUARTER_FREQ) if n
        else pd.PeriodIndex([], freq=QUARTER_FREQ),
    }
    for c in COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS:
        data[c] = pd.array([r.get(c) for r in records], dtype="Int64")
    data["synthetic"] = pd.Series([False] * n, dtype=bool)
    data["source"] = pd.Series([r["_source"] for r in records], dtype="str")
    df = pd.DataFrame(data)[PROCESSING_COLUMNS]
    rows = pd.Series([r["_row"] for r in records], dtype="int64")
    return validate(df, "processing", file=path.name, rows=rows)


# ----------------------------------------------------------------------------- writer
_STD = "standard"
_ALT = "alt_wording"


def _display_name(unit: pd.Series, variant: str) -> str:
    short = unit.get("short_name_vi") if isinstance(unit.get("short_name_vi"), str) else None
    kind = unit.get("unit_type") if isinstance(unit.get("unit_type"), str) else None
    name = unit["name_vi"]
    if short is None or kind not in {"city", "town", "district", "commune"}:
        return name
    if variant == _ALT:
        word = {"city": "thành phố", "town": "thị xã", "district": "huyện", "commune": "xã"}[kind]
        return f"UBND {word} {short}"
    prefix = {"city": "TP ", "town": "TX. ", "district": "H. ", "commune": "Xã "}[kind]
    return prefix + short


def _fmt_count(n: int, text: bool):
    return f"{int(n):,}".replace(",", ".") if text else int(n)


_ROMAN_OUT = {1: "I", 2: "II", 3: "III", 4: "IV"}


def write_official_form(rows: pd.DataFrame, path, *, period, units: pd.DataFrame | None = None,
                        province_title: str = "UBND TỈNH NGHỆ AN", variant: str = _STD,
                        text_numbers: bool = False) -> Path:
    """Write processing rows of one quarter as the official report form (.xlsx), in the
    layout analysts receive: title rows with the quarter and its reporting window, the
    units line, a three-row merged header, the column-number row, STT, unit names with
    prefixes, totals and an on-time rate, a "Tổng cộng" row and signature lines.

    ``variant="alt_wording"`` uses another province's wording ("Kỳ trước chuyển qua",
    "Trả đúng thời hạn", "UBND huyện ..."), a total row on top. ``text_numbers=True``
    stores counts as text with "." thousands separators and rates as "97,79%".
    """
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    if variant not in (_STD, _ALT):
        raise ValueError(f"variant must be {_STD!r} or {_ALT!r}")
    q = to_period(period)
    df = rows.copy()
    if "period" in df.columns:
        df = df[df["period"].map(lambda p: to_period(p) == q)]
    unit_table = _prepare_units(units).set_index("unit_code")
    with_returned = "returned_withdrawn" in df.columns and df["returned_withdrawn"].notna().any()

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"Quy {q.quarter}-{q.year}"
    bold = Font(bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    alt = variant == _ALT
    # columns: (key, leaf label); groups are merged above
    leaf = [("stt", "TT" if alt else "STT"), ("name", "Cơ quan, đơn vị" if alt else "Tên đơn vị"),
            ("records_total", "Tổng số"), ("carried_over", "Kỳ trước chuyển qua" if alt else "Từ kỳ trước"),
            ("received_online", "Trực tuyến"), ("received_direct", "Trực tiếp"),
            ("received_postal", "Qua BCCI" if alt else "Dịch vụ bưu chính"),
            ("resolved_total", "Tổng" if alt else "Tổng số"),
            ("resolved_early", "Trả trước hạn" if alt else "Trước hạn"),
            ("resolved_on_time", "Trả đúng thời hạn" if alt else "Đúng hạn"),
            ("resolved_late", "Trả quá hạn" if alt else "Quá hạn"),
            ("pending_total", "Tổng" if alt else "Tổng số"),
            ("pending_not_due", "Chưa đến hạn" if alt else "Trong hạn"), ("pending_overdue", "Quá hạn"),
            ("on_time_rate", "Tỷ lệ trả đúng hạn (%)" if alt else "Tỷ lệ giải quyết trước hạn và đúng hạn (%)")]
    if with_returned:
        leaf.append(("returned_withdrawn", "Trả lại/Rút HS" if alt else "Trả lại/Rút hồ sơ"))
    ncol = len(leaf)
    last_letter = get_column_letter(ncol)
    start, end = reporting_window(q)
    place = province_title.upper().replace("UBND", "").replace("TỈNH", "").replace("THÀNH PHỐ", "").strip().title()
    ws.merge_cells("A1:E1")
    ws["A1"] = province_title
    ws["A1"].font = bold
    ws.merge_cells(f"I1:{last_letter}1")
    ws["I1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["I1"].font = bold
    ws.merge_cells(f"I2:{last_letter}2")
    ws["I2"] = "Độc lập - Tự do - Hạnh phúc"
    ws.merge_cells(f"A4:{last_letter}4")
    ws["A4"] = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
    ws["A4"].font = Font(bold=True, size=13)
    ws.merge_cells(f"A5:{last_letter}5")
    if alt:
        ws["A5"] = f"Kỳ báo cáo: Quý {q.quarter}/{q.year} (từ {start.day}/{start.month}/{start.year} đến {end.day}/{end.month}/{end.year})"
    else:
        ws["A5"] = (f"Quý {_ROMAN_OUT[q.quarter]} năm {q.year} (Từ ngày {start:%d/%m/%Y} "
                    f"đến ngày {end.day}/{end.month}/{end.year})")
    ws.merge_cells(f"A6:{last_letter}6")
    ws["A6"] = "(Kèm theo Báo cáo số        /BC-UBND)"
    ws.merge_cells(f"{get_column_letter(ncol - 3)}7:{last_letter}7")
    ws.cell(7, ncol - 3, "Đơn vị tính: Số hồ sơ TTHC")
    for c in (1, 5, 9):
        ws.cell(1, c).alignment = center
    for c in (4, 5, 6):
        ws.cell(c, 1).alignment = center
    h = 8
    col_of = {k: i + 1 for i, (k, _) in enumerate(leaf)}

    def put(r1, c1, r2, c2, text):
        if (r1, c1) != (r2, c2):
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        cell = ws.cell(r1, c1, text)
        cell.font = bold
        cell.alignment = center
        for rr in range(r1, r2 + 1):
            for cc in range(c1, c2 + 1):
                ws.cell(rr, cc).border = border

    cs = col_of
    put(h, cs["stt"], h + 2, cs["stt"], leaf[0][1])
    put(h, cs["name"], h + 2, cs["name"], leaf[1][1])
    put(h, cs["records_total"], h, cs["received_postal"], "Số hồ sơ nhận giải quyết")
    put(h + 1, cs["records_total"], h + 2, cs["records_total"], "Tổng số")
    put(h + 1, cs["carried_over"], h + 2, cs["carried_over"], dict(leaf)["carried_over"])
    put(h + 1, cs["received_online"], h + 1, cs["received_postal"], "Mới tiếp nhận" if alt else "Trong kỳ")
    for k in ("received_online", "received_direct", "received_postal"):
        put(h + 2, cs[k], h + 2, cs[k], dict(leaf)[k])
    if alt:
        put(h, cs["resolved_total"], h, cs["pending_overdue"], "Kết quả giải quyết")
        put(h + 1, cs["resolved_total"], h + 1, cs["resolved_late"], "Đã giải quyết")
        put(h + 1, cs["pending_total"], h + 1, cs["pending_overdue"], "Đang giải quyết")
        for k in ("resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
                  "pending_total", "pending_not_due", "pending_overdue"):
            put(h + 2, cs[k], h + 2, cs[k], dict(leaf)[k])
    else:
        put(h, cs["resolved_total"], h, cs["resolved_late"], "Số hồ sơ đã giải quyết")
        put(h, cs["pending_total"], h, cs["pending_overdue"], "Số hồ sơ đang giải quyết")
        for k in ("resolved_total", "resolved_early", "resolved_on_time", "resolved_late",
                  "pending_total", "pending_not_due", "pending_overdue"):
            put(h + 1, cs[k], h + 2, cs[k], dict(leaf)[k])
    put(h, cs["on_time_rate"], h + 2, cs["on_time_rate"], dict(leaf)["on_time_rate"])
    if with_returned:
        put(h, cs["returned_withdrawn"], h + 2, cs["returned_withdrawn"], dict(leaf)["returned_withdrawn"])
    # column-number row
    nums = {k: f"({i + 1})" for i, (k, _) in enumerate(leaf)}
    nums["records_total"] += "=" + "+".join(nums[k] for k in ("carried_over", "received_online",
                                                              "received_direct", "received_postal"))
    nums["resolved_total"] += "=" + "+".join(nums[k] for k in ("resolved_early", "resolved_on_time", "resolved_late"))
    nums["pending_total"] += "=" + "+".join(nums[k] for k in ("pending_not_due", "pending_overdue"))
    for k, text in nums.items():
        cell = ws.cell(h + 3, cs[k], text)
        cell.alignment = center
        cell.border = border

    def values_of(rec) -> dict:
        v = {k: int(rec[k]) for k in COUNT_COLUMNS}
        v["records_total"] = sum(v[k] for k in IDENTITIES["records_total"])
        v["resolved_total"] = sum(v[k] for k in IDENTITIES["resolved_total"])
        v["pending_total"] = sum(v[k] for k in IDENTITIES["pending_total"])
        if with_returned:
            rw = rec.get("returned_withdrawn")
            v["returned_withdrawn"] = None if rw is None or pd.isna(rw) else int(rw)
        return v

    def write_row(r, stt, name, v):
        if stt is not None:
            ws.cell(r, cs["stt"], stt)
        ws.cell(r, cs["name"], name)
        for k, c in cs.items():
            if k in ("stt", "name", "on_time_rate"):
                continue
            if v.get(k) is not None:
                ws.cell(r, c, _fmt_count(v[k], text_numbers))
        if v["resolved_total"]:
            rate = (v["resolved_early"] + v["resolved_on_time"]) / v["resolved_total"]
            if text_numbers:
                ws.cell(r, cs["on_time_rate"], f"{100 * rate:.2f}%".replace(".", ","))
            else:
                cell = ws.cell(r, cs["on_time_rate"], round(rate, 6))
                cell.number_format = "0.00%"
        for c in range(1, ncol + 1):
            ws.cell(r, c).border = border

    recs = [values_of(rec) for rec in df.to_dict("records")]
    names = []
    for rec in df.to_dict("records"):
        code = str(rec["unit_code"])
        names.append(_display_name(unit_table.loc[code], variant) if code in unit_table.index else code)
    total = {k: sum(v[k] for v in recs) for k in (recs[0] if recs else {}) if k != "returned_withdrawn"}
    if with_returned:
        rws = [v.get("returned_withdrawn") for v in recs]
        total["returned_withdrawn"] = None if any(x is None for x in rws) else sum(rws)
    r = h + 4
    if alt and recs:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        write_row(r, None, None, total)
        ws.cell(r, 1, "Tổng cộng").font = bold
        r += 1
    for i, (v, name) in enumerate(zip(recs, names), start=1):
        write_row(r, i, name, v)
        r += 1
    if not alt and recs:
        write_row(r, None, "Tổng cộng", total)
        ws.cell(r, cs["name"]).font = bold
        r += 1
    # signature block (no personal names)
    r += 1
    right = max(ncol - 4, 3)
    ws.cell(r, right, f"{place}, ngày {end.day + 6} tháng {end.month} năm {end.year}").font = Font(italic=True)
    ws.cell(r + 1, cs["name"], "NGƯỜI LẬP BIỂU").font = bold
    ws.cell(r + 1, right, "KT. CHỦ TỊCH").font = bold
    ws.cell(r + 2, right, "PHÓ CHỦ TỊCH").font = bold
    ws.cell(r + 5, right, "(Đã ký)")
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 24
    for c in range(3, ncol + 1):
        ws.column_dimensions[get_column_letter(c)].width = 12
    path = Path(path)
    wb.save(path)
    return path
