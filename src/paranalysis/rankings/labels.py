"""Display names of the ranking indices and the texts of this package, in Vietnamese and English."""

from __future__ import annotations

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
