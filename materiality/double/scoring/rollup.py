"""From IROs to matters, and from sub-topics to topics.

A matter's impact score is the maximum over its impact IROs and its financial score the
maximum over its risks and opportunities (the roll-up Greenly and Karomia document). The
maximum, not a sum or a mean, because nothing is netted: a positive impact never offsets
a negative one, an opportunity never offsets a risk (ESRS 1 §§43-51 assess each on its
own). A matter is material if either score is (the exchange guidelines, Art. 5, and
ESRS 1 §21: double materiality is the union of the two), and a parent matter is material
if it is or any matter below it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from materiality.double.scoring import IroScore
from materiality.double.scoring.criteria import Axis, ScoringError
from materiality.double.scoring.overrides import Decision, Final


@dataclass(frozen=True, slots=True)
class MatterScore:
    matter: str
    impact_score: Decimal | None  # the maximum final score of its impact IROs
    financial_score: Decimal | None  # the maximum over its risks and opportunities
    impact_material: bool  # any of its impact IROs is material
    financial_material: bool  # any risk or opportunity is, by score or by amount
    children_material: tuple[str, ...]  # the matters directly below it that are material
    material: Final[bool]  # computed: its own IROs or a child; final: after a decision
    iros: tuple[str, ...]  # its IROs' codes, sorted
    needs_judgement: tuple[str, ...]  # those of its IROs that need a documented judgement


def roll_up(
    scores: Iterable[IroScore],
    parent_of: Mapping[str, str | None],
    decisions: Mapping[str, Decision[bool]] | None = None,
) -> dict[str, MatterScore]:
    """Every matter of `parent_of` (matter -> its parent, None at the top) with its scores.

    `decisions` are the decision group's final conclusions per matter; a child's final
    value is what its parent sees. Raises ScoringError for an IRO of an unknown matter,
    an unknown parent, a cycle in the tree, or a decision without reason and approver.
    """
    decisions = decisions or {}
    by_matter: dict[str, list[IroScore]] = {matter: [] for matter in parent_of}
    for result in scores:
        if result.iro.matter not in by_matter:
            raise ScoringError("unknown_matter", f"unknown matter {result.iro.matter!r}",
                               iro=result.iro.code)  # fmt: skip
        by_matter[result.iro.matter].append(result)
    children: dict[str, list[str]] = {matter: [] for matter in parent_of}
    for matter, parent in parent_of.items():
        if parent is not None:
            if parent not in children:
                raise ScoringError("unknown_matter", f"unknown parent {parent!r} of {matter!r}")
            children[parent].append(matter)
    _check_acyclic(parent_of)

    done: dict[str, MatterScore] = {}

    def visit(matter: str) -> MatterScore:
        if matter in done:
            return done[matter]
        below = [visit(child) for child in sorted(children[matter])]
        results = by_matter[matter]
        impacts = [r for r in results if r.axis is Axis.IMPACT]
        financial = [r for r in results if r.axis is Axis.FINANCIAL]
        impact_material = any(r.material for r in impacts)
        financial_material = any(r.material for r in financial)
        material_children = tuple(c.matter for c in below if c.material.final)
        computed = impact_material or financial_material or bool(material_children)
        decision = decisions.get(matter)
        done[matter] = MatterScore(
            matter=matter,
            impact_score=max((r.score.final for r in impacts), default=None),
            financial_score=max((r.score.final for r in financial), default=None),
            impact_material=impact_material,
            financial_material=financial_material,
            children_material=material_children,
            material=decision.applied_to(computed) if decision else Final(computed, computed),
            iros=tuple(sorted(r.iro.code for r in results)),
            needs_judgement=tuple(sorted(r.iro.code for r in results if r.needs_judgement)),
        )
        return done[matter]

    for matter in parent_of:
        visit(matter)
    return {matter: done[matter] for matter in parent_of}


def _check_acyclic(parent_of: Mapping[str, str | None]) -> None:
    for start in parent_of:
        seen = {start}
        parent = parent_of[start]
        while parent is not None:
            if parent in seen:
                raise ScoringError("cycle", f"the matter tree has a cycle through {parent!r}")
            seen.add(parent)
            parent = parent_of[parent]
