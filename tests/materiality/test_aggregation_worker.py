"""Aggregation through the real broker and a real worker (CI): a reply leads to scores,
a dead broker delays but loses nothing, a killed worker leaves no half-written run and
its run is taken over."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.runs.requests import aggregation_request
from materiality.runs.sweep import sweep
from materiality.tasks import aggregate
from surveys.models import RatingTally
from tests.conftest import WORKER_QUEUE, broker_down, start_worker, stop_worker
from tests.materiality.test_aggregation import reply

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition: Callable[[], bool], seconds: float = 180) -> None:
    # A bound for a broken run, not a pace: a scoring task took 41 s on a machine at a
    # load average of 12 beside other suites.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"condition not met within {seconds} s")


def run_status(run_id: int) -> str:
    return AggregationRun.objects.values_list("status", flat=True).get(pk=run_id)


@contextmanager
def counts_locked(assessment: Assessment) -> Iterator[None]:
    """Hold the lock on the assessment's rating counts from a connection of its own: a
    run that reads its input waits there, claimed and beating, until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                RatingTally.objects.select_for_update().get_or_create(
                    survey_id=assessment.survey_id
                )
                held.set()
                release.wait(timeout=300)
        finally:
            connection.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(timeout=30)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=30)


def test_a_submitted_reply_is_scored_by_the_worker(
    celery_worker: Any, open_assessment: Assessment
) -> None:
    reply(open_assessment, "customers", 7)
    wait_for(lambda: AggregationRun.objects.filter(status=RunStatus.SUCCEEDED).exists())
    run = AggregationRun.objects.get(status=RunStatus.SUCCEEDED)
    assert run.trigger == RunTrigger.RESPONSE
    assert run.responses_total == 1
    assert TopicScore.objects.filter(run=run).count() == 17


def test_replies_during_a_broker_outage_are_scored_once_it_is_back(
    celery_worker: Any, open_assessment: Assessment
) -> None:
    with broker_down():
        for seed in range(3):
            reply(open_assessment, "employees", seed)
    pending = AggregationRun.objects.get()
    assert pending.status == RunStatus.PENDING
    assert Client().get("/").status_code == 200
    AggregationRun.objects.update(created_at=pending.created_at.replace(year=2020))
    assert sweep() == 1
    wait_for(lambda: run_status(pending.pk) == RunStatus.SUCCEEDED)
    pending.refresh_from_db()
    assert pending.responses_total == 3


def test_a_worker_killed_mid_run_leaves_a_failed_run_and_no_scores(
    celery_worker: Any, open_assessment: Assessment, tmp_path: Path
) -> None:
    for seed in range(4):
        reply(open_assessment, "customers", seed)
    wait_for(lambda: not AggregationRun.objects.filter(status__in=["pending", "running"]).exists())
    # Options no run has used yet (so the run is not "unchanged").
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"seed": 4242})
    queue = f"materia-kill-{uuid.uuid4().hex[:8]}"
    victim = start_worker(tmp_path / "victim.log", queue=queue)
    try:
        with counts_locked(open_assessment):  # the run waits there: time to kill it
            run = AggregationRun.objects.create(
                assessment=open_assessment, trigger=RunTrigger.MANUAL
            )
            aggregate.apply_async((run.pk,), queue=queue)
            wait_for(lambda: run_status(run.pk) == RunStatus.RUNNING)
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            stop_worker(victim)
    assert run_status(run.pk) == RunStatus.RUNNING
    assert not TopicScore.objects.filter(run_id=run.pk).exists()

    # Long after its last heartbeat the run counts as dead; asking again fails it and
    # computes a fresh run.
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    AggregationRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)
    rerun = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    assert run_status(run.pk) == RunStatus.FAILED
    wait_for(lambda: run_status(rerun.pk) == RunStatus.SUCCEEDED)
    assert not TopicScore.objects.filter(run_id=run.pk).exists()
    assert TopicScore.objects.filter(run_id=rerun.pk).count() == 17


def test_a_run_whose_worker_was_killed_is_taken_over_and_stored_once(
    celery_worker: Any, open_assessment: Assessment, tmp_path: Path
) -> None:
    for seed in range(4):
        reply(open_assessment, "customers", seed)
    wait_for(lambda: not AggregationRun.objects.filter(status__in=["pending", "running"]).exists())
    # Options no run has used yet, so that the run is computed, not "unchanged".
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"seed": 4343})
    queue = f"materia-takeover-{uuid.uuid4().hex[:8]}"
    # As in production, the task runs in a child process of the worker. Its run beats
    # every second and counts as lost after six (MATERIA_RUN_*: 10 and 30 by default).
    victim = start_worker(
        tmp_path / "victim.log",
        queue=queue,
        pool="prefork",
        MATERIA_RUN_HEARTBEAT_SECONDS="1",
        MATERIA_RUN_STALE_SECONDS="6",
    )
    runs = AggregationRun.objects.filter(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    try:
        with counts_locked(open_assessment):
            run = AggregationRun.objects.create(
                assessment=open_assessment, trigger=RunTrigger.MANUAL
            )
            aggregate.apply_async((run.pk,), queue=queue)
            # Claimed, then waiting for the counts: only its heartbeat thread writes.
            wait_for(lambda: runs.filter(status=RunStatus.RUNNING).exists())
            claim = runs.values_list("started_at", flat=True).get()
            wait_for(lambda: runs.filter(heartbeat_at__gt=claim).exists())
            # Another worker's delivery of the same run leaves the live run alone.
            duplicate = aggregate.apply_async((run.pk,), queue=WORKER_QUEUE)
            assert duplicate.get(timeout=30) == RunStatus.RUNNING
            assert runs.values_list("started_at", flat=True).get() == claim

            children = Path(f"/proc/{victim.pid}/task/{victim.pid}/children").read_text()
            assert len(children.split()) == 1
            os.kill(int(children), signal.SIGKILL)
            # The worker puts the message back at once; its new child finds the run still
            # looking alive, looks again once the heartbeat is old enough, takes it over.
            wait_for(lambda: runs.filter(started_at__gt=claim).exists())
        wait_for(lambda: run_status(run.pk) == RunStatus.SUCCEEDED)
    finally:
        stop_worker(victim)
    assert TopicScore.objects.filter(run_id=run.pk).count() == 17
    assert "taken over" in (tmp_path / "victim.log").read_text()
