"""The streaming pass of :func:`paranalysis.records.summarize` on Apache Spark.

``summarize(path, engine="spark")`` runs here what the DuckDB engine runs in
``reader.fast_sql`` and ``summary._fast_counts``: the export is scanned with only the
allowed columns (the personal columns are pruned from the plan, so the Parquet and CSV
readers never materialise them), timestamps are parsed with the same rules, the working-day
calendar (15,000 dates) is **broadcast** to every executor and joined twice, and the rows are
aggregated into counts per (unit, quarter, working days, raw channel, raw status). Only those
counts (tens of thousands of rows, whatever the number of dossiers) are collected to the
driver; the same small pandas summariser as on DuckDB finishes the job, so both engines give
the same counts and the same exact quantiles.

Needs the optional extra: ``pip install "paranalysis[spark]"`` (pyspark) and a Java runtime
(17 or newer). On a cluster, run it inside ``spark-submit`` (see docs/records.md): the
active SparkSession is used; without one, a small local session is started.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pandas as pd

from paranalysis.errors import DataError, Problem, quiet_foreign_warnings
from paranalysis.i18n import Message
from paranalysis.records.reader import (
    _TEXT_TIME_FORMATS,
    _files,
    _kind_of,
    header_of_line,
    partition_keys,
    resolve_columns,
)

#: What the local session started by :func:`local_session` uses (a laptop or a test run).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.adaptive.enabled": "true",
}

_TZ = "Asia/Ho_Chi_Minh"
#: The column that holds a malformed CSV line (Spark's corrupt-record column); only counted.
MALFORMED = "_paranalysis_malformed_line"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# DuckDB's strptime formats of reader._TEXT_TIME_FORMATS, as Java patterns (same order)
_JAVA_FORMATS = {"%d/%m/%Y %H:%M:%S": "d/M/yyyy H:m:s", "%d/%m/%Y %H:%M": "d/M/yyyy H:m", "%d/%m/%Y": "d/M/yyyy",
                 "%d-%m-%Y %H:%M:%S": "d-M-yyyy H:m:s", "%d-%m-%Y": "d-M-yyyy"}


def require_spark():
    """Import pyspark, or say how to install it."""
    try:
        import pyspark  # noqa: F401
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError:
        raise ImportError('engine="spark" needs pyspark: pip install "paranalysis[spark]" '
                          "(and a Java runtime, 17 or newer)") from None


def local_session(master: str = "local[2]", conf: dict | None = None):
    """A small local SparkSession (no UI, few shuffle partitions, bound to 127.0.0.1)."""
    require_spark()
    from pyspark.sql import SparkSession

    import warnings

    b = SparkSession.builder.master(master).appName("paranalysis-records")
    for k, v in {**LOCAL_CONF, **(conf or {})}.items():
        b = b.config(k, v)
    with warnings.catch_warnings():  # about pyspark.pandas and pandas 3; not used here
        quiet_foreign_warnings()
        spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _session(spark=None):
    require_spark()
    if spark is not None:
        return spark
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    return active if active is not None else local_session()


#: Session settings our query runs under (restored afterwards): timestamps parsed as
#: Vietnamese wall-clock times; partition folder values kept as text (unit_code=040 stays "040");
#: every CSV field tokenised, so that a line with too many fields is seen as malformed.
QUERY_CONF = {"spark.sql.session.timeZone": _TZ, "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
              "spark.sql.csv.parser.columnPruning.enabled": "false"}


@contextmanager
def _session_time_zone(spark, tz: str):
    """Run our query under QUERY_CONF (time zone ``tz``), then restore the session's settings."""
    conf = {**QUERY_CONF, "spark.sql.session.timeZone": tz}
    old = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _lit(s: str) -> str:
    return "'" + str(s).replace("\\", "\\\\").replace("'", "\\'") + "'"


# ----------------------------------------------------------------------------- the source

