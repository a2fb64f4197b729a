"""Rankings: reading rank changes correctly, and relating them to investment and speed.

Conventions (see docs/rankings.md):

- **Rank**: 1 = best. Ties are handled as the publishers do, by *competition* ("min")
  ranking: scores 90, 85, 85, 80 get ranks 1, 2, 2, 4.
- **Percentile** of a rank among ``n`` ranked units: ``(n - rank) / (n - 1)``, so the
  best unit is 1.0 (100 %), the last is 0.0 and the middle is 0.5, whatever ``n`` is.
  This makes "27th of 63" (0.581) comparable with "15th of 34" (0.576). Tied units share
  the percentile of their (best) published rank. Undefined (NaN) when ``n = 1``.
  ``percentile_to_rank`` inverts it: ``rank = n - p (n - 1)``.
- **Places gained** between two years: ``previous rank - rank`` (positive = moved up, as
  in the press: "tăng 5 bậc"). Percentile change: ``percentile - previous percentile``.
- **Breaks** (method, scale and number-of-units changes) are kept as data in one place,
  ``BREAKS`` / ``method_breaks()``; ``rank_changes`` flags every change that crosses one.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from paranalysis.errors import DataError, Problem
from paranalysis.style import styled

# ---------------------------------------------------------------------------------------
# Labels (vi / en)
# ---------------------------------------------------------------------------------------

INDEX_LABELS = {
    "vi": {
        "PAR_INDEX": "Chỉ số CCHC (PAR Index)",
        "SIPAS": "Chỉ số hài lòng SIPAS",
        "PAPI": "Chỉ số PAPI",
        "PCI": "Chỉ số PCI",
        "DDCI": "Chỉ số DDCI",
        "DISTRICT_PAR_INDEX": "Chỉ số CCHC cấp huyện",
        "SERVICE_INDEX_766": "Bộ chỉ số 766 (phục vụ người dân, doanh nghiệp)",
        "SERVICE_INDEX_766_MONTHLY": "Bộ chỉ số 766 (một tháng)",
        "ICT_EGOV_INDEX_MIC": "Chỉ số ứng dụng CNTT, CPĐT (Bộ TT&TT)",
    },
    "en": {
        "PAR_INDEX": "PAR Index",
        "SIPAS": "SIPAS (satisfaction)",
        "PAPI": "PAPI",
        "PCI": "PCI",
        "DDCI": "DDCI",
        "DISTRICT_PAR_INDEX": "District PAR index",
        "SERVICE_INDEX_766": "Decision 766 service index",
        "SERVICE_INDEX_766_MONTHLY": "Decision 766 service index (one month)",
        "ICT_EGOV_INDEX_MIC": "ICT / e-government index (MIC)",
    },
}

_TEXT = {
    "vi": {
        "percentile": "Vị trí tương đối (100 = đứng đầu, 0 = cuối bảng)",
        "year": "Năm đánh giá",
        "break": "thay đổi phương pháp / thang điểm / số đơn vị",
        "derived": "thứ hạng suy ra (không công bố trực tiếp)",
        "published": "thứ hạng công bố",
        "trajectory_title": "Thứ hạng của {unit} qua các chỉ số",
        "trajectory_caption": (
            "Mỗi đường là một chỉ số; trục tung là vị trí tương đối (n − hạng)/(n − 1) × 100 để so được "
            "bảng 63 tỉnh với bảng 34 tỉnh. Điểm rỗng: hạng suy ra từ tin 'tăng/giảm k bậc' hoặc từ bộ dữ liệu. "
            "Đường bị ngắt và đánh dấu ◇ ở năm có thay đổi phương pháp, thang điểm hoặc số đơn vị được xếp hạng: "
            "so sánh qua điểm ngắt chỉ mang tính tham khảo."
        ),
        "scatter_caption": (
            "Mỗi điểm là một đơn vị (nhãn: tên). Hệ số tương quan hạng Spearman ρ = {rho}, p = {p} ({pm}); "
            "n = {n}. Đây là mô tả tương quan giữa ít đơn vị, không phải bằng chứng nhân quả."
        ),
        "timeline_title": "{unit}: thứ hạng, số liệu báo chí và đầu tư theo thời gian",
        "timeline_facts": "Số liệu công bố (%)",
        "timeline_inv": "Số đơn vị cấp huyện\nđã có đầu tư",
        "timeline_nofacts": "chưa có số liệu báo chí cấp tỉnh trong bảng facts",
        "timeline_caption": (
            "Trên: vị trí tương đối trong các bảng xếp hạng (hạng công bố, quy đổi để so 63 với 34 tỉnh). "
            "Giữa: tỷ lệ hồ sơ trực tuyến, tỷ lệ đúng hạn / trễ hạn do báo chí/tỉnh công bố hoặc tính từ số hồ sơ "
            "báo chí nêu (cấp tỉnh và Trung tâm PVHCC). "
            "Dưới: số đơn vị cấp huyện có đầu tư đang vận hành{synthetic}. Một tỉnh, ít năm: đây là mô tả "
            "theo thời gian, không phải suy luận nhân quả."
        ),
        "synthetic_note": " (DỮ LIỆU MINH HỌA, không phải số liệu thật)",
        "synthetic_short": " (minh họa)",
        "one_stop_facility": "Bộ phận Một cửa được nâng cấp",
        "online_meeting_system": "Hệ thống họp trực tuyến",
        "online_share": "Tỷ lệ hồ sơ trực tuyến",
        "on_time_resolved_basis": "Tỷ lệ giải quyết đúng hạn",
        "late_rate_resolved_basis": "Tỷ lệ trễ hạn (trên hồ sơ đã giải quyết)",
        "points_title": "Cần thêm bao nhiêu điểm để tăng hạng",
        "points_xlabel": "Số bậc muốn tăng",
        "points_ylabel": "Điểm cần thêm",
        "points_caption": (
            "Điểm cần thêm để {unit} đạt hạng tốt hơn ít nhất k bậc trong bảng {index} năm {year} "
            "(giữ nguyên điểm của các đơn vị khác; bằng điểm thì đồng hạng)."
        ),
    },
    "en": {
        "percentile": "Relative position (100 = top, 0 = bottom)",
        "year": "Assessment year",
        "break": "method / scale / number-of-units change",
        "derived": "derived rank (not published directly)",
        "published": "published rank",
        "trajectory_title": "{unit}: ranks across indices",
        "trajectory_caption": (
            "One line per index; the vertical axis is the relative position (n − rank)/(n − 1) × 100, so a "
            "table of 63 provinces compares with one of 34. Hollow markers: rank derived from a press "
            "statement ('up k places') or from a dataset. Lines are cut and marked ◇ where the method, "
            "the scale or the number of ranked units changed: comparisons across a cut are indicative only."
        ),
        "scatter_caption": (
            "One point per unit (labelled). Spearman rank correlation ρ = {rho}, p = {p} ({pm}); n = {n}. "
            "This describes a correlation among few units; it is not evidence of cause."
        ),
        "timeline_title": "{unit}: ranks, published figures and investment over time",
        "timeline_facts": "Published figures (%)",
        "timeline_inv": "District-level units\nwith the investment",
        "timeline_nofacts": "no province-level press figures in the facts table",
        "timeline_caption": (
            "Top: relative position in the rankings (published ranks, rescaled so 63 and 34 provinces compare). "
            "Middle: online share and on-time / late rate as published by the press / province, or derived from "
            "the record counts they give (province and its service centre). Bottom: district-level units with the investment in operation{synthetic}. One "
            "province and a few years: this describes a timeline; it is not causal inference."
        ),
        "synthetic_note": " (SYNTHETIC demonstration data, not real figures)",
        "synthetic_short": " (synthetic)",
        "one_stop_facility": "Upgraded one-stop facility",
        "online_meeting_system": "Online meeting system",
        "online_share": "Online share",
        "on_time_resolved_basis": "On-time rate",
        "late_rate_resolved_basis": "Late rate (of resolved records)",
        "points_title": "Points needed to gain places",
        "points_xlabel": "Places to gain",
        "points_ylabel": "Points needed",
        "points_caption": (
            "Points {unit} would have needed to rank at least k places higher in the {index} {year} table "
            "(other units' scores unchanged; an equal score shares the rank)."
        ),
    },
}


def _t(lang: str, key: str) -> str:
    return _TEXT.get(lang, _TEXT["en"])[key]


def index_label(index: str, lang: str = "vi") -> str:
    """Display name of a ranking index in Vietnamese (``vi``) or English (``en``)."""
    return INDEX_LABELS.get(lang, INDEX_LABELS["en"]).get(index, index)


# ---------------------------------------------------------------------------------------
# Ranks and percentiles
# ---------------------------------------------------------------------------------------


def competition_rank(scores, *, higher_is_better: bool = True, decimals: int | None = None) -> pd.Series:
    """Ranks as publishers print them: 1 = best, tied scores share the best rank and the
    next rank is skipped (90, 85, 85, 80 -> 1, 2, 2, 4). Missing scores get no rank.

    ``decimals`` rounds the scores first: use it only when the publisher ranks on the
    printed (rounded) score; VCCI ranks the PCI on the unrounded score (2014: Bình Dương
    58.8243 is 27th and Nghệ An 58.8155 28th although both print as 58.82)."""
    s = pd.Series(scores, dtype=float) if not isinstance(scores, pd.Series) else scores.astype(float)
    if decimals is not None:
        s = s.round(decimals)
    return s.rank(method="min", ascending=not higher_is_better, na_option="keep").astype("Int64")


def rank_to_percentile(rank, n_ranked):
    """Relative position of a rank among ``n_ranked`` units: (n - rank) / (n - 1);
    1.0 = first, 0.0 = last, NaN when n = 1 or a value is missing. Works on scalars and
    aligned Series."""
    if isinstance(rank, pd.Series) or isinstance(n_ranked, pd.Series):
        r = pd.to_numeric(pd.Series(rank), errors="coerce").astype(float)
        n = pd.to_numeric(pd.Series(n_ranked, index=r.index) if not isinstance(n_ranked, pd.Series) else n_ranked,
                          errors="coerce").astype(float)
        out = (n - r) / (n - 1)
        return out.where(n > 1)
    if rank is None or n_ranked is None or pd.isna(rank) or pd.isna(n_ranked) or n_ranked <= 1:
        return float("nan")
    return (float(n_ranked) - float(rank)) / (float(n_ranked) - 1.0)


def percentile_to_rank(percentile, n_ranked, *, as_integer: bool = True):
    """The rank among ``n_ranked`` units that sits at ``percentile`` (inverse of
    ``rank_to_percentile``): n - p (n - 1), rounded half up to a whole rank unless
    ``as_integer=False``. "27th of 63" (p = 0.581) corresponds to 14.8, i.e. 15th of 34."""
    if isinstance(percentile, pd.Series):
        r = float(n_ranked) - percentile.astype(float) * (float(n_ranked) - 1.0) if not isinstance(n_ranked, pd.Series) \
            else n_ranked.astype(float) - percentile.astype(float) * (n_ranked.astype(float) - 1.0)
        return np.floor(r + 0.5).astype("Int64") if as_integer else r
    if percentile is None or pd.isna(percentile):
        return pd.NA if as_integer else float("nan")
    r = float(n_ranked) - float(percentile) * (float(n_ranked) - 1.0)
    return int(math.floor(r + 0.5)) if as_integer else r


def equivalent_rank(rank, n_from: int, n_to: int, *, as_integer: bool = True):
    """The rank in a table of ``n_to`` units at the same relative position as ``rank`` of
    ``n_from`` (e.g. to read a 2025 rank among 34 provinces next to earlier ranks among 63)."""
    return percentile_to_rank(rank_to_percentile(rank, n_from), n_to, as_integer=as_integer)


# ---------------------------------------------------------------------------------------
# Breaks: method, scale and number-of-units changes (the one place they are kept)
# ---------------------------------------------------------------------------------------

#: One row per break. ``year`` = first results year on the new basis; ``kind``: "method"
#: (criteria/components changed: scores not comparable, ranks only roughly), "scale" (score
#: range changed) or "units" (number of ranked units changed: compare percentiles, not ranks).
#: ``unit_code`` None = applies to every unit ranked by that index.
BREAKS: list[dict] = [
    {"index": "PCI", "year": 2006, "kind": "method", "unit_code": None,
     "description_en": "sub-index set changed: 2005 had 9 sub-indices incl. 'policy implementation' and no labour "
                       "training / legal institutions; 2006 on has 10",
     "description_vi": "thay đổi bộ chỉ số thành phần: 2005 có 9 chỉ số (có 'thực hiện chính sách', chưa có đào tạo "
                       "lao động, thiết chế pháp lý); từ 2006 có 10",
     "source": "columns present per year in the VCCI PCI dataset (mdtrinh/vietnamdata data/pci.rda)"},
    {"index": "PCI", "year": 2006, "kind": "units", "unit_code": None,
     "description_en": "42 provinces surveyed in 2005; all 64 (incl. Ha Tay) from 2006",
     "description_vi": "năm 2005 chỉ 42 tỉnh; từ 2006 đủ 64 tỉnh (gồm Hà Tây)",
     "source": "VCCI PCI dataset (mdtrinh/vietnamdata); INDICATORS.md §4.4"},
    {"index": "PCI", "year": 2009, "kind": "method", "unit_code": None,
     "description_en": "sub-index set changed: the dataset has no 'policy bias' sub-index for 2009-2012 (9 sub-indices)",
     "description_vi": "thay đổi bộ chỉ số thành phần: 2009-2012 không có chỉ số 'ưu đãi/thiên vị chính sách' (9 chỉ số)",
     "source": "columns present per year in the VCCI PCI dataset (mdtrinh/vietnamdata data/pci.rda)"},
    {"index": "PCI", "year": 2009, "kind": "units", "unit_code": None,
     "description_en": "64 -> 63 provinces (Ha Tay merged into Ha Noi in 2008)",
     "description_vi": "64 -> 63 tỉnh (Hà Tây sáp nhập vào Hà Nội năm 2008)",
     "source": "VCCI PCI dataset (mdtrinh/vietnamdata)"},
    {"index": "PCI", "year": 2013, "kind": "method", "unit_code": None,
     "description_en": "10 sub-indices with 'equal competition' (policy bias) again; the 2016-handbook weights "
                       "reproduce the headline score exactly from 2013 on",
     "description_vi": "10 chỉ số thành phần (có 'cạnh tranh bình đẳng'); trọng số sổ tay 2016 tái tạo đúng điểm PCI từ 2013",
     "source": "VCCI PCI dataset; weights check in tests/test_ranking_tables.py"},
    {"index": "PAPI", "year": 2018, "kind": "method", "unit_code": None,
     "description_en": "6 -> 8 dimensions (environmental governance and e-governance added), 22 -> 28 sub-dimensions",
     "description_vi": "6 -> 8 nội dung (thêm quản trị môi trường, quản trị điện tử), 22 -> 28 nội dung thành phần",
     "source": "INDICATORS.md §4.3 [S40]"},
    {"index": "PAPI", "year": 2018, "kind": "scale", "unit_code": None,
     "description_en": "total score range 6-60 -> 8-80: totals not comparable across 2017/2018",
     "description_vi": "thang tổng điểm 6-60 -> 8-80: không so sánh được tổng điểm 2017 với 2018",
     "source": "INDICATORS.md §4.3 [S40]"},
    {"index": "PAR_INDEX", "year": 2020, "kind": "method", "unit_code": None,
     "description_en": "criteria revised (Decisions 1149/1150/QĐ-BNV of Dec 2020; first results year on the new set "
                       "taken as 2020 [U])",
     "description_vi": "bộ tiêu chí sửa đổi (Quyết định 1149, 1150/QĐ-BNV, 12/2020; năm áp dụng đầu tiên coi là 2020 [U])",
     "source": "INDICATORS.md §4.1 [S29][S31][S32]"},
    {"index": "PAR_INDEX", "year": 2022, "kind": "method", "unit_code": None,
     "description_en": "criteria revised for 2022-2030 (Decision 876/QĐ-BNV, 10 Nov 2022)",
     "description_vi": "bộ tiêu chí giai đoạn 2022-2030 (Quyết định 876/QĐ-BNV ngày 10/11/2022)",
     "source": "INDICATORS.md §4.1 [S29]"},
    *[
        {"index": ix, "year": 2025, "kind": "units", "unit_code": None,
         "description_en": "63 -> 34 provinces after the July-2025 merger (from the 2025 assessment onward [U])",
         "description_vi": "63 -> 34 tỉnh sau sắp xếp 7/2025 (từ kỳ đánh giá 2025 [U])",
         "source": "INDICATORS.md §4.1, §6.1 [S29][S72]"}
        for ix in ("PAR_INDEX", "SIPAS", "PAPI", "PCI")
    ],
    *[
        {"index": ix, "year": 2024, "kind": "units", "unit_code": None,
         "description_en": "21 -> 20 district-level units: Cua Lo (413) merged into Vinh (412) on 1 Dec 2024",
         "description_vi": "21 -> 20 đơn vị cấp huyện: TX Cửa Lò (413) nhập vào TP Vinh (412) từ 1/12/2024",
         "source": "Res. 1243/NQ-UBTVQH15; INDICATORS.md §6.1"}
        for ix in ("DDCI", "DISTRICT_PAR_INDEX")
    ],
    *[
        {"index": ix, "year": 2024, "kind": "method", "unit_code": "412",
         "description_en": "Vinh's footprint grows (Cua Lo and 4 Nghi Loc communes joined on 1 Dec 2024)",
         "description_vi": "địa giới TP Vinh mở rộng (nhập TX Cửa Lò và 4 xã của Nghi Lộc từ 1/12/2024)",
         "source": "Res. 1243/NQ-UBTVQH15; INDICATORS.md §6.1"}
        for ix in ("DDCI", "DISTRICT_PAR_INDEX")
    ],
]

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


def rank_changes(rankings: pd.DataFrame, *, breaks: pd.DataFrame | None = None, lang: str = "en") -> pd.DataFrame:
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
    desc = "description_vi" if lang == "vi" else "description_en"
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
    for row in out.itertuples(index=False):
        hit = {k: False for k in BREAK_KINDS}
        t = []
        if not pd.isna(row.prev_year):
            sel = br[(br["index"] == row.index) & (br["year"] > row.prev_year) & (br["year"] <= row.year)
                     & (br["unit_code"].isna() | (br["unit_code"] == row.unit_code))]
            for b in sel.itertuples(index=False):
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


def history_table(rankings: pd.DataFrame, unit_code: str = "40", *, lang: str = "vi",
                  indices: Iterable[str] | None = None) -> pd.DataFrame:
    """A readable rank history of one unit: one row per index and year with "rank/n",
    score, places gained, relative position (%), whether the rank is derived, and the
    breaks crossed since the previous year ("⚠ ..."). Column names follow ``lang``."""
    ch = rank_changes(rankings[rankings["unit_code"] == unit_code], lang=lang)
    if indices is not None:
        order = {ix: i for i, ix in enumerate(indices)}
        ch = ch[ch["index"].isin(list(indices))]
        ch = ch.assign(_o=ch["index"].map(order)).sort_values(["_o", "year"], kind="stable").drop(columns="_o")
    vi = lang == "vi"
    yes, no = ("có", "") if vi else ("yes", "")
    out = pd.DataFrame({
        ("Chỉ số" if vi else "Index"): ch["index"].map(lambda i: index_label(i, lang)),
        ("Năm" if vi else "Year"): ch["year"],
        ("Hạng/số đơn vị" if vi else "Rank/n"): [f"{r}/{n}" if not pd.isna(r) else "" for r, n in
                                                 zip(ch["rank"], ch["n_ranked"])],
        ("Điểm" if vi else "Score"): ch["score"].round(2),
        ("Thang" if vi else "Scale"): ch["scale"],
        ("Điểm tăng/giảm" if vi else "Score change"): ch["score_change"].round(2),
        ("Tăng (+)/giảm (−) bậc" if vi else "Places gained"): ch["places_gained"],
        ("Vị trí tương đối (%)" if vi else "Relative position (%)"): (100 * ch["percentile"]).round(1),
        ("Hạng suy ra" if vi else "Derived rank"): ch["rank_derived"].map({True: yes, False: no}),
        ("Lưu ý so sánh" if vi else "Comparability"): ch["breaks"].map(lambda t: f"⚠ {t}" if t else ""),
    })
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# What it takes to gain places (from one year's full table)
# ---------------------------------------------------------------------------------------


def _locate(table: pd.DataFrame, unit, unit_column: str | None) -> int:
    cols = [unit_column] if unit_column else [c for c in ("unit_code", "unit_name") if c in table.columns]
    for c in cols:
        hits = table.index[table[c].astype(str) == str(unit)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise DataError([Problem(column=c, value=unit, expected="one row for this unit in a one-year table")])
    if "unit_name" in table.columns:
        from paranalysis.units import match_key

        key = match_key(str(unit))
        hits = table.index[table["unit_name"].map(lambda v: match_key(str(v)) == key)]
        if len(hits) == 1:
            return hits[0]
    raise DataError([Problem(column="/".join(cols), value=unit, expected="a unit present in the table")])


def points_to_gain(table: pd.DataFrame, unit, places: Iterable[int] = (1, 2, 3, 5, 10), *,
                   score_column: str = "score", unit_column: str | None = None,
                   higher_is_better: bool = True) -> pd.DataFrame:
    """How many more points ``unit`` would have needed in this one-year table to rank at
    least k places higher, other units' scores unchanged (an equal score shares the rank,
    as in competition ranking).

    Needed score for k places from rank r: the (r - k)-th best score among the *other*
    units. Columns: places, target_rank, score_needed, points_needed, rank_reached (the
    rank that score gives, which can be better than the target when scores are tied)."""
    if table["year"].nunique(dropna=True) > 1 if "year" in table.columns else False:
        raise DataError([Problem(column="year", value=sorted(table["year"].dropna().unique().tolist()),
                                 expected="a table of one year (filter it first)")])
    i = _locate(table, unit, unit_column)
    own = float(table.loc[i, score_column])
    if math.isnan(own):
        raise DataError([Problem(column=score_column, value=None, expected=f"a score for {unit}")])
    others = table.drop(index=i)[score_column].astype(float).dropna()
    sign = 1.0 if higher_is_better else -1.0
    ordered = np.sort(others.to_numpy() * sign)[::-1]  # best first, in "higher is better" units
    rank = 1 + int((ordered > own * sign).sum())
    rows = []
    for k in places:
        target = rank - int(k)
        if target < 1:
            rows.append({"places": int(k), "target_rank": pd.NA, "score_needed": float("nan"),
                         "points_needed": float("nan"), "rank_reached": pd.NA})
            continue
        need = ordered[target - 1]
        reached = 1 + int((ordered > need).sum())
        rows.append({"places": int(k), "target_rank": target, "score_needed": need * sign,
                     "points_needed": (need - own * sign), "rank_reached": reached})
    out = pd.DataFrame(rows)
    out.attrs.update(unit=unit, rank=rank, score=own)
    for c in ("target_rank", "rank_reached"):
        out[c] = out[c].astype("Int64")
    return out


def points_per_place(table: pd.DataFrame, *, from_rank: int = 1, to_rank: int | None = None,
                     score_column: str = "score", higher_is_better: bool = True) -> float:
    """Average score distance per place between two ranks of a one-year table:
    (score at ``from_rank`` - score at ``to_rank``) / (to_rank - from_rank), on scores
    sorted best first. A crowded middle of the table means few points per place."""
    s = np.sort(table[score_column].astype(float).dropna().to_numpy() * (1 if higher_is_better else -1))[::-1]
    to_rank = len(s) if to_rank is None else to_rank
    if not 1 <= from_rank < to_rank <= len(s):
        raise DataError([Problem(column=score_column, value=(from_rank, to_rank),
                                 expected=f"1 <= from_rank < to_rank <= {len(s)} (number of scores)")])
    return float((s[from_rank - 1] - s[to_rank - 1]) / (to_rank - from_rank))


# ---------------------------------------------------------------------------------------
# Decomposing a composite score change into weighted sub-index contributions
# ---------------------------------------------------------------------------------------

#: PCI sub-index weights (VCCI PCI handbook 2016, INDICATORS.md §4.4), as shares of 1. The
#: composite is 10 x sum(weight x sub-index) on the 0-100 scale; these weights reproduce the
#: published PCI exactly for 2013-2021 (checked in tests/test_ranking_tables.py). Earlier
#: editions used other sub-index sets and weights (see ``BREAKS``).
PCI_WEIGHTS = {
    "entry": 0.05, "land": 0.05, "transparency": 0.20, "time": 0.05, "informal": 0.10,
    "bias": 0.05, "proactive": 0.05, "support": 0.20, "labor": 0.20, "legal": 0.05,
}
PCI_SUBINDEX_LABELS = {
    "vi": {"entry": "Gia nhập thị trường", "land": "Tiếp cận đất đai", "transparency": "Tính minh bạch",
           "time": "Chi phí thời gian", "informal": "Chi phí không chính thức", "bias": "Cạnh tranh bình đẳng",
           "proactive": "Tính năng động", "support": "Hỗ trợ doanh nghiệp", "labor": "Đào tạo lao động",
           "legal": "Thiết chế pháp lý"},
    "en": {"entry": "Entry costs", "land": "Land access", "transparency": "Transparency", "time": "Time costs",
           "informal": "Informal charges", "bias": "Equal competition (policy bias)", "proactive": "Proactivity",
           "support": "Business support", "labor": "Labour training", "legal": "Legal institutions"},
}
#: Column names of the PCI sub-indices in the published datasets the project reads in tests.
#: vietnamdata (mdtrinh): pci_<name>. Provincial panel (letrinhan): PCI1..PCI10, order found by
#: matching its 2013-2016 values to vietnamdata (PCI6-PCI9 = proactive, support, labor, legal;
#: PCI10 = bias), not documented in the file.
PCI_COLUMNS_VIETNAMDATA = {f"pci_{k}": k for k in PCI_WEIGHTS}
PCI_COLUMNS_PANEL = {"PCI1": "entry", "PCI2": "land", "PCI3": "transparency", "PCI4": "time", "PCI5": "informal",
                     "PCI6": "proactive", "PCI7": "support", "PCI8": "labor", "PCI9": "legal", "PCI10": "bias"}


def decompose_change(before: Mapping | pd.Series, after: Mapping | pd.Series, weights: Mapping[str, float], *,
                     multiplier: float = 10.0, composite_before: float | None = None,
                     composite_after: float | None = None, lang: str = "en",
                     labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Split a composite score change into sub-index contributions:
    contribution_i = multiplier x weight_i x (after_i - before_i).

    For the PCI (sub-indices on 0-10, weights summing to 1, composite on 0-100) the
    multiplier is 10: one more point of "transparency" (weight 0.20) is 2.0 PCI points.
    When both composites are given, a last row ``residual`` holds the published change
    minus the sum of contributions (0 when the weights are the edition's own; otherwise
    the effect of other weights, rounding or rescaling). ``share`` = contribution / total
    published change (or / sum of contributions)."""
    before = pd.Series(before, dtype=float)
    after = pd.Series(after, dtype=float)
    rows = []
    for k, w in weights.items():
        b, a = before.get(k, float("nan")), after.get(k, float("nan"))
        rows.append({"sub_index": k, "label": (labels or {}).get(k, PCI_SUBINDEX_LABELS.get(lang, {}).get(k, k)),
                     "weight": float(w), "before": b, "after": a, "change": a - b,
                     "contribution": multiplier * float(w) * (a - b)})
    out = pd.DataFrame(rows)
    total = out["contribution"].sum(min_count=1)
    if composite_before is not None and composite_after is not None:
        published = float(composite_after) - float(composite_before)
        out = pd.concat([out, pd.DataFrame([{
            "sub_index": "residual", "label": "residual" if lang != "vi" else "phần dư",
            "weight": float("nan"), "before": float(composite_before), "after": float(composite_after),
            "change": published, "contribution": published - total}])], ignore_index=True)
        total = published
    out["share"] = out["contribution"] / total if total else float("nan")
    return out


