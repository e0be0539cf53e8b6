"""No live invitation or resume link reaches a log: Django's request warnings, the request
lines of runserver and gunicorn, and tracebacks carry a token's hint, never the token."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from gunicorn.config import Config

from config.gunicorn import MaskingLogger
from config.logs import TokenMaskFilter, mask_tokens
from surveys.tokens import new_token
from tests.conftest import link_path
from tests.respondents import start
from tests.surveys.conftest import campus_survey
from tests.surveys.factories import InvitationFactory


@pytest.mark.django_db
def test_a_404_under_a_resume_link_logs_the_path_without_the_token(
    log_output: io.StringIO,
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    walk = start(client, link_path(InvitationFactory(survey=campus_survey().survey)))
    assert client.get(f"/s/r/{walk.resume}/no-such-step/").status_code == 404
    written = log_output.getvalue()
    assert f"Not Found: /s/r/{walk.resume[:6]}***/no-such-step/" in written
    assert walk.resume not in written


@pytest.mark.django_db
def test_a_403_on_an_invitation_link_logs_the_path_without_the_token(
    log_output: io.StringIO,
) -> None:
    invitation = InvitationFactory(survey=campus_survey(status="draft").survey)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(link_path(invitation))
    assert response.status_code == 403  # not open yet
    written = log_output.getvalue()
    assert f"Forbidden: /s/i/{invitation.token[:6]}***/" in written
    assert invitation.token not in written


def test_request_lines_and_tracebacks_keep_no_token(log_output: io.StringIO) -> None:
    token = new_token()
    # runserver's request line, and a link passed on in a query value
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /s/r/{token}/p/2/?next=%2Fs%2Fr%2F{token}%2F HTTP/1.1", 200, 512
    )
    try:
        raise ValueError(f"no page at /s/i/{token}/")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /s/i/%s/", token)
    written = log_output.getvalue()
    assert token not in written
    assert f"/s/r/{token[:6]}***/p/2/?next=%2Fs%2Fr%2F{token[:6]}***%2F" in written
    assert f"ValueError: no page at /s/i/{token[:6]}***/" in written


def test_every_log_handler_masks_tokens() -> None:
    # The handlers the site's LOGGING sets up: the root's and its named loggers'. (A
    # test run may have added others of its own by now, such as a Celery worker's.)
    loggers = [logging.getLogger(), *map(logging.getLogger, settings.LOGGING["loggers"])]
    handlers = {
        handler
        for logger in loggers
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        # pytest's own capture, and handlers that write nothing
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)
    }
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, TokenMaskFilter) for f in handler.filters), handler


def test_the_sites_own_addresses_are_left_as_they_are() -> None:
    for text in (
        "GET /admin/materiality/stakeholdergroup/?o=1 HTTP/1.1",
        "/static/css/materia.3f2a9c1b7d4e.css",
        "/assessments/12/runs/345/matrix.svg?lang=zh-hans&group=investors",
        "/f/abcdefghijk/",
        "/assessments/12/results/?topics=climate-change,water-and-effluents&axis=x:y",
        "Rate limit 'api-feedback' not applied: the cache cannot be reached",
    ):
        assert mask_tokens(text) == text


def test_gunicorns_access_and_error_logs_keep_no_token(tmp_path: Path) -> None:
    token = new_token()
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    log = MaskingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/s/r/{token}/p/1/",
        "PATH_INFO": f"/s/r/{token}/p/1/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": f"https://materia.example.com/s/r/{token}/p/1/",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    log.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=20))
    log.error("Error handling request %s", environ["RAW_URI"])
    for logger in (log.access_log, log.error_log):
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert f"GET /s/r/{token[:6]}***/p/1/ HTTP/1.1" in access
    assert f"Error handling request /s/r/{token[:6]}***/p/1/" in errors
    assert token not in access + errors


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("?a=1,{token}", id="after-a-comma"),
        pytest.param("?a=x:{token}", id="after-a-colon"),
        pytest.param("?a=+{token}", id="after-a-plus"),
        pytest.param("?a=1%2C{token}", id="after-an-encoded-comma"),
        pytest.param("?a=x%3A{token}", id="after-an-encoded-colon"),
        pytest.param("?a=%2B{token}", id="after-an-encoded-plus"),
        pytest.param("?next=%252Fs%252Fr%252F{token}%252F", id="double-encoded-slash"),
        pytest.param("?next=%25252Fs%25252Fr%25252F{token}", id="triple-encoded-slash"),
        pytest.param("?next=%2Fs%3Ft%3D{token}", id="after-an-encoded-equals-sign"),
        pytest.param("?next=%252Fs%253Ft%253D{token}", id="after-a-double-encoded-equals-sign"),
    ],
)
def test_a_token_inside_a_query_value_is_masked(log_output: io.StringIO, query: str) -> None:
    token = new_token()
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /nope/{query.format(token=token)} HTTP/1.1", 404, 650
    )
    written = log_output.getvalue()
    assert token not in written
    assert f"/nope/{query.format(token=token[:6] + '***')} HTTP/1.1" in written
