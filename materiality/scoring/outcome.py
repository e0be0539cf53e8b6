"""What scoring gives back. Values keep full precision; presentation rounds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from materiality.scoring.params import Params


class Tier(StrEnum):
    HIGH = "high"  # reaches the threshold on both axes
    MEDIUM = "medium"  # on exactly one axis
    LOW = "low"  # on neither


@dataclass(frozen=True, slots=True)
class Stats:
    """Statistics of one set of ratings: a topic on one axis, overall or for one group.

    `n` and `distribution` count every rating; the other values are None when no rating
    carries weight (no ratings, or custom weights of 0 for every group that rated).
    """

    n: int
    mean: float | None
    median: float | None
    sd: float | None  # None unless at least two ratings carry weight
    ci_low: float | None  # percentile bootstrap interval of the mean; None without bootstrap
    ci_high: float | None
    normalised: float | None  # the mean on 0 to 100
    distribution: Mapping[int, int]  # level -> count, every level of the scale present


@dataclass(frozen=True, slots=True)
class TopicOutcome:
    topic: str
    axes: Mapping[str, Stats]  # axis -> overall stats
    by_group: Mapping[str, Mapping[str, Stats]]  # axis -> group -> stats
    combined: float | None  # mean of the two normalised axis means
    material: bool  # reaches the threshold on at least one axis (GRI 3)
    tier: Tier
    rank: int  # 1 = most material
    p_material: float | None  # share of bootstrap resamples in which the topic is material
    divergence: Mapping[str, float | None]  # axis -> population SD of the group means
    divergence_flag: bool
    crosses: Mapping[str, bool]  # axis -> whether the mean reaches that axis's threshold


@dataclass(frozen=True, slots=True)
class ScoreResult:
    params: Params
    thresholds: Mapping[str, float | None]  # axis -> threshold applied, on the rating scale
    topics: tuple[TopicOutcome, ...]  # in rank order
    respondents_counted: Mapping[str, int]  # axis -> number of ratings counted
