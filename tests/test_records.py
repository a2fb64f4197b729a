"""Record-level dossiers: working days across Tết and weekends, summaries, the official
form rebuilt from records, reconciliation, reader errors and the demo generator.

Hand-computed cases use the official holiday list: Tết Giáp Thìn 2024 was a seven-day
break for civil servants, Thursday 8 to Wednesday 14 February 2024; the 30 April / 1 May
2024 break ran Saturday 27 April to Wednesday 1 May, with Monday 29 April off in exchange
for working Saturday 4 May 2024; in 2025 Friday 2 May was off in exchange for working
Saturday 26 April 2025.

Tolerances: counts are exact; medians and percentiles agree to 1e-9 with numpy's default
(linear) quantile on the same numbers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest

from paranalysis import DataError
from paranalysis import records as rec
from paranalysis.records.demo import generate_demo_records

HEADER = "record_id,unit_code,procedure_code,received_at,due_at,resolved_at,channel,status\n"


def write_csv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- calendar

def test_tet_2024_days_are_not_working_days():
    cal = rec.working_day_calendar("2024-02-01", "2024-02-29").set_index("date")["is_working_day"]
    off = [dt.date(2024, 2, d) for d in range(8, 15)]  # Thu 8 .. Wed 14 Feb 2024
    assert not cal[off].any()
    assert cal[dt.date(2024, 2, 7)] and cal[dt.date(2024, 2, 15)]  # Wed before, Thu after


@pytest.mark.parametrize("received, resolved, expected, arithmetic", [
    # Fri 2 Feb 2024 -> Fri 16 Feb 2024: Mon 5, Tue 6, Wed 7 (3); Thu 8 - Wed 14 Tết; Thu 15, Fri 16 (2) = 5
    ("2024-02-02", "2024-02-16", 5, "3 + 0 + 2"),
    # Wed 7 Feb (last day before Tết) -> Thu 15 Feb: only Thu 15 counts = 1
    ("2024-02-07", "2024-02-15", 1, "Tết 8-14 Feb skipped"),
    # Fri 9 Feb (Tết eve, an online filing) -> Mon 19 Feb: Thu 15, Fri 16, Mon 19 = 3
    ("2024-02-09", "2024-02-19", 3, "Thu 15 + Fri 16 + Mon 19"),
    # Fri 19 Jan 2024 -> Mon 22 Jan 2024: the weekend does not count = 1
    ("2024-01-19", "2024-01-22", 1, "Sat, Sun skipped"),
    # same day = 0
    ("2024-03-04", "2024-03-04", 0, "day of receipt not counted"),
    # Fri 26 Apr 2024 -> Mon 6 May 2024: Mon 29 Apr off (swap), Tue 30, Wed 1 holidays;
    # Thu 2 (1), Fri 3 (2), Sat 4 May make-up working day (3), Mon 6 (4) = 4
    ("2024-04-26", "2024-05-06", 4, "Thu 2 + Fri 3 + Sat 4 (swap) + Mon 6"),
    # Fri 25 Apr 2025 -> Tue 6 May 2025: Sat 26 Apr make-up day (1), Mon 28 (2), Tue 29 (3);
    # Wed 30, Thu 1 holidays, Fri 2 May off (swap); Mon 5 (4), Tue 6 (5) = 5
    ("2025-04-25", "2025-05-06", 5, "Sat 26 + Mon 28 + Tue 29 + Mon 5 + Tue 6"),
])
def test_working_days_hand_counted(received, resolved, expected, arithmetic):
    assert rec.working_days(received, resolved) == expected, arithmetic


def test_working_days_agree_with_numpy_busday_count_plus_make_up_saturdays():
    """An independent count: numpy's business days with the library's holiday list, plus the
    make-up Saturdays, over 3,000 random pairs of days in 2017-2025."""
    rng = np.random.default_rng(7)
    start = np.datetime64("2017-01-01")
    a = start + rng.integers(0, 3100, 3000).astype("timedelta64[D]")
    b = a + rng.integers(0, 60, 3000).astype("timedelta64[D]")
    vn = holidays.country_holidays("VN", years=range(2016, 2027))
    hol = np.array(sorted(vn.keys()), dtype="datetime64[D]")
    extra = np.array(sorted(vn.weekend_workdays), dtype="datetime64[D]")
    expected = np.busday_count(a + 1, b + 1, holidays=hol)
    expected += np.array([((extra > x) & (extra <= y)).sum() for x, y in zip(a, b)])
    got = rec.working_days(pd.Series(a), pd.Series(b)).to_numpy(dtype=int)
    np.testing.assert_array_equal(got, expected)


def test_extra_days_off_and_make_up_days_change_the_count():
    base = rec.working_days("2024-06-03", "2024-06-10")  # Mon -> Mon: Tue..Fri + Mon = 5
    assert base == 5
    assert rec.working_days("2024-06-03", "2024-06-10", extra_days_off=["2024-06-05"]) == 4
    assert rec.working_days("2024-06-03", "2024-06-10", extra_working_days=["2024-06-08"]) == 6


def test_add_working_days_skips_tet():
    assert rec.add_working_days("2024-02-07", 1) == dt.date(2024, 2, 15)
    assert rec.add_working_days("2024-02-02", 5) == dt.date(2024, 2, 16)


# --------------------------------------------------------------------------- summarize

@pytest.fixture
def hand_file(tmp_path) -> Path:
    rows = [
        # unit 426, 2024Q1
        "A,426,P1,2024-02-02 09:00,2024-02-20 17:00,2024-02-16 10:00,online,resolved",   # 5 wd, on time
        "B,426,P1,2024-02-07 14:00,2024-02-15 17:00,2024-02-15 16:30,direct,resolved",   # 1 wd, on time (same day as due)
        "C,426,P2,2024-02-09 21:00,2024-02-16 17:00,2024-02-19 08:00,online,resolved",   # 3 wd, late
        "D,426,P1,2024-01-19 10:00,2024-01-22 17:00,2024-01-22 09:00,postal,resolved",   # 1 wd, on time
        "E,426,P3,2024-03-04 08:00,2024-03-05 17:00,2024-03-04 15:00,direct,resolved",   # 0 wd, early
        "F,426,P3,2024-03-28 08:00,2024-04-02 17:00,,direct,pending",                      # pending
        "G,426,P3,2024-03-05 08:00,2024-03-12 17:00,2024-03-06 10:00,online,returned",    # returned
        # unit 412, 2024Q2: across the 30/4 break with the swapped Saturday
        "H,412,P1,2024-04-26 10:00,2024-05-03 17:00,2024-05-06 09:00,direct,resolved",   # 4 wd, late
    ]
    return write_csv(tmp_path / "records.csv", rows)


def test_summarize_hand_computed_across_tet_and_weekends(hand_file):
    s = rec.summarize(hand_file).set_index(["unit_code", "period"])
    r = s.loc[("426", pd.Period("2024Q1", freq="Q-DEC"))]
    assert (r.received, r.received_online, r.received_direct, r.received_postal) == (7, 3, 3, 1)
    assert (r.resolved, r.resolved_late, r.pending, r.returned_withdrawn) == (5, 1, 1, 1)
    # resolved waits, sorted: 0 (E), 1 (B), 1 (D), 3 (C), 5 (A)
    assert r.median_working_days == 1.0
    # p90: position (5 - 1) * 0.9 = 3.6 -> 3 + 0.6 * (5 - 3) = 4.2
    assert r.p90_working_days == pytest.approx(4.2)
    assert r.mean_working_days == pytest.approx(10 / 5)
    assert r.share_within_statutory == pytest.approx(4 / 5)
    h = s.loc[("412", pd.Period("2024Q2", freq="Q-DEC"))]
    assert (h.received, h.resolved, h.resolved_late, h.median_working_days) == (1, 1, 1, 4.0)
    assert str(s.index.get_level_values("period")[0]) in {"2024Q1", "2024Q2"}
    assert not s["synthetic"].any()


def test_summarize_by_channel(hand_file):
    s = rec.summarize(hand_file, by=["unit_code", "channel"]).set_index(["unit_code", "channel"])
    online = s.loc[("426", "online")]
    # online in 426: A (5 wd), C (3 wd, late), G returned
    assert (online.received, online.resolved, online.resolved_late) == (3, 2, 1)
    assert online.median_working_days == 4.0


def test_parquet_and_csv_give_the_same_summary(hand_file, tmp_path):
    df = pd.read_csv(hand_file, dtype=str, keep_default_na=False)
    for c in ("received_at", "due_at", "resolved_at"):
        df[c] = pd.to_datetime(df[c].replace("", None))
    pq = tmp_path / "records.parquet"
    df.to_parquet(pq)
    pd.testing.assert_frame_equal(rec.summarize(hand_file), rec.summarize(pq))


def test_summarize_matches_an_independent_pandas_computation(tmp_path):
    path = generate_demo_records(20_000, seed=3, path=tmp_path / "r_synthetic.parquet")
    df = pd.read_parquet(path, columns=["unit_code", "received_at", "due_at", "resolved_at", "status", "channel"])
    vn = holidays.country_holidays("VN", years=range(2016, 2027))
    hol = np.array(sorted(vn.keys()), dtype="datetime64[D]")
    extra = np.array(sorted(vn.weekend_workdays), dtype="datetime64[D]")
    res = df[df["status"] == "resolved"].copy()
    a = res["received_at"].to_numpy().astype("datetime64[D]")
    b = res["resolved_at"].to_numpy().astype("datetime64[D]")
    res["wd"] = np.busday_count(a + 1, b + 1, holidays=hol) + (
        (extra[None, :] > a[:, None]) & (extra[None, :] <= b[:, None])).sum(axis=1)
    res["period"] = res["received_at"].dt.to_period("Q")
    exp = res.groupby(["unit_code", "period"])["wd"].quantile([0.5, 0.9]).unstack()
    exp["late"] = res.assign(late=res["resolved_at"] > res["due_at"]).groupby(["unit_code", "period"])["late"].sum()
    got = rec.summarize(path).set_index(["unit_code", "period"])
    got = got[got["resolved"] > 0]
    assert len(got) == len(exp) > 600
    np.testing.assert_allclose(got["median_working_days"], exp.loc[got.index, 0.5], atol=1e-9)
    np.testing.assert_allclose(got["p90_working_days"], exp.loc[got.index, 0.9], atol=1e-9)
    np.testing.assert_array_equal(got["resolved_late"].to_numpy(dtype=int), exp.loc[got.index, "late"].to_numpy())
    received = df.groupby(["unit_code", df["received_at"].dt.to_period("Q")]).size()
    all_got = rec.summarize(path).set_index(["unit_code", "period"])["received"]
    assert all_got.sum() == 20_000
    np.testing.assert_array_equal(all_got.to_numpy(dtype=int), received.loc[all_got.index].to_numpy())


def test_folder_and_partitioned_dataset_give_the_single_file_summary(tmp_path):
    """A folder of files, and a Hive-partitioned dataset whose unit_code lives only in the
    folder names (unit_code=040 kept as text), summarise exactly as the one file."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    src = generate_demo_records(12_000, seed=4, path=tmp_path / "one_synthetic.parquet")
    t = pq.read_table(src)
    # a unit code with a leading zero must survive the folder name as text
    t = t.set_column(t.schema.get_field_index("unit_code"), "unit_code",
                     pc.if_else(pc.equal(t["unit_code"], "412"), "040", t["unit_code"]))
    pq.write_table(t, src)
    expected = rec.summarize(src)
    assert "040" in set(expected["unit_code"])
    flat = tmp_path / "flat"
    flat.mkdir()
    pq.write_table(t.slice(0, 5_000), flat / "a_synthetic.parquet")
    pq.write_table(t.slice(5_000), flat / "b_synthetic.parquet")
    (flat / "_SUCCESS").write_text("")
    lake = tmp_path / "lake"
    pq.write_to_dataset(t.append_column("year", pc.year(t["received_at"]).cast(pa.string())), lake,
                        partition_cols=["year", "unit_code"])
    assert "unit_code" not in pq.read_schema(next(lake.rglob("*.parquet"))).names
    pd.testing.assert_frame_equal(rec.summarize(flat), expected, check_exact=True)
    pd.testing.assert_frame_equal(rec.summarize(lake), expected, check_exact=True)
    pd.testing.assert_frame_equal(rec.summarize(str(lake / "year=*" / "unit_code=*" / "*.parquet")), expected,
                                  check_exact=True)


