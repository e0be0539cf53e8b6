"""Topics and stakeholder groups through the API: role members read them, administrators
write them (never delete: retire), with filters, search and ordering."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from materiality.access_tokens import api_token_create
from materiality.models import StakeholderGroup, Topic
from tests.factories import StakeholderGroupFactory, TopicFactory, TopicReferenceFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NEW_TOPIC = {
    "code": "biodiversity",
    "name": {"zh-hans": "生物多样性保护", "en": "Biodiversity protection"},
    "dimension": "E",
    "order": 18,
}
NEW_GROUP = {
    "code": "ngos",
    "name": {"zh-hans": "非政府组织", "en": "NGOs"},
    "internal": False,
    "default_weight": "1.500",
}


def _caller(request: pytest.FixtureRequest, role: str) -> Any:
    """The user for *role*: None (anonymous), or a fixture's user."""
    fixture = {
        "anonymous": None,
        "outsider": "outsider_user",
        "esg": "esg_user",
        "decider": "decider_user",
        "admin": "admin_user",
    }[role]
    return None if fixture is None else request.getfixturevalue(fixture)


def _call(client: Client, user: Any, method: str, path: str, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(user=user, name='t').secret}"
    send = getattr(client, method)
    if body is None:
        return send(path, **headers)
    return send(path, body, content_type="application/json", **headers)


# --- Who may do what -----------------------------------------------------------------

READ = {"anonymous": 401, "outsider": 403, "esg": 200, "decider": 200, "admin": 200}
WRITE_CREATE = {"anonymous": 401, "outsider": 403, "esg": 403, "decider": 403, "admin": 201}
WRITE_CHANGE = {"anonymous": 401, "outsider": 403, "esg": 403, "decider": 403, "admin": 200}
ROLES = list(READ)

OPERATIONS = [
    ("get", "/api/topics/", None, READ),
    ("get", "/api/topics/inclusive-finance/", None, READ),
    ("post", "/api/topics/", NEW_TOPIC, WRITE_CREATE),
    ("put", "/api/topics/inclusive-finance/", {**NEW_TOPIC, "dimension": "S"}, WRITE_CHANGE),
    ("patch", "/api/topics/inclusive-finance/", {"active": False}, WRITE_CHANGE),
    ("get", "/api/stakeholder-groups/", None, READ),
    ("get", "/api/stakeholder-groups/employees/", None, READ),
    ("post", "/api/stakeholder-groups/", NEW_GROUP, WRITE_CREATE),
    ("put", "/api/stakeholder-groups/employees/", {**NEW_GROUP, "internal": True}, WRITE_CHANGE),
    ("patch", "/api/stakeholder-groups/employees/", {"order": 3}, WRITE_CHANGE),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _b, _e in OPERATIONS],
)
def test_each_role_gets_what_its_permissions_allow(
    request: pytest.FixtureRequest,
    client: Client,
    role: str,
    method: str,
    path: str,
    body: Any,
    expected: dict[str, int],
) -> None:
    response = _call(client, _caller(request, role), method, path, body)
    assert response.status_code == expected[role], response.content
    if expected[role] >= 400:
        assert response["Content-Type"] == PROBLEM
    if expected[role] == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/api/topics/climate-change/", "/api/stakeholder-groups/media/"])
def test_nothing_in_the_vocabulary_can_be_deleted(
    request: pytest.FixtureRequest, client: Client, role: str, path: str
) -> None:
    response = _call(client, _caller(request, role), "delete", path)
    # No DELETE at all: 405 for anyone signed in, whatever the role (retire instead).
    assert response.status_code == (401 if role == "anonymous" else 405)
    assert Topic.objects.filter(code="climate-change").exists()
    assert StakeholderGroup.objects.filter(code="media").exists()


# --- Reading -------------------------------------------------------------------------


