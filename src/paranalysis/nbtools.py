"""Small helpers every notebook uses: parameters → dataset, and the synthetic-data banner."""

from __future__ import annotations

import pandas as pd

from paranalysis.dataset import Dataset, load_dataset
from paranalysis.i18n import DEFAULT_LANG, MISSING, quarter_label, t
from paranalysis.periods import to_period


def setup(data_dir=None, quarter=None, lang: str = DEFAULT_LANG) -> tuple[Dataset, pd.Period]:
    """Load the dataset named by the notebook parameters and resolve the quarter
    (default: the latest quarter with processing data)."""
    ds = load_dataset(data_dir)
    if quarter is None:
        q = ds.processing["period"].max() if len(ds.processing) else None
    else:
        q = to_period(quarter)
    return ds, q


def banner_text(ds: Dataset, lang: str = DEFAULT_LANG) -> str | None:
    tables = ds.synthetic_tables()
    if not tables:
        return None
    return t("nb.banner", lang, tables=", ".join(tables))


def synthetic_banner(ds: Dataset, lang: str = DEFAULT_LANG):
    """An HTML banner (for notebook output) whenever any table holds synthetic rows."""
    from IPython.display import HTML

    text = banner_text(ds, lang)
    if text is None:
        return HTML("")
    return HTML(
        '<div class="paranalysis-synthetic-banner" style="background:#fff3cd;border:2px solid #d68910;'
        'padding:10px;margin:8px 0;font-weight:bold;color:#7a4a00">⚠ ' + text + "</div>"
    )




def _units_phrase(ds: Dataset, lang: str) -> str:
    """How many units the processing table covers, by level when there are several
    ("21 district-level units, 130 communes and wards, 14 agencies")."""
    p = ds.processing
    codes = pd.Series(p["unit_code"].unique())
    if "level" not in ds.units.columns or codes.empty:
        return str(len(codes))
    level = codes.map(ds.units.drop_duplicates("unit_code").set_index("unit_code")["level"])
    counts = level.value_counts()
    if len(counts) <= 1 or level.isna().any():
        return str(len(codes))
    order = ["province", "district", "commune", "agency", "department"]
    parts = [t(f"nb.level.{lv}", lang, n=int(counts[lv])) for lv in order if lv in counts.index]
    return ", ".join(parts)


def scope_text(ds: Dataset, quarter, lang: str = DEFAULT_LANG) -> str:
    """One line saying which quarter the report is for and which quarters the data covers."""
    p = ds.processing
    if p.empty:
        first = last = MISSING
    else:
        first, last = quarter_label(p["period"].min(), lang), quarter_label(p["period"].max(), lang)
    phrase = _units_phrase(ds, lang)
    if phrase.isdigit():   # one level: one sum; several levels: how many of each
        phrase = t("nb.units_n", lang, n=int(phrase))
    return t("nb.scope", lang, q=quarter_label(quarter, lang) if quarter is not None else MISSING, first=first, last=last, units=phrase)


def scope(ds: Dataset, quarter, lang: str = DEFAULT_LANG):
    """The scope line as notebook output (HTML)."""
    from IPython.display import HTML

    return HTML(f'<p class="paranalysis-scope">{scope_text(ds, quarter, lang)}</p>')


def md(key: str, lang: str = DEFAULT_LANG, **values):
    """A notebook's narrative text (catalogue key ``key``, Markdown) as output in ``lang``:
    the story of a notebook is written once per language in the catalogue, so a report is
    in one language throughout. ``values`` fill the text's placeholders (escape text taken
    from data with :func:`paranalysis.markup.esc`)."""
    from IPython.display import Markdown

    return Markdown(t(key, lang, **values))


def table(df, lang: str = DEFAULT_LANG, **kw):
    """A table of the library or the data as a reader sees it (:func:`paranalysis.i18n.display_table`:
    headers from the catalogue, numbers in ``lang``, missing values as "—")."""
    from paranalysis.i18n import display_table

    return display_table(df, lang, **kw)
