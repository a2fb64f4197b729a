"""How the commune registry and the 2025 crosswalk were transcribed from the shared
reference data (``../shared/reference-data/nghean_units_crosswalk_2025.csv`` and
``nghean_districts_pre2025.csv``), row by row, each row keeping its source, ``merge_type``
and ``confidence``.

The package ships the result (``resources/units_nghean_communes_pre2025.csv``,
``units_nghean_communes_2025.csv``, ``crosswalk_nghean_communes_2025.csv``);
``tests/test_units_registry.py`` re-runs this transcription on the reference files in place
and asserts the shipped files are exactly what it gives. Run as
``python -m paranalysis.units.transcribe <reference-data folder> <resources folder>``.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pandas as pd

from paranalysis.units.names import deaccent, nfc

CROSSWALK_FILE = "nghean_units_crosswalk_2025.csv"
DISTRICTS_FILE = "nghean_districts_pre2025.csv"
SNAPSHOT_SOURCE = ("dvhcvn/20250701 commit dd94887c (old units: daohoangson/dvhcvn v20250301 snapshot), "
                   "transcribed from shared reference-data/" + CROSSWALK_FILE)
NEW_SOURCE = ("Res. 1678/NQ-UBTVQH15 (16 Jun 2025), codes per GSO 1027/CTK-CSCL; dvhcvn/20250701 commit "
              "dd94887c, transcribed from shared reference-data/" + CROSSWALK_FILE)
DISTRICT_SOURCE = "shared reference-data/" + DISTRICTS_FILE + " (new_communes_2025, computed from the crosswalk)"
NEW_SUFFIX = "-2025"
OLD_VALID_TO = "2025-06-30"
NEW_VALID_FROM = "2025-07-01"
WEIGHT_RULE = ("weight rule: a partial old commune goes whole to the new commune in its own former district "
               "(the one whose other members are in that district); 0 here, flagged by harmonize")

_TYPES = [("Thị trấn ", "township"), ("Phường ", "ward"), ("Xã ", "commune")]

UNIT_FILE_COLUMNS = ["unit_code", "gso_code", "name_vi", "short_name_vi", "name_ascii", "level", "unit_type",
                     "parent_code", "valid_from", "valid_to", "aliases", "code_system", "source"]
CROSSWALK_FILE_COLUMNS = ["relation", "from_code", "to_code", "effective", "merge_type", "weight", "confidence",
                          "clause", "source", "note"]


def read_reference_csv(path: Path) -> pd.DataFrame:
    """A reference CSV without its ``#`` header lines (only leading lines are skipped: a
    ``#`` may appear inside a field)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1
    return pd.read_csv(io.StringIO("".join(lines[i:])), dtype=str, keep_default_na=False)


def new_code(gso: str) -> str:
    """The registry key of a 2025 commune/ward: its GSO code with the vintage ("17866-2025")."""
    return f"{gso}{NEW_SUFFIX}"


def _split(name: str) -> tuple[str, str]:
    for prefix, kind in _TYPES:
        if name.startswith(prefix):
            return name[len(prefix):], kind
    raise ValueError(f"unexpected commune name {name!r}")


def _unit(code, gso, name, parent, valid_from, valid_to, system, source) -> dict:
    name = nfc(name)
    short, kind = _split(name)
    return {"unit_code": code, "gso_code": gso, "name_vi": name, "short_name_vi": short,
            "name_ascii": deaccent(name), "level": "commune", "unit_type": kind, "parent_code": parent,
            "valid_from": valid_from, "valid_to": valid_to, "aliases": "", "code_system": system, "source": source}


def transcribe(reference_dir: Path) -> dict[str, pd.DataFrame]:
    """The three shipped tables, from the reference folder."""
    ref = Path(reference_dir)
    cw = read_reference_csv(ref / CROSSWALK_FILE)
    districts = read_reference_csv(ref / DISTRICTS_FILE)
    old, new = {}, {}
    for r in cw.itertuples(index=False):
        if r.old_commune_code not in old:
            old[r.old_commune_code] = _unit(r.old_commune_code, r.old_commune_code, r.old_commune_name,
                                            r.old_district_code, "", OLD_VALID_TO, "GSO", SNAPSHOT_SOURCE)
        if r.new_commune_code not in new:
            new[r.new_commune_code] = _unit(new_code(r.new_commune_code), r.new_commune_code, r.new_commune_name,
                                            r.old_province_code, NEW_VALID_FROM, "", "GSO-2025", NEW_SOURCE)
    # districts of each new commune's full-merge members, for the weight rule on partial rows
    full_districts: dict[str, set[str]] = {}
    for r in cw.itertuples(index=False):
        if r.merge_type == "full":
            full_districts.setdefault(r.new_commune_code, set()).add(r.old_district_code)
    links = []
    for r in cw.itertuples(index=False):
        if r.merge_type == "full":
            weight, note = "1", ""
        else:
            own = r.old_district_code in full_districts.get(r.new_commune_code, set())
            weight, note = ("1" if own else "0"), WEIGHT_RULE
        links.append({"relation": "merged_into", "from_code": r.old_commune_code,
                      "to_code": new_code(r.new_commune_code), "effective": NEW_VALID_FROM,
                      "merge_type": r.merge_type, "weight": weight, "confidence": r.confidence,
                      "clause": nfc(r.resolution_line), "source": SNAPSHOT_SOURCE,
                      "note": note})
    by_name = {u["name_vi"]: u["unit_code"] for u in new.values()}
    for r in districts.itertuples(index=False):
        for name in [n.strip() for n in r.new_communes_2025.split(";") if n.strip()]:
            links.append({"relation": "district_commune", "from_code": r.district_code,
                          "to_code": by_name[nfc(name)], "effective": NEW_VALID_FROM, "merge_type": "",
                          "weight": "", "confidence": "", "clause": "", "source": DISTRICT_SOURCE,
                          "note": "the former district held (part of) this 2025 commune"})
    return {
        "units_nghean_communes_pre2025.csv": pd.DataFrame(list(old.values()), columns=UNIT_FILE_COLUMNS),
        "units_nghean_communes_2025.csv": pd.DataFrame(
            sorted(new.values(), key=lambda u: u["unit_code"]), columns=UNIT_FILE_COLUMNS),
        "crosswalk_nghean_communes_2025.csv": pd.DataFrame(links, columns=CROSSWALK_FILE_COLUMNS),
    }


def to_csv_text(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buf.getvalue()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ref, out = Path(argv[0]), Path(argv[1])
    for name, df in transcribe(ref).items():
        (out / name).write_text(to_csv_text(df), encoding="utf-8")
        print(f"{name}: {len(df)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
