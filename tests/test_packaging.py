"""The package installs, exposes its contracts, and declares the same dependencies in
pyproject.toml and environment.yml."""

import re
import tomllib
from pathlib import Path

import yaml

import paranalysis

ROOT = Path(__file__).resolve().parents[1]


def _norm(spec: str) -> tuple[str, str]:
    spec = spec.replace(" ", "")
    m = re.match(r"^([A-Za-z0-9_.\-]+)(.*)$", spec)
    name, rng = m.group(1).lower().replace("_", "-"), m.group(2)
    return name, ",".join(sorted(rng.split(","))) if rng else ""


def test_version_exists():
    assert re.fullmatch(r"\d+\.\d+\.\d+", paranalysis.__version__)


def test_public_entry_points():
    assert callable(paranalysis.load_dataset)
    assert callable(paranalysis.load_processing)
    assert issubclass(paranalysis.DataError, ValueError)


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    py = dict(_norm(d) for d in declared)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_norm(d) for d in env["dependencies"]  # python and pip themselves (not python-calamine)
                 if isinstance(d, str) and re.split(r"[<>=!~ ]", d, maxsplit=1)[0] not in ("python", "pip"))
    assert conda == py
    assert project["requires-python"] == ">=3.11"
    assert py["pandas"] == _norm("pandas>=3.1,<4")[1]


def test_readme_quick_start_has_two_commands_and_ci_uses_test_command():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [ln.split("#")[0].strip() for ln in block.strip().splitlines() if ln.strip()]
    assert commands == ["python3 tasks.py run", "python3 tasks.py test"]
    assert "python3 tasks.py test" in (ROOT / ".ci" / "run").read_text()
