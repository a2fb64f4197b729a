"""Small helpers every notebook uses: parameters → dataset, and the synthetic-data banner."""

from __future__ import annotations

import pandas as pd

from paranalysis.dataset import Dataset, load_dataset
from paranalysis.periods import to_period



def setup(data_dir=None, quarter=None, lang: str = "vi") -> tuple[Dataset, pd.Period]:
    """Load the dataset named by the notebook parameters and resolve the quarter
    (default: the latest quarter with processing data)."""
    ds = load_dataset(data_dir)
    if quarter is None:
        q = ds.processing["period"].max() if len(ds.processing) else None
    else:
        q = to_period(quarter)
    return ds, q


def banner_text(ds: Dataset, lang: str = "vi") -> str | None:
    tables = ds.synthetic_tables()
    if not tables:
        return None
    return _BANNER.get(lang, _BANNER["en"]).format(tables=", ".join(tables))


def synthetic_banner(ds: Dataset, lang: str = "vi"):
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
    words = _LEVEL_WORDS.get(lang, _LEVEL_WORDS["en"])
    order = ["province", "district", "commune", "agency", "department"]
    parts = [words[lv].format(n=int(counts[lv])) for lv in order if lv in counts.index]
    return ", ".join(parts)


def scope_text(ds: Dataset, quarter, lang: str = "vi") -> str:
    """One line saying which quarter the report is for and which quarters the data covers."""
    p = ds.processing
    if p.empty:
        first = last = "—"
    else:
        first, last = str(p["period"].min()), str(p["period"].max())
    text = _SCOPE.get(lang, _SCOPE["en"]).format(q=quarter if quarter is not None else "—", first=first, last=last,
                                                n=p["unit_code"].nunique())
    phrase = _units_phrase(ds, lang)
    if not phrase.isdigit():   # several levels: say how many of each, not one sum
        text = text.replace(f"({p['unit_code'].nunique()} " + ("đơn vị)" if lang == "vi" else "units)"), f"({phrase})")
    return text


def scope(ds: Dataset, quarter, lang: str = "vi"):
    """The scope line as notebook output (HTML)."""
    from IPython.display import HTML

    return HTML(f'<p class="paranalysis-scope">{scope_text(ds, quarter, lang)}</p>')
