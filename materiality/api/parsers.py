"""JSON bodies as the API reads them: text that the database can store, in a shape no
request of the API goes beyond.

JSON may carry a NUL character or half of a surrogate pair ("\\ud800"); Python reads
both, but PostgreSQL refuses NUL in text and UTF-8 cannot encode a lone surrogate, so
either would fail deep inside a query as a 500. They are never meant as text: the
whole body is refused at the door with a 400.

JSON may also nest arrays and objects without end: `[[[[…]]]]` ten thousand deep stops
Python's decoder (RecursionError), and one a few hundred deep, though read, would stop
any code that walks it by recursion (a serializer, the idempotency digest). No body of
the API nests more than a few levels; one deeper than `MAX_DEPTH` is refused with a 400.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

# The deepest body of the API (a texts object inside an item of a list inside the body)
# nests four levels; 32 leaves room without letting a body reach Python's recursion limit.
MAX_DEPTH = 32


def _is_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_deep() -> str:
    return _("The body nests arrays or objects too deeply (at most %(depth)d levels).") % {
        "depth": MAX_DEPTH
    }


def _problem(data: Any) -> str:
    """Why the API does not take *data*, or "" when it does. Walked with a list, not by
    recursion: the depth is what is checked."""
    not_text = _("The body holds characters that are not text (NUL or half a surrogate pair).")
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not _is_text(value):
                return not_text
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                return _too_deep()
            if isinstance(value, dict):
                if not all(_is_text(key) for key in value):
                    return not_text
                value = value.values()
            pending.extend((item, depth + 1) for item in value)
    return ""


class TextJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # Python's decoder stops at its recursion limit
            raise ParseError(_too_deep()) from None
        problem = _problem(data)
        if problem:
            raise ParseError(problem)
        return data


class FormRefusingNegotiation(DefaultContentNegotiation):
    """Refuses a form body with a 415 where the view reads JSON only.

    `config.middleware.RequestBodyMiddleware` reads every form body before any view (to
    answer an unreadable one with a 400), so DRF finds the stream spent and would parse
    the body as empty: a multipart POST to a JSON endpoint answered "this field is
    required" instead of naming the media type. The check sits here because negotiation
    runs first on every API call, before authentication and the handler.
    """

    def select_renderer(self, request: Request, renderers: Any, format_suffix: Any = None) -> Any:
        media_type = request.content_type.split(";")[0].strip().lower()
        if (
            request.method not in ("GET", "HEAD", "OPTIONS", "DELETE")
            and media_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            and not any(parser.media_type == media_type for parser in request.parsers or ())
            # An empty form is no body: `POST` without data (an action) stays allowed.
            and (request._request.POST or request._request.FILES)
        ):
            raise UnsupportedMediaType(media_type)
        return super().select_renderer(request, renderers, format_suffix)
