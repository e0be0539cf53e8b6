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
              transaction: a reply is in the counts exactly when it carries a mark
    rebuild   erasing replies marks their survey's counts stale (`tally_mark_stale`); the
              next read counts the marked replies that remain again
    read      the counts summed over what a reader keeps; replies that were too fast are
              left out by band, and within the one band that straddles the limit, by
              subtracting their answers (few: the band is narrow)

Every fold and rebuild runs under a lock on the survey's `RatingTally` row, so two never
interleave. Submitting a reply writes nothing here: the fold happens when the counts
are read (an aggregation run), so the submit path pays nothing for it.

Why one module of this size: folding, rebuilding and reading the counts share one
invariant (a reply is in the counts exactly when it carries a mark), kept in one place.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.db.models import Case, Count, QuerySet, Sum, Value, When
from django.utils import timezone

from surveys.models import (
    DURATION_COUNT_KEY,
    RATING_COUNT_KEY,
    Answer,
    DurationCount,
    Question,
    QuestionKind,
    RatingCount,
    RatingTally,
    Response,
    ResponseStatus,
)

# Replies marked and counted per statement (and per transaction, when catching up): the
# cost of a fold grows with the replies it takes in, its memory does not.
FOLD_CHUNK = 50_000

# Lower bounds (seconds) of the bands of completion time a rating count is kept per:
# band 0 is under 10 s, band i from DURATION_BANDS[i - 1] up to DURATION_BANDS[i], the
# last one a day and more; -1 is "no completion time". Any too-fast limit then cuts
# through one band only, whose replies are few.
DURATION_BANDS: tuple[int, ...] = (10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600)
DURATION_BANDS += (900, 1200, 1800, 2700, 3600, 7200, 14400, 86400)
NO_DURATION = -1

INTERNAL, EXTERNAL = "internal", "external"


def duration_band(seconds: int | None) -> int:
    return NO_DURATION if seconds is None else bisect.bisect_right(DURATION_BANDS, seconds)


def band_start(band: int) -> int:
    return 0 if band <= 0 else DURATION_BANDS[band - 1]


def _band_expression(field: str) -> Case:
    """`duration_band` in SQL, for the grouped count."""
    return Case(
        When(**{f"{field}__isnull": True}, then=Value(NO_DURATION)),
        *(When(**{f"{field}__lt": bound}, then=Value(i)) for i, bound in enumerate(DURATION_BANDS)),
        default=Value(len(DURATION_BANDS)),
        output_field=models.SmallIntegerField(),
    )


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


def reply_durations(survey_id: int) -> Durations:
    """The counted replies by completion time. Call it inside the transaction of
    `tally_current`."""
    rows = DurationCount.objects.filter(survey_id=survey_id).values_list(
        "timed", "duration_seconds", "straight_lined", "n"
    )
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
    `faster_than` seconds. Call it inside the transaction of `tally_current`."""
    counts = RatingCount.objects.filter(survey_id=survey_id, question_id=question_id)
    if exclude_straight_lined:
        counts = counts.filter(straight_lined=False)
    cut = duration_band(faster_than) if faster_than is not None else NO_DURATION
    if cut > 0:  # the bands wholly under the limit are left out
        counts = counts.exclude(duration_band__gte=0, duration_band__lt=cut)
    totals: Counter[tuple[str, str, str, bool | None, int]] = Counter()
    for row, column, group, side, value, n in (
        counts.values_list(
            "row_code", "column_code", "respondent_group", "respondent_side", "value"
        )
        .annotate(total=Sum("n"))
        .order_by()
    ):
        totals[(row, column, group, side_internal(side), value)] += n
    if faster_than is not None and band_start(cut) < faster_than:
        # The band the limit cuts through: its replies under the limit, from their answers.
        # As joined conditions, not `response__in`: PostgreSQL then starts from the few
        # replies (the partial index on counted replies' durations), not from the answers.
        fast = Answer.objects.filter(
            question_id=question_id,
            value__isnull=False,
            response__survey_id=survey_id,
            response__status=ResponseStatus.SUBMITTED,
            response__tally_batch__isnull=False,
            response__duration_seconds__gte=band_start(cut),
            response__duration_seconds__lt=faster_than,
        )
        if exclude_straight_lined:
            fast = fast.filter(response__straight_lined=False)
        for row, column, group, internal, value, n in (
            fast.values_list(
                "row_code",
                "column_code",
                "response__respondent_group",
                "response__respondent_internal",
                "value",
            )
            .annotate(n=Count("pk"))
            .order_by()
        ):
            totals[(row, column, group, internal, value)] -= n
    return [RatingCell(*key, n) for key, n in sorted(totals.items(), key=_order) if n > 0]


def _order(item: tuple[tuple[str, str, str, bool | None, int], int]) -> tuple[object, ...]:
    (row, column, group, internal, value), _n = item
    return (row, column, group, side_code(internal), value)


# --- Writes -------------------------------------------------------------------------


def tally_catch_up(survey_id: int, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Fold the replies not counted yet, a chunk per transaction: a long catch-up (the
    first read after a bulk load) commits as it goes, and reports `progress` (replies
    folded, replies to fold) where others can see it. Returns how many it folded."""
    folded, expected, after = 0, 0, 0
    while True:
        with transaction.atomic():
            taken, after = _fold(_locked(survey_id), after)
        folded += taken
        if taken < FOLD_CHUNK:
            return folded
        if progress is not None:
            expected = expected or folded + _waiting(survey_id).count()
            progress(folded, max(expected, folded))


