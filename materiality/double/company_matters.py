"""Company-specific matters: what the packs do not cover (ESRS 1 §11 entity-specific
disclosures; a fintech's own "fintech innovation"), added by the ESG team to one DMA."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from materiality.double.events import dma_event_record
from materiality.double.models import DmaAction, DmaStatus, DoubleAssessment, Matter, MatterLevel
from materiality.models import Dimension


def dma_matters(dma: DoubleAssessment) -> QuerySet[Matter]:
    """The matters an IRO of `dma` may sit on: its packs' and its own."""
    return Matter.objects.filter(Q(pack__in=dma.packs.all()) | Q(dma=dma))


@transaction.atomic
def matter_add(
    *,
    dma: DoubleAssessment,
    name: Mapping[str, str],
    parent: Matter | None = None,
    dimension: str = "",
    reference: str = "",
    actor: Any = None,
) -> Matter:
    errors: list[str] = []
    cleaned = {code: text.strip() for code, text in name.items() if text and text.strip()}
    if not cleaned:
        errors.append(_("Give the matter a name."))
    if dma.status in (DmaStatus.REVIEW, DmaStatus.APPROVED):
        errors.append(_("The long list is closed while the assessment is reviewed or approved."))
    level = MatterLevel.TOPIC
    if parent is not None:
        if not dma_matters(dma).filter(pk=parent.pk).exists():
            errors.append(_("The parent matter is not one of this assessment's matters."))
        elif parent.level >= MatterLevel.SUB_SUB_TOPIC:
            errors.append(_("A sub-sub-topic cannot have matters below it."))
        else:
            level = MatterLevel(parent.level + 1)
        dimension = dimension or parent.dimension
    if dimension not in Dimension.values:
        errors.append(_("Choose environmental, social or governance."))
    if len(reference) > 64:
        errors.append(_("Keep the reference to 64 characters."))
    if errors:
        raise ValidationError(errors)
    DoubleAssessment.objects.select_for_update().filter(pk=dma.pk).first()
    order = (Matter.objects.filter(dma=dma).aggregate(last=Max("order"))["last"] or 10_000) + 1
    count = Matter.objects.filter(dma=dma).count() + 1
    matter = Matter.objects.create(
        dma=dma,
        pack=None,
        company_specific=True,
        parent=parent,
        level=level,
        code=f"C{count:03d}",
        name=cleaned,
        dimension=dimension,
        reference=reference.strip(),
        order=order,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    dma_event_record(
        dma=dma, action=DmaAction.MATTER_ADDED, actor=actor, details={"matter": matter.code}
    )
    return matter
