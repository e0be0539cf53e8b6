"""How the API knows who is calling.

- ``Authorization: Bearer mat_…``: a personal API token (materiality.access_tokens);
- the browser's session (with its CSRF check on writes);
- HTTP Basic, only where ``API_BASIC_AUTH`` is on, every password counted against the
  sign-in limit (materiality.signin).

The token scheme comes first so that a call with no credentials is answered 401 with
``WWW-Authenticate: Bearer``, as HTTP asks, rather than DRF's 403 for sessions.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from materiality.access_tokens import api_token_user

SCHEME = "Bearer"
REALM = "Materia API"


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != SCHEME.lower().encode():
            return None  # not ours: let the next scheme try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give the token after “Bearer” with one space and nothing else.")
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        found = api_token_user(secret)
        if found is None:
            raise exceptions.AuthenticationFailed(
                _(
                    "This API token is not valid: it may have been revoked. Create a new one "
                    "on your account page."
                )
            )
        return found

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="{REALM}"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "materiality.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the account page (/account/tokens/).",
        }
