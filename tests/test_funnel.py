"""Funnel limits, over-dispersion and league tables: hand-worked numbers and simulations
with known truth.

Tolerances: simulations use fixed seeds; shares outside the limits are checked against
wide bands around their nominal values (5 %, 0.2 %) because a few hundred units give a
binomial standard error of about 1.3 points.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from paranalysis import funnel as fn
from paranalysis import indicators as ind


def rate_table(x, n, key="on_time_resolved_basis"):
    return pd.DataFrame({"unit_code": [f"u{i:03d}" for i in range(len(x))], "numerator": x, "denominator": n,
                         "indicator": key})


def simulate(seed, *, units=300, tau=0.0, p=0.97, n_low=500, n_high=20_000):
    """Units whose true rates differ by ``tau`` on the arcsine-square-root scale (0 = chance only)."""
    rng = np.random.default_rng(seed)
    n = rng.integers(n_low, n_high, units)
    y = np.arcsin(math.sqrt(p)) + (rng.normal(0, tau, units) if tau > 0 else 0.0)
    x = rng.binomial(n, np.sin(np.clip(y, 0, math.pi / 2)) ** 2)
    return rate_table(x, n)


def test_winsorised_phi_by_hand():
    # z = -3, -1, 0, 1, 3: the 10 % and 90 % quantiles (linear) are -2.2 and 2.2, so the winsorised
    # squares are 4.84, 1, 0, 1, 4.84 with mean 2.336.
    z = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    assert fn.winsorised_phi(z, 0.1, consistent=False) == pytest.approx(2.336)
    assert fn.winsorised_phi(z, 0.1) == pytest.approx(2.336 / fn.winsor_consistency(0.1))


def test_winsor_consistency_matches_simulation():
    z = np.random.default_rng(7).standard_normal(400_000)
    lo, hi = np.quantile(z, [0.1, 0.9])
    assert fn.winsor_consistency(0.1) == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2), abs=0.005)
    assert fn.winsor_consistency(0.0) == 1.0


def test_tau2_by_hand():
    # s = 0.01, 0.02, phi = 3, I = 2: excess = 2*3 - 1 = 5; w = 10,000 and 2,500; Σw = 12,500;
    # Σw²/Σw = (1e8 + 6.25e6) / 12,500 = 8,500; tau² = 5 / (12,500 - 8,500) = 0.00125
    assert fn.tau2_dersimonian_laird(3.0, np.array([0.01, 0.02])) == pytest.approx(0.00125)
    assert fn.tau2_dersimonian_laird(0.4, np.array([0.01, 0.02])) == 0.0  # no excess dispersion


def test_limits_agree_with_normal_approximation_for_large_volume():
    # For large n the arcsine limits approach p ± z sqrt(p(1-p)/n): 0.9 ± 1.96 * sqrt(0.09 / 100,000).
    res = fn.funnel(rate_table([900, 9000, 90_000], [1000, 10_000, 100_000]), overdispersion="none")
    assert res.target == pytest.approx(0.9)
    lo, hi = res.limit_at([100_000], 0.95)
    half = 1.959964 * math.sqrt(0.09 / 100_000)
    assert lo[0] == pytest.approx(0.9 - half, abs=2e-5)
    assert hi[0] == pytest.approx(0.9 + half, abs=2e-5)
    lo, hi = res.limit_at([100_000], 0.998)
    assert hi[0] - 0.9 == pytest.approx(3.090232 * math.sqrt(0.09 / 100_000), abs=2e-5)


def test_limits_stay_inside_zero_and_hundred_percent():
    res = fn.funnel(rate_table([49, 99, 995], [50, 100, 1000]), overdispersion="none")
    lo, hi = res.limit_at([5, 50, 500], 0.998)
    assert (hi <= 1.0).all() and (lo >= 0.0).all()


def test_chance_only_units_are_not_adjusted_and_five_percent_fall_outside():
    res = fn.funnel(simulate(11))
    assert res.adjustment == "none" and not res.overdispersed
    assert 0.65 < res.phi < 1.35  # sd of phi over seeds is about 0.1 with 300 units
    share95 = res.units["outside_95"].mean()
    share998 = res.units["outside_99.8"].mean()
    assert 0.02 <= share95 <= 0.09
    assert share998 <= 0.015


def test_overdispersed_units_get_additive_limits_with_tau2_near_truth():
    tau = 0.02  # true between-unit sd on the arcsine scale; tau² = 0.0004
    table = simulate(12, tau=tau)
    res = fn.funnel(table)
    assert res.overdispersed and res.adjustment == "additive"
    assert 0.5 * tau ** 2 < res.tau2 < 1.5 * tau ** 2
    assert 0.02 <= res.units["outside_95"].mean() <= 0.11
    naive = fn.funnel(table, overdispersion="none")
    assert naive.units["outside_95"].mean() > 0.4  # chance-only limits flag most units
    multiplicative = fn.funnel(table, overdispersion="multiplicative")
    assert multiplicative.adjustment == "multiplicative" and multiplicative.tau2 == 0.0
    lo, hi = multiplicative.limit_at([1000], 0.95)
    t, s = math.asin(math.sqrt(res.target)), 1 / (2 * math.sqrt(1000))
    assert hi[0] == pytest.approx(math.sin(t + 1.959964 * math.sqrt(multiplicative.phi) * s) ** 2, abs=1e-6)


def test_planted_outlier_is_flagged_worse():
    # 20 units on time 98 % of 3,000 records, one at 93 %: far outside the 99.8 % limits.
    x = [2940] * 20 + [2790]
    res = fn.funnel(rate_table(x, [3000] * 21))
    bad = res.units.iloc[-1]
    assert bad["flag"] == "below_99.8" and bad["assessment"] == "worse"
    assert (res.units.iloc[:-1]["flag"] == "within").all()
    assert len(res.outside(0.998)) == 1


def test_direction_follows_the_indicator():
    # a late rate that is high is worse
    x = [60] * 20 + [210]
    res = fn.funnel(rate_table(x, [3000] * 21, key="late_rate_resolved_basis"))
    bad = res.units.iloc[-1]
    assert bad["flag"] == "above_99.8" and bad["assessment"] == "worse"
    # postal share has no better direction
    res = fn.funnel(rate_table(x, [3000] * 21, key="postal_share"))
    assert res.units.iloc[-1]["assessment"] == "high"


def test_funnel_from_counts_and_rejects_several_periods():
    rows = []
    for i, (n, late) in enumerate([(1000, 10), (2000, 30), (500, 4)]):
        rows.append(dict(unit_code=f"d{i}", period=pd.Period("2024Q1", freq="Q-DEC"), carried_over=0,
                         received_online=0, received_direct=n, received_postal=0, resolved_early=0,
                         resolved_on_time=n - late, resolved_late=late, pending_not_due=0, pending_overdue=0))
    counts = pd.DataFrame(rows)
    res = fn.funnel(counts, "late_rate_resolved_basis")
    assert res.target == pytest.approx(44 / 3500)
    twice = pd.concat([counts, counts.assign(period=pd.Period("2024Q2", freq="Q-DEC"))])
    with pytest.raises(ValueError, match="one row per unit_code"):
        fn.funnel(twice, "late_rate_resolved_basis")


def test_rank_intervals_reflect_volume():
    # a: 995/1,000 (99.5 %), b: 9,700/10,000 (97 %), c: 9/10 (90 %), d: 93,000/100,000 (93 %)
    x, n = np.array([995, 9700, 9, 93_000]), np.array([1000, 10_000, 10, 100_000])
    r = fn.rank_intervals(x, n, seed=1)
    assert list(r["rank"]) == [1, 2, 4, 3]
    assert (r.loc[0, "rank_low"], r.loc[0, "rank_high"]) == (1, 1)  # clearly first
    assert (r.loc[2, "rank_low"], r.loc[2, "rank_high"]) == (2, 4)  # 10 records: could be 2nd or last
    lower_better = fn.rank_intervals(x, n, higher_is_better=False, seed=1)
    assert list(lower_better["rank"]) == [4, 3, 1, 2]


def test_league_table_orders_best_first_with_names():
    units = pd.DataFrame({"unit_code": ["u000", "u001", "u002"], "short_name_vi": ["Quế Phong", "Thái Hoà", "Vinh"],
                          "name_ascii": ["Que Phong", "Thai Hoa", "Vinh"], "name_vi": ["a", "b", "c"]})
    lt = fn.league_table(rate_table([950, 990, 9700], [1000, 1000, 10_000]), units=units)
    assert list(lt["name"]) == ["Thái Hoà", "Vinh", "Quế Phong"]
    assert list(lt["rank"]) == [1, 2, 3]
    assert {"rank_low", "rank_high", "ci_low", "ci_high", "flag"} <= set(lt.columns)
    lt_en = fn.league_table(rate_table([950, 990, 9700], [1000, 1000, 10_000]), units=units, lang="en")
    assert lt_en["name"].iloc[0] == "Thai Hoa"


def test_bundled_demo_districts_are_overdispersed():
    # data/demo/README.md: unit late-rate levels were drawn between 2.8 % and 4.8 %, so the districts
    # differ by more than chance and the funnel must widen its limits.
    from paranalysis import load_dataset

    ds = load_dataset()
    assert not ds.processing.empty
    q = ds.processing["period"].max()
    res = fn.funnel(ds.processing[ds.processing["period"] == q], "late_rate_resolved_basis")
    assert res.overdispersed and res.adjustment == "additive" and res.tau2 > 0
    assert res.n_units == ds.processing.loc[ds.processing["period"] == q, "unit_code"].nunique()
    pooled = ind.compute(ind.combine(ds.processing[ds.processing["period"] == q]), "late_rate_resolved_basis")
    assert res.target == pytest.approx(pooled["rate"].iloc[0])
