"""Shared devices (#16, finding 6): on a group link, the next person on the same browser
can start their own response, never sees the previous person's answers, and is not told
"already received" for the previous person's submit; the link's limit per device still
bounds what one browser can send."""

from __future__ import annotations

import pytest
from django.test import Client

from surveys.models import Answer, InvitationKind, Response, ResponseStatus, Survey
from surveys.views import DONE_COOKIE, RESUME_COOKIE
from tests.conftest import link_path
from tests.respondents import GRID_FIELD, Walk, answer_all, respond, start, took
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

COMMENT = "The canteen closes too early for the night shift."


@pytest.fixture
def group_link(survey: Survey) -> str:
    return link_path(InvitationFactory(survey=survey))


def browser(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR="203.0.113.7")


def first_page_with_a_comment(client: Client, walk: Walk, *, action: str = "later") -> None:
    """The first page rated, with a comment on its first topic."""
    html = client.get(walk.page_url(1)).content.decode()
    cells = set(GRID_FIELD.findall(html))
    grid = next(iter(cells)).split("_", 1)[0]
    data = dict.fromkeys(cells, "2") | {f"{grid}_r0_comment": COMMENT, "action": action}
    assert client.post(walk.page_url(1), data).status_code == 302


def resume_cookie(client: Client, survey: Survey) -> str:
    return client.cookies[RESUME_COOKIE.format(survey=survey.pk)].value


def test_a_browser_with_answers_begun_offers_to_continue_them_or_start_anew(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    start(client, group_link)
    html = client.get(group_link).content.decode()
    assert "Answers were begun on this device" in html
    assert 'name="action" value="continue"' in html
    assert 'name="action" value="new"' in html
    assert "Start a new response (someone else on this device)" in html


def test_starting_anew_never_shows_the_previous_persons_answers_and_keeps_theirs(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    first = start(client, group_link)
    first_page_with_a_comment(client, first)

    again = client.post(group_link, {"action": "new"})

    assert again.status_code == 302
    second = Walk(resume=again["Location"].split("/")[3])
    assert second.resume != first.resume
    html = client.get(second.page_url(1)).content.decode()
    assert COMMENT not in html
    assert "checked" not in html
    # The previous respondent's resume cookie is replaced by the new response's.
    assert resume_cookie(client, survey) == second.resume
    # Their response stays saved, and resumable by their saved link (on their phone, say).
    assert Response.objects.count() == 2
    assert Answer.objects.filter(text=COMMENT).count() == 1
    elsewhere = browser()
    assert elsewhere.get(f"/s/r/{first.resume}/")["Location"] == first.page_url(2)
    assert COMMENT in elsewhere.get(first.page_url(1)).content.decode()


def test_continuing_goes_on_with_the_answers_begun(survey: Survey, group_link: str) -> None:
    client = browser()
    first = start(client, group_link)
    first_page_with_a_comment(client, first)

    again = client.post(group_link, {"action": "continue"})

    assert again["Location"] == f"/s/r/{first.resume}/"
    assert Response.objects.count() == 1


def test_after_a_submit_the_next_person_on_the_device_is_offered_a_new_response(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    first = respond(client, group_link)

    landing = client.get(group_link)

    # Not "already received" as an error any more: a note, and a way to start.
    assert landing.status_code == 200
    html = landing.content.decode()
    assert "Answers were already sent from this device" in html
    assert 'name="action" value="new"' in html
    assert 'value="continue"' not in html  # nothing of the previous respondent to go on
    again = client.post(group_link, {"action": "new"})
    assert again.status_code == 302
    second = Walk(resume=again["Location"].split("/")[3])
    assert second.resume != first.resume
    assert "checked" not in client.get(second.page_url(1)).content.decode()
    assert not client.cookies[DONE_COOKIE.format(survey=survey.pk)].value  # dropped
    answer_all(client, second)
    took(second, 600)
    assert client.post(second.review_url).status_code == 302
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 2


def test_the_thanks_page_shows_none_of_the_answers_or_comment(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    walk = start(client, group_link)
    answer_all(client, walk)
    first_page_with_a_comment(client, walk, action="next")
    took(walk, 600)
    assert Answer.objects.filter(text=COMMENT).count() == 1
    thanks = client.get(client.post(walk.review_url)["Location"])
    assert thanks.status_code == 200
    assert COMMENT not in thanks.content.decode()
    # Nor does any page of that response, to whoever finds its address in the history.
    assert COMMENT not in client.get(walk.page_url(1)).content.decode()
    assert client.get(walk.review_url)["Location"].endswith("/thanks/")


def test_new_responses_on_one_device_stay_within_the_links_limit_per_device(
    survey: Survey, group_link: str
) -> None:
    Survey.objects.update(group_link_limit_per_address=0, group_link_limit_per_device=2)
    client = browser()
    respond(client, group_link)
    walk = start_new(client, group_link)
    answer_all(client, walk)
    took(walk, 600)
    assert client.post(walk.review_url).status_code == 302

    refused = client.post(group_link, {"action": "new"})

    assert refused.status_code == 429
    assert Response.objects.count() == 2


def test_a_personal_link_is_unchanged_one_person_one_response(survey: Survey) -> None:
    path = link_path(
        InvitationFactory(survey=survey, kind=InvitationKind.PERSONAL, email="ann@example.com")
    )
    client = browser()
    respond(client, path)
    again = client.get(path)
    assert again.status_code == 409
    assert client.post(path, {"action": "new"}).status_code == 409
    assert Response.objects.count() == 1


def start_new(client: Client, path: str) -> Walk:
    response = client.post(path, {"action": "new"})
    assert response.status_code == 302, response.content.decode()[:500]
    return Walk(resume=response["Location"].split("/")[3])
