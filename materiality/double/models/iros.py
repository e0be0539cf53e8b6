"""The IRO register: the impacts, risks and opportunities of a DMA, each on a matter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.dma import DoubleAssessment
from materiality.double.models.matters import Matter
from surveys.translations import TranslatedTextField, pick


class IroKind(models.TextChoices):
    IMPACT = "impact", _("Impact")
    RISK = "risk", _("Risk")
    OPPORTUNITY = "opportunity", _("Opportunity")


class Polarity(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class Actuality(models.TextChoices):
    ACTUAL = "actual", _("Actual")
    POTENTIAL = "potential", _("Potential")


class ValueChainStage(models.TextChoices):
    UPSTREAM = "upstream", _("Upstream")
    OWN_OPERATIONS = "own_operations", _("Own operations")
    DOWNSTREAM = "downstream", _("Downstream")


class Involvement(models.TextChoices):
    CAUSED = "caused", _("Caused")
    CONTRIBUTED = "contributed", _("Contributed to")
    LINKED = "linked", _("Directly linked")


class Horizon(models.TextChoices):
    SHORT = "short", _("Short term")
    MEDIUM = "medium", _("Medium term")
    LONG = "long", _("Long term")


class IroSource(models.TextChoices):
    SURVEY = "survey", _("Stakeholder survey")
    PEER_REVIEW = "peer_review", _("Peer review")
    REGULATION = "regulation", _("Regulation")
    RISK_REGISTER = "risk_register", _("Risk register")
    MEDIA = "media", _("Media")
    EXPERT = "expert", _("Expert judgement")
    OTHER = "other", _("Other")


NATURE = "nature"  # an affected stakeholder that is not a person (ESRS 1 §43: "silent")


class Iro(models.Model):
    """One impact, risk or opportunity. Multi-valued fields (stages, horizons, affected
    stakeholders) are short JSON lists of codes, read the same on SQLite and PostgreSQL;
    `register.iro_create`/`iro_update` are the only writers and check them."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="iros",
    )
    reference = models.CharField(
        _("reference"),
        max_length=32,
        help_text=_("A stable code such as IRO-001, used to update the register from a file."),
    )
    matter = models.ForeignKey(
        Matter, verbose_name=_("matter"), on_delete=models.PROTECT, related_name="iros"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=IroKind.choices)
    title = TranslatedTextField(_("title"), text_max_length=300)
    description = TranslatedTextField(
        _("description"), blank=True, multiline=True, text_max_length=4000
    )
    polarity = models.CharField(_("polarity"), max_length=8, choices=Polarity.choices, blank=True)
    actuality = models.CharField(
        _("actual or potential"), max_length=9, choices=Actuality.choices, blank=True
    )
    human_rights = models.BooleanField(_("human rights"), default=False)
    value_chain = models.JSONField(_("value-chain stages"), default=list, blank=True)
    involvement = models.CharField(
        _("involvement"), max_length=12, choices=Involvement.choices, blank=True
    )
    horizons = models.JSONField(_("time horizons"), default=list, blank=True)
    stakeholders = models.JSONField(_("affected stakeholders"), default=list, blank=True)
    financial_effect = TranslatedTextField(
        _("financial effect"), blank=True, multiline=True, text_max_length=4000
    )
    source = models.CharField(_("source"), max_length=16, choices=IroSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["dma", "reference"]
        verbose_name = _("impact, risk or opportunity")
        verbose_name_plural = _("impacts, risks and opportunities")
        constraints = [
            models.UniqueConstraint(fields=["dma", "reference"], name="unique_iro_reference"),
            # Polarity, actuality and involvement describe impacts only.
            models.CheckConstraint(
                condition=models.Q(kind="impact")
                | models.Q(polarity="", actuality="", involvement="", human_rights=False),
                name="iro_impact_fields_on_impacts_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_title()}"

    def get_title(self, language: str | None = None) -> str:
        return pick(self.title, language) or self.reference
