"""A run's input: the rating counts and durations it scores, and their fingerprint."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, Q, QuerySet, Value

from materiality.models import (
    AggregationRun,
    Assessment,
    AssessmentGroup,
    AssessmentTopic,
)
from materiality.questionnaire import IMPORTANCE_QUESTION
from materiality.runs.options import SCORING_VERSION, RunOptions, recorded_options
from materiality.scoring import (
    Cell,
)
from surveys.models import (
    OptionRole,
    Question,
    QuestionKind,
    QuestionOption,
    Survey,
    SurveyStatus,
)
from surveys.precompiled import CompiledStatement
from surveys.process_cache import KeptPerProcess
from surveys.tallies import (
    INTERNAL,
    SYNCHRONOUS_COMMIT_OFF,
    Durations,
    RatingRow,
    flush_skippable,
    rating_rows,
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


@dataclass(frozen=True)
class Vocabulary:
    """What a run reads of the assessment and its questionnaire besides the replies: its
    topics and groups in the assessment's order, with their ids and the groups' weights,
    and the survey's grids."""

    topics: list[str]
    groups: list[str]
    topic_ids: dict[str, int]
    group_ids: dict[str, int]
    weights: dict[str, float]  # group code -> the assessment's weight
    grid_id: int  # the importance grid
    grid_cells: int  # its rows × columns
    grids: list[int]  # every grid question of the survey (the counts hold their ratings)


@dataclass(frozen=True)
class SurveyGrids:
    """A survey's grid questions, and its importance grid with its size."""

    grid_id: int
    grid_cells: int
    grids: tuple[int, ...]


# A survey's grids cannot change once it has left the draft state (surveys.process_cache):
# a worker reads them once per survey, not at every run (a query of 1.5-2 ms on a
# worker's new connection, of a warm run's 60-70 ms).
_frozen_grids: KeptPerProcess[SurveyGrids] = KeptPerProcess(size=64)


def survey_grids(survey: Survey) -> SurveyGrids:
    """The survey's grid questions and its importance grid with its size: one query, or
    none for a survey that is no longer a draft and was read before by this process."""
    if survey.status == SurveyStatus.DRAFT:
        return _grids_query(survey.pk)
    key = (survey.pk, survey.status, survey.updated_at.timestamp())
    return _frozen_grids.get(key, lambda: _grids_query(survey.pk))


def _grids_query(survey_id: int) -> SurveyGrids:
    grid_id, cells, grids = None, 0, []
    for pk, code, kind, row_count, column_count in (
        Question.objects.filter(survey_id=survey_id)
        .filter(Q(kind=QuestionKind.GRID) | Q(code=IMPORTANCE_QUESTION))
        .annotate(
            rows=Count("options", filter=Q(options__role=OptionRole.ROW)),
            columns=Count("options", filter=Q(options__role=OptionRole.COLUMN)),
        )
        .values_list("pk", "code", "kind", "rows", "columns")
        .order_by("pk")
    ):
        if kind == QuestionKind.GRID:
            grids.append(pk)
        if code == IMPORTANCE_QUESTION:
            grid_id, cells = pk, int(row_count) * int(column_count)
    if grid_id is None:
        raise Question.DoesNotExist(f"survey {survey_id} has no importance grid")
    return SurveyGrids(grid_id=grid_id, grid_cells=cells, grids=tuple(grids))


def _links(topics_of: int, groups_of: int) -> QuerySet[Any, Any]:
    """The assessment's topics and groups, one row each: kind, code, id, order, the
    link's id and the group's weight."""
    # The weights' column: the topics' rows have none, typed as the groups' (Decimal).
    no_weight = Value(None, output_field=DecimalField(max_digits=6, decimal_places=3))
    topics = AssessmentTopic.objects.filter(assessment_id=topics_of).values_list(
        Value("topic"), "topic__code", "topic_id", "order", "pk", no_weight
    )
    groups = AssessmentGroup.objects.filter(assessment_id=groups_of).values_list(
        Value("group"), "group__code", "group_id", "order", "pk", "weight"
    )
    return topics.order_by().union(groups.order_by(), all=True)


# Compiled once per thread and connection (surveys.precompiled): building it through the
# ORM at every run cost more than PostgreSQL takes to answer it. The assessment's id goes
# in twice, once per half of the union.
_LINKS = CompiledStatement(_links, int, int)


