"""Recording a DMA's actions in its trail (`DmaEvent`): one row per action, written in
the same transaction as the action, so a step that is rolled back leaves no trace."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from materiality.double.models import DmaAction, DmaEvent, DoubleAssessment


def dma_event_record(
    *,
    dma: DoubleAssessment,
    action: DmaAction,
    actor: Any = None,
    details: dict[str, Any] | None = None,
) -> DmaEvent:
    user = actor if getattr(actor, "pk", None) else None
    return DmaEvent.objects.create(
        dma=dma,
        action=action,
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        details=details or {},
    )


def dma_events(dma: DoubleAssessment, limit: int = 20) -> QuerySet[DmaEvent]:
    """The latest actions first."""
    return dma.events.order_by("-created_at", "-pk")[:limit]
