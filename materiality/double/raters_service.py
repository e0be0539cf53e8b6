"""The rating panel of a DMA: adding raters and taking them off.

A rater is a user of the site (who then rates in the browser) or a name without an
account (an external expert whose ratings the team enters). A rater who has rated is
never deleted, as their ratings are the record a reviewer reads: they are taken off
the panel instead and rate no more.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from materiality.double.events import dma_event_record
from materiality.double.models import DmaAction, DmaStatus, DoubleAssessment, Rater, RaterRole

NAME_CHARS = 120
CLOSED = (DmaStatus.REVIEW, DmaStatus.APPROVED)


class RaterRemoval(StrEnum):
    REMOVED = "removed"
    DEACTIVATED = "deactivated"


def rater_field_errors(
    *, dma: DoubleAssessment, username: str, name: str, role: str
) -> tuple[dict[str, list[str]], Any]:
    """Every mistake, by field ("" for the panel as a whole), and the user named."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if dma.status in CLOSED:
        add("", _("The panel cannot change while the assessment is reviewed or approved."))
    user = None
    if username.strip():
        user = get_user_model().objects.filter(username__iexact=username.strip()).first()
        if user is None:
            add(
                "username", _("No user of the site has the username %(name)s.") % {"name": username}
            )
        elif dma.raters.filter(user=user).exists():
            add("username", _("%(name)s is already on the panel.") % {"name": user.get_username()})
    elif not name.strip():
        add("name", _("Give a username, or the name of a rater without an account."))
    if len(name.strip()) > NAME_CHARS:
        add("name", _("Keep the name to %(max)d characters.") % {"max": NAME_CHARS})
    if role not in RaterRole.values:
        add("role", _("Choose the rater's role."))
    return errors, user


@transaction.atomic
def rater_add(
    *, dma: DoubleAssessment, role: str, username: str = "", name: str = "", actor: Any = None
) -> Rater:
    errors, user = rater_field_errors(dma=dma, username=username, name=name, role=role)
    if errors:
        raise ValidationError([message for messages in errors.values() for message in messages])
    shown = name.strip()
    if user is not None and not shown:
        shown = user.get_full_name() or user.get_username()
    rater = Rater.objects.create(dma=dma, user=user, name=shown, role=role)
    dma_event_record(
        dma=dma,
        action=DmaAction.RATER_ADDED,
        actor=actor,
        details={"rater": rater.name, "role": rater.role},
    )
    return rater


@transaction.atomic
def rater_remove(*, rater: Rater, actor: Any = None) -> RaterRemoval:
    """Delete a rater who has not rated; take one who has off the panel."""
    if rater.dma.status in CLOSED:
        raise ValidationError(
            _("The panel cannot change while the assessment is reviewed or approved.")
        )
    details = {"rater": rater.name, "role": rater.role}
    if rater.ratings.exists():
        Rater.objects.filter(pk=rater.pk).update(active=False)
        rater.active = False
        action, result = DmaAction.RATER_DEACTIVATED, RaterRemoval.DEACTIVATED
    else:
        rater.delete()
        action, result = DmaAction.RATER_REMOVED, RaterRemoval.REMOVED
    dma_event_record(dma=rater.dma, action=action, actor=actor, details=details)
    return result
