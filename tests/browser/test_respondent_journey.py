"""The respondent's journey in a real browser, at desktop size and 360 px wide: the
landing page, every questionnaire page answered by clicking (and one by keyboard),
"save and finish later", resuming on another device, review, submit, thanks; in Chinese
and in English; the open link's first page, validation errors, the error pages; and the
same questionnaire with JavaScript switched off.

Every page a respondent sees is audited with axe-core and must fit a 360 px screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import BrowserContext, Locator, Page, expect

from materiality.models import Assessment, StakeholderGroup
from materiality.services import open_link_create
from surveys.models import Answer, Response, ResponseStatus
from surveys.services import survey_close
from tests.browser.assertions import (
    assert_accessible,
    assert_keyboard_reachable,
    assert_no_horizontal_scroll,
)
from tests.conftest import link_path
from tests.respondents import respond

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# 17 topics over pages of at most 5: four grid pages, the last with the overall comment.
GRID_PAGES = 4
LAST_PAGE = GRID_PAGES


@dataclass(frozen=True)
class Texts:
    """What the respondent reads, in one language."""

    switch: str  # the name of the language's button in the language switch
    title: str
    minutes: str
    privacy: str
    start: str
    next: str
    back: str
    later: str
    review_step: str
    saved: str
    submit: str
    thanks: str
    received: str
    check_answers: str
    comment: str  # typed on the first topic of page 1 (with the mouse)
    typed: str  # typed on the first topic of page 2 (by keyboard)
    overall: str


TEXTS = {
    "zh-hans": Texts(
        switch="简体中文",
        title="2026 年度实质性评估",
        minutes="大约需要 10 分钟。",
        privacy="隐私说明",
        start="开始",
        next="下一步",
        back="上一步",
        later="保存，稍后继续",
        review_step="检查回答",
        saved="您的回答已保存",
        submit="提交我的回答",
        thanks="谢谢！",
        received="我们已收到您的回答。",
        check_answers="请检查您的回答",
        comment="希望加强董事会的独立性。",
        typed="供应链信息披露可以更详细。",
        overall="问卷清楚易懂，谢谢。",
    ),
    "en": Texts(
        switch="English",
        title="2026 materiality assessment",
        minutes="It takes about 10 minutes.",
        privacy="Privacy",
        start="Start",
        next="Next",
        back="Back",
        later="Save and finish later",
        review_step="Review answers",
        saved="Your answers are saved",
        submit="Submit my answers",
        thanks="Thank you!",
        received="Your answers have been received.",
        check_answers="Please check your answers",
        comment="The board should be more independent.",
        typed="Say more about the supply chain.",
        overall="A clear questionnaire, thank you.",
    ),
}


def choice_for(topic: int, axis: int) -> int:
    """Which option a respondent picks for a topic (0-based over the whole questionnaire)
    and axis: 0-4 are the levels 1-5, 5 is "don't know"; every option gets used."""
    return (2 * topic + axis) % 6


def page_url(number: int) -> re.Pattern[str]:
    # A fragment followed from an error summary (#id_…) stays on through redirects.
    return re.compile(rf"/s/r/[^/]+/p/{number}/(#.*)?$")


REVIEW_URL = re.compile(r"/s/r/[^/]+/review/(#.*)?$")
LATER_URL = re.compile(r"/s/r/[^/]+/later/$")
THANKS_URL = re.compile(r"/s/r/[^/]+/thanks/$")


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def button(page: Page, name: str) -> Locator:
    return page.locator("main").get_by_role("button", name=name, exact=True)


# --- Answering a page ------------------------------------------------------------------


def topics(page: Page) -> Locator:
    return page.locator("fieldset.topic")


def overall_comment(page: Page) -> Locator:
    """The closing question's box, under the last topics (not a topic's comment)."""
    return page.locator("main div.question textarea")


def first_topic_number(page: Page) -> int:
    """The 0-based number of the page's first topic in the questionnaire, read from
    the page's "Topics 6–9 of 17" line."""
    text = page.locator("main p.help", has_text=re.compile(r"\d+\s*[–-]\s*\d+")).inner_text()
    return int(re.search(r"(\d+)\s*[–-]", text).group(1)) - 1  # type: ignore[union-attr]


