"""The provenance footer of every report: what the data covers and which files (sha256),
the package and dependency versions, the git commit, the parameters and the run time --
naming folders by name, never by this machine's paths."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import paranalysis
from paranalysis.dataset import Dataset, bundled_data_dir
from paranalysis.i18n import t
from paranalysis.ingest import sha256_file  # one checksum for raw files and report provenance
from paranalysis.reporting.notebooks import NOTEBOOK_PARAMETERS


def git_commit() -> str | None:
    """The git commit of the package source (with "+ local changes" when the working
    tree differs), or None outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" + local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def data_vintage(ds: Dataset) -> dict:
    """What the data covers and exactly which files it came from (sha256 of each)."""
    p = ds.processing
    periods = ds.periods()
    inv = ds.investments
    rk = ds.rankings
    files = []
    for f in ds.input_files():
        try:
            rel = str(f.relative_to(ds.path))
        except ValueError:
            rel = str(f)
        files.append({"path": rel, "sha256": sha256_file(f), "size": f.stat().st_size})
    from paranalysis.ingest import revisions

    log = revisions(ds.path)
    latest = log.iloc[-1].to_dict() if len(log) else None
    return {
        "folder": Path(ds.path).name,  # by name: a report never shows this machine's paths
        "versions": dependency_versions(),
        "bundled": _same_path(ds.path, bundled_data_dir()),
        "processing": {"first": str(periods[0]) if len(periods) else None,
                       "last": str(periods[-1]) if len(periods) else None,
                       "units": int(p["unit_code"].nunique()), "rows": int(len(p))},
        "investments": {"n": int(len(inv)),
                        "first": str(inv["date_in_operation"].min().date()) if len(inv) else None,
                        "last": str(inv["date_in_operation"].max().date()) if len(inv) else None},
        "rankings": {"indices": sorted(rk["index"].unique().tolist()) if len(rk) else [],
                     "first": int(rk["year"].min()) if len(rk) else None,
                     "last": int(rk["year"].max()) if len(rk) else None},
        "synthetic": {tname: int(getattr(ds, tname)["synthetic"].sum()) for tname in ds.synthetic_tables()},
        "files": files,
        "latest_ingest": {k: str(v) for k, v in latest.items()} if latest else None,
    }


DEPENDENCIES = ("pandas", "numpy", "statsmodels", "matplotlib", "openpyxl", "pandera", "papermill", "nbconvert")


def dependency_versions() -> dict:
    """Versions of Python and of the libraries the numbers and pages depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def scrub_paths(text: str, *paths) -> str:
    """``text`` with this machine's folders (the data folder, the environment, the home
    folder) replaced by a short name."""
    subs = [(str(p), f"<{name}>") for p, name in paths if p]
    subs += [(sys.prefix, "<python>"), (sys.base_prefix, "<python>"), (str(Path.home()), "~")]
    for old, new in sorted(subs, key=lambda x: -len(x[0])):
        if old and len(old) > 1:
            text = text.replace(old, new).replace(json.dumps(old)[1:-1], new)
    return text


def _same_path(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def provenance_block(vintage: dict, *, lang: str, parameters: dict, started: str | None,
                     seconds: float | None, commit: str | None) -> dict:
    """The footer of one report, as (label, value) pairs in ``lang``."""
    v = vintage
    pr, inv, rk = v["processing"], v["investments"], v["rankings"]
    items = [
        (t("prov.data", lang), f"{v['folder']}" + (f" ({t('prov.bundled', lang)})" if v["bundled"] else "")),
        (t("prov.vintage", lang), t("prov.vintage_value", lang, first=pr["first"], last=pr["last"],
                                    n_units=pr["units"], n_rows=pr["rows"]) if pr["first"] else t("prov.none", lang)),
        (t("prov.investments", lang), t("prov.investments_value", lang, n=inv["n"], first=inv["first"],
                                        last=inv["last"]) if inv["n"] else t("prov.none", lang)),
        (t("prov.rankings", lang), t("prov.rankings_value", lang, indices=", ".join(rk["indices"]),
                                     first=rk["first"], last=rk["last"]) if rk["indices"] else t("prov.none", lang)),
    ]
    if v["synthetic"]:
        items.append((t("prov.synthetic_rows", lang), ", ".join(f"{k}: {n}" for k, n in v["synthetic"].items())))
    li = v.get("latest_ingest")
    if li:
        items.append((t("prov.last_ingest", lang),
                      f"{li['time_utc']} UTC: {li['action']} {li['periods']} ← {li['file_name']} "
                      f"(sha256 {li['sha256'][:12]}…)"))
    items += [
        (t("prov.version", lang), paranalysis.__version__ + (" · " + ", ".join(
            f"{k} {x}" for k, x in v["versions"].items() if x) if v.get("versions") else "")),
        (t("prov.commit", lang), commit or t("prov.unavailable", lang)),
        (t("prov.parameters", lang), ", ".join(f"{k}={parameters.get(k)!r}" for k in NOTEBOOK_PARAMETERS)),
    ]
    if started:
        items.append((t("prov.run_time", lang), t("prov.run_time_value", lang, start=started,
                                                  seconds=f"{seconds:.1f}" if seconds is not None else "?")))
    return {"heading": t("prov.heading", lang), "items": items, "files": v["files"],
            "files_label": t("prov.files", lang)}


def _local_time(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().isoformat(timespec="seconds")
    except ValueError:
        return iso
