"""Rating a DMA and reading its results in a real browser, at desktop size and 360 px
wide, in both languages: axe-clean, no sideways scrolling, the rating page a few phone
screens long; a rating given with the keyboard-reachable radios, a refusal shown.

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
from materiality.double.models import DmaFrameworks, DoubleAssessment, Iro, Rater, RaterRole
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.setup import DmaInput, dma_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import Screen
from tests.double.conftest import iro_input, risk_input

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A negative potential impact has four criteria, five anchored levels each, and the
# IRO's facts above them: it fits this many 740 px phone screens (3.9 measured in
# English, 3.8 in Chinese before the Chinese catalogue was merged).
MOST_SCREENS_ON_A_PHONE = 5
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
SAVE = "form.rating-form button[type=submit]"  # named in the language (zh once merged)


def check_page(page: Page) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("MATERIA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)


def screens(page: Page) -> float:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    return float(height) / page.viewport_size["height"]  # type: ignore[index]


@pytest.fixture
def rated(esg_user: Any) -> tuple[DoubleAssessment, Iro, Iro]:
    """A DMA in its rating step: esg_user on its panel, a human-rights impact rated by
    three others, a risk not rated yet."""
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
    impact = iro_create(
        dma=dma,
        data=iro_input(
            human_rights=False,
            description={
                "en": "Customer records exposed by an attack on the mobile banking app.",
                "zh-hans": "手机银行应用遭攻击导致客户信息外泄。",
            },
        ),
    )
    risk = iro_create(dma=dma, data=risk_input())
    dma_start_rating(dma=dma, actor=esg_user)
    Rater.objects.create(dma=dma, user=esg_user, name="王敏", role=RaterRole.FINANCE_RISK)
    for name, levels in (("A", (4, 3, 2, 3)), ("B", (5, 4, 3, 4)), ("C", (3, 4, 5, 2))):
        rater = Rater.objects.create(dma=dma, name=name, role=RaterRole.INTERNAL_EXPERT)
        scale, scope, irremediability, likelihood = levels
        rating_add(
            iro=impact,
            rater=rater,
            scale=scale,
            scope=scope,
            irremediability=irremediability,
            likelihood=likelihood,
            rationale="Peer incidents.",
        )
    return dma, impact, risk


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_rater_rates_on_a_phone_and_the_team_reads_the_results(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    rated: tuple[DoubleAssessment, Iro, Iro],
    screen: Screen,
    language: str,
) -> None:
    dma, impact, risk = rated
    context = make_context(locale=LOCALES[language])
    log_in(esg_user, context)
    page = context.new_page()

    page.goto(reverse("double:rate", args=[dma.pk]))
    expect(page.locator("progress")).to_have_attribute("value", "0")
    check_page(page)
    screenshot(page, f"dma-rate-list-{language}-{screen.name}")
    page.locator(f'a[href="{reverse("double:rate-iro", args=[dma.pk, impact.pk])}"]').click()

    expect(page.locator("fieldset.criterion")).to_have_count(4)
    check_page(page)
    if screen.mobile:
        assert screens(page) <= MOST_SCREENS_ON_A_PHONE, f"{screens(page):.1f} screens"
    screenshot(page, f"dma-rate-iro-{language}-{screen.name}")

    # Two levels only, no rationale: refused, every message at the top and by its field.
    page.locator("label[for=id_scale_3]").click()
    page.locator("label[for=id_scope_2]").click()
    page.locator(SAVE).click()
    summary = page.locator(".error-summary")
    expect(summary.locator("li")).to_have_count(3)  # irremediability, likelihood, rationale
    expect(page.locator("#id_scale_3")).to_be_checked()  # nothing entered is lost
    check_page(page)
    screenshot(page, f"dma-rate-errors-{language}-{screen.name}")

    page.locator("label[for=id_irremediability_4]").click()
    page.locator("label[for=id_likelihood_1]").click()
    page.locator("#id_rationale").fill("数据显示风险较低。" if language == "zh-hans" else "Audit.")
    page.locator(SAVE).click()

    # On to the risk: magnitude with the team's bands, likelihood, an optional amount.
    expect(page).to_have_url(re.compile(reverse("double:rate-iro", args=[dma.pk, risk.pk])))
    expect(page.locator("fieldset.criterion")).to_have_count(2)
    expect(page.locator(".anchors").first).to_contain_text("20,000,000")
    check_page(page)

    page.goto(reverse("double:results", args=[dma.pk]))
    expect(page.locator("table.dma-results")).to_be_visible()
    scored = page.locator("details.iro-details").filter(has=page.locator(".working-line"))
    scored.locator("summary").click()
    expect(scored.locator(".working-line").first).to_be_visible()
    check_page(page)
    screenshot(page, f"dma-results-{language}-{screen.name}")
