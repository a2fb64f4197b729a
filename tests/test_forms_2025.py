"""Done-when of issue 10: a 2025Q3 official form naming the 130 new communes/wards and the
14 agencies by their official names loads exactly, every row on the unit of that name valid
in that quarter, and ingests into a new folder.

The 130 names are read in place from ../shared/reference-data (the published crosswalk),
the 14 agency names are the official list (kinhtedothi.vn, 25 Feb 2025), so the expected
names do not come from the package's own registry.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from paranalysis import DataError, load_dataset
from paranalysis import officialform as of
from paranalysis.ingest import ingest
from paranalysis.units import package_units
from paranalysis.units.transcribe import read_reference_csv

from test_officialform import make_rows
from test_units_registry import AGENCIES_2025

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"


@pytest.fixture(scope="module")
def new_names() -> dict[str, str]:
    """GSO code -> official name of the 130 communes/wards from 1 July 2025 (reference, in place)."""
    p = SHARED / "nghean_units_crosswalk_2025.csv"
    if not p.exists():
        pytest.skip(f"{p} is not beside this checkout")
    ref = read_reference_csv(p)
    names = dict(zip(ref["new_commune_code"], ref["new_commune_name"]))
    assert len(names) == 130
    return names


def _form_2025q3(tmp_path, new_names, variant="standard"):
    units = package_units()
    valid = units[(units["valid_from"].isna() | (units["valid_from"] <= "2025-09-30"))
                  & (units["valid_to"].isna() | (units["valid_to"] >= "2025-09-30"))]
    communes = valid[valid["level"] == "commune"]
    agencies = valid[(valid["level"] == "agency") & valid["name_vi"].isin(
        AGENCIES_2025[:11] + ["Văn phòng UBND tỉnh Nghệ An"] + AGENCIES_2025[12:])]
    codes = list(communes["unit_code"]) + list(agencies["unit_code"])
    rows = make_rows(seed=2025, units=codes, period="2025Q3")
    path = of.write_official_form(rows, tmp_path / f"bao_cao_2025Q3_{variant}.xlsx", period="2025Q3",
                                  variant=variant)
    return rows, path


def _written_names(path) -> list[str]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    head = next(r for r in range(1, 30) if ws.cell(r, 2).value in ("Tên đơn vị", "Cơ quan, đơn vị"))
    out = []
    for r in range(head + 1, ws.max_row + 1):
        v, stt = ws.cell(r, 2).value, ws.cell(r, 1).value
        if isinstance(v, str) and isinstance(stt, (int, float)):
            out.append(v)
    return out


@pytest.mark.parametrize("variant", ["standard", "alt_wording"])
def test_2025q3_form_of_130_communes_and_14_agencies_loads_exactly(tmp_path, new_names, variant):
    rows, path = _form_2025q3(tmp_path, new_names, variant)
    written = _written_names(path)
    assert len(written) == 144
    # the names on the form are the official ones (standard variant: exactly; alt: "UBND xã ...")
    official = set(new_names.values()) | set(AGENCIES_2025) | {"Văn phòng UBND tỉnh Nghệ An"}
    if variant == "standard":
        assert set(written) <= official and len(set(written) & set(new_names.values())) == 130
        assert len(set(written) & (set(AGENCIES_2025) | {"Văn phòng UBND tỉnh Nghệ An"})) == 14
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", of.FormWarning)
        got = of.read_official_form(path)
    assert len(got) == 144 and got["unit_code"].is_unique
    assert got["unit_code"].tolist() == rows["unit_code"].tolist()
    for c in ("carried_over", "received_online", "resolved_late", "pending_overdue"):
        assert got[c].tolist() == rows[c].tolist()
    # each row is on the unit of that name valid in 2025Q3: commune codes are the 2025 GSO codes
    units = package_units().set_index("unit_code")
    communes = got[got["unit_code"].map(units["level"]) == "commune"]
    assert sorted(communes["unit_code"].str.replace("-2025", "", regex=False)) == sorted(new_names)
    for code, name in zip(communes["unit_code"], [n for n in written if not n.startswith(("Sở", "Thanh tra",
                                                                                           "Văn phòng"))]):
        assert units.at[code, "valid_from"] == pd.Timestamp("2025-07-01")
        if variant == "standard":
            assert name == new_names[code.removesuffix("-2025")]
    assert (got["unit_code"].map(units["level"]) == "agency").sum() == 14


def test_2025q3_form_ingests_into_a_new_folder(tmp_path, new_names):
    rows, path = _form_2025q3(tmp_path, new_names)
    folder = tmp_path / "new-folder"
    res = ingest(path, folder)
    assert res.action == "added" and res.periods == ["2025Q3"]
    ds = load_dataset(folder)
    assert len(ds.processing) == 144
    p = ds.processing.set_index("unit_code").loc[rows["unit_code"]]
    assert p["received_online"].tolist() == rows["received_online"].tolist()
    # no caution about units that did not exist in 2025Q3
    assert not [n for n in res.warnings if "ceased to exist" in n or "did not exist" in n]


def test_2025q3_form_with_district_names_is_refused_with_an_explanation(tmp_path):
    rows = make_rows(seed=3, units=["420", "414"], period="2025Q3")
    path = of.write_official_form(rows, tmp_path / "old_names.xlsx", period="2025Q3")
    with pytest.raises(DataError) as e:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", of.FormWarning)
            of.read_official_form(path)
    texts = [p.expected for p in e.value.problems]
    assert len(texts) == 2
    assert any("Huyện Quỳ Hợp (420) existed until 2025-06-30" in t and "Xã Quỳ Hợp (17035-2025)" in t
               for t in texts)
    assert all("district tier was abolished" in t and "units_extra.csv" in t for t in texts)
