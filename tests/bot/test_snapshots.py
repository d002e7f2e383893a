"""Block Kit snapshots: every kind of message, in English and French, from the hand-checked fixtures.

A change in what people read shows up here as a diff. After a deliberate change, regenerate with
``SNAPSHOT_UPDATE=1 make test`` and review the JSON files in the commit.
"""

import json
import os
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.jobs.digests import digest_payload
from bot.render import answers as render
from bot.slack.listeners.home import dashboard
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0, FakeTime
from tests.support.rules import CAC_ABOVE_300, add_rule

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SNAPSHOT_UPDATE") == "1"


def check(name: str, message: dict, ids: dict[str, str] | None = None) -> None:
    """Compare with the stored snapshot; ``ids`` maps database ids (which differ by run) to placeholders."""
    for block in message.get("blocks", []):
        Block.parse(block).validate_json()
    text = json.dumps(message, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    for value, placeholder in (ids or {}).items():
        text = text.replace(value, placeholder)
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"new snapshot {path.name} written: review and commit it")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: review, then SNAPSHOT_UPDATE=1"


@pytest.fixture(params=["en", "fr"])
def context(request, data, slack):
    settings = make_settings(data, slack, kpi_language=request.param, kpi_rollups=False)
    ctx = JobContext.from_settings(settings)
    fake = FakeTime()
    ctx.sleep, ctx.monotonic = fake.sleep, fake.monotonic
    return request.param, ctx


def test_answers(context):
    lang, ctx = context
    s = ctx.service
    cac = s.ask("cac", "2026-10", T0)
    check(f"answer_cac_{lang}", render.answer(cac, s.catalog, lang, "EUR", "2026-10"))
    revenue = s.ask("revenue", "2026-10", T0, by="category")
    check(f"answer_revenue_by_category_{lang}", render.answer(revenue, s.catalog, lang, "EUR", "2026-10"))
    check(f"list_{lang}", render.kpi_list(s.overview("2026-10", T0), lang, "EUR"))
    check(
        f"explain_nps_{lang}", render.explanation(s.resolve("nps"), s.catalog, lang, "EUR", s.ask("nps", "2026-10", T0))
    )


def test_alert_and_digest(context, slack):
    lang, ctx = context
    rule = add_rule(ctx.url, CAC_ABOVE_300)
    run_pass(ctx, T0)
    alert = slack.calls_to("chat.postMessage")[0].payload
    check(f"alert_cac_{lang}", {"text": alert["text"], "blocks": alert["blocks"]}, {f'"{rule}:1"': '"RULE:1"'})
    message, _ = digest_payload(ctx, None, T0, "T1", "C1")
    check(f"digest_{lang}", message, {f"#{rule} ": "#RULE "})


def test_app_home(context, slack, data):
    lang, ctx = context
    state.pin(data, "T1", "revenue", "U1", T0.replace(tzinfo=None))
    state.set_target(data, "T1", "revenue", "month", 600.0, "U1", T0.replace(tzinfo=None))
    running = Server(ctx.settings, slack, clock=lambda: T0)
    try:
        check(f"home_{lang}", dashboard(running.app.deps, "T1", "month"))
    finally:
        running.stop()
