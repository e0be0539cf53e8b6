from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import StakeholderGroupFactory, TopicFactory, TopicReferenceFactory

pytestmark = pytest.mark.django_db


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


def test_an_unknown_code_is_a_json_404(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.get("/api/topics/no-such-topic/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_stakeholder_groups(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = client.get("/api/stakeholder-groups/").json()
    assert body["count"] == 8
    employees = next(g for g in body["results"] if g["code"] == "employees")
    assert employees["internal"] is True


def test_anonymous_callers_get_a_json_401_or_403(client: Client) -> None:
    response = client.get("/api/topics/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_an_outsider_without_a_role_is_refused(client: Client, outsider_user: Any) -> None:
    client.force_login(outsider_user)
    assert client.get("/api/topics/").status_code == 403


def test_the_vocabulary_is_read_only(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.post("/api/topics/", {"code": "x"}, content_type="application/json")
    assert response.status_code in (403, 405)


# Session, user and permissions (4); the rows counted, the page of rows.
LIST_QUERIES = 4 + 2


@pytest.mark.parametrize("rows", [3, 10])
def test_the_topic_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    for topic in TopicFactory.create_batch(rows):
        TopicReferenceFactory.create_batch(2, topic=topic)
    client.force_login(esg_user)
    # ... and the page's references, whatever the number of topics.
    with django_assert_num_queries(LIST_QUERIES + 1):
        body = client.get("/api/topics/").json()
    assert body["count"] == len(body["results"]) == 17 + rows
    assert len(body["results"][-1]["references"]) == 2


@pytest.mark.parametrize("rows", [3, 10])
def test_the_stakeholder_group_list_takes_a_fixed_number_of_queries(
    rows: int, client: Client, esg_user: Any, django_assert_num_queries: Any
) -> None:
    StakeholderGroupFactory.create_batch(rows)
    client.force_login(esg_user)
    with django_assert_num_queries(LIST_QUERIES):
        body = client.get("/api/stakeholder-groups/").json()
    assert body["count"] == len(body["results"]) == 8 + rows


def test_the_openapi_schema_is_served(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert "/api/topics/" in schema["paths"]
    # Both ways in are described, HTTP Basic (with its sign-in limit) included.
    assert schema["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
    }
    assert {"basicAuth": []} in schema["paths"]["/api/topics/"]["get"]["security"]
