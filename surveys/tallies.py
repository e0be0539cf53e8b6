"""Rating counts kept as replies arrive, so that reading a grid's statistics costs about
the same at a thousand replies as at a million.

A rating is one of a few levels, so how often each level was given in each cell, per
respondent group, side, straight-lined flag and band of completion time
(`RatingCount`), holds everything the statistics need; how many replies took each
number of seconds (`DurationCount`) holds the median completion time and how many
replies a reader leaves out. Counting those from the answers means reading every answer
row (36 per reply) at every run; keeping them means reading each reply once:

    fold      submitted replies not counted yet are marked with a new batch number, and
              their answers and durations counted and added to the counts, in one
              transaction: a reply is in the counts exactly when it carries a mark.
              Set-based, as many replies as wait: one UPDATE marks them, one INSERT …
              SELECT … GROUP BY counts their ratings, another their durations
    rebuild   erasing replies marks their survey's counts stale (`tally_mark_stale`); the
              next read counts the marked replies that remain again
    read      the counts summed over what a reader keeps; replies that were too fast are
              left out by band, and within the one band that straddles the limit, by
              subtracting their answers (few: the band is narrow)

Every fold and rebuild runs under a lock on the survey's `RatingTally` row, so two never
interleave. Submitting a reply writes nothing here: the fold happens when the counts
are read (an aggregation run), so the submit path pays nothing for it. A bulk store
(an import, a load) folds its replies itself (`tally_catch_up`), so that the first run
after it finds them counted.

Why one module of this size: folding, rebuilding and reading the counts share one
invariant (a reply is in the counts exactly when it carries a mark), kept in one place.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Count, F, Func, QuerySet, TextField, Value
from django.utils import timezone

from surveys.models import (
    DurationCount,
    RatingCount,
    RatingTally,
    Response,
    ResponseStatus,
)
from surveys.precompiled import CompiledStatement
from surveys.tally_sql import (  # the bands and sides are the SQL's too
    DURATION_BANDS,
    EXTERNAL,
    INTERNAL,
    NO_DURATION,
    RESPONSE,
    count_into,
    mark_waiting_sql,
    quoted,
    rating_sums_sql,
    update_sql,
)


def duration_band(seconds: int | None) -> int:
    return NO_DURATION if seconds is None else bisect.bisect_right(DURATION_BANDS, seconds)


def band_start(band: int) -> int:
    return 0 if band <= 0 else DURATION_BANDS[band - 1]


def side_code(internal: bool | None) -> str:
    return "" if internal is None else INTERNAL if internal else EXTERNAL


def side_internal(code: str) -> bool | None:
    return None if not code else code == INTERNAL


class RatingCell(NamedTuple):
    """How many counted replies gave `value` in one grid cell, for one group and side."""

    row_code: str
    column_code: str
    group: str
    internal: bool | None
    value: int
    n: int


@dataclass(frozen=True)
class Durations:
    """Replies by completion time (None: not known) and straight-lined flag."""

    counts: Mapping[tuple[int | None, bool], int]

    @classmethod
    def of(cls, responses: QuerySet[Response]) -> Durations:
        """Counted from the responses themselves (for replies the counts may not hold)."""
        rows = responses.values_list("duration_seconds", "straight_lined").annotate(n=Count("pk"))
        return cls(counts={(seconds, straight): n for seconds, straight, n in rows.order_by()})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def timed(self) -> int:
        return sum(n for (seconds, _straight), n in self.counts.items() if seconds is not None)

    def timed_at(self, index: int) -> int | None:
        """The `index`-th shortest completion time (0 is the shortest), or None."""
        for seconds in sorted({s for s, _straight in self.counts if s is not None}):
            index -= self.counts.get((seconds, False), 0) + self.counts.get((seconds, True), 0)
            if index < 0:
                return seconds
        return None

    def straight_lined(self) -> int:
        return sum(n for (_seconds, straight), n in self.counts.items() if straight)

    def faster_than(self, limit: int, *, straight_lined: bool) -> int:
        """Replies that took under `limit` seconds, with or without straight-lined ones."""
        return sum(
            n
            for (seconds, straight), n in self.counts.items()
            if seconds is not None and seconds < limit and (straight_lined or not straight)
        )


# --- Reads --------------------------------------------------------------------------


def counted_responses(survey_id: int) -> QuerySet[Response]:
    """The replies the counts hold: submitted, and taken in by a fold."""
    return Response.objects.filter(
        survey_id=survey_id, status=ResponseStatus.SUBMITTED, tally_batch__isnull=False
    )


# A run's statements here are compiled once per thread and connection (surveys.precompiled):
# building them through the ORM at every run cost more than PostgreSQL took for most.
_DURATIONS = CompiledStatement(
    lambda survey_id: DurationCount.objects.filter(survey_id=survey_id).values_list(
        "timed", "duration_seconds", "straight_lined", "n"
    ),
    int,
)


def reply_durations(survey_id: int) -> Durations:
    """The counted replies by completion time. Call it inside the transaction of
    `tally_current`."""
    rows = _DURATIONS.rows(survey_id)
    return Durations(
        counts={(seconds if timed else None, straight): n for timed, seconds, straight, n in rows}
    )


def rating_cells(
    survey_id: int,
    question_id: int,
    *,
    exclude_straight_lined: bool,
    faster_than: int | None = None,
) -> list[RatingCell]:
    """The counts of one grid question, summed over the counted replies that are kept:
    without the straight-lined ones if asked, and without those that took fewer than
    `faster_than` seconds, sorted. Call it inside the transaction of `tally_current`."""
    rows = rating_rows(
        survey_id,
        question_id,
        exclude_straight_lined=exclude_straight_lined,
        faster_than=faster_than,
    )
    # Sorted by key: the keys are distinct.
    return [
        RatingCell(row, column, group, side_internal(side), value, n)
        for row, column, group, side, value, n in sorted(rows)
    ]


RatingRow = tuple[str, str, str, str, int, int]  # row, column, group, side code, value, n


def rating_rows(
    survey_id: int,
    question_id: int,
    *,
    exclude_straight_lined: bool,
    faster_than: int | None = None,
) -> list[RatingRow]:
    """`rating_cells` as the database gives them, in no particular order, the side as its
    code (`side_internal`): for a caller that makes objects of its own of them (a run's
    input: 1,100 cells made once, not twice, and not sorted)."""
    cut = duration_band(faster_than) if faster_than is not None else NO_DURATION
    subtract = faster_than is not None and band_start(cut) < faster_than
    sql, params = rating_sums_sql(
        survey_id,
        question_id,
        exclude_straight_lined=exclude_straight_lined,
        bands_below=cut,
        # The band the limit cuts through: its replies under the limit, from their answers.
        subtract=(band_start(cut), faster_than) if subtract and faster_than is not None else None,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Each key is one row, its sum above 0 (rating_sums_sql).
        rows: list[RatingRow] = cursor.fetchall()
    return rows


# --- Writes -------------------------------------------------------------------------


def tally_catch_up(survey_id: int, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Fold the replies not counted yet, in a transaction of its own, and report
    `progress` (replies folded, replies to fold) once done. Call it after storing many
    replies at once (an import, a bulk load): the next run then finds them counted.
    Returns how many it folded."""
    with transaction.atomic():
        taken = _fold(_locked(survey_id))
    if progress is not None and taken:
        progress(taken, taken)
    return taken


