"""The methodology page of a DMA: the settings in force with plain help, a form to change
them before approval (before rating the draft, after it a new version with a note), and
every version with what changed. Read-only once approved, and for the decision group
(who may read it: the results name the version they were scored with)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from materiality.double.methodology import MethodologyChange, methodology_set
from materiality.double.methodology_form import MethodologyForm
from materiality.double.methodology_history import MethodologyPage, methodology_page
from materiality.double.models import DmaStatus, DoubleAssessment
from materiality.views.access import permission_required

VIEW = "double.view_doubleassessment"
CHANGE = "double.change_doubleassessment"
BEFORE_RATING = (DmaStatus.CONTEXT, DmaStatus.LONG_LIST)


@permission_required(VIEW)
def methodology(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment, pk=pk)
    page = methodology_page(dma)
    can_change = request.user.has_perm(CHANGE)
    editable = can_change and dma.status != DmaStatus.APPROVED
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        if not editable:
            messages.error(request, _("An approved assessment's methodology cannot change."))
            return _page(request, dma, page, None, status=403)
    drafting = page.version is None and dma.status in BEFORE_RATING
    form = (
        MethodologyForm(
            request.POST if request.method == "POST" else None,
            settings=page.settings,
            note_required=not drafting,
        )
        if editable
        else None
    )
    if form is not None and form.is_bound and form.is_valid():
        try:
            change, version = methodology_set(
                dma=dma,
                settings=form.settings(),
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:  # approved or started meanwhile
            for message in error.messages:
                form.add_error(None, message)
        else:
            if change == MethodologyChange.UNCHANGED:
                messages.info(request, _("Nothing changed: the settings are as they were."))
            elif change == MethodologyChange.DRAFT_SAVED:
                messages.success(
                    request,
                    _("Settings saved. Rating starts with them frozen as methodology version 1."),
                )
            elif version is not None:
                messages.success(
                    request,
                    _("Methodology version %(number)d is frozen and now in force.")
                    % {"number": version.number},
                )
            return redirect("double:methodology", pk=pk)
    status = 400 if form is not None and form.is_bound else 200
    return _page(request, dma, page, form, status=status)


def _page(
    request: HttpRequest,
    dma: DoubleAssessment,
    page: MethodologyPage,
    form: MethodologyForm | None,
    *,
    status: int,
) -> HttpResponse:
    context = {
        "dma": dma,
        "page": page,
        "form": form,
        "drafting": dma.status in BEFORE_RATING and page.version is None,
    }
    return render(request, "double/dma_methodology.html", context, status=status)
