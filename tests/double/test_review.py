"""Closing rating, decision notes and overrides, and the review of a DMA's results: the
ESG team submits, the decision group approves (only with every flagged result noted) or
sends back; approval freezes the results."""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.urls import reverse

from materiality.double.decisions import DecisionInput, decision_record
from materiality.double.methodology import methodology_freeze
from materiality.double.models import (
    DmaAction,
    DmaStatus,
    DoubleAssessment,
    Iro,
    MatterDecision,
    MethodologyVersion,
    Perspective,
    Rater,
    RaterRole,
)
from materiality.double.ratings import rating_add
from materiality.double.review import (
    approval_of,
    dma_approve,
    dma_close_rating,
    dma_send_back,
    dma_submit_for_review,
)
from tests.double.conftest import matter

pytestmark = pytest.mark.django_db

AT_THRESHOLD = {"scale": 3, "scope": 3, "irremediability": 3, "likelihood": 3}


@pytest.fixture
def panel(rating_dma: DoubleAssessment) -> list[Rater]:
    return [
        Rater.objects.create(dma=rating_dma, name=name, role=RaterRole.INTERNAL_EXPERT)
        for name in ("A", "B", "C")
    ]


def rate_impact(impact: Iro, panel: list[Rater]) -> None:
    # A human-rights impact scores its severity: 3.00, exactly at the threshold (flagged).
    for rater in panel:
        rating_add(iro=impact, rater=rater, rationale="because", **AT_THRESHOLD)


def rate_risk(risk: Iro, panel: list[Rater]) -> None:
    rating_add(iro=risk, rater=panel[0], rationale="because", magnitude=5, likelihood=5)


@pytest.fixture
def results_dma(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, panel: list[Rater], esg_user: Any
) -> DoubleAssessment:
    """Rated and closed: its privacy matter (S4.1.1) needs a documented judgement."""
    rate_impact(impact, panel)
    rate_risk(risk, panel)
    return dma_close_rating(dma=rating_dma, actor=esg_user)


def note(dma: DoubleAssessment, user: Any, **changes: Any) -> None:
    values: dict[str, Any] = {"matter": matter("S4.1.1"), "note": "At the threshold: material."}
    values.update(changes)
    decision_record(dma=dma, data=DecisionInput(**values), actor=user)


