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
    time writing scores (2.2 ms through `json.dumps`, 1.4 ms so; the float reprs, the
    same ones json writes, are most of what is left)."""
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


def _write_scores(run: AggregationRun, result: ScoreResult, vocabulary: Vocabulary) -> None:
    # The ids of the assessment's topics and groups, read with its vocabulary. Statistics
    # go in as Stats: `_insert_rows` writes their JSON.
    topic_ids, group_ids = vocabulary.topic_ids, vocabulary.group_ids
    _insert_rows(
        TopicScore,
        [
            {
                "run_id": run.pk,
                "topic_id": topic_ids[topic.topic],
                "rank": topic.rank,
                "combined": topic.combined,
                "material": topic.material,
                "tier": str(topic.tier),
                "p_material": topic.p_material,
                "divergence_flag": topic.divergence_flag,
                "company": topic.axes[COMPANY_AXIS],
                "stakeholder": topic.axes[STAKEHOLDER_AXIS],
                "company_mean": topic.axes[COMPANY_AXIS].mean,
                "stakeholder_mean": topic.axes[STAKEHOLDER_AXIS].mean,
                "company_divergence": topic.divergence.get(COMPANY_AXIS),
                "stakeholder_divergence": topic.divergence.get(STAKEHOLDER_AXIS),
            }
            for topic in result.topics
        ],
    )
    _insert_rows(
        GroupScore,
        [
            {
                "run_id": run.pk,
                "topic_id": topic_ids[topic.topic],
                "group_id": group_ids[group],
                "axis": axis,
                "n": stats.n,
                "mean": stats.mean,
                "stats": stats,
            }
            for topic in result.topics
            for axis, by_group in topic.by_group.items()
            for group, stats in by_group.items()
        ],
    )


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (column name -> value; Stats in a JSON column are written as
    `stats_json`) into `model`'s table. On PostgreSQL, one COPY: a run's 289 score rows,
    their figures and JSON statistics, go as one text stream instead of a model instance
    and a quoted array element per value (the ORM's bulk insert: 40 % of a run's CPU at
    1,151 replies), and the server parses each figure once, as the column's type (an
    INSERT … SELECT from one JSON parameter parsed every figure of it as a JSON number
    first: 1.4 ms more per run, on a new connection)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            model(
                **{
                    name: stats_dict(value) if isinstance(value, Stats) else value
                    for name, value in row.items()
                }
            )
            for row in rows
        )
        return
    by_column = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_column[name] for name in rows[0]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    # Each column's writer chosen once, not per value (2,600 values a run).
    writers = [
        (field.attname, _copy_json if isinstance(field, models.JSONField) else _copy_value)
        for field in fields
    ]
    data = "".join("\t".join([write(row[name]) for name, write in writers]) + "\n" for row in rows)
    # Django logs a COPY as a statement where it logs queries (DEBUG, query counts).
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.copy(statement) as copy:
            copy.write(data)
        if cursor.rowcount != len(rows):  # pragma: no cover - a guard, not a path
            raise RuntimeError(f"{cursor.rowcount} of {len(rows)} score rows inserted")


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
    """A JSON column's value in COPY's text format: the text the ORM would have sent."""
    if value is None:
        return "\\N"
    text = stats_json(value) if isinstance(value, Stats) else json.dumps(value, allow_nan=False)
    return copy_text(text)
