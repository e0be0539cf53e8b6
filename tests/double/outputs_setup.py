"""An approved DMA for the outputs tests, built through the services: an impact on
privacy (S4.1.1) rated exactly at the threshold and noted, a climate transition risk
(E1.2) rated high; optionally a decision that takes the risk off (climate change then
not material, by the decision in force)."""

from __future__ import annotations

from typing import Any

from materiality.double.decisions import DecisionInput, decision_record
from materiality.double.methodology import dma_start_rating, methodology_freeze
from materiality.double.models import (
    DmaApproval,
    DoubleAssessment,
    Matter,
    Perspective,
    Rater,
    RaterRole,
)
from materiality.double.ratings import rating_add
from materiality.double.register import iro_create
from materiality.double.review import dma_approve, dma_close_rating, dma_submit_for_review
from tests.double.conftest import iro_input, risk_input


def approve_dma(
    dma: DoubleAssessment,
    esg_user: Any,
    decider_user: Any,
    *,
    climate_off: bool = False,
    new_methodology: dict[str, Any] | None = None,
) -> DmaApproval:
    """`new_methodology`: settings frozen as version 2 once rating has started."""
    impact = iro_create(dma=dma, data=iro_input(), actor=esg_user)
    risk = iro_create(dma=dma, data=risk_input(), actor=esg_user)
    dma_start_rating(dma=dma, actor=esg_user)
    if new_methodology is not None:
        methodology_freeze(
            dma=dma, settings=new_methodology, actor=esg_user, note="More resamples."
        )
    panel = [
        Rater.objects.create(dma=dma, name=name, role=role)
        for name, role in (
            ("A", RaterRole.INTERNAL_EXPERT),
            ("B", RaterRole.FINANCE_RISK),
            ("C", RaterRole.STAKEHOLDER),
        )
    ]
    for rater in panel:
        # A human-rights impact scores its severity: 3.00, at the threshold (flagged).
        rating_add(
            iro=impact, rater=rater, rationale="r", scale=3, scope=3, irremediability=3,
            likelihood=3,
        )  # fmt: skip
    rating_add(iro=risk, rater=panel[1], rationale="r", magnitude=5, likelihood=5)
    dma_close_rating(dma=dma, actor=esg_user)
    privacy = Matter.objects.get(pack__code="esrs-2023", code="S4.1.1")
    decision_record(
        dma=dma,
        data=DecisionInput(matter=privacy, note="At the threshold: material."),
        actor=esg_user,
    )
    if climate_off:
        decision_record(
            dma=dma,
            data=DecisionInput(
                matter=Matter.objects.get(pack__code="esrs-2023", code="E1.2"),
                note="Priced in already.",
                perspective=Perspective.FINANCIAL,
                material_final=False,
                reason="The carbon price is passed on to customers by contract.",
                approver=decider_user,
            ),
            actor=esg_user,
        )
    dma_submit_for_review(dma=dma, actor=esg_user)
    return dma_approve(dma=dma, actor=decider_user)
