"""Fixtures for the browser tests: headless Chromium, driven by Playwright, against
pytest-django's live server.

- One Chromium for the browser tests (Debian's package, `/usr/bin/chromium`, or
  `CHROMIUM_PATH`); a missing Chromium skips locally and fails in CI (`require`).
  Playwright runs only during the tests of this folder (see `playwright` below); as
  pytest-django runs the tests without a database last, those start a second one.
- Every test that takes `page` (or `context`, `make_context`) runs twice: at a desktop
  size and on a 360 px wide touch screen (the `screen` fixture).
- Every such test gets the live server and transactional database access with
  serialized rollback, so that the seed vocabulary of the data migrations is still
  there for the tests after it.
- `log_in(user)` signs a user in without going through the login form.
- A failed test leaves a full-page screenshot and the HTML of every page it had open in
  var/test-artifacts/browser/<test>/ (`artifacts`), which CI keeps.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from materiality.models import Assessment, StakeholderGroup
from materiality.services import group_link_create
from tests.browser.artifacts import artifacts_folder, save_page
from tests.browser.screens import DESKTOP, MOBILE, Screen
from tests.conftest import link_path, require

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Short enough that a broken page fails in seconds, long enough for a slow CI machine.
TIMEOUT_MS = 10_000


# --- One Chromium for the browser tests ------------------------------------------------
# While Playwright's sync API runs, it keeps an asyncio loop marked as running in the
# main thread, between its calls too. Django notices that in two ways:
# - it refuses ORM calls (SynchronousOnlyOperation), unless DJANGO_ALLOW_ASYNC_UNSAFE is
#   set: the usual fix, and safe here, since the test code really is synchronous;
# - it keeps the database connections of a thread whose loop runs apart from those of
#   the plain thread (asgiref's Local), so test code may get a new connection object,
#   not the one pytest-django set up (test_database.py shows when). That one holds the
#   serialized database of `serialized_rollback`: without it the first browser test
#   would wipe the seed vocabulary for every test after it, silently. So the
#   connections are pinned: test code keeps the very ones it had before Playwright.
# Both hold only while Playwright runs: the fixture has package scope, so it stops after
# the browser tests, and the rest of the suite keeps Django's guard.


def _pin_database_connections() -> Callable[[], None]:
    before = {alias: connections[alias] for alias in connections}

    def pin() -> None:
        for alias, connection in before.items():
            connections[alias] = connection

    return pin


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pin = _pin_database_connections()
    try:
        with sync_playwright() as driver:
            pin()
            yield driver
    finally:
        if before is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def _has_chinese_font() -> bool:
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh-cn", "family"], capture_output=True, text=True, check=False
        )
    except OSError:  # no fontconfig at all
        return False
    return bool(listed.stdout.strip())


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    require(
        os.access(CHROMIUM_PATH, os.X_OK),
        f"needs Chromium at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)",
    )
    # Without a CJK font Chinese is drawn as boxes of the wrong width, and a page that
    # overflows at 360 px in Chinese would pass here while failing its users.
    require(
        _has_chinese_font(),
        "needs a Chinese font for Chromium (apt-get install fonts-noto-cjk)",
    )
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


# --- A fresh context per test, at both screen sizes ------------------------------------


@pytest.fixture(params=[DESKTOP, MOBILE], ids=lambda screen: screen.name)
def screen(request: pytest.FixtureRequest) -> Screen:
    return request.param


@pytest.fixture
def make_context(
    request: pytest.FixtureRequest,
    browser: Browser,
    screen: Screen,
    live_server: LiveServer,
    django_db_serialized_rollback: None,
    artifacts: Path,
) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts (closed after the test) on the live server at the test's
    screen size; keyword arguments go to `Browser.new_context`, e.g.
    `make_context(java_script_enabled=False)`.

    The browser asks for Simplified Chinese first, like most of Materia's users.
    When the test fails, a full-page screenshot and the HTML of every open page are
    saved in the test's `artifacts` folder and their paths printed.
    """
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options = {
            "base_url": live_server.url,
            "locale": "zh-CN",
            "timezone_id": settings.TIME_ZONE,
            **screen.context_options(),
            **options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make

    report = request.node.stash.get(_CALL_REPORT, None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page_number, open_page in enumerate(context.pages):
                save_page(open_page, artifacts, f"context-{number}-page-{page_number}")
        context.close()


@pytest.fixture
def context(make_context: Callable[..., BrowserContext]) -> BrowserContext:
    return make_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def log_in(context: BrowserContext, live_server: LiveServer) -> Callable[..., None]:
    """`log_in(user)` signs `user` in in the test's context (or `log_in(user, other)` in
    another one) with a real session, as if they had used the login form."""

    def log_in(user: Any, into: BrowserContext | None = None) -> None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        name = settings.SESSION_COOKIE_NAME
        (into or context).add_cookies([{"name": name, "value": session, "url": live_server.url}])

    return log_in


# --- Screenshots of failed tests -------------------------------------------------------

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where this test leaves screenshots and HTML when it fails:
    var/test-artifacts/browser/<test>/ (see tests/browser/artifacts.py), emptied of an
    earlier run's files first."""
    folder = artifacts_folder(request.node.nodeid)
    shutil.rmtree(folder, ignore_errors=True)
    return folder


# A respondent's journey: an open assessment and the customers' group link.


@pytest.fixture
def survey_assessment(open_assessment: Assessment) -> Assessment:
    # Every submitted reply asks for a run, computed in-process: keep it quick.
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"bootstrap_samples": 200})
    return open_assessment


@pytest.fixture
def customers_link(survey_assessment: Assessment) -> str:
    group = StakeholderGroup.objects.get(code="customers")
    return link_path(group_link_create(assessment=survey_assessment, group=group))