def test_folder_errors_are_named(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError) as e:
        rec.summarize(empty)
    assert _problems(e)[0].file == str(empty) and "folder holding record files" in _problems(e)[0].expected
    src = generate_demo_records(500, seed=4, path=tmp_path / "s_synthetic.parquet")
    mixed = tmp_path / "mixed"
    (mixed / "year=2024").mkdir(parents=True)
    (mixed / "other").mkdir()
    pd.read_parquet(src).to_parquet(mixed / "year=2024" / "a.parquet")
    pd.read_parquet(src).to_parquet(mixed / "other" / "b.parquet")
    with pytest.raises(DataError) as e:
        rec.summarize(mixed)
    assert "partition folders" in _problems(e)[0].expected
    with pytest.raises(ValueError, match="engine"):
        rec.summarize(src, engine="polars")


def test_weighted_quantile_equals_numpy_on_expanded_data():
    rng = np.random.default_rng(1)
    for _ in range(50):
        v = rng.choice(40, size=rng.integers(1, 12), replace=False)
        c = rng.integers(1, 30, size=len(v))
        expanded = np.repeat(v, c)
        for q in (0.1, 0.5, 0.9):
            assert rec.weighted_quantile(v, c, q) == pytest.approx(np.quantile(expanded, q), abs=1e-12)


