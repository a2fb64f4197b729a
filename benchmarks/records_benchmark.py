#!/usr/bin/env python3
"""Benchmark: ten million dossiers -> waiting-time summary per unit and quarter.

Three contenders compute the same summary per unit and quarter of receipt (received, by
channel, resolved, resolved late, pending, returned/withdrawn, median, 90th percentile and
mean of working days, share within the statutory time) from the same file:

  summarize   paranalysis.records.summarize(path): privacy projection, validation of every
              row, working days from the Vietnamese calendar, in one streaming DuckDB pass
  raw_sql     ONE hand-written DuckDB query (typed read, calendar join, quantile_cont),
              no validation: the floor that summarize is measured against
  pandas      a plain pandas baseline: read the allowed columns, compute working days with
              the same calendar, groupby + quantile

Each run is a fresh child process; it reports its own wall time for the work (after
imports) and its peak resident memory (VmHWM of the child, which includes the Python
interpreter and the imported libraries). Runs are interleaved
(summarize, raw_sql, summarize, raw_sql, ...) so that load on the machine hits both alike;
the ratio is summarize / raw_sql, median over the repetitions. The script also checks that
the three contenders return the same numbers.

    .venv/bin/python benchmarks/records_benchmark.py                    # 10M, Parquet and CSV
    .venv/bin/python benchmarks/records_benchmark.py --records 1000000 --formats parquet

The record files (SYNTHETIC, with fake personal columns) are generated once into
--workdir (default: a folder in the system's temp directory) and reused; --clean removes them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1024 ** 3


# ------------------------------------------------------------------ contenders (child side)

RAW_SQL = """
SELECT unit_code,
       CAST(date_trunc('quarter', received_at) AS DATE) AS period,
       count(*) AS received,
       count(*) FILTER (channel = 'online') AS received_online,
       count(*) FILTER (channel = 'direct') AS received_direct,
       count(*) FILTER (channel = 'postal') AS received_postal,
       count(*) FILTER (status = 'resolved') AS resolved,
       count(*) FILTER (status = 'resolved' AND resolved_at > due_at) AS resolved_late,
       count(*) FILTER (status = 'pending') AS pending,
       count(*) FILTER (status IN ('returned', 'withdrawn')) AS returned_withdrawn,
       quantile_cont(c2.wd - c1.wd, 0.5) FILTER (status = 'resolved') AS median_working_days,
       quantile_cont(c2.wd - c1.wd, 0.9) FILTER (status = 'resolved') AS p90_working_days,
       avg(c2.wd - c1.wd) FILTER (status = 'resolved') AS mean_working_days,
       1 - count(*) FILTER (status = 'resolved' AND resolved_at > due_at)
           / nullif(count(*) FILTER (status = 'resolved'), 0) AS share_within_statutory
