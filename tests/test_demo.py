"""The synthetic demo province: reproducible, labelled, calibrated to the seed magnitudes."""

from pathlib import Path

import pandas as pd
import pytest

import paranalysis
from paranalysis import demo

DATA = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_committed_demo_files_are_regenerated_byte_identical(tmp_path):
    written = demo.write_demo(tmp_path)
    for name, path in written.items():
        assert path.read_bytes() == (DATA / path.name).read_bytes(), f"{path.name} differs from the generator"


def test_every_demo_row_is_labelled_synthetic():
    ds = paranalysis.load_dataset()
    for table in ("processing", "investments", "rankings"):
        df = getattr(ds, table)
        demo_rows = df[df["source"].str.startswith("SYNTHETIC")]
        assert len(demo_rows) > 0
        assert demo_rows["synthetic"].all()
    assert ds.has_synthetic
    assert all("synthetic" in p.name for p in DATA.glob("*.csv"))


def test_demo_covers_21_district_units_2017q1_to_2025q2():
    p = demo.generate()["processing"]
    assert sorted(p["unit_code"].unique()) == [str(c) for c in range(412, 433)]
    assert p["period"].min() == "2017Q1" and p["period"].max() == "2025Q2"
    # Cửa Lò merged into Vinh on 1 Dec 2024: last quarter 2024Q3
    assert p.loc[p["unit_code"] == "413", "period"].max() == "2024Q3"
    assert len(p) == 21 * 34 - 3


def _yearly(p):
    p = p.assign(year=p["period"].str[:4])
    g = p.groupby("year")[["resolved_early", "resolved_on_time", "resolved_late",
                           "received_online", "received_direct", "received_postal"]].sum()
    resolved = g.resolved_early + g.resolved_on_time + g.resolved_late
    received = g.received_online + g.received_direct + g.received_postal
    return (g.resolved_early + g.resolved_on_time) / resolved, g.received_online / received


def test_calibration_to_seed_magnitudes():
    p = demo.generate()["processing"]
    on_time, online = _yearly(p)
    # on-time rates 95-99.5 % (INDICATORS.md §2.1, §7.1)
    assert on_time.between(0.95, 0.995).all()
    # online share under 10 % in 2017 and over 60 % in 2025 (8.6 % 2022; 72.35 % mid-2025)
    assert online["2017"] < 0.10 and online["2025"] > 0.60
    # volumes differ about tenfold between mountain districts and Vinh
    vol = p[p["period"].str.startswith("2017")].groupby("unit_code")[
        ["received_online", "received_direct", "received_postal"]].sum().sum(axis=1)
    assert vol["412"] / vol.min() >= 10
    # Yen Thanh about 21,013 district-level records in 2019 (seed 000): within 15 %
    yt = p[(p.unit_code == "426") & p.period.str.startswith("2019")][
        ["received_online", "received_direct", "received_postal"]].sum().sum()
    assert abs(yt / 21013 - 1) < 0.15


def test_planted_effects_are_written_in_the_readme():
    text = (DATA / "README.md").read_text()
    eff = demo.PLANTED_EFFECTS
    assert f"**{eff['one_stop_facility']['late_rate_resolved_pp']:+.1f} pp**".replace("-", "−") in text
    assert f"**{eff['one_stop_facility']['online_share_pp']:+.1f} pp**" in text
    assert f"**{eff['online_meeting_system']['overdue_backlog_share_pp']:+.1f} pp**".replace("-", "−") in text
    assert f"**+{demo.PLANTED_SCORE_EFFECTS['DDCI']['one_stop_facility']:.1f} points (DDCI)**" in text


def test_adoption_in_register_matches_planted_timing():
    inv = demo.generate()["investments"]
    adopt = demo.adoption_table().dropna()
    got = {(r.unit_code, r.category): pd.Timestamp(r.date_in_operation).to_period("Q-DEC")
           for r in inv.itertuples()}
    for r in adopt.itertuples():
        assert got[(r.unit_code, r.category)] == r.first_quarter
    assert len(inv) == len(adopt)


@pytest.mark.parametrize("index,year,n", [("DDCI", 2022, 21), ("DDCI", 2024, 20), ("DISTRICT_PAR_INDEX", 2019, 21)])
def test_demo_rankings_are_competition_ranks(index, year, n):
    r = demo.generate()["rankings"]
    t = r[(r["index"] == index) & (r["year"] == year)]
    assert len(t) == n and (t["n_ranked"] == n).all()
    expected = t["score"].rank(method="min", ascending=False).astype(int)
    assert (t["rank"].astype(int) == expected).all()
