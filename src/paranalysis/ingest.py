"""Adding a quarter of processing counts to a dataset folder, safely (``paranalysis ingest``).

What ingest writes in the dataset folder DIR::

    processing_ingested.csv              every ingested row, one per unit and quarter
    raw/<quarter>/<sha12>_<name>         the received file, byte for byte
    raw/<quarter>/<sha12>_<name>.json    its sidecar: original name, sha256, size, time, period
    raw/revisions.csv                    one line per ingest that changed DIR (the revisions log)

Rules:

- The file is validated first (``paranalysis.load_processing``: tidy CSV/Parquet or the
  official form .xlsx); any problem stops ingest before anything is written.
- DIR is updated atomically: every new file is written to ``DIR/.staging/<id>/``,
  flushed to disk, and only then renamed into place (``os.replace``). Files about to be
  replaced are kept (hard links) until the new dataset has loaded cleanly; any failure,
  at any step, puts them back, so DIR is left byte-identical. If the machine stops in the
  middle, the next ingest finishes or undoes the interrupted one from the journal in
  ``.staging`` (which ``load_dataset`` ignores).
- The same file ingested again changes nothing. A different file for a (unit, quarter)
  already ingested replaces those rows and is recorded as a revision (with the number
  of values that changed). Rows are never doubled.
- Rows are never mixed silently with the synthetic demo data: a (unit, quarter) already
  present in another table file of DIR (for instance ``processing_synthetic.csv`` of the
  bundled demo) is refused, because ingest never edits files it does not manage. Real
  quarters the demo does not cover may be added to a copy of the demo folder; ingest then
  warns and records it, every report shows the synthetic banner, and the ``synthetic``
  column keeps saying which rows are demo rows. For real work, ingest into a new folder.
- ``synthetic=True`` (``--synthetic``) marks the ingested rows as demonstration data.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

import paranalysis
from paranalysis.dataset import load_dataset, table_files
from paranalysis.errors import DataError, Problem, reading_notes
from paranalysis.folderlock import LOCK_NAME, folder_lock, remove_lock_file
from paranalysis.i18n import Message
from paranalysis.schemas import PROCESSING_TABLE_COLUMNS, validate
from paranalysis.tables import read_table
from paranalysis.units import package_units

INGESTED_FILE = "processing_ingested.csv"
RAW_DIR = "raw"
REVISIONS_FILE = "raw/revisions.csv"
STAGING_DIR = ".staging"
REVISION_COLUMNS = [
    "time_utc", "action", "periods", "units", "file_name", "sha256", "raw_path", "rows",
    "new_rows", "replaced_rows", "changed_values", "replaced_sha256", "synthetic", "note",
]
_SHA_TAG = re.compile(r"sha256:([0-9a-f]{12})")
KEY = ["unit_code", "period"]


@dataclass
class IngestResult:
    """What one ingest did. ``action`` is "added", "revised" or "unchanged"."""

    action: str
    periods: list[str]
    rows: int
    new_rows: int = 0
    replaced_rows: int = 0
    changed_values: int = 0
    sha256: str = ""
    raw_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    covered: tuple[str, str] | None = None  # first and last quarter of DIR afterwards

    def summary(self) -> str:
        periods = ", ".join(self.periods)
        if self.action == "unchanged":
            return f"nothing changed: this file ({self.sha256[:12]}) was already ingested for {periods}"
        head = {"added": "added", "revised": "revised"}[self.action]
        text = (f"{head} {periods}: {self.rows} rows ({self.new_rows} new, {self.replaced_rows} replaced, "
                f"{self.changed_values} values changed); raw copy kept at {self.raw_path}")
        if self.covered:
            text += f"; the folder now covers {self.covered[0]} to {self.covered[1]}"
        return text


# ------------------------------------------------------------------------------------
# Writing tidy CSV the way read_table reads it back
# ------------------------------------------------------------------------------------

def processing_csv_bytes(df: pd.DataFrame) -> bytes:
    """Processing rows as the project's tidy CSV (UTF-8, "2024Q2" periods, empty = missing),
    sorted by unit and quarter so the same rows always give the same bytes."""
    out = df[PROCESSING_TABLE_COLUMNS].copy()
    out = out.sort_values(KEY).reset_index(drop=True)
    out["period"] = out["period"].astype(str)
    out["synthetic"] = out["synthetic"].map(lambda b: "true" if b else "false")
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _csv_bytes(df: pd.DataFrame, columns: list[str]) -> bytes:
    buf = io.StringIO()
    df[columns].to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes: how a received file is recognised when ingested again,
    and how report footers name their inputs."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------------------
# The transaction: stage, journal, replace, verify; undo on any failure
# ------------------------------------------------------------------------------------

def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_steps_done = 0


def _checkpoint(step: str) -> None:
    """Before every disk-changing step of ingest, undo and recovery. Fault injection for the
    tests: ``PARANALYSIS_TEST_CRASH_AT=N`` ends the process (``os._exit``, no clean-up) at
    the N-th step; ``PARANALYSIS_TEST_FAIL_VERIFY=1`` makes the final check fail (undo)."""
    global _steps_done
    _steps_done += 1
    at = os.environ.get("PARANALYSIS_TEST_CRASH_AT")
    if at and _steps_done == int(at):
        os._exit(77)
    if step == "verify" and os.environ.get("PARANALYSIS_TEST_FAIL_VERIFY"):
        raise RuntimeError("injected verification failure")


class _Transaction:
    """A set of file writes in ``root`` that happens completely or not at all."""

    def __init__(self, root: Path):
        self.root = root
        self.created_root = False
        self.dir: Path | None = None
        self.ops: list[dict] = []  # {"target": rel, "staged": rel-to-txn-dir, "backup": rel or None}
        self.created_dirs: list[str] = []

    def checkpoint(self, step: str) -> None:
        """Called before every step that touches the disk (tests inject failures here)."""
        _checkpoint(step)

    # -- staging --------------------------------------------------------------------------
    def _ensure_dir(self) -> Path:
        if self.dir is None:
            if not self.root.exists():
                self.checkpoint("mkdir root")
                self.root.mkdir(parents=True)
                self.created_root = True
            self.checkpoint("mkdir staging")
            self.dir = self.root / STAGING_DIR / uuid.uuid4().hex
            self.dir.mkdir(parents=True)
        return self.dir

    def write(self, rel: str, data: bytes | None = None, *, copy_from: Path | None = None,
              writer=None) -> None:
        """Stage ``data`` (or a copy of ``copy_from``, or the output of ``writer(fh)``)
        for ``root/rel``."""
        d = self._ensure_dir()
        staged = f"new/{len(self.ops)}"
        path = d / staged
        path.parent.mkdir(exist_ok=True)
        self.checkpoint(f"write {rel}")
        with open(path, "wb") as fh:
            if copy_from is not None:
                with open(copy_from, "rb") as src:
                    shutil.copyfileobj(src, fh)
            elif writer is not None:
                writer(fh)
            else:
                fh.write(data)
            fh.flush()
            self.checkpoint(f"fsync {rel}")
            os.fsync(fh.fileno())
        self.ops.append({"target": rel, "staged": staged, "backup": None})

    # -- commit ------------------------------------------------------------------------------
    def commit(self, verify=None) -> None:
        """Move the staged files into place; ``verify()`` runs on the result and may raise
        to undo everything."""
        if not self.ops:
            return
        d = self.dir
        try:
            (d / "old").mkdir()
            for i, op in enumerate(self.ops):
                target = self.root / op["target"]
                if target.exists():
                    op["backup"] = f"old/{i}"
                    self.checkpoint(f"backup {op['target']}")
                    try:
                        os.link(target, d / op["backup"])
                    except OSError:
                        shutil.copy2(target, d / op["backup"])
            for op in self.ops:  # directories the new files need (made after the journal)
                parent = (self.root / op["target"]).parent
                missing = []
                while not parent.exists():
                    missing.append(str(parent.relative_to(self.root)))
                    parent = parent.parent
                self.created_dirs += [m for m in reversed(missing) if m not in self.created_dirs]
            self._write_journal("journal.json")
            self.checkpoint("journal")
            os.replace(d / "journal.json", d / "COMMITTED")  # from here on, recovery rolls forward
            _fsync_dir(d)
            for rel in self.created_dirs:
                self.checkpoint(f"mkdir {rel}")
                (self.root / rel).mkdir(exist_ok=True)
            for op in self.ops:
                self.checkpoint(f"replace {op['target']}")
                os.replace(d / op["staged"], self.root / op["target"])
            for parent in {(self.root / op["target"]).parent for op in self.ops}:
                _fsync_dir(parent)
            if verify is not None:
                self.checkpoint("verify")
                verify()
        except BaseException:
            self.rollback()
            raise
        with contextlib.suppress(OSError):  # the change is complete; leftovers are removed next time
            self._cleanup()

    def _write_journal(self, name: str) -> None:
        data = {"ops": self.ops, "created_dirs": self.created_dirs, "created_root": self.created_root}
        tmp = self.dir / (name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.dir / name)  # a journal is complete or absent

    def rollback(self) -> None:
        """Put every replaced file back and remove every new one (also used by recovery)."""
        if self.dir is not None and self.dir.exists():
            # mark the undo first, so an interruption during it is undone again next time
            with contextlib.suppress(OSError):
                self.checkpoint("journal rollback")
                self._write_journal("ROLLBACK")
            _undo(self.root, self.dir, self.ops, self.created_dirs)
        self._cleanup()
        if self.created_root and self.root.exists() and not any(self.root.iterdir()):
            self.root.rmdir()

    def _cleanup(self) -> None:
        if self.dir is not None and self.dir.exists():
            _checkpoint("remove journal folder")  # (a crash here leaves a finished journal)
            shutil.rmtree(self.dir)
        staging = self.root / STAGING_DIR
        if staging.exists() and not any(staging.iterdir()):
            staging.rmdir()


def _undo(root: Path, d: Path, ops: list[dict], created_dirs: list[str]) -> None:
    committed = (d / "COMMITTED").exists() or (d / "ROLLBACK").exists()
    for op in ops:
        target = root / op["target"]
        staged_still_there = (d / op["staged"]).exists()
        if op.get("backup") and (d / op["backup"]).exists():
            _checkpoint(f"undo restore {op['target']}")
            os.replace(d / op["backup"], target)
        elif committed and not staged_still_there and target.exists() and not op.get("backup"):
            _checkpoint(f"undo remove {op['target']}")
            target.unlink()  # a new file that had already been moved into place
    for rel in sorted(created_dirs, key=lambda s: -len(Path(s).parts)):
        p = root / rel
        if p.exists() and not any(p.iterdir()):
            _checkpoint(f"undo rmdir {rel}")
            p.rmdir()


def recover(root) -> list[str]:
    """Finish (journal COMMITTED) or undo (otherwise) ingests interrupted by a crash in
    ``root``. Returns what was done. Called at the start of every ingest."""
    root = Path(root)
    staging = root / STAGING_DIR
    done = []
    if not staging.is_dir():
        return done
    for d in sorted(p for p in staging.iterdir() if p.is_dir()):
        journal = d / "ROLLBACK" if (d / "ROLLBACK").exists() else d / "COMMITTED"
        if (d / "ROLLBACK").exists():
            j = json.loads(journal.read_text(encoding="utf-8"))
            _undo(root, d, j["ops"], j["created_dirs"])
            done.append(f"undid an interrupted ingest ({d.name})")
        elif (d / "COMMITTED").exists():
            j = json.loads(journal.read_text(encoding="utf-8"))
            for rel in j["created_dirs"]:
                _checkpoint(f"recover mkdir {rel}")
                (root / rel).mkdir(exist_ok=True)
            for op in j["ops"]:
                if (d / op["staged"]).exists():
                    _checkpoint(f"recover replace {op['target']}")
                    os.replace(d / op["staged"], root / op["target"])
            done.append(f"completed an interrupted ingest ({d.name})")
        else:
            done.append(f"discarded an unfinished ingest ({d.name})")
        _checkpoint("recover remove journal folder")
        shutil.rmtree(d)
    if not any(staging.iterdir()):
        _checkpoint("recover rmdir staging")
        staging.rmdir()
    return done


def pending(root) -> bool:
    """True if ``root`` holds the journal of an unfinished (interrupted or running) ingest."""
    return (Path(root) / STAGING_DIR).is_dir()  # an empty one is a stop during the clean-up


def _folder_lock(root: Path, **kw):
    """One writer at a time per dataset folder: the lock file inside it (paranalysis.folderlock)."""
    return folder_lock(root, create=True, **kw)


# ------------------------------------------------------------------------------------
# Ingest
# ------------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    s = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._")
    return s[:120] or "file"


def _period_label(periods: list[str]) -> str:
    return periods[0] if len(periods) == 1 else f"{periods[0]}-{periods[-1]}"


def _keys(df: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(df["unit_code"].astype(str), df["period"].astype(str)))


def _count_changed(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """Number of count values that differ between old and new rows of the same keys."""
    from paranalysis.schemas import COMBINED_COUNT_COLUMNS, COMBINED_COUNTS, COUNT_COLUMNS, OPTIONAL_COUNT_COLUMNS

    cols = COUNT_COLUMNS + COMBINED_COUNT_COLUMNS + OPTIONAL_COUNT_COLUMNS + ["synthetic"]
    a = old.assign(period=old["period"].astype(str)).set_index(KEY)[cols].sort_index()
    b = new.assign(period=new["period"].astype(str)).set_index(KEY)[cols].sort_index()
    a = a.loc[a.index.isin(b.index)]
    b = b.loc[a.index]
    diff = 0
    for c in cols:
        x, y = a[c], b[c]
        same = (x == y).fillna(False) | (x.isna() & y.isna())
        if c in COMBINED_COUNTS:  # a sum of two parts counts as changed only where a part is unknown
            p = COMBINED_COUNTS[c][0]
            same = same | (a[p].notna() & b[p].notna())
        diff += int((~same.astype(bool)).sum())
    return diff


def _read_revisions(root: Path) -> pd.DataFrame:
    path = root / REVISIONS_FILE
    if not path.exists():
        return pd.DataFrame(columns=REVISION_COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def revisions(data_dir) -> pd.DataFrame:
    """The revisions log of a dataset folder (empty if nothing was ingested): one row per
    ingest that changed the folder, newest last."""
    df = _read_revisions(Path(data_dir))
    for c in ("rows", "new_rows", "replaced_rows", "changed_values"):
        df[c] = pd.to_numeric(df[c]).astype("Int64") if len(df) else pd.Series(dtype="Int64")
    return df


def ingest(file, data_dir, *, period=None, synthetic: bool = False, now: datetime | None = None,
           mapping=None) -> IngestResult:
    """Validate ``file`` (official form .xlsx or tidy CSV/Parquet of processing counts)
    and add its quarter(s) to the dataset folder ``data_dir`` (created if missing), as
    described in the module docstring. Raises DataError, leaving the folder unchanged,
    on any problem. ``mapping``: a header mapping file for an official form, merged over
    the package's (default: ``form_header_mapping.yaml`` in the data folder, if any)."""
    file = Path(file)
    root = Path(data_dir)
    if not file.is_file():
        raise DataError([Problem(file=str(file), expected=Message("problem.data.file_to_ingest"))])
    if root.exists() and not root.is_dir():
        raise DataError([Problem(file=str(root), expected=Message("problem.data.folder_is_a_file"))])
    now = now or datetime.now(timezone.utc)
    created = not root.exists()
    with _folder_lock(root):
        try:
            return _ingest_locked(file, root, period=period, synthetic=synthetic, now=now, mapping=mapping)
        except BaseException:
            # a folder this ingest made and left empty is removed again (waiters retry on a new lock)
            if created and root.is_dir() and {p.name for p in root.iterdir()} <= {LOCK_NAME}:
                remove_lock_file(root)
                with contextlib.suppress(OSError):
                    root.rmdir()
            raise


