"""The architecture rules, checked: bot -> kpi -> kpi/store, and only kpi/store touches engines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def test_top_level_layout():
    for name in ["bot", "kpi", "kpi/store", "tests", "alembic", "alembic.ini", ".env.example", "Procfile",
                 "README.md", "pyproject.toml", "Makefile", ".ci/run"]:
        assert (ROOT / name).exists(), name


def test_kpi_never_imports_slack_nor_the_bot():
    for path in modules("kpi"):
        bad = {m for m in imports(path) if m.split(".")[0] in {"slack_bolt", "slack_sdk", "bot"}}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_store_depends_on_nothing_above_it():
    for path in modules("kpi/store"):
        above = {m for m in imports(path)
                 if m.startswith("kpi") and not m.startswith("kpi.store") and m not in {"kpi.errors", "kpi.config"}}
        assert not above, f"{path.relative_to(ROOT)} imports {above}"


def test_only_the_store_touches_engines_and_sessions():
    forbidden = ("create_engine", "sessionmaker", "Session(", ".connect(", ".begin(", "engine_from_config")
    for package in ("kpi", "bot"):
        for path in modules(package):
            if "store" in path.relative_to(ROOT).parts:
                continue
            text = path.read_text(encoding="utf-8")
            found = [f for f in forbidden if f in text]
            assert not found, f"{path.relative_to(ROOT)} uses {found}"


def test_only_the_configuration_reads_the_environment():
    for package in ("kpi", "bot"):
        for path in modules(package):
            if path.name == "config.py":
                continue
            text = path.read_text(encoding="utf-8")
            assert "os.environ" not in text and "getenv" not in text, path.relative_to(ROOT)
