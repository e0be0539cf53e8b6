"""Reports and their reader feedback: the ESG team's side (list, add, edit, open and close
the feedback form, summary, export) and the public form (its questions; a reader's
answers), over the services the pages call (materiality.feedback)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from materiality.api.fields import TranslatedTextField
from materiality.api.parsers import TextJSONParser
from materiality.api.questionnaires import (
    MAX_ANSWERS,
    AnswerInSerializer,
    QuestionSerializer,
    form_data,
    form_errors,
    question_data,
)
from materiality.api.reports_summary import FeedbackSummarySerializer, summary_data
from materiality.api.respond import api_error
from materiality.api.throttling import ScopedThrottle
from materiality.feedback.form import feedback_page, report_create, report_update
from materiality.feedback.submitting import feedback_submit
from materiality.feedback.table import feedback_table
from materiality.forms import FeedbackContactForm, FeedbackPageForm
from materiality.models import Report
from materiality.reporting.spreadsheets import XLSX_CONTENT_TYPE, plain_csv, plain_xlsx
from materiality.views.feedback import public_link
from surveys.errors import SurveyError
from surveys.models import ResponseStatus
from surveys.ratelimits import client_hash
from surveys.selectors import questionnaire_load
from surveys.services import survey_check_open, survey_close, survey_open
from surveys.translations import active_language, survey_language

VIEW, ADD, CHANGE = "materiality.view_report", "materiality.add_report", "materiality.change_report"
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class ReportSerializer(serializers.ModelSerializer):
    title = TranslatedTextField(max_length=200)
    link = serializers.SerializerMethodField(help_text="The public feedback form (for the QR).")
    # A plain string: empty when no link is set, which a `uri` format would not allow.
    document_url = serializers.CharField(help_text="Link to the report; empty when none is set.")
    status = serializers.CharField(source="survey.status", help_text="Of the feedback form.")
    languages = serializers.ListField(source="survey.languages", child=serializers.CharField())
    responses = serializers.IntegerField(help_text="Readers' answers received.")

    class Meta:
        model = Report
        fields = [
            "id",
            "title",
            "year",
            "document_url",
            "public_code",
            "link",
            "status",
            "languages",
            "responses",
            "summary_updated_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_link(self, report: Report) -> str:
        return public_link(report)


class ReportChangeSerializer(serializers.Serializer):
    title = TranslatedTextField(max_length=200, required=False)
    year = serializers.IntegerField(min_value=1990, max_value=2100, required=False)
    document_url = serializers.URLField(required=False, allow_blank=True, max_length=200)


class ReportCreateSerializer(ReportChangeSerializer):
    title = TranslatedTextField(max_length=200)
    year = serializers.IntegerField(min_value=1990, max_value=2100)
    languages = serializers.MultipleChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        allow_empty=False,
        help_text="Languages of the feedback form (default: all the site's).",
    )


class FileRenderer(BaseRenderer):
    """A download chosen by `?format=`; an error still goes out as JSON (problem details)."""

    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class CsvRenderer(FileRenderer):
    media_type, format = "text/csv", "csv"


class XlsxRenderer(FileRenderer):
    media_type, format = XLSX_CONTENT_TYPE, "xlsx"


class ReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Report]
):
    serializer_class = ReportSerializer
    filterset_fields = ["year"]
    ordering_fields = ["year", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "summary": VIEW,
        "export": VIEW,
        "create": ADD,
        "partial_update": CHANGE,
        "open": CHANGE,
        "close": CHANGE,
    }

    def get_queryset(self) -> QuerySet[Report]:
        submitted = Q(survey__responses__status=ResponseStatus.SUBMITTED)
        return Report.objects.select_related("survey").annotate(
            responses=Count("survey__responses", filter=submitted)
        )

    def _answer(self, report: Report, code: int = status.HTTP_200_OK) -> Response:
        return Response(ReportSerializer(self.get_queryset().get(pk=report.pk)).data, status=code)

    @extend_schema(
        request=ReportCreateSerializer,
        responses={201: ReportSerializer},
        examples=[
            OpenApiExample(
                "The 2026 report",
                request_only=True,
                value={
                    "title": {"zh-hans": "2026 年 ESG 报告", "en": "2026 ESG report"},
                    "year": 2026,
                    "document_url": "https://example.com/esg-2026.pdf",
                    "languages": ["zh-hans", "en"],
                },
            )
        ],
        description="Add a report with the six-question reader feedback form (a draft "
        "until opened).",
    )
    def create(self, request: Request) -> Response:
        body = ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        chosen = data.get("languages") or LANGUAGE_CODES
        report = report_create(
            title=data["title"],
            year=data["year"],
            languages=[code for code in LANGUAGE_CODES if code in chosen],
            document_url=data.get("document_url", ""),
            created_by=request.user,
        )
        return self._answer(report, status.HTTP_201_CREATED)

    @extend_schema(request=ReportChangeSerializer, responses={200: ReportSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        body = ReportChangeSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        report_update(report=report, **body.validated_data)
        return self._answer(report)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def open(self, request: Request, pk: str) -> Response:
        """Open the feedback form to readers."""
        report = self.get_object()
        survey_open(survey=report.survey)
        return self._answer(report)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        """Close the feedback form: readers' answers are refused from now on."""
        report = self.get_object()
        survey_close(survey=report.survey)
        return self._answer(report)

    @extend_schema(responses={200: FeedbackSummarySerializer})
    @action(detail=True, methods=["get"], url_path="feedback/summary")
    def summary(self, request: Request, pk: str) -> Response:
        """Per question: answers, distribution and mean; readers per day (as the report
        page shows them, from the summary kept up to date in the background)."""
        report = self.get_object()
        return Response(FeedbackSummarySerializer(summary_data(report)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "xlsx"],
                default="csv",
                description="The file type.",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV file."),
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX file."
            ),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="feedback/export",
        renderer_classes=[CsvRenderer, XlsxRenderer],
    )
    def export(self, request: Request, pk: str) -> HttpResponse:
        """Every reader's answers, one row each, headers in the caller's language."""
        report = self.get_object()
        fmt = request.accepted_renderer.format
        header, rows = feedback_table(report, active_language())
        if fmt == "xlsx":
            http = HttpResponse(
                plain_xlsx(_("Feedback"), header, rows), content_type=XLSX_CONTENT_TYPE
            )
        else:
            http = HttpResponse(plain_csv(header, rows), content_type="text/csv; charset=utf-8")
        http["Content-Disposition"] = f'attachment; filename="feedback-{report.year}.{fmt}"'
        return http