class SparkSource:
    """The files of ``path`` as Spark reads them: a local file, list, glob or folder (resolved
    as the DuckDB engine resolves them, partition folders included), or a URI (hdfs://,
    s3a://, abfss://, gs://, file://) that Spark lists itself."""

    def __init__(self, spark, path, *, rename: dict | None = None, format: str | None = None):
        from paranalysis.records.reader import _fold

        self.spark = spark
        self.rename = {_fold(k): v for k, v in (rename or {}).items()}
        self.remote = isinstance(path, str) and bool(_URI.match(path))
        if self.remote:
            self.paths = [path]
            self.root = None  # Spark discovers the partition folders below a directory itself
            self.kind = format or _kind_of(path.rstrip("/")) or self._kind_from_listing(path)
            self.label = path
            self.partitions = None  # Spark discovers them
        else:
            files, kind, root = _files(path)
            self.paths, self.kind, self.root = files, kind, root
            self.partitions = partition_keys(files, root)
            self.label = files[0] if len(files) == 1 else str(path)
        if self.kind not in ("parquet", "csv"):
            raise DataError([Problem(file=self.label, expected=Message("problem.rec.spark_format"))])
        self.header, self.delim = None, ","
        if self.kind == "csv":
            self.header, self.delim = self._csv_header()

    def _kind_from_listing(self, path: str) -> str | None:
        """Format of the first data file under a remote folder (Hadoop FileSystem listing)."""
        jvm = self.spark.sparkContext._jvm
        p = jvm.org.apache.hadoop.fs.Path(path)
        fs = p.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())
        it = fs.listFiles(p, True)
        while it.hasNext():
            name = it.next().getPath().getName()
            if not name.startswith((".", "_")) and _kind_of(name):
                return _kind_of(name)
        return None

    def _csv_header(self) -> tuple[list[str], str]:
        if not self.remote:
            from paranalysis.records.reader import _csv_header

            heads = [_csv_header(f) for f in self.paths]
            for f, h in zip(self.paths[1:], heads[1:]):
                if h != heads[0]:
                    raise DataError([Problem(file=f, row=1, expected=Message("problem.rec.same_header", first=self.paths[0]))])
            return heads[0]
        first = self.spark.read.text(self.paths).first()
        return header_of_line(first[0] if first else "")

    def frame(self):
        """The whole export as a DataFrame: every column is declared, none is read until a
        query names it (projection pushdown)."""
        from pyspark.sql.types import StringType, StructField, StructType

        r = self.spark.read
        if self.root is not None:
            r = r.option("basePath", self.root)
        if self.kind == "parquet":
            df = r.parquet(*self.paths)
        else:
            # every field is text; a line with too many or too few fields is kept whole in
            # MALFORMED (never collected, only counted: Spark's FAILFAST mode would write the
            # line, which may hold a name, into its logs)
            schema = StructType([StructField(h, StringType()) for h in self.header] + [StructField(MALFORMED, StringType())])
            df = (r.option("header", "true").option("sep", self.delim).option("quote", '"').option("escape", '"')
                  .option("encoding", "UTF-8").option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", MALFORMED)
                  .option("enforceSchema", "true").schema(schema).csv(self.paths))
        return df

    def types(self, df) -> dict[str, str]:
        """Column names and types in DuckDB's spelling (so the shared column resolution applies)."""
        from pyspark.sql import types as T

        out = {}
        for f in df.schema.fields:
            t = f.dataType
            if isinstance(t, T.TimestampNTZType):
                out[f.name] = "TIMESTAMP"
            elif isinstance(t, T.TimestampType):
                out[f.name] = "TIMESTAMP WITH TIME ZONE"
            elif isinstance(t, T.DateType):
                out[f.name] = "DATE"
            elif isinstance(t, T.BooleanType):
                out[f.name] = "BOOLEAN"
            elif isinstance(t, T.StringType):
                out[f.name] = "VARCHAR"
            else:
                out[f.name] = t.simpleString().upper()
        return out


# ----------------------------------------------------------------------------- expressions

