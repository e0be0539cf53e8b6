"""The ESG vocabulary: topics and stakeholder groups.

Both are referenced by assessments of many reporting periods, so neither is ever
deleted: a topic or group that is no longer used is retired (``active = False``) and
keeps every past answer and score pointing at it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VocabularyQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.get_name()

    def get_name(self, language: str | None = None) -> str:
        return pick(self.name, language) or self.code

    def get_description(self, language: str | None = None) -> str:
        return pick(self.description, language)


class TopicReference(models.Model):
    """Where a topic comes from: a GRI disclosure, an SDG target, a Nasdaq metric, …
    (the screening sources a GRI 3-1 disclosure describes)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="references")
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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


# --- Assessments -------------------------------------------------------------------------

COMPANY_AXIS = "company"
STAKEHOLDER_AXIS = "stakeholder"
AXES = (COMPANY_AXIS, STAKEHOLDER_AXIS)


class Assessment(models.Model):
    """One reporting period's materiality exercise. It owns its questionnaire (a survey
    generated from its topics × the two axes); topics and wording freeze when it opens.
    Title, status and dates live on that survey, the one place respondents read them."""

    survey = models.OneToOneField(
        "surveys.Survey", on_delete=models.PROTECT, related_name="assessment"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    topics: models.ManyToManyField[Topic, AssessmentTopic] = models.ManyToManyField(
        Topic, through="AssessmentTopic", related_name="assessments"
    )
    groups: models.ManyToManyField[StakeholderGroup, AssessmentGroup] = models.ManyToManyField(
        StakeholderGroup, through="AssessmentGroup", related_name="assessments"
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
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_run = models.OneToOneField(
        "AggregationRun",
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
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "topic"], name="unique_assessment_topic")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.topic_id}"


class AssessmentGroup(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE)
    group = models.ForeignKey(StakeholderGroup, on_delete=models.PROTECT)
    weight = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "group"], name="unique_assessment_group")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}:{self.group_id}"


# --- Aggregation runs and their scores ----------------------------------------------------


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Done")
    UNCHANGED = "unchanged", _("Same input and parameters as an earlier run")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    MANUAL = "manual", _("Requested by the ESG team")
    RESPONSE = "response", _("New responses")
    CLOSE = "close", _("Survey closed")
    COMMAND = "command", _("Command line")


class ReviewStatus(models.TextChoices):
    NONE = "", _("Not submitted")
    SUBMITTED = "submitted", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    SENT_BACK = "sent_back", _("Sent back")


class AggregationRun(models.Model):
    """One computation of an assessment's scores: what went in (parameters, the input's
    fingerprint, the counts), how it went (status, progress, timings, error) and, in
    TopicScore/GroupScore rows, what came out. Its scores are written once and never
    changed; a confirmed run also keeps its rendered files unchanged."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    trigger = models.CharField(max_length=16, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    progress = models.PositiveSmallIntegerField(default=0)
    options = models.JSONField(default=dict, help_text=_("Scoring parameters and filters used."))
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    same_as = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responses_total = models.PositiveIntegerField(default=0)
    responses_counted = models.PositiveIntegerField(default=0)
    excluded_straight_lined = models.PositiveIntegerField(default=0)
    excluded_too_fast = models.PositiveIntegerField(default=0)
    ratings_counted = models.PositiveIntegerField(default=0)
    thresholds = models.JSONField(
        default=dict, help_text=_("The thresholds applied, per axis, on the rating scale.")
    )
    software = models.JSONField(default=dict, help_text=_("Versions that computed the run."))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    review = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.NONE, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("aggregation run")
        verbose_name_plural = _("aggregation runs")
        permissions = [
            ("submit_run", _("Can submit a run for confirmation")),
            ("confirm_run", _("Can confirm a run or send it back")),
        ]
        constraints = [
            # Coalescing: however many replies arrive, at most one run waits per assessment.
            models.UniqueConstraint(
                fields=["assessment"],
                condition=models.Q(status="pending"),
                name="one_pending_run_per_assessment",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.PENDING, RunStatus.RUNNING)


class TopicScore(models.Model):
    """A topic's overall result in one run: both axes and the topic-level verdict."""

    run = models.ForeignKey(AggregationRun, on_delete=models.CASCADE, related_name="topic_scores")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField()
    combined = models.FloatField(null=True)
    material = models.BooleanField()
    tier = models.CharField(max_length=8)
    p_material = models.FloatField(null=True)
    divergence_flag = models.BooleanField(default=False)
    company = models.JSONField(help_text=_("Statistics on the company axis."))
    stakeholder = models.JSONField(help_text=_("Statistics on the stakeholder axis."))
    company_mean = models.FloatField(null=True)
    stakeholder_mean = models.FloatField(null=True)
    company_divergence = models.FloatField(null=True)
    stakeholder_divergence = models.FloatField(null=True)

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "topic"], name="one_score_per_topic_and_run")
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.topic_id}"


