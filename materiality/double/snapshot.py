"""The approval's JSON snapshot (`review.results_snapshot`) read back into typed values:
the one place that knows its keys. Figures come back as Decimals exactly as they were
reported (2 places, half-up), intervals as pairs, decisions per perspective, the matter
tree in order with each matter's depth.

The snapshot is stored JSON, written by earlier versions of Materia too, so reading is
forgiving: a missing or unreadable figure is None, never an exception on a page.
Pure: no queries, no translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from materiality.double.models import Perspective

Interval = tuple[Decimal, Decimal]


def figure(value: Any) -> Decimal | None:
    """A stored figure ("3.00") as a Decimal; None when absent or not a finite number."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Axis:
    """One perspective's computed result: the score, its interval, the conclusion."""

    score: Decimal | None
    interval: Interval | None
    material: bool


@dataclass(frozen=True)
class Decision:
    """A decision in force on one perspective of a matter, as approved."""

    perspective: str  # a Perspective value: impact, financial or both
    computed_value: Decimal | None
    computed_material: bool
    final_value: Decimal | None
    material_final: bool
    note: str
    reason: str
    approver: str
    recorded_by: str
    recorded_at: datetime | None

    @property
    def perspective_label(self) -> str:
        return str(dict(Perspective.choices).get(self.perspective, self.perspective))

    @property
    def overridden(self) -> bool:
        return (
            self.final_value is not None and self.final_value != self.computed_value
        ) or self.material_final != self.computed_material


@dataclass(frozen=True)
class SnapshotMatter:
    """A matter's computed result as frozen, with the decisions in force on it."""

    code: str
    pack_id: int | None  # None for a company-specific matter
    names: Mapping[str, str]  # by language
    depth: int  # in the matter tree; the snapshot lists the tree in order
    impact: Axis
    financial: Axis
    material: bool  # the computed conclusion, matters below included
    needs_judgement: list[str]  # references of its IROs that needed a documented judgement
    iro_scores: dict[str, Decimal | None] = field(default_factory=dict)  # by reference
    decisions: dict[str, Decision] = field(default_factory=dict)  # by perspective


@dataclass(frozen=True)
class Snapshot:
    methodology: int | None
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    matters: list[SnapshotMatter]  # in tree order


def _axis(data: Any) -> Axis:
    data = data if isinstance(data, Mapping) else {}
    interval = data.get("interval")
    low = high = None
    if isinstance(interval, list | tuple) and len(interval) == 2:
        low, high = figure(interval[0]), figure(interval[1])
    return Axis(
        score=figure(data.get("score")),
        interval=(low, high) if low is not None and high is not None else None,
        material=bool(data.get("material")),
    )


def _decision(perspective: str, data: Mapping[str, Any]) -> Decision:
    return Decision(
        perspective=perspective,
        computed_value=figure(data.get("computed_value")),
        computed_material=bool(data.get("computed_material")),
        final_value=figure(data.get("final_value")),
        material_final=bool(data.get("material_final")),
        note=str(data.get("note") or ""),
        reason=str(data.get("reason") or ""),
        approver=str(data.get("approver") or ""),
        recorded_by=str(data.get("recorded_by") or ""),
        recorded_at=_moment(data.get("recorded_at")),
    )


def _matter(row: Mapping[str, Any]) -> SnapshotMatter:
    pack = row.get("pack")
    return SnapshotMatter(
        code=str(row.get("matter") or ""),
        pack_id=pack if isinstance(pack, int) else None,
        names=row.get("name") or {},
        depth=int(row.get("depth") or 0),
        impact=_axis(row.get("impact")),
        financial=_axis(row.get("financial")),
        material=bool(row.get("material")),
        needs_judgement=list(row.get("needs_judgement") or []),
        iro_scores={str(ref): figure(v) for ref, v in (row.get("iros") or {}).items()},
        decisions={
            str(perspective): _decision(str(perspective), data)
            for perspective, data in (row.get("decisions") or {}).items()
            if isinstance(data, Mapping)
        },
    )


def read_snapshot(data: Mapping[str, Any] | None) -> Snapshot:
    """The snapshot as typed values (an empty one for None)."""
    data = data or {}
    thresholds = data.get("thresholds") or {}
    methodology = data.get("methodology")
    return Snapshot(
        methodology=methodology if isinstance(methodology, int) else None,
        impact_threshold=figure(thresholds.get("impact")),
        financial_threshold=figure(thresholds.get("financial")),
        matters=[_matter(row) for row in data.get("matters") or []],
    )
