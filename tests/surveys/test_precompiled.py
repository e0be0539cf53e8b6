"""The respondent's response, a step's answers and a save's row lock, read by statements
compiled once (surveys.precompiled): the same objects and values as the ORM's own
queries, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from surveys.errors import LinkUnknown
from surveys.models import Answer, InvitationKind, Response, Survey
from surveys.precompiled import PrecompiledGet
from surveys.selectors import Page, questionnaire_load, response_answers
from surveys.services import (
    AnswerInput,
    answers_save,
    invitation_create,
    response_resume,
    response_start,
)
from surveys.tokens import new_token, token_digest
from tests.surveys.conftest import ROWS, CampusSurvey

pytestmark = pytest.mark.django_db


def fields_of(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_resumed_response_holds_what_the_orm_reads_with_its_survey_and_link(
    survey: Survey,
) -> None:
    survey.languages = ["zh-hans", "en"]
    survey.save()
    invitation = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="staff"
    )
    started = response_start(invitation=invitation.invitation, language="en")
    expected = Response.objects.select_related("survey", "invitation").get(pk=started.response.pk)

    resumed = response_resume(started.resume_token)

    assert fields_of(resumed) == fields_of(expected)
    assert fields_of(resumed.survey) == fields_of(expected.survey)
    assert resumed.survey.languages == ["zh-hans", "en"]  # JSON, not its text
    assert resumed.started_at.tzinfo is not None
    assert not resumed._state.adding
    assert resumed._state.db == "default"
    # The link a reply in progress came by, even in an anonymous survey (cut at submit).
    assert survey.anonymous
    assert resumed.invitation is not None
    assert expected.invitation is not None
    assert fields_of(resumed.invitation) == fields_of(expected.invitation)
    # Saved like any response the ORM read: the row is updated, not inserted again.
    resumed.language = "zh-hans"
    resumed.save(update_fields=["language"])
    assert Response.objects.get().language == "zh-hans"


def test_a_response_without_a_link_is_read_with_none_for_its_link(survey: Survey) -> None:
    token = new_token()
    Response.objects.create(survey=survey, resume_hash=token_digest(token))
    resumed = response_resume(token)
    assert resumed.invitation is None
    assert resumed.survey == survey


def test_an_unknown_or_malformed_token_is_refused(survey: Survey) -> None:
    with pytest.raises(LinkUnknown):
        response_resume(new_token())
    for malformed in ("short", "x" * 65, "a/b" * 8, "令牌" * 10, new_token() + "\n"):
        with pytest.raises(LinkUnknown):
            response_resume(malformed)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_thread_reads_through_its_own_connection(survey: Survey) -> None:
    invitation = invitation_create(survey=survey, kind=InvitationKind.OPEN)
    token = response_start(invitation=invitation.invitation).resume_token
    response_resume(token)  # compiled for this thread's connection first
    seen: list[int] = []

    def other_thread() -> None:
        try:
            seen.append(response_resume(token).pk)
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert seen == [Response.objects.get().pk]


def test_the_joined_objects_are_cut_from_the_row_whatever_order_they_are_named_in(
    survey: Survey,
) -> None:
    survey.anonymous = False
    survey.save()
    invitation = invitation_create(survey=survey, kind=InvitationKind.OPEN).invitation
    token = response_start(invitation=invitation).resume_token
    reversed_order = PrecompiledGet(Response, "resume_hash", related=("invitation", "survey"))
    resumed = reversed_order.get(token_digest(token))
    assert resumed is not None
    assert resumed.survey == survey
    assert resumed.survey.title == survey.title
    assert resumed.invitation == invitation
    assert resumed.invitation is not None
    assert resumed.invitation.token_hash == invitation.token_hash


# --- Rows of values: a step's answers and its row lock ------------------------------------


def _started(campus: CampusSurvey) -> Response:
    invitation = invitation_create(survey=campus.survey, kind=InvitationKind.OPEN).invitation
    return response_start(invitation=invitation).response


def _grid_pages(campus: CampusSurvey) -> list[Page]:
    return [p for p in questionnaire_load(campus.survey).pages() if p.items[0].rows]


def _save(campus: CampusSurvey, response: Response, page: Page, level: int, text: str) -> None:
    item = page.items[0]
    answers = [
        AnswerInput(item.question.pk, row.code, column.code, value=level)
        for row in item.rows
        for column in item.columns
    ]
    if text:
        answers.append(AnswerInput(item.question.pk, item.rows[0].code, "", text=text))
    answers_save(
        response=response,
        questionnaire=questionnaire_load(campus.survey),
        scope=page.scope,
        answers=answers,
    )


def test_a_page_saved_again_replaces_its_own_answers_only(campus: CampusSurvey) -> None:
    response = _started(campus)
    first, second = _grid_pages(campus)  # one grid question, its rows over two pages
    _save(campus, response, first, 2, "Too crowded")
    _save(campus, response, second, 4, "")
    _save(campus, response, first, 5, "")  # changed its mind; cleared the comment

    stored = response_answers(response)
    by_row = {key[1]: answer for key, answer in stored.items() if key[2]}
    assert {by_row[row.code].value for row in first.items[0].rows} == {5}
    assert {by_row[row.code].value for row in second.items[0].rows} == {4}
    assert not [a for a in stored.values() if a.text]  # the cleared comment is gone
    assert Answer.objects.filter(response=response).count() == len(stored) == 2 * len(ROWS)


def test_answers_read_as_values_equal_the_orms_rows(campus: CampusSurvey) -> None:
    response = _started(campus)
    page = _grid_pages(campus)[0]
    item = page.items[0]
    answers_save(
        response=response,
        questionnaire=questionnaire_load(campus.survey),
        scope=page.scope,
        answers=[
            AnswerInput(item.question.pk, item.rows[0].code, "quality", value=3),
            AnswerInput(item.question.pk, item.rows[0].code, "value", dont_know=True),
            AnswerInput(item.question.pk, item.rows[1].code, "", text="很好 <b>"),
        ],
    )
    expected = {
        (a.question_id, a.row_code, a.column_code): (a.value, a.dont_know, a.text)
        for a in Answer.objects.filter(response=response)
    }
    stored = response_answers(response)
    assert {key: (a.value, a.dont_know, a.text) for key, a in stored.items()} == expected
    # Booleans as booleans on SQLite too (it stores 0 and 1), through the ORM's converters.
    assert {type(a.dont_know) for a in stored.values()} == {bool}
    assert not response_answers(_started(campus))


def test_a_page_saved_after_its_response_was_erased_is_an_unknown_link(
    campus: CampusSurvey,
) -> None:
    response = _started(campus)
    Response.objects.filter(pk=response.pk).delete()  # a data-protection request meanwhile
    with pytest.raises(LinkUnknown):
        _save(campus, response, _grid_pages(campus)[0], 3, "")
    assert not Answer.objects.exists()


@pytest.mark.postgres  # SQLite does not hold a text to its column's length
def test_a_code_too_long_for_its_column_is_refused_not_cut_short(campus: CampusSurvey) -> None:
    response = _started(campus)
    too_long = "x" * (Answer._meta.get_field("row_code").max_length + 1)  # type: ignore[operator]
    with pytest.raises(DatabaseError), transaction.atomic():
        answers_save(
            response=response,
            questionnaire=questionnaire_load(campus.survey),
            scope=[],
            answers=[AnswerInput(campus.grid.pk, too_long, "quality", value=3)],
        )
    assert not Answer.objects.exists()
