"""Fetching the portal's Decision 766 reporting API, stored as received.

``paranalysis fetch-service-index --province ID --period 2026-08 --data DIR`` posts one
request per evaluation endpoint (``POST <base>/api/v1/reporting/evaluation/<endpoint>``
with ``rootDepartmentId`` and the period) and keeps every response byte for byte::

    DIR/service_index/raw/<period>/<capture>/<endpoint>.json        the response as received
    DIR/service_index/raw/<period>/<capture>/<endpoint>.json.meta.json
                                                 url, payload, HTTP status, content type,
                                                 capture time (UTC), sha256, size
    DIR/service_index/captures.csv               one line per response kept

All responses of one run are written together or not at all, with the staging folder and
journal of ``paranalysis ingest`` (a failed or interrupted fetch leaves DIR as it was),
and only after every response has been validated by ``load_service_index``. Each response
is bounded in size (``MAX_RESPONSE_BYTES``) and time (``timeout`` per request and
``deadline`` for the run); redirects are refused; nothing is retried. The portal's
responses fit on one page; a response that says it has more pages is refused rather than
guessed at. Tests serve recorded responses from a local server; they never use the network.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message
from paranalysis.serviceindex import periods as P
from paranalysis.serviceindex.loaders import ENDPOINTS, load_service_index, sha256_bytes

DEFAULT_BASE_URL = "https://dichvucong.gov.vn"
API_PATH = "/api/v1/reporting/evaluation/"
#: Largest response accepted (the largest recorded response, digitisation, is 0.3 MB).
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
DEFAULT_DEADLINE = 600.0
#: ``rootDepartmentId`` of provinces whose id is public in the reference material
#: (../shared/reference-data/portal766_2026/README.md). Others: pass the id itself.
KNOWN_PROVINCES = {"H44": "019d2be3-6a88-732b-8b17-b68020c8553a"}
#: pageSize of each endpoint's request, as the portal's own client sends it
PAGE_SIZE = {"dvc-progress-tree": 100, "formality-online-payment-tree": 100}
CAPTURE_COLUMNS = ["captured_at", "period", "endpoint", "url", "http_status", "bytes", "sha256", "raw_path"]
LOG = "service_index/captures.csv"


@dataclass
class FetchResult:
    """What one fetch kept: the folder of this capture, its responses and the loaded table."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    table: pd.DataFrame | None = None

    def summary(self) -> str:
        n = 0 if self.table is None else len(self.table)
        return f"kept {len(self.files)} responses in {self.folder}; {n} rows of scores loaded"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D401 - urllib hook
        raise urllib.error.HTTPError(req.full_url, code, f"redirect to {newurl} refused", headers, fp)


