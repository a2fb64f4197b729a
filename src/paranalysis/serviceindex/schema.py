"""The tidy service-index table: one row per unit, period and component (or sub-indicator).

Decision 766/QĐ-TTg scores every province, agency and commune on six groups (maxima:
transparency 18, progress 20, online_service 12, online_payment 10, digitisation 22,
satisfaction 18; total 100). ``load_service_index`` returns them in the columns
``SERVICE_INDEX_COLUMNS`` (see docs/service-index.md):

- ``unit_id``: the portal's unit code (``H41``, ``H41.100``); missing where the export
  gives none (the 2026 transparency response names units by ``portal_id`` only).
- ``portal_id``: the portal's internal id of the unit (2025 ``ID``; 2026 ``departmentId``).
- ``unit_name``, ``level`` (``province``, ``agency``, ``commune``), ``unit_code`` (the
  package's unit registry code, only for Nghệ An units it knows).
- ``period`` ("2025-10" month, "2026Q3" quarter, "2026" year, "2025-YTD" year to date),
  ``period_type`` (month / quarter / year / ytd / unknown), ``period_start``,
  ``period_end`` (dates; a year-to-date ends at the export date when it is known) and
  ``period_open`` (the period had not ended when the export was taken; missing when the
  export time is unknown).
- ``component``: a group (``COMPONENTS``) or a sub-indicator (the portal's metric code,
  e.g. ``PUBLISH_ON_TIME``); ``group`` is the group it belongs to (= ``component`` on
  group rows).
- ``score``, ``max_score``, ``rank`` and ``n_ranked`` where the export gives them. A
  missing score is missing (NaN), never 0.
- counts the export carries: ``received``, ``on_time``, ``overdue``, ``completed``,
  ``avg_processing_days``, ``numerator``, ``denominator``, ``ratio`` (0-100), and
  ``other_counts`` (the remaining numeric fields as JSON, under the portal's names).
- ``data_quality`` (portal data-quality flags and notes made here), ``derived`` (True for
  values computed here, e.g. the 2026 total as the sum of the six groups).
- ``formula_version``: the scoring basis; scores of different versions are never
  compared silently (``comparable``), ``source``, ``retrieved_at`` (UTC), ``synthetic``.
"""

from __future__ import annotations

import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.i18n import DEFAULT_LANG, Message

#: The six groups and the total, with their maxima (Decision 766; 2026 METRICS sheet).
MAX_SCORES = {
    "transparency": 18.0,
    "progress": 20.0,
    "online_service": 12.0,
    "online_payment": 10.0,
    "digitisation": 22.0,
    "satisfaction": 18.0,
    "total": 100.0,
}
GROUPS = ("transparency", "progress", "online_service", "online_payment", "digitisation", "satisfaction")
COMPONENTS = GROUPS + ("total",)
LEVELS = ("province", "agency", "commune")
PERIOD_TYPES = ("month", "quarter", "year", "ytd", "unknown")


#: Scoring bases the loaders know. A version names the system and year whose formula produced
#: the scores; two versions are not assumed to be comparable unless shown to be.
FORMULA_VERSIONS = {
    "766-portal-2025": "dichvucong.gov.vn 766 index export of 2025 (report_tinh_766_service): six group "
                       "scores and the total, no sub-indicators",
    "766-reporting-2026": "national portal reporting API of 2026 (/api/v1/reporting/evaluation/*): six "
                          "groups with sub-indicators; allocation of the 'Công thức 766' METRICS sheet",
}

COUNT_FIELDS = ["received", "on_time", "overdue", "completed", "avg_processing_days", "numerator",
                "denominator", "ratio"]
SERVICE_INDEX_COLUMNS = [
    "unit_id", "portal_id", "unit_name", "level", "unit_code",
    "period", "period_type", "period_start", "period_end", "period_open",
    "component", "group", "score", "max_score", "rank", "n_ranked",
    *COUNT_FIELDS, "other_counts", "data_quality", "derived",
    "formula_version", "source", "retrieved_at", "synthetic",
]
KEY = ["unit_key", "period", "component", "formula_version"]
#: Tolerance (points) for "the total equals the sum of its parts": scores are published with
#: two decimals, so a sum of rounded parts may differ from the rounded total by a few 0.005.
SUM_TOLERANCE = 0.015


