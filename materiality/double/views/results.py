"""The results page of a DMA: each matter's impact and financial score, whether it is
material and what needs a documented judgement, the survey's scores beside it, and how
each IRO's score was reached. For the ESG team and the decision group (who both hold
the DMA's view permission); the figures are computed on each visit from the ratings in
force, until the review slice freezes them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from materiality.double.models import DmaStatus, DoubleAssessment
from materiality.double.results import dma_results
from materiality.views.access import permission_required

VIEW = "double.view_doubleassessment"


@permission_required(VIEW)
def results(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    return render(
        request,
        "double/dma_results.html",
        {
            "dma": dma,
            "results": dma_results(dma),
            # While raters still rate, the figures move with every rating.
            "provisional": dma.status in (DmaStatus.CONTEXT, DmaStatus.LONG_LIST, DmaStatus.RATING),
        },
    )
