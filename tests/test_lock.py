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


def locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {canonical(p["name"]): p["version"] for p in lock["package"] if "version" in p}


def test_every_installed_locked_package_has_its_locked_version():
    pins = locked()
    installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {
        name: (installed[name], pins[name])
        for name in pins
        if name in installed and installed[name] != pins[name] and name != "kpi-alert-bot"
    }
    assert not wrong, f"installed (left) differs from uv.lock (right): {wrong}; run `make test` to sync"
    for name in ("slack-bolt", "sqlalchemy", "pandas", "apscheduler", "pytest", "duckdb", "ruff", "mypy"):
        assert name in installed, f"{name} is locked but not installed"


def test_the_lock_covers_every_dependency_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = list(project["project"]["dependencies"]) + list(project["dependency-groups"]["dev"])
    wanted += [r for extra in project["project"]["optional-dependencies"].values() for r in extra]
    names = {canonical(re.split(r"[\[<>=!~;, ]", r, maxsplit=1)[0]) for r in wanted}
    missing = sorted(names - set(locked()) - {"kpi-alert-bot"})
    assert not missing, f"not in uv.lock: {missing}; run `make lock`"
