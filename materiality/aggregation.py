"""Aggregation runs: from submitted replies to stored topic scores.

    request  ──▶ a PENDING run (at most one per assessment: replies coalesce into it)
    execute  ──▶ claim it (PENDING → RUNNING, a conditional UPDATE: one worker wins)
             ──▶ the rating counts, brought up to date (surveys.tallies: each reply is
                 read once, by the first run after it arrived)
             ──▶ materiality.scoring.score (pure)
             ──▶ scores written and the run marked SUCCEEDED in one transaction,
                 under a lock on the assessment row (two runs never interleave writes)

A run whose input (the counts) and options equal those of an earlier successful run
is marked UNCHANGED and points at it: no duplicate work, no duplicate scores. A worker
that dies mid-run leaves its run RUNNING with an old heartbeat; the next request or
sweep marks it FAILED, and since the scores are written in one transaction, none of a
dead run's scores exist.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import numpy
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from materiality.models import (
    COMPANY_AXIS,
    STAKEHOLDER_AXIS,
    AggregationRun,
    Assessment,
    AssessmentGroup,
    GroupScore,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
    Topic,
    TopicScore,
)
from materiality.questionnaire import IMPORTANCE_QUESTION
from materiality.scoring import Cell, Params, ScoreResult, Stats, score
from surveys.models import Question
from surveys.tallies import (
    Durations,
    rating_cells,
    reply_durations,
    tally_catch_up,
    tally_current,
)

logger = logging.getLogger(__name__)

# Bump when a change to the method or to this module changes results for the same input.
# 2: the too-fast median counts only replies with a duration; 3: bootstrap sums drawn
# from their exact distribution (other random draws, the same distribution).
SCORING_VERSION = "3"


def stale_after() -> timedelta:
    """How long a RUNNING run may go without a heartbeat before it counts as dead."""
    return timedelta(seconds=getattr(settings, "MATERIA_RUN_STALE_SECONDS", 600))


# --- Options --------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """Everything that decides a run's result besides the replies themselves."""

    params: Params
    exclude_straight_lined: bool = True
    exclude_too_fast: bool = True
    too_fast_fraction: float = 1 / 3
    too_fast_min_responses: int = 10

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"params": self.params.as_dict()}
        for spec in fields(self):
            if spec.name != "params":
                data[spec.name] = getattr(self, spec.name)
        return data


FILTER_DEFAULTS = {
    "exclude_straight_lined": True,
    "exclude_too_fast": True,
    "too_fast_fraction": 1 / 3,
    "too_fast_min_responses": 10,
}


def run_options(assessment: Assessment) -> RunOptions:
    """The options for a new run: the assessment's scale, axes and group weights, and
    the method choices saved on the assessment (`Assessment.scoring`)."""
    saved: dict[str, Any] = dict(assessment.scoring or {})
    filters = {key: saved.pop(key, default) for key, default in FILTER_DEFAULTS.items()}
    weights = {
        code: float(weight)
        for code, weight in AssessmentGroup.objects.filter(assessment=assessment).values_list(
            "group__code", "weight"
        )
    }
    saved.setdefault("group_weights", weights)
    params = Params(
        scale_min=assessment.scale_min,
        scale_max=assessment.scale_max,
        company_axis=COMPANY_AXIS,
        stakeholder_axis=STAKEHOLDER_AXIS,
        **saved,
    )
    return RunOptions(params=params, **filters)


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


