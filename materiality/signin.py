"""Limits on failed sign-ins, wherever a password is checked: the sign-in page, the
admin's and the API's Basic authentication.

Attempts are counted in the cache (Redis in production) per client address and user
name (a password guessed for one account) and per client address (names sprayed from
one place; an IPv6 client's /64), in fixed windows. Every attempt is counted *before*
its password is checked, atomically, and given back when it succeeds: simultaneous
guesses cannot all slip under the limit. Past either limit that address cannot sign in
with that name (or, for the second, at all) until the window ends, even with the right
password. Nothing is counted per name alone, so guessing from elsewhere cannot lock a
colleague out; only a request without any client address (a misconfigured proxy) is
counted by name alone, rather than not at all.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext
from drf_spectacular.authentication import BasicScheme
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication

from surveys.ratelimits import client_hash, hit, seconds_left, unhit

SCOPE = "signin"


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt counted in advance; `succeeded` gives it back."""

    keys: tuple[str, ...]

    def succeeded(self) -> None:
        for key in self.keys:
            unhit(key, window_seconds=settings.SIGNIN_WINDOW_SECONDS)


def signin_attempt(request: HttpRequest | None, username: str | None) -> Attempt | None:
    """Count an attempt to sign in as `username` from the request's address; None (and
    no password may be checked) once the address is over a limit. A sign-in from code,
    without a request, is not counted."""
    if request is None:
        return Attempt(keys=())
    # The name as Django compares it (NFKC, no surrounding spaces), and one counter for
    # every spelling of it: "Alice", "alice " and "alice" in full-width letters are one.
    name = unicodedata.normalize("NFKC", username or "").strip().casefold()
    client = client_hash(request, SCOPE)
    pair = f"{SCOPE}:{client}:{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    limits = {pair: settings.SIGNIN_FAILURE_LIMIT}
    if client:
        limits[f"{SCOPE}:{client}"] = settings.SIGNIN_ADDRESS_FAILURE_LIMIT
    window = settings.SIGNIN_WINDOW_SECONDS
    over = [hit(key, window_seconds=window) > limit for key, limit in limits.items()]
    return None if any(over) else Attempt(keys=tuple(limits))


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
    return seconds_left(settings.SIGNIN_WINDOW_SECONDS)


class SigninForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()  # nothing to check: the field errors say what is missing
        attempt = signin_attempt(self.request, username)
        if attempt is None:  # before the password is checked: say why, not "wrong password"
            raise forms.ValidationError(wait_message(), code="signin_limit")
        cleaned = super().clean()  # a wrong password raises: the attempt stays counted
        attempt.succeeded()
        return cleaned


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


class SigninLimited(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "signin_limit"

    def __init__(self) -> None:
        super().__init__(wait_message())
        self.wait = _seconds_left()  # DRF's exception handler sends it as Retry-After


class LimitedBasicAuthentication(BasicAuthentication):
    """HTTP Basic for the API, every password check counted as a sign-in attempt; a JSON
    429 with the reason once the address is over its limit."""

    def authenticate_credentials(
        self, userid: str, password: str, request: Any = None
    ) -> tuple[Any, None]:
        attempt = signin_attempt(_django_request(request), userid)
        if attempt is None:
            raise SigninLimited
        credentials = super().authenticate_credentials(userid, password, request)
        attempt.succeeded()  # only reached with the right password
        return credentials


class LimitedBasicScheme(BasicScheme):
    """The API's schema (drf-spectacular) describes it as what it is: HTTP Basic."""

    target_class = "materiality.signin.LimitedBasicAuthentication"
