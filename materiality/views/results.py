"""The results page, the matrix files, and the confirmation steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.aggregation import latest_runs
from materiality.confirmation import (
    ReviewError,
    run_confirm,
    run_send_back,
    run_submit_for_confirmation,
)
from materiality.matrix import CONTENT_TYPES as MATRIX_CONTENT_TYPES
from materiality.matrix import MatrixView, matrix_file
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditEntry,
    RunStatus,
)
from materiality.results import heatmaps_and_sides, sensitivity, year_over_year
from materiality.selectors import run_scores
from materiality.views.access import get_assessment as _assessment
from materiality.views.access import permission_required


def _run(assessment: Assessment, run_id: int) -> AggregationRun:
    return get_object_or_404(
        AggregationRun.objects.select_related("assessment__survey"),
        pk=run_id,
        assessment=assessment,
        status=RunStatus.SUCCEEDED,
    )


@permission_required("materiality.view_assessment")
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    runs = latest_runs(assessment)
    run_id = request.GET.get("run")
    run = (
        _run(assessment, int(run_id))
        if run_id and run_id.isdigit()
        else (assessment.published_run or runs.scored)
    )
    context: dict[str, Any] = {"assessment": assessment, "run": run, "runs": runs}
    if run is not None:
        groups = list(assessment.groups.all())
        group = next((g for g in groups if g.code == request.GET.get("group")), None)
        scores = run_scores(run)
        topics = [row.score.topic for row in scores]
        heatmaps, sides = heatmaps_and_sides(run, topics, groups)
        variant_list, sensitivity_rows = sensitivity(run)
        previous_run, movements = year_over_year(run)
        language = request.GET.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
        context.update(
            scores=scores,
            groups=groups,
            group=group,
            show_ci=request.GET.get("ci") == "1",
            heatmaps=heatmaps,
            sides=sides,
            variants=variant_list,
            sensitivity=sensitivity_rows,
            previous_run=previous_run,
            movements=movements,
            audit=AuditEntry.objects.filter(assessment=assessment).select_related("run"),
            language=language
            if language in assessment.survey.languages
            else assessment.survey.languages[0],
            can_submit=request.user.has_perm("materiality.submit_run"),
            can_confirm=request.user.has_perm("materiality.confirm_run"),
            run_choices=AggregationRun.objects.filter(
                assessment=assessment, status=RunStatus.SUCCEEDED
            ).order_by("-pk")[:20],
        )
    return render(request, "materiality/results.html", context)


@permission_required("materiality.view_assessment")
def run_matrix(request: HttpRequest, pk: int, run_id: int, fmt: str) -> HttpResponse:
    assessment = _assessment(pk)
    run = _run(assessment, run_id)
    if fmt not in MATRIX_CONTENT_TYPES:
        raise Http404
    language = request.GET.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
    if language not in assessment.survey.languages:
        language = assessment.survey.languages[0]
    group = None
    if request.GET.get("group"):
        group = get_object_or_404(assessment.groups, code=request.GET["group"])
    view = MatrixView(language=language, group=group, show_ci=request.GET.get("ci") == "1")
    response = HttpResponse(matrix_file(run, view, fmt), content_type=MATRIX_CONTENT_TYPES[fmt])
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{view.file_name(run, fmt)}"'
    return response


def _review(
    request: HttpRequest, pk: int, run_id: int, step: Callable[..., None], done: str
) -> HttpResponse:
    assessment = _assessment(pk)
    run = _run(assessment, run_id)
    try:
        step(run=run, user=request.user, note=request.POST.get("note", ""))
    except ReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(f"{reverse('materiality:results', args=[pk])}?run={run.pk}#confirmation")


@require_POST
@permission_required("materiality.submit_run")
def run_submit(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(
        request, pk, run_id, run_submit_for_confirmation, _("Submitted for confirmation.")
    )


@require_POST
@permission_required("materiality.confirm_run")
def run_confirm_view(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(
        request, pk, run_id, run_confirm, _("Confirmed: this is now the published result.")
    )


@require_POST
@permission_required("materiality.confirm_run")
def run_send_back_view(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(request, pk, run_id, run_send_back, _("Sent back to the ESG team."))
