"""`python -m bot [web|clock|run-jobs|console]`.

* no argument: one process for small teams — the app (Socket Mode when SLACK_APP_TOKEN is
  set, otherwise HTTP on PORT with uvicorn) and the scheduler together;
* ``web``: HTTP only (WEB_CONCURRENCY uvicorn workers), never a scheduler (Procfile ``web:``);
* ``clock``: the scheduler alone (Procfile ``clock:``);
* ``run-jobs``: one pass of everything due (rules, digests, deliveries), then exit (cron);
* ``console [--demo]``: try the app in a terminal without Slack;
* ``check [--offline]``: check the configuration, the databases, the definitions and (unless
  ``--offline``) the Slack token, without serving anything;
* ``health``: exit 0 when a scheduler pass succeeded lately (the clock's health check);
* ``new-key``: print a new Fernet key for ``KPI_ENCRYPTION_KEY``;
* ``rotate-key``: re-encrypt every stored bot token with the first key of ``KPI_ENCRYPTION_KEY``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timedelta, timezone

from kpi.config import get_settings
from kpi.errors import KpiError
from kpi.store.migrations import ensure_ready

log = logging.getLogger("bot")


def serve_http(settings, with_scheduler: bool = False) -> int:
    import uvicorn

    from bot.slack.app import create_app

    create_app(settings)  # fail fast, in the parent, on a configuration error
    ensure_ready(settings.database_url)
    workers = settings.web_concurrency
    factory = "bot.slack.web:create_asgi"
    if with_scheduler:
        _background_scheduler(settings)
        workers = 1  # the single-process mode: one web worker beside the scheduler
        factory = "bot.slack.web:create_asgi_with_scheduler"  # its /healthz fails when the scheduler stalls
    uvicorn.run(
        factory,
        factory=True,
        host="0.0.0.0",
        port=settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0


def serve_socket_mode(settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import create_app

    app = create_app(settings)
    ensure_ready(settings.database_url)
    _background_scheduler(settings)
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0


def _background_scheduler(settings):
    from bot.jobs import scheduler
    from bot.jobs.context import JobContext

    sched = scheduler.build(JobContext.from_settings(settings), blocking=False)
    sched.start()
    log.info("scheduler started: evaluation every %ss", settings.kpi_eval_interval)
    return sched


def run_clock(settings) -> int:
    from bot.jobs import scheduler
    from bot.jobs.context import JobContext

    log.info("clock started: evaluation every %ss, digests checked every minute", settings.kpi_eval_interval)
    scheduler.build(JobContext.from_settings(settings), blocking=True).start()
    return 0


def run_jobs_once(settings, at: str | None = None) -> int:
    """One pass at ``at`` (ISO 8601, UTC when it has no offset; default: now). A pass at a past
    instant replays what was due then: digests within KPI_DIGEST_GRACE, rules on the data as of then. An
    instant more than a few minutes ahead of the clock is refused (:func:`at_problem`)."""
    from bot.jobs.clock import run_pass
    from bot.jobs.context import JobContext

    now = datetime.now(timezone.utc)
    if at:
        problem = at_problem(at, now)
        if problem is not None:
            print(f"error: {problem}; nothing was done", file=sys.stderr)
            return 2
        now = instant(at) or now
    report = run_pass(JobContext.from_settings(settings), now)
    print(
        f"{report.rules} rules evaluated, events {dict(report.events) or 'none'}, {report.digests} digests, "
        f"{report.skipped} left for the next pass, delivery: {report.delivery}"
    )
    return 0


def clock_health(settings) -> int:
    """The clock's own health check (no HTTP): 0 when a pass succeeded within twice KPI_EVAL_INTERVAL."""
    import json

    from bot.jobs.clock import health, watchdog_budget

    now = datetime.now(timezone.utc)
    fresh, detail = health(settings.database_url, settings.kpi_eval_interval, None, now, watchdog_budget(settings))
    print(json.dumps({"scheduler": "ok" if fresh else ("stuck" if "stuck_since" in detail else "stale"), **detail}))
    return 0 if fresh else 1


