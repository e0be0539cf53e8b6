"""Every URL of the site, walked from the URL conf, refuses whoever may not use it.

Each pattern (admin and API router included; static and media files left out) gets a
concrete path built from real objects: an open assessment with replies and a scored run,
an export, an upload waiting to be mapped, a report with reader feedback. Every URL not
on `PUBLIC` is requested by an anonymous visitor and by a signed-in user with no role,
with GET and with POST (every URL: a view that takes no POST answers 405), and must be
refused: a redirect to a sign-in page, 401, 403, 404 or 405 — never a page, never a
redirect elsewhere, never an error. Every offence is listed at once.

404 only counts as a refusal because the paths name objects that exist: a superuser
reaches every one of them (`test_every_probe_reaches_its_view`). The walk and the
objects (`world`) come from tests/url_walk.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import Client
from django.urls import reverse

from tests.url_walk import (
    FILE_SERVERS,
    STRING_VALUES,
    Endpoint,
    World,
    concrete_path,
    endpoints,
)

pytestmark = pytest.mark.django_db

# Open to anyone, signed in or not. Keep it short: each line is a door left open on purpose.
PUBLIC: dict[str, str] = {
    "home": "the front page: a sign-in button, or for a user without a role a line "
    "asking for one; it shows no data",
    "set_language": "Django's language switch: sets a cookie and redirects back",
    "login": "the sign-in page",
    "logout": "signing out (POST; GET shows the button, config/signout.py)",
    "admin:login": "the admin's sign-in page",
    "admin:logout": "signing out of the admin; for a non-staff visitor it redirects to "
    "the admin index, which asks for sign-in",
    "surveys:landing": "a respondent's invitation link: its secret token is the credential",
    "surveys:continue": "a respondent's resume link: its secret resume token is the credential",
    "surveys:page": "a questionnaire page, behind the respondent's secret resume token",
    "surveys:review": "the review page, behind the respondent's secret resume token",
    "surveys:later": "'finish later', behind the respondent's secret resume token",
    "surveys:thanks": "the thank-you page, behind the respondent's secret resume token",
    "feedback-form": "the reader feedback form printed in a published report (QR code)",
    "feedback-thanks": "the page after sending reader feedback",
    "api-respond": "a respondent's questionnaire and submission through the API: the "
    "invitation or group-link token in the path is the credential",
    "api-feedback-form": "the reader feedback form through the API, by the report's public code",
}

# Refused to anonymous visitors, open to any signed-in user, role or not.
ANY_SIGNED_IN_USER: dict[str, str] = {
    "api-schema": "the OpenAPI description (paths and fields, no data), for any signed-in "
    "user (SPECTACULAR_SETTINGS SERVE_PERMISSIONS)",
    "api-docs": "Swagger UI over that description",
    "api-token-list": "each user's own API tokens (a token acts with its owner's "
    "permissions, no more)",
    "api-token-detail": "one of the user's own API tokens; another user's is a 404",
    "materiality:account-tokens": "each user's own API tokens (a token acts with its "
    "owner's permissions, no more)",
}

# A superuser gets 404 here too, by design: it says nothing about the probe's values.
NOT_FOUND_FOR_EVERYONE = {
    "admin:view_on_site": "no model has get_absolute_url",
    "admin/(?P<url>.*)$": "the admin's catch-all for unknown addresses",
}

REDIRECTS = {301, 302, 303, 307, 308}


# --- Probing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Offence:
    label: str
    path: str
    role: str
    method: str
    status: int
    detail: str

    def __str__(self) -> str:
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.label}  {self.method} {self.path}  as {self.role}: {self.status}{detail}"


def _refused(response: Any) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code in REDIRECTS:
        target = urlsplit(response["Location"]).path
        return target in (reverse("login"), reverse("admin:login"))
    return False


def _detail(response: Any) -> str:
    if response.status_code in REDIRECTS:
        return f"-> {response['Location']}"
    return ""


def probe(targets: list[Endpoint], world: World, clients: dict[str, Client]) -> list[Offence]:
    offences = []
    for endpoint in targets:
        path = concrete_path(endpoint, world)
        for role, client in clients.items():
            if role != "anonymous" and endpoint.label in ANY_SIGNED_IN_USER:
                continue
            for method in ("GET", "POST"):
                data = world.forms.get(endpoint.label, {}) if method == "POST" else {}
                response = getattr(client, method.lower())(path, data)
                if not _refused(response):
                    offences.append(
                        Offence(
                            endpoint.label,
                            path,
                            role,
                            method,
                            response.status_code,
                            _detail(response),
                        )
                    )
    return offences


def visitors(outsider_user: Any) -> dict[str, Client]:
    # A 500 is an answer to report, not an exception that stops the walk.
    outsider = Client(raise_request_exception=False)
    outsider.force_login(outsider_user)
    return {"anonymous": Client(raise_request_exception=False), "user without a role": outsider}


def guarded() -> list[Endpoint]:
    return [e for e in endpoints() if e.label not in PUBLIC]


# --- The tests ------------------------------------------------------------------------


def test_every_url_refuses_anonymous_visitors_and_users_without_a_role(
    world: World, outsider_user: Any
) -> None:
    offences = probe(guarded(), world, visitors(outsider_user))
    assert not offences, (
        "Served to someone who may not use it (anonymous, or signed in without a role); "
        "protect the view, or add it to PUBLIC with the reason:\n"
        + "\n".join(f"  {offence}" for offence in offences)
    )


def test_the_walk_reaches_every_part_of_the_url_conf() -> None:
    found = endpoints()
    labels = {endpoint.label for endpoint in found}
    # 104 patterns today, media files left out: a broken walk must not pass for empty.
    assert len(found) >= 100, sorted(labels)
    for part in ("admin:", "surveys:", "materiality:", "topic-", "stakeholder-group-"):
        assert any(label.startswith(part) for label in labels), part
    assert "materiality:replies-import" in labels  # patterns a views module contributes
    assert not any(endpoint.pattern.lookup_str in FILE_SERVERS for endpoint in found)


def test_the_lists_of_open_urls_name_only_urls_that_exist() -> None:
    labels = {endpoint.label for endpoint in endpoints()}
    listed = {*PUBLIC, *ANY_SIGNED_IN_USER, *STRING_VALUES, *NOT_FOUND_FOR_EVERYONE}
    assert listed <= labels, f"stale entries: {sorted(listed - labels)}"
    assert not set(PUBLIC) & set(ANY_SIGNED_IN_USER)


def test_every_probe_reaches_its_view(world: World, admin_user: Any) -> None:
    """A superuser may do anything: a 404 here means the probe names no real object, and
    a 404 to the visitors above would prove nothing."""
    site = Client(raise_request_exception=False)
    site.force_login(admin_user)
    answers = {}
    post_only = []
    for endpoint in guarded():
        path = concrete_path(endpoint, world)
        answers[endpoint.label, path] = response = site.get(path)
        if response.status_code == 405:
            post_only.append((endpoint, path))
    # POSTs last, as they change things (cancelling an import deletes the upload).
    for endpoint, path in post_only:
        answers[endpoint.label, path] = site.post(path, world.forms.get(endpoint.label, {}))
    missing = [
        f"  {label}  {path}: {response.status_code}"
        for (label, path), response in answers.items()
        if response.status_code >= 500
        or (response.status_code == 404) != (label in NOT_FOUND_FOR_EVERYONE)
    ]
    assert not missing, "Probes that do not reach a real object:\n" + "\n".join(missing)


def _open_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("the scores, for anyone")


def _redirecting_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    return redirect("home")  # not a sign-in page: the work was done


def _broken_view(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    raise RuntimeError("boom")


def test_an_unprotected_view_is_caught(
    world: World, outsider_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views behind three patterns are swapped for ones that check nothing, for
    this test only: every request to them is reported, all at once."""
    swapped = {
        "materiality:results": _open_view,
        "materiality:run-request": _redirecting_view,
        "topic-list": _broken_view,
    }
    targets = []
    for endpoint in guarded():
        if endpoint.label in swapped and endpoint.label not in {e.label for e in targets}:
            monkeypatch.setattr(endpoint.pattern, "callback", swapped[endpoint.label])
            targets.append(endpoint)
    paths = {endpoint.label: concrete_path(endpoint, world) for endpoint in targets}
    offences = probe(targets, world, visitors(outsider_user))
    status = {"materiality:results": 200, "materiality:run-request": 302, "topic-list": 500}
    assert sorted((o.label, o.path, o.role, o.method, o.status) for o in offences) == sorted(
        (label, paths[label], role, method, status[label])
        for label in swapped
        for role in ("anonymous", "user without a role")
        for method in ("GET", "POST")
    )
    lines = set(map(str, offences))
    assert f"materiality:results  GET {paths['materiality:results']}  as anonymous: 200" in lines
    run_request = paths["materiality:run-request"]
    assert f"materiality:run-request  POST {run_request}  as user without a role: 302 -> /" in lines
