"""The page checks themselves: each one must fail on a page that has the problem it
looks for, or a passing page test would prove nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.assertions import (
    assert_accessible,
    assert_keyboard_reachable,
    assert_no_horizontal_scroll,
)
from tests.browser.screens import MOBILE

pytestmark = pytest.mark.browser

GOOD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><header><a href="#main">Skip</a></header><main id="main"><h1>Good</h1>
<form><label for="name">Name</label> <input id="name">
<fieldset><legend>Rating</legend>
<label><input type="radio" name="rating" value="1"> 1</label>
<label><input type="radio" name="rating" value="2"> 2</label>
<label><input type="radio" name="rating" value="3"> 3</label></fieldset>
<input type="hidden" name="token" value="x"><button type="button" tabindex="-1">Not a stop</button>
<button hidden>Hidden</button><button>Send</button></form></main></body></html>"""


@pytest.fixture
def blank_page(browser: Browser) -> Iterator[Page]:
    """A page without the live server, for content set by the test (360 px wide)."""
    context = browser.new_context(**MOBILE.context_options())
    yield context.new_page()
    context.close()


def test_a_good_page_passes_every_check(blank_page: Page) -> None:
    blank_page.set_content(GOOD_PAGE)
    assert_accessible(blank_page, impacts=("minor", "moderate", "serious", "critical"))
    assert_no_horizontal_scroll(blank_page)
    assert_keyboard_reachable(blank_page)


def test_the_accessibility_check_lists_serious_and_critical_violations(blank_page: Page) -> None:
    blank_page.set_content(
        GOOD_PAGE.replace("<h1>Good</h1>", '<h1 style="color:#ccc">Good</h1><img src="x.png">')
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(blank_page)
    message = str(failure.value)
    assert "image-alt (critical)" in message
    assert "color-contrast (serious)" in message
    assert '    img  <img src="x.png">\n      Fix any of the following:' in message
    assert "    h1  <h1" in message


def test_the_accessibility_check_ignores_lesser_impacts_unless_asked(blank_page: Page) -> None:
    blank_page.set_content(GOOD_PAGE.replace("<h1>Good</h1>", "<h1>Good</h1><h3>Skipped h2</h3>"))
    assert_accessible(blank_page)  # heading-order is "moderate"
    with pytest.raises(AssertionError, match=r"heading-order \(moderate\)"):
        assert_accessible(blank_page, impacts=("moderate",))


def test_the_width_check_names_what_sticks_out(blank_page: Page) -> None:
    blank_page.set_content(
        GOOD_PAGE.replace("<h1>", '<div class="wide" style="width:500px">x</div><h1>')
    )
    with pytest.raises(AssertionError) as failure:
        assert_no_horizontal_scroll(blank_page)
    assert "it is 508 px wide on a screen of 360 px" in str(failure.value)  # 8 px margin
    assert "div.wide (right edge at 508 px)" in str(failure.value)


def test_the_width_check_finds_a_page_without_a_mobile_viewport(blank_page: Page) -> None:
    blank_page.set_content(GOOD_PAGE.replace('<meta name="viewport"', '<meta name="x"'))
    with pytest.raises(AssertionError, match="laid out 980 px wide on a screen of 360 px"):
        assert_no_horizontal_scroll(blank_page)


def test_the_keyboard_check_finds_a_control_the_tab_key_cannot_reach(blank_page: Page) -> None:
    trap = """<input id="name" onkeydown="if (event.key === 'Tab') event.preventDefault()">"""
    blank_page.set_content(GOOD_PAGE.replace('<input id="name">', trap))
    with pytest.raises(AssertionError) as failure:
        assert_keyboard_reachable(blank_page)
    missing, reached = str(failure.value).split("It reached")
    assert "never reaches 2 of 4 controls" in missing
    assert 'input[name=rating] "1"' in missing  # the radio group, as one stop
    assert 'button "Send"' in missing
    assert 'a "Skip"' in reached
    assert "input#name" in reached


def test_the_accessibility_check_refuses_a_page_without_javascript(browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_content(GOOD_PAGE)
    try:
        # axe-core would wait forever: its promises never settle without JavaScript.
        with pytest.raises(pytest.fail.Exception, match="java_script_enabled=False"):
            assert_accessible(page)
        assert_no_horizontal_scroll(page)
        assert_keyboard_reachable(page)
    finally:
        context.close()