def _time_expr(col: str, dtype: str) -> str:
    """A column as a Vietnamese wall-clock TIMESTAMP_NTZ, as reader._Scan._time_expr does it
    in DuckDB: typed values kept (an instant converted to Asia/Ho_Chi_Minh time), text parsed
    as ISO date[time] (a trailing offset ignored, as DuckDB does) or day-first."""
    c = _q(col)
    t = dtype.upper()
    if t == "TIMESTAMP WITH TIME ZONE":
        return f"CAST({c} AS TIMESTAMP_NTZ)"  # the session time zone is Asia/Ho_Chi_Minh
    if t in ("TIMESTAMP", "DATE"):
        return f"CAST({c} AS TIMESTAMP_NTZ)"
    text = f"trim(CAST({c} AS STRING))"
    iso = (f"CASE WHEN {text} RLIKE '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}([ T].*)?$' THEN "
           f"try_cast(regexp_replace({text}, '([0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}([.][0-9]+)?)?) *([+-][0-9]{{2}}(:?[0-9]{{2}})?|Z)$', '$1') "
           f"AS TIMESTAMP_NTZ) END")
    day_first = ", ".join(f"try_to_timestamp({text}, {_lit(_JAVA_FORMATS[f])})" for f in _TEXT_TIME_FORMATS)
    return f"coalesce({iso}, CAST(coalesce({day_first}) AS TIMESTAMP_NTZ))"


def _as_text(col: str, dtype: str) -> str:
    return _q(col) if dtype.upper() == "VARCHAR" else f"CAST({_q(col)} AS STRING)"


def projection(cols: dict[str, tuple[str, str]], *, check_ids: bool = True, csv: bool = False) -> list[str]:
    """Spark SQL expressions naming only allowed columns (reader._Scan.projection, fast=True)."""
    rec, due, res = (_time_expr(*cols[c]) for c in ("received_at", "due_at", "resolved_at"))
    rc, rt = cols["resolved_at"]
    has_res = f"coalesce({_q(rc)} <> '', false)" if rt.upper() == "VARCHAR" else f"({_q(rc)} IS NOT NULL)"
    unit = f"nullif({_as_text(*cols['unit_code'])}, '')"
    if "synthetic" in cols:
        sc, st = cols["synthetic"]
        synth = f"coalesce({_q(sc)}, false)" if st.upper() == "BOOLEAN" else f"coalesce(try_cast(trim(CAST({_q(sc)} AS STRING)) AS BOOLEAN), false)"
    else:
        synth = "false"
    out = [f"{unit} AS unit_code", f"{rec} AS received_at", f"{due} AS due_at", f"{res} AS resolved_at",
           f"{has_res} AS _has_resolved_text", f"{_as_text(*cols['channel'])} AS channel",
           f"{_as_text(*cols['status'])} AS status", f"{synth} AS synthetic",
           f"{_as_text(*cols['procedure_code'])} AS procedure_code"]
    if check_ids:
        out.append(f"nullif({_as_text(*cols['record_id'])}, '') AS record_id")
    out.append(f"({_q(MALFORMED)} IS NOT NULL) AS _malformed" if csv else "false AS _malformed")
    return out


def _ids_proven_present(src: SparkSource, cols) -> bool:
    """As on DuckDB: local Parquet files whose statistics prove no record_id is missing need
    not have the codes read (the statistics are read with pyarrow, not Spark)."""
    if src.remote or src.kind != "parquet":
        return False
    import pyarrow.parquet as pq

    name = cols["record_id"][0]
    try:
        for f in src.paths:
            md = pq.ParquetFile(f).metadata
            idx = [i for i in range(md.num_columns) if md.schema.column(i).path == name]
            if not idx:
                return False
            for g in range(md.num_row_groups):
                st = md.row_group(g).column(idx[0]).statistics
                if st is None or not st.has_null_count or st.null_count != 0 or not st.has_min_max or st.min in ("", b""):
                    return False
    except Exception:  # unreadable metadata: check the codes row by row
        return False
    return True


