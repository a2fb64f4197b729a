"""The 766 leadership section, the bundled real figures (checked row by row against the
shared reference files, read in place) and the section's texts."""

from __future__ import annotations

import csv
import re
import string

import numpy as np
import pytest

from paranalysis.rankings import reference_data_dir
from paranalysis.serviceindex import demo as D
from paranalysis.serviceindex import leadership as SL

from serviceindex_helpers import COMMUNES, small_processing

REF = reference_data_dir()


@pytest.fixture(scope="module")
def scorecard():
    return D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))


def test_texts_have_both_languages_and_same_placeholders():
    from paranalysis.i18n import TRANSLATIONS

    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    keys = [k for k in TRANSLATIONS if k.startswith("si.")]
    assert len(keys) > 40
    for k in keys:
        assert fields(TRANSLATIONS[k]["vi"]) == fields(TRANSLATIONS[k]["en"]), k
    # every sub-indicator of the portal has a name in the catalogue
    assert {c for c in D.SUB_CODES if f"si.sub.{c}" not in TRANSLATIONS} == set()


def test_section_numbers(scorecard):
    info = SL.section(scorecard, "2026-10", published=D.bundled_published(), reconcile_with=small_processing())
    prov = scorecard[(scorecard["unit_id"] == "H41") & (scorecard["period"] == "2026-10")].set_index("component")
    assert info["province_total"] == prov.at["total", "score"]
    sep = scorecard[(scorecard["unit_id"] == "H41") & (scorecard["period"] == "2026-09")].set_index("component")
    assert info["province_change"] == pytest.approx(round(prov.at["total", "score"] - sep.at["total", "score"], 2))
    assert sum(info["bands"].values()) == info["n_communes"] == 6
    lines = SL.section_lines(info, "vi")
    text = "\n".join(lines)
    assert "DỮ LIỆU MINH HỌA" in text and "Tháng 10/2026" in text
    assert SL.month_label("2026-10", "vi") == "tháng 10/2026"
    # Vietnamese decimals: the province total written with a comma
    assert f"{prov.at['total', 'score']:.2f}".replace(".", ",") in text
    # the real published figure is said to be real, with its rank
    assert "84,96 điểm, hạng 20/34" in text
    worst = prov[prov.index.isin(SL.GROUPS)].assign(lost=lambda d: d["max_score"] - d["score"])["lost"].idxmax()
    assert SL.component_label(worst, "vi") in lines[[i for i, x in enumerate(lines) if x.startswith("Tỉnh mất")][0]]
    assert info["reconciliation"]["n"] == 6 and info["reconciliation"]["ok"] == 6


def test_section_across_formula_change(scorecard):
    info = SL.section(scorecard, "2026-01")
    assert info["province_comparable"] is False and np.isnan(info["province_change"])
    text = "\n".join(SL.section_lines(info, "en"))
    assert "not compared" in text.lower() or "Not compared" in text
    assert "Since December 2025" not in text


def test_names_are_escaped(scorecard):
    evil = scorecard.copy()
    evil.loc[evil["unit_id"] == "H41.103", "unit_name"] = '<img src=x onerror=alert(1)> [a](javascript:x)'
    info = SL.section(evil, "2026-10")
    text = "\n".join(SL.section_lines(info, "vi"))
    assert "<img" not in text and not re.search(r"(?<!\\)\]\(javascript", text)  # "\](" is plain text
    assert "&lt;img" in text


def test_threshold_crossing_is_named():
    sc = D.to_tidy(D.generate_scorecard(small_processing(), COMMUNES))
    t = sc[(sc["component"] == "total") & (sc["level"] == "commune")]
    per = "2026-05"
    prev = "2026-04"
    a = t[t["period"] == per].set_index("unit_id")["score"]
    b = t[t["period"] == prev].set_index("unit_id")["score"]
    fell = sorted(u for u in a.index if a[u] < 80 <= b[u])
    info = SL.section(sc, per)
    got = sorted(info["crossings"].query("direction == 'down' and fell_below == 80")["unit_id"])
    assert got == fell
    if fell:
        assert "Tụt xuống dưới 80 điểm" in "\n".join(SL.section_lines(info, "vi"))


def test_bundled_published_matches_reference_row_by_row():
    pub = D.bundled_published()
    assert not pub["synthetic"].any() and (pub["unit_code"] == "40").all()
    if REF is None or not (REF / "nghean_indices_by_year.csv").exists():
        pytest.skip("../shared/reference-data/nghean_indices_by_year.csv not present")
    with open(REF / "nghean_indices_by_year.csv", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(ln for ln in fh if not ln.startswith("#")) if r["index"] == "SERVICE_INDEX_766"]
    col = {"CKMB": "transparency", "TDGQ": "progress", "CLGQ": "online_service", "TTTT": "online_payment",
           "MDSH": "digitisation", "MDHL": "satisfaction"}
    per = {"2025_ytd": "2025-YTD", "2025_10": "2025-10"}
    assert len(rows) == 2
    for r in rows:
        p = pub[pub["period"] == per[r["year"]]].set_index("component")
        assert p.at["total", "score"] == float(r["score"]) and p.at["total", "rank"] == int(r["rank"])
        assert p.at["total", "n_ranked"] == int(r["n_units"])
        for code, comp in col.items():
            v = float(re.search(rf"{code} ([\d.]+)", r["note"]).group(1))
            assert p.at[comp, "score"] == v, (r["year"], code)
    raw = REF / "decision766_service_index_2025_new766.csv"
    if raw.exists():
        with open(raw, encoding="utf-8") as fh:
            na = [r for r in csv.DictReader(ln for ln in fh if not ln.startswith("#")) if r["MA_COQUAN"] == "H41"]
        for r in na:
            p = pub[pub["period"] == {"provinces_year_to_date_2025": "2025-YTD",
                                      "provinces_month_2025_10": "2025-10"}[r["table"]]].set_index("component")
            for code, comp in col.items():
                assert p.at[comp, "score"] == float(r[code])


def test_index_for_keeps_real_and_synthetic_apart(tmp_path, scorecard):
    root = tmp_path / "service_index"
    root.mkdir()
    w = D.generate_scorecard(small_processing(), COMMUNES)
    (root / "service_index_demo_synthetic.csv").write_bytes(D.wide_csv_bytes(w))
    import shutil
    from paranalysis.dataset import bundled_data_dir

    shutil.copy(bundled_data_dir() / "service_index" / "service_index_nghean_published.csv", root)
    sc, pub = SL.index_for(tmp_path)
    assert sc["synthetic"].all() and not pub["synthetic"].any()
    a = sc.set_index(["unit_id", "period", "component"])["score"].sort_index()
    b = scorecard.set_index(["unit_id", "period", "component"])["score"].sort_index()
    assert a.index.equals(b.index) and np.allclose(a.fillna(-1), b.fillna(-1))  # the CSV round trip keeps scores
