"""The minute sweep (Celery beat): resend what a lost message or a down broker left
waiting, or a dead worker left running, and fail exports a dead worker left behind;
resend the freezing of confirmed runs whose files are not all written."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from materiality.dispatch import send
from materiality.models import (
    AggregationRun,
    AuditAction,
    ReviewStatus,
    RunStatus,
)
from materiality.runs import heartbeat
from materiality.runs.requests import AGGREGATE_TASK

logger = logging.getLogger(__name__)

# An export not done this long after it was asked for has lost its worker (exports have
# no heartbeat, so the limit is generous).
EXPORT_STALE_AFTER = timedelta(minutes=10)
# Freezing a confirmed run takes seconds; one not done after this is sent again.
FREEZE_STALE_AFTER = timedelta(minutes=2)


def sweep() -> int:
    """Send again the runs that wait longer than a minute (their message was lost, or
    the broker was down when they were requested) and the RUNNING runs whose worker
    stopped beating (the task takes them over: runs/heartbeat.py). Runs every minute
    under Celery beat; returns how many runs were sent."""
    cutoff = heartbeat.now() - timedelta(seconds=60)
    stranded = AggregationRun.objects.filter(
        Q(status=RunStatus.PENDING, created_at__lt=cutoff)
        | Q(status=RunStatus.RUNNING, heartbeat_at__lt=heartbeat.lost_before())
    )
    sent = sum(send(AGGREGATE_TASK, pk) for pk in stranded.values_list("pk", flat=True))
    _sweep_other_work()
    return sent


def _sweep_other_work() -> None:
    """Export jobs whose worker died stay RUNNING, and a feedback summary whose message was
    lost stays pending: fail the former, resend the latter (it is coalesced and safe)."""
    from materiality.models import ExportJob, ExportStatus, Report

    ExportJob.objects.filter(
        status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
        created_at__lt=timezone.now() - EXPORT_STALE_AFTER,
    ).update(
        status=ExportStatus.FAILED,
        finished_at=timezone.now(),
        error=gettext_noop("The worker stopped while building this file; please ask again."),
    )
    for report_id in Report.objects.filter(summary_pending=True).values_list("pk", flat=True):
        # A broker still down: logged, and the next sweep tries again.
        send("materiality.tasks.feedback_summarise", report_id)
    # A run confirmed a while ago whose freezing was never sent (the broker was down) or
    # whose worker died: sent again (files already written stay as they are).
    unfrozen = AggregationRun.objects.filter(
        review=ReviewStatus.CONFIRMED,
        frozen_at__isnull=True,
        status=RunStatus.SUCCEEDED,
        audit__action=AuditAction.CONFIRMED,
        audit__created_at__lt=timezone.now() - FREEZE_STALE_AFTER,
    )
    for run_id in unfrozen.values_list("pk", flat=True).distinct():
        send("materiality.tasks.matrix_freeze", run_id)
