"""Questionnaires in JSON, both ways: the questions out (with their rows, columns,
choices and scale, every text in each language), the answers in.

Answers are not checked here but by the respondent's own form (`surveys.forms.PageForm`,
or the feedback form built on it): the JSON answers are turned into that form's data,
so the API refuses exactly what the form refuses, with the same messages, and stores
what the form stores (`PageForm.answer_inputs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from materiality.api.fields import TranslatedTextField
from surveys.forms import DONT_KNOW, UNANSWERED, UNRATED, PageForm
from surveys.models import QuestionKind, QuestionOption
from surveys.selectors import Page, PageItem

# The word for "don't know" where a question offers it.
DONT_KNOW_VALUE = "dont_know"
MAX_ANSWERS = 2000  # 17 topics × 2 axes + comments is about 60; far above any survey here


# --- The questions out ----------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code: a topic's code for a grid row.")
    label = TranslatedTextField(help_text="The name shown, e.g. the topic's name.")  # type: ignore[assignment]
    description = TranslatedTextField(required=False)


class ScaleLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    label = TranslatedTextField(help_text="The level's words, where the scale has them.")  # type: ignore[assignment]


class QuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="What an answer names in `question`.")
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    text = TranslatedTextField()
    help_text = TranslatedTextField()  # type: ignore[assignment]
    required = serializers.BooleanField()  # type: ignore[assignment]
    purpose = serializers.CharField(
        help_text="respondent_group / respondent_side: the answer describes the respondent."
    )
    rows = OptionSerializer(many=True, help_text="Grid: the rows (topics) to rate.")
    columns = OptionSerializer(many=True, help_text="Grid: the columns (axes) of each row.")
    choices = OptionSerializer(many=True, help_text="Single and multiple choice: the choices.")
    scale = ScaleLevelSerializer(many=True, help_text="Grid and rating: the levels.")
    allow_dont_know = serializers.BooleanField(
        help_text=f"“{DONT_KNOW_VALUE}” is accepted as the value of a cell or rating."
    )
    row_comments = serializers.BooleanField(
        help_text="Grid: each row takes a comment (an answer with a row and no column)."
    )
    max_length = serializers.IntegerField(help_text="Longest text or comment accepted.")


def _options(options: Sequence[QuestionOption]) -> list[dict[str, Any]]:
    return [
        {"code": o.code, "label": o.label or {}, "description": o.description or {}}
        for o in options
    ]


def question_data(item: PageItem) -> dict[str, Any]:
    """One question as `QuestionSerializer` shows it."""
    question = item.question
    rated = question.kind in (QuestionKind.GRID, QuestionKind.RATING)
    return {
        "id": question.pk,
        "code": question.code,
        "kind": question.kind,
        "text": question.text or {},
        "help_text": question.help_text or {},
        "required": question.required,
        "purpose": question.purpose,
        "rows": _options(item.rows),
        "columns": _options(item.columns),
        "choices": _options(item.choices),
        "scale": [
            {"value": level, "label": question.scale_labels.get(str(level), {})}
            for level in question.scale
        ]
        if rated
        else [],
        "allow_dont_know": question.allow_dont_know and rated,
        "row_comments": question.row_comments,
        "max_length": question.max_length,
    }


# --- The answers in -------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer"},
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
        ],
        "nullable": True,
        "description": (
            "A grid cell or a rating: a level of the scale (an integer), or "
            f"“{DONT_KNOW_VALUE}” where offered. Single choice: the choice's code. "
            "Multiple choice: a list of codes. Text, or a grid row's comment: the text. "
            "null: no answer."
        ),
    }
)
class AnswerValueField(serializers.JSONField):
    pass


class AnswerInSerializer(serializers.Serializer):
    question = serializers.IntegerField(min_value=1, help_text="The question's `id`.")
    row = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="Grid: the row's code."
    )
    column = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Grid: the column's code; left out for the row's comment.",
    )
    value = AnswerValueField(allow_null=True)


class Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(message)


def _scale_value(value: Any) -> str:
    if value == DONT_KNOW_VALUE:
        return DONT_KNOW
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise Refused(
        "value",
        _("Give a level of the scale (a whole number), or “%(dont_know)s” where it is offered.")
        % {"dont_know": DONT_KNOW_VALUE},
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Refused("value", _("Give the answer as text."))
    return value


def _position(options: Sequence[QuestionOption], code: str, field: str) -> int:
    for position, option in enumerate(options):
        if option.code == code:
            return position
    if field == "row":
        raise Refused("row", _("Not a row of this question: %(code)s.") % {"code": code})
    raise Refused("column", _("Not a column of this question: %(code)s.") % {"code": code})


def _form_field(item: PageItem, answer: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The form field one JSON answer fills, and its value(s)."""
    question = item.question
    qid, value = question.pk, answer.get("value")
    row, column = answer.get("row", ""), answer.get("column", "")
    if question.kind == QuestionKind.GRID:
        r = _position(item.rows, row, "row")
        if column:
            c = _position(item.columns, column, "column")
            return f"q{qid}_r{r}_c{c}", [_scale_value(value)]
        if not question.row_comments:
            raise Refused("column", _("Give the column: this question takes no comments."))
        return f"q{qid}_r{r}_comment", [_text(value)]
    if row or column:
        raise Refused("row", _("Only a grid question has rows and columns."))
    if question.kind == QuestionKind.RATING:
        return f"q{qid}", [_scale_value(value)]
    if question.kind == QuestionKind.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Refused("value", _("Give a list of choice codes."))
        return f"q{qid}", list(value)
    return f"q{qid}", [_text(value)]  # single choice (its code) or text