def answer_by_clicking(page: Page) -> dict[str, list[str]]:
    """Clicks a label in every rating of the grid page; returns the chosen labels by topic."""
    first = first_topic_number(page)
    chosen: dict[str, list[str]] = {}
    for t in range(topics(page).count()):
        topic = topics(page).nth(t)
        ratings = topic.locator("fieldset.rating")
        labels = []
        for axis in range(ratings.count()):
            options = ratings.nth(axis).locator("label.scale-option")
            option = options.nth(choice_for(first + t, axis))
            option.click()
            expect(option.locator("input")).to_be_checked()
            labels.append(option.locator(".level-name").inner_text().strip())
        chosen[topic.locator(".topic-name").inner_text().strip()] = labels
    return chosen


def answer_by_keyboard(page: Page, comment: str) -> dict[str, list[str]]:
    """Answers the grid page with the keyboard only: Tab into each radio group, Space to
    choose its first option, the arrow keys to move the choice; types a comment on the
    page's first topic."""
    first = first_topic_number(page)
    first_fold = topics(page).first.locator("details.comment > summary")
    for _ in range(30):
        page.keyboard.press("Tab")
        if first_fold.evaluate("(el) => el === document.activeElement"):
            break
    else:
        pytest.fail("the Tab key never reached the first topic")
    chosen: dict[str, list[str]] = {}
    for t in range(topics(page).count()):
        topic = topics(page).nth(t)
        # The comment box is folded beside the topic's name: its summary comes first,
        # Enter unfolds it, the box comes next.
        summary = topic.locator("details.comment > summary")
        expect(summary).to_be_focused()
        if t == 0:
            page.keyboard.press("Enter")
            page.keyboard.press("Tab")
            expect(topic.locator("textarea")).to_be_focused()
            page.keyboard.type(comment)
        page.keyboard.press("Tab")
        ratings = topic.locator("fieldset.rating")
        labels = []
        for axis in range(ratings.count()):
            radios = ratings.nth(axis).locator("input[type=radio]")
            # An unanswered group is entered at its first option.
            expect(radios.first).to_be_focused()
            page.keyboard.press("Space")
            expect(radios.first).to_be_checked()
            wanted = choice_for(first + t, axis)
            for _ in range(wanted):
                page.keyboard.press("ArrowRight")
            expect(radios.nth(wanted)).to_be_checked()
            expect(radios.nth(wanted)).to_be_focused()
            labels.append(
                ratings.nth(axis)
                .locator("label.scale-option .level-name")
                .nth(wanted)
                .inner_text()
                .strip()
            )
            page.keyboard.press("Tab")
        chosen[topic.locator(".topic-name").inner_text().strip()] = labels
    return chosen


