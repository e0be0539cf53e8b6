"""Every page works under the strict Content-Security-Policy (config/middleware.py): in a
real browser, the key pages of respondents, report readers, the ESG team and
administrators load with the header set and without a single violation of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from config.middleware import CONTENT_SECURITY_POLICY
from materiality.models import AggregationRun, StakeholderGroup, Topic
from materiality.services import group_link_create
from tests.browser.screens import DESKTOP
from tests.conftest import link_path
from tests.factories import OpenReportFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The browser reports each violation as an event in the page and as a console error.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def screen() -> Any:
    return DESKTOP  # the policy does not depend on the screen's size


@pytest.fixture
def browser_page(context: BrowserContext) -> tuple[Page, list[str]]:
    context.add_init_script(LISTEN)
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            console.append(message.text)

    page = context.new_page()
    page.on("console", record)
    return page, console


def visit(page_and_console: tuple[Page, list[str]], path: str) -> None:
    page, console = page_and_console
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path}: {response.status}"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__violations")
    assert not violations, f"{path}: {violations}"
    assert not console, f"{path}: {console}"


def test_the_questionnaire_and_the_feedback_form_load_without_a_violation(
    browser_page: tuple[Page, list[str]], scored_run: AggregationRun
) -> None:
    customers = StakeholderGroup.objects.get(code="customers")
    link = link_path(group_link_create(assessment=scored_run.assessment, group=customers))
    page, _console = browser_page
    visit(browser_page, link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/p/1/")
    visit(browser_page, page.url)
    visit(browser_page, reverse("feedback-form", args=[OpenReportFactory().public_code]))
    visit(browser_page, reverse("login"))


def test_the_team_pages_load_without_a_violation(
    browser_page: tuple[Page, list[str]],
    log_in: Callable[..., None],
    esg_user: Any,
    scored_run: AggregationRun,
) -> None:
    log_in(esg_user)
    assessment = scored_run.assessment_id
    visit(browser_page, reverse("home"))
    visit(browser_page, reverse("materiality:assessment", args=[assessment]))
    visit(browser_page, reverse("materiality:results", args=[assessment]))
    visit(browser_page, reverse("materiality:assessment-new"))


def test_the_admin_and_the_browsable_api_load_without_a_violation(
    browser_page: tuple[Page, list[str]], log_in: Callable[..., None], admin_user: Any
) -> None:
    log_in(admin_user)
    topic = Topic.objects.order_by("pk").first()
    assert topic is not None
    visit(browser_page, reverse("admin:index"))
    visit(browser_page, reverse("admin:materiality_topic_changelist"))
    visit(browser_page, reverse("admin:materiality_topic_change", args=[topic.pk]))
    visit(browser_page, reverse("admin:materiality_assessment_changelist"))
    visit(browser_page, reverse("admin:surveys_response_changelist"))
    visit(browser_page, "/api/topics/")
