"""Internal confirmation: the ESG team submits a run, the ESG decision group confirms it
or sends it back. A confirmed run is frozen: its scores were never changeable, and its
rendered matrix files are written now and never again.

Every transition is a conditional UPDATE from the expected state, so two people
clicking at once cannot both succeed, and every step is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from materiality.audit import audit_record
from materiality.dispatch import send_after_commit
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    ReviewStatus,
    RunStatus,
)

NOTE_MAX_LENGTH = 2000


class ReviewError(Exception):
    """A confirmation step that is not possible now; the message says why."""


class NoteError(ReviewError):
    """The note is what is wrong (missing, too long): the page shows it by the field."""


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise NoteError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX_LENGTH}
        )
    return note


@transaction.atomic
def run_submit_for_confirmation(*, run: AggregationRun, user: Any, note: str = "") -> None:
    note = _note(note)
    if run.status != RunStatus.SUCCEEDED:
        raise ReviewError(_("Only a run with computed scores can be submitted."))
    moved = AggregationRun.objects.filter(
        pk=run.pk,
        status=RunStatus.SUCCEEDED,
        review__in=[ReviewStatus.NONE, ReviewStatus.SENT_BACK],
    ).update(review=ReviewStatus.SUBMITTED)
    if not moved:
        raise ReviewError(_("This run has already been submitted or confirmed."))
    run.review = ReviewStatus.SUBMITTED
    audit_record(
        assessment=run.assessment, action=AuditAction.SUBMITTED, actor=user, run=run, note=note
    )


@transaction.atomic
def run_confirm(*, run: AggregationRun, user: Any, note: str = "") -> None:
    note = _note(note)
    published = (
        Assessment.objects.select_for_update()
        .filter(pk=run.assessment_id)
        .values_list("published_run_id", flat=True)
        .first()
    )
    if published is not None and published > run.pk:
        raise ReviewError(_("A later run of this assessment is already confirmed."))
    submitter = (
        AuditEntry.objects.filter(run=run, action=AuditAction.SUBMITTED)
        .order_by("-pk")
        .values_list("actor_id", flat=True)
        .first()
    )
    if submitter is not None and submitter == getattr(user, "pk", None):
        raise ReviewError(_("Someone other than the person who submitted it must confirm it."))
    moved = AggregationRun.objects.filter(pk=run.pk, review=ReviewStatus.SUBMITTED).update(
        review=ReviewStatus.CONFIRMED
    )
    if not moved:
        raise ReviewError(_("Only a run awaiting confirmation can be confirmed."))
    run.review = ReviewStatus.CONFIRMED
    Assessment.objects.filter(pk=run.assessment_id).update(published_run=run)
    # Seconds of rendering: in the background after commit, never under the lock (and a
    # file not yet written, the broker being down say, is rendered on first request).
    run_id = run.pk
    send_after_commit("materiality.tasks.matrix_freeze", run_id)
    audit_record(
        assessment=run.assessment, action=AuditAction.CONFIRMED, actor=user, run=run, note=note
    )


@transaction.atomic
def run_send_back(*, run: AggregationRun, user: Any, note: str) -> None:
    note = _note(note)
    if not note:
        raise NoteError(_("Say what should change: a comment is required to send a run back."))
    moved = AggregationRun.objects.filter(pk=run.pk, review=ReviewStatus.SUBMITTED).update(
        review=ReviewStatus.SENT_BACK
    )
    if not moved:
        raise ReviewError(_("Only a run awaiting confirmation can be sent back."))
    run.review = ReviewStatus.SENT_BACK
    audit_record(
        assessment=run.assessment, action=AuditAction.SENT_BACK, actor=user, run=run, note=note
    )
