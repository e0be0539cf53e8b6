"""Browser tests share the suite's database connection (see `playwright` in conftest.py),
so that serialized rollback restores the seed vocabulary after each of them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import Page

from materiality.models import StakeholderGroup, Topic

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_test_code_keeps_the_connection_pytest_django_set_up(page: Page) -> None:
    page.goto(reverse("home"))
    # That connection holds the serialized database that serialized rollback restores;
    # a new one, as Django may open while Playwright's loop runs, would not.
    assert hasattr(connection, "_test_serialized_contents")
    assert Topic.objects.count() == 17
    assert StakeholderGroup.objects.count() == 8
