"""Redis down, as tests/materiality/test_redis_outage.py stops it, now for the public
API: a respondent's questionnaire and reply and a reader's feedback form and answers
are served and stored at once, the request rates off rather than the API, each request
trying the cache once. (The API answered 500 here: DRF's throttles read the cache
unguarded.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from surveys.models import Response, ResponseStatus
from tests.api.test_reports import reader_answers
from tests.api.test_respond import full_answers, personal, url
from tests.factories import OpenReportFactory
from tests.materiality.test_redis_outage import (  # the page's test: its Redis, its spy
    ConnectionSpy,
    PrivateRedis,
    everything_on,
    private_redis,  # noqa: F401  # fixtures
    spy,  # noqa: F401
    task_sends,
)

pytestmark = pytest.mark.django_db


def test_a_reply_through_the_api_is_stored(
    open_assessment: Any,
    private_redis: PrivateRedis,  # noqa: F811
    spy: ConnectionSpy,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    token = personal(open_assessment).token
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    with everything_on(private_redis):
        private_redis.stop()
        with spy.counting() as reading:
            read = client.get(url(token))
        body = json.dumps({"answers": full_answers(read.json())})
        with spy.counting() as sending, django_capture_on_commit_callbacks(execute=True):
            sent = client.post(url(token), body, content_type="application/json")

    assert read.status_code == 200, read.content
    assert sent.status_code == 201, sent.content
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert reading == {"cache": 1}  # the request rate is off, not the API
    assert sending == {"cache": 1, "broker": task_sends()}
    assert "Rate limit 'api-respond' not applied: the cache cannot be reached" in caplog.text


def test_a_readers_feedback_through_the_api_is_stored(
    private_redis: PrivateRedis,  # noqa: F811
    spy: ConnectionSpy,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = OpenReportFactory()
    path = f"/api/feedback/{report.public_code}/"
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    with everything_on(private_redis):
        private_redis.stop()
        with spy.counting() as reading:
            form = client.get(path)
        body = json.dumps({"answers": reader_answers(form.json())})
        with spy.counting() as sending, django_capture_on_commit_callbacks(execute=True):
            sent = client.post(path, body, content_type="application/json")

    assert form.status_code == 200, form.content
    assert sent.status_code == 201, sent.content
    assert Response.objects.get(survey=report.survey).status == ResponseStatus.SUBMITTED
    assert reading == {"cache": 1}
    # The request rate and the form's limit per address each try once.
    assert sending == {"cache": 2, "broker": task_sends()}
    assert "Rate limit 'api-feedback' not applied: the cache cannot be reached" in caplog.text
