"""The submit path under load: the real site under gunicorn on 127.0.0.1, the load
generator in a second process, and phases of four kinds (bare baseline, submit POST,
whole walk with the survey's script, whole walk without it) alternating round after
round in the same server.

Imported by benchmarks.submit_path once Django is set up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count

from benchmarks.loadgen import WALKS, Job, Result, spawn
from benchmarks.report import markdown_table, ms, percentile, say
from benchmarks.respondents import (
    BenchSurvey,
    baseline_bodies,
    bench_survey,
    prepare_responses,
)
from benchmarks.server import (
    BASE_DIR,
    Server,
    collect_static,
    cpu_seconds,
    gunicorn,
    server_environment,
)
from benchmarks.submit_costs import LOAD_TOPICS, WALK_KINDS, WALK_NAMES
from surveys.models import Response, ResponseStatus

TARGET = 0.70
# Issue #16: a respondent's whole walk, landing to thanks, costs the server at most this
# many times the CPU of the bare baseline POST.
WALK_CPU_TARGET = 10.0
WARMUP_SECONDS = 3.0
WARMUP_SUBMISSIONS = 150
BASELINE_BODIES = 256  # distinct ratings, cycled
MODES = ("baseline", "submit", "walk", "walk-noscript")
MODE_LABELS = {
    "baseline": "bare baseline",
    "submit": "real: submit POST",
    "walk": "real: whole walk, with the script",
    "walk-noscript": "real: whole walk, without script",
}
WORK_DIR = BASE_DIR / "var" / "benchmarks"


@dataclass(frozen=True)
class Phase:
    mode: str
    round: int
    result: Result
    web_cpu: float  # seconds of CPU used by the gunicorn workers during the phase
    database_cpu: float  # ... and by the PostgreSQL backends serving them
    load: float  # the machine's 1-minute load average when the phase started

    @property
    def rate(self) -> float:
        return self.result.submissions / self.result.elapsed_seconds

    def latency(self, share: float) -> float:
        return percentile(self.result.submission_seconds, share)

    @property
    def cpu_per_submission(self) -> float:
        return (self.web_cpu + self.database_cpu) / self.result.submissions


@dataclass(frozen=True)
class Summary:
    mode: str
    rate: float
    p50: float
    p95: float
    web_cpu: float  # per submission, median over rounds
    database_cpu: float
    requests_per_submission: float
    # Paired with the baseline phase of the same round (next to it in time, so under
    # the same background load), then the median over rounds.
    rate_ratio: float
    cpu_ratio: float  # baseline's CPU per submission ÷ this path's
    cpu_multiple: float  # this path's CPU per submission ÷ the baseline's


def summarise(phases: list[Phase]) -> dict[str, Summary]:
    baseline = {p.round: p for p in phases if p.mode == "baseline"}
    summaries = {}
    for mode in MODES:
        mine = [p for p in phases if p.mode == mode]
        if not mine:
            continue
        submissions = sum(p.result.submissions for p in mine)
        summaries[mode] = Summary(
            mode=mode,
            rate=statistics.median(p.rate for p in mine),
            p50=statistics.median(p.latency(0.50) for p in mine),
            p95=statistics.median(p.latency(0.95) for p in mine),
            web_cpu=statistics.median(p.web_cpu / p.result.submissions for p in mine),
            database_cpu=statistics.median(p.database_cpu / p.result.submissions for p in mine),
            requests_per_submission=sum(p.result.requests for p in mine) / submissions,
            rate_ratio=statistics.median(p.rate / baseline[p.round].rate for p in mine),
            cpu_ratio=statistics.median(
                baseline[p.round].cpu_per_submission / p.cpu_per_submission for p in mine
            ),
            cpu_multiple=statistics.median(
                p.cpu_per_submission / baseline[p.round].cpu_per_submission for p in mine
            ),
        )
    return summaries


def verdict(ratio: float) -> str:
    if ratio >= TARGET:
        return f"target ≥ {TARGET:.0%}: **met**"
    return f"target ≥ {TARGET:.0%}: **missed** by {(TARGET - ratio) * 100:.0f} points"


def walk_verdict(multiple: float) -> str:
    if multiple <= WALK_CPU_TARGET:
        return f"target ≤ {WALK_CPU_TARGET:g}×: **met**"
    return f"target ≤ {WALK_CPU_TARGET:g}×: **missed** by {multiple - WALK_CPU_TARGET:.1f}×"


def throughput_table(summaries: dict[str, Summary], *, database_counted: bool) -> str:
    how = {
        "walk": "each step's POST answered with the next page",
        "walk-noscript": "each POST redirected, the page then fetched",
    }
    what = {
        "baseline": "1 POST inserting the response and its answers",
        "submit": "1 POST of the review page (answers saved before, untimed)",
        **{
            mode: f"{summaries[mode].requests_per_submission:.0f} requests, landing to "
            f"thanks, {how[mode]}"
            for mode in WALKS
            if mode in summaries
        },
    }
    rows = []
    for mode, summary in summaries.items():
        baseline = mode == "baseline"
        rows.append(
            [
                MODE_LABELS[mode],
                what[mode],
                f"{summary.rate:.1f}",
                ms(summary.p50),
                ms(summary.p95),
                f"{ms(summary.web_cpu)} + "
                + (ms(summary.database_cpu) if database_counted else "?"),
                "—" if baseline else f"{summary.rate_ratio:.0%}",
                "—" if baseline else f"{summary.cpu_ratio:.0%}",
                "—" if baseline else f"{summary.cpu_multiple:.1f}×",
            ]
        )
    headers = [
        "path",
        "one submission is",
        "submissions/s",
        "p50 ms",
        "p95 ms",
        "CPU ms per submission (web + database)",
        "real ÷ baseline, submissions/s",
        "baseline ÷ real, CPU",
        "real ÷ baseline, CPU",
    ]
    return markdown_table(headers, rows)


def rounds_table(phases: list[Phase], rounds: int) -> str:
    """Each round's phases; a walk's CPU per submission also as a multiple of the
    baseline's in the same round."""
    rows = []
    for number in range(rounds):
        mine = {p.mode: p for p in phases if p.round == number}
        cells = []
        for mode in MODES:
            phase = mine.get(mode)
            if phase is None:
                cells.append("—")
                continue
            multiple = ""
            if mode in WALKS and "baseline" in mine:
                ratio = phase.cpu_per_submission / mine["baseline"].cpu_per_submission
                multiple = f" = {ratio:.1f}×"
            cells.append(
                f"{phase.rate:.1f}/s, {ms(phase.cpu_per_submission)} ms CPU{multiple} "
                f"(load {phase.load:.1f})"
            )
        rows.append([str(number + 1), " → ".join(mine), *cells])
    return markdown_table(["round", "order", *(MODE_LABELS[m] for m in MODES)], rows)


