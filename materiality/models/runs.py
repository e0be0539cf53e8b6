"""Aggregation runs and the scores they store, overall and per stakeholder group."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.models.assessments import Assessment
from materiality.models.vocabulary import StakeholderGroup, Topic

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

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="runs"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=RunTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    options = models.JSONField(
        _("options"), default=dict, help_text=_("Scoring parameters and filters used.")
    )
    fingerprint = models.CharField(_("input fingerprint"), max_length=64, blank=True, db_index=True)
    same_as = models.ForeignKey(
        "self",
        verbose_name=_("same result as"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    responses_total = models.PositiveIntegerField(_("responses in total"), default=0)
    responses_counted = models.PositiveIntegerField(_("responses counted"), default=0)
    excluded_straight_lined = models.PositiveIntegerField(
        _("left out as straight-lined"), default=0
    )
    excluded_too_fast = models.PositiveIntegerField(_("left out as too fast"), default=0)
    ratings_counted = models.PositiveIntegerField(_("ratings counted"), default=0)
    thresholds = models.JSONField(
        _("thresholds"),
        default=dict,
        help_text=_("The thresholds applied, per axis, on the rating scale."),
    )
    software = models.JSONField(
        _("software"), default=dict, help_text=_("Versions that computed the run.")
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    review = models.CharField(
        _("review"),
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.NONE,
        blank=True,
    )
    # Computed once, by the run's task after its scores are stored, so that pages only
    # read it (materiality.runs.derived); None for a run from before, or not yet done.
    sensitivity = models.JSONField(
        _("sensitivity"),
        null=True,
        blank=True,
        help_text=_("Which verdicts change under the other weightings and thresholds."),
    )
    frozen_at = models.DateTimeField(
        _("files frozen at"),
        null=True,
        blank=True,
        help_text=_("When the confirmed run's matrix files were all written."),
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

    run = models.ForeignKey(
        AggregationRun,
        verbose_name=_("aggregation run"),
        on_delete=models.CASCADE,
        related_name="topic_scores",
        # The unique constraint's index starts with the run: a second index on it alone
        # only costs every score row written (and a new connection one more to open).
        db_index=False,
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("rank"))
    combined = models.FloatField(_("combined score"), null=True)
    material = models.BooleanField(_("material"))
    tier = models.CharField(_("tier"), max_length=8)
    p_material = models.FloatField(_("P(material)"), null=True)
    divergence_flag = models.BooleanField(_("groups diverge"), default=False)
    company = models.JSONField(_("company axis"), help_text=_("Statistics on the company axis."))
    stakeholder = models.JSONField(
        _("stakeholder axis"), help_text=_("Statistics on the stakeholder axis.")
    )
    company_mean = models.FloatField(_("company axis mean"), null=True)
    stakeholder_mean = models.FloatField(_("stakeholder axis mean"), null=True)
    company_divergence = models.FloatField(_("company axis divergence"), null=True)
    stakeholder_divergence = models.FloatField(_("stakeholder axis divergence"), null=True)

    class Meta:
        verbose_name = _("topic score")
        verbose_name_plural = _("topic scores")
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "topic"], name="one_score_per_topic_and_run")
        ]

    def __str__(self) -> str:
        return f"#{self.rank} {self.topic_id}"


class GroupScore(models.Model):
    """A topic's statistics on one axis among one stakeholder group, in one run."""

    run = models.ForeignKey(
        AggregationRun,
        verbose_name=_("aggregation run"),
        on_delete=models.CASCADE,
        related_name="group_scores",
        # The unique constraint's index starts with the run: a second index on it alone
        # only costs every score row written (and a new connection one more to open).
        db_index=False,
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        StakeholderGroup,
        verbose_name=_("stakeholder group"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    axis = models.CharField(_("axis"), max_length=16)
    n = models.PositiveIntegerField(_("ratings (n)"))
    mean = models.FloatField(_("mean"), null=True)
    stats = models.JSONField(_("statistics"))

    class Meta:
        verbose_name = _("group score")
        verbose_name_plural = _("group scores")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "topic", "group", "axis"], name="one_group_score_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.group_id}/{self.axis}"
