"""Tests of materiality.scoring: pure functions, no database.

The property tests check `score` against an independent computation with pandas from
individual ratings (never from the counts, never through the module's helpers).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from materiality.scoring import (
    AxisSource,
    Cell,
    Params,
    ScoreResult,
    Stats,
    ThresholdMode,
    Tier,
    TopicOutcome,
    Weighting,
    score,
)
from materiality.scoring.bootstrap import _percentiles, _resampled_sums
from materiality.scoring.estimates import _median, estimate

COMPANY, STAKEHOLDER = "company", "stakeholder"
AXES = (COMPANY, STAKEHOLDER)
TOPICS = ("climate", "ethics", "privacy")
GROUPS = ("customers", "employees", "investors", "regulators")
DONT_KNOW = 0  # how the generated replies mark "don't know"; never becomes a Cell


def cells_from(rows: Iterable[tuple[str, str, str, bool, int]]) -> list[Cell]:
    """Count individual ratings (topic, axis, group, internal, level) into cells."""
    counted = Counter(rows)
    return [Cell(t, a, g, i, level, n) for (t, a, g, i, level), n in counted.items()]


def topic(result: ScoreResult, code: str) -> TopicOutcome:
    return next(t for t in result.topics if t.topic == code)


# Individual replies ---------------------------------------------------------------------

respondents = st.lists(
    st.tuples(
        st.sampled_from(GROUPS[:3]),  # "regulators" never replies
        st.booleans(),  # internal
        # one answer per (topic, axis): a level, or "don't know"
        st.lists(st.sampled_from([DONT_KNOW, 1, 2, 3, 4, 5]), min_size=6, max_size=6),
    ),
    max_size=30,
)
custom_weights = st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=4, max_size=4).filter(any)


def replies_frame(people: list[tuple[str, bool, list[int]]]) -> pd.DataFrame:
    rows = [
        {
            "respondent": r,
            "group": group,
            "internal": internal,
            "topic": t,
            "axis": a,
            "level": answers[i * 2 + j],
        }
        for r, (group, internal, answers) in enumerate(people)
        for i, t in enumerate(TOPICS)
        for j, a in enumerate(AXES)
    ]
    columns = ["respondent", "group", "internal", "topic", "axis", "level"]
    return pd.DataFrame(rows, columns=columns)


def expected_stats(ratings: pd.DataFrame, weighting: Weighting, weights: dict[str, float]):
    """n, mean, median and SD of one topic on one axis, from individual ratings."""
    n = len(ratings)
    if weighting is Weighting.RESPONDENT:
        if n == 0:
            return n, None, None, None
        sd = ratings["level"].std(ddof=1)
        return n, ratings["level"].mean(), ratings["level"].median(), None if math.isnan(sd) else sd
    group_size = ratings.groupby("group")["level"].transform("size")
    if weighting is Weighting.EQUAL_GROUP:
        raw = pd.Series(1.0, index=ratings.index)
    else:
        raw = ratings["group"].map(weights).fillna(0.0)
    w = raw / group_size
    if n == 0 or w.sum() == 0:
        return n, None, None, None
    w = w / w.sum()
    mean = float((w * ratings["level"]).sum())
    by_level = w.groupby(ratings["level"]).sum().sort_index()
    cumulative = by_level.cumsum()
    at_half = cumulative[np.isclose(cumulative, 0.5, rtol=0, atol=1e-12)]
    if len(at_half):  # the median lies between this level and the next one with weight
        lower = at_half.index[0]
        upper = by_level[(by_level.index > lower) & (by_level > 0)].index[0]
        median = (lower + upper) / 2
    else:
        median = float(cumulative[cumulative > 0.5].index[0])
    positive = int((w > 0).sum())
    spread = float((w * (ratings["level"] - mean) ** 2).sum())
    sd = math.sqrt(spread / (1 - float((w**2).sum()))) if positive >= 2 else None
    return n, mean, median, sd


def assert_close(actual: float | None, expected: float | None) -> None:
    if expected is None:
        assert actual is None
    else:
        assert actual is not None
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def expected_thresholds(expected, mode: ThresholdMode, offset: float) -> dict:
    thresholds = {}
    for a, fixed in ((COMPANY, FIXED_THRESHOLDS[0]), (STAKEHOLDER, FIXED_THRESHOLDS[1])):
        means = [expected[t, a][1] for t in TOPICS if expected[t, a][1] is not None]
        if mode is ThresholdMode.FIXED:
            thresholds[a] = fixed
        else:
            thresholds[a] = sum(means) / len(means) + offset if means else None
    return thresholds


def assert_stats_match(stats: Stats, ratings: pd.DataFrame, expected) -> None:
    n, mean, median, sd = expected
    assert stats.n == n
    assert_close(stats.mean, mean)
    assert_close(stats.median, median)
    assert_close(stats.sd, sd)
    assert_close(stats.normalised, None if mean is None else (mean - 1) / 4 * 100)
    assert stats.distribution == {
        level: int((ratings["level"] == level).sum()) for level in range(1, 6)
    }
    if mean is None:
        assert (stats.ci_low, stats.ci_high) == (None, None)
    else:
        assert 1 <= stats.ci_low <= stats.ci_high <= 5


def assert_groups_match(scored: TopicOutcome, axis: str, ratings: pd.DataFrame) -> None:
    """Per group: the plain statistics of the group's own ratings; divergence from them."""
    per_group = ratings.groupby("group")["level"]
    for g in GROUPS:
        if g in per_group.groups:
            levels = per_group.get_group(g)
            sd = levels.std(ddof=1)
            plain = (len(levels), levels.mean(), levels.median(), None if math.isnan(sd) else sd)
            assert_stats_match(scored.by_group[axis][g], levels.to_frame(), plain)
        else:
            assert scored.by_group[axis][g] == empty_stats()
    group_means = per_group.mean()
    divergence = float(group_means.std(ddof=0)) if len(group_means) >= 2 else None
    assert_close(scored.divergence[axis], divergence)


