"""Bounds on what the package will read, so a hostile or broken file fails with a named
error instead of exhausting memory or time. One place, documented in docs/data.md.

These are plausibility ceilings for one province's exports, not technical limits; a
file that exceeds one is refused with a DataError naming the file, sheet, cell and bound.
"""

from __future__ import annotations

#: Largest count accepted in one cell (records of one unit in one period). The busiest
#: unit in the seeds (Vinh) handles tens of thousands of records a year; ten million per
#: unit and quarter leaves three orders of magnitude of head-room while keeping every sum
#: over units, quarters and channels far below 2**53 (exact in float64) and 2**63.
MAX_COUNT = 10_000_000

#: Sheets larger than this (rows x columns in the used range) are refused before loading.
MAX_SHEET_ROWS = 20_000
MAX_SHEET_COLS = 200

#: Longest text kept from one cell; longer text is refused as not a form value.
MAX_CELL_TEXT = 1_000

#: Largest uncompressed XML part read from an .xlsx (a zip bomb guard).
MAX_XLSX_PART_BYTES = 200 * 1024 * 1024

#: Largest input file accepted by the loaders.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: Problems collected before a reader stops and says how many more it skipped.
MAX_PROBLEMS = 200

#: Largest JSON response read (the Decision 766 reporting API; its largest recorded response,
#: digitisation for 163 units, is 0.3 MB).
MAX_JSON_BYTES = 20 * 1024 * 1024
