"""The outputs page of an approved DMA in a real browser, at desktop size and 360 px
wide, in both languages: the ESRS downloads refused while climate change is not material
and unexplained, the explanation written, the downloads offered; the 21 topics' form
with a refusal said on the page. Axe-clean (no serious or critical issue), no sideways
scroll, the preview opened too. Set MATERIA_SCREENSHOTS to a folder to keep a
full-page screenshot of each step."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from materiality.double.models import DmaFrameworks, DoubleAssessment
from materiality.double.setup import DmaInput, dma_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.double.outputs_setup import approve_dma

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


def check_page(page: Page, name: str) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    folder = os.environ.get("MATERIA_SCREENSHOTS")
    if folder:
        width = page.viewport_size["width"]  # type: ignore[index]
        lang = page.locator("html").get_attribute("lang")
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"outputs-{name}-{lang}-{width}.png", full_page=True)


@pytest.fixture
def approved(esg_user: Any, decider_user: Any) -> DoubleAssessment:
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
    approve_dma(dma, esg_user, decider_user, climate_off=True)
    return dma


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_team_completes_the_outputs(
    make_context: Any,
    log_in: Any,
    esg_user: Any,
    approved: DoubleAssessment,
    language: str,
) -> None:
    context: BrowserContext = make_context(locale=LOCALES[language])
    log_in(esg_user, context)
    page = context.new_page()
    page.goto(reverse("double:dma", args=[approved.pk]))
    outputs_url = reverse("double:outputs", args=[approved.pk])
    page.locator(f'main a[href="{outputs_url}"]').click()
    expect(page).to_have_url(re.compile(re.escape(outputs_url) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    # both documents refused: climate change unexplained, 18 topics without a result
    expect(page.locator("#downloads-title ~ .notice")).to_have_count(2)
    check_page(page, "refused")

    page.locator("details.preview").first.locator("summary").click()
    page.locator("details.preview").last.locator("summary").click()
    check_page(page, "preview")

    page.locator('textarea[name="text_en"]').first.fill("No data centres of our own.")
    page.locator('textarea[name="text_zh-hans"]').first.fill("公司没有自有数据中心。")
    page.locator(
        f'form[action="{reverse("double:outputs-text", args=[approved.pk, "e1"])}"] button'
    ).click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator("#downloads-title ~ .notice")).to_have_count(1)
    pdf = reverse("double:outputs-file", args=[approved.pk, "esrs", "pdf"])
    expect(page.locator(f'a[href^="{pdf}"]')).to_have_count(2)  # in each language
    check_page(page, "explained")

    # a topic not applicable without a reason: refused, said on the page
    select = page.locator("select[name^=outcome-]").nth(8)
    select.select_option("not_applicable")
    page.locator(
        f'form[action="{reverse("double:outputs-topics", args=[approved.pk])}"] button'
    ).click()
    expect(page.locator(".message.error")).to_be_visible()
    check_page(page, "topic-error")
