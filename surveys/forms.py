"""The respondent's form: one Django form per questionnaire page, built from the page's
questions, and turned back into `AnswerInput`s for `answers_save`.

Field names use positions (q<question id>_r<row>_c<column>), not codes, so a tampered
name simply matches no field; values are checked against the offered choices by the
form fields themselves, so an out-of-range or unknown value is a form error, never a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from surveys.fields import PlainTextField
from surveys.models import Question, QuestionKind, SurveyStatus
from surveys.process_cache import KeptPerProcess
from surveys.rating_html import (
    DONT_KNOW,
    RatingOption,
    drawn_once,
    grid_rows_html,
    rating_options,
    review_rows_html,
    scale_html,
)
from surveys.selectors import AnswerKey, Page, PageItem, StoredAnswer
from surveys.services import AnswerInput
from surveys.translations import pick

# The codes of the completeness errors, which the error summary words itself.
UNRATED = "unrated"
UNANSWERED = "unanswered"


class TextAnswerField(PlainTextField):
    """A free-text answer or comment: several lines, under the control-character rule."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(multiline=True, **kwargs)


COMMENT_ROWS = 3


class RatingField(forms.ChoiceField):
    """A rating cell: a choice among the page's levels, one radio button each.

    The levels are given as `ChoiceField` keeps them, (value, label) pairs of text, and
    are shared by all the page's cells: `ChoiceField`'s and its widget's `choices`
    setters would normalise them twice for each cell, a fifth of the review page's time
    (it reads every cell). Set as those setters store them (Django 5.2)."""

    def __init__(self, *, levels: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(widget=forms.RadioSelect, **kwargs)
        self._choices = self.widget._choices = levels


@dataclass
class GridCell:
    column_label: str
    field: forms.BoundField

    @cached_property
    def options(self) -> list[RatingOption]:
        """The cell's levels with their radio buttons written (surveys/rating_html.py)."""
        return rating_options(self.field)

    @cached_property
    def scale_html(self) -> str:
        """The cell's levels, drawn as the grid template would (surveys/rating_html.py);
        without an error, drawn once per field and level (`drawn_once`)."""
        field = self.field
        chosen = tuple(field.field.widget.format_value(field.value()))
        offered = cast("list[tuple[Any, Any]]", getattr(field.field, "choices", []))
        # Nothing chosen or a level offered: a value sent from outside is never kept.
        if field.errors or not set(chosen) <= {"", *(str(code) for code, _label in offered)}:
            return scale_html(self.options)
        return drawn_once(field, chosen, lambda: scale_html(self.options))

    @cached_property
    def chosen_label(self) -> str:
        """The chosen level's words, for the review page; "" when none is chosen. Chosen
        as `RadioSelect` marks a radio checked (its value, as text, is the field's), without
        building the cell's radio buttons."""
        value = self.field.value()
        chosen = "" if value is None else str(value)
        choices = cast("list[tuple[Any, Any]]", getattr(self.field.field, "choices", []))
        return "".join(str(label) for code, label in choices if str(code) == chosen)


@dataclass
class GridRow:
    code: str
    label: str
    description: str
    cells: list[GridCell]
    comment: forms.BoundField | None


@dataclass(frozen=True)
class SummaryEntry:
    """One line of the error summary: it names its question and links to its field."""

    anchor: str
    message: str


@dataclass(frozen=True)
class ScaleEnd:
    """A level at one end of a grid's scale, and its words ("1", "Not important")."""

    level: int
    label: str


@dataclass
class Block:
    """What the template draws: a grid (rows of rating cells) or a single field."""

    item: PageItem
    title: str
    help_text: str
    grid_rows: list[GridRow] | None = None
    field: forms.BoundField | None = None
    # A grid's scale ends, shown once above its topics when the scale has words for them.
    scale_ends: tuple[ScaleEnd, ScaleEnd] | None = None

    @property
    def rows_html(self) -> str:
        """A grid's topics, drawn as the questionnaire page shows them
        (surveys/rating_html.py)."""
        return grid_rows_html(self.grid_rows or [])

    @property
    def review_rows_html(self) -> str:
        """A grid's rows on the review page (surveys/rating_html.py)."""
        return review_rows_html(self.grid_rows or [])


class PageForm(forms.Form):
    """One questionnaire page. Its fields depend on the page and the language only (what
    a respondent answered before is the form's `initial`), so the fields of a survey that
    left the draft state are built once per process and shared (`_page_fields`): a step
    is drawn and saved without building its 15 fields again, and the review, which
    reads every page, without building 50."""

    def __init__(
        self,
        *args: Any,
        page: Page,
        language: str,
        answers: dict[AnswerKey, StoredAnswer],
        require_complete: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs["initial"] = _initial_values(page, answers)
        super().__init__(*args, **kwargs)
        self.page = page
        self.language = language
        self.require_complete = require_complete
        self.fields.update(_page_fields(page, language))

    def _scale_ends(self, item: PageItem) -> tuple[ScaleEnd, ScaleEnd] | None:
        question = item.question
        low, high = question.scale[0], question.scale[-1]
        ends = (
            ScaleEnd(low, question.scale_label(low, self.language)),
            ScaleEnd(high, question.scale_label(high, self.language)),
        )
        return ends if ends[0].label or ends[1].label else None

    # --- validating -------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.require_complete:
            return cleaned
        for item in self.page.items:
            question = item.question
            if not question.required:
                continue
            qid = question.pk
            if question.kind == QuestionKind.GRID:
                for r, row in enumerate(item.rows):
                    for c, column in enumerate(item.columns):
                        name = f"q{qid}_r{r}_c{c}"
                        if not cleaned.get(name) and name not in self.errors:
                            message = _("Please rate “%(topic)s” for “%(axis)s”.")
                            named = {
                                "topic": pick(row.label, self.language),
                                "axis": pick(column.label, self.language),
                            }
                            unrated = forms.ValidationError(message, code=UNRATED, params=named)
                            self.add_error(name, unrated)
            elif not cleaned.get(f"q{qid}") and f"q{qid}" not in self.errors:
                unanswered = forms.ValidationError(
                    _("Please answer this question."), code=UNANSWERED
                )
                self.add_error(f"q{qid}", unanswered)
        return cleaned

    def error_summary(self) -> list[SummaryEntry]:
        """The page's errors in the order of its fields, each naming its question (a
        field's own message, under the question, need not). A topic left unrated on
        several axes is one entry, so that a step left empty lists its topics, not its
        cells; the topic's card marks each of them."""
        entries: list[SummaryEntry] = []
        errors = self.errors.as_data()
        unrated_row = ""  # the grid row of the last entry, when that is a missing rating
        for field in self:
            multiple = getattr(field.field.widget, "input_type", "") in ("radio", "checkbox")
            anchor = f"{field.auto_id}_0" if multiple else str(field.auto_id)
            for error in errors.get(field.name, []):
                text = " ".join(str(m) for m in error.messages)
                if error.code == UNRATED:  # names its topic and axis already
                    row = field.name.rsplit("_c", 1)[0]
                    if row == unrated_row:
                        topic = {"topic": (error.params or {}).get("topic", "")}
                        merged = str(_("Please rate “%(topic)s”.") % topic)
                        entries[-1] = SummaryEntry(entries[-1].anchor, merged)
                        continue
                    unrated_row = row
                    message = text
                    entries.append(SummaryEntry(anchor, message))
                    continue
                unrated_row = ""
                if error.code == UNANSWERED:
                    message = str(_("Please answer “%(question)s”.") % {"question": field.label})
                else:
                    named = {"question": field.label, "error": text}
                    message = str(_("%(question)s: %(error)s") % named)
                entries.append(SummaryEntry(anchor, message))
        return entries

    # --- reading back -----------------------------------------------------------------

    def answer_inputs(self) -> Iterator[AnswerInput]:
        """The page's answers from cleaned data (fields with errors are left out)."""
        data = self.cleaned_data
        for item in self.page.items:
            question = item.question
            qid = question.pk
            if question.kind == QuestionKind.GRID:
                for r, row in enumerate(item.rows):
                    for c, column in enumerate(item.columns):
                        value = data.get(f"q{qid}_r{r}_c{c}")
                        if value == DONT_KNOW:
                            yield AnswerInput(qid, row.code, column.code, dont_know=True)
                        elif value:
                            yield AnswerInput(qid, row.code, column.code, value=int(value))
                    comment = (data.get(f"q{qid}_r{r}_comment") or "").strip()
                    if comment:
                        yield AnswerInput(qid, row.code, "", text=comment)
            elif question.kind == QuestionKind.SINGLE:
                if data.get(f"q{qid}"):
                    yield AnswerInput(qid, column_code=data[f"q{qid}"])
            elif question.kind == QuestionKind.RATING:
                value = data.get(f"q{qid}")
                if value == DONT_KNOW:
                    yield AnswerInput(qid, dont_know=True)
                elif value:
                    yield AnswerInput(qid, value=int(value))
            elif question.kind == QuestionKind.MULTIPLE:
                for code in data.get(f"q{qid}") or []:
                    yield AnswerInput(qid, column_code=code)
            elif question.kind == QuestionKind.TEXT:
                text = (data.get(f"q{qid}") or "").strip()
                if text:
                    yield AnswerInput(qid, text=text)

    # --- drawing ----------------------------------------------------------------------

    def blocks(self) -> list[Block]:
        blocks = []
        for item in self.page.items:
            question = item.question
            qid = question.pk
            block = Block(
                item=item,
                title=pick(question.text, self.language),
                help_text=pick(question.help_text, self.language),
            )
            if question.kind == QuestionKind.GRID:
                block.scale_ends = self._scale_ends(item)
                block.grid_rows = [
                    GridRow(
                        code=row.code,
                        label=pick(row.label, self.language),
                        description=pick(row.description, self.language),
                        cells=[
                            GridCell(
                                pick(column.label, self.language),
                                self[f"q{qid}_r{r}_c{c}"],
                            )
                            for c, column in enumerate(item.columns)
                        ],
                        comment=self[f"q{qid}_r{r}_comment"] if question.row_comments else None,
                    )
                    for r, row in enumerate(item.rows)
                ]
            else:
                block.field = self[f"q{qid}"]
            blocks.append(block)
        return blocks


# Fields are never changed once built (Django's form machinery only reads them; bound
# values, errors and initial values live in the form), so forms may share them: pages ×
# languages, kept per process.
_shared_fields: KeptPerProcess[dict[str, forms.Field]] = KeptPerProcess(size=512)


def _page_fields(page: Page, language: str) -> dict[str, forms.Field]:
    question = page.items[0].question if page.items else None
    # The survey as the questionnaire was loaded with it (`questionnaire_load`): its
    # state and last change then are the questions' own.
    survey = question.survey if question and Question.survey.is_cached(question) else None
    if survey is None or survey.status == SurveyStatus.DRAFT:
        return _build_fields(page, language)  # a draft's questions may change
    key = (
        survey.pk,
        survey.updated_at,
        language,
        # What a page shows of each question: its rows, columns and choices, in their
        # order (the reader feedback form orders a question's choices its own way).
        tuple(
            (
                item.question.pk,
                tuple(option.pk for option in (*item.rows, *item.columns, *item.choices)),
            )
            for item in page.items
        ),
    )
    return _shared_fields.get(key, lambda: _build_fields(page, language))


def _build_fields(page: Page, language: str) -> dict[str, forms.Field]:
    # The words the fields keep are the page's language's, whatever this request's is
    # (an API client may answer in another language than its own).
    with translation.override(language):
        return _fields_in_language(page, language)


def _fields_in_language(page: Page, language: str) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for item in page.items:
        question = item.question
        qid = question.pk
        if question.kind == QuestionKind.GRID:
            levels = _scale_choices(item, language)
            for r, row in enumerate(item.rows):
                for c, column in enumerate(item.columns):
                    fields[f"q{qid}_r{r}_c{c}"] = RatingField(
                        levels=levels,
                        required=False,
                        label=f"{pick(row.label, language)} — {pick(column.label, language)}",
                    )
                if question.row_comments:
                    fields[f"q{qid}_r{r}_comment"] = TextAnswerField(
                        required=False,
                        max_length=question.max_length,
                        widget=forms.Textarea(attrs={"rows": COMMENT_ROWS}),
                        label=_("Comment on “%(topic)s” (optional)")
                        % {"topic": pick(row.label, language)},
                    )
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.RATING):
            if question.kind == QuestionKind.SINGLE:
                choices = [(o.code, pick(o.label, language)) for o in item.choices]
            else:
                choices = _scale_choices(item, language)
            fields[f"q{qid}"] = forms.ChoiceField(
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                label=pick(question.text, language),
            )
        elif question.kind == QuestionKind.MULTIPLE:
            fields[f"q{qid}"] = forms.MultipleChoiceField(
                choices=[(o.code, pick(o.label, language)) for o in item.choices],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=pick(question.text, language),
            )
        elif question.kind == QuestionKind.TEXT:
            fields[f"q{qid}"] = TextAnswerField(
                required=False,
                max_length=question.max_length,
                widget=forms.Textarea(attrs={"rows": 5}),
                label=pick(question.text, language),
            )
    return fields


def _initial_values(page: Page, answers: dict[AnswerKey, StoredAnswer]) -> dict[str, Any]:
    """What the page's fields show before anything is sent: the stored answers."""
    initial: dict[str, Any] = {}
    for item in page.items:
        question = item.question
        qid = question.pk
        if question.kind == QuestionKind.GRID:
            for r, row in enumerate(item.rows):
                for c, column in enumerate(item.columns):
                    initial[f"q{qid}_r{r}_c{c}"] = _initial_rating(
                        answers.get((qid, row.code, column.code))
                    )
                if question.row_comments:
                    answer = answers.get((qid, row.code, ""))
                    initial[f"q{qid}_r{r}_comment"] = answer.text if answer else ""
        elif question.kind in (QuestionKind.SINGLE, QuestionKind.RATING):
            chosen = [a for key, a in answers.items() if key[0] == qid]
            initial[f"q{qid}"] = (
                (chosen[0].column_code or _initial_rating(chosen[0])) if chosen else None
            )
        elif question.kind == QuestionKind.MULTIPLE:
            initial[f"q{qid}"] = [key[2] for key in answers if key[0] == qid]
        elif question.kind == QuestionKind.TEXT:
            answer = answers.get((qid, "", ""))
            initial[f"q{qid}"] = answer.text if answer else ""
    return initial


def _scale_choices(item: PageItem, language: str) -> list[tuple[str, str]]:
    question = item.question
    choices = []
    for level in question.scale:
        label = question.scale_label(level, language)
        choices.append((str(level), f"{level} {label}".strip() if label else str(level)))
    if question.allow_dont_know:
        choices.append((DONT_KNOW, str(_("Don't know"))))
    return choices


def _initial_rating(answer: StoredAnswer | None) -> str | None:
    if answer is None:
        return None
    if answer.dont_know:
        return DONT_KNOW
    return str(answer.value) if answer.value is not None else None
