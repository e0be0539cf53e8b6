"""The assessment endpoints: assessments, their method settings and their replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from materiality.models import AggregationRun, Assessment, AuditEntry, ReviewStatus
from materiality.models.records import AuditAction
from materiality.roles import Role
from materiality.services import assessment_close, invitations_import
from surveys.models import Response, ResponseStatus
from surveys.services import survey_update
from tests.factories import AssessmentFactory, UserFactory, add_reply, topic_codes

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "outsider", "esg", "decider", "admin"]
READ_BY_ROLES = {"anonymous": 401, "outsider": 403, "esg": 200, "decider": 200, "admin": 200}


def as_role(client: Client, role: str) -> Client:
    """The client signed in as a user of `role` (or not at all, for "anonymous")."""
    users: dict[str, Callable[[], Any]] = {
        "outsider": lambda: UserFactory(username="outsider"),
        "esg": lambda: UserFactory(username="esg-member", roles=[Role.ESG_TEAM]),
        "decider": lambda: UserFactory(username="decider", roles=[Role.DECISION_GROUP]),
        "admin": lambda: UserFactory(username="admin", is_superuser=True, is_staff=True),
    }
    if role != "anonymous":
        client.force_login(users[role]())
    return client


def allowed(write: int, *, decider: int = 403) -> dict[str, int]:
    return {"anonymous": 401, "outsider": 403, "esg": write, "decider": decider, "admin": write}


def call(client: Client, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    if body is None:
        return getattr(client, method)(path, **extra)
    return getattr(client, method)(path, body, content_type="application/json", **extra)


def check_status(response: Any, expected: int) -> None:
    assert response.status_code == expected, response.content[:600]
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"


def new_assessment_body(**changes: Any) -> dict[str, Any]:
    return {
        "title": {"zh-hans": "2027 年度实质性评估", "en": "2027 materiality assessment"},
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "languages": ["zh-hans", "en"],
        "topics": ["inclusive-finance", "corporate-governance"],
        "groups": ["customers", "employees"],
        **changes,
    }


def method_body(client: Client, assessment: Assessment, **changes: Any) -> dict[str, Any]:
    body = client.get(f"/api/assessments/{assessment.pk}/method/").json()
    body.pop("editable")
    body["weights"] = [{"code": w["code"], "weight": w["weight"]} for w in body["weights"]]
    return {**body, **changes}


# --- Who may do what --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_reading_assessments_is_for_role_members(client: Client, role: str) -> None:
    assessment = AssessmentFactory()
    as_role(client, role)
    check_status(client.get("/api/assessments/"), READ_BY_ROLES[role])
    check_status(client.get(f"/api/assessments/{assessment.pk}/"), READ_BY_ROLES[role])
    check_status(client.get(f"/api/assessments/{assessment.pk}/method/"), READ_BY_ROLES[role])


@pytest.mark.parametrize("role", ROLES)
def test_creating_an_assessment_is_for_the_esg_team(client: Client, role: str) -> None:
    as_role(client, role)
    response = call(client, "post", "/api/assessments/", new_assessment_body())
    check_status(response, allowed(201)[role])


@pytest.mark.parametrize("role", ROLES)
def test_editing_an_assessment_is_for_the_esg_team(client: Client, role: str) -> None:
    assessment = AssessmentFactory()
    as_role(client, role)
    response = call(
        client, "patch", f"/api/assessments/{assessment.pk}/", {"estimated_minutes": 12}
    )
    check_status(response, allowed(200)[role])


@pytest.mark.parametrize("role", ROLES)
def test_opening_and_closing_are_for_the_esg_team(client: Client, role: str) -> None:
    assessment = AssessmentFactory()
    as_role(client, role)
    check_status(client.post(f"/api/assessments/{assessment.pk}/open/"), allowed(200)[role])
    if role in ("esg", "admin"):
        check_status(client.post(f"/api/assessments/{assessment.pk}/close/"), 200)
    else:
        AssessmentFactory(opened=True)
        check_status(client.post(f"/api/assessments/{assessment.pk}/close/"), allowed(200)[role])


@pytest.mark.parametrize("role", ROLES)
def test_changing_the_method_is_for_the_esg_team(client: Client, role: str) -> None:
    assessment = AssessmentFactory()
    as_role(client, "esg")
    body = method_body(client, assessment, confidence=0.9)
    client.logout()
    as_role(client, role)
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    check_status(response, allowed(200)[role])


@pytest.mark.parametrize("role", ROLES)
def test_replies_are_read_by_the_esg_team_only(client: Client, role: str) -> None:
    assessment = AssessmentFactory(opened=True)
    reply = add_reply(assessment, "customers", {})
    as_role(client, role)
    base = f"/api/assessments/{assessment.pk}/responses/"
    check_status(client.get(base), allowed(200)[role])
    check_status(client.get(f"{base}{reply.pk}/"), allowed(200)[role])


def test_an_api_token_works_like_a_session(client: Client, esg_user: Any) -> None:
    from materiality.access_tokens import api_token_create

    secret = api_token_create(user=esg_user, name="t").secret
    response = client.get("/api/assessments/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


# --- Assessments ------------------------------------------------------------------------


def test_creating_an_assessment_builds_it_with_topics_and_groups_by_code(
    client: Client, esg_user: Any
) -> None:
    client.force_login(esg_user)
    response = call(client, "post", "/api/assessments/", new_assessment_body())
    assert response.status_code == 201, response.content
    body = response.json()
    assessment = Assessment.objects.get(pk=body["id"])
    assert body["status"] == "draft"
    assert body["editable"] is True
    # In the site's topic order, whatever the order given; each with its name.
    assert [t["code"] for t in body["topics"]] == topic_codes(assessment)
    assert {"code": "customers", "name": {"zh-hans": "客户", "en": "Customers"}} in [
        {"code": g["code"], "name": g["name"]} for g in body["groups"]
    ]
    assert [g["code"] for g in body["progress"]["groups"]] == ["customers", "employees"]
    assert assessment.survey.questions.exists()
    entry = AuditEntry.objects.get(assessment=assessment)
    assert (entry.action, entry.actor) == (AuditAction.CREATED, esg_user)


def test_every_mistake_in_a_new_assessment_is_named(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = new_assessment_body(
        period_end="2026-01-01", topics=["no-such-topic"], title={"en": "English only"}
    )
    response = call(client, "post", "/api/assessments/", body)
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"topics", "title"} <= fields
    assert not Assessment.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused_in_chinese(
    client: Client, esg_user: Any
) -> None:
    client.force_login(esg_user)
    response = call(
        client,
        "post",
        "/api/assessments/",
        new_assessment_body(period_end="2026-01-01"),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "period_end"
    assert error["message"] != "The period must end after it starts."  # translated


def test_a_partial_edit_keeps_what_it_does_not_name(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = call(
        client, "patch", f"/api/assessments/{assessment.pk}/", {"topics": ["inclusive-finance"]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [t["code"] for t in body["topics"]] == ["inclusive-finance"]
    assert body["title"]["en"] == "2026 materiality assessment"
    assert len(body["groups"]) == 8
    # The dates are checked together, the stored ones with the new one.
    response = call(
        client, "patch", f"/api/assessments/{assessment.pk}/", {"period_start": "2027-06-01"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "period_end"


def test_an_open_assessment_can_no_longer_be_edited(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = call(
        client,
        "patch",
        f"/api/assessments/{open_assessment.pk}/",
        {"estimated_minutes": 5},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "assessment_not_draft"
    assert "frozen" in response.json()["detail"]


def test_opening_and_closing_are_in_the_audit_trail(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    response = client.post(f"/api/assessments/{assessment.pk}/open/")
    assert response.json()["status"] == "open"
    assert client.post(f"/api/assessments/{assessment.pk}/open/").status_code == 409
    response = client.post(f"/api/assessments/{assessment.pk}/close/")
    assert response.json()["status"] == "closed"
    assert client.post(f"/api/assessments/{assessment.pk}/close/").status_code == 409
    actions = list(
        AuditEntry.objects.filter(assessment=assessment, actor=esg_user).values_list(
            "action", flat=True
        )
    )
    assert actions == [AuditAction.OPENED, AuditAction.CLOSED]
    assert AggregationRun.objects.filter(assessment=assessment).exists()  # the final scores


def test_a_draft_cannot_be_closed(client: Client, esg_user: Any, assessment: Assessment) -> None:
    client.force_login(esg_user)
    response = client.post(f"/api/assessments/{assessment.pk}/close/")
    assert response.status_code == 409
    assert response.json()["code"] == "assessment_not_open"


def test_the_detail_shows_replies_per_group(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    add_reply(open_assessment, "customers", {})
    add_reply(open_assessment, "customers", {}, submitted=False)
    invitations_import(
        assessment=open_assessment,
        table=[["email", "group"], ["a@example.com", "customers"], ["b@example.com", "media"]],
    )
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/"
    progress = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["progress"]
    customers = next(row for row in progress["groups"] if row["code"] == "customers")
    assert customers == {
        "code": "customers",
        "name": "Customers",
        "internal": False,
        "invited": 1,
        "started": 2,
        "completed": 1,
        "percent": 100,
    }
    assert (progress["started"], progress["completed"], progress["invited"]) == (2, 1, 2)


def test_the_list_filters_by_status(client: Client, esg_user: Any) -> None:
    AssessmentFactory()
    opened = AssessmentFactory(opened=True)
    client.force_login(esg_user)
    body = client.get("/api/assessments/", {"status": "open"}).json()
    assert [row["id"] for row in body["results"]] == [opened.pk]
    assert client.get("/api/assessments/", {"status": "nope"}).status_code == 400


# Session, user and permissions (4); the count, the page, its topics and its groups.
LIST_QUERIES = 4 + 4


@pytest.mark.parametrize("rows", [2, 5])
def test_the_assessment_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    AssessmentFactory.create_batch(rows)
    client.force_login(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get("/api/assessments/").json()
    assert body["count"] == rows
    assert len(body["results"][0]["topics"]) == 17


# --- Method settings --------------------------------------------------------------------


def test_the_method_names_each_group_with_its_weight(
    client: Client, decider_user: Any, assessment: Assessment
) -> None:
    client.force_login(decider_user)
    body = client.get(f"/api/assessments/{assessment.pk}/method/").json()
    assert body["editable"] is True
    assert body["weights"][0]["code"] == "employees" or body["weights"][0]["name"]
    assert {w["code"] for w in body["weights"]} >= {"customers", "employees"}
    assert all(w["name"] for w in body["weights"])


def test_new_method_settings_are_stored_audited_and_run(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/method/"
    body = method_body(client, open_assessment, weighting="custom", confidence=0.9)
    body["weights"][0]["weight"] = 2.5
    response = call(client, "put", url, body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["confidence"] == 0.9
    assert answer["weighting"] == "custom"
    assert answer["weights"][0]["weight"] == 2.5
    assert answer["run"] is not None
    entry = AuditEntry.objects.get(assessment=open_assessment, action=AuditAction.SETTINGS_CHANGED)
    assert entry.actor == esg_user
    assert entry.run_id == answer["run"]
    # The same settings again: nothing changes, no run.
    again = call(client, "put", url, body).json()
    assert again["run"] is None


def test_every_mistaken_method_value_is_reported_at_once(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    body = method_body(client, assessment, confidence=2, bootstrap_samples=-1)
    body["too_fast_fraction"] = "3/2"
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"confidence", "bootstrap_samples", "too_fast_fraction"}


def test_a_negative_weight_is_named_by_its_group(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    body = method_body(client, assessment, weighting="custom")
    code = body["weights"][1]["code"]
    body["weights"][1]["weight"] = -1
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [f"weights.{code}"]
    body["weights"][1] = {"code": "no-such-group", "weight": 1}
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    assert response.status_code == 400
    assert "no-such-group" in response.json()["errors"][0]["message"]


def test_a_wrongly_typed_method_value_is_a_400(
    client: Client, esg_user: Any, assessment: Assessment
) -> None:
    client.force_login(esg_user)
    body = method_body(client, assessment, weighting={"x": 1}, bootstrap_samples="many")
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"weighting", "bootstrap_samples"}


def test_the_method_of_a_confirmed_result_is_fixed(
    client: Client, esg_user: Any, scored_run: AggregationRun
) -> None:
    assessment = scored_run.assessment
    client.force_login(esg_user)
    body = method_body(client, assessment, confidence=0.9)
    AggregationRun.objects.filter(pk=scored_run.pk).update(review=ReviewStatus.CONFIRMED)
    response = call(client, "put", f"/api/assessments/{assessment.pk}/method/", body)
    assert response.status_code == 409
    assert response.json()["code"] == "method_locked"
    assert client.get(f"/api/assessments/{assessment.pk}/method/").json()["editable"] is False


# --- Replies ------------------------------------------------------------------------------


def test_replies_of_an_anonymous_assessment_are_anonymised(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    topic = topic_codes(open_assessment)[0]
    reply = add_reply(
        open_assessment,
        "customers",
        {(topic, "company"): 4, (topic, "stakeholder"): "DK"},
        comments={topic: "Call Ann Example"},
    )
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/responses/{reply.pk}/"
    body = client.get(url).json()
    assert body["invitation"] is None
    assert body["started_at"] is None
    assert body["submitted_at"] is None
    assert body["submitted_on"] is not None
    assert body["comments"] == []
    rating = next(r for r in body["ratings"] if r["axis"]["code"] == "company")
    assert rating["topic"]["code"] == topic
    assert rating["topic"]["name"]["en"]
    assert rating["value"] == 4
    dont_know = next(r for r in body["ratings"] if r["axis"]["code"] == "stakeholder")
    assert (dont_know["value"], dont_know["dont_know"]) == (None, True)
    assert body["group"]["name"]["en"] == "Customers"
    with_comments = client.get(url, {"comments": "true"}).json()
    assert with_comments["comments"] == [{"topic": rating["topic"], "text": "Call Ann Example"}]


def test_replies_of_a_named_assessment_show_the_invitation(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    survey_update(survey=open_assessment.survey, anonymous=False)
    result = invitations_import(
        assessment=open_assessment,
        table=[["email", "group", "name"], ["ann@example.com", "customers", "Ann"]],
    )
    reply = add_reply(open_assessment, "customers", {})
    Response.objects.filter(pk=reply.pk).update(invitation=result.invitations[0])
    client.force_login(esg_user)
    body = client.get(f"/api/assessments/{open_assessment.pk}/responses/{reply.pk}/").json()
    assert body["invitation"]["email"] == "ann@example.com"
    assert body["invitation"]["name"] == "Ann"
    assert body["started_at"] is not None


def test_replies_filter_by_group_status_and_quality_rule(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    ordinary = add_reply(open_assessment, "customers", {})
    straight = add_reply(open_assessment, "employees", {}, straight_lined=True)
    unfinished = add_reply(open_assessment, "customers", {}, submitted=False)
    client.force_login(esg_user)
    url = f"/api/assessments/{open_assessment.pk}/responses/"

    def ids(**query: str) -> list[int]:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(group="customers") == [ordinary.pk, unfinished.pk]
    assert ids(status=ResponseStatus.IN_PROGRESS) == [unfinished.pk]
    assert ids(excluded="true") == [straight.pk]
    assert straight.pk not in ids(excluded="false")
    rows = client.get(url).json()["results"]
    assert [row["excluded"] for row in rows] == [False, True, False]
    assert client.get(url, {"excluded": "maybe"}).status_code == 400


def test_replies_of_an_unknown_assessment_are_a_404(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    assert client.get("/api/assessments/999999/responses/").status_code == 404


# Session, user, permissions (4); the assessment, the quality rule (3), the grid (2), the
# count, the page, its answers, its groups' names.
REPLY_LIST_QUERIES = 4 + 1 + 3 + 2 + 4


@pytest.mark.parametrize("rows", [2, 6])
def test_the_reply_list_takes_a_fixed_number_of_queries(
    rows: int,
    client: Client,
    esg_user: Any,
    open_assessment: Assessment,
    django_assert_num_queries: Any,
) -> None:
    topic = topic_codes(open_assessment)[0]
    for index in range(rows):
        add_reply(
            open_assessment, "customers" if index % 2 else "employees", {(topic, "company"): 3}
        )
    client.force_login(esg_user)
    with django_assert_num_queries(REPLY_LIST_QUERIES):
        body = client.get(f"/api/assessments/{open_assessment.pk}/responses/").json()
    assert body["count"] == rows
    assert all(len(row["ratings"]) == 1 for row in body["results"])


def test_closing_through_the_service_and_the_api_alike(
    client: Client, esg_user: Any, open_assessment: Assessment
) -> None:
    assessment_close(assessment=open_assessment)
    client.force_login(esg_user)
    body = client.get(f"/api/assessments/{open_assessment.pk}/").json()
    assert (body["status"], body["availability"]) == ("closed", "closed")
