"""Limits on failed sign-ins, wherever a password is checked: the sign-in page, the
admin's and the API's Basic authentication (each checks the limit before the password;
Django's `user_login_failed` signal counts the failures of all three).

Failures are counted in the shared cache per client address and user name (a password
guessed for one account) and per client address alone (names sprayed from one place),
in fixed windows. Once either count reaches its limit, that address cannot sign in
with that name (or, for the second, at all) until the window ends, even with the right
password. Nothing is counted per name alone: anyone could then lock a colleague out.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext
from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication

from surveys.ratelimits import client_hash, hit, hits

SCOPE = "signin"


def _keys(request: HttpRequest | None, username: str | None) -> tuple[str, str] | None:
    """The counters of this address with this name, and of this address; None when the
    request carries no address (a sign-in from code, not from a client)."""
    client = client_hash(request, SCOPE) if request is not None else ""
    if not client:
        return None
    name = hashlib.sha256((username or "").casefold().encode()).hexdigest()[:32]
    return f"{SCOPE}:{client}:{name}", f"{SCOPE}:{client}"


def signin_blocked(request: HttpRequest | None, username: str | None) -> bool:
    keys = _keys(request, username)
    if keys is None:
        return False
    window = settings.SIGNIN_WINDOW_SECONDS
    pair, address = keys
    return (
        hits(pair, window_seconds=window) >= settings.SIGNIN_FAILURE_LIMIT
        or hits(address, window_seconds=window) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT
    )


def signin_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    """`user_login_failed` receiver: count one failure for the address and the name."""
    keys = _keys(_django_request(request), credentials.get("username"))
    if keys is None:
        return
    for key in keys:
        hit(key, window_seconds=settings.SIGNIN_WINDOW_SECONDS)


def _django_request(request: Any) -> HttpRequest | None:
    """The HttpRequest itself, also when the API's authentication passes DRF's wrapper."""
    request = getattr(request, "_request", request)
    return request if isinstance(request, HttpRequest) else None


def wait_message() -> str:
    minutes = math.ceil(_seconds_left() / 60)
    return ngettext(
        "Too many failed sign-ins from this address. Try again in %(minutes)d minute, "
        "or ask an administrator to set a new password.",
        "Too many failed sign-ins from this address. Try again in %(minutes)d minutes, "
        "or ask an administrator to set a new password.",
        minutes,
    ) % {"minutes": minutes}


def _seconds_left() -> int:
    window = settings.SIGNIN_WINDOW_SECONDS
    return max(1, int(window - time.time() % window))


class SigninForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        # Before the password is checked, so that the message says why, not "wrong password".
        if signin_blocked(self.request, self.data.get("username")):
            raise forms.ValidationError(wait_message(), code="signin_limit")
        return super().clean()


class AdminSigninForm(SigninForm, AdminAuthenticationForm):
    pass


class SigninView(LoginView):
    form_class = SigninForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if any(error.code == "signin_limit" for error in form.errors.as_data().get("__all__", [])):
            response.status_code = 429
            response["Retry-After"] = str(_seconds_left())
        return response


class LimitedBasicAuthentication(BasicAuthentication):
    """HTTP Basic for the API, answering 429 with the reason once the address is over
    its limit."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[Any, None]:
        if signin_blocked(_django_request(request), userid):
            raise exceptions.Throttled(wait=_seconds_left(), detail=wait_message())
        return super().authenticate_credentials(userid, password, request)


class LimitedBasicScheme(BasicScheme):
    """The API's schema (drf-spectacular) describes it as what it is: HTTP Basic."""

    target_class = "materiality.signin.LimitedBasicAuthentication"