def tally_current(survey_id: int) -> RatingTally:
    """Make the counts hold exactly the counted replies, and keep them so until the
    caller's transaction ends (the tally row stays locked): fold what is left, and
    rebuild if a counted reply has gone. Must be called inside a transaction."""
    tally = _locked(survey_id)
    after = 0
    while True:
        taken, after = _fold(tally, after)
        if taken < FOLD_CHUNK:
            break
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


def _locked(survey_id: int) -> RatingTally:
    tally, _created = RatingTally.objects.select_for_update().get_or_create(survey_id=survey_id)
    return tally


def _grid_ids(survey_id: int) -> list[int]:
    return list(
        Question.objects.filter(survey_id=survey_id, kind=QuestionKind.GRID).values_list(
            "pk", flat=True
        )
    )


def _waiting(survey_id: int) -> QuerySet[Response]:
    return Response.objects.filter(
        survey_id=survey_id, status=ResponseStatus.SUBMITTED, tally_batch__isnull=True
    )


def _fold(tally: RatingTally, after: int) -> tuple[int, int]:
    """Take up to FOLD_CHUNK uncounted replies (ids above `after`) into the counts;
    returns how many, and the highest id taken (where the next chunk starts)."""
    survey_id = tally.survey_id
    ids = list(
        _waiting(survey_id)
        .filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:FOLD_CHUNK]
    )
    if not ids:
        return 0, after
    batch = tally.batches + 1
    # The chunk by its bounds, not by its ids: a list of 10,000 ids would make the count
    # below a semi-join that PostgreSQL answers by reading every answer of the survey.
    # A reply submitted meanwhile inside the bounds is marked too, and counted with them.
    taken = _waiting(survey_id).filter(pk__gte=ids[0], pk__lte=ids[-1]).update(tally_batch=batch)
    _add_counts(
        survey_id,
        _ratings(
            Answer.objects.filter(response__survey_id=survey_id, response__tally_batch=batch),
            _grid_ids(survey_id),
        ),
        _durations(Response.objects.filter(survey_id=survey_id, tally_batch=batch)),
    )
    tally.batches = batch
    tally.responses += taken
    tally.save(update_fields=["batches", "responses", "updated_at"])
    return taken, ids[-1]


def _rebuild(tally: RatingTally) -> None:
    """Count again from every counted reply (after an erasure, the counts held more)."""
    survey_id = tally.survey_id
    RatingCount.objects.filter(survey_id=survey_id).delete()
    DurationCount.objects.filter(survey_id=survey_id).delete()
    durations = _durations(counted_responses(survey_id))
    answers = Answer.objects.filter(
        response__survey_id=survey_id,
        response__status=ResponseStatus.SUBMITTED,
        response__tally_batch__isnull=False,
    )
    _add_counts(
        survey_id,
        _ratings(answers, _grid_ids(survey_id)),
        durations,
    )
    tally.responses = sum(durations.values())
    tally.stale = False
    tally.rebuilt_at = timezone.now()
    tally.save(update_fields=["responses", "stale", "rebuilt_at", "updated_at"])


RatingKey = tuple[int, str, str, str, str, bool, int, int]  # RATING_COUNT_KEY's values
DurationKey = tuple[bool, int, bool]  # DURATION_COUNT_KEY's, the survey aside


def _ratings(answers: QuerySet[Answer], grid_ids: Sequence[int]) -> dict[RatingKey, int]:
    """One grouped count of the ratings among `answers`, keyed as `RatingCount` is."""
    rows = (
        answers.filter(question_id__in=grid_ids, value__isnull=False)
        .annotate(band=_band_expression("response__duration_seconds"))
        .values_list(
            "question_id",
            "row_code",
            "column_code",
            "response__respondent_group",
            "response__respondent_internal",
            "response__straight_lined",
            "band",
            "value",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        (question, row, column, group, side_code(internal), straight, band, value): n
        for question, row, column, group, internal, straight, band, value, n in rows
    }


def _durations(replies: QuerySet[Response]) -> dict[DurationKey, int]:
    return {
        (seconds is not None, seconds or 0, straight): n
        for (seconds, straight), n in Durations.of(replies).counts.items()
    }


def _add_counts(
    survey_id: int, ratings: dict[RatingKey, int], durations: dict[DurationKey, int]
) -> None:
    _upsert_add(
        RatingCount, RATING_COUNT_KEY, ((survey_id, *k, n) for k, n in sorted(ratings.items()))
    )
    _upsert_add(
        DurationCount,
        DURATION_COUNT_KEY,
        ((survey_id, *k, n) for k, n in sorted(durations.items())),
    )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return str(field.column)


def _upsert_add(
    model: type[models.Model], key: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """Add `n` to the stored count of each key, or store it: INSERT … ON CONFLICT DO
    UPDATE SET n = n + excluded.n, which PostgreSQL and SQLite (3.24 and newer) both
    speak. Rows are (survey id, *key without the survey, n)."""
    meta = model._meta
    quote = connection.ops.quote_name
    keys = [_column(model, name) for name in key]
    columns = ["survey_id", *(c for c in keys if c != "survey_id"), "n"]
    table = quote(meta.db_table)
    # Only quoted names from the model's own metadata are formatted in; values are
    # parameters.
    statement = (
        f"INSERT INTO {table} ({', '.join(map(quote, columns))}) VALUES {{values}} "  # noqa: S608
        f"ON CONFLICT ({', '.join(map(quote, keys))}) "
        f"DO UPDATE SET {quote('n')} = {table}.{quote('n')} + excluded.{quote('n')}"
    )
    placeholder = f"({', '.join(['%s'] * len(columns))})"
    listed = list(rows)
    with connection.cursor() as cursor:
        for start in range(0, len(listed), 2000):
            batch = listed[start : start + 2000]
            values = ", ".join([placeholder] * len(batch))
            cursor.execute(statement.format(values=values), [v for row in batch for v in row])
