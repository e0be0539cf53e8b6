"""The replies of an assessment as CSV and XLSX, and the means recomputed from that CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import IO, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from materiality.models import (
    Assessment,
    StakeholderGroup,
)
from materiality.questionnaire import IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION
from materiality.reporting.spreadsheets import (
    CODE_FONT,
    HEADER_FONT,
    csv_chunks,
    display_width,
    header_cell,
    sheet_title,
    text_cell,
)
from materiality.reporting.tables import Column, _local
from materiality.reporting.wording import word
from materiality.runs.options import FILTER_DEFAULTS
from materiality.scoring import AxisSource, Params, Weighting
from surveys.models import Answer, OptionRole, Question, QuestionOption, Response, ResponseStatus
from surveys.translations import pick

DONT_KNOW = "DK"  # the responses export's value for "don't know": never a rating
PROGRESS_EVERY = 1000  # responses between progress reports


# --- Responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    question_id: int
    overall_id: int | None
    topics: list[tuple[str, Mapping[str, str]]]  # (code, label per language), grid order
    axes: list[tuple[str, Mapping[str, str]]]


def _grid(assessment: Assessment) -> _Grid:
    """The questionnaire as respondents saw it: its own row and column labels, frozen
    when it opened (topic names edited later do not rewrite what was asked)."""
    questions = dict(
        Question.objects.filter(
            survey_id=assessment.survey_id, code__in=[IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION]
        ).values_list("code", "pk")
    )
    grid_id = questions[IMPORTANCE_QUESTION]
    options = QuestionOption.objects.filter(question_id=grid_id).order_by("order", "pk")
    return _Grid(
        question_id=grid_id,
        overall_id=questions.get(OVERALL_COMMENT_QUESTION),
        topics=[(o.code, o.label) for o in options if o.role == OptionRole.ROW],
        axes=[(o.code, o.label) for o in options if o.role == OptionRole.COLUMN],
    )


def _response_columns(
    grid: _Grid, language: str, *, anonymise: bool, include_comments: bool
) -> list[Column]:
    columns = [
        Column("response", word("response_number" if anonymise else "response_id", language)),
        Column("group", word("group", language)),
        Column("group_name", word("group_name", language)),
        Column("side", word("side", language)),
        Column("language", word("language", language)),
        Column("submitted", word("submitted_on" if anonymise else "submitted_at", language)),
        Column("duration_seconds", word("duration", language), "0"),
        Column("straight_lined", word("straight_lined", language)),
    ]
    columns += [
        Column(f"{topic}:{axis}", f"{pick(topic_label, language)} — {pick(axis_label, language)}")
        for topic, topic_label in grid.topics
        for axis, axis_label in grid.axes
    ]
    if include_comments:
        comment = word("comment", language)
        columns += [
            Column(f"{topic}:comment", f"{pick(topic_label, language)} — {comment}")
            for topic, topic_label in grid.topics
        ]
        if grid.overall_id is not None:
            columns.append(Column(OVERALL_COMMENT_QUESTION, word("overall_comment", language)))
    return columns


def _submitted(assessment: Assessment) -> QuerySet[Response]:
    return Response.objects.filter(survey_id=assessment.survey_id, status=ResponseStatus.SUBMITTED)


def _response_rows(
    assessment: Assessment,
    grid: _Grid,
    language: str,
    *,
    anonymise: bool,
    include_comments: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list[Any]]:
    """One row per submitted response, in order of submission.

    Two streamed queries in the same order, merged: the responses, then all their
    answers. Never a query per response. The responses are read first, so a response
    submitted between the two queries has answers but no row, and the merge skips its
    answers: every row is complete.
    """
    names = {g.code: g.get_name(language) for g in StakeholderGroup.objects.all()}
    total = _submitted(assessment).count() if progress else 0
    columns = {
        f"{topic}:{axis}": index
        for index, (topic, axis) in enumerate(
            ((t, a) for t, _tl in grid.topics for a, _al in grid.axes), start=8
        )
    }
    width = 8 + len(columns)
    comment_at: dict[str, int] = {}
    if include_comments:
        comment_at = {topic: width + index for index, (topic, _label) in enumerate(grid.topics)}
        width += len(grid.topics)
        if grid.overall_id is not None:
            comment_at[OVERALL_COMMENT_QUESTION] = width
            width += 1
    responses = (
        _submitted(assessment)
        .order_by("submitted_at", "pk")
        .values_list(
            "pk",
            "submitted_at",
            "respondent_group",
            "respondent_internal",
            "language",
            "duration_seconds",
            "straight_lined",
        )
        .iterator(chunk_size=2000)
    )
    head = next(responses, None)  # runs the responses' query before the answers' one
    if head is None:
        return
    wanted = Q(question_id=grid.question_id)
    if include_comments:
        if grid.overall_id is not None:
            wanted |= Q(question_id=grid.overall_id)
    else:
        wanted &= ~Q(column_code="")  # ratings only: comments are never read
    answers = (
        Answer.objects.filter(
            wanted,
            response__survey_id=assessment.survey_id,
            response__status=ResponseStatus.SUBMITTED,
        )
        .order_by("response__submitted_at", "response_id")
        .values_list(
            "response__submitted_at",
            "response_id",
            "question_id",
            "row_code",
            "column_code",
            "value",
            "dont_know",
            "text",
        )
        .iterator(chunk_size=10_000)
    )
    pending = next(answers, None)
    for number, (pk, submitted_at, group, internal, answered_in, duration, straight) in enumerate(
        chain([head], responses), start=1
    ):
        key = (submitted_at, pk)
        row: list[Any] = [None] * width
        row[:8] = [
            number if anonymise else pk,
            group,
            names.get(group, group),
            "" if internal is None else "internal" if internal else "external",
            answered_in,
            timezone.localdate(submitted_at).isoformat() if anonymise else _local(submitted_at),
            duration,
            straight,
        ]
        while pending is not None and (pending[0], pending[1]) < key:
            pending = next(answers, None)
        while pending is not None and (pending[0], pending[1]) == key:
            _when, _rid, question, topic, axis, value, dont_know, text = pending
            if question == grid.question_id and axis:
                at = columns.get(f"{topic}:{axis}")
                if at is not None:
                    row[at] = DONT_KNOW if dont_know else value
            elif text:
                at = comment_at.get(
                    topic if question == grid.question_id else OVERALL_COMMENT_QUESTION
                )
                if at is not None:
                    row[at] = text
            pending = next(answers, None)
        if progress and number % PROGRESS_EVERY == 0:
            progress(min(99, number * 100 // max(total, 1)))
        yield row


def responses_csv(
    assessment: Assessment,
    language: str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The submitted responses as CSV, streamed in chunks (for a StreamingHttpResponse).

    Anonymised (the default): responses numbered by submission order, dates without time,
    and no free-text comments unless *include_comments* is True, because comments may name
    people. Not anonymised: database ids, times, comments by default. Never e-mail
    addresses or invitation data.
    """
    comments = (not anonymise) if include_comments is None else include_comments
    grid = _grid(assessment)
    columns = _response_columns(grid, language, anonymise=anonymise, include_comments=comments)
    rows = _response_rows(
        assessment,
        grid,
        language,
        anonymise=anonymise,
        include_comments=comments,
        progress=progress,
    )
    yield from csv_chunks(columns, rows)


