"""Aggregation runs: trigger one, poll its status, read its scores overall and per group,
its sensitivity table and its matrix files.

Thin over what the results page calls (materiality.runs.*, materiality.reporting.*):
the same run request and audit entry, the same scores, names, counts and files.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.runs_serializers import (
    GroupScoresSerializer,
    RunDetailSerializer,
    RunGroupSerializer,
    RunScoresSerializer,
    RunSerializer,
    SensitivitySerializer,
)
from materiality.models import AggregationRun, Assessment, RunStatus, StakeholderGroup
from materiality.reporting.breakdowns import run_sensitivity
from materiality.reporting.matrix_files import (
    CONTENT_TYPES,
    MatrixView,
    group_count_text,
    matrix_file,
    missing_matrix_text,
)
from materiality.runs.describing import run_method, variant_name
from materiality.runs.requests import aggregation_request_by
from materiality.runs.selectors import (
    GroupCount,
    applied_thresholds,
    group_count,
    group_counts,
    group_scores,
    run_scores,
    scored_run,
)
from materiality.templatetags.scores import tier_label
from materiality.views.access import get_assessment
from surveys.translations import active_language

VIEW = "materiality.view_assessment"
CHANGE = "materiality.change_assessment"
NO_COUNT = GroupCount(company=0, stakeholder=0, placed=0)
AXIS_FIELDS = ("n", "mean", "median", "sd", "ci_low", "ci_high", "normalised")


class Conflict(APIException):
    """The object's state does not allow it now (409); the detail says why."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict with the current state."
    default_code = "conflict"


class FileRenderer(BaseRenderer):
    """Lets a caller ask for a file by its media type (``Accept: image/png``); the views
    answer the file themselves, and an error still goes out as JSON."""

    media_type = "*/*"
    format = "file"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


FILE_RENDERERS = [JSONRenderer, FileRenderer]


def get_run(run_id: int) -> AggregationRun:
    return get_object_or_404(AggregationRun.objects.select_related("assessment__survey"), pk=run_id)


def finished(run: AggregationRun) -> AggregationRun:
    """The run whose stored scores *run* stands for; 409 while it has none."""
    if run.status in (RunStatus.PENDING, RunStatus.RUNNING):
        raise Conflict(
            _(
                "Run %(id)s is not finished yet (%(progress)s%% done): poll it until its "
                "status is succeeded."
            )
            % {"id": run.pk, "progress": run.progress},
            code="run_not_finished",
        )
    try:
        return scored_run(run)
    except ValueError:
        raise Conflict(
            _("Run %(id)s failed, so it has no scores. Ask for a new run.") % {"id": run.pk},
            code="run_failed",
        ) from None


