"""The respondent's response read by a statement compiled once (surveys.precompiled):
the same objects as the ORM's own query, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model

from surveys.errors import LinkUnknown
from surveys.models import InvitationKind, Response, Survey
from surveys.precompiled import PrecompiledGet
from surveys.services import invitation_create, response_resume, response_start
from surveys.tokens import new_token, token_digest

pytestmark = pytest.mark.django_db


def fields_of(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_resumed_response_holds_what_the_orm_reads_with_its_survey_and_link(
    survey: Survey,
) -> None:
    survey.languages, survey.anonymous = ["zh-hans", "en"], False  # responses keep their link
    survey.save()
    invitation = invitation_create(
        survey=survey, kind=InvitationKind.SHARED, respondent_group="staff"
    )
    started = response_start(invitation=invitation.invitation, language="en")
    expected = Response.objects.select_related("survey", "invitation").get(pk=started.response.pk)

    plain = response_resume(started.resume_token)
    linked = response_resume(started.resume_token, with_invitation=True)

    for resumed in (plain, linked):
        assert fields_of(resumed) == fields_of(expected)
        assert fields_of(resumed.survey) == fields_of(expected.survey)
        assert resumed.survey.languages == ["zh-hans", "en"]  # JSON, not its text
        assert resumed.started_at.tzinfo is not None
        assert not resumed._state.adding
        assert resumed._state.db == "default"
    assert linked.invitation is not None
    assert expected.invitation is not None
    assert fields_of(linked.invitation) == fields_of(expected.invitation)
    # Saved like any response the ORM read: the row is updated, not inserted again.
    plain.language = "zh-hans"
    plain.save(update_fields=["language"])
    assert Response.objects.get().language == "zh-hans"


def test_a_response_without_a_link_is_read_with_none_for_its_link(survey: Survey) -> None:
    token = new_token()
    Response.objects.create(survey=survey, resume_hash=token_digest(token))
    resumed = response_resume(token, with_invitation=True)
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
