"""The methodology a DMA is rated under, frozen as numbered versions.

The settings are plain JSON with every number a decimal string, so that the scoring
functions read exact values back (`Decimal("3.00")`, never 2.9999999999999996). Rating
starts with version 1; any later change is version n + 1 with a note, and the outputs
list the versions: what changed, when and by whom (issue 15, "an assessment method").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from materiality.double.events import dma_event_record
from materiality.double.models import DmaAction, DmaStatus, DoubleAssessment, MethodologyVersion
from materiality.double.scoring import Settings

# One definition of the method: the scoring package's Settings. What is frozen is
# `Settings.as_dict()` (decimals as strings, the bootstrap's seed included), so that a
# version read back with `Settings.from_dict` scores exactly as it did when frozen.
# The defaults are the scoring package's, argued in docs/methodology.md §16.3.
DEFAULT_SETTINGS: dict[str, Any] = Settings().as_dict()
NOTE_MAX_LENGTH = 2000

# What each setting must be, worded for the ESG team; one message per mistaken setting.
SETTING_RULES = {
    "severity_rule": gettext_lazy("The severity rule must be one of: mean, max, mean_max."),
    "potential_rule": gettext_lazy(
        "The rule for potential impacts must be one of: product, capped."
    ),
    "financial_rule": gettext_lazy("The financial rule must be one of: product, capped."),
    "likelihoods": gettext_lazy(
        "Give the probability of each likelihood level from 1 to 5: decimals from 0 to 1, "
        "rising with the level."
    ),
    "impact_threshold": gettext_lazy(
        "The impact threshold must be a decimal above 0 and at most 5."
    ),
    "financial_threshold": gettext_lazy(
        "The financial threshold must be a decimal above 0 and at most 5."
    ),
    "near_band": gettext_lazy("The band near a threshold must be a decimal of 0 or more."),
    "currency_threshold": gettext_lazy(
        "The currency threshold must be an amount above 0, or left empty."
    ),
    "confidence": gettext_lazy("The confidence level must be a decimal between 0 and 1."),
    "resamples": gettext_lazy("The number of resamples must be a whole number from 0 to 100,000."),
    "seed": gettext_lazy("The seed must be a whole number of 0 or more."),
}


def default_settings() -> dict[str, Any]:
    return Settings().as_dict()


def settings_field_errors(settings: Mapping[str, Any]) -> dict[str, str]:
    """The SETTING_RULES message of each mistaken setting, by name.

    Settings stops at its first mistake, so each setting is tried on its own beside the
    defaults: every setting is checked by itself, none depends on another."""
    errors: dict[str, str] = {}
    for spec in fields(Settings):
        if spec.name not in settings:
            continue
        try:
            Settings.from_dict({spec.name: settings[spec.name]})
        except (ValueError, TypeError, AttributeError):  # ScoringError is a ValueError
            errors[spec.name] = str(SETTING_RULES[spec.name])
    return errors


def settings_errors(settings: Mapping[str, Any]) -> list[str]:
    """Every mistake in the settings at once (empty when they can be frozen)."""
    known = [spec.name for spec in fields(Settings)]
    errors: list[str] = []
    unknown = sorted(set(settings) - set(known))
    if unknown:
        errors.append(_("Unknown methodology settings: %(names)s.") % {"names": ", ".join(unknown)})
    return errors + list(settings_field_errors(settings).values())


def settings_of(version: MethodologyVersion) -> Settings:
    """A frozen version's settings, read back exactly. ScoringError if they no longer
    read (a version frozen by an older release with other keys)."""
    return Settings.from_dict(version.settings)


def current_methodology(dma: DoubleAssessment) -> MethodologyVersion | None:
    return dma.methodology_versions.order_by("-number").first()


def settings_in_force(dma: DoubleAssessment, version: MethodologyVersion | None) -> Settings:
    """The settings the DMA scores with: its latest version's, or before rating starts,
    its draft over the defaults (`version` is `current_methodology(dma)`)."""
    try:
        return Settings.from_dict(version.settings if version else dma.methodology_draft)
    except (ValueError, TypeError):  # written by an older release: start from the defaults
        return Settings()


@transaction.atomic
def methodology_freeze(
    *,
    dma: DoubleAssessment,
    settings: Mapping[str, Any] | None = None,
    actor: Any = None,
    note: str = "",
) -> MethodologyVersion:
    """Freeze `settings` (missing keys from the defaults) as the DMA's next version,
    stored as `Settings.as_dict()`: decimal strings, in a stable key order."""
    given = dict(settings or {})
    errors = settings_errors(given)
    if errors:
        raise ValidationError(errors)
    frozen = Settings.from_dict(given).as_dict()
    if dma.status == DmaStatus.APPROVED:
        raise ValidationError(_("An approved assessment's methodology cannot change."))
    # The DMA's row is the lock: two people freezing at once get n + 1 and n + 2.
    DoubleAssessment.objects.select_for_update().filter(pk=dma.pk).first()
    last = dma.methodology_versions.aggregate(last=Max("number"))["last"] or 0
    if last and not note.strip():
        raise ValidationError(_("Say what changed and why: a later version needs a note."))
    creator = actor if getattr(actor, "pk", None) else None
    return MethodologyVersion.objects.create(
        dma=dma,
        number=last + 1,
        settings=frozen,
        note=note.strip(),
        created_by=creator,
        # Named as the trail names its actor, so the version keeps it without the account.
        created_by_name=creator.get_username() if creator is not None else "",
    )


@transaction.atomic
def dma_start_rating(*, dma: DoubleAssessment, actor: Any = None) -> DoubleAssessment:
    """Move a DMA from its long list to rating, freezing the methodology as version 1
    if nothing has been frozen yet."""
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status not in (DmaStatus.CONTEXT, DmaStatus.LONG_LIST):
        raise ValidationError(_("Rating can only start from the context or long-list step."))
    if not locked.iros.exists():
        raise ValidationError(_("Add impacts, risks or opportunities to the long list first."))
    if current_methodology(locked) is None:
        # What the team set before rating (the defaults where it set nothing).
        methodology_freeze(dma=locked, settings=locked.methodology_draft, actor=actor, note="")
    locked.status = DmaStatus.RATING
    locked.save(update_fields=["status"])
    dma.status = locked.status
    return locked


class MethodologyChange(StrEnum):
    UNCHANGED = "unchanged"
    DRAFT_SAVED = "draft_saved"  # before rating: the draft, frozen as version 1 later
    VERSION_FROZEN = "version_frozen"  # after: version n + 1


@transaction.atomic
def methodology_set(
    *, dma: DoubleAssessment, settings: Mapping[str, Any], actor: Any = None, note: str = ""
) -> tuple[MethodologyChange, MethodologyVersion | None]:
    """Change the methodology settings (missing keys stay as they are in force): before
    rating starts the draft changes; after, a changed setting freezes version n + 1 with
    its note; an approved DMA's methodology never changes. Recorded in the trail."""
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status == DmaStatus.APPROVED:
        raise ValidationError(_("An approved assessment's methodology cannot change."))
    errors = settings_errors(settings)
    if errors:
        raise ValidationError(errors)
    version = current_methodology(locked)
    before = settings_in_force(locked, version)
    after = Settings.from_dict({**before.as_dict(), **settings})
    changed = [
        spec.name
        for spec in fields(Settings)
        if getattr(before, spec.name) != getattr(after, spec.name)
    ]
    if not changed:
        return MethodologyChange.UNCHANGED, version
    if version is None and locked.status in (DmaStatus.CONTEXT, DmaStatus.LONG_LIST):
        locked.methodology_draft = after.as_dict()
        locked.save(update_fields=["methodology_draft"])
        dma.methodology_draft = locked.methodology_draft
        dma_event_record(
            dma=locked,
            action=DmaAction.METHODOLOGY_DRAFTED,
            actor=actor,
            details={"settings": changed},
        )
        return MethodologyChange.DRAFT_SAVED, None
    if len(note.strip()) > NOTE_MAX_LENGTH:
        raise ValidationError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX_LENGTH}
        )
    frozen = methodology_freeze(dma=locked, settings=after.as_dict(), actor=actor, note=note)
    dma_event_record(
        dma=locked,
        action=DmaAction.METHODOLOGY_FROZEN,
        actor=actor,
        details={"version": frozen.number, "settings": changed, "note": frozen.note},
    )
    return MethodologyChange.VERSION_FROZEN, frozen
