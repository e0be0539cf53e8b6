"""The API tokens page in a real browser, at desktop size and 360 px wide, in both
languages: create a token, see its secret once (wrapping inside the screen), revoke it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, expect

from materiality.models import ApiToken
from tests.browser.assertions import assert_accessible, assert_no_horizontal_scroll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGE = reverse("materiality:account-tokens")


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_token_is_created_shown_once_and_revoked(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    esg_user: Any,
    locale: str,
    tmp_path: Path,
) -> None:
    context = make_context(locale=locale)
    log_in(esg_user, context)
    page = context.new_page()
    page.goto(reverse("home"))
    # By address, not wording: the Chinese texts arrive when the catalogue is merged.
    page.locator(f".site-nav a[href='{PAGE}']").click()
    expect(page).to_have_url(re.compile(PAGE + "$"))
    assert_accessible(page)
    assert_no_horizontal_scroll(page)

    page.locator("#id_name").fill("Power BI 每日刷新 — nightly refresh of the dashboard")
    page.locator("main form.stacked-form button[type=submit]").click()

    secret = page.locator("#token-secret")
    expect(secret).to_have_text(re.compile(r"^mat_\S{40,}$"))
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_scroll(page)  # the long secret wraps
    page.screenshot(path=tmp_path / "created.png", full_page=True)

    page.goto(PAGE)
    expect(page.locator("#token-secret")).to_have_count(0)  # never again
    revoke = page.locator(".token-revoke button")
    expect(revoke).to_have_count(1)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    page.screenshot(path=tmp_path / "list.png", full_page=True)
    revoke.click()

    expect(page.locator("main [role=status] .messages")).to_be_visible()
    expect(page.locator(".token-revoke button")).to_have_count(0)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)
    assert ApiToken.objects.get(user=esg_user).revoked_at is not None
