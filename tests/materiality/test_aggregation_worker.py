"""Aggregation through the real broker and a real worker (CI): a reply leads to scores,
a dead broker delays but loses nothing, a killed worker leaves no half-written run."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.runs.requests import aggregation_request
from materiality.runs.sweep import sweep
from materiality.tasks import aggregate
from tests.conftest import broker_down, start_worker, stop_worker
from tests.materiality.test_aggregation import reply

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"condition not met within {seconds} s")


def run_status(run_id: int) -> str:
    return AggregationRun.objects.values_list("status", flat=True).get(pk=run_id)


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
    # Options no run has used yet (so the run is not "unchanged"), and enough resamples
    # that the computation takes several seconds: time to kill it.
    Assessment.objects.filter(pk=open_assessment.pk).update(
        scoring={"bootstrap_samples": 100_000, "seed": 4242}
    )
    queue = f"materia-kill-{uuid.uuid4().hex[:8]}"
    victim = start_worker(tmp_path / "victim.log", queue=queue)
    try:
        run = AggregationRun.objects.create(assessment=open_assessment, trigger=RunTrigger.MANUAL)
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
    wait_for(lambda: run_status(rerun.pk) == RunStatus.SUCCEEDED, seconds=60)
    assert not TopicScore.objects.filter(run_id=run.pk).exists()
    assert TopicScore.objects.filter(run_id=rerun.pk).count() == 17
