"""Executing a run: claim it, bring the counts up to date, score, store.

    claim        PENDING -> RUNNING, a conditional UPDATE: one worker wins; a RUNNING run
                 whose worker stopped beating is taken over the same way (heartbeat.py)
    read input   the rating counts, brought up to date (surveys.tallies: each reply is
                 read once, by the first run after it arrived)
    score        materiality.scoring.score (pure)
    store        scores written and the run marked SUCCEEDED in one transaction, under a
                 lock on the assessment row (two runs never interleave writes) and on the
                 run's, and only by the claim that still holds it

A run whose input (the counts) and options equal those of an earlier successful run is
marked UNCHANGED and points at it: no duplicate work, no duplicate scores. Since the
scores are written in one transaction, none of a dead run's scores exist; a worker that
was taken for dead but still computes finds the run is not its own and stores nothing.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import platform
import time
from datetime import datetime
from typing import Any

import numpy
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction
from django.db.models import Exists, QuerySet
from django.db.models.sql import UpdateQuery

from materiality.dispatch import send
from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    GroupScore,
    RunStatus,
    TopicScore,
)
from materiality.runs import heartbeat
from materiality.runs.heartbeat import Heartbeat
from materiality.runs.inputs import (
    Vocabulary,
    assessment_vocabulary,
    commit_without_flush,
    fingerprint,
    read_input,
)
from materiality.runs.options import SCORING_VERSION, run_options
from materiality.runs.requests import AGGREGATE_TASK
from materiality.runs.score_store import score_rows_replica
from materiality.scoring import ScoreResult, Stats, score
from surveys.bulk import copy_text
from surveys.models import Survey
from surveys.precompiled import CompiledStatement, update_query, update_row

logger = logging.getLogger(__name__)


# --- Executing ------------------------------------------------------------------------


class RunLost(Exception):
    """The run stopped being this claim's while it computed (taken over after a silence
    long enough to count as a lost worker, or failed): it stores nothing."""


# --- A run's statements, compiled once per thread and connection (surveys/precompiled.py)


def _run_read(run_id: int) -> QuerySet[AggregationRun]:
    return (
        AggregationRun.objects.select_related("assessment__survey")
        .select_for_update(of=("assessment",))
        .filter(pk=run_id)
        .order_by("pk")[:1]  # `.first()`
    )


# The run with its assessment and survey, its assessment's row locked (`_claim`).
_RUN_READ = CompiledStatement(_run_read, int)
_RUN_MODELS: tuple[type[models.Model], ...] = (AggregationRun, Assessment, Survey)


def _alive(assessment_id: int, other_than: int, lost_before: datetime) -> QuerySet[AggregationRun]:
    """The assessment's runs other than `other_than` whose worker is alive."""
    return AggregationRun.objects.filter(
        assessment_id=assessment_id, status=RunStatus.RUNNING, heartbeat_at__gte=lost_before
    ).exclude(pk=other_than)


def _claim_update(
    run_id: int,
    other_than: int,
    assessment_id: int,
    lost_before: datetime,
    started_at: datetime,
    heartbeat_at: datetime,
) -> UpdateQuery:
    # The claim's time twice: each argument of a compiled statement is one parameter.
    return update_query(
        AggregationRun.objects.filter(pk=run_id).filter(
            ~Exists(_alive(assessment_id, other_than, lost_before)), status=RunStatus.PENDING
        ),
        progress=5,
        status=RunStatus.RUNNING,
        started_at=started_at,
        heartbeat_at=heartbeat_at,
    )


# PENDING -> RUNNING when no other run of the assessment is alive (`_claim`).
_CLAIM = CompiledStatement(_claim_update, int, int, int, datetime, datetime, datetime)


def _store_lock(assessment_id: int, run_id: int, claim: datetime) -> QuerySet[Any, Any]:
    ours = AggregationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, started_at=claim)
    return (
        Assessment.objects.select_for_update(of=("self",))
        .filter(pk=assessment_id)
        .annotate(ours=Exists(ours))
        .values_list("ours")
    )