def _axis(stats: dict[str, Any] | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {key: stats.get(key) for key in AXIS_FIELDS}


# --- Runs of an assessment ------------------------------------------------------------


class AssessmentRunsView(generics.ListAPIView):
    """The assessment's runs, newest first; POST asks for a new one."""

    serializer_class = RunSerializer
    action_permissions = {"get": VIEW, "post": CHANGE}
    filterset_fields = ["status", "trigger", "review"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    queryset = AggregationRun.objects.none()  # the model, for the schema

    def get_queryset(self) -> QuerySet[AggregationRun]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        get_object_or_404(Assessment.objects.only("pk"), pk=self.kwargs["pk"])
        return AggregationRun.objects.filter(assessment_id=self.kwargs["pk"]).select_related(
            "requested_by"
        )

    @extend_schema(
        request=None,
        responses={202: RunSerializer},
        description="Ask for the scores to be computed (as the results page's button does). "
        "A run already waiting serves instead (runs coalesce). Poll the run at the "
        "address in `Location` until its status is `succeeded`.",
        examples=[
            OpenApiExample(
                "A run waiting for a worker",
                response_only=True,
                status_codes=["202"],
                value={
                    "id": 42,
                    "assessment": 7,
                    "status": "pending",
                    "status_display": "Waiting for a worker",
                    "trigger": "manual",
                    "trigger_display": "Requested by the ESG team",
                    "progress": 0,
                    "error": "",
                    "review": "",
                    "review_display": "Not submitted",
                    "scored_run": None,
                    "requested_by": "esg-member",
                    "responses_counted": 0,
                    "created_at": "2026-03-01T09:30:00Z",
                    "finished_at": None,
                },
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        run = aggregation_request_by(assessment=get_assessment(pk), user=request.user)
        run.refresh_from_db()  # run eagerly (tests, no broker): as it is now
        location = reverse("api-run", args=[run.pk])
        return Response(
            RunSerializer(run).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


# --- One run --------------------------------------------------------------------------


class RunDetailView(generics.RetrieveAPIView):
    """A run's status and progress (what the page polls), the settings it used and what
    it counted."""

    serializer_class = RunDetailSerializer
    action_permissions = {"get": VIEW}
    lookup_url_kwarg = "run_id"
    queryset = AggregationRun.objects.select_related("assessment__survey", "requested_by")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        run = getattr(self, "object", None)
        if run is not None and run.options:
            names = {group.code: group.get_name() for group in run.assessment.groups.all()}
            context["settings"] = run_method(run, None, names).lines
        return context

    def get_object(self) -> AggregationRun:
        self.object: AggregationRun = super().get_object()
        return self.object


class RunScoresView(APIView):
    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)

    @extend_schema(
        responses=RunScoresSerializer,
        description="Every topic's scores in rank order, as the results page's table: per "
        "axis the mean, its confidence interval and n; whether it is material against "
        "the thresholds. 409 until the run is done.",
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = get_run(run_id)
        scored = finished(run)
        rows = run_scores(scored)
        body = {
            "run": run.pk,
            "scored_run": scored.pk,
            "responses_counted": scored.responses_counted,
            "thresholds": applied_thresholds(scored, [row.score for row in rows]),
            "topics": [
                {
                    "rank": row.score.rank,
                    "code": row.score.topic.code,
                    "name": row.score.topic.name,
                    "dimension": row.dimension,
                    "dimension_display": row.score.topic.get_dimension_display(),
                    "company": _axis(row.company),
                    "stakeholder": _axis(row.stakeholder),
                    "material": row.score.material,
                    "tier": row.score.tier,
                    "tier_display": tier_label(row.score.tier),
                    "p_material": row.score.p_material,
                    "divergence_flag": row.score.divergence_flag,
                }
                for row in rows
            ],
        }
        return Response(RunScoresSerializer(body).data)


def _group_body(group: StakeholderGroup, count: GroupCount) -> dict[str, Any]:
    language = active_language()
    return {
        "code": group.code,
        "name": group.name,
        "internal": group.internal,
        "n": {"company": count.company, "stakeholder": count.stakeholder},
        "n_text": group_count_text(group, count, language),
        "has_matrix": bool(count.placed),
        "message": missing_matrix_text(group, count, language),
    }


class RunGroupsView(APIView):
    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)

    @extend_schema(
        responses=RunGroupSerializer(many=True),
        description="The assessment's stakeholder groups with each one's n in the run.",
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = get_run(run_id)
        scored = finished(run)
        counts = group_counts(scored)
        body = [
            _group_body(group, counts.get(group.pk, NO_COUNT))
            for group in run.assessment.groups.all()
        ]
        return Response(RunGroupSerializer(body, many=True).data)


class RunGroupScoresView(APIView):
    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)

    @extend_schema(
        responses=GroupScoresSerializer,
        description="One stakeholder group's scores per topic and axis, with the group's "
        "n. A group with no replies in the run has no topics, and `message` says so.",
    )
    def get(self, request: Request, run_id: int, code: str) -> Response:
        run = get_run(run_id)
        group = get_object_or_404(run.assessment.groups, code=code)
        scored = finished(run)
        count = group_count(scored, group)
        rows = group_scores(scored, group) if count.company or count.stakeholder else []
        body = {
            "run": run.pk,
            "scored_run": scored.pk,
            "group": _group_body(group, count),
            "message": ""
            if rows
            else _("No replies from %(group)s were counted in this run, so it has no scores.")
            % {"group": group.get_name()},
            "topics": [
                {
                    "code": topic.code,
                    "name": topic.name,
                    "dimension": topic.dimension,
                    "company": _axis(axes.get("company")),
                    "stakeholder": _axis(axes.get("stakeholder")),
                }
                for topic, axes in rows
            ],
        }
        return Response(GroupScoresSerializer(body).data)


class RunSensitivityView(APIView):
    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)

    @extend_schema(
        responses=SensitivitySerializer,
        description="Would a topic's verdict (material or not) change with another "
        "weighting of the groups, or with both thresholds moved by 0.25 points? The "
        "results page's sensitivity table.",
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = get_run(run_id)
        scored = finished(run)
        variants, rows = run_sensitivity(scored)
        body = {
            "run": run.pk,
            "scored_run": scored.pk,
            "variants": [{"key": v.key, "name": variant_name(v.key)} for v in variants],
            "topics": [
                {
                    "code": row.topic.code,
                    "name": row.topic.name,
                    "material": row.material,
                    "robust": row.robust,
                    "flips": row.flips,
                }
                for row in rows
            ],
        }
        return Response(SensitivitySerializer(body).data)


# --- The matrix files -----------------------------------------------------------------

OVERALL = "overall"


def _matrix_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "language",
            str,
            description="The chart's language: one of the survey's (zh-hans, en). "
            "Default: the request's language if the survey has it, else its first.",
        ),
        OpenApiParameter(
            "view",
            str,
            description="`overall` (the default) or a stakeholder group's code.",
        ),
        OpenApiParameter("ci", bool, description="Draw the confidence whiskers."),
    ]


class RunMatrixView(APIView):
    """The matrix files the results page serves, by language and view."""

    action_permissions = {"get": VIEW}
    extra_error_statuses = (409,)
    renderer_classes = FILE_RENDERERS
    fmt = "png"

    def get(self, request: Request, run_id: int) -> HttpResponse:
        run = get_run(run_id)
        assessment = run.assessment
        languages = assessment.survey.languages
        language = request.query_params.get("language")
        if language is None:
            asked = active_language()
            language = asked if asked in languages else languages[0]
        elif language not in languages:
            raise ValidationError(
                {"language": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(languages)}]}
            )
        view = request.query_params.get("view", OVERALL)
        group = None
        if view != OVERALL:
            group = assessment.groups.filter(code=view).first()
            if group is None:
                codes = [OVERALL, *assessment.groups.values_list("code", flat=True)]
                raise ValidationError(
                    {"view": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(codes)}]}
                )
        scored = finished(run)
        if group is not None:
            missing = missing_matrix_text(group, group_count(scored, group), language)
            if missing:
                raise Conflict(missing, code="no_matrix")
        matrix = MatrixView(
            language=language, group=group, show_ci=request.query_params.get("ci") in ("1", "true")
        )
        response = HttpResponse(
            matrix_file(scored, matrix, self.fmt), content_type=CONTENT_TYPES[self.fmt]
        )
        response["Content-Disposition"] = f'inline; filename="{matrix.file_name(scored, self.fmt)}"'
        return response


