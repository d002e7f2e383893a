"""The app as real processes: a clean environment, a free port, `python -m bot web` until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager


def env(**values) -> dict:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KPI_", "SLACK_", "DATABASE_URL", "SOURCE_", "PORT", "WEB_CONCURRENCY"))
    }
    base.update(values)
    return base


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def web_process(tmp_path, **variables):
    """`python -m bot web` as a real process; yields (port, logs) once /healthz answers. ``logs`` (a list)
    receives the process's whole output when it stops."""
    port = free_port()
    logs: list[str] = []
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "web"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(PORT=str(port), **variables),
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # the server process starting up, not a test delay
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break  # it answers (503 while the scheduler has not run is still an answer)
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        yield port, logs
    finally:
        proc.terminate()
        logs.append(proc.communicate(timeout=30)[0])
