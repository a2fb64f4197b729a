"""Messages kept with their catalogue key (paranalysis.i18n.Message): the form reader's E_*
messages and its note print exactly the English they printed before (command line,
exceptions, tests comparing strings), and a page in Vietnamese shows them in Vietnamese,
whole; the press-facts tables show quantities and units of measure in words."""

from __future__ import annotations

import copy
import json
import pickle
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from paranalysis import DataError, load_dataset, overview
from paranalysis.errors import Problem
from paranalysis.forms import FormWarning, messages, read_official_form
from paranalysis.i18n import TRANSLATIONS, Message, joined, shown, t

ROOT = Path(__file__).resolve().parents[1]
FORMER = json.loads((ROOT / "tests" / "data" / "form_messages_en.json").read_text(encoding="utf-8"))
#: messages with no words (a formula and its value): the same in both languages
NEUTRAL = {"E_IDENTITY"}

#: a value for each placeholder of the E_* messages, of the type the reader passes
VALUES = {"n": 40, "source": "the package mapping", "norm": "so ho so > tong so", "entry": "counts:\n  x: [y]",
          "fields": "received_online, received_total", "field": "received_online", "other": "F", "example": "Trực tuyến",
          "rate": "on_time_rate", "formula": "(a) / (a + b)", "computed": 97.123456, "decimals": 2, "total": "C",
          "expected": 3232, "hint": "; did you mean X?", "codes": "412, 413", "code": "412", "where": "row 12",
          "title": "2024Q3", "given": "2024Q2", "start": pd.Timestamp("2024-03-15"), "end": pd.Timestamp("2024-06-14"),
          "cstart": pd.Timestamp("2024-04-01"), "cend": pd.Timestamp("2024-06-30"), "what": "2025H1",
          "rows": 100000, "cols": 16384, "limit": 200, "section": "I. Cấp tỉnh", "col": "B (Mã)",
          "code_name": "TP Vinh", "text": "Báo cáo năm 2025", "suggest": "2025", "value": 12}


def _filled(template: str) -> dict:
    import string

    return {name: VALUES[name] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_former_message_is_still_there_and_prints_the_same_english():
    names = sorted(n for n in dir(messages) if n.startswith("E_"))
    assert names == sorted(FORMER)
    for name, english in FORMER.items():
        m = getattr(messages, name)
        assert isinstance(m, Message) and str(m) == english, name
        assert m == english and hash(m) == hash(english)


@pytest.mark.parametrize("name", sorted(FORMER))
def test_each_message_filled_prints_the_former_english_and_has_its_vietnamese(name):
    m, english = getattr(messages, name), FORMER[name]
    kw = _filled(english)
    filled = m.format(**kw) if kw else m
    assert str(filled) == (english.format(**kw) if kw else english)
    vi = shown(filled, "vi")
    assert type(vi) is str and vi == (TRANSLATIONS[m.key]["vi"].format(**kw) if kw else TRANSLATIONS[m.key]["vi"])
    assert shown(filled, "en") == str(filled)
    if name not in NEUTRAL:
        assert vi != str(filled), name
        words = lambda s: set(re.findall(r"\b[a-z]{4,}\b", s))  # noqa: E731 - English words of a text
        fixed_en = words(re.sub(r"\{[^}]*\}", " ", english)) - {"paranalysis", "limits", "xlsx", "xlsm", "yyyy", "period", "mapping", "yaml"}
        assert not fixed_en & words(vi) - words(str(kw)), (name, fixed_en & words(vi))


def test_messages_nested_in_messages_are_shown_in_the_same_language():
    where = Message("form.where_row", row=12)
    m = messages.E_DUPLICATE_UNIT.format(code="412", where=where)
    assert str(m) == FORMER["E_DUPLICATE_UNIT"].format(code="412", where="row 12")
    assert shown(m, "vi") == t("form.duplicate_unit", "vi", code="412", where=t("form.where_row", "vi", row=12))
    j = joined("; ", [Message("form.note_blank", n=3), "plain"])
    assert str(j) == "3 blank row(s); plain" and shown(j, "vi") == "3 dòng trống; plain"
    assert shown("a plain text", "vi") == "a plain text" and shown(None, "vi") is None


def test_a_message_survives_pickling_and_copying_with_its_key():
    m = messages.E_WINDOW.format(**_filled(FORMER["E_WINDOW"]))
    err = DataError([Problem(file="f.xlsx", expected=m)])
    for back in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m), pickle.loads(pickle.dumps(err)).problems[0].expected):
        assert isinstance(back, Message) and back == m and shown(back, "vi") == shown(m, "vi")
    j = joined("; ", [m, "x"])
    assert shown(pickle.loads(pickle.dumps(j)), "vi") == shown(j, "vi")


