"""The database's host drops off the network, silently (a machine lost, a partition, the
old primary of a failover): what respondents send meanwhile gets the 503 page within
seconds (never a request hung until the web server kills its worker, never a 500),
nothing half-done is stored, and once the database answers again, on the same host or
on another one under the same address, the same browsers go on and lose nothing.

The site runs under gunicorn as in production (DEBUG off, connections kept between
requests) against a PostgreSQL of this test's own on a host of its own: a network
namespace whose link the test takes down (tests/faults/network.py). A refused
connection is the easy case (tests/faults/test_database_restart.py); here packets
simply go unanswered, and only the connection settings' time-outs end the wait.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _database_url, link_path, require
from tests.faults.network import Host, Network, can_make_hosts, network
from tests.faults.servers import postgres, postgres_bin, site, site_environment
from tests.faults.test_database_restart import (
    DATABASE,
    Browser,
    FaultSite,
    assert_briefly_unavailable,
    every_cell,
)
from tests.surveys.conftest import campus_survey
from tests.surveys.factories import InvitationFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Short, so that the test is short; the defaults (5 s, 10 s) are documented in the README.
# A request caught by the cut waits for a kept connection's time-out, then for a new
# connection's: about 4 s here, far below gunicorn's 30 s, after which it would kill
# the worker and the respondent would see no page at all.
TIMEOUTS = {"DATABASE_CONNECT_TIMEOUT": "2", "DATABASE_TCP_TIMEOUT_MS": "2000"}


@dataclass(frozen=True)
class LostHostSite(FaultSite):
    """The fault site, its database on the first of two hosts it can cut off."""

    network: Network
    first: Host
    second: Host

    def fail_over(self) -> None:
        """The first host is gone for good; the database comes up on the second from the
        same data (shared storage, or a standby promoted), under the same address."""
        self.db.stop("immediate")  # the lost machine's server dies with it
        self.network.serve_from(self.second)
        self.db.host = self.second
        self.db.start()


@pytest.fixture
def lost_host_site(
    transactional_db: None, static_root: Path, tmp_path: Path
) -> Iterator[LostHostSite]:
    require(can_make_hosts(), "needs root and iproute2 (ip netns) to make a host to cut off")
    programs = postgres_bin()
    require(programs, "needs PostgreSQL's programs (initdb, pg_ctl; apt-get install postgresql)")
    assert programs is not None
    survey = campus_survey().survey
    link = link_path(
        InvitationFactory(survey=survey, respondent_group="students", respondent_internal=False)
    )
    with network() as net:
        first, second = net.add_host(), net.add_host()
        net.serve_from(first)
        with postgres(programs, address=net.service, host=first) as db:
            db.copy_database(_database_url(), DATABASE)
            environment = {**site_environment(db.url(DATABASE), static_root), **TIMEOUTS}
            with site(environment, tmp_path / "gunicorn.log") as (host, port):
                yield LostHostSite(db, host, port, link, survey.pk, net, first, second)


def start(fault_site: LostHostSite) -> tuple[Browser, str]:
    """A respondent on the first grid page: the site's kept connection is in use."""
    browser = fault_site.browser()
    assert browser.get(fault_site.link).status == 200
    page_1 = browser.post(fault_site.link, {}).location
    assert browser.get(page_1).status == 200
    return browser, page_1


def test_a_database_host_that_stops_answering_costs_seconds_then_the_browser_goes_on(
    lost_host_site: LostHostSite,
) -> None:
    browser, page_1 = start(lost_host_site)
    first = every_cell(browser.get(page_1).body, "4")
    assert first

    lost_host_site.first.cut()
    assert_briefly_unavailable(browser.post(page_1, {**first, "action": "next"}))
    assert_briefly_unavailable(browser.get(page_1))  # and again, on a new connection
    lost_host_site.first.mend()

    assert browser.get(page_1).status == 200
    page_2 = browser.post(page_1, {**first, "action": "next"}).location
    assert page_2.endswith("/p/2/"), page_2
    assert lost_host_site.count("answer.value = 4") == len(first)


def test_after_a_failover_to_another_host_the_same_browser_submits_and_nothing_is_lost(
    lost_host_site: LostHostSite,
) -> None:
    browser, page_1 = start(lost_host_site)
    first = every_cell(browser.get(page_1).body, "4")
    page_2 = browser.post(page_1, {**first, "action": "next"}).location
    second = every_cell(browser.get(page_2).body, "5")
    assert first
    assert second

    # The primary's machine is lost as the respondent sends page 2.
    lost_host_site.first.cut()
    assert_briefly_unavailable(browser.post(page_2, {**second, "action": "next"}))
    lost_host_site.fail_over()

    # The connection the site kept leads to the lost host: it is given up, and the same
    # request goes on with a new one to the new host.
    assert browser.get(page_2).status == 200
    assert lost_host_site.count("answer.value = 4") == len(first)  # saved before the loss: kept
    assert lost_host_site.count("answer.value = 5") == 0  # refused whole, not half stored
    page_3 = browser.post(page_2, {**second, "action": "next"}).location
    browser.get(page_3)
    review = browser.post(page_3, {"action": "next"}).location
    assert review.endswith("/review/"), review
    browser.get(review)
    thanks = browser.post(review, {})
    assert thanks.location.endswith("/thanks/"), thanks.body[:500]
    assert "Your answers have been received." in browser.get(thanks.location).body

    assert lost_host_site.count("answer.value = 4") == len(first)
    assert lost_host_site.count("answer.value = 5") == len(second)
    responses = "SELECT count(*), count(*) FILTER (WHERE status = 'submitted')"
    assert lost_host_site.db.psql(DATABASE, f"{responses} FROM surveys_response") == "1|1"
