"""Configuration errors name the variable and the problem, never the value given: a value may be a secret.

Each case runs the real entry points (`python -m bot check --offline` and `python -m kpi list`, in
process) with an environment that holds secrets, and greps everything they print for those secrets.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.__main__ import main as bot_main
from kpi.__main__ import main as kpi_main
from kpi.config import get_settings

TOKEN = "xoxb-1111-2222-a-bot-token-that-is-secret"
SIGNING = "signing-secret-f00dbabe"
CLIENT_SECRET = "client-secret-d34db33f-tail"
PASSWORD = "pa55-w0rd-in-a-url"

CASES = {
    "an encryption key that is not a Fernet key": (
        dict(KPI_ENCRYPTION_KEY="notakey-but-secret", SLACK_BOT_TOKEN=TOKEN),
        "KPI_ENCRYPTION_KEY must be Fernet keys",
        ["notakey-but-secret", TOKEN],
    ),
    "OAuth without its encryption key": (
        dict(SLACK_CLIENT_ID="1111.2222", SLACK_CLIENT_SECRET=CLIENT_SECRET, SLACK_SIGNING_SECRET=SIGNING),
        "KPI_ENCRYPTION_KEY is not",
        [CLIENT_SECRET, CLIENT_SECRET[-6:], SIGNING],
    ),
    "OAuth without its client secret": (
        dict(
            SLACK_CLIENT_ID="1111.2222", KPI_ENCRYPTION_KEY=Fernet.generate_key().decode(), SLACK_SIGNING_SECRET=SIGNING
        ),
        "SLACK_CLIENT_SECRET",
        [SIGNING],
    ),
    "a bot database that is not SQLite nor PostgreSQL": (
        dict(DATABASE_URL=f"mysql://kpi:{PASSWORD}@db.internal/kpi", SLACK_BOT_TOKEN=TOKEN),
        "DATABASE_URL holds the bot's own records",
        [PASSWORD, TOKEN],
    ),
    "a database URL whose port is not a number": (
        dict(SOURCE_DATABASE_URL=f"postgresql://kpi:{PASSWORD}@db.internal:notaport/kpi", SLACK_BOT_TOKEN=TOKEN),
        "SOURCE_DATABASE_URL is not a database URL",
        [PASSWORD, TOKEN, "notaport"],
    ),
    "a port that is not a number": (
        dict(PORT="30x0", SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SIGNING),
        "PORT: Input should be a valid integer",
        [TOKEN, SIGNING],
    ),
    "an unknown time zone": (
        dict(KPI_TIMEZONE="Mars/Olympus", SLACK_BOT_TOKEN=TOKEN),
        "KPI_TIMEZONE is not an IANA time zone name",
        [TOKEN, "Mars/Olympus"],
    ),
}


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment in an empty folder (no .env), and settings read anew."""
    import os

    for key in list(os.environ):
        if key.startswith(("KPI_", "SLACK_", "DATABASE_URL", "SOURCE_", "PORT", "WEB_CONCURRENCY")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_configuration_error_names_the_variable_and_prints_no_value(case, environment, capsys):
    variables, said, secrets = CASES[case]
    for key, value in variables.items():
        environment.setenv(key, value)
    for run in (lambda: bot_main(["check", "--offline"]), lambda: kpi_main(["list"])):
        get_settings.cache_clear()
        assert run() == 2
        out = capsys.readouterr()
        printed = out.out + out.err
        assert printed.startswith("error: invalid configuration: ") and said in printed, printed
        assert len(printed.strip().splitlines()) == 1, printed
        for secret in secrets:
            assert secret not in printed, (case, secret, printed)


def test_check_offline_fails_in_one_line_without_the_slack_settings_web_needs(environment, capsys, tmp_path):
    environment.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    assert bot_main(["check", "--offline"]) == 2
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL  Slack")]
    assert failed == [
        "FAIL  Slack: SLACK_BOT_TOKEN is not set (the xoxb- token of the installed app), "
        "nor SLACK_CLIENT_ID for several workspaces."
    ]
    environment.setenv("SLACK_BOT_TOKEN", TOKEN)
    get_settings.cache_clear()
    assert bot_main(["check", "--offline"]) == 2
    out = capsys.readouterr().out
    assert "FAIL  Slack: SLACK_SIGNING_SECRET is not set" in out and TOKEN not in out
