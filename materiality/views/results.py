"""The results page, the matrix files, and the confirmation steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.models import (
    AggregationRun,
    Assessment,
    AuditEntry,
    ExportJob,
    ExportStatus,
    RunStatus,
)
from materiality.reporting.breakdowns import year_over_year
from materiality.reporting.jobs import (
    ExportKind,
    audit_note,
    export_kind_name,
    export_name,
    export_request,
)
from materiality.reporting.matrix_files import CONTENT_TYPES as MATRIX_CONTENT_TYPES
from materiality.reporting.matrix_files import (
    MatrixView,
    group_count_text,
    matrix_file,
    missing_matrix_text,
)
from materiality.reporting.run_sections import run_sections
from materiality.runs.confirmation import (
    NoteError,
    ReviewError,
    run_confirm,
    run_send_back,
    run_submit_for_confirmation,
)
from materiality.runs.derived import run_freezing
from materiality.runs.describing import run_method
from materiality.runs.selectors import (
    group_count,
    latest_runs,
    previous_scored_run,
    recent_scored_runs,
    run_scores,
)
from materiality.views.access import get_assessment as _assessment
from materiality.views.access import permission_required
from surveys.translations import active_language, requested_language


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
    run_id = request.GET.get("run")
    run = (
        _run(assessment, int(run_id)) if run_id and run_id.isascii() and run_id.isdigit() else None
    )
    if request.headers.get("Accept") == "application/json":
        # What the page's script polls while a confirmed run is being frozen.
        return _freezing_state(run or assessment.published_run)
    return _results_page(request, assessment, run)


def _freezing_state(run: AggregationRun | None) -> JsonResponse:
    freezing = run_freezing(run) if run is not None else None
    if freezing is None:
        return JsonResponse({"freezing": False})
    return JsonResponse(
        {
            "freezing": True,
            "done": freezing.done,
            "total": freezing.total,
            "percent": freezing.percent,
            "done_text": _("%(done)s of %(total)s files written.")
            % {"done": freezing.done, "total": freezing.total},
        }
    )


def _results_page(
    request: HttpRequest,
    assessment: Assessment,
    run: AggregationRun | None,
    *,
    note_error: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The results page of *run* (by default the published or latest scored one);
    *note_error* is (form, message) for a confirmation form whose note was refused."""
    runs = latest_runs(assessment)
    run = run or assessment.published_run or runs.scored
    context: dict[str, Any] = {"assessment": assessment, "run": run, "runs": runs}
    if note_error is not None:
        form, message = note_error
        context["note_form"], context["note_error"] = form, message
        context["note_text"] = request.POST.get("note", "")
    if run is not None:
        groups = list(assessment.groups.all())
        recent = recent_scored_runs(assessment)
        # A confirmation step that is answered on this page (a note refused) posts the
        # chart language and the group the page was showing.
        params = request.POST if request.method == "POST" else request.GET
        group = next((g for g in groups if g.code == params.get("group")), None)
        # The ranking, heatmaps and sensitivity: rendered once per run and language.
        scores = run_scores(run)
        sections = run_sections(run, scores, groups, active_language())
        previous_run, movements = year_over_year(run, [row.score for row in scores])
        asked = params.get("lang", "")
        chosen_language = asked if asked in assessment.survey.languages else ""
        language = chosen_language or _chart_language(assessment, active_language())
        if group is not None:
            # The group's own n, and a message instead of a matrix without points.
            count, page_language = group_count(run, group), active_language()
            context.update(
                group_n=group_count_text(group, count, page_language),
                matrix_missing=missing_matrix_text(group, count, page_language),
            )
        show_ci = params.get("ci") == "1"
        options = {"group": group.code} if group else {}
        options.update({"ci": "1"} if show_ci else {})
        context.update(sections.context)
        context.update(
            sections=sections,
            groups=groups,
            group=group,
            # Carried by every link and form of the page that leads back to it, so that
            # the chart language and the group survive each step (only when asked for:
            # without it the charts follow the page's language).
            chosen_language=chosen_language,
            show_ci=show_ci,
            # The group and whiskers, after "?lang=…", in the matrix's address.
            matrix_options=f"&{urlencode(options)}" if options else "",
            freezing=run_freezing(run),
            previous_run=previous_run,
            movements=movements,
            audit=[
                (entry, audit_note(entry))
                for entry in AuditEntry.objects.filter(assessment=assessment)
            ],
            language=language,
            can_submit=request.user.has_perm("materiality.submit_run"),
            can_confirm=request.user.has_perm("materiality.confirm_run"),
            export_kinds=[
                (kind, export_kind_name(kind))
                for kind in (
                    ExportKind.EVIDENCE_PDF,
                    ExportKind.EVIDENCE_HTML,
                    ExportKind.SCORES_XLSX,
                    ExportKind.SCORES_CSV,
                    ExportKind.RESPONSES_XLSX,
                    ExportKind.RESPONSES_CSV,
                    ExportKind.MATRIX_PDF,
                    ExportKind.MATRIX_PNG_PRINT,
                )
            ],
            run_choices=recent,
            method=run_method(
                run, previous_scored_run(run, recent), {g.code: g.get_name() for g in groups}
            ),
            can_change_method=assessment.published_run_id is None
            and request.user.has_perm("materiality.change_assessment"),
        )
    return render(request, "materiality/results.html", context, status=status)