def assessment_vocabulary(assessment: Assessment) -> Vocabulary:
    """The assessment's topics and groups (one query) and the survey's grids (another,
    or none: `survey_grids`)."""
    rows: dict[str, list[tuple[int, int, str, int]]] = {"topic": [], "group": []}
    weight_of: dict[str, float] = {}
    for kind, code, pk, order, link, weight in _LINKS.rows(assessment.pk, assessment.pk):
        rows[kind].append((order, link, code, pk))
        if kind == "group":
            weight_of[code] = float(weight)
    # The assessment's order (`order`, then the link's id, as the models' ordering).
    topic_rows, group_rows = sorted(rows["topic"]), sorted(rows["group"])
    weights = {code: weight_of[code] for *_, code, _pk in group_rows}
    grids = survey_grids(assessment.survey)
    return Vocabulary(
        topics=[code for *_, code, _pk in topic_rows],
        groups=[code for *_, code, _pk in group_rows],
        topic_ids={code: pk for *_, code, pk in topic_rows},
        group_ids={code: pk for *_, code, pk in group_rows},
        weights=weights,
        grid_id=grids.grid_id,
        grid_cells=grids.grid_cells,
        grids=list(grids.grids),
    )


def commit_without_flush() -> None:
    """On PostgreSQL, let the COMMIT of the transaction this is called in return before
    its record is flushed to disk (`SET LOCAL synchronous_commit = off`); inside a
    caller's transaction (a savepoint), nothing: the setting would be the caller's.

    For a run's claim and its read of the input, whose loss in a crash of the database
    server loses nothing that cannot be done again: a lost claim leaves the run PENDING
    (the minute sweep sends it again), a lost fold leaves its replies uncounted together
    with the counts they would have changed (one transaction: both or neither). Such a
    commit is visible to others at once; it can be lost only with every later one, and
    the run's last commit, its scores, is flushed (with every record before it)."""
    if flush_skippable():
        with connection.cursor() as cursor:
            cursor.execute(SYNCHRONOUS_COMMIT_OFF)


class _CellsMade:
    """The cells of a read made of its counts' rows, each row's cell taken from the
    latest read in this process when it made one of an equal row: a cell is a value of
    its row alone, and a run after one new reply finds all but a few dozen of its 1,100
    rows unchanged (making a cell costs about three times finding it)."""

    def __init__(self) -> None:
        self._latest: dict[RatingRow, Cell] = {}

    def of(
        self, rows: Iterable[RatingRow], known_topics: set[str], known_groups: set[str]
    ) -> list[Cell]:
        latest = self._latest
        made: dict[RatingRow, Cell] = {}
        for row in rows:
            topic, axis, group, side, level, count = row
            # Only topics and groups of the assessment are scored; other codes can only
            # come from an open link answered with a group since removed from it.
            if topic in known_topics and group in known_groups:
                cell = latest.get(row)
                made[row] = (
                    Cell(topic, axis, group, side == INTERNAL, level, count)
                    if cell is None
                    else cell
                )
        self._latest = made  # one reference replaced: another thread reads either
        # In the database's order: neither the scores nor the fingerprint depend on it.
        return list(made.values())


_cells = _CellsMade()


def read_input(
    assessment: Assessment,
    options: RunOptions,
    *,
    vocabulary: Vocabulary | None = None,
    flush: bool = True,
) -> RunInput:
    """The run's input in a fixed number of queries, whatever the number of replies.

    The replies are read from the survey's counts (`surveys.tallies`), brought up to
    date first: a reply is read once, by the first run after it arrived. Then, under the
    counts' lock, the replies by completion time (the median, the exclusions) and the
    rating counts of the replies that are kept. Fold and read are one transaction, one
    commit: the counts' lock is held from the fold to the last read. `vocabulary`: the
    assessment's, if the caller has read it already; `flush` False: the transaction's
    commit does not wait for the disk (`commit_without_flush`), as in a run."""
    survey_id = assessment.survey_id
    if vocabulary is None:
        vocabulary = assessment_vocabulary(assessment)
    topics, groups = vocabulary.topics, vocabulary.groups
    with transaction.atomic():
        # Folds the replies not counted yet; with `flush` False its first statement also
        # does what `commit_without_flush` would, a round trip less.
        tally_current(survey_id, grids=vocabulary.grids, flush=flush)
        durations = reply_durations(survey_id)
        limit = too_fast_limit(durations, options, grid_cells=vocabulary.grid_cells)
        counted = rating_rows(
            survey_id,
            vocabulary.grid_id,
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
    return RunInput(
        cells=_cells.of(counted, set(topics), set(groups)),
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
