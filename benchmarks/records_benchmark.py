#!/usr/bin/env python3
"""Benchmark: ten (and thirty) million dossiers -> waiting-time summary per unit and quarter.

Contenders compute the same summary per unit and quarter of receipt (received, by channel,
resolved, resolved late, pending, returned/withdrawn, median, 90th percentile and mean of
working days, share within the statutory time) from the same files:

  summarize   paranalysis.records.summarize(path): privacy projection, validation of every
              row, working days from the Vietnamese calendar, in one streaming DuckDB pass
  raw_sql     ONE hand-written DuckDB query (typed read, calendar join, quantile_cont),
              no validation: the floor that summarize is measured against
  spark       summarize(path, engine="spark") on Spark in local mode (local[2]): the same
              pass on Spark SQL; its JVM start is timed apart (startup_s) and its peak
              memory is the Python driver's plus the JVM's
  pandas      a plain pandas baseline (only with --pandas-repeat; it needs ~3 GiB at 10 M)

Datasets (SYNTHETIC, with the fake personal columns, generated once under --workdir):
  file         one Parquet file of --records dossiers
  partitioned  the same dossiers as a Hive-partitioned dataset year=YYYY/unit_code=NNN/*.parquet
               (unit_code lives only in the folder names)
  folder30m    a folder of three such files (the first one and two other seeds): 3x the records
  csv          (with --formats parquet,csv) the same dossiers as one CSV file

Each run is a fresh child process; it reports its own wall time for the work (after
imports; for Spark also after the session has started) and its peak resident memory (VmHWM,
including the Python interpreter and the libraries). The contenders take turns within each
round, in an order that rotates from round to round, so that load on the shared machine hits
them alike; ratios are of medians, and the paired ratio summarize/raw_sql of each round is
printed so the noise shows. The script checks that every contender returns the same numbers.

    .venv/bin/python benchmarks/records_benchmark.py                      # the table of docs/records.md
    .venv/bin/python benchmarks/records_benchmark.py --records 1000000 --datasets file --spark-repeat 1

The 30 M folder is deleted at the end (disk is limited) unless --keep is given; --clean
removes everything generated.
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
    if os.path.isdir(path):  # a folder: every Parquet file below it, partition folders as text columns
        source = f"read_parquet('{path}/**/*.parquet', hive_partitioning=true, hive_types_autocast=false)"
    elif path.endswith(".parquet"):
        source = f"read_parquet('{path}')"
    else:
        source = f"read_csv('{path}')"
    out = con.execute(RAW_SQL.format(source=source)).df()
    out["period"] = out["period"].map(lambda d: f"{d.year}Q{(d.month - 1) // 3 + 1}")
    return out


_SPARK: dict = {}


def run_spark(path: str):
    from paranalysis.records import summarize

    s = summarize(path, engine="spark", spark=_SPARK["session"])
    s["period"] = s["period"].astype(str)
    return s


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


def _peak_rss(pid="self") -> int:
    """Peak resident memory of a process in bytes. On Linux VmHWM from /proc: ru_maxrss
    would also count the parent's peak, which Linux carries over into a child at exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        if pid != "self":
            return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (the Spark JVM that pyspark starts), from /proc."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


CONTENDERS = {"summarize": run_summarize, "raw_sql": run_raw_sql, "spark": run_spark, "pandas": run_pandas}


def child(contender: str, path: str, result_file: str) -> None:
    import paranalysis.records  # noqa: F401  (imports are not timed)
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    startup = 0.0
    if contender == "spark":
        from paranalysis.records.spark import local_session

        t0 = time.perf_counter()
        _SPARK["session"] = local_session("local[2]")
        startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = CONTENDERS[contender](path)
    seconds = time.perf_counter() - t0
    peak = _peak_rss()
    jvm = sum(_peak_rss(p) for p in _descendants(os.getpid())) if contender == "spark" else 0
    if contender == "spark":
        _SPARK["session"].stop()
    out = out[COLUMNS].sort_values(["unit_code", "period"]).reset_index(drop=True)
    out.to_json(result_file, orient="split", index=False)
    print(json.dumps({"seconds": seconds, "peak_rss": peak + jvm, "python_rss": peak, "jvm_rss": jvm,
                      "startup_seconds": startup, "rows": len(out)}))


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


