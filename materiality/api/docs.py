"""The API's documentation page, /api/docs/ (Swagger UI), working with no way out to the
internet.

Its files come from our own static files (drf-spectacular-sidecar; setting
SWAGGER_UI_DIST). Swagger UI's start-up script is a file of its own
(SpectacularSwaggerSplitView), so the page needs no inline script; our template drops
the packaged one's inline style. The page gets the site's policy with the one exception
it needs: images as data: URLs (the icons in Swagger UI's stylesheet).

Redoc is not offered: it asks a CDN for its logo and needs inline styles and a blob:
worker, and Swagger UI already renders the same description.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularSwaggerSplitView
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


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = SWAGGER_CONTENT_SECURITY_POLICY
        return response
