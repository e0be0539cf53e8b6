"""The formulas, in exact rational arithmetic.

Scores are computed as `Fraction`s, not Decimals: a Decimal cannot hold a third, and the
mean of three criteria times a likelihood would then land at 2.99…97 where the exact
value is 3.00 (mean(3, 3, 4) = 10/3, times p = 0.9). As Fractions every intermediate
value is exact, so a score that is at the threshold compares equal to it; values become
Decimals only for results, and are rounded half-up to 2 places only when reported.
Each formula also returns its working, written in figures (language-neutral), which the
result's explanation keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from materiality.double.scoring.criteria import CombineRule, SeverityRule

TOP = 5  # the top of the 1-5 scale, the "5" of the capped average
PRECISION = 28  # digits of a Decimal result; scores differ from thresholds by far more
CENT = Decimal("0.01")


def median(values: Sequence[Fraction]) -> Fraction:
    """The middle value; with an even count, the mean of the two middle values."""
    if not values:
        raise ValueError("the median of no values")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def severity(values: Sequence[Fraction], rule: SeverityRule) -> Fraction:
    """Severity S from the median scale, scope (and irremediability, for a negative impact).

    ESRS 1 §45 and AR 10 name the characteristics; AR 11 says any one of them can make a
    negative impact severe, which the max rule (and half of mean_max) honours.
    """
    mean = sum(values, Fraction(0)) / len(values)
    if rule is SeverityRule.MEAN:
        return mean
    if rule is SeverityRule.MAX:
        return max(values)
    return (mean + max(values)) / 2


def severity_working(values: Sequence[Fraction], rule: SeverityRule) -> str:
    """How `severity` reached its value, in figures."""
    listed = ", ".join(show(v) for v in values)
    mean = sum(values, Fraction(0)) / len(values)
    result = show(severity(values, rule))
    if rule is SeverityRule.MEAN:
        return f"S = mean({listed}) = {result}"
    if rule is SeverityRule.MAX:
        return f"S = max({listed}) = {result}"
    return (
        f"S = (mean({listed}) + max({listed})) / 2 = ({show(mean)} + {show(max(values))}) / 2"
        f" = {result}"
    )


def combine(base: Fraction, p: Fraction, rule: CombineRule) -> Fraction:
    """A severity S (or a magnitude M) combined with the likelihood p (0-1).

    product: base x p. capped: min(base, (base + 5p) / 2), the average of the base and the
    likelihood put on the 1-5 scale, never above the base: likelihood can lower a score
    but never raise it above the harm (or the effect) itself.
    """
    if rule is CombineRule.PRODUCT:
        return base * p
    return min(base, (base + TOP * p) / 2)


def combine_working(base: Fraction, p: Fraction, rule: CombineRule, name: str) -> str:
    """How `combine` reached its value, in figures; `name` is S or M."""
    result = show(combine(base, p, rule))
    if rule is CombineRule.PRODUCT:
        return f"{name} × p = {show(base)} × {show(p)} = {result}"
    average = show((base + TOP * p) / 2)
    return (
        f"min({name}, ({name} + 5p) / 2) = min({show(base)}, ({show(base)} + 5 × {show(p)}) / 2)"
        f" = min({show(base)}, {average}) = {result}"
    )


def exact(value: Fraction) -> Decimal:
    """A Fraction as a Decimal: exact when it terminates within 28 digits, else rounded
    there (a non-terminating score is never within 10^-27 of a 2-place threshold)."""
    with localcontext() as context:
        context.prec = PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


def reported(value: Decimal | Fraction) -> Decimal:
    """The value as reported: half-up to 2 decimal places (2.675 -> 2.68)."""
    number = exact(value) if isinstance(value, Fraction) else value
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def show(value: Fraction) -> str:
    """A value for an explanation: exact when it has at most 4 decimals, else ≈ 4 places."""
    number = exact(value)
    shown = number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if shown == number:
        return format(number.normalize(), "f")
    return "≈" + format(shown.normalize(), "f")
