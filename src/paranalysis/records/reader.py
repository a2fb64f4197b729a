"""Reading record exports: projection onto the allowed columns at scan time (personal
columns never become DataFrame columns), parsing and validation inside DuckDB."""

from __future__ import annotations

import glob as _glob
import re
import tempfile
import unicodedata
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.records.calendar import CALENDAR_END, CALENDAR_START, working_day_calendar

RECORD_COLUMNS = [
    "record_id", "unit_code", "procedure_code", "received_at", "due_at", "resolved_at",
    "channel", "status",
]
OPTIONAL_RECORD_COLUMNS = ["synthetic"]
CHANNELS = ("online", "direct", "postal")
STATUSES = ("resolved", "pending", "returned", "withdrawn")

# Spellings accepted in exports (compared after trimming and lower-casing; both NFC and NFD
# forms are listed so that decomposed Vietnamese text also matches).
_CHANNEL_ALIASES = {
    "online": ["online", "trực tuyến", "truc tuyen", "truc_tuyen", "dvctt", "internet"],
    "direct": ["direct", "trực tiếp", "truc tiep", "truc_tiep", "in person", "counter"],
    "postal": ["postal", "bưu chính", "buu chinh", "buu_chinh", "bưu chính công ích", "bcci", "post"],
}
_STATUS_ALIASES = {
    "resolved": ["resolved", "đã giải quyết", "da giai quyet", "da_giai_quyet", "đã trả kết quả", "done"],
    "pending": ["pending", "đang giải quyết", "dang giai quyet", "dang_giai_quyet", "in progress"],
    "returned": ["returned", "trả lại", "tra lai", "tra_lai", "từ chối", "refused"],
    "withdrawn": ["withdrawn", "rút", "rut", "rút hồ sơ", "rut ho so"],
}
# Export headers that mean one of our columns (compared folded: no accents, lower case, "_").
_HEADER_ALIASES = {
    "record_id": ["record_id", "ma_ho_so", "mahoso", "so_ho_so", "dossier_id"],
    "unit_code": ["unit_code", "ma_don_vi", "madonvi", "unit"],
    "procedure_code": ["procedure_code", "ma_tthc", "matthc", "ma_thu_tuc", "procedure"],
    "received_at": ["received_at", "ngay_tiep_nhan", "ngay_nhan", "received"],
    "due_at": ["due_at", "han_tra_ket_qua", "ngay_hen_tra", "han_xu_ly", "due"],
    "resolved_at": ["resolved_at", "ngay_tra_ket_qua", "ngay_hoan_thanh", "resolved"],
    "channel": ["channel", "kenh_nop", "hinh_thuc_nop", "kenh"],
    "status": ["status", "trang_thai", "tinh_trang"],
    "synthetic": ["synthetic"],
}
_TEXT_TIME_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y"]


# --------------------------------------------------------------------------------------
# The reader: projection at scan time, validation inside DuckDB
# --------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    s = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn").strip().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + str(s).replace('"', '""') + '"'


_DATA_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".txt")
_PARTITION = re.compile(r"^([^=/\\]+)=([^/\\]*)$")


def _kind_of(name: str) -> str | None:
    low = name.lower()
    if low.endswith(".parquet"):
        return "parquet"
    if low.endswith((".csv", ".csv.gz", ".txt")):
        return "csv"
    return None


def _is_data_file(p: Path) -> bool:
    """A file of a dataset folder: not hidden, not a marker (_SUCCESS, _metadata, .crc)."""
    return p.is_file() and not p.name.startswith((".", "_")) and _kind_of(p.name) is not None


def _glob_root(text: str) -> str:
    """The folder part of a glob before its first wildcard (the dataset's root)."""
    parts = Path(text).parts
    fixed = []
    for part in parts:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


