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
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g")
    w = df.pivot(index="u", columns="t", values="y")
    dy = w[2] - w[1]
    treated = df.groupby("u")["g"].first() > 0
    tt = stats.ttest_ind(dy[treated], dy[~treated], equal_var=True)
    cell = r.att_gt.iloc[0]
    assert cell["att"] == pytest.approx(dy[treated].mean() - dy[~treated].mean(), abs=1e-12)
    assert cell["att"] / cell["se"] == pytest.approx(tt.statistic, rel=1e-10)
    assert cell["p_value"] == pytest.approx(tt.pvalue, rel=1e-9)
    assert r.aggregate("simple").df == len(dy) - 2
    ci = stats.t.interval(0.95, len(dy) - 2, loc=cell["att"], scale=cell["se"])
    assert (cell["ci_low"], cell["ci_high"]) == pytest.approx(ci, rel=1e-10)


def test_singleton_cohort_keeps_a_positive_pooled_se():
    """R's analytic se ignores the noise of a one-unit cohort; the pooled se does not."""
    df = two_period(n_t=1, n_c=8)
    r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g")
    cell = r.att_gt.iloc[0]
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
    40 intervals. Every 'simple' interval covers its planted effect, and no more than 2 of
    the 40 miss (at 95 % about 2 misses are expected by chance)."""
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
                    misses.append((treatment, outcome, kind, a.att, a.ci_low, a.ci_high))
                    assert kind != "simple", misses[-1]
    assert len(misses) <= 2, misses


def test_pretrend_f_test_on_demo(facility_panel):
    r = staggered_did(facility_panel, outcome="late_rate_resolved_basis", unit="unit_code", time="period",
                      first_treated="first_treated")
    pt = r.pretrend_test(leads=4)
    assert pt.distribution == "F" and pt.df1 == 4 and pt.df2 == r.aggregate("simple").df - 3
    assert pt.p_value > 0.05  # parallel trends hold by construction in the demo


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

    s = simulate_did.run(reps=40, seed=1, n_boot=499, verbose=False)
    hom = s[(s.scenario == "homogeneous") & (s.target == "simple")]
    # with a constant effect every estimator is unbiased (|bias| < 4 Monte Carlo se)
    assert (hom["bias"].abs() < 4 * hom["bias_mc_se"]).all()
    default = s[(s.method.isin(["pooled_t", "wild"]))]
    assert (default["coverage"] >= 0.8).all()


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
        assert table.loc[inference, "intervals containing the planted effect"] == direct
