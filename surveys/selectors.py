"""Reads: a survey's structure split into pages, a response's answers, progress counts.

Each function costs a fixed number of queries, whatever the number of questions,
options or answers.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When

from surveys.models import (
    Answer,
    Invitation,
    InvitationKind,
    OptionRole,
    Question,
    QuestionKind,
    QuestionOption,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.precompiled import CompiledStatement
from surveys.process_cache import KeptPerProcess
from surveys.tokens import looks_like_token, token_digest

# A phone screen holds about five topics with two ratings each without feeling endless.
ROWS_PER_PAGE = 5


@dataclass(frozen=True)
class PageItem:
    question: Question
    rows: tuple[QuestionOption, ...] = ()
    columns: tuple[QuestionOption, ...] = ()
    choices: tuple[QuestionOption, ...] = ()
    first_row: int = 0  # position of rows[0] among all the question's rows
    total_rows: int = 0

    @property
    def row_range(self) -> tuple[int, int]:
        """1-based numbers of the first and last row shown (for "Topics 6–9 of 17")."""
        return self.first_row + 1, self.first_row + len(self.rows)


@dataclass(frozen=True)
class AnswerScope:
    """What a page covers: answers inside the scope are replaced by the page's input."""

    question_id: int
    row_codes: tuple[str, ...] | None = None  # None: the whole question


@dataclass(frozen=True)
class Page:
    number: int
    items: tuple[PageItem, ...]

    @property
    def scope(self) -> list[AnswerScope]:
        """The answers this page shows and saves: a grid's rows on it, other questions
        whole."""
        return [
            AnswerScope(item.question.pk, tuple(row.code for row in item.rows))
            if item.question.kind == QuestionKind.GRID
            else AnswerScope(item.question.pk)
            for item in self.items
        ]


@dataclass(frozen=True)
class Questionnaire:
    """A survey's active questions with their options, loaded in two queries."""

    survey: Survey
    questions: tuple[Question, ...]
    options: dict[int, dict[str, list[QuestionOption]]] = field(default_factory=dict)

    def rows(self, question: Question) -> list[QuestionOption]:
        return self.options.get(question.pk, {}).get(OptionRole.ROW, [])

    def columns(self, question: Question) -> list[QuestionOption]:
        return self.options.get(question.pk, {}).get(OptionRole.COLUMN, [])

    def choices(self, question: Question) -> list[QuestionOption]:
        return self.options.get(question.pk, {}).get(OptionRole.CHOICE, [])

    @property
    def grid_cells(self) -> int:
        """How many cells the grid questions have together (rows × columns)."""
        return sum(
            len(self.rows(q)) * len(self.columns(q))
            for q in self.questions
            if q.kind == QuestionKind.GRID
        )

    def question_by_id(self, question_id: int) -> Question | None:
        return next((q for q in self.questions if q.pk == question_id), None)

    def asked_questions(self, response: Response | None) -> list[Question]:
        """The questions this respondent sees: those describing the respondent are
        skipped when the link already said who they are."""
        fixed = response is not None and response.respondent_fixed
        return [q for q in self.questions if not (fixed and q.purpose)]

    def pages(self, response: Response | None = None) -> list[Page]:
        """Questions grouped by their page number; a long grid is split over several
        pages of at most ROWS_PER_PAGE rows, evenly. Questions after a grid on the same
        page number are shown under the grid's last rows (the closing comment goes with
        the last topics: one step fewer on a phone); questions before it, on a page of
        their own."""
        by_page: dict[int, list[Question]] = defaultdict(list)
        for question in self.asked_questions(response):
            by_page[question.page].append(question)
        pages: list[Page] = []

        def close(plain: list[PageItem], after_grid: bool) -> None:
            if plain and after_grid:
                last = pages[-1]
                pages[-1] = Page(last.number, last.items + tuple(plain))
            elif plain:
                pages.append(Page(len(pages) + 1, tuple(plain)))

        for page_number in sorted(by_page):
            plain: list[PageItem] = []
            after_grid = False
            for question in by_page[page_number]:
                if question.kind == QuestionKind.GRID:
                    close(plain, after_grid)
                    plain = []
                    for item in self._grid_items(question):
                        pages.append(Page(len(pages) + 1, (item,)))
                        after_grid = True
                else:
                    plain.append(PageItem(question, choices=tuple(self.choices(question))))
            close(plain, after_grid)
        return pages

    def single_page(self) -> Page:
        """Every question on one page (short forms such as reader feedback)."""
        return Page(
            1,
            tuple(
                PageItem(
                    question,
                    rows=tuple(self.rows(question)),
                    columns=tuple(self.columns(question)),
                    choices=tuple(self.choices(question)),
                    total_rows=len(self.rows(question)),
                )
                for question in self.questions
            ),
        )

    def _grid_items(self, question: Question) -> Iterable[PageItem]:
        rows = self.rows(question)
        columns = tuple(self.columns(question))
        if not rows:
            return
        chunks = math.ceil(len(rows) / ROWS_PER_PAGE)
        size, extra = divmod(len(rows), chunks)
        start = 0
        for index in range(chunks):
            end = start + size + (1 if index < extra else 0)
            yield PageItem(
                question,
                rows=tuple(rows[start:end]),
                columns=columns,
                first_row=start,
                total_rows=len(rows),
            )
            start = end


# The submit path reads an open survey's structure on every request: kept per process.
_frozen: KeptPerProcess[Questionnaire] = KeptPerProcess(size=64)


