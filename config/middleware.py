"""Site-wide middleware: the query string and forms read once at the door, an error page
for an empty 405, and a strict Content-Security-Policy.

`RequestBodyMiddleware` reads a POSTed form before the CSRF check or a view does. A body
that cannot be read (a charset other than UTF-8 for a URL-encoded form, an unknown one,
a broken multipart body, too many fields) is answered with the 400 page here, with DEBUG
on or off; otherwise Django raises again wherever the form is read next, its 400 handler
and debug page included, and the visitor gets a 500. A query string with a NUL character
in a name or a value (`?q=%00`) is answered the same way, for every method: PostgreSQL
cannot take NUL in text, and a search box or an admin filter given one failed deep in a
query with a 500. (A NUL in a form's field is refused by the form, as Django's fields
refuse it; in a JSON body by `materiality.api.parsers`.)

`MethodNotAllowedPageMiddleware` gives an empty 405 (Django's `require_POST`, its views'
`http_method_not_allowed`) the site's error page, keeping its `Allow` header.

`ContentSecurityPolicyMiddleware` sets the policy below on every response. The site runs
no inline script and no inline style (its scripts, in `static/js/`, are files), so
the policy allows neither; nothing comes from another origin, no plugin runs,
no page can be framed, and forms post only to the site itself.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from config.errors import bad_request, error_response

logger = logging.getLogger(__name__)

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# An SVG file opened on its own (the matrix, a QR code) styles itself with inline styles,
# as matplotlib writes it; it may do that, and nothing else.
SVG_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ]
)


def _unreadable(request: HttpRequest) -> str:
    """Why the form of *request* cannot be read, or "" once it has been read."""
    charset = (request.content_params or {}).get("charset")
    if charset is not None:
        try:
            name = codecs.lookup(charset).name
        except LookupError:
            return f"unknown charset {charset!r}"
        if name == "utf-8":
            request.encoding = "utf-8"  # "UTF8", "utf_8": Django accepts only "utf-8"
        elif request.content_type == URLENCODED:
            return f"a URL-encoded form in {charset!r}, not UTF-8"
    try:
        request.POST  # noqa: B018 - reads the form, once
    except SuspiciousOperation as error:  # too many fields or files, too big
        # Logged where Django logs it, for alerts that watch django.security; a warning, as
        # there (config/logs.py): the client's doing.
        logging.getLogger(f"django.security.{error.__class__.__name__}").warning(
            "%s: %s", error, request.path
        )
        return str(error)
    except (BadRequest, MultiPartParserError, UnreadablePostError) as error:
        return str(error) or error.__class__.__name__
    return ""


def _nul_in_query(request: HttpRequest) -> bool:
    return any(
        "\x00" in name or any("\x00" in value for value in values)
        for name, values in request.GET.lists()
    )


class RequestBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _nul_in_query(request):
            logger.warning("A NUL character in the query string: %s", request.path)
            return bad_request(request)
        if request.method == "POST" and request.content_type in (URLENCODED, MULTIPART):
            problem = _unreadable(request)
            if problem:
                logger.warning("Unreadable form (%s): %s", problem, request.path)
                return bad_request(request)
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            page = error_response(request, 405)
            # The same response, its headers (Allow) and cookies kept: only a body added.
            response.content = page.content
            response["Content-Type"] = page["Content-Type"]
            # CommonMiddleware, inside this one, set the empty body's length (0): a server
            # sends that many bytes, so the length must be the page's.
            response["Content-Length"] = str(len(response.content))
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        if settings.DEBUG and response.status_code >= 400:
            # Django's debug pages (DEBUG only) are styled and scripted inline.
            return response
        if response.get("Content-Type", "").startswith("image/svg+xml"):
            response["Content-Security-Policy"] = SVG_CONTENT_SECURITY_POLICY
        else:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
