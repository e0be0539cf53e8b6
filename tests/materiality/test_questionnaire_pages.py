"""What a stakeholder sees of an assessment's questionnaire: its wording, its 17 topics
rated on the two axes, its links. (How the engine walks any survey — saving, resuming,
refusing, submitting — is tested on a generic survey in tests/surveys.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from materiality.models import StakeholderGroup
from materiality.services import assessment_close, group_link_create, open_link_create
from surveys.models import Answer, Response, ResponseStatus, Survey
from tests.conftest import link_path
from tests.respondents import answer_all, respond, start

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def customers_link(open_assessment: Any) -> str:
    group = StakeholderGroup.objects.get(code="customers")
    return link_path(group_link_create(assessment=open_assessment, group=group))


def _grid_id() -> int:
    return Survey.objects.get().questions.get(code="importance").pk


def test_the_landing_page_names_the_assessment_and_says_data_is_used_in_aggregate(
    customers_link: str,
) -> None:
    html = english().get(customers_link).content.decode()
    assert "2026 materiality assessment" in html
    assert "about 10 minutes" in html
    assert "only in aggregate" in html
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(customers_link).content.decode()
    assert "2026 年度实质性评估" in chinese


def test_a_group_link_opens_on_the_topics_rated_on_both_axes(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which stakeholder group" not in html
    assert "Corporate governance" in html
    assert "Importance to the company" in html
    assert (
        '<legend>Importance to stakeholders<span class="visually-hidden"> — '
        "Corporate governance</span></legend>"
    ) in html
    response = Response.objects.get()
    assert (response.respondent_group, response.respondent_internal) == ("customers", False)


def test_the_seventeen_topics_take_four_steps_the_last_with_the_comment_then_the_review(
    customers_link: str,
) -> None:
    client = english()
    walk = start(client, customers_link)
    html = client.get(walk.page_url(2)).content.decode()
    assert "Step 2 of 5" in html
    assert '<progress max="5" value="2"' in html
    assert "anything else you would like to tell us" not in html
    # The closing comment goes with the last four topics: no step of its own.
    last = client.get(walk.page_url(4)).content.decode()
    assert "Topics 14–17 of 17" in last
    assert "Is there anything else you would like to tell us? (optional)" in last
    assert "Review answers" in last
    assert client.get(walk.page_url(5)).status_code == 302  # no fifth step: back to the first


def test_a_submitted_questionnaire_rates_every_topic_on_both_axes(customers_link: str) -> None:
    respond(english(), customers_link, rating="5")
    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert Answer.objects.filter(response=response, value__isnull=False).count() == 17 * 2


def test_a_missing_rating_is_named_by_topic_and_axis_in_the_respondents_language(
    customers_link: str,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    walk = start(client, customers_link)
    # One axis of the first topic rated: the summary names the other; the topics left
    # unrated on both axes are named once each.
    data = {f"q{_grid_id()}_r0_c1": "3", "action": "next"}
    html = client.post(walk.page_url(1), data).content.decode()
    assert "请为“企业管治”在“对公司的重要性”上打分。" in html
    assert "请为“合规管理”打分。" in html
    english_client = english()
    english_client.cookies = client.cookies
    html = english_client.post(walk.page_url(1), data).content.decode()
    assert "Please rate “Corporate governance” for “Importance to the company”." in html
    assert "Please rate “Compliance management”." in html


def test_the_review_shows_the_levels_by_the_assessments_scale_labels(customers_link: str) -> None:
    client = english()
    walk = start(client, customers_link)
    grid = _grid_id()
    data = {f"q{grid}_r{r}_c{c}": "5" for r in range(5) for c in range(2)}
    client.post(walk.page_url(1), {**data, "action": "next"})
    assert "5 Very important" in client.get(walk.review_url).content.decode()


def test_closing_the_assessment_closes_its_links_and_keeps_answers(
    open_assessment: Any, customers_link: str
) -> None:
    client = english()
    walk = start(client, customers_link)
    answer_all(client, walk)
    assessment_close(assessment=open_assessment)
    assert client.get(customers_link).status_code == 410
    assert client.post(walk.review_url).status_code == 410
    assert Answer.objects.count() > 0


def test_a_draft_assessments_links_are_not_open_yet(assessment: Any) -> None:
    group = StakeholderGroup.objects.get(code="media")
    response = english().get(link_path(group_link_create(assessment=assessment, group=group)))
    assert response.status_code == 403


def test_the_open_link_asks_for_a_stakeholder_group_of_the_assessment(
    open_assessment: Any,
) -> None:
    client = english()
    walk = start(client, link_path(open_link_create(assessment=open_assessment)))
    html = client.get(walk.page_url(1)).content.decode()
    assert "Which stakeholder group do you belong to?" in html
    survey = Survey.objects.get()
    group_q = survey.questions.get(code="respondent-group").pk
    side_q = survey.questions.get(code="respondent-side").pk
    bad = client.post(walk.page_url(1), {f"q{group_q}": "aliens", f"q{side_q}": "external"})
    assert bad.status_code == 400
    good = client.post(
        walk.page_url(1), {f"q{group_q}": "employees", f"q{side_q}": "internal", "action": "next"}
    )
    assert good.status_code == 302
    response = Response.objects.get()
    assert (response.respondent_group, response.respondent_internal) == ("employees", True)
