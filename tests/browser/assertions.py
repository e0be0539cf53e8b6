"""Checks that every page test can make on a Playwright page: accessibility (axe-core),
no horizontal scrolling, every control reachable with the keyboard.

Each one fails with a message that says what is wrong and where. The width and keyboard
checks work in a context with `java_script_enabled=False` too (Playwright's own
evaluation still runs there); axe-core does not, since its promises never settle there.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import require

# axe-core comes from the axe-playwright-python wheel (requirements-dev.txt), which
# ships axe.min.js; we only use the file, not the package's wrapper.
AXE_PACKAGE = "axe_playwright_python"
FAILING_IMPACTS = ("serious", "critical")


# With scripting off, the HTML parser reads the inside of <noscript> as markup; with it on,
# as text. Unlike running a test script, this cannot be blocked by a Content Security Policy.
_SCRIPTING_ENABLED = """() => {
  const probe = document.createElement("div");
  probe.innerHTML = "<noscript><p></p></noscript>";
  return probe.firstChild.firstChild?.nodeType === Node.TEXT_NODE;
}"""


@functools.cache
def _axe_source() -> str:
    try:
        return (resources.files(AXE_PACKAGE) / "axe.min.js").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        require(False, f"needs axe-core from {AXE_PACKAGE} (pip install -r requirements-dev.txt)")
        raise


def axe_results(page: Page, *, context: Any = None, options: dict[str, Any] | None = None) -> Any:
    """Runs axe-core on the page as it is now and returns its results
    (https://github.com/dequelabs/axe-core/blob/develop/doc/API.md#results-object).

    By default axe runs every rule it enables by default: WCAG 2.0, 2.1 and 2.2 at levels
    A and AA, and its best practices."""
    source = _axe_source()
    if not page.evaluate(_SCRIPTING_ENABLED):
        pytest.fail("axe-core cannot run in a context with java_script_enabled=False")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not as a <script>: a Content Security
        # Policy of the page cannot block it.
        page.evaluate(source)
    return page.evaluate(
        "([context, options]) => axe.run(context ?? document, options)",
        [context, {"resultTypes": ["violations"], **(options or {})}],
    )


def assert_accessible(
    page: Page,
    *,
    context: Any = None,
    impacts: tuple[str, ...] = FAILING_IMPACTS,
    skip_rules: tuple[str, ...] = (),
) -> None:
    """Fails when axe-core finds violations of the given impacts (serious or critical
    by default) on the page, listing each with the elements that fail it. `skip_rules`:
    axe rule ids not run (only for what the site cannot change, with the reason)."""
    options = {"rules": {rule: {"enabled": False} for rule in skip_rules}}
    results = axe_results(page, context=context, options=options)
    failing = [v for v in results["violations"] if v["impact"] in impacts]
    if failing:
        version = results["testEngine"]["version"]
        heading = (
            f"{len(failing)} accessibility violation(s) of impact {' or '.join(impacts)} "
            f"on {page.url} at {page.viewport_size} (axe-core {version}):"
        )
        raise AssertionError("\n".join([heading, *map(_describe_violation, failing)]))


def _describe_violation(violation: dict[str, Any], max_nodes: int = 10) -> str:
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']}",
        f"  {violation['helpUrl']}",
    ]
    for node in violation["nodes"][:max_nodes]:
        target = " >> ".join(str(part) for part in node["target"])
        lines.append(f"    {target}  {node['html'][:200]}")
        summary = (node.get("failureSummary") or "").splitlines()
        lines.extend(f"      {line.strip()}" for line in summary if line.strip())
    if len(violation["nodes"]) > max_nodes:
        lines.append(f"    … and {len(violation['nodes']) - max_nodes} more")
    return "\n".join(lines)


# window.innerWidth is no measure on a phone: there (and with Playwright's is_mobile) the
# browser zooms out to show a page that is too wide, and innerWidth grows with it. The
# layout viewport (documentElement.clientWidth) keeps the screen's width as long as the
# page has <meta name="viewport" content="width=device-width">.
_MEASURE_WIDTH = """(screenWidth) => {
  const root = document.documentElement;
  const limit = Math.min(root.clientWidth, screenWidth);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const right = (el) => Math.round(el.getBoundingClientRect().right);
  const tooWide = [...document.body.querySelectorAll("*")]
    .filter((el) => right(el) > limit)
    .slice(0, 10)
    .map((el) => `${describe(el)} (right edge at ${right(el)} px)`);
  return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, tooWide };
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    """Fails when the page is wider than the screen, i.e. scrolls sideways (or, on a
    phone, gets zoomed out to fit).

    Measured once the page has loaded: before its stylesheet applies, every wide table
    stretches the page, whatever the stylesheet does about it."""
    page.wait_for_load_state("load")
    screen_width = page.viewport_size["width"] if page.viewport_size else 0
    width = page.evaluate(_MEASURE_WIDTH, screen_width)
    if width["clientWidth"] > screen_width:
        raise AssertionError(
            f"{page.url} is laid out {width['clientWidth']} px wide on a screen of "
            f'{screen_width} px: is <meta name="viewport" content="width=device-width, '
            'initial-scale=1"> missing?'
        )
    if width["scrollWidth"] > width["clientWidth"]:
        raise AssertionError(
            f"{page.url} scrolls sideways: it is {width['scrollWidth']} px wide on a screen "
            f"of {width['clientWidth']} px. Elements reaching past the right edge:\n  "
            + "\n  ".join(width["tooWide"] or ["(none found)"])
        )


# Marks every visible control that the Tab key should reach with data-keyboard-stop and
# returns {stop: description}. The radio buttons of a group are one stop: Tab enters the
# group, the arrow keys move inside it.
_MARK_KEYBOARD_STOPS = """() => {
  const selector = [
    "a[href]", "area[href]", "button", "input", "select", "textarea", "summary", "iframe",
    "audio[controls]", "video[controls]", "[tabindex]",
    "[contenteditable]:not([contenteditable='false'])",
  ].join(",");
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.title || "")
      .trim().replace(/\\s+/g, " ").slice(0, 40);
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.name ? `[name=${el.name}]` : "") + (text ? ` "${text}"` : "");
  };
  const stops = {};
  let number = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.matches(":disabled") || el.closest("[inert]")) continue;
    if (el.type === "hidden" && el.tagName === "INPUT") continue;
    const tabindex = el.getAttribute("tabindex");
    if (tabindex !== null && Number.parseInt(tabindex, 10) < 0) continue;
    if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue;
    let stop;
    if (el.tagName === "INPUT" && el.type === "radio" && el.name) {
      const form = el.form ? [...document.forms].indexOf(el.form) : -1;
      stop = `radio:${form}:${el.name}`;
    } else {
      stop = `#${number++}`;
    }
    el.dataset.keyboardStop = stop;
    stops[stop] ??= describe(el);
  }
  return stops;
}"""

_FOCUSED_STOP = "() => document.activeElement?.dataset?.keyboardStop ?? null"


def assert_keyboard_reachable(page: Page) -> None:
    """Presses Tab through the page and fails unless every visible control (link,
    button, field, element with tabindex >= 0; a radio group counts once) gets the
    focus at some point."""
    stops: dict[str, str] = page.evaluate(_MARK_KEYBOARD_STOPS)
    reached: list[str] = []
    # Enough presses to go round the page twice, past the browser's own stops.
    for _ in range(2 * len(stops) + 5):
        if len(reached) == len(stops):
            break
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUSED_STOP)
        if stop is not None and stop not in reached:
            reached.append(stop)
    missing = [description for stop, description in stops.items() if stop not in reached]
    if missing:
        order = [stops[stop] for stop in reached]
        raise AssertionError(
            f"on {page.url} the Tab key never reaches {len(missing)} of {len(stops)} "
            "controls:\n  "
            + "\n  ".join(missing)
            + "\nIt reached, in this order:\n  "
            + "\n  ".join(order or ["(nothing)"])
        )
