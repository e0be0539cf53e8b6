"""The approved result as the outputs read it: the snapshot an approval froze
(`review.results_snapshot`), with the decision in force on each matter applied.

The snapshot keeps each matter's computed result and the decisions in force at approval.
The final conclusion honours a decision over the computed one, per perspective:

- on one perspective (impact or financial), its `material_final` replaces that axis's
  own result (the matter's own IROs);
- the matter is then material if either final axis is, or any matter below it is
  finally material (a parent sees its children's final results, as in the roll-up);
- a decision on both perspectives replaces the matter's overall conclusion.

The snapshot stores the matter tree in order with each matter's depth, so the parents
are read back from that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from surveys.translations import pick


@dataclass(frozen=True)
class AxisFinal:
    score: Decimal | None  # computed, as reported
    computed: bool  # the matter's own IROs reach the threshold on this axis
    final: bool  # after a decision on this perspective
    final_value: Decimal | None  # a final value the decision gave, if any
    decided: bool  # a decision in force on this perspective changed the conclusion


@dataclass
class MatterFinal:
    code: str
    pack_id: int | None  # None for a company-specific matter
    names: Mapping[str, str]
    depth: int
    impact: AxisFinal
    financial: AxisFinal
    computed: bool  # the computed conclusion, children included
    material: bool = False  # the final conclusion, children's final results included
    impact_any: bool = False  # finally material on impact, here or below
    financial_any: bool = False
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    iro_scores: dict[str, Decimal | None] = field(default_factory=dict)
    parent: MatterFinal | None = None
    children: list[MatterFinal] = field(default_factory=list)
    needs_judgement: bool = False

    def name(self, language: str | None = None) -> str:
        return pick(self.names, language) or self.code

    @property
    def differs(self) -> bool:
        """The final conclusion is not the computed one."""
        return self.material != self.computed

    @property
    def notes(self) -> list[str]:
        return [d["note"] for d in self.decisions.values() if d.get("note")]


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _axis(snapshot: Mapping[str, Any], decision: Mapping[str, Any] | None) -> AxisFinal:
    computed = bool(snapshot.get("material"))
    final = bool(decision["material_final"]) if decision else computed
    final_value = _decimal(decision.get("final_value")) if decision else None
    return AxisFinal(
        score=_decimal(snapshot.get("score")),
        computed=computed,
        final=final,
        final_value=final_value,
        decided=decision is not None and (final != computed or final_value is not None),
    )


def approved_matters(results: Mapping[str, Any]) -> list[MatterFinal]:
    """The snapshot's matters in tree order, each with its final conclusion."""
    ordered: list[MatterFinal] = []
    stack: list[MatterFinal] = []
    for row in results.get("matters", []):
        decisions = dict(row.get("decisions") or {})
        matter = MatterFinal(
            code=row["matter"],
            pack_id=row.get("pack"),
            names=row.get("name") or {},
            depth=int(row.get("depth", 0)),
            impact=_axis(row.get("impact") or {}, decisions.get("impact")),
            financial=_axis(row.get("financial") or {}, decisions.get("financial")),
            computed=bool(row.get("material")),
            decisions=decisions,
            iro_scores={ref: _decimal(v) for ref, v in (row.get("iros") or {}).items()},
            needs_judgement=bool(row.get("needs_judgement")),
        )
        del stack[matter.depth :]
        if stack:
            matter.parent = stack[-1]
            stack[-1].children.append(matter)
        stack.append(matter)
        ordered.append(matter)
    for matter in reversed(ordered):  # children before their parents
        matter.impact_any = matter.impact.final or any(c.impact_any for c in matter.children)
        matter.financial_any = matter.financial.final or any(
            c.financial_any for c in matter.children
        )
        both = decisions_both(matter)
        if both is not None:
            matter.material = bool(both["material_final"])
        else:
            matter.material = (
                matter.impact.final
                or matter.financial.final
                or any(c.material for c in matter.children)
            )
    return ordered


def decisions_both(matter: MatterFinal) -> dict[str, Any] | None:
    return matter.decisions.get("both")


def thresholds(results: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    given = results.get("thresholds") or {}
    return _decimal(given.get("impact")), _decimal(given.get("financial"))
