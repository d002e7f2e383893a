"""Fuzzing what Slack sends (hypothesis): any signed command, button or modal payload, whatever its
shape, gets an answer or a clear refusal — never a traceback, never a 500."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render import alerts as ra
from bot.render import answers as render
from bot.render import modals
from bot.render.home import ACTION_PERIOD, ACTION_PIN, ACTION_UNPIN, PERIODS
from bot.slack import web
from bot.slack.app import create_app
from bot.slack.signing import signed_headers
from tests.bot.conftest import NOW, SECRET, make_settings

ACTIONS = [
    render.ACTION_SHARE,
    render.ACTION_CHART,
    render.ACTION_EXPLAIN,
    ra.ACTION_ACK,
    ra.ACTION_SNOOZE_DAY,
    ra.ACTION_SNOOZE_WEEK,
    ra.ACTION_BREAKDOWN,
    ACTION_PIN,
    ACTION_UNPIN,
    *(f"{ACTION_PERIOD}_{p}" for p in PERIODS),
]
CALLBACKS = [modals.CALLBACK_RULE, modals.CALLBACK_DIGEST]
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1:1",
    "99999999999:1",
    "1:99999999999",
    "cac|30d|",
    "revenue|month|category",
    "nps|bogus|",
    "<!channel>",
    "'; DROP TABLE alert_rules; --",
    "\x00",
    "é" * 300,
    "9" * 40,
    "1e309",
    "NaN",
    '{"a": 1}',
    "[]",
    "null",
]

text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=80))
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), text)
json_value = st.recursive(
    scalar, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)), max_leaves=8
)
ident = st.one_of(st.none(), text, st.integers(), st.just({"id": "T123"}))


@st.composite
def action(draw):
    kind = draw(st.sampled_from(["button", "static_select", "multi_static_select", "datepicker", "junk"]))
    item = {
        "action_id": draw(st.one_of(st.sampled_from(ACTIONS), text)),
        "block_id": draw(text),
        "type": kind,
        "action_ts": "1.2",
    }
    if kind == "button":
        item["value"] = draw(st.one_of(text, scalar))
    elif kind == "static_select":
        item["selected_option"] = draw(st.one_of(json_value, st.fixed_dictionaries({"value": text})))
    else:
        item.update(draw(st.dictionaries(text, json_value, max_size=2)))
    return item


@st.composite
def view(draw):
    blocks = draw(
        st.lists(
            st.sampled_from(
                [
                    "kpi",
                    "op",
                    "threshold",
                    "window",
                    "channel",
                    "for",
                    "repeat",
                    "cadence",
                    "weekday",
                    "time",
                    "timezone",
                    "kpis",
                ]
            ),
            max_size=8,
            unique=True,
        )
    )
    values = {}
    for block in blocks:
        element = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "type": st.just("static_select"),
                        "selected_option": st.one_of(st.none(), st.fixed_dictionaries({"value": text})),
                    }
                ),
                st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": st.one_of(st.none(), text)}),
                st.fixed_dictionaries(
                    {
                        "type": st.just("multi_static_select"),
                        "selected_options": st.lists(st.fixed_dictionaries({"value": text}), max_size=3),
                    }
                ),
                st.fixed_dictionaries({"type": st.just("timepicker"), "selected_time": st.one_of(st.none(), text)}),
                st.fixed_dictionaries(
                    {"type": st.just("conversations_select"), "selected_conversation": st.one_of(st.none(), text)}
                ),
                json_value,
            )
        )
        values[block] = {"value": element} if draw(st.booleans()) else draw(json_value)
    meta = draw(
        st.one_of(
            text,
            json_value.map(json.dumps),
            st.fixed_dictionaries({"rule": st.one_of(st.integers(), text), "team": text, "channel": text}).map(
                json.dumps
            ),
        )
    )
    return {
        "id": "V1",
        "type": "modal",
        "callback_id": draw(st.one_of(st.sampled_from(CALLBACKS), text)),
        "private_metadata": meta,
        "state": {"values": values} if draw(st.booleans()) else draw(json_value),
    }


@st.composite
def well_formed(draw, response_url: str):
    """Slack's envelope, our action ids and callbacks, anything as values: reaches the listeners."""
    body = {
        "type": draw(st.sampled_from(["block_actions", "view_submission"])),
        "team": {"id": "T123"},
        "user": {"id": draw(st.sampled_from(["U123", "UADMIN"]))},
        "api_app_id": "A123",
        "trigger_id": "t",
        "channel": {"id": "C1"},
        "response_url": response_url,
    }
    if body["type"] == "block_actions":
        body["actions"] = [
            {
                "action_id": draw(st.sampled_from(ACTIONS)),
                "block_id": "b",
                "type": "button",
                "action_ts": "1.2",
                "value": draw(text),
            }
        ]
    else:
        view_ = draw(view())
        values = view_["state"].get("values") if isinstance(view_["state"], dict) else None
        clean = {
            k: v
            for k, v in (values or {}).items()
            if isinstance(v, dict) and all(isinstance(e, dict) for e in v.values())
        }
        body["view"] = {
            **view_,
            "callback_id": draw(st.sampled_from(CALLBACKS)),
            "private_metadata": view_["private_metadata"],
            "state": {"values": clean},
        }
    return body