def assert_rule_applied(scored: TopicOutcome, means: dict, thresholds: dict) -> None:
    crossed = {
        a: means[a] is not None and thresholds[a] is not None and means[a] >= thresholds[a] - 1e-9
        for a in AXES
    }
    assert scored.crosses == crossed
    assert scored.material is any(crossed.values())
    assert scored.tier == ("low", "medium", "high")[sum(crossed.values())]
    if None in means.values():
        assert scored.combined is None
    else:
        assert_close(scored.combined, (means[COMPANY] - 1 + means[STAKEHOLDER] - 1) / 8 * 100)
    if means[COMPANY] is None and means[STAKEHOLDER] is None:
        assert scored.p_material is None
    else:
        assert 0 <= scored.p_material <= 1


FIXED_THRESHOLDS = (3.0, 3.5)


@pytest.mark.parametrize("weighting", list(Weighting))
@pytest.mark.parametrize("axis_source", list(AxisSource))
@settings(max_examples=50, deadline=None)
@given(people=respondents, weight_list=custom_weights, offset=st.sampled_from([-0.5, 0.0, 0.25]))
def test_scores_match_an_independent_pandas_computation(
    weighting, axis_source, people, weight_list, offset
):
    weights = dict(zip(GROUPS, weight_list, strict=True))
    replies = replies_frame(people)
    ratings = replies[replies["level"] != DONT_KNOW]  # "don't know" is not a rating
    cells = cells_from(
        ratings[["topic", "axis", "group", "internal", "level"]].itertuples(index=False, name=None)
    )
    if axis_source is AxisSource.SPLIT_INTERNAL_EXTERNAL:
        ratings = ratings[(ratings["axis"] == COMPANY) == ratings["internal"]]
    subsets = {
        (t, a): ratings[(ratings["topic"] == t) & (ratings["axis"] == a)]
        for t in TOPICS
        for a in AXES
    }
    expected = {key: expected_stats(subset, weighting, weights) for key, subset in subsets.items()}

    for mode in ThresholdMode:
        params = Params(
            weighting=weighting,
            group_weights=weights,
            axis_source=axis_source,
            threshold_mode=mode,
            company_threshold=FIXED_THRESHOLDS[0] if mode is ThresholdMode.FIXED else offset,
            stakeholder_threshold=FIXED_THRESHOLDS[1] if mode is ThresholdMode.FIXED else offset,
            bootstrap_samples=20,
        )
        result = score(cells, topics=TOPICS, groups=GROUPS, params=params)

        thresholds = expected_thresholds(expected, mode, offset)
        for a in AXES:
            assert_close(result.thresholds[a], thresholds[a])
        assert result.respondents_counted == {a: int((ratings["axis"] == a).sum()) for a in AXES}
        for t in TOPICS:
            scored = topic(result, t)
            for a in AXES:
                assert_stats_match(scored.axes[a], subsets[t, a], expected[t, a])
                assert_groups_match(scored, a, subsets[t, a])
            assert_rule_applied(scored, {a: expected[t, a][1] for a in AXES}, thresholds)
        assert_ranked(result)


def empty_stats() -> Stats:
    return Stats(
        n=0,
        mean=None,
        median=None,
        sd=None,
        ci_low=None,
        ci_high=None,
        normalised=None,
        distribution={1: 0, 2: 0, 3: 0, 4: 0, 5: 0},
    )


def assert_ranked(result: ScoreResult) -> None:
    """Ranks run 1..N in order: combined descending, then stakeholder mean, then code."""
    assert [t.rank for t in result.topics] == list(range(1, len(result.topics) + 1))
    for first, second in zip(result.topics, result.topics[1:], strict=False):
        if second.combined is None:
            continue
        assert first.combined is not None
        if not math.isclose(first.combined, second.combined, abs_tol=1e-9):
            assert first.combined > second.combined
            continue
        s1, s2 = first.axes[STAKEHOLDER].mean, second.axes[STAKEHOLDER].mean
        if not math.isclose(s1, s2, abs_tol=1e-9):
            assert s1 > s2
        else:
            assert first.topic < second.topic


# The worked example of docs/methodology.md ---------------------------------------------

EXAMPLE = {
    # (topic, axis): {group: ratings}; employees answer as internal stakeholders
    ("privacy", COMPANY): {"employees": [5, 4], "customers": [5, 5, 4]},
    ("privacy", STAKEHOLDER): {"employees": [4, 4], "customers": [5, 5, 5]},
    ("climate", COMPANY): {"employees": [3, 2], "customers": [2, 3, 2]},
    ("climate", STAKEHOLDER): {"employees": [4, 3], "customers": [2, 2, 1]},
    ("inclusion", COMPANY): {"employees": [4, 3], "customers": [3, 4, 3]},
    ("inclusion", STAKEHOLDER): {"employees": [3, 3], "customers": [4, 4, 4]},
}
EXAMPLE_TOPICS = ("privacy", "climate", "inclusion")
EXAMPLE_GROUPS = ("employees", "customers")


