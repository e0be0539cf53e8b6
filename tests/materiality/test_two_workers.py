"""Scale-out: two real Celery worker processes on one database and one broker
(docs/operations.md, "Several machines"). Runs of different assessments compute side by
side; the runs of one assessment never compute at the same time: a second request
waits for the run in progress (or coalesces into the one already waiting), and is
handed on when it ends.

Each worker runs one task at a time (solo pool), so two runs RUNNING at once are two
workers at work. A run is held at its input, with the lock on its rating counts taken
from the test (`counts_locked`), until the test has seen what it waits for: no sleeps,
only conditions, each with a generous deadline."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from subprocess import Popen

import pytest

from config.celery import app as celery_app
from materiality.demo.storing import replies_load
from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.runs.requests import aggregation_request
from materiality.services import assessment_open
from tests.conftest import start_worker, stop_worker
from tests.factories import AssessmentFactory
from tests.materiality.test_aggregation_worker import counts_locked, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEADLINE = 120


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Two worker processes on a queue of this test's own, which the site's tasks go to
    while the test runs; yields their logs."""
    queue = f"materia-two-{uuid.uuid4().hex[:8]}"
    logs = (tmp_path / "first.log", tmp_path / "second.log")
    workers: list[Popen[bytes]] = []
    before = celery_app.conf.task_default_queue
    try:
        for log in logs:
            # A worker sends tasks too (a run hands on the next): to the same queue.
            workers.append(start_worker(log, queue=queue, CELERY_TASK_DEFAULT_QUEUE=queue))
        celery_app.conf.task_default_queue = queue
        yield logs
    finally:
        celery_app.conf.task_default_queue = before
        for worker in workers:
            stop_worker(worker)


def replied(seed: int) -> Assessment:
    assessment: Assessment = AssessmentFactory()  # type: ignore[assignment]
    assessment_open(assessment=assessment)
    Assessment.objects.filter(pk=assessment.pk).update(scoring={"bootstrap_samples": 200})
    replies_load(
        assessment=assessment, replies_per_group={"customers": 6, "employees": 6}, seed=seed
    )
    return assessment


def status(run: AggregationRun) -> str:
    return AggregationRun.objects.values_list("status", flat=True).get(pk=run.pk)


def test_two_assessments_are_aggregated_at_the_same_time(two_workers: tuple[Path, Path]) -> None:
    first, second = replied(1), replied(2)
    with counts_locked(first), counts_locked(second):
        runs = [
            aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL)
            for assessment in (first, second)
        ]
        # Both claimed, each by its worker, both waiting for their counts: in parallel.
        wait_for(lambda: [status(run) for run in runs] == ["running"] * 2, seconds=DEADLINE)
    wait_for(lambda: [status(run) for run in runs] == ["succeeded"] * 2, seconds=DEADLINE)
    for run in runs:
        assert TopicScore.objects.filter(run=run).count() == 17
    a, b = AggregationRun.objects.filter(pk__in=[r.pk for r in runs])
    # They overlapped: each began before the other ended.
    assert a.started_at is not None
    assert b.started_at is not None
    assert a.finished_at is not None
    assert b.finished_at is not None
    assert a.started_at < b.finished_at
    assert b.started_at < a.finished_at


def test_one_assessment_is_never_aggregated_twice_at_the_same_time(
    two_workers: tuple[Path, Path],
) -> None:
    assessment = replied(3)
    runs = AggregationRun.objects.filter(assessment=assessment)
    with counts_locked(assessment):
        first = aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL)
        wait_for(lambda: status(first) == RunStatus.RUNNING, seconds=DEADLINE)
        # Asked for again while it computes: a new run, which waits; asked for once more,
        # the waiting run serves (coalescing).
        second = aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL)
        third = aggregation_request(assessment=assessment, trigger=RunTrigger.RESPONSE)
        assert second.pk != first.pk
        assert third.pk == second.pk
        # The idle worker received it and left it waiting: the first run is alive.
        first_log, second_log = two_workers
        waits = f"Aggregation run {second.pk} waits for run {first.pk}"
        wait_for(lambda: waits in first_log.read_text() + second_log.read_text(), seconds=DEADLINE)
        assert status(second) == RunStatus.PENDING
        assert runs.filter(status=RunStatus.RUNNING).count() == 1
    # The first run ends and hands the waiting one on; nothing new came in, so it finds
    # the same input and stores no second set of scores.
    wait_for(lambda: status(second) not in ("pending", "running"), seconds=DEADLINE)
    one, two = runs.order_by("pk")
    assert (one.pk, two.pk) == (first.pk, second.pk)
    assert one.status == RunStatus.SUCCEEDED
    assert two.status == RunStatus.UNCHANGED
    assert two.same_as_id == one.pk
    assert one.finished_at is not None
    assert two.started_at is not None
    assert one.finished_at <= two.started_at  # one after the other, never overlapping
    assert runs.count() == 2
    assert TopicScore.objects.filter(run__assessment=assessment).count() == 17
