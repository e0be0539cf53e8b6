"""Loading synthetic replies into an assessment through the surveys engine's bulk service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from materiality.demo.synthetic import (
    FIELDWORK,
    SOURCE_REFERENCE,
    Respondent,
    group_plans,
    replies_generate,
)
from materiality.models import AXES, Assessment
from materiality.questionnaire import (
    GROUP_QUESTION,
    IMPORTANCE_QUESTION,
    OVERALL_COMMENT_QUESTION,
    SIDE_QUESTION,
)
from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.models import (
    OptionRole,
    Question,
    QuestionOption,
    ResponseSource,
    Survey,
    SurveyStatus,
)
from surveys.services import AnswerInput

# --- Loading into an assessment -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Form:
    """The ids and codes of the questionnaire a reply answers."""

    group_question: int
    side_question: int
    importance: int
    overall_comment: int | None  # None when retired
    row_comments: bool
    topics: tuple[str, ...]
    scale: tuple[int, int]
    dont_know: bool


def replies_load(
    *,
    assessment: Assessment,
    replies_per_group: Mapping[str, int],
    seed: int,
    batch_size: int = 100,
    count: bool = True,
) -> int:
    """Answer the assessment's questionnaire with synthetic replies; returns how many.

    Each reply is what the engine stores for a web response submitted through the open
    link: status submitted; source WEB with source_reference "synthetic", so the demo looks
    like real data yet can be told apart (and deleted); group and side answered on the
    first page and copied onto the response, hence respondent_fixed False (a group link
    would have skipped those questions); every topic rated on both axes or "don't know";
    straight_lined by the engine's rule. Too fast is judged when scoring, from durations:
    speeders take 5–24 % of the survey's estimated time, most others about 90 %. Resume
    hashes are 64 random hex characters, like a token's SHA-256 with the token thrown
    away: unique, and no link resumes them. Ratings and comments depend only on the seed;
    times are laid over the survey's dates, or the three weeks up to now.

    Writes are bulk: a fixed handful of reads, then per `batch_size` replies one INSERT of
    responses and one of their answers (about 36 rows a reply) on PostgreSQL; on SQLite,
    Django splits each into statements of at most 999 parameters (about 140 answers).
    Everything runs in one transaction, with the survey row locked: a failed load leaves
    nothing behind, and the questionnaire cannot change under it. No submit hooks run:
    the caller asks for an aggregation run once loading is done. `count`: the replies are
    folded into the survey's rating counts at the end, set-based (`responses_store_bulk`),
    so that the first run after the load does not count them; False leaves them waiting,
    as replies submitted one by one do. For 100,000 replies and
    more, write the generator's blocks with COPY instead.

    ValueError when the survey is a draft (its questions are not final), for a group the
    assessment does not have, or for a questionnaire that is not a materiality one.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    now = timezone.now()
    with transaction.atomic():
        survey = Survey.objects.select_for_update().get(pk=assessment.survey_id)
        if survey.status == SurveyStatus.DRAFT:
            raise ValueError("Open the assessment before loading replies into it.")
        form = _form(survey)
        internal = dict(
            assessment.groups.filter(code__in=list(replies_per_group)).values_list(
                "code", "internal"
            )
        )
        blocks = replies_generate(
            topics=form.topics,
            groups=group_plans(replies_per_group, internal),
            seed=seed,
            scale=form.scale,
            dont_know=form.dont_know,
            estimated_minutes=survey.estimated_minutes,
            languages=survey.languages or [settings.LANGUAGE_CODE],
        )
        start, end = _fieldwork(survey, now)
        replies = (
            _reply(respondent, form=form, start=start, end=end)
            for block in blocks
            for respondent in block.respondents()
        )
        return responses_store_bulk(
            survey=survey,
            replies=replies,
            source=ResponseSource.WEB,
            batch_size=batch_size,
            count=count,
        )


def _form(survey: Survey) -> _Form:
    codes = (GROUP_QUESTION, SIDE_QUESTION, IMPORTANCE_QUESTION, OVERALL_COMMENT_QUESTION)
    questions = {
        q.code: q for q in Question.objects.filter(survey=survey, retired=False, code__in=codes)
    }
    if not {GROUP_QUESTION, SIDE_QUESTION, IMPORTANCE_QUESTION} <= questions.keys():
        raise ValueError("The survey is not an assessment's materiality questionnaire.")
    grid = questions[IMPORTANCE_QUESTION]
    options = QuestionOption.objects.filter(question=grid).order_by("order", "pk")
    rows = [o.code for o in options if o.role == OptionRole.ROW]
    columns = {o.code for o in options if o.role == OptionRole.COLUMN}
    if not rows or columns != set(AXES):
        raise ValueError("The importance grid must rate topics on the two axes.")
    closing = questions.get(OVERALL_COMMENT_QUESTION)
    return _Form(
        group_question=questions[GROUP_QUESTION].pk,
        side_question=questions[SIDE_QUESTION].pk,
        importance=grid.pk,
        overall_comment=closing.pk if closing else None,
        row_comments=grid.row_comments,
        topics=tuple(rows),
        scale=(grid.scale_min, grid.scale_max),
        dont_know=grid.allow_dont_know,
    )


def _fieldwork(survey: Survey, now: datetime) -> tuple[datetime, datetime]:
    """When replies were submitted: within the survey's own dates where they are in the
    past, else the three weeks up to now."""
    end = min(survey.closes_at, now) if survey.closes_at else now
    start = survey.opens_at if survey.opens_at and survey.opens_at < end else end - FIELDWORK
    return start, end


def _reply(r: Respondent, *, form: _Form, start: datetime, end: datetime) -> ReplyInput:
    # Submitted within the fieldwork period, started `duration` before.
    span = (end - start).total_seconds()
    submitted = start + timedelta(
        seconds=r.duration_seconds + r.arrival * max(span - r.duration_seconds, 0)
    )
    side = "internal" if r.internal else "external"
    answers = [
        AnswerInput(form.group_question, column_code=r.group),
        AnswerInput(form.side_question, column_code=side),
    ]
    for topic, cells in zip(form.topics, r.ratings, strict=True):
        for axis, value in zip(AXES, cells, strict=True):
            answers.append(
                AnswerInput(form.importance, topic, axis, value=value, dont_know=value is None)
            )
    if form.row_comments:
        answers.extend(AnswerInput(form.importance, topic, text=text) for topic, text in r.comments)
    if form.overall_comment and r.overall_comment:
        answers.append(AnswerInput(form.overall_comment, text=r.overall_comment))
    return ReplyInput(
        answers=answers,
        submitted_at=submitted,
        duration_seconds=r.duration_seconds,
        language=r.language,
        respondent_group=r.group,
        respondent_internal=r.internal,
        source_reference=SOURCE_REFERENCE,
    )