def decompose_table_change(table: pd.DataFrame, unit, year_before: int, year_after: int,
                           columns: Mapping[str, str], weights: Mapping[str, float] = PCI_WEIGHTS, *,
                           multiplier: float = 10.0, lang: str = "en") -> pd.DataFrame:
    """``decompose_change`` for one unit between two years of a full table loaded with its
    sub-index columns (``load_ranking_table(..., keep_columns=list(columns))``); ``columns``
    maps the table's column names to the weights' keys (e.g. ``PCI_COLUMNS_PANEL``). The
    residual row compares with the table's own composite scores."""
    rows = {}
    for y in (year_before, year_after):
        part = table[table["year"] == y].reset_index(drop=True)
        i = _locate(part, unit, None)
        rows[y] = part.loc[i]
    def subs(r):
        return {k: pd.to_numeric(r[c], errors="coerce") for c, k in columns.items()}
    return decompose_change(subs(rows[year_before]), subs(rows[year_after]), weights, multiplier=multiplier,
                            composite_before=float(rows[year_before]["score"]),
                            composite_after=float(rows[year_after]["score"]), lang=lang)


# ---------------------------------------------------------------------------------------
# Full ranking tables as published (all provinces in a year), CSV or Excel
# ---------------------------------------------------------------------------------------

