"""The App Home dashboard, pins and targets, through signed events and button payloads."""

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kpi.catalog import load_catalog
from kpi.compute import compute
from kpi.pacing import accumulates, pace
from kpi.periods import parse_period
from kpi.service import KpiService
from kpi.store import state
from tests.bot.conftest import Server, make_settings
from tests.support.messages import texts

CATALOG = load_catalog()
MID_OCT = datetime(2026, 10, 16, 12, tzinfo=timezone.utc)


def view_of(call) -> dict:
    view = call.payload["view"]
    return view if isinstance(view, dict) else json.loads(view)


def test_pacing_prorates_what_accumulates_and_compares_levels(data, slack):
    service = KpiService.from_settings(make_settings(data, slack))
    pair = parse_period("month", MID_OCT, ZoneInfo("UTC"))  # Oct 1 .. Oct 16 12:00: 15.5 of 31 days
    revenue = compute(service.catalog, service.source, "revenue", pair)  # Oct 15 sale: 100
    assert accumulates(CATALOG, "revenue") and not accumulates(CATALOG, "cac")
    p = pace(CATALOG, revenue, 400.0, MID_OCT, pair.current.calendar_end())
    assert p.prorated and p.expected == pytest.approx(400 * 15.5 / 31)
    assert p.projected == pytest.approx(100 / (15.5 / 31)) and not p.on_track
    cac = compute(service.catalog, service.source, "cac", pair)  # 1000 / 1
    level = pace(CATALOG, cac, 600.0, MID_OCT, pair.current.calendar_end())
    assert not level.prorated and level.expected == 600.0 and not level.on_track  # lower is better


@pytest.fixture
def home(data, slack):
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}, "UPLEB": {"id": "UPLEB"}})
    running = Server(make_settings(data, slack), slack, clock=lambda: MID_OCT)
    running.app.deps.synchronous = True
    slack.reset()
    yield running
    running.stop()


def open_home(server, user="UADMIN"):
    event = {
        "token": "x",
        "team_id": "T123",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": "Ev9",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D1"},
    }
    assert server.post_signed(json.dumps(event), content_type="application/json").status == 200


def test_pins_and_targets_shape_the_dashboard(home, slack, data):
    assert "is pinned on the dashboard" in texts(home.command("pin revenue", user="UADMIN").json())
    assert "Target for *Revenue* set to €400.00 per month:" in texts(
        home.command("target revenue 400 month", user="UADMIN").json()
    )
    assert "Sorry, only workspace admins" in texts(home.command("pin nps", user="UPLEB").json())
    open_home(home)
    view = view_of(slack.calls_to("views.publish")[-1])
    body = json.dumps(view, ensure_ascii=False)
    assert view["blocks"][0]["text"]["text"] == "📊 Dashboard - October 2026 to date"
    assert "*Revenue*  €100.00" in body and "Net Promoter Score" not in body  # only the pinned KPI
    assert "🎯 50.0% of the €200.00 expected by now (target €400.00); on pace for €200.00" in body
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["home_period_week", "home_period_month", "home_period_quarter"]
    assert [e["action"] for e in state.audit_entries(data, "T123")] == ["target.set", "pin.add"]


def test_period_buttons_re_render_the_dashboard(home, slack):
    payload = {
        "type": "block_actions",
        "team": {"id": "T123"},
        "user": {"id": "UPLEB"},
        "api_app_id": "A123",
        "trigger_id": "t",
        "view": {"id": "V1", "type": "home"},
        "actions": [
            {
                "type": "button",
                "action_id": "home_period_quarter",
                "value": "quarter",
                "block_id": "b",
                "action_ts": "1",
            }
        ],
    }
    from urllib.parse import urlencode

    home.post_signed(urlencode({"payload": json.dumps(payload)}))
    view = view_of(slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))[-1])
    assert view["blocks"][0]["text"]["text"] == "📊 Dashboard - Q4 2026 to date"
    assert "Showing the whole catalog" in json.dumps(view)


def test_pin_buttons_check_permissions(home, slack, data):
    from urllib.parse import urlencode

    def press(user, action_id):
        payload = {
            "type": "block_actions",
            "team": {"id": "T123"},
            "user": {"id": user},
            "api_app_id": "A123",
            "trigger_id": "t",
            "view": {"id": "V1", "type": "home"},
            "actions": [{"type": "button", "action_id": action_id, "value": "cac", "block_id": "b", "action_ts": "1"}],
        }
        home.post_signed(urlencode({"payload": json.dumps(payload)}))

    press("UPLEB", "home_pin")
    assert state.pinned(data, "T123") == []
    press("UADMIN", "home_pin")
    assert state.pinned(data, "T123") == ["cac"]
    press("UADMIN", "home_unpin")
    assert state.pinned(data, "T123") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("target revenue lots", "*lots* is not a number"),
        ("target revenue", "Write `/kpi target KPI VALUE"),
        ("pin", "Which KPI?"),
    ],
)
def test_bad_pin_and_target_commands(home, text, expected, data):
    assert expected in texts(home.command(text, user="UADMIN").json())
    assert state.team_targets(data, "T123") == {}
