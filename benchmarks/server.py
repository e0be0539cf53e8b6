"""The server under load: the real site under gunicorn on 127.0.0.1, configured as in
production (DEBUG off, manifest static files) except for HTTPS, which a loopback
benchmark has no certificate for. Started and stopped by the benchmark itself.

The environment is built from scratch rather than inherited, so that a variable left in
the shell (REDIS_URL, CELERY_BROKER_URL, DEBUG, ...) cannot change what is measured.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
# Only what a process needs to run at all is taken from the calling shell.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def server_environment(
    *,
    database_url: str,
    conn_max_age: int,
    cache_url: str,
    broker_url: str,
    cache_prefix: str,
    static_root: Path,
) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        MATERIA_BENCHMARK="1",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        # Cache (rate-limit counters) and broker (the task sent after each submit) are
        # Redis, as in production; see benchmarks/broker.py.
        REDIS_URL=cache_url,
        CACHE_KEY_PREFIX=cache_prefix,
        CELERY_BROKER_URL=broker_url,
        # Plain HTTP on the loopback: the HTTPS redirect and secure-only cookies would
        # stop a client that has no TLS; every other production setting stays.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def collect_static(env: dict[str, str]) -> None:
    """With DEBUG off, pages name their CSS through the static-files manifest."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int  # gunicorn's master; the workers are its children

    def worker_pids(self) -> list[int]:
        return children(self.pid)


def children(pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[1]) == pid:  # fields[1] is the parent's pid
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # After the command name: state is field 3, utime field 14 and stime field 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, log_path: Path) -> Iterator[Server]:
    """Serve config.wsgi with `workers` sync workers (the documented production server);
    yields the server and stops it, whatever happens."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "config.wsgi"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(workers), "--worker-class", "sync"]
    command += ["--log-level", "warning", "--error-logfile", str(log_path)]
    process = subprocess.Popen(command, env=env, cwd=BASE_DIR)
    base_url = f"http://{HOST}:{port}"
    try:
        _wait_until_serving(process, port, log_path)
        yield Server(base_url, process.pid)
    finally:
        process.terminate()  # gunicorn's graceful stop: workers finish their request
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited at start:\n{_tail(log_path)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
        except OSError:
            time.sleep(0.2)
            continue
        finally:
            connection.close()
        return
    raise SystemExit(
        f"gunicorn did not answer within {START_TIMEOUT_SECONDS} s:\n{_tail(log_path)}"
    )


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
