"""Messages of the official-form reader: one constant per kind of problem (each has a test).

Each is a :class:`paranalysis.i18n.Message` of the catalogue (``form.<name>`` in
``resources/messages.yaml``): as a string it is the English text the command line and
exceptions print; ``.format(**values)`` fills it; ``i18n.shown(m, lang)`` writes it in the
reader's language."""

from __future__ import annotations

from paranalysis.i18n import Message

# One constant per kind of problem (tests check each one).
E_UNREADABLE = Message("form.unreadable")
E_NO_FORM = Message("form.no_form")
E_UNKNOWN_HEADER = Message("form.unknown_header")
E_AMBIGUOUS_HEADER = Message("form.ambiguous_header")
E_DUPLICATE_COLUMN = Message("form.duplicate_column")
E_MISSING_COLUMN = Message("form.missing_column")
E_VALUES_WITHOUT_HEADER = Message("form.values_without_header")
E_BLANK = Message("form.blank")
E_DECIMAL = Message("form.decimal")
E_NEGATIVE = Message("form.negative")
E_NOT_A_NUMBER = Message("form.not_a_number")
E_DATE = Message("form.date")
E_PERCENT = Message("form.percent")
E_RATE = Message("form.rate")
E_IDENTITY = Message("form.identity")
E_TOTAL_ROW = Message("form.total_row")
E_UNKNOWN_UNIT = Message("form.unknown_unit")
E_AMBIGUOUS_UNIT = Message("form.ambiguous_unit")
E_MISSING_NAME = Message("form.missing_name")
E_DUPLICATE_UNIT = Message("form.duplicate_unit")
E_NO_PERIOD = Message("form.no_period")
E_PERIOD_CONFLICT = Message("form.period_conflict")
E_WINDOW = Message("form.window")
E_NOT_QUARTERLY = Message("form.not_quarterly")
E_BAD_DATE = Message("form.bad_date")
E_BAD_PERIOD_ARG = Message("form.bad_period_arg")
E_NO_ROWS = Message("form.no_rows")

# bounds (paranalysis.limits): refused before the sheet is loaded
E_CELL_BEYOND = Message("form.cell_beyond")
E_TOO_MANY_CELLS = Message("form.too_many_cells")
E_STRING_TOO_LONG = Message("form.string_too_long")
E_PART_TOO_LARGE = Message("form.part_too_large")
E_TOO_LARGE = Message("form.too_large")
E_MORE_PROBLEMS = Message("form.more_problems")
E_FORMULA = Message("form.formula")
E_SUBTOTAL = Message("form.subtotal")
E_UNIT_CODE = Message("form.unit_code")
E_CODE_NAME = Message("form.code_name")
E_OTHER_PERIOD = Message("form.other_period")
E_PART_EXCEEDS = Message("form.part_exceeds")

# where a problem is when it is not in a column of the form (Problem.column)
COL_TITLE = Message("form.col_title")
COL_PERIOD_ARG = Message("form.col_period_arg")
COL_UNIT = Message("form.col_unit")

__all__ = [name for name in dir() if name.startswith(("E_", "COL_"))]
