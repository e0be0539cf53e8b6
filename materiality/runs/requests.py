"""Asking for a run. At most one run per assessment waits (PENDING); replies that arrive
while it waits coalesce into it. The task is sent after commit; a broker that is down only
delays it (the sweep sends it again)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.db.models.constants import OnConflict
from django.utils.translation import gettext_noop

from materiality.audit import audit_record
from materiality.dispatch import send_after_commit
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    RunStatus,
    RunTrigger,
)
from materiality.runs import heartbeat
from surveys.precompiled import CompiledStatement

logger = logging.getLogger(__name__)

AGGREGATE_TASK = "materiality.tasks.aggregate"


# --- Requesting -----------------------------------------------------------------------


def aggregation_request(
    *, assessment: Assessment, trigger: str, requested_by: Any = None
) -> AggregationRun:
    """Ask for a run. If one is already waiting, that one serves (coalescing); the task
    is sent after commit, and a broker that is down only delays it (see `sweep`)."""
    user_id = requested_by.pk if getattr(requested_by, "pk", None) else None
    run = _request(assessment.pk, trigger, user_id)
    if run is not None:
        return run
    waiting = AggregationRun.objects.filter(assessment=assessment, status=RunStatus.PENDING).first()
    if waiting is not None:
        return waiting
    # The waiting run was claimed between our insert and this read: ask again.
    return aggregation_request(assessment=assessment, trigger=trigger, requested_by=requested_by)


def aggregation_request_by(*, assessment: Assessment, user: Any) -> AggregationRun:
    """A person asks for a run (the results page's button, the API): the run, coalesced
    as any other, and the request in the audit trail."""
    run = aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL, requested_by=user)
    audit_record(assessment=assessment, action=AuditAction.RUN_REQUESTED, actor=user, run=run)
    return run


# The survey's assessment; whether a run of it is waiting; if none is, whether one was
# left RUNNING by a lost worker (CASE evaluates its default only where no run waits).
_SUBMITTED = CompiledStatement(
    lambda survey_id, lost_before: (
        Assessment.objects.filter(survey_id=survey_id)
        .annotate(
            waiting=Exists(
                AggregationRun.objects.filter(assessment=OuterRef("pk"), status=RunStatus.PENDING)
            ),
            stale=Case(
                When(waiting=True, then=Value(False)),
                default=Exists(
                    AggregationRun.objects.filter(
                        assessment=OuterRef("pk"),
                        status=RunStatus.RUNNING,
                        heartbeat_at__lt=lost_before,
                    )
                ),
            ),
        )
        .order_by("pk")
        .values_list("pk", "waiting", "stale")[:1]
    ),
    int,
    datetime,
)


def on_response_submitted(survey_id: int, response_id: int) -> None:
    """SURVEYS_SUBMIT_HOOKS entry: new replies ask for a (coalesced) run. It runs inside
    the submit's transaction, so the run commits with the reply that asked for it (one
    commit, not two, before the task is sent)."""
    # Nearly every submit finds a run already waiting, and that run will count this
    # reply (a worker reads the replies only after claiming the run, which it cannot do
    # before this reply commits). One read on the one-pending-run index then stops here.
    found = _SUBMITTED.rows(survey_id, heartbeat.lost_before())
    if found:
        ((assessment_id, waiting, stale),) = found
        if not waiting:
            _request(assessment_id, RunTrigger.RESPONSE, None, stale=stale)


def _request(
    assessment_id: int, trigger: str, requested_by_id: int | None, *, stale: bool = True
) -> AggregationRun | None:
    """Insert the assessment's PENDING run and send its task after commit; None when a
    run is waiting already (a concurrent request's insert won). `stale` False: the
    caller found no run of a lost worker to fail first."""
    if stale:
        fail_stale_runs(assessment_id)
    run = AggregationRun(
        assessment_id=assessment_id, trigger=trigger, requested_by_id=requested_by_id
    )
    if not _insert_pending(run):
        return None
    # A broker that cannot be reached leaves the run PENDING, for the sweep to send.
    send_after_commit(AGGREGATE_TASK, run.pk)
    return run


def _insert_pending(run: AggregationRun) -> bool:
    """Save a new PENDING run, or nothing if the assessment has one waiting already (the
    constraint `one_pending_run_per_assessment`); whether it was saved.

    One statement, INSERT … ON CONFLICT DO NOTHING RETURNING id, as `QuerySet.create`
    would insert it but for the conflict clause: a failed INSERT would abort the
    transaction it is in, and the submit's hook runs inside the submit's, where only a
    savepoint more (two statements) would get it back."""
    meta = AggregationRun._meta
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        try:
            with transaction.atomic():
                run.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    (returned,) = AggregationRun._default_manager._insert(  # type: ignore[attr-defined]
        [run], fields=fields, returning_fields=[meta.pk], on_conflict=OnConflict.IGNORE
    )
    if returned is None:  # the conflict: nothing inserted, no row returned
        return False
    (run.pk,) = returned
    run._state.adding = False
    run._state.db = connection.alias
    return True


def fail_stale_runs(assessment_id: int) -> None:
    """Fail the assessment's runs whose worker was lost (runs/heartbeat.py): the run
    being requested counts everything they would have."""
    AggregationRun.objects.filter(
        assessment_id=assessment_id,
        status=RunStatus.RUNNING,
        heartbeat_at__lt=heartbeat.lost_before(),
    ).update(
        status=RunStatus.FAILED,
        finished_at=heartbeat.now(),
        error=gettext_noop(
            "The worker stopped during the run (no sign of life); no scores were stored."
        ),
    )
