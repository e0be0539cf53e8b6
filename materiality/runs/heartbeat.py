"""A running run's sign of life, and the clock runs are judged by.

    claim      the worker that claims a run writes `started_at` and `heartbeat_at`; the
               claim's time is its token: only that claim may beat, store scores or
               fail the run (runs/execution.py)
    beat       while the run computes, a thread of its own refreshes `heartbeat_at`
               every MATERIA_RUN_HEARTBEAT_SECONDS, whatever the computation is doing;
               the run's progress goes with it, and is written at once only when the
               last write is PROGRESS_SECONDS old: a beat is a commit, a flush to disk,
               and a run of a fraction of a second writes none between claim and finish
    lost       a RUNNING run silent for MATERIA_RUN_STALE_SECONDS has lost its worker
               (killed, out of memory, machine gone): the next delivery of its task
               takes it over, and the minute sweep sends one (runs/sweep.py)

Times come from `now`: tests replace it (the `run_clock` fixture) to make a heartbeat
old without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from materiality.models import AggregationRun, RunStatus
from materiality.runs.options import stale_after

logger = logging.getLogger(__name__)


def now() -> datetime:
    """The time runs are claimed, beat and judged by: the wall clock."""
    return timezone.now()


def lost_before() -> datetime:
    """A RUNNING run whose last heartbeat is older than this has lost its worker."""
    return now() - stale_after()


def seconds_until_lost(run: AggregationRun) -> float | None:
    """How long until a RUNNING run counts as lost if it does not beat again (at least a
    second); None for a run not RUNNING."""
    if run.status != RunStatus.RUNNING or run.heartbeat_at is None:
        return None
    return max(1.0, (run.heartbeat_at + stale_after() - now()).total_seconds() + 1)


def interval() -> timedelta:
    return timedelta(seconds=settings.MATERIA_RUN_HEARTBEAT_SECONDS)


# Progress reported sooner than this after the claim or the last beat waits for the next
# beat (or the finish): the bar of a run that lasts under a second has nothing to show.
PROGRESS_SECONDS = 1.0


class Heartbeat:
    """The heartbeat of one claim of a run: `beat` refreshes it (with progress, say) as
    long as the run is still this claim's; used as a context manager, a thread beats
    every `interval()` until the block ends, and sets `lost` once the run is not the
    claim's any more (taken over after a silence, or failed)."""

    def __init__(self, run_id: int, claim: datetime) -> None:
        self.run_id = run_id
        self.claim = claim
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: int | None = None  # reported, not written yet
        self._written = time.monotonic()  # the claim wrote the run's row

    def beat(self, **values: Any) -> bool:
        """Refresh the heartbeat (and `values`, with the progress reported since the last
        write); False when the run is no longer ours."""
        progress = self._progress
        if progress is not None:
            values.setdefault("progress", progress)
        ours = AggregationRun.objects.filter(
            pk=self.run_id, status=RunStatus.RUNNING, started_at=self.claim
        ).update(heartbeat_at=now(), **values)
        self._written = time.monotonic()
        if not ours:
            self.lost.set()
        elif self._progress == progress:
            self._progress = None
        return bool(ours)

    def progress(self, percent: int) -> bool:
        """Report how far the run has come: written with a beat now if the last write is
        PROGRESS_SECONDS old, else by the next beat. False when the run is known to be no
        longer ours (a write found it so, or the beating thread did)."""
        self._progress = percent
        if self.lost.is_set():
            return False
        if time.monotonic() - self._written < PROGRESS_SECONDS:
            return True
        return self.beat()

    def __enter__(self) -> Heartbeat:
        # Inside a transaction (a test, a caller's atomic block) the claim is not
        # committed: another connection could not see it, and on PostgreSQL would wait
        # for its row lock. The run then beats only when it reports progress.
        if not transaction.get_connection().in_atomic_block:
            self._thread = threading.Thread(
                target=self._beat_until_stopped, name=f"run-{self.run_id}-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=interval().total_seconds())

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stop.wait(interval().total_seconds()):
                if not self.beat():
                    return
        except Exception:  # the database went away: the run's own queries fail too
            logger.exception("Aggregation run %s: heartbeat failed", self.run_id)
        finally:
            connection.close()  # this thread's own connection