def calendar_frame(spark, cal: pd.DataFrame):
    """The working-day calendar as a small Spark DataFrame (date, wd), for a broadcast join."""
    from pyspark.sql.types import DateType, IntegerType, StructField, StructType

    rows = list(zip(pd.to_datetime(cal["date"]).dt.date, cal["wd_index"].astype(int).tolist()))
    return spark.createDataFrame(rows, StructType([StructField("d", DateType(), False),
                                                   StructField("wd", IntegerType(), False)]))


def counts_frame(spark, src: SparkSource, keys: list[str], cal: pd.DataFrame):
    """The lazy Spark DataFrame of counts per ``keys`` (unit_code, period, procedure_code,
    working_days) and raw channel and status: what the DuckDB engine's one pass returns."""
    from pyspark.sql import functions as F

    df = src.frame()
    cols = resolve_columns({k: v for k, v in src.types(df).items() if k != MALFORMED}, src.rename, src.label)
    check_ids = not _ids_proven_present(src, cols)
    p = df.selectExpr(*projection(cols, check_ids=check_ids, csv=src.kind == "csv"))
    c = F.broadcast(calendar_frame(spark, cal))
    c1 = c.select(F.col("d").alias("_d1"), F.col("wd").alias("_wd1"))
    c2 = c.select(F.col("d").alias("_d2"), F.col("wd").alias("_wd2"))
    p = p.withColumn("_day_rec", F.expr("CAST(received_at AS DATE)")).withColumn("_day_res", F.expr("CAST(resolved_at AS DATE)"))
    j = (p.join(F.broadcast(c1), p["_day_rec"] == c1["_d1"], "left")
          .join(F.broadcast(c2), p["_day_res"] == c2["_d2"], "left"))
    id_check = "record_id IS NULL OR " if check_ids else ""
    j = j.selectExpr(
        "*", "_wd2 - _wd1 AS working_days",
        f"""(_malformed OR {id_check}unit_code IS NULL OR received_at IS NULL OR due_at IS NULL
             OR (_has_resolved_text AND resolved_at IS NULL)
             OR coalesce(resolved_at < received_at, false) OR coalesce(due_at < received_at, false)
             OR _wd1 IS NULL OR (resolved_at IS NOT NULL AND _wd2 IS NULL)) AS _bad_row""",
        "make_date(year(received_at), (quarter(received_at) - 1) * 3 + 1, 1) AS period")
    group = [k for k in keys if k in ("unit_code", "period", "procedure_code", "working_days")] + ["channel", "status"]
    return j.groupBy(*group).agg(
        F.count(F.lit(1)).alias("n"),
        F.expr("count_if(resolved_at > due_at)").alias("n_after_due"),
        F.expr("count_if(resolved_at IS NULL)").alias("no_resolution"),
        F.expr("count_if(_has_resolved_text)").alias("with_resolution_text"),
        F.expr("count_if(synthetic)").alias("n_synthetic"),
        F.expr("count_if(_bad_row)").alias("_bad"),
        F.expr("count_if(_malformed)").alias("_malformed"),
    )


def _clean_spark_error(exc: Exception) -> str:
    """Spark's error without any line or value of the file (which may hold personal data):
    the error class and its first line, quotes blanked, no 'record' text."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "malformed" in str(exc).lower() or "MALFORMED" in str(exc):
        return Message("problem.rec.malformed_line")
    first = re.sub(r"\"[^\"]{0,400}\"|'[^']{0,400}'|`[^`]{0,400}`", "<value>", first)
    return re.sub(r"(?i)record:.*", "", first)[:300].strip()


def spark_counts(path, keys: list[str], cal: pd.DataFrame, *, rename=None, channel_map=None, status_map=None,
                 spark=None, format: str | None = None) -> tuple[pd.DataFrame, object]:
    """Run the pass on Spark and collect the (small) counts to the driver as a pandas frame
    with the columns of the DuckDB engine's pass. Returns (counts, source)."""
    spark = _session(spark)
    src = SparkSource(spark, path, rename=rename, format=format)
    with _session_time_zone(spark, _TZ):
        frame = counts_frame(spark, src, keys, cal)
        try:
            rows = frame.collect()
        except Exception as exc:  # a Py4J / Spark analysis or runtime error
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise DataError([Problem(file=src.label, expected=Message("problem.rec.unreadable",
                                                                          detail=_clean_spark_error(exc)))],
                                file=src.label) from None
            raise
    names = frame.columns
    out = pd.DataFrame([tuple(r) for r in rows], columns=names)
    for c in ("n", "n_after_due", "no_resolution", "with_resolution_text", "n_synthetic", "_bad", "_malformed"):
        out[c] = out[c].astype("int64")
    if "working_days" in out.columns:
        out["working_days"] = pd.array(out["working_days"], dtype="Int64")
    if "period" in out.columns:
        out["period"] = pd.to_datetime(out["period"])
    return out, src


