"""The aggregation through the real broker and a real worker: at each size the first run
after the bulk load (it builds the survey's rating counts) and a steady-state run (it
folds a few new replies into counts already built), their time and the worker's memory;
at 1,151 replies the latency from a submitted reply to updated scores (and to a
re-rendered matrix), beside a bare Celery round trip measured in the same run.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from datetime import timedelta

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.db import connection
from django.utils import timezone

from benchmarks.aggregation_timing import Seeds
from benchmarks.bench_tasks import bare_group_by
from benchmarks.celery_worker import Worker, memory, reset_peak
from benchmarks.respondents import BenchSurvey, prepare_responses
from benchmarks.server import cpu_seconds
from materiality.models import AggregationRun, RunStatus, RunTrigger, TopicScore
from materiality.reporting.matrix_files import MatrixView, render_matrix
from materiality.tasks import aggregate
from surveys.models import RatingTally, Response
from surveys.services import response_submit
from surveys.tokens import token_digest

RUN_TIMEOUT_SECONDS = 3600  # a first run after a bulk load of a million replies takes minutes
LATENCY_TIMEOUT_SECONDS = 30
POLL_SECONDS = 0.002
COUNTED_POLL_SECONDS = 1.0  # while a run in the worker goes on: how many replies are counted
WARM_UP = 3
MATRIX_LANGUAGE = "en"
TYPICAL_DURATION = timedelta(minutes=9)  # the synthetic replies' usual time, 90 % of 10 min


# --- Memory ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryRun:
    replies: int
    state: str  # what the run found: "cold build" or "steady state" (counts built)
    rss_before_mib: float  # the idle worker, just before the run
    peak_mib: float  # highest resident set during the run (VmHWM, reset before it)
    rss_after_mib: float
    peak_reset: bool  # False: the kernel refused the reset, peak is since the start
    wall_seconds: float  # task sent -> result received
    run_ms: int  # the run's own duration_ms (claim to finish)
    worker_cpu_ms: float  # CPU the worker process used for the task
    postgres_temp_mib: float  # temporary files PostgreSQL wrote meanwhile (spilled joins)
    # (seconds since the send, replies the counts held), read about once a second
    counted: list[tuple[float, int]] = field(default_factory=list)

    @property
    def growth_mib(self) -> float:
        return self.peak_mib - self.rss_before_mib


def _temp_bytes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def worker_memory_run(
    bench: BenchSurvey, worker: Worker, seeds: Seeds, replies: int, queue: str, *, state: str
) -> MemoryRun:
    """One whole run in the worker, its peak memory read around it; `state` says what it
    finds (the caller prepared it)."""
    seeds.use(bench.assessment)
    run = AggregationRun.objects.create(assessment=bench.assessment, trigger=RunTrigger.MANUAL)
    temp_before = _temp_bytes()
    reset = reset_peak(worker.pid)
    before = memory(worker.pid)
    cpu = cpu_seconds(worker.pid)
    started = time.perf_counter()
    result = aggregate.apply_async((run.pk,), queue=queue)
    counted: list[tuple[float, int]] = []
    while True:
        try:  # returns as soon as the result is there
            status = result.get(timeout=COUNTED_POLL_SECONDS)
            break
        except CeleryTimeoutError:
            elapsed = time.perf_counter() - started
            if elapsed > RUN_TIMEOUT_SECONDS:
                raise SystemExit(f"the worker's run {run.pk} took over {elapsed:.0f} s") from None
            # The folds commit as they go: how far the run has come (one indexed read).
            held = RatingTally.objects.filter(survey_id=bench.survey.pk).values_list(
                "responses", flat=True
            )
            counted.append((elapsed, held.first() or 0))
    wall = time.perf_counter() - started
    cpu = cpu_seconds(worker.pid) - cpu
    after = memory(worker.pid)
    if status != RunStatus.SUCCEEDED:
        raise SystemExit(f"the worker's run {run.pk} ended {status}")
    time.sleep(1.1)  # PostgreSQL publishes a backend's statistics at most once a second
    run.refresh_from_db()
    return MemoryRun(
        replies=replies,
        state=state,
        rss_before_mib=before.rss_mib,
        peak_mib=after.peak_mib,
        rss_after_mib=after.rss_mib,
        peak_reset=reset,
        wall_seconds=wall,
        run_ms=run.duration_ms or 0,
        worker_cpu_ms=cpu * 1000,
        postgres_temp_mib=(_temp_bytes() - temp_before) / 2**20,
        counted=counted,
    )


# --- Latency at 1,151 replies -----------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    bare: float  # the bare Celery round trip: send -> result (GROUP BY in the worker)
    scores: float  # submit call -> the run succeeded and its scores are readable
    matrix: float  # submit call -> the matrix PNG rendered from those scores
    submit: float  # the response_submit call itself (its hook sends the task)
    queued: float  # run row created -> claimed by the worker
    running: float  # claimed -> finished, as the run recorded it (duration_ms)
    render: float  # matrix_spec + PNG, here, once the scores were seen
    worker_cpu: float  # CPU the worker process used meanwhile (the run's task)
    polls: int


# One statement per poll, as light as a poll can be: the poller shares the two cores with
# the worker it waits for.
POLL = f"""
SELECT run.id, run.status,
       EXISTS (SELECT 1 FROM {TopicScore._meta.db_table} score WHERE score.run_id = run.id)