def example_cells() -> list[Cell]:
    return cells_from(
        (t, a, g, g == "employees", level)
        for (t, a), by_group in EXAMPLE.items()
        for g, levels in by_group.items()
        for level in levels
    )


def score_example(**options: object) -> ScoreResult:
    params = Params(**options)
    return score(example_cells(), topics=EXAMPLE_TOPICS, groups=EXAMPLE_GROUPS, params=params)


def test_worked_example_per_respondent_matches_the_methodology_document():
    result = score_example()

    assert result.thresholds[COMPANY] == pytest.approx(10.4 / 3)  # 3.4667
    assert result.thresholds[STAKEHOLDER] == pytest.approx(10.6 / 3)  # 3.5333
    privacy, inclusion, climate = result.topics
    assert [t.topic for t in result.topics] == ["privacy", "inclusion", "climate"]
    assert [t.rank for t in result.topics] == [1, 2, 3]

    company = privacy.axes[COMPANY]
    assert (company.n, company.mean, company.median) == (5, pytest.approx(4.6), 5.0)
    assert company.sd == pytest.approx(math.sqrt(0.3))  # 0.5477
    assert company.normalised == pytest.approx(90.0)
    employees, customers = (privacy.by_group[COMPANY][g] for g in ("employees", "customers"))
    assert (employees.mean, employees.median) == (4.5, 4.5)  # two ratings: the midpoint
    assert employees.sd == pytest.approx(math.sqrt(0.5))  # 0.7071
    assert (customers.mean, customers.median) == (pytest.approx(14 / 3), 5.0)
    assert customers.sd == pytest.approx(math.sqrt(1 / 3))  # 0.5774
    means = {t.topic: (t.axes[COMPANY].mean, t.axes[STAKEHOLDER].mean) for t in result.topics}
    assert means == {
        "privacy": (pytest.approx(4.6), pytest.approx(4.6)),
        "climate": (pytest.approx(2.4), pytest.approx(2.4)),
        "inclusion": (pytest.approx(3.4), pytest.approx(3.6)),
    }
    assert privacy.combined == pytest.approx(90.0)
    assert privacy.tier == Tier.HIGH

    assert inclusion.axes[COMPANY].mean == pytest.approx(3.4)
    assert inclusion.axes[STAKEHOLDER].mean == pytest.approx(3.6)
    assert inclusion.crosses == {COMPANY: False, STAKEHOLDER: True}
    assert (inclusion.tier, inclusion.material) == (Tier.MEDIUM, True)
    assert inclusion.combined == pytest.approx(62.5)

    assert climate.axes[STAKEHOLDER].median == 2.0
    assert climate.axes[STAKEHOLDER].sd == pytest.approx(math.sqrt(1.3))  # 1.1402
    # Both groups unanimous on privacy's stakeholder axis: a zero-width interval.
    assert (privacy.axes[STAKEHOLDER].ci_low, privacy.axes[STAKEHOLDER].ci_high) == (
        pytest.approx(4.6),
        pytest.approx(4.6),
    )
    assert (climate.tier, climate.material, climate.combined) == (
        Tier.LOW,
        False,
        pytest.approx(35.0),
    )
    assert climate.divergence[STAKEHOLDER] == pytest.approx(11 / 12)  # 0.9167 > 0.75
    assert climate.divergence[COMPANY] == pytest.approx(1 / 12)
    assert climate.divergence_flag is True
    assert privacy.divergence == {COMPANY: pytest.approx(1 / 12), STAKEHOLDER: pytest.approx(0.5)}
    assert privacy.divergence_flag is False


def test_worked_example_with_equal_group_weighting_matches_the_methodology_document():
    result = score_example(weighting=Weighting.EQUAL_GROUP)

    privacy = topic(result, "privacy")
    company, stakeholder = privacy.axes[COMPANY], privacy.axes[STAKEHOLDER]
    assert company.mean == pytest.approx(55 / 12)  # 4.5833
    assert company.median == 5.0
    assert company.sd == pytest.approx(math.sqrt(35 / 114))  # 0.5541
    assert stakeholder.mean == pytest.approx(4.5)
    assert stakeholder.median == 4.5  # the cumulative weight at 4 is exactly one half
    assert stakeholder.sd == pytest.approx(math.sqrt(6 / 19))  # 0.5620
    assert result.thresholds[COMPANY] == pytest.approx(125 / 36)  # 3.4722
    assert result.thresholds[STAKEHOLDER] == pytest.approx(127 / 36)  # 3.5278
    means = {t.topic: (t.axes[COMPANY].mean, t.axes[STAKEHOLDER].mean) for t in result.topics}
    assert means == {
        "privacy": (pytest.approx(55 / 12), pytest.approx(4.5)),
        "climate": (pytest.approx(29 / 12), pytest.approx(31 / 12)),  # 2.4167, 2.5833
        "inclusion": (pytest.approx(41 / 12), pytest.approx(3.5)),  # 3.4167
    }
    inclusion = topic(result, "inclusion")
    assert (inclusion.tier, inclusion.material) == (Tier.LOW, False)
    assert [t.topic for t in result.topics] == ["privacy", "inclusion", "climate"]


