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

import functools
import hashlib
import json
import math
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
    # Topics in blocks whose cells' sums, (topic, axis, group, sample), fit in
    # BLOCK_BYTES: all of an assessment's topics at the default 1,000 resamples (2.2 MB at
    # 17 topics and 8 groups), one at a time at the allowed maximum of 100,000 (12.8 MB
    # each; all at once were 218 MB). The statistics of a block's cells are computed
    # together, a few array operations instead of a few per topic: element by element
    # the same arithmetic as cell by cell, so the same numbers whatever the block.
    block = max(1, BLOCK_BYTES // (axes * groups * samples * 8))
    for first in range(0, topics, block):
        last = min(topics, first + block)
        drawn = _drawn_block(table, first, last, params)
        group_ci[first:last] = drawn.intervals
        # weighted_mean over the last axis: groups, per sample.
        topic_means[first:last] = weighted_mean(
            overall.weights[first:last, :, None, :],
            overall.group_n[first:last, :, None, :],
            drawn.sums.swapaxes(-1, -2),
        )
    topic_ci = np.full((topics, axes, 2), np.nan)
    has_mean = ~np.isnan(overall.mean)
    topic_ci[has_mean] = _percentiles(topic_means[has_mean], params.confidence)
    return Resamples(topic_means, topic_ci, group_ci)


# The most memory a block of topics' resampled sums takes at once (`resample`).
BLOCK_BYTES = 16 * 1024 * 1024


def _drawn_block(table: Table, first: int, last: int, params: Params) -> _Block:
    """The sums and intervals of the cells of topics first to last - 1.

    A worker keeps the latest block of each assessment (`_cell_sums`): a run after one
    new reply copies it and puts in only the cells whose counts changed (34 of 272 in
    the model company's assessment), instead of building every cell's key, looking its
    sums up and stacking them anew (2 to 3 ms of a warm run). A kept block is never
    written, so runs in other threads may read it meanwhile."""
    samples, confidence = params.bootstrap_samples, params.confidence
    counts = table.counts[first:last]
    n = counts.sum(axis=-1)
    levels = tuple(table.levels.tolist())
    # Everything a block's sums depend on but its counts: a block of the same key and the
    # same counts in a cell holds the same numbers there.
    key: BlockKey = (
        params.seed,
        levels,
        samples,
        table.topics[first:last],
        table.axes,
        table.groups,
    )
    kept = _cell_sums.block(key)
    if kept is None or kept.confidence != confidence:
        sums = np.zeros((*n.shape, samples))
        intervals = np.full((*n.shape, 2), np.nan)
        changed = n > 0  # every cell with ratings
    else:
        changed = (counts != kept.counts).any(axis=-1)
        if not changed.any():
            _cell_sums.reused(int(np.count_nonzero(n)))
            return kept
        sums, intervals = kept.sums.copy(), kept.intervals.copy()
        sums[changed] = 0.0  # a cell that lost its ratings has neither sums nor interval
        intervals[changed] = np.nan
        changed &= n > 0
        _cell_sums.reused(int(np.count_nonzero(n)) - int(np.count_nonzero(changed)))
    # The cells to fill, in the order topic, axis, group, looked up (and drawn where not
    # kept) in one call and copied in with one assignment.
    at = np.nonzero(changed)
    cells = list(zip(*(index.tolist() for index in at), strict=True))
    found = _cell_sums.draw(
        [
            (
                tuple(row),
                levels,
                samples,
                (params.seed, table.topics[first + t], table.axes[a], table.groups[g]),
            )
            for (t, a, g), row in zip(cells, counts[at].tolist(), strict=True)
        ]
    )
    if cells:
        sums[at] = np.stack([drawn.sums for drawn in found])
    cell_intervals = [drawn.intervals.get(confidence) for drawn in found]
    has_interval = [i for i, interval in enumerate(cell_intervals) if interval is not None]
    if has_interval:
        intervals[tuple(index[has_interval] for index in at)] = np.stack(
            [interval for interval in cell_intervals if interval is not None]
        )
    # The cells whose interval is not kept.
    missing = [i for i, interval in enumerate(cell_intervals) if interval is None]
    if missing:
        # The same arithmetic as the point estimates: the interval of the means sum / n.
        where = tuple(index[missing] for index in at)
        computed = _percentiles(sums[where] / n[where][:, None], confidence)
        intervals[where] = computed
        for i, interval in zip(missing, computed, strict=True):
            own = interval.copy()
            own.setflags(write=False)
            found[i].intervals[confidence] = own
    for array in (sums, intervals):
        array.setflags(write=False)  # shared by every run that finds the block
    block = _Block(counts.copy(), sums, confidence, intervals)
    block.counts.setflags(write=False)
    _cell_sums.keep(key, block)
    return block


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
# A block's key: the seed, the scale's levels, the resamples, its topics, the axes and
# the groups (`_drawn_block`).
BlockKey = tuple[int, tuple[float, ...], int, tuple[str, ...], tuple[str, str], tuple[str, ...]]


@dataclass(slots=True)
class _Drawn:
    sums: Floats  # one per resample, read-only
    intervals: dict[float, Floats]  # confidence -> percentile interval of the means

    @property
    def nbytes(self) -> int:
        return self.sums.nbytes


@dataclass(frozen=True, slots=True)
class _Block:
    """A block's cells as drawn for `counts` (topic, axis, group, level): their sums
    (topic, axis, group, sample) and intervals at `confidence` (topic, axis, group, 2),
    0 and NaN for cells without ratings. Read-only."""

    counts: Ints
    sums: Floats
    confidence: float
    intervals: Floats

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes + self.sums.nbytes + self.intervals.nbytes


class _CellCache:
    """A cell's sums depend on nothing but its counts, the scale, the number of resamples,
    the seed and its codes (its stream is its own). A run after one new reply changes the
    cells of one group only (34 of 272 in the model company's assessment): a worker keeps
    the latest sums, and the intervals of their means, and draws again only those of
    cells whose counts changed, the same numbers it would draw anew. It also keeps the
    latest block of each assessment (`_drawn_block`), of at most a quarter of `budget`.

    The least recently used cells and blocks go first once the sums kept pass `budget`
    bytes: 8 KB a cell at the default 1,000 resamples (4,096 cells in 32 MB, fewer beside
    the blocks: 2.2 MB for 17 topics and 8 groups), 800 KB at the allowed maximum of
    100,000, when a count of cells would have kept gigabytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._kept: OrderedDict[CellKey | BlockKey, _Drawn | _Block] = OrderedDict()
        self._bytes = 0
        self._hits = self._misses = 0
        self._lock = threading.Lock()

    def draw(self, cells: list[CellKey]) -> list[_Drawn]:
        """The drawn sums of each cell (counts, levels, resamples, (seed and codes)), kept
        ones found under one hold of the lock, the others drawn (outside it) and kept."""
        found: list[_Drawn | None] = []
        with self._lock:
            for key in cells:
                drawn = self._kept.get(key)
                if isinstance(drawn, _Drawn):  # a cell's key is never a block's
                    self._kept.move_to_end(key)
                    self._hits += 1
                    found.append(drawn)
                else:
                    found.append(None)
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
            if key not in self._kept:
                self._add(key, drawn)
        return drawn

    def block(self, key: BlockKey) -> _Block | None:
        with self._lock:
            block = self._kept.get(key)
            if isinstance(block, _Block):  # a block's key is never a cell's
                self._kept.move_to_end(key)
                return block
            return None

    def reused(self, cells: int) -> None:
        """Count as found the cells a run took from a kept block."""
        with self._lock:
            self._hits += cells

    def keep(self, key: BlockKey, block: _Block) -> None:
        """Keep `block` in place of the one kept under `key`, unless it is too large: at
        100,000 resamples a block of one topic (12.8 MB) would push out every cell."""
        if 4 * block.nbytes > self.budget:
            return
        with self._lock:
            replaced = self._kept.pop(key, None)
            if replaced is not None:
                self._bytes -= replaced.nbytes
            self._add(key, block)

    def _add(self, key: CellKey | BlockKey, kept: _Drawn | _Block) -> None:
        """Under the lock: keep `kept`, and let the least recently used go."""
        self._kept[key] = kept
        self._bytes += kept.nbytes
        while self._bytes > self.budget and len(self._kept) > 1:
            _key, evicted = self._kept.popitem(last=False)
            self._bytes -= evicted.nbytes

    def cache_info(self) -> tuple[int, int, int]:
        """Hits, misses and the bytes kept."""
        with self._lock:
            return self._hits, self._misses, self._bytes

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._bytes = self._hits = self._misses = 0


_cell_sums = _CellCache(budget=32 * 1024 * 1024)


def _stream(seed: int, topic: str, axis: str, group: str) -> np.random.Generator:
    """The random stream of one cell: the same seed and codes give the same draws, whatever
    else the assessment holds."""
    return np.random.default_rng(_seed_sequence(seed, topic, axis, group))


# A run after one reply draws again the same cells (those of the reply's group) as the
# run before: their seed sequences are kept, the hash and the sequence's set-up being two
# thirds of a stream's making (8 of 12 us). A sequence is only read (its state generated,
# never spawned from), so threads may share it. 1,024 of them (850 bytes each, under
# 1 MB) are the cells of three or four assessments of 17 topics and 8 groups.
@functools.lru_cache(maxsize=1024)
def _seed_sequence(seed: int, topic: str, axis: str, group: str) -> np.random.SeedSequence:
    key = hashlib.sha256(json.dumps([topic, axis, group]).encode()).digest()
    spawn_key = (int.from_bytes(key[:16], "big"),)
    return np.random.SeedSequence(seed, spawn_key=spawn_key)


def _percentiles(samples: Floats, confidence: float) -> Floats:
    """The percentile interval of each row of `samples` (rows, sample): columns (lower,
    upper), linear interpolation; the very numbers of
    np.quantile(samples, [tail, 1 - tail], axis=-1).T.

    np.quantile moves the samples to the first axis and partitions across rows (0.4 ms
    for the 34 rows of a warm run); sorting each row where it lies is five times faster
    and gives the same order statistics, interpolated below with np.quantile's arithmetic
    (`_lerp` in numpy/lib/_function_base_impl.py). Where they could differ, a row with a
    NaN or a zero among the order statistics used (0.0 and -0.0 are equal to a sort and
    a partition alike, and either may land there), np.quantile gives the row's numbers.
    """
    tail = (1 - confidence) / 2
    count = samples.shape[-1]
    ordered = np.sort(samples, axis=-1)
    columns = []
    suspect = np.isnan(ordered[:, -1])  # NaN sorts last
    for quantile in (tail, 1 - tail):
        virtual = (count - 1) * quantile  # the index between two order statistics
        below = math.floor(virtual)
        if virtual >= count - 1:  # the last order statistic
            below = above = -1
        else:
            above = below + 1
        gamma = virtual - below
        low, high = ordered[:, below], ordered[:, above]
        suspect |= (low == 0) | (high == 0)
        difference = high - low
        if gamma >= 0.5:
            columns.append(high - difference * (1 - gamma))
        else:
            columns.append(low + difference * gamma)
    intervals = np.stack(columns, axis=-1)
    if suspect.any():
        intervals[suspect] = np.quantile(samples[suspect], [tail, 1 - tail], axis=-1).T
    return intervals
