"""The minute sweep (Celery beat): resend what a lost message or a down broker left
waiting, and fail what a dead worker left running."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_noop

from materiality.dispatch import send
from materiality.models import (
    AggregationRun,
    RunStatus,
)
from materiality.runs.options import stale_after
from materiality.runs.requests import AGGREGATE_TASK, fail_stale_runs

logger = logging.getLogger(__name__)


def sweep() -> int:
    """Send again the runs that wait longer than a minute (their message was lost, or
    the broker was down when they were requested) and fail dead RUNNING runs. Runs
    every minute under Celery beat; returns how many runs were sent."""
    fail_stale_runs(None)
    cutoff = timezone.now() - timedelta(seconds=60)
    waiting = AggregationRun.objects.filter(status=RunStatus.PENDING, created_at__lt=cutoff)
    sent = sum(send(AGGREGATE_TASK, pk) for pk in waiting.values_list("pk", flat=True))
    _sweep_other_work()
    return sent


def _sweep_other_work() -> None:
    """Export jobs whose worker died stay RUNNING, and a feedback summary whose message was
    lost stays pending: fail the former, resend the latter (it is coalesced and safe)."""
    from materiality.models import ExportJob, ExportStatus, Report

    ExportJob.objects.filter(
        status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
        created_at__lt=timezone.now() - stale_after(),
    ).update(
        status=ExportStatus.FAILED,
        finished_at=timezone.now(),
        error=gettext_noop("The worker stopped while building this file; please ask again."),
    )
    for report_id in Report.objects.filter(summary_pending=True).values_list("pk", flat=True):
        # A broker still down: logged, and the next sweep tries again.
        send("materiality.tasks.feedback_summarise", report_id)
