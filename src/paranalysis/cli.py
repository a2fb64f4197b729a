"""Command-line tool ``paranalysis`` (validate, ingest, run)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _run(args) -> int:
    from paranalysis.report import run_notebooks

    run_notebooks(data=args.data, quarter=args.quarter, out=args.out, lang=args.lang)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="paranalysis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="execute all notebooks and write HTML reports")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--quarter", default=None)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--lang", choices=["vi", "en"], default="vi")
    p.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
