"""load_service_index against the real portal exports, read in place from
../shared/reference-data (skipped, saying why, where that folder is absent). Expected values
are read from the raw files with the csv/json standard library, not with the loader."""

from __future__ import annotations

import csv
import json
import math
import shutil

import pandas as pd
import pytest

import paranalysis
from paranalysis import DataError
from paranalysis.rankings import reference_data_dir
from paranalysis.serviceindex import SERVICE_INDEX_COLUMNS, load_service_index
from paranalysis.serviceindex.periods import parse_period

REF = reference_data_dir()
CSV_2025 = REF / "decision766_service_index_2025_new766.csv" if REF else None
DIR_2026 = REF / "portal766_2026" if REF else None
need_2025 = pytest.mark.skipif(CSV_2025 is None or not CSV_2025.exists(),
                               reason="../shared/reference-data/decision766_service_index_2025_new766.csv not present")
need_2026 = pytest.mark.skipif(DIR_2026 is None or not DIR_2026.is_dir(),
                               reason="../shared/reference-data/portal766_2026/ not present")
UNKNOWN = {"an_giang_departments": "unknown", "an_giang_communes": "unknown"}
COLS = {"CKMB": "transparency", "TDGQ": "progress", "CLGQ": "online_service", "TTTT": "online_payment",
        "MDSH": "digitisation", "MDHL": "satisfaction", "TONG_SCORE": "total"}


def raw_2025():
    with open(CSV_2025, encoding="utf-8") as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def test_public_contract():
    assert paranalysis.load_service_index is load_service_index
    for c in ("unit_id", "unit_name", "level", "unit_code", "period", "component", "score", "max_score", "rank",
              "received", "on_time", "overdue", "formula_version", "source", "retrieved_at"):
        assert c in SERVICE_INDEX_COLUMNS


@pytest.mark.parametrize("text,label,kind", [
    ("provinces_year_to_date_2025", "2025-YTD", "ytd"), ("provinces_month_2025_10", "2025-10", "month"),
    ("Tháng 10/2025", "2025-10", "month"), ("2026Q3", "2026Q3", "quarter"), ("Quý 3/2026", "2026Q3", "quarter"),
    ("Năm 2026", "2026", "year"), ("2025-YTD", "2025-YTD", "ytd")])
def test_parse_period(text, label, kind):
    p = parse_period(text)
    assert (p.label, p.kind) == (label, kind)


def test_parse_period_none():
    assert parse_period("an_giang_communes") is None


@need_2025
def test_2025_csv_every_score_and_rank():
    df = load_service_index(CSV_2025, periods=UNKNOWN, retrieved_at="2025-10-16")
    raw = raw_2025()
    assert len(df) == 7 * len(raw)
    periods = {"provinces_year_to_date_2025": "2025-YTD", "provinces_month_2025_10": "2025-10",
               "an_giang_departments": "unknown", "an_giang_communes": "unknown"}
    idx = df.set_index(["unit_id", "period", "component"])
    for r in raw:
        per = periods[r["table"]]
        for col, comp in COLS.items():
            got = idx.loc[(r["MA_COQUAN"], per, comp)]
            assert got["score"] == float(r[col]), (r["MA_COQUAN"], per, comp)
            assert got["unit_name"] == r["TEN"] and got["portal_id"] == r["ID"]
        tot = idx.loc[(r["MA_COQUAN"], per, "total")]
        assert int(tot["rank"]) == int(r["ROW_STT"])
        parts = sum(float(r[c]) for c in COLS if c != "TONG_SCORE")
        assert abs(parts - float(r["TONG_SCORE"])) < 0.011  # the export's total is the sum of the six
        assert tot["level"] == {"1": "province", "2": "agency", "3": "commune"}[r["LOAI_COQUAN"]]
    prov = df[(df["component"] == "total") & df["period"].isin(["2025-YTD", "2025-10"])]
    assert set(prov["n_ranked"]) == {34}
    ag = df[(df["component"] == "total") & (df["period"] == "unknown")]
    assert ag["n_ranked"].isna().all()  # ROW_STT there ranks a wider list
    assert ag["data_quality"].str.contains("wider list").all()


@need_2025
def test_2025_nghe_an_published_figures():
    df = load_service_index(CSV_2025, periods=UNKNOWN, retrieved_at="2025-10-16")
    na = df[(df["unit_id"] == "H41") & (df["component"] == "total")].set_index("period")
    # reference-data README: 85.32 points, 24th of 34 (2025 to mid-October); October 2025: 84.96, 20th of 34
    assert (na.at["2025-YTD", "score"], na.at["2025-YTD", "rank"], na.at["2025-YTD", "n_ranked"]) == (85.32, 24, 34)
    assert (na.at["2025-10", "score"], na.at["2025-10", "rank"]) == (84.96, 20)
    assert set(df.loc[df["unit_id"] == "H41", "unit_code"]) == {"40"}
    assert df.loc[df["unit_id"] == "H44", "unit_code"].isna().all()  # Phú Thọ is not in the registry
    assert bool(na.at["2025-10", "period_open"]) is True  # October was exported on the 16th


