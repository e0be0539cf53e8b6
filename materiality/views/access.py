"""Access rules for the ESG pages: logged in, and holding a permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404

from materiality.models import Assessment

View = Callable[..., HttpResponseBase]


def permission_required(perm: str) -> Callable[[View], View]:
    """Logged in (else the login page) and holding `perm` (else 403)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_assessment(pk: int) -> Assessment:
    return get_object_or_404(Assessment.objects.select_related("survey"), pk=pk)