def _old_note(name, counters, no_form=()):
    """The reader's note as it was written before (forms/reader.py at f64b26e)."""
    dropped = []
    if counters["total"]:
        dropped.append(f"{counters['total']} total row(s) (checked against the sum of their units)")
    if counters["section"]:
        dropped.append(f"{counters['section']} section heading(s)")
    if counters["blank"]:
        dropped.append(f"{counters['blank']} blank row(s)")
    if counters["text"]:
        dropped.append(f"{counters['text']} text row(s) without counts (headings, notes, signature lines)")
    if no_form:
        dropped.append(f"{len(no_form)} sheet(s) without the form ({', '.join(no_form)})")
    notes = counters["hidden"] + counters["formulas"] + [f"derived {d}" for d in counters["derived"]]
    msg = f"{name}: " + ("dropped " + "; ".join(dropped) if dropped else "")
    if notes:
        msg += ("; " if dropped else "") + "; ".join(notes)
    return msg


def test_the_note_parts_print_the_former_english():
    hidden = Message("form.note_hidden", sheet="S1", what=Message(
        "form.note_and", a=Message("form.note_hidden_rows", rows="3, 4"), b=Message("form.note_hidden_cols", cols="F")))
    assert str(hidden) == "sheet S1: read hidden row(s) 3, 4 and hidden column(s) F"
    formulas = Message("form.note_formulas", sheet="S1", n=2)
    assert str(formulas) == "sheet S1: 2 formula(s) saved without values evaluated (SUM, +, -)"
    derived = Message("form.note_derived", sheet="S1", count="received_direct_postal", total="received_total",
                      other="received_online", a="C", b="D")
    assert str(derived) == ("derived sheet S1: received_direct_postal = received_total - received_online (columns "
                            "C - D; the form prints neither the sum nor its parts)")
    counters = {"total": 1, "section": 2, "blank": 3, "text": 4, "hidden": ["sheet S1: read hidden row(s) 3, 4 and "
                "hidden column(s) F"], "formulas": ["sheet S1: 2 formula(s) saved without values evaluated (SUM, +, -)"],
                "derived": ["sheet S1: received_direct_postal = received_total - received_online (columns C - D; "
                            "the form prints neither the sum nor its parts)"]}
    dropped = [Message(f"form.note_{k}", n=counters[k]) for k in ("total", "section", "blank", "text")]
    dropped.append(Message("form.note_no_form", n=1, sheets="Ghi chú"))
    note = Message("form.note", file="f.xlsx", body=joined("; ", [Message("form.note_dropped", items=joined(
        "; ", dropped)), hidden, formulas, derived]))
    assert str(note) == _old_note("f.xlsx", counters, ["Ghi chú"])
    only_notes = Message("form.note", file="f.xlsx", body=joined("; ", [formulas]))
    assert str(only_notes) == _old_note("f.xlsx", {**counters, "total": 0, "section": 0, "blank": 0, "text": 0,
                                                   "hidden": [], "derived": []})
    vi = shown(note, "vi")
    assert "đã bỏ qua" in vi and "dòng ẩn" in vi and "đã suy ra" in vi
    assert not re.search(r"\b(dropped|rows?|sheet|hidden|formula|derived|without|the)\b", vi), vi


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    ds = load_dataset()
    q = ds.processing["period"].max()
    rows = ds.processing[ds.processing["period"] == q].head(6)
    return overview.broken_form_example(rows, tmp_path_factory.mktemp("forms"), period=q)


def test_the_reader_note_of_the_example_form_in_both_languages(example):
    good = example[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FormWarning)
        read_official_form(good)
    (w,) = [w for w in caught if issubclass(w.category, FormWarning)]
    assert str(w.message) == (f"{good.name}: dropped 1 total row(s) (checked against the sum of their units); "
                              "3 blank row(s); 4 text row(s) without counts (headings, notes, signature lines)")
    assert shown(w.message, "en") == str(w.message)
    assert shown(w.message, "vi") == (f"{good.name}: đã bỏ qua 1 dòng tổng (đã đối chiếu với tổng các đơn vị); "
                                      "3 dòng trống; 4 dòng chữ không có số liệu (tiêu đề, ghi chú, dòng ký tên)")


def test_problems_table_in_vietnamese_has_no_english_template_words_and_no_cut_text(example):
    from one_language import foreign_words, reader_text

    with pytest.raises(DataError) as info:
        read_official_form(example[1])
    err = info.value
    vi, en = overview.problems_table(err, "vi"), overview.problems_table(err, "en")
    expected_vi, expected_en = vi[t("col.expected", "vi")].tolist(), en[t("col.expected", "en")].tolist()
    assert expected_en == [str(p.expected) for p in err.problems]
    for text_vi, p in zip(expected_vi, err.problems):
        assert text_vi == shown(p.expected, "vi")
        if p.expected.key != "form.identity":
            assert text_vi != str(p.expected)
    html = vi._repr_html_()
    cells = {text for tag, text in reader_text(html) if tag == "td"}
    assert all(text.strip() in cells for text in expected_vi), "a message cut in the page"
    assert all(str(p.expected).strip() in {x for _, x in reader_text(en._repr_html_())} for p in err.problems)
    assert not foreign_words(html, "vi"), foreign_words(html, "vi")
    english = re.compile(r"\b(the|of|a|an|is|after|when|only|did you mean|to add|records|units?|dates?|row|sheet)\b")
    assert not [s for s in expected_vi if english.search(s)], expected_vi
    assert t("form.col_title", "vi") in vi.iloc[:, 3].tolist() and "title" in en.iloc[:, 3].tolist()


