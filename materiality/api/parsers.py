"""JSON bodies as the API reads them: text that the database can store.

JSON may carry a NUL character or half of a surrogate pair ("\\ud800"); Python reads
both, but PostgreSQL refuses NUL in text and UTF-8 cannot encode a lone surrogate, so
either would fail deep inside a query as a 500. They are never meant as text: the
whole body is refused at the door with a 400.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


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