def partition_keys(files: list[str], root: str | None) -> list[str]:
    """Hive-style partition keys (``year=2026/unit_code=426/part-0.parquet``) of the folders
    between ``root`` and each file; the same keys, in the same order, for every file."""
    if root is None:
        return []
    keys: list[str] | None = None
    for f in files:
        try:
            rel = Path(f).resolve().relative_to(Path(root).resolve()).parts[:-1]
        except ValueError:
            rel = ()
        ks = [m.group(1) for m in (_PARTITION.match(part) for part in rel) if m]
        if keys is None:
            keys = ks
        elif ks != keys:
            folders = "/".join(k + "=..." for k in keys) or Message("problem.rec.partitions_none")
            raise DataError([Problem(file=f, expected=Message("problem.rec.partitions_differ", folders=folders))])
    return keys or []


def _files(path) -> tuple[list[str], str, str | None]:
    """The data files of ``path`` (one file, a list, a glob, or a folder searched recursively,
    e.g. a partitioned dataset), their format, and the dataset's root folder (None for a
    single file or a list)."""
    root = None
    if isinstance(path, (list, tuple)):
        files = [str(p) for p in path]
    else:
        text = str(path)
        if any(ch in text for ch in "*?["):
            files = sorted(f for f in _glob.glob(text, recursive=True) if Path(f).is_file())
            root = _glob_root(text)
        elif Path(text).is_dir():
            root = text
            files = sorted(str(p) for p in Path(text).rglob("*") if _is_data_file(p))
            if not files:
                raise DataError([Problem(file=text, expected=Message("problem.rec.empty_folder"))])
        else:
            files = [text]
    if not files:
        raise DataError([Problem(file=str(path), expected=Message("problem.rec.no_match"))])
    kinds = set()
    for f in files:
        p = Path(f)
        if not p.is_file():
            raise DataError([Problem(file=f, expected=Message("problem.rec.missing_file"))])
        kind = _kind_of(p.name)
        if kind is None:
            raise DataError([Problem(file=f, expected=Message("problem.rec.file_kind"))])
        kinds.add(kind)
    if len(kinds) != 1:
        raise DataError([Problem(file=str(path), expected=Message("problem.rec.mixed_formats"))])
    return files, kinds.pop(), root


def _csv_header(file: str) -> tuple[list[str], str]:
    """Column names and delimiter of a CSV export, from its first line only."""
    import gzip

    opener = gzip.open if file.lower().endswith(".gz") else open
    try:
        with opener(file, "rt", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        raise DataError([Problem(file=file, row=1, expected=Message("problem.rec.csv_header"))]) from None
    return header_of_line(first)


def header_of_line(first: str) -> tuple[list[str], str]:
    """Column names (blank ones numbered, repeats suffixed ``__2``) and delimiter of a CSV
    header line."""
    import csv

    first = first.lstrip("\ufeff")
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=counts.get)
    names = next(csv.reader([first.rstrip("\r\n")], delimiter=delim)) if first.strip() else []
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name.strip() or f"column{i + 1}"
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}__{k + 1}")
    return out, delim


def _source_sql(files: list[str], kind: str, header: list[str] | None = None, delim: str = ",",
                partitions: list[str] | None = None) -> str:
    lst = "[" + ", ".join(_sql_str(f) for f in files) + "]"
    # partition folders (year=2026/unit_code=426/) become text columns; none are guessed otherwise
    hive = "hive_partitioning=true, hive_types_autocast=false" if partitions else "hive_partitioning=false"
    if kind == "parquet":
        return f"read_parquet({lst}, filename=true, file_row_number=true, {hive})"
    cols = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in header) + "}"
    return (f"read_csv({lst}, auto_detect=false, header=true, delim={_sql_str(delim)}, quote='\"', "
            f"escape='\"', columns={cols}, filename=true, {hive})")