RANKING_TABLE_COLUMNS = ["index", "year", "unit_name", "unit_code", "score", "rank", "rank_published",
                         "rank_computed", "n_ranked", "source"]


def _comment_lines(path: Path) -> int:
    """Number of leading lines starting with '#' (a header of provenance notes)."""
    n = 0
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n


def _read_any(path: Path, *, sheet, header_hint: list[str]) -> tuple[pd.DataFrame, int, str | None]:
    """Read a published table as text. Returns the frame, the file line/row number of its
    first data row, and the sheet name (Excel)."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        skip = _comment_lines(path)
        try:
            df = pd.read_csv(path, skiprows=skip, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise DataError([Problem(file=str(path), expected=f"a UTF-8 CSV table ({exc})")]) from None
        return df, skip + 2, None
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        try:
            book = pd.read_excel(path, sheet_name=None if sheet is None else sheet, header=None, dtype=str)
        except ValueError as exc:
            raise DataError([Problem(file=str(path), sheet=str(sheet) if sheet is not None else None,
                                     expected=f"a readable workbook / existing sheet ({exc})")]) from None
        if isinstance(book, dict):
            name, raw = next(iter(book.items()))
        else:
            name, raw = sheet, book
        raw = raw.fillna("")
        want = {h.strip().lower() for h in header_hint}
        for i in range(min(len(raw), 40)):
            cells = {str(v).strip().lower() for v in raw.iloc[i].tolist()}
            if want <= cells:
                header = [str(v).strip() for v in raw.iloc[i].tolist()]
                df = raw.iloc[i + 1:].copy()
                df.columns = header
                df = df.reset_index(drop=True)
                return df, i + 2, str(name)
        raise DataError([Problem(file=str(path), sheet=str(name), column=", ".join(header_hint),
                                 expected="a header row naming these columns within the first 40 rows")])
    raise DataError([Problem(file=str(path), value=path.suffix, expected="a .csv or .xlsx ranking table")])


def _number(text: str, decimal: str) -> float:
    t = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal == ",":
        t = t.replace(".", "").replace(",", ".") if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", t) else t.replace(",", ".")
    return float(t)


def load_ranking_table(path, *, index: str, year: int | None = None, score_column: str,
                       unit_column: str, rank_column: str | None = None, year_column: str | None = None,
                       higher_is_better: bool = True, sheet=None, n_ranked: int | None = None,
                       decimal: str = ".", na_values: Iterable[str] = (), check_ranks: bool = True,
                       keep_columns: Iterable[str] = (), where: Mapping[str, str] | None = None,
                       units: pd.DataFrame | None = None) -> pd.DataFrame:
    """A full published ranking table (every province in a year, or several years with a
    ``year_column``) from CSV or Excel, as a tidy frame with ranks recomputed.

    Leading ``#`` lines of a CSV are skipped (provenance headers); in a workbook the header
    row is the first row naming ``unit_column`` and ``score_column``. ``rank_computed`` is
    the competition rank of the score within each year; ``rank`` is the published rank
    (``rank_column``) where given, else the computed one. With ``check_ranks`` a published
    rank that differs from the computed one is a DataError (pass ``check_ranks=False`` to
    keep such a table and compare ``rank_published`` with ``rank_computed`` yourself).
    ``n_ranked`` defaults to the number of scored units in the year (give it when the table
    is an excerpt). ``where`` keeps only rows whose columns equal the given text (a file
    holding several tables, e.g. ``where={"table": "provinces_year_to_date_2025"}``).
    ``unit_code`` is filled where a name matches a known unit (``units``,
    default the package's Nghệ An list, so "Nghệ An" -> "40")."""
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(file=str(path), expected="an existing ranking table file")])
    if year is None and year_column is None:
        raise DataError([Problem(file=str(path), expected="the table's year: pass year=... or year_column=...")])
    if decimal not in {".", ","}:
        raise DataError([Problem(file=str(path), value=decimal, expected="decimal='.' or decimal=','")])
    where = dict(where or {})
    needed = [unit_column, score_column] + [c for c in (rank_column, year_column) if c] + list(keep_columns) \
        + list(where)
    raw, first_line, sheet_name = _read_any(path, sheet=sheet, header_hint=[unit_column, score_column])
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise DataError([Problem(file=str(path), sheet=sheet_name, column=c,
                                 expected=f"this column in the table (columns found: {', '.join(map(str, raw.columns))})")
                         for c in missing])
    for c, v in where.items():
        raw = raw[raw[c].astype(str).str.strip() == str(v)]
        if raw.empty:
            raise DataError([Problem(file=str(path), sheet=sheet_name, column=c, value=v,
                                     expected="a value present in this column (no row selected)")])
    na = {str(v).strip() for v in na_values} | {"", "NA", "N/A", "-", "–", "nan", "NaN"}
    problems: list[Problem] = []

    def line(i: int) -> int:
        return first_line + int(i)

    def parse(col: str, whole: bool) -> pd.Series:
        out = []
        for i, v in raw[col].items():
            t = "" if v is None else str(v).strip()
            if t in na:
                out.append(float("nan"))
                continue
            try:
                f = _number(t, decimal)
                if whole and f != int(f):
                    raise ValueError
                out.append(f)
            except ValueError:
                hint = "a whole number" if whole else (
                    "a number" + (" (this looks like a decimal comma: pass decimal=',')"
                                  if decimal == "." and re.fullmatch(r"-?\d+,\d+", t) else ""))
                problems.append(Problem(file=str(path), sheet=sheet_name, row=line(i), column=col, value=v,
                                        expected=hint))
                out.append(float("nan"))
        return pd.Series(out, index=raw.index, dtype=float)

    score = parse(score_column, whole=False)
    published = parse(rank_column, whole=True) if rank_column else pd.Series(float("nan"), index=raw.index)
    if year_column:
        years = parse(year_column, whole=True)
    else:
        years = pd.Series(float(year), index=raw.index)
    names = raw[unit_column].map(lambda v: "" if v is None else str(v).strip())
    for i, nm in names.items():
        if nm == "":
            problems.append(Problem(file=str(path), sheet=sheet_name, row=line(i), column=unit_column, value=nm,
                                    expected="a unit name"))
    if problems:
        raise DataError(problems, file=str(path))
    df = pd.DataFrame({"year": years, "unit_name": names, "score": score, "rank_published": published})
    for c in keep_columns:
        df[c] = raw[c]
    df["src_line"] = [line(i) for i in raw.index]
    if year is not None and year_column:
        df = df[df["year"] == float(year)]
    if df.empty:
        raise DataError([Problem(file=str(path), column=year_column, value=year, expected="rows for this year")])
    dup = df.duplicated(["year", "unit_name"], keep="first")
    if dup.any():
        raise DataError([Problem(file=str(path), sheet=sheet_name, row=int(r.src_line), column=unit_column,
                                 value=r.unit_name, expected="one row per unit and year (duplicate found)")
                         for r in df[dup].itertuples()], file=str(path))
    df["rank_computed"] = df.groupby("year")["score"].transform(
        lambda s: competition_rank(s, higher_is_better=higher_is_better).astype(float))
    if n_ranked is not None:
        df["n_ranked"] = float(n_ranked)
    else:
        df["n_ranked"] = df.groupby("year")["score"].transform(lambda s: float(s.notna().sum()))
    if rank_column and check_ranks:
        bad = df["rank_published"].notna() & df["rank_computed"].notna() & (df["rank_published"] != df["rank_computed"])
        if bad.any():
            raise DataError([Problem(file=str(path), sheet=sheet_name, row=int(r.src_line), column=rank_column,
                                     value=int(r.rank_published),
                                     expected=f"rank {int(r.rank_computed)} computed from '{score_column}' "
                                              "(competition ranking: tied scores share the best rank); pass "
                                              "check_ranks=False to keep the published ranks")
                             for r in df[bad].itertuples()], file=str(path))
    df["rank"] = df["rank_published"].where(df["rank_published"].notna(), df["rank_computed"])
    from paranalysis.units import UnitMatcher, package_units

    matcher = UnitMatcher(package_units() if units is None else units)
    df["unit_code"] = df["unit_name"].map(lambda n: matcher.resolve(n, level="province")
                                          if matcher.resolve(n, level="province") else None).astype(object)
    df["index"] = index
    df["source"] = path.name + (f" [{sheet_name}]" if sheet_name else "")
    for c in ("year", "rank", "rank_published", "rank_computed", "n_ranked"):
        df[c] = df[c].astype("Int64")
    df = df.sort_values(["year", "rank_computed", "unit_name"], na_position="last").reset_index(drop=True)
    return df[RANKING_TABLE_COLUMNS + [c for c in keep_columns if c not in RANKING_TABLE_COLUMNS]]


