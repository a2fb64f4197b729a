"""Method, scale and number-of-units breaks (kept as data: resources/ranking_breaks.csv) and year-to-year rank changes that flag them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from paranalysis.i18n import DEFAULT_LANG, MISSING, _check_lang, display_table, t
from paranalysis.rankings.labels import index_label
from paranalysis.rankings.ranks import rank_to_percentile

# ---------------------------------------------------------------------------------------
# Breaks: method, scale and number-of-units changes (the one place they are kept)
# ---------------------------------------------------------------------------------------

def _load_breaks() -> list[dict]:
    """The break catalogue as data (``resources/ranking_breaks.csv``): one row per break,
    each with its source. Edit that file, not code, when a publisher changes its method."""
    import csv

    path = Path(__file__).resolve().parent.parent / "resources" / "ranking_breaks.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["year"] = int(r["year"])
        r["unit_code"] = r["unit_code"] or None
    return rows


#: One row per break. ``year`` = first results year on the new basis; ``kind``: "method"
#: (criteria/components changed: scores not comparable, ranks only roughly), "scale" (score
#: range changed) or "units" (number of ranked units changed: compare percentiles, not ranks).
#: ``unit_code`` None = applies to every unit ranked by that index.
BREAKS: list[dict] = _load_breaks()

BREAK_KINDS = ("method", "scale", "units")


def method_breaks(index: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The catalogue of method, scale and number-of-units breaks as a table (optionally for
    some indices only)."""
    df = pd.DataFrame(BREAKS, columns=["index", "year", "kind", "unit_code", "description_en",
                                       "description_vi", "source"])
    df["year"] = df["year"].astype("Int64")
    if index is not None:
        keep = [index] if isinstance(index, str) else list(index)
        df = df[df["index"].isin(keep)]
    return df.reset_index(drop=True)


