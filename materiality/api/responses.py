"""An assessment's replies, for the ESG team: each with its ratings (topic, axis, value).

Anonymised where the assessment is anonymous, as the responses export anonymises
(materiality.reporting.response_files): no invitation, no e-mail or name, the day of
submission rather than the time, and no free-text comments unless asked for (comments
may name people). The replies are read in a fixed number of queries per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response as HttpResponse
from rest_framework.routers import SimpleRouter

from materiality.api.fields import TranslatedTextField
from materiality.api.invitations_serializers import GroupNameSerializer
from materiality.models import Assessment, StakeholderGroup
from materiality.questionnaire import IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION
from materiality.selectors import QualityRule, reply_quality_rule
from surveys.models import (
    Answer,
    OptionRole,
    Question,
    QuestionOption,
    Response,
    ResponseSource,
    ResponseStatus,
)

CHANGE = "materiality.change_assessment"


# --- Serializers -------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = TranslatedTextField(help_text="As respondents were shown it.")


class RatingSerializer(serializers.Serializer):
    topic = CodeNameSerializer()
    axis = CodeNameSerializer()
    value = serializers.IntegerField(allow_null=True, help_text="Null for “don't know”.")
    dont_know = serializers.BooleanField()


class CommentSerializer(serializers.Serializer):
    topic = CodeNameSerializer(allow_null=True, help_text="Null for the overall comment.")
    text = serializers.CharField()


class ResponseInvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)


class ResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ResponseStatus.choices)
    source = serializers.ChoiceField(choices=ResponseSource.choices)  # type: ignore[assignment]
    group = GroupNameSerializer(allow_null=True, help_text="Null until the respondent chose one.")
    side = serializers.ChoiceField(choices=["internal", "external"], allow_null=True)
    language = serializers.CharField(allow_blank=True)
    submitted_on = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField(
        allow_null=True, help_text="Null in an anonymous assessment: the day only."
    )
    started_at = serializers.DateTimeField(
        allow_null=True, help_text="Null in an anonymous assessment."
    )
    duration_seconds = serializers.IntegerField(allow_null=True)
    straight_lined = serializers.BooleanField()
    excluded = serializers.BooleanField(
        help_text="Left out by the quality rules as the method settings stand now."
    )
    invitation = ResponseInvitationSerializer(
        allow_null=True, help_text="Null in an anonymous assessment."
    )
    ratings = RatingSerializer(many=True)
    comments = CommentSerializer(
        many=True,
        help_text="Empty in an anonymous assessment unless ?comments=true is given.",
    )


# --- Reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    question_id: int | None
    overall_id: int | None
    labels: dict[tuple[str, str], dict[str, str]]  # (role, code) -> label


def _grid(assessment: Assessment) -> _Grid:
    """The importance grid as respondents saw it (its own labels): two queries."""
    ids = dict(
        Question.objects.filter(
            survey_id=assessment.survey_id, code__in=[IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION]
        ).values_list("code", "pk")
    )
    grid_id = ids.get(IMPORTANCE_QUESTION)
    options = QuestionOption.objects.filter(question__pk=grid_id or 0).values_list(
        "role", "code", "label"
    )
    return _Grid(
        question_id=grid_id,
        overall_id=ids.get(OVERALL_COMMENT_QUESTION),
        labels={(role, code): label for role, code, label in options},
    )


class _FilterBackend(filters.DjangoFilterBackend):
    def get_filterset_kwargs(self, request: Any, queryset: Any, view: Any) -> dict[str, Any]:
        return {**super().get_filterset_kwargs(request, queryset, view), "view": view}


class ResponseFilter(filters.FilterSet):
    group = filters.CharFilter(field_name="respondent_group", help_text="A group's code.")
    status = filters.ChoiceFilter(choices=ResponseStatus.choices)
    excluded = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        method="filter_excluded",
        help_text="true: the submitted replies the quality rules leave out now "
        "(straight-lined, too fast); false: the others.",
    )

    class Meta:
        model = Response
        fields = ["group", "status", "excluded"]

    def __init__(self, *args: Any, view: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = view

    def filter_excluded(self, queryset: QuerySet[Response], name: str, value: bool) -> Any:
        left_out: Q = self.view.quality_rule.excluded()
        return queryset.filter(left_out) if value else queryset.exclude(left_out)


def _boolean(request: Request, name: str, default: bool) -> bool:
    field = serializers.BooleanField()
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return bool(field.to_internal_value(raw))
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from None


COMMENTS = OpenApiParameter(
    "comments",
    OpenApiTypes.BOOL,
    description="Include free-text comments; by default only where the assessment is not "
    "anonymous.",
)


@extend_schema_view(
    list=extend_schema(parameters=[COMMENTS], responses=ResponseSerializer(many=True)),
    retrieve=extend_schema(parameters=[COMMENTS], responses=ResponseSerializer),
)
class ResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Response]
):
    """The ESG team reads the replies (the decision group reads the scores)."""

    action_permissions = {"list": CHANGE, "retrieve": CHANGE}
    serializer_class = ResponseSerializer
    filter_backends = [_FilterBackend, OrderingFilter]
    filterset_class = ResponseFilter
    ordering_fields = ["id", "submitted_at"]
    queryset = Response.objects.none()  # for the schema

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # signed in and allowed first
        self.assessment = get_object_or_404(
            Assessment.objects.select_related("survey"), pk=kwargs["assessment_pk"]
        )

    @cached_property
    def quality_rule(self) -> QualityRule:
        return reply_quality_rule(self.assessment)

    @cached_property
    def grid(self) -> _Grid:
        return _grid(self.assessment)

    def get_queryset(self) -> QuerySet[Response]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        asked = [self.grid.question_id, self.grid.overall_id]
        wanted = Answer.objects.filter(
            question_id__in=[pk for pk in asked if pk is not None]
        ).order_by("pk")
        return (
            Response.objects.filter(survey_id=self.assessment.survey_id)
            .select_related("invitation")
            .prefetch_related(Prefetch("answers", queryset=wanted))
            .order_by("pk")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = self._shape(list(page or []))
        return self.get_paginated_response(ResponseSerializer(rows, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(ResponseSerializer(self._shape([self.get_object()])[0]).data)

    def _shape(self, rows: Sequence[Response]) -> Sequence[dict[str, Any]]:
        anonymous = self.assessment.survey.anonymous
        comments = _boolean(self.request, "comments", default=not anonymous)
        codes = {row.respondent_group for row in rows}
        names = dict(StakeholderGroup.objects.filter(code__in=codes).values_list("code", "name"))
        rule = self.quality_rule
        return [self._one(row, anonymous, comments, names, rule) for row in rows]

    def _one(
        self,
        row: Response,
        anonymous: bool,
        comments: bool,
        names: dict[str, dict[str, str]],
        rule: QualityRule,
    ) -> dict[str, Any]:
        grid = self.grid
        labels = grid.labels
        ratings, texts = [], []
        for answer in row.answers.all():
            topic = {"code": answer.row_code, "name": labels.get((OptionRole.ROW, answer.row_code))}
            if answer.question_id == grid.question_id and answer.column_code:
                axis_label = labels.get((OptionRole.COLUMN, answer.column_code))
                ratings.append(
                    {
                        "topic": topic,
                        "axis": {"code": answer.column_code, "name": axis_label},
                        "value": answer.value,
                        "dont_know": answer.dont_know,
                    }
                )
            elif comments and answer.text:
                overall = answer.question_id == grid.overall_id
                texts.append({"topic": None if overall else topic, "text": answer.text})
        submitted = row.status == ResponseStatus.SUBMITTED
        invitation = None if anonymous else row.invitation
        group = row.respondent_group
        return {
            "id": row.pk,
            "status": row.status,
            "source": row.source,
            "group": {"code": group, "name": names.get(group, {})} if group else None,
            "side": None
            if row.respondent_internal is None
            else "internal"
            if row.respondent_internal
            else "external",
            "language": row.language,
            "submitted_on": timezone.localdate(row.submitted_at) if row.submitted_at else None,
            "submitted_at": None if anonymous else row.submitted_at,
            "started_at": None if anonymous else row.started_at,
            "duration_seconds": row.duration_seconds,
            "straight_lined": row.straight_lined,
            "excluded": submitted and _left_out(row, rule),
            "invitation": None
            if invitation is None
            else {
                "id": invitation.pk,
                "kind": invitation.kind,
                "email": invitation.email,
                "name": invitation.label,
            },
            "ratings": ratings,
            "comments": texts,
        }


def _left_out(row: Response, rule: QualityRule) -> bool:
    if rule.exclude_straight_lined and row.straight_lined:
        return True
    limit, duration = rule.too_fast_seconds, row.duration_seconds
    return limit is not None and duration is not None and duration < limit


router = SimpleRouter()
router.register(
    r"assessments/(?P<assessment_pk>[0-9]+)/responses", ResponseViewSet, basename="api-response"
)
urlpatterns: list[URLPattern | URLResolver] = list(router.urls)