def test_worked_example_with_fixed_thresholds_matches_the_methodology_document():
    result = score_example(
        threshold_mode=ThresholdMode.FIXED, company_threshold=3.5, stakeholder_threshold=3.5
    )
    assert result.thresholds == {COMPANY: 3.5, STAKEHOLDER: 3.5}
    assert [(t.topic, t.tier) for t in result.topics] == [
        ("privacy", Tier.HIGH),
        ("inclusion", Tier.MEDIUM),
        ("climate", Tier.LOW),
    ]


# Weighting and axis source --------------------------------------------------------------


def test_equal_group_weighting_gives_each_group_the_same_say():
    cells = [
        Cell("ethics", COMPANY, "customers", False, 5, 1),
        Cell("ethics", COMPANY, "employees", True, 1, 9),
    ]
    per_respondent = score(cells, topics=["ethics"], groups=GROUPS, params=Params())
    per_group = score(
        cells, topics=["ethics"], groups=GROUPS, params=Params(weighting=Weighting.EQUAL_GROUP)
    )
    assert per_respondent.topics[0].axes[COMPANY].mean == pytest.approx(1.4)
    assert per_group.topics[0].axes[COMPANY].mean == pytest.approx(3.0)
    assert per_group.topics[0].axes[COMPANY].n == 10


def test_custom_weights_leave_out_groups_missing_from_the_mapping():
    cells = [
        Cell("ethics", COMPANY, "customers", False, 5, 3),
        Cell("ethics", COMPANY, "employees", True, 1, 3),
        Cell("ethics", COMPANY, "investors", False, 2, 3),
    ]
    params = Params(weighting=Weighting.CUSTOM, group_weights={"customers": 3, "employees": 1})
    stats = score(cells, topics=["ethics"], groups=GROUPS, params=params).topics[0].axes[COMPANY]
    assert stats.mean == pytest.approx((3 * 5 + 1 * 1) / 4)
    assert stats.n == 9  # the investors' ratings are counted, with weight 0
    assert stats.median == 5.0


def test_custom_weights_of_zero_for_every_group_with_data_give_no_statistics():
    cells = [Cell("ethics", COMPANY, "customers", False, 4, 5)]
    params = Params(weighting=Weighting.CUSTOM, group_weights={"employees": 1.0})
    result = score(cells, topics=["ethics"], groups=GROUPS, params=params)
    stats = result.topics[0].axes[COMPANY]
    assert stats.n == 5
    assert stats.distribution[4] == 5
    assert (stats.mean, stats.median, stats.sd, stats.ci_low, stats.normalised) == (None,) * 5
    assert result.topics[0].by_group[COMPANY]["customers"].mean == 4.0  # the group's own view
    assert result.topics[0].p_material is None


def test_split_axis_source_hears_internal_respondents_on_the_company_axis_only():
    cells = [
        Cell("ethics", COMPANY, "employees", True, 5, 4),
        Cell("ethics", COMPANY, "customers", False, 1, 4),
        Cell("ethics", STAKEHOLDER, "employees", True, 1, 4),
        Cell("ethics", STAKEHOLDER, "customers", False, 3, 4),
    ]
    split = Params(axis_source=AxisSource.SPLIT_INTERNAL_EXTERNAL)
    result = score(cells, topics=["ethics"], groups=GROUPS, params=split)
    axes = result.topics[0].axes
    assert (axes[COMPANY].n, axes[COMPANY].mean) == (4, 5.0)
    assert (axes[STAKEHOLDER].n, axes[STAKEHOLDER].mean) == (4, 3.0)
    assert result.respondents_counted == {COMPANY: 4, STAKEHOLDER: 4}
    both = score(cells, topics=["ethics"], groups=GROUPS, params=Params()).topics[0].axes
    assert (both[COMPANY].mean, both[STAKEHOLDER].mean) == (3.0, 2.0)


def test_split_axis_source_uses_the_axis_codes_from_the_parameters():
    cells = [
        Cell("ethics", "x", "employees", True, 5, 1),
        Cell("ethics", "x", "customers", False, 1, 1),
        Cell("ethics", "y", "customers", False, 2, 1),
    ]
    params = Params(
        company_axis="x", stakeholder_axis="y", axis_source=AxisSource.SPLIT_INTERNAL_EXTERNAL
    )
    result = score(cells, topics=["ethics"], groups=GROUPS, params=params)
    assert result.topics[0].axes["x"].mean == 5.0
    assert result.topics[0].axes["y"].mean == 2.0


def test_duplicate_cells_are_summed():
    split = [Cell("ethics", COMPANY, "customers", False, 4, 2)] * 3
    whole = [Cell("ethics", COMPANY, "customers", False, 4, 6)]
    params = Params(bootstrap_samples=50)
    assert score(split, topics=["ethics"], groups=GROUPS, params=params) == score(
        whole, topics=["ethics"], groups=GROUPS, params=params
    )


# Bootstrap -------------------------------------------------------------------------------


def spread_cells(topic_code: str = "ethics", scale: int = 1) -> list[Cell]:
    return [
        Cell(topic_code, axis, group, group == "employees", level, count * scale)
        for axis in AXES
        for group, counts in (("customers", (1, 2, 4, 6, 3)), ("employees", (0, 1, 3, 5, 2)))
        for level, count in enumerate(counts, start=1)
    ]


