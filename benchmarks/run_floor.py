"""How long `paranalysis run` takes on the bundled data against its floor, measured in the
same run (issue 16: within 1.5x).

The floor is what any run of N notebooks must pay whatever they compute: N times
papermill-executing (a fresh kernel) and exporting to HTML a notebook that only has the
parameters cell and ``import paranalysis``. N is the number of notebooks `paranalysis run`
executes. The floor is measured one notebook after another, as a run without workers
would pay it; the run itself uses the cores there are (``PARANALYSIS_WORKERS``). On Linux the
run forks its kernels from one warm process (``paranalysis.reporting.forkkernel``), so it no
longer pays a kernel start per notebook as the floor does; ``--ordinary`` also times the run
with ordinary kernels.

    .venv/bin/python benchmarks/run_floor.py [--repeat 1] [--sequential] [--ordinary] [--out benchmarks/results/run_floor.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent


def floor_once(workdir: Path, n: int) -> float:
    """Seconds to execute and export the import-only notebook ``n`` times in a row."""
    import nbformat
    import papermill as pm

    from paranalysis.reporting import export_html

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("data_dir = None\nquarter = None\nlang = 'vi'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("import paranalysis")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    src = workdir / "00-floor.ipynb"
    nbformat.write(nb, src)
    t0 = time.perf_counter()
    for i in range(n):
        dst = workdir / f"floor-{i}.ipynb"
        pm.execute_notebook(str(src), str(dst), parameters={"lang": "vi"}, kernel_name="python3",
                            cwd=str(workdir), progress_bar=False, log_output=False)
        html = export_html(nbformat.read(dst, as_version=4), lang="vi", banner=None, provenance=None,
                           failed=None, title="floor")
        (workdir / f"floor-{i}.html").write_text(html, encoding="utf-8")
    return time.perf_counter() - t0


def run_once(out: Path, workers: int | None, ordinary: bool = False) -> tuple[float, dict]:
    env = dict(os.environ)
    if workers is not None:
        env["PARANALYSIS_WORKERS"] = str(workers)
    if ordinary:
        env["PARANALYSIS_FORK_KERNELS"] = "0"
    cli = str(Path(sys.executable).with_name("paranalysis"))
    t0 = time.perf_counter()
    subprocess.run([cli, "run", "--out", str(out)], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t0
    manifest = json.loads((out / "run-vi.json").read_text(encoding="utf-8"))
    return seconds, manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="floor/run pairs, interleaved (median reported)")
    ap.add_argument("--sequential", action="store_true", help="also time the run with one worker")
    ap.add_argument("--ordinary", action="store_true",
                    help="also time the run with ordinary kernels (PARANALYSIS_FORK_KERNELS=0), not forked ones")
    ap.add_argument("--out", type=Path, default=None, help="write the result as Markdown here")
    args = ap.parse_args()

    os.environ.setdefault("MPLBACKEND", "Agg")
    from paranalysis.reporting import list_notebooks, run_workers

    n = len(list_notebooks())
    floors, runs, seq, plain = [], [], [], []
    last = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor_once(tmp, 1)  # warm caches (imports, kernel spec) before timing
        for r in range(args.repeat):
            floors.append(floor_once(tmp, n))
            seconds, last = run_once(tmp / f"run-{r}", None)
            runs.append(seconds)
            if args.sequential:
                seq.append(run_once(tmp / f"seq-{r}", 1)[0])
            if args.ordinary:
                plain.append(run_once(tmp / f"plain-{r}", None, ordinary=True)[0])
    f, r = statistics.median(floors), statistics.median(runs)
    lines = [
        f"# `paranalysis run` against its floor ({date.today().isoformat()})",
        "",
        f"Command: `.venv/bin/python benchmarks/run_floor.py --repeat {args.repeat}"
        + (" --sequential" if args.sequential else "") + (" --ordinary" if args.ordinary else "") + "`",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{run_workers()} notebooks at once; {n} notebooks.",
        "",
        f"- floor ({n} x execute + export an import-only notebook): {f:.1f} s "
        f"({', '.join(f'{x:.1f}' for x in floors)})",
        f"- `paranalysis run` on the bundled data: {r:.1f} s ({', '.join(f'{x:.1f}' for x in runs)})",
        f"- ratio run / floor: **{r / f:.2f}** (target 1.5 or less)",
    ]
    if plain:
        lines.append(f"- the same run with ordinary kernels (PARANALYSIS_FORK_KERNELS=0): {statistics.median(plain):.1f} s "
                     f"({', '.join(f'{x:.1f}' for x in plain)}), ratio {statistics.median(plain) / f:.2f}")
    if seq:
        lines.append(f"- the same run with one worker (PARANALYSIS_WORKERS=1): {statistics.median(seq):.1f} s")
    if last:
        lines += ["", "Notebook seconds in the last run (each timed inside its worker):", ""]
        lines += [f"- {x['notebook']}: {x['seconds']} s" for x in last["reports"]]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
