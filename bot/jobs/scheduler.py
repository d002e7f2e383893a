"""APScheduler 3.x: the evaluation pass every KPI_EVAL_INTERVAL seconds, digests checked every minute.

Jobs are importable functions referenced by name, with stable ids, so that a
restart (or a second process by mistake) schedules the same two jobs. Missed
digests are caught up by the jobs themselves (``bot.jobs.digests.post_due_digests``),
from the database, not from the scheduler's memory. Each job gets the process's job context
as its argument (``args=[ctx]``), in the scheduler's memory store.
"""

from __future__ import annotations

from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.clock import JOB_DIGESTS, JOB_PASS
from bot.jobs.context import JobContext


def build(ctx: JobContext, blocking: bool):
    interval = ctx.settings.kpi_eval_interval
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone=timezone.utc, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": interval}
    )
    scheduler.add_job(
        "bot.jobs.clock:scheduled_pass",
        IntervalTrigger(seconds=interval, timezone=timezone.utc),
        args=[ctx],
        id=JOB_PASS,
        name="evaluate rules, post due digests, deliver",
        replace_existing=True,
        next_run_time=datetime.now(timezone.utc),
    )
    scheduler.add_job(
        "bot.jobs.clock:scheduled_digests",
        CronTrigger(second=0, timezone=timezone.utc),
        args=[ctx],
        id=JOB_DIGESTS,
        name="post digests whose time has come",
        replace_existing=True,
    )
    return scheduler