def _ingest_locked(file: Path, root: Path, *, period, synthetic, now, mapping) -> IngestResult:
    notes = recover(root) if root.exists() else []
    fresh = not root.exists() or not any(p for p in root.iterdir() if p.name not in (STAGING_DIR, LOCK_NAME))
    if fresh:
        units = package_units()
    else:
        try:
            units = load_dataset(root).units
        except DataError as exc:
            raise DataError([Problem(file=str(root), expected=Message("problem.data.valid_folder_first"))]
                            + exc.problems) from None

    with reading_notes() as caught:
        rows = paranalysis.load_processing(file, period=period, units=units, mapping=mapping,
                                           data_dir=root if root.is_dir() else None)
    notes += [str(w.message) for w in caught]
    if "period_label" in rows.columns:  # a half-year, nine-month or annual report: never a quarter
        raise DataError([Problem(file=str(file), column=Message("form.col_period_arg"), value=str(period),
                                 expected=Message("problem.data.quarter_only"))])
    if rows.empty:
        raise DataError([Problem(file=str(file), expected=(
            Message("problem.data.rows_for_period", period=period) if period
            else Message("problem.data.rows_of_counts")))])
    rows = rows[PROCESSING_TABLE_COLUMNS].copy()
    known = set(units["unit_code"])
    problems = [Problem(file=str(file), row=None, column="unit_code", value=c,
                        expected=Message("problem.data.unit_code_package_or_folder"))
                for c in sorted(set(rows["unit_code"]) - known)]
    if problems:
        raise DataError(problems, file=str(file))
    sha = sha256_file(file)
    sha12 = sha[:12]
    if synthetic:
        rows["synthetic"] = True
    tag = f"ingested from {file.name} sha256:{sha12}"
    rows["source"] = [tag if s is None or pd.isna(s) or not str(s).strip() else f"{s} | {tag}"
                      for s in rows["source"]]
    rows = validate(rows.reset_index(drop=True), "processing", file=str(file))
    periods = sorted(rows["period"].astype(str).unique())

    # rows in DIR that ingest does not manage: never edited, never doubled
    ingested_path = root / INGESTED_FILE
    other_files = [p for p in (table_files(root, "processing") if root.exists() else [])
                   if p.resolve() != ingested_path.resolve()]
    others = read_table(other_files, "processing", root=root) if other_files else None
    cautions: list[str] = outside_validity(rows, units)
    if others is not None and len(others):
        clash = _keys(rows) & _keys(others)
        if clash:
            synth = others[others["synthetic"]]
            clash_synth = clash & _keys(synth)
            qs = sorted({q for _, q in clash})
            if clash_synth:
                msg = Message("problem.data.real_over_synthetic", quarters=", ".join(qs), n=len(clash_synth))
            else:
                msg = Message("problem.data.overlap_unmanaged", quarters=", ".join(qs), n=len(clash),
                              files=", ".join(str(p.relative_to(root)) for p in other_files))
            raise DataError([Problem(file=str(file), column="period", value=", ".join(qs), expected=msg)])
        if others["synthetic"].any() and not rows["synthetic"].all():
            cautions.append("the folder holds synthetic demo rows; the real rows ingested now sit beside them "
                            "(every report will show the synthetic-data banner). For real work, ingest into a "
                            "new empty folder.")

    current = read_table([ingested_path], "processing", root=root) if ingested_path.exists() else None
    if current is not None and len(current):
        replaced_keys = _keys(rows) & _keys(current)
        keep = current[[k not in replaced_keys for k in zip(current["unit_code"].astype(str),
                                                             current["period"].astype(str))]]
        merged = pd.concat([keep, rows], ignore_index=True)
        old_rows = current[[k in replaced_keys for k in zip(current["unit_code"].astype(str),
                                                            current["period"].astype(str))]]
        replaced_sha = sorted({m for s in old_rows["source"].dropna() for m in _SHA_TAG.findall(str(s))})
    else:
        replaced_keys, merged, old_rows, replaced_sha = set(), rows, rows.iloc[0:0], []
    merged = merged.astype({"period": "period[Q-DEC]"})
    new_bytes = processing_csv_bytes(merged)

    raw_rel = f"{RAW_DIR}/{_period_label(periods)}/{sha12}_{_safe_name(file.name)}"
    changed = _count_changed(old_rows, rows) if len(old_rows) else 0
    same_file = (replaced_keys == _keys(rows) and changed == 0
                 and all(f"sha256:{sha12}" in str(s) for s in old_rows["source"]))
    if same_file:  # these exact bytes were ingested before and are what the folder holds
        earlier = sorted(root.glob(f"{RAW_DIR}/*/{sha12}_*"))
        return IngestResult(action="unchanged", periods=periods, rows=len(rows), sha256=sha,
                            raw_path=next((p for p in earlier if p.suffix != ".json"), None), warnings=notes)

    action = "revised" if replaced_keys else "added"
    sidecar = {
        "original_name": file.name,
        "sha256": sha,
        "size_bytes": file.stat().st_size,
        "ingested_at_utc": now.isoformat(timespec="seconds"),
        "periods": periods,
        "period_option": str(period) if period is not None else None,
        "rows": int(len(rows)),
        "units": sorted(rows["unit_code"].unique().tolist()),
        "synthetic": bool(rows["synthetic"].all()),
        "action": action,
        "replaced_sha256_12": replaced_sha,
        "paranalysis_version": paranalysis.__version__,
    }
    log = _read_revisions(root) if root.exists() else pd.DataFrame(columns=REVISION_COLUMNS)
    entry = {
        "time_utc": sidecar["ingested_at_utc"], "action": action, "periods": " ".join(periods),
        "units": str(rows["unit_code"].nunique()), "file_name": file.name, "sha256": sha,
        "raw_path": raw_rel, "rows": str(len(rows)), "new_rows": str(len(rows) - len(replaced_keys)),
        "replaced_rows": str(len(replaced_keys)), "changed_values": str(changed),
        "replaced_sha256": " ".join(replaced_sha),
        "synthetic": "true" if sidecar["synthetic"] else "false",
        "note": " ".join(cautions),
    }
    log = pd.concat([log, pd.DataFrame([entry])], ignore_index=True)

    def verify():
        ds = load_dataset(root)
        missing = _keys(rows) - _keys(ds.processing)
        if missing:
            raise DataError([Problem(file=str(root), expected=Message("problem.data.rows_after_writing", n=len(missing)))])

    txn = _Transaction(root)
    try:
        txn.write(raw_rel, copy_from=file)
        txn.write(raw_rel + ".json", (json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        txn.write(INGESTED_FILE, writer=lambda fh: _write_table(fh, new_bytes))
        txn.write(REVISIONS_FILE, _csv_bytes(log, REVISION_COLUMNS))
        txn.commit(verify=verify)
    except BaseException:
        txn.rollback()
        raise
    ds_after = load_dataset(root)
    ps = ds_after.periods()
    return IngestResult(action=action, periods=periods, rows=len(rows), new_rows=len(rows) - len(replaced_keys),
                        replaced_rows=len(replaced_keys), changed_values=changed, sha256=sha,
                        raw_path=root / raw_rel, warnings=notes + cautions,
                        covered=(str(ps[0]), str(ps[-1])) if len(ps) else None)


def outside_validity(rows: pd.DataFrame, units: pd.DataFrame) -> list[str]:
    """Cautions for rows of a unit in a quarter when the unit did not exist (e.g. a
    district after the district tier was abolished on 1 Jul 2025, or Cửa Lò after its
    merger into Vinh on 1 Dec 2024). Kept, not refused: the export is what it is. One
    caution per quarter and validity window, naming the units."""
    u = units.set_index("unit_code")
    groups: dict[tuple[str, str], list[str]] = {}
    for code, period in sorted({(str(c), p) for c, p in zip(rows["unit_code"], rows["period"])}):
        if code not in u.index:
            continue
        vf, vt = u.at[code, "valid_from"], u.at[code, "valid_to"]
        if not pd.isna(vt) and period.start_time > vt:
            groups.setdefault((str(period), f"ceased to exist after {vt.date()}"), []).append(code)
        elif not pd.isna(vf) and period.end_time < vf:
            groups.setdefault((str(period), f"did not exist before {vf.date()}"), []).append(code)
    return [f"{len(codes)} unit(s) with rows for {period} {why}: {', '.join(codes)}"
            for (period, why), codes in sorted(groups.items())]


def _write_table(fh, data: bytes) -> None:
    """Write the processed table (a seam for tests that inject a failure mid-write)."""
    fh.write(data)