@contextmanager
def _connect(threads: int | None = None, memory_limit: str | None = None):
    """An in-memory DuckDB connection whose spill folder is private and deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="paranalysis-duckdb-") as tmp:
        config = {"temp_directory": tmp}
        if threads:
            config["threads"] = int(threads)
        if memory_limit:
            config["memory_limit"] = memory_limit
        con = duckdb.connect(":memory:", config=config)
        try:  # no progress bar in outputs (in Jupyter DuckDB may refuse the setting without ipywidgets)
            con.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            pass
        try:
            yield con
        finally:
            con.close()


def _clean_engine_error(exc: Exception) -> str:
    """DuckDB's message without any quoted line or value of the file (which may hold
    personal data): its first line and the column-count line only, quotes blanked."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.startswith("Expected Number of Columns")]
    msg = " ".join(re.sub(r"(?i)original line.*", "", ln) for ln in keep)
    return re.sub(r"\"[^\"]{0,400}\"|'[^']{0,400}'", "<value>", msg).strip()


def resolve_columns(types: dict[str, str], rename: dict[str, str], label: str) -> dict[str, tuple[str, str]]:
    """Map each allowed column to (header in the export, its type) given the export's
    headers and types (``rename``: folded header -> our name). Raises DataError if a
    required column is missing or named twice. Shared by the DuckDB and Spark engines."""
    found: dict[str, list[str]] = {}
    for header in types:
        key = _fold(header)
        target = rename.get(key)
        if target is None:
            target = next((c for c, names in _HEADER_ALIASES.items() if key in names), None)
        if target is not None:
            found.setdefault(target, []).append(header)
    problems = []
    for c in RECORD_COLUMNS:
        if c not in found:
            problems.append(Problem(file=label, row=1, column=c,
                                    expected=Message("problem.rec.required_column", columns=RECORD_COLUMNS)))
    for c, headers in found.items():
        if len(headers) > 1:
            problems.append(Problem(file=label, row=1, column=c, value=" | ".join(headers),
                                    expected=Message("problem.rec.column_twice")))
    if problems:
        raise DataError(problems, file=label)
    return {c: (found[c][0], types[found[c][0]]) for c in found}


