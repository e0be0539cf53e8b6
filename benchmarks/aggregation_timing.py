"""In-process timings of the aggregation at one size, beside the bare baselines.

Four things, in rounds whose order alternates (A B C D, D C B A, ...), after one untimed
warm-up of each:

- bare: the official baseline, `bare_sql.GROUP_BY` over the minimal table;
- levels: the fairer baseline, level counts per axis (`bare_sql.LEVEL_COUNTS`);
- read_input: the app's read of a run's input alone (`materiality.aggregation.read_input`);
- run: a whole run, requested (the PENDING row that `aggregation_request` inserts) and
  executed in process (`aggregation_execute`: claim, read, fingerprint, score with the
  bootstrap, write, finish). Every run gets a scoring seed of its own
  (`Assessment.scoring = {"seed": n}`), so its fingerprint is new and it computes
  rather than finding an earlier result ("unchanged").

The run's parts are timed by wrapping the module-level functions `_execute` calls
(read_input, fingerprint, score, _write_scores) for the duration of a run.
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
from benchmarks.server import BASE_DIR
from materiality import aggregation
from materiality.models import AggregationRun, Assessment, RunStatus, RunTrigger

KINDS = ("bare", "levels", "read_input", "run")
PARTS = ("read_input", "fingerprint", "score", "write scores")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Round:
    number: int
    order: tuple[str, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)  # of the round's run


def time_bare(sql: str) -> float:
    with connection.cursor() as cursor:
        started = time.perf_counter()
        bare_sql.group_by(cursor, sql)
        return time.perf_counter() - started


def time_read_input(assessment: Assessment) -> float:
    options = aggregation.run_options(assessment)
    started = time.perf_counter()
    aggregation.read_input(assessment, options)
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
    names = {
        "read_input": "read_input",
        "fingerprint": "fingerprint",
        "score": "score",
        "write scores": "_write_scores",
    }
    with ExitStack() as patches:
        for key, name in names.items():
            timed = _timed(getattr(aggregation, name), key, into)
            patches.enter_context(mock.patch.object(aggregation, name, timed))
        yield


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
        done = aggregation.aggregation_execute(run.pk)
        seconds = time.perf_counter() - started
    if done is None or done.status != RunStatus.SUCCEEDED:
        raise SystemExit(f"run {run.pk} ended {done.status if done else 'missing'}: {done}")
    parts["other"] = seconds - sum(parts.values())
    return seconds, parts, run.pk


def measure(assessment: Assessment, rounds: int, seeds: Seeds) -> list[Round]:
    def once(kind: str, result: Round | None) -> None:
        if kind == "bare":
            seconds = time_bare(bare_sql.GROUP_BY)
        elif kind == "levels":
            seconds = time_bare(bare_sql.LEVEL_COUNTS)
        elif kind == "read_input":
            seconds = time_read_input(assessment)
        else:
            seconds, parts, _run = run_once(assessment, seeds)
            if result is not None:
                result.parts = parts
        if result is not None:
            result.seconds[kind] = seconds

    for kind in KINDS:  # warm-up: caches, plans, JIT, imports
        once(kind, None)
    results = []
    for number in range(1, rounds + 1):
        order = KINDS if number % 2 else tuple(reversed(KINDS))
        result = Round(number, order)
        for kind in order:
            once(kind, result)
        results.append(result)
    return results


# --- Where the time goes ---------------------------------------------------------------


def grouped_query(assessment: Assessment) -> str:
    """The SQL of read_input's grouped count, as PostgreSQL received it."""
    options = aggregation.run_options(assessment)
    with CaptureQueriesContext(connection) as captured:
        aggregation.read_input(assessment, options)
    for query in captured.captured_queries:
        if "GROUP BY" in query["sql"] and "surveys_answer" in query["sql"]:
            return str(query["sql"])
    raise SystemExit("read_input ran no grouped query over surveys_answer")


def explain(query: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}")
        return [str(row[0]) for row in cursor.fetchall()]


def profile_run(assessment: Assessment, seeds: Seeds, limit: int = 12) -> tuple[float, list[str]]:
    """One whole run under cProfile: (seconds, the functions with most own time)."""
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
