"""PostgreSQL restarts while respondents answer and submit: what they send meanwhile
gets the 503 page with Retry-After (never a 500), what they saved before is kept, and
once the database is back the same browsers go on, submit, and nothing is lost or
stored twice.

The site runs under gunicorn as in production (DEBUG off, connections kept between
requests) against a PostgreSQL of this test's own (tests/faults/servers.py), holding a
copy of the test database: the shared server is never stopped.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import _database_url, link_path, require
from tests.faults.servers import (
    Postgres,
    postgres,
    postgres_bin,
    site,
    site_environment,
)
from tests.surveys.conftest import campus_survey
from tests.surveys.factories import InvitationFactory
from tests.surveys.test_concurrency import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GRID_FIELD = re.compile(r'name="(q\d+_r\d+_c\d+)"')
DATABASE = "materia_fault"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """One respondent's browser over real HTTP: its cookies, the CSRF token of the last
    page it read, English."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def get(self, path: str) -> Reply:
        reply = self._send("GET", path, None)
        found = CSRF_TOKEN.search(reply.body)
        if found:
            self.csrf = found.group(1)
        return reply

    def post(self, path: str, data: dict[str, str]) -> Reply:
        return self._send("POST", path, urlencode({**data, "csrfmiddlewaretoken": self.csrf}))

    def _send(self, method: str, path: str, body: str | None) -> Reply:
        headers = {"Accept-Language": "en", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read().decode())
        finally:
            connection.close()
        for header in reply.headers.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return reply


def every_cell(html: str, value: str) -> dict[str, str]:
    return dict.fromkeys(GRID_FIELD.findall(html), value)


def assert_briefly_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.body[:500]
    assert reply.headers["Retry-After"] == "30"
    assert "briefly unavailable" in reply.body
    assert "everything you saved before is kept" in reply.body


@dataclass(frozen=True)
class FaultSite:
    """The site under gunicorn on a PostgreSQL of its own, and a group link of an open
    survey there."""

    db: Postgres
    host: str
    port: int
    link: str
    survey_id: int

    def browser(self) -> Browser:
        return Browser(self.host, self.port)

    def count(self, where: str) -> int:
        """Rows of this survey's responses joined to their answers, `where` holds."""
        query = "SELECT count(*) FROM surveys_response response LEFT JOIN surveys_answer"
        query += " answer ON answer.response_id = response.id"
        # Only the test's own integers and literals go into the SQL.
        query += f" WHERE response.survey_id = {self.survey_id} AND {where}"
        return int(self.db.psql(DATABASE, query))


@pytest.fixture
def fault_site(transactional_db: None, static_root: Path, tmp_path: Path) -> Iterator[FaultSite]:
    programs = postgres_bin()
    require(programs, "needs PostgreSQL's programs (initdb, pg_ctl; apt-get install postgresql)")
    assert programs is not None
    survey = campus_survey().survey
    link = link_path(
        InvitationFactory(survey=survey, respondent_group="students", respondent_internal=False)
    )
    with postgres(programs) as db:
        db.copy_database(_database_url(), DATABASE)
        environment = site_environment(db.url(DATABASE), static_root)
        with site(environment, tmp_path / "gunicorn.log") as (host, port):
            yield FaultSite(db, host, port, link, survey.pk)


def walk_to_review(browser: Browser, link: str) -> str:
    """Answer every page (4 on the first grid page, 5 on the second); the review URL."""
    assert browser.get(link).status == 200
    url = browser.post(link, {}).location
    for value in ("4", "5", ""):
        cells = every_cell(browser.get(url).body, value) if value else {}
        url = browser.post(url, {**cells, "action": "next"}).location
    assert url.endswith("/review/"), url
    browser.get(url)
    return url