FROM {source} AS r
JOIN cal AS c1 ON c1.d = CAST(r.received_at AS DATE)
LEFT JOIN cal AS c2 ON c2.d = CAST(r.resolved_at AS DATE)
GROUP BY ALL
"""

COLUMNS = ["unit_code", "period", "received", "received_online", "received_direct", "received_postal", "resolved",
           "resolved_late", "pending", "returned_withdrawn", "median_working_days", "p90_working_days",
           "mean_working_days", "share_within_statutory"]
COUNTS = ["received", "received_online", "received_direct", "received_postal", "resolved", "resolved_late",
          "pending", "returned_withdrawn"]


def _calendar_table():
    import pandas as pd

    from paranalysis.records import working_day_calendar

    cal = working_day_calendar()[["date", "wd_index"]].copy()
    cal["date"] = pd.to_datetime(cal["date"])
    return cal


def run_summarize(path: str):
    from paranalysis.records import summarize

    s = summarize(path)
    s["period"] = s["period"].astype(str)
    return s


def run_raw_sql(path: str):
    import duckdb

    cal = _calendar_table()
    con = duckdb.connect()
    con.register("cal_df", cal)
    con.execute("CREATE TEMP TABLE cal AS SELECT CAST(date AS DATE) AS d, CAST(wd_index AS INTEGER) AS wd FROM cal_df")
    source = f"read_parquet('{path}')" if path.endswith(".parquet") else f"read_csv('{path}')"
    out = con.execute(RAW_SQL.format(source=source)).df()
    out["period"] = out["period"].map(lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}")
    return out


def run_pandas(path: str):
    import numpy as np
    import pandas as pd

    cols = ["unit_code", "received_at", "due_at", "resolved_at", "channel", "status"]
    if path.endswith(".parquet"):
        df = pd.read_parquet(path, columns=cols)
    else:
        df = pd.read_csv(path, usecols=cols, dtype={"unit_code": str, "status": str, "channel": str},
                         parse_dates=["received_at", "due_at", "resolved_at"])
    cal = _calendar_table()
    start = cal["date"].iat[0]
    wd_index = cal["wd_index"].to_numpy()
    rec_day = (df["received_at"].dt.normalize() - start).dt.days.to_numpy()
    res_day = (df["resolved_at"].dt.normalize() - start).dt.days
    resolved = (df["status"] == "resolved").to_numpy()
    wd = np.full(len(df), np.nan)
    ok = resolved & res_day.notna().to_numpy()
    wd[ok] = wd_index[res_day.to_numpy()[ok].astype(np.int64)] - wd_index[rec_day[ok]]
    df["wd"] = wd
    df["resolved"] = resolved
    df["late"] = resolved & (df["resolved_at"] > df["due_at"]).to_numpy()
    df["pending"] = df["status"] == "pending"
    df["returned_withdrawn"] = df["status"].isin(["returned", "withdrawn"])
    for c in ("online", "direct", "postal"):
        df[f"received_{c}"] = df["channel"] == c
    df["period"] = df["received_at"].dt.to_period("Q").astype(str)
    g = df.groupby(["unit_code", "period"])
    out = g.agg(received=("status", "size"), received_online=("received_online", "sum"),
                received_direct=("received_direct", "sum"), received_postal=("received_postal", "sum"),
                resolved=("resolved", "sum"), resolved_late=("late", "sum"), pending=("pending", "sum"),
                returned_withdrawn=("returned_withdrawn", "sum"), mean_working_days=("wd", "mean"))
    q = df[resolved].groupby(["unit_code", "period"])["wd"].quantile([0.5, 0.9]).unstack()
    out["median_working_days"] = q[0.5]
    out["p90_working_days"] = q[0.9]
    out["share_within_statutory"] = (out["resolved"] - out["resolved_late"]) / out["resolved"].where(out["resolved"] > 0)
    return out.reset_index()


def _peak_rss() -> int:
    """Peak resident memory of this process in bytes. On Linux VmHWM from /proc: ru_maxrss
    would also count the parent's peak, which Linux carries over into a child at exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


CONTENDERS = {"summarize": run_summarize, "raw_sql": run_raw_sql, "pandas": run_pandas}


def child(contender: str, path: str, result_file: str) -> None:
    import paranalysis.records  # noqa: F401  (imports are not timed)
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    t0 = time.perf_counter()
    out = CONTENDERS[contender](path)
    seconds = time.perf_counter() - t0
    peak = _peak_rss()
    out = out[COLUMNS].sort_values(["unit_code", "period"]).reset_index(drop=True)
    out.to_json(result_file, orient="split", index=False)
    print(json.dumps({"seconds": seconds, "peak_rss": peak, "rows": len(out)}))


# ------------------------------------------------------------------ parent side

def _run_child(contender: str, path: Path, result_file: Path) -> dict:
    cmd = [sys.executable, __file__, "--child", contender, "--file", str(path), "--result", str(result_file)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{proc.stderr[-3000:]}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    info["process_seconds"] = total
    return info


def _same(a_file: Path, b_file: Path, label: str) -> None:
    import pandas as pd

    a = pd.read_json(a_file, orient="split", dtype={"unit_code": str, "period": str})
    b = pd.read_json(b_file, orient="split", dtype={"unit_code": str, "period": str})
    for c in COUNTS:
        a[c] = a[c].astype("int64")
        b[c] = b[c].astype("int64")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, atol=1e-9, rtol=0, obj=label)


