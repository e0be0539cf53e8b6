"""The OpenAPI description (drf-spectacular) documents every error an operation can answer.

Each operation gets the problem-details responses that can really happen to it: 401 and
403 where a sign-in is needed, 404 where the path names an object, 400 everywhere (a
body or query parameters that are not valid; on any operation, a query string with a NUL
character, refused before any view by `config.middleware`), 415 where it takes a body,
429 where it is throttled.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from materiality.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid: see `errors` for each field (or the query string "
    "holds a NUL character).",
    "401": "No credentials, or credentials that are not valid (see WWW-Authenticate).",
    "403": "Signed in, but this account's role does not allow it.",
    "404": "No such object, or not one this account can see.",
    "409": "The object's state does not allow it now (see `detail`).",
    "415": "The body is not in a media type this operation reads.",
    "429": "Too many requests: wait the number of seconds in Retry-After.",
}


class ApiSchema(AutoSchema):
    # Statuses a view declares for itself, beyond the ones worked out here (e.g. 409).
    def _error_statuses(self) -> list[str]:
        statuses: list[str] = ["400"]  # at least for a NUL in the query string
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        takes_body = self.method in ("POST", "PUT", "PATCH")
        if not public:
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        statuses += [str(code) for code in getattr(self.view, "extra_error_statuses", ())]
        if takes_body:
            statuses.append("415")
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for status in self._error_statuses():
            if status in bodies:
                continue
            body = self._get_response_for_code(
                ProblemSerializer, status, media_types=[PROBLEM_CONTENT_TYPE], direction=direction
            )
            body["description"] = ERROR_DESCRIPTIONS[status]
            if status == "429":
                body["headers"] = {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": "Seconds to wait before trying again.",
                    }
                }
            if status == "401":
                body["headers"] = {
                    "WWW-Authenticate": {
                        "schema": {"type": "string"},
                        "description": "The scheme to sign in with: Bearer (an API token).",
                    }
                }
            bodies[status] = body
        return bodies
