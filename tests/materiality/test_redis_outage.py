"""Redis down: the broker, the result backend and the cache all gone at once. A reply, a
reader's feedback and an export request each answer at once and correctly, and the work
waits for the sweep, which sends it when Redis is back.

A Redis of the test's own (`redis-server` on a free port, started and stopped here; the
shared one on 6379 is never touched) is the broker, the result backend and the cache.
With it stopped, each request is made and a socket-level spy counts the connection
attempts it makes to that Redis, by client: the waits are bounded by the number of
attempts and the configured time-outs, asserted here, never by measuring durations.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from config.cache import RedisCache
from config.celery import app as celery_app
from materiality.models import AggregationRun, ExportJob, Report, RunStatus
from materiality.runs.sweep import sweep
from materiality.services import open_link_create
from surveys.models import Response
from tests.conftest import link_path, require
from tests.factories import OpenReportFactory
from tests.materiality.test_feedback import answers, form_url, reader
from tests.respondents import answer_all, start

pytestmark = pytest.mark.django_db

# The worst wait one request may have on a Redis that is down or hangs, per task sent and
# per cache access (the issue: ~20 s per request before; "about a second" asked).
WAIT_LIMIT_SECONDS = 1.0


# --- A Redis of the test's own ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """`redis-server` on a port of its own, in a folder of its own, saving nothing."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"redis-server did not start on port {self.port}")
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require(shutil.which("redis-server"), "needs redis-server (apt-get install redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _drop_celery_connections() -> None:
    # Celery keeps producer pools per app, kombu per connection URL, and the app its
    # result backend: all would otherwise reuse connections to the other Redis.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    vars(celery_app._local).pop("backend", None)


@contextmanager
def everything_on(server: PrivateRedis) -> Iterator[None]:
    """The broker, the result backend and the cache on `server`, with the site's own
    time-outs and retry policies (only the addresses change), then back."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    environment = {
        key: os.environ.get(key) for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    # Celery reads these environment variables before its own settings.
    os.environ["CELERY_BROKER_URL"] = server.url(2)
    os.environ["CELERY_RESULT_BACKEND"] = server.url(3)
    conf.update(broker_url=server.url(2), result_backend=server.url(3), task_always_eager=False)
    _drop_celery_connections()
    cache = {
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": server.url(1),
        "OPTIONS": settings.REDIS_CLIENT_OPTIONS,
    }
    try:
        with override_settings(CACHES={"default": cache}):
            yield
    finally:
        for key, value in environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        conf.update(saved)
        _drop_celery_connections()


# --- Counting connection attempts ---------------------------------------------------------


class ConnectionSpy:
    """Counts the connection attempts made to one port, by the client that made them:
    the cache (Django), the result backend (Celery) or the broker (kombu)."""

    CLIENTS = (("celery.backends", "result backend"), ("django.core.cache", "cache"))

    def __init__(self, port: int) -> None:
        self.port = port
        self.attempts: Counter[str] = Counter()

    def client(self, frame: FrameType | None) -> str:
        modules = []
        while frame is not None:
            modules.append(str(frame.f_globals.get("__name__", "")))
            frame = frame.f_back
        for prefix, name in self.CLIENTS:
            if any(module.startswith(prefix) for module in modules):
                return name
        return "broker" if any(m.startswith("kombu") for m in modules) else "other"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        connect = socket.socket.connect
        spy = self

        def counted(sock: socket.socket, address: Any) -> None:
            if isinstance(address, tuple) and address[1:2] == (spy.port,):
                spy.attempts[spy.client(sys._getframe(1))] += 1
            connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", counted)

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """The attempts made inside the block."""
        before = self.attempts.copy()
        counted: Counter[str] = Counter()
        yield counted
        counted.update(self.attempts - before)


@pytest.fixture
def spy(private_redis: PrivateRedis, monkeypatch: pytest.MonkeyPatch) -> ConnectionSpy:
    watcher = ConnectionSpy(private_redis.port)
    watcher.install(monkeypatch)
    return watcher


def task_sends() -> int:
    """How many times one task is offered to the broker before the sender gives up."""
    return int(celery_app.conf.task_publish_retry_policy["max_retries"]) + 1


# --- The configured waits -----------------------------------------------------------------


def test_every_redis_client_gives_up_within_a_second() -> None:
    conf = celery_app.conf
    timeouts = settings.REDIS_CLIENT_OPTIONS
    per_attempt = max(timeouts["socket_connect_timeout"], timeouts["socket_timeout"])
    # The cache: one attempt per access (redis-py retries nothing on a pooled client).
    assert per_attempt <= WAIT_LIMIT_SECONDS
    # The broker: a few attempts, each bounded, with short pauses between them.
    transport = conf.broker_transport_options
    assert transport["socket_connect_timeout"] <= per_attempt
    assert transport["socket_timeout"] <= per_attempt
    assert conf.broker_connection_timeout <= WAIT_LIMIT_SECONDS
    policy = conf.task_publish_retry_policy
    pauses = sum(
        min(policy["interval_start"] + step * policy["interval_step"], policy["interval_max"])
        for step in range(policy["max_retries"])
    )
    assert task_sends() * per_attempt + pauses <= WAIT_LIMIT_SECONDS
    # The result backend: tasks are sent without asking for a result (below), and a
    # caller that wants one (check_worker) gets the same bounded attempts.
    assert conf.redis_socket_connect_timeout <= per_attempt
    assert conf.redis_socket_timeout <= per_attempt
    assert conf.result_backend_transport_options["retry_policy"]["max_retries"] <= 1


def test_the_cache_keeps_one_client_that_carries_on_after_redis_comes_back(
    private_redis: PrivateRedis,
) -> None:
    cache = RedisCache(private_redis.url(1), {"OPTIONS": settings.REDIS_CLIENT_OPTIONS})
    cache.set("answer", 42)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client  # not a new client per call

    private_redis.stop()
    with pytest.raises(redis.ConnectionError):
        cache.get("answer")
    private_redis.start()  # empty: it saves nothing
    assert cache.add("answer", 7)
    assert cache.incr("answer") == 8
    assert cache._cache.get_client() is client


# --- Requests with Redis stopped ------------------------------------------------------------


def test_a_questionnaire_is_submitted_and_its_run_waits_for_the_sweep(
    open_assessment: Any,
    private_redis: PrivateRedis,
    spy: ConnectionSpy,
    django_capture_on_commit_callbacks: Any,
) -> None:
    path = link_path(open_link_create(assessment=open_assessment))
    with everything_on(private_redis):
        private_redis.stop()
        client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
        with spy.counting() as starting:
            walk = start(client, path)  # a group link reads its counts per address, device
        answer_all(client, walk)
        with spy.counting() as submitting, django_capture_on_commit_callbacks(execute=True):
            submitted = client.post(walk.review_url)

        assert submitted.status_code == 302
        assert client.get(submitted["Location"]).status_code == 200
        assert Response.objects.get().status == "submitted"
        waiting = AggregationRun.objects.get()
        assert waiting.status == RunStatus.PENDING
        assert starting == {"cache": 1}  # the rate limit is off, not the site
        # The submit tries to count once (then the limits are off), no result backend, no
        # retry storm.
        assert submitting == {"cache": 1, "broker": task_sends()}

        # Redis is back: the sweep sends the waiting run.
        private_redis.start()
        AggregationRun.objects.filter(pk=waiting.pk).update(
            created_at=waiting.created_at.replace(year=2020)
        )
        assert sweep() == 1
        queue = redis.Redis(port=private_redis.port, db=2).lrange(
            celery_app.conf.task_default_queue, 0, -1
        )
        assert len(queue) == 1
        assert b"materiality.tasks.aggregate" in queue[0]


def test_a_readers_feedback_is_stored(
    private_redis: PrivateRedis, spy: ConnectionSpy, django_capture_on_commit_callbacks: Any
) -> None:
    report = OpenReportFactory()
    client = reader()
    data = answers(client, report)
    with everything_on(private_redis):
        private_redis.stop()
        with spy.counting() as posting, django_capture_on_commit_callbacks(execute=True):
            posted = client.post(form_url(report), data)

    assert posted.status_code == 302
    assert Response.objects.get(survey=report.survey).status == "submitted"
    # The summary was not sent: the next answer, or the report page, asks again.
    assert not Report.objects.get(pk=report.pk).summary_pending
    assert posting == {"cache": 1, "broker": task_sends()}


def test_an_export_request_says_it_could_not_be_queued(
    decider_user: Any,
    scored_run: AggregationRun,
    private_redis: PrivateRedis,
    spy: ConnectionSpy,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(decider_user)
    url = reverse("materiality:export-new", args=[scored_run.assessment_id])
    with everything_on(private_redis):
        private_redis.stop()
        with spy.counting() as requesting, django_capture_on_commit_callbacks(execute=True):
            requested = client.post(url, {"kind": "scores-csv", "run": scored_run.pk})
        page = client.get(requested["Location"])

    assert requested.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "failed"
    assert "task queue is unreachable" in job.error
    assert "task queue is unreachable" in page.content.decode()
    assert requesting == {"broker": task_sends()}
