"""The one catalogue of the texts of the reports, and the way numbers and dates are written.

Every label, title, caption, table header and sentence a notebook or a report shows comes
from one file, ``paranalysis/resources/messages.yaml`` (key -> ``{vi: ..., en: ...}``),
read once here. Vietnamese (``vi``) is the default language (:data:`DEFAULT_LANG`);
English (``en``) is offered on request. Every key has both languages and the same
``{placeholders}`` in each (tests check), and no module or notebook chooses words with a
language branch: they call :func:`t`.

    >>> t("report.title", "en", quarter="Q2 2024")
    'Public administration reform: key findings for Q2 2024'

Numbers, percentages and dates are written by Babel the way each language reads them:
``fmt_pct(96.57, "vi")`` gives ``"96,57%"``, ``fmt_number(12345.6, "en", 1)`` gives
``"12,345.6"``; ``quarter_label("2024Q2", "vi")`` gives ``"Quý II/2024"``. A missing value
is :data:`MISSING` ("—") in both languages. :func:`display_table` turns a table of the
library (raw column names, numbers, NaN) into the table a reader sees: headers from the
catalogue, numbers formatted, missing values as "—"; a column without a catalogue entry
is an :class:`UntranslatedError`, never a raw name in a report.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from functools import lru_cache
from importlib import resources

import pandas as pd
import yaml
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal

LANGS = ("vi", "en")
#: the one default language of every function that takes ``lang``
DEFAULT_LANG = "vi"
#: the Babel locale each language is written in
LOCALES = {"vi": "vi_VN", "en": "en_GB"}
#: how a missing value is shown, in both languages
MISSING = "—"
_MINUS = "\u2212"  # the typographic minus sign


class UntranslatedError(KeyError):
    """A text (a catalogue key, a table column) that has no entry in the catalogue."""


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """The catalogue, read once from ``resources/messages.yaml``."""
    text = resources.files("paranalysis").joinpath("resources/messages.yaml").read_text(encoding="utf-8")
    # libyaml's safe loader when PyYAML has it (10x faster: every notebook kernel reads this)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


#: key -> {lang: text}; the same object as :func:`catalogue`
TRANSLATIONS: dict[str, dict[str, str]] = catalogue()


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


check_lang = _check_lang


def file_tag(lang: str) -> str:
    """The tag a report file in ``lang`` carries: none in the default language
    (``01-data-overview.html``), ``.en`` otherwise (``01-data-overview.en.html``)."""
    return "" if _check_lang(lang) == DEFAULT_LANG else f".{lang}"


def has(key: str) -> bool:
    """Whether ``key`` is in the catalogue."""
    return key in TRANSLATIONS


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The text for ``key`` in ``lang`` ("vi" or "en"), with ``{placeholders}`` filled
    from ``values``. An unknown key raises :class:`UntranslatedError` (a KeyError: a typo
    must not pass silently)."""
    _check_lang(lang)
    try:
        entry = TRANSLATIONS[key]
    except KeyError:
        raise UntranslatedError(f"no translation for {key!r}") from None
    text = entry[lang]
    return text.format(**values) if values else text


def t_or(key: str, lang: str = DEFAULT_LANG, default: str | None = None, **values) -> str:
    """:func:`t` for a key built from data (a code the catalogue may not know): the
    ``default`` (e.g. the code itself) when the key is missing."""
    return t(key, lang, **values) if key in TRANSLATIONS else (default if default is not None else key)


