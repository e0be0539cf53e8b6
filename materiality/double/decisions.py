"""Decision notes and overrides on a DMA's results, per matter.

A result flagged "needs a documented judgement" needs a note before the results can be
approved; a final value (or conclusion) that differs from the computed one needs a
reason and an approver from the decision group (the scoring's `overrides` rule). The
computed value is copied in beside the final one, so both stay shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from materiality.double.events import dma_event_record
from materiality.double.models import (
    DmaAction,
    DmaStatus,
    DoubleAssessment,
    Matter,
    MatterDecision,
    Perspective,
)
from materiality.double.results import DmaResults, MatterResult, dma_results
from materiality.double.scoring import ScoringError, reported
from materiality.double.scoring.overrides import Decision

APPROVE = "double.approve_doubleassessment"
NOTE_MAX_LENGTH = 2000
VALUE_MIN, VALUE_MAX = Decimal("0"), Decimal("5")


@dataclass(frozen=True)
class DecisionInput:
    matter: Matter
    note: str
    perspective: str = Perspective.BOTH
    final_value: Decimal | str | None = None  # None or "": the computed value stands
    material_final: bool | None = None  # None: the computed conclusion stands
    reason: str = ""
    approver: Any = None


def decisions_in_force(dma: DoubleAssessment) -> dict[tuple[int, str], MatterDecision]:
    """The latest decision of each (matter, perspective), in one query."""
    latest: dict[tuple[int, str], MatterDecision] = {}
    for decision in dma.decisions.select_related("approver", "created_by").order_by("pk"):
        latest[decision.matter_id, decision.perspective] = decision
    return latest


def approvers() -> QuerySet[Any]:
    """Who may approve an override: the active users holding the approval permission."""
    held = Q(codename="approve_doubleassessment", content_type__app_label="double")
    permission = Permission.objects.filter(held)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )


def needs_note(results: DmaResults) -> list[MatterResult]:
    """The matters flagged "needs a documented judgement" (an IRO near its threshold or
    whose interval straddles it; fewer than 3 raters alone is a caution, not a flag)."""
    return [row for row in results.matters if row.rolled.needs_judgement]


def missing_notes(
    results: DmaResults, decisions: dict[tuple[int, str], MatterDecision]
) -> list[MatterResult]:
    """Flagged matters without a decision note (on any perspective)."""
    noted = {matter_id for matter_id, _perspective in decisions}
    return [row for row in needs_note(results) if row.matter.pk not in noted]


def _computed(row: MatterResult, perspective: str) -> tuple[Decimal | None, bool]:
    """The computed value as reported (2 places) and the computed conclusion."""
    if perspective == Perspective.BOTH:
        return None, row.material
    axis = row.impact if perspective == Perspective.IMPACT else row.financial
    return (reported(axis.score) if axis.score is not None else None), axis.material


def _value(raw: Decimal | str | None) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not VALUE_MIN <= value <= VALUE_MAX:
        raise ValidationError(_("Enter the final value as a number from 0 to 5."))
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def decision_record(
    *, dma: DoubleAssessment, data: DecisionInput, actor: Any = None
) -> MatterDecision:
    """A decision note on a matter's result (a new row: earlier ones stay)."""
    if dma.status != DmaStatus.RESULTS:
        raise ValidationError(
            _("Decision notes are written while the results are with the ESG team.")
        )
    errors: list[str] = []
    note = data.note.strip()
    if not note:
        errors.append(_("Write the decision note: what was judged, and why."))
    if len(note) > NOTE_MAX_LENGTH or len(data.reason.strip()) > NOTE_MAX_LENGTH:
        errors.append(_("At most %(max)d characters.") % {"max": NOTE_MAX_LENGTH})
    if data.perspective not in Perspective.values:
        errors.append(_("Choose the perspective the decision is on."))
    row = next((r for r in dma_results(dma).matters if r.matter.pk == data.matter.pk), None)
    if row is None:
        errors.append(_("This matter has no result in this assessment."))
    try:
        final = _value(data.final_value)
    except ValidationError as error:
        errors += error.messages
        final = None
    if final is not None and data.perspective == Perspective.BOTH:
        errors.append(_("A final value is given for one perspective: impact or financial."))
    approver = data.approver if getattr(data.approver, "pk", None) else None
    if approver is not None and not approver.has_perm(APPROVE):
        errors.append(_("The approver must be a member of the decision group."))
    if errors or row is None:
        raise ValidationError(errors)
    computed, computed_material = _computed(row, data.perspective)
    material = computed_material if data.material_final is None else data.material_final
    # Named as the trail names its actor, so the decision keeps them without the accounts.
    approver_name = approver.get_username() if approver is not None else ""
    recorder = actor if getattr(actor, "pk", None) else None
    try:
        outcome = Decision(
            final=(computed if final is None else final, material),
            reason=data.reason.strip(),
            approver=approver_name,
        ).applied_to((computed, computed_material))
    except ScoringError:
        raise ValidationError(
            _(
                "A final value or conclusion that differs from the computed one needs a "
                "reason and an approver."
            )
        ) from None
    decision = MatterDecision.objects.create(
        dma=dma,
        matter=data.matter,
        perspective=data.perspective,
        computed_value=computed,
        computed_material=computed_material,
        final_value=final,
        material_final=material,
        note=note,
        reason=outcome.reason if outcome.overridden else "",
        approver=approver if outcome.overridden else None,
        approver_name=approver_name if outcome.overridden else "",
        created_by=recorder,
        created_by_name=recorder.get_username() if recorder is not None else "",
    )
    dma_event_record(
        dma=dma,
        action=DmaAction.DECISION_RECORDED,
        actor=actor,
        details={
            "matter": data.matter.code,
            "perspective": data.perspective,
            "overridden": outcome.overridden,
        },
    )
    return decision