class _Scan:
    """The projection of one export onto the allowed columns, with parsed, typed values."""

    def __init__(self, path, *, rename: dict | None = None, channel_map: dict | None = None,
                 status_map: dict | None = None, root: str | None = None):
        self.files, self.kind, found_root = _files(path)
        self.root = root if root is not None else found_root
        self.partitions = partition_keys(self.files, self.root)
        self.label = self.files[0] if len(self.files) == 1 else str(path)
        self.rename_raw = rename
        self.rename = {_fold(k): v for k, v in (rename or {}).items()}
        self.channel_map = channel_map or {}
        self.status_map = status_map or {}
        self.header, self.delim = None, ","
        if self.kind == "csv":
            heads = [_csv_header(f) for f in self.files]
            self.header, self.delim = heads[0]
            for f, h in zip(self.files[1:], heads[1:]):
                if h != heads[0]:
                    raise DataError([Problem(file=f, row=1, expected=Message("problem.rec.same_header", first=self.files[0]))])
        self.source = _source_sql(self.files, self.kind, self.header, self.delim, self.partitions)

    def describe(self, con) -> dict[str, str]:
        if self.kind == "csv":
            return {h: "VARCHAR" for h in self.header} | {k: "VARCHAR" for k in self.partitions}
        try:
            rows = con.execute(f"DESCRIBE SELECT * FROM {self.source}").fetchall()
        except duckdb.Error as exc:
            raise DataError([Problem(file=self.label, expected=Message("problem.rec.unreadable",
                                                                       detail=_clean_engine_error(exc)))]) from None
        return {r[0]: r[1] for r in rows if r[0] not in ("filename", "file_row_number")}

    def resolve_columns(self, con) -> dict[str, tuple[str, str]]:
        """Map each allowed column to (header in the file, DuckDB type). Raises DataError if a
        required column is missing or named twice."""
        return resolve_columns(self.describe(con), self.rename, self.label)

    # -- expressions -------------------------------------------------------------------
    @staticmethod
    def _time_expr(col: str, dtype: str) -> str:
        c = _ident(col)
        t = dtype.upper()
        if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
            return f"CAST(timezone('Asia/Ho_Chi_Minh', {c}) AS TIMESTAMP)"
        if t.startswith("TIMESTAMP") or t == "DATE":
            return f"CAST({c} AS TIMESTAMP)"
        text = c if t == "VARCHAR" else f"CAST({c} AS VARCHAR)"
        fmts = "[" + ", ".join(_sql_str(f) for f in _TEXT_TIME_FORMATS) + "]"
        # COALESCE evaluates the second argument only where the first is NULL
        return f"coalesce(try_cast({text} AS TIMESTAMP), try_strptime(trim({text}), {fmts}))"

    @staticmethod
    def _raw_text(col: str, dtype: str) -> str:
        c = _ident(col)
        return f"NULLIF(trim(CAST({c} AS VARCHAR)), '')"

    def _map_expr(self, col: str, aliases: dict[str, list[str]], extra: dict) -> str:
        text = f"lower(trim(CAST({_ident(col)} AS VARCHAR)))"
        cases = []
        table: dict[str, set[str]] = {k: set() for k in aliases}
        for k, names in aliases.items():
            for n in names:
                table[k].update({n.lower(), unicodedata.normalize("NFD", n.lower()), unicodedata.normalize("NFC", n.lower())})
        for raw, k in extra.items():
            if k not in table:
                raise ValueError(f"unknown target {k!r} in mapping; expected one of {sorted(table)}")
            table[k].add(str(raw).strip().lower())
        for k, names in table.items():
            cases.append(f"WHEN {text} IN ({', '.join(_sql_str(n) for n in sorted(names))}) THEN {_sql_str(k)}")
        return "CASE " + " ".join(cases) + " END"

    def projection(self, con, *, keep_raw: bool = False, number_rows: bool = False, fast: bool = False) -> str:
        """SELECT over the file that names only allowed columns (the personal columns are
        never projected), with parsed timestamps. ``fast``: channel, status and codes as
        found in the file (mapped afterwards on their few distinct values), for streaming."""
        cols = self.resolve_columns(con)
        rec, due, res = (self._time_expr(*cols[c]) for c in ("received_at", "due_at", "resolved_at"))
        rc, rt = cols["resolved_at"]
        if rt.upper() == "VARCHAR":
            has_res = f"coalesce({_ident(rc)} <> '', false)"
        else:  # a typed column: present or not
            has_res = f"({_ident(rc)} IS NOT NULL)"
        if fast:
            rid, unit, proc, chan, stat = (
                (_ident(cols[c][0]) if cols[c][1].upper() == "VARCHAR" else f"CAST({_ident(cols[c][0])} AS VARCHAR)")
                for c in ("record_id", "unit_code", "procedure_code", "channel", "status"))
            rid = f"NULLIF({rid}, '')"
            unit = f"NULLIF({unit}, '')"
        else:
            rid, unit, proc = (self._raw_text(*cols[c]) for c in ("record_id", "unit_code", "procedure_code"))
            chan = self._map_expr(cols["channel"][0], _CHANNEL_ALIASES, self.channel_map)
            stat = self._map_expr(cols["status"][0], _STATUS_ALIASES, self.status_map)
        if "synthetic" in cols:
            scol, stype = _ident(cols["synthetic"][0]), cols["synthetic"][1].upper()
            synth = (f"coalesce({scol}, false)" if stype == "BOOLEAN"
                     else f"coalesce(try_cast(trim(CAST({scol} AS VARCHAR)) AS BOOLEAN), false)")
        else:
            synth = "false"
        # row: 1-based row of a Parquet file; line of a CSV file (header = line 1), which needs
        # a single-threaded scan so that rows are numbered in file order
        row = "file_row_number + 1" if self.kind == "parquet" else ("row_number() OVER () + 1" if number_rows else "NULL")
        raw = ""
        if keep_raw:
            raw = ", " + ", ".join(
                f"CAST({_ident(cols[c][0])} AS VARCHAR) AS {_ident('raw_' + c)}"
                for c in ("received_at", "due_at", "resolved_at", "channel", "status"))
        return f"""
            SELECT {"" if fast else f"filename AS _file, {row} AS _row,"}
                   {rid} AS record_id, {unit} AS unit_code, {proc} AS procedure_code,
                   {rec} AS received_at, {due} AS due_at, {res} AS resolved_at,
                   {has_res} AS _has_resolved_text,
                   {chan} AS channel, {stat} AS status, {synth} AS synthetic{raw}
            FROM {self.source}"""