# --------------------------------------------------------------------------- form and reconciliation

def test_processing_form_hand_computed(hand_file):
    f = rec.processing_form(hand_file).set_index(["unit_code", "period"])
    q1 = f.loc[("426", pd.Period("2024Q1", freq="Q-DEC"))]
    # resolved in Q1 by timing: E early (4 Mar < due 5 Mar), A early (16 < 20 Feb), D early? resolved Mon 22 Jan
    # 09:00, due 22 Jan 17:00 -> same day, on time; B resolved on the due day -> on time; C late.
    assert (q1.resolved_early, q1.resolved_on_time, q1.resolved_late) == (2, 2, 1)
    assert (q1.received_online, q1.received_direct, q1.received_postal) == (3, 3, 1)
    assert q1.returned_withdrawn == 1 and q1.carried_over == 0
    # F received 28 Mar, due 2 Apr, still pending at 31 Mar: pending not yet due
    assert (q1.pending_not_due, q1.pending_overdue) == (1, 0)
    q2 = f.loc[("426", pd.Period("2024Q2", freq="Q-DEC"))]
    # F is carried over into Q2 and, still pending at 30 Jun, is overdue (due 2 Apr)
    assert (q2.carried_over, q2.pending_not_due, q2.pending_overdue) == (1, 0, 1)


