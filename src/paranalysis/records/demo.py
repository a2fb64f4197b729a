"""SYNTHETIC record-level dossiers for the demo province, with planted personal columns.

``generate_demo_records(n, seed, path)`` writes a CSV or Parquet export, one row per
dossier, that follows the demo processing table (``paranalysis.demo``): records are spread
over units and quarters in proportion to the table's new receipts, each cell's channel mix
is the table's online / direct / postal split, and the chance of being resolved late is the
cell's late share. Every row has ``synthetic = true`` and the file name must contain
"synthetic".

The file also carries **fake personal columns** (applicant_name, citizen_id, phone,
address, email) in the places a real export has them, so that tests can check that none of
them ever reaches an output. They are random combinations of common Vietnamese names and
random digits; the e-mails use the reserved domain example.com.

Planted waiting-time effects (the known truth, ``RECORD_PLANTED_EFFECTS``): a dossier
resolved on time uses a random fraction of its statutory time; that fraction is multiplied
by 0.80 once the unit's one-stop facility is in operation (from the day in the investment
register) and by 0.85 for online submissions. Late dossiers take 1 + a geometric number
(mean 3) of working days past the deadline, whatever the unit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from paranalysis.records.calendar import working_day_calendar

DEFAULT_SEED = 20240210  # Tết Giáp Thìn

RECORD_PLANTED_EFFECTS = {
    "one_stop_facility_time_factor": 0.80,  # share of statutory time used, after the facility opens
    "online_time_factor": 0.85,             # share of statutory time used, online submissions
    "late_extra_working_days_mean": 3.0,    # working days past the deadline, late dossiers (1 + geometric)
}

# A synthetic catalogue of district-level procedures. Codes are invented ("DEMO-..."); the time
# limits (working days) are of the right order for such procedures but are illustrative,
# not the legal limits of any real procedure.
PROCEDURES = [
    # code, name (vi), statutory working days, share of dossiers
    ("DEMO-HT-01", "Đăng ký khai sinh (minh họa)", 1, 0.22),
    ("DEMO-CT-01", "Chứng thực bản sao từ bản chính (minh họa)", 1, 0.20),
    ("DEMO-HK-01", "Đăng ký hộ kinh doanh (minh họa)", 3, 0.08),
    ("DEMO-LD-01", "Trợ cấp xã hội hằng tháng (minh họa)", 7, 0.07),
    ("DEMO-DD-02", "Đăng ký biến động đất đai (minh họa)", 10, 0.18),
    ("DEMO-XD-01", "Cấp giấy phép xây dựng nhà ở riêng lẻ (minh họa)", 15, 0.08),
    ("DEMO-DD-01", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu (minh họa)", 30, 0.17),
]
RETURNED_WITHDRAWN_SHARE = 0.004

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
           "Ngô", "Dương", "Lý", "Thái", "Đinh", "Cao"]
_MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Đình", "Công"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Hương", "Lan",
          "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thắng", "Thảo",
          "Trang", "Tuấn", "Việt", "Yến", "Khánh", "Lộc"]
_ASCII = {"Nguyễn": "nguyen", "Trần": "tran", "Lê": "le", "Phạm": "pham", "Hoàng": "hoang", "Phan": "phan",
          "Vũ": "vu", "Võ": "vo", "Đặng": "dang", "Bùi": "bui", "Đỗ": "do", "Hồ": "ho", "Ngô": "ngo",
          "Dương": "duong", "Lý": "ly", "Thái": "thai", "Đinh": "dinh", "Cao": "cao"}


def _default_tables():
    from paranalysis.dataset import load_dataset

    ds = load_dataset()
    return ds.processing, ds.investments


def _cells(processing: pd.DataFrame, investments: pd.DataFrame | None) -> pd.DataFrame:
    p = processing.copy()
    for c in ("received_online", "received_direct", "received_postal", "resolved_early", "resolved_on_time",
              "resolved_late"):
        p[c] = p[c].astype("float64").fillna(0.0)
    p["received"] = p["received_online"] + p["received_direct"] + p["received_postal"]
    p = p[p["received"] > 0].reset_index(drop=True)
    resolved = p["resolved_early"] + p["resolved_on_time"] + p["resolved_late"]
    p["p_late"] = np.where(resolved > 0, p["resolved_late"] / resolved.where(resolved > 0, 1), 0.02)
    p["unit_code"] = p["unit_code"].astype(str)
    facility = {}
    if investments is not None and len(investments):
        inv = investments[investments["category"] == "one_stop_facility"]
        facility = inv.groupby(inv["unit_code"].astype(str))["date_in_operation"].min().to_dict()
    p["facility_date"] = p["unit_code"].map(lambda u: facility.get(u, pd.NaT)).astype("datetime64[ns]")
    return p


def generate_demo_records(n: int | None = 100_000, seed: int = DEFAULT_SEED, path=None, *,
                          processing: pd.DataFrame | None = None, investments: pd.DataFrame | None = None,
                          personal_columns: bool = True, chunk_size: int = 1_000_000,
                          export_at=None) -> Path:
    """Write ``n`` SYNTHETIC dossiers (CSV or Parquet, by the suffix of ``path``, whose name
    must contain "synthetic") following the demo processing table, and return the path.
    ``n=None`` writes exactly the table's new receipts (about 4.1 million for the demo
    province). ``processing``/``investments`` default to the bundled demo tables.
    ``personal_columns`` plants fake names, ID numbers, phones, addresses and e-mails.
    Dossiers not finished by ``export_at`` (default: the end of the table's last quarter)
    are exported as pending."""
    if path is None:
        raise ValueError("give the path of the file to write, e.g. 'records_synthetic.parquet'")
    path = Path(path)
    if "synthetic" not in path.name.lower():
        raise ValueError(f"the file name must say 'synthetic' (got {path.name!r}): demo records are labelled")
    low = path.name.lower()
    if not (low.endswith(".csv") or low.endswith(".parquet")):
        raise ValueError("write a .csv or a .parquet file")
    if processing is None:
        processing, inv_default = _default_tables()
        investments = inv_default if investments is None else investments
    cells = _cells(processing, investments)
    if export_at is None:
        export_at = cells["period"].max().end_time.floor("s")
    export_at = pd.Timestamp(export_at)

    root = np.random.SeedSequence(seed)
    seq_alloc, seq_units, seq_chunks = root.spawn(3)
    rng = np.random.default_rng(seq_alloc)
    # allocate records to (cell, channel): exactly the table's receipts when n is None,
    # else a multinomial sample of n with those proportions
    by_channel = cells[["received_online", "received_direct", "received_postal"]].to_numpy().reshape(-1)
    if n is None:
        counts = by_channel.astype(np.int64)
    else:
        counts = rng.multinomial(int(n), by_channel / by_channel.sum())
    slot = np.repeat(np.arange(len(by_channel)), counts)
    cell_of = (slot // 3).astype(np.int32)
    channel_of = (slot % 3).astype(np.int8)
    total = len(cell_of)
    units = sorted(cells["unit_code"].unique())
    urng = np.random.default_rng(seq_units)
    # each unit's typical share of the statutory time used by on-time dossiers
    unit_speed = dict(zip(units, urng.uniform(0.30, 0.60, len(units))))
    cells["speed"] = cells["unit_code"].map(unit_speed)

    cal = working_day_calendar()
    ctx = _Context(cells, cal, export_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_chunks = max(1, int(np.ceil(total / chunk_size)))
    writer = None
    try:
        for k, child in enumerate(seq_chunks.spawn(n_chunks)):
            sl = slice(k * chunk_size, min(total, (k + 1) * chunk_size))
            table = ctx.chunk(np.random.default_rng(child), cell_of[sl], channel_of[sl], first_id=sl.start,
                              personal=personal_columns)
            if writer is None:
                if low.endswith(".parquet"):
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                else:
                    writer = pacsv.CSVWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


class _Context:
    """Arrays shared by every chunk: calendar lookups and the cells' parameters."""

    def __init__(self, cells: pd.DataFrame, cal: pd.DataFrame, export_at: pd.Timestamp):
        self.cells = cells
        self.export_at = export_at
        self.day0 = pd.Timestamp(cal["date"].iat[0])
        self.wd_index = cal["wd_index"].to_numpy()
        self.is_wd = cal["is_working_day"].to_numpy()
        self.wd_dates = np.flatnonzero(self.is_wd)  # day numbers of the working days, in order
        starts = cells["period"].dt.start_time.to_numpy(dtype="datetime64[D]")
        ends = cells["period"].dt.end_time.dt.normalize().to_numpy(dtype="datetime64[D]")
        d0 = np.datetime64(self.day0.date(), "D")
        self.q_first = (starts - d0).astype(np.int64)
        self.q_last = (ends - d0).astype(np.int64)
        fac = cells["facility_date"].to_numpy(dtype="datetime64[D]")
        self.facility_day = np.where(np.isnat(fac), np.iinfo(np.int64).max, (fac - d0).astype(np.int64))
        self.p_late = cells["p_late"].to_numpy()
        self.speed = cells["speed"].to_numpy()
        self.unit = cells["unit_code"].to_numpy().astype(str)
        self.unit_name = _unit_names(self.unit)
        self.unit_arrow = pa.array(self.unit)
        self.unit_name_arrow = pa.array(self.unit_name, type=pa.string())
        self.proc_code = np.array([p[0] for p in PROCEDURES])
        self.proc_limit = np.array([p[2] for p in PROCEDURES])
        w = np.array([p[3] for p in PROCEDURES])
        self.proc_cum = np.cumsum(w / w.sum())

    def _date_of_wd(self, wd_number: np.ndarray) -> np.ndarray:
        """Day number of the working day whose wd_index is ``wd_number``."""
        return self.wd_dates[wd_number - 1]

    def chunk(self, rng, cell: np.ndarray, ch: np.ndarray, *, first_id: int, personal: bool) -> pa.Table:
        m = len(cell)
        online = ch == 0  # 0 online, 1 direct, 2 postal
        # day of receipt: a working day of the quarter (offices), any day for online submissions
        lo_wd = self.wd_index[self.q_first[cell]] - (self.is_wd[self.q_first[cell]]).astype(int) + 1
        hi_wd = self.wd_index[self.q_last[cell]]
        day_office = self._date_of_wd(rng.integers(lo_wd, hi_wd + 1))
        day_any = rng.integers(self.q_first[cell], self.q_last[cell] + 1)
        rday = np.where(online, day_any, day_office)
        rsec = np.where(online, rng.integers(0, 86400, m), rng.integers(7 * 3600 + 1800, 16 * 3600 + 1800, m))
        # procedure and statutory deadline (17:00 on the limit-th working day after receipt)
        proc = np.searchsorted(self.proc_cum, rng.random(m), side="right").clip(0, len(self.proc_cum) - 1)
        limit = self.proc_limit[proc]
        wd_r = self.wd_index[rday]
        due_day = self._date_of_wd(wd_r + limit)
        # waiting time in working days
        late = rng.random(m) < self.p_late[cell]
        speed = self.speed[cell]
        frac = rng.beta(2.0, 2.0 * (1 - speed) / speed)
        frac = frac * np.where(rday >= self.facility_day[cell], RECORD_PLANTED_EFFECTS["one_stop_facility_time_factor"], 1.0)
        frac = frac * np.where(online, RECORD_PLANTED_EFFECTS["online_time_factor"], 1.0)
        wd_ok = np.minimum(np.floor(frac * (limit + 1)).astype(np.int64), limit)
        extra = rng.geometric(1.0 / RECORD_PLANTED_EFFECTS["late_extra_working_days_mean"], m)
        wd = np.where(late, limit + extra, wd_ok)
        wd = np.where((wd == 0) & ~self.is_wd[rday], 1, wd)  # nothing is resolved on a day off
        res_day = np.where(wd == 0, rday, self._date_of_wd(wd_r + np.maximum(wd, 1)))
        same_day_start = np.maximum(rsec, 7 * 3600 + 1800)
        res_sec = np.where(wd == 0,
                           np.minimum(same_day_start + rng.integers(600, 4 * 3600, m), 17 * 3600 - 60),
                           rng.integers(7 * 3600 + 1800, 17 * 3600 - 60, m))
        res_sec = np.where((wd == 0) & (res_sec < rsec), np.minimum(rsec + 60, 86399), res_sec)
        # on-time dossiers end by 17:00 on the due day; late ones after it
        day0 = np.datetime64(self.day0.date(), "s")
        received_at = day0 + (rday * 86400 + rsec).astype("timedelta64[s]")
        due_at = day0 + (due_day * 86400 + 17 * 3600).astype("timedelta64[s]")
        resolved_at = day0 + (res_day * 86400 + res_sec).astype("timedelta64[s]")
        status = np.where(rng.random(m) < RETURNED_WITHDRAWN_SHARE,
                          np.where(rng.random(m) < 0.5, "returned", "withdrawn"), "resolved").astype(object)
        open_ = resolved_at > np.datetime64(self.export_at.to_datetime64(), "s")
        status[open_] = "pending"
        channel = np.array(["online", "direct", "postal"], dtype=object)[ch]
        unit = self.unit_arrow.take(pa.array(cell))
        ids = pc.binary_join_element_wise(
            pa.array(np.full(m, "DEMO")), unit,
            pc.utf8_lpad(pc.cast(pa.array(np.arange(first_id, first_id + m) + 1), pa.string()), 9, "0"), "-")
        cols = {
            "record_id": ids,
            "unit_code": unit,
            "procedure_code": pa.array(self.proc_code[proc]),
            "received_at": pa.array(received_at, type=pa.timestamp("s")),
            "due_at": pa.array(due_at, type=pa.timestamp("s")),
            "resolved_at": pa.array(resolved_at, type=pa.timestamp("s"), mask=open_),
            "channel": pa.array(channel, type=pa.string()),
            "status": pa.array(status, type=pa.string()),
            "synthetic": pa.array(np.ones(m, dtype=bool)),
        }
        if personal:
            cols = _with_personal_columns(cols, rng, self.unit_name_arrow.take(pa.array(cell)), m)
        return pa.table(cols)


def _unit_names(codes: np.ndarray) -> np.ndarray:
    from paranalysis.units import package_units

    u = package_units().set_index("unit_code")["short_name_vi"]
    return np.array([str(u.get(c, c)) for c in codes], dtype=object)


_WORDS = {"family": pa.array(_FAMILY, type=pa.string()), "middle": pa.array(_MIDDLE, type=pa.string()),
          "given": pa.array(_GIVEN, type=pa.string()),
          "ascii": pa.array([_ASCII[f] for f in _FAMILY], type=pa.string())}


def _with_personal_columns(cols: dict, rng, unit_names: pa.Array, m: int) -> dict:
    """Fake personal data placed among the real columns, as exports do."""
    fam = rng.integers(0, len(_FAMILY), m)
    mid = rng.integers(0, len(_MIDDLE), m)
    giv = rng.integers(0, len(_GIVEN), m)
    name = pc.binary_join_element_wise(_WORDS["family"].take(pa.array(fam)), _WORDS["middle"].take(pa.array(mid)),
                                       _WORDS["given"].take(pa.array(giv)), " ")
    # 12-digit citizen ID: 040 (Nghệ An) + century/sex digit + 2-digit birth year + 6 random digits
    cid = pc.binary_join_element_wise(
        pa.array(np.full(m, "040")), pc.cast(pa.array(rng.integers(0, 4, m)), pa.string()),
        pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 100, m)), pa.string()), 2, "0"),
        pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 1_000_000, m)), pa.string()), 6, "0"), "")
    phone = pc.binary_join_element_wise(
        pa.array(np.full(m, "09")), pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 100_000_000, m)), pa.string()), 8, "0"), "")
    address = pc.binary_join_element_wise(
        pa.array(np.full(m, "Xóm")), pc.cast(pa.array(rng.integers(1, 25, m)), pa.string()),
        pa.array(np.full(m, "- khối dân cư")), pc.cast(pa.array(rng.integers(1, 40, m)), pa.string()),
        pa.array(np.full(m, "-")), unit_names, pa.array(np.full(m, "Nghệ An")), " ")
    email = pc.binary_join_element_wise(
        _WORDS["ascii"].take(pa.array(fam)),
        pc.cast(pa.array(rng.integers(100000, 999999, m)), pa.string()), "")
    email = pc.binary_join_element_wise(email, pa.array(np.full(m, "example.com")), "@")
    out = {}
    for k, v in cols.items():  # interleave as a real export would
        out[k] = v
        if k == "record_id":
            out["applicant_name"] = name
            out["citizen_id"] = cid
        if k == "procedure_code":
            out["phone"] = phone
            out["address"] = address
        if k == "status":
            out["email"] = email
    return out


NOTEBOOK_RECORDS = 60_000  # dossiers generated by notebook 06 when the dataset has no record export
