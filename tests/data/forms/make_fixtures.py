"""Make the spreadsheet fixtures of tests/test_forms_layouts.py (run once; needs LibreOffice:
``apt-get install libreoffice-calc-nogui``). CI reads the committed files and needs no
LibreOffice.

    .venv/bin/python tests/data/forms/make_fixtures.py

- form_2024Q2.xls / form_2024Q2.ods: ``write_official_form(make_rows(), period="2024Q2")``
  (merged three-row header, STT, "Tổng cộng" row, on-time rate) converted by LibreOffice.
- formulas_cached.xlsx: the same form with its total columns and total row written as
  formulas by openpyxl (no cached values), opened and saved by LibreOffice, which stores
  the computed values beside the formulas.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from test_officialform import make_rows  # noqa: E402

from paranalysis.forms import write_official_form  # noqa: E402


def with_formulas(src: Path, dst: Path) -> Path:
    """Replace the printed totals (records, resolved, pending) and the total row by formulas."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb.active
    total_row = next(c.row for c in ws["B"] if c.value == "Tổng cộng")
    first = 12
    for r in range(first, total_row):
        ws.cell(r, 3, f"=D{r}+E{r}+F{r}+G{r}")
        ws.cell(r, 8, f"=SUM(I{r}:K{r})")
        ws.cell(r, 12, f"=M{r}+N{r}")
    for c in range(3, 15):
        letter = openpyxl.utils.get_column_letter(c)
        ws.cell(total_row, c, f"=SUM({letter}{first}:{letter}{total_row - 1})")
    wb.save(dst)
    return dst


def convert(src: Path, fmt: str, out_dir: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--calc", "--convert-to", fmt, "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=300)
    return out_dir / (src.stem + "." + fmt.split(":")[0])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        form = write_official_form(make_rows(), tmp / "form_2024Q2.xlsx", period="2024Q2")
        for fmt in ("xls", "ods"):
            shutil.copy(convert(form, fmt, tmp), HERE / f"form_2024Q2.{fmt}")
        f = with_formulas(form, tmp / "formulas_cached.xlsx")
        conv = tmp / "conv"
        conv.mkdir()
        shutil.copy(convert(f, "xlsx", conv), HERE / "formulas_cached.xlsx")
    for p in sorted(HERE.glob("*.xls*")) + sorted(HERE.glob("*.ods")):
        print(p.name, p.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