def _post(url: str, payload: dict, *, timeout: float, max_bytes: int) -> tuple[int, str, bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json",
                                          "User-Agent": "paranalysis (public administration reform analysis)"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise DataError([Problem(file=url, value=Message("problem.value.bytes", n=length),
                                         expected=Message("problem.si.response_bytes", limit=max_bytes))])
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise DataError([Problem(file=url, value=Message("problem.value.more_bytes", n=max_bytes),
                                         expected=Message("problem.si.response_bytes", limit=max_bytes))])
            return resp.status, resp.headers.get("Content-Type", ""), data
    except urllib.error.HTTPError as exc:
        raise DataError([Problem(file=url, value=f"HTTP {exc.code} {exc.reason}",
                                 expected=Message("problem.si.http_ok"))]) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError([Problem(file=url, value=f"{type(exc).__name__}: {reason}"[:200],
                                 expected=Message("problem.si.response_time", timeout=timeout))]) from None


def province_id(province: str) -> str:
    """The ``rootDepartmentId`` for ``province``: a portal code known here (``H44``) or the id itself."""
    p = str(province).strip()
    if p in KNOWN_PROVINCES:
        return KNOWN_PROVINCES[p]
    if len(p) >= 16 and all(ch.isalnum() or ch == "-" for ch in p):
        return p
    raise DataError([Problem(column="--province", value=p,
                             expected=Message("problem.si.province_id", codes=", ".join(KNOWN_PROVINCES)))])


def fetch_service_index(province: str, period: str, data, *, base_url: str = DEFAULT_BASE_URL,
                        endpoints=None, timeout: float = DEFAULT_TIMEOUT, deadline: float = DEFAULT_DEADLINE,
                        max_bytes: int = MAX_RESPONSE_BYTES, now: datetime | None = None) -> FetchResult:
    """Fetch the six evaluation responses of ``province`` for ``period`` ("2026-08",
    "2026Q3", "2026"), keep them as received in the dataset folder ``data`` (atomically),
    and return them loaded with :func:`load_service_index`."""
    from paranalysis.ingest import _folder_lock, _Transaction, recover

    per = P.parse_period(period)
    if per is None or per.kind not in {"month", "quarter", "year"}:
        raise DataError([Problem(column="--period", value=period, expected=Message("problem.si.fetch_period"))])
    root_id = province_id(province)
    eps = list(endpoints) if endpoints else list(ENDPOINTS)
    unknown = [e for e in eps if e not in ENDPOINTS]
    if unknown:
        raise DataError([Problem(column="endpoint", value=e,
                                 expected=Message("problem.si.one_of", choices=", ".join(ENDPOINTS)))
                         for e in unknown])
    root = Path(data)
    if root.exists() and not root.is_dir():
        raise DataError([Problem(file=str(root), expected=Message("problem.si.dataset_folder"))])
    start = time.monotonic()
    got = []
    for ep in eps:
        left = deadline - (time.monotonic() - start)
        if left <= 0:
            raise DataError([Problem(file=ep, expected=Message("problem.si.fetch_deadline", deadline=deadline))])
        payload = {"rootDepartmentId": root_id, "currentPage": 1, "pageSize": PAGE_SIZE.get(ep, 200),
                   **P.payload_for(per, ep)}
        url = base_url.rstrip("/") + API_PATH + ep
        status, ctype, body = _post(url, payload, timeout=min(timeout, left), max_bytes=max_bytes)
        captured = datetime.now(timezone.utc) if now is None else now
        try:
            doc = json.loads(body.decode("utf-8"))
            pages = (doc.get("data") or {}).get("pagination", {}).get("totalPages", 1) if isinstance(doc, dict) else 1
        except (UnicodeDecodeError, ValueError, AttributeError):
            pages = 1  # the loader names the problem
        if isinstance(pages, int) and pages > 1:
            raise DataError([Problem(file=url, column="pagination.totalPages", value=pages,
                                     expected=Message("problem.si.one_page"))])
        from paranalysis.serviceindex.loaders import _read_2026

        _, answered = _read_2026(Path(f"{ep}.json"), period=per.label, retrieved_at=pd.Timestamp(captured),
                                 formula_version=None, check_totals=True, raw=body, name=url)
        if answered != ep:
            raise DataError([Problem(file=url, value=answered,
                                     expected=Message("problem.si.other_endpoint", endpoint=ep))])
        got.append({"endpoint": ep, "url": url, "payload": payload, "http_status": status, "content_type": ctype,
                    "captured_at": captured.isoformat(), "sha256": sha256_bytes(body), "bytes": len(body),
                    "body": body})
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    rel_folder = f"service_index/raw/{per.label}/{stamp}"
    with _folder_lock(root):
        if root.exists():
            recover(root)
        if (root / rel_folder).exists():
            raise DataError([Problem(file=rel_folder, expected=Message("problem.si.new_capture"))])
        log_path = root / LOG
        old = log_path.read_bytes() if log_path.exists() else b""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        if not old:
            w.writerow(CAPTURE_COLUMNS)
        for g in got:
            w.writerow([g["captured_at"], per.label, g["endpoint"], g["url"], g["http_status"], g["bytes"],
                        g["sha256"], f"{rel_folder}/{g['endpoint']}.json"])
        txn = _Transaction(root)
        result = FetchResult(folder=root / rel_folder)
        try:
            for g in got:
                rel = f"{rel_folder}/{g['endpoint']}.json"
                meta = {k: g[k] for k in ("endpoint", "url", "payload", "http_status", "content_type", "captured_at",
                                          "sha256", "bytes")}
                meta["period"] = per.label
                txn.write(rel, g["body"])
                txn.write(rel + ".meta.json", (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
                result.files.append(root / rel)
            txn.write(LOG, old + buf.getvalue().encode("utf-8"))

            def verify():
                result.table = load_service_index(root / rel_folder)

            txn.commit(verify=verify)
        except BaseException:
            txn.rollback()
            raise
    return result