def canonical(values: pd.Series, kind: str, extra: dict | None = None) -> pd.Series:
    """Map the channel or status codes found in an export to ours (None if unknown)."""
    aliases = _CHANNEL_ALIASES if kind == "channel" else _STATUS_ALIASES
    lookup = {}
    for k, names in aliases.items():
        for n in names:
            lookup[unicodedata.normalize("NFC", n.lower())] = k
    for raw, k in (extra or {}).items():
        if k not in aliases:
            raise ValueError(f"unknown target {k!r} in mapping; expected one of {sorted(aliases)}")
        lookup[unicodedata.normalize("NFC", str(raw).strip().lower())] = k
    def one(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        return lookup.get(unicodedata.normalize("NFC", str(v).strip().lower()))

    uniques = pd.unique(values.to_numpy(dtype=object))
    table = {u: one(u) for u in uniques}
    return pd.Series([table[v] for v in values.to_numpy(dtype=object)], index=values.index, dtype=object)


def _register_calendar(con, cal: pd.DataFrame) -> tuple[date, date]:
    arr = cal[["date", "wd_index"]].copy()
    arr["date"] = pd.to_datetime(arr["date"]).astype("datetime64[s]")
    con.register("_cal_df", arr)
    con.execute("CREATE OR REPLACE TEMP TABLE cal AS SELECT CAST(date AS DATE) AS d, CAST(wd_index AS INTEGER) AS wd FROM _cal_df")
    con.unregister("_cal_df")
    return cal["date"].iat[0], cal["date"].iat[-1]


def _checked_sql(scan: _Scan, con, cal_range: tuple[date, date], *, keep_raw: bool = False,
                 number_rows: bool = False) -> str:
    """Rows with parsed values, working days, and one flag per kind of fault."""
    lo, hi = (_sql_str(d.isoformat()) for d in cal_range)
    proj = scan.projection(con, keep_raw=keep_raw, number_rows=number_rows)
    return f"""
        WITH p AS ({proj})
        SELECT p.*,
               CASE WHEN p.status = 'resolved' THEN c2.wd - c1.wd END AS working_days,
               (p.record_id IS NULL) AS _f_record_id,
               (p.unit_code IS NULL) AS _f_unit_code,
               (p.received_at IS NULL) AS _f_received_at,
               (p.due_at IS NULL) AS _f_due_at,
               (p._has_resolved_text AND p.resolved_at IS NULL) AS _f_resolved_at,
               (p.channel IS NULL) AS _f_channel,
               (p.status IS NULL) AS _f_status,
               ((p.status = 'resolved' AND p.resolved_at IS NULL AND NOT p._has_resolved_text)
                 OR (p.status = 'pending' AND p._has_resolved_text)) AS _f_state,
               (p.resolved_at < p.received_at OR p.due_at < p.received_at) AS _f_order,
               (CAST(p.received_at AS DATE) NOT BETWEEN DATE {lo} AND DATE {hi}
                 OR CAST(p.resolved_at AS DATE) NOT BETWEEN DATE {lo} AND DATE {hi}) AS _f_range
        FROM p
        LEFT JOIN cal c1 ON c1.d = CAST(p.received_at AS DATE)
        LEFT JOIN cal c2 ON c2.d = CAST(p.resolved_at AS DATE) AND p.status = 'resolved'"""


_FLAGS = {
    "_f_record_id": ("record_id", Message("problem.rec.record_id")),
    "_f_unit_code": ("unit_code", Message("problem.rec.unit_code")),
    "_f_received_at": ("received_at", Message("problem.rec.received_at")),
    "_f_due_at": ("due_at", Message("problem.rec.due_at")),
    "_f_resolved_at": ("resolved_at", Message("problem.rec.resolved_at")),
    "_f_channel": ("channel", Message("problem.rec.channel", codes=list(CHANNELS))),
    "_f_status": ("status", Message("problem.rec.status", codes=list(STATUSES))),
    "_f_state": ("resolved_at", Message("problem.rec.state")),
    "_f_order": ("resolved_at", Message("problem.rec.order")),
    "_f_range": ("received_at", Message("problem.rec.range", first=CALENDAR_START, last=CALENDAR_END)),
}
_ANY_FLAG = "(" + " OR ".join(f"coalesce({f}, false)" for f in _FLAGS) + ")"
_RAW_OF = {"received_at": "raw_received_at", "due_at": "raw_due_at", "resolved_at": "raw_resolved_at",
           "channel": "raw_channel", "status": "raw_status"}


def _diagnose(scan: _Scan, cal: pd.DataFrame, max_problems: int = 50) -> list[Problem]:
    """Find the rows behind failed checks (slow path, single-threaded so CSV lines count in order)."""
    frames = []
    for f in scan.files:
        one = _Scan([f], rename=scan.rename_raw, channel_map=scan.channel_map, status_map=scan.status_map,
                    root=scan.root)
        with _connect(threads=1) as con:
            con.execute("SET preserve_insertion_order = true")
            rng = _register_calendar(con, cal)
            body = _checked_sql(one, con, rng, keep_raw=True, number_rows=True)
            frames.append(con.execute(f"SELECT * FROM ({body}) WHERE {_ANY_FLAG} ORDER BY _row "
                                      f"LIMIT {int(max_problems)}").df())
        if sum(len(x) for x in frames) >= max_problems:
            break
    rows = pd.concat(frames, ignore_index=True).head(max_problems)
    def show(v) -> str:
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)

    problems = []
    for _, r in rows.iterrows():
        for flag, (col, expected) in _FLAGS.items():
            if pd.isna(r[flag]) or not bool(r[flag]):
                continue
            if flag == "_f_range" and not pd.isna(r["received_at"]) and (
                    CALENDAR_START <= r["received_at"].date() <= CALENDAR_END):
                col = "resolved_at"
            if flag == "_f_order":
                value = (f"received {show(r['raw_received_at'])}, due {show(r['raw_due_at'])}, "
                         f"resolved {show(r['raw_resolved_at'])}")
            elif flag == "_f_state":
                value = f"status {show(r['raw_status'])!r}, resolved_at {show(r['raw_resolved_at'])!r}"
            else:
                value = show(r[_RAW_OF[col]] if col in _RAW_OF else r[col])
            problems.append(Problem(file=str(r["_file"]), row=int(r["_row"]), column=col,
                                    value=value, expected=expected))
    return problems