def questionnaire_load(survey: Survey) -> Questionnaire:
    """The survey's active questions with their options: two queries, or none for a
    survey that is no longer a draft and was loaded before by this process."""
    if survey.status == SurveyStatus.DRAFT:
        return _questionnaire_query(survey)
    key = (survey.pk, survey.status, survey.updated_at.timestamp())
    loaded = _frozen.get(key, lambda: _questionnaire_query(survey))
    return replace(loaded, survey=survey)


def _questionnaire_query(survey: Survey) -> Questionnaire:
    questions = tuple(Question.objects.filter(survey=survey, retired=False).order_by("order", "pk"))
    for question in questions:
        question.survey = survey  # as loaded, never read again (surveys.forms keys on it)
    options: dict[int, dict[str, list[QuestionOption]]] = defaultdict(lambda: defaultdict(list))
    for option in QuestionOption.objects.filter(question__in=[q.pk for q in questions]).order_by(
        "order", "pk"
    ):
        options[option.question_id][option.role].append(option)
    return Questionnaire(survey=survey, questions=questions, options=dict(options))


AnswerKey = tuple[int, str, str]  # (question id, row code, column code)


def response_in_progress(resume_token: str, *, survey: Survey) -> Response | None:
    """The response a resume token stands for, when it can still be filled in on
    `survey` (a token that is malformed, unknown, submitted, of another survey or of a
    reply whose link was revoked: None)."""
    if not looks_like_token(resume_token):
        return None
    return Response.objects.filter(
        resume_hash=token_digest(resume_token),
        survey=survey,
        status=ResponseStatus.IN_PROGRESS,
        invitation__revoked_at__isnull=True,  # or no link at all
    ).first()


class StoredAnswer(NamedTuple):
    """A stored answer as a page, the review and the submit's check read it: plain
    values, because a whole response's answers read as model instances cost a step more
    than the query that fetches them."""

    question_id: int
    row_code: str
    column_code: str
    value: int | None
    dont_know: bool
    text: str


# Read by nearly every step of a questionnaire (`surveys.precompiled`).
_ANSWERS = CompiledStatement(
    lambda response_id: Answer.objects.filter(response_id=response_id).values_list(
        *StoredAnswer._fields
    ),
    int,
)


def response_answers(response: Response) -> dict[AnswerKey, StoredAnswer]:
    return {(row[0], row[1], row[2]): StoredAnswer(*row) for row in _ANSWERS.rows(response.pk)}


def missing_pages(
    questionnaire: Questionnaire, response: Response, answers: dict[AnswerKey, StoredAnswer]
) -> list[int]:
    """Page numbers that still lack a required answer."""
    missing = []
    for page in questionnaire.pages(response):
        if any(not _item_complete(item, answers) for item in page.items):
            missing.append(page.number)
    return missing


def _item_complete(item: PageItem, answers: dict[AnswerKey, StoredAnswer]) -> bool:
    question = item.question
    if not question.required:
        return True
    qid = question.pk
    if question.kind == QuestionKind.GRID:
        return all(
            (qid, row.code, column.code) in answers for row in item.rows for column in item.columns
        )
    if question.kind == QuestionKind.TEXT:
        answer = answers.get((qid, "", ""))
        return bool(answer and answer.text.strip())
    return any(key[0] == qid for key in answers)


@dataclass(frozen=True)
class GroupProgress:
    group: str
    invited: int
    started: int
    completed: int


def survey_progress(survey: Survey, groups: Sequence[str]) -> list[GroupProgress]:
    """Invited / started / completed per respondent group: two grouped queries.

    "Invited" counts personal invitations; shared and open links invite an unknown
    number of people, so their groups show started and completed only."""
    invited = dict(
        Invitation.objects.filter(survey=survey, kind=InvitationKind.PERSONAL)
        .values_list("respondent_group")
        .annotate(n=Count("pk"))
        .values_list("respondent_group", "n")
    )
    counts = {
        row["respondent_group"]: row
        for row in Response.objects.filter(survey=survey)
        .values("respondent_group")
        .annotate(
            started=Count("pk"),
            completed=Count("pk", filter=Q(status=ResponseStatus.SUBMITTED)),
        )
    }
    names = list(groups) + sorted(set(counts) - set(groups) - {""})
    if "" in counts:
        names.append("")
    return [
        GroupProgress(
            group=name,
            invited=invited.get(name, 0),
            started=counts.get(name, {}).get("started", 0),
            completed=counts.get(name, {}).get("completed", 0),
        )
        for name in names
    ]


# --- Personal invitations and where each stands ------------------------------------------

INVITATION_STATUSES = ("not_sent", "sent", "started", "submitted", "revoked")


def personal_invitations(survey: Survey) -> QuerySet[Invitation]:
    """The survey's personal invitations, each annotated with ``state``, one of
    INVITATION_STATUSES: revoked, else submitted, else started (a reply in progress),
    else sent, else not sent. One query, so lists can filter and count by it."""
    in_progress = Response.objects.filter(
        personal_invitation=OuterRef("pk"), status=ResponseStatus.IN_PROGRESS
    )
    return Invitation.objects.filter(survey=survey, kind=InvitationKind.PERSONAL).annotate(
        state=Case(
            When(revoked_at__isnull=False, then=Value("revoked")),
            When(responded_at__isnull=False, then=Value("submitted")),
            When(Exists(in_progress), then=Value("started")),
            When(sent_at__isnull=False, then=Value("sent")),
            default=Value("not_sent"),
        )
    )
