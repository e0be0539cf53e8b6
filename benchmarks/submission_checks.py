"""What the submission load test (benchmarks/submission_load.py) prepares, runs after the
load and proves: the API's personal invitations and request bodies, the aggregation in
a real Celery worker, and the checks that every response sent is stored, complete and
counted by the run exactly as the quality filters say.

Imported once Django is set up.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle, pairwise

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from benchmarks.loadgen import OVERALL_COMMENT, TOPIC_COMMENT
from benchmarks.report import say
from benchmarks.respondents import BenchSurvey
from materiality.models import AggregationRun, GroupScore, RunStatus, TopicScore
from materiality.runs.options import RunOptions, recorded_options
from surveys.models import Answer, Invitation, InvitationKind, Response, ResponseStatus
from surveys.tokens import derived_token, new_salt, token_digest, token_hint

BULK_BATCH = 1000
AGGREGATION_TIMEOUT_SECONDS = 900
POLL_SECONDS = 0.5
DONE = (RunStatus.SUCCEEDED, RunStatus.UNCHANGED)

Check = tuple[str, bool, str]  # what is checked, whether it holds, the figures


def api_items(
    bench: BenchSurvey, count: int, rng: random.Random, seconds: tuple[int, int]
) -> list[str]:
    """`count` personal invitations (one response each, group fixed by the invitation,
    spread over the groups as the links are) and, for each, "<token> <JSON body>": every
    topic rated on both axes, a comment on the first topic, an overall comment — the
    rows a walk stores — and how long the respondent took, as a client reports it."""
    rows, tokens = [], []
    for _number, link in zip(range(count), cycle(bench.links), strict=False):
        # As surveys.services._token_fields: a salt, the token derived from it.
        salt = new_salt()
        token = derived_token(salt, settings.SECRET_KEY)
        tokens.append(token)
        rows.append(
            Invitation(
                survey=bench.survey,
                kind=InvitationKind.PERSONAL,
                token_salt=salt,
                token_hash=token_digest(token),
                token_hint=token_hint(token),
                respondent_group=link.group,
                respondent_internal=link.internal,
            )
        )
    Invitation.objects.bulk_create(rows, batch_size=BULK_BATCH)
    items = []
    for token in tokens:
        answers: list[dict[str, object]] = [
            {"question": bench.grid.pk, "row": row, "column": column, "value": rng.randint(1, 5)}
            for row in bench.rows
            for column in bench.columns
        ]
        answers.append({"question": bench.grid.pk, "row": bench.rows[0], "value": TOPIC_COMMENT})
        answers.append({"question": bench.text.pk, "value": OVERALL_COMMENT})
        body = {
            "language": settings.LANGUAGE_CODE,
            "seconds": rng.randint(*seconds),
            "answers": answers,
        }
        items.append(f"{token} {json.dumps(body, separators=(',', ':'))}")
    return items


def backdate(bench: BenchSurvey, seconds: tuple[int, int], seed: int) -> None:
    """Prepared responses were begun some minutes before their submit, as a person's
    would be (bulk-inserted, they would otherwise all look seconds old)."""
    low, high = seconds
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            f"UPDATE {Response._meta.db_table} SET started_at = now() - "
            "(%s + random() * %s) * interval '1 second' WHERE survey_id = %s",
            [low, high - low, bench.survey.pk],
        )


# --- The aggregation in a real worker ---------------------------------------------------


@dataclass(frozen=True)
class Aggregation:
    run_id: int  # the scores of the last run (itself, or the run it found unchanged)
    wall_seconds: float  # see `during_load`: from the worker's launch or the load's end
    run_ms: int  # the last run's own duration (claim to finish)
    pending_before: int  # runs waiting when the load ended
    during_load: bool  # the worker ran during the load (else: launched after it)
    runs: tuple[RunFigures, ...]  # every run the submits asked for, oldest first


@dataclass(frozen=True)
class RunFigures:
    pk: int
    status: str
    responses_total: int | None


@contextmanager
def worker(args: argparse.Namespace) -> Iterator[None]:
    """A worker as the site's are, on the benchmark's database, broker and backend."""
    from benchmarks.celery_worker import celery_worker, worker_environment
    from benchmarks.server import BASE_DIR
    from config.celery import app

    env = worker_environment(
        database_url=args.database,
        broker_url=args.broker_url,
        result_backend=args.result_backend,
        conn_max_age=0,
    )
    log = BASE_DIR / "var" / "benchmarks" / "submission-load-worker.log"
    with celery_worker(env, queues=(app.conf.task_default_queue,), log_path=log):
        yield


def aggregate_in_worker(args: argparse.Namespace, bench: BenchSurvey) -> Aggregation:
    """Start a worker after the load; it takes the run the submits asked for (one,
    coalesced, waiting in the broker since the first submit) and computes it."""
    pending = _runs(bench).filter(status=RunStatus.PENDING).count()
    if pending != 1:
        raise SystemExit(f"expected one run waiting after the load, found {pending}")
    # From the worker's launch: the run's message waits in the broker, so the worker
    # takes it as soon as it is up, often before it answers the start-up ping.
    started = time.monotonic()
    with worker(args):
        return _settled(bench, started, pending, during_load=False)


def settle(bench: BenchSurvey, load_ended: float) -> Aggregation:
    """With the worker running since before the load: wait until no run is waiting or
    running, the last one asked for by the last submit included."""
    pending = _runs(bench).filter(status=RunStatus.PENDING).count()
    return _settled(bench, load_ended, pending, during_load=True)


def _runs(bench: BenchSurvey) -> QuerySet[AggregationRun]:
    return AggregationRun.objects.filter(assessment=bench.assessment)


def _settled(bench: BenchSurvey, started: float, pending: int, *, during_load: bool) -> Aggregation:
    deadline = started + AGGREGATION_TIMEOUT_SECONDS
    unsettled = (RunStatus.PENDING, RunStatus.RUNNING)
    while _runs(bench).filter(status__in=unsettled).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"runs still waiting after {AGGREGATION_TIMEOUT_SECONDS} s")
        time.sleep(POLL_SECONDS)
    wall = time.monotonic() - started
    runs = tuple(
        RunFigures(*row)
        for row in _runs(bench).order_by("pk").values_list("pk", "status", "responses_total")
    )
    if not runs:
        raise SystemExit("the submits asked for no run")
    last = AggregationRun.objects.get(pk=runs[-1].pk)
    if last.status not in DONE:
        raise SystemExit(f"the last run did not succeed: {last.error}")
    # A run that finds the input of an earlier one marks itself UNCHANGED and points at
    # it: a reply folded by a run claimed before its hook's run was.
    scored = last.same_as_id if last.status == RunStatus.UNCHANGED else last.pk
    say(f"run {last.pk}: {wall:.1f} s until settled ({last.duration_ms} ms its own)")
    return Aggregation(scored or last.pk, wall, last.duration_ms or 0, pending, during_load, runs)


def check_runs(aggregation: Aggregation) -> list[Check]:
    """With a worker claiming runs while replies arrive: no run failed, and each run
    counted at least the responses of the run before it (none lost between claims)."""
    done = [r for r in aggregation.runs if r.status in DONE]
    failed = [r.pk for r in aggregation.runs if r.status not in DONE]
    totals = [r.responses_total or 0 for r in done]
    rising = all(a <= b for a, b in pairwise(totals))
    return [
        ("runs that did not succeed", not failed, ", ".join(map(str, failed)) or "none"),
        (
            "each run counted at least the responses of the one before",
            rising,
            f"{len(done)} runs: {totals[0]:,} … {totals[-1]:,} responses" if totals else "—",
        ),
    ]


# --- The checks ---------------------------------------------------------------------------


def check_stored(bench: BenchSurvey, run_id: int, total: int) -> list[Check]:
    """Every response sent is stored, submitted and complete; the run counted them all,
    left out exactly those the quality filters name (recomputed here from the stored
    durations, as docs/methodology.md states the rule), and its n are the ratings of the
    responses it kept."""
    survey = bench.survey
    responses = Response.objects.filter(survey=survey)
    submitted = responses.filter(status=ResponseStatus.SUBMITTED)
    ratings = Answer.objects.filter(
        response__in=submitted, question=bench.grid, value__isnull=False
    )
    rows_each = set(submitted.annotate(n=Count("answers")).values_list("n", flat=True))
    cells = len(bench.rows) * len(bench.columns)
    checks: list[Check] = [
        ("submitted responses", submitted.count() == total, f"{submitted.count():,}"),
        ("responses begun but not submitted", responses.count() == total, "0"),
        (
            "rating answers",
            ratings.count() == total * cells,
            f"{ratings.count():,} = {total:,} × {cells}",
        ),
        ("answer rows per response", rows_each == {cells + 2}, ", ".join(map(str, rows_each))),
    ]
    run = AggregationRun.objects.get(pk=run_id)
    options = recorded_options(run)
    straight = (
        submitted.filter(straight_lined=True).count() if options.exclude_straight_lined else 0
    )
    limit = _too_fast_limit(submitted, options, cells)
    kept = submitted
    if options.exclude_straight_lined:
        kept = kept.filter(straight_lined=False)
    fast = 0
    if limit is not None:
        fast = kept.filter(duration_seconds__lt=limit).count()
        kept = kept.filter(Q(duration_seconds__gte=limit) | Q(duration_seconds__isnull=True))
    checks += [
        ("the run's responses in total", run.responses_total == total, f"{run.responses_total:,}"),
        (
            "left out as straight-lined",
            run.excluded_straight_lined == straight,
            f"{run.excluded_straight_lined} (expected {straight})",
        ),
        (
            "left out as too fast",
            run.excluded_too_fast == fast,
            f"{run.excluded_too_fast:,} (expected {fast:,}: under {limit} s)",
        ),
        (
            "responses counted",
            run.responses_counted == kept.count() == total - straight - fast,
            f"{run.responses_counted:,}",
        ),
    ]
    stored = {
        (row, column): n
        for row, column, n in Answer.objects.filter(
            response__in=kept, question=bench.grid, value__isnull=False, dont_know=False
        )
        .values("row_code", "column_code")
        .annotate(n=Count("pk"))
        .values_list("row_code", "column_code", "n")
    }
    scored = {
        (row["topic__code"], row["axis"]): row["n"]
        for row in GroupScore.objects.filter(run=run)
        .values("topic__code", "axis")
        .annotate(n=Sum("n"))
        .values("topic__code", "axis", "n")
    }
    topic_n = {}
    for score in TopicScore.objects.filter(run=run).select_related("topic"):
        for axis in bench.columns:
            figures = getattr(score, axis, None)
            if isinstance(figures, dict) and "n" in figures:
                topic_n[(score.topic.code, axis)] = figures["n"]
    checks += [
        (
            "n per topic and axis (group scores) = ratings of the responses kept",
            scored == stored and len(stored) == cells,
            f"{len(stored)} topic × axis pairs, {sum(stored.values()):,} ratings",
        ),
        (
            "n per topic and axis (topic scores) = ratings of the responses kept",
            topic_n == stored,
            f"{len(topic_n)} pairs",
        ),
        (
            "the run's ratings counted",
            run.ratings_counted == sum(stored.values()),
            f"{run.ratings_counted:,}",
        ),
    ]
    return checks


def _too_fast_limit(submitted: QuerySet[Response], options: RunOptions, cells: int) -> int | None:
    """The too-fast limit by the rule docs/methodology.md states: a share of the median
    completion time (of the replies with one, once there are enough), and at least a
    floor of seconds per grid cell."""
    if not options.exclude_too_fast:
        return None
    timed = submitted.values_list("duration_seconds", flat=True)
    durations = sorted(seconds for seconds in timed if seconds is not None)
    limits = []
    if options.too_fast_seconds_per_cell > 0:
        limits.append(math.ceil(options.too_fast_seconds_per_cell * cells))
    if submitted.count() >= options.too_fast_min_responses <= len(durations):
        limits.append(math.floor(durations[len(durations) // 2] * options.too_fast_fraction))
    return max(limits) if limits else None
