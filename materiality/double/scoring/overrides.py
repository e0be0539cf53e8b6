"""Overrides: a final value beside the computed one, never silently in its place.

The decision group may conclude differently from the formula (EFRAG IG 1 expects
objective criteria plus documented judgement); the computed value is kept and shown,
and a final value that differs needs a reason and the person who approved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from materiality.double.scoring.criteria import ScoringError

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Final(Generic[V]):
    """A computed value and the final one; raises ScoringError (code "override") when
    they differ without a reason and an approver."""

    computed: V
    final: V
    reason: str = ""
    approver: str = ""

    def __post_init__(self) -> None:
        if self.overridden and not (self.reason.strip() and self.approver.strip()):
            raise ScoringError(
                "override",
                f"a final value ({self.final}) that differs from the computed one "
                f"({self.computed}) needs a reason and an approver",
            )

    @property
    def overridden(self) -> bool:
        return bool(self.final != self.computed)


def as_computed(value: V) -> Final[V]:
    """The computed value, kept as final."""
    return Final(value, value)


@dataclass(frozen=True, slots=True)
class Decision(Generic[V]):
    """A final value the decision group set, before it meets the computed one."""

    final: V
    reason: str = ""
    approver: str = ""

    def applied_to(self, computed: V) -> Final[V]:
        return Final(computed, self.final, self.reason, self.approver)