def too_fast_limit(durations: Durations, options: RunOptions) -> int | None:
    """Seconds under which a completion counts as too fast: a fraction of the median
    completion time of the replies, once there are enough for a stable median."""
    if not options.exclude_too_fast or durations.total < options.too_fast_min_responses:
        return None
    # The median of the replies that have a duration: imported ones may have none.
    timed = durations.timed
    if timed < options.too_fast_min_responses:
        return None
    median = durations.timed_at(timed // 2)
    return None if median is None else math.floor(median * options.too_fast_fraction)


def read_input(
    assessment: Assessment,
    options: RunOptions,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> RunInput:
    """The run's input in a fixed number of queries, whatever the number of replies.

    The replies are read from the survey's counts (`surveys.tallies`), brought up to
    date first: a reply is read once, by the first run after it arrived. Then, under the
    counts' lock, the replies by completion time (the median, the exclusions) and the
    rating counts of the replies that are kept."""
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
    grid_id = Question.objects.values_list("pk", flat=True).get(
        survey_id=survey_id, code=IMPORTANCE_QUESTION
    )
    tally_catch_up(survey_id, progress=progress)
    with transaction.atomic():
        tally_current(survey_id)
        durations = reply_durations(survey_id)
        limit = too_fast_limit(durations, options)
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


# --- Requesting -----------------------------------------------------------------------


def aggregation_request(
    *, assessment: Assessment, trigger: str, requested_by: Any = None
) -> AggregationRun:
    """Ask for a run. If one is already waiting, that one serves (coalescing); the task
    is sent after commit, and a broker that is down only delays it (see `sweep`)."""
    _fail_stale_runs(assessment.pk)
    try:
        with transaction.atomic():
            run = AggregationRun.objects.create(
                assessment=assessment,
                trigger=trigger,
                requested_by=requested_by if getattr(requested_by, "pk", None) else None,
            )
    except IntegrityError:
        waiting = AggregationRun.objects.filter(
            assessment=assessment, status=RunStatus.PENDING
        ).first()
        if waiting is not None:
            return waiting
        # The waiting run was claimed between our insert and this read: ask again.
        return aggregation_request(
            assessment=assessment, trigger=trigger, requested_by=requested_by
        )
    transaction.on_commit(lambda: enqueue(run.pk))
    return run


def enqueue(run_id: int) -> bool:
    from materiality.tasks import aggregate

    try:
        aggregate.delay(run_id)
    except Exception:  # the broker is unreachable: the run stays PENDING for the sweep
        logger.warning("Could not send aggregation run %s to the broker", run_id, exc_info=True)
        return False
    return True


def on_response_submitted(survey_id: int, response_id: int) -> None:
    """SURVEYS_SUBMIT_HOOKS entry: new replies ask for a (coalesced) run."""
    # Nearly every submit finds a run already waiting, and that run will count this
    # reply (committed before this hook runs: a worker reads the replies only after
    # claiming the run). One read on the one-pending-run index then replaces an INSERT
    # that would fail on it, a rollback and a second read.
    if AggregationRun.objects.filter(
        assessment__survey_id=survey_id, status=RunStatus.PENDING
    ).exists():
        return
    assessment = Assessment.objects.filter(survey_id=survey_id).first()
    if assessment is not None:
        aggregation_request(assessment=assessment, trigger=RunTrigger.RESPONSE)


def sweep() -> int:
    """Send again the runs that wait longer than a minute (their message was lost, or
    the broker was down when they were requested) and fail dead RUNNING runs. Runs
    every minute under Celery beat; returns how many runs were sent."""
    _fail_stale_runs(None)
    cutoff = timezone.now() - timedelta(seconds=60)
    waiting = AggregationRun.objects.filter(status=RunStatus.PENDING, created_at__lt=cutoff)
    sent = sum(enqueue(pk) for pk in waiting.values_list("pk", flat=True))
    _sweep_other_work()
    return sent


def _sweep_other_work() -> None:
    """Export jobs whose worker died stay RUNNING, and a feedback summary whose message was
    lost stays pending: fail the former, resend the latter (it is coalesced and safe)."""
    from materiality.models import ExportJob, ExportStatus, Report
    from materiality.tasks import feedback_summarise

    ExportJob.objects.filter(
        status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
        created_at__lt=timezone.now() - stale_after(),
    ).update(
        status=ExportStatus.FAILED,
        finished_at=timezone.now(),
        error=gettext_noop("The worker stopped while building this file; please ask again."),
    )
    for report_id in Report.objects.filter(summary_pending=True).values_list("pk", flat=True):
        try:
            feedback_summarise.delay(report_id)
        except Exception:  # the broker is still down: the next sweep tries again
            logger.warning("Could not resend the feedback summary of report %s", report_id)


def _fail_stale_runs(assessment_id: int | None) -> None:
    stale = AggregationRun.objects.filter(
        status=RunStatus.RUNNING, heartbeat_at__lt=timezone.now() - stale_after()
    )
    if assessment_id is not None:
        stale = stale.filter(assessment_id=assessment_id)
    stale.update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error=gettext_noop(
            "The worker stopped during the run (no sign of life); no scores were stored."
        ),
    )


# --- Executing ------------------------------------------------------------------------


def _beat(run_id: int, progress: int) -> None:
    AggregationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        progress=progress, heartbeat_at=timezone.now()
    )


def aggregation_execute(run_id: int) -> AggregationRun | None:
    """Compute one run; safe to call twice (only the call that claims it works)."""
    now = timezone.now()
    claimed = AggregationRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, progress=5
    )
    run = AggregationRun.objects.select_related("assessment__survey").filter(pk=run_id).first()
    if run is None:
        return None
    if not claimed:
        return run  # done, failed, or being computed by another worker
    started = time.monotonic()
    try:
        return _execute(run, started)
    except Exception as error:
        logger.exception("Aggregation run %s failed", run_id)
        AggregationRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=str(error)[:2000]
        )
        run.refresh_from_db()
        return run


def _execute(run: AggregationRun, started: float) -> AggregationRun:
    assessment = run.assessment
    options = run_options(assessment)
    run_input = read_input(
        assessment,
        options,
        # Folding replies into the counts is the long part of a first run after a bulk
        # load or import; a run's bar goes from 5 % to 25 % while it lasts.
        progress=lambda done, total: _beat(run.pk, 5 + 20 * done // max(total, 1)),
    )
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
    same = (
        AggregationRun.objects.filter(
            assessment=assessment, status=RunStatus.SUCCEEDED, fingerprint=digest
        )
        .order_by("-pk")
        .first()
    )
    if same is not None:
        _finish(run, started, RunStatus.UNCHANGED, same_as=same, **counts)
        return run
    _beat(run.pk, 30)
    result = score(
        run_input.cells, topics=run_input.topics, groups=run_input.groups, params=options.params
    )
    _beat(run.pk, 80)
    with transaction.atomic():
        # One writer per assessment at a time, and only while this run is still ours.
        Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
        if not AggregationRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).exists():
            raise RuntimeError("The run was taken over or cancelled while computing.")
        _write_scores(run, result)
        _finish(run, started, RunStatus.SUCCEEDED, thresholds=dict(result.thresholds), **counts)
    return run


def _finish(run: AggregationRun, started: float, status: str, **values: Any) -> None:
    values.update(
        status=status,
        progress=100,
        finished_at=timezone.now(),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    AggregationRun.objects.filter(pk=run.pk).update(**values)
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


def _write_scores(run: AggregationRun, result: ScoreResult) -> None:
    topic_ids = dict(Topic.objects.values_list("code", "pk"))
    group_ids = dict(StakeholderGroup.objects.values_list("code", "pk"))
    TopicScore.objects.bulk_create(
        TopicScore(
            run=run,
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
    )
    GroupScore.objects.bulk_create(
        GroupScore(
            run=run,
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
