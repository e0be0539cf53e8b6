"""Published reports and their reader feedback form; readers' comments tagged with topics."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.models.vocabulary import Topic
from surveys.translations import TranslatedTextField, pick

# --- Reports and their reader feedback ----------------------------------------------------


class Report(models.Model):
    """A published sustainability report. Its reader feedback form is a survey made from
    the template of the report's six questions (materiality.feedback)."""

    title = TranslatedTextField(_("title"), text_max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    document_url = models.URLField(_("link to the report"), blank=True)
    survey = models.OneToOneField(
        "surveys.Survey", verbose_name=_("survey"), on_delete=models.PROTECT, related_name="report"
    )
    public_code = models.SlugField(
        _("public code"),
        max_length=32,
        unique=True,
        help_text=_("The public feedback link is /f/<code>/; printed in the report as a QR code."),
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True, editable=False)
    summary_updated_at = models.DateTimeField(
        _("summary updated at"), null=True, blank=True, editable=False
    )
    # Set by a new answer when no summary task is waiting yet: coalesces a burst of
    # answers into one recomputation.
    summary_pending = models.BooleanField(_("summary to be updated"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

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
        "surveys.Answer",
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        related_name="topic_tags",
    )
    topic = models.ForeignKey(
        Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="reader_comments"
    )
    tagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("tagged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment tag")
        verbose_name_plural = _("comment tags")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["answer", "topic"], name="one_tag_per_topic_and_comment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.answer_id} → {self.topic_id}"
