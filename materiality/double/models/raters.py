"""Raters of a DMA and their ratings. A rating is never changed: a change of mind is a
new row, so the history of every (IRO, rater) pair is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.dma import DoubleAssessment, MethodologyVersion
from materiality.double.models.iros import Iro

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

LEVEL_MIN = 1
LEVEL_MAX = 5
CRITERIA = ("scale", "scope", "irremediability", "likelihood", "magnitude")


class RaterRole(models.TextChoices):
    INTERNAL_EXPERT = "internal_expert", _("Internal expert")
    FINANCE_RISK = "finance_risk", _("Finance or risk")
    STAKEHOLDER = "stakeholder", _("Stakeholder representative")
    EXTERNAL_EXPERT = "external_expert", _("External expert")


class Rater(models.Model):
    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="raters",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dma_raters",
    )
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=16, choices=RaterRole.choices)
    # A rater who has rated is never deleted (their ratings are the record); they are
    # taken off the panel instead, and rate no more.
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["dma", "name", "pk"]
        verbose_name = _("rater")
        verbose_name_plural = _("raters")
        constraints = [
            models.UniqueConstraint(
                fields=["dma", "user"],
                condition=models.Q(user__isnull=False),
                name="unique_rater_user_per_dma",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


def _level(verbose_name: StrOrPromise) -> models.PositiveSmallIntegerField[int | None, int | None]:
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[MinValueValidator(LEVEL_MIN), MaxValueValidator(LEVEL_MAX)],
    )


class Rating(models.Model):
    """One rater's rating of one IRO, as given (append-only; `ratings.rating_add` is the
    only writer and enforces which criteria apply)."""

    iro = models.ForeignKey(
        Iro, verbose_name=_("IRO"), on_delete=models.CASCADE, related_name="ratings"
    )
    rater = models.ForeignKey(
        Rater, verbose_name=_("rater"), on_delete=models.PROTECT, related_name="ratings"
    )
    scale = _level(_("scale"))
    scope = _level(_("scope"))
    irremediability = _level(_("irremediability"))
    likelihood = _level(_("likelihood"))
    magnitude = _level(_("financial magnitude"))
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    rationale = models.TextField(_("rationale"))
    methodology_version = models.ForeignKey(
        MethodologyVersion,
        verbose_name=_("methodology version"),
        on_delete=models.PROTECT,
        related_name="ratings",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["iro", "rater", "pk"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        indexes = [models.Index(fields=["iro", "rater", "-id"], name="rating_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    *(
                        models.Q(**{f"{name}__isnull": True})
                        | models.Q(**{f"{name}__gte": LEVEL_MIN, f"{name}__lte": LEVEL_MAX})
                        for name in CRITERIA
                    )
                ),
                name="rating_levels_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="rating_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iro.reference} · {self.rater.name} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        # The history is the record a reviewer reads: a saved rating is never rewritten.
        if not self._state.adding:
            raise ValueError("A rating is never changed: add a new one.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
