"""Confirmation: the ESG team submits a run, the decision group confirms it or sends it
back (materiality.runs.confirmation, as the results page does), and the audit trail.

The service's refusals keep its words: a note that is wrong is a 400 on ``note``, a step
the run's state does not allow is a 409.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.runs import Conflict, get_run
from materiality.models import AggregationRun, Assessment, AuditAction, AuditEntry
from materiality.models.runs import ReviewStatus
from materiality.reporting.jobs import audit_note
from materiality.runs.confirmation import (
    NOTE_MAX_LENGTH,
    NoteError,
    ReviewError,
    run_confirm,
    run_send_back,
    run_submit_for_confirmation,
)

VIEW = "materiality.view_assessment"


class NoteSerializer(serializers.Serializer):
    # Not limited here: the service says what is wrong with a note, in its own words.
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text=f"A comment for the trail (at most {NOTE_MAX_LENGTH} characters).",
    )


class RequiredNoteSerializer(NoteSerializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="What should change. Required: a run is not sent back without one.",
    )


class ReviewStateSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    review = serializers.ChoiceField(choices=ReviewStatus.choices)
    review_display = serializers.CharField()
    published = serializers.BooleanField(
        help_text="This run is the assessment's published (confirmed) result."
    )
    frozen = serializers.BooleanField(
        help_text="A confirmed run's matrix files are all written. Confirming answers at "
        "once and writes them in the background: false until then (a file asked for "
        "meanwhile is rendered on request, the same bytes)."
    )


def _state(run: AggregationRun) -> dict[str, Any]:
    published = (
        Assessment.objects.filter(pk=run.assessment_id)
        .values_list("published_run_id", flat=True)
        .first()
    )
    # Read again: the freezing may have finished since (at once, without a broker).
    frozen = AggregationRun.objects.filter(pk=run.pk, frozen_at__isnull=False).exists()
    return {
        "run": run.pk,
        "review": run.review,
        "review_display": run.get_review_display(),
        "published": published == run.pk,
        "frozen": frozen,
    }


class ReviewStepView(APIView):
    """One confirmation step on a run; the subclasses name the service and permission."""

    extra_error_statuses = (409,)
    step: Callable[..., None]
    note_serializer: type[NoteSerializer] = NoteSerializer

    def post(self, request: Request, run_id: int) -> Response:
        run = get_run(run_id)
        data = self.note_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            type(self).step(run=run, user=request.user, note=data.validated_data["note"])
        except NoteError as error:
            raise ValidationError({"note": [str(error)]}) from None
        except ReviewError as error:
            raise Conflict(str(error), code="review_conflict") from None
        return Response(ReviewStateSerializer(_state(run)).data)


_EXAMPLE = OpenApiExample(
    "With a note",
    request_only=True,
    value={"note": "Checked against last year's matrix; ready for the board."},
)


class RunSubmitView(ReviewStepView):
    action_permissions = {"post": "materiality.submit_run"}
    step = run_submit_for_confirmation

    @extend_schema(
        request=NoteSerializer,
        responses=ReviewStateSerializer,
        examples=[_EXAMPLE],
        description="Submit a finished run for confirmation (ESG team). 409 when it is "
        "not finished, or already submitted or confirmed.",
    )
    def post(self, request: Request, run_id: int) -> Response:
        return super().post(request, run_id)


class RunConfirmView(ReviewStepView):
    action_permissions = {"post": "materiality.confirm_run"}
    step = run_confirm

    @extend_schema(
        request=NoteSerializer,
        responses=ReviewStateSerializer,
        description="Confirm a submitted run (decision group): it becomes the published "
        "result and is frozen. The decision is recorded at once (200); the run's matrix "
        "files are written in the background (`frozen` turns true). 409 when it is not "
        "awaiting confirmation, when a later run is confirmed already, or for the person "
        "who submitted it.",
    )
    def post(self, request: Request, run_id: int) -> Response:
        return super().post(request, run_id)


class RunSendBackView(ReviewStepView):
    action_permissions = {"post": "materiality.confirm_run"}
    step = run_send_back
    note_serializer = RequiredNoteSerializer

    @extend_schema(
        request=RequiredNoteSerializer,
        responses=ReviewStateSerializer,
        description="Send a submitted run back to the ESG team (decision group), saying "
        "what should change: 400 on `note` without one; 409 when it is not awaiting "
        "confirmation.",
    )
    def post(self, request: Request, run_id: int) -> Response:
        return super().post(request, run_id)


# --- The audit trail ------------------------------------------------------------------


class AuditEntrySerializer(serializers.ModelSerializer):
    action = serializers.ChoiceField(choices=AuditAction.choices)
    action_display = serializers.CharField(source="get_action_display")
    actor = serializers.CharField(
        source="actor_name", help_text="Who, as recorded (kept if the account goes)."
    )
    note = serializers.SerializerMethodField(
        help_text="As the results page shows it: an export named in your language."
    )

    class Meta:
        model = AuditEntry
        fields = ["id", "created_at", "actor", "action", "action_display", "run", "note"]
        read_only_fields = fields

    def get_note(self, entry: AuditEntry) -> str:
        return audit_note(entry)


class AssessmentAuditView(generics.ListAPIView):
    """Who did what and when, oldest first, as the results page and the evidence pack."""

    serializer_class = AuditEntrySerializer
    action_permissions = {"get": VIEW}
    filterset_fields = ["action", "run"]
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]
    queryset = AuditEntry.objects.none()  # the model, for the schema

    def get_queryset(self) -> QuerySet[AuditEntry]:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        get_object_or_404(Assessment.objects.only("pk"), pk=self.kwargs["pk"])
        return AuditEntry.objects.filter(assessment_id=self.kwargs["pk"])


urlpatterns: list[URLPattern | URLResolver] = [
    path("runs/<int:run_id>/submit/", RunSubmitView.as_view(), name="api-run-submit"),
    path("runs/<int:run_id>/confirm/", RunConfirmView.as_view(), name="api-run-confirm"),
    path("runs/<int:run_id>/send-back/", RunSendBackView.as_view(), name="api-run-send-back"),
    path("assessments/<int:pk>/audit/", AssessmentAuditView.as_view(), name="api-assessment-audit"),
]
