"""One shape for everything the package estimates or tabulates.

Every model, ranking calculation and comparison returns a :class:`Result`:

- ``tidy()``: a ``pandas.DataFrame`` with one row per estimated quantity and the columns
  of R's *broom* convention, :data:`TIDY_COLUMNS` = ``term, estimate, std_error,
  statistic, p_value, conf_low, conf_high`` (then any extra columns such as ``outcome``,
  ``n_units``, ``method``). ``estimate`` is always the estimated number itself, whatever
  the model calls it in the literature (an ATT, a coefficient, a difference of means);
  ``statistic`` is ``estimate / std_error``.
- ``summary()``: a short plain-text summary for a notebook or a log.
- ``settings``: the options that produced the result (model choices, window, index), so a
  number can always be traced back to how it was made.

:class:`TableResult` is for results that are mainly one table (a rank-change table, a
reconciliation, points needed to move up): ``.table`` is the table, ``.meta`` the facts
found while making it (units left out, keys compared), ``.settings`` the inputs; its
``tidy()`` is the table. These replace ``DataFrame.attrs``, which pandas drops or merges
silently when frames are combined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: the broom-style columns every ``tidy()`` of an estimate starts with
TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def tidy_frame(term, estimate, std_error=np.nan, p_value=np.nan, conf_low=np.nan, conf_high=np.nan, *,
               statistic=None, **extra) -> pd.DataFrame:
    """A tidy table with the :data:`TIDY_COLUMNS` first, then ``extra`` columns in the
    order given. Scalars are broadcast; ``statistic`` defaults to ``estimate / std_error``
    (missing where the standard error is missing or zero)."""
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    n = len(est)

    def col(v):
        a = np.asarray(v, dtype=float)
        return np.full(n, float(a)) if a.ndim == 0 else a

    se = col(std_error)
    if statistic is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.where(np.isfinite(se) & (se > 0), est / se, np.nan)
    else:
        stat = col(statistic)
    terms = list(term) if not isinstance(term, str) else [term] * n
    out = pd.DataFrame({"term": terms, "estimate": est, "std_error": se, "statistic": stat,
                        "p_value": col(p_value), "conf_low": col(conf_low), "conf_high": col(conf_high)})
    for k, v in extra.items():
        out[k] = v.to_numpy() if isinstance(v, (pd.Series, pd.Index)) else v
    return out


@dataclass
class Result:
    """Base of every result: ``tidy()`` (broom columns), ``summary()`` (plain text) and
    ``settings`` (the options that produced it)."""

    settings: dict = field(default_factory=dict, kw_only=True, repr=False)

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:
        """The tidy table as text, after the settings."""
        head = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        tab = self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return (f"{type(self).__name__}({head})\n" if head else f"{type(self).__name__}\n") + tab

    def __repr__(self) -> str:  # pragma: no cover - display only
        return self.summary()


@dataclass(repr=False)
class TableResult(Result):
    """A result that is mainly one table: ``table`` (the rows), ``meta`` (what was found
    while making it: e.g. units in only one of two years, keys compared) and ``settings``
    (the inputs). ``tidy()`` returns a copy of the table."""

    table: pd.DataFrame
    meta: dict = field(default_factory=dict)
    title: str = ""

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        head = self.title or type(self).__name__
        parts = [f"{head}: {len(self.table)} rows"]
        if self.settings:
            parts.append("settings: " + ", ".join(f"{k}={v}" for k, v in self.settings.items()))
        for k, v in self.meta.items():
            shown = f"{len(v)} rows" if isinstance(v, pd.DataFrame) else v
            parts.append(f"{k}: {shown}")
        return "\n".join(parts)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def empty(self) -> bool:
        return self.table.empty

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.table._repr_html_()