def client_of(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def test_closing_rating_is_refused_while_an_iro_has_no_rating(
    rating_dma: DoubleAssessment, impact: Iro, risk: Iro, panel: list[Rater], esg_user: Any
) -> None:
    rate_impact(impact, panel)

    with pytest.raises(ValidationError) as refused:
        dma_close_rating(dma=rating_dma, actor=esg_user)

    assert refused.value.messages == [f"1 IRO has no rating yet: {risk.reference}."]
    rating_dma.refresh_from_db()
    assert rating_dma.status == DmaStatus.RATING
    rate_risk(risk, panel)
    dma_close_rating(dma=rating_dma, actor=esg_user)
    rating_dma.refresh_from_db()
    assert rating_dma.status == DmaStatus.RESULTS
    assert rating_dma.events.filter(action=DmaAction.RATING_CLOSED).exists()


def test_a_flagged_result_without_a_note_blocks_approval_and_the_page_lists_it(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    privacy = matter("S4.1.1")

    with pytest.raises(ValidationError) as refused:
        dma_approve(dma=results_dma, actor=decider_user)

    assert refused.value.messages == [
        f"{privacy.get_name()} needs a documented judgement: write its decision note."
    ]
    page = client_of(decider_user).get(reverse("double:results", args=[results_dma.pk]))
    assert "Approval is blocked: 1 matter needs a documented judgement" in page.text
    assert f'href="#matter-{privacy.pk}"' in page.text
    assert "Approve the results" in page.text
    assert " disabled " in page.text


def test_a_decision_note_is_required(results_dma: DoubleAssessment, esg_user: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        note(results_dma, esg_user, note="  ")
    assert refused.value.messages == ["Write the decision note: what was judged, and why."]


def test_an_override_needs_a_reason_and_an_approver_from_the_decision_group(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    override = {"perspective": Perspective.IMPACT, "final_value": "2.50", "material_final": False}
    message = (
        "A final value or conclusion that differs from the computed one needs a reason "
        "and an approver."
    )
    with pytest.raises(ValidationError) as refused:
        note(results_dma, esg_user, **override)
    assert refused.value.messages == [message]
    with pytest.raises(ValidationError) as refused:
        note(results_dma, esg_user, reason="Remote risk", **override)
    assert refused.value.messages == [message]
    with pytest.raises(ValidationError) as refused:
        note(results_dma, esg_user, reason="Remote risk", approver=esg_user, **override)
    assert refused.value.messages == ["The approver must be a member of the decision group."]
    assert not results_dma.decisions.exists()

    note(results_dma, esg_user, reason="Remote risk", approver=decider_user, **override)

    decision = results_dma.decisions.get()
    assert (decision.computed_value, decision.final_value) == (Decimal("3.00"), Decimal("2.50"))
    assert (decision.computed_material, decision.material_final) == (True, False)
    assert decision.approver == decider_user
    # Kept as text too, as the trail keeps its actor's name: it outlives the account.
    assert decision.approver_name == "decider"
    assert (decision.created_by, decision.created_by_name) == (esg_user, "esg-member")
    assert decision.overridden
    page = client_of(esg_user).get(reverse("double:results", args=[results_dma.pk]))
    assert "computed 3.00 (material)" in " ".join(page.text.split())
    assert "final 2.50 (not material)" in " ".join(page.text.split())
    assert "Reason: Remote risk · approved by decider" in " ".join(page.text.split())


def test_a_note_without_an_override_names_no_approver(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    # An approver chosen for a decision that changes nothing is not an override's.
    note(results_dma, esg_user, approver=decider_user)

    decision = results_dma.decisions.get()
    assert not decision.overridden
    assert (decision.approver, decision.approver_name) == (None, "")


def test_an_override_whose_approver_is_unknown_shows_a_dash_not_none(
    results_dma: DoubleAssessment, esg_user: Any
) -> None:
    # Neither an account nor a name (a row from an older file, say): "—", never "None".
    MatterDecision.objects.create(
        dma=results_dma,
        matter=matter("S4.1.1"),
        perspective=Perspective.IMPACT,
        computed_value=Decimal("3.00"),
        computed_material=True,
        final_value=Decimal("2.50"),
        material_final=False,
        note="Remote.",
        reason="Remote risk",
    )

    page = client_of(esg_user).get(reverse("double:results", args=[results_dma.pk]))

    assert "Reason: Remote risk · approved by —" in " ".join(page.text.split())
    assert "None" not in page.text


def test_approval_freezes_the_results(
    results_dma: DoubleAssessment,
    impact: Iro,
    panel: list[Rater],
    esg_user: Any,
    decider_user: Any,
) -> None:
    note(results_dma, esg_user)
    dma_submit_for_review(dma=results_dma, actor=esg_user)

    approval = dma_approve(dma=results_dma, actor=decider_user, note="Agreed")

    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.APPROVED
    # Who approved, as the account and as text (as the trail keeps its actor's name).
    assert (approval.approved_by, approval.approved_by_name) == (decider_user, "decider")
    snapshot = approval.results
    privacy = next(m for m in snapshot["matters"] if m["matter"] == "S4.1.1")
    assert privacy["impact"]["score"] == "3.00"
    assert privacy["impact"]["material"]
    assert privacy["decisions"]["both"]["note"] == "At the threshold: material."
    with pytest.raises(ValidationError, match="only while the assessment is in its rating step"):
        rating_add(iro=impact, rater=panel[0], rationale="later", **{**AT_THRESHOLD, "scale": 1})
    with pytest.raises(ValidationError):
        methodology_freeze(dma=results_dma, settings={}, note="later change")
    frozen = approval_of(results_dma)
    assert frozen is not None
    assert frozen.results == snapshot
    assert results_dma.events.filter(action=DmaAction.APPROVED).exists()


def test_sending_back_needs_a_note_and_returns_the_results_to_the_team(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    with pytest.raises(ValidationError) as refused:
        dma_send_back(dma=results_dma, actor=decider_user, note=" ")
    assert refused.value.messages == [
        "Say what should change: a note is required to send results back."
    ]

    response = client_of(decider_user).post(
        reverse("double:review-send-back", args=[results_dma.pk]), {"note": "Explain S4"}
    )

    assert response.status_code == 302
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.RESULTS
    event = results_dma.events.get(action=DmaAction.REVIEW_SENT_BACK)
    assert event.details["note"] == "Explain S4"


def test_the_review_runs_through_the_pages(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    team, decider = client_of(esg_user), client_of(decider_user)
    privacy = matter("S4.1.1")
    team.post(
        reverse("double:decision-new", args=[results_dma.pk, privacy.pk]),
        {"perspective": "both", "note": "Judged material."},
    )
    team.post(reverse("double:review-submit", args=[results_dma.pk]))
    response = decider.post(reverse("double:review-approve", args=[results_dma.pk]), follow=True)

    assert "The results are approved and frozen." in response.text
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.APPROVED


def test_each_role_takes_only_its_own_steps(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    team, decider = client_of(esg_user), client_of(decider_user)
    pk = results_dma.pk
    privacy = matter("S4.1.1")

    assert decider.post(reverse("double:review-submit", args=[pk])).status_code == 403
    decision = reverse("double:decision-new", args=[pk, privacy.pk])
    assert decider.post(decision, {"note": "x"}).status_code == 403
    assert decider.post(reverse("double:dma-close-rating", args=[pk])).status_code == 403
    note(results_dma, esg_user)
    assert team.post(reverse("double:review-submit", args=[pk])).status_code == 302
    assert team.post(reverse("double:review-approve", args=[pk])).status_code == 403
    assert (
        team.post(reverse("double:review-send-back", args=[pk]), {"note": "x"}).status_code == 403
    )
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.REVIEW


def test_rows_from_before_the_names_take_them_from_their_accounts(
    results_dma: DoubleAssessment,
    esg_user: Any,
    decider_user: Any,
    django_assert_num_queries: Any,
) -> None:
    override = {"perspective": Perspective.IMPACT, "final_value": "2.50", "reason": "Remote"}
    note(results_dma, esg_user, approver=decider_user, **override)
    note(results_dma, esg_user, note="Plain note.")
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    dma_approve(dma=results_dma, actor=decider_user)
    # As written before migration 0008: the account only.
    MatterDecision.objects.update(approver_name="")
    results_dma.approvals.update(approved_by_name="")
    migration = importlib.import_module(
        "materiality.double.migrations.0008_decision_approval_names"
    )
    state = MigrationLoader(connection).project_state(("double", "0008_decision_approval_names"))

    with django_assert_num_queries(2):  # one UPDATE per table
        migration.names_from_accounts(state.apps, None)

    names = dict(results_dma.decisions.values_list("note", "approver_name"))
    assert names == {"At the threshold: material.": "decider", "Plain note.": ""}
    assert results_dma.approvals.get().approved_by_name == "decider"


def test_a_decision_recorded_by_nobody_names_nobody(results_dma: DoubleAssessment) -> None:
    note(results_dma, None)

    decision = results_dma.decisions.get()
    assert (decision.created_by, decision.created_by_name) == (None, "")
    assert decision.created_by_username == ""


def test_a_decision_without_an_account_shows_who_recorded_it(
    results_dma: DoubleAssessment, esg_user: Any, decider_user: Any
) -> None:
    # As restored from a file: the account is not linked, its username is kept as text.
    MatterDecision.objects.create(
        dma=results_dma,
        matter=matter("S4.1.1"),
        perspective=Perspective.BOTH,
        computed_value=Decimal("3.00"),
        computed_material=True,
        material_final=True,
        note="At the threshold: material.",
        created_by_name="recorder-elsewhere",
    )

    page = client_of(esg_user).get(reverse("double:results", args=[results_dma.pk]))
    assert "· recorder-elsewhere</p>" in page.text
    # Approved here, the frozen decision still names who recorded it.
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    approval = dma_approve(dma=results_dma, actor=decider_user)
    privacy = next(m for m in approval.results["matters"] if m["matter"] == "S4.1.1")
    assert privacy["decisions"]["both"]["recorded_by"] == "recorder-elsewhere"
    page = client_of(esg_user).get(reverse("double:results", args=[results_dma.pk]))
    assert "· recorder-elsewhere</p>" in page.text


def test_rows_from_before_the_creator_names_take_them_from_their_accounts(
    results_dma: DoubleAssessment, esg_user: Any, django_assert_num_queries: Any
) -> None:
    note(results_dma, esg_user)
    note(results_dma, None, note="Plain note.")
    methodology_freeze(dma=results_dma, settings={}, note="Frozen by a script.")
    # As written before migration 0009: the account only.
    MethodologyVersion.objects.update(created_by_name="")
    MatterDecision.objects.update(created_by_name="")
    migration = importlib.import_module(
        "materiality.double.migrations.0009_methodology_decision_creator_names"
    )
    state = MigrationLoader(connection).project_state(
        ("double", "0009_methodology_decision_creator_names")
    )

    with django_assert_num_queries(2):  # one UPDATE per table
        migration.names_from_accounts(state.apps, None)

    names = dict(results_dma.decisions.values_list("note", "created_by_name"))
    assert names == {"At the threshold: material.": "esg-member", "Plain note.": ""}
    versions = dict(results_dma.methodology_versions.values_list("number", "created_by_name"))
    assert versions == {1: "esg-member", 2: ""}
