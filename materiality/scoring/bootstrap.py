"""Percentile bootstrap from level counts, stratified by stakeholder group.

Resampling the n_g ratings of group g for one topic and axis is a multinomial draw of
n_g from the group's level distribution, so the bootstrap needs the counts only; and the
statistics need only each resample's *sum*, whose exact distribution is the n_g-fold
convolution of the level distribution. Each (topic, axis, group) cell draws its B sums
once, from a random stream of its own (derived from the seed and the cell's codes), and
resample b of every cell belongs to the same bootstrap replicate b: topic means,
relative thresholds and p_material are all computed per replicate.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from materiality.scoring.estimates import Bools, Estimates, Floats, Ints, Table, weighted_mean
from materiality.scoring.params import Params
from materiality.scoring.rules import crosses, thresholds


@dataclass(frozen=True, slots=True)
class Resamples:
    topic_means: Floats  # (topic, axis, sample); NaN where the topic has no mean
    topic_ci: Floats  # (topic, axis, 2)
    group_ci: Floats  # (topic, axis, group, 2)


def resample(table: Table, overall: Estimates, params: Params) -> Resamples:
    samples = params.bootstrap_samples
    topics, axes, groups, _ = table.counts.shape
    group_ci = np.full((topics, axes, groups, 2), np.nan)
    topic_means = np.full((topics, axes, samples), np.nan)
    n = table.counts.sum(axis=-1)
    counts = table.counts.tolist()
    levels = tuple(table.levels.tolist())
    # Topics in blocks whose cells' sums, (topic, axis, group, sample), fit in
    # BLOCK_BYTES: all of an assessment's topics at the default 1,000 resamples (2.2 MB at
    # 17 topics and 8 groups), one at a time at the allowed maximum of 100,000 (12.8 MB
    # each; all at once were 218 MB). The statistics of a block's cells are computed
    # together, a few array operations instead of a few per topic: element by element
    # the same arithmetic as cell by cell, so the same numbers whatever the block.
    block = max(1, BLOCK_BYTES // (axes * groups * samples * 8))
    for first in range(0, topics, block):
        last = min(topics, first + block)
        sums = np.zeros((last - first, axes, groups, samples))
        # The block's cells that have ratings, in the order topic, axis, group, looked up
        # (and drawn where not kept) in one call and copied in with one assignment each:
        # per cell, a lookup under the cache's lock and two array assignments of their
        # own were 2 ms of a warm run's 272 cells.
        rated = np.nonzero(n[first:last])  # indices within the block
        cells = list(zip(*(index.tolist() for index in rated), strict=True))
        found = _cell_sums.draw(
            [
                (
                    tuple(counts[first + t][a][g]),
                    levels,
                    samples,
                    (params.seed, table.topics[first + t], table.axes[a], table.groups[g]),
                )
                for t, a, g in cells
            ]
        )
        if cells:
            sums[rated] = np.stack([drawn.sums for drawn in found])
        intervals = [drawn.intervals.get(params.confidence) for drawn in found]
        has_interval = [i for i, interval in enumerate(intervals) if interval is not None]
        if has_interval:
            group_ci[first:last][tuple(index[has_interval] for index in rated)] = np.stack(
                [interval for interval in intervals if interval is not None]
            )
        # The cells whose interval is not kept.
        missing = [
            (first + t, a, g, drawn)
            for (t, a, g), drawn, interval in zip(cells, found, intervals, strict=True)
            if interval is None
        ]
        if missing:
            # The same arithmetic as the point estimates: the interval of the means sum / n.
            at = tuple(
                np.array(index) for index in zip(*(cell[:3] for cell in missing), strict=True)
            )
            means = np.stack([drawn.sums for *_cell, drawn in missing]) / n[at][:, None]
            computed = _percentiles(means, params.confidence)
            group_ci[at] = computed
            for (*_cell, drawn), interval in zip(missing, computed, strict=True):
                kept = interval.copy()
                kept.setflags(write=False)
                drawn.intervals[params.confidence] = kept
        # weighted_mean over the last axis: groups, per sample.
        topic_means[first:last] = weighted_mean(
            overall.weights[first:last, :, None, :],
            overall.group_n[first:last, :, None, :],
            sums.swapaxes(-1, -2),
        )
    topic_ci = np.full((topics, axes, 2), np.nan)
    has_mean = ~np.isnan(overall.mean)
    topic_ci[has_mean] = _percentiles(topic_means[has_mean], params.confidence)
    return Resamples(topic_means, topic_ci, group_ci)


# The most memory a block of topics' resampled sums takes at once (`resample`).
BLOCK_BYTES = 16 * 1024 * 1024


def p_material(topic_means: Floats, has_mean: Bools, params: Params) -> Floats:
    """Per topic, the share of replicates in which it reaches the threshold on either axis,
    thresholds recomputed per replicate when relative."""
    applied = thresholds(topic_means, has_mean, params)  # (axis, sample)
    material = crosses(topic_means, applied[None]).any(axis=1)  # (topic, sample)
    share: Floats = material.mean(axis=1)
    return share


# Up to this many possible sums, a cell's sums are drawn from their exact distribution,
# one uniform number each (0.05-0.2 ms per cell of 1,000 resamples, growing with the
# sums); beyond it, the multinomial draws of whole resamples cost about as little
# (0.3-0.6 ms whatever the size, less for cells with one dominant level).
EXACT_SUPPORT = 2048


def _resampled_sums(
    counts: Ints, levels: Floats, samples: int, stream: np.random.Generator
) -> Floats:
    """The sum of the ratings in each of `samples` resamples of one cell.

    `levels` are consecutive integers (the scale), so a sum is n * (lowest level rated)
    plus a whole number of steps k between 0 and n * (highest - lowest level rated).
    """
    n = int(counts.sum())
    rated = np.flatnonzero(counts)
    low, high = int(rated[0]), int(rated[-1])
    if low == high:  # every resample equals the data
        return np.full(samples, n * levels[low])
    support = n * (high - low) + 1
    if support > EXACT_SUPPORT:
        drawn = stream.multinomial(n, counts / n, size=samples)
        resampled: Floats = drawn @ levels
        return resampled
    cumulative = np.cumsum(_sum_distribution(counts[low : high + 1] / n, n, support))
    cumulative /= cumulative[-1]  # ends at exactly 1.0, above every uniform draw
    steps = np.searchsorted(cumulative, stream.random(samples), side="right")
    return n * levels[low] + steps


def _sum_distribution(p: Floats, n: int, support: int) -> Floats:
    """P(k), k = 0 .. support - 1: the probability that n independent draws of an offset
    (offset i with probability p[i]) add up to k, i.e. the n-fold convolution of p,
    computed as the n-th power of its discrete Fourier transform."""
    size = 1 << (support - 1).bit_length()  # at least `support`: no wrap-around
    exact = np.fft.irfft(np.fft.rfft(p, size) ** n, size)[:support]
    # The n-th power carries a rounding error growing with n (measured: at most 0.09 * n
    # machine epsilons); smaller probabilities are that noise, or too small to matter.
    negligible = max(1e-14, 4 * n * float(np.finfo(np.float64).eps))
    distribution: Floats = np.where(exact > negligible, exact, 0.0)
    return distribution


# A cell's key: its counts, the scale's levels, the resamples, (seed, topic, axis, group).
CellKey = tuple[tuple[int, ...], tuple[float, ...], int, tuple[int, str, str, str]]


@dataclass(slots=True)
class _Drawn:
    sums: Floats  # one per resample, read-only
    intervals: dict[float, Floats]  # confidence -> percentile interval of the means


class _CellCache:
    """A cell's sums depend on nothing but its counts, the scale, the number of resamples,
    the seed and its codes (its stream is its own). A run after one new reply changes the
    cells of one group only (34 of 272 in the model company's assessment): a worker keeps
    the latest sums, and the intervals of their means, and draws again only those of
    cells whose counts changed, the same numbers it would draw anew.

    The least recently used cells go first once the sums kept pass `budget` bytes: 8 KB a
    cell at the default 1,000 resamples (4,096 cells in 32 MB), 800 KB at the allowed
    maximum of 100,000, when a count of cells would have kept gigabytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._cells: OrderedDict[CellKey, _Drawn] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    def draw(self, cells: list[CellKey]) -> list[_Drawn]:
        """The drawn sums of each cell (counts, levels, resamples, (seed and codes)), kept
        ones found under one hold of the lock, the others drawn (outside it) and kept."""
        found: list[_Drawn | None] = []
        with self._lock:
            for key in cells:
                drawn = self._cells.get(key)
                if drawn is not None:
                    self._cells.move_to_end(key)
                    self._hits += 1
                found.append(drawn)
        result: list[_Drawn] = []
        for key, drawn in zip(cells, found, strict=True):
            result.append(self._drawn_anew(key) if drawn is None else drawn)
        return result

    def _drawn_anew(self, key: CellKey) -> _Drawn:
        counts, levels, samples, cell = key
        sums = _resampled_sums(
            np.array(counts, dtype=np.int64),
            np.array(levels, dtype=np.float64),
            samples,
            _stream(*cell),
        )
        sums.setflags(write=False)  # shared by every run that finds the same cell
        drawn = _Drawn(sums, {})
        with self._lock:
            self._misses += 1
            if key not in self._cells:
                self._cells[key] = drawn
                self._bytes += sums.nbytes
            while self._bytes > self.budget and len(self._cells) > 1:
                _key, evicted = self._cells.popitem(last=False)
                self._bytes -= evicted.sums.nbytes
        return drawn

    def cache_info(self) -> tuple[int, int, int]:
        """Hits, misses and the bytes of sums kept."""
        with self._lock:
            return self._hits, self._misses, self._bytes

    def cache_clear(self) -> None:
        with self._lock:
            self._cells.clear()
            self._bytes = self._hits = self._misses = 0


_cell_sums = _CellCache(budget=32 * 1024 * 1024)


def _stream(seed: int, topic: str, axis: str, group: str) -> np.random.Generator:
    """The random stream of one cell: the same seed and codes give the same draws, whatever
    else the assessment holds."""
    key = hashlib.sha256(json.dumps([topic, axis, group]).encode()).digest()
    spawn_key = (int.from_bytes(key[:16], "big"),)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key))


def _percentiles(samples: Floats, confidence: float) -> Floats:
    """The percentile interval of each row: columns (lower, upper), linear interpolation."""
    tail = (1 - confidence) / 2
    return np.quantile(samples, [tail, 1 - tail], axis=-1).T
