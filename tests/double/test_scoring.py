"""Tests of materiality.double.scoring: pure functions, no database.

Hand-worked cases for every formula and setting (the figures in the comments are the
working), values built to land exactly on the threshold, and properties checked against
an independent computation in fractions.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from materiality.double.scoring import (
    Basis,
    Flag,
    Iro,
    IroScore,
    Kind,
    Occurrence,
    Polarity,
    Rating,
    ScoringError,
    Settings,
    override,
    reported,
    score_iro,
)
from materiality.double.scoring.overrides import Decision, Final
from materiality.double.scoring.rollup import roll_up

NO_BOOTSTRAP = {"resamples": 0}


def impact(
    code: str = "i1",
    *,
    matter: str = "m1",
    polarity: str = "negative",
    occurrence: str = "actual",
    human_rights: bool = False,
) -> Iro:
    return Iro(code, matter, Kind.IMPACT, Polarity(polarity), Occurrence(occurrence), human_rights)


def unanimous(n: int = 3, **levels: int | Decimal) -> list[Rating]:
    """n raters who all give the same levels."""
    return [Rating(f"r{i}", **levels) for i in range(n)]  # type: ignore[arg-type]


def scored(iro: Iro, ratings: list[Rating], **options: object) -> IroScore:
    return score_iro(iro, ratings, Settings(**{**NO_BOOTSTRAP, **options}))  # type: ignore[arg-type]


THREE = Decimal("3.00")


# Severity of a negative impact (ESRS 1 §45, AR 10, AR 11) ---------------------------------


@pytest.mark.parametrize(
    ("rule", "levels", "expected"),
    [
        ("mean", (2, 3, 4), Decimal("3")),  # (2 + 3 + 4) / 3
        ("max", (2, 3, 4), Decimal("4")),
        ("mean_max", (2, 3, 4), Decimal("3.5")),  # (3 + 4) / 2
        ("mean_max", (1, 1, 4), Decimal("3")),  # (2 + 4) / 2
        ("max", (1, 1, 3), Decimal("3")),
        ("mean", (2, 2, 3), Decimal("2.333333333333333333333333333")),  # 7 / 3
    ],
)
def test_it_scores_an_actual_negative_impact_by_its_severity(
    rule: str, levels: tuple[int, int, int], expected: Decimal
) -> None:
    scale, scope, irremediability = levels
    result = scored(
        impact(), unanimous(scale=scale, scope=scope, irremediability=irremediability),
        severity_rule=rule,
    )  # fmt: skip
    assert result.score.computed == expected
    assert result.base == expected
    assert result.explanation.basis is Basis.ACTUAL_IMPACT
    assert result.material is (expected >= THREE)


def test_a_score_built_to_land_on_the_threshold_is_at_it_and_material() -> None:
    # mean(3, 3, 4) = 10/3, times p = 0.9 is exactly 3; in floats or 28-digit decimals it
    # would be 2.99...97 and miss the threshold.
    result = scored(
        impact(occurrence="potential"),
        unanimous(scale=3, scope=3, irremediability=4, likelihood=5),
        severity_rule="mean", potential_rule="product",
    )  # fmt: skip
    assert result.score.computed == THREE
    assert str(result.score.computed) == "3"
    assert result.material_by_score
    assert result.material
    assert Flag.NEAR_THRESHOLD in result.flags  # |3 - 3| <= 0.25
    assert result.explanation.working == (
        "S = mean(3, 3, 4) = ≈3.3333",
        "p = median likelihood = 0.9",
        "score = S × p = ≈3.3333 × 0.9 = 3",
    )


def test_the_brief_example_mean_max_of_two_three_four_capped_lands_on_three() -> None:
    # S = (3 + 4) / 2 = 3.5; p = 0.5; (3.5 + 2.5) / 2 = 3 < 3.5 -> 3
    result = scored(
        impact(occurrence="potential"),
        unanimous(scale=2, scope=3, irremediability=4, likelihood=3),
    )
    assert result.score.computed == THREE
    assert result.material
    assert result.explanation.working[-1] == (
        "score = min(S, (S + 5p) / 2) = min(3.5, (3.5 + 5 × 0.5) / 2) = min(3.5, 3) = 3"
    )


# Potential impacts: likelihood ---------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "levels", "likelihood", "expected"),
    [
        ("product", (4, 4, 4), 4, Decimal("2.8")),  # 4 x 0.7
        ("capped", (4, 4, 4), 4, Decimal("3.75")),  # min(4, (4 + 3.5) / 2)
        ("capped", (2, 2, 2), 5, Decimal("2")),  # min(2, (2 + 4.5) / 2 = 3.25): capped at S
        ("capped", (5, 5, 5), 3, Decimal("3.75")),  # (5 + 2.5) / 2
        ("product", (5, 5, 5), 3, Decimal("2.5")),  # 5 x 0.5
    ],
)
def test_it_combines_severity_with_likelihood_by_the_setting(
    rule: str, levels: tuple[int, int, int], likelihood: int, expected: Decimal
) -> None:
    scale, scope, irremediability = levels
    result = scored(
        impact(occurrence="potential"),
        unanimous(scale=scale, scope=scope, irremediability=irremediability, likelihood=likelihood),
        severity_rule="mean", potential_rule=rule,
    )  # fmt: skip
    assert result.score.computed == expected
    assert result.explanation.basis is Basis.POTENTIAL_IMPACT


def test_the_likelihood_mapping_is_a_setting() -> None:
    likelihoods = {1: "0.05", 2: "0.25", 3: "0.5", 4: "0.75", 5: "0.95"}
    result = scored(
        impact(occurrence="potential"),
        unanimous(scale=4, scope=4, irremediability=4, likelihood=4),
        potential_rule="product", likelihoods=likelihoods,
    )  # fmt: skip
    assert result.p == Decimal("0.75")
    assert result.score.computed == Decimal("3")  # 4 x 0.75


def test_a_score_exactly_a_near_band_below_the_threshold_is_flagged_but_not_material() -> None:
    # capped: min(4, (4 + 5 x 0.3) / 2) = 2.75 = 3.00 - 0.25
    ratings = unanimous(scale=4, scope=4, irremediability=4, likelihood=2)
    result = scored(impact(occurrence="potential"), ratings)
    assert result.score.computed == Decimal("2.75")
    assert not result.material
    assert result.needs_judgement
    assert result.flags == {Flag.NEAR_THRESHOLD}
    # A hair further away is not flagged.
    farther = scored(impact(occurrence="potential"), ratings, impact_threshold="3.01")
    assert farther.flags == frozenset()
    assert not farther.needs_judgement


def test_a_potential_negative_human_rights_impact_scores_its_severity() -> None:
    # ESRS 1 §45: severity takes precedence over likelihood. p = 0.1 would give 0.4.
    ratings = unanimous(scale=4, scope=4, irremediability=4, likelihood=1)
    rights = scored(
        impact(occurrence="potential", human_rights=True), ratings, potential_rule="product"
    )
    assert rights.score.computed == Decimal("4")
    assert rights.material
    assert rights.explanation.basis is Basis.HUMAN_RIGHTS
    assert rights.explanation.combine_rule is None
    assert rights.p == Decimal("0.1")  # rated and shown, not used
    assert rights.explanation.working == (
        "S = (mean(4, 4, 4) + max(4, 4, 4)) / 2 = (4 + 4) / 2 = 4",
        "score = S = 4",
    )
    other = scored(impact(occurrence="potential"), ratings, potential_rule="product")
    assert other.score.computed == Decimal("0.4")
    assert not other.material


def test_an_actual_impact_scores_its_severity_whatever_the_likelihood() -> None:
    with_p = scored(impact(), unanimous(scale=4, scope=3, irremediability=2, likelihood=1))
    without = scored(impact(), unanimous(scale=4, scope=3, irremediability=2))
    assert with_p.score.computed == without.score.computed == Decimal("3.5")  # (3 + 4) / 2
    assert with_p.p is None


# Positive impacts (ESRS 1 §46) ---------------------------------------------------------


def test_a_positive_impact_is_scored_from_scale_and_scope_only() -> None:
    result = scored(impact(polarity="positive"), unanimous(scale=2, scope=4))
    assert result.score.computed == Decimal("3.5")  # (mean 3 + max 4) / 2
    assert set(result.medians) == {"scale", "scope"}


def test_a_positive_impact_with_an_irremediability_value_is_refused() -> None:
    ratings = [*unanimous(2, scale=3, scope=3), Rating("r9", scale=3, scope=3, irremediability=2)]
    with pytest.raises(ScoringError, match="positive impact takes no irremediability") as error:
        scored(impact(polarity="positive"), ratings)
    assert error.value.code == "positive_irremediability"
    assert error.value.rater == "r9"
    assert error.value.iro == "i1"


def test_a_potential_positive_human_rights_impact_still_weighs_likelihood() -> None:
    ratings = unanimous(scale=4, scope=4, likelihood=1)
    result = scored(
        impact(polarity="positive", occurrence="potential", human_rights=True),
        ratings, potential_rule="product",
    )  # fmt: skip
    assert result.score.computed == Decimal("0.4")


# Risks and opportunities (ESRS 1 §§49-51) ----------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"), [("product", Decimal("2.8")), ("capped", Decimal("3.75"))]
)
def test_it_scores_a_risk_from_magnitude_and_likelihood(rule: str, expected: Decimal) -> None:
    risk = Iro("r1", "m1", Kind.RISK)
    result = scored(risk, unanimous(magnitude=4, likelihood=4), financial_rule=rule)
    assert result.score.computed == expected  # 4 x 0.7; min(4, (4 + 3.5) / 2)
    assert result.threshold == Decimal("3.00")
    assert result.explanation.basis is Basis.FINANCIAL
    assert result.explanation.working[0] == "M = median magnitude = 4"


def test_the_amount_test_is_a_second_separate_test_inclusive_at_the_currency_threshold() -> None:
    risk = Iro("r1", "m1", Kind.RISK)
    ratings = [
        Rating("a", magnitude=4, likelihood=4, amount=Decimal("1000000")),
        Rating("b", magnitude=4, likelihood=4, amount=Decimal("2000000")),
        Rating("c", magnitude=4, likelihood=4, amount=Decimal("3000000")),
        Rating("d", magnitude=4, likelihood=4),  # no figure: no say in the amount
    ]
    result = scored(risk, ratings, financial_rule="product", currency_threshold="1400000")
    assert result.score.computed == Decimal("2.8")
    assert not result.material_by_score
    assert result.expected_amount == Decimal("1400000")  # 2,000,000 x 0.7
    assert result.material_by_amount is True
    assert result.material
    higher = scored(risk, ratings, financial_rule="product", currency_threshold="1400000.01")
    assert higher.material_by_amount is False
    assert not higher.material
    unset = scored(risk, ratings, financial_rule="product")
    assert unset.material_by_amount is None
    assert unset.expected_amount == Decimal("1400000")


def test_thresholds_are_per_kind() -> None:
    ratings = unanimous(magnitude=3, likelihood=5)  # capped: min(3, (3 + 4.5) / 2) = 3
    opportunity = Iro("o1", "m1", Kind.OPPORTUNITY)
    assert scored(opportunity, ratings, impact_threshold="3.5").material
    assert not scored(opportunity, ratings, financial_threshold="3.5").material


@pytest.mark.parametrize(
    ("iro", "rating", "code"),
    [
        (Iro("r1", "m1", Kind.RISK), Rating("a", scale=3, magnitude=3, likelihood=3),
         "impact_criterion"),
        (impact(), Rating("a", scale=3, scope=3, irremediability=3, magnitude=3),
         "financial_criterion"),
        (impact(), Rating("a", scale=3, scope=3), "missing_criterion"),
        (impact(occurrence="potential"), Rating("a", scale=3, scope=3, irremediability=3),
         "missing_criterion"),
    ],
)  # fmt: skip
def test_it_refuses_criteria_that_do_not_belong(iro: Iro, rating: Rating, code: str) -> None:
    with pytest.raises(ScoringError) as error:
        scored(iro, [rating])
    assert error.value.code == code


def test_it_refuses_no_ratings_a_rater_twice_and_levels_off_the_scale() -> None:
    with pytest.raises(ScoringError, match="at least one rating"):
        scored(impact(), [])
    twice = [Rating("a", scale=3, scope=3, irremediability=3)] * 2
    with pytest.raises(ScoringError, match="one rating per rater"):
        scored(impact(), twice)
    with pytest.raises(ScoringError, match="from 1 to 5"):
        Rating("a", scale=6)
    with pytest.raises(ScoringError, match="from 1 to 5"):
        Rating("a", scale=True)
    with pytest.raises(ScoringError, match="must not be negative"):
        Rating("a", magnitude=3, amount=Decimal(-1))


# Raters: medians, the bootstrap and its flags -----------------------------------------


def test_raters_who_disagree_are_combined_by_the_median_of_each_criterion() -> None:
    ratings = [
        Rating("a", scale=1, scope=2, irremediability=5, likelihood=1),
        Rating("b", scale=2, scope=2, irremediability=4, likelihood=2),
        Rating("c", scale=5, scope=3, irremediability=1, likelihood=4),
        Rating("d", scale=5, scope=5, irremediability=1, likelihood=5),
    ]
    result = scored(impact(occurrence="potential"), ratings, severity_rule="mean")
    # medians: scale (2 + 5) / 2 = 3.5, scope (2 + 3) / 2 = 2.5, irremediability
    # (1 + 4) / 2 = 2.5, likelihood levels (2 + 4) / 2 = 3; p = (0.3 + 0.7) / 2 = 0.5
    assert result.medians == {
        "scale": Decimal("3.5"),
        "scope": Decimal("2.5"),
        "irremediability": Decimal("2.5"),
        "likelihood": Decimal("3"),
    }
    assert result.p == Decimal("0.5")
    # S = 8.5 / 3 = 17/6; min(17/6, (17/6 + 15/6) / 2 = 8/3) = 8/3
    assert result.score.computed == Decimal(8) / Decimal(3)
    assert result.flags == frozenset()  # 3 - 8/3 = 1/3 > 0.25; four raters
    assert not result.material


def test_it_flags_an_interval_that_straddles_the_threshold_though_the_score_is_far() -> None:
    # max rule, actual: S = median scale = 4, a full point above 3; but two of five raters
    # said 1, so resamples with a median of 1 are common.
    ratings = [
        Rating(f"r{i}", scale=level, scope=1, irremediability=1)
        for i, level in enumerate((1, 1, 4, 4, 5))
    ]
    result = scored(impact(), ratings, severity_rule="max", resamples=2000, seed=7)
    assert result.score.computed == Decimal("4")
    assert result.interval is not None
    low, high = result.interval
    assert low < THREE <= high
    assert result.flags == {Flag.INTERVAL_STRADDLES}
    assert result.needs_judgement
    assert result.material  # flagged, not overturned: the decision group judges


def test_the_bootstrap_is_reproducible_and_ignores_the_order_ratings_came_in() -> None:
    rng = random.Random(3)
    ratings = [Rating(f"r{i:02}", *(rng.randint(1, 5) for _ in range(4))) for i in range(12)]
    iro = impact(occurrence="potential")
    first = scored(iro, ratings, resamples=500, seed=11)
    again = scored(iro, list(reversed(ratings)), resamples=500, seed=11)
    assert first.interval == again.interval
    assert first.interval is not None
    other_seed = scored(iro, ratings, resamples=500, seed=12)
    assert other_seed.score == first.score


def test_fewer_than_three_raters_are_flagged() -> None:
    levels = {"scale": 5, "scope": 5, "irremediability": 5}
    assert scored(impact(), unanimous(2, **levels)).flags == {Flag.FEW_RATERS}
    assert scored(impact(), unanimous(3, **levels)).flags == frozenset()
    one = scored(impact(), unanimous(1, **levels), resamples=200)
    assert one.interval == (Decimal(5), Decimal(5))
    assert Flag.FEW_RATERS in one.flags
    assert not one.needs_judgement  # few raters is shown, but is no borderline result


# Roll-up -------------------------------------------------------------------------------


def _score(code: str, matter: str, kind: Kind, level: int, polarity: str = "negative") -> IroScore:
    """An IRO scored `level` (actual impact, or magnitude with p = 0.9 capped)."""
    if kind is Kind.IMPACT:
        iro = Iro(code, matter, kind, Polarity(polarity), Occurrence.ACTUAL)
        ratings = unanimous(scale=level, scope=level)
        if polarity == "negative":
            ratings = unanimous(scale=level, scope=level, irremediability=level)
        return scored(iro, ratings)
    return scored(Iro(code, matter, kind), unanimous(magnitude=level, likelihood=5))


def test_a_matter_takes_the_maximum_and_nothing_is_netted() -> None:
    tree = {"privacy": None}
    negative = _score("leak", "privacy", Kind.IMPACT, 4)
    positive = _score("literacy", "privacy", Kind.IMPACT, 1, "positive")
    risk = _score("fine", "privacy", Kind.RISK, 4)  # min(4, (4 + 4.5) / 2) = 4
    opportunity = _score("trust", "privacy", Kind.OPPORTUNITY, 1)  # min(1, ..) = 1
    alone = roll_up([negative, risk], tree)["privacy"]
    both = roll_up([negative, positive, risk, opportunity], tree)["privacy"]
    assert both.impact_score == alone.impact_score == Decimal("4")
    assert both.financial_score == alone.financial_score == Decimal("4")
    assert both.impact_material
    assert both.financial_material
    assert both.material.final
    assert both.iros == ("fine", "leak", "literacy", "trust")


def test_a_positive_impact_alone_can_make_a_matter_material() -> None:
    # EFRAG Q&A 463: positive-only materiality is allowed.
    matters = roll_up([_score("jobs", "m", Kind.IMPACT, 4, "positive")], {"m": None})
    assert matters["m"].impact_material
    assert matters["m"].financial_score is None
    assert not matters["m"].financial_material


def test_a_parent_is_material_when_any_child_is() -> None:
    tree = {"S1": None, "S1-1": "S1", "S1-1-a": "S1-1", "S1-2": "S1", "G1": None}
    matters = roll_up(
        [_score("i1", "S1-1-a", Kind.IMPACT, 4), _score("i2", "S1-2", Kind.IMPACT, 2),
         _score("i3", "G1", Kind.RISK, 2)],
        tree,
    )  # fmt: skip
    assert matters["S1-1-a"].material.final
    assert matters["S1-1"].material.final
    assert matters["S1-1"].children_material == ("S1-1-a",)
    assert matters["S1"].material.final
    assert matters["S1"].impact_score is None  # its own IROs: none
    assert not matters["S1-2"].material.final
    assert not matters["G1"].material.final
    assert list(matters) == list(tree)


def test_a_decision_on_a_child_is_what_its_parent_sees() -> None:
    tree = {"E1": None, "E1-1": "E1"}
    scores = [_score("i1", "E1-1", Kind.IMPACT, 4)]
    decision = Decision(False, reason="double counted with E1-2", approver="cfo")
    matters = roll_up(scores, tree, {"E1-1": decision})
    assert matters["E1-1"].material == Final(True, False, "double counted with E1-2", "cfo")
    assert not matters["E1"].material.final
    with pytest.raises(ScoringError, match="needs a reason and an approver"):
        roll_up(scores, tree, {"E1-1": Decision(False)})


def test_the_roll_up_refuses_unknown_matters_and_cycles() -> None:
    with pytest.raises(ScoringError, match="unknown matter"):
        roll_up([_score("i1", "nowhere", Kind.IMPACT, 4)], {"m": None})
    with pytest.raises(ScoringError, match="unknown parent"):
        roll_up([], {"m": "ghost"})
    with pytest.raises(ScoringError, match="cycle"):
        roll_up([], {"a": "b", "b": "a"})


def test_the_roll_up_lists_the_iros_that_need_a_judgement() -> None:
    near = _score("near", "m", Kind.IMPACT, 3)  # exactly 3.00: at the threshold
    far = _score("far", "m", Kind.IMPACT, 5)
    assert roll_up([near, far], {"m": None})["m"].needs_judgement == ("near",)


# Overrides -----------------------------------------------------------------------------


def test_an_override_keeps_the_computed_score_and_needs_a_reason_and_an_approver() -> None:
    computed = _score("i1", "m", Kind.IMPACT, 4)
    with pytest.raises(ScoringError, match="needs a reason and an approver") as error:
        override(computed, Decimal("2.5"), reason="", approver="cfo")
    assert error.value.code == "override"
    with pytest.raises(ScoringError):
        override(computed, Decimal("2.5"), reason="remediated in 2025", approver=" ")
    lowered = override(computed, Decimal("2.5"), reason="remediated in 2025", approver="cfo")
    assert lowered.score == Final(Decimal("4"), Decimal("2.5"), "remediated in 2025", "cfo")
    assert lowered.score.overridden
    assert not lowered.material
    unchanged = override(computed, Decimal("4.00"), reason="", approver="")
    assert not unchanged.score.overridden
    assert unchanged.material
    matters = roll_up([lowered], {"m": None})
    assert matters["m"].impact_score == Decimal("2.5")
    assert not matters["m"].material.final


# Reporting and settings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.675"), "2.68"),
        (Decimal("2.665"), "2.67"),  # half-up, not half-even
        (Fraction(10, 3), "3.33"),
        (Fraction(31, 12), "2.58"),
        (Decimal("3"), "3.00"),
    ],
)
def test_reported_rounds_half_up_to_two_places(value: Decimal | Fraction, expected: str) -> None:
    assert str(reported(value)) == expected


def test_settings_survive_a_json_round_trip_exactly() -> None:
    chosen = Settings(
        severity_rule="max", potential_rule="product", currency_threshold="500000",
        likelihoods={1: 0.1, 2: 0.2, 3: 0.5, 4: 0.8, 5: 0.9}, seed=5,
    )  # type: ignore[arg-type]  # fmt: skip
    assert chosen.likelihoods[1] == Decimal("0.1")  # the float's repr, not its binary value
    data = chosen.as_dict()
    assert data["likelihoods"] == {"1": "0.1", "2": "0.2", "3": "0.5", "4": "0.8", "5": "0.9"}
    assert Settings.from_dict(data) == chosen


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"severity_rule": "median"}, "severity_rule must be one of"),
        ({"likelihoods": {1: "0.1", 2: "0.1", 3: "0.5", 4: "0.7", 5: "0.9"}}, "increase"),
        ({"likelihoods": {1: "0.1", 2: "0.3"}}, "each level 1 to 5"),
        ({"impact_threshold": "0"}, "impact_threshold must lie above 0"),
        ({"near_band": "-0.1"}, "near_band must not be negative"),
        ({"confidence": 1}, "confidence"),
        ({"resamples": 2.5}, "whole number"),
        ({"financial_threshold": "three"}, "must be a number"),
        ({"bogus": 1}, "unknown scoring settings"),
    ],
)
def test_it_refuses_settings_that_cannot_be_used(options: dict[str, object], message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        Settings.from_dict(options)


# Properties ----------------------------------------------------------------------------

levels = st.integers(min_value=1, max_value=5)
negative_rating = st.tuples(levels, levels, levels, levels)


def _ratings(rows: list[tuple[int, int, int, int]]) -> list[Rating]:
    return [Rating(f"r{i:02}", *row) for i, row in enumerate(rows)]


def _median(values: list[int]) -> Fraction:
    ordered = sorted(values)
    n = len(ordered)
    return Fraction(ordered[(n - 1) // 2] + ordered[n // 2], 2)


@given(
    rows=st.lists(negative_rating, min_size=1, max_size=9),
    severity_rule=st.sampled_from(["mean", "max", "mean_max"]),
    potential_rule=st.sampled_from(["product", "capped"]),
)
@settings(max_examples=150, deadline=None)
def test_scores_match_an_independent_exact_computation(
    rows: list[tuple[int, int, int, int]], severity_rule: str, potential_rule: str
) -> None:
    result = scored(
        impact(occurrence="potential"), _ratings(rows),
        severity_rule=severity_rule, potential_rule=potential_rule,
    )  # fmt: skip
    scale, scope, irr, likely = (_median([row[c] for row in rows]) for c in range(4))
    mean, top = (scale + scope + irr) / 3, max(scale, scope, irr)
    s = {"mean": mean, "max": top, "mean_max": (mean + top) / 2}[severity_rule]
    p_of = {1: Fraction(1, 10), 2: Fraction(3, 10), 3: Fraction(1, 2), 4: Fraction(7, 10),
            5: Fraction(9, 10)}  # fmt: skip
    ps = sorted(p_of[row[3]] for row in rows)
    p = (ps[(len(ps) - 1) // 2] + ps[len(ps) // 2]) / 2
    expected = s * p if potential_rule == "product" else min(s, (s + 5 * p) / 2)
    assert result.p == Decimal(p.numerator) / Decimal(p.denominator)
    assert (result.score.computed >= THREE) is (expected >= 3) is result.material
    assert abs(Fraction(result.score.computed) - expected) < Fraction(1, 10**25)
    assert 0 <= result.score.computed <= 5
    assert likely == _median([row[3] for row in rows])


@given(rows=st.lists(st.tuples(levels, levels, levels), min_size=1, max_size=9))
@settings(max_examples=100, deadline=None)
def test_the_max_rule_never_scores_below_mean_max_nor_mean_max_below_mean(
    rows: list[tuple[int, int, int]],
) -> None:
    ratings = [Rating(f"r{i}", *row) for i, row in enumerate(rows)]
    by_rule = {
        rule: scored(impact(), ratings, severity_rule=rule).score.computed
        for rule in ("mean", "mean_max", "max")
    }
    assert 1 <= by_rule["mean"] <= by_rule["mean_max"] <= by_rule["max"] <= 5


@given(s=st.sampled_from(range(1, 6)), likelihood=levels)
@settings(max_examples=25, deadline=None)
def test_the_capped_average_never_scores_below_the_product(s: int, likelihood: int) -> None:
    ratings = unanimous(scale=s, scope=s, irremediability=s, likelihood=likelihood)
    product = scored(impact(occurrence="potential"), ratings, potential_rule="product")
    capped = scored(impact(occurrence="potential"), ratings, potential_rule="capped")
    assert product.score.computed <= capped.score.computed <= s


@given(row=negative_rating, n=st.integers(min_value=1, max_value=8), seed=st.integers(0, 99))
@settings(max_examples=40, deadline=None)
def test_when_raters_agree_the_interval_is_the_point_estimate(
    row: tuple[int, int, int, int], n: int, seed: int
) -> None:
    ratings = [Rating(f"r{i}", *row) for i in range(n)]
    result = scored(impact(occurrence="potential"), ratings, resamples=100, seed=seed)
    assert result.interval == (result.score.computed, result.score.computed)
    assert Flag.INTERVAL_STRADDLES not in result.flags


@given(rows=st.lists(negative_rating, min_size=1, max_size=8), seed=st.integers(0, 99))
@settings(max_examples=40, deadline=None)
def test_the_interval_lies_within_what_any_resample_could_score(
    rows: list[tuple[int, int, int, int]], seed: int
) -> None:
    result = scored(impact(occurrence="potential"), _ratings(rows), resamples=200, seed=seed)
    assert result.interval is not None
    low, high = result.interval
    # capped: nothing scores below min(1, (1 + 5 x 0.1) / 2) = 0.75
    assert Decimal("0.75") <= low <= high <= 5


def test_the_worked_example_in_the_methodology() -> None:
    """docs/methodology.md, 16.8: the figures printed there."""
    options = Settings(currency_threshold=Decimal("1000000"))
    breach = score_iro(
        Iro("breach", "privacy", Kind.IMPACT),
        [Rating("A", 4, 3, 2, 3), Rating("B", 5, 4, 3, 4), Rating("C", 3, 4, 5, 3),
         Rating("D", 4, 2, 3, 2)],
        options,
    )  # fmt: skip
    assert breach.base == Decimal("3.75")
    assert breach.score.computed == Decimal("3.125")
    assert reported(breach.score.computed) == Decimal("3.13")
    assert breach.interval == (Decimal("2.5"), Decimal("4"))
    assert breach.flags == {Flag.NEAR_THRESHOLD, Flag.INTERVAL_STRADDLES}
    fine = score_iro(
        Iro("fine", "privacy", Kind.RISK),
        [Rating("A", magnitude=4, likelihood=4, amount=Decimal("2000000")),
         Rating("B", magnitude=4, likelihood=4, amount=Decimal("1500000")),
         Rating("C", magnitude=5, likelihood=3, amount=Decimal("3000000"))],
        options,
    )  # fmt: skip
    assert fine.score.computed == Decimal("3.75")
    assert fine.expected_amount == Decimal("1400000")
    assert fine.material_by_amount is True
    assert fine.flags == frozenset()
    matters = roll_up([breach, fine], {"S4": None, "privacy": "S4"})
    assert matters["privacy"].impact_score == Decimal("3.125")
    assert matters["privacy"].financial_score == Decimal("3.75")
    assert matters["privacy"].needs_judgement == ("breach",)
    assert matters["S4"].material.final
