"""The straight-lining flag: the engine's default rule, a survey's own minimum, and the
replies flagged again (and their counts recounted) when the minimum changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.models import RatingTally, Response, ResponseSource
from surveys.services import (
    AnswerInput,
    is_straight_lined,
    response_submit,
    responses_flag_straight_lined,
    survey_update,
)
from surveys.tallies import tally_catch_up, tally_current
from tests.surveys.conftest import COLUMNS, ROWS, CampusSurvey
from tests.surveys.factories import AnswerFactory, ResponseFactory
from tests.surveys.test_tallies import counted_by_hand, stored

pytestmark = pytest.mark.django_db

CELLS = [(row, column) for row, _label in ROWS for column, _label in COLUMNS]  # 14


def alike(campus: CampusSurvey, rated: int, *, value: int = 5) -> ReplyInput:
    """A reply that gives `value` to its first `rated` cells and "don't know" to the rest."""
    answers = [
        AnswerInput(campus.group.pk, column_code="students"),
        AnswerInput(campus.side.pk, column_code="external"),
    ]
    for number, (row, column) in enumerate(CELLS):
        if number < rated:
            answers.append(AnswerInput(campus.grid.pk, row, column, value=value))
        else:
            answers.append(AnswerInput(campus.grid.pk, row, column, dont_know=True))
    return ReplyInput(answers=answers, duration_seconds=300)


def varied(campus: CampusSurvey) -> ReplyInput:
    answers = [
        AnswerInput(campus.group.pk, column_code="staff"),
        AnswerInput(campus.side.pk, column_code="internal"),
    ]
    answers += [
        AnswerInput(campus.grid.pk, row, column, value=1 + number % 5)
        for number, (row, column) in enumerate(CELLS)
    ]
    return ReplyInput(answers=answers, duration_seconds=300)


def store(campus: CampusSurvey, replies: list[ReplyInput]) -> list[int]:
    responses_store_bulk(survey=campus.survey, replies=replies, source=ResponseSource.IMPORT)
    return list(Response.objects.filter(survey=campus.survey).order_by("pk").values_list("pk"))


def flags(campus: CampusSurvey) -> list[bool]:
    return list(
        Response.objects.filter(survey=campus.survey)
        .order_by("pk")
        .values_list("straight_lined", flat=True)
    )


def test_the_default_rule_needs_half_of_the_grid_and_at_least_four_cells() -> None:
    assert not is_straight_lined([5] * 6, 14)  # half of 14 is 7
    assert is_straight_lined([5] * 7, 14)
    assert not is_straight_lined([5] * 3, 6)  # at least 4
    assert is_straight_lined([5] * 4, 6)
    assert not is_straight_lined([5, 5, 5, 4, 5, 5, 5], 14)


def test_a_surveys_own_minimum_replaces_the_default_rule() -> None:
    assert is_straight_lined([5] * 6, 14, 4)
    assert not is_straight_lined([5] * 6, 14, 8)
    assert is_straight_lined([2, 2], 34, 2)


def test_a_new_minimum_flags_the_submitted_replies_again(campus: CampusSurvey) -> None:
    # Six alike cells, three, the whole grid alike, and a varied reply.
    store(campus, [alike(campus, 6), alike(campus, 3), alike(campus, 14, value=2), varied(campus)])
    assert flags(campus) == [False, False, True, False]  # the default: 7 of 14 cells

    survey_update(survey=campus.survey, straight_line_min_cells=4)
    assert flags(campus) == [True, False, True, False]
    survey_update(survey=campus.survey, straight_line_min_cells=8)
    assert flags(campus) == [False, False, True, False]
    survey_update(survey=campus.survey, straight_line_min_cells=None)
    assert flags(campus) == [False, False, True, False]
    assert campus.survey.straight_line_min_cells is None


def test_replies_stored_after_the_change_follow_the_new_minimum(campus: CampusSurvey) -> None:
    survey_update(survey=campus.survey, straight_line_min_cells=3)
    store(campus, [alike(campus, 3), alike(campus, 2)])
    assert flags(campus) == [True, False]


def test_a_submitted_reply_is_flagged_by_the_surveys_minimum(campus: CampusSurvey) -> None:
    survey_update(survey=campus.survey, straight_line_min_cells=5)
    response = ResponseFactory(survey=campus.survey, status="in_progress", submitted_at=None)
    AnswerFactory(response=response, question=campus.group, column_code="staff", text="")
    AnswerFactory(response=response, question=campus.side, column_code="internal", text="")
    for number, (row, column) in enumerate(CELLS):
        rated = number < 5
        AnswerFactory(
            response=response,
            question=campus.grid,
            row_code=row,
            column_code=column,
            value=4 if rated else None,
            dont_know=not rated,
            text="",
        )
    response.survey.refresh_from_db()
    assert response_submit(response=response).straight_lined


def test_flags_that_change_have_the_counts_recounted(campus: CampusSurvey) -> None:
    survey_id = campus.survey.pk
    store(campus, [alike(campus, 6), alike(campus, 6, value=1), varied(campus)])
    tally_catch_up(survey_id)
    assert stored(survey_id) == counted_by_hand(survey_id)

    survey_update(survey=campus.survey, straight_line_min_cells=5)
    assert RatingTally.objects.get(survey_id=survey_id).stale
    with transaction.atomic():
        tally_current(survey_id)
    assert stored(survey_id) == counted_by_hand(survey_id)
    assert sum(n for key, n in stored(survey_id).items() if key[4]) == 12  # 2 replies × 6


def test_flagging_again_changes_nothing_when_no_flag_changes(campus: CampusSurvey) -> None:
    store(campus, [alike(campus, 14), varied(campus)])
    tally_catch_up(campus.survey.pk)
    survey_update(survey=campus.survey, straight_line_min_cells=10)
    assert not RatingTally.objects.get(survey_id=campus.survey.pk).stale
    assert responses_flag_straight_lined(survey=campus.survey) == 0


@pytest.mark.parametrize("replies", [3, 12])
def test_flagging_again_takes_the_same_queries_for_any_number_of_replies(
    campus: CampusSurvey, replies: int, django_assert_num_queries: Any
) -> None:
    store(campus, [alike(campus, 6) for _ in range(replies)] + [varied(campus)])
    campus.survey.straight_line_min_cells = 4  # as survey_update leaves it, before flagging
    # (The questionnaire of an open survey is read once per process: the store read it.)
    # One check, the counts' lock (read, create, mark stale) and the two updates, with
    # the savepoints of the service, the lock and the create.
    with django_assert_num_queries(12):
        assert responses_flag_straight_lined(survey=campus.survey) == replies
