"""staggered_did beyond the R reference: the default pooled-t inference against Student's
two-sample t test (its textbook special case), input handling, the demo's planted effects,
and the diagnostics. The slow test runs the simulation benchmark with few replications."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import paranalysis
from paranalysis import demo
from paranalysis import treatment as tr
from paranalysis.errors import DataError
from paranalysis.models import leave_one_out, placebo_adoption, plot_event_study, staggered_did


def two_period(seed=0, n_t=5, n_c=9):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_t + n_c):
        g = 2 if i < n_t else 0
        a = rng.normal()
        for t in (1, 2):
            rows.append(dict(u=i, t=t, g=g, y=a + 0.3 * t + (0.8 if g and t == 2 else 0) + rng.normal()))
    return pd.DataFrame(rows)


def test_pooled_t_equals_student_two_sample_t_in_the_2x2_case():
    df = two_period()
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", inference="pooled_t")
    w = df.pivot(index="u", columns="t", values="y")
    dy = w[2] - w[1]
    treated = df.groupby("u")["g"].first() > 0
    tt = stats.ttest_ind(dy[treated], dy[~treated], equal_var=True)
    cell = r.att_gt[r.att_gt["post"]].iloc[0]
    assert cell["estimate"] == pytest.approx(dy[treated].mean() - dy[~treated].mean(), abs=1e-12)
    assert cell["estimate"] / cell["se"] == pytest.approx(tt.statistic, rel=1e-10)
    assert cell["p_value"] == pytest.approx(tt.pvalue, rel=1e-9)
    assert r.aggregate("simple").df == len(dy) - 2
    ci = stats.t.interval(0.95, len(dy) - 2, loc=cell["estimate"], scale=cell["se"])
    assert (cell["ci_low"], cell["ci_high"]) == pytest.approx(ci, rel=1e-10)


def test_singleton_cohort_keeps_a_positive_pooled_se():
    """R's analytic se ignores the noise of a one-unit cohort; the pooled se does not."""
    df = two_period(n_t=1, n_c=8)
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", inference="pooled_t")
    cell = r.att_gt[r.att_gt["post"]].iloc[0]
    w = df.pivot(index="u", columns="t", values="y")
    dy = (w[2] - w[1]).to_numpy()
    s2 = dy[1:].var(ddof=1)  # only the control cohort has within-cohort variation
    assert cell["se"] == pytest.approx(np.sqrt(s2 * (1 + 1 / 8)), rel=1e-10)
    assert cell["se_analytic"] < cell["se"]


def test_input_errors_and_notes():
    df = two_period()
    with pytest.raises(ValueError, match="control_group"):
        staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", control_group="never")
    with pytest.raises(DataError, match="first-treated"):
        bad = df.copy()
        bad.loc[0, "g"] = 1.0
        bad.loc[1, "g"] = 2.0
        staggered_did(bad, outcome="y", unit="u", time="t", first_treated="g")
    unbalanced = df.drop(index=3)
    r = staggered_did(unbalanced, outcome="y", unit="u", time="t", first_treated="g")
    assert r.n_units == df["u"].nunique() - 1 and any("balance" in n for n in r.notes)


@pytest.fixture(scope="module")
def facility_panel():
    ds = paranalysis.load_dataset()
    return tr.treatment_panel(ds.processing, ds.investments, treatment="one_stop_facility", end="2024Q3")


PLANTED_KEYS = {"late_rate_resolved_basis": "late_rate_resolved_pp", "on_time_resolved_basis": "on_time_rate_resolved_pp",
                "online_share": "online_share_pp", "overdue_backlog_share": "overdue_backlog_share_pp",
                "postal_share": "postal_share_pp"}


def test_demo_planted_effects_inside_intervals():
    """Known truth (data/demo/README.md): 2 investments x 5 outcomes x 4 aggregations =
    40 intervals. Every 'simple' interval covers its planted effect, and no more than 4 of
    the 40 miss (at 95 % coverage 2 misses are expected; 5 or more happen with probability
    0.048, binomial(40, 0.05))."""
    ds = paranalysis.load_dataset()
    misses = []
    for treatment in tr.CATEGORIES:
        panel = tr.treatment_panel(ds.processing, ds.investments, treatment=treatment, end="2024Q3",
                                   outcomes=list(PLANTED_KEYS))
        for outcome, key in PLANTED_KEYS.items():
            truth = demo.PLANTED_EFFECTS[treatment][key]
            r = staggered_did(panel, outcome=outcome, unit="unit_code", time="period", first_treated="first_treated")
            for kind in ("simple", "dynamic", "group", "calendar"):
                a = r.aggregate(kind)
                if not a.ci_low <= truth <= a.ci_high:
                    misses.append((treatment, outcome, kind, a.estimate, a.ci_low, a.ci_high))
                    assert kind != "simple", misses[-1]
    assert len(misses) <= 4, misses


