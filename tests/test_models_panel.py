"""panel_fe: fixed-effects estimates and CR1 errors against an explicit dummy-variable
regression (statsmodels), and the closed-form wild cluster restricted bootstrap against a
brute-force bootstrap that re-runs the full regression for every draw.

Tolerances: 1e-9 for coefficients and standard errors (floating point); bootstrap p-values
must be *identical* (same draws, same statistic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from paranalysis.models import demean_two_way, panel_fe
from paranalysis.models.panel import WEBB, _WildCluster


def make_panel(G=21, T=16, seed=1, drop=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(G):
        g = rng.integers(4, 13) if i < 13 else None
        a_i, e = rng.normal(), 0.0
        for t in range(T):
            e = 0.5 * e + rng.normal()
            d = float(g is not None and t >= g)
            x = rng.normal()
            rows.append(dict(u=f"u{i:02d}", t=t, d=d, x=x, y=a_i + 0.1 * t + 0.5 * d + 0.3 * x + e))
    df = pd.DataFrame(rows)
    if drop:
        df = df.drop(index=rng.choice(len(df), drop, replace=False)).reset_index(drop=True)
    return df


def _cr1_ratio(n, k_all, k, k_fe):
    # statsmodels counts every dummy in the small-sample factor; panel_fe (like Stata's
    # reghdfe) does not count unit effects nested in the clusters
    return np.sqrt((n - k_all) / (n - k - k_fe))


@pytest.mark.parametrize("drop", [0, 25])
def test_coefficients_and_cr1_match_dummy_regression(drop):
    df = make_panel(drop=drop)
    r = panel_fe(df, "y ~ d + x", unit="u", time="t", inference="cr1")
    groups = pd.factorize(df["u"])[0]
    m = smf.ols("y ~ d + x + C(u) + C(t)", df).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(r.estimate, m.params[["d", "x"]].to_numpy(), rtol=0, atol=1e-9)
    ratio = _cr1_ratio(len(df), len(m.params), 2, df["t"].nunique() - 1)
    np.testing.assert_allclose(r.se, m.bse[["d", "x"]].to_numpy() * ratio, rtol=1e-9)
    t = r.tidy()
    assert list(t.columns)[:7] == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    np.testing.assert_allclose(t["estimate"], m.params[["d", "x"]].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(t["statistic"], t["estimate"] / (m.bse[["d", "x"]].to_numpy() * ratio), rtol=1e-9)
    assert "CR1" in r.inference and "21 clusters" in r.inference


def test_demeaning_unbalanced_equals_projection():
    df = make_panel(drop=30)
    a, b = pd.factorize(df["u"])[0], pd.factorize(df["t"])[0]
    got = demean_two_way(df[["y"]].to_numpy(), a, b)[:, 0]
    want = smf.ols("y ~ C(u) + C(t)", df).fit().resid.to_numpy()
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_wild_bootstrap_closed_form_equals_brute_force():
    """Brute force: for each draw build y*, re-run the full dummy-variable regression and
    its CR1 t statistic; the share of |t*| >= |t| must equal the closed form exactly."""
    df = make_panel()
    G, n = df["u"].nunique(), len(df)
    a, b = pd.factorize(df["u"], sort=True)[0], pd.factorize(df["t"], sort=True)[0]
    dummies = pd.get_dummies(df[["u", "t"]].astype(str), drop_first=True, dtype=float).to_numpy()
    full = np.column_stack([df[["d", "x"]].to_numpy(), np.ones(n), dummies])  # d, x, const, FE
    k_fe = df["t"].nunique() - 1
    c = G / (G - 1) * (n - 1) / (n - 2 - k_fe)
    S = np.eye(G)[a]

    bread = np.linalg.pinv(full.T @ full)

    def t_stat(yv, b0):
        coef = bread @ (full.T @ yv)
        res = yv - full @ coef
        sc = S.T @ (full * res[:, None])
        v = c * bread @ sc.T @ sc @ bread
        return (coef[0] - b0) / np.sqrt(v[0, 0])

    X = demean_two_way(df[["d", "x"]].to_numpy(), a, b)
    y = demean_two_way(df["y"].to_numpy(), a, b)[:, 0]
    V = WEBB[np.random.default_rng(7).integers(0, 6, size=(199, G))]
    wb = _WildCluster(X, y, 0, a, (a, b), V, c)
    restricted = full[:, 1:]
    for b0 in (0.0, 0.4, 1.2):
        yr = df["y"].to_numpy() - b0 * df["d"].to_numpy()
        g, *_ = np.linalg.lstsq(restricted, yr, rcond=None)
        ur, fit = yr - restricted @ g, restricted @ g + b0 * df["d"].to_numpy()
        tstats = np.array([t_stat(fit + ur * v[a], b0) for v in V])
        t0 = t_stat(df["y"].to_numpy(), b0)
        assert t0 == pytest.approx((wb.beta - b0) / wb.se, rel=1e-9)
        assert np.mean(np.abs(tstats) >= abs(t0) - 1e-12) == wb.pvalue(b0)


def test_wild_interval_is_test_inversion():
    df = make_panel(seed=3)
    r = panel_fe(df, "y ~ d + x", unit="u", time="t", n_boot=999)
    assert "wild cluster restricted bootstrap" in r.inference
    # p-value at the interval ends is alpha: just inside > 0.05, just outside <= 0.05
    G, n = df["u"].nunique(), len(df)
    a, b = pd.factorize(df["u"], sort=True)[0], pd.factorize(df["t"], sort=True)[0]
    X = demean_two_way(df[["d", "x"]].to_numpy(), a, b)
    y = demean_two_way(df["y"].to_numpy(), a, b)[:, 0]
    V = WEBB[np.random.default_rng(12345).integers(0, 6, size=(999, G))]
    c = G / (G - 1) * (n - 1) / (n - 2 - (df["t"].nunique() - 1))
    wb = _WildCluster(X, y, 0, a, (a, b), V, c)
    lo, hi = r.ci_low[0], r.ci_high[0]
    eps = 1e-3 * r.se[0]
    assert wb.pvalue(lo + eps) > 0.05 >= wb.pvalue(lo - eps)
    assert wb.pvalue(hi - eps) > 0.05 >= wb.pvalue(hi + eps)
    assert r.p_value[0] == wb.pvalue(0.0)


def test_auto_inference_depends_on_cluster_count():
    small = panel_fe(make_panel(G=12), "y ~ d", unit="u", time="t", n_boot=199)
    large = panel_fe(make_panel(G=45), "y ~ d", unit="u", time="t")
    assert "bootstrap" in small.inference
    assert "CR1" in large.inference and "bootstrap" not in large.inference


def test_absorbed_regressor_is_dropped_with_a_note():
    df = make_panel()
    df["const_in_unit"] = df["u"].str[-1].astype(int)
    r = panel_fe(df, "y ~ d + const_in_unit", unit="u", time="t", inference="cr1")
    assert r.terms == ["d"]
    assert any("const_in_unit" in n for n in r.notes)


def test_plain_column_formulas_are_read_as_statsmodels_reads_them():
    """panel_fe reads a formula of plain numeric columns itself (statsmodels' formula
    machinery takes ~0.7 s to import): same rows, regressors and numbers, bit for bit."""
    import statsmodels.formula.api as smf

    from paranalysis.models import panel as P

    rng = np.random.default_rng(7)
    n = 240
    df = pd.DataFrame({"unit": np.repeat(np.arange(24), 10), "period": np.tile(np.arange(10), 24),
                       "y": rng.normal(size=n), "a": rng.normal(size=n), "b": rng.integers(0, 2, n).astype(float)})
    df.loc[[3, 50, 77], "y"] = np.nan
    df.loc[[5, 50], "a"] = np.nan
    df["c"] = pd.array(rng.integers(0, 5, n), dtype="Int64")  # nullable integers, as the tables hold counts
    for formula in ("y ~ a", "y ~ a + b", "y ~ b + a + c", "c ~ a"):
        rows, names, X, y = P._design(formula, df)
        mod = smf.ols(formula, data=df)
        keep = [i for i, nm in enumerate(mod.exog_names) if nm != "Intercept"]
        assert list(rows) == list(mod.data.row_labels)
        assert names == [mod.exog_names[i] for i in keep]
        np.testing.assert_array_equal(X, np.asarray(mod.exog, float)[:, keep])
        np.testing.assert_array_equal(y, np.asarray(mod.endog, float))
    # a missing nullable count drops its row, as NaN does
    df2 = df.assign(c=df["c"].astype("Float64"))
    df2.loc[[8, 9], "c"] = pd.NA
    rows, names, X, y = P._design("y ~ a + c", df2)
    ref = P._design("y ~ a + c", df2.assign(c=df2["c"].astype(float)))
    assert list(rows) == list(ref[0]) and 8 not in rows
    np.testing.assert_array_equal(X, ref[2])
    # anything else still goes through statsmodels
    rows, names, X, y = P._design("y ~ a + I(a ** 2)", df)
    assert names == ["a", "I(a ** 2)"]
    fast = P.panel_fe(df, "y ~ a + b", unit="unit", time="period", n_boot=199)
    assert fast.nobs == n - 4 and np.isfinite(fast.estimate).all()
