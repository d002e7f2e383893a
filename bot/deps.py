"""What every listener needs, built once at start-up and passed to each ``register()``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kpi.config import Settings
from kpi.errors import DefinitionError, PeriodError, SourceError, SourceTimeout, UnknownDimension, UnknownKpi
from kpi.service import KpiService
from kpi.texts import t

from bot import render

log = logging.getLogger("bot")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Deps:
    settings: Settings
    service: KpiService
    clock: Callable[[], datetime] = utc_now
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="kpi"))
    synchronous: bool = False  # run follow-up work (evaluate a new rule, post a digest) before answering
    _jobs: object = None

    @property
    def jobs(self):
        """The scheduler's context, for work a command starts at once (evaluate a new rule, digest now)."""
        if self._jobs is None:
            from bot.jobs import JobContext

            self._jobs = JobContext.from_settings(self.settings, self.service)
        return self._jobs

    def later(self, fn, *args) -> None:
        """Run ``fn`` after the answer (inline in the console), logging any failure with its traceback."""
        def run():
            try:
                fn(*args)
            except Exception:
                log.exception("background work %s failed", getattr(fn, "__name__", fn))

        if self.synchronous:
            run()
        else:
            self.executor.submit(run)

    @property
    def lang(self) -> str:
        return self.settings.kpi_language

    @property
    def currency(self) -> str:
        return self.settings.kpi_currency


class Replier:
    """Answers once through ``ack`` while Slack still waits, then through ``respond``."""

    def __init__(self, ack, respond):
        self._ack = ack
        self._respond = respond
        self.acked = False

    @property
    def respond(self):
        return self._respond

    @classmethod
    def after_ack(cls, respond) -> "Replier":
        """For work done after the ack: every reply goes through ``respond`` (the response URL)."""
        replier = cls(None, respond)
        replier.acked = True
        return replier

    def ack(self, **message) -> None:
        if not self.acked:
            self.acked = True
            self._ack(**message)

    def reply(self, message: dict, response_type: str = "ephemeral") -> None:
        if not self.acked:
            self.acked = True
            self._ack(response_type=response_type, **message)
        elif self._respond is not None and getattr(self._respond, "response_url", "console"):
            self._respond(response_type=response_type, replace_original=False, **message)
        else:  # e.g. a button on the Home tab: Slack gives no response URL, there is nowhere to answer
            log.info("no response URL to answer on; the answer is not shown")


@contextmanager
def guard(replier: Replier, lang: str, kpi_name: str = "") -> Iterator[None]:
    """Expected failures get their polite answer; anything else gets an apology with an error id,
    and its traceback goes to the log under the same id. Nothing is swallowed silently."""
    try:
        yield
    except UnknownKpi as exc:
        replier.reply(render.unknown_kpi(exc, lang))
    except PeriodError as exc:
        replier.reply(render.bad_period(exc, lang))
    except UnknownDimension as exc:
        replier.reply(render.bad_dimension(exc, lang))
    except SourceTimeout as exc:
        log.warning("source database did not answer within %gs for %s", exc.seconds, kpi_name or "a command")
        replier.reply(render.notice(t(lang, "err_source_timeout", seconds=f"{exc.seconds:g}",
                                      kpi=render.escape(kpi_name or "KPI"))))
    except SourceError:
        log.warning("source database unavailable while answering %s", kpi_name or "a command")
        replier.reply(render.notice(t(lang, "err_source", kpi=render.escape(kpi_name or "KPI"))))
    except DefinitionError:
        log.exception("KPI definitions are invalid")
        replier.reply(render.notice(t(lang, "err_definitions")))
    except Exception:
        error_id = uuid.uuid4().hex[:10]
        log.exception("unexpected error while handling a Slack request [error_id=%s]", error_id)
        replier.reply(render.notice(t(lang, "err_internal", error_id=error_id)))
