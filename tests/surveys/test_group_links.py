"""Group links (shared by a group, or open): limits per network address and per device,
and links that are revoked or rotated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from surveys.errors import LinkRevoked
from surveys.models import Answer, Invitation, InvitationKind, Response, ResponseStatus, Survey
from surveys.navigation import IN_PLACE, NAVIGATE_HEADER
from surveys.selectors import questionnaire_load
from surveys.services import (
    AnswerInput,
    answers_save,
    invitation_revoke,
    invitation_rotate,
    response_resume,
    response_submit,
)
from surveys.tallies import counted_responses, tally_current
from surveys.views import DEVICE_COOKIE, DONE_COOKIE
from tests.conftest import RatelimitClock, link_path
from tests.respondents import GRID_FIELD, Walk, answer_all, respond, start, took
from tests.surveys.conftest import CampusSurvey
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


# --- Replies in progress on a revoked or replaced link ------------------------------------

GONE = {"en": "This link is no longer valid", "zh-hans": "此链接已失效"}


def stored_answers() -> list[tuple[int, str, str, int | None, str]]:
    return sorted(
        Answer.objects.values_list("question_id", "row_code", "column_code", "value", "text")
    )


def answered(client: Client, path: str) -> Walk:
    """A reply begun on `path` with every page answered (rated 4), not yet submitted."""
    walk = start(client, path)
    answer_all(client, walk)
    took(walk, 600)
    return walk


def first_page_rated(client: Client, walk: Walk, rating: str) -> dict[str, str]:
    """The first page's form, every cell rated `rating` (read while the link works)."""
    html = client.get(walk.page_url(1)).content.decode()
    return dict.fromkeys(set(GRID_FIELD.findall(html)), rating) | {"action": "next"}


def assert_gone(answer: Any, language: str = "en") -> None:
    """The page a revoked link answers, in the respondent's language."""
    assert answer.status_code == 410
    html = answer.content.decode()
    assert GONE[language] in html
    assert f'lang="{language}"' in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("anonymous", [True, False])
def test_a_reply_begun_on_a_revoked_link_can_no_longer_be_saved_or_submitted(
    survey: Survey, language: str, anonymous: bool
) -> None:
    Survey.objects.filter(pk=survey.pk).update(anonymous=anonymous)
    link = InvitationFactory(survey=survey)
    client = browser(language)
    walk = answered(client, link_path(link))
    changed = first_page_rated(client, walk, "2")
    before = stored_answers()

    invitation_revoke(invitation=link)

    # Every page of the reply answers as the revoked link itself does.
    for path in (
        walk.page_url(1),
        walk.review_url,
        f"/s/r/{walk.resume}/",
        f"/s/r/{walk.resume}/later/",
    ):
        assert_gone(client.get(path), language)
    assert_gone(client.post(walk.page_url(1), changed), language)
    assert_gone(
        client.post(walk.page_url(1), changed, headers={NAVIGATE_HEADER: IN_PLACE}), language
    )
    assert_gone(client.post(walk.review_url), language)
    assert_gone(client.get(link_path(link)), language)
    assert stored_answers() == before  # nothing of the page saved after the revoke
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS
    assert not counted_responses(survey.pk).exists()


def test_a_reply_read_before_the_revoke_is_refused_at_its_save_and_submit(
    campus: CampusSurvey,
) -> None:
    # A save or a submit that read the reply just before the link was revoked checks the
    # link again under the reply's lock: every caller of the services is refused.
    link = InvitationFactory(survey=campus.survey)
    walk = answered(browser(), link_path(link))
    response = response_resume(walk.resume)
    questionnaire = questionnaire_load(campus.survey)
    before = stored_answers()

    invitation_revoke(invitation=link)

    with pytest.raises(LinkRevoked):
        answers_save(
            response=response,
            questionnaire=questionnaire,
            scope=questionnaire.pages(response)[0].scope,
            answers=[AnswerInput(campus.grid.pk, "canteen", "quality", value=1)],
        )
    with pytest.raises(LinkRevoked):
        response_submit(response=response, questionnaire=questionnaire)
    assert stored_answers() == before
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS


def test_replacing_a_link_stops_the_old_links_replies_and_the_new_link_works(
    survey: Survey,
) -> None:
    old = InvitationFactory(survey=survey)
    client = browser()
    walk = answered(client, link_path(old))

    new = invitation_rotate(invitation=old)

    assert new is not None
    assert_gone(client.get(walk.page_url(1)))
    assert_gone(client.post(walk.review_url))
    # The same browser opens the new link: it offers no "continue" for the stopped reply,
    # and the reply begun there is sent.
    landing = client.get(f"/s/i/{new.token}/").content.decode()
    assert 'value="continue"' not in landing
    respond(client, f"/s/i/{new.token}/")
    assert submitted() == 1
    assert Response.objects.get(status=ResponseStatus.SUBMITTED).invitation_id in {
        None,  # an anonymous survey cuts the link at the submit
        new.invitation.pk,
    }
    assert Response.objects.filter(status=ResponseStatus.IN_PROGRESS).count() == 1


def test_a_reply_sent_before_the_revoke_stays_and_counts_in_the_next_runs_input(
    survey: Survey,
) -> None:
    link = InvitationFactory(survey=survey)
    sent = respond(browser(), link_path(link))
    late_browser = browser(address="198.51.100.4")
    late = answered(late_browser, link_path(link))

    invitation_revoke(invitation=link)

    assert_gone(late_browser.post(late.review_url))
    assert browser().get(f"/s/r/{sent.resume}/thanks/").status_code == 200
    with transaction.atomic():  # what the next run reads
        tally = tally_current(survey.pk)
    assert tally.responses == 1
    assert list(counted_responses(survey.pk)) == [response_resume(sent.resume)]


def test_revoking_a_personal_invitation_stops_its_reply_in_progress(survey: Survey) -> None:
    invitation = InvitationFactory(
        survey=survey, kind=InvitationKind.PERSONAL, email="ann@example.com"
    )
    client = browser()
    walk = answered(client, link_path(invitation))

    invitation_revoke(invitation=invitation)

    assert_gone(client.get(walk.page_url(1)))
    assert_gone(client.post(walk.review_url))
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS
    assert Invitation.objects.get(pk=invitation.pk).responded_at is None


def test_the_api_refuses_a_revoked_links_token(survey: Survey) -> None:
    # The API starts and submits a reply in one request, through the link: refused there.
    link = InvitationFactory(survey=survey)
    invitation_revoke(invitation=link)
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/respond/{link.token}/",
        json.dumps({"answers": [{"question": 1, "value": "x"}]}),
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "link_revoked")
    assert not Response.objects.exists()
