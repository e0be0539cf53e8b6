"""Every page of the site, for every role that may see it, in a real browser: at 360 px
in Chinese and in English, and at 1280 px, with axe-core (no serious or critical
finding) and the no-sideways-scroll check.

The pages come from the URL conf (tests/url_walk.py), so a new page is walked without
being named here: each pattern, its path filled from real objects, is first requested
by each role with the test client, and each one that answers someone with an HTML page
is then loaded in Chromium for them (`walkers` says when one role stands for others).
A pattern that answers nobody with a page must be listed in NOT_PAGES with the reason
(a file, JSON, a redirect), or answer GET with 405 (an action), else
`test_every_pattern_is_walked_or_listed` fails. The admin, Django's templates for many
patterns, is walked through a sample; the REST API (JSON, and DRF's browsable API for
developers) is not walked, its documentation page is.

Every failure is listed at once; each leaves a full-page screenshot and the HTML of the
page in var/test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page

from tests.browser.artifacts import save_page
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import MOBILE, Screen
from tests.factories import AssessmentFactory
from tests.respondents import answer_all, start
from tests.url_walk import Endpoint, World, concrete_path, endpoints

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, "ESG team", "decision group", "administrator")
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
# On a phone, where a longer word breaks a layout, both languages and every role; on a
# wide screen, where little can, one language and one role per page.
PHONE_LANGUAGES = ("zh-hans", "en")
WIDE_SCREEN_LANGUAGES = ("zh-hans",)

# Patterns that answer nobody with a page (a GET answered 405 needs no entry: an action).
NOT_PAGES: dict[str, str] = {
    "set_language": "Django's language switch: redirects back to the page it came from",
    "surveys:continue": "a resume link: redirects to the first unanswered step",
    "materiality:assessment-progress": "JSON for the progress panel's script",
    "materiality:run-status": "JSON for the run panel's script",
    "materiality:run-matrix": "the matrix as PNG/SVG/PDF",
    "materiality:link-qr": "a link's QR code as PNG/SVG",
    "materiality:report-qr": "the feedback form's QR code as PNG/SVG",
    "materiality:report-chart": "a feedback question's chart (PNG)",
    "materiality:report-export": "the reader feedback as CSV/XLSX",
    "materiality:export-download": "an export's file",
    "materiality:tool-questionnaire": "the questionnaire as text for other survey tools",
    "materiality:replies-import-progress": "JSON for the import page's script",
    "double:register-xlsx": "the IRO register as XLSX",
    "double:matrix": "the double materiality matrix as an image",
    "double:outputs-file": "an approved DMA's outputs as XLSX/PDF/printable page (the walk's "
    "DMA is not approved: its refusal, 409; the page is tested in test_dma_outputs.py)",
}

# The admin: Django's templates with the site's catalogue and styles. Its index, an app,
# the password form, and the list and change form of the models people work with.
ADMIN_SAMPLE = {
    "admin:index",
    "admin:app_list",
    "admin:password_change",
    *(
        f"admin:{model}_{view}"
        for model in (
            "materiality_topic",
            "materiality_stakeholdergroup",
            "materiality_assessment",
            "surveys_response",
            "surveys_invitation",
            "double_iro",
            "auth_user",
        )
        for view in ("changelist", "change")
    ),
    "admin:materiality_topic_add",
    "admin:double_doubleassessment_changelist",
}
# DRF's browsable API: one template for every endpoint (templates/rest_framework/api.html),
# walked on a list, a detail and an endpoint with a form.
API_SAMPLE = {"topic-list", "api-assessment-list", "api-assessment-detail"}
SAMPLED_OUT = {
    "admin/": "the admin's other pages: Django's templates, walked through ADMIN_SAMPLE",
    "api/": "JSON for scripts (tests/api); DRF's browsable API walked through API_SAMPLE",
}

# Pages other work is changing right now: a failure there is reported but does not fail
# the walk ({label: why}); empty once that work has landed.
IN_PROGRESS: dict[str, str] = {}

# Pages in one language whatever the visitor's: {label: language}.
ONE_LANGUAGE = {"api-docs": "en"}  # Swagger UI and the OpenAPI description: English
# Pages drawn by a script after loading: {label: what shows they are drawn}.
RENDERED = {"api-docs": "#swagger-ui .opblock"}
# axe rules a page fails by markup and styles the site does not write: {label: {rule: why}}.
NOT_OURS: dict[str, dict[str, str]] = {
    "api-docs": {
        "color-contrast": "Swagger UI's own colours (method badges, version stamps)",
        "nested-interactive": "Swagger UI puts each operation's links inside its button",
    },
}

HTML_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


# --- Which pages, for whom ------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    label: str
    path: str
    roles: tuple[str, ...]  # whom the browser walks the page as (see `walkers`)


@dataclass(frozen=True)
class Survey:
    visits: list[Visit]
    unlisted: list[str]  # patterns that are no page for anyone and not listed either


def sampled_out(endpoint: Endpoint) -> str | None:
    if endpoint.label in ADMIN_SAMPLE | API_SAMPLE or endpoint.label == "api-docs":
        return None
    for prefix, reason in SAMPLED_OUT.items():
        if endpoint.route.startswith(prefix):
            return reason
    return None


def walkers(label: str, roles: tuple[str, ...]) -> tuple[str, ...]:
    """Whom the browser walks a page as, of the `roles` that get it: each of them, except
    where they all get the same page:
    - a page for anyone (the respondent's, the reader's) is walked as an anonymous
      visitor, the front page aside: it is different for each role;
    - the administrator walks the admin and what only they get (the rating pages of a
      rater): the team's pages, which a superuser gets too, are walked as the team;
    - the API's documentation is one page for everyone."""
    if ANONYMOUS in roles and label != "home":
        return (ANONYMOUS,)
    if label == "api-docs":
        return roles[:1]
    if {"ESG team", "decision group"} & set(roles) and label != "home":
        return tuple(role for role in roles if role != "administrator")
    return roles


