"""What a failed browser test leaves behind: a full-page screenshot and the HTML of each
page it had open, in var/test-artifacts/browser/<test>/ (var/ is not under version
control; CI keeps the folder and names it when the suite fails, see .ci/run)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "browser"
# Short enough not to hold up a failing run, long enough for a tall page.
SCREENSHOT_TIMEOUT_MS = 10_000


def artifacts_folder(nodeid: str) -> Path:
    """The test's own folder:
    `tests/browser/test_x.py::test_y[mobile-360]` -> `test_x.py--test_y-mobile-360`."""
    name = re.sub(r"[^\w.-]+", "-", nodeid.removeprefix("tests/browser/")).strip("-")
    return ARTIFACTS / name


def save_page(page: Page, folder: Path, name: str) -> None:
    """`<name>.png` (the whole page) and `<name>.html` (its DOM as it is now) in
    `folder`; a page that cannot be saved is reported, never raised: the failure that
    led here matters more."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=folder / f"{name}.png", full_page=True, timeout=SCREENSHOT_TIMEOUT_MS)
        (folder / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except PlaywrightError as error:
        print(f"could not save {page.url}: {error}")
    else:
        print(f"saved {page.url}: {folder / name}.png and .html")
