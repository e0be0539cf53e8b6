"""What scoring takes in: the grouped rating counts and the method's parameters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

MAX_BOOTSTRAP_SAMPLES = 100_000


class Weighting(StrEnum):
    RESPONDENT = "respondent"  # every rating weighs the same
    EQUAL_GROUP = "equal_group"  # every stakeholder group with ratings weighs the same
    CUSTOM = "custom"  # group g weighs Params.group_weights[g]


class AxisSource(StrEnum):
    ALL_RATE_BOTH = "all_rate_both"  # every respondent's ratings count on both axes
    SPLIT_INTERNAL_EXTERNAL = "split_internal_external"  # company axis: internal; other: external


class ThresholdMode(StrEnum):
    FIXED = "fixed"  # the threshold is a value on the rating scale
    RELATIVE = "relative"  # the threshold is the mean of the topic means plus an offset


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a parameter: `field` names it, `code` says what is wrong (for
    a caller that words it in its user's language), `message` says it in English;
    `subjects` are the group codes at fault, for the group weights."""

    field: str
    code: str
    message: str
    subjects: tuple[str, ...] = ()


class InvalidParams(ValueError):
    """Parameters that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem], prefix: str = "") -> None:
        self.problems = tuple(problems)
        super().__init__(prefix + "; ".join(problem.message for problem in problems))


@dataclass(frozen=True, slots=True)
class Cell:
    """One row of the rating counts: how many respondents gave `level`.

    "Don't know" is not a rating and is never passed as a Cell.
    """

    topic: str
    axis: str
    group: str
    internal: bool  # the respondents answered as internal stakeholders
    level: int
    count: int


@dataclass(frozen=True, slots=True)
class Params:
    """The method's parameters; invalid combinations raise ValueError on construction."""

    scale_min: int = 1
    scale_max: int = 5
    company_axis: str = "company"
    stakeholder_axis: str = "stakeholder"
    weighting: Weighting = Weighting.RESPONDENT
    # With CUSTOM: a group missing from the mapping weighs 0.
    group_weights: Mapping[str, float] = field(default_factory=dict)
    axis_source: AxisSource = AxisSource.ALL_RATE_BOTH
    threshold_mode: ThresholdMode = ThresholdMode.RELATIVE
    # FIXED: a value on the scale. RELATIVE: scale points added to the mean of topic means.
    company_threshold: float = 0.0
    stakeholder_threshold: float = 0.0
    divergence_limit: float = 0.75
    bootstrap_samples: int = 1000  # 0: no bootstrap (no confidence intervals, no p_material)
    confidence: float = 0.95
    seed: int = 20211231

    def __post_init__(self) -> None:
        # Parameters may come back from JSON (a recorded run, the API), so enum values are
        # accepted and numbers are checked rather than trusted.
        for name, enum in (
            ("weighting", Weighting),
            ("axis_source", AxisSource),
            ("threshold_mode", ThresholdMode),
        ):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                choices = ", ".join(repr(member.value) for member in enum)
                message = f"{name} must be one of {choices}, not {value!r}"
                raise InvalidParams([Problem(name, "choice", message)]) from None
        for name in ("scale_min", "scale_max", "bootstrap_samples", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                message = f"{name} must be an integer, not {value!r}"
                raise InvalidParams([Problem(name, "integer", message)])
        for name in (
            "company_threshold",
            "stakeholder_threshold",
            "divergence_limit",
            "confidence",
        ):
            object.__setattr__(self, name, _finite(name, getattr(self, name)))
        # A private, sorted copy: changing the caller's dict later cannot alter the recorded
        # parameters, and as_dict() is stable.
        weights = {
            str(code): _finite(f"the weight of group {code!r}", weight, "group_weights", code)
            for code, weight in sorted(self.group_weights.items())
        }
        object.__setattr__(self, "group_weights", weights)
        problems = self._problems()
        if problems:
            raise InvalidParams(problems, prefix="invalid scoring parameters: ")

    def _problems(self) -> list[Problem]:
        problems = []
        if self.scale_min >= self.scale_max:
            problems.append(
                Problem(
                    "scale_max",
                    "scale_order",
                    f"scale_min ({self.scale_min}) must be below scale_max ({self.scale_max})",
                )
            )
        if not all(isinstance(c, str) and c for c in (self.company_axis, self.stakeholder_axis)):
            problems.append(
                Problem("company_axis", "axis_code", "the axis codes must be non-empty strings")
            )
        if self.company_axis == self.stakeholder_axis:
            problems.append(
                Problem(
                    "stakeholder_axis",
                    "axis_code",
                    "company_axis and stakeholder_axis must differ",
                )
            )
        if not 0 <= self.bootstrap_samples <= MAX_BOOTSTRAP_SAMPLES:
            problems.append(
                Problem(
                    "bootstrap_samples",
                    "range",
                    f"bootstrap_samples must be between 0 and {MAX_BOOTSTRAP_SAMPLES}",
                )
            )
        if not 0 < self.confidence < 1:
            problems.append(
                Problem("confidence", "range", "confidence must be strictly between 0 and 1")
            )
        if self.seed < 0:
            problems.append(Problem("seed", "range", "seed must not be negative"))
        if self.divergence_limit < 0:
            problems.append(
                Problem("divergence_limit", "range", "divergence_limit must not be negative")
            )
        if self.threshold_mode is ThresholdMode.FIXED:
            for axis, value in (
                ("company", self.company_threshold),
                ("stakeholder", self.stakeholder_threshold),
            ):
                if not self.scale_min <= value <= self.scale_max:
                    problems.append(
                        Problem(
                            f"{axis}_threshold",
                            "outside_scale",
                            f"the fixed {axis} threshold {value} lies outside the scale "
                            f"{self.scale_min} to {self.scale_max}",
                        )
                    )
        negative = tuple(code for code, weight in self.group_weights.items() if weight < 0)
        if negative:
            problems.append(
                Problem(
                    "group_weights",
                    "negative",
                    f"group weights must not be negative: {', '.join(negative)}",
                    negative,
                )
            )
        if self.weighting is Weighting.CUSTOM and not any(self.group_weights.values()):
            problems.append(
                Problem(
                    "group_weights",
                    "no_positive_weight",
                    "custom weighting needs a positive weight for at least one group",
                )
            )
        return problems

    def as_dict(self) -> dict[str, object]:
        """The parameters as JSON-serialisable data, in a stable key order."""
        data: dict[str, object] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, Mapping):
                value = dict(value)
            data[spec.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Params:
        """Rebuild parameters from as_dict() output, e.g. those recorded with a run."""
        unknown = sorted(set(data) - {spec.name for spec in fields(cls)})
        if unknown:
            raise ValueError(f"unknown scoring parameters: {', '.join(unknown)}")
        kwargs: dict[str, Any] = dict(data)
        return cls(**kwargs)


def _finite(name: str, value: object, field: str = "", *subjects: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        message = f"{name} must be a finite number, not {value!r}"
        raise InvalidParams([Problem(field or name, "finite", message, subjects)])
    return float(value)
