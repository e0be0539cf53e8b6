"""Reads about runs: the latest ones, the run whose scores stand for another, thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from materiality.models import (
    AXES,
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    GroupScore,
    RunStatus,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.runs.options import recorded_options
from materiality.scoring import (
    ThresholdMode,
)


@dataclass(frozen=True)
class RunSummary:
    """For pages: the latest run, and the latest run with scores."""

    latest: AggregationRun | None
    scored: AggregationRun | None


def latest_runs(assessment: Assessment) -> RunSummary:
    latest = AggregationRun.objects.filter(assessment=assessment).order_by("-pk").first()
    newest = (
        AggregationRun.objects.filter(
            assessment=assessment, status__in=[RunStatus.SUCCEEDED, RunStatus.UNCHANGED]
        )
        .select_related("same_as")
        .order_by("-pk")
        .first()
    )
    # The input can return to an earlier state (a reply erased, an option switched back):
    # the newest scores are then the earlier run's, not the newest successful run's.
    scored = newest.same_as if newest and newest.status == RunStatus.UNCHANGED else newest
    return RunSummary(latest=latest, scored=scored)


# --- The run's record -------------------------------------------------------------------


def scored_run(run: AggregationRun) -> AggregationRun:
    """The run whose scores *run* stands for: itself, or for a run marked UNCHANGED the
    earlier run with the same input and options. ValueError for a run without scores."""
    if run.status == RunStatus.UNCHANGED and run.same_as_id is not None:
        run = AggregationRun.objects.select_related("assessment__survey").get(pk=run.same_as_id)
    if run.status != RunStatus.SUCCEEDED:
        raise ValueError(f"Run {run.pk} has no scores (status {run.status}).")
    return run


def applied_thresholds(
    run: AggregationRun, scores: Sequence[TopicScore] | None = None
) -> dict[str, float | None]:
    """The threshold applied on each axis, on the rating scale.

    Runs record them; for a run from before they did, they are derived from the stored
    means by the rule of the method (the mean of the topic means plus the offset, or the
    fixed value), averaged in topic-code order as scoring does.
    """
    recorded = run.thresholds or {}
    if all(axis in recorded for axis in AXES):
        return {axis: recorded[axis] for axis in AXES}
    params = recorded_options(run).params
    if params.threshold_mode is ThresholdMode.FIXED:
        return {
            COMPANY_AXIS: params.company_threshold,
            STAKEHOLDER_AXIS: params.stakeholder_threshold,
        }
    if scores is None:
        scores = list(TopicScore.objects.filter(run=run).select_related("topic"))
    ordered = sorted(scores, key=lambda s: s.topic.code)
    result: dict[str, float | None] = {}
    for axis, offset in (
        (COMPANY_AXIS, params.company_threshold),
        (STAKEHOLDER_AXIS, params.stakeholder_threshold),
    ):
        means = [getattr(s, f"{axis}_mean") for s in ordered]
        present = np.array([m for m in means if m is not None], dtype=float)
        result[axis] = float(present.mean() + offset) if present.size else None
    return result


@dataclass(frozen=True)
class ScoreRow:
    score: TopicScore
    name: str
    dimension: str

    @property
    def company(self) -> dict[str, Any]:
        return self.score.company

    @property
    def stakeholder(self) -> dict[str, Any]:
        return self.score.stakeholder


def run_scores(run: AggregationRun) -> list[ScoreRow]:
    """A run's topics in rank order, with names in the active language: one query."""
    return [
        ScoreRow(score=score, name=score.topic.get_name(), dimension=score.topic.dimension)
        for score in TopicScore.objects.filter(run=run).select_related("topic").order_by("rank")
    ]


