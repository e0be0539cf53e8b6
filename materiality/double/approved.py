"""The approved results of a DMA, read back from the approval's JSON snapshot
(`review.results_snapshot`): after approval the results page and the outputs show what
was approved, never a fresh scoring. Figures come back as Decimals, exactly as they
were reported (2 places, half-up); names in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from materiality.double.models import DmaApproval, Perspective
from surveys.translations import pick


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ApprovedAxis:
    score: Decimal | None
    interval: tuple[Decimal, Decimal] | None
    material: bool

    @classmethod
    def read(cls, data: dict[str, Any] | None) -> ApprovedAxis:
        data = data or {}
        interval = data.get("interval")
        bounds = (_decimal(interval[0]), _decimal(interval[1])) if interval else None
        return cls(
            score=_decimal(data.get("score")),
            interval=bounds if bounds and None not in bounds else None,  # type: ignore[arg-type]
            material=bool(data.get("material")),
        )


@dataclass(frozen=True)
class ApprovedDecision:
    perspective: str  # worded
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
    def overridden(self) -> bool:
        return (
            self.final_value is not None and self.final_value != self.computed_value
        ) or self.material_final != self.computed_material


@dataclass(frozen=True)
class ApprovedIro:
    reference: str
    title: str
    score: Decimal | None


@dataclass(frozen=True)
class ApprovedMatter:
    code: str
    name: str
    depth: int
    impact: ApprovedAxis
    financial: ApprovedAxis
    material: bool
    needs_judgement: list[str]  # references of its IROs that needed a documented judgement
    iros: list[ApprovedIro] = field(default_factory=list)
    decisions: list[ApprovedDecision] = field(default_factory=list)


@dataclass(frozen=True)
class ApprovedResults:
    approval: DmaApproval
    methodology_number: int
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    matters: list[ApprovedMatter]


def _decisions(data: dict[str, Any]) -> list[ApprovedDecision]:
    words = dict(Perspective.choices)
    return [
        ApprovedDecision(
            perspective=str(words.get(perspective, perspective)),
            computed_value=_decimal(d.get("computed_value")),
            computed_material=bool(d.get("computed_material")),
            final_value=_decimal(d.get("final_value")),
            material_final=bool(d.get("material_final")),
            note=d.get("note", ""),
            reason=d.get("reason", ""),
            approver=d.get("approver", ""),
            recorded_by=d.get("recorded_by", ""),
            recorded_at=_moment(d.get("recorded_at")),
        )
        for perspective, d in sorted(data.items())
    ]


def approved_results(approval: DmaApproval, language: str | None = None) -> ApprovedResults:
    """The approval's snapshot as typed rows, with its IROs' titles (one query: the
    register no longer changes once rating has started)."""
    snapshot = approval.results or {}
    titles = {
        reference: pick(title, language)
        for reference, title in approval.dma.iros.values_list("reference", "title")
    }
    thresholds = snapshot.get("thresholds") or {}
    matters = [
        ApprovedMatter(
            code=row.get("matter", ""),
            name=pick(row.get("name") or {}, language) or row.get("matter", "") or _("Matter"),
            depth=int(row.get("depth") or 0),
            impact=ApprovedAxis.read(row.get("impact")),
            financial=ApprovedAxis.read(row.get("financial")),
            material=bool(row.get("material")),
            needs_judgement=list(row.get("needs_judgement") or []),
            iros=[
                ApprovedIro(reference, titles.get(reference, ""), _decimal(score))
                for reference, score in (row.get("iros") or {}).items()
            ],
            decisions=_decisions(row.get("decisions") or {}),
        )
        for row in snapshot.get("matters") or []
    ]
    return ApprovedResults(
        approval=approval,
        methodology_number=approval.methodology_number,
        impact_threshold=_decimal(thresholds.get("impact")),
        financial_threshold=_decimal(thresholds.get("financial")),
        matters=matters,
    )
