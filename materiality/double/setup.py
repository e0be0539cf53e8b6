"""Setting a DMA up: its frameworks, the pack versions it is built on, its currency
bands, its business context, and the start of rating once the long list is ready."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from materiality.double.events import dma_event_record
from materiality.double.methodology import current_methodology, dma_start_rating
from materiality.double.models import (
    DmaAction,
    DmaFrameworks,
    DmaStatus,
    DoubleAssessment,
    Matter,
    PackFramework,
    RulePack,
)
from materiality.double.register import iro_ratable
from materiality.models import Assessment

BAND_COUNT = 5
CONTEXT_CHARS = 8000
EDITABLE = (DmaStatus.CONTEXT, DmaStatus.LONG_LIST)
FRAMEWORK_PACKS = {
    DmaFrameworks.ESRS: (PackFramework.ESRS,),
    DmaFrameworks.EXCHANGES: (PackFramework.EXCHANGES,),
    DmaFrameworks.BOTH: (PackFramework.ESRS, PackFramework.EXCHANGES),
}


@dataclass(frozen=True)
class DmaInput:
    name: Mapping[str, str]
    period_start: date
    period_end: date
    frameworks: str = DmaFrameworks.BOTH
    survey_assessment: Assessment | None = None
    currency: str = "CNY"
    magnitude_bands: Sequence[str] = ()


def band_errors(bands: Sequence[Any]) -> list[str]:
    """Five lower bounds of magnitude 1–5 in the currency, each above the one before."""
    if not bands:
        return []  # set later, before risks are rated in amounts
    if len(bands) != BAND_COUNT:
        return [_("Give five amounts, one for each financial magnitude from 1 to 5.")]
    try:
        values = [Decimal(str(band)) for band in bands]
    except InvalidOperation:
        return [_("Each band must be an amount such as 1000000.")]
    if any(not v.is_finite() or v < 0 for v in values):
        return [_("Each band must be an amount of zero or more.")]
    if any(b <= a for a, b in itertools.pairwise(values)):
        return [_("Each band must be larger than the one below it.")]
    return []


def _dma_errors(data: DmaInput) -> tuple[dict[str, list[str]], list[RulePack]]:
    """Every mistake in `data`, by DmaInput field ("" for none), and the packs of its
    frameworks."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not any(text.strip() for text in data.name.values()):
        add("name", _("Give the assessment a name."))
    if data.period_end < data.period_start:
        add("period_end", _("The reporting period must end after it starts."))
    if data.frameworks not in DmaFrameworks.values:
        add("frameworks", _("Choose ESRS, the exchange guidelines, or both."))
    currency = data.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        add("currency", _("Enter the currency as a three-letter code such as CNY."))
    for message in band_errors(data.magnitude_bands):
        add("magnitude_bands", message)
    packs: list[RulePack] = []
    for framework in FRAMEWORK_PACKS.get(data.frameworks, ()):  # type: ignore[call-overload]
        pack = RulePack.objects.filter(framework=framework).order_by("-version").first()
        if pack is None:
            add("", _("The rule pack is not loaded: run manage.py load_rule_packs."))
        else:
            packs.append(pack)
    return errors, packs


def dma_field_errors(data: DmaInput) -> dict[str, list[str]]:
    return _dma_errors(data)[0]


def _flat(errors: Mapping[str, list[str]]) -> list[str]:
    return [message for messages in errors.values() for message in messages]


def _fields(data: DmaInput, currency: str) -> dict[str, Any]:
    return {
        "name": {code: text.strip() for code, text in data.name.items() if text.strip()},
        "period_start": data.period_start,
        "period_end": data.period_end,
        "frameworks": data.frameworks,
        "survey_assessment": data.survey_assessment,
        "currency": currency,
        "magnitude_bands": [str(Decimal(str(band))) for band in data.magnitude_bands],
    }


@transaction.atomic
def dma_create(*, data: DmaInput, actor: Any = None) -> DoubleAssessment:
    errors, packs = _dma_errors(data)
    if errors:
        raise ValidationError(_flat(errors))
    dma = DoubleAssessment.objects.create(
        created_by=actor if getattr(actor, "pk", None) else None,
        **_fields(data, data.currency.strip().upper()),
    )
    dma.packs.set(packs)
    dma_event_record(dma=dma, action=DmaAction.CREATED, actor=actor)
    return dma


