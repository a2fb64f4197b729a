"""Command-line tool ``paranalysis``: the quarterly cycle in three commands.

    paranalysis validate FILE...                      check files, list every problem
    paranalysis ingest FILE --data DIR [--period Q]   add a quarter to a dataset folder, safely
    paranalysis run [--data DIR] [--quarter Q] [--out DIR] [--lang vi|en]
                                                      run every notebook, publish HTML reports
    paranalysis export-form --quarter Q --data DIR [--level L] [--out FILE]
                                                      write the quarter as the official form (.xlsx)
    paranalysis fetch-service-index --province ID --period 2026-08 --data DIR
                                                      fetch the Decision 766 scorecard, keep it as received

Exit status: 0 success; 1 data problems or a failed notebook; 2 wrong command line;
3 unexpected internal error (set PARANALYSIS_DEBUG=1 to see the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
_TABLE_PREFIXES = ("investments", "rankings", "units", "facts", "processing")


def _say(*lines: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    for line in lines:
        print(line, file=stream, flush=True)


def _print_problems(exc, head: str | None = None) -> None:
    problems = exc.problems
    _say(f"{head or 'error'}: {len(problems)} problem{'s' if len(problems) != 1 else ''} found", err=True)
    for p in problems:
        _say(f"  - {p}", err=True)


def _table_of(path: Path) -> str:
    stem = path.stem.lower()
    for t in _TABLE_PREFIXES:
        if stem == t or stem.startswith(t + "_") or stem.startswith(t + "-"):
            return t
    return "processing"


# ------------------------------------------------------------------------------------
def _validate(args) -> int:
    """Check each file (or dataset folder) and print every problem."""
    import paranalysis
    from paranalysis.errors import DataError, Problem, reading_notes
    from paranalysis.i18n import Message
    from paranalysis.tables import read_table

    bad = 0
    for f in args.files:
        path = Path(f)
        try:
            with reading_notes() as caught:
                if path.is_dir():  # a dataset folder: every table in it, as load_dataset reads them
                    ds = paranalysis.load_dataset(path)
                    if not any(ds.files.values()):
                        raise DataError([Problem(file=str(path), expected=Message("problem.data.folder_without_tables"))])
                    ps = ds.periods()
                    what = (f"dataset folder: {len(ds.processing)} processing rows"
                            + (f" ({ps[0]} to {ps[-1]})" if len(ps) else "")
                            + f", {len(ds.investments)} investments, {len(ds.rankings)} ranking rows")
                elif not path.exists():
                    raise DataError([Problem(file=str(path), expected=Message("problem.data.existing_file"))])
                else:
                    table = _table_of(path) if path.suffix.lower() in {".csv", ".parquet"} else "processing"
                    if table == "processing":
                        df = paranalysis.load_processing(path, period=args.period, mapping=args.mapping)
                        qs = sorted(df["period"].astype(str).unique())
                        what = (f"{len(df)} processing rows, {df['unit_code'].nunique()} units, "
                                f"quarters {', '.join(qs) if len(qs) <= 4 else qs[0] + ' to ' + qs[-1]}")
                        if df.empty:
                            raise DataError([Problem(file=str(path), expected=(
                                Message("problem.data.no_processing_rows_for", period=args.period) if args.period
                                else Message("problem.data.no_processing_rows")))])
                    else:
                        df = read_table([path], table)
                        what = f"{len(df)} rows of the {table} table"
            _say(f"OK    {path}: {what}")
            for w in caught:
                _say(f"      note: {w.message}")
        except DataError as exc:
            bad += 1
            _say(f"FAIL  {path}: {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}")
            for p in exc.problems:
                _say(f"      - {p}")
    if bad:
        _say(f"{bad} of {len(args.files)} file{'s' if len(args.files) != 1 else ''} with problems", err=True)
        return EXIT_PROBLEMS
    return EXIT_OK


def _ingest(args) -> int:
    """Validate FILE and add its quarter(s) to the dataset folder DIR."""
    from paranalysis.ingest import ingest

    res = ingest(args.file, args.data, period=args.period, synthetic=args.synthetic,
                 **({"mapping": args.mapping} if args.mapping else {}))
    for w in res.warnings:
        _say(f"note: {w}", err=True)
    _say(res.summary())
    if res.action != "unchanged":
        _say(f"revisions log: {Path(args.data) / 'raw' / 'revisions.csv'}")
    return EXIT_OK


def _skip_unused_uri_grammar() -> None:
    """This command's process only: jsonschema, which nbformat imports, compiles the RFC 3987
    grammar of the optional rfc3987-syntax package at import (~0.8 s) for a "uri" format
    check that reading and writing notebooks never uses. Marking that package absent here
    makes jsonschema leave the check out, as it does wherever the package is not installed."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def _run(args) -> int:
    """Run every notebook and publish the HTML reports."""
    _skip_unused_uri_grammar()
    from paranalysis.reporting import list_notebooks, notebooks_dir, run_notebooks

    nbs = None
    if args.notebook:
        every = list_notebooks()
        nbs = [p for p in every if any(s in p.name for s in args.notebook)]
        if not nbs:
            _say(f"error: no notebook matches {', '.join(args.notebook)} in {notebooks_dir()} "
                 f"(there are: {', '.join(p.name for p in every)})", err=True)
            return EXIT_PROBLEMS
    t0 = time.perf_counter()
    res = run_notebooks(data=args.data, quarter=args.quarter, out=args.out, lang=args.lang, notebooks=nbs,
                        progress=not args.no_progress)
    for r in res.reports:
        mark = "ok    " if r.ok else "FAILED"
        _say(f"{mark} {r.notebook} -> {res.out / r.html} ({r.html_bytes / 1024:.0f} KB, {r.seconds:.0f} s)"
             + ("" if r.ok else f"\n       {r.error}"))
    _say(f"reports for {res.quarter} ({res.lang}): {res.index}  [{time.perf_counter() - t0:.0f} s]")
    if not res.ok:
        _say(f"error: {len(res.failed)} notebook(s) failed; their pages say so and show the error (a page holding live markup is not published)", err=True)
        return EXIT_PROBLEMS
    return EXIT_OK


