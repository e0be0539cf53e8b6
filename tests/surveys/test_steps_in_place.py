"""Steps shown in place (surveys/navigation.py): a POST sent by the survey's script
(`X-Materia-Navigate: in-place`) is answered with the page its redirect leads to, and
that page's URL; the same replies are stored, with the same checks, in one round trip
per step instead of two."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from surveys.models import Answer, Response, ResponseStatus, Survey
from surveys.navigation import IN_PLACE, LOCATION_HEADER, NAVIGATE_HEADER
from surveys.views import DONE_COOKIE, RESUME_COOKIE
from tests.conftest import link_path
from tests.respondents import GRID_FIELD, RADIO, Walk, answer_all, start, took
from tests.surveys.factories import InvitationFactory
from tests.surveys.test_concurrency import at_once

pytestmark = pytest.mark.django_db

IN_PLACE_HEADERS = {NAVIGATE_HEADER: IN_PLACE}


@pytest.fixture
def group_link(survey: Survey) -> str:
    return link_path(InvitationFactory(survey=survey))


def browser(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR="203.0.113.9")


def page_data(html: str, rating: str = "4", action: str = "next") -> dict[str, str]:
    data = dict.fromkeys(sorted(set(GRID_FIELD.findall(html))), rating)
    for name, value in RADIO.findall(html):
        data.setdefault(name, value)
    return data | {"action": action}


def stored(resume: str) -> tuple[str, list[tuple[str, str, str, int | None, str]]]:
    from surveys.tokens import token_digest

    response = Response.objects.get(resume_hash=token_digest(resume))
    answers = Answer.objects.filter(response=response).order_by(
        "question_id", "row_code", "column_code"
    )
    return response.status, [
        (a.question.code, a.row_code, a.column_code, a.value, a.text) for a in answers
    ]


def test_a_whole_walk_in_place_takes_one_request_a_step_and_stores_what_a_walk_by_redirects_stores(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    started = client.post(group_link, {"action": "new"}, headers=IN_PLACE_HEADERS)
    assert started.status_code == 200
    url = started[LOCATION_HEADER]
    assert url.endswith("/p/1/")
    resume = url.split("/")[3]
    assert client.cookies[RESUME_COOKIE.format(survey=survey.pk)].value == resume
    html = started.content.decode()
    assert "Step 1" in html
    requests = 1
    while url.split("/")[-2] != "review":
        answered = client.post(url, page_data(html), headers=IN_PLACE_HEADERS)
        requests += 1
        assert answered.status_code == 200, answered.content.decode()[:500]
        url, html = answered[LOCATION_HEADER], answered.content.decode()
    assert "Review your answers" in html
    took(Walk(resume=resume), 600)
    thanked = client.post(url, headers=IN_PLACE_HEADERS)
    assert thanked.status_code == 200
    assert thanked[LOCATION_HEADER] == f"/s/r/{resume}/thanks/"
    assert "Thank you" in thanked.content.decode()
    # The browser is marked as done and forgets the response, as after the redirect.
    assert client.cookies[DONE_COOKIE.format(survey=survey.pk)].value == "1"
    assert client.cookies[RESUME_COOKIE.format(survey=survey.pk)]["max-age"] == 0

    # The same replies walked by redirects store the same rows.
    other = browser()
    walk = start(other, group_link)
    answer_all(other, walk, "4")
    took(walk, 600)
    assert other.post(walk.review_url).status_code == 302
    # The start and one POST a step; by redirects, a GET more for each.
    assert requests == 1 + len(walk.pages)
    assert stored(resume) == stored(walk.resume)
    assert stored(resume)[0] == ResponseStatus.SUBMITTED


def test_a_step_with_missing_answers_is_shown_again_with_its_errors_and_no_new_address(
    group_link: str,
) -> None:
    client = browser()
    url = client.post(group_link, {"action": "new"}, headers=IN_PLACE_HEADERS)[LOCATION_HEADER]
    refused = client.post(url, {"action": "next"}, headers=IN_PLACE_HEADERS)
    assert refused.status_code == 400
    assert LOCATION_HEADER not in refused
    assert 'id="error-summary"' in refused.content.decode()


def test_back_later_and_the_language_switch_answer_with_the_page_they_lead_to(
    group_link: str,
) -> None:
    client = browser()
    first = client.post(group_link, {"action": "new"}, headers=IN_PLACE_HEADERS)
    second = client.post(
        first[LOCATION_HEADER], page_data(first.content.decode()), headers=IN_PLACE_HEADERS
    )
    url = second[LOCATION_HEADER]
    assert url.endswith("/p/2/")

    back = client.post(url, {"action": "back"}, headers=IN_PLACE_HEADERS)
    assert back.status_code == 200
    assert back[LOCATION_HEADER].endswith("/p/1/")
    # page 1's answers, read again
    assert re.search(r'<input [^>]*value="4"[^>]*\bchecked\b', back.content.decode())

    switched = client.post(url, {"language": "zh-hans"}, headers=IN_PLACE_HEADERS)
    assert switched.status_code == 200
    assert switched[LOCATION_HEADER] == url
    assert '<html lang="zh-hans">' in switched.content.decode()
    assert "第 2 步" in switched.content.decode() or "步骤 2" in switched.content.decode()
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"

    later = client.post(url, {"action": "later"}, headers=IN_PLACE_HEADERS)
    assert later.status_code == 200
    assert later[LOCATION_HEADER].endswith("/later/")
    assert "copy-link.js" in later.content.decode()


def test_continuing_on_a_shared_device_follows_both_redirects(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    walk = start(client, group_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert client.post(walk.page_url(1), page_data(html)).status_code == 302
    continued = client.post(group_link, {"action": "continue"}, headers=IN_PLACE_HEADERS)
    assert continued.status_code == 200
    # landing → continue → the first step still missing answers
    assert continued[LOCATION_HEADER] == walk.page_url(2)


def test_a_survey_closed_meanwhile_says_so_in_place_and_keeps_nothing(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    first = client.post(group_link, {"action": "new"}, headers=IN_PLACE_HEADERS)
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now())
    refused = client.post(
        first[LOCATION_HEADER], page_data(first.content.decode()), headers=IN_PLACE_HEADERS
    )
    assert refused.status_code == 410
    assert LOCATION_HEADER not in refused
    assert not Answer.objects.exists()


def test_without_the_header_every_post_still_redirects(group_link: str) -> None:
    client = browser()
    started = client.post(group_link, {"action": "new"})
    assert started.status_code == 302
    assert LOCATION_HEADER not in started
    # A GET asking for it is an ordinary GET.
    page = client.get(started["Location"], headers=IN_PLACE_HEADERS)
    assert page.status_code == 200
    assert LOCATION_HEADER not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_copies_of_the_final_post_in_place_at_once_all_show_the_thanks_page(
    survey: Survey, group_link: str
) -> None:
    client = browser()
    walk = start(client, group_link)
    answer_all(client, walk)
    took(walk, 600)
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}

    def submit() -> tuple[int, str, str]:
        copy = browser()
        copy.cookies = SimpleCookie(cookies)
        http = copy.post(walk.review_url, headers=IN_PLACE_HEADERS)
        return http.status_code, http.get(LOCATION_HEADER, ""), http.content.decode()

    results = at_once(4, submit)

    assert all(not isinstance(r, Exception) for r in results), results
    assert {(status, location) for status, location, _ in results} == {
        (200, f"/s/r/{walk.resume}/thanks/")
    }
    assert all("Your answers have been received." in html for _, _, html in results)
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1


def test_a_page_shown_in_place_is_drawn_for_its_own_address(group_link: str) -> None:
    # The language switch of the review and "later" pages sends the respondent back to
    # the page they are on, not to the step whose POST showed it.
    client = browser()
    walk = start(client, group_link)
    answer_all(client, walk)
    last = walk.page_url(walk.pages[-1])
    html = client.get(last).content.decode()
    review = client.post(last, page_data(html), headers=IN_PLACE_HEADERS)
    assert review[LOCATION_HEADER] == walk.review_url
    assert f'name="next" type="hidden" value="{walk.review_url}"' in review.content.decode()
    later = client.post(last, page_data(html, action="later"), headers=IN_PLACE_HEADERS)
    assert later[LOCATION_HEADER].endswith("/later/")
    assert f'name="next" type="hidden" value="{later[LOCATION_HEADER]}"' in later.content.decode()
