"""A run's statements compiled once per thread and connection (surveys/precompiled.py): the same
rows, claims and writes as the ORM's own statements, with each call's own values."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger
from materiality.runs import execution
from materiality.runs.requests import aggregation_request
from surveys.precompiled import CompiledStatement, update_row

pytestmark = pytest.mark.django_db


def fields_of(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_claims_read_holds_the_run_its_assessment_and_survey_as_the_orm_reads_them(
    open_assessment: Assessment, django_assert_num_queries: Any
) -> None:
    run = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    expected = AggregationRun.objects.select_related("assessment__survey").get(pk=run.pk)
    with transaction.atomic():
        read = execution._read_run(run.pk)
        assert execution._read_run(run.pk + 1000) is None
    assert read is not None
    with django_assert_num_queries(0):  # all three came with the one statement
        assert fields_of(read) == fields_of(expected)
        assert fields_of(read.assessment) == fields_of(expected.assessment)
        assert fields_of(read.assessment.survey) == fields_of(expected.assessment.survey)
    assert read.assessment.survey.languages == expected.assessment.survey.languages
    assert not read._state.adding


def test_a_compiled_claim_claims_a_run_only_while_no_other_of_its_assessment_is_alive(
    open_assessment: Assessment,
) -> None:
    now = timezone.now()
    first = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)

    def claim(run: AggregationRun, lost_before: Any) -> int:
        with transaction.atomic():
            return execution._CLAIM.rowcount(
                run.pk, run.pk, open_assessment.pk, lost_before, now, now
            )

    assert claim(first, now - timedelta(minutes=10)) == 1
    assert claim(first, now - timedelta(minutes=10)) == 0  # RUNNING now, not PENDING
    second = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
    assert claim(second, now - timedelta(minutes=10)) == 0  # the first one is alive
    assert AggregationRun.objects.get(pk=second.pk).status == RunStatus.PENDING
    # The first one's heartbeat (`now`) older than the limit: it counts as lost.
    assert claim(second, now + timedelta(seconds=1)) == 1
    claimed = AggregationRun.objects.get(pk=second.pk)
    assert (claimed.status, claimed.progress, claimed.started_at) == (RunStatus.RUNNING, 5, now)
    assert claimed.heartbeat_at == now


def test_update_row_writes_what_the_orm_update_writes(open_assessment: Assessment) -> None:
    claim = timezone.now()
    runs = []
    for _ in range(3):
        run = aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL)
        AggregationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=claim)
        runs.append(run)
    by_orm, by_row, not_ours = runs
    values = {
        "status": RunStatus.UNCHANGED,
        "options": {"params": {"seed": 7, "weights": [0.5, 1 / 3]}, "note": "中文"},
        "thresholds": {"company": 3.5, "stakeholder": None},
        "error": "",
        "finished_at": claim + timedelta(seconds=3),
        "same_as_id": not_ours.pk,
        "duration_ms": 1234,
    }
    AggregationRun.objects.filter(pk=by_orm.pk, status=RunStatus.RUNNING, started_at=claim).update(
        **values
    )
    where = {"id": by_row.pk, "status": RunStatus.RUNNING, "started_at": claim}
    assert update_row(AggregationRun, where, values) == 1
    # Another claim's time: nothing is written.
    lost = {"id": not_ours.pk, "status": RunStatus.RUNNING, "started_at": claim + timedelta(1)}
    assert update_row(AggregationRun, lost, values) == 0

    skip = {"id", "created_at"}
    orm = fields_of(AggregationRun.objects.get(pk=by_orm.pk))
    row = fields_of(AggregationRun.objects.get(pk=by_row.pk))
    assert {k: v for k, v in row.items() if k not in skip} == {
        k: v for k, v in orm.items() if k not in skip
    }
    assert AggregationRun.objects.get(pk=not_ours.pk).status == RunStatus.RUNNING


def test_a_statement_whose_argument_is_not_one_parameter_is_refused(
    open_assessment: Assessment,
) -> None:
    twice = CompiledStatement(
        lambda pk: AggregationRun.objects.filter(pk=pk, assessment_id=pk).values_list("pk"), int
    )
    with pytest.raises(TypeError, match="cannot compile"):
        twice.rows(open_assessment.pk)
    unused = CompiledStatement(
        lambda _pk: AggregationRun.objects.filter(pk=1).values_list("pk"), int
    )
    with pytest.raises(TypeError, match="cannot compile"):
        unused.rows(open_assessment.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # no test transaction
def test_a_compiled_lock_is_refused_outside_a_transaction_every_time(
    open_assessment: Assessment,
) -> None:
    locking = CompiledStatement(
        lambda pk: Assessment.objects.select_for_update().filter(pk=pk).values_list("pk"), int
    )
    with transaction.atomic():
        assert locking.rows(open_assessment.pk) == [(open_assessment.pk,)]
    with pytest.raises(TransactionManagementError):  # compiled already: checked again
        locking.rows(open_assessment.pk)


def test_an_argument_the_orm_would_have_prepared_otherwise_is_refused(
    open_assessment: Assessment,
) -> None:
    runs = CompiledStatement(
        lambda pk: AggregationRun.objects.filter(assessment_id=pk).values_list("pk"), int
    )
    expected = AggregationRun.objects.filter(assessment=open_assessment).values_list("pk")
    assert runs.rows(open_assessment.pk) == list(expected)
    for wrong in (None, str(open_assessment.pk), True):
        with pytest.raises(TypeError):
            runs.rows(wrong)
