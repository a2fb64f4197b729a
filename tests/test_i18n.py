"""The translation table: complete in both languages, same placeholders, numbers and
quarters written the way each language reads them; notebook 05 takes every label from it."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import nbformat
import pytest

from paranalysis.i18n import TRANSLATIONS, fmt_change, fmt_number, fmt_pct, quarter_label, t

ROOT = Path(__file__).resolve().parents[1]


def _fields(text: str) -> list[str]:
    return sorted({name for _, name, _, _ in string.Formatter().parse(text) if name})


@pytest.mark.parametrize("key", sorted(TRANSLATIONS))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    entry = TRANSLATIONS[key]
    assert set(entry) == {"vi", "en"}
    assert entry["vi"].strip() and entry["en"].strip()
    assert _fields(entry["vi"]) == _fields(entry["en"])


def test_lookup():
    assert t("report.title", "en", quarter="Q2 2024") == "Public administration reform: key findings for Q2 2024"
    assert t("report.title", quarter="Quý II/2024").startswith("Cải cách hành chính")  # vi is the default
    with pytest.raises(KeyError):
        t("report.titel", "vi")
    with pytest.raises(ValueError):
        t("report.title", "fr")


def test_numbers_and_quarters():
    assert fmt_number(1234567.891, "vi", 2) == "1.234.567,89"
    assert fmt_number(1234567.891, "en", 2) == "1,234,567.89"
    assert fmt_pct(96.57, "vi") == "96,57%"  # Nghe An centre, May-Jun 2023: 16,263 / 16,840
    assert fmt_pct(100 * 16263 / 16840, "en") == "96.57%"
    assert fmt_change(-0.4, "en", 2, "pp") == "−0.40\u00a0pp"
    assert fmt_change(1.25, "vi", 2, "đpt") == "+1,25\u00a0đpt"
    assert fmt_change(0.0, "vi", 1) == "±0,0"
    assert fmt_number(float("nan"), "vi") == "—" and fmt_pct(None, "en") == "—"
    assert quarter_label("2024Q2", "vi") == "Quý II/2024" and quarter_label("2024Q4", "en") == "Q4 2024"


def test_notebook_05_takes_its_words_from_the_table():
    """Every string literal in notebook 05's code is a translation key or a parameter value:
    no label, title or caption is written in the notebook itself."""
    nb = nbformat.read(ROOT / "notebooks" / "05-leadership-report.ipynb", as_version=4)
    allowed = set(TRANSLATIONS) | {"vi", "en"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value in allowed, f"hard-coded text in notebook 05: {node.value!r}"
