"""Assessments: list, read (with progress per group), create, edit while a draft, open,
close; their method settings. Thin over the services the pages call
(materiality.services, materiality.runs.method), so the rules, the audit entries and
the messages are the same. Group links and invitations: `invitations.py`; replies:
`responses.py`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.exceptions import ErrorDetail as Detail
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from materiality.api import responses
from materiality.api.assessments_serializers import (
    AssessmentDetailSerializer,
    AssessmentSerializer,
    AssessmentWriteSerializer,
    MethodReadSerializer,
    MethodSettingsSerializer,
    MethodUpdatedSerializer,
    assessment_data,
)
from materiality.models import Assessment, AssessmentGroup, AssessmentTopic
from materiality.runs.method import (
    MethodLocked,
    method_editable,
    method_groups,
    method_settings,
    method_update,
)
from materiality.runs.method_form import WEIGHT_PREFIX, MethodForm
from materiality.selectors import assessment_overview, assessments_for_list
from materiality.services import (
    assessment_close,
    assessment_create,
    assessment_open,
    assessment_update,
)
from surveys.errors import SurveyLocked
from surveys.models import SurveyStatus

VIEW = "materiality.view_assessment"
ADD = "materiality.add_assessment"
CHANGE = "materiality.change_assessment"


class StateConflict(APIException):
    """The object's state does not allow the action now (409); `code` says which state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def assessment_for(pk: Any) -> Assessment:
    """The assessment of a nested address (links, invitations, replies), or a 404."""
    return get_object_or_404(Assessment.objects.select_related("survey"), pk=pk)


def _with_vocabulary(queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Topics and groups with their names, in the assessment's order: two queries."""
    return queryset.prefetch_related(
        Prefetch(
            "assessmenttopic_set",
            queryset=AssessmentTopic.objects.select_related("topic").order_by("order", "pk"),
        ),
        Prefetch(
            "assessmentgroup_set",
            queryset=AssessmentGroup.objects.select_related("group").order_by("order", "pk"),
        ),
    )


class AssessmentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        field_name="survey__status", choices=SurveyStatus.choices, help_text="draft, open, closed"
    )

    class Meta:
        model = Assessment
        fields = ["status"]


def _detail(assessment: Assessment) -> dict[str, Any]:
    overview = assessment_overview(assessment)
    data = assessment_data(assessment)
    data["progress"] = {
        "groups": [
            {
                "code": row.code,
                "name": row.name,
                "internal": row.internal,
                "invited": row.invited,
                "started": row.started,
                "completed": row.completed,
                "percent": row.percent,
            }
            for row in overview.groups
        ],
        "started": overview.started,
        "completed": overview.completed,
        "invited": overview.invited,
        "invitations_sent": overview.invitations_sent,
    }
    return AssessmentDetailSerializer(data).data


CREATE_EXAMPLE = OpenApiExample(
    "A new assessment",
    request_only=True,
    value={
        "title": {"zh-hans": "2026 年度实质性评估", "en": "2026 materiality assessment"},
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "languages": ["zh-hans", "en"],
        "topics": ["corporate-governance", "inclusive-finance", "data-security"],
        "groups": ["customers", "employees"],
        "estimated_minutes": 10,
    },
)


