"""Benchmark of the aggregation on PostgreSQL (docs/benchmarks.md, "Aggregation").

    DEBUG=true .venv/bin/python -m benchmarks.aggregation \\
        --database postgres://postgres@127.0.0.1:5432/materia_bench_agg [--write-docs]

A survey's grid ratings are kept as counts (`surveys.tallies`): each run folds the replies
submitted since the last one into them, then reads them. For each size (1,151, 100,000
and 1,000,000 replies by default), on tables holding that size alone:

1. Load: synthetic replies written with COPY into the app's tables, exactly as the app
   stores them (proved once against the engine's own loader), and the same replies into
   a minimal table; VACUUM ANALYZE (replies_copy.py). The replies are written marked
   with a batch of the counts, as the engine's bulk store writes them, and then counted
   set-based (`tally_batch_count`), timed beside the bare GROUP BY.
2. The first run after the load, in the real worker (its replies counted at load); its
   time beside the bare GROUP BY measured right before and right after it, and the
   worker's peak memory. Then VACUUM ANALYZE of the responses and the counts, as
   autovacuum would.
3. The steady state, in process, in alternating rounds: the bare GROUP BY over the
   minimal table (the official baseline), level counts over it (a fairer one), the app's
   read_input alone and a whole run, bootstrap included, each of these two after 10 new
   replies; from 100,000 replies also a run after 1,000 new replies
   (aggregation_timing.py).
4. A steady-state run (10 new replies) in the real worker, its peak memory read from
   /proc around it (aggregation_worker.py).
5. At 1,151 replies: from the submit of one more reply to its scores, and to the
   re-rendered matrix, through the real broker and worker, beside a bare Celery round
   trip running the bare GROUP BY (aggregation_worker.py).

The database is dropped and created again on every run (its name must contain "bench")
and dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg
from psycopg import sql

from benchmarks.database import database_name, database_recreate
from benchmarks.report import docs_replace, facts_table, machine_facts, markdown_table, say
from benchmarks.server import BASE_DIR

if TYPE_CHECKING:
    from benchmarks.aggregation_timing import NewReplies, Round, Seeds, Statement
    from benchmarks.aggregation_worker import Latency, MemoryRun
    from benchmarks.celery_worker import Worker
    from benchmarks.replies_copy import Load
    from benchmarks.respondents import BenchSurvey

DEMO_REPLIES = 1151
SIZE_LIMITS = (100, 2_000_000)
RUN_TARGET = 1.5  # a run at most 1.5 times the bare GROUP BY, at 1,000,000 replies
MEMORY_TARGET_MIB = 300
COLD_TARGET = 3.0  # the first run after a bulk load, at most 3 times the bare GROUP BY
SCORES_TARGET = 0.2  # seconds, submit -> scores, at 1,151 replies
MATRIX_TARGET = 0.5  # seconds, submit -> scores -> matrix
LATENCY_RATIO_TARGET = 5.0  # submit -> scores ÷ the bare round trip (issue #16)
POSTGRES_EXTRA = ("work_mem", "max_parallel_workers_per_gather", "jit", "max_wal_size")
LOG_PATH = BASE_DIR / "var" / "benchmarks" / "aggregation-worker.log"
QUEUE = "materia-bench-aggregation"  # the memory runs' own queue (latency: the app's)


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    low, high = SIZE_LIMITS
    if not sizes or not all(low <= size <= high for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must lie between {low:,} and {high:,}")
    return sizes


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.aggregation", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database",
        required=True,
        help="postgres://... of a database to drop and create (its name must contain 'bench')",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes("1151,100000,1000000"),
        help="numbers of replies, comma-separated (default 1151,100000,1000000)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per size (3-9)")
    parser.add_argument(
        "--repetitions", type=int, default=15, help="latency repetitions at 1,151 (10-100)"
    )
    parser.add_argument("--seed", type=int, default=2021, help="seed of the synthetic replies")
    parser.add_argument(
        "--broker-url",
        default="redis://127.0.0.1:6379/10",
        help="Redis database for Celery messages, of this benchmark alone",
    )
    parser.add_argument(
        "--result-backend",
        default="redis://127.0.0.1:6379/11",
        help="Redis database for Celery results, of this benchmark alone",
    )
    parser.add_argument(
        "--worker-conn-max-age",
        type=int,
        default=0,
        help="DATABASE_CONN_MAX_AGE of the worker (0, the default: a connection per task)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    args = parser.parse_args(argv)
    if not 3 <= args.rounds <= 9:
        parser.error("--rounds must be between 3 and 9")
    if not 10 <= args.repetitions <= 100:
        parser.error("--repetitions must be between 10 and 100")
    for url in (args.broker_url, args.result_backend):
        parts = urlsplit(url)
        if parts.scheme != "redis" or parts.hostname != "127.0.0.1":
            parser.error(f"{url}: only redis://127.0.0.1 is used")
    return args


@dataclass
class LoadCount:
    """The loaded replies counted set-based at load time (`tally_batch_count`: one INSERT
    … SELECT … GROUP BY for the ratings, one for the durations), as the engine's bulk
    store and the reply import count theirs, between two bare GROUP BYs."""

    bare_before: float
    seconds: float
    bare_after: float

    @property
    def ratio(self) -> float:
        return self.seconds / ((self.bare_before + self.bare_after) / 2)


@dataclass
class ColdBuild:
    """The first run after a bulk load, in the worker (the replies counted at load)."""

    bare_before: float  # the bare GROUP BY right before the run, in process
    bare_after: float  # and right after it
    run: MemoryRun
    vacuum_seconds: float  # VACUUM ANALYZE of the responses and counts afterwards

    @property
    def bare(self) -> float:
        return (self.bare_before + self.bare_after) / 2

    @property
    def ratio(self) -> float:
        return self.run.wall_seconds / self.bare


@dataclass
class SizeResult:
    replies: int
    load: Load
    counted: LoadCount
    cold: ColdBuild
    rounds: list[Round]
    memory: MemoryRun  # a steady-state run in the worker
    load_average: float  # 1-minute load average when the timed rounds began
    survey_replies: int  # replies in the survey after the rounds and the worker's run
    latency: list[Latency] = field(default_factory=list)

    def has(self, kind: str) -> bool:
        return all(kind in r.seconds for r in self.rounds)

    def median(self, kind: str) -> float:
        return statistics.median(r.seconds[kind] for r in self.rounds)

    def ratio(self, kind: str, baseline: str) -> float:
        """Median over rounds of kind ÷ baseline within a round (next to it in time)."""
        return statistics.median(r.seconds[kind] / r.seconds[baseline] for r in self.rounds)

    def part(self, name: str, *, burst: bool = False) -> float:
        return statistics.median((r.burst_parts if burst else r.parts)[name] for r in self.rounds)


@dataclass
class Diagnosis:
    replies: int
    profile_seconds: float
    profile: list[str]
    statements: list[Statement]  # of a steady-state read_input
    first_fold: list[Statement]  # of the set-based count at load
    plans: dict[str, list[str]]


# --- Report ---------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _s(seconds: float) -> str:
    return f"{seconds:,.1f}"


def _all(values: Sequence[float]) -> str:
    return ", ".join(f"{v * 1000:,.0f}" for v in values)


def _p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def load_table(results: Sequence[SizeResult]) -> str:
    rows = []
    for r in results:
        s = r.load.seconds
        rows.append(
            [
                f"{r.replies:,}",
                f"{r.load.answer_rows:,}",
                f"{r.load.minimal_rows:,}",
                _s(s["surveys_response"]),
                _s(s["surveys_answer"]),
                f"{r.load.answer_rows / s['surveys_answer']:,.0f}",
                _s(s["bench_replies"]),
                _s(s["foreign keys checked"]),
                _s(s["vacuum analyze"]),
                _s(r.load.total_seconds),
            ]
        )
    return markdown_table(
        [
            "replies",
            "answer rows",
            "minimal rows",
            "COPY responses s",
            "COPY answers s",
            "answer rows/s",
            "COPY minimal s",
            "FK check s",
            "VACUUM ANALYZE + CHECKPOINT s",
            "total s",
        ],
        rows,
    )


def cold_table(results: Sequence[SizeResult]) -> str:
    rows = []
    for r in results:
        c, m = r.cold, r.cold.run
        rows.append(
            [
                f"{r.replies:,}",
                f"{_ms(c.bare_before)}, {_ms(c.bare_after)}",
                _ms(m.wall_seconds),
                f"{m.run_ms:,}",
                f"**{c.ratio:.2f}×**",
                f"{m.peak_mib:.1f} ({m.growth_mib:+.1f})",
                f"{m.worker_cpu_ms:,.0f}",
                f"{m.postgres_temp_mib:.1f}",
                _s(c.vacuum_seconds),
            ]
        )
    return markdown_table(
        [
            "replies",
            "bare GROUP BY ms, right before and after",
            "first run after the load: send → result ms",
            "run's own ms",
            "÷ bare GROUP BY (mean of the two)",
            "worker peak MiB (peak - before)",
            "worker CPU ms",
            "PostgreSQL temp files MiB",
            "VACUUM ANALYZE afterwards s",
        ],
        rows,
    )


def count_table(results: Sequence[SizeResult]) -> str:
    rows = [
        [
            f"{r.replies:,}",
            f"{_ms(r.counted.bare_before)}, {_ms(r.counted.bare_after)}",
            _ms(r.counted.seconds),
            f"**{r.counted.ratio:.2f}×**",
        ]
        for r in results
    ]
    return markdown_table(
        [
            "replies",
            "bare GROUP BY ms, right before and after",
            "count at load ms",
            "÷ bare GROUP BY (mean of the two)",
        ],
        rows,
    )


def timing_table(results: Sequence[SizeResult]) -> str:
    from benchmarks.aggregation_timing import BURST_KIND

    rows = []
    for r in results:
        bare, levels = r.median("bare"), r.median("levels")
        read, run = r.median("read_input"), r.median("run")
        burst = r.has(BURST_KIND)
        rows.append(
            [
                f"{r.replies:,}",
                _ms(bare),
                _ms(levels),
                _ms(read),
                _ms(run),
                f"**{r.ratio('run', 'bare'):.2f}×**",
                f"{r.ratio('run', 'levels'):.2f}×",
                f"{r.ratio('read_input', 'bare'):.2f}×",
                _ms(r.median(BURST_KIND)) if burst else "–",
                f"{r.ratio(BURST_KIND, 'bare'):.2f}×" if burst else "–",
                f"{r.survey_replies:,}",
                f"{r.load_average:.1f}",
            ]
        )
    return markdown_table(
        [
            "replies (minimal table)",
            "bare GROUP BY ms (official baseline)",
            "bare level counts ms",
            "read_input ms (10 new replies)",
            "whole run ms (10 new replies)",
            "run ÷ bare GROUP BY",
            "run ÷ level counts",
            "read_input ÷ bare GROUP BY",
            "whole run ms (1,000 new replies)",
            "that run ÷ bare GROUP BY",
            "replies in the survey at the end",
            "load average (1 min) at start",
        ],
        rows,
    )


def parts_table(results: Sequence[SizeResult]) -> str:
    from benchmarks.aggregation_timing import BURST_KIND, PARTS

    names = [*PARTS, "other"]
    rows = []
    for r in results:
        for burst in (False, True) if r.has(BURST_KIND) else (False,):
            run = r.median(BURST_KIND if burst else "run")
            rows.append(
                [
                    f"{r.replies:,}",
                    "1,000" if burst else "10",
                    _ms(run),
                    *(
                        f"{_ms(r.part(n, burst=burst))} ({r.part(n, burst=burst) / run:.0%})"
                        for n in names
                    ),
                ]
            )
    return markdown_table(
        ["replies", "new replies", "whole run ms", *(f"{n} ms" for n in names)], rows
    )


def rounds_table(results: Sequence[SizeResult]) -> str:
    from benchmarks.aggregation_timing import BURST_KIND, KINDS

    kinds = (*KINDS, BURST_KIND)
    rows = [
        [
            f"{r.replies:,}",
            *(_all([x.seconds[kind] for x in r.rounds]) if r.has(kind) else "–" for kind in kinds),
        ]
        for r in results
    ]
    return markdown_table(["replies", *(f"{kind} ms, rounds 1…n" for kind in kinds)], rows)


def memory_table(results: Sequence[SizeResult]) -> str:
    rows = []
    for r in results:
        for m in (r.cold.run, r.memory):
            rows.append(
                [
                    f"{r.replies:,}",
                    m.state,
                    f"{m.rss_before_mib:.1f}",
                    f"{m.peak_mib:.1f}",
                    f"{m.growth_mib:+.1f}",
                    f"{m.rss_after_mib:.1f}",
                    _ms(m.wall_seconds),
                    f"{m.run_ms:,}",
                    f"{m.worker_cpu_ms:,.0f}",
                    f"{m.postgres_temp_mib:.1f}",
                ]
            )
    return markdown_table(
        [
            "replies",
            "run",
            "worker RSS before MiB",
            "peak during the run MiB (VmHWM)",
            "peak - before MiB",
            "RSS after MiB",
            "send → result ms",
            "run's own ms",
            "worker CPU ms",
            "PostgreSQL temp files MiB",
        ],
        rows,
    )


def statements_table(statements: Sequence[Statement]) -> str:
    from benchmarks.report import clip

    return markdown_table(
        ["#", "ms", "statement"],
        [
            [str(i), _ms(st.seconds), f"`{clip(' '.join(st.sql.split()), 150)}`"]
            for i, st in enumerate(statements, 1)
        ],
    )


def latency_table(samples: Sequence[Latency]) -> str:
    def row(label: str, values: list[float], target: str = "") -> list[str]:
        return [label, _ms(statistics.median(values)), _ms(_p90(values)), _all(values), target]

    return markdown_table(
        ["", "median ms", "p90 ms", "all (ms)", "target"],
        [
            row("bare Celery round trip (GROUP BY in the worker)", [s.bare for s in samples]),
            row(
                "**submit → updated scores**",
                [s.scores for s in samples],
                f"< {SCORES_TARGET * 1000:.0f} ms",
            ),
            row(
                "**submit → scores → matrix PNG**",
                [s.matrix for s in samples],
                f"< {MATRIX_TARGET * 1000:.0f} ms",
            ),
            row("of which: the submit call (its hook sends the task)", [s.submit for s in samples]),
            row("of which: run created → claimed by the worker", [s.queued for s in samples]),
            row("of which: the run, claimed → finished", [s.running for s in samples]),
            row("of which: matrix_spec + PNG, after the scores", [s.render for s in samples]),
            row("the worker's CPU meanwhile (the run's task)", [s.worker_cpu for s in samples]),
        ],
    )


def _verdict(value: float, target: float, unit: str = "") -> str:
    if value <= target:
        return f"**met** ({value:.2f}{unit} ≤ {target:g}{unit})"
    return f"**missed** ({value:.2f}{unit} > {target:g}{unit}, {value / target:.1f}× the target)"


def verdicts(results: Sequence[SizeResult]) -> list[str]:
    from benchmarks.aggregation_timing import BURST_KIND, BURST_REPLIES, NEW_REPLIES

    lines = []
    largest = results[-1]
    ratio = largest.ratio("run", "bare")
    lines.append(
        f"- Run ÷ bare GROUP BY at {largest.replies:,} replies, a run after "
        f"{NEW_REPLIES} new replies (it folds them into the counts): "
        f"{_verdict(ratio, RUN_TARGET, '×')}"
        + ("" if largest.replies == 1_000_000 else " (the target is stated at 1,000,000)")
        + "."
    )
    if largest.has(BURST_KIND):
        lines.append(
            f"  After {BURST_REPLIES:,} new replies (a run that coalesced a burst): "
            f"{largest.ratio(BURST_KIND, 'bare'):.2f}×."
        )
    cold, counted = largest.cold, largest.counted
    lines.append(
        f"- The first run after the bulk load of {largest.replies:,} replies (counted at "
        f"load time): {_verdict(cold.ratio, COLD_TARGET, '×')} ({cold.run.wall_seconds:,.1f} "
        f"s). The set-based count at load itself: {counted.seconds:,.1f} s, "
        f"**{counted.ratio:.1f}×** the bare GROUP BY."
    )
    peaks = [r.memory.peak_mib for r in results]
    cold_peaks = [r.cold.run.peak_mib for r in results]
    sizes = ", ".join(f"{r.replies:,}" for r in results)
    lines.append(
        f"- Worker's peak memory, steady-state run: {', '.join(f'{p:.0f}' for p in peaks)} "
        f"MiB at {sizes} replies; growth from the smallest to the largest size "
        f"{peaks[-1] - peaks[0]:+.1f} MiB; at {largest.replies:,} "
        f"{_verdict(peaks[-1], MEMORY_TARGET_MIB, ' MiB')}. The first run after the load "
        f"(its replies counted at load): {', '.join(f'{p:.0f}' for p in cold_peaks)} MiB; at "
        f"{largest.replies:,} {_verdict(cold_peaks[-1], MEMORY_TARGET_MIB, ' MiB')}."
    )
    for r in results:
        if r.latency:
            scores = statistics.median(s.scores for s in r.latency)
            matrix = statistics.median(s.matrix for s in r.latency)
            bare = statistics.median(s.bare for s in r.latency)
            lines.append(
                f"- Submit → scores at {r.replies:,} replies (median; the run folds the one "
                f"new reply): {_verdict(scores, SCORES_TARGET, ' s')}; with the matrix: "
                f"{_verdict(matrix, MATRIX_TARGET, ' s')}. The bare round trip: "
                f"{bare * 1000:.1f} ms; submit → scores ÷ the bare round trip (medians): "
                f"{_verdict(scores / bare, LATENCY_RATIO_TARGET, '×')}."
            )
    return lines


def report(
    *,
    command: str,
    facts: dict[str, str],
    args: argparse.Namespace,
    results: list[SizeResult],
    rows_checked: int,
    diagnosis: Diagnosis,
) -> str:
    from benchmarks.aggregation_timing import BURST_FROM, BURST_REPLIES, NEW_REPLIES
    from materiality.scoring import Params

    latency = next((r for r in results if r.latency), None)
    lines = [
        "### Results",
        "",
        f"Generated by `{command}`.",
        "",
        facts_table(facts),
        "",
        *verdicts(results),
        "",
        "#### Loading (COPY)",
        "",
        f"Synthetic replies (seed {args.seed}), the model company's group mix scaled up; "
        "one COPY per table, foreign keys checked once after the load. The COPY-loaded rows "
        f"equal those of the engine's `replies_load` for the same 1,151 replies ({rows_checked:,}"
        " rows compared, ids and times aside). Loaded replies are submitted, marked with a "
        "batch of the counts and counted right after the load (below).",
        "",
        load_table(results),
        "",
        "#### Counting at load, then the first run after the load",
        "",
        "The replies are written by COPY already marked with a batch of the survey's "
        "counts (`tally_batch_reserve`), as the engine's bulk store (`replies_load`, the "
        "reply import) writes them; right after the load (and its VACUUM ANALYZE) they are "
        "counted set-based, as the bulk store does in its own transaction: "
        "`tally_batch_count`, one INSERT … SELECT … GROUP BY of the ratings and one of "
        "the durations, no row through Python. Timed in process between two bare GROUP "
        "BYs:",
        "",
        count_table(results),
        "",
        "Then, with no VACUUM in between (an import asks for its run at once), the first "
        "run after the load, in the real worker (as below: sent through the broker, VmHWM "
        "reset just before). Its send → result time is divided by the mean of the bare "
        "GROUP BY measured in process right before and right after it. Then VACUUM "
        "ANALYZE of the responses and the counts, which autovacuum would do (it is off on "
        "this server).",
        "",
        cold_table(results),
        "",
        "#### The steady state: a run after new replies, beside the bare GROUP BY (in process)",
        "",
        f"Medians of {args.rounds} rounds, order alternating, after one untimed warm-up of "
        "each. A ratio divides each round's figure by the baseline measured in the same "
        "round, next to it in time, and takes the median over rounds. Before every "
        f"`read_input` and every run, {NEW_REPLIES} new submitted replies are added "
        "(untimed, the engine's `replies_load`, a seed of their own), so each folds new "
        f"replies as a run after submissions does; from {BURST_FROM:,} replies, also a run "
        f"after {BURST_REPLIES:,} new replies (a coalesced run after a burst). The minimal "
        "table is not given the new replies: the bare GROUP BY reads the loaded ones only "
        "(last column but one: how many the survey held at the end). Every run has a "
        "scoring seed of its own (a new fingerprint: it computes, with "
        f"{Params().bootstrap_samples} bootstrap resamples, instead of finding an earlier "
        "result).",
        "",
        timing_table(results),
        "",
        "Where a whole run's time goes (medians). `read_input`, one transaction, is split "
        "into the fold (`tally_current`: lock the counts, mark the new replies, count their "
        "ratings and durations into the counts and update the tally, the last three one "
        "statement on PostgreSQL; rebuild if the counts are stale), `reply_durations` (the "
        "duration counts: median and exclusions), `rating_cells` (one statement: sum the "
        "rating counts of the bands kept, less the answers of the too-fast replies in the "
        "band the limit cuts through) and the rest (COMMIT); `other` is the request's "
        "INSERT, the claim, the assessment's topics, groups and grids (read once per run), "
        "`run_options`, the look-up of an equal earlier run, the lock, the finish and "
        "COMMIT:",
        "",
        parts_table(results),
        "",
        "Every round (ms):",
        "",
        rounds_table(results),
        "",
        "#### The worker's memory",
        "",
        "Runs in a real `celery -A config worker --pool=solo` process (DEBUG off, as in "
        f"production; DATABASE_CONN_MAX_AGE={args.worker_conn_max_age}), sent through the "
        "broker; "
        "VmHWM is reset (`/proc/<pid>/clear_refs`) just before the task is sent. At each "
        "size, the first run after the load (its replies counted at load) and, after the timed "
        f"rounds, a steady-state run ({NEW_REPLIES} new replies, the counts already built).",
        "",
        memory_table(results),
        "",
    ]
    if latency is not None:
        from benchmarks.aggregation_worker import POLL_SECONDS, WARM_UP

        lines += [
            f"#### From the last submit to updated scores ({latency.replies:,} replies)",
            "",
            f"{len(latency.latency)} repetitions after {WARM_UP} untimed ones, each a new "
            "complete response submitted with `response_submit` in this process; its hook "
            "sends the run's task through Redis to the worker (the run folds that one "
            "reply into the counts), and this process polls the database every "
            f"{POLL_SECONDS * 1000:g} ms until the run has succeeded and its "
            "scores exist. The matrix (English "
            "PNG, `render_matrix`, as the results page renders it on first view) is then "
            "rendered here, on the clock. Beside each, in alternating order: a bare round "
            "trip, a task running the bare GROUP BY over the same replies' minimal table in "
            "the same worker, timed from send to result. Each is timed once an untimed "
            "round trip has come back: the worker is idle (it has rendered the files of "
            "the run before), as at the last submit.",
            "",
            latency_table(latency.latency),
            "",
        ]
    lines += [
        f"#### Where the time goes at {diagnosis.replies:,} replies",
        "",
        f"A steady-state run ({NEW_REPLIES} new replies) under cProfile "
        f"({diagnosis.profile_seconds:.1f} s with the profiler), functions by own time:",
        "",
        "```",
        *diagnosis.profile,
        "```",
        "",
        f"Every statement of a steady-state `read_input` ({NEW_REPLIES} new replies), in "
        "order, as Django timed it (fetching included):",
        "",
        statements_table(diagnosis.statements),
        "",
        "The statements of the set-based count at load, as Django timed them:",
        "",
        statements_table(diagnosis.first_fold),
        "",
    ]
    for label, plan in diagnosis.plans.items():
        lines += [f"{label}:", "", "```", *plan, "```", ""]
    return "\n".join(lines)


# --- The run --------------------------------------------------------------------------


def _facts() -> dict[str, str]:
    from django.db import connection

    facts = machine_facts()
    facts.pop("gunicorn / psycopg", None)
    facts["psycopg / numpy / matplotlib / Celery"] = " / ".join(
        version(name) for name in ("psycopg", "numpy", "matplotlib", "celery")
    )
    with connection.cursor() as cursor:
        shown = []
        for name in POSTGRES_EXTRA:
            cursor.execute(f"SHOW {name}")
            row = cursor.fetchone()
            shown.append(f"{name}={row[0] if row else '?'}")
    facts["database"] += ", " + ", ".join(shown)
    return facts


def _forget_results(url: str) -> None:
    """The results the worker stored (the runs the submits asked for included): the
    result backend is the benchmark's own Redis database, nobody will read them."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match="celery-task-meta-*", count=1000))
    if keys:
        client.delete(*keys)