def _is_page(response: Any) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def survey_pages(world: World, clients: dict[str, Client]) -> Survey:
    """Requests every pattern as each role, with a browser's Accept header."""
    visits, unlisted = [], []
    for endpoint in endpoints():
        if sampled_out(endpoint) is not None:
            continue
        path = concrete_path(endpoint, world)
        answers = {
            role: client.get(path, HTTP_ACCEPT=HTML_ACCEPT) for role, client in clients.items()
        }
        roles = tuple(role for role, response in answers.items() if _is_page(response))
        if roles:
            visits.append(Visit(endpoint.label, path, walkers(endpoint.label, roles)))
        elif endpoint.label not in NOT_PAGES and not any(
            response.status_code == 405 for response in answers.values()
        ):
            kinds = ", ".join(
                f"{r}: {a.status_code} {a.get('Content-Type', '')}".strip()
                for r, a in answers.items()
            )
            unlisted.append(f"{endpoint.label}  {path}  ({kinds})")
    return Survey(visits, unlisted)


@pytest.fixture
def users(esg_user: Any, decider_user: Any, admin_user: Any) -> dict[str, Any]:
    # The administrator is also the DMA's rater in `world`: the rating pages are theirs.
    return {"ESG team": esg_user, "decision group": decider_user, "administrator": admin_user}


@pytest.fixture
def site(world: World, users: dict[str, Any]) -> tuple[World, dict[str, Client]]:
    """`world`, with a respondent halfway (a step of topics, the review and "finish later"
    pages need one who has not sent yet) and a draft assessment, and a test client for
    each role."""
    respondent = Client(REMOTE_ADDR="203.0.113.99")
    walk = start(respondent, reverse("surveys:landing", args=[world.values["token"]]))
    answer_all(respondent, walk)
    halfway = {f"surveys:{name}:resume": walk.resume for name in ("page", "review", "later")}
    halfway["surveys:page:number"] = 2  # a step of topics to rate (1 asks for the group)
    # Only a draft can be edited: an open assessment's edit page sends to its page.
    draft = {"materiality:assessment-edit:pk": AssessmentFactory().pk}
    world = replace(world, values={**world.values, **halfway, **draft})
    clients = {ANONYMOUS: Client(raise_request_exception=False)}
    for role, user in users.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(user)
    return world, clients


