"""The fast paths of staggered_did give the very same numbers as the plain ones: the
group-time cells computed at once against the cell-by-cell loop they replaced (kept here
as the reference), leave-one-out by masking a prepared panel against refitting on the
data without the unit, effect_checks' and truth_coverage's light refits against
aggregate()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis.models import effect_checks, leave_one_out, staggered_did, truth_coverage
from paranalysis.models.did import _cells, _TimeAxis


def _cells_loop(Y, G, tlist, *, control_group, base_period, anticipation):
    """Reference: the cell-by-cell loop of the first implementation."""
    T, n = len(tlist), Y.shape[0]
    cohort_vals = np.unique(G)
    cohort_idx = np.searchsorted(cohort_vals, G)
    K = len(cohort_vals)
    cells_g, cells_t, att_l, inf_cols, Wcells = [], [], [], [], []
    tfac = 0 if base_period == "universal" else 1
    for g in np.unique(G[G > 0]):
        pre_idx = np.where(tlist + anticipation < g)[0]
        if len(pre_idx) == 0:
            continue
        for j in range(T - tfac):
            tc = j + tfac
            base = pre_idx[-1] if base_period == "universal" else j
            if g <= tlist[tc]:
                base = pre_idx[-1]
            if base_period == "universal" and base == tc:
                cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(0.0)
                inf_cols.append(np.zeros(n)), Wcells.append(np.zeros((K, T)))
                continue
            D = (G == g)
            if control_group == "never_treated":
                C = (G == 0)
            else:
                C = (G == 0) | ((G > max(tlist[tc], tlist[base]) + anticipation) & (G != g))
            n_g, n_c = D.sum(), C.sum()
            if n_c == 0:
                cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(np.nan)
                inf_cols.append(np.zeros(n)), Wcells.append(np.full((K, T), np.nan))
                continue
            dY = Y[:, tc] - Y[:, base]
            mu1, mu0 = dY[D].mean(), dY[C].mean()
            inf = np.zeros(n)
            inf[D] = n * (dY[D] - mu1) / n_g
            inf[C] = -n * (dY[C] - mu0) / n_c
            Wk = np.zeros((K, T))
            kg = np.searchsorted(cohort_vals, g)
            Wk[kg, tc] += 1.0 / n_g
            Wk[kg, base] -= 1.0 / n_g
            for kc in np.unique(cohort_idx[C]):
                Wk[kc, tc] -= 1.0 / n_c
                Wk[kc, base] += 1.0 / n_c
            cells_g.append(g), cells_t.append(tlist[tc]), att_l.append(mu1 - mu0)
            inf_cols.append(inf), Wcells.append(Wk)
    return np.array(att_l), np.array(cells_g), np.array(cells_t), np.column_stack(inf_cols), np.stack(Wcells)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def _panel(rng, n_units, T, cohorts, effect=0.5):
    first = np.zeros(n_units)
    k = 0
    for g, size in cohorts:
        first[k:k + size] = g
        k += size
    t_idx = np.arange(1, T + 1)
    y = (rng.normal(size=n_units)[:, None] * 3 + rng.normal(0, 0.5, T)[None, :] + rng.normal(size=(n_units, T))
         + effect * ((first[:, None] > 0) & (t_idx[None, :] >= first[:, None])))
    perm = rng.permutation(n_units)  # units not in cohort order
    return pd.DataFrame({"u": np.repeat(perm, T), "t": np.tile(t_idx, n_units), "y": y.ravel(),
                         "g": np.repeat(first, T)})


DESIGNS = [(14, 24, ((6, 3), (12, 2), (18, 1), (21, 1))), (10, 20, ((5, 3), (10, 3), (15, 4))),
           (30, 12, ((3, 9), (6, 1), (9, 10))), (9, 6, ((2, 2), (4, 2)))]


@pytest.mark.parametrize("design", range(len(DESIGNS)))
def test_cells_at_once_equal_the_cell_by_cell_loop(design):
    n, T, cohorts = DESIGNS[design]
    rng = np.random.default_rng(design)
    Y = rng.normal(size=(n, T)) * rng.uniform(0.1, 100)
    G = np.zeros(n)
    k = 0
    for g, size in cohorts:
        G[k:k + size] = g
        k += size
    G = rng.permutation(G)
    tlist = np.arange(1.0, T + 1)
    cohort_vals = np.unique(G)
    for control_group in ("never_treated", "not_yet_treated"):
        for base_period in ("universal", "varying"):
            for anticipation in (0, 1, 2):
                opts = dict(control_group=control_group, base_period=base_period, anticipation=anticipation)
                ref = _cells_loop(Y, G, tlist, **opts)
                got = _cells(Y, G, tlist, _TimeAxis(pd.Series(tlist)), [], cohort_vals,
                             np.searchsorted(cohort_vals, G), **opts)
                for a, b in zip(ref, got):
                    assert _same(a, b), opts


@pytest.mark.parametrize("design", range(3))
def test_leave_one_out_by_masking_equals_refitting_without_the_unit(design):
    n, T, cohorts = DESIGNS[design]
    df = _panel(np.random.default_rng(10 + design), n, T, cohorts)
    if design == 1:  # a unit's only extra period, a missing outcome
        df.loc[(df["u"] == 0) & (df["t"] == T), "t"] = T + 1
        df.loc[df.index[5], "y"] = np.nan
    for kind in ("simple", "dynamic", "group", "calendar"):
        for control_group in ("never_treated", "not_yet_treated"):
            loo = leave_one_out(df, "y", unit="u", time="t", first_treated="g", kind=kind, control_group=control_group)
            for row in loo.itertuples():
                try:
                    a = staggered_did(df[df["u"] != row.left_out], outcome="y", unit="u", time="t", first_treated="g",
                                      control_group=control_group).aggregate(kind)
                except ValueError as e:
                    assert np.isnan(row.estimate) and row.note == str(e).splitlines()[0]
                    continue
                assert (row.estimate, row.ci_low, row.ci_high) == (a.estimate, a.ci_low, a.ci_high)


def test_effect_checks_and_truth_coverage_equal_the_plain_refits():
    df = _panel(np.random.default_rng(3), *DESIGNS[0])
    df["v"] = np.random.default_rng(4).uniform(0.5, 2.0, len(df))
    for uv in (None, "v"):
        rec = effect_checks(df, "y", unit="u", time="t", first_treated="g", unit_variance=uv, n_perm=99).record()
        opts = dict(outcome="y", unit="u", time="t", first_treated="g", unit_variance=uv)
        res = staggered_did(df, **opts)
        nyt = staggered_did(df, control_group="not_yet_treated", **opts).aggregate("simple")
        assert (rec["nyt_estimate"], rec["nyt_ci_low"], rec["nyt_ci_high"], rec["nyt_p"]) == (
            nyt.estimate, nyt.ci_low, nyt.ci_high, nyt.p_value)
        ests = [res.without_unit(u).aggregate("simple").estimate for u in res._unit_ids]
        assert (rec["loo_min"], rec["loo_max"]) == (min(ests), max(ests))
        assert rec["p_randomization"] == res.randomization_p(n_perm=99)
        pt = res.pretrend_test()
        assert (rec["pretrend_p"], rec["pretrend_detectable"]) == (pt.p_value, pt.detectable_trend)
    table = truth_coverage({"x": df}, {"x": {"y": 0.5}}, unit="u", time="t", first_treated="g")
    for inference in ("hetero_t", "pooled_t", "analytic"):
        r = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g", inference=inference)
        direct = sum(r.aggregate(k).ci_low <= 0.5 <= r.aggregate(k).ci_high for k in ("simple", "dynamic", "group", "calendar"))
        assert table.loc[inference, "intervals_covering"] == direct


def test_randomization_p_draws_the_same_permutations_as_one_at_a_time():
    df = _panel(np.random.default_rng(7), *DESIGNS[0])
    res = staggered_did(df, outcome="y", unit="u", time="t", first_treated="g")
    B = np.tensordot(res.aggregate("simple")._row, res._W0, axes=(0, 0))
    idx = res._cohort_idx
    for seed in (0, 1, 12):
        rng = np.random.default_rng(seed)
        perms = np.array([rng.permutation(idx) for _ in range(199)])
        vals = np.einsum("bit,it->b", B[perms], res._Y)
        obs = float(np.sum(B[idx] * res._Y))
        expected = float((1 + np.sum(np.abs(vals) >= abs(obs) - 1e-12)) / 200)
        assert res.randomization_p(n_perm=199, seed=seed) == expected
