"""Answers kept for `Idempotency-Key`: a client that retries a write (a timeout, a lost
connection) gets the first answer again instead of writing twice (materiality.api.idempotency).

Neither the key nor what it protects is stored in the clear: `scope` is a digest of the
operation and the link's token, `key` a digest of the key under that scope."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotentRequest(models.Model):
    scope = models.CharField(_("scope digest"), max_length=64)
    key = models.CharField(_("key digest"), max_length=64)
    request_digest = models.CharField(_("request digest"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"))
    body = models.JSONField(_("body"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]}… ({self.status})"
