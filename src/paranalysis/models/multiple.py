"""Several outcomes tested at once: one family of tests per question, Holm-adjusted.

Testing three indicators for each investment and calling every p < 0.05 a finding makes
at least one false alarm much more likely than 5 %. Holm's step-down adjustment keeps the
chance of any false alarm in a family at 5 % without assuming the tests are independent
(the arithmetic of ``statsmodels.stats.multitest.multipletests(method="holm")``, which also
runs the garbage collector on every call: 0.1 to 0.4 s in a notebook). Complementary outcomes (the
late rate and the on-time rate on the resolved basis add up to 100 %) are one finding,
not two: :data:`COMPLEMENTS` lists them and :func:`drop_complements` keeps one of each
pair.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: outcome pairs that are the same finding (the second is dropped when both are present)
COMPLEMENTS = {("late_rate_resolved_basis", "on_time_resolved_basis")}


def drop_complements(outcomes) -> list:
    """``outcomes`` without the second member of any complementary pair."""
    outcomes = list(outcomes)
    drop = {b for a, b in COMPLEMENTS if a in outcomes and b in outcomes}
    return [o for o in outcomes if o not in drop]


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (missing p-values stay missing and do not count)."""
    p = np.asarray(p_values, float)
    out = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        x = p[ok]
        order = np.argsort(x)  # smallest first; each times the number of tests not yet passed
        adjusted = np.maximum.accumulate(np.take(x, order) * np.arange(len(x), 0, -1))
        adjusted[adjusted > 1] = 1
        back = np.empty_like(adjusted)
        back[order] = adjusted
        out[ok] = back
    return out


def adjust_by_family(table: pd.DataFrame, family: str, p: str = "p_value", out: str = "p_holm") -> pd.DataFrame:
    """Add ``out``: Holm-adjusted ``p`` within each group of rows sharing ``family``
    (one family = one question, e.g. one investment and its indicators)."""
    t = table.copy()
    t[out] = np.nan
    for _, idx in t.groupby(family, sort=False).groups.items():
        t.loc[idx, out] = holm(t.loc[idx, p].to_numpy())
    return t
