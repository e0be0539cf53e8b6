"""The review steps of a DMA, as forms on its results page: close rating, decision notes
(and overrides) per matter, submit for review, approve or send back. Each view checks
the role's permission, calls one service and returns to the results page with what
happened (or what stands in the way) as a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.double.decisions import DecisionInput, decision_record
from materiality.double.models import DoubleAssessment, Matter, Perspective
from materiality.double.review import (
    NoteRefused,
    dma_approve,
    dma_close_rating,
    dma_send_back,
    dma_submit_for_review,
)
from materiality.double.views.results import results_page
from materiality.views.access import permission_required

CHANGE = "double.change_doubleassessment"
APPROVE = "double.approve_doubleassessment"
MATERIAL_CHOICES = {"": None, "yes": True, "no": False}


def _back(pk: int, anchor: str = "review") -> HttpResponse:
    return redirect(f"{reverse('double:results', args=[pk])}#{anchor}")


def _step(
    request: HttpRequest,
    pk: int,
    act: Callable[[DoubleAssessment], object],
    done: str,
    form: str = "",
) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    try:
        act(dma)
    except NoteRefused as error:
        # Beside the note, where the reader is, with what they typed; not in a banner
        # at the top of a long page.
        return results_page(request, dma, note_error=(form, error.messages[0]), status=400)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return _back(pk)


@require_POST
@permission_required(CHANGE)
def close_rating(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request,
        pk,
        lambda dma: dma_close_rating(dma=dma, actor=request.user),
        _("Rating is closed. Write the decision notes, then submit the results for review."),
    )


@require_POST
@permission_required(CHANGE)
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _step(
        request,
        pk,
        lambda dma: dma_submit_for_review(dma=dma, actor=request.user, note=note),
        _("The results are submitted to the decision group for review."),
        "submit",
    )


@require_POST
@permission_required(APPROVE)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _step(
        request,
        pk,
        lambda dma: dma_approve(dma=dma, actor=request.user, note=note),
        _("The results are approved and frozen."),
        "approve",
    )


@require_POST
@permission_required(APPROVE)
def send_back(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _step(
        request,
        pk,
        lambda dma: dma_send_back(dma=dma, actor=request.user, note=note),
        _("The results are sent back to the ESG team."),
        "send-back",
    )


@require_POST
@permission_required(CHANGE)
def decision(request: HttpRequest, pk: int, matter_id: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    matter = get_object_or_404(Matter, pk=matter_id)
    anchor = f"matter-{matter.pk}"
    approver = None
    approver_id = request.POST.get("approver", "").strip()
    if approver_id:
        approver = (
            get_user_model().objects.filter(pk=approver_id if approver_id.isdigit() else 0).first()
        )
        if approver is None:
            messages.error(request, _("Choose the approver from the list."))
            return _back(pk, anchor)
    data = DecisionInput(
        matter=matter,
        note=request.POST.get("note", ""),
        perspective=request.POST.get("perspective", Perspective.BOTH),
        final_value=request.POST.get("final_value", ""),
        material_final=MATERIAL_CHOICES.get(request.POST.get("material_final", "")),
        reason=request.POST.get("reason", ""),
        approver=approver,
    )
    try:
        decision_record(dma=dma, data=data, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Decision note recorded."))
    return _back(pk, anchor)
