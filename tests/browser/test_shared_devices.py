"""A group link on one shared browser (#16, finding 6), at desktop size and 360 px wide:
the next person starts their own response and never sees the previous one's answers or
comment; after a submit, the next one is offered a new response; the first person's saved
link still holds their answers. Every page is audited and fits a 360 px screen."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from materiality.models import Assessment, StakeholderGroup
from materiality.services import group_link_create
from surveys.models import Response, ResponseStatus
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import Screen
from tests.conftest import link_path

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COMMENT = "Only for my eyes: the board is too close to the founder."
PAGE_ONE = re.compile(r"/s/r/[^/]+/p/1/$")
REVIEW = re.compile(r"/s/r/[^/]+/review/$")
THANKS = re.compile(r"/s/r/[^/]+/thanks/$")
LATER = re.compile(r"/s/r/[^/]+/later/$")


@pytest.fixture
def customers_link(open_assessment: Assessment) -> str:
    # Every submitted reply asks for a run, computed in-process: keep it quick.
    Assessment.objects.filter(pk=open_assessment.pk).update(scoring={"bootstrap_samples": 200})
    group = StakeholderGroup.objects.get(code="customers")
    return link_path(group_link_create(assessment=open_assessment, group=group))


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def screenshot(page: Page, name: str) -> None:
    """To look at: into MATERIA_SCREENSHOTS (a folder), when it is set."""
    folder = os.environ.get("MATERIA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)


def action(page: Page, value: str) -> None:
    page.locator(f"main button[name=action][value={value}]").first.click()


def expect_a_blank_first_page(page: Page) -> None:
    expect(page).to_have_url(PAGE_ONE)
    expect(page.locator("main fieldset.topic")).to_have_count(5)
    expect(page.locator("main input[type=radio]:checked")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(COMMENT)
    for box in page.locator("main textarea").all():
        expect(box).to_have_value("")


def answer_and_submit(page: Page) -> None:
    """Every rating on every page (the fourth option), then submit."""
    while not REVIEW.search(page.url):
        for rating in page.locator("main fieldset.rating").all():
            rating.locator("label.scale-option").nth(3).click()
        before = page.url
        action(page, "next")
        expect(page).not_to_have_url(before)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(THANKS)


def test_the_next_person_on_a_shared_browser_starts_afresh_and_sees_nothing_before(
    make_context: Callable[..., BrowserContext], screen: Screen, customers_link: str
) -> None:
    page = make_context().new_page()

    # The first person rates a topic, writes a comment, and stops for now.
    page.goto(customers_link)
    action(page, "new")
    expect(page).to_have_url(PAGE_ONE)
    topic = page.locator("main fieldset.topic").first
    topic.locator("label.scale-option").nth(1).click()
    topic.locator("details.comment > summary").click()
    topic.locator("textarea").fill(COMMENT)
    action(page, "later")
    expect(page).to_have_url(LATER)
    saved_link = page.locator("#resume-link").inner_text().strip()

    # The next person opens the link on the same browser: two ways on, none showing the
    # answers begun.
    page.goto(customers_link)
    note = page.locator("main .device-note")
    expect(note).to_be_visible()
    expect(note.locator("button[value=continue]")).to_be_visible()
    expect(note.locator("button[value=new]")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(COMMENT)
    check_page(page)
    screenshot(page, f"shared-device-begun-{screen.name}")
    action(page, "new")
    expect_a_blank_first_page(page)
    answer_and_submit(page)
    expect(page.locator("main")).not_to_contain_text(COMMENT)
    check_page(page)

    # A third person, after that submit: the note says answers were sent from here, and
    # offers a new response, blank again.
    page.goto(customers_link)
    expect(page.locator("main .device-note")).to_be_visible()
    expect(page.locator("main button[value=continue]")).to_have_count(0)
    check_page(page)
    screenshot(page, f"shared-device-sent-{screen.name}")
    action(page, "new")
    expect_a_blank_first_page(page)

    # The first person's answers are still there, behind the link they saved.
    elsewhere = make_context().new_page()
    elsewhere.goto(saved_link)
    expect(elsewhere).to_have_url(PAGE_ONE)
    first_topic = elsewhere.locator("main fieldset.topic").first
    expect(first_topic.locator("textarea")).to_have_value(COMMENT)
    expect(first_topic.locator("input[type=radio]:checked")).to_have_count(1)

    statuses = sorted(Response.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [ResponseStatus.IN_PROGRESS, ResponseStatus.SUBMITTED, ResponseStatus.IN_PROGRESS]
    )
