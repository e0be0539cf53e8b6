"""A respondent's data on request: find a person's responses, export them in words, and
strip what identifies a person from old responses (retention). Erasing whole responses
is `surveys.services.responses_erase`.

What is personal here: the e-mail and label of a personal invitation (and a sending
error, which may quote the address), the link from a response to its personal
invitation, a reader's contact e-mail, an imported reply's reference, free text
(comments) and the digests of a group-link reply's address and device. What is not: the
ratings, choices, group and side, and the dates, which scores and reports are made of.
A submitted response of an anonymous survey has no link to a person to begin with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import override

from surveys.models import (
    Answer,
    Invitation,
    InvitationKind,
    OptionRole,
    QuestionOption,
    QuestionPurpose,
    Response,
    Survey,
)
from surveys.tokens import looks_like_token, token_digest
from surveys.translations import pick


def link_tokens(text: str) -> list[str]:
    """The tokens in what a respondent gave: a token, or a whole resume or invitation
    link (`/s/r/<token>/p/2/`, `/s/i/<token>/`)."""
    path = urlsplit(text.strip()).path
    return [part for part in path.split("/") if looks_like_token(part)]


def responses_of_person(
    *, email: str = "", link: str = "", reference: str = ""
) -> QuerySet[Response]:
    """The responses of one person, known by the e-mail of a personal invitation (or a
    reader's contact e-mail), by a resume or personal invitation link they kept, or by
    an imported reply's reference. Nothing given: nothing found.

    A shared or open link is not a person: its token finds nothing here."""
    where = Q(pk__in=[])
    email = email.strip()
    if email:
        where |= (
            Q(invitation__kind=InvitationKind.PERSONAL, invitation__email__iexact=email)
            | Q(personal_invitation__email__iexact=email)
            | Q(contact_email__iexact=email)
        )
    digests = [token_digest(token) for token in link_tokens(link)] if link.strip() else []
    if digests:
        where |= (
            Q(resume_hash__in=digests)
            | Q(invitation__kind=InvitationKind.PERSONAL, invitation__token_hash__in=digests)
            | Q(personal_invitation__token_hash__in=digests)
        )
    if reference.strip():
        where |= Q(source_reference=reference.strip())
    return Response.objects.filter(where).distinct()


def responses_export(*, responses: QuerySet[Response], language: str) -> list[dict[str, Any]]:
    """The responses as their respondent may read them: questions, topics (rows),
    axes and choices by their names in `language`, with the survey's title and the
    dates. Three queries, whatever the number of responses."""
    rows = list(
        responses.select_related("survey", "invitation", "personal_invitation").order_by(
            "started_at", "pk"
        )
    )
    answers = (
        Answer.objects.filter(response__in=[row.pk for row in rows])
        .select_related("question")
        .order_by("response_id", "question__order", "question_id", "row_code", "column_code")
    )
    by_response: dict[int, list[Answer]] = {}
    for answer in answers:
        by_response.setdefault(answer.response_id, []).append(answer)
    labels = _option_labels({row.survey_id for row in rows})
    with override(language):
        return [_exported(row, by_response.get(row.pk, []), labels, language) for row in rows]


def responses_export_json(*, responses: QuerySet[Response], language: str) -> str:
    return json.dumps(
        responses_export(responses=responses, language=language), ensure_ascii=False, indent=2
    )


_Labels = dict[tuple[int, str, str], Any]
_ROW_ROLES = (OptionRole.ROW.value,)
_COLUMN_ROLES = (OptionRole.COLUMN.value, OptionRole.CHOICE.value)


def _option_labels(survey_ids: Iterable[int]) -> _Labels:
    options = QuestionOption.objects.filter(question__survey_id__in=list(survey_ids))
    return {
        (question_id, role, code): label
        for question_id, role, code, label in options.values_list(
            "question_id", "role", "code", "label"
        )
    }


def _label(
    labels: _Labels, question_id: int, roles: tuple[str, ...], code: str, language: str
) -> str:
    """An option's name in `language`; its code if it has none (a retired option)."""
    for role in roles:
        label = labels.get((question_id, role, code))
        if label is not None:
            return pick(label, language) or code
    return code


def _exported(
    response: Response, answers: list[Answer], labels: _Labels, language: str
) -> dict[str, Any]:
    invitation = response.personal_invitation or response.invitation
    group = ""
    items: list[dict[str, Any]] = []
    for answer in answers:
        question = answer.question
        # A grid's rows and columns are options of those roles; a choice answer keeps
        # the chosen code in column_code (surveys.models.Answer).
        column = _label(labels, question.pk, _COLUMN_ROLES, answer.column_code, language)
        if question.purpose == QuestionPurpose.RESPONDENT_GROUP:
            group = column
        items.append(
            {
                "question": pick(question.text, language),
                "row": _label(labels, question.pk, _ROW_ROLES, answer.row_code, language),
                "column": column,
                "value": answer.value,
                "value_label": question.scale_label(answer.value, language)
                if answer.value is not None
                else "",
                "dont_know": answer.dont_know,
                "text": answer.text,
            }
        )
    return {
        "survey": pick(response.survey.title, language),
        "response": response.pk,
        "status": response.get_status_display(),
        "language": response.language,
        "group": group or response.respondent_group,
        "started_at": response.started_at.isoformat(),
        "submitted_at": response.submitted_at.isoformat() if response.submitted_at else None,
        "invitation_email": invitation.email
        if invitation is not None and invitation.kind == InvitationKind.PERSONAL
        else "",
        "contact_email": response.contact_email,
        "reference": response.source_reference,
        "answers": items,
    }


def _has_personal_data() -> Q:
    text = Answer.objects.filter(response=OuterRef("pk")).exclude(text="")
    return (
        ~Q(contact_email="")
        | ~Q(source_reference="")
        | ~Q(limit_address="")
        | ~Q(limit_device="")
        | Q(personal_invitation__isnull=False)
        | Q(invitation__kind=InvitationKind.PERSONAL)
        | Q(Exists(text))
    )


@transaction.atomic
def responses_expire_personal(*, surveys: QuerySet[Survey], before: datetime) -> dict[int, int]:
    """Strip the personal fields (see the module's docstring) of the surveys' responses
    submitted (or, never submitted, started) before `before`, and the e-mails of their
    personal invitations created before it. Ratings and choices stay, and so do the
    rating counts: nothing they count changes. Returns, per survey id, how many
    responses lost something; a second call finds nothing left to strip."""
    old = Response.objects.filter(survey__in=surveys).filter(
        Q(submitted_at__lt=before) | Q(submitted_at__isnull=True, started_at__lt=before)
    )
    touched = old.filter(_has_personal_data())
    counts = dict(
        touched.values_list("survey_id").annotate(n=Count("pk", distinct=True)).order_by()
    )
    ids = list(touched.values_list("pk", flat=True).distinct())
    if ids:
        # A comment that is the whole answer goes with its row; a rating with a comment
        # keeps the rating.
        text_only = Answer.objects.filter(response_id__in=ids, value__isnull=True, dont_know=False)
        text_only.filter(column_code="").exclude(text="").delete()
        Answer.objects.filter(response_id__in=ids).exclude(text="").update(text="")
        Response.objects.filter(pk__in=ids).update(
            contact_email="",
            source_reference="",
            limit_address="",
            limit_device="",
            personal_invitation=None,
        )
        # Shared and open links are not people: the count of replies per link stays.
        Response.objects.filter(pk__in=ids, invitation__kind=InvitationKind.PERSONAL).update(
            invitation=None
        )
    Invitation.objects.filter(
        survey__in=surveys, kind=InvitationKind.PERSONAL, created_at__lt=before
    ).exclude(email="", label="", send_error="").update(email="", label="", send_error="")
    return counts
