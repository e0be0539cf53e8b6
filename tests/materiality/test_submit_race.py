"""A reply submitted while a run waits is counted by that run, even when a worker claims
the run between the submit's hook (inside the submit's transaction) and its commit.

The hook finds the waiting run and asks for no other. Had the worker claimed and folded
the replies before the submit committed, that run would have counted the replies
without this one, and nothing would be left waiting to count it. The hook's read locks
the waiting run FOR SHARE: the claim waits for the submit's commit."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger
from materiality.runs import execution, requests
from surveys.models import Response
from tests.materiality.test_aggregation import reply
from tests.materiality.test_aggregation_worker import wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The run the worker is given, and what its thread found out.
worker: dict[str, Any] = {}


def claim_between_hook_and_commit(survey_id: int, response_id: int) -> None:
    """SURVEYS_SUBMIT_HOOKS entry for the test: the real hook, then a worker that computes
    the waiting run from a connection of its own, let go before the submit commits."""
    requests.on_response_submitted(survey_id, response_id)

    def work() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (worker["pid"],) = cursor.fetchone()
            worker["run"] = execution.aggregation_execute(worker["run_id"])
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    worker["thread"] = thread

    def blocked_or_done() -> bool:
        if not thread.is_alive():
            return True
        if "pid" not in worker:
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s",
                [worker["pid"]],
            )
            row = cursor.fetchone()
        return bool(row and row[0])

    # The worker has either finished (the reply it could not see left out) or waits for
    # this transaction: then the submit commits.
    wait_for(blocked_or_done, seconds=120)


def test_a_run_claimed_while_a_reply_commits_counts_that_reply(
    open_assessment: Assessment, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execution, "send", lambda *args, **kwargs: None)  # no hand-on
    waiting = AggregationRun.objects.create(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    worker.clear()
    worker["run_id"] = waiting.pk
    settings.SURVEYS_SUBMIT_HOOKS = [f"{__name__}.claim_between_hook_and_commit"]

    reply(open_assessment, "customers", 7)
    worker["thread"].join(timeout=120)

    assert not worker["thread"].is_alive()
    assert Response.objects.filter(status="submitted").count() == 1
    waiting.refresh_from_db()
    # The waiting run counted the reply; no other run was needed.
    assert (waiting.status, waiting.responses_total) == (RunStatus.SUCCEEDED, 1)
    assert not AggregationRun.objects.exclude(pk=waiting.pk).exists()


def test_a_submit_does_not_wait_for_a_claim_under_way_nor_keep_its_run_locked(
    open_assessment: Assessment,
) -> None:
    """A waiting run whose claim has locked its row is skipped: the submit asks for a new
    run (whose insert waits for the claim to end) instead of waiting on the row, which
    would keep it locked FOR SHARE once RUNNING, against its worker's store."""
    waiting = AggregationRun.objects.create(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    held, release = threading.Event(), threading.Event()

    def claim_under_way() -> None:
        try:
            with transaction.atomic():
                AggregationRun.objects.filter(pk=waiting.pk).update(status=RunStatus.RUNNING)
                held.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    thread = threading.Thread(target=claim_under_way)
    thread.start()
    try:
        assert held.wait(timeout=120)
        with transaction.atomic():
            with connection.cursor() as cursor:  # a bound for the bug, not a pace
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            found = requests._waiting_run(open_assessment.survey_id)
    finally:
        release.set()
        thread.join(timeout=120)
    assert found == (open_assessment.pk, None, False)
