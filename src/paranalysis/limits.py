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

#: Largest investment amount accepted in one register row, in VND: 10,000 billion VND
#: (about 400 million USD), far above any single provincial ICT or one-stop-shop investment
#: (Nghe An's whole annual budget is a few tens of thousands of billion VND). With it, a
#: sum over 900,000 rows stays below 2**63.
MAX_AMOUNT_VND = 10_000_000_000_000

#: Sheets larger than this (rows x columns in the used range, i.e. cells holding a value)
#: are refused before loading. A form has one row per unit: 412 old communes, 21 districts
#: and the agencies with section and total rows stay under 600, so 5,000 leaves a wide margin.
MAX_SHEET_ROWS = 5_000
MAX_SHEET_COLS = 200

#: Non-empty cells (and row records) in one sheet; a form of 430 units x 40 columns has
#: about 20,000. Checked while streaming the file, before the sheet is loaded.
MAX_SHEET_CELLS = 100_000

#: Longest text kept from one cell; longer text is cut (a value, header or name that long is
#: not a form value, and a problem shows at most this much of it).
MAX_CELL_TEXT = 1_000

#: Longest text accepted in any cell of a workbook: Excel's own limit (32,767 characters).
#: A longer string cannot come from Excel or LibreOffice; the file is refused unread.
MAX_STRING_CHARS = 32_767

#: Largest uncompressed XML part read from an .xlsx (a zip bomb guard).
MAX_XLSX_PART_BYTES = 100 * 1024 * 1024

#: Largest input file accepted by the loaders.
MAX_FILE_BYTES = 200 * 1024 * 1024

#: Problems collected before a reader stops and says how many more it skipped.
MAX_PROBLEMS = 200

#: Unknown unit names explained per file (units valid then, close names, how to add one):
#: each explanation searches every name in the registry, so later unknown names are only
#: reported.
MAX_EXPLAINED_NAMES = 20

#: Largest JSON response read (the Decision 766 reporting API; its largest recorded response,
#: digitisation for 163 units, is 0.3 MB).
MAX_JSON_BYTES = 20 * 1024 * 1024
