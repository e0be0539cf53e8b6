"""Changing language in the middle of a questionnaire step, with JavaScript and without:
what the respondent chose and typed on the step is still there, in the other language,
with no error shown. And the "saved" page: its resume link fits a 360 px screen and has
a copy button where a script can run.

At desktop size and 360 px wide (the `screen` fixture); screenshots go to
MATERIA_SCREENSHOTS when it is set."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from materiality.models import Assessment, StakeholderGroup
from materiality.services import group_link_create, open_link_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import Screen
from tests.browser.test_questionnaire_layout import screenshot
from tests.browser.test_respondent_journey import (
    LAST_PAGE,
    LATER_URL,
    button,
    overall_comment,
    page_url,
    topics,
)
from tests.conftest import link_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
START = "开始"


@pytest.fixture
def survey_assessment(open_assessment: Assessment) -> Assessment:
    return open_assessment


@pytest.fixture
def customers_link(survey_assessment: Assessment) -> str:
    group = StakeholderGroup.objects.get(code="customers")
    return link_path(group_link_create(assessment=survey_assessment, group=group))


def checked(page: Page) -> list[str]:
    """The ids of the step's checked radio buttons and boxes (the same in every language)."""
    return list(page.locator("main input:checked").evaluate_all("(els) => els.map(e => e.id)"))


def switch_to(page: Page, name: str, language: str) -> None:
    url = page.url
    page.locator("header .language-switch").get_by_role("button", name=name).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_url(url)  # the same step
    expect(page.locator("#error-summary")).to_have_count(0)  # a switch never complains


def check(page: Page, javascript: bool) -> None:
    if javascript:
        assert_accessible(page)
    assert_no_horizontal_scroll(page)


@JAVASCRIPT
def test_switching_language_mid_step_keeps_ratings_comments_and_text(
    make_context: Callable[..., BrowserContext],
    customers_link: str,
    javascript: bool,
    screen: Screen,
) -> None:
    page = make_context(java_script_enabled=javascript).new_page()
    page.goto(customers_link)
    button(page, START).click()
    expect(page).to_have_url(page_url(1))

    # Half the grid step: the first two topics rated on both axes, a comment on the first.
    for t in range(2):
        ratings = topics(page).nth(t).locator("fieldset.rating")
        for axis in range(ratings.count()):
            ratings.nth(axis).locator("label.scale-option").nth(t + 2 * axis).click()
    topics(page).first.locator("details.comment > summary").click()
    topics(page).first.locator("textarea").fill("希望加强董事会的独立性。")
    chosen = checked(page)
    assert len(chosen) == 4

    switch_to(page, "English", "en")
    assert checked(page) == chosen
    comment = topics(page).first.locator("textarea")
    expect(comment).to_be_visible()  # a comment box with text in it comes unfolded
    expect(comment).to_have_value("希望加强董事会的独立性。")
    check(page, javascript)
    screenshot(page, f"language-switched-grid-{screen.name}-{'js' if javascript else 'no-js'}")

    # Enter on a rating still means "Next", not a language: the missing ratings are named.
    page.locator(f"#{chosen[0]}").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert checked(page) == chosen

    # The last step's free text (under its topics), switched back to Chinese.
    page.goto(re.sub(r"/p/\d+/.*$", f"/p/{LAST_PAGE}/", page.url))
    overall_comment(page).fill("A clear questionnaire, thank you.")
    switch_to(page, "简体中文", "zh-hans")
    expect(overall_comment(page)).to_have_value("A clear questionnaire, thank you.")
    check(page, javascript)


@JAVASCRIPT
def test_switching_language_on_the_choice_step_keeps_the_choice(
    make_context: Callable[..., BrowserContext],
    survey_assessment: Assessment,
    javascript: bool,
) -> None:
    page = make_context(java_script_enabled=javascript).new_page()
    page.goto(link_path(open_link_create(assessment=survey_assessment)))
    button(page, START).click()
    expect(page).to_have_url(page_url(1))
    questions = page.locator("main fieldset.question")
    # The group chosen, the side (required) not yet.
    questions.first.locator("label").nth(1).click()
    chosen = checked(page)
    assert len(chosen) == 1

    switch_to(page, "English", "en")
    assert checked(page) == chosen
    check(page, javascript)


@JAVASCRIPT
def test_the_saved_page_shows_the_whole_link_and_copies_it_with_javascript(
    make_context: Callable[..., BrowserContext],
    customers_link: str,
    javascript: bool,
    screen: Screen,
) -> None:
    context = make_context(java_script_enabled=javascript)
    if javascript:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(customers_link)
    # In English: the lead merges the Chinese of the page's new words later.
    page.locator("header .language-switch").get_by_role("button", name="English").click()
    button(page, "Start").click()
    button(page, "Save and finish later").click()
    expect(page).to_have_url(LATER_URL)

    link = page.locator("main #resume-link")
    resume_url = link.inner_text()
    assert re.search(r"^http://[^ ]+/s/r/[^/]+/$", resume_url), resume_url
    box = link.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= screen.width  # wrapped inside the screen
    assert_no_horizontal_scroll(page)
    copy = page.locator("main").get_by_role("button", name="Copy link")
    status = page.locator("main [role=status]")
    if not javascript:
        expect(copy).to_be_hidden()
        # The link is text that can be selected by hand.
        link.click()
        selected = page.evaluate("() => window.getSelection().toString()")
        assert selected.strip() == resume_url
        screenshot(page, f"saved-{screen.name}-no-js")
        return

    assert_accessible(page)
    copy.click()
    expect(status).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == resume_url
    assert_accessible(page)
    screenshot(page, f"saved-{screen.name}-js")
