"""The review of a DMA's results in a real browser, at desktop size and 360 px wide, in
both languages: the ESG team writes a decision note and submits; the decision group
sends back (a missing note said beside the field) and approves; the methodology page
with its mistakes shown. Axe-clean (no serious or critical issue), no sideways scroll.

Set MATERIA_SCREENSHOTS to a folder to keep a full-page screenshot of each page."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from materiality.double.methodology import dma_start_rating
from materiality.double.models import DmaFrameworks, DmaStatus, DoubleAssessment, Rater, RaterRole
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.review import dma_close_rating
from materiality.double.setup import DmaInput, dma_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import Screen
from tests.double.conftest import iro_input, matter, risk_input

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
AT_THRESHOLD = {"scale": 3, "scope": 3, "irremediability": 3, "likelihood": 3}


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("MATERIA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)


@pytest.fixture
def closed(esg_user: Any) -> DoubleAssessment:
    """A DMA rated and closed: its privacy matter, exactly at the threshold, needs a
    documented judgement; a climate risk rated by one rater."""
    dma = dma_create(
        data=DmaInput(
            name={"en": "DMA 2025", "zh-hans": "2025年双重重要性评估"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frameworks=DmaFrameworks.BOTH,
            magnitude_bands=["0", "1000000", "5000000", "20000000", "100000000"],
        ),
        actor=esg_user,
    )
    impact = iro_create(dma=dma, data=iro_input())
    risk = iro_create(dma=dma, data=risk_input())
    dma_start_rating(dma=dma, actor=esg_user)
    raters = [
        Rater.objects.create(dma=dma, name=name, role=RaterRole.INTERNAL_EXPERT)
        for name in ("A", "B", "C")
    ]
    for rater in raters:
        rating_add(iro=impact, rater=rater, rationale="Peer incidents.", **AT_THRESHOLD)
    rating_add(iro=risk, rater=raters[0], rationale="Carbon price.", magnitude=4, likelihood=4)
    return dma_close_rating(dma=dma, actor=esg_user)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_team_notes_a_judgement_and_submits_and_the_group_decides(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    decider_user: Any,
    closed: DoubleAssessment,
    screen: Screen,
    language: str,
) -> None:
    dma = closed
    results = reverse("double:results", args=[dma.pk])
    privacy = matter("S4.1.1")
    team = make_context(locale=LOCALES[language])
    log_in(esg_user, team)
    page = team.new_page()

    page.goto(results)
    form = page.locator(f"#matter-{privacy.pk} + tr.decision-row details.decision-form")
    expect(form).to_have_attribute("open", "")  # flagged without a note: open
    expect(page.locator("#approve-form")).to_have_count(0)
    check_page(page)
    screenshot(page, f"dma-review-team-{language}-{screen.name}")

    form.locator("textarea[name=note]").fill(
        "处于阈值：判定为重要。" if language == "zh-hans" else "At the threshold: material."
    )
    form.locator("button[type=submit]").click()
    expect(page.locator(f"#matter-{privacy.pk} + tr.decision-row ul.decisions")).to_be_visible()
    page.locator("#submit-note").fill("Ready." if language == "en" else "请审阅。")
    page.locator("#submit-form button[type=submit]").click()
    expect(page.locator(".review-box .submission")).to_be_visible()
    check_page(page)
    dma.refresh_from_db()
    assert dma.status == DmaStatus.REVIEW

    group = make_context(locale=LOCALES[language])
    log_in(decider_user, group)
    page = group.new_page()
    page.goto(f"{results}#review")
    expect(page.locator("#approve-form")).to_be_visible()
    expect(page.locator("#send-back-form")).to_be_visible()
    check_page(page)
    screenshot(page, f"dma-review-group-{language}-{screen.name}")

    # Sent back without a note: said beside the note, not at the top of the page.
    page.locator("#send-back-form button[type=submit]").click()
    error = page.locator("#back-note-error")
    expect(error).to_be_visible()
    expect(page.locator("#back-note")).to_have_attribute("aria-describedby", "back-note-error")
    check_page(page)
    screenshot(page, f"dma-review-send-back-error-{language}-{screen.name}")
    dma.refresh_from_db()
    assert dma.status == DmaStatus.REVIEW

    page.locator("#approve-note").fill("Agreed." if language == "en" else "同意。")
    page.locator("#approve-form button[type=submit]").click()
    expect(page.locator(".approved-banner")).to_be_visible()
    expect(page.locator("table.approved-results")).to_be_visible()
    check_page(page)
    screenshot(page, f"dma-review-approved-{language}-{screen.name}")
    dma.refresh_from_db()
    assert dma.status == DmaStatus.APPROVED


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_methodology_page_shows_every_mistake_and_the_history(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    closed: DoubleAssessment,
    screen: Screen,
    language: str,
) -> None:
    dma = closed
    context = make_context(locale=LOCALES[language])
    log_in(esg_user, context)
    page = context.new_page()
    page.goto(reverse("double:methodology", args=[dma.pk]))
    check_page(page)
    screenshot(page, f"dma-methodology-{language}-{screen.name}")

    page.locator("#id_impact_threshold").fill("6")
    page.locator("#id_likelihood_4").fill("0.2")
    page.locator("#id_resamples").fill("很多")
    page.locator("form.method-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary.locator("li")).to_have_count(4)  # three settings and the note
    expect(page.locator("#likelihoods-error")).to_be_visible()
    expect(page.locator("#id_resamples")).to_have_value("很多")
    check_page(page)
    screenshot(page, f"dma-methodology-errors-{language}-{screen.name}")

    page.locator("#id_impact_threshold").fill("2.75")
    page.locator("#id_likelihood_4").fill("0.7")
    page.locator("#id_resamples").fill("2000")
    page.locator("#id_note").fill("Lower threshold, as the board asked.")
    page.locator("form.method-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(reverse("double:methodology", args=[dma.pk])))
    expect(page.locator("#version-2 .changes li")).to_have_count(1)
    expect(page.locator("#version-2 .changes li")).to_contain_text("2.75")
    check_page(page)
    screenshot(page, f"dma-methodology-history-{language}-{screen.name}")
