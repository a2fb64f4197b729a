"""The dated unit registry shipped with the package, and how extra units join it.

Keys (``unit_code``), unique across vintages:

- ``40``: the province (GSO code, the same in the pre-2025 and 2025 systems);
- ``412``-``432``: the 21 district-level units (GSO codes), ended 2025-06-30 (Cửa Lò 413
  on 2024-11-30);
- the 412 communes/wards/townships before 1 July 2025: their GSO code (``16663``);
- the 130 communes/wards from 1 July 2025: GSO code + vintage (``17866-2025``), because the
  2025 codes reuse old commune codes (17866 was Xã Nghi Long; 17866-2025 is Xã Trung Lộc);
- provincial agencies: project codes (``40-SNV``), and ``<code>-2025`` for the agencies
  formed by the 1 March 2025 merger (``40-SNV-2025``).

The GSO code is in its own column ``gso_code``; ``valid_from``/``valid_to`` give the days a
unit existed (empty = not known to have started/ended). A row whose key already exists is an
error naming its file and line, never dropped.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message

# The resource files of the registry, read in this order.
UNIT_RESOURCES = (
    "units_nghean.csv",                  # province, 21 district-level units, provincial agencies
    "units_nghean_communes_pre2025.csv",  # the 412 communes before 1 July 2025 (transcribed)
    "units_nghean_communes_2025.csv",     # the 130 communes/wards from 1 July 2025 (transcribed)
)

# Nghệ An's reorganisations: the first day of the new map, and what changed.
REORGANISATIONS = (  # (day, what changed: catalogue units.reorg_*)
    (pd.Timestamp("2024-12-01"), Message("units.reorg_2024_12")),
    (pd.Timestamp("2025-03-01"), Message("units.reorg_2025_03")),
    (pd.Timestamp("2025-07-01"), Message("units.reorg_2025_07")),
)

LEVEL_SYNONYMS = {"department": "agency", "agencies": "agency", "districts": "district", "communes": "commune"}
LEVELS = ("province", "agency", "district", "commune")

HOW_TO_ADD = Message("units.how_to_add")


def normalize_level(level: str | None) -> str | None:
    """"department" (the earlier name) and plurals mean the registry's levels."""
    if level is None:
        return None
    lv = str(level).strip().lower()
    lv = LEVEL_SYNONYMS.get(lv, lv)
    if lv not in LEVELS:
        raise ValueError(f"level {level!r}: expected one of {', '.join(LEVELS)}")
    return lv


def _read_resource(name: str) -> pd.DataFrame:
    path = resources.files("paranalysis").joinpath("resources/" + name)
    with path.open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def duplicate_key_problems(codes: list, origins: list, existing: dict | None = None) -> list[Problem]:
    """A problem for every row whose ``unit_code`` is already taken (by an earlier row or by
    ``existing``: code -> (file, line)), naming the row's file and line and the first use."""
    seen = dict(existing or {})
    problems = []
    for code, (file, line) in zip(codes, origins):
        if code in seen:
            f0, l0 = seen[code]
            where = Message("problem.data.where_line", file=f0, line=l0) if l0 else f0
            problems.append(Problem(file=file, row=line, column="unit_code", value=code,
                                    expected=Message("problem.data.key_taken", code=code, where=where, how=HOW_TO_ADD)))
        else:
            seen[code] = (file, line)
    return problems


@lru_cache(maxsize=1)
def _package_units_raw() -> tuple[pd.DataFrame, tuple]:
    frames, origins = [], []
    for name in UNIT_RESOURCES:
        df = _read_resource(name)
        frames.append(df)
        origins += [(f"paranalysis/resources/{name}", i + 2) for i in range(len(df))]
    df = pd.concat(frames, ignore_index=True)
    problems = duplicate_key_problems(df["unit_code"].tolist(), origins)
    if problems:
        raise DataError(problems)
    return df, tuple(origins)


@lru_cache(maxsize=1)
def _package_units() -> pd.DataFrame:
    from paranalysis.schemas import coerce_units

    df, origins = _package_units_raw()
    return coerce_units(df.copy(), source_name="paranalysis/resources/units_nghean*.csv")


def package_units() -> pd.DataFrame:
    """The dated Nghệ An registry known to the package, as a ``units`` table: the province,
    the 21 district-level units, the 412 communes before and the 130 communes/wards from
    1 July 2025, and the provincial agencies before and after 1 March 2025."""
    return _package_units().copy()


def package_origins() -> dict:
    """unit_code -> (resource file, line) of the package registry."""
    return dict(zip(_package_units()["unit_code"], _package_units_raw()[1]))


def add_units(units: pd.DataFrame, extra: pd.DataFrame, *, origin: list | None = None) -> pd.DataFrame:
    """The registry ``units`` with the rows of ``extra`` (a folder's ``units*`` files, read
    with ``origin``, their (file, line) per row) appended; a row whose key exists already is a DataError naming its
    file and line."""
    from paranalysis.schemas import UNIT_COLUMNS, validate

    origin = origin or [("units table", i + 2) for i in range(len(extra))]
    existing = package_origins()
    for c in units["unit_code"]:
        existing.setdefault(c, (Message("problem.data.the_units_table"), None))
    problems = duplicate_key_problems(extra["unit_code"].tolist(), origin, existing)
    if problems:
        raise DataError(problems)
    out = pd.concat([units[UNIT_COLUMNS], extra[UNIT_COLUMNS]], ignore_index=True)
    return validate(out, "units")


def on_date(on) -> pd.Timestamp | None:
    """The day ``on`` means: a date, a date string, or a quarter (its last day)."""
    if on is None:
        return None
    if isinstance(on, pd.Period):
        return on.end_time.normalize()
    if isinstance(on, str) and len(on.strip()) == 6 and on.strip()[4] in "Qq":
        return pd.Period(on.strip().upper(), freq="Q-DEC").end_time.normalize()
    return pd.Timestamp(on).normalize()


def reorganisations_before(day: pd.Timestamp) -> list[str]:
    """What changed on or before ``day`` (newest first)."""
    return [what for start, what in sorted(REORGANISATIONS, reverse=True) if start <= day]
