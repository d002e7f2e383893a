"""Block Kit payloads: built through slack_sdk.models (which enforces Slack's limits), checked here too."""

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.render import answers as render
from kpi.catalog import load_catalog
from kpi.compute import BreakdownRow, KpiResult
from kpi.periods import parse_period

CATALOG = load_catalog()
PAIR = parse_period("2026-10", datetime(2026, 11, 25, tzinfo=timezone.utc))


def result(key="revenue", value=1234.5, previous=1000.0, by=None, rows=()):
    return KpiResult(
        kpi=CATALOG.kpis[key],
        current=PAIR.current,
        previous=PAIR.previous,
        value=value,
        previous_value=previous,
        reason=None,
        previous_reason=None,
        measures={},
        previous_measures={},
        by=by,
        breakdown=tuple(rows),
    )


def check_limits(message: dict) -> None:
    assert message["text"] and len(message["text"]) <= 3000
    blocks = message["blocks"]
    assert 0 < len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()  # slack_sdk's own validation of each block
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


def test_long_breakdowns_are_cut_with_and_n_more():
    rows = [BreakdownRow(f"product number {i:04d} with a rather long name", float(i), float(i + 1)) for i in range(500)]
    message = render.answer(result(by="product", rows=rows), CATALOG, "en", "EUR", "2026-10")
    check_limits(message)
    table = [
        b for b in message["blocks"] if b["type"] == "section" and "By product" in b.get("text", {}).get("text", "")
    ][0]
    assert "… and 475 more" in table["text"]["text"]
    french = render.answer(result(by="product", rows=rows), CATALOG, "fr", "EUR", "2026-10")
    assert "… et 475 autres" in str(french)


def test_every_message_kind_respects_the_limits():
    for lang in ("en", "fr"):
        check_limits(render.answer(result(), CATALOG, lang, "EUR", "month"))
        check_limits(render.answer(result(value=None), CATALOG, lang, "EUR", "month", shared_by="U1"))
        check_limits(render.kpi_list([result(k) for k in CATALOG.keys()] * 3, lang, "EUR"))
        check_limits(render.explanation(CATALOG.kpis["nps"], CATALOG, lang, "EUR", result("nps", 40, 30)))
        check_limits(render.help_message(CATALOG, lang))


def test_list_sections_hold_at_most_ten_fields():
    message = render.kpi_list([result(k) for k in CATALOG.keys()] * 3, "en", "EUR")  # 27 KPIs
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert [len(s["fields"]) for s in sections] == [10, 10, 7]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_data_values_can_neither_mention_nor_format(name):
    rows = [BreakdownRow(name, 1.0, 2.0), BreakdownRow("<!channel>", 3.0, None)]
    message = render.answer(result(by="product", rows=rows), CATALOG, "en", "EUR", "month")
    check_limits(message)
    assert "<!channel>" not in str(message["blocks"])
