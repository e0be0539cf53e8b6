"""The results page of a DMA: each matter's impact and financial score, whether it is
material and what needs a documented judgement, the survey's scores beside it, and how
each IRO's score was reached. For the ESG team and the decision group (who both hold
the DMA's view permission); the figures are computed on each visit from the ratings in
force (which stop at the end of rating, and for good at approval, when the approval
record keeps them as JSON).

The review steps are forms on this page, posted to `views/review.py`.
"""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from materiality.double.decisions import approvers, decisions_in_force, missing_notes, needs_note
from materiality.double.events import dma_events
from materiality.double.models import DmaStatus, DoubleAssessment, MatterDecision, Perspective
from materiality.double.results import dma_results
from materiality.double.review import approval_of, rating_gaps
from materiality.views.access import permission_required

VIEW = "double.view_doubleassessment"
CHANGE = "double.change_doubleassessment"
APPROVE = "double.approve_doubleassessment"


@permission_required(VIEW)
def results(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    scored = dma_results(dma)
    decisions = decisions_in_force(dma)
    by_matter: dict[int, list[MatterDecision]] = defaultdict(list)
    for (matter_id, _perspective), decision in sorted(decisions.items()):
        by_matter[matter_id].append(decision)
    flagged = {row.matter.pk for row in needs_note(scored)}
    missing = missing_notes(scored, decisions)
    can_change = request.user.has_perm(CHANGE)
    return render(
        request,
        "double/dma_results.html",
        {
            "dma": dma,
            "results": scored,
            "rows": [
                (row, by_matter.get(row.matter.pk, []), row.matter.pk in flagged)
                for row in scored.matters
            ],
            # While raters still rate, the figures move with every rating.
            "provisional": dma.status in (DmaStatus.CONTEXT, DmaStatus.LONG_LIST, DmaStatus.RATING),
            "can_change": can_change,
            "can_approve": request.user.has_perm(APPROVE),
            "can_decide": can_change and dma.status == DmaStatus.RESULTS,
            "gaps": rating_gaps(dma) if dma.status == DmaStatus.RATING else [],
            "missing": missing,
            "approvers": list(approvers()) if can_change else [],
            "perspectives": Perspective.choices,
            "approval": approval_of(dma) if dma.status == DmaStatus.APPROVED else None,
            "events": dma_events(dma, limit=10),
        },
    )