def _independent_form(df: pd.DataFrame, periods) -> pd.DataFrame:
    """The form by brute force: for every quarter, look at every record."""
    rows = []
    for u, g in df.groupby("unit_code"):
        for q in periods:
            start, end = q.start_time, q.end_time
            prev_end = (q - 1).end_time
            ended = g["status"].ne("pending") & g["resolved_at"].notna()
            open_at = lambda t: (g["received_at"] <= t) & ~(ended & (g["resolved_at"] <= t))  # noqa: E731
            res_q = (g["status"] == "resolved") & g["resolved_at"].between(start, end)
            late = g["resolved_at"] > g["due_at"]
            early = g["resolved_at"].dt.normalize() < g["due_at"].dt.normalize()
            pend = open_at(end)
            rows.append({
                "unit_code": u, "period": q,
                "carried_over": int(open_at(prev_end).sum()),
                **{f"received_{c}": int(((g["channel"] == c) & g["received_at"].between(start, end)).sum())
                   for c in rec.CHANNELS},
                "resolved_early": int((res_q & ~late & early).sum()),
                "resolved_on_time": int((res_q & ~late & ~early).sum()),
                "resolved_late": int((res_q & late).sum()),
                "pending_not_due": int((pend & (g["due_at"] > end)).sum()),
                "pending_overdue": int((pend & (g["due_at"] <= end)).sum()),
                "returned_withdrawn": int((g["status"].isin(["returned", "withdrawn"]) & ended
                                           & g["resolved_at"].between(start, end)).sum()),
            })
    return pd.DataFrame(rows)


