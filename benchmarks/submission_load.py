"""Issue #16's load test: exactly 10,000 complete responses of the 17-topic questionnaire
(34 ratings each: 340,000), through the real pages and through the public API with
valid tokens, against gunicorn on 127.0.0.1 from a second process, while a real Celery
worker claims the runs the submits ask for (or, with `--worker-after-load`, one run after
the load); then proof that what was stored is what was sent and what was scored. Beside
a bare-Django baseline POST measured in the same run.

    DEBUG=true .venv/bin/python -m benchmarks.submission_load --write-docs

The responses are split three ways (see docs/benchmarks.md, "Submissions at scale"):

- **walk**: whole journeys through a group link, every page shown and saved over HTTP,
  as a browser running the survey's script walks them (each step one POST answered
  with the next page, surveys/navigation.py);
- **submit**: the review page's submit POST of a response whose answers were stored
  before in bulk (the rows a walk's page saves leave, `respondents.check_same_rows`);
- **api**: `POST /api/respond/<token>/` with every answer at once, one personal
  invitation (one response) each.

The bare baseline writes its rows to an assessment of its own, so that the real survey
holds exactly the responses the real paths sent. The whole load is bounded by
`--max-minutes`: past it, the run stops with a message saying how far it got.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import django

from benchmarks.database import database_recreate
from benchmarks.report import (
    docs_replace,
    facts_table,
    machine_facts,
    markdown_table,
    ms,
    percentile,
    say,
)

if TYPE_CHECKING:
    from benchmarks.loadgen import Result
    from benchmarks.respondents import BenchSurvey
    from benchmarks.submission_checks import Aggregation, Check

TOPICS = 17
RATINGS_PER_RESPONSE = TOPICS * 2
ROWS_PER_RESPONSE = RATINGS_PER_RESPONSE + 2  # a topic comment and an overall comment
BASELINE_BODIES = 256  # distinct complete responses, cycled
# Past this, a real respondent's time: the API client says how long they took (seconds).
API_SECONDS = (120, 900)
# Prepared responses were begun this long before their submit, as a person's would be.
PREPARED_SECONDS = (120, 900)
MODE_LABELS = {
    "baseline": "bare baseline (1 POST inserting a response and its 36 rows)",
    "walk": "real pages: whole walk (7 requests with the survey's script, landing to thanks)",
    "submit": "real pages: submit POST of a response saved before",
    "api": "API: POST /api/respond/<token>/ (personal invitation)",
}


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", default="postgres://postgres@127.0.0.1:5432/materia_bench_submissions"
    )
    parser.add_argument("--total", type=int, default=10_000, help="responses in all")
    parser.add_argument("--walks", type=int, default=200, help="of which whole walks")
    parser.add_argument("--api", type=int, default=2_500, help="of which through the API")
    parser.add_argument("--baseline", type=int, default=1_000, help="bare POSTs (two phases)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--max-minutes", type=float, default=45.0, help="bound on the load")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--result-backend", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--worker-after-load",
        action="store_true",
        help="no worker during the load: one run, the cold case, after it "
        "(by default a worker claims runs while the replies arrive)",
    )
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    args.submits = args.total - args.walks - args.api
    if min(args.walks, args.api, args.submits, args.baseline) < 0 or args.total < 1:
        parser.error("--walks + --api must not exceed --total; counts are positive")
    if not 1 <= args.concurrency <= 16 or not 1 <= args.workers <= 8:
        parser.error("--concurrency 1–16, --workers 1–8")
    return args


@dataclass(frozen=True)
class PhaseResult:
    mode: str
    planned: int
    result: Result

    @property
    def rate(self) -> float:
        return self.result.submissions / self.result.elapsed_seconds


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.submission_load " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    rng = random.Random(args.seed)
    say(f"creating the database afresh: {args.database}")
    database_recreate(args.database)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=args.database,
        CELERY_BROKER_URL=args.broker_url,
        CELERY_RESULT_BACKEND=args.result_backend,
        CACHE_KEY_PREFIX=f"bench-submissions-{secrets.token_hex(4)}",
        LOG_LEVEL="WARNING",
    )
    for name in ("REDIS_URL", "EMAIL_HOST", "DATABASE_CONN_MAX_AGE"):
        os.environ.pop(name, None)
    django.setup()
    from django.core.management import call_command

    from benchmarks.broker import broker_check_unused, broker_purge
    from benchmarks.submission_checks import (
        aggregate_in_worker,
        check_runs,
        check_stored,
        settle,
        worker,
    )

    broker_check_unused()
    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    facts = machine_facts()
    try:
        if args.worker_after_load:
            real, phases = _load(args, rng)
            say("the aggregation, in a real Celery worker")
            aggregation = aggregate_in_worker(args, real)
        else:
            say("starting a real Celery worker for the load")
            with worker(args):
                real, phases = _load(args, rng)
                say("waiting for the worker's last run")
                aggregation = settle(real, time.monotonic())
        say("checking what was stored and scored")
        checks = check_stored(real, aggregation.run_id, args.total)
        checks += check_runs(aggregation)
    finally:
        say(f"purged {broker_purge()} task messages")
    facts["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    text = report(command, facts, args, phases, aggregation, checks)
    print(text)
    failed = [name for name, ok, _detail in checks if not ok]
    if args.write_docs and not failed:
        docs_replace("submission-load", text)
        say("docs/benchmarks.md updated")
    if failed:
        raise SystemExit(f"checks failed: {', '.join(failed)}")
    return 0


def _load(args: argparse.Namespace, rng: random.Random) -> tuple[BenchSurvey, list[PhaseResult]]:
    from benchmarks.respondents import baseline_bodies, bench_survey, prepare_responses
    from benchmarks.server import BASE_DIR, collect_static, gunicorn, server_environment
    from benchmarks.submission_checks import api_items, backdate

    real, bare = bench_survey(TOPICS), bench_survey(TOPICS)
    say(f"preparing {args.submits} responses to submit, {args.api} personal invitations")
    tokens = prepare_responses(real, args.submits, rng)
    backdate(real, PREPARED_SECONDS, args.seed)
    items = {
        "baseline": baseline_bodies(bare, BASELINE_BODIES, rng),
        "walk": [link.path for link in real.links],
        "submit": tokens,
        "api": api_items(real, args.api, rng, API_SECONDS),
    }
    work = BASE_DIR / "var" / "benchmarks"
    work.mkdir(parents=True, exist_ok=True)
    env = server_environment(
        database_url=args.database,
        conn_max_age=60,
        cache_url=args.cache_url,
        broker_url=args.broker_url,
        cache_prefix=os.environ["CACHE_KEY_PREFIX"],
        static_root=work / "static",
    )
    # Every client is 127.0.0.1: the API's limit per address is raised out of the way
    # (the throttle still counts every request in Redis, as in production).
    env["API_RESPOND_RATE"] = "1000000/minute"
    collect_static(env)
    half = args.baseline // 2
    plan = [
        ("baseline", half),
        ("walk", args.walks),
        ("submit", args.submits),
        ("api", args.api),
        ("baseline", args.baseline - half),
    ]
    deadline = time.monotonic() + args.max_minutes * 60
    phases: list[PhaseResult] = []
    say(f"starting gunicorn ({args.workers} sync workers)")
    with gunicorn(env, workers=args.workers, log_path=work / "submission-load.log") as server:
        for mode, count in plan:
            if count == 0:
                continue
            phases.append(_phase(args, server.base_url, mode, count, items, deadline, real))
    return real, phases


def _phase(
    args: argparse.Namespace,
    base_url: str,
    mode: str,
    count: int,
    items: dict[str, list[str]],
    deadline: float,
    real: BenchSurvey,
) -> PhaseResult:
    from benchmarks.loadgen import Job, spawn

    left = deadline - time.monotonic()
    if left <= 0:
        raise SystemExit(f"passed --max-minutes {args.max_minutes} before the {mode} phase")
    job = Job(
        base_url=base_url,
        mode=mode,
        concurrency=args.concurrency,
        duration_seconds=left,
        max_submissions=count,
        max_requests=count * 40,
        items=items[mode],
        csrf_path=real.links[0].path,
        seed=args.seed,
    )
    say(f"{mode}: {count} submissions ({left / 60:.1f} min left)")
    result = spawn(job)
    say(
        f"{mode}: {result.submissions} in {result.elapsed_seconds:.1f} s "
        f"= {result.submissions / result.elapsed_seconds:.1f}/s, {result.errors} errors"
    )
    if result.errors:
        samples = "\n".join(result.error_samples)
        raise SystemExit(f"{mode}: {result.errors} error responses, e.g.:\n{samples}")
    if result.submissions != count:
        raise SystemExit(
            f"{mode}: passed --max-minutes {args.max_minutes} with {result.submissions} of "
            f"{count} submissions done; stopped (nothing is checked on a partial load)"
        )
    return PhaseResult(mode, count, result)


def report(
    command: str,
    facts: dict[str, str],
    args: argparse.Namespace,
    phases: list[PhaseResult],
    aggregation: Aggregation,
    checks: list[Check],
) -> str:
    def pooled(mode: str) -> tuple[int, float, list[float], int]:
        mine = [p.result for p in phases if p.mode == mode]
        seconds = [s for r in mine for s in r.submission_seconds]
        return (
            sum(r.submissions for r in mine),
            sum(r.elapsed_seconds for r in mine),
            seconds,
            sum(r.errors for r in mine),
        )

    done, elapsed, _seconds, _errors = pooled("baseline")
    baseline_rate = done / elapsed
    rows = []
    for mode in ("baseline", "walk", "submit", "api"):
        done, elapsed, seconds, errors = pooled(mode)
        if not done:
            continue
        rate = done / elapsed
        rows.append(
            [
                MODE_LABELS[mode],
                f"{done:,}",
                f"{elapsed:.1f}",
                f"{rate:.1f}",
                ms(percentile(seconds, 0.50)),
                ms(percentile(seconds, 0.99)),
                str(errors),
                "—" if mode == "baseline" else f"{rate / baseline_rate:.0%}",
            ]
        )
    real = sum(p.result.submissions for p in phases if p.mode != "baseline")
    real_seconds = sum(p.result.elapsed_seconds for p in phases if p.mode != "baseline")
    check_rows = [[name, "yes" if ok else "**NO**", detail] for name, ok, detail in checks]
    return "\n".join(
        [
            "### Results",
            "",
            f"Generated by `{command}`.",
            "",
            facts_table(facts),
            "",
            f"Server: gunicorn, {args.workers} sync workers, DEBUG off, Redis cache and "
            f"broker, {_worker_sentence(aggregation)}. Load: {args.concurrency} simultaneous "
            f"clients in a second process, the phases one after the other (baseline, walk, "
            f"submit, API, baseline), bounded by {args.max_minutes:g} minutes in all. "
            "Latencies are of one submission (a request, or a whole walk).",
            "",
            markdown_table(
                [
                    "path",
                    "responses",
                    "seconds",
                    "responses/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "÷ baseline, responses/s",
                ],
                rows,
            ),
            "",
            f"The {real:,} real responses took {real_seconds:.0f} s of load "
            f"({real / real_seconds:.1f}/s over the three paths).",
            "",
            _aggregation_sentence(aggregation),
            "",
            markdown_table(["checked after the run", "holds", "figures"], check_rows),
        ]
    )


def _runs_were(count: int) -> str:
    return "1 run was" if count == 1 else f"{count:,} runs were"


def _worker_sentence(aggregation: Aggregation) -> str:
    if aggregation.during_load:
        return "one real Celery worker claiming runs while the replies arrive"
    return "no worker during the load"


def _aggregation_sentence(aggregation: Aggregation) -> str:
    own = f"{aggregation.run_ms / 1000:.2f} s"
    if not aggregation.during_load:
        return (
            "**Aggregation** in a real Celery worker, started after the load: it took the "
            f"one run the submits had asked for ({_runs_were(aggregation.pending_before)} "
            "waiting: they coalesce) and computed it in "
            f"{aggregation.wall_seconds:.1f} s from the "
            f"worker's launch, its start-up included (the run's own time: {own}, "
            "building the survey's rating counts from scratch: the first run after the "
            "load, the cold case)."
        )
    statuses = [r.status for r in aggregation.runs]
    return (
        f"**Aggregation** in a real Celery worker running through the load: the submits "
        f"asked for {len(statuses):,} runs (each waiting run took every reply that came "
        f"while it waited); {statuses.count('succeeded'):,} scored, each folding only the "
        f"replies since the one before, and {statuses.count('unchanged'):,} found their "
        "replies already counted by the run before them. When the load ended, "
        f"{_runs_were(aggregation.pending_before)} waiting; "
        f"no run was waiting or running {aggregation.wall_seconds:.1f} s later. The last "
        f"run, which counted every reply, took {own} of its own."
    )


if __name__ == "__main__":
    sys.exit(main())
