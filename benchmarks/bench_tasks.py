"""Tasks of the benchmark's own, for the real worker it starts: the bare Celery round trip
the aggregation's latency is compared with, and a ping.

The worker imports this module because it is started with `--include
benchmarks.bench_tasks` (benchmarks/celery_worker.py); the site's workers never do.
"""

from __future__ import annotations

import os

from celery import shared_task
from django.db import connection

from benchmarks import bare_sql


@shared_task(name="benchmarks.bare_group_by")
def bare_group_by() -> int:
    """The bare GROUP BY over the minimal table, in the worker; returns its row count."""
    with connection.cursor() as cursor:
        return bare_sql.group_by(cursor)


@shared_task(name="benchmarks.worker_pid")
def worker_pid() -> int:
    """Proves that the worker is up, and which process it is."""
    return os.getpid()
