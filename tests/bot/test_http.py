"""The app over real HTTP, with requests signed as Slack signs them, against the fake Slack."""

import json
import logging
import time

import pytest

from bot.render.answers import ACTION_EXPLAIN, ACTION_SHARE, query_value
from bot.slack.signing import signed_headers
from tests.bot.conftest import SECRET, TOKEN, Server, make_settings
from tests.support.messages import texts


def test_cac_month_answers_inline_with_numbers_trend_and_meaning(server):
    res = server.command("cac 2026-10")
    assert res.status == 200
    message = res.json()
    assert message["response_type"] == "ephemeral"
    blocks = message["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Customer acquisition cost", "emoji": True},
    }
    body = texts(message)
    assert "*€500.00*  ·  October 2026 (Oct 1\u2009–\u200931, 2026)" in body
    assert "*Previous*\n€90.00 (Sep 1\u2009–\u200930, 2026)" in body
    # CAC rose; but spend has had no row since Oct 7 (stale on Nov 25): the move is said, not judged
    assert "+€410.00 (+455.6%) ▲ not judged: stale data" in body and "🔴" not in body
    assert "⚠ spend has had no new rows since Oct 7 (usually every 25 days)" in body
    assert "Formula: marketing and sales spend ÷ new customers" in body and "lower is better" in body
    assert message["text"].startswith("Customer acquisition cost, October 2026")
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ACTION_SHARE, "kpi_chart", "kpi_why", ACTION_EXPLAIN]
    assert server.slack.calls == []  # answered inline: nothing else posted


def test_breakdown_is_a_compact_table(server):
    message = server.command("revenue 2026-10 by category").json()
    body = texts(message)
    assert "*By category*\n```\nHardware  €250.00\nSoftware  €150.00  +87.5%\n```" in body
    assert "*€400.00*" in body


def test_french_answers_use_french_formats(data, slack):
    running = Server(make_settings(data, slack, kpi_language="fr"), slack)
    try:
        body = texts(running.command("coût-acquisition 2026-10").json())
        assert "Coût d'acquisition client" in body
        assert "*500,00\u00a0€*  ·  octobre 2026" in body
        assert "Précédent" in body and "non jugé : données en retard" in body
        assert "⚠ spend n'a pas reçu de nouvelles lignes depuis le 7 oct. (d'habitude tous les 25 jours)" in body
    finally:
        running.stop()


def test_slow_answers_are_acked_at_once_then_posted_to_response_url(data, slack):
    running = Server(make_settings(data, slack, kpi_inline_budget=0.0), slack)
    slack.reset()
    try:
        body, response_url = running.command_body("revenue 2026-10 by product")
        res = running.post_signed(body)
        assert res.status == 200
        assert res.json()["text"] == "Computing revenue… the answer will appear here in a moment."
        calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
        posted = [c for c in calls if c.kind == "response_url"][0]
        assert response_url.endswith(posted.name)
        assert posted.payload["response_type"] == "ephemeral"
        assert "Gateway  €250.00" in texts(posted.payload)
    finally:
        running.stop()


def test_share_posts_for_everyone(server):
    message = server.command("share revenue 2026-10", user="U777").json()
    assert message["response_type"] == "in_channel"
    assert "Shared by <@U777>" in texts(message)
    assert not any(b["type"] == "actions" for b in message["blocks"])


def test_share_button_posts_in_channel_through_response_url(server):
    res = server.action(ACTION_SHARE, query_value("nps", "2026-10", None), user="U42")
    assert res.status == 200
    calls = server.slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
    payload = [c for c in calls if c.kind == "response_url"][0].payload
    assert payload["response_type"] == "in_channel" and payload["replace_original"] is False
    assert "*40.0*" in texts(payload) and "Shared by <@U42>" in texts(payload)


def test_explain_button_and_command(server):
    body = texts(server.command("explain ltv").json())
    assert "Customer lifetime value (ltv)" in body and "*How to read it:*" in body
    server.action(ACTION_EXPLAIN, "nps")
    calls = server.slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
    assert "Net Promoter Score (nps)" in texts([c for c in calls if c.kind == "response_url"][0].payload)


def test_list_shows_every_kpi(server):
    message = server.command("list 2026-10").json()
    body = texts(message)
    for name in ("Conversion rate", "Revenue", "Net Promoter Score", "LTV to CAC ratio"):
        assert name in body
    assert "€400.00  ▲ +400.0% 🟢" in body


