"""Point estimates from level counts: n, weighted mean, median and SD.

Arrays are indexed (topic, axis, group, level) with codes sorted, so that no result
depends on the order in which the caller lists cells, topics or groups. "Undefined" is
NaN inside this package and None in the results.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from materiality.scoring.params import AxisSource, Cell, Params, Weighting

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Table:
    """Rating counts per (topic, axis, group, level), after the axis-source filter."""

    topics: tuple[str, ...]
    axes: tuple[str, str]  # (company axis, stakeholder axis)
    groups: tuple[str, ...]
    levels: Floats  # the scale's levels as numbers
    counts: Ints


def tabulate(
    cells: Iterable[Cell], topics: Sequence[str], groups: Sequence[str], params: Params
) -> Table:
    topic_codes = _sorted_codes("topic", topics)
    group_codes = _sorted_codes("group", groups)
    axes = (params.company_axis, params.stakeholder_axis)
    topic_at = {code: i for i, code in enumerate(topic_codes)}
    group_at = {code: i for i, code in enumerate(group_codes)}
    axis_at = {code: i for i, code in enumerate(axes)}
    size = params.scale_max - params.scale_min + 1
    split = params.axis_source is AxisSource.SPLIT_INTERNAL_EXTERNAL
    flat = [0] * (len(topic_codes) * len(axes) * len(group_codes) * size)
    scale_min, scale_max, axis_count, group_count = (
        params.scale_min,
        params.scale_max,
        len(axes),
        len(group_codes),
    )
    as_int = operator.index
    for cell in cells:
        try:
            t, a, g = topic_at[cell.topic], axis_at[cell.axis], group_at[cell.group]
        except KeyError:  # which code, in this order: topic, axis, group
            _index_of(topic_at, "topic", cell.topic)
            _index_of(axis_at, "axis", cell.axis)
            _index_of(group_at, "group", cell.group)
            raise
        level, count = as_int(cell.level), as_int(cell.count)
        if not scale_min <= level <= scale_max:
            raise ValueError(
                f"rating {level} for topic {cell.topic!r} lies outside the scale "
                f"{params.scale_min} to {params.scale_max}"
            )
        if count < 0:
            raise ValueError(f"negative count {count} for topic {cell.topic!r}")
        # Split source: the company axis (a == 0) hears internal respondents only, the
        # stakeholder axis external ones only.
        if split and (a == 0) != bool(cell.internal):
            continue
        row = (t * axis_count + a) * group_count + g
        flat[row * size + level - scale_min] += count
    counts = np.array(flat, dtype=np.int64).reshape(len(topic_codes), len(axes), -1, size)
    levels = np.arange(params.scale_min, params.scale_max + 1, dtype=np.float64)
    return Table(topic_codes, axes, group_codes, levels, counts)


def _sorted_codes(kind: str, codes: Sequence[str]) -> tuple[str, ...]:
    duplicates = sorted(code for code, times in Counter(codes).items() if times > 1)
    if duplicates:
        raise ValueError(f"{kind} codes listed twice: {', '.join(duplicates)}")
    return tuple(sorted(codes))


def _index_of(index: dict[str, int], kind: str, code: str) -> int:
    try:
        return index[code]
    except KeyError:
        raise ValueError(f"a cell names {kind} {code!r}, which is not in the assessment") from None


def group_weights(table: Table, params: Params) -> Floats:
    """Each group's raw (unnormalised) weight per topic and axis; 0 where it has no ratings."""
    n: Ints = table.counts.sum(axis=-1)
    if params.weighting is Weighting.RESPONDENT:
        return n.astype(np.float64)
    if params.weighting is Weighting.EQUAL_GROUP:
        return (n > 0).astype(np.float64)
    unknown = sorted(set(params.group_weights) - set(table.groups))
    if unknown:
        raise ValueError(f"group weights name groups not in the assessment: {', '.join(unknown)}")
    custom = np.array([params.group_weights.get(code, 0.0) for code in table.groups])
    return np.where(n > 0, custom, 0.0)


@dataclass(frozen=True, slots=True)
class Estimates:
    """Point estimates for counts shaped (..., group, level); values shaped (...)."""

    n: Ints
    distribution: Ints  # (..., level)
    mean: Floats
    median: Floats
    sd: Floats
    weights: Floats  # (..., group): the group weights, 0 for groups without ratings
    group_n: Ints  # (..., group)


