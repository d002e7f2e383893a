"""Several workspaces: Slack OAuth over real HTTP, tokens encrypted at rest, one client per workspace."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, func, select, update

from bot import workspaces as installations
from bot.jobs.clock import run_pass
from bot.jobs.context import JobContext
from bot.slack.signing import signed_headers
from kpi.errors import SecretKeyError
from kpi.store import state, state_schema
from kpi.store.crypto import TokenCipher, rotate
from kpi.store.engines import get_engine
from tests.bot.conftest import Server, make_settings
from tests.support.clock import T0, FakeTime
from tests.support.oauth import CLIENT, KEY, TOKEN_A, TOKEN_B, get, install, oauth_settings, start_install
from tests.support.rules import CAC_ABOVE_300

ROOT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def multi(data, slack):
    slack.client_credentials = CLIENT
    slack.users.update({"UADMIN": {"id": "UADMIN", "is_admin": True}})
    running = Server(oauth_settings(data, slack), slack, clock=lambda: T0)
    running.app.deps.synchronous = True
    yield running
    running.stop()


def rows(url, table):
    with get_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def test_the_install_page_links_to_slack_with_the_manifest_scopes_and_a_fresh_state(multi, data):
    link, cookie = start_install(multi)
    query = parse_qs(urlparse(link).query)
    assert link.startswith("https://slack.com/oauth/v2/authorize?")
    assert query["client_id"] == [CLIENT[0]]
    assert query["scope"] == [",".join(installations.BOT_SCOPES)]
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"
    assert [r["state"] for r in rows(data, state_schema.slack_oauth_states)] == query["state"]
    manifest = yaml.safe_load((ROOT_DIR / "manifest.yml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == installations.BOT_SCOPES


def test_french_install_page(data, slack):
    running = Server(oauth_settings(data, slack, kpi_language="fr"), slack)
    try:
        status, _, body = get(running, "/slack/install")
        assert status == 200 and "Ajouter à Slack" in unescape(body)
    finally:
        running.stop()


def test_an_installation_stores_the_token_encrypted_and_serves_that_workspace(multi, slack, data):
    status, _, body = install(multi, slack, "TA", TOKEN_A)
    assert status == 200 and "KPI bot is now installed in Team TA" in unescape(body)
    [bot] = rows(data, state_schema.slack_bots)
    [inst] = rows(data, state_schema.slack_installations)
    assert (bot["team_id"], bot["client_id"], inst["user_id"]) == ("TA", CLIENT[0], "UINSTALL")
    for row in (bot, inst):  # at rest: a Fernet ciphertext of the token, never the token itself
        assert TOKEN_A not in json.dumps(row, default=str)
        assert Fernet(KEY.encode()).decrypt(row["bot_token"].encode()).decode() == TOKEN_A
    # a signed command from that workspace is answered, and what it posts uses that workspace's token
    slack.reset()
    answer = multi.command("cac 30d", team="TA").json()
    assert "Customer acquisition cost" in answer["text"] and "€500.00" in answer["text"]
    multi.command("cac 30d chart", team="TA")
    calls = slack.wait_for(lambda calls: any(c.name == "files.completeUploadExternal" for c in calls))
    assert {slack.team_of(c) for c in calls if c.kind == "api"} == {"TA"}


def test_each_workspace_gets_its_alerts_with_its_own_token(multi, slack, data):
    install(multi, slack, "TA", TOKEN_A)
    install(multi, slack, "TB", TOKEN_B)
    for team in ("TA", "TB", "TGONE"):
        state.create_rule(data, team, f"C{team}", CAC_ABOVE_300, "UADMIN", T0.replace(tzinfo=None))
    slack.reset()
    ctx = JobContext.from_settings(multi.settings)
    fake = FakeTime()
    ctx.sleep, ctx.monotonic = fake.sleep, fake.monotonic
    report = run_pass(ctx, T0)
    by_channel = {c.payload["channel"]: slack.team_of(c) for c in slack.calls_to("chat.postMessage")}
    assert by_channel == {"CTA": "TA", "CTB": "TB"}
    # the workspace that never installed (or uninstalled) cannot be reached: failed once, not retried
    assert report.delivery.delivered == 2 and report.delivery.failed == 1
    assert [r["last_error"] for r in rows(data, state_schema.outbox) if r["team_id"] == "TGONE"] == ["not_installed"]


@pytest.mark.parametrize(
    "case", ["no cookie", "forged state", "stale state", "replayed state", "no code", "code Slack rejects"]
)
def test_refused_callbacks_answer_401_and_install_nothing(multi, slack, data, case):
    if case == "replayed state":
        assert install(multi, slack, "TA", TOKEN_A, code="first")[0] == 200
    link, cookie = start_install(multi)
    good = parse_qs(urlparse(link).query)["state"][0]
    slack.grant("good-code", "TB", TOKEN_B)
    query = {"state": good, "code": "good-code"}
    headers = {"Cookie": cookie}
    if case == "no cookie":
        headers = {}
    elif case == "forged state":
        query["state"] = "forged-0000"
        headers["Cookie"] = "slack-app-oauth-state=forged-0000"
    elif case == "stale state":
        with get_engine(data).begin() as conn:
            conn.execute(update(state_schema.slack_oauth_states).values(expire_at=datetime(2020, 1, 1)))
    elif case == "replayed state":
        assert get(multi, f"/slack/oauth_redirect?code=good-code&state={good}", headers)[0] == 200
        slack.grant("another", "TB", TOKEN_B)
        query["code"] = "another"
    elif case == "no code":
        del query["code"]
    elif case == "code Slack rejects":
        query["code"] = "stolen-code"
    before = {t["team_id"] for t in rows(data, state_schema.slack_bots)}
    path = "/slack/oauth_redirect?" + "&".join(f"{k}={v}" for k, v in query.items())
    status, _, body = get(multi, path, headers)
    assert status == 401 and "This installation link is not valid" in unescape(body)
    assert {t["team_id"] for t in rows(data, state_schema.slack_bots)} == before


def test_cancelling_on_slacks_page_is_a_polite_page(multi, data):
    link, cookie = start_install(multi)
    state_param = parse_qs(urlparse(link).query)["state"][0]
    status, _, body = get(multi, f"/slack/oauth_redirect?error=access_denied&state={state_param}", {"Cookie": cookie})
    assert status == 200 and "was cancelled" in body and rows(data, state_schema.slack_bots) == []


def test_a_workspace_that_has_not_installed_the_app_gets_nothing(multi, slack):
    install(multi, slack, "TA", TOKEN_A)
    slack.reset()
    response = multi.command("cac month", team="TSTRANGER")
    assert response.status == 200 and response.body == ""  # answered through the response URL:
    [notice] = slack.wait_for(lambda calls: any(c.kind == "response_url" for c in calls))
    assert "KPI bot is not installed in this workspace" in json.dumps(notice.payload)
    assert "Customer acquisition cost" not in json.dumps(notice.payload)
    assert slack.calls_to("chat.postMessage") == []


def test_uninstalling_deletes_the_workspaces_tokens(multi, slack, data):
    install(multi, slack, "TA", TOKEN_A)
    install(multi, slack, "TB", TOKEN_B)
    event = {
        "token": "x",
        "team_id": "TA",
        "api_app_id": "A123",
        "type": "event_callback",
        "event_id": "EvUN",
        "event_time": 1,
        "event": {"type": "app_uninstalled", "event_ts": "1.0"},
    }
    body = json.dumps(event)
    response = multi.request(
        "POST", "/slack/events", body.encode(), signed_headers(multi_secret(multi), body, None, "application/json")
    )
    assert response.status == 200
    assert {r["team_id"] for r in rows(data, state_schema.slack_bots)} == {"TB"}


def multi_secret(server):
    return server.settings.slack_signing_secret.get_secret_value()


def test_our_tables_are_the_sdks_tables():
    """Alembic owns the stores' tables: same names and columns as slack_sdk's SQLAlchemy stores."""
    meta = MetaData()
    sdk = [
        SQLAlchemyInstallationStore.build_installations_table(meta, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(meta, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(meta, "slack_oauth_states"),
    ]
    for table in sdk:
        ours = state_schema.metadata.tables[table.name]
        assert [c.name for c in ours.columns] == [c.name for c in table.columns], table.name
        assert {i.name for i in ours.indexes} >= {i.name for i in table.indexes}


def test_rotating_the_key_reencrypts_every_token(multi, slack, data):
    install(multi, slack, "TA", TOKEN_A)
    new = Fernet.generate_key().decode()
    assert rotate(data, TokenCipher([new, KEY])) == 2  # slack_installations.bot_token and slack_bots.bot_token
    settings = oauth_settings(data, slack).model_copy(update={"kpi_encryption_key": SecretStr(new)})
    assert (
        installations.EncryptedInstallationStore(settings).find_bot(enterprise_id=None, team_id="TA").bot_token
        == TOKEN_A
    )
    with pytest.raises(SecretKeyError, match="does not decrypt"):  # the old key alone no longer reads them
        installations.EncryptedInstallationStore(oauth_settings(data, slack)).find_bot(enterprise_id=None, team_id="TA")


def test_oauth_configuration_is_complete_or_refused(data, slack):
    with pytest.raises(ValueError, match="KPI_ENCRYPTION_KEY"):
        make_settings(data, slack, slack_client_id="1.2", slack_client_secret=SecretStr("s"))
    with pytest.raises(ValueError, match="Fernet keys"):
        oauth_settings(data, slack, kpi_encryption_key=SecretStr("not-a-key"))
    settings = oauth_settings(data, slack)
    assert settings.oauth and KEY in settings.secrets() and CLIENT[1] in settings.secrets()


def test_state_rows_expire(multi, data):
    start_install(multi)
    with get_engine(data).connect() as conn:
        expires = conn.execute(select(func.max(state_schema.slack_oauth_states.c.expire_at))).scalar()
    assert timedelta(minutes=9) < expires - datetime.now(timezone.utc).replace(tzinfo=None) <= timedelta(minutes=10)


def test_socket_mode_with_several_workspaces_is_refused_at_start(data, slack):
    from bot.slack.app import ConfigurationError, create_app

    with pytest.raises(ConfigurationError, match="Socket Mode serves one workspace"):
        create_app(oauth_settings(data, slack, slack_app_token=SecretStr("xapp-1-abc")))