def responses_xlsx(
    assessment: Assessment,
    language: str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
) -> bytes:
    buffer = io.BytesIO()
    write_responses_xlsx(
        assessment, language, buffer, anonymise=anonymise, include_comments=include_comments
    )
    return buffer.getvalue()


def write_responses_xlsx(
    assessment: Assessment,
    language: str,
    target: IO[bytes] | str,
    *,
    anonymise: bool = True,
    include_comments: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """As responses_csv, as a workbook written row by row (openpyxl's write-only mode
    keeps no rows in memory), with a Notes sheet that explains the columns."""
    comments = (not anonymise) if include_comments is None else include_comments
    grid = _grid(assessment)
    columns = _response_columns(grid, language, anonymise=anonymise, include_comments=comments)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(word("sheet_responses", language)))
    # Write-only sheets take widths and panes before the first row, so widths come from
    # the headers; ratings are narrow anyway.
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        if ":" in column.code and not column.code.endswith(":comment"):
            sheet.column_dimensions[letter].width = 9
        else:
            sheet.column_dimensions[letter].width = min(max(display_width(column.code), 10) + 2, 40)
    sheet.freeze_panes = "B3"
    sheet.append([header_cell(sheet, c.code, CODE_FONT) for c in columns])
    sheet.append([header_cell(sheet, c.label, HEADER_FONT) for c in columns])
    for row in _response_rows(
        assessment,
        grid,
        language,
        anonymise=anonymise,
        include_comments=comments,
        progress=progress,
    ):
        sheet.append(
            [text_cell(sheet, value) if isinstance(value, str) else value for value in row]
        )
    notes = workbook.create_sheet(sheet_title(word("sheet_notes", language)))
    notes.column_dimensions["A"].width = 120
    notes.append([word("notes_responses", language)])
    key = (
        "notes_identified"
        if not anonymise
        else "notes_anonymised_comments"
        if comments
        else "notes_anonymised"
    )
    notes.append([word(key, language)])
    workbook.save(target)


