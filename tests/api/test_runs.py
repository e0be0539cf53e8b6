"""The runs API: trigger a run, poll it, read its scores, groups, sensitivity and matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from materiality.demo.storing import replies_load
from materiality.models import AggregationRun, Assessment, AuditAction, AuditEntry, RunStatus
from materiality.reporting.breakdowns import sensitivity
from materiality.runs.describing import variant_name
from materiality.runs.selectors import applied_thresholds, group_count, run_scores
from tests.factories import SCORED_REPLIES

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "esg", "decider", "admin"]
SIGNED_IN_REFUSED = {"anonymous": 401, "outsider": 403}


@pytest.fixture(autouse=True)
def _english(client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def as_role(role: str, request: pytest.FixtureRequest) -> Client:
    """A client signed in as *role* (anonymous: not signed in). English answers."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    fixture = {"outsider": "outsider_user", "esg": "esg_user", "decider": "decider_user"}
    if role == "admin":
        client.force_login(request.getfixturevalue("admin_user"))
    elif role != "anonymous":
        client.force_login(request.getfixturevalue(fixture[role]))
    return client


def check_statuses(client: Client, role: str, calls: list[tuple[Any, ...]]) -> None:
    """Each (method, url, {role: status}[, JSON body]) answers its status (200 unless
    listed) for *role*; 401s say how to sign in. Every mismatch is listed at once."""
    wrong = []
    for method, url, expected, *body in calls:
        want = SIGNED_IN_REFUSED.get(role) or expected.get(role, 200)
        if body:
            response = getattr(client, method)(url, body[0], "application/json")
        else:
            response = getattr(client, method)(url)
        if response.status_code != want:
            wrong.append(f"{method.upper()} {url}: {response.status_code}, not {want}")
        elif want == 401 and "Bearer" not in response.get("WWW-Authenticate", ""):
            wrong.append(f"{method.upper()} {url}: 401 without WWW-Authenticate")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_read_and_trigger_runs(
    role: str, request: pytest.FixtureRequest, scored_run: AggregationRun
) -> None:
    run = scored_run
    calls = [
        ("get", f"/api/assessments/{run.assessment_id}/runs/", {}),
        ("get", f"/api/runs/{run.pk}/", {}),
        ("get", f"/api/runs/{run.pk}/scores/", {}),
        ("get", f"/api/runs/{run.pk}/groups/", {}),
        ("get", f"/api/runs/{run.pk}/groups/customers/scores/", {}),
        ("get", f"/api/runs/{run.pk}/sensitivity/", {}),
        *(("get", f"/api/runs/{run.pk}/matrix.{fmt}", {}) for fmt in ("png", "svg", "pdf")),
        # Asking for a run is the ESG team's, as on the assessment page.
        (
            "post",
            f"/api/assessments/{run.assessment_id}/runs/",
            {"esg": 202, "admin": 202, "decider": 403},
        ),
    ]
    check_statuses(as_role(role, request), role, calls)


# --- Triggering and polling -----------------------------------------------------------


@pytest.fixture
def replied(open_assessment: Assessment) -> Assessment:
    """An open assessment with replies and no run yet, computed quickly."""
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"bootstrap_samples": 100})
    replies_load(assessment=open_assessment, replies_per_group=dict(SCORED_REPLIES), seed=5)
    AggregationRun.objects.filter(assessment=open_assessment).delete()  # the replies' own run
    return open_assessment