# --- In the browser -------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    label: str
    path: str
    role: str
    language: str
    problem: str

    def __str__(self) -> str:
        known = f"  [in progress: {IN_PROGRESS[self.label]}]" if self.label in IN_PROGRESS else ""
        return f"{self.label}  {self.path}  as {self.role}, {self.language}{known}:\n" + "\n".join(
            f"    {line}" for line in self.problem.splitlines()
        )


def check(page: Page, visit: Visit, language: str) -> str | None:
    """What is wrong with the page, or None."""
    response = page.goto(visit.path)
    if response is None or response.status != 200:
        return f"answered {response and response.status} in the browser"
    if urlsplit(page.url).path != urlsplit(visit.path).path:
        return f"went on to {page.url}"
    problems = []
    lang = page.locator("html").get_attribute("lang") or ""
    if lang != ONE_LANGUAGE.get(visit.label, language):
        problems.append(f'<html lang="{lang}"> on a page asked for in {language}')
    if visit.label in RENDERED:
        page.locator(RENDERED[visit.label]).first.wait_for()
    # Measured with the page's fonts in place: a fallback font is narrower or wider.
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    try:
        assert_accessible(page, skip_rules=tuple(NOT_OURS.get(visit.label, {})))
    except AssertionError as error:
        problems.append(str(error))
    try:
        assert_no_horizontal_scroll(page)
    except AssertionError as error:
        problems.append(str(error))
    return "\n".join(problems) or None


def walk(
    *,
    visits: list[Visit],
    languages: tuple[str, ...],
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    users: dict[str, Any],
    artifacts: Path,
) -> Iterator[Failure]:
    """Each role in a browser context of its own per language, one page after another."""
    for language in languages:
        for role in ROLES:
            context = make_context(locale=LOCALES[language])
            if role in users:
                log_in(users[role], context)
            page = context.new_page()
            for visit in visits:
                if role not in visit.roles:
                    continue
                problem = check(page, visit, language)
                if problem is not None:
                    name = re.sub(r"\W+", "-", f"{role}-{language}-{visit.label}")
                    save_page(page, artifacts, name)
                    yield Failure(visit.label, visit.path, role, language, problem)
            context.close()


# --- The tests ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_passes_axe_and_fits_the_screen(
    site: tuple[World, dict[str, Client]],
    users: dict[str, Any],
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    screen: Screen,
    artifacts: Path,
) -> None:
    visits = survey_pages(*site).visits
    languages: tuple[str, ...] = PHONE_LANGUAGES
    if screen != MOBILE:
        visits = [replace(visit, roles=visit.roles[:1]) for visit in visits]
        languages = WIDE_SCREEN_LANGUAGES
    failures = list(
        walk(
            visits=visits,
            languages=languages,
            make_context=make_context,
            log_in=log_in,
            users=users,
            artifacts=artifacts,
        )
    )
    new = [failure for failure in failures if failure.label not in IN_PROGRESS]
    report = "\n".join(map(str, failures))
    assert not new, (
        f"{len(new)} page(s) fail at {screen.width} px (screenshots and HTML in "
        f"{artifacts}):\n{report}"
    )
    if failures:
        pytest.xfail(f"only pages of work in progress fail:\n{report}")


@pytest.mark.django_db
def test_every_pattern_is_walked_or_listed(site: tuple[World, dict[str, Client]]) -> None:
    """A pattern that answers nobody with a page is a file, JSON, a redirect or an action:
    NOT_PAGES says which, or the browser walk would silently leave it out."""
    survey = survey_pages(*site)
    assert not survey.unlisted, (
        "Patterns that give nobody an HTML page, and are not in NOT_PAGES: list them "
        "with the reason, or give the walk values that reach the page "
        "(tests/url_walk.py):\n" + "\n".join(f"  {line}" for line in survey.unlisted)
    )
    labels = {visit.label for visit in survey.visits}
    # A broken walk must not pass for an empty one.
    for label in ("materiality:results", "surveys:page", "double:dma", "admin:index"):
        assert label in labels, label


def test_the_lists_name_only_patterns_that_exist() -> None:
    labels = {endpoint.label for endpoint in endpoints()}
    listed = {*NOT_PAGES, *ADMIN_SAMPLE, *IN_PROGRESS, *ONE_LANGUAGE, *RENDERED, *NOT_OURS}
    assert listed <= labels, f"stale entries: {sorted(listed - labels)}"
