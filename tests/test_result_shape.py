"""One result shape (issue 16): every model returns a ``paranalysis.results.Result`` whose
``tidy()`` has the broom columns, table-like results are ``TableResult``s, and no result is
carried in ``DataFrame.attrs``.

The numbers are derived independently of the package: a simulated panel with a known,
constant effect; the two-way fixed-effects coefficient against statsmodels OLS with unit
and period dummies; one group-time effect of Callaway-Sant'Anna as a difference of mean
changes computed by hand.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paranalysis import models
from paranalysis.results import TIDY_COLUMNS, Result, TableResult, tidy_frame

SRC = Path(__file__).resolve().parents[1] / "src" / "paranalysis"

# No module may use DataFrame.attrs (the form reader's last one, the period of a half-year or
# annual report, went on 4 Dec 2026: its rows carry it in ``period_label``).
ATTRS_ALLOWED: set[str] = set()

EFFECT = 2.5


def _attrs_uses(text: str) -> list[int]:
    """Lines where code (not strings or comments) reads or writes ``<something>.attrs``."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
    return [b.start[0] for a, b in zip(toks, toks[1:])
            if a.type == tokenize.OP and a.string == "." and b.type == tokenize.NAME and b.string == "attrs"]


def test_no_dataframe_attrs_in_src():
    found = {}
    for f in sorted(SRC.rglob("*.py")):
        rel = f.relative_to(SRC).as_posix()
        # HTML-parser callbacks take an ``attrs`` argument; only attribute access counts
        lines = _attrs_uses(f.read_text(encoding="utf-8"))
        if lines and rel not in ATTRS_ALLOWED:
            found[rel] = lines
    assert not found, f"DataFrame.attrs used as a result carrier: {found}"


def test_attrs_scanner_sees_code_not_strings():
    assert _attrs_uses('x = df.attrs["a"]\n"""df.attrs in a docstring"""\n# df.attrs\n') == [1]


@pytest.fixture(scope="module")
def sim():
    """16 units x 10 years; units 0-3 adopt in year 4, units 4-7 in year 6, 8-15 never.
    y = unit effect + year effect + 2.5 after adoption + noise."""
    rng = np.random.default_rng(7)
    rows = []
    a = rng.normal(0, 3, 16)
    b = rng.normal(0, 2, 10)
    for u in range(16):
        g = 4 if u < 4 else 6 if u < 8 else 0
        for t in range(10):
            d = float(g > 0 and t >= g)
            rows.append({"u": f"u{u:02d}", "t": t, "g": g, "d": d, "y": a[u] + b[t] + EFFECT * d + rng.normal(0, 0.4)})
    return pd.DataFrame(rows)


