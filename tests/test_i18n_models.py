"""The models' notes and their words on how intervals were computed are catalogue messages:
as strings they are the English they always were; on a Vietnamese page they are Vietnamese."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from paranalysis import models
from paranalysis.i18n import Message, shown

# The English as the models wrote it before the catalogue (typed from the former f-strings).
FORMER_ENGLISH = [
    (Message("model.note.late_never", k=2), "2 unit(s) first treated after the last period are treated as never treated"),
    (Message("model.note.dropped_early", k=1), "dropped 1 unit(s) already treated in the first period"),
    (Message("model.note.unbalanced", k=2, units="a, b"),
     "dropped 2 unit(s) not observed in every period to balance the panel: a, b"),
    (Message("model.note.no_pre", group="2018Q1"), "group 2018Q1 has no pre-treatment period and is dropped"),
    (Message("model.note.no_comparison", group="2019Q2", period="2020Q1"),
     "no comparison units for group 2019Q2 in 2020Q1"),
    (Message("model.note.single_unit_cohorts", k=1, cohorts="2023Q4"),
     "1 adoption cohort(s) of a single unit (2023Q4): their effects rest on one unit each and their noise on "
     "its own pre-adoption quarters"),
    (Message("model.note.rows_missing", k=3), "3 rows with missing values dropped"),
    (Message("model.note.absorbed", terms="x"), "absorbed by the fixed effects and dropped: x"),
    (Message("model.inference.analytic"), "analytic influence-function standard errors clustered by unit (as R did, "
     "bstrap=FALSE), normal critical values; too optimistic with few units"),
    (Message("model.inference.cr1_few", G=20, cluster="unit_code", df=19),
     "cluster-robust CR1 standard errors, 20 clusters by unit_code, t distribution with 19 df (few clusters: intervals "
     "likely too narrow)"),
]

ENGLISH_WORDS = {"unit", "units", "dropped", "cohort", "cohorts", "clusters", "the", "of", "with", "variances",
                 "draws", "errors", "standard", "distribution", "degrees", "freedom"}


@pytest.mark.parametrize("msg,english", FORMER_ENGLISH, ids=[m.key for m, _ in FORMER_ENGLISH])
def test_a_model_message_is_its_former_english_and_has_vietnamese(msg, english):
    assert str(msg) == english
    vi = shown(msg, "vi")
    assert vi != english
    assert not (set(vi.lower().replace(",", " ").replace("(", " ").split()) & ENGLISH_WORDS), vi


def _panel(seed=3, n=12, T=10):
    rng = np.random.default_rng(seed)
    rows = []
    first = {f"u{i}": (4 + i % 3 if i < 7 else np.nan) for i in range(n)}
    for i in range(n):
        u = f"u{i}"
        for tt in range(1, T + 1):
            g = first[u]
            treated = float(not np.isnan(g) and tt >= g)
            rows.append({"unit_code": u, "period": tt, "first_treated": g, "treated": treated,
                         "y": 50 + i + 0.3 * tt - 2.0 * treated + rng.normal(0, 0.5)})
    return pd.DataFrame(rows)


def test_a_fitted_models_words_follow_the_language_of_the_table():
    panel = _panel()
    vi = models.compare_estimators(panel, "y", time="period", n_boot=199, lang="vi")
    en = models.compare_estimators(panel, "y", time="period", n_boot=199, lang="en")
    assert "wild cluster restricted bootstrap" in en["inference"].iloc[0]
    assert en["inference"].iloc[1].startswith("unit-specific variances")
    for text in vi["inference"]:
        assert not (set(text.lower().replace(",", " ").replace("(", " ").split()) & ENGLISH_WORDS), text
    assert "199 lần rút" in vi["inference"].iloc[0]
    # the English of a fit is what it always was
    fit = models.staggered_did(panel, outcome="y", unit="unit_code", time="period", first_treated="first_treated")
    assert str(fit.inference_text).startswith("unit-specific variances (each unit's noise scale")


def test_effect_checks_lines_in_each_language():
    panel = _panel(n=14)
    panel.loc[panel["unit_code"] == "u6", "first_treated"] = 9.0  # a cohort of one unit
    panel["treated"] = (panel["period"] >= panel["first_treated"]).astype(float)
    rec = models.effect_checks(panel, "y", unit="unit_code", time="period", first_treated="first_treated").record()
    assert any("single unit" in str(n) for n in rec["notes"])
    en = models.effect_checks_lines({"Facility -> late": rec}, "en")[0]
    vi = models.effect_checks_lines({"Một cửa → trễ hạn": rec}, "vi")[0]
    assert "adoption cohort(s) of a single unit" in en
    assert "nhóm đầu tư chỉ có một đơn vị" in vi and "single unit" not in vi
    table = models.effect_checks_table({"a": rec})
    assert list(table.columns) == ["result", *models.diagnostics.CHECK_COLUMNS]
    assert table.loc[0, "estimate"] == rec["estimate"]


def test_a_service_index_without_progress_rows_is_refused_in_the_readers_words():
    from paranalysis import DataError
    from paranalysis.overview import problems_table
    from paranalysis.serviceindex.reconcile import reconcile_progress

    index = pd.DataFrame({"component": ["service"], "unit_code": [None], "period_start": [pd.Timestamp("2025-07-01")],
                          "period_type": ["month"]})
    with pytest.raises(DataError) as err:
        reconcile_progress(index, pd.DataFrame({"unit_code": []}))
    assert "progress rows of units known to the registry" in str(err.value)
    vi = problems_table(err.value, "vi")
    assert "Bộ chỉ số phục vụ" in vi.iloc[0, -1] and "registry" not in vi.iloc[0, -1]


def test_pretrend_lines_say_each_fits_test_in_words():
    from paranalysis.i18n import fmt_number, t

    panel = _panel(n=14)
    fit = models.staggered_did(panel, outcome="y", unit="unit_code", time="period", first_treated="first_treated")
    pt = fit.pretrend_test(leads=4)
    text = models.pretrend_lines({"A": fit, "B": fit}, "vi", leads=4)
    line = "- A: " + t("nb03.pretrend", "vi", p=fmt_number(pt.p_value, "vi", 3), n=len(pt.cells),
                       detect=fmt_number(pt.detectable_trend, "vi", 3))
    assert text.split("\n") == [line, line.replace("- A:", "- B:")]


def test_scope_text_and_the_example_forms_notes_in_each_language(tmp_path):
    from paranalysis import geography, load_dataset, overview
    from paranalysis.forms import write_official_form

    ds = load_dataset()
    q = ds.processing["period"].max()
    rows = geography.compared_rows(ds)
    rows = rows[rows["period"] <= q]
    h = geography.harmonized_processing(ds, end=q)
    text = geography.scope_text(rows, q, len(ds.facts), h["unit_code"].nunique(), "en")
    assert str(rows["unit_code"].nunique()) in text.split("\n")[0]
    assert text.count("\n- ") == len(geography.crossing_lines(rows["period"].min(), q, "en",
                                                              n_units=h["unit_code"].nunique()))
    form = write_official_form(ds.processing[ds.processing["period"] == q].head(4), tmp_path / "f.xlsx", period=q)
    tidy, notes_en = overview.read_example(form, "en")
    _, notes_vi = overview.read_example(form, "vi")
    assert len(tidy) == 4 and len(notes_en) == len(notes_vi) == 1
    assert "dropped" in notes_en[0] and "dropped" not in notes_vi[0]
