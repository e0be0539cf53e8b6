"""Final conclusions: a snapshot's matters (`snapshot.py`) with the decisions in force
applied. The one place the rule lives; the outputs and the matrix both read it.

The snapshot keeps each matter's computed result and the decisions in force. The final
conclusion honours a decision over the computed one, per perspective:

- on one perspective (impact or financial), its `material_final` replaces that axis's
  own result (the matter's own IROs), and its final value, if it gave one, replaces the
  score (the interval, which belongs to the computed score, no longer applies);
- the matter is then material if either final axis is, or any matter below it is
  finally material (a parent sees its children's final results, as the roll-up does,
  `scoring/rollup.py`);
- a decision on both perspectives replaces the matter's overall conclusion.

The parents are read back from the tree order and each matter's depth. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from materiality.double.models import Perspective
from materiality.double.snapshot import Axis, Decision, Interval, SnapshotMatter
from surveys.translations import pick


@dataclass(frozen=True)
class AxisFinal:
    score: Decimal | None  # computed, as reported
    interval: Interval | None  # of the computed score
    computed: bool  # the matter's own IROs reach the threshold on this axis
    final: bool  # after a decision on this perspective
    final_value: Decimal | None  # a final value the decision gave, if any
    decided: bool  # a decision in force on this perspective changed the conclusion

    @property
    def placed(self) -> tuple[Decimal | None, Interval | None]:
        """The final score and its interval: a decision's final value, without one."""
        if self.final_value is not None:
            return self.final_value, None
        return self.score, self.interval


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
    decisions: dict[str, Decision] = field(default_factory=dict)  # by perspective
    iro_scores: dict[str, Decimal | None] = field(default_factory=dict)
    parent: MatterFinal | None = None
    children: list[MatterFinal] = field(default_factory=list)
    needs_judgement: bool = False

    def name(self, language: str | None = None) -> str:
        return pick(self.names, language) or self.code

    def axis(self, perspective: str) -> AxisFinal:
        return self.impact if perspective == Perspective.IMPACT else self.financial

    def subtree(self) -> Iterator[MatterFinal]:
        """This matter and every matter below it, in tree order."""
        yield self
        for child in self.children:
            yield from child.subtree()

    @property
    def differs(self) -> bool:
        """The final conclusion is not the computed one."""
        return self.material != self.computed

    @property
    def notes(self) -> list[str]:
        return [d.note for d in self.decisions.values() if d.note]


def _axis(computed: Axis, decision: Decision | None) -> AxisFinal:
    final = decision.material_final if decision is not None else computed.material
    final_value = decision.final_value if decision is not None else None
    return AxisFinal(
        score=computed.score,
        interval=computed.interval,
        computed=computed.material,
        final=final,
        final_value=final_value,
        decided=decision is not None and (final != computed.material or final_value is not None),
    )


def final_matters(matters: Sequence[SnapshotMatter]) -> list[MatterFinal]:
    """The matters in tree order, each with its final conclusion, linked to its parent
    and children."""
    ordered: list[MatterFinal] = []
    stack: list[MatterFinal] = []
    for row in matters:
        matter = MatterFinal(
            code=row.code,
            pack_id=row.pack_id,
            names=row.names,
            depth=row.depth,
            impact=_axis(row.impact, row.decisions.get(Perspective.IMPACT)),
            financial=_axis(row.financial, row.decisions.get(Perspective.FINANCIAL)),
            computed=row.material,
            decisions=dict(row.decisions),
            iro_scores=dict(row.iro_scores),
            needs_judgement=bool(row.needs_judgement),
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
        both = matter.decisions.get(Perspective.BOTH)
        if both is not None:
            matter.material = both.material_final
        else:
            matter.material = (
                matter.impact.final
                or matter.financial.final
                or any(c.material for c in matter.children)
            )
    return ordered


def top_level(matters: Sequence[MatterFinal]) -> list[MatterFinal]:
    """The matters at the top of the tree (every other one is reachable through them)."""
    return [m for m in matters if m.parent is None]
