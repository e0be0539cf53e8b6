"""After approval the results page reads the approval's snapshot, not the live scoring;
whoever submitted the results cannot approve them; a send-back without a note is said
beside the note."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from materiality.double.approved import approved_results
from materiality.double.decisions import DecisionInput, decision_record
from materiality.double.models import DmaApproval, DmaStatus, DoubleAssessment, Iro
from materiality.double.review import dma_approve, dma_submit_for_review, submission_of
from materiality.roles import Role
from tests.double.conftest import matter
from tests.double.test_review import (
    panel,  # noqa: F401
    results_dma,  # noqa: F401  # fixtures
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_of(user: Any) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def noted(dma: DoubleAssessment, user: Any) -> None:
    decision_record(
        dma=dma,
        data=DecisionInput(matter=matter("S4.1.1"), note="At the threshold: material."),
        actor=user,
    )


@pytest.fixture
def approved(
    results_dma: DoubleAssessment,  # noqa: F811
    esg_user: Any,
    decider_user: Any,
) -> DmaApproval:
    noted(results_dma, esg_user)
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    return dma_approve(dma=results_dma, actor=decider_user, note="Agreed")


def test_the_approved_page_shows_the_snapshot_not_a_new_scoring(
    approved: DmaApproval, decider_user: Any, django_assert_num_queries: Any
) -> None:
    dma = approved.dma
    # Were the page to score again, this would show; the snapshot says 3.00.
    snapshot = approved.results
    privacy = next(m for m in snapshot["matters"] if m["matter"] == "S4.1.1")
    privacy["impact"]["score"] = "4.44"
    privacy["name"] = {"en": "Privacy as approved", "zh-hans": "批准时的隐私"}
    DmaApproval.objects.filter(pk=approved.pk).update(results=snapshot)
    client = client_of(decider_user)
    url = reverse("double:results", args=[dma.pk])
    client.get(url)  # the session and permissions, cached

    # The session, the user and their two kinds of permission; the DMA, its approval,
    # its IROs' titles and its trail: no ratings, no scoring, whatever the DMA's size.
    with django_assert_num_queries(8):
        page = client.get(url)

    body = text(page)
    assert page.status_code == 200
    assert "Privacy as approved" in body
    assert "4.44" in body
    assert "Approved on" in body
    assert "by decider" in body
    assert "At the threshold: material." in body  # the decision note, as approved
    assert f'href="{reverse("double:methodology", args=[dma.pk])}"' in page.content.decode()
    assert "version 1" in body


def test_the_snapshot_reads_back_as_decimals_in_the_reader_s_language(
    approved: DmaApproval, impact: Iro
) -> None:
    results = approved_results(approved, language="zh-hans")
    privacy = next(m for m in results.matters if m.code == "S4.1.1")
    assert str(privacy.impact.score) == "3.00"
    assert privacy.impact.material
    assert privacy.needs_judgement == [impact.reference]
    assert privacy.iros[0].title == "客户数据泄露"
    assert privacy.decisions[0].note == "At the threshold: material."
    assert privacy.decisions[0].recorded_at is not None
    assert str(results.impact_threshold) == "3.00"


def test_before_approval_the_page_stays_live(
    results_dma: DoubleAssessment,  # noqa: F811
    esg_user: Any,
) -> None:
    page = client_of(esg_user).get(reverse("double:results", args=[results_dma.pk]))
    assert "Approved on" not in text(page)
    assert "Decision note (required)" in text(page)


def test_whoever_submitted_cannot_approve(
    results_dma: DoubleAssessment,  # noqa: F811
    esg_user: Any,
    decider_user: Any,
) -> None:
    # One person in both roles (a small company's head of ESG, say).
    both = decider_user
    both.groups.add(*esg_user.groups.all())
    noted(results_dma, both)
    dma_submit_for_review(dma=results_dma, actor=both)
    submission = submission_of(results_dma)
    assert submission is not None
    assert submission.actor == both

    with pytest.raises(ValidationError) as refused:
        dma_approve(dma=results_dma, actor=both)
    assert refused.value.messages == [
        "You submitted these results for review, so another member of the decision group "
        "must approve them."
    ]

    client = client_of(both)
    page = client.get(reverse("double:results", args=[results_dma.pk]))
    body = text(page)
    assert "another member of the decision group must approve them" in body
    assert "Approve the results" not in body
    assert "Send back" in body  # sending back one's own submission is allowed
    posted = client.post(reverse("double:review-approve", args=[results_dma.pk]), follow=True)
    assert "another member of the decision group must approve them" in text(posted)
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.REVIEW

    other = UserFactory(username="decider-2", roles=[Role.DECISION_GROUP])
    dma_approve(dma=results_dma, actor=other)
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.APPROVED


def test_a_send_back_without_a_note_is_said_beside_the_note(
    results_dma: DoubleAssessment,  # noqa: F811
    esg_user: Any,
    decider_user: Any,
) -> None:
    noted(results_dma, esg_user)
    dma_submit_for_review(dma=results_dma, actor=esg_user)
    response = client_of(decider_user).post(
        reverse("double:review-send-back", args=[results_dma.pk]), {"note": "  "}
    )
    assert response.status_code == 400
    html = response.content.decode()
    error = 'id="back-note-error">Say what should change: a note is required to send results back.'
    assert error in html
    assert 'aria-describedby="back-note-error"' in html
    results_dma.refresh_from_db()
    assert results_dma.status == DmaStatus.REVIEW


@pytest.mark.parametrize("step", [DmaStatus.RESULTS, DmaStatus.REVIEW, DmaStatus.APPROVED])
def test_the_overview_links_to_the_review(
    results_dma: DoubleAssessment,  # noqa: F811
    esg_user: Any,
    step: str,
) -> None:
    DoubleAssessment.objects.filter(pk=results_dma.pk).update(status=step)
    page = client_of(esg_user).get(reverse("double:dma", args=[results_dma.pk]))
    html = page.content.decode()
    assert f'href="{reverse("double:results", args=[results_dma.pk])}#review"' in html
    assert f'href="{reverse("double:methodology", args=[results_dma.pk])}"' in html
