"""Fetching the 766 reporting API: recorded responses (../shared/reference-data/portal766_2026,
read in place) served by a local http.server on 127.0.0.1 started here. Never the network."""

from __future__ import annotations

import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from paranalysis import DataError
from paranalysis.cli import main
from paranalysis.rankings import reference_data_dir
from paranalysis.serviceindex import load_service_index
from paranalysis.serviceindex.fetch import fetch_service_index
from serviceindex_helpers import LocalServer

REF = reference_data_dir()
DIR_2026 = REF / "portal766_2026" if REF else None
pytestmark = pytest.mark.skipif(DIR_2026 is None or not DIR_2026.is_dir(),
                                reason="../shared/reference-data/portal766_2026/ (the recorded responses) not present")
PHU_THO = "019d2be3-6a88-732b-8b17-b68020c8553a"
ENDPOINTS = ["transparency", "handling-satisfaction", "dossier-digitized", "dvc-progress-tree", "provide-online-tree",
             "formality-online-payment-tree"]


class Server(LocalServer):
    """A local server answering POST /api/v1/reporting/evaluation/<endpoint> with the
    recorded month-08/2026 response. ``faults`` = {endpoint: "500" | "sleep" | "big" | "swap"}."""

    def __init__(self, faults=None):
        self.faults = dict(faults or {})
        self.requests = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                ep = self.path.rsplit("/", 1)[-1]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((ep, body))
                fault = outer.faults.get(ep)
                month_ok = (body.get("timeType") == "month" and body.get("year") == 2026 and body.get("month") == 8) \
                    or (body.get("fromDate") == "2026-08-01" and body.get("toDate") == "2026-08-31")
                if fault == "500" or ep not in ENDPOINTS or not month_ok or body.get("rootDepartmentId") != PHU_THO:
                    self.send_response(500 if fault == "500" else 404)
                    self.end_headers()
                    return
                if fault == "sleep":
                    time.sleep(2.0)
                src = "dvc-progress-tree" if fault == "swap" else ep
                data = (DIR_2026 / src / "month-all.json").read_bytes()
                if fault == "big":
                    data = data + b" " * 5_000_000
                self.send_response(201)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        super().__init__(H)


def snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} \
        if root.exists() else {}


def test_fetch_keeps_responses_as_received(tmp_path):
    manifest = json.loads((DIR_2026 / "manifest.m0.json").read_text(encoding="utf-8"))
    want = {c["file"].split("/")[0]: c["sha256"] for c in manifest["captures"] if c["file"].endswith("month-all.json")}
    with Server() as srv:
        res = fetch_service_index("H44", "2026-08", tmp_path / "d", base_url=srv.url)
    assert len(res.files) == 6 and sorted(ep for ep, _ in srv.requests) == sorted(ENDPOINTS)
    for f in res.files:
        ep = f.stem
        assert hashlib.sha256(f.read_bytes()).hexdigest() == want[ep]  # byte for byte as recorded
        meta = json.loads(Path(str(f) + ".meta.json").read_text(encoding="utf-8"))
        assert meta["sha256"] == want[ep] and meta["http_status"] == 201 and meta["period"] == "2026-08"
        assert meta["payload"]["rootDepartmentId"] == PHU_THO
    sat = dict(srv.requests)["handling-satisfaction"]
    assert (sat["fromDate"], sat["toDate"]) == ("2026-08-01", "2026-08-31") and "timeType" not in sat
    log = (tmp_path / "d/service_index/captures.csv").read_text(encoding="utf-8").splitlines()
    assert len(log) == 7 and log[0].startswith("captured_at,period,endpoint")
    # the loaded table has the same scores as the reference folder itself
    ref = load_service_index(DIR_2026)
    ref = ref[ref["period"] == "2026-08"].set_index(["portal_id", "component"])["score"].sort_index()
    got = res.table.set_index(["portal_id", "component"])["score"].sort_index()
    assert got.index.equals(ref.index)
    assert ((got == ref) | (got.isna() & ref.isna())).all()
    assert (res.table["retrieved_at"].dt.year == __import__("datetime").datetime.now().year).all()


@pytest.mark.parametrize("fault", ["500", "big", "swap"])
def test_failed_fetch_leaves_folder_unchanged(tmp_path, fault):
    root = tmp_path / "d"
    with Server() as srv:
        fetch_service_index("H44", "2026-08", root, base_url=srv.url,
                            now=__import__("datetime").datetime(2026, 9, 1, tzinfo=__import__("datetime").timezone.utc))
    before = snapshot(root)
    with Server({"provide-online-tree": fault}) as srv:
        with pytest.raises(DataError) as e:
            fetch_service_index("H44", "2026-08", root, base_url=srv.url, max_bytes=1_000_000)
    assert snapshot(root) == before
    assert "provide-online-tree" in str(e.value)


def test_timeout_is_bounded(tmp_path):
    with Server({"transparency": "sleep"}) as srv:
        t0 = time.monotonic()
        with pytest.raises(DataError, match="within 0.5 s"):
            fetch_service_index("H44", "2026-08", tmp_path / "d", base_url=srv.url, timeout=0.5)
        assert time.monotonic() - t0 < 1.9
    assert not (tmp_path / "d").exists()


def test_cli_fetch(tmp_path, capsys):
    with Server() as srv:
        rc = main(["fetch-service-index", "--province", PHU_THO, "--period", "2026-08", "--data", str(tmp_path / "d"),
                   "--base-url", srv.url])
    out = capsys.readouterr().out
    assert rc == 0 and "kept 6 responses" in out and "H44 2026-08 progress: 15.68 / 20" in out
    with Server() as srv:
        rc = main(["fetch-service-index", "--province", "Nghệ An", "--period", "2026-08", "--data",
                   str(tmp_path / "e"), "--base-url", srv.url])
    assert rc == 1 and "rootDepartmentId" in capsys.readouterr().err
