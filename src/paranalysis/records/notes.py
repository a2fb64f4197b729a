"""The sentences of the waiting-time notebook (06) that carry text from data: header names
of a record export, unit codes. Every such text passes through
:func:`paranalysis.markup.esc`, so a header such as ``<iframe srcdoc=x>`` in a received
export is shown as text, never as markup."""

from __future__ import annotations

import math

import pandas as pd

from paranalysis.i18n import fmt_number
from paranalysis.markup import esc


def _names(names) -> str:
    return ", ".join(esc(n) for n in names) if len(names) else "—"


def data_line(hist: pd.DataFrame, columns: dict, quarter, *, is_demo: bool, lang: str = "vi") -> str:
    """What the notebook read (Markdown): the number of dossiers received up to
    ``quarter`` (marked synthetic for demo records), the quarters they span, the columns
    kept and the header names dropped at scan time (``columns`` as
    :func:`paranalysis.records.export_columns` gives them), then one line per
    reorganisation of units the series crosses."""
    from paranalysis import geography

    first = hist["period"].min() if len(hist) else None
    span = f"{esc(first) if first is not None else '—'}–{esc(quarter)}"
    head = (f"**{fmt_number(hist['records'].sum(), lang)}** hồ sơ / dossiers"
            f"{' (MINH HỌA / SYNTHETIC)' if is_demo else ''}, {span}. "
            f"Cột được đọc / columns read: {_names(columns.get('kept', []))}. "
            f"Cột bị loại khi quét / dropped at scan: **{len(columns.get('dropped', []))}** "
            f"({_names(columns.get('dropped', []))}).")
    if first is None:
        return head
    lines = geography.crossing_lines(first, quarter, lang, harmonized=False)
    return head + "\n\n" + "\n".join(f"- {x}" for x in lines)


def before_after_line(result, lang: str = "vi") -> str:
    """The summary of :func:`paranalysis.records.analysis.before_after` (its TableResult,
    in Markdown): how many units, their mean change in working days against the
    comparison units, and which units were compared; says so plainly when no unit has the
    quarters needed."""
    ba = result.table
    comparison = _names(result.meta.get("comparison_units", []))
    if ba.empty:
        return ("Không đơn vị nào có đủ số quý trước và sau khi đưa đầu tư vào vận hành trong các hồ sơ này / "
                "no unit has the quarters needed before and after its investment came into operation "
                f"(nhóm so sánh / comparison: {comparison}).")
    mean = ba["change_vs_comparison"].mean()
    shown = fmt_number(mean, lang, 2) if not math.isnan(mean) else "—"
    sign = "+" if not math.isnan(mean) and mean > 0 else ""
    return (f"{len(ba)} đơn vị / units; thay đổi trung bình so với nhóm so sánh / mean change against the "
            f"comparison units: **{sign}{shown}** ngày làm việc / working days "
            f"(nhóm so sánh / comparison: {comparison}).")


__all__ = ["before_after_line", "data_line"]