# --- The public form ----------------------------------------------------------------------


class FeedbackFormSerializer(serializers.Serializer):
    title = TranslatedTextField(help_text="The report's title.")
    year = serializers.IntegerField()
    document_url = serializers.CharField()
    intro = TranslatedTextField()
    privacy_notice = TranslatedTextField()
    languages = serializers.ListField(child=serializers.CharField())
    questions = QuestionSerializer(many=True)


class FeedbackInSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)
    answers = serializers.ListField(child=AnswerInSerializer(), max_length=MAX_ANSWERS)
    contact_email = serializers.CharField(
        required=False, allow_blank=True, max_length=254, help_text="Only to reply to the reader."
    )
    contact_consent = serializers.BooleanField(
        required=False, default=False, help_text="Needed with an address: it is kept then only."
    )


class FeedbackReceivedSerializer(serializers.Serializer):
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class FeedbackFormView(APIView):
    """A report's reader feedback form: no sign-in; throttled per address."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "feedback"
    parser_classes = [TextJSONParser]
    extra_error_statuses = (409,)

    def _report(self, code: str) -> Report:
        report = get_object_or_404(Report.objects.select_related("survey"), public_code=code)
        try:
            survey_check_open(report.survey)
        except SurveyError as error:
            raise api_error(error) from None
        return report

    @extend_schema(
        operation_id="feedback_form",
        responses={200: FeedbackFormSerializer},
        description="The questions of a report's feedback form. 409 while it is not open.",
    )
    def get(self, request: Request, code: str) -> Response:
        report = self._report(code)
        survey = report.survey
        page = feedback_page(questionnaire_load(survey))
        data = {
            "title": report.title or {},
            "year": report.year,
            "document_url": report.document_url,
            "intro": survey.intro or {},
            "privacy_notice": survey.privacy_notice or {},
            "languages": list(survey.languages or []),
            "questions": [question_data(item) for item in page.items],
        }
        return Response(FeedbackFormSerializer(data).data)

    @extend_schema(
        operation_id="feedback_submit",
        request=FeedbackInSerializer,
        responses={201: FeedbackReceivedSerializer},
        examples=[
            OpenApiExample(
                "A reader rates the report",
                request_only=True,
                value={
                    "language": "en",
                    "answers": [
                        {"question": 41, "value": "good"},
                        {"question": 42, "row": "social", "column": "rating", "value": 4},
                        {"question": 46, "value": "More data on water, please."},
                    ],
                },
            )
        ],
        description="A reader's answers, checked as the page checks them: 400 for a form "
        "without a single answer, a value not offered, or an address without consent; "
        "409 when the form is closed; 429 with Retry-After past the rate (scope "
        "`feedback`) or the form's hourly limit per address (`too_many_responses`).",
    )
    def post(self, request: Request, code: str) -> Response:
        report = self._report(code)
        body = FeedbackInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        language = values.get("language") or survey_language(request._request, report.survey)
        if language not in (report.survey.languages or [language]):
            message = _("Not a language of this survey: %(code)s.") % {"code": language}
            raise serializers.ValidationError({"language": [message]})
        page = feedback_page(questionnaire_load(report.survey))
        form = FeedbackPageForm(
            form_data(page, values["answers"]),
            page=page,
            language=language,
            answers={},
            require_complete=True,
        )
        contact = FeedbackContactForm(
            {
                "contact_email": values.get("contact_email", ""),
                "contact_consent": "on" if values["contact_consent"] else "",
            }
        )
        if not form.is_valid():
            raise form_errors(form)
        if not contact.is_valid():
            raise serializers.ValidationError(
                {name: [str(e) for e in errors] for name, errors in contact.errors.items()}
            )
        try:
            response = feedback_submit(
                report=report,
                answers=list(form.answer_inputs()),
                language=language,
                client_hash=client_hash(request._request, "feedback"),
                contact_email=contact.cleaned_data["contact_email"]
                if contact.cleaned_data["contact_consent"]
                else "",
            )
        except SurveyError as error:
            raise api_error(error) from None
        out = {"status": response.status, "submitted_at": response.submitted_at}
        return Response(FeedbackReceivedSerializer(out).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("reports", ReportViewSet, basename="api-report")
urlpatterns = [
    *router.urls,
    path("feedback/<slug:code>/", FeedbackFormView.as_view(), name="api-feedback-form"),
]
