"""A run whose worker died is taken over by the next delivery of its task; a live one is
left alone; whoever computes, the scores are stored once. Heartbeats age by `run_clock`.

(The same through real workers, one killed with SIGKILL mid-run, is in
test_aggregation_worker.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from celery.exceptions import Retry
from django.conf import settings

from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger, TopicScore
from materiality.runs import execution
from materiality.runs.execution import aggregation_execute
from materiality.runs.heartbeat import Heartbeat, seconds_until_lost
from materiality.runs.sweep import sweep
from materiality.tasks import aggregate
from tests.conftest import RunClock
from tests.materiality.test_aggregation import reply

pytestmark = pytest.mark.django_db


def replied_and_requested(assessment: Assessment) -> AggregationRun:
    """A reply, and the run its submit asked for: waiting, its task not sent (a test's
    transaction never commits)."""
    reply(assessment, "customers", 1)
    return AggregationRun.objects.get(assessment=assessment, status=RunStatus.PENDING)


def run_claimed_by_a_worker_that_died(assessment: Assessment, clock: RunClock) -> AggregationRun:
    """A run as a worker left it when it was killed mid-run: claimed, beating until then."""
    run = replied_and_requested(assessment)
    AggregationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=clock(), heartbeat_at=clock(), progress=30
    )
    return run


def test_a_redelivered_task_takes_over_a_run_whose_worker_died(
    open_assessment: Assessment, run_clock: RunClock
) -> None:
    run = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS + 1)

    assert aggregate(run.pk) == RunStatus.SUCCEEDED
    run.refresh_from_db()
    assert run.started_at == run_clock.now  # claimed again, by this delivery
    assert run.responses_total == 1
    assert TopicScore.objects.filter(run=run).count() == 17


def test_a_redelivered_task_leaves_a_live_run_alone(
    open_assessment: Assessment, run_clock: RunClock
) -> None:
    run = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    claimed_at = run_clock.now
    run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS - 1)  # silent, but not for long

    assert aggregate(run.pk) == RunStatus.RUNNING
    run.refresh_from_db()
    assert (run.status, run.started_at, run.heartbeat_at) == (
        RunStatus.RUNNING,
        claimed_at,
        claimed_at,
    )
    assert not TopicScore.objects.filter(run=run).exists()
    # A delivery that came too early knows when to look again.
    assert seconds_until_lost(run) == 2


def test_the_sweep_sends_a_run_whose_worker_died_and_not_a_live_one(
    open_assessment: Assessment, run_clock: RunClock
) -> None:
    dead = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS + 1)
    live = AggregationRun.objects.create(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    AggregationRun.objects.filter(pk=live.pk).update(
        status=RunStatus.RUNNING, started_at=run_clock(), heartbeat_at=run_clock()
    )

    # Tasks run in-process here. One run of an assessment computes at a time: while the
    # live one is alive, the dead one is sent but waits.
    assert sweep() == 1
    assert AggregationRun.objects.get(pk=dead.pk).status == RunStatus.RUNNING
    assert AggregationRun.objects.get(pk=live.pk).status == RunStatus.RUNNING
    # Once the live run has ended, the next sweep's message takes the dead one over.
    AggregationRun.objects.filter(pk=live.pk).update(
        status=RunStatus.FAILED, finished_at=run_clock()
    )
    assert sweep() == 1
    assert AggregationRun.objects.get(pk=dead.pk).status == RunStatus.SUCCEEDED


def test_a_run_taken_over_while_its_first_worker_still_computes_is_stored_once(
    open_assessment: Assessment, run_clock: RunClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = replied_and_requested(open_assessment)
    real_score = execution.score
    takeovers: list[AggregationRun | None] = []

    def score_while_taken_over(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(execution, "score", real_score)  # the second worker scores
        # The first worker went silent too long (paused, cut off, …): another delivery
        # takes the run over and finishes it before the first one is done.
        run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS + 1)
        takeovers.append(aggregation_execute(run.pk))
        return real_score(*args, **kwargs)

    monkeypatch.setattr(execution, "score", score_while_taken_over)
    first = aggregation_execute(run.pk)

    second = takeovers[0]
    assert second is not None
    assert second.status == RunStatus.SUCCEEDED
    assert first is not None
    assert first.status == RunStatus.SUCCEEDED  # what the run became, not a failure
    assert TopicScore.objects.filter(run=run).count() == 17  # one set of scores


def test_only_the_current_claim_beats(open_assessment: Assessment, run_clock: RunClock) -> None:
    run = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    first_claim = run_clock.now
    beating = Heartbeat(run.pk, first_claim)
    run_clock.advance(5)
    assert beating.beat(progress=40)
    assert AggregationRun.objects.get(pk=run.pk).heartbeat_at == run_clock.now

    run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS + 1)
    aggregation_execute(run.pk)  # taken over (and computed) by another delivery
    assert not beating.beat()
    assert beating.lost.is_set()


def test_a_message_redelivered_at_once_looks_again_when_the_run_would_be_lost(
    open_assessment: Assessment, run_clock: RunClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker's child killed mid-run: Celery puts the message back at once, while the
    # run's last heartbeat is a second old and cannot yet tell a dead worker from a live one.
    run = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    run_clock.advance(1)
    asked: dict[str, Any] = {}

    def retry(**options: Any) -> Retry:
        asked.update(options)
        return Retry()

    monkeypatch.setattr(aggregate, "retry", retry)
    aggregate.push_request(delivery_info={"redelivered": True})
    try:
        with pytest.raises(Retry):
            aggregate.run(run.pk)
    finally:
        aggregate.pop_request()
    assert asked == {"countdown": settings.MATERIA_RUN_STALE_SECONDS - 1 + 1}
    assert AggregationRun.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_a_submit_that_asks_for_a_run_fails_the_run_of_a_lost_worker_first(
    open_assessment: Assessment, run_clock: RunClock
) -> None:
    dead = run_claimed_by_a_worker_that_died(open_assessment, run_clock)
    alive = AggregationRun.objects.create(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    AggregationRun.objects.filter(pk=alive.pk).update(
        status=RunStatus.RUNNING, started_at=run_clock(), heartbeat_at=run_clock()
    )
    run_clock.advance(settings.MATERIA_RUN_STALE_SECONDS + 1)
    AggregationRun.objects.filter(pk=alive.pk).update(heartbeat_at=run_clock())

    reply(open_assessment, "employees", 2)

    # The reply's run waits; the silent run is failed, the one still beating is not.
    statuses = dict(AggregationRun.objects.values_list("pk", "status"))
    waiting = AggregationRun.objects.get(status=RunStatus.PENDING)
    assert statuses == {
        dead.pk: RunStatus.FAILED,
        alive.pk: RunStatus.RUNNING,
        waiting.pk: RunStatus.PENDING,
    }