def tally_current(
    survey_id: int, *, grids: Sequence[int] | None = None, flush: bool = True
) -> RatingTally:
    """Make the counts hold exactly the counted replies, and keep them so until the
    caller's transaction ends (the tally row stays locked): fold what is left, and
    rebuild if a counted reply has gone. Must be called inside a transaction. `grids`:
    the ids of the survey's grid questions, if the caller has read them already.
    `flush` False: the transaction may commit without waiting for the disk (the caller
    says why that is safe: `materiality.runs.inputs.commit_without_flush`); the
    statement that locks the tally sets it (`_locked`)."""
    tally = _locked(survey_id, flush=flush)
    _fold(tally, grids=grids)
    if tally.stale:
        _rebuild(tally)
    return tally


def tally_mark_stale(survey_ids: Iterable[int]) -> None:
    """The counts of these surveys no longer match their replies (some are being erased,
    or answers were changed by hand): the next read counts the replies again. Call it in
    the transaction that erases, before erasing: it waits for a fold in progress."""
    with transaction.atomic():
        for survey_id in sorted(set(survey_ids)):  # one order for every caller
            tally = _locked(survey_id)
            tally.stale = True
            tally.save(update_fields=["stale", "updated_at"])


_TALLY_COLUMNS = [field.attname for field in RatingTally._meta.concrete_fields]
_TALLY = CompiledStatement(
    lambda survey_id: (
        RatingTally.objects.select_for_update()
        .filter(survey_id=survey_id)
        .values_list(*_TALLY_COLUMNS)
    ),
    int,
)
# The same, also setting synchronous_commit off until the transaction ends: set_config's
# third argument makes it SET LOCAL, in the statement, not a round trip of its own.
_TALLY_NO_FLUSH = CompiledStatement(
    lambda survey_id: (
        RatingTally.objects.select_for_update()
        .filter(survey_id=survey_id)
        .annotate(
            no_flush=Func(
                Value("synchronous_commit"),
                Value("off"),
                Value(True),
                function="set_config",
                output_field=TextField(),
            )
        )
        .values_list(*_TALLY_COLUMNS, "no_flush")
    ),
    int,
)
SYNCHRONOUS_COMMIT_OFF = "SET LOCAL synchronous_commit = off"


