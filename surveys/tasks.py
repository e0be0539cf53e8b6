"""Celery tasks of the survey engine: thin, id-based, safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from surveys.mailing import invitation_email_send
from surveys.models import Invitation


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def send_invitations(invitation_ids: list[int], reminder: bool = False) -> int:
    """E-mail each invitation once: an invitation already sent (or, for reminders,
    answered or reminded) is skipped, so a retried or duplicated task sends nothing twice."""
    pending = Invitation.objects.select_related("survey").filter(pk__in=invitation_ids)
    if reminder:
        # At most one reminder a day, and never to someone who has answered.
        day_ago = timezone.now() - timedelta(days=1)
        pending = pending.filter(
            Q(reminded_at__isnull=True) | Q(reminded_at__lt=day_ago),
            responded_at__isnull=True,
            sent_at__isnull=False,
        )
    else:
        pending = pending.filter(sent_at__isnull=True)
    return sum(invitation_email_send(invitation=inv, reminder=reminder) for inv in pending)