@extend_schema_view(
    list=extend_schema(responses=AssessmentSerializer(many=True)),
    retrieve=extend_schema(responses=AssessmentDetailSerializer),
)
class AssessmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Assessment]
):
    """Role members read assessments; the ESG team creates, edits and opens them."""

    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "create": ADD,
        "partial_update": CHANGE,
        "open": CHANGE,
        "close": CHANGE,
    }
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["period_end", "created_at", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    extra_error_statuses = (409,)
    queryset = Assessment.objects.none()  # for the schema

    def get_queryset(self) -> QuerySet[Assessment]:
        if self.action == "list":
            return _with_vocabulary(assessments_for_list()).order_by("-period_end", "-pk")
        return _with_vocabulary(Assessment.objects.select_related("survey"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [assessment_data(assessment) for assessment in page or []]
        return self.get_paginated_response(AssessmentSerializer(rows, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(_detail(self.get_object()))

    @extend_schema(
        request=AssessmentWriteSerializer,
        responses={201: AssessmentDetailSerializer},
        examples=[CREATE_EXAMPLE],
        description="A draft assessment, its questionnaire generated from its topics.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AssessmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = assessment_create(data=serializer.to_input(), created_by=request.user)
        return Response(_detail(self._fresh(created.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AssessmentWriteSerializer(partial=True),
        responses={200: AssessmentDetailSerializer},
        description="Change a draft: fields left out stay as they are. Once the survey has "
        "opened, its topics and wording are frozen (409).",
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.get_object()
        if assessment.survey.status != SurveyStatus.DRAFT:
            raise StateConflict(str(SurveyLocked.message), code="assessment_not_draft")
        serializer = AssessmentWriteSerializer(assessment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            assessment_update(assessment=assessment, data=serializer.to_input())
        except SurveyLocked:  # opened while this request was on its way
            raise StateConflict(str(SurveyLocked.message), code="assessment_not_draft") from None
        return Response(_detail(self._fresh(assessment.pk)))

    @extend_schema(
        request=None,
        responses={200: AssessmentDetailSerializer},
        description="Open the survey to respondents (a draft, or a closed survey again): "
        "its links work from now on.",
    )
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        if assessment.survey.status == SurveyStatus.OPEN:
            raise StateConflict(_("The survey is open already."), code="assessment_open")
        assessment_open(assessment=assessment, actor=request.user)
        return Response(_detail(self._fresh(assessment.pk)))

    @extend_schema(
        request=None,
        responses={200: AssessmentDetailSerializer},
        description="Close the survey: no more answers are accepted, and the final scores "
        "are computed.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        assessment = self.get_object()
        if assessment.survey.status != SurveyStatus.OPEN:
            raise StateConflict(_("Only an open survey can be closed."), code="assessment_not_open")
        assessment_close(assessment=assessment, actor=request.user)
        return Response(_detail(self._fresh(assessment.pk)))

    def _fresh(self, pk: int) -> Assessment:
        return _with_vocabulary(Assessment.objects.select_related("survey")).get(pk=pk)


# --- Method settings -------------------------------------------------------------------


def _method_data(assessment: Assessment) -> dict[str, Any]:
    groups = method_groups(assessment)
    current = method_settings(assessment, groups)
    return {
        **asdict(current),
        "weighting": current.weighting.value,
        "axis_source": current.axis_source.value,
        "threshold_mode": current.threshold_mode.value,
        "weights": [
            {"code": group.code, "name": group.name, "weight": current.weights[group.code]}
            for group in groups
        ],
        "editable": method_editable(assessment),
    }


def _form_errors(form: MethodForm) -> dict[str, Any]:
    """The form's errors by API field: a group's weight under ``weights.<code>``."""
    errors: dict[str, Any] = {}
    for name, problems in form.errors.as_data().items():
        details = [
            Detail(message, problem.code or "invalid")
            for problem in problems
            for message in problem.messages
        ]
        if name.startswith(WEIGHT_PREFIX):
            errors.setdefault("weights", {})[name.removeprefix(WEIGHT_PREFIX)] = details
        else:
            errors["non_field_errors" if name == "__all__" else name] = details
    return errors


class MethodSettingsView(GenericAPIView[Assessment]):
    """Weighting, group weights, axis source, quality filters, thresholds and intervals
    for new runs; fixed once a result is confirmed (409)."""

    action_permissions = {"get": VIEW, "put": CHANGE}
    serializer_class = MethodReadSerializer
    extra_error_statuses = (409,)

    @extend_schema(responses=MethodReadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(MethodReadSerializer(_method_data(assessment_for(pk))).data)

    @extend_schema(
        request=MethodSettingsSerializer,
        responses={200: MethodUpdatedSerializer},
        description="Replace the settings (every field). The scores are computed again "
        "with them; `run` is that run. Every mistaken value is listed in `errors`.",
        examples=[
            OpenApiExample(
                "Equal weight per group",
                request_only=True,
                value={
                    "weighting": "equal_group",
                    "weights": [{"code": "customers", "weight": 1}],
                    "axis_source": "all_rate_both",
                    "exclude_straight_lined": True,
                    "straight_line_min_cells": None,
                    "exclude_too_fast": True,
                    "too_fast_fraction": "1/3",
                    "too_fast_seconds_per_cell": 1.0,
                    "threshold_mode": "relative",
                    "company_threshold": 0.0,
                    "stakeholder_threshold": 0.0,
                    "confidence": 0.95,
                    "bootstrap_samples": 1000,
                },
            )
        ],
    )
    def put(self, request: Request, pk: int) -> Response:
        assessment = assessment_for(pk)
        if not method_editable(assessment):
            raise StateConflict(str(MethodLocked.message), code="method_locked")
        typed = MethodSettingsSerializer(data=request.data)
        typed.is_valid(raise_exception=True)
        data = dict(typed.validated_data)
        known = {group.code for group in method_groups(assessment)}
        unknown = [row["code"] for row in data["weights"] if row["code"] not in known]
        if unknown:
            message = _("Not a stakeholder group of this assessment: %(codes)s.") % {
                "codes": ", ".join(unknown)
            }
            raise ValidationError({"weights": [message]}, code="unknown_group")
        values: dict[str, Any] = {k: v for k, v in data.items() if k != "weights"}
        if values["straight_line_min_cells"] is None:
            values["straight_line_min_cells"] = ""
        values.update({WEIGHT_PREFIX + row["code"]: str(row["weight"]) for row in data["weights"]})
        # The page's own form: its checks and messages, the method's rules included.
        form = MethodForm(values, instance=assessment)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        try:
            run = method_update(assessment=assessment, user=request.user, settings=form.settings())
        except MethodLocked:  # confirmed while this request was on its way
            raise StateConflict(str(MethodLocked.message), code="method_locked") from None
        body = {**_method_data(assessment), "run": run.pk if run else None}
        body["too_fast_fraction"] = float(body["too_fast_fraction"])
        return Response(MethodUpdatedSerializer(body).data)


router = SimpleRouter()
router.register("assessments", AssessmentViewSet, basename="api-assessment")
urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path(
        "assessments/<int:pk>/method/", MethodSettingsView.as_view(), name="api-assessment-method"
    ),
    *responses.urlpatterns,
]
