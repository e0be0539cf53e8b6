"""Error pages a visitor can meet: in their language, styled like the site, as JSON
under /api/, and the 500 and 503 pages without the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.urls import reverse

from tests.conftest import link_path
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db

STYLESHEET = "css/materia.css"  # only the page has it, not its plain fallback


def visitor(language: str = "en", **options: Any) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False, **options)


@contextmanager
def database_down() -> Iterator[None]:
    """Every query fails as it does while PostgreSQL restarts."""
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(connections["default"], "cursor", side_effect=lost):
        yield


def test_a_database_that_cannot_be_reached_is_a_503_page_that_needs_no_database() -> None:
    path = link_path(InvitationFactory())
    for language, title in (("en", "The site is briefly unavailable"), ("zh-hans", "")):
        with database_down():
            response = visitor(language).get(path)
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        html = response.content.decode()
        assert f'<html lang="{language}">' in html
        assert title in html
        assert STYLESHEET in html
        assert "Server Error" not in html


def test_a_database_that_cannot_be_reached_is_a_json_503_on_the_api(admin_user: Any) -> None:
    client = visitor()
    client.force_login(admin_user)
    with database_down():
        response = client.get("/api/topics/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (503, "unavailable")
    assert body["title"] == "The site is briefly unavailable"
    assert "everything you saved before is kept" in body["detail"]


def test_an_unexpected_error_is_a_500_page_in_the_visitors_language() -> None:
    path = link_path(InvitationFactory())
    with mock.patch("surveys.views.invitation_resolve", side_effect=RuntimeError("boom")):
        for language in ("en", "zh-hans"):
            response = visitor(language).get(path)
            assert response.status_code == 500
            html = response.content.decode()
            assert f'<html lang="{language}">' in html
            assert STYLESHEET in html
            assert "Server Error (500)" not in html
        english = visitor("en").get(path).content.decode()
    assert "Something went wrong on our side" in english
    assert "boom" not in english


def test_an_unknown_address_is_a_404_page_in_the_visitors_language() -> None:
    response = visitor("en").get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    problem = visitor("en").get("/api/no-such-thing/").json()
    assert (problem["status"], problem["code"], problem["title"]) == (
        404,
        "not_found",
        "Page not found",
    )


def test_a_form_sent_without_its_csrf_token_gets_a_page_that_says_what_to_do() -> None:
    client = visitor("en", enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "a", "password": "b"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html
    assert "reload the page" in html
    assert "CSRF verification failed" not in html
