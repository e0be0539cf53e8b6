"""The API's request rates while Redis cannot be reached: off, as the pages' limits are
(surveys/ratelimits.py), and not the API with them. A respondent's reply and a reader's
feedback sent through the API are stored, and each request logs that its limit was not
applied. (Redis stopped: tests/api/test_redis_outage.py.)"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.settings import api_settings

from materiality.api.throttling import ScopedThrottle
from materiality.models import Assessment, Report
from surveys.models import Response, ResponseStatus
from tests.api.test_reports import reader_answers
from tests.api.test_respond import full_answers, personal, post, url
from tests.factories import OpenReportFactory
from tests.url_walk import endpoints

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def hung_redis() -> Iterator[dict[str, Any]]:
    """The cache on a Redis that takes connections and never answers: a listening
    socket nobody reads. Every command waits for the site's own time-out, then fails
    with redis's TimeoutError."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        port = server.getsockname()[1]
        cache = {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": settings.REDIS_CLIENT_OPTIONS,
        }
        with override_settings(CACHES={"default": cache}):
            yield cache


def test_a_reply_through_the_api_is_stored_while_redis_hangs(
    client: Client,
    open_assessment: Assessment,
    caplog: pytest.LogCaptureFixture,
    hung_redis: dict[str, Any],
) -> None:
    token = personal(open_assessment).token
    read = client.get(url(token))
    assert read.status_code == 200, read.content
    sent = post(client, token, {"answers": full_answers(read.json())})
    assert sent.status_code == 201, sent.content
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert "Rate limit 'api-respond' not applied: the cache cannot be reached" in caplog.text


def test_feedback_through_the_api_is_stored_while_redis_hangs(
    client: Client, caplog: pytest.LogCaptureFixture, hung_redis: dict[str, Any]
) -> None:
    report: Report = OpenReportFactory()
    path = f"/api/feedback/{report.public_code}/"
    form = client.get(path)
    assert form.status_code == 200, form.content
    body = json.dumps({"answers": reader_answers(form.json())})
    sent = client.post(path, body, content_type="application/json")
    assert sent.status_code == 201, sent.content
    assert Response.objects.get(survey=report.survey).status == ResponseStatus.SUBMITTED
    assert "Rate limit 'api-feedback' not applied: the cache cannot be reached" in caplog.text


def test_every_throttle_of_the_api_lets_requests_through_when_the_cache_is_down() -> None:
    throttled: dict[str, list[type]] = {}
    for endpoint in endpoints():
        callback = endpoint.pattern.callback
        view = getattr(callback, "cls", None)
        if view is None:
            continue  # not a DRF view
        initkwargs = getattr(callback, "initkwargs", {}) or {}
        classes = list(initkwargs.get("throttle_classes", view.throttle_classes))
        if classes:
            throttled[endpoint.label] = classes
    assert {"api-respond", "api-feedback-form"} <= set(throttled)
    for label, classes in throttled.items():
        for throttle in classes:
            assert issubclass(throttle, ScopedThrottle), (label, throttle)
    for throttle in api_settings.DEFAULT_THROTTLE_CLASSES:
        assert issubclass(throttle, ScopedThrottle), throttle
