"""`python -m bot [web|console]`.

* no argument: serve the app — Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP
  on PORT with uvicorn (WEB_CONCURRENCY workers);
* ``web``: HTTP only, never a scheduler (the Procfile's web process);
* ``console [--demo]``: try the app in a terminal without Slack.
"""

from __future__ import annotations

import argparse
import logging
import sys

from kpi.config import get_settings

log = logging.getLogger("bot")


def serve_http(settings) -> int:
    import uvicorn

    from bot.app import create_app

    create_app(settings)  # fail fast, in the parent, on a configuration error
    uvicorn.run("bot.web:create_asgi", factory=True, host="0.0.0.0", port=settings.port,
                workers=settings.web_concurrency, log_config=None, access_log=False, proxy_headers=True)
    return 0


def serve_socket_mode(settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    app = create_app(settings)
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The KPI bot for Slack.")
    sub = parser.add_subparsers(dest="mode")
    sub.add_parser("web", help="serve HTTP only (no scheduler)")
    console = sub.add_parser("console", help="try the app in a terminal, without Slack")
    console.add_argument("--demo", action="store_true", help="use a local SQLite file with demo data")
    args = parser.parse_args(argv)

    from bot import logs
    from bot.app import ConfigurationError
    from kpi.errors import KpiError

    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        if args.mode == "console":
            logs.configure("WARNING", settings.secrets())
            from bot.console import main as console_main

            return console_main(settings, demo=args.demo)
        logs.configure(settings.log_level, settings.secrets())
        if args.mode is None and settings.socket_mode:
            return serve_socket_mode(settings)
        return serve_http(settings)
    except (ConfigurationError, KpiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
