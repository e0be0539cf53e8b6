"""Steps shown in place (static/js/steps.js, surveys/navigation.py) in a real browser, at
desktop size and 360 px wide: from Start to thanks each step is one request and shows
its own address; reloading and the browser's Back button show the step of the address;
a step refused shows its error summary, focused, where it was, and its links keep what
was chosen; the language switch shows the same step in the other language; a page swapped
in place passes the audit and fits the screen; and when the step cannot be sent by the
script, the form is sent the ordinary way.

Screenshots of a step and of the thanks page go to MATERIA_SCREENSHOTS when it is set."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Request, Route, expect

from surveys.models import Answer, Response, ResponseStatus
from surveys.navigation import IN_PLACE, NAVIGATE_HEADER
from tests.browser.screens import Screen
from tests.browser.test_questionnaire_layout import screenshot
from tests.browser.test_respondent_journey import (
    LAST_PAGE,
    LATER_URL,
    REVIEW_URL,
    TEXTS,
    THANKS_URL,
    answer_by_clicking,
    button,
    check_page,
    expect_still_chosen,
    page_url,
    review_row,
    topics,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHINESE = TEXTS["zh-hans"]
ENGLISH = TEXTS["en"]


def progress(page: Page) -> Locator:
    return page.locator("main #progress-label")


def expect_step(page: Page, number: int) -> None:
    """The address bar, the tab's title and the progress line all name step `number`, and
    the page it shows has loaded (a reload or Back may be under way)."""
    expect(page).to_have_url(page_url(number))
    expect(page).to_have_title(re.compile(rf"^第 {number} 步 · "))
    expect(progress(page)).to_contain_text(f"第 {number} 步")
    page.wait_for_load_state("load")


def expect_at_the_top_with_main_focused(page: Page) -> None:
    """As after a page load: the page at its top, its header in view; and the focus on
    the main content, where a screen reader starts reading the new page."""
    expect(page.locator("#main")).to_be_focused()
    assert page.evaluate("() => window.scrollY") == 0


def start(page: Page, link: str) -> None:
    page.goto(link)
    button(page, CHINESE.start).click()
    expect_step(page, 1)


def record_requests(page: Page) -> list[Request]:
    """The requests the page sends from now on, in order."""
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    return requests


def checked(page: Page) -> list[str]:
    """The ids of the step's checked radio buttons (the same in every language)."""
    return list(page.locator("main input:checked").evaluate_all("(els) => els.map(e => e.id)"))


def test_every_step_from_start_to_thanks_is_one_request_at_its_own_address(
    page: Page, customers_link: str, screen: Screen
) -> None:
    page.goto(customers_link)
    requests = record_requests(page)
    button(page, CHINESE.start).click()

    chosen: dict[str, list[str]] = {}
    for number in range(1, LAST_PAGE + 1):
        expect_step(page, number)
        expect_at_the_top_with_main_focused(page)
        chosen |= answer_by_clicking(page)
        if number == 2:
            check_page(page)  # a step swapped in, answered
            screenshot(page, f"steps-in-place-step-2-{screen.name}")
        button(page, CHINESE.next if number < LAST_PAGE else CHINESE.review_step).click()

    expect(page).to_have_url(REVIEW_URL)
    expect_at_the_top_with_main_focused(page)
    assert len(chosen) == 17
    for topic, labels in chosen.items():
        expect(review_row(page, topic).locator("td")).to_have_text(labels)
    check_page(page)
    button(page, CHINESE.submit).click()

    expect(page).to_have_url(THANKS_URL)
    expect(page).to_have_title(re.compile(rf"^谢谢 · {re.escape(CHINESE.title)} · "))
    expect(page.get_by_role("heading", level=1)).to_have_text(CHINESE.thanks)
    expect(page.locator("main")).to_contain_text(CHINESE.received)
    expect_at_the_top_with_main_focused(page)
    check_page(page)
    screenshot(page, f"steps-in-place-thanks-{screen.name}")

    # One POST a step, from the script; not a page loaded, nor a redirect followed.
    resume = urlsplit(page.url).path.split("/")[3]
    steps = [f"/s/r/{resume}/p/{number}/" for number in range(1, LAST_PAGE + 1)]
    assert [(r.method, urlsplit(r.url).path) for r in requests] == [
        ("POST", path) for path in [customers_link, *steps, f"/s/r/{resume}/review/"]
    ]
    assert {r.resource_type for r in requests} == {"fetch"}

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.respondent_group == "customers"
    ratings = Answer.objects.filter(response=response, question__code="importance")
    assert ratings.exclude(row_code="").count() == 17 * 2


