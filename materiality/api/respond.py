"""Answering a questionnaire through the API: with a personal invitation's token or a
group link's, no sign-in, under the form's rules.

`GET /api/respond/{token}/` shows the questionnaire the link opens; `POST` submits all
the answers at once. The POST walks the respondent's own path in one transaction:
`response_start` (a personal invitation's one response, or a new one on a group link,
within its limits per address), the answers checked by the respondent's form and stored
by `answers_save`, then `response_submit` (completeness, the straight-lining flag, the
once-only submit, the hooks that ask for scores). Anything refused rolls the whole
request back: nothing is stored, not even a reply begun.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound, Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from materiality.api.fields import TranslatedTextField
from materiality.api.idempotency import KEY_PARAMETER, Idempotency, idempotency_key
from materiality.api.parsers import TextJSONParser
from materiality.api.questionnaires import (
    MAX_ANSWERS,
    AnswerInSerializer,
    QuestionSerializer,
    form_data,
    form_errors,
    question_data,
)
from materiality.api.throttling import ScopedThrottle
from surveys.errors import (
    AlreadySubmitted,
    LinkExpired,
    LinkRevoked,
    LinkUnknown,
    SurveyClosed,
    SurveyError,
    SurveyNotOpen,
    TooManyResponses,
)
from surveys.forms import PageForm
from surveys.models import Invitation, InvitationKind, QuestionPurpose
from surveys.models import Response as SurveyResponse
from surveys.ratelimits import client_hash
from surveys.selectors import Page, Questionnaire, questionnaire_load
from surveys.services import (
    answers_save,
    invitation_resolve,
    link_fixes_respondent,
    response_start,
    response_submit,
    survey_check_open,
)
from surveys.tokens import token_digest
from surveys.translations import survey_language

MAX_SECONDS = 7 * 24 * 3600


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Conflict with the current state.")
    default_code = "conflict"


def api_error(error: SurveyError) -> APIException:
    """A respondent's error (surveys.errors) as the API answers it, with its message."""
    detail = _("%(title)s. %(message)s") % {"title": error.title, "message": error.message}
    if isinstance(error, LinkUnknown | LinkRevoked | LinkExpired):
        code = {LinkRevoked: "link_revoked", LinkExpired: "link_expired"}.get(type(error))
        return NotFound(detail, code=code or "link_unknown")
    if isinstance(error, TooManyResponses):
        return Throttled(wait=error.retry_after, detail=detail, code="too_many_responses")
    codes = {
        AlreadySubmitted: "already_submitted",
        SurveyClosed: "survey_closed",
        SurveyNotOpen: "survey_not_open",
    }
    if type(error) in codes:
        return Conflict(detail, code=codes[type(error)])
    return ValidationError(detail, code="invalid")


# --- What the link opens -----------------------------------------------------------------


class GroupSerializer(serializers.Serializer):
    fixed = serializers.BooleanField(
        help_text="The link says the respondent's group and side: they are not asked."
    )
    code = serializers.CharField(allow_null=True, help_text="The link's group, if it has one.")
    internal = serializers.BooleanField(allow_null=True)
    question = serializers.IntegerField(
        allow_null=True,
        help_text="Not fixed: the question whose choices are the groups (`group` in the "
        "submit answers it).",
    )


class QuestionnaireSerializer(serializers.Serializer):
    title = TranslatedTextField()
    intro = TranslatedTextField()
    privacy_notice = TranslatedTextField()
    languages = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField(help_text="The language the answers are stored under.")
    anonymous = serializers.BooleanField()
    estimated_minutes = serializers.IntegerField()
    closes_at = serializers.DateTimeField(allow_null=True)
    personal = serializers.BooleanField(help_text="A personal invitation: one response only.")
    submitted = serializers.BooleanField(
        help_text="A personal invitation already answered (a group link: always false)."
    )
    group = GroupSerializer()
    questions = QuestionSerializer(many=True)