def _ids_proven_present(scan: _Scan, con) -> bool:
    """True when Parquet statistics prove that no record_id is missing or empty (no null in
    any row group and the smallest value is not the empty string), so the streaming pass
    need not read the codes themselves."""
    if scan.kind != "parquet":
        return False
    col = scan.resolve_columns(con)["record_id"][0]
    lst = "[" + ", ".join(_sql_str(f) for f in scan.files) + "]"
    try:
        rows = con.execute(f"SELECT stats_null_count, stats_min_value, num_values FROM parquet_metadata({lst}) "
                           f"WHERE path_in_schema = {_sql_str(col)}").fetchall()
    except duckdb.Error:
        return False
    return bool(rows) and all(n == 0 and v is not None and v != "" for n, v, _ in rows)


def fast_sql(scan: _Scan, con, cal_range: tuple[date, date]) -> str:
    """Rows for the streaming summaries: allowed columns as found, parsed timestamps,
    working days (for every row with a resolution time) and one flag for the faults that
    do not depend on the status (those are checked on the aggregated counts). Missing
    record_ids are checked row by row unless Parquet statistics already rule them out."""
    proj = scan.projection(con, fast=True)
    id_check = "FALSE" if _ids_proven_present(scan, con) else "p.record_id IS NULL"
    return f"""
        WITH p AS ({proj})
        SELECT p.*, c2.wd - c1.wd AS working_days,
               ({id_check} OR p.unit_code IS NULL OR p.received_at IS NULL OR p.due_at IS NULL
                OR (p._has_resolved_text AND p.resolved_at IS NULL)
                OR coalesce(p.resolved_at < p.received_at, false) OR coalesce(p.due_at < p.received_at, false)
                OR c1.wd IS NULL OR (p.resolved_at IS NOT NULL AND c2.wd IS NULL)) AS _bad_row
        FROM p
        LEFT JOIN cal c1 ON c1.d = CAST(p.received_at AS DATE)
        LEFT JOIN cal c2 ON c2.d = CAST(p.resolved_at AS DATE)"""


