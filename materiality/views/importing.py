"""Importing replies collected with another tool: upload a CSV/XLSX file, map its
columns and values, check every row, import (in a Celery task when large) and follow
the progress.

Thin views: the forms turn the user's choices into a `ReplyMapping`; reading, checking,
storing and progress live in `materiality.importing`. `urlpatterns` is included from
`materiality.urls` (namespace "materiality").
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from materiality.importing.checking import MAX_REPORTED_ERRORS
from materiality.importing.context import ReplySheet, import_context
from materiality.importing.duplicates import (
    imported_before_message,
    imported_file_find,
    sheet_digest,
)
from materiality.importing.forms import ColumnMappingForm, ReplyUploadForm, ValueMappingForm
from materiality.importing.jobs import (
    ImportProgress,
    ImportState,
    import_progress,
    import_progress_forget,
    reply_import_start,
)
from materiality.importing.mapping import ReplyMapping
from materiality.importing.quality import quality_lines
from materiality.importing.replies import FileCheck, reply_file_check
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.importing.tables import SpreadsheetError, column_letter, read_table_start
from materiality.importing.tool_questionnaire import tool_questionnaire_text
from materiality.importing.uploads import (
    ReplyImportJob,
    import_job_create,
    import_job_discard,
    import_job_load,
    import_job_start,
)
from materiality.models import Assessment
from materiality.views.access import get_assessment, permission_required
from surveys.models import SurveyStatus
from surveys.translations import requested_language

CHANGE = "materiality.change_assessment"


# --- Views ----------------------------------------------------------------------------


def _job(assessment: Assessment, import_id: uuid.UUID) -> ReplyImportJob | None:
    job = import_job_load(import_id.hex)
    if job is not None and job.assessment_id != assessment.pk:
        raise Http404
    return job


def _to_progress(assessment: Assessment, import_id: str) -> HttpResponse:
    return redirect(
        "materiality:replies-import-progress", pk=assessment.pk, import_id=uuid.UUID(import_id)
    )


@permission_required(CHANGE)
def reply_import_upload(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_assessment(pk)
    form = ReplyUploadForm(request.POST or None, request.FILES or None)
    # Replies can only join a questionnaire whose questions are fixed: editing a draft
    # rebuilds its questions and would drop the imported answers.
    draft = assessment.survey.status == SurveyStatus.DRAFT
    if request.method == "POST" and not draft and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            # A large file's first rows only (a worker reads it whole at the import).
            start = read_table_start(upload.name, content)
            sheet = ReplySheet.from_table(start.rows)
        except SpreadsheetError as error:
            form.add_error("file", str(error))
        else:
            if start.complete:  # a large file's digest is the worker's to compare
                digest = sheet_digest(sheet)
                before = imported_file_find(assessment_id=assessment.pk, digest=digest)
                if before is not None:
                    form.add_error("file", imported_before_message(before))
        if form.is_valid():
            job = import_job_create(
                assessment=assessment,
                user=request.user,
                file_name=upload.name,
                content=content,
                language=get_language() or "",
            )
            return redirect("materiality:replies-import-map", pk=pk, import_id=uuid.UUID(job.id))
    status = 400 if request.method == "POST" else 200
    context = {"assessment": assessment, "form": form, "draft": draft}
    return render(request, "materiality/import_upload.html", context, status=status)


@permission_required(CHANGE)
def reply_import_map(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    job = _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if job is None or (progress is not None and progress.active):
        if progress is None:
            raise Http404
        return _to_progress(assessment, import_id.hex)  # imported, or being imported
    try:
        start = import_job_start(job)
        sheet = ReplySheet.from_table(start.rows)
    except (SpreadsheetError, FileNotFoundError):
        import_job_discard(job.id)
        messages.error(request, _("The uploaded file can no longer be read: upload it again."))
        return redirect("materiality:replies-import", pk=pk)
    context = import_context(assessment)
    suggestion = reply_mapping_suggest(sheet, context)
    data = request.POST if request.method == "POST" else None
    column_form = ColumnMappingForm(data, sheet=sheet, context=context, suggestion=suggestion)
    columns = column_form.mapping() if column_form.is_valid() else suggestion
    value_form = ValueMappingForm(data, context=context, sheet=sheet, columns=columns)
    page: dict[str, Any] = {
        "assessment": assessment,
        "job": job,
        "import_id": import_id,
        "sheet": sheet,
        "column_form": column_form,
        "value_form": value_form,
        "column_and_value_forms": (column_form, value_form),
        "columns": _column_overview(sheet, columns),
        "partial": not start.complete,
    }
    if data is None:
        return render(request, "materiality/import_mapping.html", page)
    if not (column_form.is_valid() and value_form.is_valid()):
        return render(request, "materiality/import_mapping.html", page, status=400)
    mapping = value_form.mapping()
    action = request.POST.get("action")
    if action == "mapping":
        return _mapping_file(job, mapping)
    checked = reply_file_check(
        assessment=assessment,
        sheet=sheet,
        context=context,
        mapping=mapping,
        file_name=job.file_name,
        preview=action != "import",
    )
    page["check"] = _report(checked)
    if action != "import":
        return render(request, "materiality/import_mapping.html", page)  # a check only
    if not checked.storable:
        return render(request, "materiality/import_mapping.html", page, status=400)
    # Small files are stored now, large ones by a worker: either way the progress page
    # shows what happened (and is the record of the import while it is cached).
    reply_import_start(
        job=job, mapping=mapping, context=context, checked=checked, complete=start.complete
    )
    return _to_progress(assessment, job.id)


def _mapping_file(job: ReplyImportJob, mapping: ReplyMapping) -> HttpResponse:
    """The mapping as chosen on the page, as the JSON file `import_replies --mapping`
    reads: the page's choices replayed on the command line."""
    content = json.dumps(mapping.as_dict(), ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    name = f"{job.file_name.rsplit('.', 1)[0]}.mapping.json"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response


@require_POST
@permission_required(CHANGE)
def reply_import_cancel(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if progress is not None and progress.active:
        messages.error(request, _("This import is running and can no longer be cancelled."))
        return _to_progress(assessment, import_id.hex)
    import_job_discard(import_id.hex)
    import_progress_forget(import_id.hex)
    messages.success(request, _("Import cancelled. The uploaded file was deleted."))
    return redirect("materiality:assessment", pk=pk)


@permission_required(CHANGE)
def reply_import_progress(request: HttpRequest, pk: int, import_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(pk)
    job = _job(assessment, import_id)
    progress = import_progress(import_id.hex)
    if progress is None or progress.assessment_id != assessment.pk:
        if job is not None:
            return redirect("materiality:replies-import-map", pk=pk, import_id=import_id)
        raise Http404
    page = {
        "assessment": assessment,
        "import_id": import_id,
        "progress": progress,
        "can_map_again": job is not None and not progress.active,
        "summary": _imported_message(progress) if progress.state == ImportState.DONE else "",
    }
    return render(request, "materiality/import_progress.html", page)


def _report(checked: FileCheck) -> dict[str, Any]:
    check = checked.check
    return {
        "ok": not check.errors,
        "storable": checked.storable,
        "refusal": checked.refusal(),
        "imported_before": (
            imported_before_message(checked.imported_before) if checked.imported_before else ""
        ),
        "rows": len(check.rows),
        "error_rows": len(check.error_lines),
        "errors": check.errors[:MAX_REPORTED_ERRORS],
        "more_errors": max(0, len(check.errors) - MAX_REPORTED_ERRORS),
        "left_out": check.left_out[:MAX_REPORTED_ERRORS],
        "left_out_count": len(check.left_out),
        "already_imported": check.already_imported[:MAX_REPORTED_ERRORS],
        "already_imported_count": len(check.already_imported),
        "quality": quality_lines(checked.quality) if checked.quality else [],
    }


def _imported_message(progress: ImportProgress) -> str:
    return _(
        "%(count)d replies imported from “%(file)s” by %(user)s. The scores are being "
        "computed again."
    ) % {"count": progress.stored, "file": progress.file_name, "user": progress.user_name}


def _column_overview(sheet: ReplySheet, columns: ReplyMapping) -> list[dict[str, Any]]:
    used = columns.used_columns()
    return [
        {
            "letter": column_letter(index),
            "header": sheet.headers[index],
            "samples": sheet.samples(index),
            "use": used.get(index, ""),
        }
        for index in range(sheet.width)
    ]


@permission_required(CHANGE)
def tool_questionnaire(request: HttpRequest, pk: int) -> HttpResponse:
    """The questionnaire as the text file that 问卷星 and 腾讯问卷 import (`?lang=`)."""
    assessment = get_assessment(pk)
    language = requested_language(request)
    text = tool_questionnaire_text(assessment, import_context(assessment), language)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    name = f"materia-questionnaire-{assessment.pk}-{language}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path(
        "assessments/<int:pk>/questionnaire-for-survey-tools.txt",
        tool_questionnaire,
        name="tool-questionnaire",
    ),
    path("assessments/<int:pk>/replies/import/", reply_import_upload, name="replies-import"),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/",
        reply_import_map,
        name="replies-import-map",
    ),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/cancel/",
        reply_import_cancel,
        name="replies-import-cancel",
    ),
    path(
        "assessments/<int:pk>/replies/import/<uuid:import_id>/progress/",
        reply_import_progress,
        name="replies-import-progress",
    ),
]