def isna(x) -> bool:
    """Whether ``x`` is a missing value (None, NaN, NaT, pd.NA)."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


_isna = isna


def fmt_number(x, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """A number written the way ``lang`` reads it (Babel, locale :data:`LOCALES`):
    Vietnamese uses "." for thousands and "," for decimals (12.345,6); English the reverse
    (12,345.6). The minus sign is the typographic one; missing values give :data:`MISSING`."""
    _check_lang(lang)
    if isna(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    s = _babel_decimal(round(float(x), decimals) if decimals > 0 else round(float(x)), format=pattern,
                       locale=LOCALES[lang], decimal_quantization=True)
    return s.replace("-", _MINUS)


def fmt_pct(x, lang: str = DEFAULT_LANG, decimals: int = 2) -> str:
    """A percentage (already ×100): ``fmt_pct(96.57, "vi") == "96,57%"``."""
    s = fmt_number(x, lang, decimals)
    return s if s == MISSING else s + "%"


def fmt_change(x, lang: str = DEFAULT_LANG, decimals: int = 2, unit: str = "") -> str:
    """A signed change (+1,25 đpt / −0.40 pp); the minus sign is the typographic one."""
    if isna(x):
        return fmt_number(x, lang, decimals)
    s = fmt_number(abs(x), lang, decimals)
    sign = "+" if x > 0 else (_MINUS if x < 0 else "±")
    return f"{sign}{s}" + (f"\u00a0{unit}" if unit else "")  # no line break before the unit


def fmt_date(d, lang: str = DEFAULT_LANG, *, style: str = "date.pattern") -> str:
    """A date written the way ``lang`` reads it (Babel): "01/07/2025" (vi), "1 Jul 2025"
    (en). ``style`` names the catalogue key holding the CLDR pattern."""
    _check_lang(lang)
    if isna(d):
        return MISSING
    if isinstance(d, str):
        d = pd.Timestamp(d)
    if isinstance(d, pd.Timestamp):
        d = d.date()
    elif isinstance(d, _dt.datetime):
        d = d.date()
    return _babel_date(d, format=t(style, lang), locale=LOCALES[lang])


def quarter_label(q, lang: str = DEFAULT_LANG) -> str:
    """A quarter as people write it: "Quý II/2024" (vi) or "Q2 2024" (en)."""
    from paranalysis.periods import to_period

    p = to_period(q)
    return t("period.quarter", lang, q=t(f"period.q{p.quarter}", lang), year=p.year)


# ------------------------------------------------------------------------------------
# tables shown to readers
# ------------------------------------------------------------------------------------

def column_label(col, lang: str = DEFAULT_LANG) -> str:
    """The header a reader sees for the column ``col`` of a library table (catalogue key
    ``col.<col>``). A column the catalogue does not know raises :class:`UntranslatedError`:
    a raw name such as ``one_stop_facility`` must never reach a report."""
    key = f"col.{col}"
    if key not in TRANSLATIONS:
        raise UntranslatedError(f"column {col!r} has no header in the catalogue (add {key!r} to messages.yaml)")
    return t(key, lang)


_QUARTER_CODE = re.compile(r"\d{4}Q[1-4]")


def fmt_cell(x, lang: str = DEFAULT_LANG, decimals: int = 2) -> str:
    """One cell as shown: missing -> "—", integers without decimals, other numbers with
    ``decimals``, quarters as :func:`quarter_label`, dates as :func:`fmt_date`, text as is."""
    if isinstance(x, Message):  # a library message (a model's note, a reader's finding)
        return str(shown(x, lang))
    if isinstance(x, str):
        return quarter_label(x, lang) if _QUARTER_CODE.fullmatch(x) else x
    if isna(x):
        return MISSING
    if isinstance(x, bool):
        return t("value.yes" if x else "value.no", lang)
    if isinstance(x, pd.Period) and x.freqstr.startswith("Q"):
        return quarter_label(x, lang)
    if isinstance(x, (pd.Timestamp, _dt.date)):
        return fmt_date(x, lang)
    if isinstance(x, int) or (isinstance(x, float) and float(x).is_integer() and decimals == 0):
        return fmt_number(x, lang, 0)
    try:
        import numpy as np

        if isinstance(x, np.integer):
            return fmt_number(int(x), lang, 0)
        if isinstance(x, np.bool_):
            return t("value.yes" if bool(x) else "value.no", lang)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, (float, int)) or hasattr(x, "__float__"):
        f = float(x)
        return fmt_number(f, lang, 0) if math.isfinite(f) and decimals == 0 else fmt_number(f, lang, decimals)
    return str(x)


#: columns written as they are, without thousands separators (years, codes)
PLAIN_COLUMNS = ("year", "prev_year", "unit_code", "code", "unit_id", "procedure_code")


def display_table(df: pd.DataFrame, lang: str = DEFAULT_LANG, *, decimals: int | dict = 2,
                  translated: tuple = (), plain: tuple = PLAIN_COLUMNS, values: dict | None = None) -> pd.DataFrame:
    """The table ``df`` as a reader sees it (a :class:`WholeTable`: every row, no text cut),
    every cell a string: headers (and the index
    name) from the catalogue (:func:`column_label`), numbers written in ``lang``
    (``decimals`` for all numeric columns or per column), missing values as "—".
    Columns named in ``translated`` already carry a reader's header (e.g. a unit's name)
    and are kept; columns in ``plain`` (years, codes) are written without separators;
    columns in ``values`` (column -> key prefix) hold codes shown in words (``flag.worse``). A
    column without a catalogue entry raises :class:`UntranslatedError`."""
    _check_lang(lang)
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        d = decimals.get(col, 2) if isinstance(decimals, dict) else decimals
        header = col if col in translated else column_label(col, lang)
        if values and col in values:  # codes shown in words: catalogue key <prefix><code>
            out[header] = [MISSING if isna(v) else t_or(f"{values[col]}{v}", lang, str(v)) for v in df[col].tolist()]
        elif col in plain:
            out[header] = [MISSING if isna(v) else str(v) for v in df[col].tolist()]
        else:
            out[header] = [fmt_cell(v, lang, d) for v in df[col].tolist()]
    if df.index.name is not None:
        out.index = pd.Index([fmt_cell(v, lang, 0) for v in df.index], name=column_label(df.index.name, lang))
    return WholeTable(out)  # shown whole: no text cut with "...", every row


class WholeTable(pd.DataFrame):
    """A table shown whole in a notebook or page: every row, every column, no text cut with
    "..." (a message, a quotation must be read to its end)."""

    _WHOLE = ("display.max_colwidth", None, "display.max_rows", None, "display.max_columns", None)

    def _repr_html_(self):
        with pd.option_context(*self._WHOLE):
            return super()._repr_html_()

    def __repr__(self) -> str:
        with pd.option_context(*self._WHOLE):
            return super().__repr__()


# ------------------------------------------------------------------------------------
# messages kept with their key: English wherever a plain string goes, any language on a page
# ------------------------------------------------------------------------------------

class Message(str):
    """A catalogue text kept with its key and values. As a string it is the English text
    (what exceptions, the command line and logs print, unchanged); :func:`shown` writes it
    in the reader's language. A template (``Message("form.window")``, placeholders not yet
    filled) gives the filled message with ``.format(**values)``.

        >>> m = Message("form.negative")
        >>> m == "a non-negative number of records", shown(m, "vi") == t("form.negative", "vi")
        (True, True)
    """

    def __new__(cls, key: str, /, **values):
        self = super().__new__(cls, t(key, "en", **values))
        self.key, self.values = key, values
        return self

    def format(self, *args, **values) -> Message:
        """The template filled: a message with the same key and these values."""
        if args:
            raise TypeError("a catalogue message is filled by named values only")
        return Message(self.key, **{**self.values, **values})

    def __reduce__(self):  # pickled and copied as key and values, not as its English text
        return (_rebuild, (self.key, self.values))


class _Joined(Message):
    """Messages (or plain texts) joined by a separator, each shown in the same language."""

    def __new__(cls, sep: str, parts):
        parts = tuple(parts)
        self = str.__new__(cls, sep.join(parts))
        self.key, self.values = None, {"sep": sep, "parts": parts}
        return self

    def format(self, *args, **values):  # pragma: no cover - a joined text has no placeholders
        raise TypeError("a joined text has no placeholders")


def _rebuild(key, values) -> Message:
    return _Joined(values["sep"], values["parts"]) if key is None else Message(key, **values)


def day_message(d) -> Message:
    """A day inside a message (catalogue ``units.day``): 2025-06-30 in English, as
    ``date()`` prints it, and 30/06/2025 in Vietnamese."""
    return Message("units.day", y=d.year, m=d.month, d=d.day)


def joined(sep: str, parts) -> Message:
    """``sep.join(parts)`` that :func:`shown` writes part by part in the reader's language."""
    return _Joined(sep, parts)


def shown(text, lang: str = DEFAULT_LANG):
    """``text`` in ``lang``: a :class:`Message` written from the catalogue (its values that
    are messages too, in the same language); a warning or exception carrying a message, that
    message; any other value unchanged."""
    if isinstance(text, BaseException):
        text = text.args[0] if len(text.args) == 1 and isinstance(text.args[0], Message) else str(text)
    if not isinstance(text, Message):
        return text
    _check_lang(lang)
    if text.key is None:
        return text.values["sep"].join(str(shown(p, lang)) for p in text.values["parts"])
    return t(text.key, lang, **{k: shown(v, lang) for k, v in text.values.items()})
