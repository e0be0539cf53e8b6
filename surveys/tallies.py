"""Rating counts kept as replies arrive, so that reading a grid's statistics costs the
same at a thousand replies as at a million.

A rating is one of a few levels, so how often each level was given in each cell, per
respondent group, side and straight-lined flag (`RatingCount`), holds everything the
statistics need. Counting that from the answers means reading every answer row (36 per
reply); keeping it means reading each reply once:

    fold      submitted responses not counted yet are marked with a new batch number
              (one UPDATE), the answers of that batch are counted (one grouped query) and
              added to the counts; marks and counts commit together, so a reply is in
              the counts exactly when it carries a batch number
    verify    the counts hold `RatingTally.responses` replies; if fewer marked replies
              exist (one was erased), the counts are rebuilt from the marked replies
    read      the counts summed over what a reader keeps, minus the replies a reader
              leaves out by duration (few: counted from their answers)

Every fold and rebuild runs under a lock on the survey's `RatingTally` row, so two never
interleave. Submitting a reply writes nothing here: the fold happens when the counts
are read (an aggregation run), so the submit path pays nothing for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, QuerySet, Subquery, Sum
from django.utils import timezone

from surveys.models import (
    RATING_COUNT_KEY,
    Answer,
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

INTERNAL, EXTERNAL = "internal", "external"


class RatingCell(NamedTuple):
    """How many counted replies gave `value` in one grid cell, for one group and side."""

    row_code: str
    column_code: str
    group: str
    internal: bool | None
    value: int
    n: int


def side_code(internal: bool | None) -> str:
    return "" if internal is None else INTERNAL if internal else EXTERNAL


def side_internal(code: str) -> bool | None:
    return None if not code else code == INTERNAL


# --- Reads --------------------------------------------------------------------------


def counted_responses(survey_id: int) -> QuerySet[Response]:
    """The replies the counts hold: submitted, and taken in by a fold."""
    return Response.objects.filter(
        survey_id=survey_id, status=ResponseStatus.SUBMITTED, tally_batch__isnull=False
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
    totals: Counter[tuple[str, str, str, bool | None, int]] = Counter()
    for row, column, group, side, value, n in (
        counts.values_list(
            "row_code", "column_code", "respondent_group", "respondent_side", "value"
        )
        .annotate(total=Sum("n"))
        .order_by()
    ):
        totals[(row, column, group, side_internal(side), value)] += n
    if faster_than is not None:
        fast = counted_responses(survey_id).filter(duration_seconds__lt=faster_than)
        if exclude_straight_lined:
            fast = fast.filter(straight_lined=False)
        for row, column, group, internal, value, n in _grouped(
            Answer.objects.filter(question_id=question_id, value__isnull=False, response__in=fast)
        ):
            totals[(row, column, group, internal, value)] -= n
    return [RatingCell(*key, n) for key, n in sorted(totals.items(), key=_order) if n > 0]


def _order(item: tuple[tuple[str, str, str, bool | None, int], int]) -> tuple[object, ...]:
    (row, column, group, internal, value), _n = item
    return (row, column, group, side_code(internal), value)


def _grouped(
    answers: QuerySet[Answer],
) -> Iterable[tuple[str, str, str, bool | None, int, int]]:
    return (
        answers.values_list(
            "row_code",
            "column_code",
            "response__respondent_group",
            "response__respondent_internal",
            "value",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )


# --- Writes -------------------------------------------------------------------------


def tally_catch_up(survey_id: int, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Fold the replies not counted yet, a chunk per transaction: a long catch-up (the
    first read after a bulk load) commits as it goes, and reports `progress` (replies
    folded, replies to fold) where others can see it. Returns how many it folded."""
    folded, expected = 0, 0
    while True:
        with transaction.atomic():
            taken = _fold(_locked(survey_id))
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
    while _fold(tally) == FOLD_CHUNK:
        pass
    counted = counted_responses(survey_id).count()
    if counted != tally.responses:
        _rebuild(tally, counted)
    return tally


def tally_reset(survey_id: int) -> None:
    """Make the next read count a survey's replies again from their answers (for an
    operator who changed answers in the database by hand; the app never does)."""
    with transaction.atomic():
        tally = _locked(survey_id)
        RatingCount.objects.filter(survey_id=survey_id).delete()
        tally.responses = 0  # no longer the number of counted replies: the read rebuilds
        tally.save(update_fields=["responses", "updated_at"])


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


def _fold(tally: RatingTally) -> int:
    """Take up to FOLD_CHUNK uncounted replies into the counts; returns how many."""
    survey_id = tally.survey_id
    batch = tally.batches + 1
    waiting = _waiting(survey_id).order_by("pk").values("pk")[:FOLD_CHUNK]
    taken = Response.objects.filter(pk__in=Subquery(waiting), tally_batch__isnull=True).update(
        tally_batch=batch
    )
    if not taken:
        return 0
    answers = Answer.objects.filter(
        response__survey_id=survey_id,
        response__tally_batch=batch,
        question_id__in=_grid_ids(survey_id),
        value__isnull=False,
    )
    _add(survey_id, _keyed(answers))
    tally.batches = batch
    tally.responses += taken
    tally.save(update_fields=["batches", "responses", "updated_at"])
    return taken


def _rebuild(tally: RatingTally, counted: int) -> None:
    """Count again from every counted reply (after an erasure: the counts held more)."""
    survey_id = tally.survey_id
    RatingCount.objects.filter(survey_id=survey_id).delete()
    answers = Answer.objects.filter(
        response__in=counted_responses(survey_id),
        question_id__in=_grid_ids(survey_id),
        value__isnull=False,
    )
    _add(survey_id, _keyed(answers))
    tally.responses = counted
    tally.rebuilt_at = timezone.now()
    tally.save(update_fields=["responses", "rebuilt_at", "updated_at"])


Key = tuple[int, str, str, str, str, bool, int]


def _keyed(answers: QuerySet[Answer]) -> dict[Key, int]:
    """One grouped count of the answers, keyed as `RatingCount` is."""
    rows = (
        answers.values_list(
            "question_id",
            "row_code",
            "column_code",
            "response__respondent_group",
            "response__respondent_internal",
            "response__straight_lined",
            "value",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        (question, row, column, group, side_code(internal), straight, value): n
        for question, row, column, group, internal, straight, value, n in rows
    }


def _add(survey_id: int, added: dict[Key, int]) -> None:
    """Add counts to the stored ones: one read of the survey's counts (their number is
    bounded by the questionnaire, not by the replies) and one upsert."""
    if not added:
        return
    stored: dict[Key, int] = {
        tuple(row[:-1]): row[-1]
        for row in RatingCount.objects.filter(survey_id=survey_id).values_list(
            *RATING_COUNT_KEY, "n"
        )
    }
    attributes = ("question_id", *RATING_COUNT_KEY[1:])  # the key, as given to a model
    RatingCount.objects.bulk_create(
        [
            RatingCount(
                survey_id=survey_id,
                n=stored.get(key, 0) + n,
                **dict(zip(attributes, key, strict=True)),
            )
            for key, n in sorted(added.items())
        ],
        update_conflicts=True,
        unique_fields=RATING_COUNT_KEY,
        update_fields=["n"],
        batch_size=2_000,
    )
