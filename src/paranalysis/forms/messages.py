"""Messages of the official-form reader: one constant per kind of problem (each has a test)."""

from __future__ import annotations

# One constant per kind of problem (tests check each one).
E_UNREADABLE = "a readable workbook (.xlsx, .xlsm, .xls or .ods)"
E_NO_FORM = ("a sheet holding the report form: a header row with a unit-name column "
             "('Tên đơn vị', 'Đơn vị', ...) within the first {n} rows")
E_UNKNOWN_HEADER = ("a column header listed in the header mapping ({source}; normalised: '{norm}'); "
                    "to teach the reader, add to form_header_mapping.yaml in your data folder (or a file "
                    "given with --mapping) an entry such as (check the field):\n{entry}")
E_AMBIGUOUS_HEADER = "a header that matches one field only (matches {fields}); make the mapping patterns longer"
E_DUPLICATE_COLUMN = "one column for {field} (already read from column {other})"
E_MISSING_COLUMN = "a column for {field} (a header such as '{example}'); none of the headers matched"
E_VALUES_WITHOUT_HEADER = "no values in a column without a header (or a header for this column)"
E_BLANK = "a count (blank cells are not read as 0: write 0)"
E_DECIMAL = ("a whole number of records (a decimal here may be a count typed with '.' as thousands "
             "separator that Excel read as a decimal, e.g. 15.61 for 15.610: retype it as text or a whole number)")
E_NEGATIVE = "a non-negative number of records"
E_NOT_A_NUMBER = "a whole number of records (digits, optionally with '.' thousands separators such as '15.610')"
E_DATE = "a number of records (Excel stored this cell as a date)"
E_PERCENT = "a percentage between 0 and 100 (such as '97,79%')"
E_RATE = "{rate} = {formula} = {computed:.4f}% (to the {decimals} decimals printed)"
E_IDENTITY = "{total} = {formula} = {expected}"
E_TOTAL_ROW = "the sum of the unit rows ({expected})"
E_UNKNOWN_UNIT = "a unit known to the units table{hint}"
E_AMBIGUOUS_UNIT = "a name that identifies one unit (it matches units {codes})"
E_MISSING_NAME = "a unit name for a row that has counts"
E_DUPLICATE_UNIT = "one row per unit and quarter (unit {code} is also in {where})"
E_NO_PERIOD = ("a title stating the quarter (e.g. 'Quý II năm 2024') or the period argument "
               "(e.g. period='2024Q2')")
E_PERIOD_CONFLICT = "the quarter stated in the title ({title}), which contradicts period={given!r}"
E_WINDOW = ("dates of the quarter's reporting window ({start:%d/%m/%Y} to {end:%d/%m/%Y}) "
            "or of the calendar quarter ({cstart:%d/%m/%Y} to {cend:%d/%m/%Y})")
E_NOT_QUARTERLY = "a quarterly report (this title names another period: '{what}')"
E_BAD_DATE = "a valid date dd/mm/yyyy"
E_BAD_PERIOD_ARG = ("a period such as '2024Q2' (a quarter), '2025H1' (half year), '2025M9' (nine months) "
                    "or '2025' (a year)")
E_NO_ROWS = "at least one unit row under the header"

# bounds (paranalysis.limits): refused before the sheet is loaded
E_CELL_BEYOND = ("a sheet within {rows} rows and {cols} columns (paranalysis.limits): this cell holds a value "
                 "outside them; delete the stray cell or the rows/columns beyond the form")
E_TOO_MANY_CELLS = "a sheet with at most {n} cells (paranalysis.limits.MAX_SHEET_CELLS)"
E_STRING_TOO_LONG = "a text of at most {n} characters (Excel's limit for one cell)"
E_PART_TOO_LARGE = "a workbook part of at most {n} bytes uncompressed (paranalysis.limits)"
E_TOO_LARGE = "a count of at most {n} records per unit and period (paranalysis.limits.MAX_COUNT)"
E_MORE_PROBLEMS = "no more problems: {n} further problem(s) of this file are not listed (limit {limit})"
E_FORMULA = ("a value: this cell holds a formula without a saved value, '{formula}', and only "
             "plain arithmetic (cell references, numbers, SUM, + and -) is evaluated; open and save the file "
             "in Excel or LibreOffice so that the values are stored")
E_SUBTOTAL = "the sum of the unit rows of section '{section}' ({expected})"
E_UNIT_CODE = "a unit code known to the units table (column {col})"
E_CODE_NAME = "a unit name that agrees with the unit code {code} ({code_name})"
E_OTHER_PERIOD = ("a quarterly report: this title names {what} ('{text}'); it is never read as a quarter. "
                  "To read it as that period, pass period='{suggest}'")
E_PART_EXCEEDS = "a count no larger than the total it is part of ({total} = {value})"
