"""The IRO register (the long list): grouped by matter, filtered, each IRO added or
changed through one form, downloaded and uploaded as a workbook."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from materiality.double.company_matters import dma_matters
from materiality.double.events import dma_event_record
from materiality.double.forms import IroForm, RegisterFilterForm, RegisterUploadForm
from materiality.double.models import DmaAction, DoubleAssessment, Iro
from materiality.double.overview import register_rows
from materiality.double.register import FROZEN, iro_create, iro_update
from materiality.double.spreadsheet import register_import, register_xlsx
from materiality.double.views.setup import get_dma
from materiality.views.access import permission_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _matters(dma: DoubleAssessment) -> Any:
    return dma_matters(dma).select_related("pack").order_by("pack__framework", "order", "pk")


@permission_required("double.view_iro")
def register(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    filters = RegisterFilterForm(request.GET or None, matters=_matters(dma))
    chosen: dict[str, Any] = {}
    if filters.is_valid():
        data = filters.cleaned_data
        chosen = {
            "kind": data["kind"],
            "matter": data["matter"].pk if data["matter"] else None,
            "ratable": data["ratable"],
        }
    groups = register_rows(dma, **chosen)
    context = {
        "dma": dma,
        "filters": filters,
        "groups": groups,
        "shown": sum(len(group.rows) for group in groups),
        "total": dma.iros.count(),
        "open": dma.status not in FROZEN,
        "can_add": request.user.has_perm("double.add_iro"),
        "can_change": request.user.has_perm("double.change_iro"),
        "upload_form": RegisterUploadForm(),
    }
    status = 400 if filters.is_bound and not filters.is_valid() else 200
    return render(request, "double/dma_register.html", context, status=status)


def _iro_page(request: HttpRequest, dma: DoubleAssessment, iro: Iro | None) -> HttpResponse:
    if dma.status in FROZEN:
        messages.error(
            request, _("The register cannot change while the assessment is reviewed or approved.")
        )
        return redirect("double:register", pk=dma.pk)
    form = IroForm(request.POST or None, dma=dma, matters=_matters(dma), instance=iro)
    if request.method == "POST" and form.is_valid():
        try:
            if iro is None:
                saved = iro_create(dma=dma, data=form.to_input(), actor=request.user)
                messages.success(
                    request, _("%(reference)s added.") % {"reference": saved.reference}
                )
            else:
                saved = iro_update(iro=iro, data=form.to_input(), actor=request.user)
                messages.success(
                    request, _("%(reference)s saved.") % {"reference": saved.reference}
                )
        except ValidationError as error:  # a reference taken in the meantime
            for message in error.messages:
                form.add_error(None, str(message))
        else:
            return redirect(f"{_register_url(dma)}#iro-{saved.pk}")
    status = 400 if form.is_bound else 200
    context = {"dma": dma, "iro": iro, "form": form}
    return render(request, "double/dma_register_form.html", context, status=status)


def _register_url(dma: DoubleAssessment) -> str:
    return reverse("double:register", args=[dma.pk])


@permission_required("double.add_iro")
def iro_new(request: HttpRequest, pk: int) -> HttpResponse:
    return _iro_page(request, get_dma(pk), None)


@permission_required("double.change_iro")
def iro_edit(request: HttpRequest, pk: int, iro_id: int) -> HttpResponse:
    dma = get_dma(pk)
    iro = get_object_or_404(Iro.objects.select_related("matter"), pk=iro_id, dma=dma)
    return _iro_page(request, dma, iro)


@permission_required("double.view_iro")
def register_download(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    language = get_language()
    response = HttpResponse(register_xlsx(dma, language), content_type=XLSX)
    name = f"materia-dma-{dma.pk}-register-{language}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required("double.change_iro")
def register_upload(request: HttpRequest, pk: int) -> HttpResponse:
    dma = get_dma(pk)
    form = RegisterUploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"dma": dma, "form": form, "open": dma.status not in FROZEN}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = register_import(
                dma=dma, name=upload.name, content=upload.read(), actor=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("file", str(message))
        else:
            if not result.errors:
                dma_event_record(
                    dma=dma,
                    action=DmaAction.REGISTER_IMPORTED,
                    actor=request.user,
                    details={"created": result.created, "updated": result.updated},
                )
                messages.success(
                    request,
                    ngettext(
                        "Register read: %(created)d IRO added, %(updated)d changed.",
                        "Register read: %(created)d IROs added, %(updated)d changed.",
                        result.created,
                    )
                    % {"created": result.created, "updated": result.updated},
                )
                return redirect("double:register", pk=pk)
            context["row_errors"] = result.errors
    status = 400 if form.is_bound else 200
    return render(request, "double/dma_register_upload.html", context, status=status)