def test_processing_form_matches_brute_force_and_reconciles(tmp_path):
    path = generate_demo_records(6_000, seed=11, path=tmp_path / "f_synthetic.parquet")
    df = pd.read_parquet(path, columns=["unit_code", "received_at", "due_at", "resolved_at", "channel", "status"])
    form = rec.processing_form(path)
    periods = sorted(form["period"].unique())
    brute = _independent_form(df, periods)
    cols = [c for c in brute.columns if c not in ("unit_code", "period")]
    merged = form.merge(brute, on=["unit_code", "period"], suffixes=("", "_b"))
    assert len(merged) == len(form) == len(brute)
    for c in cols:
        np.testing.assert_array_equal(merged[c].to_numpy(dtype=int), merged[f"{c}_b"].to_numpy(dtype=int), err_msg=c)
    # reconciliation: identical tables agree; one altered cell is reported with its numbers
    assert rec.reconcile(form, brute).empty
    altered = brute.copy()
    i = altered.index[(altered["unit_code"] == "426") & (altered["period"] == pd.Period("2020Q3", freq="Q-DEC"))][0]
    altered.loc[i, "resolved_late"] += 7
    diff = rec.reconcile(form, altered).table
    assert set(diff["column"]) == {"resolved_late", "resolved"}
    row = diff[diff["column"] == "resolved_late"].iloc[0]
    assert (row.unit_code, str(row.period), row.difference) == ("426", "2020Q3", -7)
    assert row.processing - row.records == 7


def test_records_generated_from_a_table_reconcile_with_its_receipts(tmp_path):
    """n=None writes exactly the table's receipts by channel, so a summary of the records
    must reconcile with the table on every receipt count, and differ where we change it."""
    table = pd.DataFrame({
        "unit_code": ["415", "415", "427"], "period": pd.PeriodIndex(["2023Q4", "2024Q1", "2024Q1"], freq="Q-DEC"),
        "received_online": [12, 30, 5], "received_direct": [40, 25, 60], "received_postal": [1, 0, 3],
        "resolved_early": [30, 30, 40], "resolved_on_time": [20, 20, 20], "resolved_late": [3, 2, 1],
    })
    path = generate_demo_records(None, seed=5, path=tmp_path / "t_synthetic.csv", processing=table,
                                 investments=table.iloc[:0].assign(category=[], date_in_operation=[]))
    s = rec.summarize(path)
    assert s["received"].sum() == 12 + 40 + 1 + 30 + 25 + 5 + 60 + 3
    res = rec.reconcile(s, table)
    assert res.empty and res.table.empty and res.meta["compared_keys"] == 3
    assert set(res.meta["compared_columns"]) == {"received", "received_online", "received_direct", "received_postal"}
    assert res.meta["only_in_records"].empty and res.meta["only_in_processing"].empty
    table.loc[2, "received_direct"] = 61
    out = rec.reconcile(s, table).table
    assert sorted(out["column"]) == ["received", "received_direct"]
    assert out["difference"].tolist() == [-1, -1]


# --------------------------------------------------------------------------- reader errors

def _problems(exc) -> list:
    return exc.value.problems