def _export_form(args) -> int:
    """Write one quarter of a dataset folder as the official report form (.xlsx)."""
    from paranalysis.forms import export_form

    out = export_form(args.data, args.quarter, args.out, level=args.level)
    _say(f"wrote {out}")
    return EXIT_OK


def _fetch_service_index(args) -> int:
    """Fetch the Decision 766 reporting API responses and keep them as received."""
    from paranalysis.serviceindex.fetch import fetch_service_index

    res = fetch_service_index(args.province, args.period, args.data, base_url=args.base_url,
                              endpoints=args.endpoint, timeout=args.timeout)
    _say(res.summary())
    t = res.table
    if t is not None and len(t):
        top = t[(t["level"] == "province") & (t["component"] == t["group"])]
        for r in top.itertuples():
            score = "missing" if r.score != r.score else f"{r.score:g}"
            _say(f"  {r.unit_id or r.portal_id} {r.period} {r.component}: {score} / {r.max_score:g}")
    return EXIT_OK


# ------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paranalysis", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from paranalysis import __version__

    parser.add_argument("--version", action="version", version=f"paranalysis {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{validate,ingest,run,export-form,fetch-service-index}")

    v = sub.add_parser("validate", help="check files (official form .xlsx, tidy CSV/Parquet, or a dataset folder)")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--period", help="quarter such as 2024Q2 (for a workbook whose title omits it)")
    v.add_argument("--mapping", metavar="FILE", help="header mapping (YAML) merged over the package's")
    v.set_defaults(func=_validate)

    i = sub.add_parser("ingest", help="validate a file and add its quarter to a dataset folder")
    i.add_argument("file", metavar="FILE")
    i.add_argument("--data", required=True, metavar="DIR", help="dataset folder (created if missing)")
    i.add_argument("--period", help="quarter such as 2024Q2 (default: from the workbook title / the file)")
    i.add_argument("--synthetic", action="store_true", help="mark the rows as synthetic demonstration data")
    i.add_argument("--mapping", metavar="FILE", help="header mapping (YAML) merged over the package's "
                   "(default: form_header_mapping.yaml in the data folder, if any)")
    i.set_defaults(func=_ingest)

    e = sub.add_parser("export-form", help="write a quarter of a dataset folder as the official form (.xlsx)")
    e.add_argument("--quarter", required=True, help="quarter such as 2024Q2")
    e.add_argument("--data", required=True, metavar="DIR", help="dataset folder")
    e.add_argument("--level", choices=["province", "agency", "district", "commune"],
                   help="keep units of one level (default: all, in sections by level)")
    e.add_argument("--out", metavar="FILE", help="output .xlsx (default: DIR/bieu_mau_<quarter>.xlsx)")
    e.set_defaults(func=_export_form)

    r = sub.add_parser("run", help="run every notebook and write HTML reports")
    r.add_argument("--data", default=None, metavar="DIR", help="dataset folder (default: the bundled data)")
    r.add_argument("--quarter", default=None, help="quarter such as 2024Q2 (default: latest in the data)")
    r.add_argument("--out", default=None, metavar="DIR", help="output folder (default: reports/<quarter>/)")
    from paranalysis.i18n import DEFAULT_LANG, LANGS

    r.add_argument("--lang", choices=list(LANGS), default=DEFAULT_LANG,
                   help=f"report language (default: {DEFAULT_LANG})")
    r.add_argument("--notebook", action="append", metavar="NAME",
                   help="run only notebooks whose file name contains NAME (repeatable)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.set_defaults(func=_run)

    f = sub.add_parser("fetch-service-index",
                       help="fetch the Decision 766 scorecard from the portal's reporting API and keep it as received")
    f.add_argument("--province", required=True, help="the province's rootDepartmentId on the portal (or H44)")
    f.add_argument("--period", required=True, help="month 2026-08, quarter 2026Q3 or year 2026")
    f.add_argument("--data", required=True, metavar="DIR", help="dataset folder (created if missing)")
    f.add_argument("--base-url", default="https://dichvucong.gov.vn", help="portal address (default: %(default)s)")
    f.add_argument("--endpoint", action="append", help="only this endpoint (repeatable; default: all six)")
    f.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default: %(default)s)")
    f.set_defaults(func=_fetch_service_index)
    return parser


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):  # Vietnamese text must never crash a console
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with status 2 and a usage message on a bad command line
    from paranalysis.errors import DataError, RunError  # not paranalysis.reporting: it loads the notebook stack

    try:
        return args.func(args)
    except DataError as exc:
        _print_problems(exc)
        return EXIT_PROBLEMS
    except RunError as exc:
        _say(f"error: {exc}", err=True)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        _say("interrupted", err=True)
        return 130
    except (OSError, ValueError) as exc:
        if os.environ.get("PARANALYSIS_DEBUG"):
            raise
        _say(f"error: {exc}", err=True)
        return EXIT_PROBLEMS
    except Exception as exc:  # never a traceback for the analyst; the debug switch shows it
        if os.environ.get("PARANALYSIS_DEBUG"):
            raise
        _say(f"internal error: {type(exc).__name__}: {exc}", err=True)
        _say("please report this; set PARANALYSIS_DEBUG=1 to see the traceback", err=True)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
