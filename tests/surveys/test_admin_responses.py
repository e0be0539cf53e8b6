"""Administrators can export and erase a respondent's data (data-protection requests)."""

from __future__ import annotations

import json

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

    exported = admin_client.post(url, {"action": "export_json", "_selected_action": [response.pk]})
    data = json.loads(exported.content)
    assert [entry["response"] for entry in data] == [response.pk]
    assert len(data[0]["answers"]) == response.answers.count() == 3
    assert {"question": "services", "row": "gym", "column": "value", "value": 2}.items() <= (
        next(a for a in data[0]["answers"] if a["value"] is not None).items()
    )

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
