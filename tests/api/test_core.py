"""What every API call shares: signing in with a token, the 401, problem details in the
caller's language, bounded pages, unreadable bodies."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from materiality.access_tokens import api_token_create, api_token_revoke
from materiality.models import ApiToken
from tests.factories import OpenReportFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_call_without_credentials_is_a_401_that_names_the_scheme(client: Client) -> None:
    response = client.get("/api/topics/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="Materia API"'
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 401
    assert body["type"] == "about:blank"
    assert body["code"] == "not_authenticated"


def test_problem_details_come_in_the_language_of_accept_language(client: Client) -> None:
    english = client.get("/api/topics/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get("/api/topics/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["title"] == "Sign-in needed"
    assert chinese["title"] != english["title"]
    assert all("\u4e00" <= ch <= "\u9fff" for ch in chinese["title"] if ch.isalpha())


def test_a_token_signs_in_until_it_is_revoked(client: Client, esg_user: Any) -> None:
    issued = api_token_create(user=esg_user, name="Power BI")
    assert issued.secret.startswith("mat_")
    assert client.get("/api/topics/", headers=bearer(issued.secret)).status_code == 200
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.last_used_at is not None
    assert issued.secret not in (token.digest, token.prefix)  # only a digest is kept

    api_token_revoke(token=token)
    response = client.get(
        "/api/topics/", headers={**bearer(issued.secret), "Accept-Language": "en"}
    )
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer mat_nonsense", "Bearer a b", "Bearer \u00e9t\u00e9"],
    ids=["no-token", "unknown", "two-parts", "non-ascii"],
)
def test_a_wrong_token_is_a_401(client: Client, header: str) -> None:
    response = client.get("/api/topics/", HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_a_deactivated_user_stops_working(client: Client, esg_user: Any) -> None:
    secret = api_token_create(user=esg_user, name="script").secret
    esg_user.is_active = False
    esg_user.save()
    assert client.get("/api/topics/", headers=bearer(secret)).status_code == 401


def test_basic_passwords_are_off_unless_switched_on(client: Client, esg_user: Any) -> None:
    esg_user.set_password("a long enough password")
    esg_user.save()
    basic = base64.b64encode(b"esg-member:a long enough password").decode()
    response = client.get("/api/topics/", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 401


def test_signed_in_without_the_role_is_a_403_not_a_401(client: Client, outsider_user: Any) -> None:
    secret = api_token_create(user=outsider_user, name="x").secret
    response = client.get("/api/topics/", headers=bearer(secret))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=0",
        "limit=-1",
        "limit=501",
        "limit=9223372036854775808",
        "offset=-5",
        "offset=9223372036854775808",
        "limit=1.5",
        "limit=%EF%BC%91",  # a full-width digit one
        "limit=",
        "limit=5&limit=6",
    ],
)
def test_a_page_size_or_offset_out_of_range_is_a_400_naming_the_parameter(
    client: Client, esg_user: Any, query: str
) -> None:
    client.force_login(esg_user)
    response = client.get(f"/api/topics/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [error["field"] for error in body["errors"]] == [query.split("=")[0]]


def test_the_largest_page_and_an_offset_past_the_end_are_fine(
    client: Client, esg_user: Any
) -> None:
    client.force_login(esg_user)
    assert len(client.get("/api/topics/?limit=500").json()["results"]) == 17
    assert client.get("/api/topics/?offset=1000").json()["results"] == []


def test_an_unknown_address_under_api_is_a_problem_not_a_page(
    client: Client, esg_user: Any
) -> None:
    client.force_login(esg_user)
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


def test_malformed_json_is_a_400(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.post("/api/tokens/", b'{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "application/x-www-form-urlencoded"]
)
def test_a_form_posted_to_a_json_endpoint_is_a_415_naming_the_type(
    client: Client, esg_user: Any, content_type: str
) -> None:
    client.force_login(esg_user)
    if content_type == "multipart/form-data":
        response = client.post("/api/tokens/", {"name": "laptop"})
    else:
        response = client.post("/api/tokens/", "name=laptop", content_type=content_type)
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM
    assert content_type in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_a_body_in_an_unknown_charset_is_a_400(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = b'{"name": "caf\xe9"}'
    response = client.generic(
        "POST", "/api/tokens/", body, content_type="application/json; charset=no-such-set"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_a_body_in_a_declared_charset_is_read_in_it(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = b'{"name": "caf\xe9"}'  # latin-1, as declared
    response = client.generic(
        "POST", "/api/tokens/", body, content_type="application/json; charset=latin-1"
    )
    assert response.status_code == 201
    assert response.json()["name"] == "caf\u00e9"


def test_a_body_that_is_not_in_its_declared_charset_is_a_400(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.generic(
        "POST", "/api/tokens/", b'{"name": "caf\xe9"}', content_type="application/json"
    )
    assert response.status_code == 400


def test_tokens_through_the_api_show_the_secret_once(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    created = client.post(
        "/api/tokens/", {"name": "nightly export"}, content_type="application/json"
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["nightly export"]
    assert secret not in json.dumps(listed)

    assert client.delete(f"/api/tokens/{created.json()['id']}/").status_code == 204
    assert client.get("/api/topics/", headers=bearer(secret)).status_code == 401
    assert client.get("/api/tokens/").json()["results"][0]["active"] is False


def test_a_token_name_is_required(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.post("/api/tokens/", {"name": ""}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"


def test_nobody_sees_or_revokes_another_users_token(
    client: Client, esg_user: Any, decider_user: Any
) -> None:
    theirs = api_token_create(user=decider_user, name="theirs").token
    client.force_login(esg_user)
    assert client.get(f"/api/tokens/{theirs.pk}/").status_code == 404
    assert client.delete(f"/api/tokens/{theirs.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).active


@pytest.mark.parametrize(
    "body", [b'{"name": "a\\u0000b"}', b'{"name": "\\ud800"}', b'{"\\u0000": 1, "name": "x"}']
)
def test_a_body_with_characters_that_are_not_text_is_a_400(
    client: Client, esg_user: Any, body: bytes
) -> None:
    client.force_login(esg_user)
    response = client.generic("POST", "/api/tokens/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert not ApiToken.objects.exists()


NESTED = [
    pytest.param(b"[" * 10000 + b"]" * 10000, id="past-the-decoder"),
    pytest.param(b'{"a":' * 5000 + b"1" + b"}" * 5000, id="objects-past-the-decoder"),
    pytest.param(b"[" * 600 + b"]" * 600, id="read-but-deep"),
    pytest.param(b'{"answers": ' + b"[" * 80 + b"]" * 80 + b"}", id="deeper-than-any-body"),
]


@pytest.mark.parametrize("body", NESTED)
def test_a_deeply_nested_body_is_a_400(client: Client, esg_user: Any, body: bytes) -> None:
    client.force_login(esg_user)
    response = client.generic(
        "POST", "/api/tokens/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "too deeply" in response.json()["detail"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("body", NESTED)
def test_a_deeply_nested_body_on_a_public_form_is_a_400(client: Client, body: bytes) -> None:
    report = OpenReportFactory()
    for path in (
        f"/api/feedback/{report.public_code}/",
        "/api/respond/abcdefghijklmnopqrstuvwxyz012345/",
    ):
        response = client.generic("POST", path, body, content_type="application/json")
        assert response.status_code == 400, path
        assert response["Content-Type"] == PROBLEM


def test_a_body_nested_as_deep_as_the_api_needs_is_read(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    body = {"name": "deep", "unused": [[[[[[[[[[{"a": [1]}]]]]]]]]]]}
    response = client.post("/api/tokens/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
