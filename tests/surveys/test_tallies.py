"""Rating counts kept as replies arrive: always equal to a count of the answers."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from surveys import tallies, tally_sql
from surveys.models import (
    RATING_COUNT_KEY,
    Answer,
    DurationCount,
    RatingCount,
    RatingTally,
    Response,
    ResponseStatus,
)
from surveys.tallies import (
    duration_band,
    rating_cells,
    reply_durations,
    side_code,
    tally_catch_up,
    tally_current,
)
from tests.surveys.conftest import CampusSurvey, store_replies

pytestmark = pytest.mark.django_db

Key = tuple[str, str, str, str, bool, int, int]


def load(campus: CampusSurvey, seed: int, per_group: int = 5) -> None:
    """`per_group` replies for each of the survey's three groups."""
    store_replies(campus, seed=seed, per_group=per_group)


def stored(survey_id: int) -> Counter[Key]:
    rows = RatingCount.objects.filter(survey_id=survey_id).values_list(*RATING_COUNT_KEY[1:], "n")
    return Counter({tuple(row[:-1]): row[-1] for row in rows})


def counted_by_hand(survey_id: int, keep: Any = lambda response: True) -> Counter[Key]:
    """The same counts, one answer at a time, from the submitted replies' answers."""
    counts: Counter[Key] = Counter()
    answers = Answer.objects.filter(
        response__survey_id=survey_id,
        response__status=ResponseStatus.SUBMITTED,
        question__kind="grid",
        value__isnull=False,
    ).select_related("response")
    for answer in answers:
        response = answer.response
        if keep(response):
            key = (
                answer.row_code,
                answer.column_code,
                response.respondent_group,
                side_code(response.respondent_internal),
                response.straight_lined,
                duration_band(response.duration_seconds),
                answer.value,
            )
            counts[key] += 1
    return counts


def test_the_counts_equal_a_count_of_the_answers_after_every_fold(
    campus: CampusSurvey,
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=1)
    assert tally_catch_up(survey_id) == 15
    assert stored(survey_id) == counted_by_hand(survey_id)
    load(campus, seed=2, per_group=7)
    assert tally_catch_up(survey_id) == 21
    assert stored(survey_id) == counted_by_hand(survey_id)
    tally = RatingTally.objects.get(survey_id=survey_id)
    assert (tally.responses, tally.batches) == (36, 2)
    assert (
        sum(stored(survey_id).values())
        == Answer.objects.filter(question__kind="grid", value__isnull=False).count()
    )


def test_a_fold_takes_in_only_the_replies_not_counted_yet(campus: CampusSurvey) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=3)
    tally_catch_up(survey_id)
    first = set(Response.objects.values_list("pk", flat=True))
    assert tally_catch_up(survey_id) == 0  # nothing new: nothing marked, no new batch
    assert RatingTally.objects.get(survey_id=survey_id).batches == 1
    load(campus, seed=4, per_group=1)
    tally_catch_up(survey_id)
    batches = dict(Response.objects.values_list("pk", "tally_batch"))
    assert {pk for pk, batch in batches.items() if batch == 1} == first
    assert len([pk for pk, batch in batches.items() if batch == 2]) == 3


def test_a_reply_in_progress_is_counted_only_once_submitted(campus: CampusSurvey) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=5, per_group=2)
    unfinished = Response.objects.order_by("pk").first()
    assert unfinished is not None
    Response.objects.filter(pk=unfinished.pk).update(
        status=ResponseStatus.IN_PROGRESS, submitted_at=None
    )
    assert tally_catch_up(survey_id) == 5
    assert stored(survey_id) == counted_by_hand(survey_id)
    Response.objects.filter(pk=unfinished.pk).update(
        status=ResponseStatus.SUBMITTED, submitted_at=unfinished.submitted_at
    )
    assert tally_catch_up(survey_id) == 1
    assert stored(survey_id) == counted_by_hand(survey_id)


def test_erasing_a_counted_reply_rebuilds_the_counts_on_the_next_read(
    campus: CampusSurvey,
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=6)
    tally_catch_up(survey_id)
    erased = Response.objects.order_by("pk").last()
    assert erased is not None
    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(admin)
    client.post(
        reverse("admin:surveys_response_changelist"),
        {"action": "delete_selected", "_selected_action": [erased.pk], "post": "yes"},
    )
    assert not Response.objects.filter(pk=erased.pk).exists()
    assert stored(survey_id) != counted_by_hand(survey_id)  # the counts still hold it
    assert RatingTally.objects.get(survey_id=survey_id).stale

    with transaction.atomic():
        tally = tally_current(survey_id)
        durations = reply_durations(survey_id)
    assert tally.responses == durations.total == 14
    assert not tally.stale
    assert tally.rebuilt_at is not None
    assert stored(survey_id) == counted_by_hand(survey_id)


