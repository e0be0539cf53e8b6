"""What double materiality scoring takes in: an IRO, its raters' ratings, the settings.

Plain frozen dataclasses, no Django: the rating and review slices adapt their models to
these. Numbers are Decimals (floats from JSON are read through their shortest repr, so
0.1 stays 0.1), checked on construction rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Any

MAX_RESAMPLES = 100_000
LEVELS = range(1, 6)  # every criterion is rated on an anchored 1-5 scale


class Kind(StrEnum):
    IMPACT = "impact"
    RISK = "risk"
    OPPORTUNITY = "opportunity"


class Polarity(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


class Occurrence(StrEnum):
    ACTUAL = "actual"
    POTENTIAL = "potential"


class Axis(StrEnum):
    """The two dimensions of double materiality; each has its own threshold."""

    IMPACT = "impact"  # impacts on people and the environment (ESRS 1 §43)
    FINANCIAL = "financial"  # risks and opportunities (ESRS 1 §49)


class SeverityRule(StrEnum):
    MEAN = "mean"
    MAX = "max"  # ESRS 1 AR 11: any one characteristic can make an impact severe
    MEAN_MAX = "mean_max"  # (mean + max) / 2


class CombineRule(StrEnum):
    PRODUCT = "product"  # S x p
    CAPPED = "capped"  # min(S, (S + 5p) / 2)


class ScoringError(ValueError):
    """Input that cannot be scored. `code` says what is wrong, for a service that words it
    in its user's language; `iro` and `rater` say where; the message is English."""

    def __init__(self, code: str, message: str, *, iro: str = "", rater: str = "") -> None:
        self.code, self.iro, self.rater = code, iro, rater
        where = ", ".join(
            part for part in (iro and f"IRO {iro}", rater and f"rater {rater}") if part
        )
        super().__init__(f"{message} ({where})" if where else message)


@dataclass(frozen=True, slots=True)
class Iro:
    """An impact, risk or opportunity as scoring sees it.

    Polarity, occurrence and the human-rights flag matter for impacts only: a risk or an
    opportunity is always scored from magnitude and likelihood (ESRS 1 §49, §51).
    """

    code: str
    matter: str
    kind: Kind
    polarity: Polarity = Polarity.NEGATIVE
    occurrence: Occurrence = Occurrence.POTENTIAL
    human_rights: bool = False

    def __post_init__(self) -> None:
        for name, enum in (("kind", Kind), ("polarity", Polarity), ("occurrence", Occurrence)):
            object.__setattr__(self, name, _choice(name, getattr(self, name), enum))

    @property
    def axis(self) -> Axis:
        return Axis.IMPACT if self.kind is Kind.IMPACT else Axis.FINANCIAL

    def criteria(self) -> tuple[str, ...]:
        """The 1-5 criteria every rating of this IRO must carry, in the order shown."""
        if self.kind is not Kind.IMPACT:
            return ("magnitude", "likelihood")
        severity: tuple[str, ...] = ("scale", "scope")
        if self.polarity is Polarity.NEGATIVE:
            severity += ("irremediability",)  # ESRS 1 §45; a positive impact has none (§46)
        return severity + (("likelihood",) if self.occurrence is Occurrence.POTENTIAL else ())


