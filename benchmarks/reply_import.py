"""A reply import of 100,000 replies from XLSX through a real Celery worker: from the
click on *Import* to the run's scores, stage by stage as the progress page shows them,
beside two baselines measured in the same run on the same file and rows: openpyxl's raw
read of the workbook (read-only mode, values only) and a bare COPY of the same ratings
into a minimal table followed by its GROUP BY (benchmarks/bare_sql.py).

The file is what Materia's own XLSX responses export writes for a 17-topic survey on two
axes (`reporting/response_files.py`: its two header rows, the anonymised columns, one
rating column per topic × axis), written with openpyxl's write-only mode as the export
is, with seeded random ratings ("don't know" among them). The import follows the page:
the request reads the file's first rows (`read_table_start`), suggests the mapping and
checks those rows, then `reply_import_start` sends the task; the benchmark then reads the
progress from the cache as the page does (REDIS_URL shared with the worker), every
0.2 s, until the import is done and its scores run has finished.

    DEBUG=true .venv/bin/python -m benchmarks.reply_import \\
        --database postgres://postgres@127.0.0.1:5432/materia_bigimport_bench
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import django

from benchmarks.database import database_name, database_recreate
from benchmarks.report import docs_replace, facts_table, machine_facts, markdown_table, say

if TYPE_CHECKING:
    from materiality.models import Assessment

LOG_PATH = Path(__file__).resolve().parent.parent / "var" / "bench" / "reply_import_worker.log"
POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 1800
LEVELS: tuple[int | str, ...] = (1, 2, 3, 4, 5, 5, 4, 4, 3, "don't know")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reply_import")
    parser.add_argument("--database", required=True, help="postgres://... (name with 'bench')")
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--result-backend", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    for url in (args.broker_url, args.result_backend, args.cache_url):
        parts = urlsplit(url)
        if parts.scheme != "redis" or parts.hostname != "127.0.0.1":
            parser.error(f"{url}: only redis://127.0.0.1 is used")
    database_name(args.database)
    return args


def _workbook(
    assessment: Assessment, groups: Sequence[tuple[str, bool]], replies: int, seed: int
) -> tuple[bytes, list[tuple]]:
    """The file, and its ratings as (reply, group, topic, company, stakeholder) rows."""
    from openpyxl import Workbook

    from materiality.reporting.response_files import _grid, _response_columns

    grid = _grid(assessment)
    columns = _response_columns(grid, "en", anonymise=True, include_comments=False)
    topics = [code for code, _label in grid.topics]
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Responses")
    sheet.append([column.code for column in columns])
    sheet.append([column.label for column in columns])
    ratings: list[tuple] = []
    for number in range(1, replies + 1):
        group, internal = groups[number % len(groups)]
        values = [rng.choice(LEVELS) for _cell in range(2 * len(topics))]
        side = "internal" if internal else "external"
        duration = rng.randint(240, 900)
        sheet.append([number, group, group, side, "en", "2026-03-01", duration, "no", *values])
        for index, topic in enumerate(topics):
            company, stakeholder = values[2 * index], values[2 * index + 1]
            ratings.append(
                (
                    number,
                    group,
                    topic,
                    company if isinstance(company, int) else None,
                    stakeholder if isinstance(stakeholder, int) else None,
                )
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), ratings


def _openpyxl_read(content: bytes) -> float:
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert count > 0
    return time.perf_counter() - started


def _bare_copy_group_by(database: str, ratings: list[tuple]) -> float:
    import psycopg

    from benchmarks import bare_sql

    with psycopg.connect(database) as pg, pg.cursor() as cursor:
        cursor.execute(bare_sql.CREATE_TABLE)
        cursor.execute(f"TRUNCATE {bare_sql.TABLE}")
        pg.commit()
        started = time.perf_counter()
        columns = ", ".join(bare_sql.COLUMNS)
        with cursor.copy(f"COPY {bare_sql.TABLE} ({columns}) FROM STDIN") as copy:
            for row in ratings:
                copy.write_row(row)
        bare_sql.group_by(cursor)
        pg.commit()
        return time.perf_counter() - started


def _import(assessment: Assessment, name: str, content: bytes) -> dict[str, object]:
    """Upload, map and import as the pages do; follow the progress until the scores."""
    from django.contrib.auth import get_user_model

    from materiality.importing.context import ReplySheet, import_context
    from materiality.importing.jobs import ImportState, import_progress, reply_import_start
    from materiality.importing.replies import reply_file_check
    from materiality.importing.suggesting import reply_mapping_suggest
    from materiality.importing.tables import read_table_start
    from materiality.importing.uploads import import_job_create
    from materiality.models import AggregationRun, RunStatus

    user = get_user_model().objects.create_user("bench-importer")
    started = time.perf_counter()
    start = read_table_start(name, content)
    sheet = ReplySheet.from_table(start.rows)
    job = import_job_create(
        assessment=assessment, user=user, file_name=name, content=content, language="en"
    )
    request_upload = time.perf_counter() - started
    started = time.perf_counter()
    context = import_context(assessment)
    mapping = reply_mapping_suggest(sheet, context)
    checked = reply_file_check(
        assessment=assessment,
        sheet=sheet,
        context=context,
        mapping=mapping,
        file_name=name,
        preview=False,
    )
    reply_import_start(
        job=job, mapping=mapping, context=context, checked=checked, complete=start.complete
    )
    request_import = time.perf_counter() - started
    clicked = time.perf_counter()
    seen: dict[str, float] = {}  # stage (or state) → first seen, seconds after the click
    percents: list[tuple[float, int]] = []
    deadline = clicked + TIMEOUT_SECONDS
    while True:
        progress = import_progress(job.id)
        now = time.perf_counter() - clicked
        if progress is not None:
            key = progress.stage or progress.state
            seen.setdefault(key, now)
            if not percents or percents[-1][1] != progress.percent:
                percents.append((now, progress.percent))
            if progress.state == ImportState.FAILED:
                raise SystemExit(f"the import failed: {progress.message}")
            if progress.state == ImportState.DONE:
                seen.setdefault("done", now)
                break
        if time.perf_counter() > deadline:
            raise SystemExit("the import did not finish in time")
        time.sleep(POLL_SECONDS)
    if progress is None or progress.run_id is None:
        raise SystemExit("the import finished without a scores run")
    while True:
        run = AggregationRun.objects.get(pk=progress.run_id)
        if run.status in (RunStatus.SUCCEEDED, RunStatus.UNCHANGED, RunStatus.FAILED):
            break
        if time.perf_counter() > deadline:
            raise SystemExit("the scores run did not finish in time")
        time.sleep(POLL_SECONDS)
    scored = time.perf_counter() - clicked
    if run.status == RunStatus.FAILED:
        raise SystemExit(f"the scores run failed: {run.error}")
    return {
        "request_upload": request_upload,
        "request_import": request_import,
        "seen": seen,
        "percents": percents,
        "stored": progress.stored,
        "scored": scored,
        "run_ms": run.duration_ms,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.reply_import " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    database_recreate(args.database)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=args.database,
        CELERY_BROKER_URL=args.broker_url,
        CELERY_RESULT_BACKEND=args.result_backend,
        REDIS_URL=args.cache_url,  # the progress, shared with the worker
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DEBUG", "true")
    django.setup()
    from django.core.management import call_command

    from benchmarks.broker import broker_purge
    from benchmarks.celery_worker import celery_worker, worker_environment
    from benchmarks.respondents import bench_survey
    from config.celery import app
    from surveys.bulk import bulk_load_allowed
    from surveys.models import Response

    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    facts = machine_facts()
    # The worker connects as this process does: the same role, the same answer.
    facts["answers' foreign keys"] = (
        "proven once per import (the role may set session_replication_role: bulk load)"
        if bulk_load_allowed()
        else "checked row by row (the role may not set session_replication_role)"
    )
    bench = bench_survey(17)
    say(f"writing {args.replies:,} replies as Materia's XLSX export")
    groups = [(link.group, link.internal) for link in bench.links]
    content, ratings = _workbook(bench.assessment, groups, args.replies, args.seed)
    name = f"responses-{args.replies}.xlsx"
    facts["file"] = f"{len(content) / 1024 / 1024:.1f} MB, {args.replies:,} replies × 42 columns"
    env = worker_environment(
        database_url=args.database,
        broker_url=args.broker_url,
        result_backend=args.result_backend,
        conn_max_age=0,
    )
    env["REDIS_URL"] = args.cache_url
    try:
        say("baselines: openpyxl's raw read, a bare COPY and GROUP BY of the ratings")
        openpyxl_seconds = _openpyxl_read(content)
        bare_seconds = _bare_copy_group_by(args.database, ratings)
        with celery_worker(env, queues=(app.conf.task_default_queue,), log_path=LOG_PATH):
            say("importing through the worker")
            result = _import(bench.assessment, name, content)
        stored = Response.objects.filter(survey_id=bench.assessment.survey_id).count()
        if stored != args.replies:
            raise SystemExit(f"{stored} replies stored, not {args.replies}")
        facts["load average at end (1/5/15 min)"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    finally:
        broker_purge()
        if not args.keep:
            from benchmarks.aggregation import database_drop

            database_drop(args.database)
    text = report(command, facts, result, openpyxl_seconds, bare_seconds)
    print(text)
    if args.write_docs:
        docs_replace("reply-import", text)
    return 0


def report(
    command: str,
    facts: dict[str, str],
    result: dict[str, object],
    openpyxl_seconds: float,
    bare_seconds: float,
) -> str:
    seen: dict[str, float] = result["seen"]  # type: ignore[assignment]
    order = [key for key in ("queued", "reading", "checking", "storing", "done") if key in seen]
    stages = []
    for index, key in enumerate(order[:-1]):
        stages.append([key, f"{seen[order[index + 1]] - seen[key]:.1f} s"])
    scored: float = result["scored"]  # type: ignore[assignment]
    stages.append(["scores run (after the import)", f"{scored - seen.get('done', scored):.1f} s"])
    percents: list[tuple[float, int]] = result["percents"]  # type: ignore[assignment]
    return "\n\n".join(
        [
            f"Command: `{command}`",
            facts_table(facts),
            markdown_table(
                ["measure", "seconds", "× openpyxl's raw read", "× bare COPY + GROUP BY"],
                [
                    ["openpyxl's raw read of the file", f"{openpyxl_seconds:.1f}", "1.0", ""],
                    ["bare COPY + GROUP BY of the ratings", f"{bare_seconds:.1f}", "", "1.0"],
                    [
                        "request: upload (first rows read)",
                        f"{result['request_upload']:.1f}",
                        "",
                        "",
                    ],
                    [
                        "request: Import (map, check first rows)",
                        f"{result['request_import']:.1f}",
                        "",
                        "",
                    ],
                    [
                        "**click → scores** (worker: read, check, store; then the run)",
                        f"**{scored:.1f}**",
                        f"{scored / openpyxl_seconds:.1f}",
                        f"{scored / bare_seconds:.1f}",
                    ],
                ],
            ),
            markdown_table(["stage (as the progress page names it)", "time"], stages),
            "Progress seen by the page (seconds after the click → percent): "
            + ", ".join(
                f"{when:.0f} s → {percent} %"
                for when, percent in percents[:: max(1, len(percents) // 12)]
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
