"""A real Celery worker for the aggregation benchmark, and its memory.

Started as the site's workers are (`celery -A config worker`, one process: `--pool=solo`)
on the benchmark's database, broker and result backend, with the benchmark's tasks
included (benchmarks/bench_tasks.py). Its environment is built from scratch, as the
benchmark server's is (benchmarks/server.py), so that a variable left in the shell
cannot change what is measured, and with DEBUG off, as in production: with DEBUG on,
Django keeps the text of every statement a process runs (up to 9,000), which a first run
after a bulk load of a million replies fills with about 160 MB of SQL.

Memory is read from /proc: VmRSS (now) and VmHWM (the peak resident set since start, or
since the last reset: writing "5" to /proc/<pid>/clear_refs resets it, Linux 4.0+).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.server import BASE_DIR, INHERITED

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30


def worker_environment(
    *, database_url: str, broker_url: str, result_backend: str, conn_max_age: int
) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        CELERY_BROKER_URL=broker_url,
        CELERY_RESULT_BACKEND=result_backend,
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass(frozen=True)
class Worker:
    pid: int
    queues: tuple[str, ...]


@contextmanager
def celery_worker(
    env: dict[str, str], *, queues: Sequence[str], log_path: Path
) -> Iterator[Worker]:
    """Start a worker consuming `queues`, wait until it answers, yield it, stop it. The
    tasks it sends itself (a run hands on the one that waited for it) go to the first."""
    from benchmarks.bench_tasks import worker_pid

    env = {**env, "CELERY_TASK_DEFAULT_QUEUE": queues[0]}

    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["--queues", ",".join(queues), "--include", "benchmarks.bench_tasks"]
    command += ["--hostname", f"bench-aggregation-{os.getpid()}@%h", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the Celery worker exited at start:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not answer:\n{_tail(log_path)}")
            try:
                pid = worker_pid.apply_async(queue=queues[0]).get(timeout=2)
            except Exception:  # noqa: S112 - not up yet: ask again until the deadline
                continue
            if pid != process.pid:
                raise SystemExit(f"another worker (pid {pid}) answers on the benchmark's queue")
            break
        yield Worker(process.pid, tuple(queues))
    finally:
        process.terminate()  # warm shutdown: the task at hand finishes
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Memory:
    rss_mib: float  # resident now
    peak_mib: float  # VmHWM: highest resident since start or since the last reset


def memory(pid: int) -> Memory:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # kB -> MiB
    return Memory(values["VmRSS"], values["VmHWM"])


def reset_peak(pid: int) -> bool:
    """Set VmHWM back to the current RSS; False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