def flush_skippable() -> bool:
    """Whether the transaction this is called in can commit without waiting for the disk
    (SYNCHRONOUS_COMMIT_OFF): on PostgreSQL, and not inside a caller's transaction (a
    savepoint), where the setting would be the caller's."""
    return connection.vendor == "postgresql" and not connection.savepoint_ids


def _locked(survey_id: int, *, flush: bool = True) -> RatingTally:
    """The survey's tally row, locked until the caller's transaction ends: read by a
    compiled statement and made an instance as the ORM makes it; at the survey's first
    count, created (what `select_for_update().get_or_create` did, in as many queries).
    `flush` False: the transaction's commit need not wait for the disk (`tally_current`)."""
    no_flush = not flush and flush_skippable()
    # The set_config runs for the row it returns: with no row, SET LOCAL follows.
    rows = (_TALLY_NO_FLUSH if no_flush else _TALLY).rows(survey_id)  # a survey has one
    if not rows:
        if no_flush:
            with connection.cursor() as cursor:
                cursor.execute(SYNCHRONOUS_COMMIT_OFF)
        try:
            with transaction.atomic():  # a savepoint: another first count may win
                return RatingTally.objects.create(survey_id=survey_id)
        except IntegrityError:  # it did, and has committed: its row, locked now
            rows = _TALLY.rows(survey_id)
    return RatingTally.from_db(DEFAULT_DB_ALIAS, _TALLY_COLUMNS, rows[0][: len(_TALLY_COLUMNS)])


def _fold(tally: RatingTally, *, grids: Sequence[int] | None = None) -> int:
    """Take every uncounted reply into the counts, set-based: one UPDATE marks them with
    a new batch number, then `_count_batch`; returns how many replies it took."""
    batch = tally.batches + 1
    # A reply submitted while this runs is marked by the UPDATE or not at all: the
    # counts read the batch by its mark, so they hold exactly the marked replies.
    # A statement written once (`mark_waiting_sql`), not built by the ORM at every run.
    with connection.cursor() as cursor:
        cursor.execute(*mark_waiting_sql(tally.survey_id, batch))
        taken = int(cursor.rowcount)
    if taken:
        tally.batches = batch
        tally.responses += taken
        tally.updated_at = timezone.now()
        # The tally's new figures are written with the counts, in one statement on
        # PostgreSQL (what `tally.save(update_fields=...)` would write).
        save = update_sql(
            RatingTally,
            {
                "batches": tally.batches,
                "responses": tally.responses,
                "updated_at": connection.ops.adapt_datetimefield_value(tally.updated_at),
            },
            {"survey": tally.survey_id},
        )
        _count_batch(tally.survey_id, batch, taken, grids=grids, then=save)
    return taken