# --- The means by hand --------------------------------------------------------------------


def means_from_responses_csv(
    content: bytes | str,
    *,
    options: Mapping[str, Any],
    too_fast_seconds: int | None,
    groups: Collection[str] | None = None,
) -> dict[tuple[str, str], float | None]:
    """The overall mean of every topic and axis, from the responses export alone.

    The way an auditor would do it in a spreadsheet, without the scoring code: drop the
    responses the run's quality filters drop (straight-lined; completion time under
    *too_fast_seconds*, the limit the Run sheet of the scores export gives), keep only
    ratings ("DK" and blanks are not ratings), apply the axis-source rule, average each
    group's ratings and weight the group means by the run's weighting. *options* is the
    run's recorded options (``run.options``); *groups* limits the count to the
    assessment's groups, as scoring does.
    """
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    codes = next(reader)
    next(reader)  # the labels
    at = {code: index for index, code in enumerate(codes)}
    params = Params.from_dict(options.get("params", {}))
    filters = {key: options.get(key, default) for key, default in FILTER_DEFAULTS.items()}
    axes = (params.company_axis, params.stakeholder_axis)
    rating_columns: list[tuple[int, str, str]] = []  # (column, topic, axis)
    for index, code in enumerate(codes):
        topic, _colon, axis = code.partition(":")
        if axis in axes:
            rating_columns.append((index, topic, axis))
    split = params.axis_source is AxisSource.SPLIT_INTERNAL_EXTERNAL
    sums: dict[tuple[str, str, str], list[float]] = {}
    for row in reader:
        if filters["exclude_straight_lined"] and row[at["straight_lined"]] == "true":
            continue
        duration = row[at["duration_seconds"]]
        if too_fast_seconds is not None and duration and int(duration) < too_fast_seconds:
            continue
        group = row[at["group"]]
        if groups is not None and group not in groups:
            continue
        internal = row[at["side"]] == "internal"
        for index, topic, axis in rating_columns:
            value = row[index]
            if not value or value == DONT_KNOW:
                continue
            if split and internal != (axis == params.company_axis):
                continue
            cell = sums.setdefault((topic, axis, group), [0.0, 0])
            cell[0] += int(value)
            cell[1] += 1
    means: dict[tuple[str, str], float | None] = {
        (topic, axis): None for _index, topic, axis in rating_columns
    }
    weighted: dict[tuple[str, str], list[float]] = {}
    for (topic, axis, group), (total, count) in sums.items():
        if params.weighting is Weighting.RESPONDENT:
            weight = float(count)
        elif params.weighting is Weighting.EQUAL_GROUP:
            weight = 1.0
        else:
            weight = float(params.group_weights.get(group, 0.0))
        acc = weighted.setdefault((topic, axis), [0.0, 0.0])
        acc[0] += weight * total / count
        acc[1] += weight
    for key, (numerator, denominator) in weighted.items():
        means[key] = numerator / denominator if denominator > 0 else None
    return means
