"""The problems of the Decision 766 inputs (paranalysis.serviceindex: demo, fetch, loaders,
schema, scorecard) are catalogue messages (problem.si.*): as a string each is the English the
package printed before (the command line, exceptions, tests comparing strings), and a page in
Vietnamese shows it in Vietnamese. Every input here is built in the test: no reference data,
no network (the fetch tests talk to a server on 127.0.0.1 started here)."""

from __future__ import annotations

import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler

import pandas as pd
import pytest

from paranalysis import DataError
from paranalysis.i18n import Message, shown
from paranalysis.overview import problems_table
from paranalysis.serviceindex import load_service_index
from paranalysis.serviceindex import scorecard as C
from paranalysis.serviceindex.demo import bundled_scorecard, default_communes
from paranalysis.serviceindex.fetch import fetch_service_index, province_id
from paranalysis.serviceindex.schema import require_comparable, validate
from serviceindex_helpers import LocalServer

HEAD_2025 = "ID,TEN,TEN_COQUAN,MA_COQUAN,LOAI_COQUAN,CAPDONVIID,ID_COQUAN,TDGQ,MDHL,MDSH,TTTT,CLGQ,CKMB,TONG_SCORE,ROW_STT"
PROVINCE = {"departmentId": "a", "departmentName": "UBND tỉnh X", "departmentCode": "H90", "totalReceived": 10,
            "totalOnTime": 9, "totalScore": 18, "totalMaxScore": 20}


def problems(call, *args, **kw):
    with pytest.raises(DataError) as e:
        call(*args, **kw)
    return e.value.problems


def both(expected) -> tuple[str, str]:
    """(English, Vietnamese) of a problem's expected text, which must be a catalogue message."""
    assert isinstance(expected, Message) and expected.key.startswith("problem.si."), expected
    return str(expected), shown(expected, "vi")


@pytest.fixture(scope="module")
def scores():
    return bundled_scorecard()


# --- loaders: the 2026 reporting API responses ------------------------------------------

def test_an_error_envelope_names_the_portals_own_message_in_either_language(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"code":"ERR","message":"rate limited","data":{}}', encoding="utf-8")
    (pr,) = problems(load_service_index, p)
    assert both(pr.expected) == ('"OK" (the portal reported an error: rate limited)',
                                 '"OK" (Cổng báo lỗi: rate limited)')
    assert str(pr) == "file 'x.json', column 'code': found 'ERR'; expected \"OK\" (the portal reported an error: " \
                      "rate limited)"


def test_a_response_without_a_period(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"code": "OK", "data": {"parent": PROVINCE, "children": []}}), encoding="utf-8")
    (pr,) = problems(load_service_index, p)
    assert both(pr.expected) == (
        "the period of this response: from its capture record (sidecar .meta.json or manifest) or pass "
        "period='2026-08'",
        "kỳ báo cáo của phản hồi này: lấy từ thông tin lưu khi lấy số liệu (tệp .meta.json đi kèm hoặc tệp "
        "manifest), hoặc truyền tham số period='2026-08'")
    en = problems_table(DataError([pr]), "en")
    vi = problems_table(DataError([pr]), "vi")
    assert en.iloc[0, -1] == str(pr.expected) and vi.iloc[0, -1] == shown(pr.expected, "vi")


def test_hostile_json_in_either_language(tmp_path):
    p = tmp_path / "h.json"
    p.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (pr,) = problems(load_service_index, p, period="2026-08")
    assert both(pr.expected) == ("a JSON response (this one is nested too deeply)",
                                 "một phản hồi JSON (phản hồi này lồng nhau quá nhiều cấp)")
    p.write_text(json.dumps({"code": "OK", "data": {"parent": {**PROVINCE, "totalOnTime": -1}, "children": []}}),
                 encoding="utf-8")
    (pr,) = problems(load_service_index, p, period="2026-08")
    assert pr.column == "parent.on_time"
    assert both(pr.expected) == ("a whole number of records from 0 to 10000000 (limits.MAX_COUNT)",
                                 "một số nguyên hồ sơ từ 0 đến 10000000 (limits.MAX_COUNT)")
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.write(b'{"code":"OK","data":{"x":"')
        fh.seek(21 * 1024 * 1024)
        fh.write(b'"}}')
    (pr,) = problems(load_service_index, big, period="2026-08")
    assert both(pr.expected) == ("a response of at most 20971520 bytes (limits.MAX_JSON_BYTES)",
                                 "một phản hồi có dung lượng tối đa 20971520 byte (limits.MAX_JSON_BYTES)")


