"""An address asked for with a method it does not take: a bookmarked log-out link (GET)
shows a page with the "Log out" button; any other 405 is the site's error page in the
visitor's language with its `Allow` header, never an empty page (JSON under /api/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STYLESHEET = "css/materia.css"


def visitor(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, enforce_csrf_checks=True)


@pytest.mark.parametrize(("language", "button"), [("en", "Log out"), ("zh-hans", "退出登录")])
def test_a_bookmarked_log_out_link_shows_a_log_out_button(
    language: str, button: str, esg_user: Any
) -> None:
    client = visitor(language)
    client.force_login(esg_user)
    page = client.get(reverse("logout"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    assert STYLESHEET in html
    form = re.search(r'<main.*?<form method="post" action="([^"]+)".*?</form>', html, re.S)
    assert form is not None
    assert form[1] == reverse("logout")
    assert f">{button}</button>" in form[0]
    assert client.session.get(SESSION_KEY)  # a GET signs nobody out

    # The button signs out (with the page's CSRF token), as the header's does.
    token = CSRF_FIELD.search(form[0])
    assert token is not None
    signed_out = client.post(reverse("logout"), {"csrfmiddlewaretoken": token[1]})
    assert signed_out.status_code == 302
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(("language", "link"), [("en", "Log in"), ("zh-hans", "登录")])
def test_the_log_out_page_offers_sign_in_to_someone_signed_out(language: str, link: str) -> None:
    page = visitor(language).get(reverse("logout"))
    assert page.status_code == 200
    html = page.content.decode()
    main = html[html.index("<main") :]
    assert f'href="{reverse("login")}"' in main
    assert link in main
    assert 'action="/accounts/logout/"' not in main
    assert visitor(language).head(reverse("logout")).status_code == 200  # as GET


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "This address does not take that request"), ("zh-hans", "此地址不接受这种请求")],
)
def test_any_other_405_is_the_error_page_with_its_allow_header(
    language: str, title: str, debug: bool, esg_user: Any
) -> None:
    client = visitor(language)
    client.force_login(esg_user)
    with override_settings(DEBUG=debug):
        response = client.get(reverse("materiality:account-token-revoke", args=[1]))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert title in html
    assert STYLESHEET in html
    # CommonMiddleware sets the length of the empty 405; a server sends that many bytes.
    assert response["Content-Length"] == str(len(response.content))


def test_a_405_of_the_api_stays_a_problem_with_its_allow_header(admin_user: Any) -> None:
    client = visitor()
    client.force_login(admin_user)
    response = client.delete("/api/respond/abcdefghijklmnopqrstuvwxyz012345/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