class GroupScore(models.Model):
    """A topic's statistics on one axis among one stakeholder group, in one run."""

    run = models.ForeignKey(AggregationRun, on_delete=models.CASCADE, related_name="group_scores")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(StakeholderGroup, on_delete=models.PROTECT, related_name="+")
    axis = models.CharField(max_length=16)
    n = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    stats = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "topic", "group", "axis"], name="one_group_score_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.group_id}/{self.axis}"


class AuditAction(models.TextChoices):
    CREATED = "created", _("Assessment created")
    OPENED = "opened", _("Survey opened")
    CLOSED = "closed", _("Survey closed")
    RUN_REQUESTED = "run_requested", _("Scores computed on request")
    REPLIES_IMPORTED = "replies_imported", _("Replies imported")
    SUBMITTED = "submitted", _("Submitted for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    SENT_BACK = "sent_back", _("Sent back")
    EXPORTED = "exported", _("Exported")


class AuditEntry(models.Model):
    """Who did what, when, to an assessment: the trail shown on its pages and in the
    evidence pack. Entries are only ever added."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="audit")
    run = models.ForeignKey(
        AggregationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24, choices=AuditAction.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


# --- Reports and their reader feedback ----------------------------------------------------


class Report(models.Model):
    """A published sustainability report. Its reader feedback form is a survey made from
    the template of the report's six questions (materiality.feedback)."""

    title = TranslatedTextField(_("title"), text_max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    document_url = models.URLField(_("link to the report"), blank=True)
    survey = models.OneToOneField("surveys.Survey", on_delete=models.PROTECT, related_name="report")
    public_code = models.SlugField(
        _("public code"),
        max_length=32,
        unique=True,
        help_text=_("The public feedback link is /f/<code>/; printed in the report as a QR code."),
    )
    summary = models.JSONField(default=dict, blank=True, editable=False)
    summary_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by a new answer when no summary task is waiting yet: coalesces a burst of
    # answers into one recomputation.
    summary_pending = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return pick(self.title) or str(self.year)


class CommentTag(models.Model):
    """A reader's comment tagged with a topic of the vocabulary, so that next year's topic
    screening sees what readers asked for."""

    answer = models.ForeignKey(
        "surveys.Answer", on_delete=models.CASCADE, related_name="topic_tags"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="reader_comments")
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "topic"], name="one_tag_per_topic_and_comment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.answer_id} → {self.topic_id}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A file built in the background (large exports, the evidence pack as PDF), with its
    progress, so the page can show a bar and then a download link."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="exports")
    run = models.ForeignKey(
        AggregationRun, on_delete=models.CASCADE, null=True, blank=True, related_name="exports"
    )
    kind = models.CharField(max_length=32)
    language = models.CharField(max_length=16)
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    path = models.CharField(max_length=300, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"
