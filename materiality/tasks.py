"""Celery tasks: thin wrappers that take ids, call a service, and are safe to run twice.

Nothing imports this module but Celery's autodiscovery: services send these tasks by
name after commit (`materiality.dispatch`), so the imports point one way, tasks →
services.
"""

from __future__ import annotations

from celery import Task, shared_task

from materiality.api.idempotency import idempotent_requests_expire
from materiality.feedback.summary import feedback_summarise as summarise_feedback
from materiality.importing.jobs import reply_import_execute
from materiality.models import StakeholderGroup, Topic
from materiality.privacy import responses_expire
from materiality.reporting.jobs import export_execute
from materiality.runs.derived import run_freeze, run_precompute
from materiality.runs.execution import aggregation_execute
from materiality.runs.heartbeat import seconds_until_lost
from materiality.runs.sweep import sweep


@shared_task
def vocabulary_size() -> dict[str, int]:
    """Answer with what the worker's database holds: proves that a worker is up, reads the
    same database as the site, and can send a result back (`manage.py check_worker`)."""
    return {"topics": Topic.objects.count(), "groups": StakeholderGroup.objects.count()}


@shared_task(bind=True, max_retries=1)
def aggregate(self: Task, run_id: int) -> str | None:
    """Compute an aggregation run. The run is claimed by a conditional update, so a
    duplicate message is a no-op, and a run whose worker died is taken over.

    A message redelivered because its worker died (acks_late, reject_on_worker_lost)
    comes back at once, while the run still looks alive: it looks again once the run's
    heartbeat would be old enough to tell (runs/heartbeat.py)."""
    run = aggregation_execute(run_id)
    if run is None:
        return None
    wait = seconds_until_lost(run)
    if wait is not None and (self.request.delivery_info or {}).get("redelivered"):
        raise self.retry(countdown=wait)
    # Whoever computed the scores (this call, or one before it): what the pages read is
    # made now, once, rather than on their first request. Without a broker (eager) this
    # runs inside the request that asked for the run, a reply's submit: the matrix files
    # (seconds) are then left to their first request.
    run_precompute(run_id, files=not self.request.is_eager)
    return run.status


@shared_task
def feedback_summarise(report_id: int) -> None:
    """Recompute a report's feedback summary (coalesced: see materiality.feedback.summary)."""
    summarise_feedback(report_id)


@shared_task
def export_build(job_id: int) -> None:
    """Build an export file (claimed once: a duplicate delivery does nothing)."""
    export_execute(job_id)


@shared_task
def import_replies(import_id: str) -> str | None:
    """Store a checked import of replies (claimed once: safe to run twice)."""
    progress = reply_import_execute(import_id)
    return progress.state if progress else None


@shared_task
def matrix_freeze(run_id: int) -> None:
    """Write every standard matrix file of a confirmed run (files already there stay),
    then mark it frozen."""
    run_freeze(run_id)


@shared_task
def sweep_runs() -> int:
    """Every minute (Celery beat): resend runs whose message never reached a worker."""
    return sweep()


@shared_task
def expire_personal_data() -> dict[int, int]:
    """Daily (Celery beat): apply RESPONSE_RETENTION_DAYS, as `manage.py respondent_data
    expire` does. Per assessment id, how many responses lost their personal fields."""
    return responses_expire()


@shared_task
def expire_idempotent_requests() -> int:
    """Forget the API's kept answers to Idempotency-Key requests once they are old."""
    return idempotent_requests_expire()