def exactly(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def expect_still_chosen(page: Page, chosen: dict[str, list[str]]) -> None:
    for t in range(topics(page).count()):
        topic = topics(page).nth(t)
        labels = chosen[topic.locator(".topic-name").inner_text().strip()]
        ratings = topic.locator("fieldset.rating")
        for axis, label in enumerate(labels):
            name = page.locator(".level-name", has_text=exactly(label))
            option = ratings.nth(axis).locator("label.scale-option", has=name)
            expect(option.locator("input")).to_be_checked()


def review_row(page: Page, topic: str) -> Locator:
    """The row of a topic in the review's tables."""
    return page.locator("main tr", has=page.locator("th[scope=row]", has_text=exactly(topic)))


# --- The journey -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_respondent_answers_saves_resumes_on_another_device_and_submits(
    make_context: Callable[..., BrowserContext], customers_link: str, language: str
) -> None:
    texts = TEXTS[language]
    page = make_context().new_page()  # a browser asking for Chinese

    # The landing page: what it is, how long it takes, how the answers are used.
    page.goto(customers_link)
    if language != "zh-hans":
        page.locator("header form.language-switch").get_by_role("button", name=texts.switch).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.title)
    expect(page.locator("main .intro")).to_be_visible()
    expect(page.locator("main .meta")).to_contain_text(texts.minutes)
    expect(page.get_by_role("region", name=texts.privacy)).to_be_visible()
    check_page(page)
    button(page, texts.start).click()

    # Page 1 by clicking the labels, with a comment on the first topic.
    expect(page).to_have_url(page_url(1))
    expect(page.locator("html")).to_have_attribute("lang", language)
    chosen = answer_by_clicking(page)
    topics(page).first.locator("details.comment > summary").click()
    topics(page).first.locator("textarea").fill(texts.comment)
    check_page(page)  # a grid page, answered
    button(page, texts.next).click()

    # Page 2 by keyboard only, then "save and finish later".
    expect(page).to_have_url(page_url(2))
    chosen |= answer_by_keyboard(page, texts.typed)
    button(page, texts.later).click()

    expect(page).to_have_url(LATER_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.saved)
    resume_url = page.locator("main #resume-link").inner_text()
    assert re.search(r"/s/r/[^/]+/$", resume_url), resume_url
    check_page(page)

    # Another device (a browser asking for Chinese again) opens the link: it goes on
    # where the respondent stopped.
    page = make_context().new_page()
    page.goto(resume_url)
    expect(page).to_have_url(page_url(3))
    if language != "zh-hans":
        # The page follows this browser's language, not the one the respondent chose on
        # the first device, so they switch again.
        page.locator("header .language-switch").get_by_role("button", name=texts.switch).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page).to_have_url(page_url(3))
    button(page, texts.back).click()
    expect(page).to_have_url(page_url(2))
    expect_still_chosen(page, chosen)
    expect(topics(page).first.locator("textarea")).to_have_value(texts.typed)
    button(page, texts.back).click()
    expect(page).to_have_url(page_url(1))
    expect_still_chosen(page, chosen)
    expect(topics(page).first.locator("textarea")).to_have_value(texts.comment)
    button(page, texts.next).click()
    expect(page).to_have_url(page_url(2))
    button(page, texts.next).click()

    for number in range(3, LAST_PAGE):
        expect(page).to_have_url(page_url(number))
        chosen |= answer_by_clicking(page)
        button(page, texts.next).click()

    # The last topics and the overall comment: one step, then the review.
    expect(page).to_have_url(page_url(LAST_PAGE))
    chosen |= answer_by_clicking(page)
    overall_comment(page).fill(texts.overall)
    check_page(page)
    button(page, texts.review_step).click()

    # The review lists every answer.
    expect(page).to_have_url(REVIEW_URL)
    main = page.locator("main")
    expect(main.locator(".error-summary")).to_have_count(0)
    assert len(chosen) == 17
    for topic, labels in chosen.items():
        expect(review_row(page, topic).locator("td")).to_have_text(labels)
    for comment in (texts.comment, texts.typed):
        expect(main.locator("td.comment-text", has_text=exactly(comment))).to_be_visible()
    expect(main.locator(".review-page").last).to_contain_text(texts.overall)
    check_page(page)
    button(page, texts.submit).click()

    expect(page).to_have_url(THANKS_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.thanks)
    expect(page.locator("main")).to_contain_text(texts.received)
    check_page(page)

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.respondent_group == "customers"
    assert (
        Answer.objects.filter(response=response, question__code="importance")
        .exclude(row_code="", column_code="")
        .count()
        == 17 * 2 + 2
    )  # every rating, and two comments

    # The link again, on the device that submitted: already received, and a new response
    # offered to someone else on the device.
    http = page.goto(customers_link)
    assert http is not None
    assert http.status == 200
    expect(page.locator("main .device-note h2")).to_be_visible()
    expect(page.locator("main button[name=action][value=new]")).to_be_visible()
    expect(page.locator("main button[value=continue]")).to_have_count(0)
    check_page(page)


def test_an_open_link_asks_who_you_are_and_says_what_is_missing(
    page: Page, survey_assessment: Assessment
) -> None:
    texts = TEXTS["zh-hans"]
    page.goto(link_path(open_link_create(assessment=survey_assessment)))
    button(page, texts.start).click()

    # The first page asks for the group and the side.
    expect(page).to_have_url(page_url(1))
    questions = page.locator("main fieldset.question")
    expect(questions).to_have_count(2)
    check_page(page)

    button(page, texts.next).click()  # nothing chosen
    expect_error_summary(page, texts, errors=2)

    customers = StakeholderGroup.objects.get(code="customers").name["zh-hans"]
    questions.nth(0).locator("label.choice", has_text=customers).click()
    questions.nth(1).locator("label.choice").last.click()  # external
    button(page, texts.next).click()

    # A grid page left empty: one error per topic in the summary, each rating marked.
    expect(page).to_have_url(page_url(2))
    ratings = page.locator("main fieldset.rating").count()
    topics = page.locator("main fieldset.topic").count()
    button(page, texts.next).click()
    expect_error_summary(page, texts, errors=topics)
    expect(page.locator("main fieldset.rating.has-error")).to_have_count(ratings)

    response = Response.objects.get()
    assert response.respondent_group == "customers"
    assert response.respondent_internal is False


