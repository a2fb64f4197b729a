"""Notebook helpers: the synthetic banner and the scope line every report can show."""

import pandas as pd

import paranalysis
from paranalysis import nbtools


def test_scope_line_names_quarter_and_coverage():
    ds = paranalysis.load_dataset()
    assert nbtools.scope_text(ds, pd.Period("2024Q2", freq="Q-DEC"), "en") == (
        "Report quarter: <b>Q2 2024</b> · processing data from Q1 2017 to Q3 2026 "
        "(21 district-level units, 130 communes and wards, 14 agencies)")
    assert nbtools.scope_text(ds, "2024Q2", "vi") == (
        "Quý báo cáo: <b>Quý II/2024</b> · số liệu giải quyết hồ sơ có từ Quý I/2017 đến Quý III/2026 "
        "(21 đơn vị cấp huyện, 130 xã, phường, 14 sở, ngành)")


def test_banner_only_when_synthetic(tmp_path):
    ds = paranalysis.load_dataset()
    assert "SYNTHETIC" in nbtools.banner_text(ds, "en")
    empty = paranalysis.load_dataset(tmp_path)
    assert nbtools.banner_text(empty, "en") is None
    assert nbtools.scope_text(empty, None, "en") == "Report quarter: <b>—</b> · processing data from — to — (0 units)"
