"""The seed facts (data/facts/facts_seeds.csv): every figure of the five press reports in
../shared/seeds, each with the sentence it comes from. Checked against the seed text
itself, and against sums the reports imply."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from paranalysis import load_dataset
from paranalysis.schemas import FACT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
UNITS = {"40", "412", "413", "414", "415", "416", "417", "418", "419", "420", "421", "422", "423", "424",
         "425", "426", "427", "428", "429", "430", "431", "432", "17866", "17926"}


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    return load_dataset().facts


def value(facts, unit, metric, source_prefix=None) -> float:
    f = facts[(facts.unit_code == unit) & (facts.metric == metric)]
    if source_prefix:
        f = f[f.source_file.str.startswith(source_prefix)]
    assert len(f) == 1, (unit, metric, len(f))
    return float(f["value"].iloc[0])


def test_loaded_by_load_dataset(facts):
    assert list(facts.columns) == FACT_COLUMNS
    assert facts["fact_id"].is_unique and len(facts) >= 60
    assert set(facts["unit_code"].dropna()) <= UNITS
    assert facts["source_file"].nunique() == 5


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_every_sentence_occurs_verbatim_in_its_seed(facts):
    for rec in facts.itertuples():
        text = (SEEDS / rec.source_file).read_text(encoding="utf-8")
        assert rec.sentence in text, rec.fact_id


def _renderings(v: float) -> set[str]:
    out = {f"{v:g}", f"{v:,.0f}" if float(v).is_integer() else f"{v}"}
    if float(v).is_integer():
        out |= {str(int(abs(v))), f"{int(abs(v)):,}"}
    if v == 1:
        out.add("first")  # "ranked ... as the first locality", "ranking first"
    if abs(v) >= 1e9:
        out.add(f"{v / 1e9:g} billion")
    return out


def test_every_value_is_written_in_its_sentence(facts):
    for rec in facts.itertuples():
        assert any(r in rec.sentence for r in _renderings(rec.value)), (rec.fact_id, rec.value)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside this checkout")
def test_no_figure_of_the_seeds_is_left_out(facts):
    """Every number in a seed is in some fact's sentence, except dates, times, identifiers
    of documents/images and page furniture (listed here by pattern)."""
    skip = re.compile(r"^(19|20)\d\d[.,]?$|^\d{1,2}$|^\d{1,2}[.,]$|^\d{4}\.$|^\d+\.jpg$")
    for p in sorted(SEEDS.glob("*.txt")):
        sentences = " ".join(facts.loc[facts.source_file == p.name, "sentence"])
        for line in p.read_text(encoding="utf-8").splitlines():
            if re.search(r"\d{2}/\d{2}/\d{4}|\.jpg|DNUM_", line):
                continue
            for n in re.findall(r"\d[\d,.]*", line):
                if not skip.match(n):
                    assert n in sentences, (p.name, n, line[:80])


def test_nghi_thai_2023(facts):
    """Seed 001: Nghi Thái received 2,880 records, 2,860 new (1,198 online, 1,662 direct and
    postal) plus 20 carried over; 2,877 resolved, 2,682 early and 70 on time."""
    v = lambda m: value(facts, "17926", m)  # noqa: E731
    assert v("records_total") == 2880 and v("records_carried_over") == 20
    assert v("records_received_new") + v("records_carried_over") == v("records_total")
    assert v("records_received_online") + v("records_received_direct_postal") == v("records_received_new")
    assert v("records_resolved") == 2877
    assert (v("resolved_early"), v("resolved_on_time")) == (2682, 70)
    late = v("records_resolved") - v("resolved_early") - v("resolved_on_time")
    assert late == 125 and "125" in facts.loc[(facts.unit_code == "17926") & (facts.metric == "records_resolved"),
                                              "note"].iloc[0]


def test_nghi_loc_2023_channel_shares(facts):
    """Seed 001: 35,764 of 59,460 records online "(60.1%)", 23,282 direct "(39.16%)"."""
    received = value(facts, "429", "records_received")
    assert round(100 * value(facts, "429", "records_received_online") / received, 1) == pytest.approx(
        value(facts, "429", "online_share_pct"), abs=0.06)
    assert round(100 * value(facts, "429", "records_received_direct") / received, 2) == value(
        facts, "429", "direct_share_pct")
    assert value(facts, "429", "ddci_score") == 85.43 and value(facts, "429", "ddci_rank") == 1


def test_province_first_half_2017(facts):
    """Seed 003: 117,139 received, 97,034 resolved, 14,224 late "(accounting for 12%)":
    12% is late / received, not late / resolved."""
    received = value(facts, "40", "records_received")
    late = value(facts, "40", "resolved_late")
    assert round(100 * late / received) == value(facts, "40", "late_rate_pct") == 12
    assert round(100 * late / value(facts, "40", "records_resolved")) == 15
    levels = facts[(facts.source_file.str.startswith("003")) & (facts.period_end == pd.Timestamp("2017-07-21"))]
    total = levels.loc[levels.metric == "public_services_total", "value"].iloc[0]
    assert levels.loc[levels.metric.str.startswith("online_services_level"), "value"].sum() == total == 5162


def test_yen_thanh_investment(facts):
    assert value(facts, "426", "investment_vnd") == 4.5e9
    assert value(facts, "426", "investment_planned_vnd") == 3e9
    assert value(facts, "426", "communes_connected_planned") == value(facts, "426", "communes_total") == 39


def test_metric_vocabulary_is_documented(facts):
    doc = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    missing = sorted(m for m in facts["metric"].unique() if f"`{m}`" not in doc)
    assert missing == []
