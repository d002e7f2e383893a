"""User-facing texts: one YAML file per language in ``kpi/locales`` (en.yml, fr.yml).

Other layers (the Slack app) add their own keys to the same files, so that all
the words of one language live in one place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "fr")


@cache
def messages(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    found: dict[str, str] = yaml.safe_load((LOCALES / f"{lang}.yml").read_text(encoding="utf-8"))
    return found


def t(lang: str, key: str, /, **values: object) -> str:
    """The text ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    text = messages(lang)[key]
    return text.format(**values) if values else text


def babel_locale(lang: str) -> str:
    return messages(lang)["locale"]
