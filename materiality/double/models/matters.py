"""Rule packs: the matters a framework asks a company to assess, kept as versioned data.

A pack (ESRS 1 AR 16, the 2024 exchange guidelines) is loaded from a data file under
`materiality/double/packs/`; its paragraph and article references are data too, because
a revision of the standard renumbers them (the 2026 ESRS draft does). A DMA keeps the
pack versions it was built on, so a later version changes no past assessment.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from materiality.models import Dimension, Topic
from surveys.translations import TranslatedTextField, pick

matter_code_validator = RegexValidator(
    r"^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$",
    _("Use letters, digits, dots, hyphens and underscores only."),
)


class PackFramework(models.TextChoices):
    ESRS = "esrs", _("ESRS")
    EXCHANGES = "cn-exchanges", _("2024 exchange sustainability reporting guidelines")


class MatterLevel(models.IntegerChoices):
    TOPIC = 1, _("topic")
    SUB_TOPIC = 2, _("sub-topic")
    SUB_SUB_TOPIC = 3, _("sub-sub-topic")


class Coverage(models.TextChoices):
    FULL = "full", pgettext_lazy("crosswalk coverage", "Full")
    PARTIAL = "partial", pgettext_lazy("crosswalk coverage", "Partial")


class RulePack(models.Model):
    code = models.SlugField(
        _("code"), max_length=64, unique=True, help_text=_("For example esrs-2023.")
    )
    framework = models.CharField(_("framework"), max_length=16, choices=PackFramework.choices)
    version = models.CharField(_("version"), max_length=32)
    name = TranslatedTextField(_("name"), text_max_length=200)
    source = TranslatedTextField(
        _("source"),
        blank=True,
        multiline=True,
        text_max_length=500,
        help_text=_("The legal text the pack is taken from."),
    )
    loaded_at = models.DateTimeField(_("loaded at"), auto_now=True)

    class Meta:
        ordering = ["framework", "-version"]
        verbose_name = _("rule pack")
        verbose_name_plural = _("rule packs")

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or self.code


class Matter(models.Model):
    """A topic, sub-topic or sub-sub-topic of a pack, or a company's own matter."""

    pack = models.ForeignKey(
        RulePack,
        verbose_name=_("rule pack"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(
        _("level"), choices=MatterLevel.choices, default=MatterLevel.TOPIC
    )
    code = models.CharField(_("code"), max_length=64, validators=[matter_code_validator])
    name = TranslatedTextField(_("name"), text_max_length=300)
    reference = models.CharField(
        pgettext_lazy("a clause of a reporting standard", "reference"),
        max_length=64,
        blank=True,
        help_text=_("The paragraph or article that sets it out, e.g. ESRS 1 AR 16, Art. 21–28."),
    )
    dimension = models.CharField(
        _("dimension"), max_length=1, choices=Dimension.choices, blank=True
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    company_specific = models.BooleanField(_("company-specific"), default=False)
    dma = models.ForeignKey(
        "double.DoubleAssessment",
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_matters",
        help_text=_("The assessment a company-specific matter belongs to."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    topics: models.ManyToManyField[Topic, MatterTopic] = models.ManyToManyField(
        Topic, verbose_name=_("topics"), through="MatterTopic", related_name="matters"
    )

    class Meta:
        ordering = ["pack", "order", "pk"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        constraints = [
            models.UniqueConstraint(
                fields=["pack", "code"],
                condition=models.Q(pack__isnull=False),
                name="unique_matter_code_per_pack",
            ),
            models.UniqueConstraint(
                fields=["dma", "code"],
                condition=models.Q(dma__isnull=False),
                name="unique_matter_code_per_dma",
            ),
            # A pack's matter belongs to no DMA; a company's own belongs to exactly one.
            models.CheckConstraint(
                condition=(
                    models.Q(company_specific=False, pack__isnull=False, dma__isnull=True)
                    | models.Q(company_specific=True, pack__isnull=True, dma__isnull=False)
                ),
                name="matter_pack_or_company",
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=3), name="matter_level_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or self.code


class MatterTopic(models.Model):
    """The crosswalk: which matters a topic of the two-axis survey speaks to, so that
    the survey's scores can be shown beside a matter's ratings as evidence."""

    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.CASCADE, related_name="matter_links"
    )
    matter = models.ForeignKey(
        Matter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="topic_links"
    )
    coverage = models.CharField(_("coverage"), max_length=8, choices=Coverage.choices)

    class Meta:
        ordering = ["topic__order", "matter__order"]
        verbose_name = _("crosswalk link")
        verbose_name_plural = _("crosswalk")
        constraints = [
            models.UniqueConstraint(fields=["topic", "matter"], name="unique_matter_topic")
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.matter} ({self.get_coverage_display()})"
