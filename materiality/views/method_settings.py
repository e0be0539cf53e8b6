"""The method settings page: weighting, axis source, quality filters, thresholds and
confidence intervals of an assessment, for the ESG team; read-only once a result is
confirmed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from materiality.models import Assessment
from materiality.runs.describing import option_lines
from materiality.runs.method import (
    MethodLocked,
    current_options,
    method_editable,
    method_groups,
    method_update,
)
from materiality.runs.method_form import MethodForm
from materiality.views.access import get_assessment as _assessment
from materiality.views.access import permission_required


@permission_required("materiality.change_assessment")
def method_settings_page(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    if not method_editable(assessment):
        refused = request.method == "POST"
        if refused:
            messages.error(request, str(MethodLocked.message))
        return _locked_page(request, assessment, status=403 if refused else 200)
    form = MethodForm(request.POST if request.method == "POST" else None, instance=assessment)
    if form.is_bound and form.is_valid():
        try:
            run = method_update(assessment=assessment, user=request.user, settings=form.settings())
        except MethodLocked:  # confirmed while the form was being filled in
            messages.error(request, str(MethodLocked.message))
            return _locked_page(request, assessment, status=403)
        if run is None:
            messages.info(request, _("Nothing changed: the settings are as they were."))
            return redirect("materiality:method-settings", pk=pk)
        messages.success(
            request, _("Method settings saved. The scores are being computed with them.")
        )
        return redirect(f"{reverse('materiality:assessment', args=[pk])}#scores")
    context: dict[str, Any] = {"assessment": assessment, "form": form, "editable": True}
    return render(
        request,
        "materiality/method_settings.html",
        context,
        status=400 if form.is_bound else 200,
    )


def _locked_page(request: HttpRequest, assessment: Assessment, *, status: int) -> HttpResponse:
    groups = method_groups(assessment)
    lines = option_lines(
        current_options(assessment, groups), {group.code: group.name for group in groups}
    )
    context = {
        "assessment": assessment,
        "editable": False,
        "lines": [line for line in lines if line.shown],
    }
    return render(request, "materiality/method_settings.html", context, status=status)