def component_label(component: str, lang: str = DEFAULT_LANG) -> str:
    """Display name of a group (Vietnamese by default); sub-indicators keep their code."""
    from paranalysis.i18n import t_or

    return t_or(f"si.component.{component}", lang, component)


def unit_key(df: pd.DataFrame) -> pd.Series:
    """The unit identity used for joining rows: the portal code, else the portal id."""
    return df["unit_id"].where(df["unit_id"].notna(), df["portal_id"]).astype(object)


def empty_frame() -> pd.DataFrame:
    return coerce(pd.DataFrame({c: [] for c in SERVICE_INDEX_COLUMNS}))


def coerce(df: pd.DataFrame) -> pd.DataFrame:
    """Put a service-index frame into the documented dtypes and column order."""
    out = df.copy()
    for c in SERVICE_INDEX_COLUMNS:
        if c not in out.columns:
            out[c] = None
    for c in ("unit_id", "portal_id", "unit_name", "level", "unit_code", "period", "period_type", "component",
              "group", "other_counts", "data_quality", "formula_version", "source"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    for c in ("period_start", "period_end"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    out["retrieved_at"] = pd.to_datetime(out["retrieved_at"], utc=True)
    for c in ("score", "max_score", "avg_processing_days", "ratio"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    for c in ("rank", "n_ranked", "received", "on_time", "overdue", "completed", "numerator", "denominator"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    out["period_open"] = out["period_open"].astype("boolean")
    out["derived"] = out["derived"].fillna(False).astype(bool)
    out["synthetic"] = out["synthetic"].fillna(False).astype(bool)
    return out[SERVICE_INDEX_COLUMNS].reset_index(drop=True)


def validate(df: pd.DataFrame, *, file: str | None = None) -> pd.DataFrame:
    """Check a service-index frame: known levels, period types and groups; scores within
    [0, max]; one row per unit, period, component and formula version. DataError lists
    every fault."""
    df = coerce(df)
    problems: list[Problem] = []

    def bad(i, column, value, expected):
        src = df.at[i, "source"] if "source" in df.columns else None
        problems.append(Problem(file=file or (str(src) if src else None), row=int(i), column=column, value=value,
                                expected=expected))

    for column, known in (("level", LEVELS), ("period_type", PERIOD_TYPES), ("group", COMPONENTS)):
        for i in df.index[~df[column].isin(known)]:
            bad(i, column, df.at[i, column], Message("problem.si.one_of", choices=", ".join(known)))
    for i in df.index[[not v for v in df["formula_version"]]]:
        bad(i, "formula_version", df.at[i, "formula_version"], Message("problem.si.formula_version"))
    over = df["score"].notna() & df["max_score"].notna() & (df["score"] > df["max_score"] + SUM_TOLERANCE)
    for i in df.index[over]:
        bad(i, "score", df.at[i, "score"], Message("problem.si.at_most_max", maximum=df.at[i, "max_score"]))
    neg = df["score"].notna() & (df["score"] < 0)
    for i in df.index[neg]:
        bad(i, "score", df.at[i, "score"], Message("problem.si.score_non_negative"))
    keys = df.assign(unit_key=unit_key(df))
    dup = keys.duplicated(KEY, keep="first") & keys["unit_key"].notna()
    for i in df.index[dup]:
        bad(i, "component", df.at[i, "component"],
            Message("problem.si.duplicate_row", unit=keys.at[i, "unit_key"], period=df.at[i, "period"]))
    if problems:
        raise DataError(problems[:200], file=file)
    return df


def comparable(a: pd.DataFrame | str, b: pd.DataFrame | str | None = None) -> bool:
    """True when scores share one formula version (both frames, or within one frame)."""
    va = {a} if isinstance(a, str) else set(a["formula_version"].dropna())
    vb = set() if b is None else ({b} if isinstance(b, str) else set(b["formula_version"].dropna()))
    return len(va | vb) == 1


def require_comparable(df: pd.DataFrame, what: str = "these scores") -> None:
    """DataError unless every row of ``df`` has the same formula version: scores from
    different scoring bases are not compared silently."""
    versions = sorted(set(df["formula_version"].dropna()))
    if len(versions) > 1:
        if what == "these scores":  # the default, in the reader's language
            what = Message("problem.si.these_scores")
        raise DataError([Problem(column="formula_version", value=", ".join(versions),
                                 expected=Message("problem.si.one_version", what=what))])
