"""The dated unit registry: keys, vintages, transcription from the reference data, matching
by date and level, and units files in a data folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from paranalysis import DataError, load_dataset
from paranalysis.units import UnitMatcher, match_key, package_crosswalk, package_units, parent_on
from paranalysis.units.crosswalk import check_crosswalk
from paranalysis.units.transcribe import read_reference_csv, to_csv_text, transcribe

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "src" / "paranalysis" / "resources"
SHARED = ROOT.parent / "shared" / "reference-data"

# the 14 agencies from 1 March 2025, by their official names (kinhtedothi.vn, 25 Feb 2025)
AGENCIES_2025 = [
    "Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Sở Công Thương", "Sở Nông nghiệp và Môi trường", "Sở Xây dựng",
    "Sở Khoa học và Công nghệ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Giáo dục và Đào tạo", "Sở Y tế",
    "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Sở Ngoại vụ", "Sở Dân tộc và Tôn giáo",
]


@pytest.fixture(scope="module")
def units():
    return package_units()


@pytest.fixture(scope="module")
def m(units):
    return UnitMatcher(units)


def reference(name):
    p = SHARED / name
    if not p.exists():
        pytest.skip(f"{p} is not beside this checkout (../shared/reference-data)")
    return read_reference_csv(p)


# ------------------------------------------------------------------ registry contents
def test_keys_unique_across_vintages_and_gso_code_in_its_own_column(units):
    assert units["unit_code"].is_unique
    assert len(units) == 1 + 21 + 412 + 130 + 29
    new = units[units["code_system"] == "GSO-2025"]
    assert (new["unit_code"] == new["gso_code"] + "-2025").all()
    old = units[units["code_system"] == "GSO"]
    assert (old["unit_code"] == old["gso_code"]).all()
    # every 2025 code is the code of one of the old communes (which is why keys carry the vintage)
    assert set(new["gso_code"]) <= set(old.loc[old["level"] == "commune", "gso_code"])


def test_levels_and_validity(units):
    by = units.set_index("unit_code")
    d = units[units["level"] == "district"]
    assert len(d) == 21 and (d["valid_to"] <= pd.Timestamp("2025-06-30")).all()
    assert by.at["413", "valid_to"] == pd.Timestamp("2024-11-30")
    assert by.at["412", "valid_to"] == pd.Timestamp("2025-06-30")
    old = units[(units["level"] == "commune") & (units["code_system"] == "GSO")]
    assert len(old) == 412 and (old["valid_to"] == pd.Timestamp("2025-06-30")).all()
    assert set(old["parent_code"]) == {str(c) for c in range(412, 433)} - {"413"}  # Cửa Lò's wards are under Vinh
    new = units[units["code_system"] == "GSO-2025"]
    assert len(new) == 130 and (new["valid_from"] == pd.Timestamp("2025-07-01")).all() and new["valid_to"].isna().all()
    assert new["unit_type"].value_counts().to_dict() == {"commune": 119, "ward": 11}
    assert new["name_vi"].str.startswith("Xã ").sum() == 119 and new["name_vi"].str.startswith("Phường ").sum() == 11


def test_agencies_before_and_after_1_march_2025(units, m):
    ag = units[units["level"] == "agency"]
    day_after, day_before = pd.Timestamp("2025-09-30"), pd.Timestamp("2024-12-31")
    after = {c for c in ag["unit_code"] if m.valid_on(c, day_after)}
    before = {c for c in ag["unit_code"] if m.valid_on(c, day_before)}
    resolved = [m.resolve(n, on=day_after) for n in AGENCIES_2025]
    assert None not in resolved and len(set(resolved)) == 14
    # besides the 14: the provincial service centre and the economic zone authority
    assert after - set(resolved) == {"40-TTPVHCC", "40-BQLKKT"}
    assert len(before) == 20 + 2  # 20 departments/bodies before the merger, +2 the same
    # lineage: each agency that ended has a successor valid on 1 March 2025
    cw = package_crosswalk()
    ended = set(ag.loc[ag["valid_to"] == pd.Timestamp("2025-02-28"), "unit_code"])
    links = cw[(cw["relation"] == "merged_into") & cw["from_code"].isin(ended)]
    assert set(links["from_code"]) == ended
    assert all(m.valid_on(t, "2025-03-01") for t in links["to_code"])
    assert m.resolve("Sở Tài chính", on="2024-06-30") == "40-STC"
    assert m.resolve("Sở Tài chính", on="2025-06-30") == "40-STC-2025"
    assert m.resolve("Sở Kế hoạch và Đầu tư", on="2025-06-30") is None
    assert m.resolve("Ban Dân tộc", on="2024-06-30") == "40-BDT"
    assert m.resolve("Sở Văn hóa - Thể thao và Du lịch", on="2025Q3") == "40-SVHTTDL-2025"


def test_district_list_matches_reference_in_place(units):
    ref = reference("nghean_districts_pre2025.csv")
    ours = units.set_index("unit_code")
    for code, name in zip(ref["district_code"], ref["district_name"]):
        assert match_key(ours.loc[code, "name_vi"]) == match_key(name), (code, name)
        assert ours.loc[code, "level"] == "district"


def test_shipped_commune_files_are_the_transcription_of_the_reference():
    reference("nghean_units_crosswalk_2025.csv")
    reference("nghean_districts_pre2025.csv")
    for name, df in transcribe(SHARED).items():
        assert (RESOURCES / name).read_text(encoding="utf-8") == to_csv_text(df), name


def test_every_crosswalk_row_kept_with_merge_type_and_confidence():
    ref = reference("nghean_units_crosswalk_2025.csv")
    cw = package_crosswalk()
    links = cw[(cw["relation"] == "merged_into") & (cw["effective"] == pd.Timestamp("2025-07-01"))]
    assert len(ref) == len(links) == 414
    got = set(zip(links["from_code"], links["to_code"], links["merge_type"], links["confidence"]))
    want = set(zip(ref["old_commune_code"], ref["new_commune_code"] + "-2025", ref["merge_type"], ref["confidence"]))
    assert got == want
    assert (links["source"].str.contains("dd94887c")).all()


def test_crosswalk_is_consistent(units):
    cw = package_crosswalk()
    assert check_crosswalk(cw, units) == []
    # the former district -> 2025 commune list agrees with commune links + parents on 2025-06-30
    derived = set()
    for r in cw[(cw["relation"] == "merged_into") & (cw["effective"] == pd.Timestamp("2025-07-01"))].itertuples():
        derived.add((parent_on(r.from_code, "2025-06-30", units, cw), r.to_code))
    listed = set(zip(*[cw.loc[cw["relation"] == "district_commune", c] for c in ("from_code", "to_code")]))
    assert listed - {("413", "16732-2025")} == derived  # 413 lists Phường Cửa Lò though it ended in 2024
    spanning = {}
    for d, n in derived:
        spanning.setdefault(n, set()).add(d)
    assert {n: s for n, s in spanning.items() if len(s) > 1} == {"17357-2025": {"424", "427"},
                                                                  "17464-2025": {"425", "429"}}


def test_december_2024_moves(units):
    cw = package_crosswalk()
    assert parent_on("16717", "2024-06-30", units, cw) == "413"  # Phường Nghi Thuỷ, a Cửa Lò ward
    assert parent_on("16717", "2024-12-01", units, cw) == "412"
    assert parent_on("17926", "2024-11-30", units, cw) == "429"  # Xã Nghi Thái, from Nghi Lộc
    assert parent_on("17926", "2025-01-01", units, cw) == "412"
    assert parent_on("17908", "2024-06-30", units, cw) == "412"  # Nghi Liên, in Vinh since 2008
    assert parent_on("17035", "2024-06-30", units, cw) == "420"


# ------------------------------------------------------------------ matching
def test_reused_gso_code_17866_resolves_by_date(m):
    assert m.resolve_code("17866", on="2025-06-30") == "17866"
    assert m.resolve_code("17866", on="2025-07-01") == "17866-2025"
    assert m.resolve_code(17866, on=pd.Period("2025Q3")) == "17866-2025"
    assert m.resolve_code(17866.0, on="2024Q2") == "17866"
    assert m.resolve_code("17866-2025", on="2025Q3") == "17866-2025"
    assert m.resolve_code("17866-2025", on="2024Q2") is None
    assert m.resolve("Xã Nghi Long", on="2025Q3") is None
    assert m.resolve("Xã Trung Lộc", on="2025Q3") == "17866-2025"
    assert m.label(m.resolve_code("17866", on="2025Q3")) == "Xã Trung Lộc (17866-2025)"


def test_xa_quy_hop_never_becomes_huyen_quy_hop(m):
    assert m.resolve("Xã Quỳ Hợp", on="2025-09-30") == "17035-2025"
    assert m.resolve("Xã Quỳ Hợp", on="2025-06-30") == "17035"  # Thị trấn Quỳ Hợp, a commune-level unit
    assert m.resolve("Xã Quỳ Hợp") != "420" and "420" not in m.candidates("Xã Quỳ Hợp")
    assert m.resolve("Huyện Quỳ Hợp", on="2025-09-30") is None
    assert m.resolve("Huyện Quỳ Hợp", on="2025-06-30") == "420"
    assert m.resolve("Quỳ Hợp", on="2025-06-30") == "420"  # bare: the district-level unit
    assert m.resolve("Quỳ Hợp", on="2025-09-30") == "17035-2025"
    assert m.resolve("Phường Thái Hòa", on="2025Q3") == "16939-2025"
    assert m.resolve("Thị xã Thái Hòa", on="2025Q3") is None
    assert m.resolve("Xã Quỳ Hợp", level="district") is None  # prefix and level disagree


def test_level_argument_is_strict(m):
    assert m.resolve("Quỳ Hợp", level="commune", on="2025-06-30") == "17035"
    assert m.resolve("Quỳ Hợp", level="district", on="2025-09-30") is None
    assert m.resolve("Nghệ An", level="province") == "40"
    assert m.resolve("Vinh", level="province") is None
    assert m.resolve("Sở Y tế", level="department", on="2025Q3") == "40-SYT"


def test_every_2025_unit_resolves_by_its_name_in_2025q3(units, m):
    new = units[(units["code_system"] == "GSO-2025")]
    for code, name, short in zip(new["unit_code"], new["name_vi"], new["short_name_vi"]):
        assert m.resolve(name, on="2025Q3") == code, name
        assert m.resolve("UBND " + name.lower(), on="2025-09-30") == code, name
        assert m.resolve(short, on="2025Q3") == code, short


def test_cua_lo_after_the_merger_is_explained(m):
    assert m.resolve("TX Cửa Lò", on="2024Q3") == "413"
    assert m.resolve("TX Cửa Lò", on="2024Q4") is None
    text = m.explain("TX Cửa Lò", on="2024Q4")
    assert "Thị xã Cửa Lò (413) existed until 2024-11-30" in text
    assert "Res. 1243/NQ-UBTVQH15" in text and "units_extra.csv" in text


def test_unknown_name_after_the_reorganisation_says_so(m):
    text = m.explain("Huyện Quỳ Hợp", on="2025-09-30")
    assert "Huyện Quỳ Hợp (420) existed until 2025-06-30" in text
    assert "district tier was abolished" in text and "units_extra.csv" in text
    assert "Xã Quỳ Hợp (17035-2025), a commune/ward" in text


def test_suggestions_only_from_valid_units(m):
    sugg = m.suggest("Xã Quỳ Hợpp", on="2025Q3")
    assert sugg and sugg[0] == "17035-2025" and all(m.valid_on(c, "2025-09-30") for c in sugg)
    assert all(m.valid_on(c, "2024-06-30") for c in m.suggest("Huyện Quỳ Hợpp", on="2024Q2"))
    assert "420" in m.suggest("Huyện Quỳ Hợpp", on="2024Q2")
    assert "420" not in m.suggest("Quỳ Hợpp", on="2025Q3")


def test_same_name_in_two_districts_is_ambiguous_not_guessed(m):
    # Xã Tân Sơn existed in Đô Lương and in Quỳnh Lưu before July 2025
    assert len(m.candidates("Xã Tân Sơn", on="2025-06-30")) == 2
    assert m.resolve("Xã Tân Sơn", on="2025-06-30") is None
    assert "matches several units" in m.explain("Xã Tân Sơn", on="2025-06-30")
    # a form's district section decides: within= the district that day
    assert m.resolve("Xã Tân Sơn", on="2025-06-30", within="427") == "17674"
    assert m.parent_on("17140", "2025-06-30") == "421"
    assert m.resolve("Xã Tân Sơn", on="2025-06-30", within="421") == "17140"
    assert m.resolve("Xã Tân Sơn", on="2025-06-30", within="412") is None
    # within follows the December 2024 moves: Phường Nghi Thuỷ was a Cửa Lò ward until then
    assert m.resolve("Phường Nghi Thuỷ", on="2024-06-30", within="413") == "16717"
    assert m.resolve("Phường Nghi Thuỷ", on="2025-03-31", within="412") == "16717"
    assert m.resolve("Phường Nghi Thuỷ", on="2025-03-31", within="413") is None


# ------------------------------------------------------------------ units files in a data folder
UNIT_HEADER = ("unit_code,name_vi,short_name_vi,name_ascii,level,unit_type,parent_code,valid_from,valid_to,"
               "aliases,code_system,source")


def test_units_file_row_with_an_existing_key_is_an_error_naming_file_and_line(tmp_path):
    (tmp_path / "units_extra.csv").write_text(
        UNIT_HEADER + "\n"
        "999,Huyện Thử,Thử,Thu,district,district,40,,,,project,test\n"
        "17866,Xã Trung Lộc,Trung Lộc,Xa Trung Loc,commune,commune,40,2025-07-01,,,GSO,test\n",
        encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    (p,) = e.value.problems
    assert (p.file, p.row, p.column, p.value) == ("units_extra.csv", 3, "unit_code", "17866")
    assert "units_nghean_communes_pre2025.csv" in p.expected and "17866-2025" in p.expected


def test_units_files_repeating_a_key_between_them(tmp_path):
    (tmp_path / "units_a.csv").write_text(UNIT_HEADER + "\n998,Huyện A,A,A,district,district,40,,,,project,t\n",
                                          encoding="utf-8")
    (tmp_path / "units_b.csv").write_text(UNIT_HEADER + "\n997,Huyện B,B,B,district,district,40,,,,project,t\n"
                                          "998,Huyện C,C,C,district,district,40,,,,project,t\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load_dataset(tmp_path)
    # both rows are named, file and line, and neither is dropped
    assert {(p.file, p.row, p.column) for p in e.value.problems} == {("units_a.csv", 2, "unit_code"),
                                                                     ("units_b.csv", 3, "unit_code")}
    assert all("duplicate" in p.expected for p in e.value.problems)


def test_units_file_with_a_vintage_key_and_gso_code_is_matched_by_date(tmp_path):
    (tmp_path / "units_extra.csv").write_text(
        UNIT_HEADER + ",gso_code\n"
        "40-XYZ-2026,Ban Thử nghiệm,Ban Thử nghiệm,Ban Thu nghiem,department,board,40,2026-01-01,,,project,test,\n",
        encoding="utf-8")
    ds = load_dataset(tmp_path)
    u = ds.units.set_index("unit_code")
    assert u.at["40-XYZ-2026", "level"] == "agency"  # "department" is read as agency
    m = UnitMatcher(ds.units)
    assert m.resolve("Ban Thử nghiệm", on="2026Q1") == "40-XYZ-2026"
    assert m.resolve("Ban Thử nghiệm", on="2025Q4") is None