def test_bytes_changed_after_capture(tmp_path):
    body = json.dumps({"code": "OK", "data": {"parent": PROVINCE, "children": []}}).encode("utf-8")
    (tmp_path / "dvc-progress-tree").mkdir()
    (tmp_path / "dvc-progress-tree" / "month-all.json").write_bytes(body)
    wrong = hashlib.sha256(body + b" ").hexdigest()
    (tmp_path / "manifest.m0.json").write_text(json.dumps({"captures": [
        {"file": "dvc-progress-tree/month-all.json", "sha256": wrong, "url": "u/dvc-progress-tree"}]}),
        encoding="utf-8")
    (pr,) = problems(load_service_index, tmp_path / "dvc-progress-tree" / "month-all.json")
    assert both(pr.expected) == (
        f"the bytes recorded in manifest.m0.json (sha256 {wrong[:12]}); the file was changed after capture",
        f"nội dung đúng như đã ghi trong manifest.m0.json (sha256 {wrong[:12]}); tệp đã bị thay đổi sau khi lấy về")


def test_a_group_total_that_is_not_the_sum_of_its_metrics(tmp_path):
    unit = {"departmentId": "a", "departmentName": "UBND tỉnh X", "departmentType": "PROVINCE",
            "agencyLevel": "level_1", "totalScore": 9.0, "totalMaxScore": 18,
            "metrics": [{"code": "PUBLISH_ON_TIME", "score": 6, "maxScore": 6}, {"code": "DOSSIER_SYNC", "score": 4.5,
                                                                                "maxScore": 6}]}
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"code": "OK", "data": {"overview": unit, "evaluation": []}}), encoding="utf-8")
    (pr,) = problems(load_service_index, p, period="2026-08")
    assert both(pr.expected) == ("the sum of its metric scores (10.50)",
                                 "tổng điểm các chỉ tiêu thành phần (10.50)")


# --- loaders: the 2025 tabular export ----------------------------------------------------

