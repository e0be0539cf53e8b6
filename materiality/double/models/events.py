"""The DMA's trail of actions: who did what, and when, never changed afterwards.

The outputs list what changed, when and by whom (issue 15); methodology versions carry
their own author and note, and every other step of the setup is recorded here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from materiality.double.models.dma import DoubleAssessment


class DmaAction(models.TextChoices):
    CREATED = "created", _("Assessment created")
    UPDATED = "updated", _("Assessment changed")
    CONTEXT_SAVED = "context_saved", _("Business context saved")
    MATTER_ADDED = "matter_added", _("Company-specific matter added")
    IRO_CREATED = "iro_created", _("IRO added")
    IRO_UPDATED = "iro_updated", _("IRO changed")
    REGISTER_IMPORTED = "register_imported", _("Register imported")
    RATER_ADDED = "rater_added", _("Rater added")
    RATER_REMOVED = "rater_removed", _("Rater removed")
    RATER_DEACTIVATED = "rater_deactivated", _("Rater taken off the panel")
    RATING_STARTED = "rating_started", _("Rating started")
    RATING_CLOSED = "rating_closed", _("Rating closed")
    DECISION_RECORDED = "decision_recorded", _("Decision note recorded")
    REVIEW_SUBMITTED = "review_submitted", _("Results submitted for review")
    REVIEW_SENT_BACK = "review_sent_back", _("Results sent back")
    APPROVED = "approved", _("Results approved")
    DISCLOSURE_SAVED = "disclosure_saved", _("Disclosure text saved")
    TOPIC_RESULT_SET = "topic_result_set", _("Exchange topic result set")
    METHODOLOGY_DRAFTED = "methodology_drafted", _("Methodology settings changed")
    METHODOLOGY_FROZEN = "methodology_frozen", _("New methodology version")
    RESTORED = "restored", _("Restored from a file")


class DmaEvent(models.Model):
    dma = models.ForeignKey(
        DoubleAssessment,
        verbose_name=_("double materiality assessment"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    action = models.CharField(_("action"), max_length=24, choices=DmaAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too, so the trail still names the person if the account goes.
    actor_name = models.CharField(_("by (name)"), max_length=150, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["dma", "-created_at", "-pk"]
        verbose_name = _("DMA event")
        verbose_name_plural = _("DMA events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.actor_name} · {self.created_at:%Y-%m-%d %H:%M}"
