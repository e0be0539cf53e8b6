"""Invitation and reminder e-mails, in the invitee's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from surveys.models import Invitation, InvitationKind
from surveys.services import invitation_token
from surveys.translations import pick


def invitation_link(invitation: Invitation) -> str:
    path = reverse("surveys:landing", kwargs={"token": invitation_token(invitation)})
    return f"{settings.SITE_URL}{path}"


def invitation_email_send(*, invitation: Invitation, reminder: bool = False) -> bool:
    """Send one invitation (or reminder); the outcome is recorded on the invitation.
    Returns whether the mail server accepted it."""
    if invitation.kind != InvitationKind.PERSONAL or not invitation.email:
        return False
    survey = invitation.survey
    language = invitation.language or (survey.languages or [settings.LANGUAGE_CODE])[0]
    with translation.override(language):
        context = {
            "survey_title": pick(survey.title, language),
            "survey_intro": pick(survey.intro, language),
            "minutes": survey.estimated_minutes,
            "link": invitation_link(invitation),
            "reminder": reminder,
            "expires_at": invitation.expires_at,
        }
        subject = pick(survey.title, language)
        if reminder:
            subject = gettext("Reminder: %(title)s") % {"title": subject}
        body = render_to_string("emails/invitation.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[invitation.email])
    now = timezone.now()
    field = "reminded_at" if reminder else "sent_at"
    before = getattr(invitation, field)
    # Claim before sending: of two tasks holding the same invitation, one sends. (A worker
    # dying between claim and send loses that one e-mail: at most once, for mail to people.)
    if not Invitation.objects.filter(pk=invitation.pk, **{field: before}).update(**{field: now}):
        return False
    try:
        message.send()
    except Exception as exc:  # SMTP errors of every kind: record, don't crash the batch
        Invitation.objects.filter(pk=invitation.pk, **{field: now}).update(
            **{field: before}, send_error=str(exc)[:1000]
        )
        return False
    Invitation.objects.filter(pk=invitation.pk).update(send_error="")
    return True