FACT_FILES = sorted((ROOT / "data" / "facts").glob("*.csv"))


def test_every_metric_and_unit_of_measure_of_the_facts_has_words_in_both_languages():
    facts = pd.concat([pd.read_csv(f, dtype=str) for f in FACT_FILES])
    assert len(facts)
    for code in facts["metric"].dropna().unique():
        assert f"metric.{code}" in TRANSLATIONS, code
        assert t(f"metric.{code}", "vi") != code
    for unit in facts["measure_unit"].dropna().unique():
        assert f"measure.{unit}" in TRANSLATIONS, unit


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_facts_tables_of_notebooks_01_and_04(lang):
    ds = load_dataset()
    facts = ds.facts
    tab = overview.facts_table(facts, lang)
    assert len(tab) == len(facts)
    html = tab._repr_html_()
    assert "..." not in html and "…" not in html  # every row (64 > pandas' 60) and every text whole
    metric, unit, value = (t(f"col.{c}", lang) for c in ("metric", "measure_unit", "fact_value"))
    assert not set(tab[metric]) & set(facts["metric"])
    if lang == "vi":
        assert not set(tab[unit]) & set(facts["measure_unit"])
    shown_value = dict(zip(facts["metric"], tab[value]))
    assert shown_value["ddci_rank"] == "1" and shown_value["digitization_rank"] == "1"
    assert shown_value["par_index_rank_change"] == "\u221217"
    assert shown_value["schools_connected"] == "75"
    assert shown_value["ddci_score"] == {"vi": "85,43", "en": "85.43"}[lang]
    # notebook 04: the ranks with their sentence, quoted verbatim and whole
    ranks = facts[facts["metric"].str.contains("rank", case=False)]
    tab4 = overview.facts_table(ranks, lang, columns=["unit_name", "period_label", "metric", "value", "measure_unit",
                                                      "sentence"])
    html4 = tab4._repr_html_()
    assert tab4[t("col.sentence", lang)].tolist() == ranks["sentence"].tolist()
    import html as H

    assert all(H.escape(s, quote=True).replace("&#x27;", "'") in html4.replace("&#x27;", "'")
               for s in ranks["sentence"])
    if lang == "vi":
        from one_language import foreign_words

        words_cols = tab[[metric, unit]].rename(columns={metric: "a", unit: "b"})
        assert not foreign_words(words_cols.to_html(), "vi")
        beside = overview.beside_data_table(ds, "vi")
        assert not any(re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", v) for v in beside[t("col.metric", "vi")])
        assert not any(re.search(r"\d{4}Q\d", v) for v in beside[t("col.data_quarters", "vi")])


def test_why_a_unit_name_is_unknown_in_both_languages():
    from paranalysis.units import UnitMatcher, package_units

    m = UnitMatcher(package_units())
    why = m.explain("Huyện Quỳ Hợp", on="2025-09-30")
    assert "Huyện Quỳ Hợp (420) existed until 2025-06-30" in str(why) and "units_extra.csv" in str(why)
    vi = shown(why, "vi")
    assert "Huyện Quỳ Hợp (420) chỉ tồn tại đến ngày 30/06/2025" in vi and "units_extra.csv" in vi
    assert "Xã Quỳ Hợp (17035-2025), một xã/phường" in vi
    assert not re.search(r"\b(existed|until|after|the|did you mean|to add|only)\b", vi), vi
    several = m.explain("Xã Tân Sơn", on="2025-06-30")
    assert "matches several units" in several and "khớp với nhiều đơn vị" in shown(several, "vi")


def test_data_error_own_texts_keep_their_english_and_have_vietnamese():
    from paranalysis.limits import MAX_PROBLEMS

    err = DataError([Problem(file="f.csv", expected="x")] * (MAX_PROBLEMS + 5), file="f.csv")
    last = err.problems[-1].expected
    assert str(last) == f"no more problems: and 5 more not listed (limit {MAX_PROBLEMS})"
    assert shown(last, "vi") == f"không có thêm lỗi: còn 5 lỗi khác không được liệt kê (giới hạn {MAX_PROBLEMS})"
    none = DataError([]).problems[0].expected
    assert str(none) == "valid data (no detail given)" and shown(none, "vi") != str(none)
