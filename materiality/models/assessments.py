"""Assessments: a reporting period's topics, groups, axes and scale, owning its questionnaire."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.models.vocabulary import StakeholderGroup, Topic
from surveys.translations import TranslatedTextField, pick

# --- Assessments -------------------------------------------------------------------------

COMPANY_AXIS = "company"
STAKEHOLDER_AXIS = "stakeholder"
AXES = (COMPANY_AXIS, STAKEHOLDER_AXIS)


class Assessment(models.Model):
    """One reporting period's materiality exercise. It owns its questionnaire (a survey
    generated from its topics × the two axes); topics and wording freeze when it opens.
    Title, status and dates live on that survey, the one place respondents read them."""

    survey = models.OneToOneField(
        "surveys.Survey",
        verbose_name=_("survey"),
        on_delete=models.PROTECT,
        related_name="assessment",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    topics: models.ManyToManyField[Topic, AssessmentTopic] = models.ManyToManyField(
        Topic, verbose_name=_("topics"), through="AssessmentTopic", related_name="assessments"
    )
    groups: models.ManyToManyField[StakeholderGroup, AssessmentGroup] = models.ManyToManyField(
        StakeholderGroup,
        verbose_name=_("stakeholder groups"),
        through="AssessmentGroup",
        related_name="assessments",
    )
    scale_min = models.PositiveSmallIntegerField(_("scale minimum"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("scale maximum"), default=5)
    scale_labels = models.JSONField(_("scale labels"), default=dict, blank=True)
    company_axis_label = TranslatedTextField(_("company axis"), text_max_length=120)
    stakeholder_axis_label = TranslatedTextField(_("stakeholder axis"), text_max_length=120)
    scoring = models.JSONField(
        _("scoring options"),
        default=dict,
        blank=True,
        help_text=_("Weighting, axis source, thresholds and quality filters for new runs."),
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous assessment"),
        help_text=_("For year-over-year comparison."),
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
    published_run = models.OneToOneField(
        "AggregationRun",
        verbose_name=_("published run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The confirmed run whose results go into the report."),
    )

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="assessment_period_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(scale_min__lt=models.F("scale_max"), scale_max__lte=10),
                name="assessment_scale_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.get_title()

    def get_title(self, language: str | None = None) -> str:
        return pick(self.survey.title, language)

    @property
    def status(self) -> str:
        return self.survey.status


class AssessmentTopic(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE
    )
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("assessment topic")
        verbose_name_plural = _("assessment topics")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "topic"], name="unique_assessment_topic")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.topic_id}"


class AssessmentGroup(models.Model):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE
    )
    group = models.ForeignKey(
        StakeholderGroup, verbose_name=_("stakeholder group"), on_delete=models.PROTECT
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("assessment group")
        verbose_name_plural = _("assessment groups")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "group"], name="unique_assessment_group")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.group_id}"
