"""Every response carries the strict Content-Security-Policy; an SVG file opened on its
own may style itself inline and do nothing else. (That every page works under it, in a
real browser: tests/browser/test_content_security_policy.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from config.middleware import (
    CONTENT_SECURITY_POLICY,
    SVG_CONTENT_SECURITY_POLICY,
    URLENCODED,
)
from tests.factories import OpenReportFactory

pytestmark = pytest.mark.django_db

DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
}


def test_the_policy_allows_no_inline_script_or_style_and_nothing_from_elsewhere() -> None:
    directives = set(CONTENT_SECURITY_POLICY.split("; "))
    assert directives >= DIRECTIVES
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "script-src" not in SVG_CONTENT_SECURITY_POLICY  # default-src 'none': no script
    assert "default-src 'none'" in SVG_CONTENT_SECURITY_POLICY


def test_every_kind_of_page_carries_the_policy(client: Client, esg_user: Any) -> None:
    report = OpenReportFactory()
    responses = [
        client.get(reverse("home")),
        client.get(reverse("login")),
        client.get(reverse("feedback-form", args=[report.public_code])),
        client.get("/s/i/this-is-not-a-real-token-at-all/"),  # a respondent's error page
        client.get("/no-such-page/"),  # 404
        client.generic(  # the 400 page of an unreadable form
            "POST", reverse("login"), b"a=1", content_type=f"{URLENCODED}; charset=latin-1"
        ),
    ]
    client.force_login(esg_user)
    responses += [
        client.get(reverse("materiality:assessments")),
        client.get("/api/topics/", HTTP_ACCEPT="application/json"),
    ]
    for response in responses:
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, response


def test_an_svg_opened_on_its_own_gets_the_svg_policy(esg_user: Any) -> None:
    client = Client()
    client.force_login(esg_user)
    report = OpenReportFactory()
    response = client.get(reverse("materiality:report-qr", args=[report.pk, "svg"]))
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Security-Policy"] == SVG_CONTENT_SECURITY_POLICY
