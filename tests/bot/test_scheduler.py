"""The scheduler's jobs: stable ids, importable functions, nothing started by importing the web app."""

import subprocess
import sys
from types import SimpleNamespace

from bot.jobs import scheduler
from bot.jobs.clock import JOB_DIGESTS, JOB_PASS


def test_two_jobs_with_stable_ids_and_explicit_time_zones():
    ctx = SimpleNamespace(settings=SimpleNamespace(kpi_eval_interval=300))  # the process's job context
    sched = scheduler.build(ctx, blocking=False)
    sched.start(paused=True)  # jobs get their defaults when added to the store; nothing runs while paused
    try:
        jobs = {job.id: job for job in sched.get_jobs()}
    finally:
        sched.shutdown(wait=False)
    assert set(jobs) == {JOB_PASS, JOB_DIGESTS}
    assert jobs[JOB_PASS].func_ref == "bot.jobs.clock:scheduled_pass"
    assert jobs[JOB_DIGESTS].func_ref == "bot.jobs.clock:scheduled_digests"
    assert jobs[JOB_PASS].args == (ctx,) and jobs[JOB_DIGESTS].args == (ctx,)  # passed in, never a global
    assert jobs[JOB_PASS].trigger.interval.total_seconds() == 300
    assert str(jobs[JOB_DIGESTS].trigger.timezone) == "UTC"
    assert jobs[JOB_PASS].max_instances == 1 and jobs[JOB_PASS].coalesce


def test_importing_the_web_app_starts_no_scheduler():
    code = (
        "import threading, bot.slack.web, bot.slack.app, bot.slack.listeners; "
        "names = [t.name for t in threading.enumerate()]; "
        "assert not any('APScheduler' in n for n in names), names; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
