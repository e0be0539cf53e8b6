"""Administrators can export and erase a respondent's data (data-protection requests)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Response
from tests.surveys.conftest import CampusSurvey
from tests.surveys.factories import AnswerFactory, ResponseFactory

pytestmark = pytest.mark.django_db


def test_a_respondents_answers_can_be_exported_and_erased(
    admin_client: Client, campus: CampusSurvey
) -> None:
    response = ResponseFactory(survey=campus.survey)
    grid = campus.grid
    AnswerFactory(response=response, question=grid, row_code="gym", column_code="value", value=2)
    AnswerFactory(response=response, question=grid, row_code="gym", text="Too crowded.")
    AnswerFactory(response=response, question=campus.remarks, text="Thanks.")
    someone_else = AnswerFactory(response=ResponseFactory(survey=campus.survey))
    url = reverse("admin:surveys_response_changelist")

    exported = admin_client.post(
        url,
        {"action": "export_json", "_selected_action": [response.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    data = json.loads(exported.content)
    assert [entry["response"] for entry in data] == [response.pk]
    assert len(data[0]["answers"]) == response.answers.count() == 3
    # Names, not codes: what the respondent will read.
    assert {
        "question": "How good is each service?",
        "row": "Gym",
        "column": "Value for money",
        "value": 2,
    }.items() <= next(a for a in data[0]["answers"] if a["value"] is not None).items()

    erased = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [response.pk], "post": "yes"}
    )
    assert erased.status_code == 302
    assert not Response.objects.filter(pk=response.pk).exists()
    assert not Answer.objects.filter(response_id=response.pk).exists()
    assert Answer.objects.get() == someone_else


@pytest.mark.parametrize("who", ["esg_user", "decider_user", "outsider_user"])
def test_only_administrators_see_responses_in_the_admin(
    request: pytest.FixtureRequest, who: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:surveys_response_changelist")).status_code == 302


RESPONSE_LIST_QUERIES = 2 + 2 + 2 + 1


@pytest.mark.parametrize("rows", [3, 10])
def test_the_response_list_names_each_group_without_a_query_per_row(
    admin_client: Client, campus: CampusSurvey, django_assert_num_queries: Any, rows: int
) -> None:
    for index in range(rows):
        ResponseFactory(survey=campus.survey, respondent_group=("staff", "students")[index % 2])
    url = reverse("admin:surveys_response_changelist")
    # Session and user, the choices of the survey and group filters, two counts and the
    # page of rows, its groups' names and surveys read with it.
    with django_assert_num_queries(RESPONSE_LIST_QUERIES):
        page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    cells = re.findall(r'<td class="field-group_name">([^<]*)</td>', page.content.decode())
    assert sorted(set(cells)) == ["Staff", "Students"]
    assert len(cells) == rows


def test_the_response_list_names_the_group_in_chinese(
    admin_client: Client, campus: CampusSurvey
) -> None:
    ResponseFactory(survey=campus.survey, respondent_group="students")
    html = admin_client.get(
        reverse("admin:surveys_response_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert '<td class="field-group_name">学生</td>' in html
    assert ">students<" not in html


def test_a_responses_page_gives_its_fields_chinese_names(
    admin_client: Client, campus: CampusSurvey
) -> None:
    response = ResponseFactory(survey=campus.survey)
    html = admin_client.get(
        reverse("admin:surveys_response_change", args=[response.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    labels = set(re.findall(r"<label[^>]*>([^<:：]+)[:：]?</label>", html))
    for chinese in ("问卷", "续答链接哈希", "用时（秒）", "直线作答", "计数批次", "群体"):
        assert chinese in labels, chinese
    for english in ("Survey", "Resume hash", "Duration seconds", "Straight lined", "Tally batch"):
        assert english not in labels, english
