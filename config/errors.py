"""The site's error pages (400, 403, 404, 405, 500, 503 and the failed CSRF check), in the
visitor's language, or as JSON under /api/. `config/urls.py` names them as Django's
handlers; `settings.CSRF_FAILURE_VIEW` names `csrf_failure`.

Django's own handlers run the CSRF check again (`requires_csrf_token`), which reads the
request body again: a body that could not be read the first time fails again, inside the
handler, and the visitor gets a bare 500. These read nothing of the request but its path.
The pages are rendered with no request, so no context processor runs: nothing here asks
the database, which may be the reason for the error. A database that cannot be reached
(restarting, failed over, out of connections) answers 503 with `Retry-After`, and the
visitor is told that it is brief and that what they saved is kept.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"  # as in config/urls.py
RETRY_AFTER_SECONDS = 30


def _texts(status: int) -> tuple[str, str]:
    if status == 400:
        return (
            _("The request could not be read"),
            _(
                "Your browser sent something this site cannot read. Go back, reload the "
                "page and try again."
            ),
        )
    if status == 403:
        return (
            _("You cannot open this page"),
            _(
                "Your account has no access to it. Log in with another account, or ask an "
                "administrator for access."
            ),
        )
    if status == 404:
        return (
            _("Page not found"),
            _(
                "Please check that you copied the whole address. If you followed a link on "
                "this site, the page may have moved."
            ),
        )
    if status == 405:
        return (
            _("This address does not take that request"),
            _(
                "The address is right, but it was asked for in a way it does not answer: a "
                "button's address opened as a page, or a form sent to a page that only "
                "shows. Go back and use the links and buttons on the page."
            ),
        )
    if status == 503:
        return (
            _("The site is briefly unavailable"),
            _(
                "It cannot reach its database just now. Please try again in a minute: "
                "everything you saved before is kept."
            ),
        )
    return (
        _("Something went wrong on our side"),
        _(
            "The error has been logged. Please try again in a few minutes: everything you "
            "saved before is kept."
        ),
    )


def error_response(
    request: HttpRequest, status: int, texts: tuple[str, str] | None = None
) -> HttpResponse:
    """The error page for *status* with the title and message of *texts* (by default
    those of the status), as JSON under /api/."""
    title, message = texts or _texts(status)
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        # The API's one error format (materiality.api.problems), also for errors that
        # never reached DRF: an unknown address, a crash.
        # "code" is required there too: clients branch on it.
        codes = {
            400: "invalid",
            403: "permission_denied",
            404: "not_found",
            405: "method_not_allowed",
            503: "unavailable",
        }
        code = codes.get(status, "error")
        body = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": message,
            "code": code,
        }
        response = JsonResponse(body, status=status, content_type="application/problem+json")
    else:
        context = {"title": title, "message": message}
        page: str
        try:
            page = render_to_string("error_page.html", context)
        except Exception:
            # A missing static manifest, a broken template: the error page must still come.
            logger.exception("The %s page could not be rendered", status)
            page = (
                f'<!doctype html><html lang="{escape(get_language())}"><meta charset="utf-8">'
                f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
            )
        response = HttpResponse(page, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_unavailable(error: BaseException | None) -> bool:
    """Whether *error* comes from a database that cannot be reached or answer."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is the one in sys.exc_info().
    return error_response(request, 503 if database_unavailable(sys.exc_info()[1]) else 500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """A form sent without a valid CSRF token: most often a page left open for a long
    time, or a browser that refuses cookies."""
    texts = (
        _("This form has expired"),
        _(
            "The page was open for a long time, or your browser refuses cookies from this "
            "site. Go back, reload the page and send the form again."
        ),
    )
    return error_response(request, 403, texts)
