"""The admin's lists in a real browser: what axe-core finds there, in both languages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, expect

from tests.browser.assertions import assert_accessible

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize(
    ("locale", "order_label"), [("zh-CN", "排序：风险管理"), ("en-US", "Order: Risk management")]
)
def test_the_topic_list_with_its_order_fields_has_no_accessibility_problem(
    make_context: Callable[..., BrowserContext],
    log_in: Callable[..., None],
    admin_user: Any,
    locale: str,
    order_label: str,
) -> None:
    context = make_context(locale=locale)
    log_in(admin_user, context)
    page = context.new_page()
    page.goto(reverse("admin:materiality_topic_changelist"))
    # Each row's order field says whose order it is.
    expect(page.get_by_label(order_label, exact=True)).to_have_count(1)
    assert_accessible(page)