def test_a_triggered_run_is_polled_until_done(
    client: Client, esg_user: Any, replied: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(esg_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/assessments/{replied.pk}/runs/")
        # Sent after commit: the run waits for its worker, and its scores are not there yet.
        assert response.status_code == 202
        started = response.json()
        assert (started["status"], started["trigger"], started["requested_by"]) == (
            "pending",
            "manual",
            "esg-member",
        )
        not_yet = client.get(f"/api/runs/{started['id']}/scores/")
        assert not_yet.status_code == 409
        assert not_yet.json()["code"] == "run_not_finished"
    assert response["Location"] == f"/api/runs/{started['id']}/"

    status = client.get(response["Location"]).json()
    assert (status["status"], status["progress"], status["scored_run"]) == (
        "succeeded",
        100,
        started["id"],
    )
    assert status["responses_counted"] > 0
    assert {line["key"] for line in status["settings"]} >= {"weighting", "confidence", "seed"}
    assert client.get(f"/api/runs/{started['id']}/scores/").status_code == 200
    # As the page's button: the request is in the audit trail.
    entry = AuditEntry.objects.get(action=AuditAction.RUN_REQUESTED)
    assert (entry.run_id, entry.actor) == (started["id"], esg_user)


def test_a_run_with_nothing_new_gives_the_thresholds_of_the_run_it_stands_for(
    client: Client, esg_user: Any, replied: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(esg_user)
    runs = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            runs.append(client.post(f"/api/assessments/{replied.pk}/runs/").json()["id"])
    first, second = (client.get(f"/api/runs/{pk}/").json() for pk in runs)
    assert (second["status"], second["scored_run"]) == ("unchanged", first["id"])
    assert first["thresholds"]["company"] is not None
    assert second["thresholds"] == first["thresholds"]


def test_the_run_list_is_newest_first_with_state_and_trigger(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    failed = AggregationRun.objects.create(
        assessment=scored_run.assessment, trigger="response", status=RunStatus.FAILED
    )
    client.force_login(esg_user)
    body = client.get(f"/api/assessments/{scored_run.assessment_id}/runs/").json()
    assert [(r["id"], r["status"], r["trigger"]) for r in body["results"]] == [
        (failed.pk, "failed", "response"),
        (scored_run.pk, "succeeded", "manual"),
    ]
    only = client.get(f"/api/assessments/{scored_run.assessment_id}/runs/?status=failed").json()
    assert [r["id"] for r in only["results"]] == [failed.pk]


# Session, user and permissions (4); the assessment; the rows counted, the page of rows.
RUN_LIST_QUERIES = 4 + 1 + 2


@pytest.mark.parametrize("extra", [1, 6])
def test_the_run_list_takes_a_fixed_number_of_queries(
    extra: int,
    client: Client,
    esg_user: Any,
    scored_run: AggregationRun,
    django_assert_num_queries: Any,
) -> None:
    for _ in range(extra):
        AggregationRun.objects.create(
            assessment=scored_run.assessment,
            trigger="manual",
            status=RunStatus.FAILED,
            requested_by=esg_user,
        )
    client.force_login(esg_user)
    with django_assert_num_queries(RUN_LIST_QUERIES):
        body = client.get(f"/api/assessments/{scored_run.assessment_id}/runs/").json()
    assert body["count"] == extra + 1


def test_an_unknown_run_or_assessment_is_a_404(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    assert client.get("/api/runs/999999/").status_code == 404
    assert client.get("/api/assessments/999999/runs/").status_code == 404


# --- Scores ---------------------------------------------------------------------------


def test_the_scores_are_the_results_pages(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    body = client.get(f"/api/runs/{scored_run.pk}/scores/", HTTP_ACCEPT_LANGUAGE="en").json()
    rows = run_scores(scored_run)
    assert body["thresholds"] == applied_thresholds(scored_run)
    assert [t["code"] for t in body["topics"]] == [row.score.topic.code for row in rows]
    for topic, row in zip(body["topics"], rows, strict=True):
        assert topic["name"] == row.score.topic.name
        assert topic["rank"] == row.score.rank
        assert topic["material"] == row.score.material
        for axis in ("company", "stakeholder"):
            stored = getattr(row, axis)
            assert topic[axis]["mean"] == stored["mean"]
            assert (topic[axis]["ci_low"], topic[axis]["ci_high"]) == (
                stored["ci_low"],
                stored["ci_high"],
            )
            assert topic[axis]["n"] == stored["n"]
    assert any(t["material"] for t in body["topics"])
    assert not all(t["material"] for t in body["topics"])
    assert body["topics"][0]["tier_display"] in {"high (both axes)", "medium (one axis)", "low"}


def test_a_failed_run_has_no_scores(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    run = AggregationRun.objects.create(
        assessment=open_assessment, trigger="manual", status=RunStatus.FAILED
    )
    client.force_login(esg_user)
    response = client.get(f"/api/runs/{run.pk}/scores/")
    assert response.status_code == 409
    assert response.json()["code"] == "run_failed"
    assert client.get(f"/api/runs/{run.pk}/matrix.png").status_code == 409


def test_each_group_has_its_own_n_and_a_group_without_replies_says_so(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    groups = client.get(f"/api/runs/{scored_run.pk}/groups/").json()
    by_code = {group.code: group for group in scored_run.assessment.groups.all()}
    assert [g["code"] for g in groups] == list(by_code)
    for answer in groups:
        count = group_count(scored_run, by_code[answer["code"]])
        assert answer["n"] == {"company": count.company, "stakeholder": count.stakeholder}
        assert answer["has_matrix"] == bool(count.placed)
    silent = next(g for g in groups if not g["n"]["company"])
    assert silent["message"].startswith(f"No replies from {silent['name']['en']} were counted")

    empty = client.get(f"/api/runs/{scored_run.pk}/groups/{silent['code']}/scores/").json()
    assert empty["topics"] == []
    assert "so it has no scores" in empty["message"]

    heard = next(g for g in groups if g["n"]["company"])
    body = client.get(f"/api/runs/{scored_run.pk}/groups/{heard['code']}/scores/").json()
    assert body["message"] == ""
    assert body["group"]["n"] == heard["n"]
    assert max(t["company"]["n"] for t in body["topics"] if t["company"]) == heard["n"]["company"]
    assert client.get(f"/api/runs/{scored_run.pk}/groups/no-such-group/scores/").status_code == 404


def test_the_group_list_takes_a_fixed_number_of_queries(
    client: Client, esg_user: Any, scored_run: AggregationRun, django_assert_num_queries: Any
) -> None:
    client.force_login(esg_user)
    # Session, user and permissions (4); the run; the groups; their scores.
    with django_assert_num_queries(4 + 3):
        assert len(client.get(f"/api/runs/{scored_run.pk}/groups/").json()) == 8


def test_the_sensitivity_table_is_the_results_pages(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    body = client.get(f"/api/runs/{scored_run.pk}/sensitivity/", HTTP_ACCEPT_LANGUAGE="en").json()
    variants, rows = sensitivity(scored_run)
    assert [(v["key"], v["name"]) for v in body["variants"]] == [
        (v.key, variant_name(v.key)) for v in variants
    ]
    assert [(t["code"], t["material"], t["flips"]) for t in body["topics"]] == [
        (row.topic.code, row.material, row.flips) for row in rows
    ]


# --- The matrix -----------------------------------------------------------------------


def test_the_matrix_comes_in_each_format_and_language(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    base = f"/api/runs/{scored_run.pk}/matrix"
    english = client.get(f"{base}.png?language=en", HTTP_ACCEPT="image/png")
    chinese = client.get(f"{base}.png?language=zh-hans")
    assert english.status_code == chinese.status_code == 200
    assert english["Content-Type"] == "image/png"
    assert english.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert chinese.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert english.content != chinese.content
    assert b"<svg" in client.get(f"{base}.svg?language=en").content[:500]
    assert client.get(f"{base}.pdf").content.startswith(b"%PDF")
    group = client.get(f"{base}.png?language=en&view=customers")
    assert group.status_code == 200
    assert group.content != english.content


def test_an_unknown_language_or_view_is_a_400_naming_it(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    client.force_login(esg_user)
    base = f"/api/runs/{scored_run.pk}/matrix.png"
    for query, field in (("language=fr", "language"), ("view=aliens", "view")):
        response = client.get(f"{base}?{query}", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        [error] = response.json()["errors"]
        assert error["field"] == field
        assert error["message"].startswith("Choose one of:")


def test_a_group_with_no_replies_has_no_matrix(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    silent = next(
        g for g in scored_run.assessment.groups.all() if not group_count(scored_run, g).company
    )
    client.force_login(esg_user)
    response = client.get(
        f"/api/runs/{scored_run.pk}/matrix.png?view={silent.code}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"No replies from {silent.get_name('en')}")
