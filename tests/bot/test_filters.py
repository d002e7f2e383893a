"""Answers for one value of a breakdown (`for referral`, `channel=referral`, `pour le canal referral`),
through the app and the fake Slack, in English and French."""

from __future__ import annotations

import json

from tests.bot.conftest import Server, make_settings
from tests.support.messages import texts


def test_one_channel_s_cac_said_as_it_was_read(server):
    message = server.command("cac 2026-10 for organic").json()
    body = texts(message)
    # organic in October: €300 of spend for 1 new customer; in September €90 for 1
    assert "*€300.00*  ·  October 2026 (Oct 1\u2009–\u200931, 2026)  ·  channel = organic" in body
    assert "*Previous*\n€90.00" in body
    assert "Read as: Customer acquisition cost · October 2026 · channel = organic" in body
    upper = texts(server.command("cac 2026-10 channel=ORGANIC").json())  # any case: the value as in the data
    assert "Read as: Customer acquisition cost · October 2026 · channel = organic" in upper
    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["kpi_share", "kpi_chart", "kpi_why", "kpi_explain"]
    [share] = [
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "kpi_share"
    ]
    assert json.loads(share["value"])["w"] == "channel=organic"
    server.app.deps.synchronous = True
    server.action("kpi_share", share["value"], user="U77")
    [shared] = server.slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))[-1:]
    assert shared.payload["response_type"] == "in_channel" and "channel = organic" in texts(shared.payload)


def test_a_value_not_in_the_data_gets_the_closest_ones(server):
    body = texts(server.command("cac 2026-10 for organik").json())
    assert "No *organik* among the values of channel for *cac* in that period. Did you mean `organic`?" in body


def test_in_french(data, slack):
    running = Server(make_settings(data, slack, kpi_language="fr"), slack)
    try:
        body = texts(running.command("coût-acquisition 2026-10 pour le canal organic").json())
        inside = texts(running.command("ca 2026-10 par catégorie pour le canal organic").json())
    finally:
        running.stop()
    assert "*300,00\u00a0€*  ·  octobre 2026" in body and "canal = organic" in body
    assert "Compris comme : Coût d'acquisition client · octobre 2026 · canal = organic" in body
    # organic's October sales: customer 1's Starter (€100) and Pro (€50), both Software
    assert "Compris comme : Chiffre d'affaires · octobre 2026 · par catégorie · canal = organic" in inside
    assert "Software  150,00\u00a0€" in inside and "Hardware" not in inside


def test_the_chart_of_one_value_from_the_rollups_and_from_the_source(data, slack):
    from datetime import datetime, timezone

    from kpi.compute import compute
    from kpi.series import series
    from kpi.service import KpiService

    service = KpiService.from_settings(make_settings(data, slack))
    kpi = service.resolve("revenue")
    pair = service.period("2026-10", datetime(2026, 11, 25, tzinfo=timezone.utc))
    by_channel = {r.key: r.value for r in compute(service.catalog, service.source, kpi, pair, "channel").breakdown}
    plain = series(service, kpi, pair, where=("channel", "organic"))
    service.refresh_rollups(datetime(2026, 11, 25, tzinfo=timezone.utc), rebuild=True)
    rolled = series(service, kpi, pair, where=("channel", "organic"))
    assert sum(v or 0 for v in plain.current.values) == by_channel["organic"] == 150  # Oct 15 and Oct 28
    assert rolled.current == plain.current and rolled.previous == plain.previous


def test_the_chart_button_of_a_filtered_answer_keeps_the_filter(server):
    message = server.command("revenue 2026-10 for organic").json()
    [chart] = [
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "kpi_chart"
    ]
    server.action("kpi_chart", chart["value"], user="U77")
    calls = server.slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    [done] = [c for c in calls if c.name == "files.completeUploadExternal"]
    assert done.payload["initial_comment"].startswith("Revenue · channel = organic, October 2026")


def test_a_breakdown_and_a_why_inside_one_value(server):
    """Filtered in SQL: organic's revenue by category, and its change from September split across the other
    breakdowns (September: customer 3's Starter, €80; October: customer 1's Starter €100 and Pro €50)."""
    body = texts(server.command("revenue 2026-10 for organic by product").json())
    assert "Read as: Revenue · October 2026 · by product · channel = organic" in body
    assert "*€150.00*" in body and "Starter  €100.00  +25.0%\nPro       €50.00" in body and "Gateway" not in body
    why = texts(server.command("why did revenue rise in october 2026 for organic?").json())
    assert "Read as: Revenue · October 2026 · channel = organic" in why
    assert "• *Pro* explains 71.4% of the rise" in why and "• *Starter* explains 28.6% of the rise" in why
    assert "By channel" not in why  # the value's own dimension is not split
    plain = texts(server.command("revenue 2026-10 for organic by channel").json())
    assert "By channel" in plain and "paid_search" in plain  # by the filter's own dimension: the breakdown


def test_a_value_with_nothing_close_is_refused_without_an_empty_did_you_mean(server):
    body = texts(server.command("revenue 2026-10 for zzqqxx").json())
    assert "No *zzqqxx* among the values of" in body and "Did you mean" not in body and "—?" not in body