@dataclass(frozen=True)
class GroupCount:
    """One stakeholder group's n in a run, per axis, and how much of its matrix there is.

    A group's n on an axis is the largest number of ratings one topic received from the
    group on that axis. It is the number of the group's respondents counted in the run
    as soon as one topic was rated by all of them; "don't know" is not a rating, so it
    can be fewer, never more. A run keeps counts of ratings, not of each group's
    respondents, and this is the number its stored scores prove.
    """

    company: int
    stakeholder: int
    placed: int  # topics with a mean on both axes: the points of the group's matrix

    @property
    def same_on_both_axes(self) -> bool:
        return self.company == self.stakeholder


def group_count(run: AggregationRun, group: StakeholderGroup) -> GroupCount:
    """*group*'s n per axis in *run*, from its stored scores: one query."""
    n = dict.fromkeys(AXES, 0)
    means: dict[int, set[str]] = {}
    rows = GroupScore.objects.filter(run=run, group=group).values_list(
        "topic_id", "axis", "n", "mean"
    )
    for topic_id, axis, count, mean in rows:
        if axis in n:
            n[axis] = max(n[axis], count)
        if mean is not None:
            means.setdefault(topic_id, set()).add(axis)
    return GroupCount(
        company=n[COMPANY_AXIS],
        stakeholder=n[STAKEHOLDER_AXIS],
        placed=sum(1 for axes in means.values() if axes >= set(AXES)),
    )


def group_counts(run: AggregationRun) -> dict[int, GroupCount]:
    """Every group's n in *run* by group id, as `group_count` gives one: one query.
    A group with no stored scores is absent (its n is 0 on both axes)."""
    n: dict[int, dict[str, int]] = {}
    means: dict[tuple[int, int], set[str]] = {}
    rows = GroupScore.objects.filter(run=run).values_list(
        "group_id", "topic_id", "axis", "n", "mean"
    )
    for group_id, topic_id, axis, count, mean in rows:
        axes = n.setdefault(group_id, dict.fromkeys(AXES, 0))
        if axis in axes:
            axes[axis] = max(axes[axis], count)
        if mean is not None:
            means.setdefault((group_id, topic_id), set()).add(axis)
    return {
        group_id: GroupCount(
            company=axes[COMPANY_AXIS],
            stakeholder=axes[STAKEHOLDER_AXIS],
            placed=sum(
                1
                for (group, _t), found in means.items()
                if group == group_id and found >= set(AXES)
            ),
        )
        for group_id, axes in n.items()
    }


def group_scores(
    run: AggregationRun, group: StakeholderGroup
) -> list[tuple[Topic, dict[str, Any]]]:
    """*group*'s stored statistics in *run*, per topic (in code order) and axis: one query."""
    by_topic: dict[int, tuple[Topic, dict[str, Any]]] = {}
    for row in GroupScore.objects.filter(run=run, group=group).select_related("topic"):
        by_topic.setdefault(row.topic_id, (row.topic, {}))[1][row.axis] = row.stats
    return sorted(by_topic.values(), key=lambda item: item[0].code)


# How many scored runs the results page offers to choose from.
RECENT_RUNS = 20


def recent_scored_runs(assessment: Assessment) -> list[AggregationRun]:
    """The assessment's latest scored runs, newest first: one query."""
    return list(
        AggregationRun.objects.filter(assessment=assessment, status=RunStatus.SUCCEEDED).order_by(
            "-pk"
        )[:RECENT_RUNS]
    )


def previous_scored_run(
    run: AggregationRun, recent: Sequence[AggregationRun]
) -> AggregationRun | None:
    """The scored run of the assessment before *run*: found among *recent* (its latest
    scored runs, newest first, as the results page lists them), else in one query."""
    older = [candidate for candidate in recent if candidate.pk < run.pk]
    if older:
        return older[0]
    if any(candidate.pk == run.pk for candidate in recent) and len(recent) < RECENT_RUNS:
        return None  # the list reaches back to the first run
    return (
        AggregationRun.objects.filter(
            assessment_id=run.assessment_id, status=RunStatus.SUCCEEDED, pk__lt=run.pk
        )
        .order_by("-pk")
        .first()
    )
