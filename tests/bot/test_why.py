"""The Why? button on answers, through the app and the fake Slack: the change split across every
breakdown of the KPI, in English and French."""

from __future__ import annotations

from tests.bot.conftest import Server, make_settings
from tests.support.messages import texts


def why_of(running, question: str) -> str:
    message = running.command(question).json()
    [button] = [
        e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "kpi_why"
    ]
    running.app.deps.synchronous = True
    running.action("kpi_why", button["value"], user="U77")
    [reply] = running.slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))[-1:]
    return texts(reply.payload)


def test_why_splits_the_change_across_each_breakdown(server):
    body = why_of(server, "cac 2026-10")
    assert "Why Customer acquisition cost moved: €90.00 → €500.00" in body
    assert (
        "• *paid_search* explains 50.0% of the rise: marketing and sales spend (new), new customers (new) "
        "(+€205.00: mix +€205.00, rate ±€0.00)"
    ) in body
    assert (
        "• *organic* explains 25.6% of the rise: marketing and sales spend +233.3%, new customers = "
        "(+€105.00: mix ±€0.00, rate +€105.00)"
    ) in body
    assert "explains 24.4% of the rise" in body  # the sales spend without a channel, and no customer
    assert "Each value's part adds up to the change." in body


def test_why_in_french(data, slack):
    running = Server(make_settings(data, slack, kpi_language="fr"), slack)
    try:
        body = why_of(running, "ca 2026-10")
    finally:
        running.stop()
    assert "Pourquoi Chiffre d'affaires a bougé : 80,00\u00a0€ → 400,00\u00a0€" in body
    assert "*Par catégorie*\n• *Hardware* explique 78,1\u00a0% de la hausse" in body
    assert "• *Hardware* explique 78,1\u00a0% de la hausse : ventes (nouveau) (+250,00\u00a0€)" in body


def test_why_asked_in_words_is_heavy_work_under_the_person_s_quota(server):
    """One query per breakdown: "why did revenue drop?" counts like a chart against the per-person quota."""
    bodies = [texts(server.command("why did revenue move in october 2026?", user="UWHY").json()) for _ in range(4)]
    assert all("Revenue" in b for b in bodies[:3])
    assert "You have asked for a lot of heavy work (charts, long ranges) in the last minute" in bodies[3]


def test_why_inside_the_only_breakdown_of_a_ratio_says_so(server):
    """CAC is a ratio of totals: asked inside one channel (its only breakdown), the reason is that one, not
    'not a total nor a ratio of totals'."""
    body = texts(server.command("why cac 2026-10 for organic", user="UWHY2").json())
    assert "*Customer acquisition cost* for channel = organic is not split further" in body
    assert "`/kpi cac by channel` compares the values" in body
    assert "not a total nor a ratio of totals" not in body


def test_why_names_the_rows_without_a_channel(server):
    body = why_of(server, "cac 2026-10")
    assert "• *no channel (sales team spend)* explains 24.4% of the rise" in body