def rank_changes(rankings: pd.DataFrame, *, breaks: pd.DataFrame | None = None, lang: str = DEFAULT_LANG) -> pd.DataFrame:
    """Year-to-year changes of rank, percentile and score for every (index, unit), each
    change flagged where it crosses a break.

    Columns: index, unit_code, year, prev_year, rank, prev_rank, places_gained (prev_rank -
    rank; positive = up), n_ranked, prev_n_ranked, percentile, prev_percentile,
    percentile_change, score, prev_score, score_change, rank_derived (this year's rank
    derived), derived (either rank derived),
    break_method, break_scale, break_units, rank_comparable (no method break, same number
    of units), score_comparable (no method or scale break, both scores present), breaks
    (descriptions in ``lang``). A row's previous value is the unit's latest earlier year in
    the table (a gap of several years is possible: see ``prev_year``)."""
    br = method_breaks() if breaks is None else breaks
    desc = f"description_{_check_lang(lang)}"
    df = rankings.sort_values(["index", "unit_code", "year"]).reset_index(drop=True)
    g = df.groupby(["index", "unit_code"], sort=False)
    out = pd.DataFrame({
        "index": df["index"], "unit_code": df["unit_code"], "year": df["year"].astype("Int64"),
        "prev_year": g["year"].shift(1).astype("Int64"),
        "rank": df["rank"].astype("Int64"), "prev_rank": g["rank"].shift(1).astype("Int64"),
        "n_ranked": df["n_ranked"].astype("Int64"), "prev_n_ranked": g["n_ranked"].shift(1).astype("Int64"),
        "score": df["score"].astype(float), "prev_score": g["score"].shift(1).astype(float),
        "scale": df["scale"], "prev_scale": g["scale"].shift(1),
        "rank_derived": df["derived"].astype(bool),
        "derived": df["derived"].astype(bool) | g["derived"].shift(1).fillna(False).astype(bool),
    })
    out["places_gained"] = (out["prev_rank"] - out["rank"]).astype("Int64")
    out["percentile"] = rank_to_percentile(out["rank"], out["n_ranked"])
    out["prev_percentile"] = rank_to_percentile(out["prev_rank"], out["prev_n_ranked"])
    out["percentile_change"] = out["percentile"] - out["prev_percentile"]
    out["score_change"] = out["score"] - out["prev_score"]
    has_prev = out["prev_year"].notna()
    flags = {k: [] for k in BREAK_KINDS}
    texts = []
    catalogue = [(b, pd.isna(b.year), pd.isna(b.unit_code)) for b in br.itertuples(index=False)]
    for row in out.itertuples(index=False):
        hit = {k: False for k in BREAK_KINDS}
        t = []
        if not pd.isna(row.prev_year):
            no_year = pd.isna(row.year)
            sel = [b for b, b_no_year, every_unit in catalogue
                   if b.index == row.index and not (b_no_year or no_year) and row.prev_year < b.year <= row.year
                   and (every_unit or b.unit_code == row.unit_code)]
            for b in sel:
                hit[b.kind] = True
                t.append(f"{b.year}: {getattr(b, desc)}")
            if not (pd.isna(row.n_ranked) or pd.isna(row.prev_n_ranked)) and row.n_ranked != row.prev_n_ranked:
                if not hit["units"]:
                    t.append(f"n_ranked {row.prev_n_ranked} -> {row.n_ranked}")
                hit["units"] = True
            if (row.scale is not None and row.prev_scale is not None and not pd.isna(row.scale)
                    and not pd.isna(row.prev_scale) and row.scale != row.prev_scale):
                if not hit["scale"]:
                    t.append(f"scale {row.prev_scale} -> {row.scale}")
                hit["scale"] = True
        for k in BREAK_KINDS:
            flags[k].append(hit[k])
        texts.append("; ".join(t) if t else None)
    for k in BREAK_KINDS:
        out[f"break_{k}"] = pd.Series(flags[k], index=out.index, dtype=bool)
    out["breaks"] = pd.Series(texts, index=out.index, dtype=object)
    out["rank_comparable"] = has_prev & out["rank"].notna() & out["prev_rank"].notna() & ~out["break_method"] \
        & ~out["break_units"]
    out["score_comparable"] = has_prev & out["score"].notna() & out["prev_score"].notna() & ~out["break_method"] \
        & ~out["break_scale"]
    cols = ["index", "unit_code", "year", "prev_year", "rank", "prev_rank", "places_gained", "n_ranked",
            "prev_n_ranked", "percentile", "prev_percentile", "percentile_change", "score", "prev_score",
            "score_change", "scale", "rank_derived", "derived", "break_method", "break_scale", "break_units", "rank_comparable",
            "score_comparable", "breaks"]
    return out[cols]


def history_table(rankings: pd.DataFrame, unit_code: str = "40", *, lang: str = DEFAULT_LANG,
                  indices: Iterable[str] | None = None) -> pd.DataFrame:
    """A readable rank history of one unit: one row per index and year with "rank/n",
    score, places gained, relative position (%), whether the rank is derived, and the
    breaks crossed since the previous year ("⚠ ..."). Column names follow ``lang``."""
    ch = rank_changes(rankings[rankings["unit_code"] == unit_code], lang=lang)
    if indices is not None:
        order = {ix: i for i, ix in enumerate(indices)}
        ch = ch[ch["index"].isin(list(indices))]
        ch = ch.assign(_o=ch["index"].map(order)).sort_values(["_o", "year"], kind="stable").drop(columns="_o")
    out = pd.DataFrame({
        "index": ch["index"].map(lambda i: index_label(i, lang)),
        "year": ch["year"],
        "rank_of_n": [f"{r}/{n}" if not pd.isna(r) else MISSING for r, n in zip(ch["rank"], ch["n_ranked"])],
        "score": ch["score"].round(2),
        "scale": ch["scale"],
        "score_change": ch["score_change"].round(2),
        "places_gained": ch["places_gained"],
        "percentile_pct": (100 * ch["percentile"]).round(1),
        "rank_derived": ch["rank_derived"].map(lambda d: t("value.yes", lang) if d else ""),
        "comparability": ch["breaks"].map(lambda b: f"⚠ {b}" if b else ""),
    }).reset_index(drop=True)
    return display_table(out, lang, decimals={"score": 2, "score_change": 2, "percentile_pct": 1})
