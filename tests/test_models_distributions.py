"""The scipy.special formulas of paranalysis.models.distributions give exactly the numbers
of scipy.stats (kept here as the reference) on many cases, edge values included."""

from __future__ import annotations

import numpy as np
from scipy import stats

from paranalysis.models import distributions as dist


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


RNG = np.random.default_rng(20261203)
Q = np.r_[RNG.uniform(0, 1, 400), 0.975, 0.95, 0.8, 0.5, 0.025, 1.0, np.nan, 1e-300, 1 - 1e-16]
DF = np.r_[RNG.uniform(0.5, 200, 60), np.arange(1.0, 41.0), np.inf, np.nan, 0.0, -1.0, 1e10]
X = np.r_[RNG.normal(0, 3, 400), 0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 40.0, -40.0]


def test_normal_quantile_and_tail_equal_scipy_stats():
    assert _same(dist.norm_ppf(Q), stats.norm.ppf(Q))
    assert _same(dist.norm_sf(X), stats.norm.sf(X))
    for q in (0.975, 0.8, 0.5):
        assert dist.norm_ppf(q) == stats.norm.ppf(q)
    assert dist.norm_sf(1.96) == stats.norm.sf(1.96)


def test_t_quantile_and_tail_equal_scipy_stats():
    qq, dd = np.meshgrid(Q, DF)
    assert _same(dist.t_ppf(qq, dd), stats.t.ppf(qq, dd))
    xx, dd = np.meshgrid(X, DF)
    assert _same(dist.t_sf(xx, dd), stats.t.sf(xx, dd))
    assert dist.t_ppf(0.975, 10.0) == stats.t.ppf(0.975, 10.0)
    assert dist.t_sf(2.0, 7) == stats.t.sf(2.0, 7)
    d = np.array([3.0, np.nan, 12.5])  # vector of df, one missing, as _row_df gives
    assert _same(dist.t_ppf(0.975, d), stats.t.ppf(0.975, d))


def test_chi2_and_f_equal_scipy_stats():
    w = np.r_[RNG.uniform(0, 50, 300), 0.0, -1.0, np.nan, np.inf]
    for k in (1, 2, 3, 4, 5, 8, 12):
        assert _same(dist.chi2_sf(w, k), stats.chi2.sf(w, k))
        assert _same(dist.chi2_ppf(np.r_[0.95, 0.5, 0.05], k), stats.chi2.ppf(np.r_[0.95, 0.5, 0.05], k))
        assert dist.chi2_ppf(0.95, k) == stats.chi2.ppf(0.95, k)
    f = np.r_[RNG.uniform(0, 10, 300), 0.0, -1.0, np.nan, np.inf]
    for d1 in (1, 2, 4):
        for d2 in (1.0, 3.0, 10.0, 17.0):
            assert _same(dist.f_sf(f, d1, d2), stats.f.sf(f, d1, d2))
