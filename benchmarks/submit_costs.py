"""Single requests of the submit path, in process (Django's test client, DEBUG off):
how many queries each request of a walk sends at 5, 17 and 60 topics, with the survey's
script (each step's POST answered with the next page) and without it, and where one
request's time goes (CPU, waiting for PostgreSQL, a cProfile).

Imported by benchmarks.submit_path once Django is set up.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings

from benchmarks.loadgen import WALKS
from benchmarks.report import markdown_table, ms, spread
from benchmarks.respondents import (
    Poster,
    Walk,
    baseline_bodies,
    bench_survey,
    first_page_answers,
    prepare_responses,
    walk,
)
from benchmarks.server import BASE_DIR

TOPIC_COUNTS = (5, 17, 60)
LOAD_TOPICS = 17  # the seed vocabulary: what a real first assessment asks
TIMING_WALKS = 5
PROFILE_REQUESTS = 100
PROFILE_BATCHES = 5
# The requests of a walk, in order: with the survey's script each step's POST answers
# with the next page (a questionnaire page, the review, the thanks page) ...
IN_PLACE_KINDS = (
    "start POST (in place)",
    "grid page POST (in place)",
    "last page POST (in place)",  # as "last page" below
    "submit POST (in place)",
)
# ... without it, with a redirect to the page, fetched by a GET.
NOSCRIPT_KINDS = (
    "start POST",
    "grid page GET",
    "grid page POST",
    "last page GET",  # a page without a grid (none in the assessment's questionnaire)
    "last page POST",
    "review GET",
    "submit POST",
    "thanks GET",
)
WALK_KINDS = ("landing GET", *IN_PLACE_KINDS, *NOSCRIPT_KINDS)
# How the tables name the two walks (loadgen.WALKS: the mode, and whether it runs the script).
WALK_NAMES = {"walk": "with the script", "walk-noscript": "without the script"}


@dataclass(frozen=True)
class RequestCost:
    queries: list[int]
    transaction: list[int]
    seconds: list[float]


def whole_walk(mode: str) -> str:
    return f"whole walk, {WALK_NAMES[mode]}"


def requests_per_walk(mode: str) -> str:
    return f"requests per walk, {WALK_NAMES[mode]}"


def request_costs(topic_count: int, rng: random.Random) -> dict[str, RequestCost]:
    # An assessment for each walk, so that both counted submits are the first of their
    # assessment (the first creates the pending aggregation run, later ones find it).
    benches = {mode: bench_survey(topic_count) for mode in WALKS}
    counted = {
        mode: walk(benches[mode].links[0], rng, in_place=in_place, count_queries=True)
        for mode, in_place in WALKS.items()
    }
    timed: dict[str, list[Walk]] = {mode: [] for mode in WALKS}
    with override_settings(DEBUG=False):
        for mode, in_place in WALKS.items():  # warm: templates, translations, code paths
            walk(benches[mode].links[0], rng, in_place=in_place)
        for number in range(TIMING_WALKS):
            for mode, in_place in WALKS.items():  # one after the other: drift favours neither
                link = benches[mode].links[number % len(benches[mode].links)]
                timed[mode].append(walk(link, rng, in_place=in_place))
        bench = benches["walk"]
        poster = Poster(bench.links[0], count_queries=True)
        warm, *bodies = baseline_bodies(bench, TIMING_WALKS + 1, rng)
        poster.baseline(warm)  # its first request loads the bare view's code
        bare = [poster.baseline(body) for body in bodies]
    costs: dict[str, RequestCost] = {}
    every_timed = [w for walks in timed.values() for w in walks]
    for kind in WALK_KINDS:  # the landing GET, the same in both walks, counts as one
        steps = [s for w in counted.values() for s in w.steps if s.kind == kind]
        seconds = [s.seconds for w in every_timed for s in w.steps if s.kind == kind]
        if steps:
            costs[kind] = RequestCost(
                [s.queries for s in steps], [s.transaction for s in steps], seconds
            )
    for mode in WALKS:
        costs[whole_walk(mode)] = RequestCost(
            [sum(s.queries for s in counted[mode].steps)],
            [sum(s.transaction for s in counted[mode].steps)],
            [sum(s.seconds for s in w.steps) for w in timed[mode]],
        )
        costs[requests_per_walk(mode)] = RequestCost([len(counted[mode].steps)], [0], [])
    costs["baseline POST"] = RequestCost(
        [s.queries for s in bare], [s.transaction for s in bare], [s.seconds for s in bare]
    )
    return costs


def walk_time_ratio(costs: dict[str, RequestCost], mode: str) -> float:
    """A whole walk's time in process ÷ a bare baseline POST's (medians)."""
    return statistics.median(costs[whole_walk(mode)].seconds) / statistics.median(
        costs["baseline POST"].seconds
    )


def queries_table(costs: dict[int, dict[str, RequestCost]]) -> str:
    rows = []
    labels = {
        "submit POST": "**submit POST** (review page)",
        "grid page POST": "**grid page save POST**",
        "baseline POST": "bare baseline POST (all rows)",
    }
    first = ["submit POST", "grid page POST"]
    order = [
        *first,
        "landing GET",
        *IN_PLACE_KINDS,
        whole_walk("walk"),
        *(k for k in NOSCRIPT_KINDS if k not in first),
        whole_walk("walk-noscript"),
        "baseline POST",
    ]
    for kind in order:
        if all(kind not in costs[count] for count in TOPIC_COUNTS):
            continue  # a page of the questionnaire's own kind only (a comment page, say)
        cells = []
        for count in TOPIC_COUNTS:
            cost = costs[count].get(kind)
            if cost is None:
                cells.append("—")
                continue
            time_ms = ms(statistics.median(cost.seconds)) if cost.seconds else "?"
            cells.append(f"{spread(cost.queries)} (+{spread(cost.transaction)}) q · {time_ms} ms")
        rows.append([labels.get(kind, kind), *cells])
    for mode in WALKS:
        requests = [str(costs[c][requests_per_walk(mode)].queries[0]) for c in TOPIC_COUNTS]
        rows.append([requests_per_walk(mode), *requests])
    return markdown_table(["request", *(f"{c} topics" for c in TOPIC_COUNTS)], rows)


def constant_queries(costs: dict[int, dict[str, RequestCost]], kind: str) -> tuple[bool, str]:
    counts = sorted({q for c in TOPIC_COUNTS for q in costs[c][kind].queries})
    return len(counts) == 1, "/".join(str(c) for c in counts)


# --- 2. Where a request's time goes ---------------------------------------------------


class DatabaseClock:
    """Time spent waiting for PostgreSQL: every statement (an execute wrapper) and every
    COMMIT, which the wrapper does not see and which waits for the WAL to reach disk."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            self.seconds += time.perf_counter() - started
            self.statements += 1

    @contextmanager
    def watching(self) -> Iterator[None]:
        wrapper = connections[DEFAULT_DB_ALIAS]
        # COMMIT goes through the private BaseDatabaseWrapper._commit (absent from
        # django-stubs, hence getattr): an instance attribute shadows it for this
        # measurement only and is removed afterwards.
        original = getattr(wrapper, "_commit")  # noqa: B009

        def timed_commit() -> None:
            started = time.perf_counter()
            try:
                original()
            finally:
                self.seconds += time.perf_counter() - started

        wrapper.__dict__["_commit"] = timed_commit
        try:
            with wrapper.execute_wrapper(self):
                yield
        finally:
            del wrapper.__dict__["_commit"]


