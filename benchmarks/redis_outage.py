"""How long a questionnaire submit takes when Redis is down or hangs, beside the same
submit with Redis up, measured in the same run (docs/benchmarks.md, "Redis outage").

    DEBUG=true .venv/bin/python -m benchmarks.redis_outage \\
        --database postgres://postgres@127.0.0.1:5432/materia_bench_outage \\
        [--json figures.json] [--before before.json --write-docs]

A Redis of the benchmark's own (`redis-server` on a free port, started and stopped here)
is the cache, the Celery broker and the result backend; no worker runs. In process
(Django's test client, CSRF checks on), the submit POST of a complete response, whose
submit hook asks for an aggregation run and sends its task (every measured submit is one
that sends: the waiting run it created is failed, untimed, before the next one):

    up        Redis answers (the task waits in its queue)
    stopped   redis-server stopped: connections are refused
    hung      redis-server stopped with SIGSTOP: connections are accepted by the kernel,
              nothing is answered (a submit still waiting after --cap seconds is given up
              on and counted as the cap; Redis is then resumed and the submit finishes)

To compare with an older version of the code, run this same file in a copy of that
version with --json, then here with --before pointing at that file: both runs measure
their own "up" baseline, and each figure is reported as a ratio to it.

The database is dropped and created again on every run; its name must contain "bench".
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import django

from benchmarks.database import database_recreate
from benchmarks.report import facts_table, machine_facts, markdown_table, say

SCENARIOS = ("up", "stopped", "hung")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.redis_outage", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database",
        required=True,
        help="postgres://... of a database to drop and create (its name must contain 'bench')",
    )
    parser.add_argument("--repetitions", type=int, default=5, help="submits per scenario")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before giving up")
    parser.add_argument("--json", type=Path, help="write the raw figures to this file")
    parser.add_argument("--before", type=Path, help="figures of the older code (--json)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not 1 <= args.repetitions <= 20:
        parser.error("--repetitions must be between 1 and 20")
    if not 5 <= args.cap <= 600:
        parser.error("--cap must be between 5 and 600 seconds")
    return args


# --- A Redis of the benchmark's own -------------------------------------------------------


class Redis:
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("needs redis-server (apt-get install redis-server)")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.folder = tempfile.mkdtemp(prefix="materia-outage-")
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Start redis-server and wait until it answers (stopped again if it does not)."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self.folder]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SystemExit(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process ignores SIGTERM
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


# --- Measuring -----------------------------------------------------------------------------


def _timed(call: Callable[[], object], cap: float) -> tuple[float, threading.Event]:
    """Seconds `call` took, in a thread of its own, or the cap if it had not returned by
    then; and an event set when it returns (the caller makes it able to)."""
    done = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        from django.db import connection

        try:
            call()
        except BaseException as error:  # reported below, in the main thread
            failure.append(error)
        finally:
            connection.close()
            done.set()

    started = time.perf_counter()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    finished = done.wait(cap)
    seconds = time.perf_counter() - started
    if failure:
        raise failure[0]
    return (seconds if finished else cap), done


def _measure(args: argparse.Namespace, redis: Redis) -> dict[str, Any]:
    import random

    from benchmarks.respondents import Poster, bench_survey, prepare_responses
    from materiality.models import AggregationRun, RunStatus
    from surveys.models import Response

    rng = random.Random(1)
    bench = bench_survey(17)
    tokens = iter(prepare_responses(bench, args.repetitions * len(SCENARIOS) + 1, rng))
    poster = Poster(bench.links[0])
    poster.submit(next(tokens))  # warm-up: imports, connections, the first run

    def submit() -> None:
        # The waiting run the last submit created would take this reply in without a
        # task being sent: fail it, so that every measured submit sends one.
        AggregationRun.objects.filter(status=RunStatus.PENDING).update(status=RunStatus.FAILED)
        poster.submit(next(tokens))

    figures: dict[str, Any] = {}
    for scenario in SCENARIOS:
        say(f"{args.repetitions} submits with Redis {scenario}")
        if scenario == "stopped":
            redis.stop()
        elif scenario == "hung":
            redis.start()
            redis.pause()
        seconds, answered = [], []
        for _ in range(args.repetitions):
            took, done = _timed(submit, args.cap)
            answered.append(done.is_set())
            if not done.is_set():
                redis.resume()  # lets the stuck submit finish; then hang again
                if not done.wait(args.cap):
                    raise SystemExit("a submit given up on did not finish after resuming")
                redis.pause()
            seconds.append(took)
        figures[scenario] = {"seconds": seconds, "answered": answered}
    redis.resume()
    figures["submitted"] = Response.objects.filter(survey=bench.survey, status="submitted").count()
    return figures


def _celery_facts() -> dict[str, str]:
    from django.conf import settings

    from config.celery import app

    conf = app.conf
    cache = settings.CACHES["default"].get("OPTIONS", {})
    return {
        "broker transport options": json.dumps(conf.broker_transport_options or {}),
        "task_publish_retry_policy": json.dumps(conf.task_publish_retry_policy),
        "result backend socket time-outs": (
            f"connect {conf.redis_socket_connect_timeout}, read {conf.redis_socket_timeout}"
        ),
        "result_backend_transport_options": json.dumps(conf.result_backend_transport_options),
        "cache OPTIONS": json.dumps(cache),
    }


# --- Report --------------------------------------------------------------------------------


def _cell(figures: dict[str, Any], scenario: str) -> str:
    seconds = figures[scenario]["seconds"]
    median = statistics.median(seconds)
    given_up = figures[scenario]["answered"].count(False)
    text = f"{median * 1000:,.0f} ms" if median < 10 else f"{median:,.1f} s"
    if given_up:
        text = f"> {text} ({given_up} of {len(seconds)} given up at the cap)"
    if scenario == "up":
        return text
    ratio = median / statistics.median(figures["up"]["seconds"])
    return f"{text}, ×{ratio:,.0f}" if ratio >= 10 else f"{text}, ×{ratio:.1f}"


def _report(command: str, facts: dict[str, str], after: dict[str, Any], before: Any) -> str:
    columns = ["Redis", "submit POST (median)"]
    rows = [[scenario, _cell(after, scenario)] for scenario in SCENARIOS]
    if before is not None:
        columns = ["Redis", "before: submit POST (median)", "after: submit POST (median)"]
        rows = [
            [scenario, _cell(before["figures"], scenario), _cell(after, scenario)]
            for scenario in SCENARIOS
        ]
    lines = [
        "### Results",
        "",
        f"Generated by `{command}`"
        + (f"; before: `{before['command']}`, in a copy of that code." if before else "."),
        "",
        facts_table(facts),
        "",
        markdown_table(columns, rows),
        "",
        "Each cell: the median of the submits of that scenario, and its ratio to the same "
        "submit with Redis up measured in the same run (×1 = no slower). Every measured "
        "submit sends the aggregation task.",
    ]
    if before is not None:
        lines += ["", "Before: Celery and the cache as configured then.", ""]
        lines.append(markdown_table(["setting", "value"], list(before["celery"].items())))
        lines += ["", "After:", ""]
    lines.append(markdown_table(["setting", "value"], list(_celery_facts().items())))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    command = "DEBUG=true .venv/bin/python -m benchmarks.redis_outage " + shlex.join(
        sys.argv[1:] if argv is None else argv
    )
    before = json.loads(args.before.read_text()) if args.before else None
    say(f"creating the database afresh: {args.database}")
    database_recreate(args.database)
    redis = Redis()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=args.database,
        ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=redis.url(1),
        CELERY_BROKER_URL=redis.url(2),
        CELERY_RESULT_BACKEND=redis.url(3),
        LOG_LEVEL="CRITICAL",  # the outage is the point: its errors would flood the output
    )
    os.environ.pop("EMAIL_HOST", None)
    try:
        redis.start()
        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        facts = machine_facts()
        figures = _measure(args, redis)
    finally:
        redis.stop()
        shutil.rmtree(redis.folder, ignore_errors=True)
    facts["submits stored"] = f"{figures.pop('submitted')} (all of them, warm-up included)"
    report = _report(command, facts, figures, before)
    print(report)
    if args.json:
        args.json.write_text(
            json.dumps({"command": command, "figures": figures, "celery": _celery_facts()})
        )
    if args.write_docs:
        from benchmarks.report import docs_replace

        docs_replace("redis-outage", report)
        say("docs/benchmarks.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
