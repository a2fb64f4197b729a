"""The faster service-index paths give the tables the row-by-row versions gave: to_tidy,
portal_quarters, validate, and index_for read once per content of the folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis.dataset import bundled_data_dir
from paranalysis.errors import DataError
from paranalysis.serviceindex import demo as D
from paranalysis.serviceindex import leadership as SL
from paranalysis.serviceindex import periods as P
from paranalysis.serviceindex import reconcile as R
from paranalysis.serviceindex.schema import GROUPS, MAX_SCORES, coerce, validate

from serviceindex_helpers import COMMUNES, small_processing


def _to_tidy_rows(wide: pd.DataFrame, *, seed: int = D.DEFAULT_SEED) -> pd.DataFrame:
    """The former to_tidy, one dict per row (reference)."""
    out = []
    src = D.SOURCE.format(seed=seed)
    for r in wide.to_dict("records"):
        per = P.parse_period(r["period"])
        retrieved = per.end + pd.Timedelta(days=5)
        base = {k: r[k] for k in ("unit_id", "unit_name", "level", "unit_code", "formula_version")}
        base.update(period=per.label, period_type=per.kind, period_start=per.start, period_end=per.end,
                    period_open=False, source=src, retrieved_at=retrieved.tz_localize("UTC"), synthetic=True,
                    data_quality=r.get("data_quality") if isinstance(r.get("data_quality"), str) else None)
        for g in GROUPS:
            row = {**base, "component": g, "group": g, "score": r[g], "max_score": MAX_SCORES[g]}
            if g == "progress" and r["formula_version"] == D.VERSION_AFTER:
                row.update(received=r["received"], on_time=r["on_time"], overdue=r["overdue"],
                           ratio=round(100.0 * r["on_time"] / r["received"], 2)
                           if not pd.isna(r["on_time"]) and r["received"] else np.nan)
            out.append(row)
            for c, mx in D.SUB_2026.get(g, []):
                if c in r and not pd.isna(r[c]):
                    out.append({**base, "component": c, "group": g, "score": r[c], "max_score": mx})
        out.append({**base, "component": "total", "group": "total", "score": r["total"], "max_score": 100.0,
                    "rank": r["rank"], "n_ranked": r["n_ranked"],
                    "derived": r["formula_version"] == D.VERSION_AFTER})
    return coerce(pd.DataFrame(out))


def _portal_quarters_rows(index: pd.DataFrame) -> pd.DataFrame:
    """The former portal_quarters, one group at a time (reference)."""
    d = index[(index["component"] == "progress") & index["unit_code"].notna()].copy()
    d["quarter"] = pd.PeriodIndex(d["period_start"], freq="Q-DEC")
    out = []
    for r in d[d["period_type"] == "quarter"].itertuples():
        out.append({"unit_code": r.unit_code, "unit_id": r.unit_id, "quarter": r.quarter, "received": r.received,
                    "on_time": r.on_time, "score": r.score, "n_months": pd.NA, "basis": "quarter",
                    "formula_version": r.formula_version})
    have = {(o["unit_code"], o["quarter"]) for o in out}
    m = d[d["period_type"] == "month"]
    for (code, qq, fv), part in m.groupby(["unit_code", "quarter", "formula_version"], sort=True):
        if (code, qq) in have or part["period"].nunique() != 3:
            continue
        rec, ont = part["received"], part["on_time"]
        complete = rec.notna().all() and ont.notna().all()
        received = int(rec.sum()) if complete else pd.NA
        on_time = int(ont.sum()) if complete else pd.NA
        score = round(20.0 * on_time / received, 2) if complete and received > 0 else np.nan
        out.append({"unit_code": code, "unit_id": part["unit_id"].iloc[0], "quarter": qq, "received": received,
                    "on_time": on_time, "score": score, "n_months": 3, "basis": "months", "formula_version": fv})
    res = pd.DataFrame(out)
    for c in ("received", "on_time", "n_months"):
        res[c] = res[c].astype("Int64")
    return res.sort_values(["unit_code", "quarter"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def wides():
    bundled = D.read_wide(bundled_data_dir() / D.BUNDLED_FILE)
    small = D.generate_scorecard(small_processing(), COMMUNES, seed=3, first="2025-08", last="2026-11",
                                 formula_change="2026-03")
    odd = bundled.copy()
    odd.loc[5:40, "on_time"] = np.nan
    odd.loc[50:60, "received"] = 0
    odd.loc[3:9, "data_quality"] = "a note"
    odd.loc[100:300, "DOSSIER_SYNC"] = np.nan
    return {"bundled": bundled, "generated": small, "odd": odd,
            "fewer_subs": bundled.drop(columns=["DOSSIER_SYNC", "ELECTRONIC_CERTIFIED_COPY"]),
            "empty": bundled.iloc[:0]}


@pytest.mark.parametrize("case", ["bundled", "generated", "odd", "fewer_subs", "empty"])
def test_to_tidy_as_row_by_row(wides, case):
    w = wides[case]
    pd.testing.assert_frame_equal(D.to_tidy(w, seed=11), _to_tidy_rows(w, seed=11), check_exact=True)


def test_portal_quarters_and_reconciliation_as_row_by_row(wides):
    score = D.to_tidy(wides["bundled"])
    odd = score.copy()
    idx = odd.index[odd["component"] == "progress"]
    odd.loc[idx[::7], "received"] = pd.NA
    odd.loc[idx[::11], "on_time"] = pd.NA
    odd.loc[idx[::13], "received"] = 0
    odd.loc[idx[::17], "unit_id"] = None
    odd.loc[idx[:30], "period_type"] = "quarter"
    for case in (score, odd, odd.drop(idx[::5])):
        pd.testing.assert_frame_equal(R.portal_quarters(case), _portal_quarters_rows(case), check_exact=True)
    pq = R.portal_quarters(odd)
    assert set(pq["basis"]) == {"quarter", "months"} and pq["received"].isna().any()


def test_validate_lists_the_same_problems(wides):
    df = D.to_tidy(wides["bundled"]).head(50).copy()
    df.loc[3, "level"] = "district"
    df.loc[4, "level"] = None
    df.loc[7, "period_type"] = "week"
    df.loc[9, "group"] = "other"
    df.loc[11, "formula_version"] = ""
    df.loc[12, "formula_version"] = None
    with pytest.raises(DataError) as e:
        validate(df)
    got = [(p.row, p.column, p.value) for p in e.value.problems]
    assert got == [(3, "level", "district"), (4, "level", None), (7, "period_type", "week"), (9, "group", "other"),
                   (11, "formula_version", ""), (12, "formula_version", None)]


def test_index_for_reads_a_folder_once_per_content(tmp_path):
    root = tmp_path / "service_index"
    root.mkdir()
    f = root / "service_index_demo_synthetic.csv"
    f.write_bytes(D.wide_csv_bytes(D.generate_scorecard(small_processing(), COMMUNES)))
    a, _ = SL.index_for(tmp_path)
    a.loc[:, "score"] = -1.0  # a caller changing its copy does not change the next answer
    b, _ = SL.index_for(tmp_path)
    assert (b["score"].dropna() >= 0).all()
    pd.testing.assert_frame_equal(b, validate(D.to_tidy(D.read_wide(f))), check_exact=True)
    f.write_bytes(D.wide_csv_bytes(D.generate_scorecard(small_processing(), COMMUNES, seed=9)))
    c, _ = SL.index_for(tmp_path)  # same name, new content: read again
    assert not c["score"].equals(b["score"])


def test_reconciliation_once_per_content(wides):
    score = D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))
    proc = small_processing()
    R._RECONCILED.clear()
    a = R.reconcile_progress(score, proc)
    fresh = R._reconcile_progress(score, proc, lang="vi")
    a.loc[:, "diff_c_pp"] = 99.0  # a caller changing its copy does not change the next answer
    b = R.reconcile_progress(score.copy(), proc.copy())
    pd.testing.assert_frame_equal(b, fresh, check_exact=True)
    assert len(R._RECONCILED) == 1
    en = R.reconcile_progress(score, proc, lang="en")
    assert not en["explanation"].equals(b["explanation"])
    proc2 = proc.copy()
    proc2.loc[0, "resolved_late"] = proc2.loc[0, "resolved_late"] + 7
    c = R.reconcile_progress(score, proc2)
    pd.testing.assert_frame_equal(c, R._reconcile_progress(score, proc2, lang="vi"), check_exact=True)
    assert len(R._RECONCILED) == 3


def test_section_reads_the_two_months_as_the_whole_table_would():
    from paranalysis.serviceindex import scorecard as C

    score = D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))
    cuts = C.DEFAULT_CUTS
    for month in C.periods(score):
        info = SL.section(score, month)
        eq = pd.testing.assert_frame_equal
        eq(info["crossings"], C.threshold_crossings(score, month, cuts=cuts, level="commune"), check_exact=True)
        eq(info["group_losses"], C.group_losses(score, month, "commune"), check_exact=True)
        eq(info["main_losses"], C.main_losses(score, month, "commune"), check_exact=True)
        eq(info["below"], C.below(score, month, cuts[0], level="commune"), check_exact=True)
        eq(info["province_losses"], C.where_points_are_lost(score, month, "H41"), check_exact=True)
        cc = C.changes(score, month, level="commune")
        eq(info["commune_changes"], cc.dropna(subset=["change"]).sort_values("change"), check_exact=True)
        assert info["n_communes"] == int(C.totals(score, month, "commune")["score"].notna().sum())


def test_trend_figure_draws_the_trend_of_the_whole_table():
    import matplotlib

    matplotlib.use("Agg")
    from paranalysis.serviceindex import scorecard as C

    score = D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))
    fig = SL.trend_figure(score, "H41", "en")
    ys = [ln.get_ydata() for ln in fig.axes[0].get_lines()]  # the trend lines, then the formula-change markers
    want = []
    for comp in ("total",) + GROUPS:
        tr = C.trend(score, "H41", comp)
        want += [(100 * seg["score"] / seg["max_score"]).to_numpy() for _, seg in tr.groupby("segment")]
    assert len(ys) > len(want) and all(np.array_equal(np.asarray(a, float), b, equal_nan=True)
                                       for a, b in zip(ys, want))


def test_reconciliation_key_tells_a_code_from_a_number():
    score = D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))
    proc = small_processing()
    a = R._digest(proc)
    other = proc.astype({"unit_code": object})
    other.loc[0, "unit_code"] = 0  # same text once printed, another value
    assert R._digest(proc.copy()) == a and R._digest(other) != a
    assert len(R.reconcile_progress(score, proc))
