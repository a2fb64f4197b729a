"""Seconds each notebook's kernel spends importing libraries beyond ``import paranalysis``
(issue 16: the floor of `paranalysis run` is a notebook that only imports the package).

Two figures per notebook, each in a fresh process, median of ``--repeat`` runs (wall
clock and CPU seconds; the CPU figure is steadier on a shared machine):

- ``cell``: the import lines of the parameters cell and of the cell after it (the
  notebook's import cell), minus ``import paranalysis`` timed in the same process first;
- ``run`` (with ``--run``): every module the whole notebook has loaded once it has run
  (executed in-process once, figures on Agg, ``display`` a no-op; modules the runner
  itself loaded before are not counted), imported again in a fresh process after
  ``import paranalysis``: the libraries the notebook pays for, including those its
  functions import lazily.

IPython is imported before the clock starts (a kernel has it already).

    PYTHONPATH=src .venv/bin/python benchmarks/notebook_imports.py [--repeat 3] [--run]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIME_CELL = r"""
import sys, time
import IPython.display  # noqa: F401  (a kernel has IPython loaded)
code = sys.stdin.read()
t0, c0 = time.perf_counter(), time.process_time()
import paranalysis  # noqa: F401
t1, c1 = time.perf_counter(), time.process_time()
exec(compile(code, "<imports>", "exec"), {})
t2, c2 = time.perf_counter(), time.process_time()
print(t1 - t0, t2 - t1, c1 - c0, c2 - c1)
"""

TIME_MODULES = r"""
import importlib, json, sys, time
import IPython.display  # noqa: F401
names = json.loads(sys.stdin.read())
t0, c0 = time.perf_counter(), time.process_time()
import paranalysis  # noqa: F401
t1, c1 = time.perf_counter(), time.process_time()
for name in names:
    if name not in sys.modules:
        try:
            importlib.import_module(name)
        except Exception:
            pass
t2, c2 = time.perf_counter(), time.process_time()
print(t1 - t0, t2 - t1, c1 - c0, c2 - c1)
"""

RUN_NOTEBOOK = r"""
import json, os, sys
import matplotlib
matplotlib.use("Agg")
import IPython.display as D
import nbformat
D.display = lambda *a, **k: None
path = os.path.abspath(sys.argv[1])
nb = nbformat.read(path, as_version=4)
src = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not c.source.lstrip().startswith("%"))
os.chdir(os.path.dirname(path))
before = set(sys.modules)
exec(compile(src, path, "exec"), {"__name__": "__main__", "display": D.display})
with open(sys.argv[2], "w") as f:
    json.dump(sorted(set(sys.modules) - before), f)
"""


def import_lines(cell_source: str) -> str:
    """The import statements of a cell, in order."""
    tree = ast.parse(cell_source)
    return "\n".join(ast.get_source_segment(cell_source, n) for n in tree.body
                     if isinstance(n, (ast.Import, ast.ImportFrom)))


def notebook_imports(path: Path) -> str:
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    i = next(k for k, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    return "\n".join(import_lines("".join(c["source"])) for c in cells[i:i + 2])


def _python(code: str, stdin: str, *args: str) -> str:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                          check=True, env=env, cwd=str(ROOT)).stdout


def _median(rows: list[list[float]], i: int) -> float:
    return statistics.median(r[i] for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--run", action="store_true", help="also time every module a whole run of the notebook loads")
    ap.add_argument("notebooks", nargs="*", type=Path)
    args = ap.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("0*.ipynb"))
    floors = []
    for path in paths:
        code = notebook_imports(path)
        cell = [list(map(float, _python(TIME_CELL, code).split())) for _ in range(args.repeat)]
        floors += [c[0::2] for c in cell]
        line = f"{path.name}: cell +{_median(cell, 1):.2f} s (cpu +{_median(cell, 3):.2f} s)"
        if args.run:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "modules.json"
                done = subprocess.run([sys.executable, "-c", RUN_NOTEBOOK, str(path), str(out)], cwd=str(ROOT),
                                      capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{path.name} failed:\n{done.stderr[-3000:]}")
                names = out.read_text(encoding="utf-8")
            run = [list(map(float, _python(TIME_MODULES, names).split())) for _ in range(args.repeat)]
            heavy = [m for m in ("scipy.special", "scipy.stats", "statsmodels", "matplotlib.pyplot")
                     if m in json.loads(names)]
            line += (f", run +{_median(run, 1):.2f} s (cpu +{_median(run, 3):.2f} s; loads "
                     f"{', '.join(heavy) or 'none of the heavy ones'})")
        print(line, flush=True)
    print(f"import paranalysis: {statistics.median(f[0] for f in floors):.2f} s "
          f"(cpu {statistics.median(f[1] for f in floors):.2f} s; median of {len(floors)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
