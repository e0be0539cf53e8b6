"""Submit hooks (SURVEYS_SUBMIT_HOOKS) run inside the submit's transaction: what a hook
writes commits with the submission, a hook that fails is rolled back alone, and the
response is submitted either way."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from surveys.models import Response, ResponseStatus, SurveyStatus
from surveys.services import response_submit
from tests.surveys.conftest import CampusSurvey
from tests.surveys.factories import AnswerFactory, ResponseFactory
from tests.surveys.test_straight_lining import CELLS

pytestmark = pytest.mark.django_db

HOOKS = "tests.surveys.test_submit_hooks"

# What the hooks saw, in the order they ran.
seen: list[tuple[str, int, bool]] = []


def writing_hook(survey_id: int, response_id: int) -> None:
    """Writes to the survey row, as a hook's own record would be written."""
    from surveys.models import Survey

    submitted = Response.objects.get(pk=response_id).status == ResponseStatus.SUBMITTED
    seen.append(("writing", response_id, submitted))
    Survey.objects.filter(pk=survey_id).update(status=SurveyStatus.CLOSED)


def failing_hook(survey_id: int, response_id: int) -> None:
    """Writes, then fails: its write must go with it."""
    from surveys.models import Survey

    seen.append(("failing", response_id, transaction.get_connection().in_atomic_block))
    Survey.objects.filter(pk=survey_id).update(straight_line_min_cells=99)
    raise RuntimeError("the hook broke")


def complete_response(campus: CampusSurvey) -> Response:
    response = ResponseFactory(survey=campus.survey, status="in_progress", submitted_at=None)
    AnswerFactory(response=response, question=campus.group, column_code="staff", text="")
    AnswerFactory(response=response, question=campus.side, column_code="internal", text="")
    for number, (row, column) in enumerate(CELLS):
        AnswerFactory(
            response=response,
            question=campus.grid,
            row_code=row,
            column_code=column,
            value=1 + number % 5,
            text="",
        )
    response.survey.refresh_from_db()
    return response


@pytest.fixture(autouse=True)
def forget_seen() -> None:
    seen.clear()


def test_a_hook_runs_inside_the_submit_and_a_failing_one_is_rolled_back_alone(
    campus: CampusSurvey, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SURVEYS_SUBMIT_HOOKS = [f"{HOOKS}.failing_hook", f"{HOOKS}.writing_hook"]
    response = complete_response(campus)
    minimum = campus.survey.straight_line_min_cells

    submitted = response_submit(response=response)

    assert submitted.status == ResponseStatus.SUBMITTED
    # Both ran, inside the transaction, after the response was submitted in it.
    assert seen == [("failing", response.pk, True), ("writing", response.pk, True)]
    campus.survey.refresh_from_db()
    assert campus.survey.straight_line_min_cells == minimum  # the failing hook's write: gone
    assert campus.survey.status == SurveyStatus.CLOSED  # the next hook's: kept
    assert Response.objects.get(pk=response.pk).status == ResponseStatus.SUBMITTED
    assert "Submit hook tests.surveys.test_submit_hooks.failing_hook failed" in caplog.text


def test_a_hooks_write_is_taken_back_with_a_submit_that_fails_after_it(
    campus: CampusSurvey, settings: Any
) -> None:
    settings.SURVEYS_SUBMIT_HOOKS = [f"{HOOKS}.writing_hook"]
    response = complete_response(campus)

    def submit_then_fail() -> None:
        with transaction.atomic():
            response_submit(response=response)
            raise RuntimeError("the request fails after the submit")

    with pytest.raises(RuntimeError):
        submit_then_fail()

    assert seen == [("writing", response.pk, True)]
    campus.survey.refresh_from_db()
    assert campus.survey.status == SurveyStatus.OPEN
    assert Response.objects.get(pk=response.pk).status == ResponseStatus.IN_PROGRESS