# The assessment's row locked, and whether the run is still the claim's (`_execute`).
_STORE_LOCK = CompiledStatement(_store_lock, int, int, datetime)

# The newest successful run of the assessment with this fingerprint (`_execute`).
_SAME = CompiledStatement(
    lambda assessment_id, digest: (
        AggregationRun.objects.filter(
            assessment_id=assessment_id, status=RunStatus.SUCCEEDED, fingerprint=digest
        )
        .order_by("-pk")
        .values_list("pk")[:1]
    ),
    int,
    str,
)

# The assessment's PENDING run (at most one), if any (`_hand_on`).
_WAITING = CompiledStatement(
    lambda assessment_id: (
        AggregationRun.objects.filter(assessment_id=assessment_id, status=RunStatus.PENDING)
        .order_by("pk")
        .values_list("pk")[:1]
    ),
    int,
)


def _read_run(run_id: int) -> AggregationRun | None:
    """The run with its assessment and survey (select_related), as the ORM makes them."""
    rows = _RUN_READ.rows(run_id)
    if not rows:
        return None
    selected = [column.target for column, _, _ in _RUN_READ.compiler().select]
    expected = [field for model in _RUN_MODELS for field in model._meta.concrete_fields]
    # The row is cut by the models' own field lists: refuse a statement that selects
    # anything else (another Django, another model).
    if selected != expected:
        raise TypeError("the run's statement does not select its models' columns")
    row, start, instances = rows[0], 0, []
    for model in _RUN_MODELS:
        fields = model._meta.concrete_fields
        values = row[start : start + len(fields)]
        start += len(fields)
        instances.append(model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], values))
    run, assessment, survey = instances
    if not isinstance(run, AggregationRun):  # pragma: no cover - for the type checker
        raise TypeError("no run in the row")
    AggregationRun._meta.get_field("assessment").set_cached_value(run, assessment)
    Assessment._meta.get_field("survey").set_cached_value(assessment, survey)
    return run


def _claim(run_id: int) -> tuple[AggregationRun | None, datetime | None]:
    """Claim the run, PENDING -> RUNNING, or take it over from a lost worker (RUNNING,
    silent since `lost_before`): a conditional UPDATE, so of two deliveries one wins.
    Returns the run as read with its assessment and survey (None if there is none) and
    the claim's time, its token (`started_at`), None when nothing was claimed.

    One run of an assessment computes at a time, whatever the number of workers: while
    another run of it is alive, this one stays as it is, and the live run hands it on
    when it ends (`_hand_on`). Claims of one assessment's runs take its row's lock for
    that, briefly (the claim, not the computation): the statement that reads the run
    takes it. Whatever it read of the run may predate a wait for that lock; the
    statements that decide read the run again."""
    with transaction.atomic():
        commit_without_flush()
        run = _read_run(run_id)
        if run is None:
            return None, None
        lost_before = heartbeat.lost_before()
        claim = heartbeat.now()
        # The usual case in one statement: a PENDING run, no other run of its assessment
        # alive (read after the lock, as the statements below).
        if _CLAIM.rowcount(run_id, run_id, run.assessment_id, lost_before, claim, claim):
            return run, claim
        fields = {"status": RunStatus.RUNNING, "started_at": claim, "heartbeat_at": claim}
        runs = AggregationRun.objects.filter(pk=run_id)
        alive = _alive(run.assessment_id, run_id, lost_before)
        busy = alive.values_list("pk", flat=True).first()
        if busy is not None:
            logger.info("Aggregation run %s waits for run %s of its assessment", run_id, busy)
            return run, None
        if runs.filter(status=RunStatus.RUNNING, heartbeat_at__lt=lost_before).update(
            progress=5, **fields
        ):
            logger.warning("Aggregation run %s taken over: its worker stopped beating", run_id)
            return run, claim
    return run, None