def test_pretrend_tests_on_demo(facility_panel):
    r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                      first_treated="first_treated")
    pt = r.pretrend_test(leads=4)
    assert pt.distribution == "sign_flip" and pt.df1 == 4
    assert list(pt.cells["event_time"]) == [-5, -4, -3, -2]  # universal base: -1 is the reference
    assert pt.p_value > 0.05  # parallel trends hold by construction in the demo
    assert 0 < pt.detectable_trend < 1 and "differential trend" in pt.summary()
    old = r.pretrend_test(leads=4, method="hotelling")
    assert old.distribution == "F" and old.df2 == r.n_units - len(r.cohorts) - 3


def test_analytic_pretrend_is_not_computable_rather_than_an_error():
    """More pre-period cells (here 5 cohorts x ~15 quarters) than units (12): R's Wald test
    has a singular covariance; the result says so instead of raising LinAlgError."""
    df = _sim_panel(np.random.default_rng(3), n_units=12, delta=0.0)
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", inference="analytic",
                      base_period="varying")
    pt = r.pretrend_test()
    assert not pt.computable and pt.distribution == "not computable" and "rank" in pt.note
    assert "not computable" in pt.summary()
    assert r.pretrend_test(method="sign_flip").computable


COHORTS_12 = [(6, 3), (12, 2), (18, 1), (21, 1)]


def _sim_panel(rng, n_units=12, delta=0.0, T=24, effect=0.0, noisy=1.0):
    """Simulated panel of the benchmark's design (AR(1) 0.6, unit scales U(0.5, 1.5))."""
    first = np.zeros(n_units)
    k = 0
    for g, size in COHORTS_12:
        first[k:k + size] = g
        k += size
    s = rng.uniform(0.5, 1.5, n_units)
    single = np.isin(first, [18, 21])
    s = np.where(single, noisy * s, s)
    e = np.zeros((n_units, T))
    e[:, 0] = rng.normal(size=n_units) * s / np.sqrt(1 - 0.36)
    for t in range(1, T):
        e[:, t] = 0.6 * e[:, t - 1] + s * rng.normal(size=n_units)
    t_idx = np.arange(1, T + 1)
    y = (rng.normal(size=n_units)[:, None] + rng.normal(0, 0.5, T)[None, :] + e
         + delta * t_idx[None, :] * (first > 0)[:, None]
         + effect * ((first[:, None] > 0) & (t_idx[None, :] >= first[:, None])))
    return pd.DataFrame({"u": np.repeat(np.arange(n_units), T), "t": np.tile(t_idx, n_units), "y": y.ravel(),
                         "g": np.repeat(first, T)})


def test_sign_flip_pretrend_has_about_nominal_size_and_power():
    """Fast seeded check (the benchmark has the full figures): 120 panels of 12 units
    under parallel trends reject in 1-12 % of runs (the old Hotelling F: ~0 %); a
    differential trend of 1.0 per quarter (about twice the detectable trend the test reports) is caught in at least 80 % of 40 runs."""
    rng = np.random.default_rng(20261201)
    rej = []
    for _ in range(120):
        r = staggered_did(_sim_panel(rng), outcome="y", unit="u", time="t", first_treated="g")
        rej.append(r.pretrend_test().p_value <= 0.05)
    assert 0.01 <= np.mean(rej) <= 0.12, np.mean(rej)
    power = [staggered_did(_sim_panel(rng, delta=1.0), outcome="y", unit="u", time="t",
                           first_treated="g").pretrend_test().p_value <= 0.05 for _ in range(40)]
    assert np.mean(power) >= 0.8, np.mean(power)


