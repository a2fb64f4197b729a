"""The sentences of the waiting-time notebook (06) that carry text from data: header names
of a record export, unit codes. Every such text passes through
:func:`paranalysis.markup.esc`, so a header such as ``<iframe srcdoc=x>`` in a received
export is shown as text, never as markup."""

from __future__ import annotations

import math

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, MISSING, fmt_change, fmt_number, quarter_label, t
from paranalysis.markup import esc, esc_html


def _columns(names) -> str:
    """Header names of an export, each as code (escaped: a header is text from data)."""
    # in a code span Markdown is not read; HTML-escaped, and a backtick cannot end the span
    return ", ".join(f"`{esc_html(n).replace('`', chr(39))}`" for n in names) if len(names) else MISSING


def _names(names) -> str:
    return ", ".join(esc(n) for n in names) if len(names) else MISSING


def data_line(hist: pd.DataFrame, columns: dict, quarter, *, is_demo: bool, lang: str = DEFAULT_LANG) -> str:
    """What the notebook read (Markdown): the number of dossiers received up to
    ``quarter`` (marked synthetic for demo records), the quarters they span, the columns
    kept and the header names dropped at scan time (``columns`` as
    :func:`paranalysis.records.export_columns` gives them), then one line per
    reorganisation of units the series crosses."""
    from paranalysis import geography

    first = hist["period"].min() if len(hist) else None
    span = f"{esc(quarter_label(first, lang)) if first is not None else MISSING}–{esc(quarter_label(quarter, lang))}"
    head = t("records.data_line", lang, n=fmt_number(hist["records"].sum(), lang),
             synthetic=t("records.synthetic_mark", lang) if is_demo else "", span=span,
             kept=_columns(columns.get("kept", [])), n_dropped=len(columns.get("dropped", [])),
             dropped=_columns(columns.get("dropped", [])))
    if first is None:
        return head
    lines = geography.crossing_lines(first, quarter, lang, harmonized=False)
    return head + "\n\n" + "\n".join(f"- {x}" for x in lines)


def before_after_line(result, lang: str = DEFAULT_LANG) -> str:
    """The summary of :func:`paranalysis.records.analysis.before_after` (its TableResult,
    in Markdown): how many units, their mean change in working days against the
    comparison units, and which units were compared; says so plainly when no unit has the
    quarters needed."""
    ba = result.table
    comparison = _names(result.meta.get("comparison_units", []))
    if ba.empty:
        return t("records.ba_none", lang, comparison=comparison)
    mean = ba["change_vs_comparison"].mean()
    shown = fmt_change(mean, lang, 2) if not math.isnan(mean) else MISSING
    return t("records.ba_line", lang, n=len(ba), change=shown, comparison=comparison)

__all__ = ["before_after_line", "data_line"]
