"""Normal, t, chi-squared and F tail probabilities and quantiles from ``scipy.special``.

The same functions ``scipy.stats`` calls underneath (``norm.ppf`` is ``ndtri``, ``t.sf`` is
``stdtr`` of ``-x`` ...), so the numbers are identical (tests/test_models_distributions.py
compares them with ``scipy.stats``), without importing ``scipy.stats`` (about a second) or
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