def test_missing_columns_are_named(tmp_path):
    p = write_csv(tmp_path / "m.csv", ["A1,426,2024-01-02"], header="record_id,unit_code,received_at\n")
    with pytest.raises(DataError) as e:
        rec.summarize(p)
    missing = {pr.column for pr in _problems(e)}
    assert missing == {"procedure_code", "due_at", "resolved_at", "channel", "status"}
    assert all(pr.row == 1 and pr.file == str(p) for pr in _problems(e))


def test_bad_values_name_file_line_column_value(tmp_path):
    rows = [
        "A,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",
        "B,426,P,2024-13-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,resolved",  # line 3: month 13
        "C,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,fax,resolved",     # line 4: channel
        "D,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,online,pending",   # line 5: pending + date
        "E,426,P,2024-01-02 08:00,2024-01-05 17:00,2023-12-29 09:00,online,resolved",  # line 6: before receipt
    ]
    p = write_csv(tmp_path / "b.csv", rows)
    for fn in (rec.summarize, rec.read_records, rec.processing_form):
        with pytest.raises(DataError) as e:
            fn(p)
        got = {(pr.row, pr.column) for pr in _problems(e)}
        assert got == {(3, "received_at"), (4, "channel"), (5, "resolved_at"), (6, "resolved_at")}, fn.__name__
        by_row = {pr.row: pr for pr in _problems(e)}
        assert by_row[3].value == "2024-13-02 08:00" and "receipt time" in by_row[3].expected
        assert by_row[4].value == "fax" and "online" in by_row[4].expected


def test_parquet_rows_are_counted_from_one(tmp_path):
    df = pd.DataFrame({"record_id": ["A", "B", "C"], "unit_code": ["426"] * 3, "procedure_code": ["P"] * 3,
                       "received_at": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-02"]),
                       "due_at": pd.to_datetime(["2024-01-05"] * 3),
                       "resolved_at": pd.to_datetime(["2024-01-03", None, "2024-01-03"]),
                       "channel": ["online", "direct", "carrier pigeon"], "status": ["resolved", "pending", "resolved"]})
    p = tmp_path / "x.parquet"
    df.to_parquet(p)
    with pytest.raises(DataError) as e:
        rec.summarize(p)
    assert [(pr.row, pr.column, pr.value) for pr in _problems(e)] == [(3, "channel", "carrier pigeon")]


@pytest.mark.parametrize("missing", ["", None])
def test_missing_record_ids_in_parquet_are_caught(tmp_path, missing):
    """The streaming pass skips reading record_id only when Parquet statistics prove that
    none is missing; an empty or null code must still be reported."""
    df = pd.DataFrame({"record_id": ["A", missing, "C"], "unit_code": ["426"] * 3, "procedure_code": ["P"] * 3,
                       "received_at": pd.to_datetime(["2024-01-02"] * 3), "due_at": pd.to_datetime(["2024-01-05"] * 3),
                       "resolved_at": pd.to_datetime(["2024-01-03"] * 3), "channel": ["online"] * 3,
                       "status": ["resolved"] * 3})
    p = tmp_path / "ids.parquet"
    df.to_parquet(p)
    with pytest.raises(DataError) as e:
        rec.summarize(p)
    assert [(pr.row, pr.column) for pr in _problems(e)] == [(2, "record_id")]
    df.loc[1, "record_id"] = "B"
    df.to_parquet(p)
    assert rec.summarize(p)["received"].sum() == 3


def test_vietnamese_headers_codes_and_day_first_dates(tmp_path):
    header = "Mã hồ sơ,Mã đơn vị,Mã TTHC,Ngày tiếp nhận,Hạn trả kết quả,Ngày trả kết quả,Kênh nộp,Trạng thái\n"
    rows = ["X1,426,P,02/02/2024 09:00,20/02/2024 17:00,16/02/2024 10:00,Trực tuyến,Đã giải quyết",
            "X2,426,P,07/02/2024,15/02/2024 17:00,,trực tiếp,đang giải quyết",
            "X3,426,P,07/02/2024,15/02/2024 17:00,08/03/2024,BCCI,Đã giải quyết"]
    p = write_csv(tmp_path / "vn.csv", rows, header=header)
    r = rec.read_records(p).set_index("record_id")
    assert list(r["channel"]) == ["online", "direct", "postal"]
    assert r.loc["X1", "working_days"] == 5 and pd.isna(r.loc["X2", "working_days"])
    s = rec.summarize(p).iloc[0]
    assert (s.received, s.resolved, s.pending, s.resolved_late) == (3, 2, 1, 1)


