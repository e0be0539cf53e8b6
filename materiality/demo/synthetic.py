"""Synthetic but plausible stakeholder replies, for the demo and for benchmarks.

Two parts:

* `replies_generate` is pure (no ORM, no settings; it borrows only the engine's
  straight-line rule, so that the flag it computes is the engine's): topic codes,
  stakeholder groups with a reply count each and a seed in, a stream of `ReplyBlock`s
  out. Each block holds up to `BLOCK_SIZE` respondents as numpy arrays (group, language,
  duration, ratings per topic × axis, straight-line flag) plus their few comments;
  `ReplyBlock.respondents()` gives the same data one respondent at a time. Nothing is
  kept between blocks but the group counts still to hand out, so a million replies
  stream in a few megabytes. The benchmark loader that writes with COPY reads the
  arrays; `replies_load` reads the respondents.
* `replies_load` answers an open (or closed) assessment's own questionnaire with those
  replies, in bulk.

How replies are shaped (all numbers on a 1–5 scale, rescaled linearly for other scales):
every topic has a target mean taken from the model company's published ranking
(`REPORT_RANKING`, 4.66 down to 3.63) and a small tilt between the two axes; every group
leans towards the topics its row of the report's stakeholder table names
(`GROUP_EMPHASIS`), fully on "importance to stakeholders" (which asks about the
respondent's own view) and half on "importance to the company". The emphases are centred
on the groups' shares of the replies, so the overall ranking follows the report whatever
the mix. A respondent's rating is a latent normal value — topic-group target, plus the
respondent's general leniency, plus their view of the topic (shared by both axes), plus
noise — rounded and clipped to the scale. Rounding and the ceiling pull means towards the
middle, so targets are first mapped through the inverse of that effect: group means land
on their targets rather than 0.2 points below them. On top: a few percent "don't know"
(more on topics far from a group's concerns, and from outsiders on the company axis),
about 2.5 % straight-liners and 3 % speeders who click half at random and finish in a
fraction of the usual time (under a third of the median, where scoring looks), a few
comments.

Determinism: the output depends only on the arguments. Block b draws from its own stream,
`SeedSequence(seed, spawn_key=(1, b))`, and groups are dealt to blocks from a separate
stream, so blocks do not depend on how the consumer batches its writes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from materiality.demo.shape import (
    CELL_SD,
    DONT_KNOW_BASE,
    DONT_KNOW_OUTSIDER,
    DONT_KNOW_UNFAMILIAR,
    GROUP_EMPHASIS,
    GROUP_LEVEL,
    LATENT_SD,
    LENIENCY_SD,
    OVERALL_COMMENT_SHARE,
    OVERALL_COMMENTS,
    REPORT_TARGETS,
    ROW_COMMENT_SHARE,
    ROW_COMMENTS,
    SECOND_LANGUAGE_SHARE,
    SPEEDER_RANDOM_SHARE,
    SPEEDER_SHARE,
    STRAIGHT_LINER_SHARE,
    TOPIC_VIEW_SD,
    UNKNOWN_TOPIC_TARGETS,
)
from materiality.models import AXES, COMPANY_AXIS
from surveys.services import is_straight_lined

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

BLOCK_SIZE = 1000
DONT_KNOW = -1  # in `ReplyBlock.ratings`; every real scale starts at 0 or above
SOURCE_REFERENCE = "synthetic"  # Response.source_reference of every loaded reply
FIELDWORK = timedelta(days=21)  # when the survey's own dates do not say


@dataclass(frozen=True, slots=True)
class GroupPlan:
    code: str
    internal: bool
    replies: int


@dataclass(frozen=True, slots=True)
class Respondent:
    group: str
    internal: bool
    language: str
    duration_seconds: int
    arrival: float  # when the reply came in, as a share of the fieldwork period [0, 1)
    ratings: tuple[tuple[int | None, ...], ...]  # per topic, per axis in AXES order
    straight_lined: bool
    comments: tuple[tuple[str, str], ...] = ()  # (topic code, text)
    overall_comment: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class ReplyBlock:
    """Up to BLOCK_SIZE respondents, column-wise. Indexes refer to the tuples at the top."""

    topics: tuple[str, ...]
    groups: tuple[GroupPlan, ...]
    languages: tuple[str, ...]
    first: int  # position of the block's first respondent in the whole stream
    group: Ints  # (n,) index into groups
    language: Ints  # (n,) index into languages
    duration_seconds: Ints  # (n,)
    arrival: Floats  # (n,) in [0, 1)
    ratings: NDArray[np.int8]  # (n, topic, axis in AXES order); DONT_KNOW where so
    straight_lined: Bools  # (n,) by the engine's rule, from the ratings
    comments: tuple[tuple[int, int, str], ...]  # (respondent in block, topic index, text)
    overall_comments: tuple[tuple[int, str], ...]  # (respondent in block, text)

    def __len__(self) -> int:
        return len(self.group)

    @property
    def internal(self) -> Bools:
        flags: Bools = np.array([g.internal for g in self.groups], dtype=bool)[self.group]
        return flags

    def respondents(self) -> Iterator[Respondent]:
        comments: dict[int, list[tuple[str, str]]] = {}
        for i, t, text in self.comments:
            comments.setdefault(i, []).append((self.topics[t], text))
        overall = dict(self.overall_comments)
        ratings = self.ratings.tolist()
        for i, (g, lang, duration, arrival, straight) in enumerate(
            zip(
                self.group.tolist(),
                self.language.tolist(),
                self.duration_seconds.tolist(),
                self.arrival.tolist(),
                self.straight_lined.tolist(),
                strict=True,
            )
        ):
            plan = self.groups[g]
            yield Respondent(
                group=plan.code,
                internal=plan.internal,
                language=self.languages[lang],
                duration_seconds=duration,
                arrival=arrival,
                ratings=tuple(
                    tuple(None if v == DONT_KNOW else v for v in cells) for cells in ratings[i]
                ),
                straight_lined=straight,
                comments=tuple(comments.get(i, ())),
                overall_comment=overall.get(i, ""),
            )


def group_plans(
    replies_per_group: Mapping[str, int], internal: Mapping[str, bool]
) -> list[GroupPlan]:
    """Plans in the order of `replies_per_group`; ValueError for a group with no flag."""
    unknown = sorted(set(replies_per_group) - set(internal))
    if unknown:
        raise ValueError(f"Unknown stakeholder groups: {', '.join(unknown)}")
    return [GroupPlan(code, internal[code], n) for code, n in replies_per_group.items()]


def replies_generate(
    *,
    topics: Sequence[str],
    groups: Sequence[GroupPlan],
    seed: int,
    scale: tuple[int, int] = (1, 5),
    dont_know: bool = True,
    estimated_minutes: int = 10,
    languages: Sequence[str] = ("zh-hans", "en"),
) -> Iterator[ReplyBlock]:
    """Stream sum(group.replies) respondents in blocks of BLOCK_SIZE (the last one
    shorter), groups interleaved as real replies arrive. ValueError on bad arguments."""
    low, high = scale
    if not topics or len(set(topics)) != len(topics):
        raise ValueError("Topics must be given, each once.")
    if len({g.code for g in groups}) != len(groups) or any(g.replies < 0 for g in groups):
        raise ValueError("Groups must be distinct, with a reply count of 0 or more each.")
    if not 0 <= low < high or seed < 0 or estimated_minutes < 0 or not languages:
        raise ValueError("Need 0 <= scale low < high, seed >= 0, minutes >= 0, a language.")
    shape = _Shape.build(topics, groups, low, high, dont_know)
    remaining = np.array([g.replies for g in groups], dtype=np.int64)
    dealer = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    first = 0
    block = 0
    while remaining.sum() > 0:
        size = int(min(BLOCK_SIZE, remaining.sum()))
        counts = dealer.multivariate_hypergeometric(remaining, size)
        remaining -= counts
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
        yield _block(
            rng,
            shape,
            counts,
            first=first,
            topics=tuple(topics),
            groups=tuple(groups),
            languages=tuple(languages),
            estimated_minutes=estimated_minutes,
        )
        first += size
        block += 1


@dataclass(frozen=True, slots=True)
class _Shape:
    """What every block draws from: latent means and don't-know rates per (group, topic,
    axis), on the target scale."""

    low: int
    high: int
    unit: float  # one rating point of the 1–5 scale, on the target scale
    latent_mean: Floats  # (group, topic, axis)
    dont_know: Floats  # (group, topic, axis)

    @classmethod
    def build(
        cls, topics: Sequence[str], groups: Sequence[GroupPlan], low: int, high: int, dk: bool
    ) -> _Shape:
        targets = np.array([REPORT_TARGETS.get(t, (_unknown_target(t), 0.0)) for t in topics])
        emphasis = np.zeros((len(groups), len(topics), len(AXES)))
        for g, plan in enumerate(groups):
            cares = GROUP_EMPHASIS.get(plan.code, {})
            for t, topic in enumerate(topics):
                emphasis[g, t] = GROUP_LEVEL.get(plan.code, 0.0) + cares.get(topic, 0.0)
        # A group's own concerns show fully in "importance to you", half in "to the company".
        emphasis[:, :, AXES.index(COMPANY_AXIS)] *= 0.5
        shares = np.array([g.replies for g in groups], dtype=np.float64)
        if shares.sum() > 0:
            emphasis -= np.tensordot(shares / shares.sum(), emphasis, axes=1)
        tilt = np.where(np.array(AXES) == COMPANY_AXIS, 0.5, -0.5)
        mean_1_to_5 = targets[:, 0, None] + targets[:, 1, None] * tilt + emphasis
        unit = (high - low) / 4
        wanted = low + (mean_1_to_5 - 1) * unit
        wanted = np.clip(wanted, low + 0.05 * unit, high - 0.05 * unit)
        unfamiliar = np.clip(-emphasis / 0.3, 0, 1)
        outsider = np.array([not g.internal for g in groups])[:, None, None] & (
            np.array(AXES) == COMPANY_AXIS
        )
        rates = DONT_KNOW_BASE + DONT_KNOW_UNFAMILIAR * unfamiliar + DONT_KNOW_OUTSIDER * outsider
        return cls(
            low=low,
            high=high,
            unit=unit,
            latent_mean=_latent_for(wanted, LATENT_SD * unit, low, high),
            dont_know=rates if dk else np.zeros_like(rates),
        )


def _unknown_target(code: str) -> float:
    fraction = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big") / 2**64
    low, high = UNKNOWN_TOPIC_TARGETS
    return low + fraction * (high - low)


def _latent_for(wanted: Floats, sd: float, low: int, high: int) -> Floats:
    """The latent means whose rounded, clipped ratings average `wanted`.

    For X ~ N(mu, sd), E[clip(round(X), low, high)] = low + sum over k = low+1 … high of
    P(X >= k - 1/2): increasing in mu, so it is tabulated once and inverted by
    interpolation."""
    grid = np.linspace(low - 4 * sd, high + 4 * sd, 4001)
    expected = np.full_like(grid, float(low))
    for k in range(low + 1, high + 1):
        z = (grid - (k - 0.5)) / (sd * math.sqrt(2))
        expected += 0.5 * (1 + np.array([math.erf(v) for v in z]))
    latent: Floats = np.interp(wanted, expected, grid)
    return latent


def _block(
    rng: np.random.Generator,
    shape: _Shape,
    counts: Ints,
    *,
    first: int,
    topics: tuple[str, ...],
    groups: tuple[GroupPlan, ...],
    languages: tuple[str, ...],
    estimated_minutes: int,
) -> ReplyBlock:
    # Every draw is made for the whole block whatever it is used for, so that one
    # respondent's kind never shifts the random numbers of another.
    n = int(counts.sum())
    n_topics = len(topics)
    low, high, unit = shape.low, shape.high, shape.unit
    group = rng.permutation(np.repeat(np.arange(len(groups)), counts))
    latent = (
        shape.latent_mean[group]
        + rng.normal(0, LENIENCY_SD * unit, (n, 1, 1))
        + rng.normal(0, TOPIC_VIEW_SD * unit, (n, n_topics, 1))
        + rng.normal(0, CELL_SD * unit, (n, n_topics, len(AXES)))
    )
    ratings = np.clip(np.rint(latent), low, high).astype(np.int8)

    kind = rng.random(n)
    straight = kind < STRAIGHT_LINER_SHARE
    speeder = (kind >= STRAIGHT_LINER_SHARE) & (kind < STRAIGHT_LINER_SHARE + SPEEDER_SHARE)
    careful = ~straight & ~speeder

    clicked = rng.integers(low, high + 1, ratings.shape, dtype=np.int8)
    at_random = speeder[:, None, None] & (rng.random(ratings.shape) < SPEEDER_RANDOM_SHARE)
    ratings = np.where(at_random, clicked, ratings)
    unsure = rng.random(ratings.shape) < shape.dont_know[group]
    ratings[unsure & ~straight[:, None, None]] = DONT_KNOW
    # Straight-liners click one column all the way down, mostly the top one.
    middle = round((low + high) / 2)
    line = rng.choice(np.array([high, high - 1, middle], dtype=np.int8), n, p=[0.55, 0.35, 0.1])
    ratings[straight] = line[straight, None, None]

    seconds = max(estimated_minutes, 1) * 60
    typical = rng.lognormal(math.log(0.9 * seconds), 0.45, n)
    hasty = rng.lognormal(math.log(0.45 * seconds), 0.5, n)
    rushed = rng.uniform(0.05, 0.24, n) * seconds
    duration = np.where(speeder, rushed, np.where(straight, hasty, typical)).astype(np.int64)

    others = len(languages) - 1
    language = np.where(
        rng.random(n) < (SECOND_LANGUAGE_SHARE if others else 0),
        1 + rng.integers(0, max(others, 1), n),
        0,
    )
    arrival = rng.beta(0.9, 1.8, n)

    rated = ratings != DONT_KNOW
    top = np.where(rated, ratings, low - 1).max(axis=(1, 2))
    bottom = np.where(rated, ratings, high + 1).min(axis=(1, 2))
    straight_lined = (rated.sum(axis=(1, 2)) >= _straight_line_cells(n_topics * len(AXES))) & (
        top == bottom
    )

    commented = careful & (rng.random(n) < ROW_COMMENT_SHARE)
    comment_topic = rng.integers(0, n_topics, n)
    comment_pick = rng.integers(0, 1 << 30, n)
    closing = careful & (rng.random(n) < OVERALL_COMMENT_SHARE)
    closing_pick = rng.integers(0, 1 << 30, n)
    row_comments = tuple(
        (i, int(comment_topic[i]), _pick(ROW_COMMENTS, languages[language[i]], comment_pick[i]))
        for i in np.flatnonzero(commented).tolist()
    )
    overall_comments = tuple(
        (i, _pick(OVERALL_COMMENTS, languages[language[i]], closing_pick[i]))
        for i in np.flatnonzero(closing).tolist()
    )
    return ReplyBlock(
        topics=topics,
        groups=groups,
        languages=languages,
        first=first,
        group=group.astype(np.int64),
        language=language.astype(np.int64),
        duration_seconds=duration,
        arrival=arrival,
        ratings=ratings,
        straight_lined=straight_lined,
        comments=row_comments,
        overall_comments=overall_comments,
    )


def _straight_line_cells(grid_cells: int) -> int:
    """How many identical ratings the engine needs to flag a response as straight-lined,
    asked of the engine's own rule so that the two can never disagree."""
    return next(
        (k for k in range(1, grid_cells + 1) if is_straight_lined([1] * k, grid_cells)),
        grid_cells + 1,
    )


def _pick(pool: Mapping[str, tuple[str, ...]], language: str, index: np.int64) -> str:
    texts = pool.get(language) or pool["en"]
    return texts[int(index) % len(texts)]
