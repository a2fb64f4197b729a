"""Reference tests: staggered_did against the original R implementation (package ``did``).

Source of the reference numbers: R ``did`` 2.5.0 (R 4.4.2), ``att_gt(yname = "lemp",
tname = "year", idname = "countyreal", gname = "first.treat", xformla = ~1,
est_method = "dr", base_period = "varying", bstrap = FALSE, cband = FALSE)`` on ``mpdta``
and ``aggte(..., type = simple/group/dynamic/calendar, bstrap = FALSE)``, for
``control_group = "nevertreated"`` and ``"notyettreated"``. The numbers were produced by the
script ``csdid/test_csdid/r_ref/generate_reference.R`` of the public repository
d2cml-ai/csdid and stored there as ``ref_attgt.csv``, ``ref_aggte.csv`` and
``ref_pretest.csv``; the rows used are copied in tests/data/ (see tests/data/README.md).
The data, ``mpdta`` from R ``did``, is tests/data/mpdta.csv.

Tolerance: absolute 1e-12 for point estimates and standard errors (the R values are
printed with 15 significant digits, so about 1e-17 on these magnitudes is the best
possible); 1e-9 relative for the Wald pre-test statistic; p-values as R rounds them
(5 decimals). The largest difference actually measured is asserted below in
``test_largest_difference_is_tiny`` and reported in docs/models.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from paranalysis.models import staggered_did

DATA = Path(__file__).parent / "data"
ATOL = 1e-12
SCEN = {"mpdta_nev_dr": "never_treated", "mpdta_nyt_dr": "not_yet_treated"}


@pytest.fixture(scope="module")
def mpdta():
    return pd.read_csv(DATA / "mpdta.csv")


@pytest.fixture(scope="module")
def fits(mpdta):
    return {s: staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat",
                             control_group=cg, inference="analytic", base_period="varying") for s, cg in SCEN.items()}


def _ref(name):
    return pd.read_csv(DATA / name)


def test_mpdta_is_the_r_data(mpdta):
    assert mpdta.shape == (2500, 6)
    assert mpdta["countyreal"].nunique() == 500
    assert sorted(mpdta["first.treat"].unique()) == [0, 2004, 2006, 2007]
    # group sizes of mpdta as documented in R did: 309 never treated, 20 / 40 / 131 treated
    sizes = mpdta.drop_duplicates("countyreal")["first.treat"].value_counts().to_dict()
    assert sizes == {0: 309, 2004: 20, 2006: 40, 2007: 131}


@pytest.mark.parametrize("scenario", list(SCEN))
def test_att_gt_table_matches_r(fits, scenario):
    ref = _ref("r_did_attgt_mpdta.csv").query("scenario == @scenario").reset_index(drop=True)
    got = fits[scenario].att_gt
    assert list(got["group"]) == list(ref["group"]) and list(got["time"]) == list(ref["t"])
    np.testing.assert_allclose(got["estimate"], ref["att"], rtol=0, atol=ATOL)
    np.testing.assert_allclose(got["se_analytic"], ref["se"], rtol=0, atol=ATOL)
    # with inference="analytic" the reported se is R's
    np.testing.assert_allclose(got["se"], ref["se"], rtol=0, atol=ATOL)


@pytest.mark.parametrize("scenario", list(SCEN))
@pytest.mark.parametrize("kind", ["simple", "group", "dynamic", "calendar"])
def test_aggregations_match_r(fits, scenario, kind):
    ref = _ref("r_did_aggte_mpdta.csv").query("scenario == @scenario and type == @kind").reset_index(drop=True)
    agg = fits[scenario].aggregate(kind)
    assert abs(agg.estimate - ref["overall_att"].iloc[0]) < ATOL
    assert abs(agg.se - ref["overall_se"].iloc[0]) < ATOL
    if kind != "simple":
        key = {"group": "group", "dynamic": "event_time", "calendar": "time"}[kind]
        assert list(agg.table[key]) == list(ref["egt"].astype(int))
        np.testing.assert_allclose(agg.table["estimate"], ref["att_egt"], rtol=0, atol=ATOL)
        np.testing.assert_allclose(agg.table["se_analytic"], ref["se_egt"], rtol=0, atol=ATOL)


@pytest.mark.parametrize("scenario", list(SCEN))
def test_pretrend_wald_matches_r(fits, scenario):
    ref = _ref("r_did_pretest_mpdta.csv").set_index("scenario").loc[scenario]
    pt = fits[scenario].pretrend_test(method="analytic")
    assert pt.statistic == pytest.approx(ref["W"], rel=1e-9)
    assert pt.df1 == 5
    assert round(pt.p_value, 5) == pytest.approx(ref["Wpval"], abs=1e-12)


def test_largest_difference_is_tiny(fits):
    """The largest absolute difference from any R reference number (reported in docs)."""
    diffs = []
    cells = _ref("r_did_attgt_mpdta.csv")
    aggs = _ref("r_did_aggte_mpdta.csv")
    for s, fit in fits.items():
        c = cells.query("scenario == @s")
        diffs += list(np.abs(fit.att_gt["estimate"].to_numpy() - c["att"].to_numpy()))
        diffs += list(np.abs(fit.att_gt["se_analytic"].to_numpy() - c["se"].to_numpy()))
        for kind in ("simple", "group", "dynamic", "calendar"):
            a = aggs.query("scenario == @s and type == @kind")
            agg = fit.aggregate(kind)
            diffs += [abs(agg.estimate - a["overall_att"].iloc[0]), abs(agg.se - a["overall_se"].iloc[0])]
            if kind != "simple":
                diffs += list(np.abs(agg.table["estimate"].to_numpy() - a["att_egt"].to_numpy()))
                diffs += list(np.abs(agg.table["se_analytic"].to_numpy() - a["se_egt"].to_numpy()))
    assert len(diffs) == 2 * (24 + 2 * 4 + 2 * (3 + 7 + 4))
    print(f"\nlargest absolute difference from R did over {len(diffs)} numbers: {max(diffs):.2g}")
    assert max(diffs) < 1e-14


def test_estimation_does_not_modify_input(mpdta):
    before = mpdta.copy()
    staggered_did(mpdta, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat")
    pd.testing.assert_frame_equal(mpdta, before)


def test_missing_first_treated_means_never_treated(mpdta):
    """first_treated missing (NaN) and 0 give the same estimates."""
    d = mpdta.copy()
    d["ft"] = d["first.treat"].where(d["first.treat"] > 0)
    a = staggered_did(d, outcome="lemp", unit="countyreal", time="year", first_treated="ft", inference="analytic")
    b = staggered_did(d, outcome="lemp", unit="countyreal", time="year", first_treated="first.treat",
                      inference="analytic")
    np.testing.assert_allclose(a.att_gt["estimate"], b.att_gt["estimate"], atol=0)
    assert a.aggregate("simple").se == b.aggregate("simple").se
