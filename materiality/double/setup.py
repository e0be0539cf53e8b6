"""Creating a DMA: its frameworks, the pack versions it is built on, its currency bands."""

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

from materiality.double.models import DmaFrameworks, DoubleAssessment, PackFramework, RulePack
from materiality.models import Assessment

BAND_COUNT = 5
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


@transaction.atomic
def dma_create(*, data: DmaInput, actor: Any = None) -> DoubleAssessment:
    errors: list[str] = []
    if not any(text.strip() for text in data.name.values()):
        errors.append(_("Give the assessment a name."))
    if data.period_end < data.period_start:
        errors.append(_("The reporting period must end after it starts."))
    if data.frameworks not in DmaFrameworks.values:
        errors.append(_("Choose ESRS, the exchange guidelines, or both."))
    currency = data.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors.append(_("Enter the currency as a three-letter code such as CNY."))
    errors += band_errors(data.magnitude_bands)
    packs: list[RulePack] = []
    for framework in FRAMEWORK_PACKS.get(data.frameworks, ()):  # type: ignore[call-overload]
        pack = RulePack.objects.filter(framework=framework).order_by("-version").first()
        if pack is None:
            errors.append(_("The rule pack is not loaded: run manage.py load_rule_packs."))
        else:
            packs.append(pack)
    if errors:
        raise ValidationError(errors)
    dma = DoubleAssessment.objects.create(
        name={code: text.strip() for code, text in data.name.items() if text.strip()},
        period_start=data.period_start,
        period_end=data.period_end,
        frameworks=data.frameworks,
        survey_assessment=data.survey_assessment,
        currency=currency,
        magnitude_bands=[str(Decimal(str(band))) for band in data.magnitude_bands],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    dma.packs.set(packs)
    return dma
