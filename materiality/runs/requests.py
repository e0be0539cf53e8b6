"""Asking for a run. At most one run per assessment waits (PENDING); replies that arrive
while it waits coalesce into it. The task is sent after commit; a broker that is down only
delays it (the sweep sends it again)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
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

logger = logging.getLogger(__name__)

AGGREGATE_TASK = "materiality.tasks.aggregate"


# --- Requesting -----------------------------------------------------------------------


def aggregation_request(
    *, assessment: Assessment, trigger: str, requested_by: Any = None
) -> AggregationRun:
    """Ask for a run. If one is already waiting, that one serves (coalescing); the task
    is sent after commit, and a broker that is down only delays it (see `sweep`)."""
    fail_stale_runs(assessment.pk)
    try:
        with transaction.atomic():
            run = AggregationRun.objects.create(
                assessment=assessment,
                trigger=trigger,
                requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            )
    except IntegrityError:
        waiting = AggregationRun.objects.filter(
            assessment=assessment, status=RunStatus.PENDING
        ).first()
        if waiting is not None:
            return waiting
        # The waiting run was claimed between our insert and this read: ask again.
        return aggregation_request(
            assessment=assessment, trigger=trigger, requested_by=requested_by
        )
    # A broker that cannot be reached leaves the run PENDING, for the sweep to send.
    send_after_commit(AGGREGATE_TASK, run.pk)
    return run


def aggregation_request_by(*, assessment: Assessment, user: Any) -> AggregationRun:
    """A person asks for a run (the results page's button, the API): the run, coalesced
    as any other, and the request in the audit trail."""
    run = aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL, requested_by=user)
    audit_record(assessment=assessment, action=AuditAction.RUN_REQUESTED, actor=user, run=run)
    return run


def on_response_submitted(survey_id: int, response_id: int) -> None:
    """SURVEYS_SUBMIT_HOOKS entry: new replies ask for a (coalesced) run."""
    # Nearly every submit finds a run already waiting, and that run will count this
    # reply (committed before this hook runs: a worker reads the replies only after
    # claiming the run). One read on the one-pending-run index then replaces an INSERT
    # that would fail on it, a rollback and a second read.
    if AggregationRun.objects.filter(
        assessment__survey_id=survey_id, status=RunStatus.PENDING
    ).exists():
        return
    assessment = Assessment.objects.filter(survey_id=survey_id).first()
    if assessment is not None:
        aggregation_request(assessment=assessment, trigger=RunTrigger.RESPONSE)


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
