"""Reading the portal's Decision 766 exports into the tidy service-index table.

Two formats (docs/service-index.md):

- **the 2025 tabular export** (``report_tinh_766_service``): columns ``ID, TEN, TEN_COQUAN,
  MA_COQUAN, LOAI_COQUAN, CAPDONVIID, ID_COQUAN, TDGQ, MDHL, MDSH, TTTT, CLGQ, CKMB,
  TONG_SCORE, ROW_STT``; one sheet per period in an ``.xlsx``, or a ``.csv`` (optionally
  with a ``table`` column naming the sheet each row came from). The period is read from
  the sheet name ("provinces_month_2025_10", "Tháng 10/2025", "2025-YTD") or given.
- **the 2026 reporting API** (``/api/v1/reporting/evaluation/<endpoint>``): one JSON
  response per endpoint and period (``transparency``, ``handling-satisfaction``,
  ``dossier-digitized``, ``dvc-progress-tree``, ``provide-online-tree``,
  ``formality-online-payment-tree``), the parent unit and its children. The period and
  capture time come from the request, kept beside the response in a sidecar
  (``<file>.meta.json``, written by ``paranalysis fetch-service-index``) or in a capture
  manifest (``manifest*.json`` with ``captures``), or are given.

Missing values stay missing (a ``null`` score is NaN, never 0). Totals are checked
against the sum of their parts where the export says they are one (2025 ``TONG_SCORE``;
2026 group ``totalScore`` against its metric scores).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.limits import (MAX_COUNT, MAX_FILE_BYTES, MAX_JSON_BYTES, MAX_PROBLEMS, MAX_SHEET_COLS,
                               MAX_SHEET_ROWS)
from paranalysis.serviceindex import periods as P
from paranalysis.serviceindex.schema import (MAX_SCORES, SUM_TOLERANCE, coerce, empty_frame,
                                             unit_key, validate)

#: 2025 export columns -> group (meaning from the truongquangphuc/new-766 code, see README)
COLUMNS_2025 = {"CKMB": "transparency", "TDGQ": "progress", "CLGQ": "online_service", "TTTT": "online_payment",
                "MDSH": "digitisation", "MDHL": "satisfaction", "TONG_SCORE": "total"}
REQUIRED_2025 = ["ID", "TEN", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CAPDONVIID", "ID_COQUAN", "TDGQ", "MDHL",
                 "MDSH", "TTTT", "CLGQ", "CKMB", "TONG_SCORE", "ROW_STT"]
LEVEL_2025 = {"1": "province", "2": "agency", "3": "commune"}

#: 2026 endpoints -> group
ENDPOINTS = {
    "transparency": "transparency",
    "dvc-progress-tree": "progress",
    "provide-online-tree": "online_service",
    "formality-online-payment-tree": "online_payment",
    "dossier-digitized": "digitisation",
    "handling-satisfaction": "satisfaction",
}
#: metric codes that identify a shape-A endpoint
_METRIC_ENDPOINT = {"PUBLISH_ON_TIME": "transparency", "DOSSIER_SYNC": "transparency",
                    "ORIGINAL_RESULT_AVAILABLE": "dossier-digitized",
                    "DOSSIER_RECEIVING_SATISFACTION": "handling-satisfaction"}
#: fields of a shape-B unit that go into the named columns (the rest into other_counts)
_B_FIELDS = {"totalReceived": "received", "totalOnTime": "on_time", "totalOverdue": "overdue",
             "totalCompleted": "completed", "avgProcessingDays": "avg_processing_days", "ratio": "ratio"}
_ID_FIELDS = {"departmentId", "departmentName", "departmentCode", "level", "departmentType", "departmentLevel",
              "agencyLevel", "stt", "metrics", "score", "maxScore", "totalScore", "totalMaxScore", "scoreDelta"}
NGHE_AN_PORTAL_CODE = "H41"


def _problem_cap(problems: list[Problem], file: str) -> None:
    if problems:
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [Problem(file=file,
                                                          expected=Message("problem.si.more_problems", more=more))]
        raise DataError(problems, file=file)


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError([Problem(file=path.name, value=Message("problem.value.bytes", n=size),
                                 expected=Message("problem.si.file_bytes", limit=MAX_FILE_BYTES))])


def _num(v):
    """A number from a cell, or NaN for an empty cell; ValueError for anything else."""
    if v is None:
        return math.nan
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, (int, float)):
        return float(v)
    t = str(v).strip().replace("\u00a0", "")
    if t in {"", "-", "–", "NA", "N/A", "null", "None", "nan"}:
        return math.nan
    return float(t)


# --------------------------------------------------------------------------------------
# 2025 tabular export
# --------------------------------------------------------------------------------------

def _sheets_from_csv(path: Path) -> list[tuple[str, list[dict], list[int]]]:
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        skip += 1
    reader = csv.reader(io.StringIO("".join(lines[skip:])))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DataError([Problem(file=path.name, expected=Message("problem.si.csv_header"))]) from None
    groups: dict[str, tuple[list[dict], list[int]]] = {}
    for k, row in enumerate(reader):
        if k >= MAX_SHEET_ROWS:
            raise DataError([Problem(file=path.name, row=skip + k + 2, expected=Message("problem.si.max_rows",
                                                                                        limit=MAX_SHEET_ROWS))])
        if not any(c.strip() for c in row):
            continue
        rec = dict(zip(header, row))
        sheet = rec.get("table", "").strip() if "table" in header else ""
        recs, lines_ = groups.setdefault(sheet, ([], []))
        recs.append(rec)
        lines_.append(skip + k + 2)
    if not groups:
        groups[""] = ([], [])
    return [(name, recs, ln) for name, (recs, ln) in groups.items()] if "table" in header or groups else []


def _sheets_from_xlsx(path: Path) -> list[tuple[str, list[dict], list[int]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is a data problem of this file
        raise DataError([Problem(file=path.name, value=f"{type(exc).__name__}: {exc}"[:200],
                                 expected=Message("problem.si.xlsx_opens"))]) from None
    out = []
    try:
        for ws in wb.worksheets:
            header, recs, lines = None, [], []
            for r, row in enumerate(ws.iter_rows(max_col=MAX_SHEET_COLS, values_only=True), start=1):
                if r > MAX_SHEET_ROWS:
                    raise DataError([Problem(file=path.name, sheet=ws.title, row=r,
                                             expected=Message("problem.si.max_rows", limit=MAX_SHEET_ROWS))])
                cells = ["" if v is None else v for v in row]
                if header is None:
                    names = [str(v).strip() for v in cells]
                    if "MA_COQUAN" in names and "TONG_SCORE" in names:
                        header = names
                    elif r >= 40:
                        break
                    continue
                if not any(str(v).strip() for v in cells):
                    continue
                recs.append({h: v for h, v in zip(header, cells) if h})
                lines.append(r)
            if header is not None:
                out.append((ws.title, recs, lines))
    finally:
        wb.close()
    if not out:
        raise DataError([Problem(file=path.name, column="MA_COQUAN, TONG_SCORE",
                                 expected=Message("problem.si.xlsx_header"))])
    return out


def _is_tidy_csv(path: Path) -> bool:
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if not line.lstrip().startswith("#"):
                head = {h.strip() for h in next(csv.reader([line]))}
                return {"unit_id", "period", "component", "score", "formula_version"} <= head
    return False


def read_tidy_csv(path: Path) -> pd.DataFrame:
    """A service-index table saved in the package's own columns (``SERVICE_INDEX_COLUMNS``;
    leading ``#`` lines are provenance), e.g. the bundled published figures."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    skip = 0
    while skip < len(lines) and lines[skip].lstrip().startswith("#"):
        skip += 1
    raw = pd.read_csv(io.StringIO("".join(lines[skip:])), dtype=str, keep_default_na=False)
    if len(raw) > MAX_SHEET_ROWS * 10:
        raise DataError([Problem(file=path.name,
                                 expected=Message("problem.si.max_rows_table", limit=MAX_SHEET_ROWS * 10))])
    raw = raw.replace({"": None})
    problems = []
    for c in ("score", "max_score"):
        if c in raw:
            bad = pd.to_numeric(raw[c], errors="coerce").isna() & raw[c].notna()
            problems += [Problem(file=path.name, row=skip + int(i) + 2, column=c, value=raw.at[i, c],
                                 expected=Message("problem.si.number_or_empty")) for i in raw.index[bad]]
    _problem_cap(problems, path.name)
    for c in ("period_open", "derived", "synthetic"):
        if c in raw:
            raw[c] = raw[c].map({"true": True, "false": False, "True": True, "False": False, None: None})
    return coerce(raw)


