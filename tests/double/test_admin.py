"""The admin pages of double materiality open, and ratings, decisions and approvals
cannot be added, edited or deleted there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.double.decisions import DecisionInput, decision_record
from materiality.double.models import (
    DmaApproval,
    DmaStatus,
    DoubleAssessment,
    Iro,
    Matter,
    MatterDecision,
    Perspective,
    Rating,
)
from materiality.double.ratings import rating_add

pytestmark = pytest.mark.django_db

MODELS = ["rulepack", "matter", "mattertopic", "doubleassessment", "methodologyversion", "iro",
          "rater", "rating", "matterdecision", "dmaapproval"]  # fmt: skip


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


def _approved(dma: DoubleAssessment, esg_user: Any, decider_user: Any) -> Any:
    """The DMA approved by the decision group, with one decision note (flagged or not)."""
    privacy = Matter.objects.get(pack__code="esrs-2023", code="S4.1.1")
    DoubleAssessment.objects.filter(pk=dma.pk).update(status=DmaStatus.RESULTS)
    dma.refresh_from_db()
    decision = decision_record(
        dma=dma, data=DecisionInput(matter=privacy, note="Judged material."), actor=esg_user
    )
    approval = DmaApproval.objects.create(
        dma=dma,
        methodology_number=1,
        results={"matters": [{"matter": "S4.1.1", "material": True}, {"matter": "S4"}]},
        approved_by=decider_user,
    )
    return decision, approval


def test_decisions_and_approvals_are_shown_by_name_and_never_changed(
    admin_user: Any,
    rating_dma: DoubleAssessment,
    risk: Iro,
    expert: Any,
    esg_user: Any,
    decider_user: Any,
) -> None:
    rating_add(iro=risk, rater=expert, magnitude=3, likelihood=3, rationale="r")
    decision, approval = _approved(rating_dma, esg_user, decider_user)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin_user)

    decisions = client.get(reverse("admin:double_matterdecision_changelist")).content.decode()
    assert decision.matter.get_name("zh-hans") in decisions  # the matter's name, not S4.1.1
    approvals = client.get(reverse("admin:double_dmaapproval_changelist")).content.decode()
    assert "1 / 2" in approvals  # material matters of the snapshot
    page = client.get(reverse("admin:double_dmaapproval_change", args=[approval.pk]))
    assert page.status_code == 200
    assert "批准人" in page.content.decode()  # the field names in Chinese

    for model, obj in (("matterdecision", decision), ("dmaapproval", approval)):
        change = reverse(f"admin:double_{model}_change", args=[obj.pk])
        client.post(change, {"note": "rewritten"})
        assert client.get(reverse(f"admin:double_{model}_add")).status_code == 403
        delete = reverse(f"admin:double_{model}_delete", args=[obj.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    decision.refresh_from_db()
    approval.refresh_from_db()
    assert decision.note == "Judged material."
    assert approval.note == ""


def test_decisions_and_approvals_without_an_account_show_the_name_kept(
    admin_client_: Client, rating_dma: DoubleAssessment
) -> None:
    # As restored from a file: the account is not linked, its username is kept as text.
    MatterDecision.objects.create(
        dma=rating_dma,
        matter=Matter.objects.get(pack__code="esrs-2023", code="S4.1.1"),
        perspective=Perspective.IMPACT,
        computed_value=Decimal("3.00"),
        final_value=Decimal("2.50"),
        note="Remote.",
        reason="Remote risk",
        approver_name="decider-elsewhere",
        created_by_name="recorder-elsewhere",
    )
    DmaApproval.objects.create(
        dma=rating_dma, methodology_number=1, results={}, approved_by_name="approver-elsewhere"
    )

    decisions = admin_client_.get(reverse("admin:double_matterdecision_changelist")).text
    approvals = admin_client_.get(reverse("admin:double_dmaapproval_changelist")).text

    assert "decider-elsewhere" in decisions
    assert "recorder-elsewhere" in decisions
    assert "approver-elsewhere" in approvals


def test_a_methodology_version_without_an_account_shows_the_name_kept(
    admin_client_: Client, rating_dma: DoubleAssessment
) -> None:
    # As restored from a file: the account is not linked, its username is kept as text.
    rating_dma.methodology_versions.create(
        number=2, settings={}, note="Elsewhere.", created_by_name="freezer-elsewhere"
    )

    versions = admin_client_.get(reverse("admin:double_methodologyversion_changelist")).text
    dma_page = admin_client_.get(
        reverse("admin:double_doubleassessment_change", args=[rating_dma.pk])
    ).text

    assert "freezer-elsewhere" in versions
    assert "esg-member" in versions  # version 1, frozen by an account here
    assert "freezer-elsewhere" in dma_page  # the DMA's versions, inline
