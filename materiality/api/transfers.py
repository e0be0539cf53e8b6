"""Files in and out: exports built in the background (start, progress, download) and
imports of replies collected with another tool (start, progress).

Exports call what the results page calls (materiality.reporting.jobs); an import runs
the checks, words and storing of the import pages and of ``manage.py import_replies``
(materiality.importing.replies), with the mapping that command reads.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.parsers import TextJSONParser
from materiality.api.runs import FILE_RENDERERS, Conflict
from materiality.importing.checking import MAX_REPORTED_ERRORS
from materiality.importing.context import ReplySheet, import_context
from materiality.importing.jobs import (
    ImportProgress,
    ImportState,
    import_progress,
    reply_import_start,
)
from materiality.importing.mapping import ReplyMapping
from materiality.importing.replies import mapping_problems, reply_file_check
from materiality.importing.suggesting import reply_mapping_suggest
from materiality.importing.tables import MAX_BYTES, SpreadsheetError, read_table
from materiality.importing.uploads import import_job_create, import_job_load
from materiality.models import AggregationRun, Assessment, ExportJob, ExportStatus, RunStatus
from materiality.reporting.jobs import ExportKind, export_kind_name, export_name, export_request
from materiality.runs.selectors import latest_runs
from materiality.views.access import get_assessment
from surveys.models import SurveyStatus

VIEW = "materiality.view_assessment"
CHANGE = "materiality.change_assessment"


# --- Exports ----------------------------------------------------------------------------


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[kind.value for kind in ExportKind],
        help_text="scores-csv, scores-xlsx: Scores; responses-csv, responses-xlsx: "
        "Anonymised responses; matrix-png, matrix-png-print (300 dpi), matrix-svg, "
        "matrix-pdf: Matrix; evidence-html, evidence-pdf: Methodology and evidence pack.",
    )
    language = serializers.CharField(
        required=False, help_text="The document's language (default: the survey's first)."
    )
    run = serializers.IntegerField(
        required=False,
        help_text="The scored run, for every kind but the responses (default: the "
        "published run, else the latest scored one).",
    )


class ExportJobSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    status_display = serializers.CharField(source="get_status_display")
    kind_display = serializers.SerializerMethodField(help_text="e.g. “Scores, ranked (CSV)”.")
    name = serializers.SerializerMethodField(help_text="The kind and the document's language.")
    progress = serializers.IntegerField(help_text="Percent done, 0–100.")
    error = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField(help_text="The file's address once done.")

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "assessment",
            "run",
            "kind",
            "kind_display",
            "language",
            "name",
            "status",
            "status_display",
            "progress",
            "error",
            "filename",
            "download",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_kind_display(self, job: ExportJob) -> str:
        return export_kind_name(job.kind)

    def get_name(self, job: ExportJob) -> str:
        return export_name(job.kind, job.language)

    def get_error(self, job: ExportJob) -> str:
        return _(job.error) if job.error else ""  # kept as the English message id

    def get_download(self, job: ExportJob) -> str | None:
        if job.status != ExportStatus.DONE:
            return None
        return reverse("api-export-download", args=[job.pk])


def _export_run(assessment: Assessment, run_id: int | None) -> AggregationRun:
    if run_id is None:
        run = assessment.published_run or latest_runs(assessment).scored
        if run is None:
            raise Conflict(_("No scores have been computed yet."), code="no_scores")
        return run
    run = AggregationRun.objects.filter(
        pk=run_id, assessment=assessment, status=RunStatus.SUCCEEDED
    ).first()
    if run is None:
        raise ValidationError(
            {"run": [_("No scored run %(id)s of this assessment.") % {"id": run_id}]}
        )
    return run


class AssessmentExportsView(APIView):
    action_permissions = {"post": VIEW}
    extra_error_statuses = (409,)

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportJobSerializer},
        examples=[
            OpenApiExample(
                "The evidence pack in Chinese",
                request_only=True,
                value={"kind": "evidence-pdf", "language": "zh-hans"},
            )
        ],
        description="Start building an export, as the results page's export buttons "
        "(recorded in the audit trail). Poll the job at `Location`; download it when done.",
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = get_assessment(pk)
        given = ExportRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        kind = ExportKind(given.validated_data["kind"])
        languages = assessment.survey.languages
        language = given.validated_data.get("language", languages[0])
        if language not in languages:
            choices = ", ".join(languages)
            raise ValidationError(
                {"language": [_("Choose one of: %(choices)s.") % {"choices": choices}]}
            )
        run = (
            None if kind.of_assessment else _export_run(assessment, given.validated_data.get("run"))
        )
        job = export_request(
            assessment=assessment, kind=kind, language=language, run=run, user=request.user
        )
        job.refresh_from_db()  # built eagerly (tests, no broker): as it is now
        location = reverse("api-export", args=[job.pk])
        return Response(
            ExportJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class ExportDetailView(APIView):
    action_permissions = {"get": VIEW}

    @extend_schema(responses=ExportJobSerializer, description="An export's status and progress.")
    def get(self, request: Request, job_id: int) -> Response:
        return Response(ExportJobSerializer(get_object_or_404(ExportJob, pk=job_id)).data)


class ExportDownloadView(APIView):
    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)
    renderer_classes = FILE_RENDERERS

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, with its own media type (text/csv, application/pdf, "
                "image/png, …) and name (Content-Disposition).",
            )
        },
        description="The export's file. 409 until it is done (or when it failed).",
    )
    def get(self, request: Request, job_id: int) -> FileResponse:
        job = get_object_or_404(ExportJob, pk=job_id)
        if job.status == ExportStatus.FAILED:
            raise Conflict(
                _("This export failed: %(error)s") % {"error": _(job.error) if job.error else "—"},
                code="export_failed",
            )
        if job.status != ExportStatus.DONE:
            raise Conflict(
                _("This export is not ready yet (%(progress)s%% done).")
                % {"progress": job.progress},
                code="export_not_ready",
            )
        response = FileResponse(default_storage.open(job.path, "rb"), content_type=job.content_type)
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        return response


# --- Imports of replies -------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "object",
        "description": "The mapping of columns and values, as `manage.py import_replies "
        "--mapping` reads it (the import page downloads it). In a multipart body: the "
        "JSON as text, or a file part.",
    }
)
class MappingField(serializers.Field):
    def to_internal_value(self, data: Any) -> ReplyMapping:
        try:
            if hasattr(data, "read"):
                data = data.read().decode("utf-8")
            if isinstance(data, str | bytes):
                data = json.loads(data)
            if not isinstance(data, dict):
                raise ValueError(_("a JSON object is expected"))
            return ReplyMapping.from_dict(data)
        # RecursionError: JSON nested thousands deep stops Python's decoder.
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            raise serializers.ValidationError(
                _("This is not a mapping: %(error)s") % {"error": error}, code="invalid"
            ) from None

    def to_representation(self, value: Any) -> Any:
        return value.as_dict()


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The replies: .csv (UTF-8 or GB18030) or .xlsx, at most 5 MB."
    )
    mapping = MappingField(
        required=False,
        help_text="Without it, the mapping the import page suggests from the headers.",
    )


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="The row's number in the file (1 is the header).")
    column = serializers.CharField(help_text="The column's letter and header; empty for the row.")
    value = serializers.CharField()
    message = serializers.CharField()


IMPORT_STATES = [*(state.value for state in ImportState), "uploaded"]


class ImportProgressSerializer(serializers.Serializer):
    id = serializers.CharField()
    assessment = serializers.IntegerField(source="assessment_id")
    state = serializers.ChoiceField(
        choices=IMPORT_STATES,
        help_text="queued, running, done, failed; uploaded: a file uploaded on the import "
        "page and not mapped yet.",
    )
    file_name = serializers.CharField()
    user_name = serializers.CharField()
    total = serializers.IntegerField(help_text="Replies to store.")
    stored = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField(help_text="Why it failed, in the language of the request.")
    error_count = serializers.IntegerField(help_text="Rows with errors (skipped, or the refusal).")
    errors = RowErrorSerializer(many=True, help_text=f"At most {MAX_REPORTED_ERRORS}.")  # type: ignore[assignment]
    skipped = RowErrorSerializer(many=True)
    left_out = RowErrorSerializer(many=True)
    already_imported = RowErrorSerializer(many=True)
    already_imported_count = serializers.IntegerField()
    finished_at = serializers.DateTimeField(allow_null=True)
    run = serializers.IntegerField(
        source="run_id", allow_null=True, help_text="The scores run it asked for."
    )


def _progress_body(import_id: str, progress: ImportProgress) -> dict[str, Any]:
    return {**progress.__dict__, "id": import_id, "percent": progress.percent}


class AssessmentImportsView(APIView):
    action_permissions = {"post": CHANGE}
    extra_error_statuses = (409,)
    parser_classes = [MultiPartParser, TextJSONParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: ImportProgressSerializer},
        description="Import a file of replies with the checks of the import page: a file "
        "imported before, a mapping that does not fit it, or rows that need fixing are "
        "refused (400, every reason in `errors`) and nothing is stored. Small files are "
        "stored at once, large ones by a worker: follow the import at `Location`. 409 "
        "while the survey is a draft.",
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = get_assessment(pk)
        if assessment.survey.status == SurveyStatus.DRAFT:
            raise Conflict(
                _(
                    "Replies can be imported once the questionnaire is fixed, that is after "
                    "the survey has been opened (it may be closed again)."
                ),
                code="assessment_draft",
            )
        given = ImportRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        if (upload.size or 0) > MAX_BYTES:
            raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
        content = upload.read()
        try:
            sheet = ReplySheet.from_table(read_table(upload.name, content))
        except SpreadsheetError as error:
            raise ValidationError({"file": [str(error)]}) from None
        context = import_context(assessment)
        mapping = given.validated_data.get("mapping") or reply_mapping_suggest(sheet, context)
        problems = mapping_problems(mapping, sheet, context)
        if problems:
            raise ValidationError({"mapping": problems})
        checked = reply_file_check(
            assessment=assessment,
            sheet=sheet,
            context=context,
            mapping=mapping,
            file_name=upload.name,
            preview=False,
        )
        refusal = checked.refusal()
        if refusal:
            rows = [error.text() for error in checked.check.errors[:MAX_REPORTED_ERRORS]]
            raise ValidationError(
                {"file": [refusal], "rows": rows} if rows else {"file": [refusal]}
            )
        job = import_job_create(
            assessment=assessment,
            user=request.user,
            file_name=upload.name,
            content=content,
            language=get_language() or "",
        )
        progress = reply_import_start(job=job, mapping=mapping, context=context, checked=checked)
        location = reverse("api-import", args=[uuid.UUID(job.id)])
        body = ImportProgressSerializer(_progress_body(job.id, progress)).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class ImportDetailView(APIView):
    action_permissions = {"get": CHANGE}

    @extend_schema(
        responses=ImportProgressSerializer,
        description="An import's progress and what it found, as the import's progress page.",
    )
    def get(self, request: Request, import_id: uuid.UUID) -> Response:
        progress = import_progress(import_id.hex)
        if progress is None:
            job = import_job_load(import_id.hex)
            if job is None:
                raise NotFound()
            progress = ImportProgress(
                state="uploaded",
                file_name=job.file_name,
                user_name=job.user_name,
                assessment_id=job.assessment_id,
            )
        return Response(ImportProgressSerializer(_progress_body(import_id.hex, progress)).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "assessments/<int:pk>/exports/",
        AssessmentExportsView.as_view(),
        name="api-assessment-exports",
    ),
    path("exports/<int:job_id>/", ExportDetailView.as_view(), name="api-export"),
    path(
        "exports/<int:job_id>/download/", ExportDownloadView.as_view(), name="api-export-download"
    ),
    path(
        "assessments/<int:pk>/imports/",
        AssessmentImportsView.as_view(),
        name="api-assessment-imports",
    ),
    path("imports/<uuid:import_id>/", ImportDetailView.as_view(), name="api-import"),
]
