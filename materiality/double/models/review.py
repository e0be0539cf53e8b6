"""The review of a DMA's results: decision notes (and overrides) per matter, and the
approval that freezes the scored results.

Both are append-only: a changed decision is a new row (the latest per matter and
perspective is in force), and an approval is never changed afterwards.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.dma import DoubleAssessment
from materiality.double.models.matters import Matter


class Perspective(models.TextChoices):
    IMPACT = "impact", _("Impact materiality")
    FINANCIAL = "financial", _("Financial materiality")
    BOTH = "both", _("Both perspectives")


class MatterDecision(models.Model):
    """The documented judgement on one matter's result: always a note; a final value
    beside the computed one only with a reason and an approver (issue 15, item 5)."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    matter = models.ForeignKey(
        Matter, verbose_name=_("matter"), on_delete=models.PROTECT, related_name="+"
    )
    perspective = models.CharField(
        _("perspective"), max_length=12, choices=Perspective.choices, default=Perspective.BOTH
    )
    # Copied from the scoring when the decision is taken, so the pair stays readable.
    computed_value = models.DecimalField(
        _("computed value"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    computed_material = models.BooleanField(_("computed conclusion: material"), default=False)
    final_value = models.DecimalField(
        _("final value"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    material_final = models.BooleanField(_("final conclusion: material"), default=False)
    note = models.TextField(_("decision note"))
    reason = models.TextField(_("reason for the override"), blank=True)
    approver = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too (as the trail's `actor_name`), so the decision still names its
    # approver where the account is not linked: a DMA restored from a file.
    approver_name = models.CharField(_("approved by (name)"), max_length=150, blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the decision still names who recorded it where the account is
    # not linked (a DMA restored from a file).
    created_by_name = models.CharField(_("recorded by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["dma", "matter", "perspective", "-pk"]
        verbose_name = _("matter decision")
        verbose_name_plural = _("matter decisions")

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_perspective_display()}"

    @property
    def overridden(self) -> bool:
        return (
            self.final_value is not None and self.final_value != self.computed_value
        ) or self.material_final != self.computed_material

    @property
    def approver_username(self) -> str:
        """Who approved the override: the linked account's username, else the name kept
        ("" when nobody did)."""
        return self.approver.get_username() if self.approver else self.approver_name

    @property
    def created_by_username(self) -> str:
        """Who recorded the decision: the linked account's username, else the name kept."""
        return self.created_by.get_username() if self.created_by else self.created_by_name


class DmaApproval(models.Model):
    """The decision group's approval: the scored results as they stood, frozen as JSON,
    so nothing done later can alter what was approved."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="approvals",
    )
    methodology_number = models.PositiveIntegerField(_("methodology version"))
    results = models.JSONField(_("approved results"))
    note = models.TextField(_("note"), blank=True)
    approved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the approval still names who gave it if the account goes or
    # is not linked (a DMA restored from a file).
    approved_by_name = models.CharField(_("approved by (name)"), max_length=150, blank=True)
    approved_at = models.DateTimeField(_("approved at"), auto_now_add=True)

    class Meta:
        ordering = ["dma", "-pk"]
        verbose_name = _("DMA approval")
        verbose_name_plural = _("DMA approvals")

    def __str__(self) -> str:
        return f"{self.dma} · {self.approved_at:%Y-%m-%d}"

    @property
    def approved_by_username(self) -> str:
        """Who approved: the linked account's username, else the name kept."""
        return self.approved_by.get_username() if self.approved_by else self.approved_by_name
