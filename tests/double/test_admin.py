"""The admin pages of double materiality open, and ratings cannot be edited there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.models import DoubleAssessment, Iro, Rating
from materiality.double.ratings import rating_add

pytestmark = pytest.mark.django_db

MODELS = ["rulepack", "matter", "mattertopic", "doubleassessment", "methodologyversion", "iro",
          "rater", "rating"]  # fmt: skip


@pytest.fixture
def admin_client_(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_opens(
    admin_client_: Client, rating_dma: DoubleAssessment, model: str
) -> None:
    response = admin_client_.get(reverse(f"admin:double_{model}_changelist"))
    assert response.status_code == 200


def test_a_rating_is_read_only_in_the_admin(
    admin_client_: Client, rating_dma: DoubleAssessment, risk: Iro, expert: Any
) -> None:
    rating = rating_add(iro=risk, rater=expert, magnitude=3, likelihood=3, rationale="r")
    change = reverse("admin:double_rating_change", args=[rating.pk])
    response = admin_client_.post(change, {"rationale": "rewritten"})
    assert response.status_code in (200, 403)
    assert Rating.objects.get(pk=rating.pk).rationale == "r"
    assert admin_client_.get(reverse("admin:double_rating_add")).status_code == 403