def test_the_same_seed_gives_identical_results():
    cells = spread_cells() + spread_cells("privacy")
    first = score(cells, topics=["ethics", "privacy"], groups=GROUPS, params=Params())
    second = score(cells, topics=["ethics", "privacy"], groups=GROUPS, params=Params())
    assert first == second


def test_a_different_seed_gives_different_intervals():
    cells = spread_cells()
    first = score(cells, topics=["ethics"], groups=GROUPS, params=Params(seed=1))
    second = score(cells, topics=["ethics"], groups=GROUPS, params=Params(seed=2))
    first_ci = [(s.ci_low, s.ci_high) for s in first.topics[0].axes.values()]
    second_ci = [(s.ci_low, s.ci_high) for s in second.topics[0].axes.values()]
    assert first_ci != second_ci
    assert first.topics[0].axes[COMPANY].mean == second.topics[0].axes[COMPANY].mean


def test_the_order_of_cells_topics_and_groups_does_not_matter():
    cells = spread_cells() + spread_cells("privacy") + spread_cells("climate", scale=2)
    topics = ["ethics", "privacy", "climate"]
    params = Params(weighting=Weighting.EQUAL_GROUP, bootstrap_samples=300)
    reference = score(cells, topics=topics, groups=GROUPS, params=params)
    shuffled = list(cells)
    random.Random(7).shuffle(shuffled)
    again = score(shuffled, topics=topics[::-1], groups=GROUPS[::-1], params=params)
    assert again == reference


@pytest.mark.parametrize(
    ("repeat", "resamples", "tolerance"),
    [
        (1, 20_000, 0.06),  # a few ratings: sums drawn from their exact distribution
        # 2,400 customers' ratings (9,601 possible sums): multinomial draws of whole
        # resamples; 1,000 employees' on levels 3-5 (2,001 sums): the exact distribution.
        (200, 4_000, 0.01),
    ],
)
def test_bootstrap_interval_agrees_with_resampling_individual_respondents(
    repeat, resamples, tolerance
):
    ratings = {
        "customers": [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5] * repeat,
        "employees": [3, 4, 5, 5, 5] * repeat,
    }
    cells = cells_from(
        ("ethics", COMPANY, g, g == "employees", level)
        for g, levels in ratings.items()
        for level in levels
    )
    params = Params(weighting=Weighting.EQUAL_GROUP, bootstrap_samples=10_000)
    stats = score(cells, topics=["ethics"], groups=GROUPS, params=params).topics[0].axes[COMPANY]

    # Independently: pick respondents with replacement within each group.
    rng = np.random.default_rng(1)
    group_means = [
        rng.choice(levels, size=(resamples, len(levels)), replace=True).mean(axis=1)
        for levels in ratings.values()
    ]
    low, high = np.quantile(np.mean(group_means, axis=0), [0.025, 0.975])
    assert stats.ci_low == pytest.approx(low, abs=tolerance)
    assert stats.ci_high == pytest.approx(high, abs=tolerance)


def test_resampled_sums_follow_the_exact_distribution_of_a_resample_sum():
    ratings = [1, 3, 3, 5, 5]  # every sum of five odd ratings is odd
    exact = Counter(sum(pick) for pick in itertools.product(ratings, repeat=len(ratings)))
    counts = np.array([ratings.count(level) for level in range(1, 6)])

    drawn = _resampled_sums(counts, np.arange(1.0, 6.0), 200_000, np.random.default_rng(7))

    frequencies = Counter(drawn.tolist())
    assert set(frequencies) <= set(exact)  # no impossible sum, even sums included
    for total, ways in exact.items():
        # 0.004 is about six standard errors of a frequency from 200,000 draws.
        assert frequencies[total] / drawn.size == pytest.approx(
            ways / len(ratings) ** len(ratings), abs=0.004
        )


def test_a_cell_with_one_dissenting_rating_resamples_it_as_often_as_a_binomial():
    # One 1 among 499 fives (2,001 possible sums, drawn from their exact distribution):
    # a resample holds the 1 m times, m ~ Binomial(500, 1/500), and sums to 2500 - 4m.
    counts = np.array([1, 0, 0, 0, 499])
    drawn = _resampled_sums(counts, np.arange(1.0, 6.0), 200_000, np.random.default_rng(3))

    ones = (2500 - drawn) / 4
    assert np.array_equal(ones, np.round(ones))  # no sum between the possible ones
    for m in range(5):
        binomial = math.comb(500, m) * (1 / 500) ** m * (499 / 500) ** (500 - m)
        assert np.mean(ones == m) == pytest.approx(binomial, abs=0.004)


@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.5, 0.999, 1e-9])
def test_percentile_intervals_are_numpys_quantiles_bit_for_bit(confidence: float):
    # `_percentiles` sorts each row instead of calling np.quantile: the same numbers,
    # -0.0 and NaN included (those rows are np.quantile's own).
    rng = np.random.default_rng(1)
    for count in (1, 2, 3, 40, 1000, 1001):
        rows = [
            rng.random((4, count)),
            np.round(rng.normal(size=(4, count)) * 3) / 7,  # ties
            rng.choice([-1.0, -0.0, 0.0, 1.0], size=(4, count)),  # signed zeros
            np.where(rng.random((4, count)) < 0.05, np.nan, rng.random((4, count))),
            np.empty((0, count)),
        ]
        for samples in rows:
            expected = np.quantile(
                samples, [(1 - confidence) / 2, 1 - (1 - confidence) / 2], axis=-1
            ).T
            assert _percentiles(samples, confidence).tobytes() == expected.tobytes()


