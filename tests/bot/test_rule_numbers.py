"""Rule numbers per workspace: the number people type and see (`/kpi alerts`, `/kpi alert remove 3`, digests,
Home, notices, history) is counted in each workspace from 1, segments use none up, and a digest shows the
numbers `/kpi alerts` shows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert, select

from kpi.rules import Op, RuleKind, RuleSpec
from kpi.store import state
from kpi.store.engines import get_engine
from kpi.store.migrations import upgrade
from kpi.store.state_schema import alert_rules
from tests.bot.conftest import Server, make_settings
from tests.bot.test_workspaces import two  # noqa: F401 - the fixture: workspaces TA and TB, a rule each
from tests.support.clock import T0
from tests.support.messages import posts, texts
from tests.support.rules import add_rule

BY_CHANNEL = RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 250.0, "30d", segment_by="channel")

NUMBER = re.compile(r"#(\d+)")


def said(response) -> str:
    return texts(response.json())


def test_each_workspace_counts_its_rules_from_one(two, data):  # noqa: F811 - the fixture
    assert state.rule(data, "TA", two.rule_a).number == 1 and state.rule(data, "TB", two.rule_b).number == 1
    created_a = said(two.command("alert revenue > 1 30d", user="UA", team="TA", channel="CA"))
    created_b = said(two.command("alert nps < 10 30d", user="UB", team="TB", channel="CB"))
    assert "Rule `#2` created" in created_a and "Rule `#2` created" in created_b
    listing_a = said(two.command("alerts", user="UA", team="TA", channel="CA"))
    assert set(NUMBER.findall(listing_a)) == {"1", "2"}
    # removing TA's #2 leaves TB's #2 alone
    assert "Rule `#2` removed." in said(two.command("alert remove 2", user="UA", team="TA", channel="CA"))
    assert [r.number for r in state.rules(data, "TA")] == [1]
    assert [r.number for r in state.rules(data, "TB")] == [1, 2]
    # a removed number is not given again: the history keeps meaning what it said
    assert "Rule `#3` created" in said(two.command("alert revenue > 2 30d", user="UA", team="TA", channel="CA"))
    history = said(two.command("alert history", user="UA", team="TA", channel="CA"))
    assert "created rule #3" in history and "removed rule #2" in history and "created rule #2" in history


@pytest.fixture
def admin_server(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack, clock=lambda: T0)
    running.app.deps.synchronous = True  # a new rule is judged, a digest posted, before the answer
    slack.reset()
    yield running
    running.stop()


def test_segments_use_no_number_and_the_digest_shows_the_lists_numbers(admin_server, slack, data):
    run = admin_server.command
    for _ in range(3):  # another workspace's rules, split by channel: they use none of this workspace's numbers
        other = state.rule(data, "TOTHER", add_rule(data, BY_CHANNEL, team="TOTHER"))
        for key in ("organic", "paid_search"):
            state.create_segment(data, other, key, T0.replace(tzinfo=None))
    assert "Rule `#1` created" in said(run("alert cac > 250 30d by channel", user="UADMIN", channel="C9"))
    segments = [r for r in state.rules(data, "T123") if r.parent_id is not None]
    assert {r.segment_key for r in segments} == {"paid_search", "organic", ""}  # judged at once: 3 segments
    assert {r.number for r in segments} == {1}  # they carry their rule's number
    assert "Rule `#2` created" in said(run("alert revenue > 1 30d", user="UADMIN", channel="C9"))
    listing = said(run("alerts", user="UADMIN", channel="C9"))
    assert set(NUMBER.findall(listing)) == {"1", "2"}
    slack.reset()
    assert "Posting the digest" in said(run("digest now", user="UADMIN", channel="C9"))
    [digest] = [p for p in posts(slack, "C9") if "KPI digest" in p.payload["text"]]
    firing = [line for line in texts(digest.payload).splitlines() if "Firing now" in line]
    assert firing, texts(digest.payload)
    shown = set(NUMBER.findall(" ".join(firing)))
    assert shown and shown <= {"1", "2"} and "1" in shown  # a firing segment is shown with its rule's number


def test_the_migration_keeps_the_numbers_people_know_and_gives_segments_their_rules(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    columns = dict(channel_id="C1", kpi="cac", kind="threshold", op=">", threshold=1.0, window_spec="30d")
    with get_engine(url).begin() as conn:
        for row in (
            dict(id=5, team_id="TA", **columns),
            dict(id=6, team_id="TA", parent_id=5, segment_key="organic", **columns),
            dict(id=7, team_id="TB", **columns),
        ):
            conn.execute(insert(alert_rules).values(created_at=T0.replace(tzinfo=None), **row))
    upgrade(url)
    with get_engine(url).connect() as conn:
        numbers = dict(conn.execute(select(alert_rules.c.id, alert_rules.c.number)).all())
    assert numbers == {5: 5, 6: 5, 7: 7}
    assert state.create_rule(url, "TC", "C1", state.rules(url, "TA")[0].spec, "U", T0.replace(tzinfo=None))
    assert [r.number for r in state.rules(url, "TC")] == [1]  # a new workspace's first rule is #1
    state.create_rule(url, "TA", "C1", state.rules(url, "TA")[0].spec, "U", T0.replace(tzinfo=None))
    assert [r.number for r in state.rules(url, "TA") if r.parent_id is None] == [5, 6]
