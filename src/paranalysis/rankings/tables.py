"""Full ranking tables as published (all provinces in a year), read from CSV or Excel."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.rankings.ranks import competition_rank

# ---------------------------------------------------------------------------------------
# Full ranking tables as published (all provinces in a year), CSV or Excel
# ---------------------------------------------------------------------------------------

RANKING_TABLE_COLUMNS = ["index", "year", "unit_name", "unit_code", "score", "rank", "rank_published",
                         "rank_computed", "n_ranked", "source"]


def _comment_lines(path: Path) -> int:
    """Number of leading lines starting with '#' (a header of provenance notes)."""
    n = 0
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n


def _first_line_not_utf8(path: Path) -> tuple[int | None, bytes | None]:
    """The number and the first bytes of the first line of ``path`` that is not UTF-8
    (read in bounded pieces: a hostile file of one endless line costs no more memory)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        while part := fh.readline(1 << 16):
            try:
                decoder.decode(part)
            except UnicodeDecodeError:
                return line, part[:60]
            line += part.endswith(b"\n")
    return None, None


def _read_any(path: Path, *, sheet, header_hint: list[str]) -> tuple[pd.DataFrame, int, str | None]:
    """Read a published table as text. Returns the frame, the file line/row number of its
    first data row, and the sheet name (Excel)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        try:
            skip = _comment_lines(path)
            df = pd.read_csv(path, skiprows=skip, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError as exc:  # a file saved in another encoding: name the first line that is not UTF-8
            line, found = _first_line_not_utf8(path)
            raise DataError([Problem(file=str(path), row=line, value=found,
                                     expected=Message("problem.model.ranking_csv", error=str(exc)))]) from None
        except pd.errors.ParserError as exc:
            raise DataError([Problem(file=str(path),
                                     expected=Message("problem.model.ranking_csv", error=str(exc)))]) from None
        return df, skip + 2, None
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            book = pd.read_excel(path, sheet_name=None if sheet is None else sheet, header=None, dtype=str,
                                 engine="xlrd" if suffix == ".xls" else "openpyxl")
        except ValueError as exc:
            raise DataError([Problem(file=str(path), sheet=str(sheet) if sheet is not None else None,
                                     expected=Message("problem.model.ranking_workbook", error=str(exc)))]) from None
        if isinstance(book, dict):
            name, raw = next(iter(book.items()))
        else:
            name, raw = sheet, book
        raw = raw.fillna("")
        want = {h.strip().lower() for h in header_hint}
        for i in range(min(len(raw), 40)):
            cells = {str(v).strip().lower() for v in raw.iloc[i].tolist()}
            if want <= cells:
                header = [str(v).strip() for v in raw.iloc[i].tolist()]
                df = raw.iloc[i + 1:].copy()
                df.columns = header
                df = df.reset_index(drop=True)
                return df, i + 2, str(name)
        raise DataError([Problem(file=str(path), sheet=str(name), column=", ".join(header_hint),
                                 expected=Message("problem.model.ranking_header_row"))])
    raise DataError([Problem(file=str(path), value=path.suffix, expected=Message("problem.model.ranking_suffix"))])


def _number(text: str, decimal: str) -> float:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal == ",":
        t = t.replace(".", "").replace(",", ".") if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", t) else t.replace(",", ".")
    return float(t)


def load_ranking_table(path, *, index: str, year: int | None = None, score_column: str,
                       unit_column: str, rank_column: str | None = None, year_column: str | None = None,
                       higher_is_better: bool = True, sheet=None, n_ranked: int | None = None,
                       decimal: str = ".", na_values: Iterable[str] = (), check_ranks: bool = True,
                       keep_columns: Iterable[str] = (), where: Mapping[str, str] | None = None,
                       units: pd.DataFrame | None = None) -> pd.DataFrame:
    """A full published ranking table (every province in a year, or several years with a
    ``year_column``) from CSV or Excel, as a tidy frame with ranks recomputed.

    Leading ``#`` lines of a CSV are skipped (provenance headers); in a workbook the header
    row is the first row naming ``unit_column`` and ``score_column``. ``rank_computed`` is
    the competition rank of the score within each year; ``rank`` is the published rank
    (``rank_column``) where given, else the computed one. With ``check_ranks`` a published
    rank that differs from the computed one is a DataError (pass ``check_ranks=False`` to
    keep such a table and compare ``rank_published`` with ``rank_computed`` yourself).
    ``n_ranked`` defaults to the number of scored units in the year (give it when the table
    is an excerpt). ``where`` keeps only rows whose columns equal the given text (a file
    holding several tables, e.g. ``where={"table": "provinces_year_to_date_2025"}``).
    ``unit_code`` is filled where a name matches a known unit (``units``,
    default the package's Nghệ An list, so "Nghệ An" -> "40")."""
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected=Message("problem.model.ranking_file"))])
    if year is None and year_column is None:
        raise DataError([Problem(file=str(path), expected=Message("problem.model.ranking_year"))])
    if decimal not in {".", ","}:
        raise DataError([Problem(file=str(path), value=decimal, expected=Message("problem.model.ranking_decimal"))])
    where = dict(where or {})
    needed = [unit_column, score_column] + [c for c in (rank_column, year_column) if c] + list(keep_columns) \
        + list(where)
    raw, first_line, sheet_name = _read_any(path, sheet=sheet, header_hint=[unit_column, score_column])
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise DataError([Problem(file=str(path), sheet=sheet_name, column=c,
                                 expected=Message("problem.model.ranking_column",
                                                  found=", ".join(map(str, raw.columns))))
                         for c in missing])
    for c, v in where.items():
        raw = raw[raw[c].astype(str).str.strip() == str(v)]
        if raw.empty:
            raise DataError([Problem(file=str(path), sheet=sheet_name, column=c, value=v,
                                     expected=Message("problem.model.ranking_where_value"))])
    na = {str(v).strip() for v in na_values} | {"", "NA", "N/A", "-", "–", "nan", "NaN"}
    problems: list[Problem] = []

    def line(i: int) -> int:
        return first_line + int(i)

    def parse(col: str, whole: bool) -> pd.Series:
        out = []
        for i, v in raw[col].items():
            t = "" if v is None else str(v).strip()
            if t in na:
                out.append(float("nan"))
                continue
            try:
                f = _number(t, decimal)
                if whole and f != int(f):
                    raise ValueError
                out.append(f)
            except ValueError:
                hint = Message("problem.model.ranking_whole_number") if whole else (
                    Message("problem.model.ranking_number_decimal_comma")
                    if decimal == "." and re.fullmatch(r"-?\d+,\d+", t) else Message("problem.model.ranking_number"))
                problems.append(Problem(file=str(path), sheet=sheet_name, row=line(i), column=col, value=v,
                                        expected=hint))
                out.append(float("nan"))
        return pd.Series(out, index=raw.index, dtype=float)

    score = parse(score_column, whole=False)
    published = parse(rank_column, whole=True) if rank_column else pd.Series(float("nan"), index=raw.index)
    if year_column:
        years = parse(year_column, whole=True)
    else:
        years = pd.Series(float(year), index=raw.index)
    names = raw[unit_column].map(lambda v: "" if v is None else str(v).strip())
    for i, nm in names.items():
        if nm == "":
            problems.append(Problem(file=str(path), sheet=sheet_name, row=line(i), column=unit_column, value=nm,
                                    expected=Message("problem.model.ranking_unit_name")))
    if problems:
        raise DataError(problems, file=str(path))
    df = pd.DataFrame({"year": years, "unit_name": names, "score": score, "rank_published": published})
    for c in keep_columns:
        df[c] = raw[c]
    df["src_line"] = [line(i) for i in raw.index]
    if year is not None and year_column:
        df = df[df["year"] == float(year)]
    if df.empty:
        raise DataError([Problem(file=str(path), column=year_column, value=year,
                                 expected=Message("problem.model.ranking_rows_for_year"))])
    dup = df.duplicated(["year", "unit_name"], keep="first")
    if dup.any():
        raise DataError([Problem(file=str(path), sheet=sheet_name, row=int(r.src_line), column=unit_column,
                                 value=r.unit_name, expected=Message("problem.model.ranking_duplicate"))
                         for r in df[dup].itertuples()], file=str(path))
    df["rank_computed"] = df.groupby("year")["score"].transform(
        lambda s: competition_rank(s, higher_is_better=higher_is_better).astype(float))
    if n_ranked is not None:
        df["n_ranked"] = float(n_ranked)
    else:
        df["n_ranked"] = df.groupby("year")["score"].transform(lambda s: float(s.notna().sum()))
    if rank_column and check_ranks:
        bad = df["rank_published"].notna() & df["rank_computed"].notna() & (df["rank_published"] != df["rank_computed"])
        if bad.any():
            raise DataError([Problem(file=str(path), sheet=sheet_name, row=int(r.src_line), column=rank_column,
                                     value=int(r.rank_published),
                                     expected=Message("problem.model.ranking_rank_differs", rank=int(r.rank_computed),
                                                      score_column=score_column))
                             for r in df[bad].itertuples()], file=str(path))
    df["rank"] = df["rank_published"].where(df["rank_published"].notna(), df["rank_computed"])
    from paranalysis.units import UnitMatcher, package_units

    matcher = UnitMatcher(package_units() if units is None else units)
    code = {n: matcher.resolve(n, level="province") for n in dict.fromkeys(df["unit_name"])}  # once per name
    df["unit_code"] = df["unit_name"].map(lambda n: code[n] if code[n] else None).astype(object)
    df["index"] = index
    df["source"] = path.name + (f" [{sheet_name}]" if sheet_name else "")
    for c in ("year", "rank", "rank_published", "rank_computed", "n_ranked"):
        df[c] = df[c].astype("Int64")
    df = df.sort_values(["year", "rank_computed", "unit_name"], na_position="last").reset_index(drop=True)
    return df[RANKING_TABLE_COLUMNS + [c for c in keep_columns if c not in RANKING_TABLE_COLUMNS]]


