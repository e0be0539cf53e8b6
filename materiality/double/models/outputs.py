"""The report texts of an approved DMA's outputs: what the ESG team writes around the
frozen result (the explanation ESRS 2 §57 asks for when climate change is not material,
the exchange guidelines' Article 5 process description, checklist notes) and its
result for each topic of the 2024 exchange guidelines.

They are report text, not the result: they stay editable after approval, and every
change is recorded in the DMA's trail (`outputs/services.py` is the only writer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.dma import DoubleAssessment
from materiality.double.models.matters import Matter
from surveys.translations import TranslatedTextField, pick

TEXT_MAX_LENGTH = 8000


class TopicOutcome(models.TextChoices):
    """An exchange topic's result (issue 15, item 7)."""

    BOTH = "both", _("Material on both perspectives")
    IMPACT = "impact", _("Material on impact only")
    FINANCIAL = "financial", _("Material on financial only")
    NOT_MATERIAL = "not_material", _("Not material")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class DisclosureText(models.Model):
    """One text of the outputs, by key: `e1-explanation`, `article5-process`, or a
    checklist note `checklist:<matter code>:<part>`."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="disclosure_texts",
    )
    key = models.CharField(_("text"), max_length=120)
    text = TranslatedTextField(
        _("text"), blank=True, multiline=True, text_max_length=TEXT_MAX_LENGTH
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("written at"), auto_now=True)

    class Meta:
        ordering = ["dma", "key"]
        verbose_name = _("disclosure text")
        verbose_name_plural = _("disclosure texts")
        constraints = [
            models.UniqueConstraint(fields=["dma", "key"], name="unique_disclosure_text_key")
        ]

    def __str__(self) -> str:
        return f"{self.dma} · {self.key}"

    def get_text(self, language: str | None = None) -> str:
        return pick(self.text, language)


class TopicResult(models.Model):
    """The ESG team's result for one exchange topic, where it differs from (or fills
    in for) the result prefilled from the approved results."""

    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="topic_results",
    )
    matter = models.ForeignKey(
        Matter, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("result"), max_length=16, choices=TopicOutcome.choices)
    reason = TranslatedTextField(
        _("reason"), blank=True, multiline=True, text_max_length=TEXT_MAX_LENGTH
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        ordering = ["dma", "matter__order"]
        verbose_name = _("exchange topic result")
        verbose_name_plural = _("exchange topic results")
        constraints = [
            models.UniqueConstraint(fields=["dma", "matter"], name="unique_topic_result")
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_outcome_display()}"

    def get_reason(self, language: str | None = None) -> str:
        return pick(self.reason, language)
