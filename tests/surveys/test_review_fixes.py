"""Behaviour pinned after review: anonymity, no silent loss, proxies, duplicate mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, RequestFactory, override_settings

from surveys.mailing import invitation_email_send
from surveys.models import Answer, Invitation, InvitationKind, Response, Survey
from surveys.ratelimits import client_address
from tests.conftest import link_path
from tests.respondents import respond, start
from tests.surveys.conftest import COMMENT_MAX_LENGTH, CampusSurvey
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def personal_link(survey: Survey) -> Any:
    return InvitationFactory(
        survey=survey,
        kind=InvitationKind.PERSONAL,
        email="a@b.c",
        respondent_group="staff",
        respondent_internal=True,
    )


def test_an_anonymous_response_cannot_be_matched_to_its_invitee_by_time(survey: Survey) -> None:
    issued = personal_link(survey)
    respond(Client(), link_path(issued))
    response = Response.objects.get()
    invitation = Invitation.objects.get(pk=issued.pk)
    assert invitation.responded_at is not None
    assert invitation.responded_at != response.submitted_at
    assert not Response.objects.filter(submitted_at=invitation.responded_at).exists()


def test_leaving_a_page_never_drops_an_answer_the_server_refuses(campus: CampusSurvey) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    walk = start(client, link_path(InvitationFactory(survey=campus.survey)))
    grid = campus.grid.pk
    client.post(walk.page_url(1), {f"q{grid}_r0_comment": "first thoughts", "action": "later"})
    assert Answer.objects.filter(text="first thoughts").exists()
    too_long = "x" * (COMMENT_MAX_LENGTH + 1)
    refused = client.post(walk.page_url(1), {f"q{grid}_r0_comment": too_long, "action": "back"})
    assert refused.status_code == 400
    assert Answer.objects.filter(text="first thoughts").exists()


def test_line_breaks_count_once_in_a_comments_length(campus: CampusSurvey) -> None:
    client = Client()
    walk = start(client, link_path(InvitationFactory(survey=campus.survey)))
    grid = campus.grid.pk
    comment = "line\r\n" * 199 + "end"  # 998 characters as typed, 1,197 with CRLF
    assert len(comment.replace("\r\n", "\n")) <= COMMENT_MAX_LENGTH < len(comment)
    client.post(walk.page_url(1), {f"q{grid}_r0_comment": comment, "action": "later"})
    assert Answer.objects.get(row_code="canteen").text == comment.replace("\r\n", "\n")


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_the_client_address_comes_from_its_header() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    assert client_address(request) == "198.51.100.7"  # the forged left entry is ignored


def test_without_a_proxy_the_header_is_not_trusted() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_address(request) == "203.0.113.5"


def test_an_invitation_claimed_by_one_sender_is_not_sent_again(survey: Survey) -> None:
    issued = personal_link(survey)
    stale = Invitation.objects.get(pk=issued.pk)
    fresh = Invitation.objects.get(pk=issued.pk)
    assert invitation_email_send(invitation=fresh) is True
    assert invitation_email_send(invitation=stale) is False  # a second task, same ids
    assert len(mail.outbox) == 1