def table_to_rankings(table: pd.DataFrame, *, scale: str | None = None, source: str | None = None,
                      note: str | None = None) -> pd.DataFrame:
    """Rows of a full ranking table for the units with a known ``unit_code`` (e.g. Nghệ An),
    in the ``rankings`` table's columns, ready to append to a dataset's rankings file."""
    from paranalysis.schemas import RANKING_COLUMNS, validate

    sub = table[table["unit_code"].notna()]
    out = pd.DataFrame({
        "index": sub["index"].astype(str), "year": sub["year"].astype("Int64"),
        "unit_code": sub["unit_code"].astype(str), "rank": sub["rank"].astype("Int64"),
        "n_ranked": sub["n_ranked"].astype("Int64"), "score": sub["score"].astype(float),
        "scale": scale, "source": source if source is not None else sub["source"].astype(str),
        "derived": sub["rank_published"].isna(), "synthetic": False, "note": note,
    })
    for c in ("scale", "note"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return validate(out[RANKING_COLUMNS].reset_index(drop=True), "rankings")


def reference_data_dir() -> Path | None:
    """The shared reference-data folder next to the repository (``<repo>/../shared/
    reference-data``), if present: published full tables used by the reference tests and
    optional notebook cells. None on a fresh clone. ``PARANALYSIS_REFERENCE_DATA`` overrides."""
    env = os.environ.get("PARANALYSIS_REFERENCE_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    for start in starts:
        for p in [start, *start.parents][:6]:
            cand = p / "shared" / "reference-data"
            if cand.is_dir():
                return cand
    return None


#: the published provincial panel of PCI, PAPI and sub-indices 2012-2021 (Le Trinh An), in reference-data
PCI_PANEL_FILE = "provincial_panel_pci_papi_cp_2012_2021_letrinhan.csv"


def load_pci_panel(reference: Path) -> pd.DataFrame:
    """The published PCI of every province, 2012-2021, with its sub-index columns
    (``PCI_COLUMNS_PANEL``), from the reference-data folder: the full tables that show how
    many points a place is worth."""
    from paranalysis.rankings.decompose import PCI_COLUMNS_PANEL

    return load_ranking_table(Path(reference) / PCI_PANEL_FILE, index="PCI", year_column="YEAR",
                              unit_column="Province", score_column="PCI", keep_columns=list(PCI_COLUMNS_PANEL))
