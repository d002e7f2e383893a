"""What every listener needs, built once at start-up and passed to each ``register()``."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import SQLAlchemyError

from bot.render import answers as render
from bot.render.blocks import refusal_text
from kpi.catalog import Catalog
from kpi.config import Settings
from kpi.errors import (
    DefinitionError,
    KpiError,
    PeriodError,
    Refusal,
    SourceError,
    SourceTimeout,
    UnknownDimension,
    UnknownKpi,
)
from kpi.service import KpiService
from kpi.store import state
from kpi.texts import t

log = logging.getLogger("bot")
VALUES_FOR = timedelta(hours=1)  # how long the values read from the data are used before reading them again


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Deps:
    settings: Settings
    service: KpiService
    clock: Callable[[], datetime] = utc_now
    executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(8, thread_name_prefix="kpi"))
    # heavy work (charts, digests posted now, very long ranges) waits in its own one-thread pool, so that a
    # flood of it never takes more than one core from the cheap answers of everyone else
    heavy: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="kpi-heavy"))
    limits: Quotas = field(init=False)
    synchronous: bool = False  # run follow-up work (evaluate a new rule, post a digest) before answering
    _jobs: object = None
    _reading: tuple[datetime, Catalog] | None = None  # the catalog with the data's values, and when it was read
    _reading_lock: threading.Lock = field(default_factory=threading.Lock)

    def reading_catalog(self) -> Catalog:
        """The catalog questions are read with: the service's, with the values found in the data, so that
        "Training day" reads as a product (:meth:`KpiService.known_values`). Read again past an hour, after
        the answer (inline in the console); until then, and when the source can't say, the catalog alone."""
        now = self.clock()
        kept = self._reading
        if kept is None or now - kept[0] > VALUES_FOR:
            with self._reading_lock:
                if self._reading is kept:  # one refresh at a time
                    self._reading = (now, kept[1] if kept else self.service.catalog)
                    self.later(self._read_values, now)
        return (self._reading or (now, self.service.catalog))[1]

    def _read_values(self, now: datetime) -> None:
        try:
            values = self.service.known_values(now)
        except (SourceError, SQLAlchemyError, KpiError) as exc:
            log.warning("the values of the breakdowns could not be read (%s): questions read without them", exc)
            return
        self._reading = (now, self.service.catalog.with_values(values))

    def __post_init__(self) -> None:
        self.limits = Quotas(self.settings.database_url)

    @property
    def jobs(self):
        """The scheduler's context, for work a command starts at once (evaluate a new rule, digest now)."""
        if self._jobs is None:
            from bot.jobs.context import JobContext

            self._jobs = JobContext.from_settings(self.settings, self.service)
        return self._jobs

    def later(self, fn, *args, heavy: bool = False) -> None:
        """Run ``fn`` after the answer (inline in the console), logging any failure with its traceback.
        ``heavy`` work goes to the small pool of its own."""

        def run():
            try:
                fn(*args)
            except Exception:
                log.exception("background work %s failed", getattr(fn, "__name__", fn))

        if self.synchronous:
            run()
        else:
            (self.heavy if heavy else self.executor).submit(run)

    @property
    def lang(self) -> str:
        return self.settings.kpi_language

    @property
    def currency(self) -> str:
        return self.settings.kpi_currency


class Quotas:
    """Limits on expensive work, counted over a sliding window in the bot's database (so that they hold
    whatever the number of web processes): how many heavy requests one person may have started in the
    last minute, and how often a channel may get a digest on demand. ``clock``: seconds since the epoch."""

    def __init__(
        self,
        db: str,
        per_user: int = 3,
        window: float = 60.0,
        digest_gap: float = 600.0,
        clock: Callable[[], float] = time.time,
    ):
        self.db, self.per_user, self.window, self.digest_gap, self.clock = db, per_user, window, digest_gap, clock

    def heavy(self, user: str) -> float:
        """0 when ``user`` may start heavy work now (and it is counted), else the seconds to wait."""
        return self._take(f"heavy:{user}", self.per_user, self.window)

    def digest(self, channel: str) -> float:
        """0 when ``channel`` may get a digest now (and it is counted), else the seconds to wait."""
        return self._take(f"digest:{channel}", 1, self.digest_gap)

    def _take(self, key: str, limit: int, window: float) -> float:
        try:
            return state.take(self.db, key, self.clock(), limit, window)
        except SQLAlchemyError:  # the work is still done (the heavy pool still takes one at a time)
            log.warning("a quota could not be counted: the bot's database failed", exc_info=True)
            return 0.0


class Replier:
    """Answers once through ``ack`` while Slack still waits, then through ``respond``. Thread-safe: the
    request's thread may ack ("working on it") while a worker prepares the answer; whichever comes
    second goes through ``respond``. Once ``close()``d (the person was told it took too long), later
    answers are dropped."""

    def __init__(self, ack, respond):
        self._ack = ack
        self._respond = respond
        self.acked = False
        self.closed = False
        self.lock = threading.RLock()

    @property
    def respond(self):
        return self._respond

    @classmethod
    def after_ack(cls, respond) -> Replier:
        """For work done after the ack: every reply goes through ``respond`` (the response URL)."""
        replier = cls(None, respond)
        replier.acked = True
        return replier

    def ack(self, **message) -> None:
        with self.lock:
            if not self.acked:
                self.acked = True
                self._ack(**message)

    def close(self) -> None:
        with self.lock:
            self.closed = True

    def reply(self, message: dict, response_type: str = "ephemeral") -> None:
        with self.lock:
            if self.closed:
                log.info("an answer came after the person was told it took too long; not shown")
                return
            if not self.acked:
                self.acked = True
                self._ack(response_type=response_type, **message)
                return
        # a Bolt respond carries its response URL (None from a button on the Home tab); the console's has none
        url = self._respond.response_url if hasattr(self._respond, "response_url") else "console"
        if self._respond is not None and url:
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
    except Refusal as exc:  # typed input refused with its reason (a filter's value not found…)
        replier.reply(render.notice(refusal_text(exc, lang)))
    except SourceTimeout as exc:
        log.warning("source database did not answer within %gs for %s", exc.seconds, kpi_name or "a command")
        replier.reply(
            render.notice(
                t(lang, "err_source_timeout", seconds=f"{exc.seconds:g}", kpi=render.escape(kpi_name or "KPI"))
            )
        )
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
