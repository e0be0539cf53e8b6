"""What the quality rules, as set for the assessment now, would make of a file's replies
before they are stored: how many a run would leave out as straight-lined or too fast.

The counting is pure (rows, durations and options in, counts out) and follows the run's
own rules (`runs/inputs.py`): the too-fast limit is a fraction of the median completion
time over every reply the next run reads, the replies stored plus the file's; a reply
that is both straight-lined and too fast is counted once, as straight-lined."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from materiality.importing.checking import ReplyRow
from materiality.runs.inputs import too_fast_limit
from materiality.runs.options import RunOptions
from surveys.models import Response, ResponseStatus
from surveys.services import is_straight_lined
from surveys.tallies import Durations


@dataclass(frozen=True)
class QualityPreview:
    replies: int  # the file's replies ready to store
    exclude_straight_lined: bool
    straight_lined: int  # of the file's replies
    exclude_too_fast: bool
    too_fast: int  # of the file's replies, not counting straight-lined ones left out as such
    too_fast_seconds: int | None  # None: no limit (the rule is off, or too few times)
    median_seconds: int | None
    timed: int  # replies with a time, stored and in the file
    untimed: int  # of the file's replies
    fraction: float
    min_responses: int
    floor_seconds: int = 0  # the floor per grid cell, in seconds for the whole grid

    @property
    def excluded(self) -> int:
        return (self.straight_lined if self.exclude_straight_lined else 0) + self.too_fast


def row_straight_lined(row: ReplyRow, grid_cells: int, minimum: int | None) -> bool:
    """The engine's rule, as it will flag the reply when it is stored: the survey's
    minimum of rated cells (`RunOptions.straight_line_min_cells`), or the engine's."""
    ratings = [rating.value for rating in row.ratings if rating.value is not None]
    return is_straight_lined(ratings, grid_cells, minimum)


def quality_preview(
    rows: Sequence[ReplyRow], *, grid_cells: int, stored: Durations, options: RunOptions
) -> QualityPreview:
    """How many of `rows` a run with `options` would leave out, with `stored` the
    replies already stored (by completion time and straight-lined flag)."""
    minimum = options.straight_line_min_cells
    flags = [row_straight_lined(row, grid_cells, minimum) for row in rows]
    counts: Counter[tuple[int | None, bool]] = Counter(stored.counts)
    for row, flag in zip(rows, flags, strict=True):
        counts[(row.duration, flag)] += 1
    everyone = Durations(counts=dict(counts))
    limit = too_fast_limit(everyone, options, grid_cells=grid_cells)
    too_fast = 0
    if limit is not None:
        too_fast = sum(
            1
            for row, flag in zip(rows, flags, strict=True)
            if row.duration is not None
            and row.duration < limit
            and not (flag and options.exclude_straight_lined)
        )
    return QualityPreview(
        replies=len(rows),
        exclude_straight_lined=options.exclude_straight_lined,
        straight_lined=sum(flags),
        exclude_too_fast=options.exclude_too_fast,
        too_fast=too_fast,
        too_fast_seconds=limit,
        median_seconds=everyone.timed_at(everyone.timed // 2) if everyone.timed else None,
        timed=everyone.timed,
        untimed=sum(1 for row in rows if row.duration is None),
        fraction=options.too_fast_fraction,
        min_responses=options.too_fast_min_responses,
        floor_seconds=math.ceil(options.too_fast_seconds_per_cell * grid_cells),
    )


def stored_durations(survey_id: int) -> Durations:
    """The survey's submitted replies by completion time and straight-lined flag: what
    the next run reads besides the file (one grouped query)."""
    return Durations.of(
        Response.objects.filter(survey_id=survey_id, status=ResponseStatus.SUBMITTED)
    )


def quality_lines(preview: QualityPreview) -> list[str]:
    """The preview in words, the same on the check page and from the command; nothing
    for a file with no reply to store."""
    if not preview.replies:
        return []
    values = {"count": preview.straight_lined, "total": preview.replies}
    if preview.exclude_straight_lined:
        lines = [
            _(
                "Straight-lining (the same rating for every topic): %(count)d of the file's "
                "%(total)d replies would be left out of the scores."
            )
            % values
        ]
    else:
        lines = [
            _(
                "Straight-lining (the same rating for every topic): %(count)d of the file's "
                "%(total)d replies; the method settings keep them in the scores."
            )
            % values
        ]
    if not preview.exclude_too_fast:
        lines.append(_("Too fast: the method settings keep every reply, however quick."))
        return lines
    relative = preview.too_fast_seconds != preview.floor_seconds
    if preview.too_fast_seconds is not None and not relative:
        lines.append(
            _(
                "Too fast: %(count)d of the file's %(total)d replies took under %(limit)d "
                "seconds (the floor per grid cell, whatever the median) and would be left "
                "out of the scores."
            )
            % {
                "count": preview.too_fast,
                "total": preview.replies,
                "limit": preview.too_fast_seconds,
            }
        )
    elif preview.too_fast_seconds is None or preview.median_seconds is None:
        lines.append(
            _(
                "Too fast: no limit yet: it takes %(min)d replies with a time, and there "
                "are %(timed)d (stored and in this file); none would be left out."
            )
            % {"min": preview.min_responses, "timed": preview.timed}
        )
    else:
        lines.append(
            _(
                "Too fast: %(count)d of the file's %(total)d replies took under %(limit)d "
                "seconds (%(percent)d%% of the median, %(median)d seconds, over %(timed)d "
                "replies with a time, stored and in this file) and would be left out of "
                "the scores."
            )
            % {
                "count": preview.too_fast,
                "total": preview.replies,
                "limit": preview.too_fast_seconds,
                "percent": round(100 * preview.fraction),
                "median": preview.median_seconds,
                "timed": preview.timed,
            }
        )
    if preview.untimed:
        lines.append(
            _("Replies of the file without a time, which cannot be judged too fast: %(count)d.")
            % {"count": preview.untimed}
        )
    return lines
