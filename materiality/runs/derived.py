"""What a run's pages read, made once in the background so that no page waits for it.

    precompute   in the run's task, once its scores are stored: the sensitivity table (a
                 re-scoring per variant, the slow part of the results page) kept on the
                 run, and the overall matrix in each language and format kept in storage
                 (reporting.matrix_files); it stops as soon as a newer run of the
                 assessment waits (below)
    freeze       in a task sent when the run is confirmed: every standard matrix file
                 written (those not written yet), then the run marked frozen; until then
                 the results page shows how far it has got

Both are safe to run twice: the sensitivity is stored only where none is, and a file is
only written if missing. A run from before, or whose task has not got that far, still
works: the pages compute or render what is missing on request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone

from materiality.models import AggregationRun, ReviewStatus, RunStatus
from materiality.reporting.breakdowns import sensitivity, sensitivity_data
from materiality.reporting.matrix_files import (
    freeze_matrix_files,
    matrix_file,
    matrix_file_stored,
    overall_files,
    standard_files,
)

logger = logging.getLogger(__name__)


def _scored(run_id: int) -> AggregationRun | None:
    return (
        AggregationRun.objects.select_related("assessment__survey")
        .filter(pk=run_id, status=RunStatus.SUCCEEDED)
        .first()
    )


def run_precompute(run_id: int, *, files: bool = True) -> None:
    """Store the run's sensitivity and, with *files*, render its overall matrix files
    (nothing for a run without scores of its own). A failure is logged, never the run's:
    the pages then compute what is missing."""
    run = _scored(run_id)
    if run is None:
        return
    try:
        if _superseded(run):
            return
        if run.sensitivity is None:
            data = sensitivity_data(*sensitivity(run))
            AggregationRun.objects.filter(pk=run.pk, sensitivity__isnull=True).update(
                sensitivity=data
            )
        for view, fmt in overall_files(run) if files else []:
            if _superseded(run):
                return
            matrix_file(run, view, fmt)
    except Exception:
        logger.exception("Run %s: precomputing its pages failed", run_id)


def _superseded(run: AggregationRun) -> bool:
    """A newer run of the assessment waits (a reply came in): the pages will show its
    scores, not these. The worker is needed for it now: eight matrix files take seconds,
    and a run asked for meanwhile would wait for all of them before it is even claimed
    (the latency from a submit to its scores, docs/benchmarks.md). A page that still
    opens this run renders what is missing on request."""
    return AggregationRun.objects.filter(
        assessment_id=run.assessment_id, status=RunStatus.PENDING, pk__gt=run.pk
    ).exists()


def run_freeze(run_id: int) -> None:
    """Write every standard matrix file of a confirmed run, then mark it frozen."""
    run = _scored(run_id)
    if run is None or run.review != ReviewStatus.CONFIRMED:
        return
    freeze_matrix_files(run)
    AggregationRun.objects.filter(pk=run.pk, frozen_at__isnull=True).update(
        frozen_at=timezone.now()
    )


@dataclass(frozen=True)
class Freezing:
    """A confirmed run whose files are being written: how many of how many."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 * self.done // max(self.total, 1)


def run_freezing(run: AggregationRun) -> Freezing | None:
    """None unless *run* is confirmed and its files are not all written yet."""
    if run.review != ReviewStatus.CONFIRMED or run.frozen_at is not None:
        return None
    files = standard_files(run)
    done = sum(matrix_file_stored(run, view, fmt) for view, fmt in files)
    return Freezing(done=done, total=len(files))
