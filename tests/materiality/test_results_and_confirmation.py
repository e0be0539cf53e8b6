"""The results page, the matrix files, and internal confirmation by role."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.demo.storing import replies_load
from materiality.models import (
    AggregationRun,
    Assessment,
    AuditEntry,
    ReviewStatus,
    RunTrigger,
    TopicScore,
)
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from materiality.services import assessment_close

pytestmark = pytest.mark.django_db

SMALL = {"customers": 30, "employees": 30, "media": 10, "government-regulators": 10}


@pytest.fixture
def scored(open_assessment: Assessment) -> AggregationRun:
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"bootstrap_samples": 200})
    replies_load(assessment=open_assessment, replies_per_group=SMALL, seed=5)
    run = aggregation_execute(
        aggregation_request(assessment=open_assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert run is not None
    return run


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def results_url(run: AggregationRun) -> str:
    return reverse("materiality:results", args=[run.assessment_id])


def matrix_url(run: AggregationRun, fmt: str) -> str:
    return reverse("materiality:run-matrix", args=[run.assessment_id, run.pk, fmt])


def test_the_results_page_shows_every_view(esg_user: Any, scored: AggregationRun) -> None:
    html = client_for(esg_user).get(results_url(scored)).content.decode()
    for heading in (
        "Materiality matrix",
        "Topics ranked",
        "Mean importance to the company, by stakeholder group",
        "Internal and external stakeholder groups",
        "Sensitivity",
        "Change from the previous assessment",
        "Internal confirmation",
        "Audit trail",
    ):
        assert heading in html, heading
    assert "Financial product responsibility and safety" in html


def test_the_results_page_speaks_chinese(esg_user: Any, scored: AggregationRun) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(esg_user)
    html = client.get(results_url(scored)).content.decode()
    assert "金融产品责任与安全" in html
    assert 'lang="zh-hans"' in html


def test_the_matrix_comes_in_every_format_and_language(
    esg_user: Any, scored: AggregationRun
) -> None:
    client = client_for(esg_user)
    svg = client.get(matrix_url(scored, "svg"), {"lang": "zh-hans"})
    assert svg["Content-Type"] == "image/svg+xml"
    assert "金融产品责任与安全".encode() in svg.content
    assert b"<title>" in svg.content
    english = client.get(matrix_url(scored, "svg"), {"lang": "en"}).content
    assert b"Financial product responsibility" in english
    assert client.get(matrix_url(scored, "png")).content.startswith(b"\x89PNG")
    assert client.get(matrix_url(scored, "pdf")).content.startswith(b"%PDF")
    group = client.get(matrix_url(scored, "svg"), {"group": "employees", "lang": "en"})
    assert b"Employees" in group.content
    assert client.get(matrix_url(scored, "gif")).status_code == 404
    assert client.get(matrix_url(scored, "svg"), {"group": "martians"}).status_code == 404


def test_the_matrix_of_one_group_uses_that_groups_means(
    esg_user: Any, scored: AggregationRun
) -> None:
    from materiality.models import GroupScore, StakeholderGroup
    from materiality.reporting.matrix_files import MatrixView, matrix_spec

    employees = StakeholderGroup.objects.get(code="employees")
    spec = matrix_spec(scored, MatrixView(language="en", group=employees))
    point = next(p for p in spec.points if p.code == "employee-health-safety")
    stored = GroupScore.objects.get(
        run=scored, group=employees, topic__code="employee-health-safety", axis="company"
    )
    assert point.x == pytest.approx(stored.mean)


# --- Confirmation ---------------------------------------------------------------------


def submit(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-submit", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def confirm(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-confirm", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def send_back(client: Client, run: AggregationRun, note: str = "") -> Any:
    url = reverse("materiality:run-send-back", args=[run.assessment_id, run.pk])
    return client.post(url, {"note": note})


def review(run: AggregationRun) -> str:
    return AggregationRun.objects.values_list("review", flat=True).get(pk=run.pk)


def test_the_esg_team_submits_and_the_decision_group_confirms(
    esg_user: Any, decider_user: Any, scored: AggregationRun
) -> None:
    assert submit(client_for(esg_user), scored, "Ready").status_code == 302
    assert review(scored) == ReviewStatus.SUBMITTED
    assert confirm(client_for(decider_user), scored, "Agreed").status_code == 302
    assert review(scored) == ReviewStatus.CONFIRMED
    assessment = Assessment.objects.get(pk=scored.assessment_id)
    assert assessment.published_run_id == scored.pk
    trail = list(AuditEntry.objects.filter(run=scored).values_list("action", "actor_name", "note"))
    assert trail == [
        ("submitted", "esg-member", "Ready"),
        ("confirmed", "decider", "Agreed"),
    ]
    html = client_for(esg_user).get(results_url(scored)).content.decode()
    assert "Published result" in html
    assert "Agreed" in html


def test_an_esg_team_member_cannot_confirm(esg_user: Any, scored: AggregationRun) -> None:
    client = client_for(esg_user)
    submit(client, scored)
    assert confirm(client, scored).status_code == 403
    assert send_back(client, scored, "no").status_code == 403
    assert review(scored) == ReviewStatus.SUBMITTED


def test_the_decision_group_cannot_submit(decider_user: Any, scored: AggregationRun) -> None:
    assert submit(client_for(decider_user), scored).status_code == 403
    assert review(scored) == ReviewStatus.NONE


def test_an_outsider_sees_nothing(outsider_user: Any, scored: AggregationRun) -> None:
    client = client_for(outsider_user)
    assert client.get(results_url(scored)).status_code == 403
    assert client.get(matrix_url(scored, "png")).status_code == 403
    assert submit(client, scored).status_code == 403
    assert confirm(client, scored).status_code == 403
    anonymous = Client()
    assert anonymous.get(results_url(scored)).status_code == 302
    assert anonymous.get(matrix_url(scored, "png")).status_code == 302


def test_sending_back_needs_a_comment_and_allows_a_new_submission(
    esg_user: Any, decider_user: Any, scored: AggregationRun
) -> None:
    submit(client_for(esg_user), scored)
    decider = client_for(decider_user)
    response = send_back(decider, scored, "")
    followed = decider.get(response["Location"]).content.decode()
    assert "a comment is required" in followed
    assert review(scored) == ReviewStatus.SUBMITTED
    send_back(decider, scored, "Check the supplier group's replies")
    assert review(scored) == ReviewStatus.SENT_BACK
    submit(client_for(esg_user), scored, "Checked")
    assert review(scored) == ReviewStatus.SUBMITTED


def test_a_run_cannot_be_confirmed_without_being_submitted(
    decider_user: Any, scored: AggregationRun
) -> None:
    decider = client_for(decider_user)
    response = confirm(decider, scored)
    followed = decider.get(response["Location"]).content.decode()
    assert "Only a run awaiting confirmation can be confirmed." in followed
    assert review(scored) == ReviewStatus.NONE


def test_a_confirmed_run_stays_byte_identical_after_new_replies_and_reruns(
    esg_user: Any, decider_user: Any, scored: AggregationRun
) -> None:
    submit(client_for(esg_user), scored)
    confirm(client_for(decider_user), scored)
    client = client_for(esg_user)

    def snapshot() -> dict[str, Any]:
        scores = list(
            TopicScore.objects.filter(run=scored)
            .order_by("rank")
            .values_list("topic__code", "rank", "company", "stakeholder", "p_material")
        )
        run = AggregationRun.objects.get(pk=scored.pk)
        files = {
            (fmt, lang): hashlib.sha256(
                client.get(matrix_url(scored, fmt), {"lang": lang}).content
            ).hexdigest()
            for fmt in ("png", "svg", "pdf")
            for lang in ("en", "zh-hans")
        }
        return {
            "scores": scores,
            "options": run.options,
            "fingerprint": run.fingerprint,
            "files": files,
        }

    before = snapshot()
    assessment = Assessment.objects.get(pk=scored.assessment_id)
    replies_load(assessment=assessment, replies_per_group={"customers": 20}, seed=9)
    later = aggregation_execute(
        aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert later is not None
    assert later.pk != scored.pk
    assessment_close(assessment=assessment)
    assert snapshot() == before
    assert Assessment.objects.get(pk=assessment.pk).published_run_id == scored.pk


def test_year_over_year_marks_new_and_dropped_topics(esg_user: Any, scored: AggregationRun) -> None:
    from datetime import date

    from materiality.models import StakeholderGroup, Topic
    from materiality.services import AssessmentInput, assessment_create, assessment_open

    previous_topics = list(Topic.objects.exclude(code="climate-change"))
    previous = assessment_create(
        data=AssessmentInput(
            title={"en": "2025", "zh-hans": "2025"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            topics=previous_topics,
            groups=list(StakeholderGroup.objects.all()),
        )
    )
    assessment_open(assessment=previous)
    Assessment.objects.filter(pk=previous.pk).update(scoring={"bootstrap_samples": 0})
    replies_load(assessment=previous, replies_per_group=SMALL, seed=4)
    aggregation_execute(aggregation_request(assessment=previous, trigger=RunTrigger.MANUAL).pk)
    Assessment.objects.filter(pk=scored.assessment_id).update(previous=previous)
    html = client_for(esg_user).get(results_url(scored)).content.decode()
    assert "Compared with 2025" in html
    climate = html[html.index("Climate change response", html.index("yoy-title")) :][:200]
    assert "new" in climate


def test_the_results_page_takes_a_fixed_number_of_queries(
    esg_user: Any, scored: AggregationRun, django_assert_num_queries: Any
) -> None:
    client = client_for(esg_user)
    # Session, user and permissions, then a fixed set of reads for the run's scores,
    # heatmaps, sensitivity, year-over-year, run choices and audit trail: the same 15
    # whatever the number of topics, groups or replies (no query per row).
    with django_assert_num_queries(15):
        assert client.get(results_url(scored)).status_code == 200


def test_whoever_submitted_a_run_cannot_confirm_it(scored: AggregationRun) -> None:
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    both = UserFactory(username="both-roles")
    both.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_assessment", "submit_run", "confirm_run"])
    )
    client = client_for(both)
    submit(client, scored)
    response = confirm(client, scored)
    followed = client.get(response["Location"]).content.decode()
    assert "Someone other than the person who submitted it must confirm it." in followed
    assert review(scored) == ReviewStatus.SUBMITTED


def test_the_page_shows_the_scores_of_an_unchanged_runs_twin(
    esg_user: Any, scored: AggregationRun
) -> None:
    from materiality.runs.selectors import latest_runs

    assessment = Assessment.objects.get(pk=scored.assessment_id)
    Assessment.objects.filter(pk=assessment.pk).update(
        scoring={"bootstrap_samples": 100, "seed": 5}
    )
    other = aggregation_execute(
        aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL).pk
    )
    Assessment.objects.filter(pk=assessment.pk).update(scoring={"bootstrap_samples": 200})
    back = aggregation_execute(
        aggregation_request(assessment=assessment, trigger=RunTrigger.MANUAL).pk
    )
    assert other is not None
    assert back is not None
    assert back.status == "unchanged"
    assert back.same_as_id == scored.pk
    assert latest_runs(assessment).scored == scored