def test_export_codes_can_be_mapped(tmp_path):
    rows = ["A,426,P,2024-01-02 08:00,2024-01-05 17:00,2024-01-03 09:00,2,DONE"]
    p = write_csv(tmp_path / "c.csv", rows)
    with pytest.raises(DataError):
        rec.summarize(p)
    s = rec.summarize(p, channel_map={"2": "online"}, status_map={"DONE": "resolved"}).iloc[0]
    assert (s.received_online, s.resolved) == (1, 1)


def test_malformed_csv_line_is_reported_without_its_content(tmp_path):
    rows = ["A,426,P,2024-01-02 08:00,2024-01-05 17:00,,online,pending,Nguyễn Văn Bí Mật,0987654321"]
    p = write_csv(tmp_path / "ragged.csv", rows)
    with pytest.raises(DataError) as e:
        rec.summarize(p)
    msg = str(e.value)
    assert "Bí Mật" not in msg and "0987654321" not in msg
    assert "Line: 2" in msg or "line 2" in msg.lower()


# --------------------------------------------------------------------------- demo generator

def test_generator_is_seeded_labelled_and_refuses_unlabelled_names(tmp_path):
    a = generate_demo_records(3_000, seed=9, path=tmp_path / "a_synthetic.csv")
    b = generate_demo_records(3_000, seed=9, path=tmp_path / "b_synthetic.csv")
    assert a.read_bytes() == b.read_bytes()
    df = pd.read_csv(a, dtype=str)
    assert (df["synthetic"] == "true").all()
    assert rec.summarize(a)["synthetic"].all()
    with pytest.raises(ValueError, match="synthetic"):
        generate_demo_records(10, path=tmp_path / "records.csv")


def test_generator_follows_the_demo_processing_table(tmp_path):
    from paranalysis import load_dataset

    proc = load_dataset().processing
    path = generate_demo_records(100_000, seed=2, path=tmp_path / "d_synthetic.parquet")
    s = rec.summarize(path)
    # volume shares by unit: records vs the table's new receipts (multinomial sample of 100,000)
    table = proc.assign(received=proc["received_online"] + proc["received_direct"] + proc["received_postal"])
    share_t = table.groupby("unit_code")["received"].sum() / table["received"].sum()
    share_r = s.groupby("unit_code")["received"].sum() / s["received"].sum()
    se = np.sqrt(share_t * (1 - share_t) / 100_000)
    assert (np.abs(share_r.reindex(share_t.index).fillna(0) - share_t) < 5 * se).all()
    # online share per year follows the table (2017 about 3.5 %, 2025 about 73 %)
    yr_t = table.groupby(table["period"].dt.year)[["received_online", "received"]].sum()
    yr_r = s.groupby(s["period"].dt.year)[["received_online", "received"]].sum()
    online_t = yr_t["received_online"] / yr_t["received"]
    online_r = yr_r["received_online"] / yr_r["received"]
    assert np.allclose(online_r, online_t.loc[online_r.index], atol=0.02)
    # late share of resolved dossiers: the table's late rate (about 2-4 %)
    late_t = proc["resolved_late"].sum() / (proc["resolved_early"] + proc["resolved_on_time"] + proc["resolved_late"]).sum()
    late_r = s["resolved_late"].sum() / s["resolved"].sum()
    assert abs(late_r - late_t) < 0.004


# --------------------------------------------------------------------------- notebook views