def test_the_2025_export_rows_in_either_language(tmp_path):
    rows = ["1,A,U,H41,7,1,1,15,16,20,9,11,17,88,1",        # LOAI_COQUAN 7
            "2,B,U,H41.1,3,1,1,25,16,20,9,11,17,98,2",      # TDGQ 25 > 20
            "3,C,U,H41.2,3,1,1,15,16,20,9,11,17,80,3"]      # TONG_SCORE is not the sum
    p = tmp_path / "export_2025-10.csv"
    p.write_text(HEAD_2025 + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    got = [both(q.expected) for q in problems(load_service_index, p)]
    assert got == [("1 (provincial People's Committee), 2 (agency) or 3 (commune)",
                    "1 (UBND tỉnh), 2 (sở, ngành) hoặc 3 (xã, phường)"),
                   ("a score from 0 to 20", "một điểm số từ 0 đến 20"),
                   ("the sum of the six group scores (88.00)", "tổng điểm của sáu nhóm chỉ số (88.00)")]


def test_a_sheet_without_a_period(tmp_path):
    p = tmp_path / "noperiod.csv"
    p.write_text(HEAD_2025 + "\n1,A,U,H41,1,1,1,15,16,20,9,11,17,88,1\n", encoding="utf-8")
    (pr,) = problems(load_service_index, p)
    assert both(pr.expected) == (
        "a period in the sheet name (e.g. 'Tháng 10/2025', '2025-YTD'); or pass periods={sheet: '2025-10'} "
        "(or 'unknown')",
        "kỳ báo cáo ghi trong tên trang tính (ví dụ 'Tháng 10/2025', '2025-YTD'); hoặc truyền tham số "
        "periods={sheet: '2025-10'} (hoặc 'unknown' nếu không rõ kỳ)")


def test_no_such_export(tmp_path):
    (pr,) = problems(load_service_index, tmp_path / "missing.csv")
    assert both(pr.expected) == ("an existing 766 export file or folder",
                                 "một tệp hoặc thư mục xuất Bộ chỉ số 766 có tồn tại")


# --- schema and scorecard ----------------------------------------------------------------

def test_scores_of_two_formula_versions_are_not_compared(scores):
    two = scores[scores["period"].isin(["2025-12", "2026-01"])]
    (pr,) = problems(require_comparable, two)
    assert both(pr.expected) == (
        "one formula version to compare these scores; filter to one version or compare within each (the scoring "
        "formula changed between them)",
        "một phiên bản công thức duy nhất để so sánh các điểm số này; hãy lọc lấy một phiên bản hoặc chỉ so sánh "
        "trong từng phiên bản (công thức tính điểm đã thay đổi giữa các phiên bản)")
    (pr,) = problems(require_comparable, two, "the months")  # the caller's words are kept
    assert str(pr.expected).startswith("one formula version to compare the months; ")


def test_validate_names_a_score_over_the_maximum_and_a_duplicate(scores):
    bad = scores.head(3).copy()
    bad.loc[0, "score"] = bad.at[0, "max_score"] + 50
    bad = pd.concat([bad, bad.iloc[[1]]], ignore_index=True)
    got = [both(q.expected) for q in problems(validate, bad, file="f.csv")]
    mx = f"{scores.at[0, 'max_score']:g}"
    assert got == [(f"at most the maximum {mx}", f"không vượt quá điểm tối đa {mx}"),
                   (f"one row per unit, period and component (duplicate for {scores.at[1, 'unit_id']}, "
                    f"{scores.at[1, 'period']})",
                    f"mỗi đơn vị, kỳ và thành phần chỉ có một dòng (dòng trùng của {scores.at[1, 'unit_id']}, "
                    f"{scores.at[1, 'period']})")]


def test_a_period_or_unit_not_in_the_scorecard(scores):
    (pr,) = problems(C.points_lost, scores, "1999-01")
    assert both(pr.expected) == ("the period present in the scorecard", "kỳ báo cáo có trong bảng điểm")
    (pr,) = problems(C.where_points_are_lost, scores, "2025-10", "NOPE")
    assert both(pr.expected) == ("a unit scored in 2025-10", "một đơn vị được chấm điểm trong kỳ 2025-10")


def test_the_demo_needs_a_units_table():
    (pr,) = problems(default_communes, pd.DataFrame({"unit_code": ["1"]}), pd.DataFrame({"unit_code": ["1"]}))
    assert both(pr.expected) == ("a units table with level and valid_from",
                                 "một bảng danh mục đơn vị có các cột level và valid_from")


# --- fetch ---------------------------------------------------------------------------------

class _Server(LocalServer):
    """POST answers: ``fault`` "500" (an HTTP error) or "sleep" (an answer after 1 s)."""

    def __init__(self, fault):
        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                if fault == "sleep":
                    time.sleep(1.0)
                self.send_response(500)
                self.end_headers()

        super().__init__(H)


def test_fetch_faults_in_either_language(tmp_path):
    with _Server("500") as srv:
        (pr,) = problems(fetch_service_index, "H44", "2026-08", tmp_path / "d", base_url=srv.url)
    assert pr.value == "HTTP 500 Internal Server Error"
    assert both(pr.expected) == ("HTTP 200/201 from the reporting API",
                                 "mã trạng thái HTTP 200/201 từ API báo cáo của Cổng")
    with _Server("sleep") as srv:
        (pr,) = problems(fetch_service_index, "H44", "2026-08", tmp_path / "d", base_url=srv.url, timeout=0.3)
    assert both(pr.expected) == ("a response within 0.3 s", "một phản hồi trong vòng 0.3 giây")
    assert not (tmp_path / "d").exists()
    (pr,) = problems(fetch_service_index, "H44", "next month", tmp_path / "d")
    assert both(pr.expected) == ("a month (2026-08), quarter (2026Q3) or year (2026)",
                                 "một tháng (2026-08), một quý (2026Q3) hoặc một năm (2026)")


def test_an_unknown_province():
    (pr,) = problems(province_id, "Nghe An")
    assert both(pr.expected) == (
        "the province's rootDepartmentId on the portal (a UUID such as 019d2be3-6a88-732b-8b17-b68020c8553a), "
        "or a code known here: H44",
        "mã rootDepartmentId của tỉnh trên Cổng (một UUID như 019d2be3-6a88-732b-8b17-b68020c8553a), hoặc một mã "
        "tỉnh chương trình đã biết: H44")