def _matrix_view(fmt: str) -> Any:
    media_type = CONTENT_TYPES[fmt]
    schema = extend_schema(
        operation_id=f"runs_matrix_{fmt}",
        parameters=_matrix_parameters(),
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description=f"The matrix as {fmt.upper()}."
            )
        },
        description="The matrix file the results page serves (kept once rendered; a "
        "confirmed run's never changes). 400 names an unknown `language` or `view`; 409 "
        "while the run is not done, or for a group with no points to place.",
    )

    # A method of its own per format: the schema is attached to the function.
    def get(self: RunMatrixView, request: Request, run_id: int) -> HttpResponse:
        return RunMatrixView.get(self, request, run_id)

    view_class: type[RunMatrixView] = type(
        f"RunMatrix{fmt.title()}View", (RunMatrixView,), {"fmt": fmt, "get": schema(get)}
    )
    return view_class.as_view()


urlpatterns: list[URLPattern | URLResolver] = [
    path("assessments/<int:pk>/runs/", AssessmentRunsView.as_view(), name="api-assessment-runs"),
    path("runs/<int:run_id>/", RunDetailView.as_view(), name="api-run"),
    path("runs/<int:run_id>/scores/", RunScoresView.as_view(), name="api-run-scores"),
    path("runs/<int:run_id>/groups/", RunGroupsView.as_view(), name="api-run-groups"),
    path(
        "runs/<int:run_id>/groups/<str:code>/scores/",
        RunGroupScoresView.as_view(),
        name="api-run-group-scores",
    ),
    path(
        "runs/<int:run_id>/sensitivity/", RunSensitivityView.as_view(), name="api-run-sensitivity"
    ),
    *(
        path(f"runs/<int:run_id>/matrix.{fmt}", _matrix_view(fmt), name=f"api-run-matrix-{fmt}")
        for fmt in ("png", "svg", "pdf")
    ),
]
