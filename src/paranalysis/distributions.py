"""Normal, t, chi-squared and F tail probabilities and quantiles, and ranks, from ``scipy.special``
and numpy (used by the models, the funnel plots, the rate intervals and the rank correlations).

The same functions ``scipy.stats`` calls underneath (``norm.ppf`` is ``ndtri``, ``t.sf`` is
``stdtr`` of ``-x`` ...), so the numbers are identical (tests/test_models_distributions.py
and tests/test_funnel_formulas.py compare them with ``scipy.stats``), without importing ``scipy.stats`` (about a second) or
paying its argument checks on every interval. Probabilities ``q`` are in (0, 1]; degrees of
freedom that are missing or not positive give missing values, as in ``scipy.stats``.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def norm_ppf(q):
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return special.ndtri(q)


def norm_sf(x):
    """Standard normal upper tail probability (``scipy.stats.norm.sf``)."""
    return special.ndtr(np.negative(x))


def t_ppf(q, df):
    """Student t quantile (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, q)


def t_sf(x, df):
    """Student t upper tail probability (``scipy.stats.t.sf``)."""
    return special.stdtr(df, np.negative(x))


def chi2_sf(x, df):
    """Chi-squared upper tail probability (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, np.maximum(x, 0.0))  # below the support: 1


def chi2_ppf(q, df):
    """Chi-squared quantile (``scipy.stats.chi2.ppf``)."""
    return 2 * special.gammaincinv(np.asarray(df, float) / 2, q)


def f_sf(x, dfn, dfd):
    """F upper tail probability (``scipy.stats.f.sf``)."""
    return special.fdtrc(dfn, dfd, np.maximum(x, 0.0))


def ncx2_sf(x, df, nc):
    """Upper tail of the noncentral chi-squared (``scipy.stats.ncx2.sf``), as 1 - cdf of
    ``scipy.special.chndtr``: equal to ``scipy.stats`` to about 1e-15 (not bit for bit; the
    test allows 1e-12), without importing ``scipy.stats``."""
    return 1.0 - special.chndtr(x, df, nc)


def norm_pdf(x):
    """Standard normal density (``scipy.stats.norm.pdf``)."""
    return np.exp(-np.square(x) / 2.0) / np.sqrt(2 * np.pi)


def rankdata(a, method: str = "average") -> np.ndarray:
    """Ranks along the last axis, ties given the ``"average"`` or the ``"min"`` rank, as
    ``scipy.stats.rankdata`` (a slice holding NaN is all NaN)."""
    x = np.asarray(a)
    shape = x.shape
    dtype = float if method == "average" else int
    if x.size == 0:
        return np.empty(shape, dtype=dtype)
    j = np.argsort(x, axis=-1, kind="stable")
    ordinal = np.broadcast_to(np.arange(1, shape[-1] + 1, dtype=dtype), shape)
    y = np.take_along_axis(x, j, axis=-1)
    first = np.concatenate([np.ones(shape[:-1] + (1,), dtype=bool), y[..., :-1] != y[..., 1:]], axis=-1)
    starts = np.arange(y.size)[first.reshape(-1)]
    counts = np.diff(starts, append=y.size)
    if method == "min":
        ranks = ordinal[first]
    elif method == "average":
        ranks = ordinal[first] + (counts.astype(dtype) - 1) / 2
    else:
        raise ValueError(f"unknown method {method!r}")
    ranks = np.repeat(ranks, counts).reshape(shape)
    out = np.empty(shape, dtype=ranks.dtype)
    np.put_along_axis(out, j, ranks, axis=-1)
    nan = np.isnan(x).any(axis=-1) if np.issubdtype(x.dtype, np.inexact) else False
    if np.any(nan):
        out = out.astype(float)
        out[nan] = np.nan
    return out
