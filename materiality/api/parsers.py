"""JSON bodies as the API reads them: text that the database can store.

JSON may carry a NUL character or half of a surrogate pair ("\\ud800"); Python reads
both, but PostgreSQL refuses NUL in text and UTF-8 cannot encode a lone surrogate, so
either would fail deep inside a query as a 500. They are never meant as text: the
whole body is refused at the door with a 400.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.request import Request


def _is_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_text(data: Any) -> bool:
    if isinstance(data, str):
        return _is_text(data)
    if isinstance(data, dict):
        return all(_is_text(key) and _all_text(value) for key, value in data.items())
    if isinstance(data, list):
        return all(_all_text(item) for item in data)
    return True


class TextJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if not _all_text(data):
            raise ParseError(
                _("The body holds characters that are not text (NUL or half a surrogate pair).")
            )
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
