"""Unguessable tokens for invitation and resume links.

Only a token's SHA-256 digest is stored, so a database leak reveals no working link (a
slow password hash is not needed: tokens are random, not chosen by people).

Resume tokens are 192 random bits, shown once. Invitation tokens must be shown again
(a reminder e-mail, the QR code of a group link), so they are derived instead:
HMAC-SHA256 of a random per-invitation salt under SECRET_KEY, 192 bits kept. Without
the key the database alone still yields no link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

TOKEN_BYTES = 24  # 192 bits; at least 128 are required
HINT_LENGTH = 6
# URL-safe base64 of a sane length: what any token of ours looks like.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_salt() -> str:
    return secrets.token_hex(16)


def derived_token(salt: str, key: str) -> str:
    mac = hmac.new(key.encode(), f"materia-invitation:{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:TOKEN_BYTES]).decode().rstrip("=")


def find_derived_token(salt: str, digest: str, keys: Iterable[str]) -> str | None:
    """The token whose digest is stored, derived under the current key or a fallback one
    (after SECRET_KEY rotation); None if no key gives it."""
    for key in keys:
        token = derived_token(salt, key)
        if hmac.compare_digest(token_digest(token), digest):
            return token
    return None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hint(token: str) -> str:
    return token[:HINT_LENGTH]


def looks_like_token(value: str) -> bool:
    """Cheap shape check before any database look-up (URL-safe base64, sane length)."""
    return _TOKEN_SHAPE.fullmatch(value) is not None


def client_digest(ip_address: str, salt: str) -> str:
    """A keyed digest of the client's address: enough to notice many responses from one
    place, without storing the address itself."""
    return hmac.new(salt.encode(), ip_address.encode(), hashlib.sha256).hexdigest()
