"""The funnel's normal quantile and density, chi-square tail and ranks (scipy.special and
numpy) against scipy.stats, the reference they replace (scipy.stats costs each kernel
~0.4 s more to import; it stays a test-only reference)."""

import numpy as np
import pytest

from paranalysis import distributions as D
from paranalysis import funnel as fn

stats = pytest.importorskip("scipy.stats")


def test_normal_quantile_and_density_match_scipy_stats():
    for q in (0.0, 1e-12, 0.001, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 0.999, 0.9999, 1.0):
        assert float(D.norm_ppf(q)) == stats.norm.ppf(q)
    for x in (-8.0, -3.09, -1.0, 0.0, 0.5, 1.2815515655446004, 1.96, 6.0, 40.0):
        assert float(D.norm_pdf(x)) == stats.norm.pdf(x)
    for level in (0.8, 0.9, 0.95, 0.99, 0.998):
        assert fn._z(level) == float(stats.norm.ppf(0.5 + level / 2))
    for w in (0.01, 0.05, 0.1, 0.2, 0.3):
        k = float(stats.norm.ppf(1 - w))
        assert fn.winsor_consistency(w) == float((1 - 2 * w) - 2 * k * stats.norm.pdf(k) + 2 * w * k * k)


def test_chi_square_tail_matches_scipy_stats():
    rng = np.random.default_rng(16)
    for df in (1, 2, 3, 5, 20, 21, 100, 700):
        for x in np.concatenate([[0.0, 1e-9, df, 2.0 * df], rng.uniform(0, 4 * df, 20)]):
            assert float(D.chi2_sf(x, df)) == pytest.approx(float(stats.chi2.sf(x, df)), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("method", ["average", "min"])
def test_ranks_match_scipy_stats(method):
    rng = np.random.default_rng(3)
    for shape in [(1,), (7,), (21,), (50, 21), (200, 3)]:
        for values in (rng.normal(size=shape), rng.integers(0, 4, size=shape).astype(float)):  # ties
            np.testing.assert_array_equal(D.rankdata(values, method),
                                          stats.rankdata(values, axis=-1, method=method))
    for empty in (np.array([]), np.zeros((4, 0))):
        np.testing.assert_array_equal(D.rankdata(empty, method), stats.rankdata(empty, axis=-1, method=method))
    with_nan = np.array([[0.3, np.nan, 0.1], [0.2, 0.2, 0.5]])
    np.testing.assert_array_equal(D.rankdata(with_nan, method), stats.rankdata(with_nan, axis=1, method=method))
    np.testing.assert_array_equal(D.rankdata(with_nan[0], method), stats.rankdata(with_nan[0], method=method))


def test_rank_intervals_as_with_scipy_stats():
    rng = np.random.default_rng(11)
    n = rng.integers(20, 5000, 21)
    x = rng.binomial(n, 0.9)
    x[3] = x[4] = n[3] = n[4] = 1000  # two units tied on the rate
    got = fn.rank_intervals(x, n, n_sim=500, seed=5)
    draws = np.random.default_rng(5).beta(x[None, :] + 0.5, n[None, :] - x[None, :] + 0.5, size=(500, len(x)))
    ranks = stats.rankdata(-draws, axis=1, method="average")
    point = stats.rankdata(-(x / n), method="min")
    np.testing.assert_array_equal(got["rank"], point.astype(int))
    np.testing.assert_array_equal(got["rank_low"], np.floor(np.quantile(ranks, 0.025, axis=0)).astype(int))
    np.testing.assert_array_equal(got["rank_high"], np.ceil(np.quantile(ranks, 0.975, axis=0)).astype(int))
