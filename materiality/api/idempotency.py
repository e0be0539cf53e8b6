"""`Idempotency-Key`: a client retrying a write gets the first answer, not a second write.

The semantics (after Stripe's, which most integrators know):

* The client makes up a key per operation (a UUID, at most 255 printable ASCII
  characters) and sends it with each try of that operation.
* The first request that succeeds keeps its answer (status and body) under the key, for
  RETENTION. A retry with the same key and the same body, on the same link, gets that
  answer again, with `Idempotent-Replayed: true`, and writes nothing.
* The same key with another body is refused (409, code `idempotency_key_reused`): a key
  names one operation, never two.
* Only successes are kept. A refused request (400, 404, 409, 429) stored nothing, so its
  retry is judged again: after the limit's wait, after a fix of the body, …
* Two tries arriving together are serialised by the database (a unique key): the second
  waits for the first to commit, then replays its answer; if the first failed, the
  second runs.

Keys are stored as digests under their scope (the operation and the link), never in
the clear; rows older than RETENTION are ignored and removed by
`idempotent_requests_expire` (and a key reused after that counts as new).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from materiality.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=24)

KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes a retry safe: the same key with the same body, within 24 hours, answers "
        "the first success again (with `Idempotent-Replayed: true`) and stores nothing "
        "more; the same key with another body is refused with 409 "
        "(`idempotency_key_reused`). Only successes are kept. A UUID is a good key; at "
        "most 255 printable ASCII characters."
    ),
)


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_reused"

    def __init__(self, detail: str, code: str = "idempotency_key_reused") -> None:
        super().__init__(detail, code)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    """The request's key, None without one; 400 for a key that is not one."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        message = _("Give at most %(max)d printable ASCII characters.") % {"max": MAX_KEY_LENGTH}
        raise ValidationError({HEADER: [message]}, code="invalid")
    return key


def request_digest(data: Any) -> str:
    """The body as the server understood it, so that spacing and key order do not count."""
    return _digest(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


class Idempotency:
    """One operation's key. Call `replay()` inside the transaction that does the work,
    first; it returns the kept answer to send back, or None after reserving the key for
    this request, whose answer `keep()` then stores (in the same transaction, so that a
    failure keeps nothing)."""

    def __init__(self, *, scope: str, key: str, body: Any) -> None:
        self.scope = _digest(scope)
        self.key = _digest(f"{self.scope}:{key}")
        self.body = request_digest(body)

    def replay(self) -> Response | None:
        mine = IdempotentRequest.objects.filter(scope=self.scope, key=self.key)
        mine.filter(created_at__lt=timezone.now() - RETENTION).delete()
        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(
                    scope=self.scope, key=self.key, request_digest=self.body, status=0
                )
            return None
        except IntegrityError:
            kept = mine.get()
        if kept.request_digest != self.body:
            raise IdempotencyConflict(
                _(
                    "This Idempotency-Key was used with another request body. Use a new key "
                    "for a new request."
                )
            )
        answer = Response(kept.body, status=kept.status)
        answer[REPLAYED_HEADER] = "true"
        return answer

    def keep(self, answer: Response) -> Response:
        IdempotentRequest.objects.filter(scope=self.scope, key=self.key).update(
            status=answer.status_code, body=answer.data
        )
        return answer


def idempotent_requests_expire() -> int:
    """Remove the answers kept longer than RETENTION; how many were removed. For a
    periodic task (Celery beat); the requests themselves ignore expired rows."""
    _count, by_model = IdempotentRequest.objects.filter(
        created_at__lt=timezone.now() - RETENTION
    ).delete()
    return by_model.get(IdempotentRequest._meta.label, 0)
