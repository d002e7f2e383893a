"""The README's first steps behave as it says: the demo database, the command line examples, the hints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.console import DEMO_HINT, DEMO_URL

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def kpi(args: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DATABASE_URL", "SOURCE_"))}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "kpi", *args], capture_output=True, text=True, cwd=cwd, env=environment, timeout=120
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A folder with demo.db, as `make demo` leaves it (fewer days, for speed)."""
    folder = tmp_path_factory.mktemp("clone")
    out = kpi(["demo-data", "--days", "60"], folder, DATABASE_URL=DEMO_URL)
    assert out.returncode == 0, out.stderr
    return folder


def test_the_readme_gives_the_line_the_console_prints(demo):
    command = DEMO_HINT.split("with: ")[1]
    assert command in README
    variable, _, rest = command.partition(" ")
    assert variable == f"DATABASE_URL={DEMO_URL}"
    args = rest.split()[3:]  # after `.venv/bin/python -m kpi`
    out = kpi(args, demo, DATABASE_URL=DEMO_URL)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Customer acquisition cost")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["list"], "cac"),
        (["compute", "cac", "month"], "Customer acquisition cost"),
        (["compute", "revenue", "last-month", "--by", "category", "--json"], '"by": "category"'),
        (["explain", "nps"], "Formula"),
        (["overview", "last-month"], "Revenue"),
    ],
)
def test_the_command_line_table_works_on_the_demo_database(demo, args, expected):
    assert re.search(rf"^\| `{re.escape(args[0])}", README, re.M), f"{args[0]} is not in the README's table"
    out = kpi(args, demo, DATABASE_URL=DEMO_URL)
    assert out.returncode == 0, out.stderr
    assert expected in out.stdout and "Traceback" not in out.stderr
    if "--json" in args:
        assert set(json.loads(out.stdout)) == {
            "kpi",
            "period",
            "value",
            "previous",
            "unit",
            "reason",
            "coverage",
            "by",
            "breakdown",
        }


def test_without_database_url_the_readme_promise_holds(tmp_path):
    """ "on a database that is missing or not migrated yet, it says to run `python -m kpi migrate` and
    creates nothing" — the trap: `python -m kpi compute cac month` right after `make demo`."""
    assert "says to run `python -m kpi migrate`" in README
    out = kpi(["compute", "cac", "month"], tmp_path)
    assert out.returncode == 2
    assert "run `python -m kpi migrate` first" in out.stderr and "demo.db" in out.stderr
    assert "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_every_setting_is_in_env_example_and_the_readme():
    from kpi.config import Settings

    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert re.search(rf"^#? ?{name.upper()}=", example, re.M), f"{name.upper()} is not in .env.example"
        assert f"`{name.upper()}`" in README, f"{name.upper()} is not in the README"
