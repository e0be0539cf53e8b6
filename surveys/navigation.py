"""Steps shown in place: one round trip per step for a browser running the survey's
script, the same pages and checks as without it.

Every POST of the respondent's pages answers with a redirect, so that reloading a page
never sends a form again. On a phone that costs a second round trip per step: the POST,
then the GET of the page it redirects to. `static/js/steps.js` sends the step's form
with the header ``X-Materia-Navigate: in-place``; for such a POST, `in_place` calls the
view the redirect points to itself, as a GET, and answers with that page and its URL in
``X-Materia-Location``. The script shows the page and puts the URL in the address bar
(`history.pushState`), so that reloading it, or going back, is a plain GET, as before.

Nothing is skipped: the page is drawn by its own view, with every check that view makes
(the response read again, the survey still open, ...). Cookies the redirects set (the
response's, the device's, the language) go on the page that answers.
"""

from __future__ import annotations

import copy
from functools import wraps
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import translation
from django.utils.datastructures import MultiValueDict

NAVIGATE_HEADER = "X-Materia-Navigate"
IN_PLACE = "in-place"
LOCATION_HEADER = "X-Materia-Location"
# A step's redirect leads to a page, at most through "continue": more is never followed.
MAX_HOPS = 3


class View(Protocol):
    """A Django view, as the respondent's views' decorators take and give it."""

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse: ...


def in_place(view: View) -> View:
    """Follow the redirect a respondent's POST answers with, in this request, when the
    survey's script asked for it; anything else is answered as the view answers it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        http = view(request, *args, **kwargs)
        if request.method != "POST" or request.headers.get(NAVIGATE_HEADER) != IN_PLACE:
            return http
        return _follow(request, http)

    return wrapper


def _follow(request: HttpRequest, http: HttpResponse) -> HttpResponse:
    """The page at the end of `http`'s redirects within the respondent's pages, drawn
    for a GET of it, with every cookie set on the way; `http` itself if it is not such a
    redirect."""
    cookies = []
    location = ""
    get = _as_get(request)  # one for every hop: what a view keeps on it, the next sees
    for _hop in range(MAX_HOPS):
        target = _respondent_page(http)
        if target is None:
            break
        cookies.append(http.cookies)
        language = http.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if language is not None and language.value:
            # What the browser would send with the GET: the redirect's language.
            translation.activate(language.value)
            request.LANGUAGE_CODE = get.LANGUAGE_CODE = language.value
        location = http["Location"]
        # The page's own address, as a GET of it would have: the language switch of a
        # page sends the respondent back to it (`request.get_full_path`).
        get.path = get.path_info = location
        get.resolver_match = target
        http = target.func(get, *target.args, **target.kwargs)
    if not location:
        return http
    for jar in reversed(cookies):  # the last redirect's value of a cookie is the browser's
        for name, morsel in jar.items():
            if name not in http.cookies:
                http.cookies[name] = morsel
    http[LOCATION_HEADER] = location
    return http


def _respondent_page(http: HttpResponse) -> ResolverMatch | None:
    """The view a redirect leads to, if it is one of the respondent's pages on this site."""
    if http.status_code not in (301, 302, 303) or not http.has_header("Location"):
        return None
    parts = urlsplit(http["Location"])
    if parts.scheme or parts.netloc or parts.query:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.namespace != "surveys":
        return None
    return match


def _as_get(request: HttpRequest) -> HttpRequest:
    """The same request as a GET with no body: what the browser sends after a redirect.
    Its headers (and so its CSRF state and cookies) are the POST's."""
    get = copy.copy(request)
    get.method = "GET"
    get.GET = QueryDict()
    get.POST = QueryDict()
    get.__dict__["_files"] = MultiValueDict()  # what FILES reads: none with a GET
    return get