def answer_page(questionnaire: Questionnaire, response: SurveyResponse) -> Page:
    """Every question the respondent is asked, on one page (a grid whole)."""
    asked = set(questionnaire.asked_questions(response))
    items = [item for item in questionnaire.single_page().items if item.question in asked]
    return Page(1, tuple(items))


def _group_question(page: Page) -> int | None:
    return next(
        (
            i.question.pk
            for i in page.items
            if i.question.purpose == QuestionPurpose.RESPONDENT_GROUP
        ),
        None,
    )


def questionnaire_data(invitation: Invitation, language: str) -> dict[str, Any]:
    survey = invitation.survey
    fixed = link_fixes_respondent(invitation)
    # What the respondent would see: the response is not stored (a GET begins nothing).
    page = answer_page(questionnaire_load(survey), SurveyResponse(respondent_fixed=fixed))
    personal = invitation.kind == InvitationKind.PERSONAL
    return {
        "title": survey.title or {},
        "intro": survey.intro or {},
        "privacy_notice": survey.privacy_notice or {},
        "languages": list(survey.languages or []),
        "language": language,
        "anonymous": survey.anonymous,
        "estimated_minutes": survey.estimated_minutes,
        "closes_at": survey.closes_at,
        "personal": personal,
        "submitted": personal and invitation.responded_at is not None,
        "group": {
            "fixed": fixed,
            "code": invitation.respondent_group or None,
            "internal": invitation.respondent_internal,
            "question": None if fixed else _group_question(page),
        },
        "questions": [question_data(item) for item in page.items],
    }


# --- Submitting ---------------------------------------------------------------------------


class SubmitSerializer(serializers.Serializer):
    group = serializers.CharField(
        required=False,
        max_length=64,
        help_text="The respondent's stakeholder group (a choice of the group question), "
        "where the link does not fix it; the same as answering that question.",
    )
    language = serializers.CharField(
        required=False, max_length=16, help_text="One of the survey's languages."
    )
    answers = serializers.ListField(child=AnswerInSerializer(), max_length=MAX_ANSWERS)
    seconds = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SECONDS,
        help_text="How long the respondent took, as the client measured it; the run's "
        "too-fast rule reads it. Left out: the time since the reply began, about 0 for a "
        "reply begun by this request (which the rule would then leave out).",
    )


class SubmittedSerializer(serializers.Serializer):
    response = serializers.IntegerField(help_text="The response's id.")
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    thanks = TranslatedTextField()


SUBMIT_EXAMPLE = OpenApiExample(
    "A respondent on a group link rates two topics",
    request_only=True,
    value={
        "group": "customers",
        "language": "en",
        "seconds": 420,
        "answers": [
            {"question": 12, "value": "external"},
            {"question": 13, "row": "climate-change", "column": "company", "value": 5},
            {"question": 13, "row": "climate-change", "column": "stakeholder", "value": 4},
            {"question": 13, "row": "climate-change", "value": "Publish the 2030 targets."},
            {"question": 13, "row": "data-security", "column": "company", "value": "dont_know"},
            {"question": 14, "value": "Thank you for asking."},
        ],
    },
)