@dataclass(frozen=True)
class Profile:
    label: str
    ms: float  # wall time per request
    cpu_ms: float  # CPU of this (the Django) process per request
    database_ms: float  # waiting for PostgreSQL per request
    statements: float
    top_own: list[str]
    top_project: list[str]
    sql: tuple[str, ...] = ()


def _short(path: str) -> str:
    for marker in ("site-packages/", f"{BASE_DIR}/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _profile(label: str, call: Callable[[int], object]) -> Profile:
    """`call(i)` PROFILE_REQUESTS times plainly, in batches (wall time, this process's
    CPU, time waiting for PostgreSQL; the median batch, so that a burst of other work on
    the machine does not decide), then as many times under cProfile (which functions).
    DEBUG is off, as on the server."""
    batches: list[tuple[float, float, float, int]] = []
    with override_settings(DEBUG=False):
        call(0)  # the first request of a kind loads templates and translations
        size = PROFILE_REQUESTS // PROFILE_BATCHES
        for batch in range(PROFILE_BATCHES):
            clock = DatabaseClock()
            with clock.watching():
                wall, cpu = time.perf_counter(), time.thread_time()
                for number in range(1 + batch * size, 1 + (batch + 1) * size):
                    call(number)
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            batches.append((wall / size, cpu / size, clock.seconds / size, clock.statements))
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(PROFILE_REQUESTS + 1, 2 * PROFILE_REQUESTS + 1):
            call(number)
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    per = 1000 / PROFILE_REQUESTS

    def line(key: tuple[str, int, str], value: float) -> str:
        path, number, function = key
        where = f"{_short(path)}:{number}" if number else "built-in"
        return f"{value * per:7.2f} ms  {function}  ({where})"

    own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    project = sorted(
        (
            item
            for item in stats.items()
            if any(f"{BASE_DIR}/{app}/" in item[0][0] for app in ("surveys", "materiality"))
        ),
        key=lambda item: item[1][3],
        reverse=True,
    )[:10]
    return Profile(
        label=label,
        ms=statistics.median(b[0] for b in batches) * 1000,
        cpu_ms=statistics.median(b[1] for b in batches) * 1000,
        database_ms=statistics.median(b[2] for b in batches) * 1000,
        statements=sum(b[3] for b in batches) / (size * PROFILE_BATCHES),
        top_own=[line(key, value[2]) for key, value in own],
        top_project=[line(key, value[3]) for key, value in project],
    )


def profile_requests(rng: random.Random) -> list[Profile]:
    bench = bench_survey(LOAD_TOPICS)
    tokens = prepare_responses(bench, 2 * PROFILE_REQUESTS + 3, rng)
    started = prepare_responses(bench, 2 * PROFILE_REQUESTS + 1, rng, answered=False)
    bodies = baseline_bodies(bench, 2 * PROFILE_REQUESTS + 1, rng)
    page = first_page_answers(bench, rng)
    poster = Poster(bench.links[0])
    review = f"/s/r/{tokens[-1]}/review/"
    profiles = [
        _profile("submit POST", lambda n: poster.submit(tokens[n])),
        # A first save, as in a walk (saving a page again also deletes its old answers).
        _profile("grid page save POST", lambda n: poster.save_page(started[n], page)),
        _profile("review GET", lambda n: poster.browser.request("review GET", review)),
        _profile("bare baseline POST", lambda n: poster.baseline(bodies[n])),
    ]
    # The statements of one more submit, as every submit but the first sends them
    # (the first one of an assessment creates its pending aggregation run).
    poster.browser.count_queries = True
    profiles[0] = replace(profiles[0], sql=poster.submit(tokens[-2]).sql)
    return profiles


def profiles_table(profiles: list[Profile]) -> str:
    rows = [
        [
            p.label,
            f"{p.ms:.2f}",
            f"{p.cpu_ms:.2f}",
            f"{p.database_ms:.2f}",
            f"{p.statements:.0f}",
        ]
        for p in profiles
    ]
    headers = [
        "request (17 topics)",
        "ms",
        "Django's CPU",
        "waiting for PostgreSQL",
        "statements",
    ]
    return markdown_table(headers, rows)
