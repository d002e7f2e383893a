"""The architecture the README draws, checked: who may import whom, no import cycle, no module too long.

    bot.sandbox ─▶ bot.slack ─▶ bot.jobs ─▶ bot.render ─▶ kpi ─▶ kpi.store
    (console)      (Bolt app)   (scheduled)  (Block Kit,   (KPIs,  (engines, SQL,
                                             charts)       rules)  records)

Each arrow may be skipped (bot.slack may use bot.render directly), never walked backwards.
"""

import ast
import io
import sys
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# bot's rooms, lowest first: a room may import the rooms below it and itself, never one above
ROOMS = ["bot.render", "bot.jobs", "bot.slack", "bot.sandbox"]
# modules shared by every room (below all of them), each with what it may import from bot
SHARED = {"bot.logs": set(), "bot.workspaces": set(), "bot": set()}
# what bot may use of kpi.store, and why; everything else (the SQL of KPIs, engines, facts) goes through kpi
BOT_MAY_USE_FROM_STORE = {
    "kpi.store.state": "the bot's own records: rules, incidents, outbox, digests, pins, leases, audit",
    "kpi.store.migrations": "start-up checks: is the database migrated",
    "kpi.store.crypto": "Slack tokens encrypted at rest, and their key rotation",
}
# one module hands an engine and its tables to slack-sdk's SQLAlchemy installation store
WORKSPACES_MAY_ALSO_USE = {"kpi.store.engines", "kpi.store.state_schema"}
MAX_STATEMENTS = 270  # "about 300 lines" as they were written before the formatter


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in ("bot", "kpi") for p in sorted((ROOT / package).rglob("*.py"))}


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The modules ``path`` imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in MODULES else node.module)
    return names


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def room_of(name: str) -> str | None:
    return next((room for room in ROOMS if within(name, room)), None)


def test_top_level_layout():
    for name in [
        "bot",
        "kpi",
        "kpi/store",
        "tests",
        "alembic",
        "alembic.ini",
        ".env.example",
        "Procfile",
        "README.md",
        "pyproject.toml",
        "Makefile",
        ".ci/run",
    ]:
        assert (ROOT / name).exists(), name
    for room in ROOMS:
        assert (ROOT / room.replace(".", "/") / "__init__.py").exists(), room


def test_kpi_never_imports_slack_nor_the_bot():
    for name, path in MODULES.items():
        if within(name, "kpi"):
            bad = {m for m in imports(path) if m.split(".")[0] in {"slack_bolt", "slack_sdk", "bot"}}
            assert not bad, f"{name} imports {bad}"


def test_store_depends_on_nothing_above_it():
    for name, path in MODULES.items():
        if within(name, "kpi.store"):
            above = {
                m
                for m in imports(path)
                if within(m, "kpi") and not within(m, "kpi.store") and m not in {"kpi.errors", "kpi.config"}
            }
            assert not above, f"{name} imports {above}"


def test_bot_reaches_the_store_only_through_what_it_owns():
    for name, path in MODULES.items():
        if not within(name, "bot"):
            continue
        allowed = set(BOT_MAY_USE_FROM_STORE) | (WORKSPACES_MAY_ALSO_USE if name == "bot.workspaces" else set())
        used = {m for m in imports(path) if within(m, "kpi.store")}
        bad = {m for m in used if not any(within(m, a) for a in allowed)}
        assert not bad, f"{name} imports {bad}: go through kpi (service, importer, demo) instead"


def test_bot_rooms_import_downwards_only():
    for name, path in MODULES.items():
        if not within(name, "bot") or name == "bot.__main__":
            continue  # the entry point starts every room
        own = room_of(name)
        used = {m for m in imports(path) if within(m, "bot") and m != name}
        if own is None:
            assert name in SHARED, f"{name} is outside bot's rooms {ROOMS}: put it in one, or list it in SHARED"
            bad = {m for m in used if m not in SHARED[name]}
        else:
            below = ROOMS[: ROOMS.index(own) + 1]
            bad = {m for m in used if m not in SHARED and not any(within(m, r) for r in below)}
        assert not bad, f"{name} ({own or 'shared'}) imports {bad}, which is above it"


def test_no_import_cycle():
    """Between modules, counting every import (also the ones inside functions)."""
    graph = {name: {m for m in imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_the_checks_see_what_they_check():
    """The rules above would pass vacuously on an empty tree or a broken import reader."""
    assert len(MODULES) > 50
    assert "kpi.store.state" in imports(MODULES["bot.jobs.alerts"])
    assert "bot.render.alerts" in imports(MODULES["bot.jobs.alerts"])
    assert room_of("bot.jobs.clock") == "bot.jobs" and room_of("bot.logs") is None


TEST_MODULES = {module_name(p): p for p in sorted((ROOT / "tests").rglob("*.py")) if "benchmarks" not in p.parts}


@pytest.mark.parametrize("name", sorted(MODULES | TEST_MODULES))
def test_no_module_is_too_long(name):
    """Counted in statements, comment lines and the lines of long texts, not in the formatter's wrapped lines
    (ruff format may spread one call over ten). The benchmark scripts (tests/benchmarks, run by `make bench`)
    are left out."""
    size = statements((MODULES | TEST_MODULES)[name])
    assert size <= MAX_STATEMENTS, f"{name} has {size} statements: split it by concern"


def statements(path: Path) -> int:
    """Logical lines (a statement however many lines it is wrapped on), comment lines, and each line of a text
    that spans lines (a docstring is read as it is long)."""
    size = 0
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if token.type == tokenize.NEWLINE or (token.type == tokenize.COMMENT and token.line.strip().startswith("#")):
            size += 1
        elif token.type == tokenize.STRING and token.end[0] > token.start[0]:
            size += token.end[0] - token.start[0]
    return size


def test_the_size_count_can_fail(tmp_path):
    wrapped = tmp_path / "wrapped.py"
    wrapped.write_text('"""One\ntwo."""\n# a comment\nx = f(\n    1,\n    2,\n)\ny = 3  # trailing\n', encoding="utf-8")
    # the docstring (1 statement + its 1 extra line), the comment, then each statement once however wrapped
    assert statements(wrapped) == 2 + 1 + 1 + 1


def test_only_the_store_touches_engines_and_sessions():
    forbidden = ("create_engine", "sessionmaker", "Session(", ".connect(", ".begin(", "engine_from_config")
    for name, path in MODULES.items():
        if within(name, "kpi.store"):
            continue
        text = path.read_text(encoding="utf-8")
        found = [f for f in forbidden if f in text]
        assert not found, f"{name} uses {found}"


def test_only_the_configuration_reads_the_environment():
    for name, path in MODULES.items():
        if path.name == "config.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, name
