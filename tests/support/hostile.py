"""Hostile values, as a real workspace's data and people would bring them: product, category and channel
values that look like Slack's control sequences (``<!channel>``, ``<@U1>``, ``<#C1>``, links), ``&``,
300-character names, 60 products and a team catalog of 120 KPIs whose names are as bad.

``load`` adds them to the fixture data (tests/support/fixtures.py); ``write_catalog`` writes the team's
definitions file (``KPI_DEFINITIONS``). ``control_sequences`` finds, in any payload, the control sequences
Slack would act on that the bot did not mean.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import yaml

from tests.conftest import insert

HOSTILE = [
    '<!channel> Pro & "Max" <http://evil.example|click here>',
    "<!here> paid & social",
    "<@U1> *bold* `code`",
    "<#C1|general> & co",
    "<http://evil|x>",
    "R&D <!subteam^S1|team> &amp; more",
    "<!everyone> _it_ ~x~ > < >=",
]
LONG = ("<!channel> & " + "x" * 300)[:300]  # a 300-character name
PRODUCTS = 60
KPIS = 120
FIRST_PRODUCT_ID = 100


def product_name(n: int) -> str:
    return LONG[:-4] + f" {n:03d}" if n % 10 == 9 else f"{HOSTILE[n % len(HOSTILE)]} {n:03d}"


def channel_name(n: int) -> str:
    return f"{HOSTILE[n % len(HOSTILE)]} ch{n}"


def load(url: str) -> None:
    """60 hostile products sold in October 2026 (more than in September, so that rules on them fire),
    with hostile categories, and customers, leads and spend in three hostile channels."""
    products = [
        {"id": FIRST_PRODUCT_ID + n, "name": product_name(n), "category": HOSTILE[n % 3] + " cat"}
        for n in range(PRODUCTS)
    ]
    insert(url, "products", products)
    sales = []
    for n in range(PRODUCTS):
        pid = FIRST_PRODUCT_ID + n
        sales.append(
            {
                "id": 1000 + n,
                "sold_at": datetime(2026, 10, 20),
                "customer_id": 1,
                "product_id": pid,
                "amount": 500 + n,
                "cost": 10,
            }
        )
        sales.append(
            {
                "id": 2000 + n,
                "sold_at": datetime(2026, 9, 20),
                "customer_id": 1,
                "product_id": pid,
                "amount": 5,
                "cost": 1,
            }
        )
    insert(url, "sales", sales)
    insert(
        url,
        "customers",
        [{"id": 500 + n, "acquired_at": datetime(2026, 10, 21), "channel": channel_name(n)} for n in range(3)],
    )
    insert(
        url,
        "leads",
        [{"id": 500 + n, "created_at": datetime(2026, 10, 21), "channel": channel_name(n)} for n in range(3)],
    )
    insert(
        url,
        "spend",
        [
            {"day": datetime(2026, 10, 22).date(), "kind": "marketing", "channel": channel_name(n), "amount": 900}
            for n in range(3)
        ],
    )


def kpi_key(n: int) -> str:
    return f"hostile_{n:03d}"


def write_catalog(path: Path) -> Path:
    """A team definitions file of 120 KPIs whose names, descriptions and explanations are hostile."""

    def text(n: int, what: str) -> dict:
        words = (f"{HOSTILE[n % len(HOSTILE)]} {what} " + LONG)[:300]
        return {"en": words, "fr": words}

    kpis = {
        kpi_key(n): {
            "name": text(n, "name"),
            "formula": "sales_amount",
            "unit": "currency",
            "direction": "up",
            "description": text(n, "description"),
            "explanation": {"meaning": text(n, "meaning"), "reading": text(n, "reading"), "drivers": text(n, "x")},
        }
        for n in range(KPIS)
    }
    path.write_text(yaml.safe_dump({"kpis": kpis}, allow_unicode=True), encoding="utf-8")
    return path


# What Slack acts on in mrkdwn and top-level text: a mention, a special mention, a channel, a link.
_CONTROL = re.compile(r"<(?:[!@#]|https?:|mailto:)[^>]*>?")
# Keys whose values Slack never shows as text (carried back to the app, or identifiers).
_NOT_SHOWN = {
    "value",
    "action_id",
    "block_id",
    "callback_id",
    "private_metadata",
    "channel",
    "ts",
    "user",
    "user_id",
    "thread_ts",
    "trigger_id",
    "view_id",
    "external_id",
    "url",
    "image_url",
    "file_id",
    "initial_conversation",
    "response_action",
    "type",
    "files",
}


def control_sequences(payload, intended: set[str]) -> list[str]:
    """Every control sequence of ``payload`` (any text Slack would parse) that is not one of the bot's own
    ``intended`` ones (``<@UADMIN>``, ``<#C0ALERTS>``); and every plain text that holds an entity or mrkdwn
    (shown literally, so ``&lt;`` would be seen as such)."""
    found: list[str] = []

    def walk(node, where: str, plain: bool) -> None:
        if isinstance(node, dict):
            is_plain = node.get("type") == "plain_text"
            for key, value in node.items():
                if key not in _NOT_SHOWN:
                    walk(value, f"{where}.{key}", is_plain and key == "text")
        elif isinstance(node, list):
            for n, item in enumerate(node):
                walk(item, f"{where}[{n}]", False)
        elif isinstance(node, str):
            if plain:
                if re.search(r"&(lt|gt);", node):
                    found.append(f"{where}: an entity in a plain text: {node[:80]!r}")
                return
            for seq in _CONTROL.findall(node):
                if seq not in intended:
                    found.append(f"{where}: {seq[:60]!r} in {node[:80]!r}")

    walk(payload, "payload", False)
    return found
