"""The bundled synthetic commune scorecard: regenerated from the bundled demo it is
byte-identical to the committed file, and it agrees with the demo's commune processing
counts (checked here from the processing table, not with the generator's own numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis import load_dataset
from paranalysis.dataset import bundled_data_dir
from paranalysis.indicators import on_time_766_basis, with_totals
from paranalysis.serviceindex import demo as D
from paranalysis.serviceindex.reconcile import reconcile_progress


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


@pytest.fixture(scope="module")
def wide():
    return D.read_wide(bundled_data_dir() / D.BUNDLED_FILE)


def test_bundled_file_is_what_the_generator_writes(ds, tmp_path):
    path = D.write_demo(tmp_path)
    assert path.read_bytes() == (bundled_data_dir() / D.BUNDLED_FILE).read_bytes()


def test_130_communes_and_16_months(ds, wide):
    com = wide[wide["level"] == "commune"]
    assert com["unit_code"].nunique() == 130
    assert sorted(com["period"].unique()) == D.months("2025-07", "2026-10")
    reg = ds.units.set_index("unit_code")
    assert (reg.loc[com["unit_code"].unique(), "level"] == "commune").all()
    assert (pd.to_datetime(reg.loc[com["unit_code"].unique(), "valid_from"]) == pd.Timestamp("2025-07-01")).all()
    assert (wide.groupby("period").size() == 131).all()  # 130 communes + the province


def test_months_add_up_to_the_demo_quarters(ds, wide):
    com = wide[wide["level"] == "commune"].copy()
    com["quarter"] = pd.PeriodIndex(com["period"], freq="M").asfreq("Q-DEC")
    p = ds.processing[ds.processing["unit_code"].isin(set(com["unit_code"]))]
    p = p[p["period"] >= pd.Period("2025Q3", freq="Q-DEC")]
    t, c = with_totals(p), on_time_766_basis(p)
    want = pd.DataFrame({"unit_code": p["unit_code"].to_numpy(), "quarter": p["period"].to_numpy(),
                         "received": t["received"].astype(int).to_numpy(),
                         "on_time": np.round(c["rate"].to_numpy() * t["received"].astype(float).to_numpy())})
    got = com.groupby(["unit_code", "quarter"])[["received", "on_time"]].sum().reset_index()
    m = want.merge(got, on=["unit_code", "quarter"], suffixes=("_form", "_portal"))
    assert len(m) == 130 * 5  # 2025Q3 .. 2026Q3
    assert (m["received_form"] == m["received_portal"]).all()
    assert (m["on_time_form"] == m["on_time_portal"]).all()


def test_reconciliation_on_the_demo(ds):
    sc = D.bundled_scorecard()
    rec = reconcile_progress(sc, ds.processing, lang="en")
    r = rec[(rec["unit_code"] != "40") & rec["portal_received"].notna()]
    assert len(r) == 130 * 3  # 2026Q1-Q3 carry counts (2026 basis)
    assert (r["denominator_basis"] == "received").all()
    # round(C x received) moves the ratio by at most 0.5 / received; diff_c_pp is printed with 2 decimals
    assert (r["diff_c_pp"].abs() <= 100 * 0.5 / r["portal_received"].astype(float) + 0.005 + 1e-9).all()


def test_every_row_is_labelled_synthetic():
    sc = D.bundled_scorecard()
    assert sc["synthetic"].all() and sc["source"].str.contains("SYNTHETIC").all()
    head = (bundled_data_dir() / D.BUNDLED_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("#") and "SYNTHETIC" in head
