"""Fixtures shared by the whole suite.

Services: tests that need a real service (PostgreSQL, Redis, a Celery worker, Chromium)
ask for it through a fixture. Locally a missing service skips the test; in CI
(`CI=true`) it fails, and any skip at all is turned into a failure, so a green CI run
means that every test really ran against the real parts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import kombu.pools
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation

from config.celery import app as celery_app
from materiality.models import AggregationRun, Assessment, RunStatus
from materiality.roles import Role
from materiality.services import assessment_open
from tests.factories import AggregationRunFactory, AssessmentFactory, UserFactory
from tests.url_walk import World, world_build

IN_CI = os.environ.get("CI", "").lower() == "true"
# This run of the suite, apart from any other run beside it on the same PostgreSQL and
# Redis (another clone's `make test`): its own test database, cache keys and task queue.
SUITE = uuid.uuid4().hex[:12]
CACHE_KEY_PREFIX = f"materia-test-{SUITE}"
for _cache in django_settings.CACHES.values():
    _cache["KEY_PREFIX"] = CACHE_KEY_PREFIX  # before any cache is opened


def require(condition: object, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a service a test needs is not there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scored_run(**kwargs): AggregationRunFactory arguments for `scored_run`"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {report.longrepr}"


# --- Settings for every test ----------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database of this run's own (test_materia_ci_<suite>): two runs on one
    server would otherwise create, use and drop the same one."""
    for database in django_settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            continue  # in memory, or a file of the checkout's own
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{SUITE}"


def _clear_cache() -> None:
    """This run's cache keys, and no other run's: a Redis cache's clear() would empty
    the whole database, under the feet of a suite running beside this one."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]  # the backend itself: `django.core.cache.cache` is a proxy
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(None, write=True)
    keys = list(client.scan_iter(match=f"{CACHE_KEY_PREFIX}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none."""
    _clear_cache()
    yield
    _clear_cache()


class RatelimitClock:
    """The rate limits' clock in a test: it stands still until the test moves it."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> RatelimitClock:
    """Rate-limit windows are measured by this clock, not the wall clock: no test's
    counts fall into two windows, and `ratelimit_clock.advance(seconds)` moves to the
    next window without waiting. It starts at a midnight (UTC), where windows of a
    minute, a quarter of an hour, an hour or a day all begin."""
    from surveys import ratelimits

    clock = RatelimitClock(start=20_000 * 86_400)
    monkeypatch.setattr(ratelimits, "now", clock)
    return clock


class RunClock:
    """The clock aggregation runs are claimed, beat and judged by, in a test: it stands
    still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def run_clock(monkeypatch: pytest.MonkeyPatch) -> RunClock:
    """Heartbeats age by this clock (`run_clock.advance(seconds)`), not the wall clock:
    a run's worker can be taken as lost, or not yet, without waiting. It starts now."""
    from django.utils import timezone

    from materiality.runs import heartbeat

    clock = RunClock(start=timezone.now())
    monkeypatch.setattr(heartbeat, "now", clock)
    return clock


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site's default language, whatever the test before it
    activated (a request activates its language for the thread, and nothing resets it):
    a test that expects words in a language asks for that language."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def in_english() -> Iterator[None]:
    """For a test that reads the site's words in English without a request (the site's
    default language is Chinese): `pytest.mark.usefixtures("in_english")`."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing passwords properly is slow by design; tests don't need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in-process inside the test's transaction, unless the test is marked
    `worker`: then they go through the real broker to the real worker."""
    if request.node.get_closest_marker("worker") is not None:
        yield
        return
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _require_postgres_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") is not None:
        require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)")


# --- The four kinds of user -----------------------------------------------------------


@pytest.fixture
def esg_user(db: None) -> Any:
    return UserFactory(username="esg-member", roles=[Role.ESG_TEAM])


@pytest.fixture
def decider_user(db: None) -> Any:
    return UserFactory(username="decider", roles=[Role.DECISION_GROUP])


@pytest.fixture
def outsider_user(db: None) -> Any:
    return UserFactory(username="outsider")


# --- A real Celery worker -------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


WORKER_QUEUE = f"materia-test-{SUITE}"