def _broom(t: pd.DataFrame):
    assert list(t.columns[:len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    ok = t["std_error"].notna() & (t["std_error"] > 0)
    np.testing.assert_allclose(t.loc[ok, "statistic"], t.loc[ok, "estimate"] / t.loc[ok, "std_error"], rtol=1e-12)
    fin = ok & t["conf_low"].notna()
    assert (t.loc[fin, "conf_low"] <= t.loc[fin, "estimate"]).all()
    assert (t.loc[fin, "estimate"] <= t.loc[fin, "conf_high"]).all()
    p = t["p_value"].dropna()
    assert ((p >= 0) & (p <= 1)).all()


def test_panel_fe_is_a_result_whose_tidy_matches_statsmodels(sim):
    import statsmodels.formula.api as smf

    r = models.panel_fe(sim, "y ~ d", unit="u", time="t", inference="cr1")
    assert isinstance(r, Result)
    t = r.tidy()
    _broom(t)
    ols = smf.ols("y ~ d + C(u) + C(t)", sim).fit()
    assert t.loc[0, "term"] == "d"
    assert t.loc[0, "estimate"] == pytest.approx(ols.params["d"], abs=1e-9)
    assert t.loc[0, "estimate"] == pytest.approx(EFFECT, abs=0.3)
    assert t.loc[0, "std_error"] == pytest.approx(r.se[0]) and t.loc[0, "conf_low"] == pytest.approx(r.ci_low[0])
    assert t.loc[0, "n_units"] == 16 and t.loc[0, "method"] == "twfe"
    assert r.settings["inference"] == "cr1" and r.settings["unit"] == "u"
    assert "Two-way fixed effects" in r.summary()


def test_staggered_did_cells_match_a_hand_computed_difference_of_means(sim):
    cs = models.staggered_did(sim, outcome="y", unit="u", time="t", first_treated="g")
    assert isinstance(cs, Result)
    t = cs.tidy()
    _broom(t)
    # ATT(4, 6): change from year 3 (last untreated, universal base) to year 6, cohort 4 minus never treated
    w = sim.pivot(index="u", columns="t", values="y")
    g = sim.groupby("u")["g"].first()
    dy = w[6] - w[3]
    by_hand = dy[g == 4].mean() - dy[g == 0].mean()
    row = t[t["term"] == "ATT(4,6)"].iloc[0]
    assert row["estimate"] == pytest.approx(by_hand, abs=1e-12)
    assert row["estimate"] == pytest.approx(cs.att_gt.query("group == 4 and time == 6")["estimate"].iloc[0])
    assert row["event_time"] == 2 and row["outcome"] == "y"
    assert cs.settings["control_group"] == "never_treated" and cs.settings["inference"] == "hetero_t"


@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_aggregates_are_results_with_an_overall_row(sim, kind):
    cs = models.staggered_did(sim, outcome="y", unit="u", time="t", first_treated="g")
    agg = cs.aggregate(kind)
    assert isinstance(agg, Result)
    t = agg.tidy()
    _broom(t)
    assert t.loc[0, "term"] == "overall" and t.loc[0, "estimate"] == agg.estimate
    assert (t.loc[0, "conf_low"], t.loc[0, "conf_high"]) == (agg.ci_low, agg.ci_high)
    assert agg.estimate == pytest.approx(EFFECT, abs=0.5)  # the planted effect, constant over time
    assert agg.settings["kind"] == kind and t["method"].eq(f"callaway_santanna_{kind}").all()
    if kind == "simple":
        # post-adoption cells weighted by cohort size: every treated unit-year once
        post = cs.att_gt[cs.att_gt["post"]]
        n = {4: 4, 6: 4}
        wts = post["group"].map(n).astype(float)
        assert agg.estimate == pytest.approx(float((post["estimate"] * wts).sum() / wts.sum()), abs=1e-12)
        assert len(t) == 1
    else:
        assert len(t) == len(agg.table) + 1
        np.testing.assert_allclose(t["estimate"].iloc[1:], agg.table["estimate"])
    if kind == "dynamic":
        assert agg.sup_t_critical > 1.96 and t["term"].iloc[1].startswith("event_time=")


def test_pretrend_test_is_a_result(sim):
    pt = models.staggered_did(sim, outcome="y", unit="u", time="t", first_treated="g").pretrend_test()
    assert isinstance(pt, Result)
    t = pt.tidy()
    assert list(t.columns[:len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert t.loc[0, "statistic"] == pt.statistic and t.loc[0, "p_value"] == pt.p_value


def test_sensitivity_and_effect_checks_are_results(sim):
    cs = models.staggered_did(sim, outcome="y", unit="u", time="t", first_treated="g")
    sens = cs.sensitivity()
    assert isinstance(sens, Result)
    t = sens.tidy()
    _broom(t)
    # the average of the post-adoption event-time effects, computed from the dynamic table
    dyn = cs.aggregate("dynamic").table
    assert t.loc[0, "estimate"] == pytest.approx(dyn.loc[dyn["event_time"] >= 0, "estimate"].mean(), abs=1e-12)
    chk = models.effect_checks(sim, "y", unit="u", time="t", first_treated="g", n_perm=99)
    assert isinstance(chk, Result)
    t = chk.tidy()
    _broom(t)
    assert list(t["term"]) == ["overall", "not_yet_treated"]
    assert t.loc[0, "estimate"] == pytest.approx(cs.aggregate("simple").estimate, abs=1e-12)
    rec = chk.record()
    assert rec["estimate"] == chk.estimate and rec["n_units"] == 16 and rec["n_treated"] == 8
    assert "outcome" not in rec and isinstance(rec["notes"], list)


def test_every_model_result_class_is_a_result():
    for cls in (models.PanelFE, models.StaggeredDiD, models.Aggregate, models.PretrendTest, models.Sensitivity,
                models.EffectChecks):
        assert issubclass(cls, Result), cls
        assert "att" not in {f for f in cls.__dataclass_fields__}, cls  # the estimate is called estimate


def test_tidy_frame_broadcasts_and_divides():
    t = tidy_frame(["a", "b"], [1.0, 4.0], [0.5, 0.0], 0.2, [0, 1], [2, 7], outcome="y")
    assert list(t.columns) == list(TIDY_COLUMNS) + ["outcome"]
    assert t["statistic"].iloc[0] == 2.0 and np.isnan(t["statistic"].iloc[1])  # no division by a zero se
    assert t["p_value"].tolist() == [0.2, 0.2]


def test_table_results_replace_attrs():
    from paranalysis import rankings

    table = pd.DataFrame({"unit_code": list("ABCDE"), "score": [90.0, 85, 85, 80, 70], "year": 2024})
    g = rankings.points_to_gain(table, "E", places=(1, 2))
    assert isinstance(g, TableResult) and g.meta == {"rank": 5, "score": 70.0}
    pd.testing.assert_frame_equal(g.tidy(), g.table)
    # one place up from 5th: the 4th best other score (80) -> 10 points
    assert g.table.set_index("places").loc[1, "points_needed"] == 10
    assert "rows" in g.summary() and len(g) == 2


def test_rank_correlation_is_a_result():
    from scipy import stats

    from paranalysis import rankings

    x, y = [1, 2, 3, 4, 5, 6], [2.0, 1.0, 4.0, 3.0, 6.0, 5.0]
    r = rankings.rank_correlation(x, y, method="kendall")
    assert isinstance(r, Result)
    t = r.tidy()
    assert list(t.columns[:len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    exact = stats.kendalltau(x, y, method="exact")
    assert t.loc[0, "term"] == "kendall_tau" and t.loc[0, "estimate"] == pytest.approx(exact.statistic)
    assert t.loc[0, "p_value"] == pytest.approx(exact.pvalue) and t.loc[0, "n"] == 6


def test_each_name_means_one_thing():
    """first_in_operation, outcome_panel and effect_table are each defined once."""
    defs: dict[str, list[str]] = {}
    for f in SRC.rglob("*.py"):
        for node in ast.parse(f.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                defs.setdefault(node.name, []).append(f.relative_to(SRC).as_posix())
    assert defs["first_in_operation"] == ["treatment.py"]
    assert defs["outcome_panel"] == ["treatment.py"]
    assert "effect_table" not in defs
    assert defs["first_operation_quarter"] == ["leadership.py"]
    assert defs["effect_display_table"] == ["leadership.py"]
    assert defs["estimates_by_investment"] == ["models/diagnostics.py"]
