"""A respondent's data on request (issue #16): a person's responses found by e-mail or
by a link they kept, exported in words, erased with the counts and the audit trail kept
right, and stripped of personal fields after the retention period."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from materiality.models import (
    AggregationRun,
    Assessment,
    AuditAction,
    AuditEntry,
    StakeholderGroup,
    TopicScore,
)
from materiality.privacy import responses_expire
from materiality.reporting.jobs import confirmation_trail
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from materiality.services import group_link_create
from surveys.models import Answer, Invitation, InvitationKind, QuestionOption, RatingCount, Response
from surveys.privacy import responses_export, responses_of_person
from surveys.services import responses_erase
from surveys.tallies import tally_current
from tests.conftest import link_path
from tests.factories import AggregationRunFactory, AssessmentFactory, add_reply, topic_codes
from tests.respondents import start
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

EMAIL = "li.wei@example.com"


def personal_reply(
    assessment: Assessment, email: str = EMAIL, *, at: Any = None, comment: str = ""
) -> tuple[Response, Invitation]:
    """A reply behind a personal invitation of a survey that keeps the link (not
    anonymous), rating every topic 2 on the company axis and 4 on the stakeholder one."""
    invitation: Invitation = InvitationFactory(  # type: ignore[assignment]
        survey=assessment.survey, kind=InvitationKind.PERSONAL, email=email, label="Li Wei"
    )
    ratings = {(code, "company"): 2 for code in topic_codes(assessment)}
    ratings |= {(code, "stakeholder"): 4 for code in topic_codes(assessment)}
    response = add_reply(
        assessment,
        "customers",
        ratings,
        at=at,
        comments={topic_codes(assessment)[0]: "Call me on 138 0000 0000."} if comment else None,
        overall_comment=comment,
    )
    Response.objects.filter(pk=response.pk).update(
        invitation=invitation, personal_invitation=invitation
    )
    return response, invitation


def confirmed_run(assessment: Assessment, esg_user: Any, decider_user: Any) -> AggregationRun:
    run: AggregationRun = AggregationRunFactory(assessment=assessment)  # type: ignore[assignment]
    run_submit_for_confirmation(run=run, user=esg_user)
    run_confirm(run=run, user=decider_user)
    return run


def scores(run: AggregationRun) -> list[tuple[int, Any, Any]]:
    return list(
        TopicScore.objects.filter(run=run)
        .order_by("topic_id")
        .values_list("topic_id", "company", "stakeholder")
    )


def counted_ratings(survey_id: int) -> int:
    with transaction.atomic():
        tally_current(survey_id)
        return RatingCount.objects.filter(survey_id=survey_id).aggregate(n=Sum("n"))["n"] or 0


def test_a_person_is_found_by_email_or_by_a_link_they_kept(open_assessment: Assessment) -> None:
    mine, invitation = personal_reply(open_assessment)
    personal_reply(open_assessment, "someone.else@example.com")
    shared = InvitationFactory(survey=open_assessment.survey, respondent_group="customers")
    Response.objects.exclude(pk=mine.pk).update(invitation=shared)

    assert list(responses_of_person(email="LI.WEI@example.com ")) == [mine]
    token = invitation.token  # type: ignore[attr-defined]
    assert list(responses_of_person(link=f"https://esg.example.com/s/i/{token}/")) == [mine]
    # A group link is not a person; nothing given finds nothing.
    assert not responses_of_person(link=f"/s/i/{shared.token}/").exists()  # type: ignore[attr-defined]
    assert not responses_of_person().exists()


def test_a_resume_link_finds_its_response(client: Client, open_assessment: Assessment) -> None:
    group = StakeholderGroup.objects.get(code="customers")
    walk = start(client, link_path(group_link_create(assessment=open_assessment, group=group)))
    found = responses_of_person(link=f"https://esg.example.com/s/r/{walk.resume}/p/2/")
    assert found.count() == 1


def test_the_export_holds_exactly_that_persons_answers_by_name(
    open_assessment: Assessment,
) -> None:
    mine, _invitation = personal_reply(open_assessment, comment="Publish the water data.")
    personal_reply(open_assessment, "someone.else@example.com")
    first_topic = topic_codes(open_assessment)[0]
    label = QuestionOption.objects.get(
        question__survey=open_assessment.survey, role="row", code=first_topic
    ).label

    for language in ("en", "zh-hans"):
        data = responses_export(responses=responses_of_person(email=EMAIL), language=language)
        assert [entry["response"] for entry in data] == [mine.pk]
        (entry,) = data
        assert entry["survey"] == open_assessment.get_title(language)
        assert entry["invitation_email"] == EMAIL
        assert len(entry["answers"]) == mine.answers.count()
        ratings = [a for a in entry["answers"] if a["value"] is not None]
        assert len(ratings) == 2 * len(topic_codes(open_assessment))
        first = next(a for a in ratings if a["row"] == label[language] and a["value"] == 2)
        assert first["column"] == open_assessment.company_axis_label[language]
        assert first_topic not in {a["row"] for a in entry["answers"]}
        assert "Publish the water data." in {a["text"] for a in entry["answers"]}


def test_erasing_removes_the_answers_updates_the_counts_and_keeps_the_confirmed_scores(
    open_assessment: Assessment, esg_user: Any, decider_user: Any
) -> None:
    mine, invitation = personal_reply(open_assessment)
    run = confirmed_run(open_assessment, esg_user, decider_user)
    before = scores(run)
    counted = counted_ratings(open_assessment.survey_id)

    erased = responses_erase(responses=responses_of_person(email=EMAIL), actor=esg_user)

    assert erased == 1
    assert not Response.objects.filter(pk=mine.pk).exists()
    assert not Answer.objects.filter(response_id=mine.pk).exists()
    assert counted_ratings(open_assessment.survey_id) == counted - 2 * len(
        topic_codes(open_assessment)
    )
    assert scores(run) == before
    entry = AuditEntry.objects.get(assessment=open_assessment, action=AuditAction.RESPONSES_ERASED)
    assert entry.details == {"responses": 1}
    assert entry.actor_name == esg_user.get_username()
    assert EMAIL not in f"{entry.note} {entry.details} {entry.actor_name}"
    invitation.refresh_from_db()
    assert (invitation.email, invitation.label) == ("", "")
    # The trail and the evidence pack show the count, in the reader's language.
    with override("en"):
        assert [(step.action, step.note) for step in confirmation_trail(open_assessment)][-1] == (
            "Responses erased at the respondent's request",
            "1 response",
        )


def test_retention_strips_only_old_replies_of_confirmed_assessments(
    open_assessment: Assessment, esg_user: Any, decider_user: Any, settings: Any
) -> None:
    settings.RESPONSE_RETENTION_DAYS = 30
    long_ago = timezone.now() - timedelta(days=40)
    old, old_invitation = personal_reply(open_assessment, at=long_ago, comment="My name is Li.")
    Invitation.objects.filter(pk=old_invitation.pk).update(created_at=long_ago)
    recent, _recent_invitation = personal_reply(open_assessment, "new@example.com")
    run = confirmed_run(open_assessment, esg_user, decider_user)
    before = scores(run)
    unconfirmed: Assessment = AssessmentFactory()  # type: ignore[assignment]
    untouched, _other = personal_reply(unconfirmed, "draft@example.com", at=long_ago)
    ratings = Answer.objects.filter(response=old, value__isnull=False).count()

    assert responses_expire() == {open_assessment.pk: 1}

    old.refresh_from_db()
    assert old.personal_invitation is None
    assert old.invitation is None
    old_invitation.refresh_from_db()
    assert (old_invitation.email, old_invitation.label) == ("", "")
    assert not Answer.objects.filter(response=old).exclude(text="").exists()
    assert Answer.objects.filter(response=old, value__isnull=False).count() == ratings
    assert responses_of_person(email="new@example.com").get() == recent
    assert responses_of_person(email="draft@example.com").get() == untouched
    assert scores(run) == before
    entry = AuditEntry.objects.get(action=AuditAction.PERSONAL_DATA_EXPIRED)
    assert entry.assessment_id == open_assessment.pk
    assert entry.details == {"responses": 1, "days": 30}
    assert responses_expire() == {}  # nothing left to strip


def test_without_a_retention_period_nothing_expires(
    open_assessment: Assessment, esg_user: Any, decider_user: Any, settings: Any
) -> None:
    settings.RESPONSE_RETENTION_DAYS = None
    personal_reply(open_assessment, at=timezone.now() - timedelta(days=4000))
    confirmed_run(open_assessment, esg_user, decider_user)
    assert responses_expire() == {}
    assert responses_of_person(email=EMAIL).exists()


def test_the_admin_finds_exports_and_erases_a_persons_responses(
    admin_client: Client, admin_user: Any, open_assessment: Assessment
) -> None:
    mine, _invitation = personal_reply(open_assessment)
    personal_reply(open_assessment, "someone.else@example.com")
    url = reverse("admin:surveys_response_changelist")

    listed = admin_client.get(url, {"q": EMAIL})
    assert list(listed.context["cl"].result_list) == [mine]

    exported = admin_client.post(
        url,
        {"action": "export_json", "_selected_action": [mine.pk]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    (entry,) = json.loads(exported.content)
    assert entry["survey"] == open_assessment.get_title("zh-hans")

    erased = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"}
    )
    assert erased.status_code == 302
    assert not Response.objects.filter(pk=mine.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.RESPONSES_ERASED)
    assert (entry.actor_id, entry.details) == (admin_user.pk, {"responses": 1})


def test_the_command_exports_and_erases_a_persons_responses(
    open_assessment: Assessment, tmp_path: Path
) -> None:
    mine, _invitation = personal_reply(open_assessment)
    out = tmp_path / "li-wei.json"

    call_command("respondent_data", "export", "--email", EMAIL, "--language", "en", "--out", out)
    assert [entry["response"] for entry in json.loads(out.read_text())] == [mine.pk]

    with pytest.raises(CommandError, match="--yes"):
        call_command("respondent_data", "erase", "--email", EMAIL)
    assert Response.objects.filter(pk=mine.pk).exists()
    call_command("respondent_data", "erase", "--email", EMAIL, "--yes")
    assert not Response.objects.filter(pk=mine.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.RESPONSES_ERASED).count() == 1