def _hand_on(assessment_id: int) -> None:
    """A run has ended: the run of its assessment that waited for it (at most one is
    PENDING) is sent now rather than at the next sweep. A copy that finds it claimed
    already does nothing."""
    waiting = _WAITING.rows(assessment_id)
    if waiting:
        ((run_id,),) = waiting
        send(AGGREGATE_TASK, run_id)


def aggregation_execute(run_id: int) -> AggregationRun | None:
    """Compute one run; safe to call twice (only the call that claims it works, and a
    run whose worker died is claimed again by the next call: runs/heartbeat.py)."""
    run, claim = _claim(run_id)
    if run is None:
        return None
    if claim is None:  # done, failed, or being computed by a live worker: as it is now
        return AggregationRun.objects.select_related("assessment__survey").filter(pk=run_id).first()
    # What the claim wrote (`_claim`), without reading the row again.
    run.status, run.progress = RunStatus.RUNNING, 5
    run.started_at = run.heartbeat_at = claim
    started = time.monotonic()
    try:
        with Heartbeat(run_id, claim) as beating:
            return _execute(run, started, beating)
    except RunLost:
        logger.warning("Aggregation run %s: taken over by another worker, stored nothing", run_id)
    except Exception as error:
        logger.exception("Aggregation run %s failed", run_id)
        AggregationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, started_at=claim).update(
            status=RunStatus.FAILED, finished_at=heartbeat.now(), error=str(error)[:2000]
        )
    finally:
        _hand_on(run.assessment_id)
    run.refresh_from_db()
    return run


def _execute(run: AggregationRun, started: float, beating: Heartbeat) -> AggregationRun:
    def progress(percent: int) -> None:
        # Written at once only in a run long enough to show it (heartbeat.py).
        if not beating.progress(percent):
            raise RunLost

    assessment = run.assessment
    # The assessment's topics, groups (their ids and weights) and grids, read once.
    vocabulary = assessment_vocabulary(assessment)
    options = run_options(assessment, group_weights=vocabulary.weights)
    # Folding replies into the counts is the long part of a first run after a bulk load
    # or import; the bar shows 5 % while it lasts, 30 % from the scoring on.
    run_input = read_input(assessment, options, vocabulary=vocabulary, flush=False)
    digest = fingerprint(run_input, options)
    counts = {
        "options": options.as_dict(),
        "fingerprint": digest,
        "responses_total": run_input.responses_total,
        "responses_counted": run_input.responses_counted,
        "excluded_straight_lined": run_input.excluded_straight_lined,
        "excluded_too_fast": run_input.excluded_too_fast,
        "ratings_counted": sum(c.count for c in run_input.cells),
        "software": {
            "scoring": SCORING_VERSION,
            "numpy": numpy.__version__,
            "python": platform.python_version(),
        },
    }
    same = _SAME.rows(assessment.pk, digest)
    if same:
        ((same_id,),) = same
        _finish(run, beating, started, RunStatus.UNCHANGED, same_as_id=same_id, **counts)
        return run
    progress(30)
    result = score(
        run_input.cells, topics=run_input.topics, groups=run_input.groups, params=options.params
    )
    # No progress here: the store follows at once and checks that the run is still this
    # claim's itself.
    with transaction.atomic():
        # One writer per assessment at a time, and only while the run is still this
        # claim's: the assessment's row stays locked until the scores are committed, so a
        # takeover (its claim takes that lock first) waits, then finds the run finished.
        # The lock and the look at the run are one statement. Had it waited for the lock,
        # it may have read the run as it was before the wait: `_finish` looks again, in
        # this transaction, and a run found lost there takes the scores back with it.
        if not any(ours for (ours,) in _STORE_LOCK.rows(assessment.pk, run.pk, beating.claim)):
            raise RunLost
        _write_scores(run, result, vocabulary)
        _finish(
            run,
            beating,
            started,
            RunStatus.SUCCEEDED,
            thresholds=dict(result.thresholds),
            **counts,
        )
    return run


