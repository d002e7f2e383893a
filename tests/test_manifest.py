"""manifest.yml as Slack's manifest validator reads it: the values it checks when the app is created."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_bot_display_name_uses_only_the_characters_slack_allows():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    name = manifest["features"]["bot_user"]["display_name"]
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,79}", name), name
    assert f"/invite @{name}" in (ROOT / "README.md").read_text()


def test_the_placeholder_address_is_said_to_fail_url_verification():
    text = (ROOT / "manifest.yml").read_text()
    assert "https://kpi.example.com" in text and "fails Slack's URL verification" in text