def _generate(n: int, fmt: str, workdir: Path) -> Path:
    path = workdir / f"records_{n}_synthetic.{fmt}"
    if path.exists():
        return path
    t0 = time.perf_counter()
    tmp = path.with_name(path.stem + ".partial_synthetic." + fmt)
    code = ("import sys; from paranalysis.records.demo import generate_demo_records; "
            "generate_demo_records(int(sys.argv[1]), path=sys.argv[2])")
    subprocess.run([sys.executable, "-c", code, str(n), str(tmp)], check=True)
    tmp.rename(path)
    print(f"generated {path.name}: {path.stat().st_size / GIB:.2f} GiB in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--repeat", type=int, default=3, help="runs of summarize and raw_sql each (interleaved)")
    ap.add_argument("--pandas-repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "paranalysis-records-benchmark")
    ap.add_argument("--scaling", default="", help="e.g. 4,10: also time summarize over 4 and 10 links to the "
                    "Parquet file (4x and 10x the records) to show how time and memory grow")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--clean", action="store_true", help="delete the generated files at the end")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.file, args.result)
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        path = _generate(args.records, fmt, args.workdir)
        runs: dict[str, list[dict]] = {"summarize": [], "raw_sql": [], "pandas": []}
        files = {c: args.workdir / f"result_{c}_{fmt}.json" for c in runs}
        # warm the page cache once, then interleave
        _run_child("raw_sql", path, files["raw_sql"])
        for i in range(args.repeat):
            order = ["summarize", "raw_sql"] if i % 2 == 0 else ["raw_sql", "summarize"]
            for c in order:
                runs[c].append(_run_child(c, path, files[c]))
                print(f"  {fmt} {c:9s} run {i + 1}: {runs[c][-1]['seconds']:.2f} s, "
                      f"peak {runs[c][-1]['peak_rss'] / GIB:.2f} GiB", flush=True)
        for i in range(args.pandas_repeat):
            runs["pandas"].append(_run_child("pandas", path, files["pandas"]))
            print(f"  {fmt} pandas    run {i + 1}: {runs['pandas'][-1]['seconds']:.2f} s, "
                  f"peak {runs['pandas'][-1]['peak_rss'] / GIB:.2f} GiB", flush=True)
        _same(files["summarize"], files["raw_sql"], f"summarize vs raw_sql ({fmt})")
        if runs["pandas"]:
            _same(files["summarize"], files["pandas"], f"summarize vs pandas ({fmt})")
        raw_med = statistics.median(r["seconds"] for r in runs["raw_sql"])
        paired = [s["seconds"] / r["seconds"] for s, r in zip(runs["summarize"], runs["raw_sql"])]
        for c, rs in runs.items():
            if not rs:
                continue
            med = statistics.median(r["seconds"] for r in rs)
            results.append({
                "format": fmt, "records": args.records, "contender": c, "runs": len(rs),
                "median_seconds": med, "min_seconds": min(r["seconds"] for r in rs),
                "peak_rss_gib": max(r["peak_rss"] for r in rs) / GIB,
                "ratio_to_raw_sql": med / raw_med,
                "paired_ratios": paired if c == "summarize" else None,
                "file_gib": path.stat().st_size / GIB,
            })
    scaling = [int(k) for k in args.scaling.split(",") if k.strip()]
    if scaling:
        base = _generate(args.records, "parquet", args.workdir)
        for k in scaling:
            d = args.workdir / f"links_{k}"
            d.mkdir(exist_ok=True)
            for i in range(k):
                link = d / f"part-{i:03d}_synthetic.parquet"
                if not link.exists():
                    link.symlink_to(base.resolve())
            info = _run_child("summarize", Path(str(d / "part-*_synthetic.parquet")), args.workdir / f"result_links_{k}.json")
            print(f"  parquet x{k} summarize: {info['seconds']:.2f} s, peak {info['peak_rss'] / GIB:.2f} GiB", flush=True)
            results.append({"format": f"parquet x{k} (links)", "records": k * args.records, "contender": "summarize",
                            "runs": 1, "median_seconds": info["seconds"], "min_seconds": info["seconds"],
                            "peak_rss_gib": info["peak_rss"] / GIB, "ratio_to_raw_sql": float("nan"),
                            "paired_ratios": None, "file_gib": k * base.stat().st_size / GIB})
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\n| file | records | contender | time (median s) | peak RSS (GiB) | ratio to raw SQL |")
    print("|---|---:|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['format']} ({r['file_gib']:.2f} GiB) | {r['records']:,} | {r['contender']} | "
              f"{r['median_seconds']:.2f} | {r['peak_rss_gib']:.2f} | "
              f"{'–' if r['ratio_to_raw_sql'] != r['ratio_to_raw_sql'] else format(r['ratio_to_raw_sql'], '.2f')} |")
    for r in results:
        if r["paired_ratios"]:
            print(f"paired summarize/raw_sql ratios ({r['format']}): "
                  + ", ".join(f"{x:.2f}" for x in r["paired_ratios"]))
    print("all contenders returned the same summary (checked)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.clean:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