def diagnose_remote(src: SparkSource, frame_rows: int) -> list[Problem]:
    """Faults in a remote export cannot be located line by line with DuckDB; say how many
    rows failed and how to find them."""
    return [Problem(file=src.label, expected=Message("problem.rec.remote_faults", rows=frame_rows))]


def plan_text(path, *, spark=None, keys=("unit_code", "period", "working_days"), rename=None) -> str:
    """The physical plan of the Spark pass, untruncated (to check which columns are read)."""
    from paranalysis.records.calendar import working_day_calendar

    spark = _session(spark)
    src = SparkSource(spark, path, rename=rename)
    old = spark.conf.get("spark.sql.maxMetadataStringLength")
    spark.conf.set("spark.sql.maxMetadataStringLength", "100000")
    try:
        with _session_time_zone(spark, _TZ):
            frame = counts_frame(spark, src, list(keys), working_day_calendar())
            return frame._jdf.queryExecution().executedPlan().toString()
    finally:
        spark.conf.set("spark.sql.maxMetadataStringLength", old)


def scanned_columns(plan: str) -> list[list[str]]:
    """The columns each file scan of a physical plan reads (its ReadSchema), and the
    partition columns it lists (FileScan ... [columns])."""
    out = []
    for m in re.finditer(r"FileScan \w+ \[([^\]]*)\].*?ReadSchema: struct<(.*?)>(?:\s|$)", plan):
        listed = [re.sub(r"#\d+L?$", "", c.strip()) for c in m.group(1).split(",") if c.strip()]
        read = [f.split(":", 1)[0] for f in re.split(r",(?![^<]*>)", m.group(2)) if f]
        out.append(sorted(set(listed) | set(read)))
    return out


__all__ = ["LOCAL_CONF", "local_session", "require_spark", "spark_counts", "plan_text", "scanned_columns",
           "SparkSource"]



def main(argv=None) -> int:
    """``spark-submit .../paranalysis/records/spark.py PATH --out summary.csv``: the summary of
    a record dataset (a path Spark can read: hdfs://, s3a://, abfss://, gs://, file://, or a
    local path), written as CSV on the driver. Only the working-day counts reach the driver."""
    import argparse

    from paranalysis.records.summary import summarize

    ap = argparse.ArgumentParser(prog="paranalysis.records.spark", description=main.__doc__)
    ap.add_argument("path", help="file, folder, glob or partitioned dataset of record exports")
    ap.add_argument("--out", required=True, help="CSV file to write on the driver (one row per group)")
    ap.add_argument("--by", default="unit_code,period", help="group keys, comma-separated (default unit_code,period)")
    ap.add_argument("--format", choices=["parquet", "csv"], default=None,
                    help="format of a remote folder's files (default: from the file names)")
    args = ap.parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("paranalysis-records-summary").getOrCreate()
    out = summarize(args.path, by=[b.strip() for b in args.by.split(",") if b.strip()], engine="spark",
                    spark=spark, format=args.format)
    out.to_csv(args.out, index=False)
    print(f"{len(out)} groups, {int(out['received'].sum()):,} dossiers -> {args.out}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
