"""Reading the scorecard, reconciliation and the synthetic generator, on a small processing
table built in tests/serviceindex_helpers.py (known counts) and on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis import DataError
from paranalysis.indicators import on_time_766_basis, on_time_resolved_basis, with_totals
from paranalysis.rankings import rank_to_percentile
from paranalysis.serviceindex import demo as D
from paranalysis.serviceindex import scorecard as C
from paranalysis.serviceindex.reconcile import reconcile_progress
from paranalysis.serviceindex.schema import coerce, require_comparable, validate

from serviceindex_helpers import COMMUNES, small_processing


@pytest.fixture(scope="module")
def proc():
    return small_processing()


@pytest.fixture(scope="module")
def wide(proc):
    return D.generate_scorecard(proc, COMMUNES)


@pytest.fixture(scope="module")
def tidy(wide):
    return validate(D.to_tidy(wide))


def test_months_add_up_to_the_quarters(proc, wide):
    com = wide[wide["level"] == "commune"].copy()
    com["quarter"] = pd.PeriodIndex(com["period"], freq="M").asfreq("Q-DEC")
    t = with_totals(proc)
    c = on_time_766_basis(proc)
    for r in proc.assign(received=t["received"], c=c["rate"]).itertuples():
        part = com[(com["unit_code"] == r.unit_code) & (com["quarter"] == r.period)]
        assert len(part) == 3
        assert part["received"].sum() == r.received  # every new record of the quarter, once
        assert part["on_time"].sum() == round(r.c * r.received)  # definition-C on-time records
        assert (part["on_time"] <= part["received"]).all()
        assert np.allclose(part["progress"], (20 * part["on_time"] / part["received"]).round(2))


def test_october_2026_is_drawn_and_says_so(wide):
    octo = wide[(wide["period"] == "2026-10") & (wide["level"] == "commune")]
    assert len(octo) == 6 and octo["data_quality"].str.contains("no demo processing quarter").all()


def test_formula_change_is_recorded(tidy):
    fc = C.formula_changes(tidy)
    assert fc.to_dict("records") == [{"period": "2026-01", "from_version": "766-portal-2025",
                                      "to_version": "766-reporting-2026"}]
    ch = C.changes(tidy, "2026-01", level="commune")
    assert ch["change"].isna().all() and not ch["comparable"].any()
    ch2 = C.changes(tidy, "2026-02", level="commune")
    assert ch2["comparable"].all()
    assert np.allclose(ch2["change"], (ch2["score"] - ch2["prev_score"]).round(2))
    with pytest.raises(DataError, match="formula version"):
        require_comparable(tidy[tidy["period"].isin(["2025-12", "2026-01"])])
    tr = C.trend(tidy, "H41")
    assert tr["segment"].nunique() == 2 and (tr.loc[tr["period"] >= "2026-01", "segment"] == 2).all()


def test_synthetic_labels_and_sums(tidy, wide):
    assert tidy["synthetic"].all() and tidy["source"].str.startswith("SYNTHETIC").all()
    tot = tidy[tidy["component"] == "total"].set_index(["unit_id", "period"])["score"]
    grp = tidy[tidy["component"].isin(C.GROUPS)].groupby(["unit_id", "period"])["score"].sum().round(2)
    assert np.allclose(tot.sort_index(), grp.sort_index())
    # province progress = 20 x (communes' on-time records) / (their records), by month
    com = wide[wide["level"] == "commune"].groupby("period")[["received", "on_time"]].sum()
    prov = wide[wide["level"] == "province"].set_index("period")["progress"]
    assert np.allclose(prov, (20 * com["on_time"] / com["received"]).round(2))


def test_reconciliation_explains_definitions(proc, tidy):
    rec = reconcile_progress(tidy, proc, lang="en")
    assert rec.loc[rec["unit_code"] == "40", "explanation"].str.contains("no form counts").all()
    rec = rec[rec["unit_code"] != "40"]
    q26 = rec[rec["quarter"] >= pd.Period("2026Q1", freq="Q-DEC")]
    assert len(q26) == 6 * 3
    assert (q26["denominator_basis"] == "received").all()
    # the portal's ratio is the definition-C rate up to rounding of round(C x received)
    assert (q26["diff_c_pp"].abs() <= 100 * 0.5 / q26["portal_received"].astype(float) + 0.005 + 1e-9).all()
    a = on_time_resolved_basis(proc).assign(unit_code=proc["unit_code"], quarter=proc["period"])
    m = q26.merge(a, on=["unit_code", "quarter"])
    assert np.allclose(m["diff_a_pp"], (100 * (m["portal_ratio"] - m["rate"])).round(2), atol=0.006)
    assert q26["explanation"].str.contains("definition C").all()
    q25 = rec[rec["quarter"] < pd.Period("2026Q1", freq="Q-DEC")]
    assert q25["portal_received"].isna().all()  # the 2025 basis carries no counts
    assert q25["explanation"].str.contains("gives no record counts").all()


def test_bands_and_crossings():
    assert C.band([79.99, 80, 89.99, 90, np.nan]).tolist() == ["<80", "80-90", "80-90", ">=90", None]
    df = _table({"A": [85, 78], "B": [79, 91], "C": [92, 93]}, ["2025-08", "2025-09"])
    x = C.threshold_crossings(df, "2025-09")
    assert set(x["unit_id"]) == {"A", "B"}
    a = x.set_index("unit_id")
    assert a.at["A", "direction"] == "down" and a.at["A", "fell_below"] == 80
    assert a.at["B", "direction"] == "up" and a.at["B", "band"] == ">=90"
    assert C.below(df, "2025-09")["unit_id"].tolist() == ["A"]
    x95 = C.threshold_crossings(df, "2025-09", cuts=(95,))
    assert x95.empty


def _table(scores: dict, periods: list, *, level="commune", versions=None, ranks=None):
    rows = []
    for k, per in enumerate(periods):
        for u, vals in scores.items():
            v = vals[k]
            if v is None:
                continue
            rows.append({"unit_id": u, "unit_name": f"Unit {u}", "level": level, "period": per, "period_type": "month",
                         "period_start": pd.Period(per, freq="M").start_time,
                         "period_end": pd.Period(per, freq="M").end_time.normalize(), "component": "total",
                         "group": "total", "score": v, "max_score": 100.0,
                         "formula_version": (versions or {}).get(per, "v1"), "source": "test"})
    return validate(coerce(pd.DataFrame(rows)))


def test_rank_moves_identical_cohort():
    df = _table({"A": [90, 80], "B": [85, 95], "C": [70, 85], "D": [60, 50]}, ["2025-08", "2025-09"])
    rm = C.rank_moves(df, "2025-09").set_index("unit_id")
    # ranks by hand: Aug A1 B2 C3 D4; Sep B1 C2 A3 D4
    assert rm["places_gained"].to_dict() == {"A": -2, "B": 1, "C": 1, "D": 0}
    assert not rm["cohort_changed"].any()
    assert rm.at["C", "percentile_change"] == pytest.approx((4 - 2) / 3 - (4 - 3) / 3)


def test_rank_moves_63_to_34_only_percentiles():
    a = {f"P{i:02d}": [100.0 - i, None] for i in range(63)}
    for i in range(34):
        a[f"P{i:02d}"][1] = 100.0 - (33 - i)  # new cohort of 34: order reversed
    df = _table(a, ["2025-06", "2025-07"], level="province")
    rm = C.rank_moves(df, "2025-07", level="province").set_index("unit_id")
    assert rm["cohort_changed"].all() and rm["places_gained"].isna().all()
    # P00: 1st of 63 -> 34th of 34; percentile change by hand
    want = rank_to_percentile(34, 34) - rank_to_percentile(1, 63)
    assert rm.at["P00", "percentile_change"] == pytest.approx(want) == pytest.approx(-1.0)
    assert int(rm.at["P10", "rank"]) == 24 and int(rm.at["P10", "prev_n_ranked"]) == 63


def test_rank_moves_across_formula_change_compare_nothing():
    df = _table({"A": [90, 80], "B": [85, 95], "C": [70, 85]}, ["2025-12", "2026-01"],
                versions={"2025-12": "v1", "2026-01": "v2"})
    rm = C.rank_moves(df, "2026-01")
    assert rm["break_method"].all() and rm["places_gained"].isna().all() and rm["percentile_change"].isna().all()


def test_points_lost_and_peers(tidy):
    per = "2026-03"
    pl = C.where_points_are_lost(tidy, per, "H41")
    g = pl[pl["is_group"]]
    assert (g["points_lost"].diff().dropna() <= 0).all()  # largest loss first
    row = tidy[(tidy["unit_id"] == "H41") & (tidy["period"] == per) & (tidy["component"] == "digitisation")].iloc[0]
    assert g.set_index("component").at["digitisation", "points_lost"] == round(22 - row["score"], 2)
    subs = pl[(pl["group"] == "digitisation") & ~pl["is_group"]]
    assert abs(subs["points_lost"].sum() - g.set_index("component").at["digitisation", "points_lost"]) < 0.02
    pe = C.peers(tidy, per, "H41.102", k=2)  # the 4,000-record ward: peers are the two next largest
    assert pe["unit_id"].tolist()[0] == "H41.102"
    assert set(pe["unit_id"][1:]) == {"H41.105", "H41.104"}


def test_missing_group_gives_no_total():
    from paranalysis.serviceindex.loaders import add_derived_totals

    rows = []
    for g, s in zip(C.GROUPS, [10, 15, None, 5, 12, 16]):
        rows.append({"unit_id": "X", "level": "commune", "period": "2026-08", "period_type": "month",
                     "component": g, "group": g, "score": s, "max_score": 20.0, "formula_version": "v"})
    df = add_derived_totals(coerce(pd.DataFrame(rows)))
    assert not (df["component"] == "total").any()


def test_reconciliation_with_record_data(proc, tidy, tmp_path):
    """The same reconciliation with the form rebuilt from record-level data
    (records.summary.processing_form over synthetic dossiers following the table)."""
    from paranalysis.records import generate_demo_records
    from paranalysis.records.summary import processing_form

    path = generate_demo_records(None, path=tmp_path / "records_synthetic.parquet", processing=proc,
                                 personal_columns=False)
    form = processing_form(path)
    rec = reconcile_progress(tidy, form, lang="en")
    r = rec[rec["portal_received"].notna() & (rec["unit_code"] != "40")]
    assert len(r) == 18
    # new records: the dossiers follow the table, so the denominators agree
    assert (r["denominator_basis"] == "received").all()
    # on-time status is redrawn per dossier: the rates differ, and each row says by how much
    c = on_time_766_basis(form).assign(unit_code=form["unit_code"], quarter=form["period"])
    m = r.merge(c, on=["unit_code", "quarter"])
    assert np.allclose(m["diff_c_pp"], (100 * (m["portal_ratio"] - m["rate"])).round(2), atol=0.006)
    assert r["explanation"].str.contains("definition C").all()
