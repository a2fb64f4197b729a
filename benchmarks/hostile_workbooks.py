"""Rerun the hostile-workbook probes of issue 12 and print time and peak memory of each.

    .venv/bin/python benchmarks/hostile_workbooks.py [--out DIR]

Each probe is built here (the XML parts of an .xlsx written directly, as an attacker
would), then read by ``paranalysis.load_processing`` in a fresh Python process whose
peak resident memory (ru_maxrss) and wall time are measured. Every probe must end in a
DataError naming the file, sheet and cell, in seconds and well under 1 GiB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from xlsx_parts import simple_form_rows, write_xlsx  # noqa: E402

UNITS = [("TP Vinh", [10, 20, 30, 4, 25, 30, 5, 3, 1]), ("H. Quế Phong", [1, 2, 3, 4, 5, 2, 1, 1, 1])]

CHILD = r"""
import sys, time, warnings
t0 = time.perf_counter()
warnings.simplefilter("ignore")
import paranalysis
try:
    df = paranalysis.load_processing(sys.argv[1])
    print(f"loaded {len(df)} rows")
except paranalysis.DataError as exc:
    print(f"DataError, {len(exc.problems)} problem(s); first: {str(exc.problems[0])[:160]}")
    if len(exc.problems) > 1:
        print(f"   last: {str(exc.problems[-1])[:160]}")
except Exception as exc:
    print(f"OTHER {type(exc).__name__}: {str(exc)[:160]}")
# VmHWM: this process's peak resident memory (ru_maxrss would carry the parent's over exec)
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(f"@@ {time.perf_counter() - t0:.3f} {hwm}")
"""


def build(folder: Path) -> list[tuple[str, Path]]:
    out = []
    p = write_xlsx(folder / "xfd1048576.xlsx", simple_form_rows(UNITS),
                   extra_rows_xml='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    out.append(("one cell at XFD1048576", p))
    p = write_xlsx(folder / "a1048576.xlsx", simple_form_rows(UNITS),
                   extra_rows_xml='<row r="1048576"><c r="A1048576"><v>1</v></c></row>')
    out.append(("one cell at A1048576", p))
    # a 300 MB string in the shared strings, compressed to a few hundred KB
    p = folder / "string300mb.xlsx"
    write_xlsx(p, simple_form_rows(UNITS), extra_rows_xml='<row r="30"><c r="B30" t="s"><v>0</v></c></row>',
               shared_xml="PLACEHOLDER")
    tmp = folder / "tmp.xlsx"
    with zipfile.ZipFile(p) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/sharedStrings.xml":
                with zout.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
                    fh.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                             b'spreadsheetml/2006/main" count="1"><si><t>')
                    chunk = b"x" * (1 << 20)
                    for _ in range(300):
                        fh.write(chunk)
                    fh.write(b"</t></si></sst>")
            else:
                zout.writestr(info, zin.read(info.filename))
    tmp.replace(p)
    out.append(("300 MB string", p))
    bad = [(f"Đơn vị không có {i}", [1] * 9) for i in range(100_000)]
    out.append(("100,000 bad rows", write_xlsx(folder / "bad100k.xlsx", simple_form_rows(bad))))
    bad = [(f"Đơn vị không có {i}", [1] * 9) for i in range(4_900)]
    out.append(("4,900 bad rows (within the sheet bounds)", write_xlsx(folder / "bad4900.xlsx", simple_form_rows(bad))))
    c = list(UNITS[0][1])
    c[1] = 2**64
    out.append(("a count of 2**64", write_xlsx(folder / "count2_64.xlsx", simple_form_rows([("TP Vinh", c), UNITS[1]]))))
    c = [2**62] * 9
    out.append(("counts of 2**62", write_xlsx(folder / "count2_62.xlsx", simple_form_rows([("TP Vinh", c), UNITS[1]]))))
    fixtures = HERE.parent / "tests" / "data" / "forms"  # made by LibreOffice (tests/data/README.md)
    for suffix in ("xls", "ods"):
        out.append((f".{suffix}: one cell at IV65536", fixtures / f"far_IV65536.{suffix}"))
    return out


def run(path: Path) -> tuple[float, float, str]:
    """(seconds from the start of the child's Python to its end, including the import of
    paranalysis; the child's peak resident memory in MiB; what it printed)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    tail = next((ln for ln in lines if ln.startswith("@@ ")), "@@ nan 0")
    _, t, rss = tail.split()
    out = "\n".join(ln for ln in lines if not ln.startswith("@@ ")) or proc.stderr[-300:]
    return float(t), int(rss) / 1024, out  # VmHWM is in KiB


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="folder for the probe files (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.out or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        probes = build(folder)
        base_t, base_m, _ = run(folder / "none.xlsx")
        print(f"baseline (import paranalysis, then a missing file): {base_t:.2f} s, {base_m:.0f} MiB peak")
        print(f"{'probe':44} {'file':>10} {'time':>8} {'peak RSS':>10}  result")
        for name, p in probes:
            t, m, out = run(p)
            size = p.stat().st_size
            print(f"{name:44} {size / 1024:8.1f}KB {t:7.2f}s {m:8.0f}MiB  {out}")


if __name__ == "__main__":
    main()
