"""Double materiality scoring: an IRO's ratings in, its score, interval and flags out.

Pure functions on plain data (no Django, no models), so the rating, review and output
slices and the benchmark call the same code. For each IRO: the median of each criterion
across its raters, then the formula of its kind (impact: severity, with likelihood if
potential; risk or opportunity: magnitude with likelihood), an exact score compared with
the threshold of its axis (inclusive), a bootstrap interval over raters, and the flags a
reviewer must act on. `rollup` takes scores up to matters. docs/methodology.md,
"Double materiality scoring", states every formula with its source and a worked example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np

from materiality.double.scoring import resampling
from materiality.double.scoring.criteria import (
    Axis,
    CombineRule,
    Iro,
    Kind,
    Occurrence,
    Polarity,
    Rating,
    ScoringError,
    Settings,
    SeverityRule,
)
from materiality.double.scoring.formulas import (
    combine,
    combine_working,
    exact,
    median,
    reported,
    severity,
    severity_working,
    show,
)
from materiality.double.scoring.overrides import Final, as_computed

__all__ = [
    "Axis",
    "Basis",
    "CombineRule",
    "Explanation",
    "Final",
    "Flag",
    "Iro",
    "IroScore",
    "Kind",
    "Occurrence",
    "Polarity",
    "Rating",
    "ScoringError",
    "Settings",
    "SeverityRule",
    "override",
    "reported",
    "score_iro",
]

MIN_RATERS = 3  # fewer is flagged: a median of one or two opinions is thin evidence
IMPACT_CRITERIA = ("scale", "scope", "irremediability")
FINANCIAL_CRITERIA = ("magnitude",)


class Basis(StrEnum):
    """Which formula scored an IRO (the pages word it)."""

    ACTUAL_IMPACT = "actual_impact"  # S; likelihood does not apply (ESRS 1 §45)
    HUMAN_RIGHTS = "human_rights"  # potential negative human-rights impact: S (§45)
    POTENTIAL_IMPACT = "potential_impact"  # S combined with p by the potential rule
    FINANCIAL = "financial"  # M combined with p by the financial rule (§49, §51)


class Flag(StrEnum):
    FEW_RATERS = "few_raters"  # fewer than MIN_RATERS raters
    NEAR_THRESHOLD = "near_threshold"  # |score - threshold| <= near band
    INTERVAL_STRADDLES = "interval_straddles"  # the interval has values on both sides


JUDGEMENT_FLAGS = frozenset({Flag.NEAR_THRESHOLD, Flag.INTERVAL_STRADDLES})


@dataclass(frozen=True, slots=True)
class Explanation:
    """How a score was reached: the rule applied and the working, in figures."""

    basis: Basis
    severity_rule: SeverityRule | None  # None for a risk or an opportunity
    combine_rule: CombineRule | None  # None when likelihood does not apply
    working: tuple[str, ...]  # one line per step, e.g. "S = max(4, 3, 2) = 4"


@dataclass(frozen=True, slots=True)
class IroScore:
    """One IRO's result. Values are exact Decimals; `reported()` rounds for display."""

    iro: Iro
    raters: int
    medians: Mapping[str, Decimal]  # criterion -> median level across raters
    p: Decimal | None  # median probability of occurrence; None when it does not apply
    base: Decimal  # severity S (impact) or magnitude M (risk, opportunity)
    score: Final[Decimal]  # computed by the formula, and final (after any override)
    threshold: Decimal
    material_by_score: bool  # final score >= threshold, compared exactly
    interval: tuple[Decimal, Decimal] | None  # bootstrap over raters; None without resamples
    expected_amount: Decimal | None  # median amount x p, where amounts were given
    material_by_amount: bool | None  # None without amounts or a currency threshold
    flags: frozenset[Flag]
    explanation: Explanation

    @property
    def axis(self) -> Axis:
        return self.iro.axis

    @property
    def material(self) -> bool:
        """Material by the score, or (risks and opportunities) by the amount test."""
        return self.material_by_score or bool(self.material_by_amount)

    @property
    def needs_judgement(self) -> bool:
        """Near the threshold, or its interval straddles it: a documented judgement is
        needed before the result is approved."""
        return bool(self.flags & JUDGEMENT_FLAGS)


