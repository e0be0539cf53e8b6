"""What every benchmark reports beside its figures: the machine it ran on, tables in
Markdown (printed, and written into docs/benchmarks.md between markers), percentiles."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
STARTED = time.monotonic()
POSTGRES_SETTINGS = ("shared_buffers", "synchronous_commit", "fsync", "autovacuum")


def machine_facts() -> dict[str, str]:
    """CPU, memory, software versions and the PostgreSQL settings that move the numbers
    (commits wait for the disk unless synchronous_commit is off)."""
    import django
    from django.db import connection

    def show(name: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute(f"SHOW {name}")
            row = cursor.fetchone()
        return str(row[0]) if row else "?"

    postgres = f"PostgreSQL {show('server_version')}"
    settings = [f"{name}={show(name)}" for name in POSTGRES_SETTINGS]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": f"{_cpu_model()}, {len(os.sched_getaffinity(0))} usable of {os.cpu_count()} cores",
        "memory": _memory(),
        "system": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn / psycopg": f"{version('gunicorn')} / {version('psycopg')}",
        "database": f"{postgres} ({', '.join(settings)})",
        "load average at start (1/5/15 min)": load,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0.95 for p95), interpolated between the nearest values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def facts_table(facts: dict[str, str]) -> str:
    return markdown_table(["machine", ""], list(facts.items()))


def docs_replace(section: str, text: str, path: Path = DOCS_PATH) -> None:
    """Put `text` between the `<!-- <section>:start -->` and `<!-- <section>:end -->`
    markers of docs/benchmarks.md; what is written around the markers stays as it is."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    document = path.read_text()
    if start not in document or end not in document:
        raise SystemExit(f"{path} has no {start} ... {end} markers to write between")
    before, rest = document.split(start, 1)
    _old, after = rest.split(end, 1)
    path.write_text(f"{before}{start}\n{text.strip()}\n{end}{after}")


def say(message: str) -> None:
    """Progress on stderr, stamped with the time since start (not the clock: Django sets
    the process's TZ to TIME_ZONE on set-up)."""
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def clip(text: str, width: int = 96) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def spread(values: Sequence[int]) -> str:
    """'7' when all values are equal, '7–9' when they are not."""
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"
