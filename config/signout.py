"""Logging out. Django's `LogoutView` takes only POST (since 5.0: a link or a prefetch
must not sign anyone out), so `/accounts/logout/` opened from a bookmark or typed in
answered an empty 405. A GET now shows a page with the "Log out" button (a POST with its
CSRF token, as the header's), or, for someone signed out already, a link to sign in; it
signs nobody out by itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


class LogoutView(auth_views.LogoutView):
    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # `next` only where it is safe (this site), as the POST itself checks it.
        context = {"next": self.get_redirect_url()}
        return TemplateResponse(request, "registration/logout.html", context)
