"""`python -m bot [web|clock|run-jobs|console]`.

* no argument: one process for small teams — the app (Socket Mode when SLACK_APP_TOKEN is
  set, otherwise HTTP on PORT with uvicorn) and the scheduler together;
* ``web``: HTTP only (WEB_CONCURRENCY uvicorn workers), never a scheduler (Procfile ``web:``);
* ``clock``: the scheduler alone (Procfile ``clock:``);
* ``run-jobs``: one pass of everything due (rules, digests, deliveries), then exit (cron);
* ``console [--demo]``: try the app in a terminal without Slack;
* ``new-key``: print a new Fernet key for ``KPI_ENCRYPTION_KEY``;
* ``rotate-key``: re-encrypt every stored bot token with the first key of ``KPI_ENCRYPTION_KEY``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from kpi.config import get_settings

log = logging.getLogger("bot")


def serve_http(settings, with_scheduler: bool = False) -> int:
    import uvicorn

    from bot.app import create_app

    create_app(settings)  # fail fast, in the parent, on a configuration error
    workers = settings.web_concurrency
    if with_scheduler:
        _background_scheduler(settings)
        workers = 1  # the single-process mode: one web worker beside the scheduler
    uvicorn.run("bot.web:create_asgi", factory=True, host="0.0.0.0", port=settings.port,
                workers=workers, log_config=None, access_log=False, proxy_headers=True)
    return 0


def serve_socket_mode(settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app

    app = create_app(settings)
    _background_scheduler(settings)
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0


def _background_scheduler(settings):
    from bot import scheduler

    sched = scheduler.build(settings.kpi_eval_interval, blocking=False)
    sched.start()
    log.info("scheduler started: evaluation every %ss", settings.kpi_eval_interval)
    return sched


def run_clock(settings) -> int:
    from bot import scheduler

    log.info("clock started: evaluation every %ss, digests checked every minute", settings.kpi_eval_interval)
    scheduler.build(settings.kpi_eval_interval, blocking=True).start()
    return 0


def run_jobs_once(settings, at: str | None = None) -> int:
    """One pass at ``at`` (ISO 8601, UTC when it has no offset; default: now). A pass at a past
    instant replays what was due then: digests within KPI_DIGEST_GRACE, rules on the data as of then."""
    from datetime import datetime, timezone

    from bot.jobs import JobContext, run_pass

    now = datetime.now(timezone.utc)
    if at:
        try:
            now = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            print(f"error: --at {at!r} is not an ISO 8601 instant such as 2026-11-25T08:00:00Z", file=sys.stderr)
            return 2
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    report = run_pass(JobContext.from_settings(settings), now)
    print(f"{report.rules} rules evaluated, events {dict(report.events) or 'none'}, {report.digests} digests, "
          f"delivery: {report.delivery}")
    return 0


def rotate_key(settings) -> int:
    from kpi.store.crypto import TokenCipher, rotate

    count = rotate(settings.database_url, TokenCipher(settings.encryption_keys))
    print(f"{count} stored tokens re-encrypted with the first key of KPI_ENCRYPTION_KEY; "
          "the other keys can now be removed.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="The KPI bot for Slack.")
    sub = parser.add_subparsers(dest="mode")
    sub.add_parser("web", help="serve HTTP only (no scheduler)")
    sub.add_parser("clock", help="run the scheduler alone")
    jobs = sub.add_parser("run-jobs", help="run one pass of everything due, then exit")
    jobs.add_argument("--at", help="as if at this instant (ISO 8601, e.g. 2026-11-25T08:00:00Z)")
    console = sub.add_parser("console", help="try the app in a terminal, without Slack")
    console.add_argument("--demo", action="store_true", help="use a local SQLite file with demo data")
    sub.add_parser("new-key", help="print a new key for KPI_ENCRYPTION_KEY")
    sub.add_parser("rotate-key", help="re-encrypt stored bot tokens with the first key of KPI_ENCRYPTION_KEY")
    args = parser.parse_args(argv)
    if args.mode == "new-key":
        from kpi.store.crypto import TokenCipher

        print(TokenCipher.new_key())
        return 0

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
        if args.mode == "clock":
            return run_clock(settings)
        if args.mode == "run-jobs":
            return run_jobs_once(settings, args.at)
        if args.mode == "rotate-key":
            return rotate_key(settings)
        if args.mode is None and settings.socket_mode:
            return serve_socket_mode(settings)
        return serve_http(settings, with_scheduler=args.mode is None)
    except (ConfigurationError, KpiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
