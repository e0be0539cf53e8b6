"""A run's input: the rating counts and durations it scores, and their fingerprint."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q

from materiality.models import (
    AggregationRun,
    Assessment,
    StakeholderGroup,
    Topic,
)
from materiality.questionnaire import IMPORTANCE_QUESTION
from materiality.runs.options import SCORING_VERSION, RunOptions, recorded_options
from materiality.scoring import (
    Cell,
)
from surveys.models import OptionRole, Question, QuestionOption
from surveys.tallies import (
    Durations,
    rating_cells,
    reply_durations,
    tally_current,
)

# --- Reading the input ----------------------------------------------------------------


@dataclass(frozen=True)
class RunInput:
    cells: list[Cell]
    topics: list[str]
    groups: list[str]
    responses_total: int
    excluded_straight_lined: int
    excluded_too_fast: int
    too_fast_seconds: int | None

    @property
    def responses_counted(self) -> int:
        return self.responses_total - self.excluded_straight_lined - self.excluded_too_fast


def too_fast_limit(durations: Durations, options: RunOptions, *, grid_cells: int) -> int | None:
    """Seconds under which a completion counts as too fast: a fraction of the median
    completion time of the replies, once there are enough for a stable median, and at
    least the floor of `too_fast_seconds_per_cell` for each of the grid's `grid_cells`,
    whatever the median (when bots are the majority, the median is theirs)."""
    if not options.exclude_too_fast:
        return None
    limits = []
    floor = options.too_fast_seconds_per_cell * grid_cells
    if floor > 0:
        # Durations are whole seconds: d < ceil(floor) exactly when d < floor.
        limits.append(math.ceil(floor))
    # The median of the replies that have a duration: imported ones may have none.
    timed = durations.timed
    if durations.total >= options.too_fast_min_responses <= timed:
        median = durations.timed_at(timed // 2)
        if median is not None:
            limits.append(math.floor(median * options.too_fast_fraction))
    return max(limits) if limits else None


def grid_cell_count(survey_id: int) -> int:
    """The cells of the survey's importance grid, rows × columns: one query."""
    counts = QuestionOption.objects.filter(
        question__survey_id=survey_id, question__code=IMPORTANCE_QUESTION
    ).aggregate(
        rows=Count("pk", filter=Q(role=OptionRole.ROW)),
        columns=Count("pk", filter=Q(role=OptionRole.COLUMN)),
    )
    return int(counts["rows"]) * int(counts["columns"])


def read_input(assessment: Assessment, options: RunOptions) -> RunInput:
    """The run's input in a fixed number of queries, whatever the number of replies.

    The replies are read from the survey's counts (`surveys.tallies`), brought up to
    date first: a reply is read once, by the first run after it arrived. Then, under the
    counts' lock, the replies by completion time (the median, the exclusions) and the
    rating counts of the replies that are kept. Fold and read are one transaction, one
    commit: the counts' lock is held from the fold to the last read."""
    survey_id = assessment.survey_id
    topics = list(
        Topic.objects.filter(assessmenttopic__assessment=assessment)
        .order_by("assessmenttopic__order")
        .values_list("code", flat=True)
    )
    groups = list(
        StakeholderGroup.objects.filter(assessmentgroup__assessment=assessment)
        .order_by("assessmentgroup__order")
        .values_list("code", flat=True)
    )
    # The grid and its cells (rows × columns), in one query.
    grid_id, rows, columns = (
        Question.objects.filter(survey_id=survey_id, code=IMPORTANCE_QUESTION)
        .annotate(
            rows=Count("options", filter=Q(options__role=OptionRole.ROW)),
            columns=Count("options", filter=Q(options__role=OptionRole.COLUMN)),
        )
        .values_list("pk", "rows", "columns")
        .get()
    )
    cells_asked = int(rows) * int(columns)
    with transaction.atomic():
        tally_current(survey_id)  # folds the replies not counted yet
        durations = reply_durations(survey_id)
        limit = too_fast_limit(durations, options, grid_cells=cells_asked)
        counted = rating_cells(
            survey_id,
            grid_id,
            exclude_straight_lined=options.exclude_straight_lined,
            faster_than=limit,
        )
    straight = durations.straight_lined() if options.exclude_straight_lined else 0
    # A response that is both is counted once, as straight-lined.
    fast = (
        durations.faster_than(limit, straight_lined=not options.exclude_straight_lined)
        if limit is not None
        else 0
    )
    known_topics, known_groups = set(topics), set(groups)
    cells = [
        Cell(c.row_code, c.column_code, c.group, bool(c.internal), c.value, c.n)
        for c in counted
        # Only topics and groups of the assessment are scored; other codes can only come
        # from an open link answered with a group since removed from the assessment.
        if c.row_code in known_topics and c.group in known_groups
    ]
    return RunInput(
        cells=cells,
        topics=topics,
        groups=groups,
        responses_total=durations.total,
        excluded_straight_lined=straight,
        excluded_too_fast=fast,
        too_fast_seconds=limit,
    )


def fingerprint(run_input: RunInput, options: RunOptions) -> str:
    """SHA-256 of everything the result depends on: the counts, the vocabulary, the
    options and the scoring version. Equal fingerprints mean equal results."""
    payload = {
        "cells": sorted(
            (c.topic, c.axis, c.group, c.internal, c.level, c.count) for c in run_input.cells
        ),
        "topics": run_input.topics,
        "groups": run_input.groups,
        "options": options.as_dict(),
        "scoring_version": SCORING_VERSION,
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def replay_input(run: AggregationRun) -> RunInput | None:
    """The run's input counts read again, or None when the replies have changed since.

    The counts are read with the run's recorded options, and are the run's input only if
    their fingerprint equals the run's: the fingerprint, not the run's age, decides. One
    grouped query, as for the run itself.
    """
    options = recorded_options(run)
    run_input = read_input(run.assessment, options)
    return run_input if fingerprint(run_input, options) == run.fingerprint else None
