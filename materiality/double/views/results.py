"""The results page of a DMA: each matter's impact and financial score, whether it is
material and what needs a documented judgement, the survey's scores beside it, and how
each IRO's score was reached. For the ESG team and the decision group (who both hold
the DMA's view permission); until approval the figures are computed on each visit from
the ratings in force; once approved, the page reads the approval's JSON snapshot, so
what was approved is what is shown.

The review steps are forms on this page, posted to `views/review.py`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from materiality.double.approved import approved_results
from materiality.double.decisions import approvers, decisions_in_force, missing_notes, needs_note
from materiality.double.events import dma_events
from materiality.double.models import DmaStatus, DoubleAssessment, MatterDecision, Perspective
from materiality.double.results import dma_results
from materiality.double.review import approval_of, rating_gaps, submission_of, submitted_by
from materiality.views.access import permission_required

VIEW = "double.view_doubleassessment"
CHANGE = "double.change_doubleassessment"
APPROVE = "double.approve_doubleassessment"


@permission_required(VIEW)
def results(request: HttpRequest, pk: int) -> HttpResponse:
    return results_page(request, get_object_or_404(DoubleAssessment, pk=pk))


def results_page(
    request: HttpRequest,
    dma: DoubleAssessment,
    *,
    note_error: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The results page; *note_error* is (form, message) for a review step whose note was
    refused, said beside that note with what was typed."""
    can_change = request.user.has_perm(CHANGE)
    submission = submission_of(dma) if dma.status == DmaStatus.REVIEW else None
    context: dict[str, Any] = {
        "dma": dma,
        "can_change": can_change,
        "can_approve": request.user.has_perm(APPROVE),
        "submission": submission,
        "submitted_by_me": submitted_by(submission, request.user),
        "events": dma_events(dma, limit=10),
    }
    if note_error is not None:
        context["note_form"], context["note_error"] = note_error
        context["note_text"] = request.POST.get("note", "")
    approval = approval_of(dma) if dma.status == DmaStatus.APPROVED else None
    if approval is not None:
        # What was approved is what is shown: the approval's snapshot, not a new scoring.
        context.update(approval=approval, approved=approved_results(approval))
        return render(request, "double/dma_results.html", context, status=status)
    scored = dma_results(dma)
    decisions = decisions_in_force(dma)
    by_matter: dict[int, list[MatterDecision]] = defaultdict(list)
    for (matter_id, _perspective), decision in sorted(decisions.items()):
        by_matter[matter_id].append(decision)
    flagged = {row.matter.pk for row in needs_note(scored)}
    context.update(
        results=scored,
        rows=[
            (row, by_matter.get(row.matter.pk, []), row.matter.pk in flagged)
            for row in scored.matters
        ],
        # While raters still rate, the figures move with every rating.
        provisional=dma.status in (DmaStatus.CONTEXT, DmaStatus.LONG_LIST, DmaStatus.RATING),
        can_decide=can_change and dma.status == DmaStatus.RESULTS,
        gaps=rating_gaps(dma) if dma.status == DmaStatus.RATING else [],
        missing=missing_notes(scored, decisions),
        approvers=list(approvers()) if can_change else [],
        perspectives=Perspective.choices,
    )
    return render(request, "double/dma_results.html", context, status=status)
