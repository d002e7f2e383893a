"""Installing the app in workspaces through the real OAuth flow, against the fake Slack."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from html import unescape
from urllib.parse import parse_qs, urlparse

from cryptography.fernet import Fernet
from pydantic import SecretStr

from tests.bot.conftest import make_settings

KEY = Fernet.generate_key().decode()


CLIENT = ("1111.2222", "client-secret-abcdef")


TOKEN_A, TOKEN_B = "xoxb-team-a-0000-secret", "xoxb-team-b-1111-secret"


def oauth_settings(url, slack, **overrides):
    values = dict(
        slack_bot_token=None,
        slack_client_id=CLIENT[0],
        slack_client_secret=SecretStr(CLIENT[1]),
        kpi_encryption_key=SecretStr(KEY),
    )
    return make_settings(url, slack, **(values | overrides))


def get(server, path, headers=None):
    """GET without following redirects: (status, headers, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(server.url + path, headers=headers or {}), timeout=30) as res:
            return res.status, res.headers, res.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def start_install(server):
    status, headers, body = get(server, "/slack/install")
    assert status == 200
    link = unescape(re.search(r'href="([^"]+)"', body).group(1))
    cookie = headers["Set-Cookie"].split(";")[0]
    return link, cookie


def install(server, slack, team, token, code=None):
    link, cookie = start_install(server)
    code = code or f"code-{team}"
    slack.grant(code, team, token, team_name=f"Team {team}")
    state_param = parse_qs(urlparse(link).query)["state"][0]
    return get(server, f"/slack/oauth_redirect?code={code}&state={state_param}", {"Cookie": cookie})
