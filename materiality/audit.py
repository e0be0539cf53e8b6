"""The assessment's audit trail: one row per step, never changed afterwards."""

from __future__ import annotations

from typing import Any

from materiality.models import AggregationRun, Assessment, AuditEntry


def audit_record(
    *,
    assessment: Assessment,
    action: str,
    actor: Any = None,
    run: AggregationRun | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    user = actor if getattr(actor, "pk", None) else None
    return AuditEntry.objects.create(
        assessment=assessment,
        run=run,
        actor=user,
        # Kept as text too, so the trail still names the person if the account goes.
        actor_name=user.get_username() if user is not None else "",
        action=action,
        note=note,
        details=details or {},
    )
