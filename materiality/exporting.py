"""Export jobs: a file built in the background with progress, then downloaded.

The building itself is materiality.exports / materiality.evidence; this module only
records the job, runs it once (a conditional claim, like aggregation runs) and keeps
its progress where the page can read it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from materiality.audit import audit_record
from materiality.evidence import TrailEntry
from materiality.exports import ExportKind, build_export
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    ExportJob,
    ExportStatus,
)

logger = logging.getLogger(__name__)


def confirmation_trail(assessment: Assessment) -> list[TrailEntry]:
    """The audit trail's review steps, as the evidence pack shows them."""
    steps = (AuditAction.SUBMITTED, AuditAction.CONFIRMED, AuditAction.SENT_BACK)
    return [
        TrailEntry(entry.created_at, entry.actor_name, entry.get_action_display(), entry.note)
        for entry in AuditEntry.objects.filter(assessment=assessment, action__in=steps)
    ]


def export_request(
    *,
    assessment: Assessment,
    kind: ExportKind,
    language: str,
    run: AggregationRun | None,
    user: Any,
) -> ExportJob:
    job = ExportJob.objects.create(
        assessment=assessment,
        run=run,
        kind=kind.value,
        language=language,
        requested_by=user if getattr(user, "pk", None) else None,
    )
    audit_record(
        assessment=assessment,
        action=AuditAction.EXPORTED,
        actor=user,
        run=run,
        note=f"{kind.value} ({language})",
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from materiality.tasks import export_build

    try:
        export_build.delay(job_id)
    except Exception:
        logger.warning("Could not send export job %s to the broker", job_id, exc_info=True)
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED,
            error="The task queue is unreachable; please try again in a moment.",
        )


def export_execute(job_id: int) -> None:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("assessment").get(pk=job_id)
    kind = ExportKind(job.kind)

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(progress=max(0, min(100, percent)))

    try:
        built = build_export(
            kind,
            job.assessment_id if kind.of_assessment else (job.run_id or 0),
            job.language,
            progress,
            trail=confirmation_trail(job.assessment),
        )
    except Exception as error:
        logger.exception("Export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=str(error)[:1000], finished_at=timezone.now()
        )
        return
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE,
        progress=100,
        path=built.path,
        filename=built.filename,
        content_type=built.content_type,
        finished_at=timezone.now(),
    )
