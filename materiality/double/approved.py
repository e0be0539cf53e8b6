"""The approved results of a DMA as the results page shows them once approved: the
approval's snapshot (read by `snapshot.py`), never a fresh scoring, with names in the
reader's language and each IRO's title beside its approved score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from materiality.double.models import DmaApproval
from materiality.double.snapshot import Axis, Decision, read_snapshot
from surveys.translations import pick


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
    impact: Axis
    financial: Axis
    material: bool  # the computed conclusion as approved; decisions are listed beside it
    needs_judgement: list[str]  # references of its IROs that needed a documented judgement
    iros: list[ApprovedIro] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)  # by perspective


@dataclass(frozen=True)
class ApprovedResults:
    approval: DmaApproval
    methodology_number: int
    impact_threshold: Decimal | None
    financial_threshold: Decimal | None
    matters: list[ApprovedMatter]


def approved_results(approval: DmaApproval, language: str | None = None) -> ApprovedResults:
    """The approval's snapshot as typed rows, with its IROs' titles (one query: the
    register no longer changes once rating has started)."""
    snapshot = read_snapshot(approval.results)
    titles = {
        reference: pick(title, language)
        for reference, title in approval.dma.iros.values_list("reference", "title")
    }
    matters = [
        ApprovedMatter(
            code=matter.code,
            name=pick(matter.names, language) or matter.code or _("Matter"),
            depth=matter.depth,
            impact=matter.impact,
            financial=matter.financial,
            material=matter.material,
            needs_judgement=matter.needs_judgement,
            iros=[
                ApprovedIro(reference, titles.get(reference, ""), score)
                for reference, score in matter.iro_scores.items()
            ],
            decisions=[matter.decisions[p] for p in sorted(matter.decisions)],
        )
        for matter in snapshot.matters
    ]
    return ApprovedResults(
        approval=approval,
        methodology_number=approval.methodology_number,
        impact_threshold=snapshot.impact_threshold,
        financial_threshold=snapshot.financial_threshold,
        matters=matters,
    )
