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


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_lock_file_pins_every_declared_dependency_within_its_declared_range():
    """requirements.lock is one tested set inside pyproject's ranges: each declared package
    (core and extras) is pinned, and each pin satisfies the range users are promised."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    pins = _lock_pins()
    for spec in declared:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is declared in pyproject.toml but not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's range {req.specifier}")


def test_setup_installs_with_the_lock_and_tests_run_the_linter():
    tasks = (ROOT / "tasks.py").read_text()
    assert '"-c", str(LOCK)' in tasks and 'LOCK = ROOT / "requirements.lock"' in tasks
    assert '"ruff", "check"' in tasks
    assert "-c requirements.lock" in (ROOT / ".ci" / "run").read_text()
