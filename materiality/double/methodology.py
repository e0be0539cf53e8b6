"""The methodology a DMA is rated under, frozen as numbered versions.

The settings are plain JSON with every number a decimal string, so that the scoring
functions read exact values back (`Decimal("3.00")`, never 2.9999999999999996). Rating
starts with version 1; any later change is version n + 1 with a note, and the outputs
list the versions: what changed, when and by whom (issue 15, "an assessment method").
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from materiality.double.models import DmaStatus, DoubleAssessment, MethodologyVersion

SEVERITY_RULES = ("mean", "max", "mean_max")  # ESRS 1 AR 10–11; (mean + max) / 2
LIKELIHOOD_RULES = ("product", "capped")  # S × p, or min(S, (S + 5p) / 2)
FINANCIAL_RULES = ("product", "capped")

# Likelihood is rated 1–5 like the other criteria; each level stands for a probability.
# Anchors in the middle of five equal bands of 0–1, so level 3 is "as likely as not".
DEFAULT_SETTINGS: dict[str, Any] = {
    "scale": {"min": 1, "max": 5},
    "severity_rule": "mean_max",
    "likelihood_rule": "product",
    "financial_rule": "product",
    "likelihood_probabilities": {
        "1": "0.05",
        "2": "0.25",
        "3": "0.50",
        "4": "0.75",
        "5": "0.95",
    },
    "thresholds": {"impact": "3.00", "financial": "3.00"},
    "near_band": "0.25",
    "confidence": "0.95",
    "resamples": 2000,
}


def default_settings() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SETTINGS)


def _decimal(value: Any) -> Decimal | None:
    if not isinstance(value, str):  # a float would bring its binary rounding along
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def settings_errors(settings: Mapping[str, Any]) -> list[str]:
    """Every mistake in the settings at once (empty when they can be frozen)."""
    errors: list[str] = []
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        errors.append(_("Unknown methodology settings: %(names)s.") % {"names": ", ".join(unknown)})
    for key, allowed in (
        ("severity_rule", SEVERITY_RULES),
        ("likelihood_rule", LIKELIHOOD_RULES),
        ("financial_rule", FINANCIAL_RULES),
    ):
        if settings.get(key) not in allowed:
            errors.append(
                _("%(name)s must be one of: %(allowed)s.")
                % {"name": key, "allowed": ", ".join(allowed)}
            )
    if settings.get("scale") != {"min": 1, "max": 5}:
        errors.append(_("The rating scale runs from 1 to 5."))
    thresholds = settings.get("thresholds")
    if not isinstance(thresholds, Mapping) or set(thresholds) != {"impact", "financial"}:
        errors.append(_("Give one threshold for impact and one for financial materiality."))
    else:
        for kind, value in thresholds.items():
            number = _decimal(value)
            if number is None or not Decimal(1) <= number <= Decimal(5):
                errors.append(
                    _("The %(kind)s threshold must be a decimal between 1 and 5.") % {"kind": kind}
                )
    probabilities = settings.get("likelihood_probabilities")
    if not isinstance(probabilities, Mapping) or set(probabilities) != {"1", "2", "3", "4", "5"}:
        errors.append(_("Give the probability of each likelihood level from 1 to 5."))
    else:
        values = [_decimal(probabilities[str(level)]) for level in range(1, 6)]
        if any(v is None or not Decimal(0) <= v <= Decimal(1) for v in values) or values != sorted(
            values, key=lambda v: v or Decimal(0)
        ):
            errors.append(_("Likelihood probabilities must be decimals from 0 to 1, rising."))
    near = _decimal(settings.get("near_band"))
    if near is None or not Decimal(0) <= near <= Decimal(1):
        errors.append(_("The band near a threshold must be a decimal from 0 to 1."))
    confidence = _decimal(settings.get("confidence"))
    if confidence is None or not Decimal("0.5") <= confidence < Decimal(1):
        errors.append(_("The confidence level must be a decimal from 0.5 to below 1."))
    resamples = settings.get("resamples")
    if (
        not isinstance(resamples, int)
        or isinstance(resamples, bool)
        or not 100 <= resamples <= 100_000
    ):
        errors.append(_("The number of resamples must be a whole number from 100 to 100,000."))
    return errors


def current_methodology(dma: DoubleAssessment) -> MethodologyVersion | None:
    return dma.methodology_versions.order_by("-number").first()


@transaction.atomic
def methodology_freeze(
    *,
    dma: DoubleAssessment,
    settings: Mapping[str, Any] | None = None,
    actor: Any = None,
    note: str = "",
) -> MethodologyVersion:
    """Freeze `settings` (missing keys from the defaults) as the DMA's next version."""
    merged = default_settings()
    merged.update(copy.deepcopy(dict(settings or {})))
    errors = settings_errors(merged)
    if errors:
        raise ValidationError(errors)
    if dma.status == DmaStatus.APPROVED:
        raise ValidationError(_("An approved assessment's methodology cannot change."))
    # The DMA's row is the lock: two people freezing at once get n + 1 and n + 2.
    DoubleAssessment.objects.select_for_update().filter(pk=dma.pk).first()
    last = dma.methodology_versions.aggregate(last=Max("number"))["last"] or 0
    if last and not note.strip():
        raise ValidationError(_("Say what changed and why: a later version needs a note."))
    return MethodologyVersion.objects.create(
        dma=dma,
        number=last + 1,
        settings=merged,
        note=note.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
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
        methodology_freeze(dma=locked, actor=actor, note="")
    locked.status = DmaStatus.RATING
    locked.save(update_fields=["status"])
    dma.status = locked.status
    return locked
