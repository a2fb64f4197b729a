"""The closed formulas of the rate intervals (Wilson score, exact Clopper-Pearson) and of
the change interval (Newcombe's hybrid score) against statsmodels, the reference they
replace (statsmodels costs each notebook ~0.8 s to import; it stays a test-only reference)."""

import numpy as np
import pandas as pd
import pytest

from paranalysis.indicators import changes, proportion_interval
from paranalysis.indicators.intervals import newcombe_interval

statsmodels_proportion = pytest.importorskip("statsmodels.stats.proportion")

CONFS = (0.8, 0.9, 0.95, 0.99, 0.998)
TOL = 1e-12


def cases(seed: int = 16, size: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Random counts over many orders of magnitude, plus the edge cases: no success, all
    successes, one record, one success or one failure, huge volumes."""
    rng = np.random.default_rng(seed)
    n = np.floor(10 ** rng.uniform(0, 9, size))
    x = np.floor(rng.uniform(0, 1, size) * (n + 1))
    edge_n = np.array([1, 1, 2, 2, 2, 3, 10, 10, 10, 10, 1e6, 1e6, 1e6, 1e9, 1e9, 1e12, 1e12, 1e15, 7, 7])
    edge_x = np.array([0, 1, 0, 1, 2, 3, 0, 1, 9, 10, 0, 1, 1e6, 1, 1e9 - 1, 5e11, 1e12, 1, 0, 7])
    x = np.concatenate([np.minimum(x, n), edge_x])
    n = np.concatenate([n, edge_n])
    return x, n


@pytest.mark.parametrize("conf", CONFS)
@pytest.mark.parametrize("method", ["wilson", "beta"])
def test_rate_interval_matches_statsmodels(method, conf):
    x, n = cases()
    lo, hi = proportion_interval(x, n, conf, method)
    ref_lo, ref_hi = statsmodels_proportion.proportion_confint(x, n, alpha=1 - conf, method=method)
    np.testing.assert_allclose(lo, np.clip(ref_lo, 0, 1), rtol=0, atol=TOL)
    np.testing.assert_allclose(hi, np.clip(ref_hi, 0, 1), rtol=0, atol=TOL)
    edge = 0 if method == "beta" else TOL  # Wilson's bounds at 0 and n successes are 0 and 1 up to rounding
    assert np.all(lo[x == 0] <= edge) and np.all(hi[x == n] >= 1 - edge)
    assert np.all((lo <= x / n + edge) & (x / n <= hi + edge))


@pytest.mark.parametrize("method", ["wilson", "beta"])
def test_rate_interval_undefined_rates_are_nan(method):
    x = np.array([np.nan, 1, 5, -1, 3, 2])
    n = np.array([10, 0, 4, 10, np.nan, 4])
    lo, hi = proportion_interval(x, n, 0.95, method)
    assert np.isnan(lo[:5]).all() and np.isnan(hi[:5]).all()
    ref = statsmodels_proportion.proportion_confint(2, 4, alpha=0.05, method=method)
    assert lo[5] == pytest.approx(ref[0], abs=TOL) and hi[5] == pytest.approx(ref[1], abs=TOL)


def test_other_methods_still_reach_statsmodels():
    x, n = cases(size=50)
    lo, hi = proportion_interval(x, n, 0.95, "jeffreys")
    ref_lo, ref_hi = statsmodels_proportion.proportion_confint(x, n, alpha=0.05, method="jeffreys")
    np.testing.assert_allclose(lo, np.clip(ref_lo, 0, 1), rtol=0, atol=TOL)
    np.testing.assert_allclose(hi, np.clip(ref_hi, 0, 1), rtol=0, atol=TOL)


@pytest.mark.parametrize("conf", CONFS)
def test_change_interval_matches_statsmodels_newcombe(conf):
    x1, n1 = cases(seed=1)
    x0, n0 = cases(seed=2)
    rng = np.random.default_rng(3)
    perm = rng.permutation(len(x0))
    x0, n0 = x0[perm], n0[perm]
    lo, hi = newcombe_interval(x1, n1, x0, n0, conf)
    ref_lo, ref_hi = statsmodels_proportion.confint_proportions_2indep(x1, n1, x0, n0, method="newcomb",
                                                                       compare="diff", alpha=1 - conf)
    np.testing.assert_allclose(lo, ref_lo, rtol=0, atol=TOL)
    np.testing.assert_allclose(hi, ref_hi, rtol=0, atol=TOL)
    diff = x1 / n1 - x0 / n0
    assert np.all((lo <= diff + TOL) & (diff <= hi + TOL))


@pytest.mark.parametrize("conf", [0.9, 0.95, 0.99])
def test_changes_table_matches_statsmodels(conf):
    x, n = cases(seed=4, size=300)
    units = np.repeat(np.arange(len(x) // 2), 2)
    period = pd.PeriodIndex(["2024Q3", "2024Q4"] * (len(x) // 2), freq="Q")
    m = len(units)
    table = pd.DataFrame({"unit_code": units.astype(str), "indicator": "on_time", "period": period,
                          "numerator": pd.array(x[:m].astype("int64"), dtype="Int64"),
                          "denominator": pd.array(n[:m].astype("int64"), dtype="Int64")})
    table["rate"] = x[:m] / n[:m]
    ch = changes(table, conf=conf)
    assert len(ch) == m // 2
    ref_lo, ref_hi = statsmodels_proportion.confint_proportions_2indep(
        ch["numerator"].astype(float).to_numpy(), ch["denominator"].astype(float).to_numpy(),
        ch["numerator_before"].astype(float).to_numpy(), ch["denominator_before"].astype(float).to_numpy(),
        method="newcomb", compare="diff", alpha=1 - conf)
    np.testing.assert_allclose(ch["change_ci_low"], ref_lo, rtol=0, atol=TOL)
    np.testing.assert_allclose(ch["change_ci_high"], ref_hi, rtol=0, atol=TOL)
    assert (ch["significant"] == ((ref_lo > 0) | (ref_hi < 0))).all()
