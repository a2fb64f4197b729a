"""Crosswalks between Nghệ An's maps, as data: which unit became which, and when.

A crosswalk table has one row per link (``schemas.CROSSWALK_COLUMNS``):

- ``merged_into``: from ``effective`` on, (part of) ``from_code`` is part of ``to_code``.
  ``merge_type`` full/partial; ``weight`` is the share of ``from_code``'s counts that
  :func:`paranalysis.harmonize` gives to ``to_code`` (the weights of one ``from_code`` sum to
  1; blank means 1 for a full link). Old commune -> 2025 commune, Cửa Lò -> Vinh, agency ->
  successor.
- ``parent``: ``from_code`` (a commune) belonged to district ``to_code`` from ``effective``
  (blank: from before the registry's records) until its next ``parent`` row; only for the
  communes that moved (the December 2024 moves into Vinh). Others have their units row's
  ``parent_code``.
- ``district_commune``: the former district ``from_code`` held (part of) the 2025 commune
  ``to_code`` (transcribed from the district list; a cross-check of the commune links).

The package ships ``resources/crosswalk_nghean*.csv``; a ``crosswalk*.csv`` file in a data
folder overrides it: its rows replace every shipped row with the same ``relation`` and
``from_code`` (so a folder can, e.g., split Xã Hòa Sơn 50/50 between its two successors).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import Message

CROSSWALK_RESOURCES = ("crosswalk_nghean.csv", "crosswalk_nghean_communes_2025.csv")
HIGH_CONFIDENCE = {"high", "manual:high"}


def coerce_crosswalk(df: pd.DataFrame, *, source_name: str | None = None) -> pd.DataFrame:
    from paranalysis.schemas import CROSSWALK_COLUMNS, validate

    df = df.copy()
    for c in CROSSWALK_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df["effective"] = pd.to_datetime(df["effective"].replace("", None), errors="coerce").astype("datetime64[ns]")
    w = df["weight"].replace("", None)
    df["weight"] = pd.to_numeric(w, errors="coerce").astype(float)
    for c in CROSSWALK_COLUMNS:
        if c not in ("effective", "weight"):
            df[c] = df[c].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) or str(v) == ""
                              else str(v)).astype(object)
    return validate(df[CROSSWALK_COLUMNS], "crosswalk", file=source_name)


@lru_cache(maxsize=1)
def _package_crosswalk() -> tuple[pd.DataFrame, tuple]:
    """The shipped crosswalk and the (resource file, line) of each row."""
    frames, origins = [], []
    for name in CROSSWALK_RESOURCES:
        path = resources.files("paranalysis").joinpath("resources/" + name)
        with path.open("rb") as fh:
            df = pd.read_csv(fh, dtype=str, keep_default_na=False)
        frames.append(df)
        origins += [(f"paranalysis/resources/{name}", i + 2) for i in range(len(df))]
    out = coerce_crosswalk(pd.concat(frames, ignore_index=True), source_name="paranalysis/resources/crosswalk*.csv")
    return out, tuple(origins)


def package_crosswalk() -> pd.DataFrame:
    """The crosswalk shipped with the package: Cửa Lò -> Vinh and the December 2024 moves,
    the agencies -> their 1 March 2025 successors, the 412 old communes -> the 130 of
    1 July 2025 (414 links, 4 partial) and the former districts -> their 2025 communes."""
    return _package_crosswalk()[0].copy()


def effective_weights(cw: pd.DataFrame) -> pd.Series:
    """The weight of each ``merged_into`` row (blank full links weigh 1)."""
    return cw["weight"].where(cw["weight"].notna(), 1.0)


def check_crosswalk(cw: pd.DataFrame, units: pd.DataFrame, *, origin: list | None = None) -> list[Problem]:
    """Codes known to ``units``; the merged_into weights of one from_code sum to 1.
    ``origin``: (file, line) of each row, for the messages."""
    origin = origin or [("crosswalk table", i + 2) for i in range(len(cw))]
    known = set(units["unit_code"])
    problems = []
    for i, r in enumerate(cw.itertuples(index=False)):
        file, line = origin[i] if i < len(origin) else ("crosswalk table", None)
        for col in ("from_code", "to_code"):
            code = getattr(r, col)
            if code not in known:
                problems.append(Problem(file=file, row=line, column=col, value=code,
                                        expected=Message("problem.data.unit_code")))
    m = cw["relation"] == "merged_into"
    sums = effective_weights(cw[m]).groupby(cw.loc[m, "from_code"]).sum()
    for code, total in sums.items():
        if abs(total - 1.0) > 1e-6:
            idx = [i for i in range(len(cw)) if m.iloc[i] and cw["from_code"].iloc[i] == code]
            file, line = origin[idx[0]] if idx and idx[0] < len(origin) else ("crosswalk table", None)
            problems.append(Problem(file=file, row=line, column="weight", value=round(float(total), 6),
                                    expected=Message("problem.data.crosswalk_weights", code=code)))
    return problems


def apply_crosswalk_overrides(base: pd.DataFrame, extra: pd.DataFrame, units: pd.DataFrame, *,
                              extra_origin: list | None = None) -> pd.DataFrame:
    """``base`` with the rows of a data folder's crosswalk files: each (relation, from_code)
    the folder names replaces all of base's rows for it. Codes must be known to ``units``;
    ``extra_origin`` is the (file, line) of each row of ``extra``."""
    if extra is None or extra.empty:
        return base
    names = set(zip(extra["relation"], extra["from_code"]))
    keep = [(r, f) not in names for r, f in zip(base["relation"], base["from_code"])]
    pkg, pkg_origin = _package_crosswalk()
    shipped = dict(zip(zip(pkg["relation"], pkg["from_code"], pkg["to_code"]), pkg_origin))
    b_origin = [shipped.get(k, ("crosswalk", None))
                for k in zip(base["relation"], base["from_code"], base["to_code"])]
    e_origin = extra_origin or [("crosswalk file", i + 2) for i in range(len(extra))]
    out = pd.concat([base[keep], extra], ignore_index=True)
    origin = [o for o, k in zip(b_origin, keep) if k] + list(e_origin)
    problems = check_crosswalk(out, units, origin=origin)
    if problems:
        raise DataError(problems)
    return out


def parent_on(code: str, day, units: pd.DataFrame, crosswalk: pd.DataFrame | None = None) -> str | None:
    """The district (or province) ``code`` belonged to on ``day``: its latest ``parent``
    link effective on or before that day, else its ``parent_code``."""
    from paranalysis.units.registry import on_date

    cw = package_crosswalk() if crosswalk is None else crosswalk
    d = on_date(day)
    links = cw[(cw["relation"] == "parent") & (cw["from_code"] == code)]
    if len(links):
        ok = links[links["effective"].isna() | (links["effective"] <= d)]
        if len(ok):
            ok = ok.assign(_e=ok["effective"].fillna(pd.Timestamp.min))
            return str(ok.sort_values("_e")["to_code"].iloc[-1])
    u = units.set_index("unit_code")
    if code in u.index:
        p = u.at[code, "parent_code"]
        return None if p is None or (isinstance(p, float) and pd.isna(p)) else str(p)
    return None
