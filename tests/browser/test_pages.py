"""The pages that exist so far, in a real browser, at desktop size and 360 px wide:
the home page, the login page and the language switch in the header."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, expect

from materiality.roles import Role
from tests.browser.assertions import (
    assert_accessible,
    assert_keyboard_reachable,
    assert_no_horizontal_scroll,
)
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

USERNAME = "esg-member"
PASSWORD = "correct horse battery staple"
JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


@pytest.mark.parametrize("url_name", ["home", "login"])
def test_the_page_is_accessible_and_fits_the_screen(page: Page, url_name: str) -> None:
    page.goto(reverse(url_name))
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


def test_the_home_page_of_a_signed_in_member_is_accessible_and_fits_the_screen(
    page: Page, log_in: Callable[..., None], esg_user: Any
) -> None:
    log_in(esg_user)
    page.goto(reverse("home"))
    expect(page.locator("main")).to_contain_text(esg_user.username)
    assert_accessible(page)
    assert_no_horizontal_scroll(page)


@pytest.mark.parametrize("url_name", ["home", "login"])
def test_every_control_is_reachable_with_the_keyboard(page: Page, url_name: str) -> None:
    page.goto(reverse(url_name))
    assert_keyboard_reachable(page)


@JAVASCRIPT
def test_it_logs_in_through_the_form(
    make_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    UserFactory(username=USERNAME, password=PASSWORD, roles=[Role.ESG_TEAM])
    page = make_context(java_script_enabled=javascript).new_page()
    page.goto(reverse("home"))
    page.locator(f"main a[href='{reverse('login')}']").click()  # the "log in" button
    expect(page).to_have_url(_at(reverse("login")))

    page.locator("#id_username").fill(USERNAME)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form").get_by_role("button").click()

    expect(page).to_have_url(_at(reverse("home")))
    expect(page.locator("main")).to_contain_text(USERNAME)
    logout = page.locator(f".site-nav form[action='{reverse('logout')}'] button")
    expect(logout).to_be_visible()
    expect(page.locator(f".site-nav a[href='{reverse('login')}']")).to_have_count(0)


def test_a_wrong_password_keeps_you_on_the_login_page_with_an_error(page: Page) -> None:
    UserFactory(username=USERNAME, password=PASSWORD)
    page.goto(reverse("login"))
    page.locator("#id_username").fill(USERNAME)
    page.locator("#id_password").fill("wrong horse battery staple")
    page.locator("main form").get_by_role("button").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(_at(reverse("login")))
    expect(page.locator(f".site-nav a[href='{reverse('login')}']")).to_be_visible()
    assert_accessible(page)  # the error message too


@JAVASCRIPT
def test_the_language_switch_changes_the_language_of_the_page(
    make_context: Callable[..., BrowserContext], javascript: bool
) -> None:
    # Django's own catalogue translates the login form's labels, so they show the
    # language without depending on Materia's catalogue.
    page = make_context(java_script_enabled=javascript).new_page()
    page.goto(reverse("login"))
    switch = page.locator("header form.language-switch")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "zh-hans")  # what the browser asks for
    expect(page.get_by_text("密码", exact=True)).to_be_visible()
    expect(switch.get_by_role("button", name="简体中文")).to_have_attribute("aria-current", "true")

    switch.get_by_role("button", name="English").click()

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(_at(reverse("login")))  # back where it was
    expect(page.get_by_text("Password", exact=True)).to_be_visible()
    expect(page.get_by_text("密码", exact=True)).to_have_count(0)
    expect(switch.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")
    expect(switch.get_by_role("button", name="简体中文")).not_to_have_attribute(
        "aria-current", "true"
    )
    if javascript:
        assert_accessible(page)  # in English too

    page.goto(reverse("home"))  # the choice is remembered
    expect(html).to_have_attribute("lang", "en")

    switch.get_by_role("button", name="简体中文").click()

    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(_at(reverse("home")))
    page.goto(reverse("login"))
    expect(page.get_by_text("密码", exact=True)).to_be_visible()


def _at(path: str) -> re.Pattern[str]:
    """The URL of `path` on the live server, with or without a query string."""
    return re.compile(rf"^http://[^/]+{re.escape(path)}(\?.*)?$")