def test_a_median_of_pooled_counts_is_the_weighted_median_where_ratings_weigh_alike():
    # Respondent weights (w_g = n_g) are computed for all topics at once from the pooled
    # counts; `_median` cell by cell gives the same, other weights included.
    rng = np.random.default_rng(2)
    levels = np.arange(1.0, 6.0)
    counts = rng.integers(0, 4, (40, 2, 5, 5)) * (rng.random((40, 2, 5, 1)) < 0.7)
    counts[0, 0] = 0  # no ratings at all
    counts[1, 0, :, 2:] = 0  # a midpoint, perhaps
    # Beyond 2**53 a size is not a float's exact integer: 2**53 + 1 ratings of 1 weigh
    # 2**53 as many 5s do, a median of 3, while their pooled counts have a median of 1.
    counts[2, 0] = 0
    counts[2, 0, 0, 0], counts[2, 0, 1, 4] = 2**53 + 1, 2**53
    n = counts.sum(axis=-1)
    for weights in (n.astype(np.float64), np.where(rng.random(n.shape) < 0.5, n, 2.0)):
        result = estimate(counts, weights, levels)
        for index in np.ndindex(*n.shape[:-1]):
            rated = np.where(n[index] > 0, weights[index], 0.0)
            if rated.any():
                assert result.median[index] == _median(counts[index], rated, levels)
            else:
                assert np.isnan(result.median[index])


def test_confidence_interval_contains_the_mean():
    result = score(spread_cells(), topics=["ethics"], groups=GROUPS, params=Params())
    for stats in result.topics[0].axes.values():
        assert stats.ci_low < stats.mean < stats.ci_high
    for stats in result.topics[0].by_group[COMPANY].values():
        if stats.n:
            assert stats.ci_low <= stats.mean <= stats.ci_high


def test_confidence_interval_narrows_as_the_number_of_ratings_grows():
    small = score(spread_cells(), topics=["ethics"], groups=GROUPS, params=Params())
    large = score(spread_cells(scale=10), topics=["ethics"], groups=GROUPS, params=Params())
    small_stats, large_stats = small.topics[0].axes[COMPANY], large.topics[0].axes[COMPANY]
    assert large_stats.mean == pytest.approx(small_stats.mean)
    assert (large_stats.ci_high - large_stats.ci_low) < (
        small_stats.ci_high - small_stats.ci_low
    ) / 2


def test_a_unanimous_group_has_a_zero_width_interval():
    cells = [Cell("ethics", COMPANY, "customers", False, 4, 12)]
    stats = score(cells, topics=["ethics"], groups=GROUPS, params=Params()).topics[0]
    assert (stats.axes[COMPANY].ci_low, stats.axes[COMPANY].ci_high) == (4.0, 4.0)
    assert stats.by_group[COMPANY]["customers"].ci_low == 4.0


def test_no_bootstrap_gives_no_intervals_and_no_probability():
    result = score(
        spread_cells(), topics=["ethics"], groups=GROUPS, params=Params(bootstrap_samples=0)
    )
    scored = result.topics[0]
    assert scored.p_material is None
    for stats in [*scored.axes.values(), *scored.by_group[COMPANY].values()]:
        assert (stats.ci_low, stats.ci_high) == (None, None)
    assert scored.axes[COMPANY].mean is not None


def test_a_topics_statistics_do_not_depend_on_the_other_topics():
    params = Params(bootstrap_samples=200)
    alone = score(spread_cells(), topics=["ethics"], groups=GROUPS, params=params)
    cells = spread_cells() + spread_cells("privacy", scale=3)
    together = score(cells, topics=["privacy", "ethics"], groups=GROUPS, params=params)
    assert topic(together, "ethics").axes == alone.topics[0].axes
    assert topic(together, "ethics").by_group == alone.topics[0].by_group


# Probability of being material -----------------------------------------------------------


def test_probability_of_being_material_follows_the_distance_to_the_threshold():
    def topic_cells(code: str, company: dict[int, int], stakeholder: dict[int, int]) -> list[Cell]:
        return [
            Cell(code, axis, "customers", False, level, count)
            for axis, counts in ((COMPANY, company), (STAKEHOLDER, stakeholder))
            for level, count in counts.items()
        ]

    cells = [
        *topic_cells("high", {5: 150, 4: 50}, {5: 150, 4: 50}),
        *topic_cells("low", {1: 150, 2: 50}, {1: 150, 2: 50}),
        *topic_cells("borderline", {2: 100, 4: 100}, {1: 150, 2: 50}),
    ]
    params = Params(
        threshold_mode=ThresholdMode.FIXED, company_threshold=3.0, stakeholder_threshold=3.0
    )
    result = score(cells, topics=["high", "low", "borderline"], groups=GROUPS, params=params)
    assert topic(result, "high").p_material == 1.0
    assert topic(result, "low").p_material == 0.0
    assert 0.4 < topic(result, "borderline").p_material < 0.7
    assert topic(result, "borderline").material is True  # its mean, 3.0, reaches 3.0


def test_probability_of_being_material_recomputes_relative_thresholds_per_resample():
    cells = (
        spread_cells("a")
        + spread_cells("b")
        + [Cell("c", axis, "customers", False, 1, 40) for axis in AXES]
    )
    result = score(cells, topics=["a", "b", "c"], groups=GROUPS, params=Params())
    # "a" and "b" have the same data: each is above the mean of means in every resample.
    assert topic(result, "a").p_material == 1.0
    assert topic(result, "c").p_material == 0.0


