"""What a dataset holds and how complete it is (notebook 01): table summary, coverage by
unit and quarter, problems of a DataError as a table, a deliberately broken official form
for demonstration, and the seed facts beside the same quantity computed from the data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from paranalysis import style
from paranalysis.dataset import Dataset
from paranalysis.errors import DataError
from paranalysis.i18n import (DEFAULT_LANG, MISSING, Message, WholeTable, display_table, fmt_date, fmt_number, quarter_label,
                              shown, t)
from paranalysis.schemas import COMBINED_COUNT_COLUMNS, COUNT_COLUMNS, with_combined
from paranalysis.style import styled



def _l(lang: str) -> dict:
    """The texts of the coverage figure (catalogue keys ``overview.*``)."""
    return {k: t(f"overview.{k}", lang) for k in ("cov_title", "cov_caption", "cov_synth", "quarter", "unit",
                                                  "records")}


def table_summary(ds: Dataset, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """One line per table: rows, synthetic rows, units, first and last period, files."""
    out = []
    for name in ("units", "processing", "investments", "rankings", "facts"):
        df = getattr(ds, name)
        first = last = None
        if name == "processing" and len(df):
            first, last = quarter_label(df["period"].min(), lang), quarter_label(df["period"].max(), lang)
        elif name == "investments" and len(df):
            first, last = fmt_date(df["date_in_operation"].min(), lang), fmt_date(df["date_in_operation"].max(), lang)
        elif name == "rankings" and len(df):
            first, last = str(df["year"].min()), str(df["year"].max())
        elif name == "facts" and len(df):
            d = pd.concat([df["period_start"], df["period_end"]]).dropna()
            first, last = (fmt_date(d.min(), lang), fmt_date(d.max(), lang)) if len(d) else (None, None)
        out.append({
            "table": t(f"table.{name}", lang), "rows": len(df),
            "synthetic_rows": int(df["synthetic"].sum()) if "synthetic" in df.columns else 0,
            "units": df["unit_code"].nunique() if "unit_code" in df.columns else None,
            "first": first, "last": last,
            "files": ", ".join(str(p.relative_to(ds.path)) for p in ds.files.get(name, [])) or MISSING,
        })
    return WholeTable(display_table(pd.DataFrame(out), lang))


def coverage(processing: pd.DataFrame) -> pd.DataFrame:
    """Records to handle (carried over + received) per unit (rows) and quarter (columns);
    missing where the unit has no row in that quarter. Received = online + (direct +
    postal), the combined count, so a Biểu 06 form (direct and postal as one number) counts."""
    if processing.empty:
        return pd.DataFrame()
    p = with_combined(processing)
    handled = (p["carried_over"] + p["received_online"] + p["received_direct_postal"]).astype("Float64")
    wide = (pd.DataFrame({"unit_code": p["unit_code"], "period": p["period"].astype(str), "handled": handled})
            .pivot(index="unit_code", columns="period", values="handled"))
    all_q = pd.period_range(p["period"].min(), p["period"].max(), freq="Q-DEC").astype(str)
    return wide.reindex(columns=list(all_q))


@styled
def plot_coverage(ds: Dataset, lang: str = DEFAULT_LANG):
    """Heatmap of :func:`coverage`, units by name, quarters along the bottom."""
    L = _l(lang)
    cov = coverage(ds.processing)
    names = ds.units.set_index("unit_code")["short_name_vi"].fillna(ds.units.set_index("unit_code")["name_vi"])
    labels = [f"{names.get(c, c)} ({c})" for c in cov.index]
    import matplotlib.pyplot as plt  # here, not at the top: the tables of this module need no pyplot
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FuncFormatter

    vals = cov.astype(float).where(cov > 0).to_numpy()
    cmap = plt.get_cmap("YlGnBu").copy()
    cmap.set_bad("white")  # no row: white, distinct from the lightest (yellow) colour
    fig, ax = plt.subplots(figsize=(11, 0.28 * len(cov) + 1.6))
    im = ax.imshow(np.ma.masked_invalid(vals), aspect="auto", cmap=cmap, interpolation="nearest",
                   norm=LogNorm(vmin=np.nanmin(vals), vmax=np.nanmax(vals)))
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    step = max(1, len(cov.columns) // 12)
    ax.set_xticks(range(0, len(cov.columns), step), list(cov.columns)[::step], rotation=45, ha="right", fontsize=8)
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, shrink=0.8, format=FuncFormatter(lambda v, _: f"{v:,.0f}"))
    cb.ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    cb.set_label(L["records"])
    synth = L["cov_synth"] if ds.processing["synthetic"].any() else ""
    style.finish(fig, title=L["cov_title"], xlabel=L["quarter"], ylabel=L["unit"],
                 caption=L["cov_caption"].format(n_cells=int(cov.notna().sum().sum()), n_units=len(cov),
                                                 n_q=len(cov.columns), first=cov.columns[0], last=cov.columns[-1],
                                                 synthetic=synth))
    return fig


def _file_shown(file, lang: str):
    """A problem's file as a reader sees it: the name only (never a folder of this machine),
    or, for a table named in words (a Message), those words in ``lang``."""
    if not file:
        return None
    return shown(file, lang) if isinstance(file, Message) else Path(file).name


def problems_table(err: DataError, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """The problems of a DataError, one row each (file name only, never a full path), in
    ``lang`` (what was expected, from the catalogue) and shown whole (no text cut)."""
    cols = ["file", "sheet", "excel_row", "column", "value", "expected"]
    df = pd.DataFrame([{
        "file": _file_shown(p.file, lang), "sheet": p.sheet, "excel_row": p.row,
        "column": shown(p.column, lang), "value": None if p.value is None else str(shown(p.value, lang)),
        "expected": shown(p.expected, lang),
    } for p in err.problems], columns=cols)
    return WholeTable(display_table(df, lang, plain=("excel_row",)))


def _decimals(x, most: int = 2) -> int:
    """The fewest decimals (up to ``most``) that write ``x`` as it was reported: 1 for 60.1, 0 for a rank."""
    return next((d for d in range(most) if abs(round(float(x), d) - float(x)) <= 1e-9 * max(1.0, abs(float(x)))),
                most)


def facts_table(facts: pd.DataFrame, lang: str = DEFAULT_LANG, columns=("fact_id", "unit_name", "period_label",
                "metric", "value", "measure_unit", "note")) -> pd.DataFrame:
    """The press facts as a reader sees them: the quantity and its unit of measure in words
    (catalogue ``metric.<code>``, ``measure.<unit>``), each value with the decimals it was
    reported with (ranks and counts whole), every row and every text whole (the quoted
    sentence verbatim)."""
    df = facts[list(columns)].rename(columns={"value": "fact_value"})
    out = display_table(df, lang, values={"metric": "metric.", "measure_unit": "measure."})
    if "fact_value" in df.columns:
        out[t("col.fact_value", lang)] = [fmt_number(v, lang, _decimals(v)) if not pd.isna(v) else MISSING
                                          for v in df["fact_value"].tolist()]
    return WholeTable(out)


def broken_form_example(rows: pd.DataFrame, folder, *, period) -> tuple[Path, Path, list[str]]:
    """Write a correct official form and a copy with planted faults (for demonstration).

    Returns (good path, broken path, list of the faults planted, in words). The faults:
    a count typed as "15,61" (comma: not a whole number), a unit name misspelt, a
    "Tổng cộng" cell that no longer equals the sum of the units, a negative count, and a
    title whose dates are those of another quarter.
    """
    import openpyxl

    from paranalysis.forms import write_official_form
    from paranalysis.periods import reporting_window, to_period

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    q = to_period(period)
    good = write_official_form(rows, folder / f"bao_cao_quy_{q.quarter}_{q.year}.xlsx", period=q, text_numbers=True)
    wb = openpyxl.load_workbook(good)
    ws = wb.active
    unit_rows = [c.row for c in ws["B"] if isinstance(c.value, str)
                 and (c.value[:3] in ("TP ", "TX.", "H. ") or c.value.startswith(("Xã ", "Phường ", "Thị trấn ")))]
    total_row = next(c.row for c in ws["B"] if c.value == "Tổng cộng")
    faults = []
    ws.cell(unit_rows[0], 6).value = "15,61"
    faults.append(f"F{unit_rows[0]}: '15,61'")
    name = ws.cell(unit_rows[1], 2).value
    ws.cell(unit_rows[1], 2).value = name + "x"
    faults.append(f"B{unit_rows[1]}: '{name}x'")
    ws.cell(total_row, 4).value = "1.000.000"
    faults.append(f"D{total_row}: '1.000.000'")
    ws.cell(unit_rows[2], 11).value = -3
    faults.append(f"K{unit_rows[2]}: -3")
    s, e = reporting_window(q + 1)
    ws.cell(5, 1).value = f"Quý {['I', 'II', 'III', 'IV'][q.quarter - 1]} năm {q.year} (Từ ngày {s:%d/%m/%Y} đến ngày {e:%d/%m/%Y})"
    faults.append(f"A5: {ws.cell(5, 1).value}")
    broken = folder / f"bao_cao_quy_{q.quarter}_{q.year}_loi.xlsx"
    wb.save(broken)
    return good, broken, faults


# Facts that measure the same thing as a processing-table quantity, per calendar year.
# Totals use the combined counts (direct + postal, early + on time), which every loaded table
# holds; a part that a Biểu 06 form does not give is missing (NaN), never 0.
_COMPARABLE = {
    "records_received": lambda p: (p["received_online"] + p["received_direct_postal"]).sum(),
    "records_received_new": lambda p: (p["received_online"] + p["received_direct_postal"]).sum(),
    "records_received_online": lambda p: p["received_online"].sum(),
    "records_received_direct": lambda p: p["received_direct"].sum(skipna=False),
    "online_share_pct": lambda p: 100 * p["received_online"].sum()
    / (p["received_online"] + p["received_direct_postal"]).sum(),
    "on_time_rate_pct": lambda p: 100 * p["resolved_early_on_time"].sum()
    / (p["resolved_early_on_time"] + p["resolved_late"]).sum(),
}


def beside_data_table(ds: Dataset, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """:func:`facts_beside_data` as a reader sees it: the quantity in words, the quarters
    of the data as quarters are written, each reported figure with the decimals it was
    reported with."""
    df = facts_beside_data(ds)
    if df.empty:
        return display_table(df, lang)
    df = df.assign(data_quarters=[MISSING if not q else "–".join(quarter_label(x, lang) for x in q.split("–"))
                                  for q in df["data_quarters"].tolist()])
    out = display_table(df, lang, values={"metric": "metric."})
    for col in ("reported", "data"):
        out[t(f"col.{col}", lang)] = [fmt_number(v, lang, _decimals(v)) for v in df[col].tolist()]
    return WholeTable(out)


def facts_beside_data(ds: Dataset) -> pd.DataFrame:
    """Each seed fact that has a counterpart in the processing table (same unit, same
    kind of quantity, the quarters of the fact's calendar year up to its end date) beside
    that counterpart. With the demo data the counterpart is synthetic: the comparison
    shows magnitudes, not agreement."""
    f, p = ds.facts, ds.processing
    out = []
    have = set(p["unit_code"])
    for rec in f.itertuples():
        if rec.metric not in _COMPARABLE or rec.unit_code not in have:
            continue
        start = rec.period_start if not pd.isna(rec.period_start) else None
        end = rec.period_end if not pd.isna(rec.period_end) else None
        year = (start or end).year if (start or end) is not None else None
        if year is None:
            continue
        last_q = pd.Period(end, freq="Q-DEC") if end is not None else pd.Period(f"{year}Q4", freq="Q-DEC")
        part = p[(p["unit_code"] == rec.unit_code) & (p["period"] >= pd.Period(f"{year}Q1", freq="Q-DEC"))
                 & (p["period"] <= last_q)]
        if part.empty:
            continue
        cols = COUNT_COLUMNS + COMBINED_COUNT_COLUMNS
        data_value = float(_COMPARABLE[rec.metric](with_combined(part)[cols].astype("float64")))
        out.append({
            "fact_id": rec.fact_id, "unit": rec.unit_name, "period": rec.period_label, "metric": rec.metric,
            "reported": rec.value, "data": round(data_value, 2),
            "data_quarters": f"{part['period'].min()}–{part['period'].max()}",
            "data_synthetic": bool(part["synthetic"].any()),
            "ratio_data_to_reported": round(data_value / rec.value, 2) if rec.value else None,
        })
    return pd.DataFrame(out)


def read_example(path, lang: str = DEFAULT_LANG) -> tuple[pd.DataFrame, list[str]]:
    """Read an official form as ``read_official_form`` does and keep what the reader noted
    about it (rows dropped, hidden rows, ...), in ``lang``: (tidy table, notes)."""
    import warnings

    from paranalysis.forms import FormWarning, read_official_form
    from paranalysis.i18n import shown

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FormWarning)
        tidy = read_official_form(path)
    return tidy, [str(shown(w.message, lang)) for w in caught if issubclass(w.category, FormWarning)]
