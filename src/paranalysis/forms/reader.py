"""Reading the official per-unit report form ("Tình hình, kết quả giải quyết thủ tục hành
chính") as provinces export it, into tidy ``processing`` rows.

The layout (INDICATORS.md §1): title rows ("UBND TỈNH NGHỆ AN", the report title, "Quý II
năm 2024 (Từ ngày 15/03/2024 đến ngày 14/6/2024)"), "Đơn vị tính: Số hồ sơ TTHC", a header
over two to four merged rows, a row of column numbers "(1) (2) (3)=(4)+(5)+...", an STT
column, maybe a unit-code column, unit names with prefixes ("TP Vinh", "H. Quế Phong"),
maybe sections ("I. Cấp tỉnh" ... with subtotals), counts possibly stored as text with "."
thousands separators ("15.610" = 15610), percentage columns ("97,79%"), a total row and
signature lines below.

Columns are identified through the declarative mapping (``forms.mapping``); a new wording
needs an entry in a mapping file, not code. Every problem of a file is collected into one
``DataError`` (at most ``limits.MAX_PROBLEMS`` listed, then how many more).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from paranalysis import limits
from paranalysis.errors import DataError, Problem
from paranalysis.forms.cells import _is_blank, _is_colnum_row, _looks_numeric, _parse_count, _parse_percent
from paranalysis.forms.mapping import HeaderMapping, _norm_text, is_rate_label, load_mapping
from paranalysis.forms.messages import *  # noqa: F403 - the message constants
from paranalysis.forms.messages import (COL_PERIOD_ARG, COL_TITLE, COL_UNIT, E_AMBIGUOUS_HEADER, E_AMBIGUOUS_UNIT,
                                        E_BAD_PERIOD_ARG, E_BLANK, E_CODE_NAME, E_DUPLICATE_COLUMN, E_DUPLICATE_UNIT,
                                        E_IDENTITY, E_MISSING_COLUMN, E_MISSING_NAME, E_MORE_PROBLEMS, E_NO_FORM,
                                        E_NO_PERIOD, E_NO_ROWS, E_NOT_QUARTERLY, E_OTHER_PERIOD, E_PART_EXCEEDS,
                                        E_PERIOD_CONFLICT, E_RATE, E_SUBTOTAL, E_TOTAL_ROW, E_UNIT_CODE,
                                        E_UNKNOWN_HEADER, E_UNKNOWN_UNIT, E_VALUES_WITHOUT_HEADER)
from paranalysis.forms.period import _title_period, check_span_window
from paranalysis.forms.sections import Section, heading_of, total_kind
from paranalysis.forms.workbook import Sheet, _letter, load_sheets
from paranalysis.i18n import Message, joined
from paranalysis.periods import QUARTER_FREQ, ReportSpan, to_report_period
from paranalysis.schemas import (COMBINED_COUNT_COLUMNS, COMBINED_COUNTS, COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS,
                                 PROCESSING_TABLE_COLUMNS, validate)
from paranalysis.units import UnitMatcher, package_units

MAX_HEADER_SEARCH_ROWS = 40
MAX_HEADER_DEPTH = 4
#: A sheet is taken for the form when its header maps at least this many count columns.
MIN_FORM_COUNT_COLUMNS = 3


class FormWarning(UserWarning):
    """Rows of an official form that were dropped (blank rows, total rows after their
    check, headings, notes and signature lines), counted; hidden rows/columns read."""


# Identities between the totals a form prints and the counts (checked; totals never stored).
# A combined count (received_direct_postal, resolved_early_on_time) stands for its two parts
# when the form prints them; otherwise for the form's own sum (Biểu 06) or its derivation.
IDENTITIES = {
    "records_total": ("carried_over", "received_online", "received_direct_postal"),
    "received_total": ("received_online", "received_direct_postal"),
    "resolved_total": ("resolved_early_on_time", "resolved_late"),
    "pending_total": ("pending_not_due", "pending_overdue"),
    **COMBINED_COUNTS,  # received_direct_postal = received_direct + received_postal, ...
}
# A combined count a form prints neither as a column nor as its parts, derived from a total:
# combined = total - other ("Tổng số tiếp nhận" with "Trong đó: Trực tuyến" only).
DERIVED = {
    "received_direct_postal": ("received_total", "received_online"),
    "resolved_early_on_time": ("resolved_total", "resolved_late"),
}
# Rates a form may print, recomputed from the counts: alternatives of (numerator, denominator)
# in %; the printed value must agree with one of them.
RATES = {
    "on_time_rate": [(("resolved_early_on_time",), ("resolved_early_on_time", "resolved_late")),
                     (("resolved_on_time",), ("resolved_early", "resolved_on_time", "resolved_late"))],
    "online_share": [(("received_online",), ("received_online", "received_direct_postal"))],
}
SPAN_COLUMNS = ["unit_code", "period_label", "period_kind", "period_start", "period_end",
                *COUNT_COLUMNS, *COMBINED_COUNT_COLUMNS, *OPTIONAL_COUNT_COLUMNS, "synthetic", "source"]


class ProblemLog(list):
    """Problems of one file, at most ``limit`` kept; the rest are counted."""

    def __init__(self, limit: int = limits.MAX_PROBLEMS):
        super().__init__()
        self.limit, self.more = limit, 0

    @property
    def full(self) -> bool:
        return len(self) >= self.limit

    def append(self, p) -> None:
        if len(self) < self.limit:
            super().append(p)
        else:
            self.more += 1

    def __iadd__(self, ps):
        for p in ps:
            self.append(p)
        return self

    def extend(self, ps) -> None:
        self.__iadd__(ps)

    def listed(self, file: str) -> list:
        out = list(self)
        if self.more:
            out.append(Problem(file=file, expected=E_MORE_PROBLEMS.format(n=self.more, limit=self.limit)))
        return out


# ----------------------------------------------------------------------------- units
def prepare_units(units: pd.DataFrame | None) -> pd.DataFrame:
    if units is None:
        return package_units()
    u = units.copy()
    for c in ("short_name_vi", "name_ascii", "aliases", "level", "unit_type", "valid_from", "valid_to"):
        if c not in u.columns:
            u[c] = None
    u["unit_code"] = u["unit_code"].astype(str)
    return u


_prepare_units = prepare_units


def _resolve(matcher: UnitMatcher, name: str, level: str | None, dates) -> set:
    """Unit codes a name can mean (paranalysis.units.UnitMatcher): units valid on the
    period's last day, of the level the form's section says (else of any
    level the name's prefix allows). One code: resolved; several: ambiguous; none: unknown."""
    for on in dates:
        for lv in ([level, None] if level else [None]):
            code = matcher.resolve(name, level=lv, on=on)
            if code is not None:
                return {code}
            cands = matcher.candidates(name, on=on, level=lv)
            if cands:
                return cands
    return set()


# ----------------------------------------------------------------------------- reader
@dataclass
class _Col:
    index: int  # 1-based Excel column
    letter: str
    written: str  # header path as written in the file
    role: str | None = None  # count, total, rate, ignore, addend
    field: str | None = None

    @property
    def label(self) -> str:
        return f"{self.letter} ({self.written})" if self.written else self.letter


def _yaml_entry(role: str | None, field: str | None, written: str) -> str:
    section = {"count": "counts", "total": "totals", "rate": "rates", "addend": "addends"}.get(role, "counts")
    key = field or "FIELD"
    text = written.replace('"', "'")
    return f'{section}:\n  {key}:\n    - "{text}"'


def _header(sheet: Sheet, by_row: dict, mapping: HeaderMapping):
    """(header row, unit-name column) of the first row with a unit-name header cell."""
    for r in sorted(x for x in by_row if x <= MAX_HEADER_SEARCH_ROWS):
        for c in sorted(by_row[r]):
            v = by_row[r][c]
            if isinstance(v, str) and mapping.segment(v) in mapping.unit_name:
                return r, c
    return None, None


def _read_sheet(sheet: Sheet, path: Path, mapping: HeaderMapping, matcher: UnitMatcher, units: pd.DataFrame,
                period, counters: dict, problems: ProblemLog):
    """Rows of one sheet -> records, or a str saying why the sheet holds no form."""
    file, name_ = path.name, sheet.name
    sh = name_
    by_row: dict[int, dict] = {}
    for (r, c), v in sheet.cells.items():
        by_row.setdefault(r, {})[c] = v
    n_cols = sheet.n_cols

    def val(r, c):
        return by_row.get(r, {}).get(c)

    head, unit_col = _header(sheet, by_row, mapping)
    if head is None:
        return Message("form.why_no_header")
    own: list[Problem] = []
    stt_cols = {c for c, v in by_row[head].items() if isinstance(v, str) and mapping.segment(v) in mapping.stt}
    code_cols = {c for c, v in by_row[head].items()
                 if isinstance(v, str) and mapping.segment(v) in mapping.unit_code and c != unit_col}
    code_col = min(code_cols) if code_cols else None
    # header depth: following rows without a unit name, without numbers, not the column-number row
    last = head
    while last + 1 - head < MAX_HEADER_DEPTH:
        r = last + 1
        cells = list(by_row.get(r, {}).values())
        if (not _is_blank(val(r, unit_col)) or _is_colnum_row(by_row.get(r, {}))
                or all(_is_blank(v) for v in cells) or any(_looks_numeric(v) for v in cells)):
            break
        last = r
    header_rows = list(range(head, last + 1))
    data_start = last + 1
    if _is_colnum_row(by_row.get(data_start, {})):
        data_start += 1
    # columns
    cols: list[_Col] = []
    for c in range(1, n_cols + 1):
        if c == unit_col or c in stt_cols or c == code_col:
            continue
        labels = [sheet.filled(r, c) for r in header_rows]
        written = []
        for lab in labels:
            if not _is_blank(lab):
                t = re.sub(r"\s+", " ", str(lab)).strip()
                if not written or written[-1] != t:
                    written.append(t)
        col = _Col(c, _letter(c), " > ".join(written))
        if written:
            npath = mapping.path(labels)
            found = mapping.match(npath)
            if is_rate_label(col.written):
                found = [f for f in found if f[0] == "rate" or f == ("ignore", "percent")]
                if not found:
                    kind = mapping.rate_field(npath)
                    found = [("rate", kind) if kind else ("ignore", "percent")]
            if not found:
                guess = mapping.guess(npath)
                own.append(Problem(file, sh, head, col.label, col.written,
                                   E_UNKNOWN_HEADER.format(norm=" > ".join(npath), source=mapping.source,
                                                           entry=_yaml_entry(*(guess or (None, None)), col.written))))
            elif len(found) > 1:
                own.append(Problem(file, sh, head, col.label, col.written,
                                   E_AMBIGUOUS_HEADER.format(fields=", ".join(f for _, f in found))))
            else:
                col.role, col.field = found[0]
        cols.append(col)
    by_field: dict[str, _Col] = {}
    addends: dict[str, list[_Col]] = {}
    for col in cols:
        if col.role in ("count", "total", "rate"):
            if col.field in by_field:
                own.append(Problem(file, sh, head, col.label, col.written,
                                   E_DUPLICATE_COLUMN.format(field=col.field, other=by_field[col.field].label)))
                col.role = "duplicate"
            else:
                by_field[col.field] = col
        elif col.role == "addend":
            addends.setdefault(col.field, []).append(col)
    n_counts = sum(1 for c in by_field.values() if c.role in ("count", "total"))
    if n_counts < MIN_FORM_COUNT_COLUMNS:
        return Message("form.why_few_counts", n=n_counts, min=MIN_FORM_COUNT_COLUMNS)
    derived = {}  # combined count -> (total, other) it is derived from on this sheet
    for c, parts in COMBINED_COUNTS.items():
        total, other = DERIVED[c]
        if c not in by_field and not any(p in by_field for p in parts) and total in by_field and other in by_field:
            derived[c] = (total, other)
            counters["derived"].append(Message("form.note_derived", sheet=sh, count=c, total=total, other=other,
                                               a=by_field[total].letter, b=by_field[other].letter))
    for f in COUNT_COLUMNS:
        if f not in by_field:
            comb = next(c for c, ps in [*COMBINED_COUNTS.items(), (f, (f,))] if f in ps)
            if comb in COMBINED_COUNTS and (comb in by_field or comb in derived) \
                    and not any(p in by_field for p in COMBINED_COUNTS[comb]):
                continue  # Biểu 06: only the sum is known; both parts stay missing
            own.append(Problem(file, sh, head, None, None,
                               E_MISSING_COLUMN.format(field=f, example=mapping.example(f))))
    problems += own
    # period
    texts = [(r, str(v)) for r in sorted(by_row) if r < head for c, v in sorted(by_row[r].items())
             if isinstance(v, str) and v.strip()]
    title_q, q_row, q_text, p_probs, other = _title_period(texts, file, sh)
    problems += p_probs
    if isinstance(period, ReportSpan):
        if title_q is not None:
            problems.append(Problem(file, sh, q_row, COL_TITLE, q_text,
                                    E_PERIOD_CONFLICT.format(title=str(title_q), given=str(period))))
        elif other is not None:
            span, o_row, o_text, window = other
            if isinstance(span, ReportSpan) and span != period:
                problems.append(Problem(file, sh, o_row, COL_TITLE, o_text,
                                        E_PERIOD_CONFLICT.format(title=span.label, given=period.label)))
            elif not isinstance(span, ReportSpan):
                problems.append(Problem(file, sh, o_row, COL_TITLE, o_text, E_NOT_QUARTERLY.format(what=span)))
            else:
                problems += check_span_window(period, window, file, sh)
        quarter = period
    elif period is not None:
        if title_q is not None and title_q != period:
            problems.append(Problem(file, sh, q_row, COL_TITLE, q_text,
                                    E_PERIOD_CONFLICT.format(title=str(title_q), given=str(period))))
        elif title_q is None and other is not None:
            span, o_row, o_text, _ = other
            problems.append(Problem(file, sh, o_row, COL_TITLE, o_text, E_PERIOD_CONFLICT.format(
                title=span.label if isinstance(span, ReportSpan) else span, given=str(period))))
        quarter = period
    else:
        quarter = title_q
        if quarter is None and other is not None:
            span, o_row, o_text, _ = other
            if isinstance(span, ReportSpan):
                problems.append(Problem(file, sh, o_row, COL_TITLE, o_text,
                                        E_OTHER_PERIOD.format(what=span.describe(), text=o_text.strip()[:120],
                                                              suggest=span.label)))
            else:
                problems.append(Problem(file, sh, o_row, COL_TITLE, o_text, E_NOT_QUARTERLY.format(what=span)))
        elif quarter is None and not any(p.column == "title" for p in p_probs):
            problems.append(Problem(file, sh, None, COL_TITLE, None, E_NO_PERIOD))
    # units as they were on the period's last day (paranalysis.units; docs/units.md)
    if isinstance(quarter, ReportSpan):
        dates = [quarter.end]
    elif quarter is not None:
        dates = [quarter.end_time.normalize()]
    else:
        dates = [None]
    names_of = dict(zip(units["unit_code"].astype(str), units["name_vi"]))
    # rows
    value_cols = [c for c in cols if c.role in ("count", "total", "rate", "ignore", "duplicate", "addend")
                  or not c.written]
    records = []
    seen: dict[str, int] = {}
    grand, others = [], []
    sections: list[Section] = []
    section: Section | None = None
    name_header = re.sub(r"\s+", " ", str(val(head, unit_col))).strip()
    name_label = f"{_letter(unit_col)} ({name_header})"
    code_label = f"{_letter(code_col)} ({val(head, code_col)})" if code_col else None
    last_row = max((r for r in by_row if r >= data_start), default=data_start - 1)
    counters["blank"] += sum(1 for r in range(data_start, last_row + 1) if r not in by_row
                             or all(_is_blank(v) for v in by_row[r].values()))
    for r in sorted(x for x in by_row if x >= data_start):
        row = by_row[r]
        if all(_is_blank(v) for v in row.values()):
            continue
        name = sheet.filled(r, unit_col)
        stt = next((row.get(c) for c in sorted(stt_cols) if not _is_blank(row.get(c))), None)
        if _is_blank(name):
            name = next((row.get(c) for c in sorted(stt_cols) if isinstance(row.get(c), str)
                         and total_kind(row.get(c), mapping)), None)
        name_s = None if _is_blank(name) else re.sub(r"\s+", " ", str(name)).strip()
        has_numbers = any(_looks_numeric(row.get(c.index)) for c in value_cols if c.role != "ignore")
        kind = "unit"
        code = None
        tk = total_kind(name_s, mapping) if name_s is not None else None
        if tk is not None:
            kind = "grand" if (tk == "grand" or section is None) else "sub"
            if kind == "sub":
                lv = mapping.section_level(name_s)
                target = next((s for s in reversed(sections) if lv and s.level == lv), section)
        elif name_s is None:
            if not has_numbers:
                counters["text"] += 1
                continue
            problems.append(Problem(file, sh, r, name_label, None, E_MISSING_NAME))
            kind = "unresolved"
        else:
            lvl = section.level if section else None
            cands = _resolve(matcher, name_s, lvl, dates)
            code_v = row.get(code_col) if code_col else None
            if code_col and not _is_blank(code_v):
                cv = matcher.resolve_code(code_v, on=dates[0])
                if cv is None:
                    problems.append(Problem(file, sh, r, code_label, code_v, E_UNIT_CODE.format(col=code_label)))
                    kind = "unresolved"
                elif cands and cv not in cands:
                    problems.append(Problem(file, sh, r, name_label, name_s,
                                            E_CODE_NAME.format(code=cv, code_name=names_of.get(cv, cv))))
                    kind = "unresolved"
                else:
                    code = cv
            elif len(cands) == 1:
                code = next(iter(cands))
            if kind == "unit" and code is None:
                is_heading, level = heading_of(stt, name_s, mapping)
                if not cands and is_heading:
                    section = Section(name_s, r, level)
                    sections.append(section)
                    counters["section"] += 1
                    if has_numbers:
                        kind = "heading"
                    else:
                        continue
                elif len(cands) > 1:
                    problems.append(Problem(file, sh, r, name_label, name_s,
                                            E_AMBIGUOUS_UNIT.format(codes=", ".join(sorted(cands)))))
                    kind = "unresolved"
                else:
                    if not has_numbers:
                        counters["text"] += 1
                        continue
                    counters["explained"] += 1  # an explanation searches every unit name: bounded
                    hint = (joined("", ["; ", matcher.explain(name_s, on=dates[0])])
                            if counters["explained"] <= limits.MAX_EXPLAINED_NAMES and not problems.full else "")
                    problems.append(Problem(file, sh, r, name_label, name_s, E_UNKNOWN_UNIT.format(hint=hint)))
                    kind = "unresolved"
        rec = {"_row": r}
        for col in cols:
            v = row.get(col.index)
            if col.role in ("count", "total", "addend"):
                n, err = _parse_count(v)
                optional = col.field in OPTIONAL_COUNT_COLUMNS or col.role == "addend"
                if err and not (err == E_BLANK and optional):
                    problems.append(Problem(file, sh, r, col.label, None if _is_blank(v) else v, err))
                if col.role == "addend":
                    rec.setdefault("_add_" + col.field, []).append(n)
                else:
                    rec[col.field] = n
            elif col.role == "rate" or (col.role == "ignore" and col.field == "percent"):
                pct, dec, err = _parse_percent(v, sheet.formats.get((r, col.index)), sheet.formats_known)
                if err:
                    problems.append(Problem(file, sh, r, col.label, v, err))
                elif col.role == "rate" and pct is not None:
                    rec["_rate_" + col.field] = (pct, dec, col)
            elif not col.written and not _is_blank(v):
                problems.append(Problem(file, sh, r, col.label, v, E_VALUES_WITHOUT_HEADER))
        for key in [k for k in rec if k.startswith("_add_")]:
            field = key[5:]
            if rec.get(field) is not None and all(x is not None for x in rec[key]):
                rec[field] += sum(rec[key])
        _fill_combined(rec, by_field, derived, problems, file, sh, r)
        _check_row(rec, by_field, problems, file, sh, r)
        if kind == "grand":
            counters["total"] += 1
            grand.append(rec)
            continue
        if kind == "sub":
            counters["total"] += 1
            target.subtotals.append(rec)
            continue
        if kind == "heading":
            counters["total"] += 1
            section.subtotals.append(rec)
            continue
        if section is not None:
            section.records.append(rec)
        if kind == "unresolved":  # reported above; its counts still belong to the table's sum
            others.append(rec)
            continue
        if code in seen:
            problems.append(Problem(file, sh, r, name_label, name_s,
                                    E_DUPLICATE_UNIT.format(code=code, where=Message("form.where_row", row=seen[code]))))
            others.append(rec)
            continue
        seen[code] = r
        rec["unit_code"] = code
        records.append(rec)
    if not records and not problems:
        problems.append(Problem(file, sh, data_start, name_label, None, E_NO_ROWS))
    # subtotals against their own section, totals against the sum of all units
    checks = [(tot, records + others, None) for tot in grand]
    checks += [(tot, s.records, s) for s in sections for tot in s.subtotals]
    for tot, members, sec in checks:
        for field, col in by_field.items():
            if col.role not in ("count", "total") or tot.get(field) is None:
                continue
            vals = [rec.get(field) for rec in members]
            if not members or any(v is None for v in vals):
                continue
            s = sum(vals)
            if s != tot[field]:
                msg = E_TOTAL_ROW.format(expected=s) if sec is None else E_SUBTOTAL.format(section=sec.label,
                                                                                          expected=s)
                problems.append(Problem(file, sh, tot["_row"], col.label, val(tot["_row"], col.index), msg))
    for rec in records:
        rec["_quarter"] = quarter
        rec["_source"] = f"{path.name}#{sh}"
    hidden_r = sorted(r for r in sheet.hidden_rows if r in by_row)
    hidden_c = sorted(c for c in sheet.hidden_cols if any(c in row for row in by_row.values()))
    if hidden_r or hidden_c:
        what = []
        if hidden_r:
            what.append(Message("form.note_hidden_rows",
                                rows=", ".join(map(str, hidden_r[:10])) + (" ..." if len(hidden_r) > 10 else "")))
        if hidden_c:
            what.append(Message("form.note_hidden_cols", cols=", ".join(_letter(c) for c in hidden_c[:10])))
        counters["hidden"].append(Message("form.note_hidden", sheet=sh,
                                          what=Message("form.note_and", a=what[0], b=what[1]) if len(what) == 2
                                          else what[0]))
    if sheet.evaluated:
        counters["formulas"].append(Message("form.note_formulas", sheet=sh, n=len(sheet.evaluated)))
    return records


def _fill_combined(rec: dict, by_field: dict, derived: dict, problems: list, file: str, sheet: str,
                   r: int) -> None:
    """The combined counts of one row that the form does not print: the sum of the printed
    parts, or (``derived``) a total less its other part, which must not be negative."""
    for c, (a, b) in COMBINED_COUNTS.items():
        if c in by_field:
            continue
        if a in by_field and b in by_field:
            rec[c] = None if rec.get(a) is None or rec.get(b) is None else rec[a] + rec[b]
        elif c in derived:
            total, other = derived[c]
            if rec.get(total) is None or rec.get(other) is None:
                continue
            if rec[other] > rec[total]:
                col = by_field[other]
                problems.append(Problem(file, sheet, r, col.label, rec[other],
                                        E_PART_EXCEEDS.format(total=by_field[total].label, value=rec[total])))
                continue
            rec[c] = rec[total] - rec[other]


def _expand(keys, by_field, keep: str | None = None) -> tuple:
    """Count names of a formula, a combined count replaced by its parts when the form prints them."""
    return tuple(q for k in keys for q in (COMBINED_COUNTS[k] if k in COMBINED_COUNTS and k != keep
                                           and all(x in by_field for x in COMBINED_COUNTS[k]) else (k,)))


def _check_row(rec: dict, by_field: dict, problems: list, file: str, sheet: str, r: int) -> None:
    """Identities (totals printed = sum of parts) and printed rates of one row. A combined
    count in an identity is replaced by its parts where the form prints them."""
    for total, parts in IDENTITIES.items():
        if total not in by_field or rec.get(total) is None:
            continue
        parts = _expand(parts, by_field, keep=total)
        if any(rec.get(p) is None for p in parts) or (total in COMBINED_COUNTS and any(p not in by_field for p in parts)):
            continue
        expected = sum(rec[p] for p in parts)
        if rec[total] != expected:
            col = by_field[total]
            problems.append(Problem(file, sheet, r, col.label, rec[total],
                                    E_IDENTITY.format(total=col.written or total,
                                                      formula=" + ".join(by_field[p].written if p in by_field
                                                                         else p for p in parts),
                                                      expected=expected)))
    for rate, alternatives in RATES.items():
        key = "_rate_" + rate
        if key not in rec:
            continue
        pct, dec, col = rec[key]
        tried = []
        if " truoc " in " " + _norm_text(col.written) + " ":  # "trước và đúng hạn": early counts in
            alternatives = alternatives[:1]
        for num, den in alternatives:
            num, den = _expand(num, by_field), _expand(den, by_field)
            if any(rec.get(p) is None for p in num + den):
                continue
            d = sum(rec[p] for p in den)
            if d == 0:
                tried = []
                break
            computed = 100.0 * sum(rec[p] for p in num) / d
            if abs(computed - pct) <= 0.5 * 10 ** (-dec) + 1e-9:
                tried = []
                break
            tried.append((num, den, computed))
        if tried:
            num, den, computed = tried[0]
            problems.append(Problem(file, sheet, r, col.label, pct,
                                    E_RATE.format(rate=rate, formula=f"({' + '.join(num)}) / ({' + '.join(den)})",
                                                  computed=computed, decimals=dec)))


def read_official_form(path, *, period=None, units: pd.DataFrame | None = None,
                       mapping: str | Path | None = None, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Read an official report form (.xlsx, .xlsm, .xls or .ods) into tidy ``processing``
    rows: one per unit, counts exact, ``synthetic=False``, ``source`` = "file#sheet".

    The quarter comes from the title ("Quý II năm 2024 (Từ ngày 15/03/2024 ...)") unless
    ``period`` is given; a ``period`` that contradicts the title is an error. A half-year,
    nine-month or annual report is refused unless ``period`` names that span ("2025H1",
    "2025M9", "2025"): it is then read into a span table (``SPAN_COLUMNS``), never into
    quarters. Unit names are matched against ``units`` (default: the package's Nghe An
    units) as they were at the period's end. Every sheet that holds the form is read.
    ``mapping`` (a YAML file) and the mapping file in ``data_dir`` are merged over the
    package's header mapping. All problems are raised together in one ``DataError``;
    dropped rows are counted in a ``FormWarning``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected=Message("form.existing_file"))], file=str(path))
    given = None
    if period is not None:
        try:
            given = to_report_period(period)
        except ValueError:
            raise DataError([Problem(file=path.name, column=COL_PERIOD_ARG, value=period,
                                     expected=E_BAD_PERIOD_ARG)], file=str(path)) from None
    mp = load_mapping(mapping, data_dir=data_dir)
    unit_table = prepare_units(units)
    matcher = UnitMatcher(unit_table)
    sheets = load_sheets(path)
    counters = {"blank": 0, "total": 0, "text": 0, "section": 0, "hidden": [], "formulas": [], "explained": 0,
                "derived": []}
    problems = ProblemLog()
    records, no_form = [], []
    for sheet in sheets:
        out = _read_sheet(sheet, path, mp, matcher, unit_table, given, counters, problems)
        if isinstance(out, str):
            no_form.append((sheet.name, out))
            continue
        records += out
    if len(no_form) == len(sheets):
        why = joined("; ", [joined(": ", [n, w]) for n, w in no_form]) or Message("form.why_no_sheet")
        problems.append(Problem(file=path.name, sheet=", ".join(n for n, _ in no_form) or None,
                                expected=Message("form.no_form_why", text=E_NO_FORM.format(n=MAX_HEADER_SEARCH_ROWS),
                                                 why=why)))
    # the same unit and period on two sheets
    seen: dict = {}
    for rec in records:
        key = (rec["unit_code"], str(rec["_quarter"]))
        if rec["_quarter"] is not None and key in seen:
            problems.append(Problem(file=path.name, sheet=rec["_source"].split("#", 1)[1], row=rec["_row"],
                                    column=COL_UNIT, value=rec["unit_code"],
                                    expected=E_DUPLICATE_UNIT.format(code=rec["unit_code"], where=seen[key])))
        seen.setdefault(key, Message("form.where_sheet_row", sheet=rec["_source"].split("#", 1)[1], row=rec["_row"]))
    if problems or problems.more:
        raise DataError(problems.listed(path.name), file=str(path))
    dropped = [Message(f"form.note_{kind}", n=counters[kind]) for kind in ("total", "section", "blank", "text")
               if counters[kind]]
    if no_form:
        dropped.append(Message("form.note_no_form", n=len(no_form), sheets=", ".join(n for n, _ in no_form)))
    notes = counters["hidden"] + counters["formulas"] + counters["derived"]
    if dropped or notes:  # the note: a Message, English as a string, shown in a page's language
        body = ([Message("form.note_dropped", items=joined("; ", dropped))] if dropped else []) + notes
        warnings.warn(Message("form.note", file=path.name, body=joined("; ", body)), FormWarning, stacklevel=2)
    if isinstance(given, ReportSpan):
        return _span_table(records, given)
    return _tidy(records, path)