def test_reload_and_back_show_the_step_of_the_address_with_its_saved_answers(
    page: Page, customers_link: str
) -> None:
    start(page, customers_link)
    first = answer_by_clicking(page)
    button(page, CHINESE.next).click()
    expect_step(page, 2)
    second = answer_by_clicking(page)
    button(page, CHINESE.next).click()
    expect_step(page, 3)

    page.go_back()
    expect_step(page, 2)
    expect_still_chosen(page, second)

    page.reload()
    expect_step(page, 2)
    expect_still_chosen(page, second)

    page.go_back()
    expect_step(page, 1)
    expect_still_chosen(page, first)


def test_a_step_with_missing_answers_shows_its_errors_focused_at_the_same_address(
    page: Page, customers_link: str
) -> None:
    start(page, customers_link)
    url = page.url
    button(page, CHINESE.next).click()  # nothing chosen

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    expect(summary).to_be_in_viewport()
    expect(summary.get_by_role("link")).to_have_count(topics(page).count())  # one a topic
    expect(page).to_have_url(url)
    expect_step(page, 1)
    check_page(page)


def test_following_an_error_link_keeps_what_was_chosen_on_the_step(
    page: Page, customers_link: str
) -> None:
    start(page, customers_link)
    button(page, CHINESE.next).click()  # nothing chosen
    links = page.locator("#error-summary").get_by_role("link")
    expect(links).to_have_count(topics(page).count())

    # The first topic answered (not saved yet), then the second's error followed.
    first = topics(page).first.locator("fieldset.rating")
    for axis in range(first.count()):
        first.nth(axis).locator("label.scale-option").first.click()
    answered = checked(page)
    field = page.locator(links.nth(1).get_attribute("href") or "")
    links.nth(1).click()
    expect(field).to_be_focused()

    # Next again: the page sent is the one shown, the first topic still answered. (Had
    # following the link reloaded the step, its choices would be gone.)
    button(page, CHINESE.next).click()
    expect(links).to_have_count(topics(page).count() - 1)
    expect(page.locator("#error-summary")).to_be_focused()
    assert checked(page) == answered


def test_the_language_switch_shows_the_same_step_in_the_other_language(
    make_context: Callable[..., BrowserContext], customers_link: str
) -> None:
    page = make_context(locale="en-US").new_page()  # a browser asking for English
    page.goto(customers_link)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    button(page, ENGLISH.start).click()
    expect(page).to_have_url(page_url(1))
    expect(page).to_have_title(re.compile(r"^Step 1 · "))
    url = page.url
    # Half the step answered, then Chinese.
    ratings = topics(page).first.locator("fieldset.rating")
    for axis in range(ratings.count()):
        ratings.nth(axis).locator("label.scale-option").nth(axis + 1).click()
    answered = checked(page)
    requests = record_requests(page)
    page.locator("header .language-switch").get_by_role("button", name=CHINESE.switch).click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(url)
    expect_step(page, 1)
    expect(page.locator("header .language-switch [aria-current=true]")).to_have_text(CHINESE.switch)
    expect(button(page, CHINESE.next)).to_be_visible()
    expect(page.locator("#error-summary")).to_have_count(0)  # a switch never complains
    assert checked(page) == answered
    assert [(r.method, urlsplit(r.url).path) for r in requests] == [("POST", urlsplit(url).path)]
    check_page(page)


def test_a_step_the_script_cannot_send_is_sent_the_ordinary_way(
    page: Page, customers_link: str
) -> None:
    # The server out of reach for the script's requests only: the browser's own get there.
    def refuse_in_place(route: Route) -> None:
        if route.request.headers.get(NAVIGATE_HEADER.lower()) == IN_PLACE:
            route.abort("connectionrefused")
        else:
            route.continue_()

    refused: list[str] = []
    page.on("requestfailed", lambda request: refused.append(urlsplit(request.url).path))
    page.route("**/s/**", refuse_in_place)

    start(page, customers_link)
    chosen = answer_by_clicking(page)
    button(page, CHINESE.next).click()
    expect_step(page, 2)
    # The button pressed goes with the form: "later" leads to the saved page.
    button(page, CHINESE.later).click()
    expect(page).to_have_url(LATER_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(CHINESE.saved)
    assert len(refused) == 3
    assert Answer.objects.filter(response=Response.objects.get()).count() == 2 * len(chosen)
