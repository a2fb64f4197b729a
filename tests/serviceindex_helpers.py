"""A small processing table of six new communes (2025Q3-2026Q3) for the scorecard tests,
built here with known counts (the demo's commune rows are not needed)."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

import numpy as np
import pandas as pd

from paranalysis.schemas import PROCESSING_COLUMNS

COMMUNES = pd.DataFrame({"unit_code": [f"T{i:02d}" for i in range(6)],
                         "name_vi": ["Xã An", "Xã Bình", "Phường Cầu", "Xã Đông", "Xã Hà", "Phường Lam"]})


def small_processing(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i, code in enumerate(COMMUNES["unit_code"]):
        size = [300, 900, 4000, 250, 1200, 2500][i]
        for q in pd.period_range("2025Q3", "2026Q3", freq="Q-DEC"):
            online, direct, postal = int(size * 0.7), int(size * 0.28), int(size * 0.02)
            carried = int(size * 0.06)
            handled = carried + online + direct + postal
            late = int(rng.integers(0, 1 + size // 20)) if code != "T03" else int(size * 0.25)
            early, on_time = int(handled * 0.5), int(handled * 0.43) - late
            returned = 2
            rest = handled - early - on_time - late - returned
            overdue = max(0, rest // 5)
            rows.append({"unit_code": code, "period": q, "carried_over": carried, "received_online": online,
                         "received_direct": direct, "received_postal": postal, "resolved_early": early,
                         "resolved_on_time": on_time, "resolved_late": late, "pending_not_due": rest - overdue,
                         "pending_overdue": overdue, "returned_withdrawn": returned,
                         "digitized": int(handled * 0.85), "ratings": 100, "satisfied": 96,
                         "synthetic": True, "source": "test table"})
    df = pd.DataFrame(rows)[PROCESSING_COLUMNS]
    for c in PROCESSING_COLUMNS[2:-2]:
        df[c] = df[c].astype("Int64")
    df["period"] = df["period"].astype("period[Q-DEC]")
    return df


class LocalServer:
    """An http.server handler class served on 127.0.0.1 (a free port) in a thread while
    the ``with`` block runs: the fetch tests' stand-in for the portal, never the network."""

    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
