"""A survey written again from plain rows: its questions, links, responses and answers,
as a file exported from another site (or this one) describes them. Every row is new:
new ids, and links that cannot work (their tokens were never in the file). Used by
`materiality.portability`; the engine's tables keep one writer, this app.

Rows are dicts of a model's own fields by name, as `row_fields` writes them: a field
the model no longer has is left out, one the row lacks takes its default.
"""

from __future__ import annotations

import datetime
import decimal
import secrets
from collections.abc import Collection, Sequence
from typing import Any, cast

from django.db import models
from django.utils import timezone

from surveys.models import Answer, Invitation, Question, QuestionOption, Response, Survey


def _plain(value: Any) -> Any:
    # Full precision: Django's JSON encoder would cut microseconds, and with them the
    # order of entries made in the same millisecond.
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _plain_fields(model: type[models.Model], exclude: Collection[str]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.is_relation and field.name not in exclude
    ]


def row_fields(obj: models.Model, exclude: Collection[str] = ()) -> dict[str, Any]:
    """The row's own fields (not its id, not its relations) as JSON values."""
    return {
        field.name: _plain(field.value_from_object(obj))
        for field in _plain_fields(type(obj), exclude)
    }


def model_values(
    model: type[models.Model], data: dict[str, Any], exclude: Collection[str] = ()
) -> dict[str, Any]:
    """What `row_fields` wrote, back as model values."""
    return {
        field.name: field.to_python(data[field.name])
        for field in _plain_fields(model, exclude)
        if field.name in data
    }


def times_restore(
    objects: Sequence[models.Model], rows: Sequence[dict[str, Any]], *fields: str
) -> None:
    """Give back the times that saving replaced (auto_now, auto_now_add): bulk_update
    writes them as they are."""
    if not objects:
        return
    model = type(objects[0])
    for obj, row in zip(objects, rows, strict=True):
        for name in fields:
            if name in row:
                field = cast(models.Field, model._meta.get_field(name))
                setattr(obj, name, field.to_python(row[name]))
    model._default_manager.bulk_update(objects, list(fields))


def survey_recreate(
    *, survey: dict[str, Any], questions: list[dict[str, Any]]
) -> tuple[Survey, dict[str, int]]:
    """The survey and its questions with their options; the questions' ids by code."""
    created = Survey.objects.create(**model_values(Survey, survey))
    times_restore([created], [survey], "created_at", "updated_at")
    ids: dict[str, int] = {}
    for row in questions:
        question = Question.objects.create(survey=created, **model_values(Question, row))
        QuestionOption.objects.bulk_create(
            QuestionOption(question=question, **model_values(QuestionOption, option))
            for option in row["options"]
        )
        ids[question.code] = question.pk
    return created, ids


def invitations_recreate(*, survey: Survey, rows: list[dict[str, Any]]) -> list[Invitation]:
    """The links, in the rows' order. Their tokens are not known here: a digest of a
    token nobody holds, and revoked (when they were not already)."""
    now = timezone.now()
    created = Invitation.objects.bulk_create(
        Invitation(
            survey=survey,
            token_hash=secrets.token_hex(32),
            token_salt=secrets.token_hex(16),
            **{**model_values(Invitation, row), "revoked_at": _revoked_at(row) or now},
        )
        for row in rows
    )
    times_restore(created, rows, "created_at")
    return created


def _revoked_at(row: dict[str, Any]) -> datetime.datetime | None:
    field = Invitation._meta.get_field("revoked_at")
    return cast(models.DateTimeField, field).to_python(row.get("revoked_at"))


def responses_recreate(
    *,
    survey: Survey,
    rows: list[dict[str, Any]],
    questions: dict[str, int],
    invitations: dict[int, int],
) -> list[Response]:
    """The responses with their answers (`row["answers"]`, each naming its question by
    code); `invitation` and `personal_invitation` are the exporting site's ids, mapped
    by *invitations*. No reply in progress can be resumed: the resume link's digest is
    of a token nobody holds."""
    created = Response.objects.bulk_create(
        Response(
            survey=survey,
            resume_hash=secrets.token_hex(32),
            invitation_id=invitations[row["invitation"]] if row["invitation"] else None,
            personal_invitation_id=invitations[row["personal_invitation"]]
            if row["personal_invitation"]
            else None,
            **model_values(Response, row),
        )
        for row in rows
    )
    times_restore(created, rows, "updated_at")
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=questions[answer["question"]],
            **model_values(Answer, answer),
        )
        for row, response in zip(rows, created, strict=True)
        for answer in row["answers"]
    )
    return created
