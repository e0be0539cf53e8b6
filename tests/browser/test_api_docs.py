"""/api/docs/ (Swagger UI) renders from the site alone: every request the
page makes goes to the site itself, and the browser reports no Content-Security-Policy
violation, so the documentation works on a network with no way out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.screens import DESKTOP

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def screen() -> Any:
    return DESKTOP  # where an integrator reads the documentation


class Traffic:
    def __init__(self, page: Page) -> None:
        self.hosts: list[str] = []
        self.console: list[str] = []
        page.on("request", self.request)
        page.on("console", self.message)

    def request(self, request: Request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            self.hosts.append(url.netloc)

    def message(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.console.append(message.text)


def _open(page: Page, path: str) -> Traffic:
    traffic = Traffic(page)
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path}: {response.status}"
    return traffic


def _only_the_site(traffic: Traffic, live_server: LiveServer) -> None:
    site = urlsplit(live_server.url).netloc
    elsewhere = sorted({host for host in traffic.hosts if host != site})
    assert not elsewhere, f"requests left the site for {elsewhere}"
    assert traffic.hosts, "no request recorded"
    assert not traffic.console, traffic.console


def test_swagger_ui_lists_the_operations_from_the_site_alone(
    page: Page, log_in: Callable[..., None], esg_user: Any, live_server: LiveServer
) -> None:
    log_in(esg_user)
    traffic = _open(page, "/api/docs/")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(page.locator(".opblock", has_text="/api/topics/").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    _only_the_site(traffic, live_server)