def _raise_if_bad(scan: _Scan, cal: pd.DataFrame, n_bad: int) -> None:
    if n_bad:
        problems = _diagnose(scan, cal)
        if not problems:  # should not happen; still refuse the data
            problems = [Problem(file=scan.label, expected=Message("problem.rec.valid_records"))]
        more = n_bad - len({(p.file, p.row) for p in problems})
        if more > 0:
            problems.append(Problem(file=scan.label, expected=Message("problem.rec.more_faults", more=more)))
        raise DataError(problems, file=scan.label)


def _run(con, sql: str, scan: _Scan):
    try:
        return con.execute(sql).df()
    except duckdb.Error as exc:
        raise DataError([Problem(file=scan.label, expected=Message("problem.rec.unreadable",
                                                                   detail=_clean_engine_error(exc)))],
                        file=scan.label) from None


def read_records(path, *, rename: dict | None = None, channel_map: dict | None = None,
                 status_map: dict | None = None, limit: int | None = None, **calendar_options) -> pd.DataFrame:
    """Read a record export into a DataFrame holding ONLY the allowed columns (personal
    columns are dropped at scan time), with typed values and ``working_days`` for resolved
    dossiers, sorted by receipt time. For small files; use :func:`summarize` for large ones. ``rename`` maps the
    export's headers to ours; ``channel_map``/``status_map`` map its codes."""
    scan = _Scan(path, rename=rename, channel_map=channel_map, status_map=status_map)
    cal = working_day_calendar(**calendar_options)
    with _connect() as con:
        rng = _register_calendar(con, cal)
        body = _checked_sql(scan, con, rng)
        n_bad = _run(con, f"SELECT count(*) FILTER ({_ANY_FLAG}) AS n FROM ({body})", scan)["n"].iat[0]
        _raise_if_bad(scan, cal, int(n_bad))
        lim = f"LIMIT {int(limit)}" if limit else ""
        df = _run(con, f"SELECT {', '.join(RECORD_COLUMNS)}, synthetic, working_days FROM ({body}) "
                  f"ORDER BY received_at, record_id {lim}", scan)
    for c in ("record_id", "unit_code", "procedure_code", "channel", "status"):
        df[c] = df[c].astype("str").where(df[c].notna(), None)
    for c in ("received_at", "due_at", "resolved_at"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["working_days"] = df["working_days"].astype("Int64")
    df["synthetic"] = df["synthetic"].astype(bool)
    return df


def export_columns(path, *, rename: dict | None = None) -> dict[str, list[str]]:
    """Which headers of an export are kept (``kept``: our column names) and which are
    dropped at scan time (``dropped``: the export's header names, never their values)."""
    scan = _Scan(path, rename=rename)
    with _connect() as con:
        cols = scan.resolve_columns(con)
        headers = list(scan.describe(con))
    used = {h for h, _ in cols.values()}
    return {"kept": [c for c in RECORD_COLUMNS + OPTIONAL_RECORD_COLUMNS if c in cols],
            "dropped": [h for h in headers if h not in used]}