# Edge cases ------------------------------------------------------------------------------


def test_a_group_without_replies_has_empty_statistics():
    result = score(spread_cells(), topics=["ethics"], groups=GROUPS, params=Params())
    assert result.topics[0].by_group[COMPANY]["regulators"] == empty_stats()
    assert list(result.topics[0].by_group[COMPANY]) == list(GROUPS)


def test_a_topic_with_one_rating_has_no_standard_deviation():
    cells = [Cell("ethics", COMPANY, "customers", False, 4, 1)]
    stats = score(cells, topics=["ethics"], groups=GROUPS, params=Params()).topics[0].axes[COMPANY]
    assert (stats.n, stats.mean, stats.median, stats.sd) == (1, 4.0, 4.0, None)
    assert (stats.ci_low, stats.ci_high) == (4.0, 4.0)


def test_a_topic_answered_only_with_dont_know_has_no_data_and_ranks_last():
    # "Don't know" is not a rating, so such a topic has no cells at all.
    result = score(spread_cells(), topics=["ethics", "abacus"], groups=GROUPS, params=Params())
    unknown = result.topics[-1]
    assert unknown.topic == "abacus"
    assert unknown.rank == 2
    assert unknown.axes[COMPANY] == empty_stats()
    assert (unknown.combined, unknown.p_material, unknown.material) == (None, None, False)
    assert unknown.tier == Tier.LOW
    assert unknown.divergence == {COMPANY: None, STAKEHOLDER: None}


def test_a_retired_topic_is_simply_left_out_of_the_topics_and_cells():
    with_retired = score(
        spread_cells(), topics=["ethics", "retired"], groups=GROUPS, params=Params()
    )
    without = score(spread_cells(), topics=["ethics"], groups=GROUPS, params=Params())
    assert [t.topic for t in with_retired.topics] == ["ethics", "retired"]
    assert with_retired.topics[0].axes == without.topics[0].axes
    assert with_retired.thresholds == without.thresholds  # no data, no effect on the mean


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (Cell("unknown", COMPANY, "customers", False, 3, 1), "topic 'unknown'"),
        (Cell("ethics", COMPANY, "unknown", False, 3, 1), "group 'unknown'"),
        (Cell("ethics", "unknown", "customers", False, 3, 1), "axis 'unknown'"),
        (Cell("ethics", COMPANY, "customers", False, 6, 1), "rating 6"),
        (Cell("ethics", COMPANY, "customers", False, 0, 1), "rating 0"),
        (Cell("ethics", COMPANY, "customers", False, 3, -1), "negative count"),
    ],
)
def test_inconsistent_cells_are_rejected(cell, message):
    with pytest.raises(ValueError, match=message):
        score([cell], topics=["ethics"], groups=GROUPS, params=Params())


def test_codes_listed_twice_are_rejected():
    with pytest.raises(ValueError, match="listed twice: ethics"):
        score([], topics=["ethics", "ethics"], groups=GROUPS, params=Params())


def test_custom_weights_for_unlisted_groups_are_rejected():
    params = Params(weighting=Weighting.CUSTOM, group_weights={"customers": 1, "martians": 2})
    with pytest.raises(ValueError, match="martians"):
        score([], topics=["ethics"], groups=GROUPS, params=params)


def test_no_cells_at_all_give_empty_results():
    result = score([], topics=["ethics", "privacy"], groups=GROUPS, params=Params())
    assert result.thresholds == {COMPANY: None, STAKEHOLDER: None}
    assert [t.topic for t in result.topics] == ["ethics", "privacy"]
    assert result.respondents_counted == {COMPANY: 0, STAKEHOLDER: 0}


# Materiality rule, tiers and ranking ----------------------------------------------------


def two_axis_cells(code: str, company: int, stakeholder: int, count: int = 4) -> list[Cell]:
    return [
        Cell(code, COMPANY, "customers", False, company, count),
        Cell(code, STAKEHOLDER, "customers", False, stakeholder, count),
    ]


def fixed(threshold: float = 3.5, **options: object) -> Params:
    return Params(
        threshold_mode=ThresholdMode.FIXED,
        company_threshold=threshold,
        stakeholder_threshold=threshold,
        **options,
    )


def test_a_topic_is_material_when_either_axis_reaches_the_threshold():
    cells = [
        *two_axis_cells("both", 4, 5),
        *two_axis_cells("company-only", 4, 2),
        *two_axis_cells("stakeholder-only", 2, 4),
        *two_axis_cells("neither", 3, 3),
        *two_axis_cells("exactly", 3, 4),
    ]
    codes = ["both", "company-only", "stakeholder-only", "neither", "exactly"]
    result = score(cells, topics=codes, groups=GROUPS, params=fixed(threshold=4.0))
    tiers = {t.topic: (t.material, t.tier) for t in result.topics}
    assert tiers == {
        "both": (True, Tier.HIGH),
        "company-only": (True, Tier.MEDIUM),
        "stakeholder-only": (True, Tier.MEDIUM),
        "neither": (False, Tier.LOW),
        "exactly": (True, Tier.MEDIUM),  # 4.0 reaches 4.0
    }
    assert topic(result, "company-only").crosses == {COMPANY: True, STAKEHOLDER: False}


