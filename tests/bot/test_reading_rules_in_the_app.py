"""Issue 26's reading rules through the real app and the fake Slack: periods people say, values found in the
data, and a comparison the bot does not make refused with the two it makes (never answered as another)."""

from __future__ import annotations

import json

from tests.support.messages import texts


def test_a_period_people_say_is_answered_as_said(server):
    body = texts(server.command("what was revenue for the month of october?").json())
    assert "Read as: Revenue · October 2026" in body
    ranged = texts(server.command("cac from 2026-10-01 to 2026-10-15").json())
    assert "Read as: Customer acquisition cost · Oct 1\u2009–\u200915, 2026" in ranged
    french = texts(server.command("ca du 1er au 15 octobre").json())  # a bare day takes the other end's month
    assert "Read as: Revenue · Oct 1\u2009–\u200915, 2026" in french


def test_values_found_in_the_data_are_read_without_a_preposition(server):
    server.app.deps.synchronous = True  # the values are read after the first answer: here, before it
    catalog = server.app.deps.reading_catalog()
    assert catalog.values["product"]["gateway"] == "Gateway"
    body = texts(server.command("how did Gateway sell in october").json())
    assert "Read as: Revenue · October 2026 · product = Gateway" in body


def test_a_comparison_not_made_is_refused_with_the_two_that_are(server):
    message = server.command("revenue this month vs march").json()
    body = texts(message)
    assert "I can't compare *vs march*" in body
    values = [json.loads(e["value"]) for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [v["p"] for v in values] == ["month", "month yoy"]  # every part understood kept: KPI, period
    assert all(v["k"] == "revenue" for v in values)


def test_without_the_data_s_values_questions_are_read_with_the_catalog_alone(data, slack, caplog):
    from tests.bot.conftest import Server, make_settings

    source = "postgresql+psycopg://kpi@127.0.0.1:1/facts"  # nothing listens: the values can't be read
    running = Server(make_settings(data, slack, source_database_url=source, kpi_connect_timeout=1), slack)
    try:
        running.app.deps.synchronous = True
        catalog = running.app.deps.reading_catalog()
        assert catalog is running.app.deps.service.catalog and "product" not in catalog.values
        assert "the values of the breakdowns could not be read" in caplog.text
        assert running.app.deps.reading_catalog() is catalog  # not asked again within the hour
    finally:
        running.stop()


def test_no_reading_is_offered_for_a_value_the_question_excludes(server):
    message = server.command("revenue excluding hardware").json()
    assert "I didn't understand *excluding* in your question." in texts(message)
    assert not [b for b in message["blocks"] if b["type"] == "actions"]  # never "revenue for hardware"


def test_a_reading_offered_shows_a_period_said_as_its_dates(server):
    message = server.command("revenue between 1 and 15 october zork").json()
    labels = [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Revenue · Oct 1\u2009–\u200915, 2026"]  # not "--10-01..--10-15"


def test_same_for_last_year_in_a_thread_is_the_same_period_a_year_earlier(data, slack):
    from tests.bot.conftest import Server, make_settings
    from tests.bot.test_conversations import Events, posts

    running = Server(make_settings(data, slack), slack)
    running.app.deps.synchronous = True
    slack.reset()
    try:
        events = Events(running)
        events.mention("cac in october 2026 by channel", "300.1")
        assert "Read as: Customer acquisition cost · October 2026 · by channel" in texts(posts(slack)[-1].payload)
        events.reply("same for last year", "300.1", "300.2")
        body = texts(posts(slack)[-1].payload)
        assert "Read as: Customer acquisition cost · October 2025 · by channel" in body  # not all of 2025
    finally:
        running.stop()


def test_a_greeting_gets_the_hint_of_what_can_be_asked_not_an_unknown_kpi(server):
    body = texts(server.command("hi").json())
    assert "I don't know the KPI" not in body and "Unknown KPI" not in body
    assert "KPI bot: your business indicators, in Slack" in body
