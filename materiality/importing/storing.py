"""Storing checked reply rows through the surveys engine's bulk service."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db import transaction

from materiality.importing.checking import ReplyRow
from materiality.importing.context import ImportContext, _imported_references
from materiality.questionnaire import GROUP_QUESTION, IMPORTANCE_QUESTION, SIDE_QUESTION
from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.models import ResponseSource, Survey
from surveys.services import AnswerInput

# Rows per bulk insert of responses (and their answers) and per progress update.
STORE_BATCH_ROWS = 500


# --- Storing --------------------------------------------------------------------------


class DuplicateReferences(Exception):
    """Another import stored some of the same references after the file was checked."""

    def __init__(self, references: Sequence[str]) -> None:
        super().__init__(", ".join(references[:10]))
        self.references = list(references)


def replies_store(
    *,
    context: ImportContext,
    rows: Sequence[ReplyRow],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Store checked rows as submitted, imported responses with their answers, all or
    nothing, through the engine's bulk service, STORE_BATCH_ROWS rows at a time: the
    number of queries grows with the number of batches, never with the number of rows."""
    grid_id = context.question_ids[IMPORTANCE_QUESTION]
    group_id = context.question_ids.get(GROUP_QUESTION)
    side_id = context.question_ids.get(SIDE_QUESTION)
    with transaction.atomic():
        # Imports into one survey queue here, so that the same file uploaded twice at
        # once cannot pass the duplicate check below twice.
        survey = Survey.objects.select_for_update().get(pk=context.survey_id)
        taken = set(_imported_references(context.survey_id))
        clash = sorted({row.reference for row in rows} & taken)
        if clash:
            raise DuplicateReferences(clash)
        return responses_store_bulk(
            survey=survey,
            replies=[
                _reply(row, grid_id=grid_id, group_id=group_id, side_id=side_id) for row in rows
            ],
            source=ResponseSource.IMPORT,
            batch_size=STORE_BATCH_ROWS,
            on_batch=on_batch,
        )


def _reply(row: ReplyRow, *, grid_id: int, group_id: int | None, side_id: int | None) -> ReplyInput:
    answers = [
        AnswerInput(
            grid_id, rating.topic, rating.axis, value=rating.value, dont_know=rating.dont_know
        )
        for rating in row.ratings
    ]
    # The answers that describe the respondent, as the web form stores them.
    if group_id is not None:
        answers.append(AnswerInput(group_id, column_code=row.group))
    if side_id is not None:
        answers.append(AnswerInput(side_id, column_code="internal" if row.internal else "external"))
    return ReplyInput(
        answers=answers,
        duration_seconds=row.duration,
        respondent_group=row.group,
        respondent_internal=row.internal,
        respondent_fixed=True,
        source_reference=row.reference,
    )