def _tidy(records: list[dict], path: Path) -> pd.DataFrame:
    n = len(records)
    data = {
        "unit_code": pd.Series([r["unit_code"] for r in records], dtype="str"),
        "period": pd.PeriodIndex([r["_quarter"] for r in records], freq=QUARTER_FREQ) if n
        else pd.PeriodIndex([], freq=QUARTER_FREQ),
    }
    for c in COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS:
        data[c] = pd.array([r.get(c) for r in records], dtype="Int64")
    data["synthetic"] = pd.Series([False] * n, dtype=bool)
    data["source"] = pd.Series([r["_source"] for r in records], dtype="str")
    df = pd.DataFrame(data)[PROCESSING_TABLE_COLUMNS]
    rows = pd.Series([r["_row"] for r in records], dtype="int64")
    return validate(df, "processing", file=path.name, rows=rows)


def _span_table(records: list[dict], span: ReportSpan) -> pd.DataFrame:
    """Rows of a half-year, nine-month or annual report: the same counts, dated by
    ``period_label`` ("2025H1"), ``period_kind`` and ``period_start``/``period_end``."""
    n = len(records)
    data = {"unit_code": pd.Series([r["unit_code"] for r in records], dtype="str"),
            "period_label": pd.Series([span.label] * n, dtype="str"),
            "period_kind": pd.Series([span.kind] * n, dtype="str"),
            "period_start": pd.Series([span.start] * n, dtype="datetime64[ns]"),
            "period_end": pd.Series([span.end] * n, dtype="datetime64[ns]")}
    for c in COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS:
        data[c] = pd.array([r.get(c) for r in records], dtype="Int64")
    data["synthetic"] = pd.Series([False] * n, dtype=bool)
    data["source"] = pd.Series([r["_source"] for r in records], dtype="str")
    return pd.DataFrame(data)[SPAN_COLUMNS]
