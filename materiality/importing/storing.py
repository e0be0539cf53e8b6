"""Storing checked reply rows through the surveys engine's bulk service, and the record
of the file they came from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from materiality.importing.checking import ReplyRow
from materiality.importing.context import ImportContext, _imported_references
from materiality.importing.duplicates import imported_file_find
from materiality.models import ImportedFile
from materiality.questionnaire import GROUP_QUESTION, IMPORTANCE_QUESTION, SIDE_QUESTION
from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.models import ResponseSource, Survey
from surveys.services import AnswerInput

# Rows per bulk insert of responses (and their answers) and per progress update.
STORE_BATCH_ROWS = 500
FILE_NAME_MAX_LENGTH = 255  # ImportedFile.file_name
KNOWN_ANSWERS_MAX = 10_000  # answer objects kept for reuse (a file holds a few hundred)


# --- Storing --------------------------------------------------------------------------


class FileImportedBefore(Exception):
    """The same rows were imported into the assessment before (`record`), or meanwhile."""

    def __init__(self, record: ImportedFile) -> None:
        super().__init__(record.file_name)
        self.record = record


@dataclass(frozen=True)
class StoredReplies:
    stored: int
    # Rows whose reference another import stored after the file was checked: not stored.
    imported_meanwhile: tuple[ReplyRow, ...] = ()


def replies_store(
    *,
    context: ImportContext,
    rows: Sequence[ReplyRow],
    digest: str,
    file_name: str,
    imported_by: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> StoredReplies:
    """Store checked rows as submitted, imported responses with their answers, all or
    nothing, through the engine's bulk service, STORE_BATCH_ROWS rows at a time: the
    number of queries grows with the number of batches, never with the number of rows.

    The file is recorded by its digest (`ImportedFile`) in the same transaction: a file
    imported before is refused (`FileImportedBefore`), even by an import that checked
    it before the other one stored it. Rows whose reference was imported meanwhile are
    left out and returned; if that leaves none, nothing is stored or recorded."""
    grid_id = context.question_ids[IMPORTANCE_QUESTION]
    group_id = context.question_ids.get(GROUP_QUESTION)
    side_id = context.question_ids.get(SIDE_QUESTION)
    try:
        with transaction.atomic():
            # Imports into one survey queue here, so that the same file uploaded twice
            # at once cannot pass the checks below twice.
            survey = Survey.objects.select_for_update().get(pk=context.survey_id)
            before = imported_file_find(assessment_id=context.assessment_id, digest=digest)
            if before is not None:
                raise FileImportedBefore(before)
            taken = set(_imported_references(context.survey_id))
            fresh = [row for row in rows if row.reference not in taken]
            meanwhile = tuple(row for row in rows if row.reference in taken)
            if not fresh:
                return StoredReplies(0, meanwhile)
            # The unique constraint stops a second import of these rows that got past
            # the lookup (another process, a database without row locks).
            ImportedFile.objects.create(
                assessment_id=context.assessment_id,
                digest=digest,
                file_name=file_name[:FILE_NAME_MAX_LENGTH],
                rows=len(fresh),
                imported_by=imported_by if getattr(imported_by, "pk", None) else None,
            )
            answers: dict[object, tuple[object, AnswerInput]] = {}
            stored = responses_store_bulk(
                survey=survey,
                # A generator: the engine reads it a batch at a time.
                replies=(
                    _reply(row, grid_id=grid_id, group_id=group_id, side_id=side_id, known=answers)
                    for row in fresh
                ),
                source=ResponseSource.IMPORT,
                batch_size=STORE_BATCH_ROWS,
                on_batch=on_batch,
                # Counted here, set-based, so that the scores run after the import does
                # not count them again reply by reply.
                count=True,
            )
            return StoredReplies(stored, meanwhile)
    except IntegrityError:
        record = imported_file_find(assessment_id=context.assessment_id, digest=digest)
        if record is None:
            raise
        raise FileImportedBefore(record) from None


def _reply(
    row: ReplyRow,
    *,
    grid_id: int,
    group_id: int | None,
    side_id: int | None,
    known: dict[object, tuple[object, AnswerInput]],
) -> ReplyInput:
    answers = []
    for rating in row.ratings:
        # The same few hundred answers over and over (the check makes one CellRating per
        # column and level): one object each, found by the rating object itself.
        found = known.get(id(rating))
        if found is not None and found[0] is rating:
            answer = found[1]
        else:
            answer = AnswerInput(
                grid_id, rating.topic, rating.axis, value=rating.value, dont_know=rating.dont_know
            )
            if len(known) < KNOWN_ANSWERS_MAX:
                known[id(rating)] = (rating, answer)  # kept: its id() is not reused
        answers.append(answer)
    # The answers that describe the respondent, as the web form stores them: one object
    # per group and side too.
    if group_id is not None:
        group = known.get(("group", row.group))
        if group is None:
            group = known[("group", row.group)] = (
                row.group,
                AnswerInput(group_id, column_code=row.group),
            )
        answers.append(group[1])
    if side_id is not None:
        side = "internal" if row.internal else "external"
        found = known.get(("side", side))
        if found is None:
            found = known[("side", side)] = (side, AnswerInput(side_id, column_code=side))
        answers.append(found[1])
    return ReplyInput(
        answers=answers,
        duration_seconds=row.duration,
        respondent_group=row.group,
        respondent_internal=row.internal,
        respondent_fixed=True,
        source_reference=row.reference,
    )
