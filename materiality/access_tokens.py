"""Creating, using and revoking personal API tokens (the only writer of ApiToken)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from materiality.models import ApiToken
from surveys.tokens import token_digest

TOKEN_PREFIX = "mat_"  # noqa: S105 - not a secret: tells a Materia token apart in a password manager or a leak scan
PREFIX_SHOWN = 8
# Writing the last-used time on every request would turn each read into a write; a
# minute is precise enough for "is this token still in use?".
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


class TokenLimitReached(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def api_token_create(*, user: Any, name: str) -> IssuedToken:
    if ApiToken.objects.filter(user=user, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise TokenLimitReached
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[: len(TOKEN_PREFIX) + PREFIX_SHOWN],
        digest=token_digest(secret),
    )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> bool:
    """Revoke *token*; False if it was revoked already."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    return updated == 1


def api_token_user(secret: str) -> tuple[Any, ApiToken] | None:
    """The active user and token that *secret* belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=token_digest(secret), revoked_at=None)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token


def api_tokens_of(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
