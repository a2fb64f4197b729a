"""What a dataset folder holds, and a plain-words note when a report section needs a part
it does not hold.

A folder built the documented way (``paranalysis ingest`` of official-form workbooks into
a new folder, docs/quarterly-cycle.md §0) holds only processing counts: no investment
register, no rankings, no press figures. The notebooks call :func:`require` at the top of
each section that needs such a part; when the part is missing it shows what is missing and
how to add it (words from the translation table :mod:`paranalysis.i18n`, keys ``avail.*``)
and returns False, so the section is skipped instead of failing::

    has_investments = availability.require(ds, "investment_effects", lang, quarter=q)
    if has_investments:
        ...

Parts (:data:`PARTS`):

``processing``
    processing counts (one row per unit and quarter).
``whole_years``
    at least one calendar year with all four quarters up to the report quarter (yearly
    comparisons need them).
``investments``
    the investment register (``investments*.csv``), at least one row.
``investment_effects``
    what the staggered difference-in-differences model needs, for every investment
    category: at least two units whose investment came into operation after the first
    quarter of the data and by the report quarter (so each has a quarter before it) and at
    least two units that never invested (the comparison). Needs ``investments`` first.
``rankings``
    published ranks of the province (``rankings*.csv``; the package ships Nghệ An's in
    ``data/rankings/``).
``district_rankings``
    a ranking of district-level units (none is published; the bundled demo holds a
    synthetic one).
``facts``
    figures quoted in press reports (``facts*.csv``; the package ships them in ``data/facts/``).
``service_index``
    the Decision 766 scorecard in the folder's ``service_index/``.
``records``
    record-level exports (``records*.csv`` / ``.parquet``), one row per dossier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from paranalysis.dataset import Dataset
from paranalysis.i18n import DEFAULT_LANG, quarter_label, t
from paranalysis.markup import esc

PROVINCE = "40"
PARTS = ("processing", "whole_years", "investments", "investment_effects", "rankings", "district_rankings",
         "facts", "service_index", "records")
MIN_UNITS = 2  # treated and comparison units the effect model needs (as paranalysis.leadership)


@dataclass
class Part:
    """Whether a dataset holds one part: ``ok``, and the words saying what is missing
    (``missing``, an i18n key with its ``values``)."""

    name: str
    ok: bool
    key: str | None = None
    values: dict = field(default_factory=dict)

    def note(self, lang: str = DEFAULT_LANG) -> str:
        """What is missing and how to add it, in ``lang`` (empty when the part is there)."""
        if self.ok:
            return ""
        return t(self.key, lang, **self.values)


def _quarter(ds: Dataset, quarter):
    from paranalysis.periods import to_period

    if quarter is not None:
        return to_period(quarter)
    return ds.processing["period"].max() if len(ds.processing) else None


def _folder(ds: Dataset) -> str:
    return esc(ds.path.name) if ds.path is not None else ""


def _effects_part(ds: Dataset, q) -> Part:
    from paranalysis import geography, treatment

    if ds.investments.empty:
        return Part("investment_effects", False, "avail.investments", {"folder": _folder(ds)})
    short = []
    for cat in treatment.CATEGORIES:
        panel = geography.harmonized_panel(ds, treatment=cat, end=q)
        if panel.empty:
            short.append(cat)
            continue
        first = panel["period"].min()
        ft = panel.groupby("unit_code")["first_treated"].first()  # all-NaT columns may come as datetimes
        adopters = sum(1 for x in ft.dropna() if first < pd.Period(x, freq=first.freq) <= q)
        never = int(ft.isna().sum())
        if adopters < MIN_UNITS or never < MIN_UNITS:
            short.append(cat)
    if not short:
        return Part("investment_effects", True)
    return Part("investment_effects", False, "avail.investment_effects",
                {"categories": short, "n": MIN_UNITS})


def _whole_years(ds: Dataset, q) -> list[int]:
    p = ds.processing
    if p.empty or q is None:
        return []
    per = pd.Series(p.loc[p["period"] <= q, "period"].unique())
    counts = per.map(lambda x: x.year).value_counts()
    return sorted(int(y) for y, n in counts.items() if n == 4)


def part(ds: Dataset, name: str, *, quarter=None) -> Part:
    """Whether ``ds`` holds the part ``name`` (one of :data:`PARTS`) for the report
    ``quarter`` (default: the latest in the data)."""
    if name not in PARTS:
        raise ValueError(f"unknown part {name!r}; use one of {', '.join(PARTS)}")
    q = _quarter(ds, quarter)
    folder = _folder(ds)
    if name == "processing":
        return Part(name, not ds.processing.empty, "avail.processing", {"folder": folder})
    if name == "whole_years":
        ok = bool(_whole_years(ds, q))
        first = ds.processing["period"].min() if len(ds.processing) else None
        return Part(name, ok, "avail.whole_years", {"first": first, "last": q})
    if name == "investments":
        return Part(name, not ds.investments.empty, "avail.investments", {"folder": folder})
    if name == "investment_effects":
        return _effects_part(ds, q)
    if name == "rankings":
        ok = bool((ds.rankings["unit_code"] == PROVINCE).any()) if len(ds.rankings) else False
        return Part(name, ok, "avail.rankings", {"folder": folder})
    if name == "district_rankings":
        from paranalysis.rankings import district_indices

        ok = bool(len(ds.rankings)) and bool(district_indices(ds.rankings, ds.units))
        return Part(name, ok, "avail.district_rankings", {"folder": folder})
    if name == "facts":
        return Part(name, not ds.facts.empty, "avail.facts", {"folder": folder})
    if name == "service_index":
        root = ds.path / "service_index" if ds.path is not None else None
        ok = root is not None and root.is_dir() and any(root.glob("*.csv"))
        return Part(name, ok, "avail.service_index", {"folder": folder})
    from paranalysis.records.analysis import find_exports  # records

    ok = ds.path is not None and bool(find_exports(ds.path))
    return Part(name, ok, "avail.records", {"folder": folder})


def _render(p: Part, lang: str) -> str:
    values = dict(p.values)
    if p.name == "whole_years":
        values = {k: quarter_label(v, lang) if v is not None else "—" for k, v in values.items()}
    if p.name == "investment_effects" and "categories" in values:
        values["categories"] = ", ".join(t(f"avail.cat.{c}", lang) for c in values["categories"])
    return t(p.key, lang, **values)


def missing_note(ds: Dataset, name: str, lang: str = DEFAULT_LANG, *, quarter=None) -> str:
    """The plain-words note (Markdown) saying what part ``name`` lacks and how to add it;
    empty when ``ds`` holds it."""
    p = part(ds, name, quarter=quarter)
    return "" if p.ok else _render(p, lang)


def holds(ds: Dataset, *, quarter=None) -> dict[str, bool]:
    """Every part of :data:`PARTS` and whether ``ds`` holds it."""
    return {name: part(ds, name, quarter=quarter).ok for name in PARTS}


def summary(ds: Dataset, lang: str = DEFAULT_LANG, *, quarter=None) -> pd.DataFrame:
    """One row per part: its name in ``lang``, whether the folder holds it, and for a
    missing part what to do (plain words from the translation table)."""
    rows = []
    for name in PARTS:
        p = part(ds, name, quarter=quarter)
        rows.append({t("avail.col_part", lang): t(f"avail.part.{name}", lang),
                     t("avail.col_present", lang): t("avail.yes" if p.ok else "avail.no", lang),
                     t("avail.col_todo", lang): "" if p.ok else _render(p, lang)})
    return pd.DataFrame(rows)


def require(ds: Dataset, name: str, lang: str = DEFAULT_LANG, *, quarter=None, show: bool = True) -> bool:
    """True if ``ds`` holds the part ``name`` (see :data:`PARTS`). Otherwise show (as
    notebook output) a note saying in plain words what is missing and how to add it, and
    return False so the notebook skips the section."""
    p = part(ds, name, quarter=quarter)
    if not p.ok and show:
        from IPython.display import Markdown, display

        display(Markdown(f"> **{t('avail.skipped', lang)}** {_render(p, lang)}"))
    return p.ok


__all__ = ["PARTS", "Part", "holds", "missing_note", "part", "require", "summary"]
