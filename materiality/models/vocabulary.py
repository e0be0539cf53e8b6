"""The ESG vocabulary: topics and stakeholder groups.

Both are referenced by assessments of many reporting periods, so neither is ever
deleted: a topic or group that is no longer used is retired (``active = False``) and
keeps every past answer and score pointing at it.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from surveys.translations import TranslatedTextField, pick

code_validator = RegexValidator(
    r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$",
    _("Use lower-case letters, digits, hyphens and underscores only."),
)


class Dimension(models.TextChoices):
    ENVIRONMENTAL = "E", _("Environmental")
    SOCIAL = "S", _("Social")
    GOVERNANCE = "G", _("Governance")


class Framework(models.TextChoices):
    GRI = "GRI", _("GRI Standards")
    SASB = "SASB", _("SASB Standards")
    SDG = "SDG", _("UN Sustainable Development Goals")
    NASDAQ = "NASDAQ", _("Nasdaq ESG Reporting Guide 2.0")
    STRATEGY = "STRATEGY", _("Company ESG strategy")


class VocabularyQuerySet(models.QuerySet):
    def active(self) -> VocabularyQuerySet:
        return self.filter(active=True)


class Topic(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        validators=[code_validator],
        help_text=_("Stable identifier used in exports and the API; never reused."),
    )
    name = TranslatedTextField(_("name"), text_max_length=120)
    description = TranslatedTextField(
        _("description"),
        blank=True,
        multiline=True,
        text_max_length=500,
        help_text=_("One or two sentences shown to respondents under the topic name."),
    )
    dimension = models.CharField(_("dimension"), max_length=1, choices=Dimension.choices)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Retired topics keep their history.")
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or self.code


class TopicReference(models.Model):
    """Where a topic comes from: a GRI disclosure, an SDG target, a Nasdaq metric, …
    (the screening sources a GRI 3-1 disclosure describes)."""

    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="references"
    )
    framework = models.CharField(_("framework"), max_length=16, choices=Framework.choices)
    reference = models.CharField(
        pgettext_lazy("a clause of a reporting standard", "reference"),
        max_length=64,
        help_text=_("For example GRI 418, SDG 8.10, G7."),
    )
    title = TranslatedTextField(_("title"), blank=True, text_max_length=200)

    class Meta:
        ordering = ["framework", "reference"]
        verbose_name = _("topic reference")
        verbose_name_plural = _("topic references")
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "framework", "reference"], name="unique_topic_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.framework} {self.reference}"


class StakeholderGroup(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True, validators=[code_validator])
    name = TranslatedTextField(_("name"), text_max_length=120)
    description = TranslatedTextField(_("description"), blank=True, multiline=True)
    internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Internal stakeholders (such as employees) work inside the company."),
    )
    default_weight = models.DecimalField(
        _("default weight"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Used when an assessment weighs groups with custom weights."),
    )
    concerns = TranslatedTextField(
        _("topics of concern"), blank=True, multiline=True, text_max_length=500
    )
    channels = TranslatedTextField(
        _("communication channels"), blank=True, multiline=True, text_max_length=500
    )
    frequency = TranslatedTextField(_("frequency"), blank=True, text_max_length=120)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("stakeholder group")
        verbose_name_plural = _("stakeholder groups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_weight__gte=0), name="stakeholder_weight_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or self.code
