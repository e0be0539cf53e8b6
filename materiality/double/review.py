"""Closing rating, and the review of a DMA's results: the ESG team submits them, the
decision group approves them or sends them back (the survey's confirmation flow,
`materiality/runs/confirmation.py`, in the DMA's steps).

Every move is a conditional UPDATE from the expected step, so two people clicking at
once cannot both succeed, and every move is in the DMA's trail. Approval stores the
scored results as JSON: what was approved cannot move afterwards (ratings are taken
only in the rating step, and an approved DMA's methodology cannot change).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from materiality.double.decisions import NOTE_MAX_LENGTH, decisions_in_force, missing_notes
from materiality.double.events import dma_event_record
from materiality.double.models import (
    DmaAction,
    DmaApproval,
    DmaEvent,
    DmaStatus,
    DoubleAssessment,
    MatterDecision,
)
from materiality.double.ratings import current_ratings
from materiality.double.register import iro_ratable
from materiality.double.results import AxisResult, DmaResults, MatterResult, dma_results
from materiality.double.scoring import reported

SUBMITTER_CANNOT_APPROVE = gettext_lazy(
    "You submitted these results for review, so another member of the decision group "
    "must approve them."
)


def rating_gaps(dma: DoubleAssessment) -> list[str]:
    """What keeps rating from closing: every ratable IRO needs a rating in force."""
    rated = set(current_ratings(dma).values_list("iro_id", flat=True))
    unrated = [
        iro.reference
        for iro in dma.iros.order_by("reference")
        if iro.pk not in rated and not iro_ratable(iro)
    ]
    if not unrated:
        return []
    return [
        ngettext(
            "%(count)d IRO has no rating yet: %(references)s.",
            "%(count)d IROs have no rating yet: %(references)s.",
            len(unrated),
        )
        % {"count": len(unrated), "references": ", ".join(unrated)}
    ]


def _move(dma: DoubleAssessment, source: DmaStatus, target: DmaStatus) -> bool:
    moved = DoubleAssessment.objects.filter(pk=dma.pk, status=source).update(status=target)
    if moved:
        dma.status = target
    return bool(moved)


class NoteRefused(ValidationError):
    """The note of a review step was refused: the page says so beside the note, where the
    reader is, with what they typed (issue 13, item 8)."""


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise NoteRefused(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX_LENGTH}
        )
    return note


def submission_of(dma: DoubleAssessment) -> DmaEvent | None:
    """The latest submission for review (who submitted, when, with which note)."""
    return dma.events.filter(action=DmaAction.REVIEW_SUBMITTED).order_by("-pk").first()


def submitted_by(submission: DmaEvent | None, user: Any) -> bool:
    return bool(
        submission and submission.actor_id and submission.actor_id == getattr(user, "pk", None)
    )


@transaction.atomic
def dma_close_rating(*, dma: DoubleAssessment, actor: Any = None) -> DoubleAssessment:
    """Rating → results, once every ratable IRO has at least one rating."""
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status != DmaStatus.RATING:
        raise ValidationError(_("Only an assessment in its rating step can close rating."))
    gaps = rating_gaps(locked)
    if gaps:
        raise ValidationError(gaps)
    _move(dma, DmaStatus.RATING, DmaStatus.RESULTS)
    dma_event_record(dma=dma, action=DmaAction.RATING_CLOSED, actor=actor)
    return dma


@transaction.atomic
def dma_submit_for_review(*, dma: DoubleAssessment, actor: Any, note: str = "") -> None:
    note = _note(note)
    if not _move(dma, DmaStatus.RESULTS, DmaStatus.REVIEW):
        raise ValidationError(_("Only results with the ESG team can be submitted for review."))
    dma_event_record(
        dma=dma, action=DmaAction.REVIEW_SUBMITTED, actor=actor, details={"note": note}
    )


@transaction.atomic
def dma_send_back(*, dma: DoubleAssessment, actor: Any, note: str) -> None:
    note = _note(note)
    if not note:
        raise NoteRefused(_("Say what should change: a note is required to send results back."))
    if not _move(dma, DmaStatus.REVIEW, DmaStatus.RESULTS):
        raise ValidationError(_("Only results under review can be sent back."))
    dma_event_record(
        dma=dma, action=DmaAction.REVIEW_SENT_BACK, actor=actor, details={"note": note}
    )


def approval_blockers(dma: DoubleAssessment, results: DmaResults | None = None) -> list[str]:
    """What keeps the results from approval, worded (empty when they can be approved)."""
    results = results if results is not None else dma_results(dma)
    blockers = list(results.problems)
    blockers += [
        _("%(matter)s needs a documented judgement: write its decision note.")
        % {"matter": row.matter.get_name()}
        for row in missing_notes(results, decisions_in_force(dma))
    ]
    return blockers


@transaction.atomic
def dma_approve(*, dma: DoubleAssessment, actor: Any, note: str = "") -> DmaApproval:
    """Review → approved, freezing the scored results and the decisions in force."""
    note = _note(note)
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status != DmaStatus.REVIEW:
        raise ValidationError(_("Only results under review can be approved."))
    # Four eyes: whoever submitted the results cannot also approve them.
    if submitted_by(submission_of(locked), actor):
        raise ValidationError(SUBMITTER_CANNOT_APPROVE)
    results = dma_results(locked)
    blockers = approval_blockers(locked, results)
    if blockers or results.methodology is None:
        raise ValidationError(blockers)
    approver = actor if getattr(actor, "pk", None) else None
    approval = DmaApproval.objects.create(
        dma=locked,
        methodology_number=results.methodology.number,
        results=results_snapshot(results, decisions_in_force(locked)),
        note=note,
        approved_by=approver,
        # Named as the trail names its actor, so the approval keeps it without the account.
        approved_by_name=approver.get_username() if approver is not None else "",
    )
    _move(dma, DmaStatus.REVIEW, DmaStatus.APPROVED)
    dma_event_record(
        dma=dma,
        action=DmaAction.APPROVED,
        actor=actor,
        details={"note": note, "approval": approval.pk},
    )
    return approval


def approval_of(dma: DoubleAssessment) -> DmaApproval | None:
    return dma.approvals.select_related("approved_by").order_by("-pk").first()


# --- The frozen snapshot ----------------------------------------------------------------


def _figure(value: Any) -> str | None:
    return None if value is None else str(reported(value))


def _axis(axis: AxisResult) -> dict[str, Any]:
    return {
        "score": _figure(axis.score),
        "interval": [_figure(v) for v in axis.interval] if axis.interval else None,
        "material": axis.material,
    }


def _decision(decision: MatterDecision) -> dict[str, Any]:
    return {
        "computed_value": _figure(decision.computed_value),
        "final_value": _figure(decision.final_value),
        "computed_material": decision.computed_material,
        "material_final": decision.material_final,
        "note": decision.note,
        "reason": decision.reason,
        "approver": decision.approver_username,
        "recorded_by": decision.created_by_username,
        "recorded_at": decision.created_at.isoformat(),
    }


def _matter(row: MatterResult, decisions: dict[tuple[int, str], MatterDecision]) -> dict[str, Any]:
    return {
        "matter": row.matter.code,
        "pack": row.matter.pack_id,
        "name": row.matter.name,
        "depth": row.depth,
        "impact": _axis(row.impact),
        "financial": _axis(row.financial),
        "material": row.material,
        "needs_judgement": list(row.rolled.needs_judgement),
        "iros": {
            result.iro.reference: _figure(result.score.score.final) if result.score else None
            for result in row.iros
        },
        "decisions": {
            perspective: _decision(decision)
            for (matter_id, perspective), decision in decisions.items()
            if matter_id == row.matter.pk
        },
    }


def results_snapshot(
    results: DmaResults, decisions: dict[tuple[int, str], MatterDecision]
) -> dict[str, Any]:
    """The results' numbers as JSON: decimal strings as reported, names in every language.
    `snapshot.read_snapshot` is its one reader: change the two together."""
    return {
        "methodology": results.methodology.number if results.methodology else None,
        "thresholds": {
            "impact": _figure(results.impact_threshold),
            "financial": _figure(results.financial_threshold),
        },
        "matters": [_matter(row, decisions) for row in results.matters],
    }
