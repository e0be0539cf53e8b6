"""What the log says about requests that fail in ways an operator expects: one line
each, no traceback. A body over the size limit is the client's doing (a WARNING); a
503 while the database cannot be reached is an ERROR per request, the outage named by
its error's last words, without the same traceback a thousand times."""

from __future__ import annotations

import io
import json
from unittest import mock

import pytest
from django.test import Client
from django.test.utils import override_settings

from tests.config.test_error_pages import database_down
from tests.conftest import link_path
from tests.factories import OpenReportFactory
from tests.surveys.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def lines(output: io.StringIO) -> list[str]:
    return output.getvalue().splitlines()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", json.dumps({"answers": ["x" * 2000]}), id="json"),
        pytest.param("application/x-www-form-urlencoded", "a=" + "x" * 2000, id="form"),
    ],
)
def test_a_body_over_the_size_limit_is_a_warning_without_a_traceback(
    log_output: io.StringIO, content_type: str, body: str
) -> None:
    report = OpenReportFactory()
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        response = client.generic(
            "POST", f"/api/feedback/{report.public_code}/", body, content_type=content_type
        )
    assert response.status_code == 400
    written = lines(log_output)
    too_big = [line for line in written if "django.security.RequestDataTooBig" in line]
    assert too_big
    assert all(" WARNING " in line for line in too_big), too_big
    assert not any("Traceback" in line for line in written), written
    assert not any(" ERROR " in line for line in written), written


def test_a_503_for_a_database_that_cannot_be_reached_logs_one_error_line(
    log_output: io.StringIO,
) -> None:
    invitation = InvitationFactory()
    path = link_path(invitation)
    with database_down():
        response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 503
    written = lines(log_output)
    errors = [line for line in written if " ERROR " in line]
    assert len(errors) == 1, written
    masked = path.replace(invitation.token, invitation.token[:6] + "***")
    assert f"ERROR django.request Service Unavailable: {masked}" in errors[0]
    assert "OperationalError: server closed the connection unexpectedly" in errors[0]
    assert not any("Traceback" in line for line in written), written
    assert invitation.token not in log_output.getvalue()


def test_an_unexpected_500_still_logs_its_traceback(log_output: io.StringIO) -> None:
    with mock.patch("surveys.views.invitation_resolve", side_effect=RuntimeError("boom")):
        response = Client(raise_request_exception=False).get(link_path(InvitationFactory()))
    assert response.status_code == 500
    written = log_output.getvalue()
    assert "ERROR django.request Internal Server Error" in written
    assert "Traceback" in written
    assert "RuntimeError: boom" in written