def test_role_members_read_the_topics_with_both_languages(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.get("/api/topics/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 17
    first = body["results"][0]
    assert first["code"] == "corporate-governance"
    assert first["name"] == {"zh-hans": "企业管治", "en": "Corporate governance"}
    assert {"framework": "GRI", "reference": "2-9", "title": {}} in first["references"]


def test_one_topic_by_its_code(client: Client, decider_user: Any) -> None:
    client.force_login(decider_user)
    response = client.get("/api/topics/inclusive-finance/")
    assert response.status_code == 200
    assert response.json()["dimension"] == "S"


@pytest.mark.parametrize("code", ["no-such-topic", "Not%20A%20Code", "%00"])
def test_an_unknown_code_is_a_problem_404(client: Client, esg_user: Any, code: str) -> None:
    client.force_login(esg_user)
    response = client.get(f"/api/topics/{code}/")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


def test_stakeholder_groups(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = client.get("/api/stakeholder-groups/").json()
    assert body["count"] == 8
    employees = next(g for g in body["results"] if g["code"] == "employees")
    assert employees["internal"] is True


def _codes(client: Client, path: str, **query: str) -> list[str]:
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_topics_filter_by_dimension_and_status(client: Client, esg_user: Any) -> None:
    Topic.objects.filter(code="climate-change").update(active=False)
    client.force_login(esg_user)
    environmental = _codes(client, "/api/topics/", dimension="E")
    assert environmental
    assert set(
        Topic.objects.filter(code__in=environmental).values_list("dimension", flat=True)
    ) == {"E"}
    assert "climate-change" in environmental
    assert "climate-change" not in _codes(client, "/api/topics/", dimension="E", active="true")
    assert _codes(client, "/api/topics/", active="false") == ["climate-change"]


def test_groups_filter_by_internal(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    internal = _codes(client, "/api/stakeholder-groups/", internal="true")
    assert "employees" in internal
    assert "customers" not in internal
    assert "customers" in _codes(client, "/api/stakeholder-groups/", internal="false")


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("climate", "climate-change"),
        ("气候", "climate-change"),
        ("Inclusive Fin", "inclusive-finance"),
    ],
)
def test_search_finds_topics_by_code_or_name_in_either_language(
    client: Client, esg_user: Any, words: str, found: str
) -> None:
    client.force_login(esg_user)
    assert found in _codes(client, "/api/topics/", search=words)
    assert len(_codes(client, "/api/topics/", search=words)) < 17


def test_a_search_with_a_null_character_is_a_400(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.get("/api/topics/", {"search": "climate\x00"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_ordering_by_code_both_ways(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    ascending = _codes(client, "/api/topics/", ordering="code")
    assert ascending == sorted(ascending)
    assert _codes(client, "/api/topics/", ordering="-code") == ascending[::-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"dimension": "X"}, "dimension"), ({"ordering": "name"}, "ordering")],
)
def test_a_bad_filter_or_ordering_is_a_400_naming_it(
    client: Client, esg_user: Any, query: dict[str, str], field: str
) -> None:
    client.force_login(esg_user)
    response = client.get("/api/topics/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert [error["field"] for error in response.json()["errors"]] == [field]


# --- Writing (administrators) --------------------------------------------------------


def test_an_administrator_adds_a_topic(client: Client, admin_user: Any) -> None:
    response = _call(client, admin_user, "post", "/api/topics/", NEW_TOPIC)
    assert response.status_code == 201
    topic = Topic.objects.get(code="biodiversity")
    assert topic.name == NEW_TOPIC["name"]
    assert topic.dimension == "E"
    assert topic.active


def test_a_code_in_use_or_malformed_is_refused_with_the_field_named(
    client: Client, admin_user: Any
) -> None:
    client.force_login(admin_user)
    for code, reason in [("climate-change", "unique"), ("Bad Code", "invalid")]:
        response = client.post(
            "/api/topics/", {**NEW_TOPIC, "code": code}, content_type="application/json"
        )
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("code", reason)]
    assert Topic.objects.count() == 17


def test_a_topic_needs_a_name_in_a_known_language(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.post(
        "/api/topics/",
        {**NEW_TOPIC, "name": {"fr": "Biodiversité"}},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert "fr" in response.json()["errors"][0]["message"]


def test_retiring_a_topic_keeps_it_and_its_code(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.patch(
        "/api/topics/climate-change/",
        {"active": False, "code": "renamed"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["code"] == "climate-change"  # fixed once created
    assert Topic.objects.get(code="climate-change").active is False


def test_an_administrator_replaces_a_group(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.put(
        "/api/stakeholder-groups/media/",
        {**NEW_GROUP, "name": {"en": "Press"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    media = StakeholderGroup.objects.get(code="media")
    assert media.name == {"en": "Press"}
    assert str(media.default_weight) == "1.500"


def test_a_negative_weight_is_refused(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.patch(
        "/api/stakeholder-groups/media/",
        {"default_weight": "-1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "default_weight"


def test_a_form_body_is_refused(client: Client, admin_user: Any) -> None:
    client.force_login(admin_user)
    response = client.post("/api/topics/", {"code": "x"})  # multipart
    # 415 by the parsers; 400 (nothing readable) once the site's body middleware has
    # read the form first. Either way nothing is stored.
    assert response.status_code in (400, 415)
    assert response["Content-Type"] == PROBLEM
    assert Topic.objects.count() == 17


# --- Query counts --------------------------------------------------------------------

# Session, user and permissions (4); the rows counted, the page of rows.
LIST_QUERIES = 4 + 2


@pytest.mark.parametrize("rows", [3, 10])
def test_the_topic_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    added = {topic.code for topic in TopicFactory.create_batch(rows)}
    for topic in Topic.objects.filter(code__in=added):
        TopicReferenceFactory.create_batch(2, topic=topic)
    client.force_login(esg_user)
    # ... and the page's references, whatever the number of topics.
    with django_assert_num_queries(LIST_QUERIES + 1):
        body = client.get("/api/topics/", {"active": "true", "ordering": "code"}).json()
    assert body["count"] == len(body["results"]) == 17 + rows
    assert all(len(row["references"]) == 2 for row in body["results"] if row["code"] in added)


@pytest.mark.parametrize("rows", [3, 10])
def test_the_stakeholder_group_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    StakeholderGroupFactory.create_batch(rows)
    client.force_login(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get("/api/stakeholder-groups/", {"search": "e"}).json()
    assert body["count"] == len(body["results"])
    assert body["count"] > 0


def test_the_openapi_schema_is_served(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert "/api/topics/" in schema["paths"]
    # Personal tokens are described; HTTP Basic only where the site switches it on.
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert {"apiToken": []} in schema["paths"]["/api/topics/"]["get"]["security"]
    assert "basicAuth" not in schema["components"]["securitySchemes"]
