"""Dates at which the meaning of the counts changed (regulations, mergers): the breaks a
series crosses, and dummies for them in a model."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, t
from paranalysis.periods import QUARTER_FREQ, to_period


@dataclass(frozen=True)
class DefinitionBreak:
    """A date from which the counts of the processing table mean something different
    (a new regulation, a new indicator definition, a merger of units)."""

    key: str
    date: _dt.date
    instruments: str
    scope: str  # "all", "district" or "commune": which series it breaks

    @property
    def quarter(self) -> pd.Period:
        """The calendar quarter in which the break falls."""
        return pd.Period(self.date, freq=QUARTER_FREQ)

    @property
    def first_full_quarter(self) -> pd.Period:
        """The first calendar quarter lying wholly after the break (a quarter starting on
        the break date counts)."""
        q = self.quarter
        return q if pd.Timestamp(self.date) == q.start_time else q + 1

    def label(self, lang: str = DEFAULT_LANG) -> str:
        """The name in ``lang`` (catalogue key ``break.<key>``)."""
        return t(f"break.{self.key}", lang)


DEFINITION_BREAKS: tuple[DefinitionBreak, ...] = (
    DefinitionBreak(
        "decree_61_2018", _dt.date(2018, 6, 21),
        "Decree 61/2018/NĐ-CP (in force 21 Jun 2018)", "all"),
    DefinitionBreak(
        "commune_merger_2020", _dt.date(2020, 1, 1),
        "UBTVQH resolution on Nghe An, 2019-2021 round (in force 1 Jan 2020)", "commune"),
    DefinitionBreak(
        "decree_42_decision_766_2022", _dt.date(2022, 6, 23),
        "Decision 766/QĐ-TTg (23 Jun 2022); Decree 42/2022/NĐ-CP (24 Jun 2022)", "all"),
    DefinitionBreak(
        "vinh_cua_lo_merger_2024", _dt.date(2024, 12, 1),
        "Resolution 1243/NQ-UBTVQH15 (in force 1 Dec 2024)", "district"),
    DefinitionBreak(
        "two_level_government_2025", _dt.date(2025, 7, 1),
        "Resolution 203/2025/QH15; Law 72/2025/QH15; Res. 1678/NQ-UBTVQH15; Decree 118/2025 (1 Jul 2025)", "all"),
)


def definition_breaks(scopes: Iterable[str] = ("all", "district")) -> list[DefinitionBreak]:
    """The definition breaks that affect series of the given scopes, in date order."""
    scopes = set(scopes)
    return [b for b in DEFINITION_BREAKS if b.scope in scopes]


def break_dummies(periods, scopes: Iterable[str] = ("all", "district")) -> pd.DataFrame:
    """One 0/1 column per definition break: 1 for quarters wholly after the break.
    ``periods`` is anything :func:`paranalysis.periods.to_period` accepts, one per row."""
    ps = pd.PeriodIndex([to_period(p) for p in periods], freq=QUARTER_FREQ)
    out = {b.key: (ps >= b.first_full_quarter).astype(int) for b in definition_breaks(scopes)}
    return pd.DataFrame(out, index=range(len(ps)))