@transaction.atomic
def dma_update(*, dma: DoubleAssessment, data: DmaInput, actor: Any = None) -> DoubleAssessment:
    """Change a DMA while its context and long list are drawn up; once rating starts,
    what raters rate against stays put."""
    errors, packs = _dma_errors(data)
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status not in EDITABLE:
        errors.setdefault("", []).append(
            _("The assessment can only change during its context and long-list steps.")
        )
    dropped = Matter.objects.filter(iros__dma=dma, pack__isnull=False).exclude(pack__in=packs)
    if not errors and dropped.exists():
        errors.setdefault("frameworks", []).append(
            _("IROs of the register sit on matters of the framework you left out: move them first.")
        )
    if errors:
        raise ValidationError(_flat(errors))
    values = _fields(data, data.currency.strip().upper())
    changed = [name for name, value in values.items() if getattr(dma, name) != value]
    for name, value in values.items():
        setattr(dma, name, value)
    dma.save(update_fields=[*values])
    dma.packs.set(packs)
    if changed:
        dma_event_record(
            dma=dma, action=DmaAction.UPDATED, actor=actor, details={"fields": changed}
        )
    return dma


@transaction.atomic
def dma_context_save(
    *, dma: DoubleAssessment, context: Mapping[str, str], actor: Any = None, advance: bool = False
) -> DoubleAssessment:
    """Save the business context; with `advance`, move on to the long list (a context
    must be written first: it is what the long list is drawn from, ESRS 1 AR 9 (a))."""
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    if locked.status not in EDITABLE:
        raise ValidationError(
            _("The context can only change during the context and long-list steps.")
        )
    cleaned = {code: text.strip() for code, text in context.items() if text and text.strip()}
    if any(len(text) > CONTEXT_CHARS for text in cleaned.values()):
        raise ValidationError(_("Keep the context to %(max)d characters.") % {"max": CONTEXT_CHARS})
    if advance and not cleaned:
        raise ValidationError(_("Describe the business context before moving on."))
    fields = ["context"]
    dma.context = cleaned
    if advance and locked.status == DmaStatus.CONTEXT:
        dma.status = DmaStatus.LONG_LIST
        fields.append("status")
    dma.save(update_fields=fields)
    dma_event_record(dma=dma, action=DmaAction.CONTEXT_SAVED, actor=actor)
    return dma


def rating_blockers(dma: DoubleAssessment) -> list[str]:
    """What stands between the DMA and its rating step (empty when rating can start)."""
    if dma.status not in EDITABLE:
        return [_("Rating can only start from the context or long-list step.")]
    blockers: list[str] = []
    iros = list(dma.iros.all())
    if not iros:
        blockers.append(_("Add impacts, risks or opportunities to the long list first."))
    unratable = [iro.reference for iro in iros if iro_ratable(iro)]
    if unratable:
        blockers.append(
            ngettext(
                "%(count)d IRO cannot be rated yet: %(references)s.",
                "%(count)d IROs cannot be rated yet: %(references)s.",
                len(unratable),
            )
            % {"count": len(unratable), "references": ", ".join(unratable)}
        )
    if not dma.raters.filter(active=True).exists():
        blockers.append(_("Add at least one rater."))
    return blockers


@transaction.atomic
def dma_rating_open(*, dma: DoubleAssessment, actor: Any = None) -> DoubleAssessment:
    """Start rating once nothing stands in the way, freezing the methodology."""
    locked = DoubleAssessment.objects.select_for_update().get(pk=dma.pk)
    blockers = rating_blockers(locked)
    if blockers:
        raise ValidationError(blockers)
    dma_start_rating(dma=locked, actor=actor)
    version = current_methodology(locked)
    dma_event_record(
        dma=locked,
        action=DmaAction.RATING_STARTED,
        actor=actor,
        details={"methodology_version": version.number if version else None},
    )
    dma.status = locked.status
    return locked
