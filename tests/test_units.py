"""Units: the package's Nghe An list and the matching of names as exports write them."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from paranalysis.units import UnitMatcher, fold, match_key, package_units

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"


@pytest.fixture(scope="module")
def units():
    return package_units()


@pytest.fixture(scope="module")
def matcher(units):
    return UnitMatcher(units)


def test_21_district_level_units_412_to_432(units):
    d = units[units["level"] == "district"]
    assert sorted(d["unit_code"]) == [str(c) for c in range(412, 433)]
    assert set(d["parent_code"]) == {"40"}
    assert (units["unit_code"] == "40").sum() == 1


def test_names_are_nfc_and_ascii_names_ascii(units):
    for col in ("name_vi", "short_name_vi", "aliases"):
        assert units[col].dropna().map(lambda s: unicodedata.is_normalized("NFC", s)).all()
    assert units["name_ascii"].map(str.isascii).all()


def test_district_codes_and_names_match_reference_list(units):
    """Codes and names agree with the GSO list in ../shared/reference-data (read in place)."""
    p = SHARED / "nghean_districts_pre2025.csv"
    if not p.exists():
        pytest.skip("../shared/reference-data is not beside this checkout")
    lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    ref = pd.read_csv(pd.io.common.StringIO("\n".join(lines)), dtype=str)
    code_col = next(c for c in ref.columns if "code" in c.lower())
    name_col = next(c for c in ref.columns if "name" in c.lower() and c != code_col)
    ours = units.set_index("unit_code")
    for code, name in zip(ref[code_col], ref[name_col]):
        assert match_key(ours.loc[code, "name_vi"]) == match_key(name), (code, name)


@pytest.mark.parametrize("written,code", [
    ("TP Vinh", "412"), ("TP. Vinh", "412"), ("Thành phố Vinh", "412"), ("UBND thành phố Vinh", "412"),
    ("TX. Cửa Lò", "413"), ("TX Cửa Lò", "413"), ("Thị xã Cửa Lò", "413"),
    ("H. Quế Phong", "415"), ("Huyện Quế Phong", "415"), ("UBND huyện Quế Phong", "415"), ("QUẾ PHONG", "415"),
    ("Thái Hòa", "414"), ("Thái Hoà", "414"), ("TX. Thái Hoà", "414"), ("Thai Hoa", "414"),
    ("H. Đô Lương", "427"), ("Do Luong", "427"), ("Xã Nghi Thái", "17926"), ("Nghi Long", "17866"),
    ("  H.  Nghi   Lộc ", "429"),
])
def test_aliases_resolve(matcher, written, code):
    assert matcher.resolve(written) == code


@pytest.mark.parametrize("written", ["Quế Phongg", "Huyện Vinh Lộc", "", "Tổng cộng"])
def test_unknown_names_do_not_resolve(matcher, written):
    assert matcher.resolve(written) is None


def test_hoa_tone_placement_folds_to_the_same_key():
    old, new = "Thái Hoà", "Thái Hòa"  # old-style and new-style tone placement
    assert old != new and fold(old) == fold(new) == "thai hoa"
    decomposed = unicodedata.normalize("NFD", new)
    assert match_key(decomposed) == match_key(old)


def test_prefix_stripping_keeps_short_names():
    # "Xã" is a prefix, but a name that is only a prefix-like word stays as it is
    assert match_key("Xã Nghi Thái") == "nghi thai"
    assert match_key("H.") == "h"


def test_ambiguous_names_do_not_resolve():
    u = pd.DataFrame({"unit_code": ["A", "B"], "name_vi": ["Huyện An Phú", "Thị xã An Phú"],
                      "short_name_vi": ["An Phú", "An Phú"], "name_ascii": ["An Phu", "An Phu"],
                      "aliases": [None, None], "level": ["district", "district"]})
    m = UnitMatcher(u)
    assert m.resolve("An Phú") is None and m.candidates("An Phú") == {"A", "B"}