class RespondView(APIView):
    """A respondent's link: no sign-in, no cookie; the link's token is the credential."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "respond"
    parser_classes = [TextJSONParser]
    extra_error_statuses = (409,)

    @extend_schema(
        operation_id="respond_questionnaire",
        responses={200: QuestionnaireSerializer},
        description="The questionnaire a personal invitation or a group link opens: its "
        "questions with their rows (topics), columns (axes), choices and scale, and "
        "whether the link already fixes the respondent's group. 404 for a link that is "
        "unknown, revoked or expired; 409 when the survey is not open. Throttled per "
        "address (scope `respond`).",
    )
    def get(self, request: Request, token: str) -> Response:
        try:
            invitation = invitation_resolve(token)
            survey_check_open(invitation.survey)
        except SurveyError as error:
            raise api_error(error) from None
        language = survey_language(request._request, invitation.survey)
        return Response(QuestionnaireSerializer(questionnaire_data(invitation, language)).data)

    @extend_schema(
        operation_id="respond_submit",
        request=SubmitSerializer,
        responses={201: SubmittedSerializer},
        parameters=[KEY_PARAMETER],
        examples=[SUBMIT_EXAMPLE],
        description="Submit every answer at once, checked as the questionnaire form "
        "checks them: 400 names each missing required answer and each value off the "
        "scale (`errors[].field` is `answers.<question id>`, with `.<row>.<column>` for a "
        "grid cell, or `answers.<index>.<field>` for an answer that fits no question); "
        "409 `already_submitted` for a personal invitation answered before, "
        "`survey_closed` / `survey_not_open`; 404 for an unknown, revoked or expired "
        "link; 429 with Retry-After past the request rate (scope `respond`) or a group "
        "link's daily limit per address (`too_many_responses`). A group link begins a new "
        "response with each submit.",
    )
    def post(self, request: Request, token: str) -> Response:
        key = idempotency_key(request)
        body = SubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            invitation = invitation_resolve(token)
        except SurveyError as error:
            raise api_error(error) from None
        with transaction.atomic():
            kept = None
            if key is not None:
                kept = Idempotency(
                    scope=f"respond:{token_digest(token)}", key=key, body=request.data
                )
                replay = kept.replay()
                if replay is not None:
                    return replay
            try:
                answer = self._submit(request, invitation, body.validated_data)
            except SurveyError as error:
                raise api_error(error) from None
            return kept.keep(answer) if kept else answer

    def _submit(self, request: Request, invitation: Invitation, body: dict[str, Any]) -> Response:
        survey = invitation.survey
        personal = invitation.kind == InvitationKind.PERSONAL
        if personal and invitation.responded_at is not None:
            raise AlreadySubmitted
        survey_check_open(survey)
        language = body.get("language") or survey_language(request._request, survey)
        if language not in (survey.languages or [language]):
            raise ValidationError(
                {"language": [_("Not a language of this survey: %(code)s.") % {"code": language}]}
            )
        started = response_start(
            invitation=invitation,
            language=language,
            # A group link's limit per address, as in the browser; an API client has no
            # device cookie, so the limit per device does not apply.
            client_hash="" if personal else client_hash(request._request, f"survey:{survey.pk}"),
        )
        response = started.response
        questionnaire = questionnaire_load(survey)
        page = answer_page(questionnaire, response)
        data = form_data(page, body["answers"], extra=self._group(page, invitation, body))
        form = PageForm(data, page=page, language=language, answers={}, require_complete=True)
        if not form.is_valid():
            raise form_errors(form)
        answers_save(
            response=response,
            questionnaire=questionnaire,
            scope=page.scope,
            answers=form.answer_inputs(),
        )
        response_submit(
            response=response, questionnaire=questionnaire, duration_seconds=body.get("seconds")
        )
        out = {
            "response": response.pk,
            "status": response.status,
            "submitted_at": response.submitted_at,
            "thanks": survey.thanks or {},
        }
        return Response(SubmittedSerializer(out).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _group(page: Page, invitation: Invitation, body: dict[str, Any]) -> dict[str, str]:
        """`group` in the body as the answer to the group question."""
        group = body.get("group")
        if not group:
            return {}
        if link_fixes_respondent(invitation):
            if group == invitation.respondent_group:
                return {}
            message = _("This link is for the group “%(group)s”: it cannot be chosen.")
            raise ValidationError({"group": [message % {"group": invitation.respondent_group}]})
        question = _group_question(page)
        if question is None:
            raise ValidationError({"group": [_("This questionnaire does not ask for a group.")]})
        answered = [a for a in body["answers"] if a["question"] == question]
        if any(a.get("value") not in (None, group) for a in answered):
            raise ValidationError(
                {"group": [_("The group differs from the answer to the group question.")]}
            )
        return {} if answered else {f"q{question}": group}


urlpatterns = [path("respond/<str:token>/", RespondView.as_view(), name="api-respond")]
