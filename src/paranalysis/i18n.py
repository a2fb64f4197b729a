"""One translation table for the labels, titles and captions of the reports.

Vietnamese (``vi``) is the default language; English (``en``) is offered on request.
Every key has both languages and the same ``{placeholders}`` in each (tests check).

    >>> t("report.title", "en", quarter="Q2 2024")
    'Public administration reform: key findings for Q2 2024'

Numbers and quarters are written the way each language reads them: ``fmt_pct(96.57,
"vi")`` gives ``"96,57%"``, ``quarter_label("2024Q2", "vi")`` gives ``"Quý II/2024"``.
"""

from __future__ import annotations

import math

import pandas as pd

from paranalysis.periods import QUARTER_ROMAN

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

# key -> {lang: text}. Keep keys grouped by the report part that uses them.
TRANSLATIONS: dict[str, dict[str, str]] = {
    # --- report frame -------------------------------------------------------------
    "report.title": {
        "vi": "Cải cách hành chính: những điểm chính {quarter}",
        "en": "Public administration reform: key findings for {quarter}",
    },
    "report.subtitle": {
        "vi": "Báo cáo dành cho lãnh đạo, tỉnh Nghệ An. Số liệu đến hết {quarter}.",
        "en": "Report for the leadership of Nghe An province. Data up to the end of {quarter}.",
    },
    "report.index_title": {
        "vi": "Báo cáo phân tích cải cách hành chính — {quarter}",
        "en": "Public administration reform analysis reports — {quarter}",
    },
    "report.index_intro": {
        "vi": "Các báo cáo dưới đây được tạo tự động từ cùng một bộ dữ liệu. Mở bằng trình duyệt, không cần mạng Internet.",
        "en": "The reports below were produced automatically from one dataset. Open them in any browser; no internet is needed.",
    },
    "report.all_runs": {
        "vi": "Tất cả các lần chạy báo cáo",
        "en": "All report runs",
    },
    "report.status_ok": {"vi": "hoàn thành", "en": "complete"},
    "report.status_failed": {"vi": "LỖI: báo cáo chưa hoàn thành", "en": "FAILED: report incomplete"},
    "report.language": {"vi": "Ngôn ngữ", "en": "Language"},
    # --- what a data folder holds (paranalysis.availability) ----------------------------------
    "avail.skipped": {"vi": "Phần này được bỏ qua.", "en": "This section is skipped."},
    "avail.processing": {
        "vi": "Thư mục dữ liệu {folder} chưa có số liệu giải quyết hồ sơ. Nạp báo cáo quý (biểu mẫu chính thức) bằng lệnh "
              "`paranalysis ingest bao_cao_quy.xlsx --data <thư mục dữ liệu>` (docs/quarterly-cycle.md).",
        "en": "The data folder {folder} holds no processing counts. Add a quarter's official report form with "
              "`paranalysis ingest bao_cao_quy.xlsx --data <data folder>` (docs/quarterly-cycle.md).",
    },
    "avail.whole_years": {
        "vi": "Chưa có năm nào đủ bốn quý số liệu (số liệu hiện có từ {first} đến {last}), nên chưa có bảng theo năm. "
              "Bảng này sẽ có khi thư mục dữ liệu có đủ bốn quý của một năm: nạp thêm các quý bằng `paranalysis ingest`.",
        "en": "No calendar year has all four quarters yet (the data run from {first} to {last}), so there is no "
              "yearly table. It appears once the data folder holds the four quarters of a year: add quarters with "
              "`paranalysis ingest`.",
    },
    "avail.investments": {
        "vi": "Chưa có khoản đầu tư nào được đăng ký: thư mục dữ liệu {folder} không có sổ đầu tư (tệp `investments*.csv`), "
              "nên chưa thể xem đầu tư đi cùng tốc độ giải quyết hồ sơ ra sao. Cách bổ sung: đặt vào thư mục dữ liệu một "
              "tệp `investments.csv`, mỗi dòng một khoản đầu tư đã đưa vào vận hành, với các cột `unit_code`, "
              "`date_in_operation`, `category` (`one_stop_facility`, `online_meeting_system` hoặc `other`), `amount_vnd`, "
              "`endpoints`, `description`, `source`, `synthetic` (docs/data.md, mục 1); kiểm tra bằng "
              "`paranalysis validate <thư mục dữ liệu>`, rồi chạy lại `paranalysis run`.",
        "en": "No investments registered: the data folder {folder} has no investment register (file "
              "`investments*.csv`), so how investment goes with processing speed cannot be shown. To add it: put an "
              "`investments.csv` in the data folder, one row per investment put into operation, with the columns "
              "`unit_code`, `date_in_operation`, `category` (`one_stop_facility`, `online_meeting_system` or `other`), "
              "`amount_vnd`, `endpoints`, `description`, `source`, `synthetic` (docs/data.md, section 1); check it with "
              "`paranalysis validate <data folder>`, then run `paranalysis run` again.",
    },
    "avail.investment_effects": {
        "vi": "Sổ đầu tư chưa đủ để ước lượng tác động của {categories}: mô hình cần ít nhất {n} đơn vị đưa đầu tư vào "
              "vận hành sau quý đầu tiên của số liệu và đến quý báo cáo (để có các quý trước khi đầu tư), và ít nhất {n} "
              "đơn vị chưa đầu tư để so sánh. Bổ sung các khoản đầu tư còn thiếu vào `investments*.csv`, hoặc nạp thêm "
              "các quý trước đó bằng `paranalysis ingest`.",
        "en": "The investment register is not enough to estimate the effect of {categories}: the model needs at least "
              "{n} units that put an investment into operation after the first quarter of the data and by the report "
              "quarter (so they have quarters before it) and at least {n} units that never invested, for comparison. "
              "Add the missing investments to `investments*.csv`, or add earlier quarters with `paranalysis ingest`.",
    },
    "avail.cat.one_stop_facility": {"vi": "Bộ phận Một cửa nâng cấp", "en": "the upgraded one-stop facility"},
    "avail.cat.online_meeting_system": {"vi": "hệ thống họp trực tuyến", "en": "the online meeting system"},
    "avail.rankings": {
        "vi": "Chưa có số liệu xếp hạng của tỉnh: thư mục dữ liệu {folder} không có tệp `rankings*.csv`. Cách bổ sung: "
              "chép thư mục `data/rankings/` đi kèm gói (thứ hạng công bố của Nghệ An, mỗi dòng có nguồn) vào thư mục dữ "
              "liệu (docs/quarterly-cycle.md, mục 0; docs/rankings.md), rồi chạy lại `paranalysis run`.",
        "en": "No rankings of the province: the data folder {folder} has no `rankings*.csv` file. To add them: copy "
              "the package's `data/rankings/` folder (Nghe An's published ranks, each row with its source) into the "
              "data folder (docs/quarterly-cycle.md, section 0; docs/rankings.md), then run `paranalysis run` again.",
    },
    "avail.district_rankings": {
        "vi": "Thư mục dữ liệu {folder} chưa có bảng xếp hạng các đơn vị cấp huyện (ví dụ DDCI). Nếu tỉnh có bảng "
              "này, thêm các dòng (mỗi đơn vị một dòng mỗi năm) vào một tệp `rankings*.csv` (docs/rankings.md).",
        "en": "The data folder {folder} holds no ranking of district-level units (such as a DDCI). If the province has "
              "one, add its rows (one per unit and year) to a `rankings*.csv` file (docs/rankings.md).",
    },
    "avail.facts": {
        "vi": "Thư mục dữ liệu {folder} chưa có số liệu báo chí (tệp `facts*.csv`). Số liệu báo chí thật đi kèm gói nằm "
              "trong `data/facts/`: chép thư mục này vào thư mục dữ liệu để đặt chúng cạnh số liệu (docs/data.md, mục 5).",
        "en": "The data folder {folder} holds no press figures (file `facts*.csv`). The real press figures shipped "
              "with the package are in `data/facts/`: copy that folder into the data folder to set them beside the "
              "data (docs/data.md, section 5).",
    },
    "avail.service_index": {
        "vi": "Thư mục dữ liệu {folder} chưa có bảng điểm Bộ chỉ số 766 (thư mục `service_index/`). Lấy bảng điểm bằng "
              "lệnh `paranalysis fetch-service-index` (docs/service-index.md).",
        "en": "The data folder {folder} holds no Decision 766 scorecard (folder `service_index/`). Fetch it with "
              "`paranalysis fetch-service-index` (docs/service-index.md).",
    },
    "avail.records": {
        "vi": "Thư mục dữ liệu {folder} chưa có tệp xuất hồ sơ (`records*.csv` hoặc `records*.parquet`); phần thời gian "
              "chờ dùng hồ sơ minh họa (docs/records.md).",
        "en": "The data folder {folder} holds no record-level export (`records*.csv` or `records*.parquet`); the "
              "waiting-time notebook uses synthetic dossiers (docs/records.md).",
    },
    "avail.col_part": {"vi": "Phần dữ liệu", "en": "Part of the data"},
    "avail.col_present": {"vi": "Có trong thư mục", "en": "In the folder"},
    "avail.col_todo": {"vi": "Còn thiếu và cách bổ sung", "en": "What is missing and how to add it"},
    "avail.yes": {"vi": "có", "en": "yes"},
    "avail.no": {"vi": "chưa có", "en": "missing"},
    "avail.part.processing": {"vi": "Số liệu giải quyết hồ sơ theo quý", "en": "Quarterly processing counts"},
    "avail.part.whole_years": {"vi": "Năm đủ bốn quý", "en": "Whole years (four quarters)"},
    "avail.part.investments": {"vi": "Sổ đầu tư", "en": "Investment register"},
    "avail.part.investment_effects": {"vi": "Đủ số liệu để ước lượng tác động đầu tư",
                                      "en": "Enough data to estimate investment effects"},
    "avail.part.rankings": {"vi": "Xếp hạng của tỉnh", "en": "Rankings of the province"},
    "avail.part.district_rankings": {"vi": "Xếp hạng cấp huyện", "en": "District-level rankings"},
    "avail.part.facts": {"vi": "Số liệu báo chí", "en": "Press figures"},
    "avail.part.service_index": {"vi": "Bảng điểm Bộ chỉ số 766", "en": "Decision 766 scorecard"},
    "avail.part.records": {"vi": "Tệp xuất hồ sơ", "en": "Record-level exports"},
    # --- provenance footer ----------------------------------------------------------
    "prov.heading": {"vi": "Nguồn gốc báo cáo", "en": "Provenance of this report"},
    "prov.data": {"vi": "Thư mục dữ liệu", "en": "Data folder"},
    "prov.bundled": {"vi": "dữ liệu đi kèm gói phần mềm", "en": "data bundled with the package"},
    "prov.vintage": {"vi": "Số liệu xử lý hồ sơ", "en": "Processing data"},
    "prov.vintage_value": {
        "vi": "{first} đến {last} ({n_units} đơn vị, {n_rows} dòng)",
        "en": "{first} to {last} ({n_units} units, {n_rows} rows)",
    },
    "prov.investments": {"vi": "Sổ đầu tư", "en": "Investment register"},
    "prov.investments_value": {
        "vi": "{n} khoản, vận hành từ {first} đến {last}",
        "en": "{n} items in operation from {first} to {last}",
    },
    "prov.rankings": {"vi": "Xếp hạng", "en": "Rankings"},
    "prov.rankings_value": {"vi": "{indices}; các năm {first}–{last}", "en": "{indices}; years {first}–{last}"},
    "prov.none": {"vi": "không có", "en": "none"},
    "prov.files": {"vi": "Tệp đầu vào (mã kiểm tra SHA-256)", "en": "Input files (SHA-256 checksums)"},
    "prov.last_ingest": {"vi": "Lần nhập số liệu gần nhất", "en": "Latest data ingest"},
    "prov.version": {"vi": "Phiên bản paranalysis", "en": "paranalysis version"},
    "prov.commit": {"vi": "Mã phiên bản mã nguồn (git)", "en": "Source commit (git)"},
    "prov.unavailable": {"vi": "không xác định", "en": "not available"},
    "prov.parameters": {"vi": "Tham số", "en": "Parameters"},
    "prov.run_time": {"vi": "Thời điểm chạy", "en": "Run time"},
    "prov.run_time_value": {"vi": "{start} (mất {seconds} giây)", "en": "{start} (took {seconds} s)"},
    "prov.synthetic_rows": {"vi": "Dòng dữ liệu giả lập", "en": "Synthetic rows"},
    # --- headline indicators --------------------------------------------------------
    "head.heading": {"vi": "1. Các chỉ số chính", "en": "1. Headline indicators"},
    "head.indicator": {"vi": "Chỉ số", "en": "Indicator"},
    "head.this_quarter": {"vi": "Quý này", "en": "This quarter"},
    "head.prev_quarter": {"vi": "Quý trước", "en": "Previous quarter"},
    "head.prev_year": {"vi": "Cùng kỳ năm trước", "en": "Same quarter last year"},
    "head.change_q": {"vi": "Thay đổi so với quý trước", "en": "Change since previous quarter"},
    "head.change_y": {"vi": "Thay đổi so với cùng kỳ", "en": "Change since last year"},
    "head.note_pp": {
        "vi": "Thay đổi của các tỷ lệ tính bằng điểm phần trăm (đpt); của số hồ sơ tính bằng %.",
        "en": "Changes in rates are in percentage points (pp); changes in record counts are in %.",
    },
    "head.units_reporting": {
        "vi": "{n} trên {n_total} đơn vị có số liệu trong quý.",
        "en": "{n} of {n_total} units reported data for the quarter.",
    },
    "ind.received": {"vi": "Hồ sơ mới tiếp nhận", "en": "New records received"},
    "ind.resolved": {"vi": "Hồ sơ đã giải quyết", "en": "Records resolved"},
    "ind.on_time_rate": {
        "vi": "Tỷ lệ giải quyết đúng và trước hạn (%)",
        "en": "Resolved early or on time (%)",
    },
    "ind.late_rate": {"vi": "Tỷ lệ giải quyết quá hạn (%)", "en": "Resolved late (%)"},
    "ind.online_share": {"vi": "Tỷ lệ hồ sơ trực tuyến (%)", "en": "Online share of new records (%)"},
    "ind.overdue_backlog_share": {
        "vi": "Hồ sơ đang giải quyết đã quá hạn (%)",
        "en": "Records in progress that are overdue (%)",
    },
    "ind.satisfaction": {"vi": "Tỷ lệ đánh giá hài lòng (%)", "en": "Satisfied ratings (%)"},
    "unit.pp": {"vi": "đpt", "en": "pp"},
    "out.late_rate_resolved_basis": {"vi": "tỷ lệ giải quyết quá hạn", "en": "the late rate"},
    "out.online_share": {"vi": "tỷ lệ hồ sơ trực tuyến", "en": "the online share of new records"},
    "out.overdue_backlog_share": {
        "vi": "tỷ lệ hồ sơ đang giải quyết đã quá hạn",
        "en": "the share of records in progress that are overdue",
    },
    "word.na": {"vi": "—", "en": "—"},
    # --- funnel -------------------------------------------------------------------------
    "funnel.heading": {"vi": "2. Đơn vị nổi bật", "en": "2. Units that stand out"},
    "funnel.title": {
        "vi": "Tỷ lệ giải quyết quá hạn theo số hồ sơ, {quarter}",
        "en": "Late rate by number of records resolved, {quarter}",
    },
    "funnel.worse": {
        "vi": "Kém hơn mức chung một cách bất thường (cần xem xét): {units}.",
        "en": "Unusually worse than the province (needs attention): {units}.",
    },
    "funnel.better": {
        "vi": "Tốt hơn mức chung một cách bất thường: {units}.",
        "en": "Unusually better than the province: {units}.",
    },
    "funnel.high": {"vi": "Cao bất thường: {units}.", "en": "Unusually high: {units}."},
    "funnel.low": {"vi": "Thấp bất thường: {units}.", "en": "Unusually low: {units}."},
    "funnel.explain": {
        "vi": ("Biểu đồ phễu so sánh tỷ lệ quá hạn của từng đơn vị với mức chung của tỉnh, có tính đến số hồ sơ: "
               "đơn vị nhỏ dao động ngẫu nhiên nhiều hơn. Chỉ đơn vị nằm ngoài giới hạn 99,8% mới được nêu tên."),
        "en": ("The funnel chart compares each unit's late rate with the provincial rate, allowing for its number of "
               "records: small units vary more by chance. Only units outside the 99.8% limits are named."),
    },
    "funnel.none": {
        "vi": "Không đơn vị nào nằm ngoài giới hạn 99,8%.",
        "en": "No unit lies outside the 99.8% limits.",
    },
    # --- investments and models ------------------------------------------------------
    "inv.heading": {"vi": "3. Đầu tư và tác động", "en": "3. Investments and their effect"},
    "inv.title": {
        "vi": "Số đơn vị đã đưa đầu tư vào vận hành, đến {quarter}",
        "en": "Units with the investment in operation, up to {quarter}",
    },
    "inv.xlabel": {"vi": "Quý", "en": "Quarter"},
    "inv.ylabel": {"vi": "Số đơn vị", "en": "Number of units"},
    "inv.caption": {
        "vi": "Số đơn vị cấp huyện có bộ phận một cửa hiện đại hoặc hệ thống họp trực tuyến đã vận hành, theo quý.",
        "en": "District-level units with a modernised one-stop facility or an online meeting system in operation, by quarter.",
    },
    "inv.summary": {
        "vi": "{category}: {n} trên {n_units} đơn vị đã vận hành (tổng {amount} tỷ đồng).",
        "en": "{category}: {n} of {n_units} units in operation (total {amount} billion VND).",
    },
    "inv.none": {"vi": "Chưa có số liệu đầu tư.", "en": "No investment data."},
    "cat.one_stop_facility": {"vi": "Bộ phận một cửa hiện đại", "en": "Modernised one-stop facility"},
    "cat.online_meeting_system": {"vi": "Hệ thống họp trực tuyến", "en": "Online meeting system"},
    "cat.other": {"vi": "Khác", "en": "Other"},
    "model.effect": {
        "vi": ("{category} – {outcome}: sau khi đưa vào vận hành, chỉ số này ở các đơn vị có đầu tư thay đổi {estimate} đpt "
               "so với các đơn vị chưa có (khoảng tin cậy 95%: {low} đến {high} đpt); {reading}. {checks}"),
        "en": ("{category} – {outcome}: after it came into operation, this indicator in the units with it changed by "
               "{estimate} pp relative to the units without it (95% confidence interval {low} to {high} pp); {reading}. "
               "{checks}"),
    },
    "model.caveat": {
        "vi": ("Đây là so sánh thống kê từ {n_units} đơn vị: mức thay đổi theo thời gian ở đơn vị có và chưa có đầu tư. "
               "Con số cho thấy mức độ đi kèm, không chứng minh đầu tư là nguyên nhân: điều đó chỉ đúng nếu không có "
               "đầu tư thì các đơn vị sẽ diễn biến như nhau, và các đơn vị tự chọn thời điểm đầu tư (nơi đang cải "
               "thiện có thể đầu tư sớm hơn). Khoảng tin cậy rộng vì số đơn vị ít; “chưa phân biệt được với 0” "
               "không có nghĩa là không có thay đổi. Ba chỉ số của mỗi loại đầu tư được kiểm định chung (điều chỉnh "
               "Holm). Mức kinh phí đầu tư không được phân tích: với số đơn vị này, ước lượng theo mức kinh phí "
               "không đáng tin cậy."),
        "en": ("These are statistical comparisons from {n_units} units: changes over time in units with and without "
               "the investment. They show what went together with the investment and do not prove it was the cause: "
               "that holds only if the units would otherwise have moved alike, and units chose when to invest (those "
               "already improving may have invested earlier). The intervals are wide because there are few units; "
               "“not statistically distinguishable from zero” does not mean no change. The three indicators of each "
               "investment are tested together (Holm adjustment). The amount invested is not analysed: with this "
               "few units an estimate by amount would not be reliable."),
    },
    "model.weights": {
        "vi": ("{category}: con số chung là trung bình mọi quý sau khi vận hành, mỗi nhóm đơn vị tính theo số đơn vị "
               "và số quý; trọng số theo quý bắt đầu vận hành: {weights}."),
        "en": ("{category}: the overall figure averages every quarter after it came into operation, each group of units "
               "counted by its units and quarters; weight by first quarter in operation: {weights}."),
    },
    "model.weight_item": {"vi": "{quarter} ({n} đơn vị) {pct}%", "en": "{quarter} ({n} unit(s)) {pct}%"},
    "model.small_cohorts": {
        "vi": "{category}: {k} nhóm chỉ có một đơn vị ({quarters}); ước lượng của các nhóm này dựa vào một đơn vị.",
        "en": "{category}: {k} group(s) of a single unit ({quarters}); their estimates rest on one unit each.",
    },
    "model.reading_sig": {
        "vi": "khác biệt này phân biệt được với 0 về mặt thống kê (p điều chỉnh Holm = {p})",
        "en": "statistically distinguishable from zero (Holm-adjusted p = {p})",
    },
    "model.reading_nonsig": {
        "vi": "chưa phân biệt được với 0 về mặt thống kê (p điều chỉnh Holm = {p})",
        "en": "not statistically distinguishable from zero (Holm-adjusted p = {p})",
    },
    "model.col_p": {"vi": "p (điều chỉnh Holm)", "en": "p (Holm-adjusted)"},
    "model.col_checks": {"vi": "Kiểm tra", "en": "Checks"},
    "model.pre_ok": {
        "vi": "trước khi đầu tư không thấy khác biệt xu hướng (p = {p}; chỉ phát hiện được chênh lệch từ khoảng {d} đpt/quý)",
        "en": "no different trend before the investment (p = {p}; only drifts of about {d} pp per quarter or more could be seen)",
    },
    "model.pre_flag": {
        "vi": "CẢNH BÁO: trước khi đầu tư đã có khác biệt xu hướng (p = {p}), con số dễ bị sai lệch",
        "en": "WARNING: trends already differed before the investment (p = {p}); the figure may be biased",
    },
    "model.pre_na": {"vi": "không kiểm tra được xu hướng trước đầu tư", "en": "the trend before the investment could not be checked"},
    "model.robust_ok": {
        "vi": "kết luận giữ nguyên khi bỏ từng đơn vị, khi so với đơn vị chưa đầu tư đến lúc đó và khi hoán vị thời điểm đầu tư",
        "en": "the conclusion holds when each unit is left out, against units not yet invested, and under re-assigned adoption dates",
    },
    "model.robust_flag": {
        "vi": "CẢNH BÁO: kết luận thay đổi theo cách tính ({which})",
        "en": "WARNING: the conclusion changes with the method ({which})",
    },
    "model.robust_loo": {"vi": "khi bỏ một đơn vị", "en": "when one unit is left out"},
    "model.robust_nyt": {"vi": "khi so với đơn vị chưa đầu tư đến lúc đó", "en": "against units not yet invested"},
    "model.robust_ri": {"vi": "khi hoán vị thời điểm đầu tư", "en": "under re-assigned adoption dates"},
    "model.power": {
        "vi": "thay đổi nhỏ nhất có thể phát hiện: khoảng {mde} đpt",
        "en": "smallest change that could be detected: about {mde} pp",
    },
    "model.col_investment": {"vi": "Đầu tư", "en": "Investment"},
    "model.col_outcome": {"vi": "Chỉ số", "en": "Indicator"},
    "model.col_estimate": {"vi": "Thay đổi ước tính", "en": "Estimated change"},
    "model.col_interval": {"vi": "Khoảng tin cậy 95%", "en": "95% confidence interval"},
    "model.col_reading": {"vi": "Đánh giá", "en": "Reading"},
    "model.reading_clear": {"vi": "phân biệt được với 0", "en": "statistically distinguishable from zero"},
    "model.reading_unclear": {"vi": "chưa phân biệt được với 0", "en": "not statistically distinguishable from zero"},
    "model.interval": {"vi": "{low} đến {high} đpt", "en": "{low} to {high} pp"},
    "model.intro": {
        "vi": ("Mô hình so sánh đơn vị có và chưa có đầu tư, trước và sau khi đưa vào vận hành. Mỗi dòng cho biết "
               "mức thay đổi có phân biệt được với 0 về mặt thống kê hay không, kèm các kiểm tra độ tin cậy:"),
        "en": ("The model compares units with and without each investment, before and after it came into operation. "
               "Each row says whether the change is statistically distinguishable from zero, with the checks behind it:"),
    },
    "model.unavailable": {
        "vi": "Chưa đủ số liệu để ước lượng tác động của đầu tư.",
        "en": "Not enough data to estimate the effect of the investments.",
    },
    # --- rankings -------------------------------------------------------------------------
    "rank.heading": {"vi": "4. Xếp hạng qua các năm", "en": "4. Rankings over the years"},
    "rank.title": {
        "vi": "Vị trí của Nghệ An trong các bảng xếp hạng cả nước",
        "en": "Nghe An's position in the national rankings",
    },
    "rank.latest": {
        "vi": "{index} {year}: hạng {rank}/{n_ranked}{change}.",
        "en": "{index} {year}: rank {rank} of {n_ranked}{change}.",
    },
    "rank.change_up": {"vi": " (tăng {k} bậc so với {year})", "en": " (up {k} places from {year})"},
    "rank.change_down": {"vi": " (giảm {k} bậc so với {year})", "en": " (down {k} places from {year})"},
    "rank.change_same": {"vi": " (giữ nguyên so với {year})", "en": " (unchanged from {year})"},
    "rank.none": {"vi": "Chưa có số liệu xếp hạng.", "en": "No ranking data."},
    # --- what changed ------------------------------------------------------------------------
    "chg.heading": {"vi": "5. Những gì thay đổi so với quý trước", "en": "5. What changed since last quarter"},
    "chg.new_quarter": {
        "vi": "Số liệu mới: {quarter} có {n} đơn vị báo cáo (quý trước: {n_prev}).",
        "en": "New data: {quarter} has {n} units reporting (previous quarter: {n_prev}).",
    },
    "chg.no_log": {
        "vi": "Thư mục dữ liệu chưa có nhật ký nhập số liệu (dữ liệu đi kèm hoặc nhập thủ công).",
        "en": "The data folder has no ingest log (bundled data or tables added by hand).",
    },
    "chg.log_added": {
        "vi": "{time}: bổ sung {periods} từ tệp {file} ({rows} dòng).",
        "en": "{time}: added {periods} from file {file} ({rows} rows).",
    },
    "chg.log_revised": {
        "vi": "{time}: sửa đổi {periods} từ tệp {file} ({rows} dòng; {changed} giá trị thay đổi).",
        "en": "{time}: revised {periods} from file {file} ({rows} rows; {changed} values changed).",
    },
    "chg.no_recent": {
        "vi": "Không có lần nhập hoặc sửa đổi số liệu nào kể từ quý trước.",
        "en": "No data was ingested or revised since the previous quarter.",
    },
    "chg.revised_history": {
        "vi": "Lưu ý: số liệu của {periods} đã được sửa đổi; các con số cũ trong báo cáo trước có thể khác.",
        "en": "Note: figures for {periods} were revised; numbers in earlier reports may differ.",
    },
}


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The text for ``key`` in ``lang`` ("vi" or "en"), with ``{placeholders}`` filled
    from ``values``. An unknown key raises KeyError (a typo must not pass silently)."""
    _check_lang(lang)
    try:
        entry = TRANSLATIONS[key]
    except KeyError:
        raise KeyError(f"no translation for {key!r}") from None
    text = entry[lang]
    return text.format(**values) if values else text


def fmt_number(x, lang: str = DEFAULT_LANG, decimals: int = 0) -> str:
    """A number written the way ``lang`` reads it: Vietnamese uses "." for thousands and
    "," for decimals (12.345,6); English the reverse (12,345.6). Missing values give "—"."""
    _check_lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "—"
    s = f"{float(x):,.{decimals}f}"
    if lang == "vi":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s.replace("-", "−")  # the typographic minus sign


def fmt_pct(x, lang: str = DEFAULT_LANG, decimals: int = 2) -> str:
    """A percentage (already ×100): ``fmt_pct(96.57, "vi") == "96,57%"``."""
    s = fmt_number(x, lang, decimals)
    return s if s == "—" else s + "%"


def fmt_change(x, lang: str = DEFAULT_LANG, decimals: int = 2, unit: str = "") -> str:
    """A signed change (+1,25 đpt / −0.40 pp); the minus sign is the typographic one."""
    s = fmt_number(abs(x) if x is not None and not _isna(x) else x, lang, decimals)
    if s == "—":
        return s
    sign = "+" if x > 0 else ("−" if x < 0 else "±")
    return f"{sign}{s}" + (f"\u00a0{unit}" if unit else "")  # no line break before the unit


def _isna(x) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False




def quarter_label(q, lang: str = DEFAULT_LANG) -> str:
    """A quarter as people write it: "Quý II/2024" (vi) or "Q2 2024" (en)."""
    from paranalysis.periods import to_period

    _check_lang(lang)
    p = to_period(q)
    return f"Quý {QUARTER_ROMAN[p.quarter]}/{p.year}" if lang == "vi" else f"Q{p.quarter} {p.year}"