def test_reading_leaves_out_straight_lined_and_too_fast_replies(campus: CampusSurvey) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=7, per_group=20)
    Response.objects.filter(pk__in=Response.objects.order_by("pk").values("pk")[:6]).update(
        straight_lined=True
    )
    tally_catch_up(survey_id)
    durations = sorted(Response.objects.values_list("duration_seconds", flat=True))
    limit = durations[len(durations) // 4]  # a quarter of the replies are "too fast"
    grid_id = Answer.objects.filter(question__kind="grid").values_list("question_id").first()
    assert grid_id is not None

    def read(exclude_straight_lined: bool, faster_than: int | None) -> Counter[Key]:
        cells = rating_cells(
            survey_id,
            grid_id[0],
            exclude_straight_lined=exclude_straight_lined,
            faster_than=faster_than,
        )
        return Counter(
            {
                (c.row_code, c.column_code, c.group, side_code(c.internal), c.value): c.n
                for c in cells
            }
        )

    def by_hand(keep: Any) -> Counter[Any]:
        merged: Counter[Any] = Counter()
        for (row, column, group, side, _straight, _band, value), n in counted_by_hand(
            survey_id, keep
        ).items():
            merged[(row, column, group, side, value)] += n
        return merged

    everything = read(False, None)
    assert everything == by_hand(lambda r: True)
    assert read(True, None) == by_hand(lambda r: not r.straight_lined)
    assert read(False, limit) == by_hand(lambda r: r.duration_seconds >= limit)
    both = read(True, limit)
    assert both == by_hand(lambda r: not r.straight_lined and r.duration_seconds >= limit)
    assert sum(both.values()) < sum(everything.values())


def test_a_catch_up_folds_every_waiting_reply_at_once_and_reports_progress(
    campus: CampusSurvey,
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=8, per_group=10)
    seen: list[tuple[int, int]] = []
    assert tally_catch_up(survey_id, progress=lambda done, total: seen.append((done, total))) == 30
    assert seen == [(30, 30)]
    assert RatingTally.objects.get(survey_id=survey_id).batches == 1
    assert stored(survey_id) == counted_by_hand(survey_id)


@pytest.mark.parametrize("large", [1, 10**9], ids=["large-fold", "small-fold"])
def test_a_set_based_fold_of_a_bulk_load_equals_a_fresh_count(
    campus: CampusSurvey, monkeypatch: pytest.MonkeyPatch, large: int
) -> None:
    """Both ways a fold reads the answers (on PostgreSQL, a hash join from LARGE_FOLD
    replies on) count exactly what a count of the answers gives, on top of counts
    already there, durations included; a rebuild gives the same again."""
    survey_id = campus.survey.pk
    monkeypatch.setattr(tallies, "LARGE_FOLD", large)
    load(campus, seed=11, per_group=4)
    tally_catch_up(survey_id)
    store_replies(campus, seed=12, per_group=6, count=True)  # counted as it is stored
    assert not Response.objects.filter(tally_batch__isnull=True).exists()
    assert stored(survey_id) == counted_by_hand(survey_id)
    durations = Counter(
        {
            (timed, seconds, straight): n
            for timed, seconds, straight, n in DurationCount.objects.values_list(
                "timed", "duration_seconds", "straight_lined", "n"
            )
        }
    )
    by_hand = Counter(
        (seconds is not None, seconds or 0, straight)
        for seconds, straight in Response.objects.values_list("duration_seconds", "straight_lined")
    )
    assert durations == by_hand
    assert RatingTally.objects.get(survey_id=survey_id).responses == 30
    tallies.tally_mark_stale([survey_id])
    with transaction.atomic():
        tally_current(survey_id)
    assert stored(survey_id) == counted_by_hand(survey_id)
    assert RatingTally.objects.get(survey_id=survey_id).responses == 30


def test_a_fold_that_fails_leaves_neither_marks_nor_counts(
    campus: CampusSurvey, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=9)

    real = tally_sql._upsert

    def broken(model: Any, key: Any, select: str) -> str:
        if model is DurationCount:  # the rating counts were added already
            raise RuntimeError("the database went away")
        return real(model, key, select)

    with monkeypatch.context() as patch:
        patch.setattr(tally_sql, "_upsert", broken)
        with pytest.raises(RuntimeError):
            tally_catch_up(survey_id)
    assert not Response.objects.filter(tally_batch__isnull=False).exists()
    assert not RatingCount.objects.exists()
    assert not DurationCount.objects.exists()
    assert tally_catch_up(survey_id) == 15
    assert stored(survey_id) == counted_by_hand(survey_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_folds_and_new_replies_at_the_same_time_count_every_reply_once(
    campus: CampusSurvey,
) -> None:
    from tests.surveys.test_concurrency import at_once

    survey_id = campus.survey.pk
    load(campus, seed=10)
    seeds = iter(range(100, 200))

    def work() -> None:
        for _ in range(4):
            seed = next(seeds)  # one generator, shared: next() is atomic under the GIL
            if seed % 2:
                load(campus, seed=seed, per_group=2)
            else:
                tally_catch_up(survey_id)

    results = at_once(4, work)
    assert not [r for r in results if isinstance(r, Exception)]
    tally_catch_up(survey_id)
    assert Response.objects.count() == 15 + 8 * 6
    assert RatingTally.objects.get(survey_id=survey_id).responses == 15 + 8 * 6
    assert not Response.objects.filter(tally_batch__isnull=True).exists()
    assert stored(survey_id) == counted_by_hand(survey_id)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_that_need_not_flush_sets_it_with_the_lock_for_its_own_transaction_only(
    campus: CampusSurvey,
) -> None:
    """`flush=False`: the statement that locks the tally sets synchronous_commit off for
    the transaction (as SET LOCAL: until it ends), at the survey's first count too (no
    tally row yet); inside a caller's transaction (a savepoint) it sets nothing."""
    survey_id = campus.survey.pk
    load(campus, seed=13, per_group=1)

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            row = cursor.fetchone()
        assert row is not None
        return str(row[0])

    default = setting()
    assert default != "off"
    assert not RatingTally.objects.filter(survey_id=survey_id).exists()
    for _read in range(2):  # the first creates the tally row, the second locks it
        with transaction.atomic():
            tally_current(survey_id, flush=False)
            assert setting() == "off"
        assert setting() == default
    assert RatingTally.objects.get(survey_id=survey_id).responses == 3
    with transaction.atomic():
        with transaction.atomic():  # a savepoint: the setting would be the caller's
            tally_current(survey_id, flush=False)
        assert setting() == default


def test_the_durations_kept_give_the_median_and_the_exclusions_of_the_replies(
    campus: CampusSurvey,
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=11, per_group=9)
    Response.objects.filter(pk__in=Response.objects.order_by("pk").values("pk")[:3]).update(
        duration_seconds=None  # imported replies may have no completion time
    )
    Response.objects.filter(pk__in=Response.objects.order_by("-pk").values("pk")[:4]).update(
        straight_lined=True
    )
    tally_catch_up(survey_id)
    kept = reply_durations(survey_id)
    replies = list(Response.objects.values_list("duration_seconds", "straight_lined"))
    timed = sorted(d for d, _s in replies if d is not None)
    assert (kept.total, kept.timed) == (27, 24)
    assert [kept.timed_at(i) for i in range(25)] == [*timed, None]
    assert kept.straight_lined() == sum(1 for _d, straight in replies if straight) >= 4
    limit = timed[10] + 1
    assert kept.faster_than(limit, straight_lined=True) == sum(
        1 for d, _s in replies if d is not None and d < limit
    )
    assert kept.faster_than(limit, straight_lined=False) == sum(
        1 for d, s in replies if d is not None and d < limit and not s
    )


@pytest.mark.parametrize("limit", [0, 9, 10, 11, 59, 60, 61, 200, 599, 600, 100_000])
def test_a_too_fast_limit_anywhere_in_a_band_or_on_its_edge_reads_exactly(
    campus: CampusSurvey, limit: int
) -> None:
    survey_id = campus.survey.pk
    load(campus, seed=12, per_group=4)
    durations = [0, 5, 9, 10, 11, 30, 59, 60, 61, 150, 299, 300, 599, 600, 601, 86_400, 90_000]
    ids = list(Response.objects.order_by("pk").values_list("pk", flat=True))
    for pk, seconds in zip(ids, durations, strict=False):  # one each, as far as they go
        Response.objects.filter(pk=pk).update(duration_seconds=seconds)
    # Straight-lined replies in the band a limit of 61 cuts through, and beyond.
    Response.objects.filter(pk__in=[ids[7], ids[8], ids[10]]).update(straight_lined=True)
    tally_catch_up(survey_id)
    grid_id = Answer.objects.filter(question__kind="grid").values_list("question_id").first()
    assert grid_id is not None
    for exclude_straight_lined in (False, True):
        with transaction.atomic():
            tally_current(survey_id)
            cells = rating_cells(
                survey_id,
                grid_id[0],
                exclude_straight_lined=exclude_straight_lined,
                faster_than=limit,
            )
        read = Counter(
            {
                (c.row_code, c.column_code, c.group, side_code(c.internal), c.value): c.n
                for c in cells
            }
        )
        assert len(read) == len(cells)  # each key once, its sum above 0
        assert all(n > 0 for n in read.values())

        def kept(r: Response, exclude: bool = exclude_straight_lined) -> bool:
            fast = r.duration_seconds is not None and r.duration_seconds < limit
            return not fast and not (exclude and r.straight_lined)

        by_hand: Counter[Any] = Counter()
        for (row, column, group, side, _straight, _band, value), n in counted_by_hand(
            survey_id, kept
        ).items():
            by_hand[(row, column, group, side, value)] += n
        assert read == by_hand
