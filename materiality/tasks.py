"""Celery tasks: thin wrappers that take ids, call a service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from materiality.aggregation import aggregation_execute, sweep
from materiality.importers import import_replies  # noqa: F401 - registers the task with workers
from materiality.models import StakeholderGroup, Topic


@shared_task
def vocabulary_size() -> dict[str, int]:
    """Answer with what the worker's database holds: proves that a worker is up, reads the
    same database as the site, and can send a result back (`manage.py check_worker`)."""
    return {"topics": Topic.objects.count(), "groups": StakeholderGroup.objects.count()}


@shared_task
def aggregate(run_id: int) -> str | None:
    """Compute an aggregation run. Only the first delivery does the work: the run is
    claimed by a conditional update, so a duplicate or redelivered message is a no-op."""
    run = aggregation_execute(run_id)
    return run.status if run else None


@shared_task
def feedback_summarise(report_id: int) -> None:
    """Recompute a report's feedback summary (coalesced: see materiality.feedback)."""
    from materiality.feedback import feedback_summarise as summarise

    summarise(report_id)


@shared_task
def export_build(job_id: int) -> None:
    """Build an export file (claimed once: a duplicate delivery does nothing)."""
    from materiality.exporting import export_execute

    export_execute(job_id)


@shared_task
def matrix_freeze(run_id: int) -> None:
    """Write every standard matrix file of a confirmed run (files already there stay)."""
    from materiality.matrix import freeze_matrix_files
    from materiality.models import AggregationRun

    freeze_matrix_files(AggregationRun.objects.select_related("assessment__survey").get(pk=run_id))


@shared_task
def sweep_runs() -> int:
    """Every minute (Celery beat): resend runs whose message never reached a worker."""
    return sweep()