def expect_error_summary(page: Page, texts: Texts, *, errors: int) -> None:
    """The summary is there, announced (an alert, focused when the page loads), lists
    each error with a link that leads to the field to correct, and the page passes
    the audit."""
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # read out first, and Tab goes on to its links
    expect(summary.get_by_role("heading")).to_have_text(texts.check_answers)
    links = summary.get_by_role("link")
    expect(links).to_have_count(errors)
    for number in range(errors):
        target = links.nth(number).get_attribute("href") or ""
        assert target.startswith("#"), target
        expect(page.locator(target)).to_have_count(1)
    check_page(page)
    # Following the first link takes the respondent to the field.
    first = page.locator(links.first.get_attribute("href") or "")
    links.first.click()
    expect(first).to_be_focused()
    expect(first).to_be_in_viewport()


def test_every_control_of_a_questionnaire_page_is_reachable_with_the_keyboard(
    page: Page, customers_link: str
) -> None:
    page.goto(customers_link)
    assert_keyboard_reachable(page)
    button(page, TEXTS["zh-hans"].start).click()
    expect(page).to_have_url(page_url(1))
    assert_keyboard_reachable(page)


# --- Error pages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status"), [("unknown", 404), ("closed", 410), ("submitted", 409)]
)
def test_the_error_pages_explain_what_happened(
    page: Page, survey_assessment: Assessment, customers_link: str, case: str, status: int
) -> None:
    if case == "unknown":
        url = "/s/i/this-is-not-a-link/"
    elif case == "closed":
        survey_close(survey=survey_assessment.survey)
        url = customers_link
    else:
        walk = respond(Client(), customers_link)
        url = walk.page_url(1)
    http = page.goto(url)
    assert http is not None
    assert http.status == status
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main p")).not_to_be_empty()
    check_page(page)


# --- Without JavaScript ------------------------------------------------------------------


def test_the_questionnaire_works_without_javascript(
    make_context: Callable[..., BrowserContext], customers_link: str
) -> None:
    texts = TEXTS["zh-hans"]
    page = make_context(java_script_enabled=False).new_page()
    page.goto(customers_link)
    assert_no_horizontal_scroll(page)
    button(page, texts.start).click()

    expect(page).to_have_url(page_url(1))
    button(page, texts.next).click()  # nothing chosen: the summary needs no script
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(topics(page).count())  # one a topic
    assert_no_horizontal_scroll(page)

    chosen: dict[str, Any] = {}
    for number in range(1, LAST_PAGE + 1):
        expect(page).to_have_url(page_url(number))
        chosen |= answer_by_clicking(page)
        assert_no_horizontal_scroll(page)
        if number == LAST_PAGE:
            break
        if number == 2:
            # Save, leave, and come back through the link on the "later" page.
            button(page, texts.later).click()
            expect(page).to_have_url(LATER_URL)
            assert_no_horizontal_scroll(page)
            page.locator("main a.button").click()
            expect(page).to_have_url(page_url(3))
            button(page, texts.back).click()
            expect(page).to_have_url(page_url(2))
            expect_still_chosen(page, chosen)
        button(page, texts.next).click()

    overall_comment(page).fill(texts.overall)
    button(page, texts.review_step).click()

    expect(page).to_have_url(REVIEW_URL)
    assert_no_horizontal_scroll(page)
    for topic, labels in chosen.items():
        expect(review_row(page, topic).locator("td")).to_have_text(labels)
    button(page, texts.submit).click()

    expect(page).to_have_url(THANKS_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(texts.thanks)
    assert_no_horizontal_scroll(page)
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