def _generate(n: int, fmt: str, workdir: Path, seed: int | None = None) -> Path:
    tag = "" if seed is None else f"_seed{seed}"
    path = workdir / f"records_{n}{tag}_synthetic.{fmt}"
    if path.exists():
        return path
    t0 = time.perf_counter()
    tmp = path.with_name(path.stem + ".partial_synthetic." + fmt)
    code = ("import sys; from paranalysis.records.demo import generate_demo_records, DEFAULT_SEED; "
            "generate_demo_records(int(sys.argv[1]), path=sys.argv[2], "
            "seed=int(sys.argv[3]) if sys.argv[3] != 'None' else DEFAULT_SEED)")
    subprocess.run([sys.executable, "-c", code, str(n), str(tmp), str(seed)], check=True)
    tmp.rename(path)
    print(f"generated {path.name}: {path.stat().st_size / GIB:.2f} GiB in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def _partitioned(base: Path, workdir: Path) -> Path:
    """The dossiers of ``base`` as a Hive-partitioned dataset year=YYYY/unit_code=NNN/*.parquet
    (personal columns kept in the files; unit_code only in the folder names)."""
    import duckdb

    out = workdir / (base.stem + "_partitioned")
    if out.exists():
        return out
    tmp = workdir / (base.stem + "_partitioned.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"COPY (SELECT *, year(received_at) AS year FROM read_parquet('{base}')) TO '{tmp}' "
                "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, unit_code))")
    con.close()
    tmp.rename(out)
    n = len(list(out.rglob("*.parquet")))
    print(f"wrote {out.name}: {n} files in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def _size(path: Path) -> float:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / GIB
    return path.stat().st_size / GIB


def _dataset(name: str, args) -> tuple[Path, int, str]:
    """(path, records, label) of a benchmark dataset."""
    n = args.records
    if name == "file":
        p = _generate(n, "parquet", args.workdir)
        return p, n, f"Parquet file ({_size(p):.2f} GiB)"
    if name == "csv":
        p = _generate(n, "csv", args.workdir)
        return p, n, f"CSV file ({_size(p):.2f} GiB)"
    if name == "partitioned":
        p = _partitioned(_generate(n, "parquet", args.workdir), args.workdir)
        k = len(list(p.rglob("*.parquet")))
        return p, n, f"partitioned year/unit_code ({k} files, {_size(p):.2f} GiB)"
    if name == "folder30m":
        d = args.workdir / f"folder_{3 * n}"
        d.mkdir(exist_ok=True)
        for i, seed in enumerate((None, 1, 2)):
            f = _generate(n, "parquet", args.workdir, seed)
            link = d / f"part-{i}_synthetic.parquet"
            if not link.exists():
                os.link(f, link)
        return d, 3 * n, f"folder of 3 Parquet files ({_size(d):.2f} GiB)"
    raise SystemExit(f"unknown dataset {name!r}")


def _fmt(x: float) -> str:
    return "–" if x != x else f"{x:.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--datasets", default="file,partitioned,folder30m",
                    help="comma-separated: file, partitioned, folder30m, csv")
    ap.add_argument("--repeat", type=int, default=5, help="rounds of summarize and raw_sql per dataset")
    ap.add_argument("--spark-repeat", type=int, default=3, help="rounds (of the first ones) that also run Spark; 0: none")
    ap.add_argument("--pandas-repeat", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "out")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the 30 M folder (deleted by default: disk is limited)")
    ap.add_argument("--clean", action="store_true", help="delete every generated file at the end")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.file, args.result)
        return 0

    args.workdir.mkdir(parents=True, exist_ok=True)
    results, noise = [], []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{started}; machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}", flush=True)
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        path, n, label = _dataset(name, args)
        contenders = ["summarize", "raw_sql"]
        runs: dict[str, list[dict]] = {"summarize": [], "raw_sql": [], "spark": [], "pandas": []}
        files = {c: args.workdir / f"result_{c}_{name}.json" for c in runs}
        load0 = os.getloadavg()[0]
        _run_child("raw_sql", path, files["raw_sql"])  # warm the page cache once
        for i in range(args.repeat):
            this = contenders + (["spark"] if i < args.spark_repeat else [])
            order = this[i % len(this):] + this[:i % len(this)]
            for c in order:
                runs[c].append(_run_child(c, path, files[c]))
                r = runs[c][-1]
                extra = f", JVM start {r['startup_seconds']:.1f} s" if c == "spark" else ""
                print(f"  {name} {c:9s} round {i + 1}: {r['seconds']:.2f} s, peak {r['peak_rss'] / GIB:.2f} GiB{extra}",
                      flush=True)
        for i in range(args.pandas_repeat):
            runs["pandas"].append(_run_child("pandas", path, files["pandas"]))
        for c in ("raw_sql", "spark", "pandas"):
            if runs[c]:
                _same(files["summarize"], files[c], f"summarize vs {c} ({name})")
        raw_med = statistics.median(r["seconds"] for r in runs["raw_sql"])
        paired = [s["seconds"] / r["seconds"] for s, r in zip(runs["summarize"], runs["raw_sql"])]
        noise.append({"dataset": name, "paired": paired, "load": (load0, os.getloadavg()[0]),
                      "raw": [r["seconds"] for r in runs["raw_sql"]]})
        for c, rs in runs.items():
            if not rs:
                continue
            med = statistics.median(r["seconds"] for r in rs)
            results.append({
                "dataset": name, "label": label, "records": n, "contender": c, "runs": len(rs),
                "median_seconds": med, "min_seconds": min(r["seconds"] for r in rs),
                "max_seconds": max(r["seconds"] for r in rs),
                "peak_rss_gib": max(r["peak_rss"] for r in rs) / GIB,
                "jvm_rss_gib": max(r.get("jvm_rss", 0) for r in rs) / GIB,
                "startup_seconds": statistics.median(r.get("startup_seconds", 0) for r in rs),
                "process_seconds": statistics.median(r["process_seconds"] for r in rs),
                "ratio_to_raw_sql": med / raw_med,
            })
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\n| dataset | records | contender | runs | time, median s (min–max) | peak RSS GiB | ratio to raw SQL |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in results:
        t = f"{r['median_seconds']:.2f} ({r['min_seconds']:.2f}–{r['max_seconds']:.2f})"
        if r["contender"] == "spark":
            t += f" + {r['startup_seconds']:.1f} JVM start"
        print(f"| {r['label']} | {r['records']:,} | {r['contender']} | {r['runs']} | {t} | "
              f"{r['peak_rss_gib']:.2f} | {_fmt(r['ratio_to_raw_sql'])} |")
    for x in noise:
        print(f"{x['dataset']}: paired summarize/raw_sql ratios by round: " + ", ".join(f"{p:.2f}" for p in x["paired"])
              + f"; raw_sql runs {', '.join(f'{s:.2f}' for s in x['raw'])} s; load {x['load'][0]:.1f} -> {x['load'][1]:.1f}")
    print("all contenders returned the same summary (checked)")
    if args.json:
        args.json.write_text(json.dumps({"started": started, "results": results, "noise": noise}, indent=2))
    if not args.keep:
        d = args.workdir / f"folder_{3 * args.records}"
        if d.exists():
            shutil.rmtree(d)
            for seed in (1, 2):
                f = args.workdir / f"records_{args.records}_seed{seed}_synthetic.parquet"
                f.unlink(missing_ok=True)
            print(f"deleted the {3 * args.records:,}-record folder")
    if args.clean:
        shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