def test_hetero_t_with_known_variances_in_the_2x2_case():
    """Hand formula: one treated unit with relative variance v1 and controls with v_j:
    sigma0^2 = sum_j (dy_j - mean)^2 / sum_j v_j (1 - 1/n_c); var = (v1 + sum_j v_j / n_c^2) sigma0^2."""
    df = two_period(n_t=1, n_c=8)
    v = np.r_[9.0, np.linspace(0.5, 1.5, 8)]
    df["var"] = v[df["u"].to_numpy()]
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", unit_variance="var")
    w = df.pivot(index="u", columns="t", values="y")
    dy = (w[2] - w[1]).to_numpy()
    rel = v / v.mean()
    nc = 8
    sigma0 = np.sum((dy[1:] - dy[1:].mean()) ** 2) / np.sum(rel[1:] * (1 - 1 / nc))
    se = np.sqrt((rel[0] + np.sum(rel[1:]) / nc ** 2) * sigma0)
    cell = r.att_gt[r.att_gt["post"]].iloc[0]
    assert cell["se"] == pytest.approx(se, rel=1e-10)
    pooled = staggered_did(df.drop(columns="var"), outcome="y", unit="u", time="t", first_treated="g",
                           inference="pooled_t").att_gt.query("post").iloc[0]
    assert cell["se"] > 2 * pooled["se"]  # the noisy one-unit cohort is no longer hidden


def test_sup_t_band_and_mde_against_closed_forms():
    from paranalysis.models.did import _mde, _sup_t_critical

    # k independent normal estimates: P(all |z| <= c) = (2 Phi(c) - 1)^k
    k = 5
    exact = stats.norm.ppf((1 + 0.95 ** (1 / k)) / 2)
    assert _sup_t_critical(np.eye(k), None) == pytest.approx(exact, abs=0.04)
    # perfectly correlated estimates: the pointwise critical value
    assert _sup_t_critical(np.ones((3, 3)) + 1e-12 * np.eye(3), None) == pytest.approx(1.96, abs=0.04)
    assert _mde(1.0, None) == pytest.approx(stats.norm.ppf(0.975) + stats.norm.ppf(0.8))
    assert _mde(2.0, 10) == pytest.approx(2 * (stats.t.ppf(0.975, 10) + stats.t.ppf(0.8, 10)))


def test_dynamic_table_has_pointwise_and_simultaneous_bands(facility_panel):
    r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                      first_treated="first_treated")
    agg_dyn = r.aggregate("dynamic")
    t = agg_dyn.table
    assert (t.loc[t["event_time"] == -1, "estimate"] == 0).all()  # universal base period
    ok = t["cb_low"].notna()
    assert (t.loc[ok, "cb_low"] <= t.loc[ok, "ci_low"] + 1e-12).all()
    assert (t.loc[ok, "cb_high"] >= t.loc[ok, "ci_high"] - 1e-12).all()
    assert agg_dyn.sup_t_critical > stats.t.ppf(0.975, t["df"].max())


def test_randomization_p_matches_refitting_on_reassigned_dates():
    """The fast permutation estimates equal full re-estimation with the dates re-assigned."""
    rng = np.random.default_rng(5)
    df = _sim_panel(rng, effect=0.0)
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g")
    obs = r.aggregate("simple").estimate
    perm_rng = np.random.default_rng(11)
    idx = r._cohort_idx
    first = r._unit_g
    for _ in range(3):
        perm = perm_rng.permutation(idx)
        g_new = r._cohort_vals[perm]
        d2 = df.copy()
        d2["g"] = g_new[d2["u"].to_numpy()]
        refit = staggered_did(d2, outcome="y", unit="u", time="t", first_treated="g").aggregate("simple").estimate
        B = np.tensordot(r.aggregate("simple")._row, r._W0, axes=(0, 0))
        assert np.sum(B[perm] * r._Y) == pytest.approx(refit, rel=1e-10)
    assert first.shape == idx.shape and np.isfinite(obs)
    big = _sim_panel(np.random.default_rng(6), effect=5.0)
    assert staggered_did(big, outcome="y", unit="u", time="t", first_treated="g").randomization_p(n_perm=199) <= 0.02


def test_sensitivity_breakdown_is_where_the_shifted_interval_touches_zero(facility_panel):
    r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                      first_treated="first_treated")
    sens = r.sensitivity()
    ev = r.aggregate("dynamic").table.query("event_time >= 0")["event_time"].to_numpy()
    half = (sens.ci_high - sens.ci_low) / 2
    # a trend of breakdown_slope per quarter biases the average by slope * mean(e + 1): the edge reaches 0
    assert abs(sens.estimate) - sens.breakdown_slope * np.mean(ev + 1) == pytest.approx(half, rel=1e-9)
    b = sens.bounds
    assert (b["ci_high"] - b["ci_low"]).is_monotonic_increasing and sens.breakdown_m > 0
    t = sens.tidy()
    assert list(t["term"]) == ["post_average", "m=0.5", "m=1", "m=2"]
    assert (t["conf_low"].iloc[1:].to_numpy() == b["ci_low"].to_numpy()).all()


