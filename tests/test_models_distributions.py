"""The scipy.special formulas of paranalysis.distributions give exactly the numbers of
scipy.stats, and models.holm those of statsmodels' multipletests (both kept here as the
reference), on many cases, edge values included."""

from __future__ import annotations

import numpy as np
from scipy import stats

from paranalysis import distributions as dist


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


def test_holm_equals_statsmodels_multipletests_exactly():
    from statsmodels.stats.multitest import multipletests

    from paranalysis.models import holm

    rng = np.random.default_rng(16)
    cases = [np.array([0.01, 0.04, 0.03]), np.array([0.5]), np.array([0.0, 1.0, 0.2, 0.2, 0.2]),
             np.array([0.3, 0.3, 0.3, 0.3]), np.array([1e-300, 0.9, 0.99, 1.0])]
    for n in (1, 2, 3, 5, 8, 13, 40):
        for _ in range(30):
            p = rng.uniform(0, 1, n) ** rng.uniform(0.5, 4)
            if n > 2 and rng.uniform() < 0.3:
                p[rng.integers(0, n, 2)] = p[0]  # ties
            cases.append(p)
    for p in cases:
        assert _same(holm(p), multipletests(p, method="holm")[1])
    with_missing = np.array([0.02, np.nan, 0.01, 0.5])
    expected = np.full(4, np.nan)
    expected[[0, 2, 3]] = multipletests(with_missing[[0, 2, 3]], method="holm")[1]
    assert _same(holm(with_missing), expected)
    assert holm(np.array([np.nan])).shape == (1,) and np.isnan(holm([np.nan])[0])


def test_importing_the_models_does_not_import_scipy_stats():
    import subprocess
    import sys

    code = "import sys, paranalysis.models; print('scipy.stats' in sys.modules, 'statsmodels' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_noncentral_chi2_tail_close_to_scipy_stats():
    from scipy import stats

    from paranalysis.distributions import ncx2_sf

    rng = np.random.default_rng(11)
    for _ in range(400):
        df = int(rng.integers(1, 12))
        x = float(rng.uniform(0.1, 40))
        nc = float(rng.uniform(1e-6, 60))
        ref = stats.ncx2.sf(x, df, nc)
        if ref > 1e-6:  # the range the detectable-trend search works in (power 0.8)
            assert abs(ncx2_sf(x, df, nc) - ref) <= 1e-12 * max(ref, 1e-3)
