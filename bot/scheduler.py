"""APScheduler 3.x: the evaluation pass every KPI_EVAL_INTERVAL seconds, digests checked every minute.

Jobs are importable functions referenced by name, with stable ids, so that a
restart (or a second process by mistake) schedules the same two jobs. Missed
digests are caught up by the jobs themselves (``bot.jobs.post_due_digests``),
from the database, not from the scheduler's memory.
"""

from __future__ import annotations

from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import JOB_DIGESTS, JOB_PASS


def build(interval: int, blocking: bool):
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(timezone=timezone.utc, job_defaults={"coalesce": True, "max_instances": 1,
                                                          "misfire_grace_time": interval})
    scheduler.add_job("bot.jobs:scheduled_pass", IntervalTrigger(seconds=interval, timezone=timezone.utc),
                      id=JOB_PASS, name="evaluate rules, post due digests, deliver", replace_existing=True,
                      next_run_time=datetime.now(timezone.utc))
    scheduler.add_job("bot.jobs:scheduled_digests", CronTrigger(second=0, timezone=timezone.utc),
                      id=JOB_DIGESTS, name="post digests whose time has come", replace_existing=True)
    return scheduler