def tally_batch_reserve(survey_id: int) -> int:
    """A new batch number for replies about to be stored already marked (a bulk store),
    and the survey's counts locked until the caller's transaction ends: the caller
    stores its replies with this `tally_batch` and then calls `tally_batch_count`, in
    the same transaction. Marking the replies as they are written spares an UPDATE
    that would write every one of them a second time."""
    tally = _locked(survey_id)
    tally.batches += 1
    tally.save(update_fields=["batches", "updated_at"])
    return tally.batches


def tally_batch_count(survey_id: int, batch: int, replies: int) -> None:
    """Add to the counts the `replies` replies stored with `batch` (from
    `tally_batch_reserve`, whose lock this transaction holds), in the transaction that
    stored them."""
    if replies:
        _count_batch(survey_id, batch, replies)
        RatingTally.objects.filter(survey_id=survey_id).update(
            responses=F("responses") + replies, updated_at=timezone.now()
        )


def _count_batch(
    survey_id: int,
    batch: int,
    replies: int,
    *,
    grids: Sequence[int] | None = None,
    then: tuple[str, Sequence[object]] | None = None,
) -> None:
    """Add the ratings and durations of the `replies` replies marked `batch` to the
    counts: one INSERT … SELECT … GROUP BY each, whether one reply waits or a million.
    No row travels to Python: the work is the database's grouped count."""
    with connection.cursor() as cursor:
        large = connection.vendor == "postgresql" and replies >= LARGE_FOLD
        if large:
            # The statistics predate the batch: they say no reply carries it, and the
            # planner would look up the answers reply by reply (an index scan each, 1.5 s
            # per 50,000 replies) and sort millions of rows to group a few thousand. A
            # hash join reads the answers once, a hash groups them; JIT would spend
            # seconds compiling for the millions of groups it wrongly expects.
            for setting in LARGE_SETTINGS:
                cursor.execute(f"SET LOCAL {setting} = off")
        count_into(
            cursor,
            survey_id,
            f"{RESPONSE}.{quoted('tally_batch')} = %s",
            [batch],
            grids=grids,
            then=then,
        )
        if large:
            for setting in LARGE_SETTINGS:
                cursor.execute(f"SET LOCAL {setting} TO DEFAULT")


LARGE_SETTINGS = ("enable_nestloop", "enable_sort", "jit")


def _rebuild(tally: RatingTally) -> None:
    """Count again from every counted reply (after an erasure, the counts held more)."""
    survey_id = tally.survey_id
    RatingCount.objects.filter(survey_id=survey_id).delete()
    DurationCount.objects.filter(survey_id=survey_id).delete()
    with connection.cursor() as cursor:
        count_into(
            cursor,
            survey_id,
            f"{RESPONSE}.{quoted('status')} = %s "
            f"AND {RESPONSE}.{quoted('tally_batch')} IS NOT NULL",
            [ResponseStatus.SUBMITTED.value],
        )
    tally.responses = counted_responses(survey_id).count()
    tally.stale = False
    tally.rebuilt_at = timezone.now()
    tally.save(update_fields=["responses", "stale", "rebuilt_at", "updated_at"])


# Replies from which a fold on PostgreSQL reads the answers with a hash join: a bulk
# load's or an import's, not a run's few new ones (an index lookup per reply is right
# for those).
LARGE_FOLD = 5_000