def _hist(rows) -> pd.DataFrame:
    """A histogram from (unit, quarter, working_days, resolved, late) tuples."""
    df = pd.DataFrame(rows, columns=["unit_code", "period", "working_days", "resolved", "resolved_late"])
    df["period"] = pd.PeriodIndex(df["period"], freq="Q-DEC")
    df["working_days"] = df["working_days"].astype("Int64")
    df["records"] = df["resolved"]
    for c in ("pending", "returned_withdrawn", "synthetic_records"):
        df[c] = 0
    return df


def test_before_after_hand_computed():
    from paranalysis.records import analysis as ra

    # unit T upgrades on 15 Aug 2020 (2020Q3): before = 2019Q3-2020Q2, after = 2020Q4-2021Q3 (k = 4)
    rows = [("T", "2019Q4", 4, 10, 1), ("T", "2020Q1", 6, 10, 0),        # before: mean (40 + 60) / 20 = 5
            ("T", "2020Q3", 0, 50, 0),                                    # the quarter itself: left out
            ("T", "2021Q1", 2, 10, 0), ("T", "2021Q2", 4, 30, 0),        # after: (20 + 120) / 40 = 3.5
            ("C", "2019Q3", 3, 10, 0), ("C", "2021Q3", 2, 10, 0),        # comparison: 3 -> 2
            ("C", "2019Q1", 9, 99, 0), ("T", "2022Q1", 9, 99, 0)]         # outside both windows
    inv = pd.DataFrame({"unit_code": ["T"], "category": ["one_stop_facility"],
                        "date_in_operation": pd.to_datetime(["2020-08-15"])})
    res = ra.before_after(_hist(rows), inv, quarters=4)
    assert res.meta["comparison_units"] == ["C"] and res.settings == {"category": "one_stop_facility", "quarters": 4}
    ba = res.table.iloc[0]
    assert (ba.before, ba.after) == ("2019Q3–2020Q2", "2020Q4–2021Q3")
    assert (ba.mean_before, ba.mean_after, ba.change) == (5.0, 3.5, -1.5)
    assert (ba.comparison_change, ba.change_vs_comparison) == (-1.0, -0.5)
    assert (ba.resolved_before, ba.resolved_after, ba.late_share_before) == (20, 40, 1 / 20)
    # medians: before 4,4,...(10x) 6,...(10x) -> position 9.5 -> 4 + 0.5 * 2 = 5; after 2 (10x), 4 (30x) -> 4
    assert (ba.median_before, ba.median_after) == (5.0, 4.0)


def test_shares_by_year_against_the_table():
    from paranalysis.records import analysis as ra

    summary = pd.DataFrame({"period": pd.PeriodIndex(["2024Q1", "2024Q2"], freq="Q-DEC"),
                            "received": [100, 300], "received_online": [10, 90], "resolved": [90, 310],
                            "resolved_late": [9, 11]})
    table = pd.DataFrame({"period": pd.PeriodIndex(["2024Q1"], freq="Q-DEC"), "received_online": [50],
                          "received_direct": [140], "received_postal": [10], "resolved_early": [100],
                          "resolved_on_time": [90], "resolved_late": [10]})
    out = ra.shares_by_year(summary, table).iloc[0]
    assert out.online_share_records == pytest.approx(100 / 400) and out.online_share_table == pytest.approx(50 / 200)
    assert out.late_share_records == pytest.approx(20 / 400) and out.late_share_table == pytest.approx(10 / 200)


def test_records_source_prefers_a_folder_export_and_falls_back_to_labelled_demo(tmp_path):
    """A dataset folder with a records*.parquet export is read as is (not synthetic); one
    without gets a seeded synthetic demo export whose file name says so."""
    import shutil

    import paranalysis
    from paranalysis.records.analysis import records_source

    ds = paranalysis.load_dataset()
    demo_path, is_demo = records_source(ds, tmp_path)
    assert is_demo and demo_path.name == "records_synthetic.parquet" and demo_path.exists()

    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(demo_path, folder / "records_2024.parquet")
    ds2 = paranalysis.load_dataset(folder)
    src, is_demo2 = records_source(ds2, tmp_path / "unused")
    assert not is_demo2 and [p.name for p in src] == ["records_2024.parquet"]
