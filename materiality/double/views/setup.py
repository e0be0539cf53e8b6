"""The DMA setup pages: the list, a new DMA, its overview with the next step, its
context and matters, its rating panel, and the start of rating.

Thin views: fetch what the user may see, validate a form, call a service, redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.double.company_matters import dma_matters, matter_add
from materiality.double.forms import ContextForm, DmaForm, MatterForm, RaterForm
from materiality.double.models import DoubleAssessment, Rater, RaterRole
from materiality.double.overview import dma_overview, dmas_for_list, matters_by_pack, panel
from materiality.double.raters_service import (
    RaterRemoval,
    rater_add,
    rater_field_errors,
    rater_remove,
)
from materiality.double.setup import (
    EDITABLE,
    dma_context_save,
    dma_create,
    dma_rating_open,
    dma_update,
)
from materiality.views.access import permission_required

VIEW = "double.view_doubleassessment"
CHANGE = "double.change_doubleassessment"


def get_dma(pk: int) -> DoubleAssessment:
    return get_object_or_404(DoubleAssessment, pk=pk)


def _messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


@permission_required(VIEW)
def dma_list(request: HttpRequest) -> HttpResponse:
    return render(request, "double/dma_list.html", {"dmas": dmas_for_list()})


@permission_required("double.add_doubleassessment")
def dma_new(request: HttpRequest) -> HttpResponse:
    form = DmaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dma = dma_create(data=form.to_input(), actor=request.user)
        except ValidationError as error:  # a pack missing: nothing the form could see
            for message in _messages(error):
                form.add_error(None, message)
        else:
            messages.success(request, _("Assessment created. Describe its context next."))
            return redirect("double:dma", pk=dma.pk)
    status = 400 if form.is_bound else 200
    return render(request, "double/dma_setup_form.html", {"form": form}, status=status)


@permission_required(CHANGE)
def dma_edit(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    if dma.status not in EDITABLE:
        messages.error(request, _("Once rating has started the assessment can no longer change."))
        return redirect("double:dma", pk=pk)
    form = DmaForm(request.POST or None, instance=dma)
    if request.method == "POST" and form.is_valid():
        try:
            dma_update(dma=dma, data=form.to_input(), actor=request.user)
        except ValidationError as error:
            for message in _messages(error):
                form.add_error(None, message)
        else:
            messages.success(request, _("Assessment saved."))
            return redirect("double:dma", pk=pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "dma": dma}
    return render(request, "double/dma_setup_form.html", context, status=status)


@permission_required(VIEW)
def dma_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_object_or_404(DoubleAssessment.objects.select_related("survey_assessment"), pk=pk)
    context = {
        "dma": dma,
        "overview": dma_overview(dma),
        "can_change": request.user.has_perm(CHANGE),
        "editable": dma.status in EDITABLE,
        "packs": list(dma.packs.all()),
    }
    return render(request, "double/dma_detail.html", context)


def _context_page(
    request: HttpRequest, dma: DoubleAssessment, status: int = 200, **forms: Any
) -> HttpResponse:
    matters = dma_matters(dma).order_by("pack__framework", "order", "pk")
    context = {
        "dma": dma,
        "context_form": forms.get("context_form") or ContextForm(initial={"context": dma.context}),
        "matter_form": forms.get("matter_form") or MatterForm(matters=matters),
        "packs": matters_by_pack(dma, own_title=_("Company-specific matters")),
        "can_change": request.user.has_perm(CHANGE),
        "can_add_matter": request.user.has_perm("double.add_matter"),
        "editable": dma.status in EDITABLE,
    }
    return render(request, "double/dma_setup_context.html", context, status=status)


@permission_required(VIEW)
def dma_context(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    if request.method != "POST":
        return _context_page(request, dma)
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    form = ContextForm(request.POST)
    if form.is_valid():
        advance = "advance" in request.POST
        try:
            dma_context_save(
                dma=dma, context=form.cleaned_data["context"], actor=request.user, advance=advance
            )
        except ValidationError as error:
            for message in _messages(error):
                form.add_error("context", message)
        else:
            if advance:
                messages.success(request, _("Context saved. Next, draw up the long list."))
                return redirect("double:register", pk=pk)
            messages.success(request, _("Context saved."))
            return redirect("double:dma-context", pk=pk)
    return _context_page(request, dma, status=400, context_form=form)


@require_POST
@permission_required("double.add_matter")
def matter_new(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    form = MatterForm(request.POST, matters=dma_matters(dma))
    if form.is_valid():
        data = form.cleaned_data
        try:
            matter = matter_add(
                dma=dma,
                name=data["name"],
                parent=data["parent"],
                dimension=data["dimension"],
                reference=data["reference"],
                actor=request.user,
            )
        except ValidationError as error:
            for message in _messages(error):
                form.add_error(None, message)
        else:
            messages.success(request, _("Matter added: %(name)s.") % {"name": matter.get_name()})
            return redirect("double:dma-context", pk=pk)
    return _context_page(request, dma, status=400, matter_form=form)


@require_POST
@permission_required(CHANGE)
def dma_start(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    try:
        dma_rating_open(dma=dma, actor=request.user)
    except ValidationError as error:
        for message in _messages(error):
            messages.error(request, message)
    else:
        messages.success(
            request, _("Rating has started. The methodology in force is frozen as version 1.")
        )
    return redirect("double:dma", pk=pk)


def _raters_page(
    request: HttpRequest, dma: DoubleAssessment, form: RaterForm, status: int = 200
) -> HttpResponse:
    context = {
        "dma": dma,
        "raters": panel(dma),
        "form": form,
        "can_add": request.user.has_perm("double.add_rater"),
        "can_remove": request.user.has_perm("double.delete_rater"),
    }
    return render(request, "double/dma_setup_raters.html", context, status=status)


@permission_required("double.view_rater")
def raters(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    if request.method != "POST":
        return _raters_page(request, dma, RaterForm())
    if not request.user.has_perm("double.add_rater"):
        raise PermissionDenied
    form = RaterForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    errors, _user = rater_field_errors(
        dma=dma,
        username=data.get("username", ""),
        name=data.get("name", ""),
        role=data.get("role", "") or RaterRole.INTERNAL_EXPERT,  # a missing role is the form's
    )
    for field, field_messages in errors.items():
        if field not in form.errors:  # one message a field, all fields at once
            for message in field_messages:
                form.add_error(field or None, message)
    if form.is_valid():
        rater = rater_add(dma=dma, actor=request.user, **form.cleaned_data)
        messages.success(request, _("%(name)s joins the panel.") % {"name": rater.name})
        return redirect("double:raters", pk=pk)
    return _raters_page(request, dma, form, status=400)


@require_POST
@permission_required("double.delete_rater")
def rater_delete(request: HttpRequest, pk: int, rater_id: int) -> HttpResponse:
    rater = get_object_or_404(Rater.objects.select_related("dma"), pk=rater_id, dma_id=pk)
    try:
        removed = rater_remove(rater=rater, actor=request.user)
    except ValidationError as error:
        for message in _messages(error):
            messages.error(request, message)
    else:
        if removed == RaterRemoval.REMOVED:
            messages.success(request, _("%(name)s was removed.") % {"name": rater.name})
        else:
            messages.success(
                request,
                _(
                    "%(name)s has rated, so their ratings are kept: they are off the panel "
                    "and rate no more."
                )
                % {"name": rater.name},
            )
    return redirect("double:raters", pk=pk)
