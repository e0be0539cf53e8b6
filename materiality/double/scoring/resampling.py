"""The bootstrap over raters: how far an IRO's score could move with other raters.

Each resample draws as many raters as rated, with replacement, and scores the IRO from
the resample's medians exactly as the point estimate is scored. Every criterion is a
level from 1 to 5, so a resample's median is fixed by its two middle levels (equal with
an odd count); numpy finds them for all resamples at once, and each distinct set of
middle levels is scored once, in exact arithmetic. The interval's ends are percentiles
of the exact scores (linear interpolation between order statistics, as numpy's default),
so they too are exact.

The random stream is derived from the seed and the IRO's code: the same seed and ratings
give the same interval, whatever else the assessment holds and in whatever order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt

# The middle levels of each criterion of one resample: ((low, high), ...) in criteria order.
Middles = tuple[tuple[int, int], ...]


def interval(
    code: str,
    levels: npt.NDArray[np.int8],
    score: Callable[[Middles], Fraction],
    *,
    resamples: int,
    confidence: Fraction,
    seed: int,
) -> tuple[Fraction, Fraction]:
    """The percentile interval at `confidence` of the score over `resamples` resamples of
    the raters; `levels` holds one row per rater, one column per criterion."""
    raters, criteria = levels.shape
    stream = _stream(seed, code)
    drawn = stream.integers(0, raters, size=(resamples, raters))
    middle = sorted({(raters - 1) // 2, raters // 2})
    # (criterion, resample, rater), partitioned so the middle places hold the middle levels
    placed = np.partition(np.ascontiguousarray(levels.T)[:, drawn], middle, axis=-1)
    low, high = placed[:, :, middle[0]], placed[:, :, middle[-1]]
    middles = np.concatenate([low, high]).T.astype(np.int64)  # (resample, 2 * criterion)
    # Each resample's middle levels packed into one integer (3 bits a level), so that the
    # distinct ones are found by a 1-D unique, far quicker than a unique over rows.
    shifts = np.arange(2 * criteria, dtype=np.int64) * 3
    keys, counts = np.unique((middles << shifts).sum(axis=1), return_counts=True)
    scores = [score(_unpack(int(key), criteria)) for key in keys]
    order = sorted(range(len(scores)), key=scores.__getitem__)
    sorted_scores = [scores[i] for i in order]
    # cumulative[i]: how many resamples score at most sorted_scores[i]
    cumulative = np.cumsum(counts[order])
    tail = (1 - confidence) / 2

    def nth(k: int) -> Fraction:  # the k-th smallest resampled score, from 0
        return sorted_scores[int(np.searchsorted(cumulative, k, side="right"))]

    def percentile(q: Fraction) -> Fraction:
        position = (resamples - 1) * q
        below = int(position)  # floor: position is never negative
        if below == position:
            return nth(below)
        low, high = nth(below), nth(below + 1)
        return low + (position - below) * (high - low)

    return percentile(tail), percentile(1 - tail)


def _unpack(key: int, criteria: int) -> Middles:
    levels = [(key >> (3 * i)) & 0b111 for i in range(2 * criteria)]
    return tuple(zip(levels[:criteria], levels[criteria:], strict=True))


def _stream(seed: int, code: str) -> np.random.Generator:
    key = hashlib.sha256(code.encode()).digest()
    spawn_key = (int.from_bytes(key[:16], "big"),)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key))