def _finish(
    run: AggregationRun, beating: Heartbeat, started: float, status: str, **values: Any
) -> None:
    values.update(
        status=status,
        progress=100,
        finished_at=heartbeat.now(),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    # A plain UPDATE … WHERE, its values prepared by their fields (`update_row`).
    where = {"id": run.pk, "status": RunStatus.RUNNING, "started_at": beating.claim}
    if not update_row(AggregationRun, where, values):
        raise RunLost
    for name, value in values.items():
        setattr(run, name, value)


def stats_dict(stats: Stats) -> dict[str, Any]:
    return {
        "n": stats.n,
        "mean": stats.mean,
        "median": stats.median,
        "sd": stats.sd,
        "ci_low": stats.ci_low,
        "ci_high": stats.ci_high,
        "normalised": stats.normalised,
        "distribution": {str(level): count for level, count in stats.distribution.items()},
    }


def stats_json(stats: Stats) -> str:
    """`json.dumps(stats_dict(stats), allow_nan=False)`, the text a score row's statistics
    are stored as, written without the dictionary: a run writes 306 of them, most of its
    time writing scores (1.7 ms through `json.dumps`, 1.5 ms figure by figure, 1.0 ms
    so; the float reprs, the same ones json writes, are 0.6 ms of it)."""
    text = _plain_stats_json(stats)
    return _exact_stats_json(stats) if text is None else text


# The types of a figure of Stats as scoring makes them (`_plain_stats_json`).
_FLOAT_OR_NONE = frozenset({float, type(None)})


def _plain_stats_json(stats: Stats) -> str | None:
    """`stats_json` of statistics as scoring makes them, in one f-string: n an int, the
    figures floats or None, the distribution's levels and counts ints. Each is written
    as its repr, which for these types is what json.dumps writes, None then turned into
    null; the text holds nothing COPY escapes. None for anything else (a bool, a float
    subclass, NaN or an infinity): `_exact_stats_json` writes or refuses it."""
    n, mean, median, sd = stats.n, stats.mean, stats.median, stats.sd
    low, high, normalised = stats.ci_low, stats.ci_high, stats.normalised
    plain = _FLOAT_OR_NONE
    if not (
        type(n) is int
        and type(mean) in plain
        and type(median) in plain
        and type(sd) in plain
        and type(low) in plain
        and type(high) in plain
        and type(normalised) in plain
    ):
        return None
    distribution = stats.distribution
    counts = tuple(distribution.values())
    for count in counts:
        if type(count) is not int:
            return None
    counts_format = _distribution_format(*distribution)
    if counts_format is None:
        return None
    text = (
        f'{{"n": {n}, "mean": {mean!r}, "median": {median!r}, "sd": {sd!r}, '
        f'"ci_low": {low!r}, "ci_high": {high!r}, "normalised": {normalised!r}, '
        f'"distribution": {{{counts_format % counts}}}}}'
    )
    # No key holds "inf" or "nan": found, they are a figure json.dumps refuses.
    if "inf" in text or "nan" in text:
        return None
    # Nor "None": found, it is a figure's.
    return text.replace("None", "null") if "None" in text else text


@functools.lru_cache(maxsize=64, typed=True)
def _distribution_format(*levels: object) -> str | None:
    """The %-format of a distribution's counts over `levels`, which are ints (None
    otherwise): made once per scale, whose levels every distribution of a run has.
    `typed`: the level True is not the level 1."""
    if not all(type(level) is int for level in levels):
        return None
    return ", ".join(f'"{level}": %d' for level in levels)


def _exact_stats_json(stats: Stats) -> str:
    """`stats_json` of any Stats, figure by figure (`_json_number`)."""
    number = _json_number
    distribution = ", ".join(
        f'"{level}": {number(count)}' for level, count in stats.distribution.items()
    )
    return (
        f'{{"n": {number(stats.n)}, "mean": {number(stats.mean)}, '
        f'"median": {number(stats.median)}, "sd": {number(stats.sd)}, '
        f'"ci_low": {number(stats.ci_low)}, "ci_high": {number(stats.ci_high)}, '
        f'"normalised": {number(stats.normalised)}, "distribution": {{{distribution}}}}}'
    )


def _json_number(value: object) -> str:
    """A figure as json.dumps writes it: None as null, a float as its repr (NaN and
    infinities refused, as with allow_nan=False), an int as its digits; anything else
    (True, False, ...) through json.dumps itself."""
    if value is None:
        return "null"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    return json.dumps(value, allow_nan=False)


# A score row's columns, in the order of its line of COPY text (`score_copy_lines`).
_TOPIC_SCORE_COLUMNS = (
    "run_id",
    "topic_id",
    "rank",
    "combined",
    "material",
    "tier",
    "p_material",
    "divergence_flag",
    "company",
    "stakeholder",
    "company_mean",
    "stakeholder_mean",
    "company_divergence",
    "stakeholder_divergence",
)
_GROUP_SCORE_COLUMNS = ("run_id", "topic_id", "group_id", "axis", "n", "mean", "stats")


def _write_scores(run: AggregationRun, result: ScoreResult, vocabulary: Vocabulary) -> None:
    """A run's scores: on PostgreSQL one COPY per table (`_insert_rows`) of the lines
    `score_copy_lines` writes, elsewhere the ORM's bulk insert of `score_rows`. A role
    that may store them without per-row checks does (runs/score_store.py)."""
    if connection.vendor == "postgresql":
        topic_lines, group_lines = score_copy_lines(run.pk, result, vocabulary)
        # The ids proven are those the lines were written from: every line names run.pk,
        # a value of vocabulary.topic_ids and one of vocabulary.group_ids, nothing else.
        proven = (run.pk, vocabulary.topic_ids.values(), vocabulary.group_ids.values())
        with score_rows_replica(*proven):
            _insert_rows(TopicScore, _TOPIC_SCORE_COLUMNS, topic_lines)
            _insert_rows(GroupScore, _GROUP_SCORE_COLUMNS, group_lines)
        return
    topic_scores, group_scores = score_rows(run.pk, result, vocabulary)
    TopicScore.objects.bulk_create(topic_scores)
    GroupScore.objects.bulk_create(group_scores)


def score_rows(
    run_id: int, result: ScoreResult, vocabulary: Vocabulary
) -> tuple[list[TopicScore], list[GroupScore]]:
    """A run's score rows as model instances; the ids of the assessment's topics and
    groups are the vocabulary's."""
    topic_ids, group_ids = vocabulary.topic_ids, vocabulary.group_ids
    topic_scores = [
        TopicScore(
            run_id=run_id,
            topic_id=topic_ids[topic.topic],
            rank=topic.rank,
            combined=topic.combined,
            material=topic.material,
            tier=str(topic.tier),
            p_material=topic.p_material,
            divergence_flag=topic.divergence_flag,
            company=stats_dict(topic.axes[COMPANY_AXIS]),
            stakeholder=stats_dict(topic.axes[STAKEHOLDER_AXIS]),
            company_mean=topic.axes[COMPANY_AXIS].mean,
            stakeholder_mean=topic.axes[STAKEHOLDER_AXIS].mean,
            company_divergence=topic.divergence.get(COMPANY_AXIS),
            stakeholder_divergence=topic.divergence.get(STAKEHOLDER_AXIS),
        )
        for topic in result.topics
    ]
    group_scores = [
        GroupScore(
            run_id=run_id,
            topic_id=topic_ids[topic.topic],
            group_id=group_ids[group],
            axis=axis,
            n=stats.n,
            mean=stats.mean,
            stats=stats_dict(stats),
        )
        for topic in result.topics
        for axis, by_group in topic.by_group.items()
        for group, stats in by_group.items()
    ]
    return topic_scores, group_scores


def score_copy_lines(
    run_id: int, result: ScoreResult, vocabulary: Vocabulary
) -> tuple[list[str], list[str]]:
    """The rows `score_rows` makes, as lines of COPY's text format (the columns of
    `_TOPIC_SCORE_COLUMNS`, `_GROUP_SCORE_COLUMNS`), each value as `_copy_value` or
    `_copy_json` writes it: the text the ORM's values would make, without a model
    instance or a dictionary per row. A line is one f-string; the run's, the topic's
    and the group's ids and the axis are written once each, not once per row (272 group
    rows at 17 topics and 8 groups: 1.4 ms a run where one writer per value took 2.9)."""
    value, json_value = _copy_value, _copy_json
    run = value(run_id)
    groups = {code: value(group_id) for code, group_id in vocabulary.group_ids.items()}
    topic_lines: list[str] = []
    group_lines: list[str] = []
    for topic in result.topics:
        ids = f"{run}\t{value(vocabulary.topic_ids[topic.topic])}\t"
        company, stakeholder = topic.axes[COMPANY_AXIS], topic.axes[STAKEHOLDER_AXIS]
        divergence = topic.divergence
        topic_lines.append(
            f"{ids}{value(topic.rank)}\t{value(topic.combined)}\t{value(topic.material)}"
            f"\t{value(str(topic.tier))}\t{value(topic.p_material)}"
            f"\t{value(topic.divergence_flag)}\t{json_value(company)}"
            f"\t{json_value(stakeholder)}\t{value(company.mean)}\t{value(stakeholder.mean)}"
            f"\t{value(divergence.get(COMPANY_AXIS))}"
            f"\t{value(divergence.get(STAKEHOLDER_AXIS))}\n"
        )
        for axis, by_group in topic.by_group.items():
            axis_text = value(axis)
            group_lines.extend(
                f"{ids}{groups[group]}\t{axis_text}\t{value(stats.n)}\t{value(stats.mean)}"
                f"\t{json_value(stats)}\n"
                for group, stats in by_group.items()
            )
    return topic_lines, group_lines


def _insert_rows(model: type[models.Model], columns: tuple[str, ...], lines: list[str]) -> None:
    """Insert `lines` of COPY's text format, one a row, values in the order of `columns`
    (field attnames), into `model`'s table, in one COPY (PostgreSQL). A run's 289 score
    rows, their figures and JSON statistics, go as one text stream instead of a model
    instance and a quoted array element per value (the ORM's bulk insert: 40 % of a
    run's CPU at 1,151 replies), and the server parses each figure once, as the column's
    type (an INSERT … SELECT from one JSON parameter parsed every figure of it as a JSON
    number first: 1.4 ms more per run, on a new connection)."""
    if not lines:
        return
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    names = ", ".join(quote(by_attname[name].column) for name in columns)
    statement = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    # Django logs a COPY as a statement where it logs queries (DEBUG, query counts).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.copy(statement) as copy:
            copy.write("".join(lines))
        if cursor.rowcount != len(lines):  # pragma: no cover - a guard, not a path
            raise RuntimeError(f"{cursor.rowcount} of {len(lines)} score rows inserted")


def _copy_value(value: Any) -> str:
    """A value in COPY's text format (NULL is \\N). A float travels as its shortest repr,
    which PostgreSQL reads back as the same double. A figure that is not a number (NaN,
    infinite) is refused, as before."""
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"a score of {value} cannot be stored")
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, float):
        return _copy_value(float(value))
    return copy_text(str(value))


def _copy_json(value: Any) -> str:
    """A JSON column's value in COPY's text format: the text the ORM would have sent.
    Statistics as scoring makes them are figures and fixed keys, with nothing to escape
    (`_plain_stats_json`): only other JSON goes through `copy_text`."""
    if value is None:
        return "\\N"
    if isinstance(value, Stats):
        plain = _plain_stats_json(value)
        if plain is not None:
            return plain
        return copy_text(_exact_stats_json(value))
    return copy_text(json.dumps(value, allow_nan=False))
