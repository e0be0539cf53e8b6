"""The method settings page in a real browser, at desktop size and 360 px wide, in both
languages: reached from the assessment page, refused with its messages beside the
fields, saved; read-only once a result is confirmed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from materiality.models import AggregationRun, Assessment, AuditAction, AuditEntry
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.factories import AggregationRunFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A phone shows the whole form in a few screens: 17 topics do not lengthen it, and the
# eight groups' weights are one short table.
MOST_SCREENS_ON_A_PHONE = 8


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def screens(page: Page) -> float:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    return float(height) / page.viewport_size["height"]  # type: ignore[index]


@pytest.fixture
def scored(open_assessment: Assessment) -> AggregationRun:
    return AggregationRunFactory(assessment=open_assessment, scoring={"bootstrap_samples": 0})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_team_sets_the_method_on_a_page_that_fits_the_screen(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    scored: AggregationRun,
    language: str,
) -> None:
    context = make_context(locale="en-US" if language == "en" else "zh-CN")
    log_in(esg_user, context)
    page = context.new_page()
    assessment_url = reverse("materiality:assessment", args=[scored.assessment_id])
    settings_url = reverse("materiality:method-settings", args=[scored.assessment_id])
    page.goto(assessment_url)
    page.locator(f'main a[href="{settings_url}"]').click()

    expect(page).to_have_url(re.compile(re.escape(settings_url) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("table.weights tbody tr")).to_have_count(8)
    expect(page.locator("#id_weighting_0")).to_be_checked()
    check_page(page)
    if page.viewport_size["width"] < 400:  # type: ignore[index]
        assert screens(page) < MOST_SCREENS_ON_A_PHONE, f"{screens(page):.1f} screens"

    # A level the method cannot use: refused beside its field, the rest kept.
    page.locator("#id_weighting_1").check()
    page.locator("#id_confidence").fill("1.5")
    page.locator("form.method-form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    confidence = page.locator(".field.has-error", has=page.locator("#id_confidence"))
    expect(confidence.locator(".field-error")).to_have_count(1)
    expect(page.locator("#id_weighting_1")).to_be_checked()
    check_page(page)

    # Equal weights per group and the too-fast rule off, with the keyboard.
    page.locator("#id_confidence").fill("0.95")
    page.locator("#id_exclude_too_fast").uncheck()
    page.locator("form.method-form button[type=submit]").focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(assessment_url) + "#scores$"))
    expect(page.locator("main [role=status] .messages .success")).to_be_visible()
    entry = AuditEntry.objects.get(action=AuditAction.SETTINGS_CHANGED)
    assert len(entry.note.splitlines()) == 2
    scoring = Assessment.objects.get(pk=scored.assessment_id).scoring
    assert (scoring["weighting"], scoring["exclude_too_fast"]) == ("equal_group", False)
    check_page(page)


def test_confirmed_settings_are_shown_read_only(
    page: Page, log_in: Callable[..., None], esg_user: Any, decider_user: Any, scored: Any
) -> None:
    run_submit_for_confirmation(run=scored, user=esg_user)
    run_confirm(run=scored, user=decider_user)
    log_in(esg_user)
    page.goto(reverse("materiality:method-settings", args=[scored.assessment_id]))
    expect(page.locator(".notice")).to_contain_text(f"#{scored.pk}")
    expect(page.locator("dl.settings-list dt").first).to_be_visible()
    expect(page.locator("form.method-form")).to_have_count(0)
    check_page(page)
