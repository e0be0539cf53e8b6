"""Real concurrency against PostgreSQL: two tabs, a double click, two devices at once.

Each thread has its own database connection, and a barrier releases them together so
that the requests really overlap inside the database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from surveys.errors import AlreadySubmitted
from surveys.models import InvitationKind, Response, ResponseStatus, Survey
from surveys.services import invitation_resolve, response_resume, response_start, response_submit
from tests.conftest import link_path
from tests.respondents import answer_all, start
from tests.surveys.factories import InvitationFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def at_once(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work()
        except Exception as error:  # collected for the assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def personal_link(survey: Survey, email: str) -> Any:
    return InvitationFactory(
        survey=survey,
        kind=InvitationKind.PERSONAL,
        email=email,
        respondent_group="staff",
        respondent_internal=True,
    )


def test_of_many_simultaneous_submits_exactly_one_wins(survey: Survey) -> None:
    client = Client()
    walk = start(client, link_path(InvitationFactory(survey=survey)))
    answer_all(client, walk)

    results = at_once(6, lambda: response_submit(response=response_resume(walk.resume)))

    winners = [r for r in results if isinstance(r, Response)]
    losers = [r for r in results if isinstance(r, AlreadySubmitted)]
    assert len(winners) == 1, results
    assert len(losers) == 5, results
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_a_double_click_on_submit_over_http_stores_one_response(survey: Survey) -> None:
    client = Client()
    walk = start(client, link_path(InvitationFactory(survey=survey)))
    answer_all(client, walk)

    statuses = at_once(2, lambda: Client().post(walk.review_url).status_code)

    # Both copies of the POST lead to the thanks page (tests/surveys/test_replayed_submits.py).
    assert statuses == [302, 302]
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1


def test_two_devices_opening_one_personal_link_at_once_share_one_response(
    survey: Survey,
) -> None:
    issued = personal_link(survey, "ann@example.com")

    results = at_once(4, lambda: response_start(invitation=invitation_resolve(issued.token)))

    assert all(not isinstance(r, Exception) for r in results), results
    assert Response.objects.count() == 1
    assert len({r.response.pk for r in results}) == 1


def test_two_tabs_submitting_one_personal_invitation_count_once(survey: Survey) -> None:
    issued = personal_link(survey, "bo@example.com")
    tab = Client()
    walk = start(tab, link_path(issued))
    answer_all(tab, walk)

    results = at_once(2, lambda: response_submit(response=response_resume(walk.resume)))

    assert sum(isinstance(r, Response) for r in results) == 1
    assert sum(isinstance(r, AlreadySubmitted) for r in results) == 1
    invitation = invitation_resolve(issued.token)
    assert invitation.responded_at is not None