def test_a_relative_threshold_is_the_mean_of_topic_means_plus_the_offset():
    cells = [*two_axis_cells("a", 2, 2), *two_axis_cells("b", 4, 3), *two_axis_cells("c", 3, 4)]
    result = score(
        cells,
        topics=["a", "b", "c"],
        groups=GROUPS,
        params=Params(company_threshold=0.5, stakeholder_threshold=-0.25),
    )
    assert result.thresholds == {COMPANY: pytest.approx(3.5), STAKEHOLDER: pytest.approx(2.75)}
    assert {t.topic: t.tier for t in result.topics} == {"a": "low", "b": "high", "c": "medium"}


def test_topics_equal_to_a_relative_threshold_reach_it_despite_rounding():
    # Three topics with mean 3.7: the mean of means is 3.7 up to floating-point rounding.
    cells = [c for code in "abc" for c in two_axis_cells(code, 4, 4, count=7)]
    cells += [Cell(code, axis, "customers", False, 3, 3) for code in "abc" for axis in AXES]
    result = score(cells, topics=list("abc"), groups=GROUPS, params=Params())
    assert all(t.tier == Tier.HIGH for t in result.topics)


def test_ranking_orders_by_combined_then_stakeholder_mean_then_code():
    cells = [
        *two_axis_cells("top", 5, 5),
        *two_axis_cells("z-stakeholder-heavy", 2, 4),  # combined 50, stakeholder 4
        *two_axis_cells("a-company-heavy", 4, 2),  # combined 50, stakeholder 2
        *two_axis_cells("d-twin", 3, 3),  # combined 50, stakeholder 3
        *two_axis_cells("c-twin", 3, 3),
    ]
    codes = ["a-company-heavy", "c-twin", "d-twin", "top", "z-stakeholder-heavy", "empty"]
    result = score(cells, topics=codes, groups=GROUPS, params=Params())
    assert [t.topic for t in result.topics] == [
        "top",
        "z-stakeholder-heavy",
        "c-twin",
        "d-twin",
        "a-company-heavy",
        "empty",
    ]
    assert [t.rank for t in result.topics] == [1, 2, 3, 4, 5, 6]


def test_divergence_is_the_spread_of_group_means_and_flags_above_the_limit():
    cells = [
        Cell("ethics", COMPANY, "customers", False, 5, 3),
        Cell("ethics", COMPANY, "employees", True, 2, 3),
        Cell("ethics", COMPANY, "investors", False, 2, 1),
        Cell("ethics", STAKEHOLDER, "customers", False, 3, 1),
    ]
    result = score(cells, topics=["ethics"], groups=GROUPS, params=Params())
    scored = result.topics[0]
    assert scored.divergence[COMPANY] == pytest.approx(np.std([5, 2, 2]))  # 1.414
    assert scored.divergence[STAKEHOLDER] is None  # one group only
    assert scored.divergence_flag is True
    relaxed = score(cells, topics=["ethics"], groups=GROUPS, params=Params(divergence_limit=1.5))
    assert relaxed.topics[0].divergence_flag is False


# Parameters ------------------------------------------------------------------------------


def test_parameters_serialise_to_stable_json_and_back():
    params = Params(
        weighting=Weighting.CUSTOM,
        group_weights={"employees": 1, "customers": 2.5},
        threshold_mode=ThresholdMode.FIXED,
        company_threshold=3.5,
        stakeholder_threshold=3,
    )
    data = params.as_dict()
    assert list(data)[:5] == [
        "scale_min",
        "scale_max",
        "company_axis",
        "stakeholder_axis",
        "weighting",
    ]
    assert data["weighting"] == "custom"
    assert data["group_weights"] == {"customers": 2.5, "employees": 1.0}
    assert list(data["group_weights"]) == ["customers", "employees"]
    text = json.dumps(data)
    assert Params.from_dict(json.loads(text)) == params
    assert json.dumps(Params.from_dict(json.loads(text)).as_dict()) == text


def test_parameters_keep_their_own_copy_of_the_weights():
    weights = {"customers": 1.0}
    params = Params(weighting=Weighting.CUSTOM, group_weights=weights)
    weights["customers"] = 5.0
    assert params.group_weights == {"customers": 1.0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scale_min": 5, "scale_max": 5}, "scale_min"),
        ({"bootstrap_samples": -1}, "bootstrap_samples"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0}, "confidence"),
        ({"seed": -3}, "seed"),
        ({"company_axis": "same", "stakeholder_axis": "same"}, "must differ"),
        ({"weighting": "by_mood"}, "weighting must be one of"),
        ({"weighting": Weighting.CUSTOM}, "positive weight"),
        ({"weighting": Weighting.CUSTOM, "group_weights": {"customers": 0}}, "positive weight"),
        ({"group_weights": {"customers": -1.0}}, "negative: customers"),
        ({"group_weights": {"customers": math.nan}}, "finite"),
        ({"threshold_mode": ThresholdMode.FIXED}, "outside the scale"),
        ({"company_threshold": "high"}, "finite number"),
        ({"bootstrap_samples": 2.5}, "integer"),
    ],
)
def test_invalid_parameters_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        Params(**options)


def test_unknown_parameters_in_a_recorded_run_are_rejected():
    with pytest.raises(ValueError, match="unknown scoring parameters: colour"):
        Params.from_dict({"colour": "green"})