@st.composite
def any_shape(draw, response_url: str):
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "junk"]))
    body = {
        "type": kind,
        "team": draw(st.one_of(st.just({"id": "T123"}), ident)),
        "user": draw(st.one_of(st.just({"id": "U123"}), st.just({"id": "UADMIN"}), ident)),
        "api_app_id": "A123",
        "trigger_id": "trig.1",
        "channel": draw(st.one_of(st.just({"id": "C1"}), ident)),
    }
    if draw(st.booleans()):
        body["response_url"] = response_url
    if kind == "block_actions":
        body["actions"] = draw(st.lists(action(), min_size=1, max_size=2))
    elif kind in ("view_submission", "view_closed"):
        body["view"] = draw(view())
    body.update(
        draw(st.dictionaries(st.sampled_from(["container", "message", "state", "enterprise"]), json_value, max_size=2))
    )
    return body


def payload(response_url: str):
    """Three in four payloads are well formed (they exercise the listeners), one in four any shape."""
    good = well_formed(response_url)
    return st.one_of(good, good, good, any_shape(response_url))


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, migrated):
    from bot.sandbox.local_slack import LocalSlack

    with LocalSlack(users={"UADMIN": {"id": "UADMIN", "is_admin": True}}) as slack:
        app = create_app(make_settings(migrated["sqlite"], slack), clock=lambda: NOW)
        app.deps.synchronous = True  # follow-up work runs inside the request, so its failures are seen
        yield app, slack


class Tracebacks(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


SENT: set[str] = set()


def dispatch(app, body: str, content_type: str):
    """What the web process does with a POST to /slack/events (bot.slack.web.handle), signed as Slack signs.
    Hypothesis repeats inputs: a body signed again at the same second is a replay, refused with 401."""
    headers = signed_headers(SECRET, body, None, content_type)
    response = web.handle(app, body, "", {k.lower(): [v] for k, v in headers.items()})
    signature = headers["x-slack-signature"]
    if signature in SENT:
        assert response.status in (400, 401) and "Traceback" not in (response.body or "")
        return type(response)(status=200, body="replay refused")
    SENT.add(signature)
    return response


def watching():
    handler = Tracebacks()
    root = logging.getLogger()
    root.addHandler(handler)
    return handler, lambda: root.removeHandler(handler)


@pytest.mark.slow
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_interactivity_payloads_of_any_shape_never_crash(fuzz_app, data):
    app, slack = fuzz_app
    body = data.draw(payload(slack.response_url("fuzz")))
    handler, stop = watching()
    try:
        response = dispatch(app, urlencode({"payload": json.dumps(body)}), "application/x-www-form-urlencoded")
    finally:
        stop()
    assert response.status in (200, 400, 404), (response.status, response.body)
    assert "Traceback" not in (response.body or "")
    assert not handler.records, [r.getMessage() for r in handler.records]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    words=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "alert",
                    "remove",
                    "snooze",
                    "edit",
                    "digest",
                    "pin",
                    "target",
                    "cac",
                    "revenue",
                    "by",
                    "chart",
                    "share",
                    "30d",
                    "month",
                    "1",
                    ">",
                    "12%",
                    "for",
                    "history",
                    "explain",
                    "list",
                    "help",
                ]
            ),
            text,
        ),
        max_size=8,
    ),
    user=st.sampled_from(["U123", "UADMIN"]),
)
def test_slash_commands_of_any_text_get_an_answer(fuzz_app, words, user):
    app, slack = fuzz_app
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T123",
            "channel_id": "C1",
            "user_id": user,
            "command": "/kpi",
            "text": " ".join(str(w) for w in words),
            "api_app_id": "A123",
            "response_url": slack.response_url("fuzzcmd"),
            "trigger_id": "trig.1",
        }
    )
    before = len(slack.calls)
    handler, stop = watching()
    try:
        response = dispatch(app, body, "application/x-www-form-urlencoded")
    finally:
        stop()
    assert response.status == 200 and "Traceback" not in (response.body or "")
    # an answer to this very command: inline, or a new call to the response URL or the Web API
    assert response.body or len(slack.calls) > before, words
    assert not handler.records, [r.getMessage() for r in handler.records]