def database_drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = database_name(url)
    parts = urlsplit(url)
    maintenance = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _check_counted(survey_id: int, expected: int, when: str) -> None:
    """SystemExit unless the survey's counts hold `expected` replies."""
    from surveys.models import RatingTally

    held = RatingTally.objects.filter(survey_id=survey_id).values_list("responses", flat=True)
    counted = next(iter(held), 0)
    if counted != expected:
        raise SystemExit(f"{when}: the counts hold {counted:,} replies, not {expected:,}")


def _count_at_load(
    bench: BenchSurvey, size: int, batch: int, *, explain: bool
) -> tuple[LoadCount, tuple[list[Statement], list[str]]]:
    """The loaded replies (marked `batch`) counted set-based, as the bulk store counts
    its own, between two bare GROUP BYs; with `explain`, its statements and afterwards
    the plan of its grouped count of ratings (EXPLAIN ANALYZE of the SELECT alone, under
    the settings the count sets, in a transaction rolled back)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from benchmarks.aggregation_timing import Statement, time_bare
    from benchmarks.aggregation_timing import explain as explain_sql
    from benchmarks.bare_sql import GROUP_BY
    from surveys.tallies import LARGE_FOLD, LARGE_SETTINGS, tally_batch_count

    _check_counted(bench.survey.pk, 0, "after the load")
    time_bare(GROUP_BY)  # untimed: the minimal table's pages and plan, as in the rounds
    before = time_bare(GROUP_BY)
    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        with transaction.atomic():
            tally_batch_count(bench.survey.pk, batch, size)
        seconds = time.perf_counter() - began
    after = time_bare(GROUP_BY)
    statements = [Statement(str(q["sql"]), float(q["time"])) for q in captured.captured_queries]
    plan: list[str] = []
    if explain:
        ratings = next(st.sql for st in statements if st.matches("INSERT", "surveys_ratingcount"))
        select = ratings[ratings.index(" SELECT ") + 1 : ratings.index(" ON CONFLICT")]
        with transaction.atomic(), connection.cursor() as cursor:
            if size >= LARGE_FOLD:
                for setting in LARGE_SETTINGS:
                    cursor.execute(f"SET LOCAL {setting} = off")
            plan = explain_sql(select)
            transaction.set_rollback(True)
    return LoadCount(before, seconds, after), (statements, plan)


def _cold_build(
    bench: BenchSurvey, worker: Worker, seeds: Seeds, size: int, queue: str
) -> ColdBuild:
    """The first run after the load (its replies counted at load), in the worker,
    between two bare GROUP BYs; then VACUUM ANALYZE of what the load's count wrote."""
    from benchmarks.aggregation_timing import time_bare
    from benchmarks.aggregation_worker import worker_memory_run
    from benchmarks.bare_sql import GROUP_BY
    from benchmarks.replies_copy import COUNT_TABLES, vacuum_analyze
    from surveys.models import Response

    _check_counted(bench.survey.pk, size, "after the count at load")
    before = time_bare(GROUP_BY)
    run = worker_memory_run(bench, worker, seeds, size, queue, state="cold build")
    after = time_bare(GROUP_BY)
    _check_counted(bench.survey.pk, size, "after the first run")
    began = time.perf_counter()
    vacuum_analyze((Response._meta.db_table, *COUNT_TABLES))
    return ColdBuild(before, after, run, time.perf_counter() - began)


