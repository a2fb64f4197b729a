"""rank_correlation without scipy.stats gives scipy's numbers (scipy stays the reference
here), and rank_changes reads the break catalogue as before."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from paranalysis import rankings
from paranalysis.distributions import rankdata
from paranalysis.rankings.districts import _kendall_p_exact


def _scipy_rank_correlation(x, y, method, n_resamples=9999, seed=20240601, alternative="two-sided"):
    """The former implementation on scipy.stats (reference)."""
    from scipy import stats

    xs, ys = pd.Series(x, dtype=float), pd.Series(y, dtype=float)
    ok = xs.notna() & ys.notna()
    xa, ya = xs[ok].to_numpy(), ys[ok].to_numpy()
    n = len(xa)
    ties = np.unique(xa).size < n or np.unique(ya).size < n
    if method == "kendall" and not ties:
        res = stats.kendalltau(xa, ya, method="exact", alternative=alternative)
        return float(res.statistic), float(res.pvalue)
    rx, ry = stats.rankdata(xa), stats.rankdata(ya)
    if method == "kendall":
        i, j = np.triu_indices(n, k=1)
        sy = np.sign(ry[j] - ry[i])

        def stat(a, axis=-1):
            a = np.moveaxis(a, axis, -1)
            sx = np.sign(a[..., j] - a[..., i])
            return (sx * sy).sum(-1) / np.sqrt(np.abs(sx).sum(-1) * np.abs(sy).sum())
    else:
        cy = ry - ry.mean()

        def stat(a, axis=-1):
            a = np.moveaxis(a, axis, -1)
            ca = a - a.mean(-1, keepdims=True)
            return (ca * cy).sum(-1) / np.sqrt((ca ** 2).sum(-1) * (cy ** 2).sum())
    res = stats.permutation_test((rx,), stat, permutation_type="pairings", n_resamples=n_resamples,
                                 alternative=alternative, vectorized=True, rng=np.random.default_rng(seed))
    return float(res.statistic), float(res.pvalue)


def _cases():
    rng = np.random.default_rng(11)
    for n in (3, 4, 5, 6, 7, 8, 9, 12, 21, 40):
        for k in range(5):
            x = rng.normal(size=n)
            y = x * rng.uniform(-1.5, 1.5) + rng.normal(size=n)
            if k == 1:
                x = np.round(x)  # ties in x
            if k == 2:
                y = np.round(2 * y)  # ties in y
            if k == 3:
                x = (x > 0).astype(float)  # a yes/no driver, as in notebook 04
            yield n, k, x, y


@pytest.mark.parametrize("method", ["spearman", "kendall"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_rank_correlation_matches_scipy(method, alternative):
    for n, k, x, y in _cases():
        if np.unique(x).size < 2 or np.unique(y).size < 2:
            continue
        res = rankings.rank_correlation(x, y, method=method, alternative=alternative,
                                        n_resamples=999 if k == 4 else 9999, seed=7 + k)
        ref = _scipy_rank_correlation(x, y, method, n_resamples=999 if k == 4 else 9999, seed=7 + k,
                                      alternative=alternative)
        assert (res.statistic, res.p_value) == ref, (n, k)


def test_kendall_exact_p_and_ranks_match_scipy():
    from scipy import stats
    from scipy.stats import _mstats_basic

    for n in (1, 2, 3, 5, 8, 13, 30, 60, 175):
        tot = n * (n - 1) // 2
        for c in sorted({0, 1, tot // 4, tot // 2, tot - 1, tot} & set(range(tot + 1))):
            for alt in ("two-sided", "less", "greater"):
                assert _kendall_p_exact(n, c, alt) == float(_mstats_basic._kendall_p_exact(n, c, alt)), (n, c, alt)
    rng = np.random.default_rng(3)
    for _ in range(50):
        a = rng.integers(0, 6, size=int(rng.integers(1, 30))).astype(float)
        assert np.array_equal(rankdata(a, "average"), stats.rankdata(a))


def test_rank_correlation_rejects_what_scipy_rejected():
    x, y = [1.0, 3, 2, 5, 4, 7, 6, 8], [2.0, 1, 2, 4, 3, 6, 6, 7]
    with pytest.raises(ValueError):
        rankings.rank_correlation(x, y, n_resamples=0)
    with pytest.raises(ValueError):
        rankings.rank_correlation(x, y, alternative="sideways")
    res = rankings.rank_correlation(x, y, alternative="Greater")
    assert res.p_value == _scipy_rank_correlation(x, y, "spearman", alternative="greater")[1]
    assert math.isfinite(rankings.rank_correlation(x, y, n_resamples=math.inf).p_value)


def _rank_changes_breaks(rankings_table, br, lang):
    """The break texts and flags of the former rank_changes, one DataFrame filter per row."""
    desc = f"description_{lang}"
    df = rankings_table.sort_values(["index", "unit_code", "year"]).reset_index(drop=True)
    prev = df.groupby(["index", "unit_code"], sort=False)["year"].shift(1)
    texts, methods = [], []
    for (ix, unit, year), py in zip(df[["index", "unit_code", "year"]].itertuples(index=False), prev):
        if pd.isna(py):
            texts.append([]), methods.append(False)
            continue
        sel = br[(br["index"] == ix) & (br["year"] > py) & (br["year"] <= year)
                 & (br["unit_code"].isna() | (br["unit_code"] == unit))]
        texts.append([f"{b.year}: {getattr(b, desc)}" for b in sel.itertuples(index=False)])
        methods.append(bool((sel["kind"] == "method").any()))
    return texts, methods


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_rank_changes_breaks_as_before(lang):
    from paranalysis.dataset import load_dataset

    r = load_dataset().rankings
    br = rankings.method_breaks()
    extra = pd.DataFrame([{"index": "PCI", "year": pd.NA, "kind": "scale", "unit_code": None, "description_en": "x",
                           "description_vi": "y", "source": "test"},
                          {"index": "DDCI", "year": 2021, "kind": "method", "unit_code": r["unit_code"].iloc[-1],
                           "description_en": "u", "description_vi": "v", "source": "test"}])
    br2 = pd.concat([br, extra], ignore_index=True)
    br2["year"] = br2["year"].astype("Int64")
    for b in (br, br2):
        ch = rankings.rank_changes(r, breaks=b, lang=lang)
        texts, methods = _rank_changes_breaks(r, b, lang)
        for got, want in zip(ch["breaks"], texts):
            assert (got or "").startswith("; ".join(want))
        assert ch["break_method"].tolist() == methods