@dataclass(frozen=True, slots=True)
class Rating:
    """One rater's rating of one IRO: levels 1-5, None where the criterion was not rated.

    `amount` (risks and opportunities) is the financial effect in the team's currency, if
    the rater put a figure on it.
    """

    rater: str
    scale: int | None = None
    scope: int | None = None
    irremediability: int | None = None
    likelihood: int | None = None
    magnitude: int | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("scale", "scope", "irremediability", "likelihood", "magnitude"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value not in LEVELS:
                raise ScoringError(
                    "level",
                    f"{name} must be a whole number from 1 to 5, not {value!r}",
                    rater=self.rater,
                )
        if self.amount is not None:
            amount = _decimal("amount", self.amount)
            if amount < 0:
                raise ScoringError("amount", "an amount must not be negative", rater=self.rater)
            object.__setattr__(self, "amount", amount)


def _default_likelihoods() -> dict[int, Decimal]:
    return {1: Decimal("0.1"), 2: Decimal("0.3"), 3: Decimal("0.5"), 4: Decimal("0.7"),
            5: Decimal("0.9")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Settings:
    """The method in force, frozen with the methodology version when rating starts.

    Defaults: severity (mean + max) / 2 and the capped average for likelihood, so that a
    likely impact stays on the same 1-5 scale as an actual one and one threshold serves
    both (docs/methodology.md, "Double materiality scoring", says why).
    """

    severity_rule: SeverityRule = SeverityRule.MEAN_MAX
    potential_rule: CombineRule = CombineRule.CAPPED
    financial_rule: CombineRule = CombineRule.CAPPED
    # Likelihood level -> probability p of occurrence; strictly increasing, within 0-1.
    likelihoods: Mapping[int, Decimal] = field(default_factory=_default_likelihoods)
    impact_threshold: Decimal = Decimal("3.00")  # inclusive: a score >= it is material
    financial_threshold: Decimal = Decimal("3.00")
    near_band: Decimal = Decimal("0.25")  # |score - threshold| <= it needs a judgement
    currency_threshold: Decimal | None = None  # amount x p >= it is material by amount
    confidence: Decimal = Decimal("0.95")
    resamples: int = 2000  # 0: no bootstrap, no interval
    seed: int = 20240501

    def __post_init__(self) -> None:
        for name, enum in (
            ("severity_rule", SeverityRule),
            ("potential_rule", CombineRule),
            ("financial_rule", CombineRule),
        ):
            object.__setattr__(self, name, _choice(name, getattr(self, name), enum))
        for name in ("impact_threshold", "financial_threshold", "near_band", "confidence"):
            object.__setattr__(self, name, _decimal(name, getattr(self, name)))
        if self.currency_threshold is not None:
            currency = _decimal("currency_threshold", self.currency_threshold)
            object.__setattr__(self, "currency_threshold", currency)
        for name in ("resamples", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScoringError("integer", f"{name} must be a whole number, not {value!r}")
        likelihoods = {
            _level(level): _decimal(f"the probability of likelihood {level}", p)
            for level, p in self.likelihoods.items()
        }
        object.__setattr__(self, "likelihoods", dict(sorted(likelihoods.items())))
        self._check()

    def _check(self) -> None:
        for name in ("impact_threshold", "financial_threshold"):
            if not 0 < getattr(self, name) <= 5:
                raise ScoringError("range", f"{name} must lie above 0 and at most 5")
        if self.near_band < 0:
            raise ScoringError("range", "near_band must not be negative")
        if self.currency_threshold is not None and self.currency_threshold <= 0:
            raise ScoringError("range", "currency_threshold must be above 0")
        if not 0 < self.confidence < 1:
            raise ScoringError("range", "confidence must lie strictly between 0 and 1")
        if not 0 <= self.resamples <= MAX_RESAMPLES:
            raise ScoringError("range", f"resamples must be from 0 to {MAX_RESAMPLES}")
        if self.seed < 0:
            raise ScoringError("range", "seed must not be negative")
        if set(self.likelihoods) != set(LEVELS):
            raise ScoringError("likelihoods", "likelihoods must give p for each level 1 to 5")
        ps = list(self.likelihoods.values())
        # Increasing: a higher level must mean likelier, and the bootstrap relies on the
        # median of the p's being the p of the median levels.
        if ps[0] < 0 or ps[-1] > 1 or any(a >= b for a, b in pairwise(ps)):
            raise ScoringError(
                "likelihoods", "likelihood probabilities must increase with the level, within 0-1"
            )

    def threshold(self, axis: Axis) -> Decimal:
        return self.impact_threshold if axis is Axis.IMPACT else self.financial_threshold

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, Decimals as strings (exact), in a stable key order."""
        data: dict[str, object] = {}
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, Mapping):
                value = {str(level): str(p) for level, p in value.items()}
            data[spec.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Settings:
        """Rebuild settings from as_dict() output, e.g. a frozen methodology version."""
        unknown = sorted(set(data) - {spec.name for spec in fields(cls)})
        if unknown:
            raise ScoringError("unknown", f"unknown scoring settings: {', '.join(unknown)}")
        kwargs: dict[str, Any] = dict(data)
        return cls(**kwargs)


def _choice(name: str, value: object, enum: type[StrEnum]) -> StrEnum:
    choices = ", ".join(repr(member.value) for member in enum)
    problem = ScoringError("choice", f"{name} must be one of {choices}, not {value!r}")
    if not isinstance(value, str):  # a member is a str too
        raise problem
    try:
        return enum(value)
    except ValueError:
        raise problem from None


def _decimal(name: str, value: object) -> Decimal:
    """A finite Decimal from a Decimal, an int, a numeric string or a float (by its repr)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str | float):
        raise ScoringError("number", f"{name} must be a number, not {value!r}")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ScoringError("number", f"{name} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ScoringError("number", f"{name} must be a finite number, not {value!r}")
    return number


def _level(value: object) -> int:
    """A likelihood level from an int or, after a JSON round trip, its string."""
    try:
        level = int(str(value))
    except ValueError:
        raise ScoringError("likelihoods", f"{value!r} is not a likelihood level") from None
    return level