def test_a_database_restart_loses_nothing_and_the_same_browser_submits_once(
    fault_site: FaultSite,
) -> None:
    db, browser, count = fault_site.db, fault_site.browser(), fault_site.count
    assert browser.get(fault_site.link).status == 200
    page_1 = browser.post(fault_site.link, {}).location
    first = every_cell(browser.get(page_1).body, "4")
    page_2 = browser.post(page_1, {**first, "action": "next"}).location
    second = every_cell(browser.get(page_2).body, "5")
    assert first
    assert second

    # The database goes away as the respondent sends page 2.
    db.stop()
    assert_briefly_unavailable(browser.post(page_2, {**second, "action": "next"}))
    db.start()  # returns once the server accepts connections (pg_ctl -w)
    assert browser.get(page_2).status == 200
    assert count("answer.value = 4") == len(first)  # saved before the outage: kept
    assert count("answer.value = 5") == 0  # refused whole, not half stored

    # The same browser sends page 2 again and goes on to the review.
    page_3 = browser.post(page_2, {**second, "action": "next"}).location
    browser.get(page_3)
    review = browser.post(page_3, {"action": "next"}).location
    assert review.endswith("/review/")
    browser.get(review)

    # Down again, as the respondent submits.
    db.stop()
    assert_briefly_unavailable(browser.post(review, {}))
    db.start()
    assert browser.get(review).status == 200
    submitted = browser.post(review, {})
    assert submitted.status == 302, submitted.body[:500]
    assert submitted.location.endswith("/thanks/")
    again = browser.post(review, {})  # the browser's own retry of the same POST
    assert again.location == submitted.location
    # A restart between two requests: the connection the site kept died with the
    # server, unnoticed; the next request must not fail on it.
    db.stop()
    db.start()
    thanks = browser.get(submitted.location)
    assert thanks.status == 200
    assert "Your answers have been received." in thanks.body

    assert count("answer.value = 4") == len(first)
    assert count("answer.value = 5") == len(second)
    responses = "SELECT count(*), count(*) FILTER (WHERE status = 'submitted')"
    assert db.psql(DATABASE, f"{responses} FROM surveys_response") == "1|1"


def test_respondents_submitting_across_a_restart_each_get_in_once(
    fault_site: FaultSite,
) -> None:
    # Respondents press "submit" and keep pressing until they are thanked (what the 503
    # page asks them to do). Two press it as the database stops: a submit cut off in
    # flight is rolled back, or committed with its answer lost, and either way its
    # repeat is thanked. Two press it once it has stopped: they surely meet the outage.
    respondents = [fault_site.browser() for _ in range(4)]
    reviews = [walk_to_review(browser, fault_site.link) for browser in respondents]
    cells = fault_site.count("answer.value IS NOT NULL")
    assert cells > 0
    statuses: list[int] = []
    stopped, refused = threading.Event(), threading.Event()
    deadline = time.monotonic() + 60
    order = iter(range(len(respondents)))
    lock = threading.Lock()

    def submit_until_thanked() -> str:
        with lock:
            index = next(order)
        if index >= 2 and not stopped.wait(timeout=30):
            raise AssertionError("the database did not stop within 30 s")
        while time.monotonic() < deadline:
            reply = respondents[index].post(reviews[index], {})
            statuses.append(reply.status)
            if reply.status == 302:
                return reply.location
            refused.set()
        raise AssertionError("not thanked within 60 s")

    def restart() -> None:
        fault_site.db.stop()
        stopped.set()
        refused.wait(timeout=30)  # a submit met the database down: bring it back
        fault_site.db.start()

    stopper = threading.Thread(target=restart)
    stopper.start()
    thanked = at_once(len(respondents), submit_until_thanked)
    stopper.join(timeout=60)

    assert all(isinstance(location, str) for location in thanked), thanked
    assert all(location.endswith("/thanks/") for location in thanked)
    assert set(statuses) <= {302, 503}, statuses  # never a 500
    assert 503 in statuses
    for browser, location in zip(respondents, thanked, strict=True):
        assert "Your answers have been received." in browser.get(location).body
    submitted = "SELECT count(*) FROM surveys_response WHERE status = 'submitted'"
    assert fault_site.db.psql(DATABASE, submitted) == str(len(respondents))
    assert fault_site.count("answer.value IS NOT NULL") == cells  # none lost, none twice
