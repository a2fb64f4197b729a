#!/usr/bin/env python3
"""Set-up and entry points for paranalysis, using only the Python standard library.

    python3 tasks.py run     set up .venv, then run every notebook on the bundled data
                             and write the HTML reports to reports/
    python3 tasks.py test    set up .venv, then check the code with ruff and run the whole
                             test suite (unit tests and notebooks under nbval)
    python3 tasks.py lock    rewrite requirements.lock from the installed .venv

Set-up installs the exact versions pinned in requirements.lock (as pip constraints), within
the ranges declared in pyproject.toml.

Extra arguments after the command are passed on (to `paranalysis run` or to pytest).
Set-up is skipped when .venv is already installed for the current pyproject.toml.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".setup-stamp"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


LOCK = ROOT / "requirements.lock"


def _fingerprint() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if LOCK.exists():
        digest.update(LOCK.read_bytes())
    return digest.hexdigest()


def setup() -> None:
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PY.exists():
        return
    if sys.version_info < (3, 11):
        sys.exit(f"paranalysis needs Python >= 3.11; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run(pip + ["install", "--quiet", "--upgrade", "pip"], check=True)
    print("installing paranalysis and its dependencies into .venv", flush=True)
    constraints = ["-c", str(LOCK)] if LOCK.exists() else []
    subprocess.run(pip + ["install", "--quiet", *constraints, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "setup", "lock"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    setup()
    if command == "setup":
        return 0
    if command == "lock":
        return _write_lock()
    if command == "run":
        return subprocess.run([str(BIN / "paranalysis"), "run", *rest], cwd=ROOT).returncode
    lint = subprocess.run([str(PY), "-m", "ruff", "check", "src", "tests", "notebooks", "benchmarks", "tasks.py"], cwd=ROOT)
    if lint.returncode != 0:
        print("ruff found problems (above); fix them, or see [tool.ruff] in pyproject.toml", flush=True)
        return lint.returncode
    return subprocess.run([str(PY), "-m", "pytest", *rest], cwd=ROOT).returncode


def _write_lock() -> int:
    """Pin what .venv holds now (the package itself excluded) into requirements.lock."""
    frozen = subprocess.run([str(PY), "-m", "pip", "freeze", "--exclude-editable"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.splitlines()
    header = [ln for ln in LOCK.read_text().splitlines() if ln.startswith("#")] if LOCK.exists() else []
    pins = sorted((ln for ln in frozen if ln and not ln.startswith(("-e", "#"))
                   and not ln.lower().startswith("paranalysis")), key=str.lower)
    LOCK.write_text("\n".join(header + pins) + "\n")
    print(f"wrote {len(pins)} pins to {LOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
