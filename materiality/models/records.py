"""The audit trail and the export jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from materiality.models.assessments import Assessment
from materiality.models.runs import AggregationRun


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
    SETTINGS_CHANGED = "settings_changed", _("Method settings changed")
    LINK_REVOKED = "link_revoked", _("Group link revoked")
    LINK_ROTATED = "link_rotated", _("Group link replaced by a new one")
    INVITATION_REVOKED = "invitation_revoked", _("Personal invitation revoked")
    # Data protection (materiality.privacy): the count only, never whose replies.
    RESPONSES_ERASED = "responses_erased", _("Responses erased at the respondent's request")
    PERSONAL_DATA_EXPIRED = (
        "personal_data_expired",
        _("Personal data removed after the retention period"),
    )
    # Backups (materiality.portability): the assessment came from a file.
    RESTORED = "restored", _("Restored from an assessment file")


class AuditEntry(models.Model):
    """Who did what, when, to an assessment: the trail shown on its pages and in the
    evidence pack. Entries are only ever added."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="audit"
    )
    run = models.ForeignKey(
        AggregationRun,
        verbose_name=_("aggregation run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as recorded)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=24, choices=AuditAction.choices)
    note = models.TextField(_("note"), blank=True)
    # What the step was done to, as codes (an export: its kind and language); the
    # pages put it in words in the reader's language.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class ImportedFile(models.Model):
    """A reply file imported into an assessment, known by a digest of its rows: the same
    rows imported a second time are refused, whatever the file is called or saved as."""

    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        on_delete=models.CASCADE,
        related_name="imported_files",
    )
    digest = models.CharField(_("digest of the rows"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255)
    rows = models.PositiveIntegerField(_("replies imported"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "digest"], name="one_import_per_file_digest"
            )
        ]

    def __str__(self) -> str:
        return self.file_name


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportJob(models.Model):
    """A file built in the background (large exports, the evidence pack as PDF), with its
    progress, so the page can show a bar and then a download link."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="exports"
    )
    run = models.ForeignKey(
        AggregationRun,
        verbose_name=_("aggregation run"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exports",
    )
    kind = models.CharField(_("kind"), max_length=32)
    language = models.CharField(_("language"), max_length=16)
    status = models.CharField(
        _("status"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    path = models.CharField(_("stored file"), max_length=300, blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.status})"