def walk_steps_table(phases: list[Phase]) -> str:
    pooled: dict[tuple[str, str], list[float]] = defaultdict(list)
    for phase in phases:
        if phase.mode in WALKS:
            for kind, values in phase.result.latencies.items():
                pooled[phase.mode, kind].extend(values)
    rows = [
        [
            WALK_NAMES[mode],
            kind,
            str(len(values)),
            ms(percentile(values, 0.5)),
            ms(percentile(values, 0.95)),
        ]
        for (mode, kind), values in sorted(
            pooled.items(), key=lambda kv: (MODES.index(kv[0][0]), _walk_order(kv[0][1]))
        )
    ]
    return markdown_table(["walk", "request (under load)", "count", "p50 ms", "p95 ms"], rows)


def _walk_order(kind: str) -> int:
    return WALK_KINDS.index(kind) if kind in WALK_KINDS else len(WALK_KINDS)


def _settle() -> None:
    """Every phase starts from the same database state: no dead rows (autovacuum may be
    off, as on the machine of the first run, and would run on its own schedule anyway)
    and clean shared buffers, so that no phase pays for the one before it."""
    with _cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("CHECKPOINT")


def _database_backends() -> list[int]:
    """The PostgreSQL processes serving the web workers (kept open between requests
    when DATABASE_CONN_MAX_AGE > 0; with 0 each request has its own, uncounted)."""
    with _cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _cpu(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass(frozen=True)
class Plan:
    """What the load generator gets in each phase."""

    links: list[str]  # walks: the group links, one per stakeholder group
    bodies: list[str]  # baseline: complete responses as form bodies, cycled
    warmup_tokens: list[str]  # submit, warm-up: prepared responses, each submitted once
    round_tokens: list[list[str]]  # submit: prepared responses, a fresh set per round

    def items(self, mode: str, round_number: int | None) -> list[str]:
        if mode == "baseline":
            return self.bodies
        if mode in WALKS:
            return self.links
        return self.warmup_tokens if round_number is None else self.round_tokens[round_number]


def _plan(bench: BenchSurvey, args: argparse.Namespace, rng: random.Random) -> Plan:
    say(f"preparing {args.rounds} × {args.max_requests} complete responses to submit")
    return Plan(
        links=[link.path for link in bench.links],
        bodies=baseline_bodies(bench, BASELINE_BODIES, rng),
        warmup_tokens=prepare_responses(bench, WARMUP_SUBMISSIONS, rng),
        round_tokens=[prepare_responses(bench, args.max_requests, rng) for _ in range(args.rounds)],
    )


def _phase(
    args: argparse.Namespace, plan: Plan, server: Server, mode: str, round_number: int | None
) -> Phase:
    warmup = round_number is None
    limit = WARMUP_SUBMISSIONS if warmup else args.max_requests
    job = Job(
        base_url=server.base_url,
        mode=mode,
        concurrency=args.concurrency,
        duration_seconds=WARMUP_SECONDS if warmup else args.phase_seconds,
        max_submissions=limit,
        max_requests=args.max_requests,
        items=plan.items(mode, round_number),
        csrf_path=plan.links[0],
        seed=args.seed,
    )
    _settle()
    load = os.getloadavg()[0]
    web, database = _cpu(server.worker_pids()), _cpu(_database_backends())
    result = spawn(job)
    web_used = _used(web, _cpu(server.worker_pids()))
    database_used = _used(database, _cpu(_database_backends()))
    what = "warm-up" if round_number is None else f"round {round_number + 1}"
    if result.errors:
        samples = "\n".join(result.error_samples)
        raise SystemExit(f"{what} {mode}: {result.errors} failed submissions, e.g.:\n{samples}")
    if result.submissions == 0:
        raise SystemExit(f"{what} {mode}: no submission completed")
    return Phase(
        mode, -1 if round_number is None else round_number, result, web_used, database_used, load
    )


def run_load(args: argparse.Namespace, rng: random.Random) -> tuple[list[Phase], dict[str, Any]]:
    bench = bench_survey(LOAD_TOPICS)
    plan = _plan(bench, args, rng)
    submitted = Response.objects.filter(survey=bench.survey, status=ResponseStatus.SUBMITTED)
    before = submitted.count()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    env = server_environment(
        database_url=args.database,
        conn_max_age=args.conn_max_age,
        cache_url=args.cache_url,
        broker_url=args.broker_url,
        cache_prefix=os.environ["CACHE_KEY_PREFIX"],
        static_root=WORK_DIR / "static",
    )
    say("collecting static files for the server (DEBUG off)")
    collect_static(env)
    phases: list[Phase] = []
    seen = 0
    say(f"starting gunicorn ({args.workers} sync workers)")
    with gunicorn(env, workers=args.workers, log_path=WORK_DIR / "gunicorn.log") as server:
        for mode in MODES:  # every worker loads its templates and code paths, connects
            seen += _phase(args, plan, server, mode, None).result.submissions
        for number in range(args.rounds):
            # The order alternates (A B C D, D C B A, ...) so that drift favours no side.
            order = MODES if number % 2 == 0 else tuple(reversed(MODES))
            for mode in order:
                phase = _phase(args, plan, server, mode, number)
                seen += phase.result.submissions
                phases.append(phase)
                say(
                    f"round {number + 1}/{args.rounds}, {mode}: {phase.result.submissions} "
                    f"in {phase.result.elapsed_seconds:.1f} s = {phase.rate:.1f}/s, "
                    f"{ms(phase.cpu_per_submission)} ms CPU each (load {phase.load:.1f})"
                )
    # Nothing lost, nothing counted twice: every submission the load generator saw is a
    # submitted response in the database, with all its answers.
    stored = submitted.count() - before
    sizes = set(submitted.annotate(n=Count("answers")).values_list("n", flat=True))
    integrity = {"submissions seen": seen, "stored": stored, "answers per response": sizes}
    if stored != seen or len(sizes) != 1:
        raise SystemExit(f"the database does not hold what the load generator saw: {integrity}")
    return phases, {**integrity, "answers per response": sizes.pop()}


@contextmanager
def _cursor() -> Iterator[Any]:
    with connection.cursor() as cursor:
        yield cursor
