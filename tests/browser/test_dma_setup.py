"""The DMA setup pages in a real browser, at desktop size and 360 px wide, in both
languages: the list, the overview with its next step, the register and the IRO form
(its error state too), each accessible (axe) and without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from materiality.double.models import (
    DmaFrameworks,
    DoubleAssessment,
    Horizon,
    IroKind,
    IroSource,
    Matter,
    ValueChainStage,
)
from materiality.double.register import IroInput, iro_create
from materiality.double.setup import DmaInput, dma_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOTS = Path("var/screenshots/dma-setup")


def check_page(page: Page, name: str) -> None:
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    width = page.viewport_size["width"]  # type: ignore[index]
    lang = page.locator("html").get_attribute("lang")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-{lang}-{width}.png", full_page=True)


@pytest.fixture
def dma(esg_user: Any) -> DoubleAssessment:
    dma = dma_create(
        data=DmaInput(
            name={"zh-hans": "2025年双重重要性评估", "en": "DMA 2025"},
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            frameworks=DmaFrameworks.BOTH,
        ),
        actor=esg_user,
    )
    privacy = Matter.objects.get(pack__code="esrs-2023", code="S4.1.1")
    iro_create(
        dma=dma,
        data=IroInput(
            matter=privacy,
            kind=IroKind.IMPACT,
            title={"zh-hans": "客户数据泄露", "en": "Leak of customer data"},
            source=IroSource.RISK_REGISTER,
            polarity="negative",
            actuality="potential",
            human_rights=True,
            value_chain=[ValueChainStage.OWN_OPERATIONS],
            horizons=[Horizon.SHORT, Horizon.MEDIUM],
            stakeholders=["Customers"],
        ),
    )
    iro_create(
        dma=dma,
        data=IroInput(
            matter=Matter.objects.get(pack__code="esrs-2023", code="E1.2"),
            kind=IroKind.RISK,
            title={"zh-hans": "数据中心碳价成本", "en": "Carbon price on data centres"},
            source=IroSource.REGULATION,
            financial_effect={"zh-hans": "电费上升", "en": "Higher electricity costs"},
        ),  # no horizon, no stage: not ratable yet
    )
    return dma


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_team_walks_the_dma_setup_pages(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    dma: DoubleAssessment,
    language: str,
) -> None:
    context = make_context(locale="en-US" if language == "en" else "zh-CN")
    log_in(esg_user, context)
    page = context.new_page()

    page.goto(reverse("double:dmas"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    overview_url = reverse("double:dma", args=[dma.pk])
    expect(page.locator(f'main a[href="{overview_url}"]')).to_be_visible()
    check_page(page, "list")

    page.locator(f'main a[href="{overview_url}"]').click()
    expect(page).to_have_url(re.compile(re.escape(overview_url) + "$"))
    expect(page.locator("[aria-current=step]")).to_have_count(1)
    start = page.locator(
        f'form[action="{reverse("double:dma-start-rating", args=[dma.pk])}"] button'
    )
    expect(start).to_be_disabled()
    expect(page.locator("main")).to_contain_text("IRO-002")  # named as not ratable
    check_page(page, "overview")

    register_url = reverse("double:register", args=[dma.pk])
    page.locator(f'main a[href="{register_url}"]').first.click()
    expect(page.locator("article.link-card")).to_have_count(2)
    expect(page.locator("article .badge.warn")).to_have_count(1)
    check_page(page, "register")

    page.locator(f'main a[href="{reverse("double:iro-new", args=[dma.pk])}"]').click()
    page.locator("form.iro-form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".field.has-error").first).to_be_visible()
    check_page(page, "iro-form-errors")

    # Fill it in with the keyboard and mouse: a risk with a stage and a horizon.
    page.locator("#id_matter").select_option(
        str(Matter.objects.get(pack__code="esrs-2023", code="E1.2").pk)
    )
    page.locator("#id_kind_1").check()
    page.locator("#id_title_0").fill("气候实体风险")
    page.locator("#id_title_1").fill("Physical climate risk")
    page.locator("#id_financial_effect_1").fill("Flooded data centre")
    page.locator("#id_value_chain_1").check()
    page.locator("#id_horizons_2").check()
    page.locator("#id_source").select_option("expert")
    page.locator("form.iro-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(register_url) + "#iro-\\d+$"))
    expect(page.locator("article.link-card")).to_have_count(3)
    assert dma.iros.filter(title__en="Physical climate risk").exists()