def form_data(
    page: Page, answers: Sequence[Mapping[str, Any]], *, extra: Mapping[str, str] | None = None
) -> MultiValueDict[str, str]:
    """The page form's data for the JSON answers; `extra` fills more fields (a choice
    given elsewhere in the body). Raises ValidationError naming each answer that fits no
    field of the page (`answers.<index>.<field>`)."""
    items = {item.question.pk: item for item in page.items}
    data: MultiValueDict[str, str] = MultiValueDict()
    errors: dict[str, list[ErrorDetail]] = {}
    for index, answer in enumerate(answers):
        try:
            item = items.get(answer["question"])
            if item is None:
                raise Refused(
                    "question",
                    _("Not a question of this questionnaire, or not one asked with this link."),
                )
            if answer.get("value") is None:
                continue  # no answer, as a field left empty
            name, values = _form_field(item, answer)
            if name in data:
                raise Refused("question", _("This answer is given twice."))
            data.setlist(name, values)
        except Refused as refused:
            path = f"answers.{index}.{refused.field}"
            errors.setdefault(path, []).append(ErrorDetail(refused.message, code="invalid"))
    for name, value in (extra or {}).items():
        data.setlist(name, [value])
    if errors:
        raise ValidationError(errors)
    return data


def _paths(page: Page) -> dict[str, str]:
    """Where each field of the page form is named in the API's errors."""
    paths: dict[str, str] = {}
    for item in page.items:
        qid = item.question.pk
        paths[f"q{qid}"] = f"answers.{qid}"
        for r, row in enumerate(item.rows):
            paths[f"q{qid}_r{r}_comment"] = f"answers.{qid}.{row.code}"
            for c, column in enumerate(item.columns):
                paths[f"q{qid}_r{r}_c{c}"] = f"answers.{qid}.{row.code}.{column.code}"
    return paths


def form_errors(form: PageForm) -> ValidationError:
    """The form's errors for the API: each under `answers.<question id>` (a grid cell
    under `.<row>.<column>`), each message naming its question, as the form's error
    summary does."""
    paths = _paths(form.page)
    errors: dict[str, list[ErrorDetail]] = {}
    for name, problems in form.errors.as_data().items():
        label = str(form.fields[name].label) if name in form.fields else ""
        for problem in problems:
            text = " ".join(str(m) for m in problem.messages)
            if problem.code == UNANSWERED:
                text = _("Please answer “%(question)s”.") % {"question": label}
            elif problem.code != UNRATED and label:  # UNRATED names its topic and axis
                text = _("%(question)s: %(error)s") % {"question": label, "error": text}
            path = paths.get(name, "answers")
            errors.setdefault(path, []).append(ErrorDetail(text, code=problem.code or "invalid"))
    return ValidationError(errors)