@need_2025
def test_2025_sheet_without_period_is_refused():
    with pytest.raises(DataError) as e:
        load_service_index(CSV_2025)
    sheets = {p.sheet for p in e.value.problems}
    assert sheets == {"an_giang_departments", "an_giang_communes"}


@need_2025
def test_2025_xlsx_one_sheet_per_period(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    raw = raw_2025()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    header = ["ID", "TEN", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CAPDONVIID", "ID_COQUAN", "TDGQ", "MDHL",
              "MDSH", "TTTT", "CLGQ", "CKMB", "TONG_SCORE", "ROW_STT"]
    for name, label in (("provinces_month_2025_10", "Tháng 10-2025"), ("provinces_year_to_date_2025", "Lũy kế 2025")):
        ws = wb.create_sheet(label)
        ws.append(["Bộ chỉ số 766"])  # a title row above the header, as exports have
        ws.append(header)
        for r in raw:
            if r["table"] == name:
                ws.append([float(r[h]) if h in COLS or h == "ROW_STT" else r[h] for h in header])
    path = tmp_path / "bao_cao_766.xlsx"
    wb.save(path)
    df = load_service_index(path, retrieved_at="2025-10-16")
    ref = load_service_index(CSV_2025, periods=UNKNOWN, retrieved_at="2025-10-16")
    ref = ref[ref["period"].isin(["2025-10", "2025-YTD"])]
    key = ["unit_id", "period", "component"]
    a = df.set_index(key).sort_index()
    b = ref.set_index(key).sort_index()
    assert a.index.equals(b.index)
    assert (a["score"] == b["score"]).all() and a["rank"].equals(b["rank"])
    assert df["source"].str.contains(r"\[Tháng 10-2025\] row \d+").any()


def _write_csv(tmp_path, rows, name="export_2025-10.csv"):
    header = ["ID", "TEN", "TEN_COQUAN", "MA_COQUAN", "LOAI_COQUAN", "CAPDONVIID", "ID_COQUAN", "TDGQ", "MDHL",
              "MDSH", "TTTT", "CLGQ", "CKMB", "TONG_SCORE", "ROW_STT"]
    p = tmp_path / name
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(r)
    return p


def test_bad_cells_are_named(tmp_path):
    rows = [[1, "UBND tỉnh A", "UBND tỉnh A", "H90", 1, 1, 1, 19, 18, 20, 9, 8, 15, 89, 1],
            [2, "UBND tỉnh B", "UBND tỉnh B", "H91", 1, 1, 2, "abc", 18, 20, 9, 8, 15, 70, 2],
            [3, "UBND tỉnh C", "UBND tỉnh C", "H92", 1, 1, 3, 19, 18, 20, 9, 8, 15, 95, 3],
            [4, "UBND tỉnh D", "UBND tỉnh D", "H93", 1, 1, 4, 25, 18, 20, 9, 8, 15, 95, 4]]
    with pytest.raises(DataError) as e:
        load_service_index(_write_csv(tmp_path, rows))
    got = {(p.row, p.column) for p in e.value.problems}
    assert (3, "TDGQ") in got          # "abc" is not a score (file line 3)
    assert (4, "TONG_SCORE") in got    # 95 is not 19+18+20+9+8+15 = 89
    assert (5, "TDGQ") in got          # 25 exceeds the maximum of 20
    assert all(p.file == "export_2025-10.csv" for p in e.value.problems)


def test_missing_is_not_zero(tmp_path):
    rows = [[1, "UBND tỉnh A", "UBND tỉnh A", "H90", 1, 1, 1, 19, 18, 20, 9, 8, 15, 89, 1],
            [2, "UBND tỉnh B", "UBND tỉnh B", "H91", 1, 1, 2, "", 18, 20, 9, 8, 15, 70, 2]]
    df = load_service_index(_write_csv(tmp_path, rows))
    b = df[(df["unit_id"] == "H91") & (df["component"] == "progress")]
    assert b["score"].isna().all()  # empty cell: missing, not 0
    assert df["period"].unique().tolist() == ["2025-10"]  # from the file name
    assert df["period_open"].isna().all()  # export time unknown


# --------------------------------------------------------------------------------------
# 2026 reporting API
# --------------------------------------------------------------------------------------

ENDPOINT_GROUP = {"transparency": "transparency", "dvc-progress-tree": "progress",
                  "provide-online-tree": "online_service", "formality-online-payment-tree": "online_payment",
                  "dossier-digitized": "digitisation", "handling-satisfaction": "satisfaction"}


def _nan(v):
    return float("nan") if v is None else float(v)


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@need_2026
@pytest.mark.parametrize("rel", ["transparency/month-all.json", "dvc-progress-tree/month-all.json",
                                 "dvc-progress-tree/quarter-all.json", "dvc-progress-tree/year-all.json",
                                 "provide-online-tree/month-all.json", "formality-online-payment-tree/month-all.json",
                                 "dossier-digitized/month-all.json", "handling-satisfaction/month-all.json"])
def test_2026_every_score(rel):
    path = DIR_2026 / rel
    doc = json.loads(path.read_text(encoding="utf-8"))["data"]
    manifest = json.loads((DIR_2026 / "manifest.m0.json").read_text(encoding="utf-8"))
    cap = next(c for c in manifest["captures"] if c["file"] == rel)
    df = load_service_index(path)
    group = ENDPOINT_GROUP[rel.split("/")[0]]
    units = ([doc["parent"]] + doc["children"]) if "children" in doc else ([doc["overview"]] + doc["evaluation"])
    g = df[df["component"] == group].reset_index(drop=True)
    assert len(g) == len(units) == 164
    for row, u in zip(g.itertuples(), units):
        assert row.portal_id == u["departmentId"] and row.unit_name == u["departmentName"]
        assert _same(row.score, _nan(u.get("totalScore", u.get("score"))))
        assert row.max_score == u.get("totalMaxScore", u.get("maxScore"))
        if "totalReceived" in u:
            assert row.received == u["totalReceived"] and row.on_time == u["totalOnTime"]
        metrics = u.get("metrics") or []
        subs = df[(df["portal_id"] == u["departmentId"]) & (df["group"] == group) & (df["component"] != group)]
        assert list(subs["component"]) == [m["code"] for m in metrics]
        for s, m in zip(subs.itertuples(), metrics):
            assert _same(s.score, _nan(m["score"])) and s.max_score == m["maxScore"]
            assert (pd.isna(s.numerator) and m["numerator"] is None) or s.numerator == m["numerator"]
        scored = [m["score"] for m in metrics if m["score"] is not None]
        if scored and u["totalScore"] is not None:
            assert abs(sum(scored) - u["totalScore"]) < 0.011  # group total = sum of its metric scores
    assert (df["retrieved_at"] == pd.Timestamp(cap["capturedAt"])).all()
    kind = {"month": "month", "quarter": "quarter", "year": "year"}[cap["period"]]
    assert set(df["period_type"]) == {kind}
    assert set(df["formula_version"]) == {"766-reporting-2026"}
    assert df["rank"].isna().all()  # the API publishes no rank


@need_2026
def test_2026_folder_levels_ids_and_derived_total():
    df = load_service_index(DIR_2026)
    m = df[df["period"] == "2026-08"]
    parent = m[(m["level"] == "province") & (m["component"] == "transparency")]
    assert parent["unit_id"].tolist() == ["H44"]  # code filled in from the other endpoints by departmentId
    kids = m[(m["component"] == "progress") & (m["level"] != "province")]
    assert kids["level"].value_counts().to_dict() == {"commune": 148, "agency": 15}
    # the total is derived (the API gives none): sum of the six group scores read from the raw files
    expected = 0.0
    for rel, key in (("transparency/month-all.json", "overview"), ("dvc-progress-tree/month-all.json", "parent"),
                     ("provide-online-tree/month-all.json", "parent"),
                     ("formality-online-payment-tree/month-all.json", "parent"),
                     ("dossier-digitized/month-all.json", "overview"),
                     ("handling-satisfaction/month-all.json", "overview")):
        expected += json.loads((DIR_2026 / rel).read_text(encoding="utf-8"))["data"][key]["totalScore"]
    tot = m[(m["unit_id"] == "H44") & (m["component"] == "total")].iloc[0]
    assert tot["derived"] and abs(tot["score"] - expected) < 1e-9 and tot["max_score"] == 100
    assert "different times" in tot["data_quality"]
    # quarter and year exist only for progress: no total there (missing is not zero)
    assert not ((df["period"] != "2026-08") & (df["component"] == "total")).any()
    q = df[(df["period"] == "2026Q3") & (df["unit_id"] == "H44")].iloc[0]
    assert bool(q["period_open"]) is True  # captured 26 Sep, before the quarter ended


@need_2026
def test_2026_changed_bytes_are_refused(tmp_path):
    dst = tmp_path / "portal"
    (dst / "dvc-progress-tree").mkdir(parents=True)
    shutil.copy(DIR_2026 / "manifest.m0.json", dst / "manifest.m0.json")
    raw = (DIR_2026 / "dvc-progress-tree/month-all.json").read_bytes()
    (dst / "dvc-progress-tree/month-all.json").write_bytes(raw.replace(b'"totalScore":15.68', b'"totalScore":19.68'))
    with pytest.raises(DataError) as e:
        load_service_index(dst / "dvc-progress-tree/month-all.json")
    assert "changed after capture" in str(e.value)


def test_2026_error_envelope_and_unknown_period(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"code":"ERR","message":"rate limited","data":{}}', encoding="utf-8")
    with pytest.raises(DataError, match="rate limited"):
        load_service_index(p)
    p.write_text(json.dumps({"code": "OK", "data": {
        "parent": {"departmentId": "a", "departmentName": "UBND tỉnh X", "departmentCode": "H90", "totalReceived": 10,
                   "totalOnTime": 9, "totalScore": 18, "totalMaxScore": 20},
        "children": []}}), encoding="utf-8")
    with pytest.raises(DataError, match="period of this response"):
        load_service_index(p)
    df = load_service_index(p, period="2026-08")
    assert df["score"].tolist() == [18.0] and df["received"].tolist() == [10]


def test_2026_group_total_must_match_metrics(tmp_path):
    p = tmp_path / "t.json"
    unit = {"departmentId": "a", "departmentName": "UBND tỉnh X", "departmentType": "PROVINCE",
            "agencyLevel": "level_1", "totalScore": 9.0, "totalMaxScore": 18,
            "metrics": [{"code": "PUBLISH_ON_TIME", "numerator": 1, "denominator": 1, "ratio": 100, "score": 6,
                         "maxScore": 6},
                        {"code": "DOSSIER_SYNC", "numerator": 0, "denominator": 0, "ratio": None, "score": None,
                         "maxScore": 6}]}
    p.write_text(json.dumps({"code": "OK", "data": {"overview": unit, "evaluation": []}}), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_service_index(p, period="2026-08")
    assert e.value.problems[0].column == "overview.totalScore"
    df = load_service_index(p, period="2026-08", check_totals=False)
    assert df.loc[df["component"] == "DOSSIER_SYNC", "score"].isna().all()


def test_hostile_json_is_refused_by_name(tmp_path):
    p = tmp_path / "h.json"
    p.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(DataError, match="nested too deeply"):
        load_service_index(p, period="2026-08")
    unit = {"departmentId": "a", "departmentName": "UBND tỉnh X", "departmentCode": "H90",
            "totalReceived": 2 ** 64, "totalOnTime": -1, "totalScore": 18, "totalMaxScore": 20}
    p.write_text(json.dumps({"code": "OK", "data": {"parent": unit, "children": []}}), encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_service_index(p, period="2026-08")
    cols = {q.column for q in e.value.problems}
    assert cols == {"parent.received", "parent.on_time"}
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.write(b'{"code":"OK","data":{"x":"')
        fh.seek(21 * 1024 * 1024)
        fh.write(b'"}}')
    with pytest.raises(DataError, match="MAX_JSON_BYTES"):
        load_service_index(big, period="2026-08")


def test_nghe_an_units_get_registry_codes(tmp_path):
    """Portal units of Nghệ An (H41...) are matched to the registry by name, level and date;
    units of another province with the same commune name are not."""
    def child(code, name, level):
        return {"departmentId": code, "departmentName": name, "departmentCode": code, "level": level,
                "totalReceived": 10, "totalOnTime": 9, "totalOverdue": 1, "ratio": 90, "score": 18, "maxScore": 20}
    doc = {"code": "OK", "data": {
        "parent": {"departmentId": "p", "departmentName": "UBND tỉnh Nghệ An", "departmentCode": "H41",
                   "totalReceived": 30, "totalOnTime": 27, "totalScore": 18, "totalMaxScore": 20},
        "children": [child("H41.120", "UBND xã Quỳ Hợp - Tỉnh Nghệ An", "COMMUNE"),
                     child("H41.100", "UBND phường Thành Vinh", "COMMUNE"),
                     child("H41.02", "Sở Tài chính - Tỉnh Nghệ An", "PROVINCE"),
                     child("H44.120", "UBND xã Quỳ Hợp - Tỉnh Phú Thọ", "COMMUNE")]}}
    p = tmp_path / "progress.json"
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    df = load_service_index(p, period="2026-08").set_index("unit_id")["unit_code"]
    from paranalysis.units import package_units

    u = package_units().set_index("unit_code")
    assert df["H41"] == "40"
    for uid, name, level in (("H41.120", "Xã Quỳ Hợp", "commune"), ("H41.100", "Phường Thành Vinh", "commune")):
        code = df[uid]
        assert code is not None and u.at[code, "name_vi"] == name and u.at[code, "level"] == level
        assert pd.Timestamp(u.at[code, "valid_from"]) == pd.Timestamp("2025-07-01")
    assert df["H41.02"] is not None and "Tài chính" in u.at[df["H41.02"], "name_vi"]
    assert df["H44.120"] is None  # another province's commune of the same name
