"""How long `paranalysis validate` takes on one small official form, against the floor of a
bare `python -c "import pandas, openpyxl, pandera"` measured in the same run (issue 16:
within 1.6x). Contenders are interleaved and each timing is a fresh process.

    .venv/bin/python benchmarks/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    import paranalysis
    from paranalysis.officialform import write_official_form

    ds = paranalysis.load_dataset()
    quarter = sorted(ds.processing["period"].astype(str).unique())[-5]
    with tempfile.TemporaryDirectory() as tmp:
        form = Path(tmp) / "form.xlsx"
        write_official_form(ds.processing[ds.processing["period"].astype(str) == quarter], form,
                            period=quarter)
        cli = str(Path(sys.executable).with_name("paranalysis"))
        bare = [sys.executable, "-c", "import pandas, openpyxl, pandera"]
        validate = [cli, "validate", str(form)]
        _time(bare), _time(validate)  # warm the file cache
        tb, tv = [], []
        for _ in range(args.repeat):
            tb.append(_time(bare))
            tv.append(_time(validate))
    mb, mv = statistics.median(tb), statistics.median(tv)
    print(f"form quarter {quarter}; {args.repeat} runs each, interleaved")
    print(f"bare imports      median {mb:.2f} s  (min {min(tb):.2f}, max {max(tb):.2f})")
    print(f"paranalysis validate median {mv:.2f} s  (min {min(tv):.2f}, max {max(tv):.2f})")
    print(f"ratio {mv / mb:.2f} (target <= 1.6)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
