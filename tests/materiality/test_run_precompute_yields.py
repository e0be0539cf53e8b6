"""A run asked for while the worker precomputes the previous run's pages is not kept
waiting for them (#16 item 3, "from the last submit to updated scores").

After storing its scores a run's task renders its overall matrix files (eight: two
languages, four formats), seconds of work in a worker that runs one task at a time. A
run asked for meanwhile used to wait for all of them before it was even claimed: 5 s at
1,151 replies on an idle machine, past the benchmark's 30 s bound on a loaded one ("no
scores 30 s after the submit"). The previous run's precompute now stops as soon as a
newer run waits. A real worker; conditions, never sleeps, each with a generous bound."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.celery import app as celery_app
from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.reporting.matrix_files import overall_files
from materiality.runs.requests import aggregation_request
from tests.conftest import start_worker, stop_worker
from tests.materiality.test_aggregation_worker import counts_locked, wait_for
from tests.materiality.test_two_workers import replied, status

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEADLINE = 180


@pytest.fixture
def worker_media(tmp_path: Path) -> Iterator[Path]:
    """One worker on a queue of this test's own (its hand-ons too); yields the folder
    its files go to."""
    queue = f"materia-precompute-{uuid.uuid4().hex[:8]}"
    before = celery_app.conf.task_default_queue
    worker = start_worker(tmp_path / "worker.log", queue=queue, CELERY_TASK_DEFAULT_QUEUE=queue)
    celery_app.conf.task_default_queue = queue
    try:
        yield tmp_path / "media"
    finally:
        celery_app.conf.task_default_queue = before
        stop_worker(worker)


def files_of(media: Path, run: AggregationRun) -> list[Path]:
    folder = media / "runs" / str(run.pk)
    return sorted(path for path in folder.iterdir() if path.is_file()) if folder.exists() else []


def test_a_waiting_run_does_not_wait_for_the_previous_runs_files(worker_media: Path) -> None:
    assessment = replied(5)
    with counts_locked(assessment):
        first = aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL)
        wait_for(lambda: status(first) == RunStatus.RUNNING, seconds=DEADLINE)
        # The first run read its options before its input (held here): a new seed gives
        # the second run a new fingerprint, so it computes scores of its own.
        Assessment.objects.filter(pk=assessment.pk).update(
            scoring={"bootstrap_samples": 200, "seed": 7}
        )
        second = aggregation_request(assessment=assessment, trigger=RunTrigger.RESPONSE)
        assert second.pk != first.pk
    wait_for(lambda: status(second) not in ("pending", "running"), seconds=DEADLINE)
    assert status(first) == RunStatus.SUCCEEDED
    assert status(second) == RunStatus.SUCCEEDED
    assert TopicScore.objects.filter(run=first).count() == 17
    # The first run's task found the second waiting once its scores were stored: it
    # rendered none of its files (the pages render them on request if ever asked).
    assert files_of(worker_media, first) == []
    assert AggregationRun.objects.get(pk=first.pk).sensitivity is None
    # Nothing waits for the second: its task renders them all.
    second.refresh_from_db()
    expected = len(overall_files(second))
    wait_for(lambda: len(files_of(worker_media, second)) == expected, seconds=DEADLINE)
    wait_for(
        lambda: AggregationRun.objects.get(pk=second.pk).sensitivity is not None,
        seconds=DEADLINE,
    )
