"""Uncertainty of a rate and of a change in a rate: the Wilson score (or exact
Clopper-Pearson) interval of a proportion, and Newcombe's hybrid score interval for the
difference between two periods."""

from __future__ import annotations


import numpy as np
import pandas as pd

from paranalysis.indicators.counts import key_columns


def normal_quantile(alpha: float) -> float:
    """The value a standard normal exceeds with probability ``alpha`` (1.96 for 0.025)."""
    from paranalysis.distributions import norm_ppf  # scipy.special only: scipy.stats costs ~0.4 s more to import

    return float(-norm_ppf(alpha))


def wilson_interval(count: np.ndarray, nobs: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``count`` successes in ``nobs`` records (formula as in
    statsmodels' ``proportion_confint(method="wilson")``), clipped to 0-1."""
    crit = normal_quantile((1 - conf) / 2.0)
    crit2 = crit ** 2
    q = count / nobs
    denom = 1 + crit2 / nobs
    center = (q + crit2 / (2 * nobs)) / denom
    with np.errstate(invalid="ignore"):
        dist = crit * np.sqrt(q * (1.0 - q) / nobs + crit2 / (4.0 * nobs ** 2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def clopper_pearson_interval(count: np.ndarray, nobs: np.ndarray, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Clopper-Pearson interval: the beta quantiles ``(1 - conf) / 2`` of
    Beta(count, nobs - count + 1) and ``(1 + conf) / 2`` of Beta(count + 1, nobs - count),
    0 when no record succeeds and 1 when all do."""
    from scipy.special import betainccinv, betaincinv

    alpha = (1 - conf) / 2.0
    q = count / nobs
    with np.errstate(invalid="ignore"):
        lo = np.where(count > 0, betaincinv(np.where(count > 0, count, 1.0), nobs - count + 1, alpha), 0.0)
        hi = np.where(q < 1, betainccinv(count + 1, np.where(q < 1, nobs - count, 1.0), alpha), 1.0)
    return lo, hi


def proportion_interval(num: np.ndarray, den: np.ndarray, conf: float, method: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``conf`` interval of each rate ``num / den`` (``method`` "wilson" or "beta", exact
    Clopper-Pearson; other names of statsmodels' ``proportion_confint`` are passed to it),
    clipped to 0-1; NaN where the rate is undefined (no records, or a numerator outside 0..den)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    lo = np.full(len(num), np.nan)
    hi = np.full(len(num), np.nan)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0) & (num <= den)
    if ok.any():
        if method == "wilson":
            a, b = wilson_interval(num[ok], den[ok], conf)
        elif method == "beta":
            a, b = clopper_pearson_interval(num[ok], den[ok], conf)
        else:
            from statsmodels.stats.proportion import proportion_confint  # lazy: ~0.8 s to import

            a, b = proportion_confint(num[ok], den[ok], alpha=1 - conf, method=method)
        lo[ok], hi[ok] = np.clip(a, 0.0, 1.0), np.clip(b, 0.0, 1.0)
    return lo, hi


def newcombe_interval(count1, nobs1, count0, nobs0, conf: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for the difference ``count1 / nobs1 - count0 / nobs0``
    of two independent proportions, from the two Wilson intervals (as statsmodels'
    ``confint_proportions_2indep(method="newcomb", compare="diff")``)."""
    p1, p0 = count1 / nobs1, count0 / nobs0
    low1, upp1 = wilson_interval(count1, nobs1, conf)
    low0, upp0 = wilson_interval(count0, nobs0, conf)
    diff = p1 - p0
    return (diff - np.sqrt((p1 - low1) ** 2 + (upp0 - p0) ** 2),
            diff + np.sqrt((p0 - low0) ** 2 + (upp1 - p1) ** 2))


def counts_as_float(s: pd.Series) -> np.ndarray:
    """Counts (nullable integers) as floats, NaN where unknown."""
    return pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def changes(rate_table: pd.DataFrame, lag: int = 1, *, conf: float = 0.95) -> pd.DataFrame:
    """Change of each rate against ``lag`` periods earlier (quarterly data: ``lag=1``
    quarter on quarter, ``lag=4`` year on year; yearly data: ``lag=1``), in rate points,
    with Newcombe's hybrid score interval for a difference of two proportions. The two
    periods share records (the backlog carried over), so the interval treats them as
    independent and is somewhat too narrow for units with a large backlog.
    ``significant`` is True where the interval excludes zero."""
    keys = [c for c in key_columns(rate_table) if c not in ("period", "period_label", "definition", "n_quarters",
                                                            "n_units", "numerator", "denominator", "rate",
                                                            "ci_low", "ci_high", "missing_reason")]
    cur = rate_table[keys + ["period", "numerator", "denominator", "rate"]].copy()
    prev = cur.copy()
    prev["period"] = prev["period"] + lag
    m = cur.merge(prev, on=keys + ["period"], how="inner", suffixes=("", "_prev"))
    m = m.rename(columns={"numerator_prev": "numerator_before", "denominator_prev": "denominator_before",
                          "rate_prev": "rate_before"})
    m.insert(len(keys) + 1, "period_before", m["period"] - lag)
    n1, d1 = counts_as_float(m["numerator"]), counts_as_float(m["denominator"])
    n0, d0 = counts_as_float(m["numerator_before"]), counts_as_float(m["denominator_before"])
    m["change"] = m["rate"] - m["rate_before"]
    lo = np.full(len(m), np.nan)
    hi = np.full(len(m), np.nan)
    ok = (d1 > 0) & (d0 > 0) & np.isfinite(n1) & np.isfinite(n0)
    if ok.any():
        a, b = newcombe_interval(n1[ok], d1[ok], n0[ok], d0[ok], conf)
        lo[ok], hi[ok] = a, b
    m["change_ci_low"], m["change_ci_high"] = lo, hi
    m["significant"] = (m["change_ci_low"] > 0) | (m["change_ci_high"] < 0)
    m["lag"] = lag
    return m.sort_values(keys + ["period"]).reset_index(drop=True)