def _read_2025(path: Path, *, period, periods, retrieved_at, formula_version, check_totals) -> pd.DataFrame:
    if path.suffix.lower() == ".csv" and _is_tidy_csv(path):
        return read_tidy_csv(path)
    sheets = _sheets_from_xlsx(path) if path.suffix.lower() in {".xlsx", ".xlsm"} else _sheets_from_csv(path)
    problems: list[Problem] = []
    rows: list[dict] = []
    periods = dict(periods or {})
    for sheet, recs, lines in sheets:
        sheet_label = sheet or None
        if recs:
            missing = [c for c in REQUIRED_2025 if c not in recs[0]]
            if missing:
                problems += [Problem(file=path.name, sheet=sheet_label, column=c,
                                     expected=Message("problem.si.column_2025")) for c in missing]
                continue
        given = periods.get(sheet, period)
        if given == "unknown":
            per = P.UNKNOWN
        elif given is not None:
            per = P.parse_period(given, retrieved_at=retrieved_at)
            if per is None:
                problems.append(Problem(file=path.name, sheet=sheet_label, value=given,
                                        expected=Message("problem.si.period_2025")))
                continue
        else:
            per = P.parse_period(sheet, retrieved_at=retrieved_at) if sheet else None
            if per is None:
                per = P.parse_period(path.stem, retrieved_at=retrieved_at)
            if per is None:
                problems.append(Problem(file=path.name, sheet=sheet_label, value=sheet or path.name,
                                        expected=Message("problem.si.sheet_period", example="'Tháng 10/2025'",
                                                         argument="periods={sheet: '2025-10'}")))
                continue
        sheet_rows = []
        for rec, line in zip(recs, lines):
            bad = False
            vals = {}
            for col in COLUMNS_2025:
                try:
                    vals[col] = _num(rec.get(col))
                except ValueError:
                    problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column=col,
                                            value=rec.get(col), expected=Message("problem.si.score_or_empty")))
                    vals[col] = math.nan
                    bad = True
            try:
                rank = _num(rec.get("ROW_STT"))
                if not math.isnan(rank) and (rank != int(rank) or rank < 1):
                    raise ValueError
            except ValueError:
                problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column="ROW_STT",
                                        value=rec.get("ROW_STT"), expected=Message("problem.si.rank")))
                bad = True
                rank = math.nan
            lvl = LEVEL_2025.get(str(rec.get("LOAI_COQUAN")).strip().split(".")[0])
            if lvl is None:
                problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column="LOAI_COQUAN",
                                        value=rec.get("LOAI_COQUAN"),
                                        expected=Message("problem.si.level_2025")))
                bad = True
            code = str(rec.get("MA_COQUAN") or "").strip()
            if not code:
                problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column="MA_COQUAN",
                                        value=rec.get("MA_COQUAN"), expected=Message("problem.si.portal_code")))
                bad = True
            for col, v in vals.items():
                if col != "TONG_SCORE" and not math.isnan(v) and not 0 <= v <= MAX_SCORES[COLUMNS_2025[col]] + SUM_TOLERANCE:
                    problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column=col, value=v,
                                            expected=Message("problem.si.score_range",
                                                             maximum=MAX_SCORES[COLUMNS_2025[col]])))
                    bad = True
            parts = [vals[c] for c in COLUMNS_2025 if c != "TONG_SCORE"]
            if check_totals and not bad and not any(math.isnan(x) for x in parts) and not math.isnan(vals["TONG_SCORE"]):
                if abs(sum(parts) - vals["TONG_SCORE"]) > SUM_TOLERANCE:
                    problems.append(Problem(file=path.name, sheet=sheet_label, row=line, column="TONG_SCORE",
                                            value=vals["TONG_SCORE"],
                                            expected=Message("problem.si.sum_groups", total=sum(parts))))
                    bad = True
            if bad:
                continue
            sheet_rows.append({"line": line, "code": code, "rec": rec, "vals": vals, "rank": rank, "level": lvl})
        # published ranks: a ranking within this sheet (n known) or within a wider list
        totals = pd.Series([r["vals"]["TONG_SCORE"] for r in sheet_rows], dtype=float)
        ranks = pd.Series([r["rank"] for r in sheet_rows], dtype=float)
        from paranalysis.rankings import competition_rank

        within = bool(len(sheet_rows)) and ranks.notna().all() and (
            competition_rank(totals).astype(float).to_numpy() == ranks.to_numpy()).all()
        n_ranked = int(totals.notna().sum()) if within else None
        note = None if within or ranks.isna().all() else \
            "ROW_STT is not a ranking within this sheet (rank in a wider list; number ranked unknown)"
        src = path.name + (f" [{sheet}]" if sheet else "")
        for r in sheet_rows:
            rec = r["rec"]
            for col, comp in COLUMNS_2025.items():
                rows.append({
                    "unit_id": r["code"], "portal_id": str(rec.get("ID") or "").strip() or None,
                    "unit_name": str(rec.get("TEN") or "").strip() or None, "level": r["level"],
                    "period": per.label, "period_type": per.kind, "period_start": per.start, "period_end": per.end,
                    "period_open": per.is_open(retrieved_at),
                    "component": comp, "group": comp, "score": r["vals"][col], "max_score": MAX_SCORES[comp],
                    "rank": r["rank"] if comp == "total" else None, "n_ranked": n_ranked if comp == "total" else None,
                    "data_quality": note if comp == "total" else None,
                    "formula_version": formula_version or "766-portal-2025",
                    "source": f"{src} row {r['line']}", "retrieved_at": retrieved_at,
                })
    _problem_cap(problems, path.name)
    return coerce(pd.DataFrame(rows)) if rows else empty_frame()


