"""Every feedback reply as one table, for the CSV and XLSX exports."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils import translation
from django.utils.translation import get_language_info

from materiality.feedback.form import row_title
from materiality.models import Report
from materiality.reporting.wording import word
from surveys.models import (
    Answer,
    QuestionKind,
    Response,
    ResponseStatus,
)
from surveys.selectors import questionnaire_load


def feedback_table(report: Report, language: str) -> tuple[list[str], list[list[Any]]]:
    """One row per reader for CSV/XLSX: answers as labels (ordinal scores beside them),
    comments as text, every header and language named in *language* (the active one).
    No contact addresses: those are for replying, not for analysis."""
    from surveys.translations import pick

    questionnaire = questionnaire_load(report.survey)
    columns: list[tuple[int, str, str]] = []  # (question id, row code, header)
    for question in questionnaire.questions:
        title = pick(question.text, language)
        if question.kind == QuestionKind.GRID:
            for row in questionnaire.rows(question):
                columns.append(
                    (question.pk, row.code, row_title(title, pick(row.label, language), language))
                )
        else:
            columns.append((question.pk, "", title))
    choice_labels = {
        (q.pk, o.code): (pick(o.label, language), o.score)
        for q in questionnaire.questions
        for o in questionnaire.choices(q)
    }
    header = [
        word("response_number", language),
        word("submitted_on", language),
        word("language", language),
    ] + [h for _q, _r, h in columns]
    answers: dict[int, dict[tuple[int, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    responses: dict[int, Response] = {}
    for answer in (
        Answer.objects.filter(
            response__survey=report.survey, response__status=ResponseStatus.SUBMITTED
        )
        .select_related("response")
        .order_by("response__submitted_at", "response_id", "pk")
        .iterator(chunk_size=2000)
    ):
        responses[answer.response_id] = answer.response
        if answer.text:
            shown = answer.text
        elif answer.value is not None:
            rated = questionnaire.question_by_id(answer.question_id)
            label = rated.scale_label(answer.value, language) if rated else ""
            shown = f"{answer.value} {label}".strip()
        else:
            label, score = choice_labels.get(
                (answer.question_id, answer.column_code), (answer.column_code, None)
            )
            shown = f"{label} ({score})" if score is not None else label
        answers[answer.response_id][(answer.question_id, answer.row_code)].append(shown)
    rows = []
    for number, (response_id, response) in enumerate(responses.items(), start=1):
        cells = answers[response_id]
        rows.append(
            [
                number,
                response.submitted_at.date().isoformat() if response.submitted_at else "",
                _language_name(response.language, language),
            ]
            + ["; ".join(cells.get((q, r), [])) for q, r, _h in columns]
        )
    return header, rows


def _language_name(code: str, language: str) -> str:
    """A reader's language by its name in *language* ("简体中文", "English")."""
    try:
        info = get_language_info(code)
    except KeyError:
        return code
    with translation.override(language):
        return str(info["name_translated"])
