"""The API's documentation pages, /api/docs/ (Swagger UI) and /api/redoc/ (Redoc), working
with no way out to the internet.

Their files come from our own static files (drf-spectacular-sidecar; settings
SWAGGER_UI_DIST/REDOC_DIST). Swagger UI's start-up script is a file of its own
(SpectacularSwaggerSplitView), so the page needs no inline script; our templates drop
the packaged ones' inline style and Redoc's web fonts from Google. Each page gets the
site's policy with the smallest exceptions it needs: images as data: URLs (the icons
in Swagger UI's stylesheet) and, for Redoc only, the styles it writes into the page and
the search worker it starts from a blob: URL.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(**exceptions: str) -> str:
    directives = {
        **_POLICY,
        **{name.replace("_", "-"): value for name, value in exceptions.items()},
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


SWAGGER_CONTENT_SECURITY_POLICY = _policy()
REDOC_CONTENT_SECURITY_POLICY = _policy(
    style_src="'self' 'unsafe-inline'", worker_src="'self' blob:"
)


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = SWAGGER_CONTENT_SECURITY_POLICY
        return response


class ApiRedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_CONTENT_SECURITY_POLICY
        return response
