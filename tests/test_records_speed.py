"""The demo record generator writes, for a seed, the bytes it wrote before it was made
faster (checksums of /work/main's output, 3 Dec 2026), and before_after gives its former table."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from paranalysis.records import analysis as ra
from paranalysis.records.demo import generate_demo_records

CHECKSUMS = [
    ({"n": 3000, "seed": 9}, "0af8b5bad5506528373aaead57f91063571a1001213318efe22d891b94ac9800"),
    ({"n": 5000, "seed": 3, "chunk_size": 1500}, "9a501cc028840a93fd63d04b2d72fb4a8a2d04074b26641369d7ec8f598ef023"),
    ({"n": 2000, "seed": 4, "personal_columns": False},
     "3e56bdc521bb8b9f5827076269b99fd3a563b37b0af8d82d717e293455098524"),
]


@pytest.mark.parametrize("kw,sha", CHECKSUMS)
def test_generator_writes_the_former_bytes(tmp_path, kw, sha):
    p = generate_demo_records(path=tmp_path / "x_synthetic.csv", **kw)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == sha


def test_parquet_holds_the_csv_rows(tmp_path):
    a = generate_demo_records(4000, seed=5, path=tmp_path / "a_synthetic.csv", chunk_size=1500)
    b = generate_demo_records(4000, seed=5, path=tmp_path / "b_synthetic.parquet", chunk_size=1500)
    csv = pd.read_csv(a, dtype=str, keep_default_na=False)
    pq = pd.read_parquet(b).astype(str)
    assert list(csv.columns) == list(pq.columns)
    assert (csv["record_id"] == pq["record_id"]).all() and (csv["address"] == pq["address"]).all()
    assert (csv["email"] == pq["email"]).all() and (csv["unit_code"] == pq["unit_code"]).all()


def _before_after_rows(hist, investments, category, quarters):
    """The former before_after loop, one mask over the whole histogram per window (reference)."""
    from paranalysis.periods import QUARTER_FREQ

    inv = investments[investments["category"] == category]
    first = inv.groupby(inv["unit_code"].astype(str))["date_in_operation"].min()
    units = set(hist["unit_code"].astype(str))
    comparison = hist[hist["unit_code"].astype(str).isin(units - set(first.index))]
    lo, hi = hist["period"].min(), hist["period"].max()
    rows = []
    for unit, day in first.sort_values().items():
        q0 = pd.Timestamp(day).to_period(QUARTER_FREQ)
        b0, b1, a0, a1 = q0 - quarters, q0 - 1, q0 + 1, q0 + quarters
        if b0 < lo or a1 > hi:
            continue
        own = hist[hist["unit_code"].astype(str) == unit]
        rows.append((unit, ra._pooled(ra.window(own, b0, b1)), ra._pooled(ra.window(own, a0, a1)),
                     ra._pooled(ra.window(comparison, b0, b1)), ra._pooled(ra.window(comparison, a0, a1))))
    return rows


@pytest.mark.parametrize("category,quarters", [("one_stop_facility", 4), ("online_meeting_system", 2),
                                               ("one_stop_facility", 1)])
def test_before_after_as_the_former_loop(tmp_path, category, quarters):
    from paranalysis import records as rec
    from paranalysis.dataset import load_dataset

    ds = load_dataset()
    path = generate_demo_records(20_000, seed=2, path=tmp_path / "r_synthetic.parquet", processing=ds.processing,
                                 investments=ds.investments)
    hist = rec.working_day_histogram(path, by=("unit_code", "period", "channel", "procedure_code"))
    t = ra.before_after(hist, ds.investments, category, quarters=quarters).table
    ref = _before_after_rows(hist, ds.investments, category, quarters)
    assert list(t["unit_code"]) == [r[0] for r in ref] and len(ref)
    for row, (_, b, a, cb, ca) in zip(t.itertuples(), ref):
        got = (row.resolved_before, row.mean_before, row.median_before, row.p90_before, row.late_share_before,
               row.resolved_after, row.mean_after, row.median_after, row.p90_after, row.late_share_after,
               row.comparison_mean_before, row.comparison_mean_after)
        want = (b["resolved"], b["mean"], b["median"], b["p90"], b["late_share"], a["resolved"], a["mean"],
                a["median"], a["p90"], a["late_share"], cb["mean"], ca["mean"])
        assert np.array_equal(np.array(got, dtype=float), np.array(want, dtype=float), equal_nan=True)


def test_calendar_holiday_names_as_looked_up_day_by_day():
    import holidays

    from paranalysis.records.calendar import working_day_calendar

    cal = working_day_calendar("2019-01-01", "2027-12-31")
    vn = holidays.country_holidays("VN", years=range(2019, 2028))
    want = [vn.get(d) for d in cal["date"]]
    assert [None if pd.isna(h) else h for h in cal["holiday"]] == want