def estimate(counts: Ints, weights: Floats, levels: Floats) -> Estimates:
    """Weighted statistics of the ratings in `counts`, group g weighing `weights[..., g]`.

    Every rating of group g weighs u_g = w_g / (n_g * W), W the sum of the weights of the
    groups that rated, so the ratings' weights add up to 1.
    """
    group_n: Ints = counts.sum(axis=-1)
    weights = np.where(group_n > 0, weights, 0.0)
    total = weights.sum(axis=-1, keepdims=True)
    unit = np.divide(weights, group_n * total, out=np.zeros_like(weights), where=weights > 0)
    weighted = unit.any(axis=-1)
    mean = weighted_mean(weights, group_n, counts @ levels)

    squares = (levels - np.where(weighted, mean, 0.0)[..., None]) ** 2  # (..., level)
    spread = (unit * (counts * squares[..., None, :]).sum(axis=-1)).sum(axis=-1)
    # Reliability-weights correction: divide by 1 - (sum of squared rating weights), which
    # is (n - 1) / n for equal weights: the sample variance.
    correction = 1.0 - (group_n * unit**2).sum(axis=-1)
    rated = np.where(unit > 0, group_n, 0).sum(axis=-1)
    variance = np.divide(spread, correction, out=np.full_like(spread, np.nan), where=rated >= 2)
    median = np.full(mean.shape, np.nan)
    if counts.shape[-2] == 1:  # one group (a group's own statistics): all at once
        median[weighted] = _medians_of_one_group(counts[weighted][:, 0], levels)
    else:
        # Where every rating weighs the same, w_g / n_g equal for the groups that weigh (the
        # respondent weighting, w_g = n_g, a float equal to the integer below 2**53), the
        # weighted median is the median of those groups' pooled counts: all at once, as
        # for one group (34 `_median` calls were 0.5 ms of a warm run).
        weighs = weights > 0
        alike = ((weights == group_n) & (group_n <= 2**53)) | ~weighs
        pooled = weighted & alike.all(axis=-1)
        median[pooled] = _medians_of_one_group(
            (counts * weighs[..., None])[pooled].sum(axis=-2), levels
        )
        for index in zip(*np.nonzero(weighted & ~pooled), strict=True):
            median[index] = _median(counts[index], weights[index], levels)
    return Estimates(
        n=group_n.sum(axis=-1),
        distribution=counts.sum(axis=-2),
        mean=mean,
        median=median,
        sd=np.sqrt(variance),
        weights=weights,
        group_n=group_n,
    )


def weighted_mean(weights: Floats, group_n: Ints, group_sums: Floats) -> Floats:
    """(sum over g of w_g * S_g / n_g) / (sum of w_g), over the last axis; NaN if no weight.

    Terms are added in group order; point estimates and bootstrap resamples both use this,
    so a resample equal to the data gives a bit-identical mean. With w_g = n_g it is the
    pooled mean (sum of all ratings) / n, rounded once.
    """
    shape = np.broadcast_shapes(weights.shape, group_sums.shape)[:-1]
    total, weight = np.zeros(shape), np.zeros(shape)
    for g in range(group_sums.shape[-1]):
        w, n = weights[..., g], group_n[..., g]
        rated = w > 0
        if rated.all():  # the same quotients without a mask, a fifth faster on resamples
            total += w * group_sums[..., g] / n
        else:
            total += np.divide(w * group_sums[..., g], n, out=np.zeros(shape), where=rated)
        weight += w
    mean: Floats = np.divide(total, weight, out=np.full(shape, np.nan), where=weight > 0)
    return mean


def _medians_of_one_group(counts: Ints, levels: Floats) -> Floats:
    """`_median` of each row of `counts` (rows, level), every rating weighing the same:
    the lowest level where the cumulative count reaches half the total; if it is exactly
    half there, the midpoint between that level and the next level rated. Integer counts,
    exact; the midpoint is the same float operation as `_median`'s."""
    cumulative = np.cumsum(counts, axis=-1)
    twice, total = 2 * cumulative, cumulative[:, -1:]
    at = (twice >= total).argmax(axis=-1)  # a level rated: the cumulative count grew there
    rows = np.arange(len(counts))
    half = twice[rows, at] == total[:, 0]
    # The next level rated after `at`, where the count is exactly half (it exists: the
    # cumulative count is below the total there).
    later = (np.arange(counts.shape[-1]) > at[:, None]) & (counts > 0)
    after = later.argmax(axis=-1)
    medians: Floats = np.where(half, (levels[at] + levels[after]) / 2, levels[at])
    return medians


def _median(counts: Ints, weights: Floats, levels: Floats) -> float:
    """Weighted median, in exact integer arithmetic.

    The median is the lowest level whose cumulative weight exceeds half the total; when
    the cumulative weight of a level is exactly half, it is the midpoint between that
    level and the next level with weight (the usual median for equal weights).
    """
    # Rating weights w_g / n_g as integers over a common denominator.
    rows = []
    for weight, row in zip(weights.tolist(), counts.tolist(), strict=True):
        numerator, denominator = float(weight).as_integer_ratio()
        if numerator > 0 and sum(row) > 0:
            rows.append((numerator, denominator * sum(row), row))
    if len(rows) == 1:
        # One group: every rating weighs the same, and the comparisons below do not
        # change when all level weights are multiplied by one positive number.
        level_weights = rows[0][2]
    else:
        common = math.lcm(*(denominator for _, denominator, _ in rows))
        level_weights = [0] * len(levels)
        for numerator, denominator, row in rows:
            factor = numerator * (common // denominator)
            for i, count in enumerate(row):
                level_weights[i] += factor * count
    total = sum(level_weights)
    below = 0
    lower: float | None = None
    for level, weight in zip(map(float, levels), level_weights, strict=True):
        if weight == 0:
            continue
        if lower is not None:
            return (lower + level) / 2
        below += weight
        if 2 * below > total:
            return level
        if 2 * below == total:
            lower = level
    raise AssertionError("the cumulative weight must pass one half")  # pragma: no cover