def _diagnosis(
    bench: BenchSurvey,
    size: int,
    seeds: Seeds,
    new: NewReplies,
    first: tuple[list[Statement], list[str]],
) -> Diagnosis:
    from benchmarks.aggregation_timing import (
        counts_sum,
        explain,
        fold_count,
        profile_run,
        read_input_statements,
        select_of,
        too_fast_subtraction,
    )
    from benchmarks.bare_sql import GROUP_BY, LEVEL_COUNTS

    profile_seconds, profile = profile_run(bench.assessment, seeds, new)
    statements = read_input_statements(bench.assessment, new)
    fold = fold_count(statements)
    summed = counts_sum(statements)
    fast = too_fast_subtraction(statements)
    first_statements, first_plan = first
    plans = {
        f"The count at load: the grouped count of the {size:,} replies' ratings (its SELECT, "
        "right after the count, under the settings the count sets), EXPLAIN ANALYZE": (first_plan),
        "The fold's grouped count of ratings in a steady-state run (its new replies), "
        "EXPLAIN ANALYZE": explain(select_of(fold.sql)),
        "The sum of the counts (rating_cells), EXPLAIN ANALYZE": explain(summed.sql),
    }
    if fast is not None:
        plans["The too-fast replies' answers, subtracted (rating_cells), EXPLAIN ANALYZE"] = (
            explain(fast.sql)
        )
    # Every other read that takes a noticeable share of read_input, whatever it is.
    shown = {fold.sql, summed.sql, fast.sql if fast else ""}
    total = sum(st.seconds for st in statements)
    for number, st in enumerate(statements, 1):
        if st.sql.startswith("SELECT") and st.sql not in shown and st.seconds >= 0.05 * total:
            plans[f"Statement {number} of read_input ({_ms(st.seconds)} ms), EXPLAIN ANALYZE"] = [
                f"-- {' '.join(st.sql.split())}",
                *explain(st.sql),
            ]
    plans["The bare GROUP BY, EXPLAIN ANALYZE"] = explain(GROUP_BY)
    plans["The bare level counts, EXPLAIN ANALYZE"] = explain(LEVEL_COUNTS)
    return Diagnosis(size, profile_seconds, profile, statements, first_statements, plans)


