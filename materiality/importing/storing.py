"""Storing checked reply rows through the surveys engine's bulk service."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from materiality.importing.checking import ReplyRow
from materiality.importing.context import ImportContext, _imported_references
from materiality.questionnaire import GROUP_QUESTION, IMPORTANCE_QUESTION, SIDE_QUESTION
from surveys.models import (
    Answer,
    Response,
    ResponseSource,
    ResponseStatus,
    Survey,
)
from surveys.services import is_straight_lined

# Rows per bulk insert of responses (and their answers) and per progress update.
STORE_BATCH_ROWS = 500
ANSWER_BATCH = 5_000


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
    nothing, in bulk inserts of STORE_BATCH_ROWS rows: the number of queries grows with
    the number of batches, never with the number of rows."""
    now = timezone.now()
    grid_id = context.question_ids[IMPORTANCE_QUESTION]
    group_id = context.question_ids.get(GROUP_QUESTION)
    side_id = context.question_ids.get(SIDE_QUESTION)
    stored = 0
    with transaction.atomic():
        # Imports into one survey queue here, so that the same file uploaded twice at
        # once cannot pass the duplicate check below twice.
        list(Survey.objects.select_for_update().filter(pk=context.survey_id).values_list("pk"))
        taken = set(_imported_references(context.survey_id))
        clash = sorted({row.reference for row in rows} & taken)
        if clash:
            raise DuplicateReferences(clash)
        for start in range(0, len(rows), STORE_BATCH_ROWS):
            batch = rows[start : start + STORE_BATCH_ROWS]
            responses = Response.objects.bulk_create(
                [_response(context, row, now) for row in batch], batch_size=STORE_BATCH_ROWS
            )
            answers: list[Answer] = []
            for response, row in zip(responses, batch, strict=True):
                answers.extend(
                    Answer(
                        response=response,
                        question_id=grid_id,
                        row_code=rating.topic,
                        column_code=rating.axis,
                        value=rating.value,
                        dont_know=rating.dont_know,
                    )
                    for rating in row.ratings
                )
                # The answers that describe the respondent, as the web form stores them.
                if group_id is not None:
                    answers.append(
                        Answer(response=response, question_id=group_id, column_code=row.group)
                    )
                if side_id is not None:
                    side = "internal" if row.internal else "external"
                    answers.append(Answer(response=response, question_id=side_id, column_code=side))
            Answer.objects.bulk_create(answers, batch_size=ANSWER_BATCH)
            stored += len(batch)
            if on_batch is not None:
                on_batch(stored)
    return stored


def _response(context: ImportContext, row: ReplyRow, now: datetime) -> Response:
    ratings = [rating.value for rating in row.ratings if rating.value is not None]
    return Response(
        survey_id=context.survey_id,
        # Nobody holds a token for this hash: an imported response cannot be resumed.
        resume_hash=secrets.token_hex(32),
        status=ResponseStatus.SUBMITTED,
        source=ResponseSource.IMPORT,
        source_reference=row.reference,
        respondent_group=row.group,
        respondent_internal=row.internal,
        respondent_fixed=True,
        started_at=now - timedelta(seconds=row.duration) if row.duration is not None else now,
        submitted_at=now,
        duration_seconds=row.duration,
        straight_lined=is_straight_lined(ratings, context.grid_cells),
    )