FROM {AggregationRun._meta.db_table} run
WHERE run.assessment_id = %s AND run.id > %s
ORDER BY run.id
LIMIT 1
"""


def _wait_for_scores(assessment_id: int, after: int, deadline: float) -> tuple[int, int]:
    """Poll until the assessment's first run after `after` has succeeded and its scores
    exist: (run id, number of polls)."""
    polls = 0
    with connection.cursor() as cursor:
        while True:
            polls += 1
            cursor.execute(POLL, [assessment_id, after])
            row = cursor.fetchone()
            if row is not None and row[1] == RunStatus.SUCCEEDED:
                if not row[2]:
                    raise SystemExit(f"run {row[0]} succeeded without scores")
                return int(row[0]), polls
            if row is not None and row[1] in (RunStatus.FAILED, RunStatus.UNCHANGED):
                raise SystemExit(f"run {row[0]} ended {row[1]} instead of computing new scores")
            if time.perf_counter() > deadline:
                raise SystemExit(f"no scores {LATENCY_TIMEOUT_SECONDS} s after the submit")
            time.sleep(POLL_SECONDS)


def _bare_round_trip(queue: str) -> float:
    started = time.perf_counter()
    result = bare_group_by.apply_async(queue=queue)
    rows = result.get(timeout=LATENCY_TIMEOUT_SECONDS)
    seconds = time.perf_counter() - started
    result.forget()
    if not rows:
        raise SystemExit("the bare round trip's GROUP BY returned no rows")
    return seconds


def _submit_to_matrix(bench: BenchSurvey, token: str, worker_pid: int) -> Latency:
    response = Response.objects.select_related("survey").get(resume_hash=token_digest(token))
    # A reply that took a usual time: one submitted seconds after it was prepared would be
    # excluded as too fast, leave the input unchanged, and its run would compute nothing.
    response.started_at = timezone.now() - TYPICAL_DURATION
    Response.objects.filter(pk=response.pk).update(started_at=response.started_at)
    assessment_id = bench.assessment.pk
    after = (
        AggregationRun.objects.filter(assessment_id=assessment_id)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )
    cpu = cpu_seconds(worker_pid)
    started = time.perf_counter()
    response_submit(response=response)
    submitted = time.perf_counter()
    run_id, polls = _wait_for_scores(assessment_id, after, started + LATENCY_TIMEOUT_SECONDS)
    scored = time.perf_counter()
    cpu = cpu_seconds(worker_pid) - cpu
    run = AggregationRun.objects.select_related("assessment__survey").get(pk=run_id)
    png = render_matrix(run, MatrixView(language=MATRIX_LANGUAGE), "png")
    rendered = time.perf_counter()
    if not png.startswith(b"\x89PNG"):
        raise SystemExit("the matrix is not a PNG")
    if run.started_at is None or run.duration_ms is None:
        raise SystemExit(f"run {run.pk} has no timings")
    return Latency(
        bare=float("nan"),
        scores=scored - started,
        matrix=rendered - started,
        submit=submitted - started,
        queued=(run.started_at - run.created_at).total_seconds(),
        running=run.duration_ms / 1000,
        render=rendered - scored,
        worker_cpu=cpu,
        polls=polls,
    )


def latency(
    bench: BenchSurvey, worker: Worker, queue: str, repetitions: int, rng: random.Random
) -> list[Latency]:
    """`repetitions` pairs (after WARM_UP untimed ones): a bare round trip and a new reply
    submitted through to its scores and matrix, their order alternating, each timed once
    an untimed round trip has come back (the worker idle). Each reply is a
    complete response in progress, prepared beforehand (untimed), so each run's input,
    and fingerprint, is new."""
    tokens = prepare_responses(bench, WARM_UP + repetitions, rng)
    results = []
    for number, token in enumerate(tokens):
        # After its scores a run's task renders its pages' files (eight matrix files,
        # seconds): "the last submit" finds the worker idle, and so does each baseline.
        if number % 2:
            _bare_round_trip(queue)  # untimed: the worker has finished what it had
            real = _submit_to_matrix(bench, token, worker.pid)
            _bare_round_trip(queue)
            bare = _bare_round_trip(queue)
        else:
            _bare_round_trip(queue)
            bare = _bare_round_trip(queue)
            real = _submit_to_matrix(bench, token, worker.pid)
        if number >= WARM_UP:
            results.append(replace(real, bare=bare))
    return results
