"""The account page for personal API tokens: create one (its secret shown once), see
your own, revoke one (the API refuses it at once); another user's tokens stay out of
reach."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from materiality.access_tokens import MAX_ACTIVE_TOKENS, api_token_create
from materiality.models import ApiToken

pytestmark = pytest.mark.django_db

PAGE = reverse("materiality:account-tokens")
SECRET = re.compile(r"mat_[A-Za-z0-9_-]{20,}")


def revoke_url(token: ApiToken) -> str:
    return reverse("materiality:account-token-revoke", args=[token.pk])


def test_it_asks_for_a_sign_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user", ["outsider_user", "esg_user", "decider_user"])
def test_any_signed_in_user_sees_the_page(
    client: Client, request: pytest.FixtureRequest, user: str
) -> None:
    client.force_login(request.getfixturevalue(user))
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Create a token" in response.content.decode()


def test_creating_a_token_shows_its_secret_once(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.post(PAGE, {"name": "Power BI refresh"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "it will not be shown again" in page
    secret = SECRET.search(page)
    assert secret is not None
    token = ApiToken.objects.get(user=esg_user)
    assert token.name == "Power BI refresh"
    assert secret.group() not in token.digest  # only a fingerprint is kept

    # The secret works ...
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret.group()}"}
    assert api.get("/api/topics/", **auth).status_code == 200
    # ... and the list shows the token by its name and first characters, never the secret.
    listing = client.get(PAGE).content.decode()
    assert "Power BI refresh" in listing
    assert token.prefix in listing
    assert secret.group() not in listing


def test_a_token_needs_a_name(client: Client, esg_user: Any) -> None:
    client.force_login(esg_user)
    response = client.post(PAGE, {"name": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_limit_of_active_tokens_is_explained(client: Client, esg_user: Any) -> None:
    for number in range(MAX_ACTIVE_TOKENS):
        api_token_create(user=esg_user, name=f"t{number}")
    client.force_login(esg_user)
    response = client.post(PAGE, {"name": "one too many"}, HTTP_ACCEPT_LANGUAGE="en")
    assert f"You have {MAX_ACTIVE_TOKENS} active tokens" in response.content.decode()
    assert ApiToken.objects.count() == MAX_ACTIVE_TOKENS


def test_revoking_a_token_stops_the_api_accepting_it(client: Client, esg_user: Any) -> None:
    issued = api_token_create(user=esg_user, name="nightly export")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    assert Client().get("/api/topics/", **auth).status_code == 200
    client.force_login(esg_user)

    response = client.post(revoke_url(issued.token), follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert response.redirect_chain[-1][0] == PAGE
    assert "Token “nightly export” revoked." in response.content.decode()
    refused = Client().get("/api/topics/", **auth)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_revoking_needs_a_post(client: Client, esg_user: Any) -> None:
    issued = api_token_create(user=esg_user, name="t")
    client.force_login(esg_user)
    assert client.get(revoke_url(issued.token)).status_code == 405
    issued.token.refresh_from_db()
    assert issued.token.active


def test_other_users_tokens_are_invisible_and_cannot_be_revoked(
    client: Client, esg_user: Any, decider_user: Any
) -> None:
    theirs = api_token_create(user=decider_user, name="decider's dashboard")
    client.force_login(esg_user)
    assert "decider's dashboard" not in client.get(PAGE).content.decode()
    assert client.post(revoke_url(theirs.token)).status_code == 404
    theirs.token.refresh_from_db()
    assert theirs.token.active


def test_the_header_links_to_the_page(client: Client, outsider_user: Any) -> None:
    client.force_login(outsider_user)
    assert f'href="{PAGE}"' in client.get(reverse("home")).content.decode()
