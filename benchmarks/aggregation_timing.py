"""In-process timings of the aggregation at one size, beside the bare baselines.

A survey's grid ratings are kept as counts (`surveys.tallies`): a run first folds the
replies submitted since the last run into them, then reads the counts. The timed rounds
measure that steady state, after the counts were built once (the first run after the bulk
load, measured on its own: benchmarks/aggregation.py). Before every timed `read_input`
and every timed run, `NEW_REPLIES` new submitted replies are added, untimed, with the
engine's own loader (`replies_load`, a seed of their own), so that every timed read folds
new replies as a run after new submissions does. The minimal table of the bare baselines
does not get them: its GROUP BY reads slightly fewer rows than the app holds, which can
only flatter the baseline.

Things timed, in rounds whose order alternates (A B C D, D C B A, ...), after one untimed
warm-up of each:

- bare: the official baseline, `bare_sql.GROUP_BY` over the minimal table;
- levels: the fairer baseline, level counts per axis (`bare_sql.LEVEL_COUNTS`);
- read_input: the app's read of a run's input alone (`materiality.runs.inputs.read_input`:
  fold the new replies, verify, read the counts);
- run: a whole run, requested (the PENDING row that `aggregation_request` inserts) and
  executed in process (`aggregation_execute`: claim, read, fingerprint, score with the
  bootstrap, write, finish);
- run_burst (at sizes of `BURST_FROM` replies and more): a whole run after
  `BURST_REPLIES` new replies, a run that coalesced a burst of submissions.

Every run gets a scoring seed of its own (`Assessment.scoring = {"seed": n}`), so its
fingerprint is new and it computes rather than finding an earlier result ("unchanged").
The run's parts are timed by wrapping the module-level functions `_execute` and
`read_input` call (read_input, and within it tally_current, which folds the new
replies, reply_durations, rating_cells; fingerprint, score, _write_scores) for the
duration of a run.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar
from unittest import mock

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import bare_sql
from benchmarks.replies_copy import replies_per_group
from benchmarks.server import BASE_DIR
from materiality.demo.storing import replies_load
from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger
from materiality.runs import execution, inputs
from materiality.runs.options import run_options

KINDS = ("bare", "levels", "read_input", "run")
BURST_KIND = "run_burst"
NEW_REPLIES = 10  # added before every timed read_input and run: each folds new replies
BURST_REPLIES = 1000  # added before every run_burst
BURST_FROM = 100_000  # smaller surveys would grow by more than 1 % a round
# The parts of a whole run; the first five are read_input's.
READ_PARTS = ("fold (tally_current)", "reply_durations", "rating_cells", "read rest")
PARTS = (*READ_PARTS, "fingerprint", "score", "write scores")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Round:
    number: int
    order: tuple[str, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)  # of the round's run
    burst_parts: dict[str, float] = field(default_factory=dict)  # of the round's run_burst


class NewReplies:
    """Submitted replies added to the survey (untimed), each batch with a seed of its own:
    the counts have not taken them in yet, as after real submissions."""

    def __init__(self, first_seed: int) -> None:
        self.next_seed = first_seed
        self.added = 0

    def add(self, assessment: Assessment, count: int) -> None:
        seed, self.next_seed = self.next_seed, self.next_seed + 1
        loaded = replies_load(
            assessment=assessment,
            replies_per_group=replies_per_group(count),
            seed=seed,
            batch_size=500,
            count=False,  # as submitted replies: the timed run folds them
        )
        if loaded != count:
            raise SystemExit(f"replies_load added {loaded} replies, not {count}")
        self.added += loaded


def time_bare(sql: str) -> float:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        bare_sql.group_by(cursor, sql)
        return time.perf_counter() - started


def time_read_input(assessment: Assessment) -> float:
    options = run_options(assessment)
    started = time.perf_counter()
    inputs.read_input(assessment, options)
    return time.perf_counter() - started


def _timed(function: Callable[P, R], key: str, into: dict[str, float]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            into[key] = into.get(key, 0.0) + time.perf_counter() - started

    return wrapper


@contextmanager
def _parts_timed(into: dict[str, float]) -> Iterator[None]:
    # Each part is patched where it is called: a run's steps in `execution`, the reads
    # of the counts in `inputs`.
    names = {
        "read_input": (execution, "read_input"),
        "fold (tally_current)": (inputs, "tally_current"),
        "reply_durations": (inputs, "reply_durations"),
        "rating_cells": (inputs, "rating_rows"),  # `rating_cells` as a run reads it
        "fingerprint": (execution, "fingerprint"),
        "score": (execution, "score"),
        "write scores": (execution, "_write_scores"),
    }
    with ExitStack() as patches:
        for key, (module, name) in names.items():
            timed = _timed(getattr(module, name), key, into)
            patches.enter_context(mock.patch.object(module, name, timed))
        yield
    inner = sum(into.get(key, 0.0) for key in READ_PARTS[:-1])
    into["read rest"] = into.pop("read_input", 0.0) - inner


class Seeds:
    """A new scoring seed for every run, so that no run is "unchanged"."""

    def __init__(self, start: int = 1) -> None:
        self.next = start

    def use(self, assessment: Assessment) -> int:
        seed, self.next = self.next, self.next + 1
        Assessment.objects.filter(pk=assessment.pk).update(scoring={"seed": seed})
        return seed


def run_once(assessment: Assessment, seeds: Seeds) -> tuple[float, dict[str, float], int]:
    """A whole run in process: (seconds, parts, run id). SystemExit unless it succeeded."""
    seeds.use(assessment)
    parts: dict[str, float] = {}
    with _parts_timed(parts):
        started = time.perf_counter()
        # What aggregation_request stores; its task is not sent (the benchmark's worker
        # would claim the run), the run is executed here instead.
        run = AggregationRun.objects.create(assessment=assessment, trigger=RunTrigger.MANUAL)
        done = execution.aggregation_execute(run.pk)
        seconds = time.perf_counter() - started
    if done is None or done.status != RunStatus.SUCCEEDED:
        raise SystemExit(f"run {run.pk} ended {done.status if done else 'missing'}: {done}")
    parts["other"] = seconds - sum(parts.values())
    return seconds, parts, run.pk


def kinds_at(replies: int) -> tuple[str, ...]:
    return (*KINDS, BURST_KIND) if replies >= BURST_FROM else KINDS


def measure(
    assessment: Assessment, replies: int, rounds: int, seeds: Seeds, new: NewReplies
) -> list[Round]:
    def once(kind: str, result: Round | None) -> None:
        if kind == "bare":
            seconds = time_bare(bare_sql.GROUP_BY)
        elif kind == "levels":
            seconds = time_bare(bare_sql.LEVEL_COUNTS)
        elif kind == "read_input":
            new.add(assessment, NEW_REPLIES)
            seconds = time_read_input(assessment)
        else:
            new.add(assessment, BURST_REPLIES if kind == BURST_KIND else NEW_REPLIES)
            seconds, parts, _run = run_once(assessment, seeds)
            if result is not None and kind == BURST_KIND:
                result.burst_parts = parts
            elif result is not None:
                result.parts = parts
        if result is not None:
            result.seconds[kind] = seconds

    kinds = kinds_at(replies)
    for kind in KINDS:  # warm-up: caches, plans, JIT, imports (a burst's run: as a run's)
        once(kind, None)
    results = []
    for number in range(1, rounds + 1):
        order = kinds if number % 2 else tuple(reversed(kinds))
        result = Round(number, order)
        for kind in order:
            once(kind, result)
        results.append(result)
    return results


# --- Where the time goes ---------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    sql: str
    seconds: float  # as Django timed it, fetching included

    def matches(self, *words: str) -> bool:
        return all(word in self.sql for word in words)


def read_input_statements(assessment: Assessment, new: NewReplies) -> list[Statement]:
    """Every statement of a steady-state read_input (after `NEW_REPLIES` new replies), as
    PostgreSQL received it, with its time."""
    new.add(assessment, NEW_REPLIES)
    options = run_options(assessment)
    with CaptureQueriesContext(connection) as captured:
        inputs.read_input(assessment, options)
    return [Statement(str(q["sql"]), float(q["time"])) for q in captured.captured_queries]


def fold_count(statements: list[Statement]) -> Statement:
    """The fold's grouped count of one batch's answers."""
    for statement in statements:
        if statement.matches("GROUP BY", '"surveys_answer"', '"tally_batch" = '):
            return statement
    raise SystemExit("read_input folded no batch: no grouped count of a batch's answers")


def select_of(statement: str) -> str:
    """The SELECT of an INSERT … SELECT … ON CONFLICT (the fold's grouped count), to
    EXPLAIN ANALYZE without adding its counts a second time."""
    # On PostgreSQL a run's fold is one statement, the two counts WITH queries of the
    # tally's update: its first SELECT is the grouped count of the ratings.
    if not statement.startswith(("INSERT", "WITH")):
        return statement
    return statement[statement.index(" SELECT ") + 1 : statement.index(" ON CONFLICT")]


def counts_sum(statements: list[Statement]) -> Statement:
    for statement in statements:
        if statement.matches("SUM(", '"surveys_ratingcount"'):
            return statement
    raise SystemExit("read_input summed no rating counts")


def too_fast_subtraction(statements: list[Statement]) -> Statement | None:
    """The grouped count of the too-fast replies' answers (None: no too-fast limit): over
    the counted replies under the limit, not over a batch (the fold's count also names
    durations, to band them)."""
    for statement in statements:
        if (
            statement.matches(
                "GROUP BY", '"surveys_answer"', '"duration_seconds" < ', '"tally_batch" IS NOT NULL'
            )
            and not statement.matches('"tally_batch" = ')
            # Now in the statement that sums the counts (UNION ALL), explained with it.
            and not statement.matches("SUM(", '"surveys_ratingcount"')
        ):
            return statement
    return None


def explain(query: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}")
        return [str(row[0]) for row in cursor.fetchall()]


def profile_run(
    assessment: Assessment, seeds: Seeds, new: NewReplies, limit: int = 12
) -> tuple[float, list[str]]:
    """One whole steady-state run (after `NEW_REPLIES` new replies) under cProfile:
    (seconds, the functions with most own time)."""
    new.add(assessment, NEW_REPLIES)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    try:
        run_once(assessment, seeds)
    finally:
        profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows: list[tuple[float, float, str]] = []
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_cc, _nc, own, cumulative, _callers) in entries.items():
        where = "built-in" if path == "~" else f"{_short(path)}:{line}"
        rows.append((own, cumulative, f"{name}  ({where})"))
    rows.sort(reverse=True)
    return seconds, [
        f"{own * 1000:9.1f} ms own {cumulative * 1000:9.1f} ms cumulative  {label}"
        for own, cumulative, label in rows[:limit]
    ]


def _short(path: str) -> str:
    for marker in ("site-packages/", f"{BASE_DIR}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path
