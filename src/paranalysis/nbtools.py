"""Small helpers every notebook uses: parameters → dataset, and the synthetic-data banner."""

from __future__ import annotations

import pandas as pd

from paranalysis.dataset import Dataset, load_dataset
from paranalysis.periods import to_period

_BANNER = {
    "vi": ("DỮ LIỆU MINH HỌA (TỔNG HỢP): các bảng {tables} là dữ liệu giả lập để trình diễn, "
           "không phải số liệu thật của tỉnh. Không dùng để ra quyết định."),
    "en": ("SYNTHETIC DEMONSTRATION DATA: the {tables} tables are simulated for demonstration, "
           "not real figures of the province. Do not use them for decisions."),
}


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


_SCOPE = {
    "vi": "Quý báo cáo: <b>{q}</b> · số liệu giải quyết hồ sơ có từ {first} đến {last} ({n} đơn vị)",
    "en": "Report quarter: <b>{q}</b> · processing data from {first} to {last} ({n} units)",
}


def scope_text(ds: Dataset, quarter, lang: str = "vi") -> str:
    """One line saying which quarter the report is for and which quarters the data covers."""
    p = ds.processing
    if p.empty:
        first = last = "—"
    else:
        first, last = str(p["period"].min()), str(p["period"].max())
    return _SCOPE.get(lang, _SCOPE["en"]).format(q=quarter if quarter is not None else "—", first=first, last=last,
                                                n=p["unit_code"].nunique())


def scope(ds: Dataset, quarter, lang: str = "vi"):
    """The scope line as notebook output (HTML)."""
    from IPython.display import HTML

    return HTML(f'<p class="paranalysis-scope">{scope_text(ds, quarter, lang)}</p>')
