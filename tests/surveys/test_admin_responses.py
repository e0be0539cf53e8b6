"""Administrators can export and erase a respondent's data (data-protection requests)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.models import StakeholderGroup
from materiality.services import group_link_create
from surveys.models import Answer, Response
from tests.conftest import link_path
from tests.respondents import respond

pytestmark = pytest.mark.django_db


def test_a_respondents_answers_can_be_exported_and_erased(
    admin_client: Client, open_assessment: Any
) -> None:
    group = StakeholderGroup.objects.get(code="media")
    respond(Client(), link_path(group_link_create(assessment=open_assessment, group=group)))
    response = Response.objects.get()
    url = reverse("admin:surveys_response_changelist")
    exported = admin_client.post(url, {"action": "export_json", "_selected_action": [response.pk]})
    data = json.loads(exported.content)
    assert data[0]["response"] == response.pk
    assert len(data[0]["answers"]) == Answer.objects.count()
    erased = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [response.pk], "post": "yes"}
    )
    assert erased.status_code == 302
    assert not Response.objects.exists()
    assert not Answer.objects.exists()


@pytest.mark.parametrize("who", ["esg_user", "decider_user", "outsider_user"])
def test_only_administrators_see_responses_in_the_admin(
    request: pytest.FixtureRequest, who: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("admin:surveys_response_changelist")).status_code == 302