# --------------------------------------------------------------------------------------
# 2026 reporting API responses
# --------------------------------------------------------------------------------------

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _capture_meta(path: Path, sha: str) -> dict | None:
    """What is known about how ``path`` was captured: its sidecar, or its entry in a
    capture manifest of an enclosing folder (matched by relative path, checked by sha256)."""
    side = path.with_name(path.name + ".meta.json")
    if side.is_file():
        meta = json.loads(side.read_text(encoding="utf-8"))
        if meta.get("sha256") and meta["sha256"] != sha:
            raise DataError([Problem(file=path.name, value=sha[:12],
                                     expected=Message("problem.si.sidecar_sha", sha=meta["sha256"][:12]))])
        return {"payload": meta.get("payload"), "captured_at": meta.get("captured_at"), "url": meta.get("url"),
                "endpoint": meta.get("endpoint")}
    for parent in list(path.parents)[:4]:
        for man in sorted(parent.glob("manifest*.json")):
            try:
                data = json.loads(man.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            caps = data.get("captures") if isinstance(data, dict) else None
            if not isinstance(caps, list):
                continue
            rel = path.relative_to(parent).as_posix()
            for c in caps:
                if isinstance(c, dict) and c.get("file") == rel:
                    if c.get("sha256") and c["sha256"] != sha:
                        raise DataError([Problem(file=rel, value=sha[:12],
                                                 expected=Message("problem.si.manifest_sha", manifest=man.name,
                                                                  sha=c["sha256"][:12]))])
                    url = str(c.get("url") or "")
                    return {"payload": c.get("payload"), "captured_at": c.get("capturedAt"), "url": url,
                            "endpoint": url.rstrip("/").rsplit("/", 1)[-1] or None}
    return None


def _endpoint_of(data: dict) -> str | None:
    if "children" in data and isinstance(data.get("parent"), dict):
        keys = set(data["parent"]) | {k for c in data["children"][:5] if isinstance(c, dict) for k in c}
        if "totalReceived" in keys:
            return "dvc-progress-tree"
        if "totalDossierOnlinePaymentSuccess" in keys:
            return "formality-online-payment-tree"
        if "onlineServiceTotal" in keys or "authorityCount" in keys:
            return "provide-online-tree"
        return None
    if "evaluation" in data:
        units = [data.get("overview")] + list(data.get("evaluation") or [])[:5]
        for u in units:
            for m in (u or {}).get("metrics") or []:
                ep = _METRIC_ENDPOINT.get(m.get("code"))
                if ep:
                    return ep
    return None


def _level_2026(u: dict, parent: bool) -> str:
    if parent or u.get("agencyLevel") == "level_1" or u.get("departmentType") == "PROVINCE":
        return "province"
    lv = u.get("level") or u.get("departmentLevel")
    return "commune" if lv == "COMMUNE" else "agency"


def _read_2026(path: Path, *, period, retrieved_at, formula_version, check_totals, raw: bytes | None = None,
               name: str | None = None) -> tuple[pd.DataFrame, str]:
    """One reporting-API response as tidy rows, and the endpoint the response is from."""
    name = name or path.name
    if raw is None and path.stat().st_size > MAX_JSON_BYTES:
        raise DataError([Problem(file=name, value=Message("problem.value.bytes", n=path.stat().st_size),
                                 expected=Message("problem.si.json_bytes", limit=MAX_JSON_BYTES))])
    raw = path.read_bytes() if raw is None else raw
    sha = sha256_bytes(raw)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise DataError([Problem(file=name, expected=Message("problem.si.json_nested"))]) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataError([Problem(file=name, value=str(exc)[:120], expected=Message("problem.si.json_utf8"))]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise DataError([Problem(file=name, column="data",
                                 expected=Message("problem.si.envelope", envelope='{"code": "OK", "data": {...}}'))])
    if doc.get("code") not in (None, "OK"):
        raise DataError([Problem(file=name, column="code", value=doc.get("code"),
                                 expected=Message("problem.si.portal_error",
                                                  message=str(doc.get("message"))[:120]))])
    data = doc["data"]
    meta = _capture_meta(path, sha) if path is not None and path.exists() else None
    endpoint = _endpoint_of(data)
    if endpoint is None:
        raise DataError([Problem(file=name, expected=Message("problem.si.six_endpoints",
                                                             endpoints=", ".join(ENDPOINTS)))])
    if meta and meta.get("endpoint") in ENDPOINTS and meta["endpoint"] != endpoint:
        raise DataError([Problem(file=name, value=endpoint,
                                 expected=Message("problem.si.recorded_endpoint", endpoint=meta["endpoint"]))])
    per = None
    if period is not None:
        per = P.parse_period(period)
        if per is None:
            raise DataError([Problem(file=name, value=period, expected=Message("problem.si.period_2026"))])
    elif meta:
        per = P.from_payload(meta.get("payload") or {})
    if per is None:
        raise DataError([Problem(file=name, expected=Message("problem.si.response_period"))])
    if retrieved_at is None and meta:
        retrieved_at = meta.get("captured_at")
    retrieved_at = pd.Timestamp(retrieved_at) if retrieved_at is not None else None
    if retrieved_at is not None and retrieved_at.tzinfo is None:
        retrieved_at = retrieved_at.tz_localize("UTC")
    group = ENDPOINTS[endpoint]
    fv = formula_version or "766-reporting-2026"
    problems: list[Problem] = []
    out: list[dict] = []
    n_units = len(data.get("children") or data.get("evaluation") or [])
    if n_units > MAX_SHEET_ROWS:
        raise DataError([Problem(file=name, value=n_units, expected=Message("problem.si.max_units",
                                                                               limit=MAX_SHEET_ROWS))])
    if "children" in data:
        units = [("parent", data["parent"], True)] + [(f"children[{i}]", c, False)
                                                      for i, c in enumerate(data.get("children") or [])]
    else:
        units = [("overview", data.get("overview") or {}, True)] + [
            (f"evaluation[{i}]", c, False) for i, c in enumerate(data.get("evaluation") or [])]
    base = {"period": per.label, "period_type": per.kind, "period_start": per.start, "period_end": per.end,
            "period_open": per.is_open(retrieved_at), "formula_version": fv, "retrieved_at": retrieved_at}
    for where, u, is_parent in units:
        if not isinstance(u, dict) or not u:
            problems.append(Problem(file=name, column=where, expected=Message("problem.si.unit_object")))
            continue
        score = u.get("totalScore", u.get("score"))
        mx = u.get("totalMaxScore", u.get("maxScore"))
        try:
            score = _num(score)
            mx = _num(mx)
        except ValueError:
            problems.append(Problem(file=name, column=f"{where}.totalScore", value=score,
                                    expected=Message("problem.si.number_or_null")))
            continue
        ident = {"unit_id": u.get("departmentCode") or None, "portal_id": u.get("departmentId") or None,
                 "unit_name": u.get("departmentName"), "level": _level_2026(u, is_parent)}
        if ident["unit_id"] is None and is_parent and data.get("parent", {}).get("departmentCode"):
            ident["unit_id"] = data["parent"]["departmentCode"]
        row = {**ident, **base, "component": group, "group": group, "score": score,
               "max_score": mx if not math.isnan(mx) else MAX_SCORES[group],
               "source": f"{name} {where}"}
        other = {}
        for k, v in u.items():
            if k in _B_FIELDS:
                row[_B_FIELDS[k]] = v
            elif k not in _ID_FIELDS and isinstance(v, (int, float)) and not isinstance(v, bool):
                other[k] = v
            elif k not in _ID_FIELDS and v is None and k.startswith("total"):
                other[k] = None
        row["other_counts"] = json.dumps(other, ensure_ascii=False, sort_keys=True) if other else None
        out.append(row)
        metrics = u.get("metrics") or []
        scored = []
        for j, m in enumerate(metrics):
            if not isinstance(m, dict) or not m.get("code"):
                problems.append(Problem(file=name, column=f"{where}.metrics[{j}]",
                                        expected=Message("problem.si.metric_code")))
                continue
            try:
                ms, mm = _num(m.get("score")), _num(m.get("maxScore"))
            except ValueError:
                problems.append(Problem(file=name, column=f"{where}.metrics[{j}].score", value=m.get("score"),
                                        expected=Message("problem.si.number_or_null")))
                continue
            dq = " ".join(str(x) for x in (m.get("dataQualityStatus"), m.get("dataQualityMessage")) if x) or None
            if mm == 0:
                dq = ((dq + "; ") if dq else "") + "tracked only (maximum 0 points)"
            if not math.isnan(ms):
                scored.append(ms)
            out.append({**ident, **base, "component": m["code"], "group": group, "score": ms, "max_score": mm,
                        "numerator": m.get("numerator"), "denominator": m.get("denominator"),
                        "ratio": m.get("ratio"), "data_quality": dq, "source": f"{name} {where}.metrics[{j}]"})
        if check_totals and scored and not math.isnan(score) and abs(sum(scored) - score) > SUM_TOLERANCE:
            problems.append(Problem(file=name, column=f"{where}.totalScore", value=score,
                                    expected=Message("problem.si.sum_metrics", total=sum(scored))))
    for row in out:
        for c in ("received", "on_time", "overdue", "completed", "numerator", "denominator"):
            v = row.get(c)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v < 0 or v > MAX_COUNT \
                    or float(v) != int(v):
                problems.append(Problem(file=name, column=f"{row['source'].split(' ', 1)[-1]}.{c}", value=v,
                                        expected=Message("problem.si.count_range", limit=MAX_COUNT)))
                row[c] = None
        for c in ("ratio", "avg_processing_days"):
            v = row.get(c)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or abs(v) > 1e6):
                problems.append(Problem(file=name, column=f"{row['source'].split(' ', 1)[-1]}.{c}", value=v,
                                        expected=Message("problem.si.number")))
                row[c] = None
    _problem_cap(problems, name)
    return coerce(pd.DataFrame(out)), endpoint


# --------------------------------------------------------------------------------------
# the contract
# --------------------------------------------------------------------------------------

def _fill_ids(df: pd.DataFrame) -> pd.DataFrame:
    """Give rows that carry only the portal id (2026 transparency) the unit code other
    responses give for the same id."""
    known = df.dropna(subset=["unit_id", "portal_id"]).drop_duplicates("portal_id").set_index("portal_id")["unit_id"]
    miss = df["unit_id"].isna() & df["portal_id"].notna()
    df.loc[miss, "unit_id"] = df.loc[miss, "portal_id"].map(known)
    return df


def add_derived_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``total`` row (sum of the six groups, ``derived=True``) for every unit and
    period that has all six group scores of one formula version and no published total.
    A unit missing any group gets no total (missing is not zero)."""
    from paranalysis.serviceindex.schema import GROUPS

    g = df[df["component"].isin(GROUPS) & (df["component"] == df["group"])].copy()
    if g.empty:
        return df
    g["unit_key"] = unit_key(g)
    have_total = set(zip(unit_key(df[df["component"] == "total"]), df.loc[df["component"] == "total", "period"],
                         df.loc[df["component"] == "total", "formula_version"]))
    new = []
    for (uk, per, fv), part in g.groupby(["unit_key", "period", "formula_version"], sort=False):
        if (uk, per, fv) in have_total or set(part["component"]) != set(GROUPS) or part["score"].isna().any():
            continue
        first = part.iloc[0]
        times = part["retrieved_at"].dropna()
        notes = []
        if len(times) and (times.max() - times.min()) > pd.Timedelta(hours=1):
            notes.append(f"groups captured at different times ({times.min():%Y-%m-%d %H:%M} to "
                         f"{times.max():%Y-%m-%d %H:%M} UTC)")
        if part["period_open"].fillna(False).any():
            notes.append("period still open when captured")
        new.append({**{c: first[c] for c in ("unit_id", "portal_id", "unit_name", "level", "unit_code", "period",
                                              "period_type", "period_start", "period_end", "formula_version",
                                              "synthetic")},
                    "period_open": part["period_open"].max() if part["period_open"].notna().any() else None,
                    "component": "total", "group": "total", "score": round(float(part["score"].sum()), 2),
                    "max_score": float(part["max_score"].sum()), "derived": True,
                    "data_quality": "; ".join(notes) or None,
                    "source": "sum of the six group scores (derived here)",
                    "retrieved_at": times.max() if len(times) else None})
    if not new:
        return df
    return coerce(pd.concat([df, coerce(pd.DataFrame(new))], ignore_index=True))


def map_unit_codes(df: pd.DataFrame, units: pd.DataFrame | None = None,
                   province_code: str = NGHE_AN_PORTAL_CODE) -> pd.DataFrame:
    """Fill a missing ``unit_code`` for the units of Nghệ An (portal code ``H41``, ``H41.xxx``)
    that the unit registry knows, matched by name and level on the period's last day.
    Units of other provinces keep a missing ``unit_code``."""
    from paranalysis.units import UnitMatcher, package_units

    reg = package_units() if units is None else units
    matcher, lv = None, None  # built on the first unit that needs a name match
    present = set(reg["level"])
    level_map = {"province": "province", "commune": "commune",
                 "agency": "agency" if "agency" in present else "department"}
    prov = reg.loc[reg["level"] == "province", "unit_code"]
    prov_code = "40" if "40" in set(prov) else (prov.iloc[0] if len(prov) else None)
    cache: dict = {}
    codes = []
    for uid, name, level, end, start in zip(df["unit_id"], df["unit_name"], df["level"], df["period_end"],
                                            df["period_start"]):
        uid_s = str(uid or "").split(".")
        uid_s = [x for x in uid_s if x not in {"000", "00"}]
        if not uid_s or uid_s[0] != province_code:
            codes.append(None)
            continue
        if level == "province":
            codes.append(prov_code)
            continue
        on = end if end is not None and not pd.isna(end) else start
        key = (name, level, on)
        if key not in cache:
            if matcher is None:
                matcher, lv = UnitMatcher(reg), reg.set_index("unit_code")["level"]
            clean = str(name or "")
            for sep in (" - Tỉnh ", " - tỉnh ", " - TỈNH "):
                clean = clean.split(sep)[0]
            try:
                cache[key] = matcher.resolve(clean, level=level_map.get(level),
                                             on=None if on is None or pd.isna(on) else on)
            except TypeError:  # an older UnitMatcher without ``on``
                cache[key] = matcher.resolve(clean, level=level_map.get(level))
            if cache[key] is not None and lv.get(cache[key]) != level_map.get(level):
                cache[key] = None
        codes.append(cache[key])
    out = df.copy()
    given = out["unit_code"].where(out["unit_code"].notna(), None)
    out["unit_code"] = pd.Series([g if g is not None else c for g, c in zip(given, codes)], index=df.index,
                                 dtype=object)
    return out


def _files_in(folder: Path) -> list[Path]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or any(x.startswith(".") for x in rel.parts) or "docs" in rel.parts:
            continue
        n = p.name.lower()
        if n.endswith(".meta.json") or n.startswith("manifest") or n.startswith("journal"):
            continue
        if p.suffix.lower() in {".json", ".csv", ".xlsx"}:
            out.append(p)
    return out


def load_service_index(path, *, period=None, periods: dict | None = None, retrieved_at=None,
                       formula_version: str | None = None, units: pd.DataFrame | None = None,
                       check_totals: bool = True) -> pd.DataFrame:
    """The portal's Decision 766 scores as a tidy, validated table (columns
    ``SERVICE_INDEX_COLUMNS``): one row per unit, period and component or sub-indicator.

    ``path`` is a 2025 export (``.xlsx`` one sheet per period, or ``.csv``), a 2026
    reporting-API response (``.json``), or a folder of them (responses of the six endpoints
    for one period then also get a derived ``total``). ``period`` sets the period of every
    sheet or response ("2025-10", "2026Q3", "2026", "2025-YTD"); ``periods`` sets it per
    sheet ("unknown" accepts a sheet whose period is not known). ``retrieved_at`` is when
    the export was taken (default: from the capture record; otherwise unknown, and then
    whether the period was still open is unknown too). ``formula_version`` overrides the
    default scoring basis of the format. ``units`` is the unit registry used for
    ``unit_code`` (default: the package's)."""
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=path.name, expected=Message("problem.si.existing_path"))])
    files = _files_in(path) if path.is_dir() else [path]
    if path.is_dir() and not files:
        raise DataError([Problem(file=path.name, expected=Message("problem.si.export_folder"))])
    frames, problems = [], []
    ts = None
    if retrieved_at is not None:
        ts = pd.Timestamp(retrieved_at)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    for f in files:
        try:
            _check_size(f)
            suffix = f.suffix.lower()
            name = f.relative_to(path).as_posix() if path.is_dir() else f.name
            if suffix == ".json":
                df, _ = _read_2026(f, period=period, retrieved_at=ts, formula_version=formula_version,
                                   check_totals=check_totals, name=name)
            elif suffix in {".csv", ".xlsx", ".xlsm"}:
                df = _read_2025(f, period=period, periods=periods, retrieved_at=ts, formula_version=formula_version,
                                check_totals=check_totals)
            else:
                raise DataError([Problem(file=f.name, value=f.suffix, expected=Message("problem.si.export_suffix"))])
            frames.append(df)
        except DataError as exc:
            problems += exc.problems
    if problems:
        _problem_cap(problems, path.name)
    # each reader's frame is coerced already: one file needs no second pass
    df = frames[0] if len(frames) == 1 else coerce(pd.concat(frames, ignore_index=True)) if frames else empty_frame()
    df = _fill_ids(df)
    df = map_unit_codes(df, units)
    df = add_derived_totals(df)
    return validate(df, file=path.name)
