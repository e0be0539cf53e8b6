"""Pages of API lists: limit/offset with a maximum, and a 400 for a value out of range.

DRF's own LimitOffsetPagination quietly falls back to the default for ``limit=abc`` and
passes a huge offset on to the database, which overflows there (a 500).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000  # far beyond any table here, far below what overflows a bigint


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    given = request.query_params.getlist(name)
    if len(given) > 1:
        message = _("Give %(name)s once.") % {"name": name}
        raise ValidationError({name: [message]}, code="invalid")
    if not given:
        return default
    raw = given[0]
    text = raw.strip()
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None
    if value is None or not low <= value <= high:
        message = _("Must be a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        raise ValidationError({name: [message]}, code="invalid")
    return value


class BoundedPagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _bounded(request, self.limit_query_param, DEFAULT_LIMIT, 1, MAX_LIMIT)

    def get_offset(self, request: Request) -> int:
        return _bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
            self.offset_query_param: {"minimum": 0, "maximum": MAX_OFFSET, "default": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
