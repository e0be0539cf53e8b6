"""Servers a fault test may stop and start at will, so that the shared ones never are:
a PostgreSQL of the test's own (initdb into a temporary folder, a free port) and the
site under gunicorn pointed at it, configured as in production but for HTTPS.

Every wait is for a condition (pg_ctl's own `-w`, an HTTP answer), with a deadline.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.faults.network import Host

BASE_DIR = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
START_SECONDS = 60
# Only what a process needs to run at all is taken from the calling shell: a REDIS_URL,
# CELERY_BROKER_URL or DEBUG left there would change what is tested.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian's layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


class Postgres:
    """A throwaway PostgreSQL server: trust authentication on one address only (127.0.0.1
    unless told), no fsync. PostgreSQL refuses to run as root: under root, its programs
    run as `postgres`. Given a `host` (tests/faults/network.py), it runs there, and may
    be stopped and started on another host over the same data, as a failover does."""

    def __init__(self, bin_dir: Path, *, address: str = HOST, host: Host | None = None) -> None:
        self.bin = bin_dir
        self.address, self.host = address, host
        self.port = free_port() if host is None else 5432
        self.folder = Path(tempfile.mkdtemp(prefix="materia-pg-"))
        self.user: str | None = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, user=self.user)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@{self.address}:{self.port}/{database}"

    def run(self, program: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        command = [str(self.bin / program), *args]
        user = self.user
        if self.host is not None:  # entering the namespace needs root: change user after
            command = self.host.command(*(["runuser", "-u", user, "--"] if user else []), *command)
            user = None
        return subprocess.run(
            command,
            user=user,
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
            **kwargs,
        )

    def create(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        if self.host is not None:
            # Clients reach it across the host's link, not from 127.0.0.1; the host is a
            # namespace of the test's own, with no other way in.
            with (self.data / "pg_hba.conf").open("a") as rules:
                rules.write("host all all all trust\n")
        self.start()

    def start(self) -> None:
        """Start, and return once it accepts connections (`pg_ctl -w`)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses={self.address}"
        options += " -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """A fast shutdown, as a restart or a failover does it: open connections are cut.
        `immediate` is a crash: what was committed is recovered at the next start."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_ready(self) -> bool:
        ready = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", self.address, "-p", str(self.port)],
            timeout=10,
        )
        return ready.returncode == 0

    def copy_database(self, source_url: str, name: str) -> None:
        """A database here holding what *source_url*'s holds (schema, migrations' data
        and whatever the test committed): faster than migrating afresh."""
        self.run("createdb", "-h", self.address, "-p", str(self.port), "-U", "postgres", name)
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--format=custom", "--no-owner", "--no-acl", source_url],
            check=True,
            capture_output=True,
            timeout=START_SECONDS,
        )
        self.run(
            "pg_restore", "--no-owner", "--no-acl", "--dbname", self.url(name), input=dump.stdout
        )

    def psql(self, database: str, sql: str) -> str:
        return self.run("psql", "-tAq", "-d", self.url(database), "-c", sql).stdout.decode().strip()

    def remove(self) -> None:
        # Its pid file, not an answer: a server on a host cut off cannot answer. A pid
        # file a dead server left makes pg_ctl fail: the folder goes all the same, and
        # the test's own failure is the one reported.
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres(bin_dir: Path, **where: Any) -> Iterator[Postgres]:
    server = Postgres(bin_dir, **where)
    try:
        server.create()
        yield server
    finally:
        server.remove()


def site_environment(database_url: str, static_root: Path) -> dict[str, str]:
    """Production settings (DEBUG off: the error pages are the site's own), plain HTTP
    on the loopback, the embedded cache and in-process tasks: nothing shared is used."""
    environment = {name: os.environ[name] for name in INHERITED if name in os.environ}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        # Connections kept between requests, as a busy site keeps them: a restart kills
        # them under the site's feet, the harder case.
        DATABASE_CONN_MAX_AGE="60",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="CRITICAL",  # the outage is the point: its errors would flood the output
        PYTHONDONTWRITEBYTECODE="1",
    )
    return environment


def collect_static(environment: dict[str, str]) -> None:
    """With DEBUG off, pages name their CSS through the static-files manifest."""
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, env=environment, cwd=BASE_DIR, check=True, timeout=START_SECONDS)


@contextmanager
def site(environment: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """The site under gunicorn (one sync worker); yields its host and port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]
    command += ["--bind", f"{HOST}:{port}", "--workers", "1", "--error-logfile", str(log)]
    process = subprocess.Popen(command, env=environment, cwd=BASE_DIR)
    try:
        _wait_until_serving(process, port, log)
        yield HOST, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{_tail(log)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", "/")
            connection.getresponse().read()
        except OSError:
            time.sleep(0.1)
            continue
        finally:
            connection.close()
        return
    raise RuntimeError(f"gunicorn did not answer within {START_SECONDS} s:\n{_tail(log)}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"