def check(settings, offline: bool) -> int:
    """Each part of the set-up, one line each, with the fix for what is wrong. Exit 2 when anything is."""
    from bot.slack.app import ConfigurationError, create_app, missing_slack_settings
    from kpi.catalog import load_catalog
    from kpi.store.migrations import not_ready

    problems = 0

    def line(ok: bool, what: str, detail: str) -> None:
        nonlocal problems
        problems += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}")

    mode = "Socket Mode" if settings.socket_mode else "HTTP"
    mode += ", several workspaces (OAuth)" if settings.oauth else ", one workspace"
    line(True, "configuration", f"{mode}; language {settings.kpi_language}, time zone {settings.kpi_timezone}")
    try:
        why = not_ready(settings.database_url)
        line(why is None, "bot database", why + ": run `python -m kpi migrate`" if why else "migrated")
    except KpiError as exc:
        line(False, "bot database", str(exc))
    try:
        catalog = load_catalog(settings.kpi_definitions)
        line(True, "KPI definitions", f"{len(catalog.kpis)} KPIs")
    except KpiError as exc:
        catalog = None
        line(False, "KPI definitions", str(exc))
    if catalog is not None:
        line(*_source(settings.source_url, sorted({m.table for m in catalog.measures.values()})))
    missing = missing_slack_settings(settings)
    if missing or offline:
        line(not missing, "Slack", missing or "settings present; the token is not checked with Slack (--offline)")
    else:
        try:
            create_app(settings)
            line(True, "Slack", "the token is accepted" if not settings.oauth else "OAuth is configured")
        except ConfigurationError as exc:
            line(False, "Slack", str(exc))
    return 2 if problems else 0


def _source(url: str, tables: list[str]) -> tuple[bool, str, str]:
    """Whether the source answers, and how many rows each table the definitions read holds."""
    from kpi.service import table_rows

    try:
        counts = table_rows(url, tables)
    except KpiError as exc:
        return False, "source", str(exc)
    empty = [t for t, n in counts.items() if not n]
    return (
        True,
        "source",
        (f"{sum(counts.values())} rows in {len(counts)} tables" + (f"; empty: {', '.join(empty)}" if empty else "")),
    )


AHEAD = 300  # seconds: how far ahead of the clock `--at` may be (another machine's clock, a slow typist)


def at_problem(text: str, now) -> str | None:
    """What is wrong with ``--at`` at ``now`` (None: nothing). An instant in the future is refused: a pass
    there would record digest slots, rule states and stale-table episodes no real pass reaches for years. A
    past instant replays what was due then."""
    moment = instant(text)
    if moment is None:
        return f"--at {text[:40]!r} is not an ISO 8601 instant between 2000 and 2999 such as 2026-11-25T08:00:00Z"
    if moment > now + timedelta(seconds=AHEAD):
        return (
            f"--at {text[:40]!r} is in the future (it is {now:%Y-%m-%dT%H:%M}Z): a pass runs at most "
            f"{AHEAD // 60} minutes ahead of now, or at a past instant to replay it"
        )
    return None


def instant(text: str):
    """``--at``: an ISO 8601 instant (UTC when it has no offset) in a range a pass can compute (else None)."""

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        return None
    return moment if 2000 <= moment.year <= 2999 else None


def rotate_key(settings) -> int:
    from kpi.store.crypto import TokenCipher, rotate

    count = rotate(settings.database_url, TokenCipher(settings.encryption_keys))
    print(
        f"{count} stored tokens re-encrypted with the first key of KPI_ENCRYPTION_KEY; "
        "the other keys can now be removed."
    )
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
    checking = sub.add_parser("check", help="check the set-up (configuration, databases, definitions, Slack)")
    checking.add_argument("--offline", action="store_true", help="do not call Slack (no network needed)")
    sub.add_parser("health", help="exit 0 when a scheduler pass succeeded lately (the clock's health check)")
    sub.add_parser("new-key", help="print a new key for KPI_ENCRYPTION_KEY")
    sub.add_parser("rotate-key", help="re-encrypt stored bot tokens with the first key of KPI_ENCRYPTION_KEY")
    args = parser.parse_args(argv)
    if args.mode == "new-key":
        from kpi.store.crypto import TokenCipher

        print(TokenCipher.new_key())
        return 0

    from bot import logs
    from bot.slack.app import ConfigurationError

    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 2
    try:
        if args.mode == "console":
            logs.configure("WARNING", settings.secrets())
            from bot.sandbox.console import main as console_main

            if not args.demo:
                ensure_ready(settings.database_url)

            return console_main(settings, demo=args.demo)
        if args.mode == "check":
            logs.configure("ERROR", settings.secrets())
            return check(settings, args.offline)
        logs.configure(settings.log_level, settings.secrets())
        if args.mode == "health":
            return clock_health(settings)
        if args.mode == "run-jobs" and args.at and at_problem(args.at, datetime.now(timezone.utc)) is not None:
            return run_jobs_once(settings, args.at)  # says what --at accepts, before anything else
        if args.mode in ("clock", "run-jobs"):
            ensure_ready(settings.database_url)
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
