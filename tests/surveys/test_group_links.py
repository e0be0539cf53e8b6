"""Group links (shared by a group, or open): limits per network address and per device,
and links that are revoked or rotated."""

from __future__ import annotations

import pytest
from django.test import Client

from surveys.models import InvitationKind, Response, ResponseStatus, Survey
from surveys.services import invitation_rotate, response_resume
from surveys.views import DEVICE_COOKIE, DONE_COOKIE
from tests.conftest import RatelimitClock, link_path
from tests.respondents import answer_all, respond, start, took
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def browser(language: str = "en", address: str = "203.0.113.7") -> Client:
    """A browser without cookies yet, behind `address`."""
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)


def open_link(survey: Survey) -> str:
    return link_path(
        InvitationFactory(
            survey=survey, kind=InvitationKind.OPEN, respondent_group="", respondent_internal=None
        )
    )


def submitted() -> int:
    return Response.objects.filter(status=ResponseStatus.SUBMITTED).count()


def test_a_group_link_takes_a_limited_number_of_replies_per_address_and_day(
    survey: Survey, ratelimit_clock: RatelimitClock
) -> None:
    Survey.objects.update(group_link_limit_per_address=3, group_link_limit_per_device=0)
    path = link_path(InvitationFactory(survey=survey))
    for _ in range(3):
        respond(browser(), path)  # three people of one office, three browsers
    assert submitted() == 3

    refused = browser().post(path)

    assert refused.status_code == 429
    assert "received many replies from here today" in refused.content.decode()
    assert 0 < int(refused["Retry-After"]) <= DAY
    assert Response.objects.count() == 3  # nothing stored beyond the limit
    # Another network is not held back, nor the same one the next day.
    respond(browser(address="198.51.100.9"), path)
    ratelimit_clock.advance(DAY)
    respond(browser(), path)
    assert submitted() == 5


def test_the_limit_counts_completed_replies_and_refuses_the_submit_past_it(
    survey: Survey,
) -> None:
    Survey.objects.update(group_link_limit_per_address=2, group_link_limit_per_device=0)
    path = link_path(InvitationFactory(survey=survey))
    # Three begin before anyone submits: starts alone do not use the limit up.
    walks = [(client, start(client, path)) for client in (browser(), browser(), browser())]
    for client, walk in walks:
        answer_all(client, walk)
        took(walk, 600)
    assert [client.post(walk.review_url).status_code for client, walk in walks] == [302, 302, 429]
    assert submitted() == 2
    # The third reply is kept in progress, not counted, and can be sent tomorrow.
    late = response_resume(walks[2][1].resume)
    assert late.status == ResponseStatus.IN_PROGRESS
    assert late.limit_address  # what its submit counts against, while in progress
    assert not Response.objects.filter(status=ResponseStatus.SUBMITTED).exclude(
        limit_address="", limit_device=""
    )  # submitted replies keep no mark of where they came from


def test_one_device_is_limited_even_when_it_changes_address(survey: Survey) -> None:
    Survey.objects.update(group_link_limit_per_address=0, group_link_limit_per_device=2)
    path = open_link(survey)
    device = browser()
    for number in range(2):
        device.defaults["REMOTE_ADDR"] = f"192.0.2.{number}"
        device.cookies.pop(DONE_COOKIE.format(survey=survey.pk), None)  # a "done" mark cleared
        respond(device, path, seconds=600)
    assert DEVICE_COOKIE in device.cookies
    device.defaults["REMOTE_ADDR"] = "192.0.2.99"
    device.cookies.pop(DONE_COOKIE.format(survey=survey.pk), None)

    refused = device.post(path)

    assert refused.status_code == 429
    assert submitted() == 2
    assert Response.objects.count() == 2


def test_the_limit_message_is_in_the_respondents_language(survey: Survey) -> None:
    Survey.objects.update(group_link_limit_per_address=1, group_link_limit_per_device=0)
    path = link_path(InvitationFactory(survey=survey))
    respond(browser(), path)
    refused = browser("zh-hans").post(path)
    assert refused.status_code == 429
    # The catalogue's translation comes with the next makemessages/compilemessages.
    assert 'lang="zh-hans"' in refused.content.decode()


def test_the_defaults_let_an_office_behind_one_address_answer(survey: Survey) -> None:
    fresh = Survey.objects.get(pk=survey.pk)
    assert fresh.group_link_limit_per_address >= 200
    assert fresh.group_link_limit_per_device >= 1


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "This link is no longer valid"), ("zh-hans", 'lang="zh-hans"')],
)
def test_a_rotated_link_is_no_longer_valid_and_the_new_one_works(
    survey: Survey, language: str, text: str
) -> None:
    old = InvitationFactory(survey=survey)
    respond(browser(), link_path(old))

    new = invitation_rotate(invitation=old)

    assert new is not None
    for method in ("get", "post"):
        gone = getattr(browser(language), method)(link_path(old))
        assert gone.status_code == 410
        assert text in gone.content.decode()
    respond(browser(address="198.51.100.1"), f"/s/i/{new.token}/")
    assert submitted() == 2  # the reply the old link brought stays
    assert (new.invitation.respondent_group, new.invitation.kind) == ("staff", "shared")
    assert invitation_rotate(invitation=old) is None  # rotated once