def score_iro(iro: Iro, ratings: Sequence[Rating], settings: Settings) -> IroScore:
    """Score one IRO from its raters' ratings (one per rater: the latest).

    Raises ScoringError when there are no ratings, a rater rates twice, a rating lacks a
    criterion the IRO needs, or carries one it must not (irremediability on a positive
    impact, ESRS 1 §46; impact criteria on a risk or an opportunity, or the reverse).
    """
    criteria = iro.criteria()
    _check(iro, ratings, criteria)
    # In rater order, so that the resamples do not depend on the order ratings came in.
    ratings = sorted(ratings, key=lambda rating: rating.rater)
    levels = np.array([[getattr(r, c) for c in criteria] for r in ratings], dtype=np.int8)
    method = _method(iro, settings)
    # Each criterion's median from its middle levels, as each resample's is found.
    columns = [sorted(column) for column in levels.T.tolist()]
    n = len(ratings)
    middles = tuple((column[(n - 1) // 2], column[n // 2]) for column in columns)
    medians = [Fraction(low + high, 2) for low, high in middles]
    p = _p(method, middles)
    base_values = medians[:-1] if method.rated_likelihood else medians
    computed = _from_middles(method, middles)
    threshold = settings.threshold(iro.axis)

    interval, straddles = None, False
    if settings.resamples:
        low, high = resampling.interval(
            iro.code,
            levels,
            partial(_from_middles, method),
            resamples=settings.resamples,
            confidence=Fraction(settings.confidence),
            seed=settings.seed,
        )
        interval = (exact(low), exact(high))
        straddles = low < Fraction(threshold) <= high

    expected, by_amount = _amount_test(iro, ratings, p, settings)
    flags = set()
    if len(ratings) < MIN_RATERS:
        flags.add(Flag.FEW_RATERS)
    if abs(computed - Fraction(threshold)) <= Fraction(settings.near_band):
        flags.add(Flag.NEAR_THRESHOLD)
    if straddles:
        flags.add(Flag.INTERVAL_STRADDLES)
    value = exact(computed)
    return IroScore(
        iro=iro,
        raters=len(ratings),
        medians={c: exact(m) for c, m in zip(criteria, medians, strict=True)},
        p=None if p is None else exact(p),
        base=exact(_base(method, base_values)),
        score=as_computed(value),
        threshold=threshold,
        material_by_score=computed >= Fraction(threshold),
        interval=interval,
        expected_amount=None if expected is None else exact(expected),
        material_by_amount=by_amount,
        flags=frozenset(flags),
        explanation=_explain(method, base_values, p, computed),
    )


def override(result: IroScore, final: Decimal, *, reason: str, approver: str) -> IroScore:
    """The result with a final score set by the decision group; the computed score is
    kept. Raises ScoringError (code "override") without a reason and an approver."""
    score = Final(result.score.computed, Decimal(final), reason, approver)
    return replace(result, score=score, material_by_score=score.final >= result.threshold)


def _check(iro: Iro, ratings: Sequence[Rating], criteria: tuple[str, ...]) -> None:
    if not ratings:
        raise ScoringError("no_ratings", "an IRO needs at least one rating", iro=iro.code)
    seen = set()
    for rating in ratings:
        where = {"iro": iro.code, "rater": rating.rater}
        if rating.rater in seen:
            raise ScoringError("duplicate_rater", "one rating per rater (the latest)", **where)
        seen.add(rating.rater)
        if iro.kind is Kind.IMPACT:
            if iro.polarity is Polarity.POSITIVE and rating.irremediability is not None:
                raise ScoringError(
                    "positive_irremediability",
                    "a positive impact takes no irremediability (ESRS 1 §46)",
                    **where,
                )
            if rating.magnitude is not None or rating.amount is not None:
                raise ScoringError(
                    "financial_criterion", "an impact takes no financial magnitude", **where
                )
        elif any(getattr(rating, c) is not None for c in IMPACT_CRITERIA):
            raise ScoringError(
                "impact_criterion",
                "a risk or an opportunity takes no scale, scope or irremediability",
                **where,
            )
        missing = [c for c in criteria if getattr(rating, c) is None]
        if missing:
            raise ScoringError(
                "missing_criterion", f"the rating lacks {', '.join(missing)}", **where
            )


class _Method(NamedTuple):
    """What an IRO's formula depends on besides its medians (hashable, for the cache)."""

    basis: Basis
    severity_rule: SeverityRule
    combine_rule: CombineRule | None  # None when likelihood does not apply
    rated_likelihood: bool  # likelihood is among the criteria (the last one)
    p_of: tuple[Fraction, ...]  # the probability of likelihood levels 1 to 5


def _method(iro: Iro, settings: Settings) -> _Method:
    basis = _basis(iro)
    rule = {
        Basis.FINANCIAL: settings.financial_rule,
        Basis.POTENTIAL_IMPACT: settings.potential_rule,
    }
    p_of = tuple(Fraction(p) for p in settings.likelihoods.values())  # sorted by level
    rated = "likelihood" in iro.criteria()
    return _Method(basis, settings.severity_rule, rule.get(basis), rated, p_of)


def _basis(iro: Iro) -> Basis:
    if iro.kind is not Kind.IMPACT:
        return Basis.FINANCIAL
    if iro.occurrence is Occurrence.ACTUAL:
        return Basis.ACTUAL_IMPACT
    if iro.human_rights and iro.polarity is Polarity.NEGATIVE:
        return Basis.HUMAN_RIGHTS
    return Basis.POTENTIAL_IMPACT


def _base(method: _Method, values: Sequence[Fraction]) -> Fraction:
    if method.basis is Basis.FINANCIAL:
        return values[0]  # the median magnitude
    return severity(values, method.severity_rule)


def _formula(method: _Method, values: Sequence[Fraction], p: Fraction | None) -> Fraction:
    base = _base(method, values)
    if method.combine_rule is None:
        return base  # an actual impact, or a potential negative human-rights one: S
    return combine(base, _known(p), method.combine_rule)


# Resamples of different IROs often share their middle levels; across a 500-IRO
# assessment this cache saves most of the exact arithmetic.
@lru_cache(maxsize=1 << 16)
def _from_middles(method: _Method, middles: resampling.Middles) -> Fraction:
    """The score from the two middle levels of each criterion (equal with an odd count):
    the medians are their means, and p the mean of their probabilities, which is the
    median probability because the mapping increases."""
    values = [Fraction(low + high, 2) for low, high in middles]
    if method.rated_likelihood:  # the last criterion
        values = values[:-1]
    return _formula(method, values, _p(method, middles))


def _p(method: _Method, middles: resampling.Middles) -> Fraction | None:
    """The median probability of occurrence; None where likelihood is not rated."""
    if not method.rated_likelihood:
        return None
    low, high = middles[-1]
    return (method.p_of[low - 1] + method.p_of[high - 1]) / 2


def _explain(
    method: _Method, values: Sequence[Fraction], p: Fraction | None, score: Fraction
) -> Explanation:
    rule = method.combine_rule
    if method.basis is Basis.FINANCIAL:
        lines = [f"M = median magnitude = {show(values[0])}"]
    else:
        lines = [severity_working(values, method.severity_rule)]
    if rule is None:
        lines.append(f"score = S = {show(score)}")
    else:
        name = "M" if method.basis is Basis.FINANCIAL else "S"
        lines.append(f"p = median likelihood = {show(_known(p))}")
        lines.append("score = " + combine_working(_base(method, values), _known(p), rule, name))
    severity_rule = None if method.basis is Basis.FINANCIAL else method.severity_rule
    return Explanation(method.basis, severity_rule, rule, tuple(lines))


def _amount_test(
    iro: Iro, ratings: Sequence[Rating], p: Fraction | None, settings: Settings
) -> tuple[Fraction | None, bool | None]:
    """The second, separate test for risks and opportunities: median amount x p against
    the team's currency threshold. Not bootstrapped: amounts are optional, and a rater
    who gives none has no say in it."""
    amounts = [Fraction(r.amount) for r in ratings if r.amount is not None]
    if iro.kind is Kind.IMPACT or not amounts:
        return None, None
    expected = median(amounts) * _known(p)
    if settings.currency_threshold is None:
        return expected, None
    return expected, expected >= Fraction(settings.currency_threshold)


def _known(p: Fraction | None) -> Fraction:
    if p is None:  # criteria() lists likelihood wherever a formula uses it
        raise AssertionError("likelihood expected")
    return p
