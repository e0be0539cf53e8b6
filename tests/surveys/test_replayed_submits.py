"""The questionnaire's final POST sent more than once: a double tap, a proxy that retries,
the browser's back button and "submit" again. One reply is stored, and every copy of the
POST is answered with the thanks page, never an error and never a second row.

(The API's `Idempotency-Key` covers the same for integrators: tests/api/test_respond.py.)
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.test import Client

from surveys.models import Answer, Invitation, InvitationKind, Response, ResponseStatus, Survey
from tests.conftest import link_path
from tests.respondents import Walk, answer_all, respond, start, took
from tests.surveys.factories import InvitationFactory
from tests.surveys.test_concurrency import at_once

THANKS = "Your answers have been received."


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def same_browser(browser: Client) -> Client:
    """Another client with the browser's cookies: a copy of one of its requests."""
    copy = english()
    copy.cookies = SimpleCookie({name: morsel.value for name, morsel in browser.cookies.items()})
    return copy


def group_link(survey: Survey) -> str:
    return link_path(
        InvitationFactory(survey=survey, respondent_group="students", respondent_internal=False)
    )


def personal_link(survey: Survey) -> Any:
    return InvitationFactory(
        survey=survey,
        kind=InvitationKind.PERSONAL,
        email="ann@example.com",
        respondent_group="staff",
        respondent_internal=True,
    )


def stored(survey: Survey) -> tuple[int, int]:
    """Submitted replies and answer rows of the survey."""
    return (
        Response.objects.filter(survey=survey, status=ResponseStatus.SUBMITTED).count(),
        Answer.objects.filter(response__survey=survey).count(),
    )


def thanks_after(client: Client, http: Any) -> str:
    assert http.status_code == 302, http.content.decode()[:500]
    assert http["Location"].endswith("/thanks/")
    page = client.get(http["Location"])
    assert page.status_code == 200
    return page.content.decode()


@pytest.mark.django_db
def test_a_double_tap_on_submit_stores_one_reply_and_thanks_twice(survey: Survey) -> None:
    client = english()
    walk = respond(client, group_link(survey))
    before = stored(survey)

    again = client.post(walk.review_url)

    assert THANKS in thanks_after(client, again)
    assert stored(survey) == before
    assert before[0] == 1


@pytest.mark.django_db
def test_a_retry_whose_first_answer_was_lost_still_marks_the_browser_as_done(
    survey: Survey,
) -> None:
    # A proxy retries the POST after the first answer (and its cookies) got lost on the
    # way: the browser reads only the second answer, which must close the link for it.
    link = group_link(survey)
    browser = english()
    walk = start(browser, link)
    answer_all(browser, walk)
    took(walk, 600)
    lost = same_browser(browser)  # the first POST, whose answer is lost
    assert lost.post(walk.review_url).status_code == 302

    retried = browser.post(walk.review_url)

    assert THANKS in thanks_after(browser, retried)
    assert browser.cookies[f"materia-done-{survey.pk}"].value == "1"
    # This browser has answered the link: it says so (and offers someone else a new
    # response, tests/surveys/test_shared_devices.py), with nothing to continue.
    landing = browser.get(link).content.decode()
    assert "Answers were already sent from this device" in landing
    assert 'value="continue"' not in landing
    assert stored(survey)[0] == 1


@pytest.mark.django_db
def test_back_and_submit_again_on_a_personal_link_counts_once(survey: Survey) -> None:
    issued = personal_link(survey)
    client = english()
    walk = respond(client, link_path(issued))
    responded_at = Invitation.objects.get(pk=issued.pk).responded_at
    before = stored(survey)

    client.get(walk.review_url)  # back: the review page now leads to the thanks
    again = client.post(walk.review_url)

    assert THANKS in thanks_after(client, again)
    assert stored(survey) == before
    assert Invitation.objects.get(pk=issued.pk).responded_at == responded_at


@pytest.mark.django_db
def test_a_page_saved_after_the_submit_is_still_refused(survey: Survey) -> None:
    # Only the final POST is a harmless repeat: changing an answer after submitting
    # is not, and gets the page that says the reply is in.
    client = english()
    walk = respond(client, group_link(survey))
    refused = client.post(walk.page_url(1), {"action": "next"})
    assert refused.status_code == 409
    assert "already received" in refused.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_copies_of_the_final_post_at_once_store_one_reply_and_both_thank(
    survey: Survey,
) -> None:
    browser = english()
    walk: Walk = start(browser, group_link(survey))
    answer_all(browser, walk)
    took(walk, 600)

    def submit() -> tuple[int, str]:
        http = same_browser(browser).post(walk.review_url)
        return http.status_code, http.get("Location", "")

    results = at_once(4, submit)

    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _ in results} == {302}, results
    assert all(location.endswith("/thanks/") for _, location in results), results
    assert stored(survey)[0] == 1
    assert THANKS in english().get(f"/s/r/{walk.resume}/thanks/").content.decode()