def table_to_rankings(table: pd.DataFrame, *, scale: str | None = None, source: str | None = None,
                      note: str | None = None) -> pd.DataFrame:
    """Rows of a full ranking table for the units with a known ``unit_code`` (e.g. Nghệ An),
    in the ``rankings`` table's columns, ready to append to a dataset's rankings file."""
    from paranalysis.schemas import RANKING_COLUMNS, validate

    sub = table[table["unit_code"].notna()]
    out = pd.DataFrame({
        "index": sub["index"].astype(str), "year": sub["year"].astype("Int64"),
        "unit_code": sub["unit_code"].astype(str), "rank": sub["rank"].astype("Int64"),
        "n_ranked": sub["n_ranked"].astype("Int64"), "score": sub["score"].astype(float),
        "scale": scale, "source": source if source is not None else sub["source"].astype(str),
        "derived": sub["rank_published"].isna(), "synthetic": False, "note": note,
    })
    for c in ("scale", "note"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return validate(out[RANKING_COLUMNS].reset_index(drop=True), "rankings")


def reference_data_dir() -> Path | None:
    """The shared reference-data folder next to the repository (``<repo>/../shared/
    reference-data``), if present: published full tables used by the reference tests and
    optional notebook cells. None on a fresh clone. ``PARANALYSIS_REFERENCE_DATA`` overrides."""
    env = os.environ.get("PARANALYSIS_REFERENCE_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    for start in starts:
        for p in [start, *start.parents][:6]:
            cand = p / "shared" / "reference-data"
            if cand.is_dir():
                return cand
    return None


# ---------------------------------------------------------------------------------------
# Ranks against investment timing and processing indicators (district-level units)
# ---------------------------------------------------------------------------------------


def rank_correlation(x, y, *, method: str = "spearman", n_resamples: int = 9999, seed: int = 20240601,
                     alternative: str = "two-sided") -> dict:
    """Rank correlation with a small-sample p-value.

    - ``kendall``: Kendall's tau-b; exact p-value (scipy, ``method="exact"``) when there
      are no ties, otherwise a permutation p-value.
    - ``spearman``: Spearman's rho with a permutation p-value (exact enumeration when n! <=
      ``n_resamples``, else ``n_resamples`` seeded random permutations).

    Returns statistic, p_value, p_method, n. Pairs with a missing value are dropped."""
    from scipy import stats

    xs = pd.Series(x, dtype=float).reset_index(drop=True)
    ys = pd.Series(y, dtype=float).reset_index(drop=True)
    ok = xs.notna() & ys.notna()
    xa, ya = xs[ok].to_numpy(), ys[ok].to_numpy()
    n = len(xa)
    if n < 3 or np.unique(xa).size < 2 or np.unique(ya).size < 2:
        return {"method": method, "statistic": float("nan"), "p_value": float("nan"), "p_method": "not computable",
                "n": n}
    ties = np.unique(xa).size < n or np.unique(ya).size < n
    if method == "kendall" and not ties:
        res = stats.kendalltau(xa, ya, method="exact", alternative=alternative)
        return {"method": "kendall", "statistic": float(res.statistic), "p_value": float(res.pvalue),
                "p_method": "exact", "n": n}
    rx, ry = stats.rankdata(xa), stats.rankdata(ya)
    if method == "kendall":
        # tau-b from pair signs: sum(sx * sy) / sqrt(sum|sx| * sum|sy|); permuting x keeps its ties
        i, j = np.triu_indices(n, k=1)
        sy = np.sign(ry[j] - ry[i])

        def stat(a, axis=-1):
            a = np.moveaxis(a, axis, -1)
            sx = np.sign(a[..., j] - a[..., i])
            return (sx * sy).sum(-1) / np.sqrt(np.abs(sx).sum(-1) * np.abs(sy).sum())
    elif method == "spearman":
        cy = ry - ry.mean()

        def stat(a, axis=-1):  # Pearson correlation of the (average) ranks
            a = np.moveaxis(a, axis, -1)
            ca = a - a.mean(-1, keepdims=True)
            return (ca * cy).sum(-1) / np.sqrt((ca ** 2).sum(-1) * (cy ** 2).sum())
    else:
        raise ValueError("method must be 'spearman' or 'kendall'")
    res = stats.permutation_test((rx,), stat, permutation_type="pairings", n_resamples=n_resamples,
                                 alternative=alternative, vectorized=True, rng=np.random.default_rng(seed))
    exact = math.factorial(n) <= n_resamples
    return {"method": method, "statistic": float(res.statistic), "p_value": float(res.pvalue),
            "p_method": "exact permutation" if exact else f"permutation ({n_resamples:,} resamples)", "n": n}


def correlation_table(df: pd.DataFrame, outcome: str, drivers: Iterable[str], **kw) -> pd.DataFrame:
    """Spearman and Kendall correlations (with small-sample p-values) of ``outcome`` with
    each driver column: one row per driver."""
    rows = []
    for d in drivers:
        s = rank_correlation(df[d], df[outcome], method="spearman", **kw)
        k = rank_correlation(df[d], df[outcome], method="kendall", **kw)
        rows.append({"driver": d, "outcome": outcome, "n": s["n"], "spearman_rho": s["statistic"],
                     "spearman_p": s["p_value"], "spearman_p_method": s["p_method"], "kendall_tau": k["statistic"],
                     "kendall_p": k["p_value"], "kendall_p_method": k["p_method"]})
    return pd.DataFrame(rows)


def yearly_processing(processing: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year processing indicators per unit from the quarterly counts: on-time rate
    on the resolved basis ((early + on time) / resolved, variant A) and online share
    (online / newly received), both in %."""
    p = processing.copy()
    p["year"] = p["period"].dt.year.astype("Int64")
    cols = ["resolved_early", "resolved_on_time", "resolved_late", "received_online", "received_direct",
            "received_postal"]
    y = p.groupby(["unit_code", "year"])[cols].sum(min_count=1).reset_index()
    resolved = (y["resolved_early"] + y["resolved_on_time"] + y["resolved_late"]).astype(float)
    received = (y["received_online"] + y["received_direct"] + y["received_postal"]).astype(float)
    y["on_time_rate"] = 100.0 * (y["resolved_early"] + y["resolved_on_time"]).astype(float) / resolved
    y["online_share"] = 100.0 * y["received_online"].astype(float) / received
    y["quarters"] = p.groupby(["unit_code", "year"]).size().to_numpy()
    return y[["unit_code", "year", "quarters", "on_time_rate", "online_share"]]


def district_indices(rankings: pd.DataFrame, units: pd.DataFrame | None = None) -> list[str]:
    """Indices in the rankings table that rank district-level units, the one with the most
    years first."""
    from paranalysis.units import package_units

    u = package_units() if units is None else units
    districts = set(u.loc[u["level"] == "district", "unit_code"])
    r = rankings[rankings["unit_code"].isin(districts)]
    years = r.groupby("index")["year"].nunique().sort_values(ascending=False, kind="stable")
    return list(years.index)


def district_rank_changes(rankings: pd.DataFrame, investments: pd.DataFrame, processing: pd.DataFrame | None = None,
                          *, index: str = "DDCI", start: int | None = None, end: int | None = None,
                          units: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per unit ranked by ``index`` in both ``start`` and ``end`` years (default:
    first and last year of the index): rank, percentile and score change, investment timing
    and processing change over the same window.

    Investment columns, per category (``one_stop_facility``, ``online_meeting_system``):
    ``<cat>_since`` (first date in operation), ``<cat>_new`` (came into operation after the
    end of ``start`` and by the end of ``end``: the change it could explain),
    ``<cat>_years`` (years in operation at the end of ``end``, 0 if never). Processing
    columns: on-time rate and online share (calendar years ``start`` and ``end``) and their
    change in percentage points. ``footprint_changed`` marks a unit whose territory changed
    inside the window (Vinh from Dec 2024)."""
    r = rankings[rankings["index"] == index]
    if r.empty:
        raise DataError([Problem(column="index", value=index, expected="an index present in the rankings table")])
    years = sorted(int(y) for y in r["year"].dropna().unique())
    start = years[0] if start is None else int(start)
    end = years[-1] if end is None else int(end)
    a = r[r["year"] == start].set_index("unit_code")
    b = r[r["year"] == end].set_index("unit_code")
    codes = [c for c in a.index if c in b.index]
    out = pd.DataFrame({"unit_code": codes})
    out["rank_start"] = a.loc[codes, "rank"].astype("Int64").to_numpy()
    out["rank_end"] = b.loc[codes, "rank"].astype("Int64").to_numpy()
    out["n_start"] = a.loc[codes, "n_ranked"].astype("Int64").to_numpy()
    out["n_end"] = b.loc[codes, "n_ranked"].astype("Int64").to_numpy()
    out["places_gained"] = (out["rank_start"] - out["rank_end"]).astype("Int64")
    out["percentile_change"] = 100.0 * (rank_to_percentile(out["rank_end"], out["n_end"])
                                        - rank_to_percentile(out["rank_start"], out["n_start"]))
    out["score_start"] = a.loc[codes, "score"].astype(float).to_numpy()
    out["score_end"] = b.loc[codes, "score"].astype(float).to_numpy()
    out["score_change"] = out["score_end"] - out["score_start"]
    t0 = pd.Timestamp(f"{start}-12-31")
    t1 = pd.Timestamp(f"{end}-12-31")
    for cat in ("one_stop_facility", "online_meeting_system"):
        sel = investments[investments["category"] == cat]
        inv = pd.to_datetime(sel["date_in_operation"]).groupby(sel["unit_code"]).min()
        since = pd.to_datetime(out["unit_code"].map(inv))
        out[f"{cat}_since"] = since
        out[f"{cat}_new"] = (since > t0) & (since <= t1)
        out[f"{cat}_years"] = ((t1 - since).dt.days / 365.25).clip(lower=0).fillna(0.0).round(2)
    if processing is not None and len(processing):
        yp = yearly_processing(processing).set_index(["unit_code", "year"])
        for col in ("on_time_rate", "online_share"):
            s0 = [yp[col].get((c, start), float("nan")) for c in codes]
            s1 = [yp[col].get((c, end), float("nan")) for c in codes]
            out[f"{col}_start"] = s0
            out[f"{col}_end"] = s1
            out[f"{col}_change_pp"] = out[f"{col}_end"] - out[f"{col}_start"]
    br = method_breaks(index)
    changed = set(br[(br["kind"] == "method") & br["unit_code"].notna() & (br["year"] > start)
                     & (br["year"] <= end)]["unit_code"])
    out["footprint_changed"] = out["unit_code"].isin(changed)
    from paranalysis.units import package_units

    u = (package_units() if units is None else units).set_index("unit_code")
    out.insert(1, "name", out["unit_code"].map(u["short_name_vi"]).fillna(out["unit_code"]))
    dropped = sorted(set(a.index) ^ set(b.index))
    out.attrs.update(index=index, start=start, end=end, not_in_both_years=dropped)
    return out


# ---------------------------------------------------------------------------------------
# Plots (paranalysis.style)
# ---------------------------------------------------------------------------------------


def _draw_trajectory(ax, rankings: pd.DataFrame, unit_code: str, indices, lang: str) -> list[str]:
    from paranalysis.style import PALETTE

    ch = rank_changes(rankings[rankings["unit_code"] == unit_code], lang=lang)
    order = list(indices) if indices is not None else list(dict.fromkeys(ch["index"]))
    drawn = []
    for j, ix in enumerate(order):
        d = ch[(ch["index"] == ix) & ch["rank"].notna()].sort_values("year")
        if d.empty:
            continue
        drawn.append(ix)
        color = PALETTE[j % len(PALETTE)]
        # cut the line where a break is crossed or a year is missing
        seg = (d["break_method"] | d["break_scale"] | d["break_units"]
               | (d["year"] - d["prev_year"] > 1).fillna(False)).cumsum()
        for _, part in d.assign(pct=100.0 * d["percentile"], seg=seg).groupby("seg"):
            ax.plot(part["year"].astype(int), part["pct"], color=color, lw=1.8)
        pub, der = d[~d["rank_derived"]], d[d["rank_derived"]]
        ax.plot(pub["year"].astype(int), 100.0 * pub["percentile"], "o", color=color, label=index_label(ix, lang))
        ax.plot(der["year"].astype(int), 100.0 * der["percentile"], "o", mfc="white", color=color)
        brk = d[d["break_method"] | d["break_scale"] | d["break_units"]]
        ax.plot(brk["year"].astype(int), 100.0 * brk["percentile"], "D", ms=9, mfc="none", color=color)
    from matplotlib.ticker import MaxNLocator

    ax.set_ylim(-3, 103)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.plot([], [], "o", mfc="white", color="#555555", label=_t(lang, "derived"))
    ax.plot([], [], "D", mfc="none", color="#555555", label=_t(lang, "break"))
    return drawn


@styled
def plot_trajectory(rankings: pd.DataFrame, unit_code: str = "40", *, indices: Iterable[str] | None = None,
                    lang: str = "vi", unit_name: str | None = None, title: str | None = None):
    """Percentile (relative position) of one unit across indices and years. Lines are cut
    at method / scale / number-of-units breaks (marked ◇); derived ranks are hollow."""
    import matplotlib.pyplot as plt

    from paranalysis.style import finish

    fig, ax = plt.subplots(figsize=(9, 5.5))
    _draw_trajectory(ax, rankings, unit_code, indices, lang)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8, ncol=3, frameon=False)
    name = unit_name or unit_code
    finish(fig, title=title or _t(lang, "trajectory_title").format(unit=name), caption=_t(lang, "trajectory_caption"),
           xlabel=_t(lang, "year"), ylabel=_t(lang, "percentile"), ax=ax)
    return fig


def province_fact_rates(facts: pd.DataFrame | None, unit_codes: Iterable[str] = ("40", "40-TTPVHCC"),
                        indicators: Iterable[str] = ("online_share", "on_time_resolved_basis",
                                                     "late_rate_resolved_basis")) -> pd.DataFrame:
    """Press figures (reported or derived from reported counts, ``indicators.fact_rates``)
    for the province and its service centre: one row per figure with the period's middle
    as a fractional year (``t``) and the value in %."""
    from paranalysis.indicators import fact_rates

    fr = fact_rates(facts)
    fr = fr[fr["unit_code"].isin(list(unit_codes)) & fr["indicator"].isin(list(indicators))].copy()
    if fr.empty:
        return fr.assign(t=pd.Series(dtype=float), percent=pd.Series(dtype=float))
    start = pd.to_datetime(fr["period_start"])
    end = pd.to_datetime(fr["period_end"])
    mid = start + (end - start) / 2
    fr["t"] = mid.dt.year + (mid.dt.day_of_year - 1) / 365.25
    fr["percent"] = 100.0 * fr["value"].astype(float)
    return fr.sort_values(["indicator", "t"]).reset_index(drop=True)


def units_with_investment(investments: pd.DataFrame, years: Iterable[int],
                          categories: Iterable[str] = ("one_stop_facility", "online_meeting_system")) -> pd.DataFrame:
    """Number of units with each investment category in operation at the end of each year."""
    rows = []
    for y in years:
        end = pd.Timestamp(f"{int(y)}-12-31")
        for c in categories:
            sel = investments[investments["category"] == c]
            first = pd.to_datetime(sel["date_in_operation"]).groupby(sel["unit_code"]).min()
            rows.append({"year": int(y), "category": c, "units": int((first <= end).sum())})
    return pd.DataFrame(rows)


@styled
def plot_province_timeline(rankings: pd.DataFrame, facts: pd.DataFrame | None, investments: pd.DataFrame, *,
                           unit_code: str = "40", indices: Iterable[str] | None = None, lang: str = "vi",
                           unit_name: str | None = None, since: int = 2016):
    """Three stacked panels on one time axis: the province's rank percentiles (top), the
    online share and on-time rate published in the press (middle) and the number of
    district-level units with each investment in operation (bottom, marked synthetic when
    it is), from the year ``since``. Description of one province over time, not inference."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, SYNTHETIC_COLOR, finish

    rankings = rankings[(rankings["unit_code"] == unit_code) & (rankings["year"] >= since)]
    fig, axes = plt.subplots(3, 1, figsize=(11.5, 9.5), sharex=True, height_ratios=[3, 2, 1.6])
    _draw_trajectory(axes[0], rankings, unit_code, indices, lang)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    axes[0].set_ylabel(_t(lang, "percentile"), fontsize=8.5)
    fr = province_fact_rates(facts, unit_codes=(unit_code, f"{unit_code}-TTPVHCC"))
    fr = fr[fr["t"] >= since]
    ax = axes[1]
    if fr.empty:
        ax.text(0.5, 0.5, _t(lang, "timeline_nofacts"), ha="center", va="center", transform=ax.transAxes,
                color="#555555")
    for j, (ind, g) in enumerate(fr.groupby("indicator", sort=True)):
        for centre, part in g.groupby(g["unit_code"] != unit_code):
            ax.plot(part["t"], part["percent"], "s" if centre else "o", color=PALETTE[(j + 4) % len(PALETTE)],
                    mfc="white" if centre else None, ls="none",
                    label=_t(lang, ind) + (" (TT PVHCC)" if centre else ""))
    if not fr.empty:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    ax.set_ylim(0, 105)
    ax.set_ylabel(_t(lang, "timeline_facts"), fontsize=8.5)
    years = range(int(since), int(rankings["year"].max()) + 1)
    inv = units_with_investment(investments, years)
    synthetic = bool(len(investments)) and bool(investments["synthetic"].any())
    ax = axes[2]
    for j, (c, g) in enumerate(inv.groupby("category", sort=True)):
        ax.step(g["year"], g["units"], where="post", color=SYNTHETIC_COLOR if synthetic else PALETTE[j],
                ls="-" if j == 0 else "--", label=_t(lang, c) + (_t(lang, "synthetic_short") if synthetic else ""))
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    ax.set_ylabel(_t(lang, "timeline_inv"), fontsize=8.5)
    finish(fig, title=_t(lang, "timeline_title").format(unit=unit_name or unit_code),
           caption=_t(lang, "timeline_caption").format(synthetic=_t(lang, "synthetic_note") if synthetic else ""),
           xlabel=_t(lang, "year"), ax=axes[2])
    return fig


def _p_method_text(p_method: str, lang: str) -> str:
    if lang != "vi":
        return p_method
    if p_method == "exact":
        return "chính xác"
    if p_method == "exact permutation":
        return "hoán vị, chính xác"
    m = re.match(r"permutation \(([\d,]+) resamples\)", p_method)
    return f"hoán vị ngẫu nhiên, {m.group(1).replace(',', '.')} lần" if m else p_method


@styled
def plot_labelled_scatter(df: pd.DataFrame, x: str, y: str, *, label: str = "name", lang: str = "vi",
                          title: str, xlabel: str, ylabel: str, highlight: str | None = None,
                          highlight_label: str | None = None, seed: int = 20240601):
    """Scatter of one point per unit with its name, and the Spearman correlation (with its
    small-sample p-value) in the caption. ``highlight`` names a boolean column drawn in a
    second colour (legend text ``highlight_label``)."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colors = [PALETTE[1] if (highlight and bool(v)) else PALETTE[0]
              for v in (df[highlight] if highlight else [False] * len(df))]
    ax.scatter(df[x].astype(float), df[y].astype(float), c=colors, s=36, zorder=3)
    if highlight:
        ax.scatter([], [], c=PALETTE[1], s=36, label=highlight_label or highlight)
        ax.scatter([], [], c=PALETTE[0], s=36, label=("các đơn vị khác" if lang == "vi" else "other units"))
        ax.legend(fontsize=8, loc="best")
    for xv, yv, lab in zip(df[x].astype(float), df[y].astype(float), df[label]):
        if not (pd.isna(xv) or pd.isna(yv)):
            ax.annotate(str(lab), (xv, yv), xytext=(4, 3), textcoords="offset points", fontsize=8)
    ax.axhline(0, color="#999999", lw=0.8)
    res = rank_correlation(df[x], df[y], method="spearman", seed=seed)
    cap = _t(lang, "scatter_caption").format(rho=f"{res['statistic']:.2f}", p=f"{res['p_value']:.3f}",
                                             pm=_p_method_text(res["p_method"], lang), n=res["n"])
    finish(fig, title=title, caption=cap, xlabel=xlabel, ylabel=ylabel, ax=ax)
    return fig


@styled
def plot_points_to_gain(gain: pd.DataFrame, *, unit: str, index: str, year: int, lang: str = "vi"):
    """Bar chart of ``points_to_gain`` output: points needed for 1, 2, 3, ... places."""
    import matplotlib.pyplot as plt

    from paranalysis.style import PALETTE, finish

    d = gain.dropna(subset=["points_needed"])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(d["places"].astype(str), d["points_needed"], color=PALETTE[0])
    for xv, yv in zip(d["places"].astype(str), d["points_needed"]):
        ax.annotate(f"{yv:.2f}", (xv, yv), ha="center", va="bottom", fontsize=8)
    finish(fig, title=_t(lang, "points_title"),
           caption=_t(lang, "points_caption").format(unit=unit, index=index_label(index, lang), year=year),
           xlabel=_t(lang, "points_xlabel"), ylabel=_t(lang, "points_ylabel"), ax=ax)
    return fig