def _chart_language(assessment: Assessment, language: str) -> str:
    return language if language in assessment.survey.languages else assessment.survey.languages[0]


def _results_query(request: HttpRequest, run: AggregationRun) -> str:
    """The query string back to the results page after a confirmation step: the run,
    and the chart language, group and whiskers the page was showing (posted by its forms)."""
    query = {"run": str(run.pk)}
    query.update(
        {key: request.POST[key] for key in ("lang", "group", "ci") if request.POST.get(key)}
    )
    return urlencode(query)


@permission_required("materiality.view_assessment")
def run_matrix(request: HttpRequest, pk: int, run_id: int, fmt: str) -> HttpResponse:
    assessment = _assessment(pk)
    run = _run(assessment, run_id)
    if fmt not in MATRIX_CONTENT_TYPES:
        raise Http404
    language = _chart_language(assessment, requested_language(request))
    group = None
    if request.GET.get("group"):
        group = get_object_or_404(assessment.groups, code=request.GET["group"])
        missing = missing_matrix_text(group, group_count(run, group), language)
        if missing:  # never a blank matrix; the page shows this message instead
            return HttpResponseNotFound(missing, content_type="text/plain; charset=utf-8")
    view = MatrixView(language=language, group=group, show_ci=request.GET.get("ci") == "1")
    response = HttpResponse(matrix_file(run, view, fmt), content_type=MATRIX_CONTENT_TYPES[fmt])
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{view.file_name(run, fmt)}"'
    return response


def _review(
    request: HttpRequest, pk: int, run_id: int, step: Callable[..., None], done: str, form: str
) -> HttpResponse:
    assessment = _assessment(pk)
    run = _run(assessment, run_id)
    try:
        step(run=run, user=request.user, note=request.POST.get("note", ""))
    except NoteError as error:
        # Said beside the note, where the reader is (the form posts to #confirmation),
        # with what they typed; not in a banner at the top of a long page.
        return _results_page(request, assessment, run, note_error=(form, str(error)), status=400)
    except ReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    url = reverse("materiality:results", args=[pk])
    return redirect(f"{url}?{_results_query(request, run)}#confirmation")


@require_POST
@permission_required("materiality.submit_run")
def run_submit(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(
        request,
        pk,
        run_id,
        run_submit_for_confirmation,
        _("Submitted for confirmation."),
        "submit",
    )


@require_POST
@permission_required("materiality.confirm_run")
def run_confirm_view(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(
        request,
        pk,
        run_id,
        run_confirm,
        _("Confirmed: this is now the published result."),
        "confirm",
    )


@require_POST
@permission_required("materiality.confirm_run")
def run_send_back_view(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    return _review(request, pk, run_id, run_send_back, _("Sent back to the ESG team."), "send-back")


@require_POST
@permission_required("materiality.view_assessment")
def export_new(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(pk)
    try:
        kind = ExportKind(request.POST.get("kind", ""))
    except ValueError:
        raise Http404 from None
    run = None
    if not kind.of_assessment:
        run_id = request.POST.get("run", "")
        if not (run_id.isascii() and run_id.isdigit()):
            raise Http404
        run = _run(assessment, int(run_id))
    language = request.POST.get("language", "")
    if language not in assessment.survey.languages:
        language = assessment.survey.languages[0]
    job = export_request(
        assessment=assessment, kind=kind, language=language, run=run, user=request.user
    )
    return redirect("materiality:export", pk=pk, job_id=job.pk)


@permission_required("materiality.view_assessment")
def export_status(request: HttpRequest, pk: int, job_id: int) -> HttpResponse:
    assessment = _assessment(pk)
    job = get_object_or_404(ExportJob, pk=job_id, assessment=assessment)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"status": job.status, "progress": job.progress, "error": job.error})
    context = {"assessment": assessment, "job": job, "name": export_name(job.kind, job.language)}
    return render(request, "materiality/export.html", context)


@permission_required("materiality.view_assessment")
def export_download(request: HttpRequest, pk: int, job_id: int) -> FileResponse:
    assessment = _assessment(pk)
    job = get_object_or_404(ExportJob, pk=job_id, assessment=assessment, status=ExportStatus.DONE)
    response = FileResponse(default_storage.open(job.path, "rb"), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response
