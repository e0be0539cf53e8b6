"""One error format for the whole API: problem details (RFC 9457).

Every 4xx and 5xx under /api/ is ``application/problem+json``::

    {"type": "about:blank", "title": "Invalid input.", "status": 400,
     "detail": "Check the fields listed in errors.", "code": "invalid",
     "errors": [{"field": "name.en", "code": "required", "message": "..."}]}

Titles, details and messages are in the language of ``Accept-Language`` (Django's
LocaleMiddleware has activated it). Errors raised outside DRF (an unknown address, a
crash) get the same shape from ``config.errors``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error details as a flat list of {field, code, message}; the field is
    a dotted path ("answers.2.value"), empty for errors of the request as a whole."""
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out += _flatten(value, f"{path}.{name}" if path and name else path or name)
        return out
    if isinstance(detail, list):
        if all(isinstance(item, dict) and "message" in item for item in detail):
            return [
                {
                    "field": path,
                    "code": str(item.get("code", "invalid")),
                    "message": str(item["message"]),
                }
                for item in detail
            ]
        out = []
        for index, value in enumerate(detail):
            # A list of plain messages belongs to *path*; a list of objects is indexed.
            sub = path if not isinstance(value, dict | list) else f"{path}.{index}".lstrip(".")
            out += _flatten(value, sub)
        return out
    if isinstance(detail, exceptions.ErrorDetail):
        return [{"field": path, "code": str(detail.code), "message": str(detail)}]
    return [{"field": path, "code": "invalid", "message": str(detail)}]


def problem(
    status: int,
    title: str,
    detail: str = "",
    *,
    code: str = "error",
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def _titles() -> dict[int, str]:
    return {
        400: _("The request is not valid"),
        401: _("Sign-in needed"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Response format not available"),
        409: _("Conflict with the current state"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        429: _("Too many requests"),
    }


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, its answer reshaped as problem details. Exceptions DRF
    does not handle propagate to Django's handler500 (config.errors), as before."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    title = _titles().get(status, _("Request failed"))
    code = "error"
    errors: list[dict[str, str]] | None = None
    detail = ""
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        errors = _flatten(exc.get_full_details())
        detail = (
            errors[0]["message"]
            if len(errors) == 1 and not errors[0]["field"]
            else _("Check the fields listed in errors.")
        )
    elif isinstance(exc, exceptions.APIException):
        full = exc.get_full_details()
        if isinstance(full, dict) and "message" in full:
            detail, code = str(full["message"]), str(full.get("code", "error"))
        else:
            detail, code = str(exc.detail), exc.default_code
    else:  # Django's Http404 and PermissionDenied, already turned into a status by DRF
        detail = str(response.data.get("detail", "")) if isinstance(response.data, dict) else ""
        code = {404: "not_found", 403: "permission_denied"}.get(status, "error")
    response.data = problem(status, title, detail, code=code, errors=errors)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="Dotted path of the field; empty for the whole request."
    )
    code = serializers.CharField(
        help_text="Machine-readable reason, e.g. required, invalid, max_length."
    )
    message = serializers.CharField(help_text="The reason in the language of Accept-Language.")


class ProblemSerializer(serializers.Serializer):
    """Problem details (RFC 9457), the body of every error response."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    code = serializers.CharField()
    # Not the serializer's own `errors`: DRF takes declared fields off the class.
    errors = ProblemFieldErrorSerializer(many=True, required=False)  # type: ignore[assignment]
