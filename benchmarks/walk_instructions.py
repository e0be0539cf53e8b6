"""Instructions the Django process executes for one respondent's whole walk (17 topics,
a group link, with the survey's script: each step's POST answered with the next page),
counted by valgrind's callgrind (docs/benchmarks.md, "Submit path"):

    DEBUG=true .venv/bin/python -m benchmarks.walk_instructions \\
        --database postgres://postgres@127.0.0.1:5432/materia_bench_instr \\
        [--redis-url redis://127.0.0.1:6379/10] [--walks 10]

A count of instructions does not move with how busy the machine is, unlike a time: two
versions of the code can be compared on a shared machine, one after the other, to a
fraction of a percent. It counts this process only (Django, psycopg, the template
engine); PostgreSQL's own work is not in it, nor the network's.

As on the server, the cache (the group link's limits) and the Celery broker are Redis:
the first submit of the assessment sends its scores run to the queue, where it waits (no
worker), and every later submit finds that run pending.

The command migrates a database of its own (dropped and created again; its name must
contain "bench"), then runs itself under callgrind with instrumentation off: three
untimed walks load the code, templates and translations, then instrumentation is turned
on for `--walks` walks (callgrind_control) and off again. Needs Debian's valgrind.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import django

from benchmarks.database import database_recreate

WARM_WALKS = 3
COLLECTED = re.compile(r"Collected : (\d+)")


def _environment(database: str, redis_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        MATERIA_BENCHMARK="1",
        DATABASE_URL=database,
        DATABASE_CONN_MAX_AGE="60",
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        CACHE_KEY_PREFIX=f"materia-instr-{os.getpid()}",
        LOG_LEVEL="ERROR",
        # The same string hashes in every run: sets and dicts iterate alike.
        PYTHONHASHSEED="0",
    )
    for name in ("CELERY_RESULT_BACKEND", "EMAIL_HOST"):
        os.environ.pop(name, None)


def _instrumentation(state: str) -> None:
    subprocess.run(
        ["callgrind_control", "--instr=" + state, str(os.getpid())],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _walks(count: int) -> None:
    """Inside callgrind: the warm-up walks, then `count` counted ones."""
    django.setup()
    from django.test import override_settings

    from benchmarks.respondents import bench_survey, walk

    bench = bench_survey(17)
    rng = random.Random(1)
    with override_settings(DEBUG=False):
        for number in range(WARM_WALKS):
            walk(bench.links[number % len(bench.links)], rng, in_place=True)
        _instrumentation("on")
        for number in range(count):
            walk(bench.links[number % len(bench.links)], rng, in_place=True)
        _instrumentation("off")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.walk_instructions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database", required=True, help="postgres://... ('bench' in its name)")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/10", help="the cache and the broker"
    )
    parser.add_argument("--walks", type=int, default=10, help="walks counted (1 to 50)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.walks <= 50:
        parser.error("--walks must be between 1 and 50")
    _environment(args.database, args.redis_url)
    if args.inside:
        _walks(args.walks)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    database_recreate(args.database)
    django.setup()
    from django.core.management import call_command

    from benchmarks.broker import broker_check_unused, broker_purge

    broker_check_unused()
    broker_purge()
    call_command("migrate", interactive=False, verbosity=0)
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={Path(folder) / 'callgrind.out'}",
            sys.executable,  # the virtualenv's interpreter (a launcher script would hide it)
            "-m",
            "benchmarks.walk_instructions",
            "--database",
            args.database,
            "--redis-url",
            args.redis_url,
            "--walks",
            str(args.walks),
            "--inside",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    broker_purge()  # the walks' scores runs, which no worker will take
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"the walks under callgrind failed:\n{done.stderr[-3000:]}")
    per_walk = int(found.group(1)) / args.walks
    print(f"{per_walk / 1e6:.1f} million instructions per walk ({args.walks} walks)")


if __name__ == "__main__":
    main()