def test_help(server):
    for text in ("", "help", "aide"):
        body = texts(server.command(text).json())
        assert "/kpi revenue last-month by category" in body


@pytest.mark.parametrize(
    "text, expected",
    [
        ("rvnu", "I don't know the KPI *rvnu*. Did you mean `revenue`?"),
        ("cac 2026-13", "*2026-13* is not a period I understand."),
        ("revenue month by colour", "*revenue* cannot be broken down by *colour*."),
        ("nps month by product", "*nps* cannot be broken down by *product*."),
        ("cac month zorglub", "I didn't understand *zorglub* in your question."),
        (
            "<!channel> <@U1|boss>",
            "I couldn't tell which KPI you mean: I didn't understand *&lt;!channel&gt; &lt;@U1|boss&gt;*",
        ),
        ("x" * 600, "That command is too long (600 characters)"),
    ],
)
def test_bad_input_gets_a_polite_ephemeral_answer(server, text, expected):
    res = server.command(text)
    assert res.status == 200
    message = res.json()
    assert message["response_type"] == "ephemeral"
    assert expected in texts(message)
    assert "<!channel>" not in json.dumps(message)


def test_forged_and_stale_requests_get_401_and_do_nothing(server):
    body, _ = server.command_body("share revenue 2026-10")
    assert server.post_signed(body, secret="not-the-secret").status == 401
    assert server.post_signed(body, timestamp=int(time.time()) - 600).status == 401
    unsigned = server.request(
        "POST", "/slack/events", body.encode(), {"content-type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status == 401
    tampered = server.request("POST", "/slack/events", (body + "&text=cac").encode(), signed_headers(SECRET, body))
    assert tampered.status == 401
    assert server.slack.calls == []
    # a genuine request captured and sent again within Slack's 5 minutes: the replay does nothing
    headers = signed_headers(SECRET, body)
    first = server.request("POST", "/slack/events", body.encode(), headers)
    replay = server.request("POST", "/slack/events", body.encode(), headers)
    assert "Revenue" in first.body and (replay.status, replay.body) == (401, "")


def test_huge_payloads_are_refused_and_do_nothing(server):
    big = "command=%2Fkpi&text=share+revenue&" + "a" * 2_000_000
    res = server.post_signed(big)
    assert (res.status, res.json()) == (413, {"error": "payload too large"})
    assert server.slack.calls == []


def test_healthz_reports_the_database(server, slack):
    res = server.request("GET", "/healthz")
    assert (res.status, res.json()) == (
        200,
        {"status": "ok", "database": "ok", "scheduler": "stale", "scheduler_in_process": False, "last_pass": None},
    )
    down = Server(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none", slack), slack)
    try:
        res = down.request("GET", "/healthz")
        assert res.status == 503 and res.json()["database"] == "unreachable"
    finally:
        down.stop()


def test_source_down_gets_a_polite_answer(data, slack):
    settings = make_settings(data, slack, source_database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    running = Server(settings, slack)
    try:
        body = texts(running.command("cac month").json())
        assert "The data source did not answer, so I can't compute *cac* right now." in body
    finally:
        running.stop()


def test_unexpected_errors_apologise_with_an_id_and_log_the_traceback(server, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"boom {TOKEN}")

    monkeypatch.setattr(server.app.deps.service.__class__, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="bot"):
        message = server.command("cac month").json()
    body = texts(message)
    assert "Sorry, something went wrong on my side" in body
    error_id = body.split("error id to your administrator: `")[1].split("`")[0]
    record = [r for r in caplog.records if error_id in r.getMessage()][0]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


def test_app_home_shows_the_months_kpis(server):
    event = {
        "token": "x",
        "team_id": "T123",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "U9", "tab": "home", "channel": "D1"},
    }
    res = server.post_signed(json.dumps(event), content_type="application/json")
    assert res.status == 200
    calls = server.slack.wait_for(lambda calls: any(c.name == "views.publish" for c in calls))
    publish = [c for c in calls if c.name == "views.publish"][0]
    assert publish.payload["user_id"] == "U9"
    view = publish.payload["view"] if isinstance(publish.payload["view"], dict) else json.loads(publish.payload["view"])
    assert view["type"] == "home"
    assert "📊 Dashboard - November 2026 to date" in json.dumps(view, ensure_ascii=False)
    assert publish.headers["authorization"] == f"Bearer {TOKEN}"
