"""The public reader feedback form of a report (/f/<code>/) in a real browser, at desktop
size and 360 px wide: answered in Chinese with an e-mail address and consent, the
missing-consent error, the keyboard, and the same form with JavaScript switched off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import BrowserContext, Locator, Page, expect

from materiality.feedback.form import report_create
from materiality.models import Report
from surveys.models import Answer, Response, ResponseStatus
from surveys.services import survey_open
from tests.browser.assertions import (
    assert_accessible,
    assert_keyboard_reachable,
    assert_no_horizontal_scroll,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TITLE = "2025 年度 ESG 报告"
EMAIL = "reader@example.com"
COMMENT = "希望下一份报告披露更多的碳排放数据。"
# A fragment followed from the error summary (#id_…) stays on through the redirect.
THANKS_URL = re.compile(r"/f/[^/]+/thanks/(#.*)?$")


@pytest.fixture
def report() -> Report:
    report = report_create(
        title={"zh-hans": TITLE, "en": "2025 ESG report"},
        year=2025,
        languages=["zh-hans", "en"],
        document_url="https://example.com/esg-2025.pdf",
    )
    survey_open(survey=report.survey)
    return report


def form_url(report: Report) -> str:
    return reverse("feedback-form", args=[report.public_code])


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def send(page: Page) -> None:
    page.locator("main").get_by_role("button", name="提交意见", exact=True).click()


def choice_questions(page: Page) -> Locator:
    return page.locator("main fieldset.question:not(.contact)")


def answer_every_question(page: Page) -> None:
    """Clicks an answer in every choice question and every row of the rating grids, and
    writes a comment, the way a reader does it."""
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    questions = choice_questions(page)
    expect(questions).to_have_count(3)  # overall, impact, readability
    for number in range(questions.count()):
        option = questions.nth(number).locator("label.choice").nth(1)
        option.click()
        expect(option.locator("input")).to_be_checked()
    ratings = page.locator("main fieldset.rating")
    expect(ratings).to_have_count(6)  # three responsibilities, three qualities
    for number in range(ratings.count()):
        option = ratings.nth(number).locator("label.scale-option").nth(number % 5)
        option.click()
        expect(option.locator("input")).to_be_checked()
    page.get_by_label("您对本公司的工作或这份报告还有什么意见和建议？").fill(COMMENT)


def expect_stored(*, email: str) -> None:
    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.language == "zh-hans"
    assert response.contact_email == email
    answers = Answer.objects.filter(response=response)
    assert answers.count() == 3 + 6 + 1
    assert answers.filter(text=COMMENT).exists()


def test_a_reader_answers_in_chinese_and_leaves_an_address(page: Page, report: Report) -> None:
    page.goto(form_url(report))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("link", name="阅读报告")).to_have_attribute("href", report.document_url)
    check_page(page)

    answer_every_question(page)
    page.get_by_label("您的电子邮箱（选填）").fill(EMAIL)
    consent = page.get_by_label("我同意保留我的电子邮箱，用于回复我的意见。")
    page.locator("main label.choice", has=consent).click()
    expect(consent).to_be_checked()
    send(page)

    expect(page).to_have_url(THANKS_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的反馈！")
    check_page(page)
    expect_stored(email=EMAIL)


def test_an_address_without_consent_is_refused_and_nothing_is_lost(
    page: Page, report: Report
) -> None:
    page.goto(form_url(report))
    answer_every_question(page)
    email = page.get_by_label("您的电子邮箱（选填）")
    email.fill(EMAIL)
    send(page)

    # The error summary: announced, focused, pointing at the box to tick.
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("请检查您的回答")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_text("如需我们保留您的邮箱，请勾选此项；否则请不要填写邮箱。")
    check_page(page)
    assert not Response.objects.exists()

    # What the reader entered is all still there.
    expect(email).to_have_value(EMAIL)
    expect(page.get_by_label("您对本公司的工作或这份报告还有什么意见和建议？")).to_have_value(
        COMMENT
    )
    for number in range(choice_questions(page).count()):
        expect(choice_questions(page).nth(number).locator("input").nth(1)).to_be_checked()
    ratings = page.locator("main fieldset.rating")
    for number in range(ratings.count()):
        expect(ratings.nth(number).locator("input").nth(number % 5)).to_be_checked()

    link.click()
    consent = page.get_by_label("我同意保留我的电子邮箱，用于回复我的意见。")
    expect(consent).to_be_focused()
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    send(page)

    expect(page).to_have_url(THANKS_URL)
    expect_stored(email=EMAIL)


def test_every_control_of_the_form_is_reachable_with_the_keyboard(
    page: Page, report: Report
) -> None:
    page.goto(form_url(report))
    assert_keyboard_reachable(page)


def test_the_form_works_without_javascript(
    make_context: Callable[..., BrowserContext], report: Report
) -> None:
    page = make_context(java_script_enabled=False).new_page()
    page.goto(form_url(report))
    assert_no_horizontal_scroll(page)
    answer_every_question(page)
    page.get_by_label("您的电子邮箱（选填）").fill(EMAIL)
    send(page)  # no consent yet

    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.locator("main label.choice", has=page.locator("#id_contact_consent")).click()
    send(page)

    expect(page).to_have_url(THANKS_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("感谢您的反馈！")
    assert_no_horizontal_scroll(page)
    expect_stored(email=EMAIL)


def test_a_blank_form_is_refused_at_the_top_without_javascript(
    make_context: Callable[..., BrowserContext], report: Report
) -> None:
    page = make_context(java_script_enabled=False).new_page()
    page.goto(form_url(report))
    send(page)  # not a single answer

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    with translation.override("zh-hans"):
        message = gettext("Please answer at least one question before sending the form.")
    expect(summary.get_by_role("link")).to_have_text(message)
    # At the top of the form, above its first question.
    top = summary.bounding_box()
    first = choice_questions(page).first.bounding_box()
    assert top is not None
    assert first is not None
    assert top["y"] < first["y"]
    assert_no_horizontal_scroll(page)  # (axe needs JavaScript: the shots below run it)
    assert not Response.objects.exists()

    answer_every_question(page)
    send(page)
    expect(page).to_have_url(THANKS_URL)
    assert Response.objects.count() == 1


def test_every_scale_of_the_form_runs_from_low_to_high(page: Page, report: Report) -> None:
    page.goto(form_url(report))
    first = [
        choice_questions(page).nth(number).locator("label.choice").first
        for number in range(choice_questions(page).count())
    ]
    expect(first[0]).to_have_text("差")
    expect(first[1]).to_have_text("不能反映")
    expect(first[2]).to_have_text("否")
    ratings = page.locator("main fieldset.rating")
    for number in range(ratings.count()):
        levels = ratings.nth(number).locator("label.scale-option .level-name")
        expect(levels.first).to_have_text("1 差")
        expect(levels.last).to_have_text("5 好")
