"""Benchmark of the submit path on PostgreSQL (docs/benchmarks.md, "Submit path").

    DEBUG=true .venv/bin/python -m benchmarks.submit_path \\
        --database postgres://postgres@127.0.0.1:5432/materia_bench [--write-docs]

1. Queries (and in-process time) of every request of a respondent's walk, at 5, 17 and
   60 topics, counted with CaptureQueriesContext, for the walk a browser running the
   survey's script makes (each step's POST answered with the next page,
   surveys/navigation.py) and the walk without it (each POST redirected, then a GET):
   the submit POST and a page save must cost the same number of queries whatever the
   number of topics (submit_costs.py).
2. Where one request's time goes: wall time, CPU, waiting for PostgreSQL, and a
   cProfile (in process, DEBUG off; submit_costs.py).
3. Throughput under load: the real site under gunicorn on 127.0.0.1 and a load generator
   in a second process. Four kinds of phase alternate, round after round, in the same
   server: the bare baseline (one POST inserting a complete response), the real submit
   POST (answers saved beforehand), and the whole walk with the script and without it.
   Medians over rounds are reported, the real submit against the 70 % target and the
   walk with the script against issue #16's: at most 10 times the baseline's CPU per
   submission (submit_load.py).

This module is the command and the report; it sets Django up before importing the rest.

The database is dropped and created again on every run; its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django

from benchmarks.database import database_recreate
from benchmarks.report import clip, docs_replace, facts_table, machine_facts, say

if TYPE_CHECKING:
    from benchmarks.submit_costs import Profile, RequestCost
    from benchmarks.submit_load import Phase

LIMITS = (
    ("workers", 1, 8),
    ("concurrency", 1, 16),
    ("rounds", 1, 9),
    ("phase_seconds", 1, 120),
    ("max_requests", 1, 10_000),
)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.submit_path", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database",
        required=True,
        help="postgres://... of a database to drop and create (its name must contain 'bench')",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=4, help="simultaneous respondents")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the four phases")
    parser.add_argument("--phase-seconds", type=float, default=10.0, help="bound per phase")
    parser.add_argument(
        "--max-requests", type=int, default=2500, help="bound per phase (HTTP requests)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=60,
        help="DATABASE_CONN_MAX_AGE of the server (0 = a new connection per request)",
    )
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/12",
        help="Redis for the cache (rate-limit counters); keys get a prefix of their own",
    )
    parser.add_argument(
        "--broker-url",
        default="redis://127.0.0.1:6379/13",
        help="Redis database for Celery messages, used by no worker (it is purged)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument(
        "--markdown-out",
        type=Path,
        help="write what --write-docs would put in docs/benchmarks.md to this file instead",
    )
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    # Bounded by design: modest concurrency, short phases, a few thousand requests.
    for name, low, high in LIMITS:
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name.replace('_', '-')} must be between {low} and {high}")
    return args


# --- Report ---------------------------------------------------------------------------


def _report(
    *,
    args: argparse.Namespace,
    command: str,
    facts: dict[str, str],
    costs: dict[int, dict[str, RequestCost]],
    rows_per_response: int,
    profiles: list[Profile],
    phases: list[Phase],
    integrity: dict[str, Any],
) -> str:
    from benchmarks.submit_costs import (
        LOAD_TOPICS,
        PROFILE_BATCHES,
        PROFILE_REQUESTS,
        TIMING_WALKS,
        TOPIC_COUNTS,
        constant_queries,
        profiles_table,
        queries_table,
        walk_time_ratio,
    )
    from benchmarks.submit_load import (
        rounds_table,
        summarise,
        throughput_table,
        verdict,
        walk_steps_table,
        walk_verdict,
    )

    def constant(kind: str, what: str) -> str:
        same, counts = constant_queries(costs, kind)
        return f"{what}: {counts} queries — {'constant' if same else '**grows with the topics**'}."

    summaries = summarise(phases)
    submit, walk, noscript = summaries["submit"], summaries["walk"], summaries["walk-noscript"]
    in_process = {
        mode: walk_time_ratio(costs[LOAD_TOPICS], mode) for mode in ("walk", "walk-noscript")
    }
    submit_profile = next(p for p in profiles if p.label == "submit POST")
    lines = [
        "### Results",
        "",
        f"Generated by `{command}`.",
        "",
        facts_table(facts),
        "",
        f"Server: gunicorn, {args.workers} sync workers, DEBUG off, "
        f"DATABASE_CONN_MAX_AGE={args.conn_max_age}, Redis cache and Celery broker "
        "(no worker: tasks wait in the queue). "
        f"Load: {args.concurrency} simultaneous respondents in a second process; every phase "
        f"stops after {args.phase_seconds:g} s or {args.max_requests} requests; "
        f"{args.rounds} rounds, order alternating.",
        "",
        "#### Queries per request",
        "",
        "Two walks through a group link, in process, each in an assessment of its own: "
        "the walk a browser running the survey's script makes (each step's POST sent with "
        "`X-Materia-Navigate: in-place` and answered with the next page, *in place*) and "
        "the walk without it (each POST answered with a redirect, then a GET of the page). "
        "`a (+b) q` is a statements that read or write data plus b BEGIN/COMMIT/ROLLBACK, "
        "all recorded by `CaptureQueriesContext`; the time is the median of "
        f"{TIMING_WALKS} more walks of each kind with DEBUG off (no network, no "
        "concurrency):",
        "",
        queries_table(costs),
        "",
        constant("submit POST", f"Submit POST at {', '.join(map(str, TOPIC_COUNTS))} topics")
        + " "
        + constant("grid page POST", "Grid page save")
        + " "
        + constant("submit POST (in place)", "In place, the submit with the thanks page")
        + " "
        + constant("grid page POST (in place)", "A grid page save with the next page")
        + f" A complete response is 1 response row and {rows_per_response} answer rows, the "
        "same for both walks, the prepared responses and the baseline (checked on every "
        "run).",
        "",
        f"In process at {LOAD_TOPICS} topics, the walk with the script takes "
        f"{in_process['walk']:.1f}× the time of a bare baseline POST, the walk without it "
        f"{in_process['walk-noscript']:.1f}× (medians).",
        "",
        "Each walk's submit is the first of its assessment: it creates the pending "
        "aggregation run. Every later submit finds that run instead, with "
        f"{submit_profile.statements:.0f} statements; this is what the load phases measure:",
        "",
        "```sql",
        *(clip(sql) for sql in submit_profile.sql),
        "```",
        "",
        "#### Submissions per second under load (17 topics)",
        "",
        throughput_table(summaries, database_counted=args.conn_max_age > 0),
        "",
        "Submissions/s, latencies (of one submission: a request, or a whole walk) and CPU "
        f"are medians over the {args.rounds} rounds. Each ratio pairs a real phase with the "
        "baseline phase of its round, next to it in time and so under the same background "
        "load, and takes the median over rounds. CPU is what the gunicorn workers and the "
        "PostgreSQL backends serving them used during the phase, per submission: the "
        "server's cost of a submission, which other processes on the machine disturb less "
        "than throughput (compare the rounds below).",
        "",
        f"**Real submit: {submit.rate_ratio:.0%} of the baseline's submissions per second** "
        f"({verdict(submit.rate_ratio)}); by CPU per submission {submit.cpu_ratio:.0%}.",
        "",
        "**The whole walk a browser makes, with the script "
        f"({walk.requests_per_submission:.0f} requests): {walk.cpu_multiple:.1f}× the "
        f"baseline's CPU per submission** ({walk_verdict(walk.cpu_multiple)}); "
        f"{walk.rate_ratio:.1%} of the baseline's submissions per second. Without the "
        f"script ({noscript.requests_per_submission:.0f} requests): "
        f"{noscript.cpu_multiple:.1f}× by CPU, {noscript.rate_ratio:.1%} of the rate.",
        "",
        rounds_table(phases, args.rounds),
        "",
        f"Integrity: {integrity['stored']} submitted responses stored for "
        f"{integrity['submissions seen']} submissions seen by the load generator "
        f"(warm-up included), each with {integrity['answers per response']} answers.",
        "",
        "#### The whole walks, request by request",
        "",
        walk_steps_table(phases),
        "",
        "#### Where one request's time goes",
        "",
        f"In process, DEBUG off, {PROFILE_REQUESTS} requests in {PROFILE_BATCHES} batches, "
        "the median batch: wall time, the Django process's own CPU (what other processes "
        "on the machine disturb least) and the time spent waiting for PostgreSQL (every "
        "statement and COMMIT; psycopg's own work counts in both):",
        "",
        profiles_table(profiles),
        "",
        f"A submit POST under cProfile (ms per request; {submit_profile.ms:.1f} ms without "
        "the profiler). The project's functions by cumulative time, then all functions by "
        "own time:",
        "",
        "```",
        *submit_profile.top_project,
        "",
        *submit_profile.top_own,
        "```",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.submit_path " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    rng = random.Random(args.seed)
    say(f"creating the database afresh: {args.database}")
    database_recreate(args.database)
    # This process measures in process too: the same database, cache and broker as the
    # server, so that the submit hook sends its task to Redis here as well.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        MATERIA_BENCHMARK="1",
        DATABASE_URL=args.database,
        DATABASE_CONN_MAX_AGE=str(args.conn_max_age),
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=args.cache_url,
        CACHE_KEY_PREFIX=f"materia-bench-{os.getpid()}",
        CELERY_BROKER_URL=args.broker_url,
        LOG_LEVEL="WARNING",
    )
    for name in ("CELERY_RESULT_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)
    django.setup()
    # Everything below imports Django models, so only now.
    from django.core.management import call_command

    from benchmarks.broker import broker_check_unused, broker_purge
    from benchmarks.respondents import bench_survey, check_same_rows
    from benchmarks.submit_costs import (
        LOAD_TOPICS,
        TOPIC_COUNTS,
        profile_requests,
        request_costs,
    )
    from benchmarks.submit_load import run_load

    broker_check_unused()
    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    facts = machine_facts()
    say("counting queries at " + ", ".join(f"{c} topics" for c in TOPIC_COUNTS))
    costs = {count: request_costs(count, rng) for count in TOPIC_COUNTS}
    rows_per_response = check_same_rows(bench_survey(LOAD_TOPICS), rng)
    say("profiling single requests")
    profiles = profile_requests(rng)
    try:
        phases, integrity = run_load(args, rng)
    finally:
        say(f"purged {broker_purge()} task messages from the benchmark's broker")
    facts["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    report = _report(
        args=args,
        command=command,
        facts=facts,
        costs=costs,
        rows_per_response=rows_per_response,
        profiles=profiles,
        phases=phases,
        integrity=integrity,
    )
    print(report)
    for profile in profiles:
        print(f"\n{profile.label}: most own time, then project functions by cumulative time")
        print("\n".join(profile.top_own))
        print("  --")
        print("\n".join(profile.top_project))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "facts": facts,
                    "queries": {c: {k: asdict(v) for k, v in costs[c].items()} for c in costs},
                    "profiles": [asdict(p) for p in profiles],
                    "phases": [asdict(p) for p in phases],
                },
                indent=1,
            )
        )
    if args.write_docs:
        docs_replace("submit-path", report)
        say("docs/benchmarks.md updated")
    if args.markdown_out:
        args.markdown_out.write_text(report.strip() + "\n")
        say(f"{args.markdown_out} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
