"""Record-level dossiers: one row per file a citizen lodged, read with privacy at the door.

A provincial one-stop system can export one row per dossier (hồ sơ). This module reads such
exports (CSV or Parquet: a file, a folder or a partitioned dataset), keeps **only** the
columns below, and computes waiting times in working days with DuckDB, streaming from disk so
that ten million rows fit in a laptop's memory, or with Apache Spark on a cluster
(``summarize(path, engine="spark")``, module ``paranalysis.records.spark``, optional extra
``[spark]``) with the same result.

Columns kept (``RECORD_COLUMNS``; everything else is dropped when the file is scanned):

=================  ==============================================================
record_id          the dossier's code in the system (mã hồ sơ)
unit_code          the receiving unit (GSO or project code, as in the units table)
procedure_code     the administrative procedure (mã TTHC); may be blank
received_at        when the dossier was received (timestamp, local time)
due_at             the statutory deadline given by the system (hạn trả kết quả)
resolved_at        when the result was returned; empty while pending
channel            online / direct / postal (trực tuyến / trực tiếp / bưu chính)
status             resolved / pending / returned / withdrawn
synthetic          optional: true for demonstration records
=================  ==============================================================

**Privacy.** Names, ID numbers, phone numbers, addresses, e-mails and any column not listed
above never become DataFrame columns: the reader asks DuckDB for the allowed columns only
(a projection at scan time), so the other columns are neither kept, cached nor displayed.
Error messages quote only values of allowed columns. DuckDB runs in memory with a private
spill folder that is deleted when a call returns.

**Working days** (``working_days``): the working days *after* the day of receipt, up to and
including the day of resolution. Saturdays and Sundays are not working days, nor are the
public holidays of Vietnam, including lunar Tết, as given by the ``holidays`` library
(country "VN"), which also knows the government's decreed swaps (a day off given in
exchange for a working Saturday). A dossier resolved on the day it was received took 0
working days. See docs/records.md for what the calendar covers and what it does not.
"""

from paranalysis.records.calendar import add_working_days, working_day_calendar, working_days
from paranalysis.records.demo import generate_demo_records
from paranalysis.records.reader import CHANNELS, RECORD_COLUMNS, STATUSES, export_columns, read_records
from paranalysis.records.summary import (
    processing_form,
    reconcile,
    summarize,
    summarize_histogram,
    weighted_quantile,
    working_day_histogram,
)

__all__ = [
    "CHANNELS", "RECORD_COLUMNS", "STATUSES",
    "add_working_days", "working_day_calendar", "working_days",
    "read_records", "export_columns", "working_day_histogram", "summarize", "summarize_histogram", "weighted_quantile",
    "processing_form", "reconcile", "generate_demo_records",
]