def start_worker(
    log: Path, queue: str = WORKER_QUEUE, pool: str = "solo", **env: str
) -> subprocess.Popen[bytes]:
    """A real `celery worker` process on the test database, consuming the suite's own
    queue (so that no other worker on the same broker steals the suite's tasks). With
    `pool="prefork"` it runs its tasks in one child process, as production workers do."""
    require(not django_settings.CELERY_TASK_ALWAYS_EAGER, "needs CELERY_BROKER_URL")
    require(django_settings.CELERY_RESULT_BACKEND, "needs CELERY_RESULT_BACKEND")
    require(connection.vendor == "postgresql", "a worker shares the test database: PostgreSQL")
    celery_app.conf.task_default_queue = WORKER_QUEUE
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CACHE_KEY_PREFIX": CACHE_KEY_PREFIX,
        "DEBUG": "true",
        # The worker's files (matrices, exports) beside its log, never in var/media where
        # they could pass for the files of a development database's run of the same id.
        "MEDIA_ROOT": str(log.parent / "media"),
        # The tasks the worker sends itself (a run hands on the one that waited) go to
        # the queue it reads, not to Celery's default that no worker of the suite reads.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}"]
    command += ["--concurrency=1"]
    command += ["--queues", queue, "--hostname", f"{uuid.uuid4().hex[:8]}@%h"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    _wait_for_worker(process, log, queue)
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        yield process
    finally:
        stop_worker(process)


def _wait_for_worker(process: subprocess.Popen[bytes], log: Path, queue: str) -> None:
    from materiality.tasks import vocabulary_size

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited:\n{log.read_text()[-3000:]}")
        try:
            vocabulary_size.apply_async(queue=queue).get(timeout=5)
        except Exception:  # noqa: S112 - not up yet, try again until the deadline
            continue
        return
    pytest.fail(f"the Celery worker did not answer within 60 s:\n{log.read_text()[-3000:]}")


# --- An open assessment with the seed vocabulary, and a scored run of it ---------------


@pytest.fixture
def assessment(db: None) -> Assessment:
    """A draft assessment over the 17 seed topics and 8 seed groups."""
    return AssessmentFactory()


@pytest.fixture
def open_assessment(assessment: Assessment) -> Assessment:
    assessment_open(assessment=assessment)
    return assessment


@pytest.fixture
def scored_run(request: pytest.FixtureRequest, open_assessment: Assessment) -> AggregationRun:
    """`open_assessment` with replies, scored through the real run path: by default 80
    synthetic replies from four groups (see `AggregationRunFactory`). A module or a test
    that needs other replies or options says so with the factory's arguments, e.g.
    `@pytest.mark.scored_run(replies=add_mixed_replies)`."""
    marker = request.node.get_closest_marker("scored_run")
    run = AggregationRunFactory(assessment=open_assessment, **(marker.kwargs if marker else {}))
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


@pytest.fixture
def world(
    open_assessment: Assessment, admin_client: Any, django_capture_on_commit_callbacks: Any
) -> World:
    """One of everything a URL of the site can name (tests/url_walk.py), made by the
    administrator through the site's own pages: the URL walks fill their paths from it."""
    return world_build(
        assessment=open_assessment,
        site=admin_client,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )


def link_path(issued: Any) -> str:
    return f"/s/i/{issued.token}/"


@contextmanager
def broker_down() -> Iterator[None]:
    """Point Celery at a port where nothing listens, as if the broker had died, then back.
    Connection pools are dropped both ways so no connection to the live broker is reused."""
    conf = celery_app.conf
    saved = {
        key: conf[key]
        for key in (
            "broker_url",
            "task_always_eager",
            "broker_connection_retry",
            "broker_connection_max_retries",
            "task_publish_retry",
        )
    }

    def drop_pools() -> None:
        # Celery keeps producer pools per app and kombu per connection URL, process-wide.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    dead = "redis://127.0.0.1:9/0"
    environment = os.environ.get("CELERY_BROKER_URL")
    conf.update(
        broker_url=dead,
        task_always_eager=False,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        task_publish_retry=False,
    )
    # Celery reads the broker from this environment variable before its own settings.
    os.environ["CELERY_BROKER_URL"] = dead
    drop_pools()
    try:
        yield
    finally:
        if environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = environment
        conf.update(saved)
        drop_pools()