def test_holm_families_and_complements():
    from statsmodels.stats.multitest import multipletests

    from paranalysis.models import adjust_by_family, drop_complements, holm

    p = np.array([0.01, 0.04, 0.03])
    # by hand: sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, 0.06
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06])
    t = pd.DataFrame({"fam": ["a"] * 3 + ["b"] * 2, "p_value": [0.01, 0.04, 0.03, 0.02, np.nan]})
    out = adjust_by_family(t, "fam")
    assert out["p_holm"].iloc[:3].tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert out["p_holm"].iloc[3] == pytest.approx(0.02) and np.isnan(out["p_holm"].iloc[4])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    assert drop_complements(["late_rate_resolved_basis", "on_time_resolved_basis", "online_share"]) == [
        "late_rate_resolved_basis", "online_share"]


def test_diagnostics_on_demo(facility_panel):
    pl = placebo_adoption(facility_panel, "late_rate_resolved_basis", shifts=(4,), n_boot=999)
    assert pl["ci_low"].iloc[0] <= 0 <= pl["ci_high"].iloc[0]   # no planted effect before adoption
    loo = leave_one_out(facility_panel, "late_rate_resolved_basis")
    assert len(loo) == 21 and loo["estimate"].notna().all()
    assert (loo["estimate"] < 0).all()
    r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                      first_treated="first_treated")
    fig = plot_event_study(r.aggregate("dynamic"), title="t", ylabel="pp", caption="c", truth=-1.0, lang="en")
    assert fig.paranalysis_caption == "c"
    with pytest.raises(ValueError):
        plot_event_study(r.aggregate("simple"), title="t", ylabel="pp")


@pytest.mark.slow
def test_simulation_benchmark_small():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import simulate_did

    pre, iv, band = simulate_did.run(reps=100, seed=1, n_boot=0, sizes=(12,), scenarios=("parallel", "noisy_singletons"),
                                     verbose=False)
    sf = pre[pre.method == "sign_flip"]
    assert ((sf["reject_5pct"] >= 0.01) & (sf["reject_5pct"] <= 0.11)).all(), sf
    d = iv[(iv.method == "hetero_t") & iv.target.isin(["simple", "group"])]
    assert (d["coverage"] >= 0.88).all(), d
    assert (d["bias"].abs() < 4 * d["bias_mc_se"]).all()


def test_simulation_benchmark_reports_every_method():
    """Two replications: the tables carry size/power, coverage and width for each method."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import simulate_did

    pre, iv, band = simulate_did.run(reps=2, seed=3, n_boot=0, sizes=(8,), verbose=False)
    assert set(pre["method"]) == {"sign_flip", "hotelling", "analytic"}
    assert set(pre["scenario"]) == set(simulate_did.SCENARIOS)
    assert {"hetero_t", "pooled_t", "analytic", "randomization"} <= set(iv["method"])
    assert {"coverage", "mean_width", "reject_zero_5pct"} <= set(iv.columns)
    assert {"band_covers_all", "pointwise_cover_all"} <= set(band.columns)


def test_truth_coverage_counts_intervals_containing_the_planted_effect(facility_panel):
    """truth_coverage agrees with a direct count: facility -> late rate, planted -1.0 pp."""
    from paranalysis.models import truth_coverage

    truth = {"one_stop_facility": {"late_rate_resolved_basis": demo.PLANTED_EFFECTS["one_stop_facility"]
                                   ["late_rate_resolved_pp"]}}
    table = truth_coverage({"one_stop_facility": facility_panel}, truth)
    for inference in ("pooled_t", "analytic"):
        r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                          first_treated="first_treated", inference=inference)
        direct = sum(r.aggregate(k).ci_low <= -1.0 <= r.aggregate(k).ci_high
                     for k in ("simple", "dynamic", "group", "calendar"))
        assert table.loc[inference, "intervals"] == 4
        assert table.loc[inference, "intervals_covering"] == direct