def _measure(
    args: argparse.Namespace, rng: random.Random
) -> tuple[list[SizeResult], int, Diagnosis]:
    from django.db import transaction

    from benchmarks.aggregation_timing import (
        NEW_REPLIES,
        NewReplies,
        Seeds,
        measure,
    )
    from benchmarks.aggregation_worker import latency, worker_memory_run
    from benchmarks.celery_worker import celery_worker, worker_environment
    from benchmarks.replies_copy import (
        check_same_rows,
        copy_replies,
        replies_per_group,
        truncate_replies,
    )
    from benchmarks.respondents import bench_survey
    from materiality.demo.shape import DEMO_REPLIES_PER_GROUP
    from materiality.demo.storing import replies_load
    from materiality.models import Assessment
    from surveys.models import Response, ResponseStatus
    from surveys.tallies import tally_batch_reserve

    bench = bench_survey(17)
    say("checking the COPY loader against replies_load (1,151 replies)")
    engine = bench_survey(17)
    replies_load(
        assessment=engine.assessment, replies_per_group=DEMO_REPLIES_PER_GROUP, seed=args.seed
    )
    copy_replies(args.database, bench.assessment, DEMO_REPLIES_PER_GROUP, args.seed)
    rows_checked = check_same_rows(bench.assessment, engine.assessment)
    truncate_replies()

    seeds = Seeds()
    new = NewReplies(first_seed=args.seed + 1)  # the new replies: seeds of their own
    queue = QUEUE
    env = worker_environment(
        database_url=args.database,
        broker_url=args.broker_url,
        result_backend=args.result_backend,
        conn_max_age=args.worker_conn_max_age,
    )
    results: list[SizeResult] = []
    diagnosis: Diagnosis | None = None
    say("starting the Celery worker")
    from config.celery import app

    with celery_worker(
        env, queues=(app.conf.task_default_queue, queue), log_path=LOG_PATH
    ) as worker:
        for size in args.sizes:
            say(f"{size:,} replies: emptying the reply tables and counts, loading with COPY")
            truncate_replies()
            with transaction.atomic():
                batch = tally_batch_reserve(bench.survey.pk)
            load = copy_replies(
                args.database, bench.assessment, replies_per_group(size), args.seed, batch
            )
            steps = ", ".join(f"{k} {v:.1f} s" for k, v in load.seconds.items())
            say(f"{size:,} replies: {load.answer_rows:,} answer rows; {steps}")
            counted, first = _count_at_load(bench, size, batch, explain=size == args.sizes[-1])
            say(
                f"{size:,} replies: counted at load in {counted.seconds:.2f} s "
                f"({counted.ratio:.2f}× the bare GROUP BY)"
            )
            say(f"{size:,} replies: the first run after the load")
            cold = _cold_build(bench, worker, seeds, size, queue)
            say(
                f"{size:,} replies: first run {cold.run.wall_seconds:.2f} s "
                f"({cold.ratio:.2f}× the bare GROUP BY), worker peak {cold.run.peak_mib:.1f} MiB; "
                f"VACUUM ANALYZE {cold.vacuum_seconds:.1f} s"
            )
            say(f"{size:,} replies: {args.rounds} timed rounds")
            load_average = os.getloadavg()[0]
            rounds = measure(bench.assessment, size, args.rounds, seeds, new)
            say(f"{size:,} replies: a steady-state run in the worker, its memory")
            new.add(bench.assessment, NEW_REPLIES)
            memory = worker_memory_run(bench, worker, seeds, size, queue, state="steady state")
            submitted = Response.objects.filter(
                survey_id=bench.survey.pk, status=ResponseStatus.SUBMITTED
            ).count()
            _check_counted(bench.survey.pk, submitted, "after the steady-state runs")
            result = SizeResult(size, load, counted, cold, rounds, memory, load_average, submitted)
            if size == DEMO_REPLIES:
                say(f"{size:,} replies: latency through the broker and the worker")
                Assessment.objects.filter(pk=bench.assessment.pk).update(scoring={})
                result.latency = latency(
                    bench, worker, app.conf.task_default_queue, args.repetitions, rng
                )
            if size == args.sizes[-1]:
                say(f"{size:,} replies: profile, statements and query plans")
                diagnosis = _diagnosis(bench, size, seeds, new, first)
            results.append(result)
            say(
                f"{size:,} replies: bare {result.median('bare') * 1000:.1f} ms, "
                f"read_input {result.median('read_input') * 1000:.1f} ms, "
                f"run {result.median('run') * 1000:.1f} ms "
                f"({result.ratio('run', 'bare'):.2f}×), "
                f"worker peak {memory.peak_mib:.1f} MiB"
            )
    assert diagnosis is not None
    return results, rows_checked, diagnosis


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.aggregation " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    rng = random.Random(args.seed)
    say(f"creating the database afresh: {args.database}")
    database_recreate(args.database)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=args.database,
        CELERY_BROKER_URL=args.broker_url,
        CELERY_RESULT_BACKEND=args.result_backend,
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DEBUG", "true")
    for name in ("REDIS_URL", "EMAIL_HOST", "DATABASE_CONN_MAX_AGE"):
        os.environ.pop(name, None)
    django.setup()
    from django.core.management import call_command

    from benchmarks.broker import broker_check_unused, broker_purge

    broker_check_unused()
    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    facts = _facts()
    started = time.monotonic()
    try:
        results, rows_checked, diagnosis = _measure(args, rng)
    finally:
        say(f"purged {broker_purge()} task messages from the benchmark's broker")
        _forget_results(args.result_backend)
        if not args.keep:
            database_drop(args.database)
            say(f"dropped {database_name(args.database)}")
    facts["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    facts["benchmark duration"] = f"{(time.monotonic() - started) / 60:.1f} min"
    text = report(
        command=command,
        facts=facts,
        args=args,
        results=results,
        rows_checked=rows_checked,
        diagnosis=diagnosis,
    )
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "facts": facts,
                    "sizes": [asdict(r) for r in results],
                    "diagnosis": asdict(diagnosis),
                },
                indent=1,
                default=str,
            )
        )
    if args.write_docs:
        docs_replace("aggregation", text)
        say("docs/benchmarks.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
