"""The double materiality matrix on a DMA's results page, in a real browser, at desktop
size and 360 px wide, in both languages: the image loads and fits the screen (no
sideways scroll), its links lead to the files, the page stays axe-clean.

Set MATERIA_SCREENSHOTS to a folder to keep a screenshot of the matrix section."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, expect

from materiality.double.methodology import dma_start_rating
from materiality.double.models import DmaFrameworks, DoubleAssessment, Rater, RaterRole
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.review import dma_close_rating
from materiality.double.setup import DmaInput, dma_create
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll
from tests.browser.screens import Screen
from tests.double.conftest import iro_input, risk_input

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}


@pytest.fixture
def closed(esg_user: Any) -> DoubleAssessment:
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
    rater = Rater.objects.create(dma=dma, name="A", role=RaterRole.INTERNAL_EXPERT)
    levels = {"scale": 4, "scope": 3, "irremediability": 3, "likelihood": 4}
    rating_add(iro=impact, rater=rater, rationale="Peer incidents.", **levels)
    rating_add(iro=risk, rater=rater, rationale="Carbon price.", magnitude=4, likelihood=4)
    return dma_close_rating(dma=dma, actor=esg_user)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_results_page_shows_the_matrix_fitting_the_screen(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    closed: DoubleAssessment,
    screen: Screen,
    language: str,
) -> None:
    context = make_context(locale=LOCALES[language])
    log_in(esg_user, context)
    page = context.new_page()
    page.goto(reverse("double:results", args=[closed.pk]))

    image = page.locator("#dma-matrix img.matrix")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    width = image.evaluate("img => img.getBoundingClientRect().width")
    assert width <= screen.width
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    folder = os.environ.get("MATERIA_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shot = Path(folder) / f"dma-matrix-{language}-{screen.name}.png"
        page.locator("#dma-matrix").screenshot(path=shot)
    svg = page.locator("#dma-matrix a[href$='matrix.svg']")
    response = page.request.get(svg.get_attribute("href") or "")
    assert response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
