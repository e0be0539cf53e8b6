"""Materiality scoring: grouped rating counts in, topic scores out.

Pure functions on plain data (no Django, no ORM, no settings): the aggregation task, the
API and the benchmarks call the same `score`. Ratings take a few discrete levels, so the
count of each level per (topic, axis, group, internal) cell holds everything the
statistics need, the bootstrap included; the cost does not grow with the number of
replies. docs/methodology.md states the method, with formulas and a worked example.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from materiality.scoring.bootstrap import p_material, resample
from materiality.scoring.estimates import Estimates, Floats, estimate, group_weights, tabulate
from materiality.scoring.outcome import ScoreResult, Stats, Tier, TopicOutcome
from materiality.scoring.params import (
    MAX_BOOTSTRAP_SAMPLES,
    AxisSource,
    Cell,
    InvalidParams,
    Params,
    Problem,
    ThresholdMode,
    Weighting,
)
from materiality.scoring.rules import crosses, rank_key, thresholds, tier

__all__ = [
    "MAX_BOOTSTRAP_SAMPLES",
    "AxisSource",
    "Cell",
    "InvalidParams",
    "Params",
    "Problem",
    "ScoreResult",
    "Stats",
    "ThresholdMode",
    "Tier",
    "TopicOutcome",
    "Weighting",
    "score",
]


def score(
    cells: Iterable[Cell], *, topics: Sequence[str], groups: Sequence[str], params: Params
) -> ScoreResult:
    """Score every listed topic from the assessment's grouped rating counts.

    Raises ValueError when a cell names a topic, group or axis that is not the
    assessment's, when a level lies outside the scale, and when custom weights name a
    group that is not listed. The result does not depend on the order of any input.
    """
    table = tabulate(cells, topics, groups, params)
    n = table.counts.sum(axis=-1)
    overall = estimate(table.counts, group_weights(table, params), table.levels)
    per_group = estimate(table.counts[..., None, :], np.ones((*n.shape, 1)), table.levels)
    has_mean = ~np.isnan(overall.mean)
    applied = thresholds(overall.mean, has_mean, params)
    crossed = crosses(overall.mean, applied)
    topic_ci = np.full((*has_mean.shape, 2), np.nan)
    group_ci = np.full((*n.shape, 2), np.nan)
    p_topic: Floats | None = None
    if params.bootstrap_samples:
        resamples = resample(table, overall, params)
        topic_ci, group_ci = resamples.topic_ci, resamples.group_ci
        p_topic = p_material(resamples.topic_means, has_mean, params)

    topic_stats = _all_stats(overall, topic_ci, params)  # [topic][axis]
    group_stats = _all_stats(per_group, group_ci, params)  # [topic][axis][group]
    axis_stats = [
        {axis: topic_stats[t][a] for a, axis in enumerate(table.axes)}
        for t in range(len(table.topics))
    ]
    combined = [_combined(*(s.normalised for s in stats.values())) for stats in axis_stats]
    order = sorted(
        range(len(table.topics)),
        key=lambda t: rank_key(
            combined[t], axis_stats[t][params.stakeholder_axis].mean, table.topics[t]
        ),
    )
    group_at = {code: table.groups.index(code) for code in groups}  # the caller's order
    limit = params.divergence_limit
    scores = []
    for rank, t in enumerate(order, start=1):
        divergence = {
            axis: _population_sd(per_group.mean[t, a]) for a, axis in enumerate(table.axes)
        }
        scores.append(
            TopicOutcome(
                topic=table.topics[t],
                axes=axis_stats[t],
                by_group={
                    axis: {code: group_stats[t][a][g] for code, g in group_at.items()}
                    for a, axis in enumerate(table.axes)
                },
                combined=combined[t],
                material=bool(crossed[t].any()),
                tier=tier(int(crossed[t].sum())),
                rank=rank,
                p_material=None if p_topic is None or not has_mean[t].any() else float(p_topic[t]),
                divergence=divergence,
                divergence_flag=any(d is not None and d > limit for d in divergence.values()),
                crosses={axis: bool(crossed[t, a]) for a, axis in enumerate(table.axes)},
            )
        )
    return ScoreResult(
        params=params,
        thresholds={axis: _optional(applied[a]) for a, axis in enumerate(table.axes)},
        topics=tuple(scores),
        respondents_counted={axis: int(n[:, a].sum()) for a, axis in enumerate(table.axes)},
    )


def _all_stats(est: Estimates, ci: Floats, params: Params) -> list[Any]:
    """The statistics of every index of `est` (nested lists shaped as `est.mean`), with
    the confidence intervals `ci`: the arrays turned into Python numbers once (`tolist`
    gives the same doubles as `float` of each element), NaN as None."""
    levels = range(params.scale_min, params.scale_max + 1)
    span = params.scale_max - params.scale_min
    scale_min = params.scale_min

    def build(
        n: int,
        mean: float,
        median: float,
        sd: float,
        interval: list[float],
        distribution: list[int],
    ) -> Stats:
        mean_or_none = None if mean != mean else mean  # NaN: undefined
        return Stats(
            n=n,
            mean=mean_or_none,
            median=None if median != median else median,
            sd=None if sd != sd else sd,
            ci_low=None if interval[0] != interval[0] else interval[0],
            ci_high=None if interval[1] != interval[1] else interval[1],
            normalised=None if mean_or_none is None else (mean_or_none - scale_min) / span * 100,
            distribution=dict(zip(levels, distribution, strict=True)),
        )

    def nest(n: Any, mean: Any, median: Any, sd: Any, interval: Any, distribution: Any) -> Any:
        if isinstance(n, list):
            return [
                nest(*parts)
                for parts in zip(n, mean, median, sd, interval, distribution, strict=True)
            ]
        return build(n, mean, median, sd, interval, distribution)

    stats: list[Any] = nest(
        est.n.tolist(),
        est.mean.tolist(),
        est.median.tolist(),
        est.sd.tolist(),
        ci.tolist(),
        est.distribution.tolist(),
    )
    return stats


def _combined(company: float | None, stakeholder: float | None) -> float | None:
    """The mean of the two normalised axis means (0 to 100)."""
    return None if company is None or stakeholder is None else (company + stakeholder) / 2


def _population_sd(group_means: Floats) -> float | None:
    """The spread of the group means (groups with ratings); None with fewer than two."""
    present = group_means[~np.isnan(group_means)]
    return float(np.std(present)) if present.size >= 2 else None


def _optional(value: np.floating | float) -> float | None:
    number = float(value)
    return None if number != number else number  # NaN is the one value unequal to itself
