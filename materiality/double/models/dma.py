"""A double materiality assessment (DMA) and the methodology versions it is rated under."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.matters import RulePack
from surveys.translations import TranslatedTextField, pick


class DmaFrameworks(models.TextChoices):
    ESRS = "esrs", _("ESRS")
    EXCHANGES = "cn-exchanges", _("Exchange guidelines")
    BOTH = "both", _("ESRS and exchange guidelines")


class DmaStatus(models.TextChoices):
    """The steps of a DMA, in order (ESRS 1 AR 9: context, identify, assess, determine)."""

    CONTEXT = "context", _("Context")
    LONG_LIST = "long_list", _("Long list")
    RATING = "rating", _("Rating")
    RESULTS = "results", _("Results")
    REVIEW = "review", _("Review")
    APPROVED = "approved", _("Approved")


class DoubleAssessment(models.Model):
    name = TranslatedTextField(_("name"), text_max_length=200)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    frameworks = models.CharField(
        _("frameworks"), max_length=16, choices=DmaFrameworks.choices, default=DmaFrameworks.BOTH
    )
    packs = models.ManyToManyField(
        RulePack,
        verbose_name=_("rule packs"),
        related_name="assessments",
        blank=True,
        help_text=_("The pack versions the assessment was built on."),
    )
    survey_assessment = models.ForeignKey(
        "materiality.Assessment",
        verbose_name=_("stakeholder survey"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="double_assessments",
        help_text=_("A two-axis assessment whose scores are shown as evidence."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DmaStatus.choices, default=DmaStatus.CONTEXT
    )
    context = TranslatedTextField(
        _("business context"),
        blank=True,
        multiline=True,
        text_max_length=8000,
        help_text=_(
            "The business model, value chain and stakeholders the assessment starts from "
            "(ESRS 1 AR 9 (a))."
        ),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    magnitude_bands = models.JSONField(
        _("financial magnitude bands"),
        default=list,
        blank=True,
        help_text=_(
            "Five amounts in the currency: the lower bound of magnitude 1 to 5, rising, "
            "as decimal strings."
        ),
    )
    # The methodology settings chosen before rating starts (Settings.as_dict(), decimal
    # strings); frozen as version 1 when rating starts, never read after that.
    methodology_draft = models.JSONField(
        _("methodology settings before rating"),
        default=dict,
        blank=True,
        help_text=_("Frozen as methodology version 1 when rating starts."),
    )
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("double materiality assessment")
        verbose_name_plural = _("double materiality assessments")
        permissions = [
            ("approve_doubleassessment", _("Can approve a DMA's results or send them back"))
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="dma_period_in_order",
            )
        ]

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or f"DMA {self.pk}"


class MethodologyVersion(models.Model):
    """The formulas, scales and thresholds in force, frozen: version 1 when rating
    starts, n + 1 at each later change. Never changed once written."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="methodology_versions",
    )
    number = models.PositiveIntegerField(_("number"))
    settings = models.JSONField(_("settings"))
    note = models.TextField(_("change note"), blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too (as the trail's `actor_name`), so the version still names who
    # froze it where the account is not linked: a DMA restored from a file.
    created_by_name = models.CharField(_("created by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["dma", "number"]
        verbose_name = _("methodology version")
        verbose_name_plural = _("methodology versions")
        constraints = [
            models.UniqueConstraint(fields=["dma", "number"], name="unique_methodology_number")
        ]

    def __str__(self) -> str:
        return _("Methodology version %(number)d") % {"number": self.number}

    @property
    def created_by_username(self) -> str:
        """Who froze the version: the linked account's username, else the name kept ("" when
        nobody is known)."""
        return self.created_by.get_username() if self.created_by else self.created_by_name
