"""Asking for a run. At most one run per assessment waits (PENDING); replies that arrive
while it waits coalesce into it. The task is sent after commit; a broker that is down only
delays it (the sweep sends it again)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, connection, transaction
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


def on_response_submitted(survey_id: int, response_id: int) -> None:
    """SURVEYS_SUBMIT_HOOKS entry: new replies ask for a (coalesced) run. It runs inside
    the submit's transaction, so the run commits with the reply that asked for it (one
    commit, not two, before the task is sent).

    Nearly every submit finds a run already waiting: that run will count this reply if
    its worker reads the replies after this one commits. The read that finds it also
    locks it FOR SHARE until the commit, so that its claim (an UPDATE of the row) waits
    for it: a claim and a fold in between would count the replies without this one, and
    the reply would wait for the next run. A run whose claim is under way (its row
    locked by the claim's UPDATE) is skipped, not waited for: a new run is asked for, as
    when none waits, and its insert waits for that claim to end (the one-pending-run
    index). Waiting on the row instead would keep the lock on a run that is then
    RUNNING, which its worker's store updates while it holds the assessment's row, and
    the new run's key check at the commit takes that row: a deadlock."""
    while True:
        found = _waiting_run(survey_id)
        if found is None:
            return
        assessment_id, waiting, stale = found
        if waiting is not None:
            return
        if _request(assessment_id, RunTrigger.RESPONSE, None, stale=stale) is not None:
            return
        # Another request's run went in first (or the claim skipped ended without
        # claiming): read, and lock, the one waiting now.


def _waiting_run(survey_id: int) -> tuple[int, int | None, bool] | None:
    """The survey's assessment; its waiting run, locked FOR SHARE on PostgreSQL (None if
    none waits, or its claim is under way); and, where none was found, whether a lost
    worker left a run RUNNING. None without an assessment. One statement: the CASE
    looks for a lost run only where no waiting run was found."""
    run = connection.ops.quote_name(AggregationRun._meta.db_table)
    assessment = connection.ops.quote_name(Assessment._meta.db_table)
    # SQLite has no row locks: a writer holds the whole database until it commits, and a
    # worker cannot claim the run before then.
    lock = " FOR SHARE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    # x's LIMIT keeps it a subquery of its own: the locking read runs once, for one row.
    sql = f"""
        SELECT x.id, x.waiting, CASE WHEN x.waiting IS NULL THEN EXISTS (
            SELECT 1 FROM {run} s
            WHERE s.assessment_id = x.id AND s.status = %s AND s.heartbeat_at < %s
        ) ELSE FALSE END
        FROM (
            SELECT a.id, (
                SELECT r.id FROM {run} r WHERE r.assessment_id = a.id AND r.status = %s{lock}
            ) AS waiting
            FROM {assessment} a WHERE a.survey_id = %s ORDER BY a.id LIMIT 1
        ) x
    """  # noqa: S608
    lost_before = connection.ops.adapt_datetimefield_value(heartbeat.lost_before())
    with connection.cursor() as cursor:
        cursor.execute(sql, [RunStatus.RUNNING, lost_before, RunStatus.PENDING, survey_id])
        row = cursor.fetchone()
    if row is None:
        return None
    assessment_id, waiting, stale = row
    return int(assessment_id), waiting, bool(stale)


def _request(
    assessment_id: int, trigger: str, requested_by_id: int | None, *, stale: bool = True
) -> AggregationRun | None:
    """Insert the assessment's PENDING run and send its task after commit; None when a
    run is waiting already (a concurrent request's insert won). `stale` False: the
    caller found no run of a lost worker to fail first."""
    if stale:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # The assessment's row before the lost run's, as a worker's claim and store
            # take them (FOR KEY SHARE: what the new run's key check takes at the commit,
            # taken first): the same order as theirs, so no deadlock with either.
            table = connection.ops.quote_name(Assessment._meta.db_table)
            with connection.cursor() as cursor:
                lock = f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE"  # noqa: S608
                cursor.execute(lock, [assessment_id])
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
