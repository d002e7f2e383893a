"""Nothing stops the alerts (part 3): forged and odd requests, delivery that can't be fooled, fair sharing."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from tests.bot.conftest import make_settings

UTC = timezone.utc


# -- 7, 12. a quiet log, and requests no Slack sends --------------------------------------------------------


def test_a_flood_of_forged_requests_leaves_a_short_log_and_no_body(server, caplog):
    import logging

    from bot.logs import rejections

    rejections._start, rejections._count, rejections._dropped = rejections.clock(), 0, 0
    forged = (
        "command=%2Fkpi&text=cac&response_url=https%3A%2F%2Fhooks.slack.com%2Fsecret-url"
        "&x=%0A2026-11-25 ERROR bot.delivery: notification dropped&pad=" + "a" * 200_000
    )
    caplog.set_level(logging.INFO)  # production's level (at DEBUG, Bolt says which middleware runs)
    for _ in range(50):
        assert server.post_signed(forged, secret="not-the-secret").status == 401
    # (uvicorn's access lines are the test server's; production runs it with access_log=False)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "uvicorn.access")
    assert "secret-url" not in text and "notification dropped" not in text and "aaaa" not in text
    refused = [r for r in caplog.records if r.name == "bot.security"]
    assert len(refused) == 10  # then counted, and said once a minute
    assert len(text) < 5_000


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "9" * 5000, "-1", "12.5"])
def test_a_malformed_timestamp_is_401_not_500(server, timestamp):
    from bot.slack.signing import signed_headers

    body = "command=%2Fkpi&text=cac"
    headers = {**signed_headers("x", body), "X-Slack-Request-Timestamp": timestamp}
    res = server.request("POST", "/slack/events", body.encode(), headers)
    assert (res.status, res.json()) == (401, {"error": "invalid request"})
    assert server.slack.calls == []


def test_a_body_that_is_not_utf8_is_400(server):
    from bot.slack.signing import signed_headers

    res = server.request("POST", "/slack/events", b"command=%2Fkpi&text=\xff\xfe", signed_headers("x", "x"))
    assert (res.status, res.json()) == (400, {"error": "malformed request"})


def test_log_lines_cannot_be_forged():
    import logging

    from bot.logs import RedactSecrets

    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "unknown KPI %s", ("x\n2026 ERROR forged",), None)
    RedactSecrets().filter(record)
    assert record.getMessage() == "unknown KPI x\\n2026 ERROR forged"


# -- 15. delivery that can't be fooled ---------------------------------------------------------------------


def _firing(ctx, repeat_seconds: int = 3600) -> int:
    from kpi.rules import Op, RuleKind, RuleSpec
    from tests.support.rules import add_rule

    return add_rule(ctx.url, RuleSpec("cac", RuleKind.THRESHOLD, Op.GT, 300.0, "30d", repeat_seconds=repeat_seconds))


def test_a_huge_retry_after_is_capped_and_the_pass_goes_on(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    _firing(ctx)
    slack.fail("chat.postMessage", 429, times=1, retry_after=10**12)
    report = run_pass(ctx, T0)
    assert report.delivery.retried == 1
    [row] = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert row["next_attempt_at"] == T0.replace(tzinfo=None) + timedelta(hours=1)


def test_an_answer_without_ts_is_not_taken_for_delivered(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    _firing(ctx)
    slack.without_ts.add("chat.postMessage")
    report = run_pass(ctx, T0)
    assert report.delivery.delivered == 0 and report.delivery.retried == 1
    [row] = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert row["delivered_at"] is None and row["attempts"] == 1


def test_no_reminder_is_queued_on_top_of_an_alert_still_in_the_outbox(ctx, slack):
    from bot.jobs.clock import run_pass
    from kpi.store import state
    from tests.support.clock import T0

    rule = _firing(ctx, repeat_seconds=3600)
    slack.fail("chat.postMessage", 503, times=1000)  # Slack down longer than the repeat interval
    for hours in range(0, 5):
        run_pass(ctx, T0 + timedelta(hours=hours))
    alerts_queued = [r for r in state.outbox_rows(ctx.url) if r["method"] == "chat.postMessage"]
    assert len(alerts_queued) == 1, [r["dedupe_key"] for r in alerts_queued]
    slack.clear_failures()
    refused = len(slack.calls_to("chat.postMessage"))
    run_pass(ctx, T0 + timedelta(hours=5))
    assert len(slack.calls_to("chat.postMessage")) == refused + 1  # the one alert, once Slack is back
    assert state.rules(ctx.url)[0].id == rule


# -- 11. digits that are not ASCII digits -----------------------------------------------------------------


def test_superscript_digits_get_a_polite_answer_everywhere(server, slack, caplog):
    import logging

    from tests.support.messages import texts

    caplog.set_level(logging.ERROR)
    for command, expected in [
        ("alert remove ²", "Write `/kpi alert remove ID`"),
        ("alert cac > 300 30d for ²", "`for` takes a count"),
        ("digest daily ²:00", "is not a time"),
        ("alert cac > ² 30d", "is not a number"),
    ]:
        assert expected in texts(server.command(command).json()), command
    res = server.action("alert_ack", "²:1")
    assert res.status == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no "error id" apology, no traceback


# -- 9, 10. fair sharing, and the acknowledgement whatever Slack's latency ------------------------------------


def test_the_ack_comes_within_the_budget_while_slack_is_slow(data, slack):
    import time

    from kpi.store import state
    from tests.bot.conftest import Server
    from tests.support.messages import texts

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack, kpi_inline_budget=0.5), slack)
    try:
        slack.reset()
        slack.hold("users.info")  # the permission check waits on Slack as long as Slack wants
        started = time.monotonic()
        body, _ = running.command_body("alert cac > 100 30d", user="UADMIN")
        first = running.post_signed(body)
        assert time.monotonic() - started < 2.5  # Slack's 3 s, whatever Slack's own latency
        assert "Working on it" in texts(first.json())
        slack.release(drop=False)
        calls = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls), timeout=20)
        answer = [c for c in calls if c.kind == "response_url"][0].payload
        assert "Rule `#" in texts(answer) and "Threshold: €100.00." in texts(answer)
        assert len(state.rules(data)) == 1
    finally:
        slack.release(drop=False)
        running.stop()


def test_heavy_work_has_a_quota_per_person_and_digests_now_per_channel(data, slack):
    from tests.bot.conftest import Server
    from tests.support.messages import texts

    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(make_settings(data, slack), slack)
    running.app.deps.limits.clock = lambda: 1000.0  # one instant: the window never slides in this test
    try:
        answers = [texts(running.command("cac 3000d", user="UHEAVY").json()) for _ in range(4)]
        assert all("try again in 60 s" not in a for a in answers[:3])
        assert "You have asked for a lot of heavy work" in answers[3] and "try again in 60 s" in answers[3]
        assert "Customer acquisition cost" in texts(running.command("cac month", user="UHEAVY").json())  # cheap
        assert "Posting the digest" in texts(running.command("digest now", user="UADMIN").json())
        assert "This channel just got a digest" in texts(running.command("digest now", user="UOTHER").json())
    finally:
        running.stop()
