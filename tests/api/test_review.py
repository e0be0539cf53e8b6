"""The confirmation API: submit, confirm, send back, and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from materiality.models import AggregationRun, Assessment, AuditAction, AuditEntry, RunStatus
from materiality.models.runs import ReviewStatus
from materiality.reporting.jobs import ExportKind, export_request
from tests.api.test_runs import ROLES, as_role, check_statuses

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def submitted(run: AggregationRun, user: Any) -> None:
    client = Client()
    client.force_login(user)
    assert client.post(f"/api/runs/{run.pk}/submit/").status_code == 200


def awaiting(run: AggregationRun, submitter: Any) -> AggregationRun:
    """*run* as if *submitter* had just submitted it."""
    AggregationRun.objects.filter(pk=run.pk).update(review=ReviewStatus.SUBMITTED)
    AuditEntry.objects.create(
        assessment=run.assessment, run=run, actor=submitter, action=AuditAction.SUBMITTED
    )
    return run


@pytest.mark.parametrize("role", ROLES)
def test_who_may_take_each_step(
    role: str, request: pytest.FixtureRequest, scored_run: AggregationRun, esg_user: Any
) -> None:
    run, client = scored_run, as_role(role, request)
    audit = f"/api/assessments/{run.assessment_id}/audit/"
    check_statuses(client, role, [("get", audit, {})])
    check_statuses(client, role, [("post", f"/api/runs/{run.pk}/submit/", {"decider": 403})])
    awaiting(run, esg_user)
    check_statuses(client, role, [("post", f"/api/runs/{run.pk}/confirm/", {"esg": 403})])
    awaiting(run, esg_user)
    check_statuses(
        client,
        role,
        [("post", f"/api/runs/{run.pk}/send-back/", {"esg": 403}, {"note": "Check the weights"})],
    )


def test_a_confirmed_run_is_published_recorded_and_frozen(
    client: Client,
    esg_user: Any,
    decider_user: Any,
    scored_run: AggregationRun,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(esg_user)
    response = client.post(
        f"/api/runs/{scored_run.pk}/submit/", {"note": "Ready"}, "application/json"
    )
    assert response.json() == {
        "run": scored_run.pk,
        "review": "submitted",
        "review_display": "Awaiting confirmation",
        "published": False,
        "frozen": False,
    }
    again = client.post(f"/api/runs/{scored_run.pk}/submit/")
    assert again.status_code == 409
    assert again.json()["detail"] == "This run has already been submitted or confirmed."

    client.force_login(decider_user)
    # The decision is answered at once; the files are written by the task sent after
    # commit (run here, in process, once the answer is given).
    with django_capture_on_commit_callbacks() as sent:
        confirmed = client.post(
            f"/api/runs/{scored_run.pk}/confirm/", {"note": "Agreed"}, "application/json"
        )
    assert confirmed.status_code == 200
    assert confirmed.json()["published"] is True
    assert confirmed.json()["frozen"] is False
    for callback in sent:
        callback()
    assert AggregationRun.objects.get(pk=scored_run.pk).frozen_at is not None
    assert Assessment.objects.get(pk=scored_run.assessment_id).published_run_id == scored_run.pk
    entry = AuditEntry.objects.get(action=AuditAction.CONFIRMED)
    assert (entry.run_id, entry.actor, entry.note) == (scored_run.pk, decider_user, "Agreed")

    second = client.post(f"/api/runs/{scored_run.pk}/confirm/")
    assert second.status_code == 409
    assert second.json()["code"] == "review_conflict"
    assert second.json()["detail"] == "Only a run awaiting confirmation can be confirmed."
    back = client.post(f"/api/runs/{scored_run.pk}/send-back/", {"note": "x"}, "application/json")
    assert back.status_code == 409


def test_the_submitter_cannot_confirm_their_own_run(
    client: Client, admin_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(admin_user)
    client.post(f"/api/runs/{scored_run.pk}/submit/")
    response = client.post(f"/api/runs/{scored_run.pk}/confirm/")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Someone other than the person who submitted it must confirm it."
    )


def test_sending_back_needs_a_note(
    client: Client, esg_user: Any, decider_user: Any, scored_run: AggregationRun
) -> None:
    submitted(scored_run, esg_user)
    client.force_login(decider_user)
    response = client.post(
        f"/api/runs/{scored_run.pk}/send-back/", {"note": "  "}, "application/json"
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "note"
    assert error["message"].startswith("Say what should change")
    assert AggregationRun.objects.get(pk=scored_run.pk).review == ReviewStatus.SUBMITTED

    sent = client.post(
        f"/api/runs/{scored_run.pk}/send-back/", {"note": "Weights look off"}, "application/json"
    )
    assert sent.json()["review"] == "sent_back"
    assert AuditEntry.objects.get(action=AuditAction.SENT_BACK).note == "Weights look off"


def test_a_too_long_note_is_a_400_on_the_note(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    response = client.post(
        f"/api/runs/{scored_run.pk}/submit/", {"note": "x" * 2001}, "application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "note"


def test_a_run_without_scores_cannot_be_submitted(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    run = AggregationRun.objects.create(
        assessment=open_assessment, trigger="manual", status=RunStatus.PENDING
    )
    client.force_login(esg_user)
    response = client.post(f"/api/runs/{run.pk}/submit/")
    assert response.status_code == 409
    assert response.json()["detail"] == "Only a run with computed scores can be submitted."


def test_the_audit_trail_gives_names_not_codes(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    submitted(scored_run, esg_user)
    export_request(
        assessment=scored_run.assessment,
        kind=ExportKind.SCORES_CSV,
        language="zh-hans",
        run=scored_run,
        user=esg_user,
    )
    client.force_login(esg_user)
    body = client.get(f"/api/assessments/{scored_run.assessment_id}/audit/").json()
    steps = [(e["action"], e["action_display"], e["actor"], e["note"]) for e in body["results"]]
    assert ("submitted", "Submitted for confirmation", "esg-member", "") in steps
    assert ("exported", "Exported", "esg-member", "Scores, ranked (CSV, Chinese)") in steps
    chinese = client.get(
        f"/api/assessments/{scored_run.assessment_id}/audit/?action=exported",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).json()
    assert [e["action"] for e in chinese["results"]] == ["exported"]
    assert chinese["results"][0]["action_display"] != "Exported"


@pytest.mark.parametrize("entries", [2, 8])
def test_the_audit_trail_takes_a_fixed_number_of_queries(
    entries: int,
    client: Client,
    esg_user: Any,
    open_assessment: Assessment,
    django_assert_num_queries: Any,
) -> None:
    for number in range(entries):
        AuditEntry.objects.create(
            assessment=open_assessment, action=AuditAction.SETTINGS_CHANGED, note=f"change {number}"
        )
    client.force_login(esg_user)
    # Session, user and permissions (4); the assessment; the rows counted, the page.
    with django_assert_num_queries(4 + 1 + 2):
        body = client.get(f"/api/assessments/{open_assessment.pk}/audit/").json()
    assert body["count"] == AuditEntry.objects.filter(assessment=open_assessment).count()
