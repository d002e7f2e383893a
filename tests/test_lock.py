"""uv.lock is what runs: every locked package installed here has its locked version (the Makefile installs
from the lock with `uv sync --frozen`), and the lock covers every dependency pyproject.toml names."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, set[str]]:
    """Each locked package's versions (one per Python range where the lock forks: numpy 2.4 for 3.11, 2.5 above)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for package in lock["package"]:
        if "version" in package:
            found.setdefault(canonical(package["name"]), set()).add(package["version"])
    return found


def test_every_installed_locked_package_has_its_locked_version():
    pins = locked()
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = drift(installed, pins)
    assert not wrong, f"installed (left) differs from uv.lock (right): {wrong}; run `make test` to sync"
    for name in ("slack-bolt", "sqlalchemy", "pandas", "apscheduler", "pytest", "duckdb", "ruff", "mypy"):
        assert name in installed, f"{name} is locked but not installed"


def drift(installed: dict[str, str], pins: dict[str, set[str]]) -> dict[str, tuple[str, list[str]]]:
    """The packages installed at a version the lock does not hold (the project itself aside)."""
    return {
        name: (installed[name], sorted(pins[name]))
        for name in pins
        if name in installed and installed[name] not in pins[name] and name != "kpi-alert-bot"
    }


def test_a_version_the_lock_does_not_hold_is_drift():
    assert drift({"numpy": "1.26.0", "pandas": "3.1.1"}, {"numpy": {"2.4.6", "2.5.5"}, "pandas": {"3.1.1"}}) == {
        "numpy": ("1.26.0", ["2.4.6", "2.5.5"])
    }


def test_the_lock_covers_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = list(project["project"]["dependencies"]) + list(project["dependency-groups"]["dev"])
    wanted += [r for extra in project["project"]["optional-dependencies"].values() for r in extra]
    names = {canonical(re.split(r"[\[<>=!~;, ]", r, maxsplit=1)[0]) for r in wanted}
    missing = sorted(names - set(locked()) - {"kpi-alert-bot"})
    assert not missing, f"not in uv.lock: {missing}; run `make lock`"
