"""The official report form "Tình hình, kết quả giải quyết thủ tục hành chính": reading it as
provinces export it (.xlsx, .xlsm, .xls, .ods) into tidy processing rows, and writing it
(``paranalysis export-form``).

Modules: ``mapping`` (the declarative header mapping), ``cells`` (counts, percentages),
``period`` (the title's quarter or longer span), ``sections`` (section rows, subtotals,
grand totals), ``workbook`` (bounded opening of a workbook), ``reader`` and ``writer``.
"""

from paranalysis.forms.mapping import DATA_MAPPING_NAME, MAPPING_FILE, HeaderMapping, load_mapping
from paranalysis.forms.messages import *  # noqa: F403 - E_* message constants
from paranalysis.forms.reader import (IDENTITIES, RATES, SPAN_COLUMNS, FormWarning, read_official_form)
from paranalysis.forms.writer import export_form, write_official_form

__all__ = ["read_official_form", "write_official_form", "export_form", "load_mapping", "HeaderMapping",
           "FormWarning", "IDENTITIES", "RATES", "SPAN_COLUMNS", "MAPPING_FILE", "DATA_MAPPING_NAME"]
