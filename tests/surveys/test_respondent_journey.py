"""The respondent's journey through real HTTP requests, as a browser without
JavaScript makes them: landing, pages, saving, resuming, reviewing, submitting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from materiality.models import StakeholderGroup
from materiality.services import (
    assessment_close,
    group_link_create,
    open_link_create,
    personal_invitation_create,
)
from surveys.models import Answer, Invitation, Response, ResponseStatus, Survey
from tests.conftest import link_path
from tests.respondents import answer_all, respond, start

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def chinese() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def customers_link(open_assessment: Any) -> str:
    group = StakeholderGroup.objects.get(code="customers")
    return link_path(group_link_create(assessment=open_assessment, group=group))


def test_the_landing_page_says_what_how_long_and_how_data_is_used(customers_link: str) -> None:
    html = english().get(customers_link).content.decode()
    assert "2026 materiality assessment" in html
    assert "about 10 minutes" in html
    assert "Privacy" in html
    assert "only in aggregate" in html


def test_the_landing_page_follows_the_browser_language(customers_link: str) -> None:
    html = chinese().get(customers_link).content.decode()
    assert "2026 年度实质性评估" in html
    assert 'lang="zh-hans"' in html


def test_a_group_link_skips_the_questions_about_the_respondent(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which stakeholder group" not in html
    assert "Corporate governance" in html
    assert "Importance to the company" in html
    response = Response.objects.get()
    assert response.respondent_group == "customers"
    assert response.respondent_internal is False


def test_each_rating_names_its_topic_and_axis_for_screen_readers(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert (
        '<legend>Importance to stakeholders<span class="visually-hidden"> — '
        "Corporate governance</span></legend>"
    ) in html
    assert html.count('type="radio"') == 5 * 2 * 6  # 5 topics × 2 axes × (5 levels + don't know)


def test_the_whole_questionnaire_is_answered_and_submitted(customers_link: str) -> None:
    client = english()
    walk = respond(client, customers_link, rating="5")
    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.submitted_at is not None
    ratings = Answer.objects.filter(response=response, value__isnull=False)
    assert ratings.count() == 17 * 2
    assert set(ratings.values_list("value", flat=True)) == {5}
    assert client.get(f"/s/r/{walk.resume}/thanks/").status_code == 200
    assert response.straight_lined is True  # every rating the same: flagged for scoring


def test_progress_is_shown_as_steps(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    html = client.get(walk.page_url(2)).content.decode()
    # 17 topics over 4 pages, the overall comment, then the review step.
    assert "Step 2 of 6" in html
    assert '<progress max="6" value="2"' in html


def test_missing_ratings_get_a_clear_message_in_the_respondents_language(
    customers_link: str,
) -> None:
    client = chinese()
    walk = start(client, customers_link)
    response = client.post(walk.page_url(1), {"action": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请为“企业管治”在“对公司的重要性”上打分" in html or "企业管治" in html
    english_client = english()
    english_client.cookies = client.cookies
    html = english_client.post(walk.page_url(1), {"action": "next"}).content.decode()
    assert "Please rate “Corporate governance” for “Importance to the company”." in html


def test_an_out_of_range_or_tampered_value_is_refused_and_nothing_changes(
    customers_link: str,
) -> None:
    client = english()
    walk = start(client, customers_link)
    answer_all(client, walk)
    before = list(Answer.objects.order_by("pk").values_list("row_code", "column_code", "value"))
    data = {f"q{_grid_id()}_r0_c0": "7", f"q{_grid_id()}_r0_c1": "<script>", "q999_r0_c0": "5"}
    response = client.post(walk.page_url(1), {**data, "action": "next"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    after = list(Answer.objects.order_by("pk").values_list("row_code", "column_code", "value"))
    assert sorted(after) == sorted(before)


def test_dont_know_is_stored_as_its_own_answer_never_as_a_rating(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    grid = _grid_id()
    data = {f"q{grid}_r{r}_c{c}": "4" for r in range(5) for c in range(2)}
    data[f"q{grid}_r0_c0"] = "dk"
    assert client.post(walk.page_url(1), {**data, "action": "next"}).status_code == 302
    answer = Answer.objects.get(row_code="corporate-governance", column_code="company")
    assert answer.dont_know is True
    assert answer.value is None


def test_comments_keep_markup_as_text_and_show_it_escaped(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    grid = _grid_id()
    data = {f"q{grid}_r{r}_c{c}": "3" for r in range(5) for c in range(2)}
    data[f"q{grid}_r0_comment"] = "<b>bold</b> & <script>alert(1)</script>"
    client.post(walk.page_url(1), {**data, "action": "next"})
    stored = Answer.objects.get(row_code="corporate-governance", column_code="")
    assert stored.text == "<b>bold</b> & <script>alert(1)</script>"
    html = client.get(walk.page_url(1)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_an_over_long_comment_is_refused_with_the_limit(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    grid = _grid_id()
    data = {f"q{grid}_r{r}_c{c}": "3" for r in range(5) for c in range(2)}
    data[f"q{grid}_r0_comment"] = "x" * 1001
    response = client.post(walk.page_url(1), {**data, "action": "next"})
    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert not Answer.objects.exists()


def test_save_and_finish_later_gives_a_link_that_resumes_on_another_device(
    customers_link: str,
) -> None:
    phone = english()
    walk = start(phone, customers_link)
    grid = _grid_id()
    data = {f"q{grid}_r{r}_c{c}": "2" for r in range(2) for c in range(2)}
    response = phone.post(walk.page_url(1), {**data, "action": "later"})
    assert response["Location"].endswith("/later/")
    html = phone.get(response["Location"]).content.decode()
    assert f"/s/r/{walk.resume}/" in html
    laptop = english()
    resumed = laptop.get(f"/s/r/{walk.resume}/")
    assert resumed["Location"] == walk.page_url(1)
    html = laptop.get(walk.page_url(1)).content.decode()
    assert html.count("checked") == 4


def test_reopening_a_group_link_in_the_same_browser_continues(customers_link: str) -> None:
    client = english()
    start(client, customers_link)
    again = client.post(customers_link)
    assert again.status_code == 302
    assert Response.objects.count() == 1


def test_submitting_twice_gets_its_own_page(customers_link: str) -> None:
    client = english()
    walk = respond(client, customers_link)
    again = client.post(walk.review_url)
    assert again.status_code == 409
    assert "already received" in again.content.decode()
    assert client.post(walk.page_url(1), {"action": "next"}).status_code == 409


def test_a_browser_that_answered_a_group_link_is_told_so(customers_link: str) -> None:
    client = english()
    respond(client, customers_link)
    response = client.get(customers_link)
    assert response.status_code == 409


def test_an_unknown_link_gets_a_404_page(open_assessment: Any) -> None:
    response = english().get("/s/i/this-is-not-a-real-token-at-all/")
    assert response.status_code == 404
    assert "not recognised" in response.content.decode()
    assert english().get("/s/r/nope/").status_code == 404


def test_an_expired_link_gets_a_410_page(open_assessment: Any) -> None:
    group = StakeholderGroup.objects.get(code="media")
    issued = group_link_create(
        assessment=open_assessment, group=group, expires_at=timezone.now() - timedelta(hours=1)
    )
    response = english().get(link_path(issued))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_closed_assessment_gets_a_410_page_and_keeps_answers(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    answer_all(client, walk)
    assessment_close(assessment=Survey.objects.get().assessment)
    assert client.get(customers_link).status_code == 410
    response = client.post(walk.review_url)
    assert response.status_code == 410
    assert "closed" in response.content.decode()
    assert Answer.objects.count() > 0


def test_a_draft_assessment_is_not_open_yet(assessment: Any) -> None:
    group = StakeholderGroup.objects.get(code="media")
    issued = group_link_create(assessment=assessment, group=group)
    response = english().get(link_path(issued))
    assert response.status_code == 403
    assert "not open yet" in response.content.decode()


def test_the_review_step_lists_the_answers_and_missing_pages(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    grid = _grid_id()
    client.post(
        walk.page_url(1),
        {**{f"q{grid}_r{r}_c{c}": "5" for r in range(5) for c in range(2)}, "action": "next"},
    )
    html = client.get(walk.review_url).content.decode()
    assert "Complete step 2" in html
    assert "5 Very important" in html
    response = client.post(walk.review_url)
    assert response.status_code == 400
    assert Response.objects.get().status == ResponseStatus.IN_PROGRESS


def test_an_open_link_asks_for_the_group_and_refuses_an_unknown_code(
    open_assessment: Any,
) -> None:
    path = link_path(open_link_create(assessment=open_assessment))
    client = english()
    walk = start(client, path)
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which stakeholder group do you belong to?" in html
    group_q = Survey.objects.get().questions.get(code="respondent-group").pk
    side_q = Survey.objects.get().questions.get(code="respondent-side").pk
    bad = client.post(walk.page_url(1), {f"q{group_q}": "aliens", f"q{side_q}": "external"})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    good = client.post(
        walk.page_url(1), {f"q{group_q}": "employees", f"q{side_q}": "internal", "action": "next"}
    )
    assert good.status_code == 302
    response = Response.objects.get()
    assert response.respondent_group == "employees"
    assert response.respondent_internal is True


def test_the_open_link_limits_responses_per_address(open_assessment: Any) -> None:
    Survey.objects.update(open_link_limit_per_ip=3)
    path = link_path(open_link_create(assessment=open_assessment))
    for _ in range(3):
        assert english().post(path).status_code == 302
    refused = english().post(path)
    assert refused.status_code == 429
    assert "Too many responses" in refused.content.decode()
    assert Response.objects.count() == 3


def test_a_personal_link_resumes_the_same_response_on_any_device(open_assessment: Any) -> None:
    group = StakeholderGroup.objects.get(code="employees")
    issued = personal_invitation_create(
        assessment=open_assessment, email="ann@example.com", group=group
    )
    phone = english()
    walk = start(phone, link_path(issued))
    answer_all(phone, walk)
    laptop = english()
    second = start(laptop, link_path(issued))
    assert Response.objects.count() == 1
    assert laptop.post(second.review_url).status_code == 302
    # The phone's resume link was replaced by the laptop's.
    assert phone.get(walk.review_url).status_code == 404
    # Opened again, the answered link says so at once rather than offering to start.
    again = laptop.get(link_path(issued))
    assert again.status_code == 409
    assert "already received" in again.content.decode()
    assert laptop.post(link_path(issued)).status_code == 409


def test_an_anonymous_response_keeps_no_link_to_the_invitation(open_assessment: Any) -> None:
    group = StakeholderGroup.objects.get(code="employees")
    issued = personal_invitation_create(
        assessment=open_assessment, email="bob@example.com", group=group
    )
    respond(english(), link_path(issued))
    response = Response.objects.get()
    assert response.invitation_id is None
    assert response.personal_invitation_id is None
    assert Invitation.objects.get(pk=issued.invitation.pk).responded_at is not None


def _grid_id() -> int:
    return Survey.objects.get().questions.get(code="importance").pk
