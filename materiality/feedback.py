"""Reader feedback on a published report: the form's template, submitting, and the
summary the ESG team reads.

The template reproduces the answer scales of the model company's printed form (six
questions: overall evaluation; economic, social and environmental responsibility;
whether the report reflects its impact; clarity, accuracy and completeness; ease of
reading; free comments) in our own question wording, in both languages.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from materiality.models import Report
from surveys.errors import TooManyResponses
from surveys.models import (
    Answer,
    QuestionKind,
    Response,
    ResponseStatus,
    Survey,
)
from surveys.ratelimits import allow
from surveys.selectors import questionnaire_load
from surveys.services import (
    AnswerInput,
    OptionSpec,
    QuestionSpec,
    response_create_submitted,
    survey_set_questions,
)

Text = Mapping[str, str]

# Posts per network address and hour: generous for an office behind one address,
# small enough that a flood is refused long before it fills the database.
RATE_LIMIT_PER_HOUR = 20
COMMENT_MAX_LENGTH = 2000

_GOOD_TO_POOR = [
    ("good", "好", "Good", 5),
    ("fairly-good", "较好", "Fairly good", 4),
    ("average", "一般", "Average", 3),
    ("fairly-poor", "较差", "Fairly poor", 2),
    ("poor", "差", "Poor", 1),
]
FIVE_POINT_LABELS = {
    str(score): {"zh-hans": zh, "en": en} for _code, zh, en, score in _GOOD_TO_POOR
}


def _choices(rows: Sequence[tuple[str, str, str, int]]) -> list[OptionSpec]:
    return [OptionSpec(code=c, label={"zh-hans": zh, "en": en}, score=s) for c, zh, en, s in rows]


def _rows(rows: Sequence[tuple[str, str, str]]) -> list[OptionSpec]:
    return [OptionSpec(code=c, label={"zh-hans": zh, "en": en}) for c, zh, en in rows]


RATING_COLUMN = [OptionSpec(code="rating", label={"zh-hans": "评价", "en": "Rating"})]

FEEDBACK_TEMPLATE: list[QuestionSpec] = [
    QuestionSpec(
        code="overall",
        kind=QuestionKind.SINGLE,
        text={
            "zh-hans": "您怎样评价这份 ESG 报告的整体质量？",
            "en": "How would you rate this ESG report overall?",
        },
        choices=_choices(_GOOD_TO_POOR),
    ),
    QuestionSpec(
        code="responsibility",
        kind=QuestionKind.GRID,
        text={
            "zh-hans": "您怎样评价本公司在经济、社会和环境方面的责任表现？",
            "en": (
                "How would you rate the company's economic, social and environmental "
                "responsibility?"
            ),
        },
        rows=_rows(
            [
                ("economic", "经济责任", "Economic responsibility"),
                ("social", "社会责任", "Social responsibility"),
                ("environmental", "环境责任", "Environmental responsibility"),
            ]
        ),
        columns=RATING_COLUMN,
        scale_labels=FIVE_POINT_LABELS,
    ),
    QuestionSpec(
        code="impact",
        kind=QuestionKind.SINGLE,
        text={
            "zh-hans": "这份报告是否体现了本公司的实践对经济、社会和环境产生的影响？",
            "en": (
                "Does the report show how the company's practice affects the economy, "
                "society and the environment?"
            ),
        },
        choices=_choices(
            [
                ("very-well", "能很好反映", "Reflects it very well", 5),
                ("well", "能较好反映", "Reflects it well", 4),
                ("fairly", "能一般反映", "Reflects it fairly", 3),
                ("not-really", "不太能反映", "Does not really reflect it", 2),
                ("not-at-all", "不能反映", "Does not reflect it", 1),
            ]
        ),
    ),
    QuestionSpec(
        code="disclosure",
        kind=QuestionKind.GRID,
        text={
            "zh-hans": "报告所披露的信息、数据和指标在以下方面表现如何？",
            "en": (
                "How do the information, data and indicators in the report rate on the following?"
            ),
        },
        rows=_rows(
            [
                ("clarity", "清晰度", "Clarity"),
                ("accuracy", "准确度", "Accuracy"),
                ("completeness", "完整性", "Completeness"),
            ]
        ),
        columns=RATING_COLUMN,
        scale_labels=FIVE_POINT_LABELS,
    ),
    QuestionSpec(
        code="readability",
        kind=QuestionKind.SINGLE,
        text={
            "zh-hans": "报告的内容编排和版式设计是否便于阅读？",
            "en": "Are the report's structure and layout easy to read?",
        },
        choices=_choices(
            [("yes", "是", "Yes", 3), ("so-so", "一般", "So-so", 2), ("no", "否", "No", 1)]
        ),
    ),
    QuestionSpec(
        code="comments",
        kind=QuestionKind.TEXT,
        text={
            "zh-hans": "您对本公司的工作或这份报告还有什么意见和建议？",
            "en": "Any other comments or suggestions on our work or this report?",
        },
        max_length=COMMENT_MAX_LENGTH,
    ),
]

FEEDBACK_INTRO: Text = {
    "zh-hans": (
        "感谢您阅读我们的报告。您的意见将帮助我们改进下一份报告，填写约需 2 分钟，无需登录。"
    ),
    "en": (
        "Thank you for reading our report. Your views help us improve the next one. It takes "
        "about 2 minutes and needs no account."
    ),
}
FEEDBACK_PRIVACY: Text = {
    "zh-hans": (
        "我们不会询问您的姓名。只有在您明确同意时，我们才会保存您留下的电子邮箱，"
        "且仅用于回复您的意见。"
    ),
    "en": (
        "We do not ask for your name. An e-mail address is kept only if you explicitly agree, "
        "and only to reply to your feedback."
    ),
}


@transaction.atomic
def report_create(
    *,
    title: Text,
    year: int,
    languages: Sequence[str],
    document_url: str = "",
    created_by: Any = None,
) -> Report:
    survey = Survey.objects.create(
        title=dict(title),
        intro=dict(FEEDBACK_INTRO),
        privacy_notice=dict(FEEDBACK_PRIVACY),
        languages=list(languages),
        estimated_minutes=2,
        anonymous=True,
    )
    survey_set_questions(survey=survey, questions=FEEDBACK_TEMPLATE)
    return Report.objects.create(
        title=dict(title),
        year=year,
        document_url=document_url,
        survey=survey,
        public_code=secrets.token_urlsafe(8).replace("_", "x").replace("-", "y").lower(),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )


# --- Submitting -----------------------------------------------------------------------


def feedback_submit(
    *,
    report: Report,
    answers: Sequence[AnswerInput],
    language: str,
    client_hash: str,
    contact_email: str = "",
) -> Response:
    """Store one reader's answers (one transaction) and schedule the summary.

    Raises TooManyResponses past the per-address hourly limit (checked first, so a flood
    costs no database writes) and SurveyNotOpen/SurveyClosed for a form not open."""
    survey = report.survey
    if client_hash and not allow(
        f"feedback:{report.pk}:{client_hash}", limit=RATE_LIMIT_PER_HOUR, window_seconds=3600
    ):
        raise TooManyResponses
    with transaction.atomic():
        response = response_create_submitted(
            survey=survey, answers=answers, language=language, contact_email=contact_email
        )
        if Report.objects.filter(pk=report.pk, summary_pending=False).update(summary_pending=True):
            transaction.on_commit(lambda: _send_summary_task(report.pk))
    return response


def _send_summary_task(report_id: int) -> None:
    import logging

    from materiality.tasks import feedback_summarise

    try:
        feedback_summarise.delay(report_id)
    except Exception:  # broker down: the next answer (or the page) asks again
        Report.objects.filter(pk=report_id).update(summary_pending=False)
        logging.getLogger(__name__).warning("Could not queue the feedback summary", exc_info=True)


# --- The summary ----------------------------------------------------------------------


def feedback_summary(report: Report) -> dict[str, Any]:
    """Per question: answers, distribution, mean where the answers are ordinal; and the
    number of responses per day. Three grouped queries, whatever the number of answers."""
    survey = report.survey
    questionnaire = questionnaire_load(survey)
    submitted = Response.objects.filter(survey=survey, status=ResponseStatus.SUBMITTED)
    total = submitted.count()
    counts: dict[tuple[int, str, str, int | None], int] = {}
    rows = (
        Answer.objects.filter(response__in=submitted, text="")
        .values_list("question_id", "row_code", "column_code", "value")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for question_id, row_code, column_code, value, n in rows:
        counts[(question_id, row_code, column_code, value)] = n
    texts = dict(
        Answer.objects.filter(response__in=submitted)
        .exclude(text="")
        .values_list("question_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    questions = []
    for question in questionnaire.questions:
        entry: dict[str, Any] = {"id": question.pk, "code": question.code, "kind": question.kind}
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            choices = questionnaire.choices(question)
            dist = [counts.get((question.pk, "", c.code, None), 0) for c in choices]
            entry["choices"] = [c.code for c in choices]
            entry["counts"] = dist
            entry["n"] = sum(dist)
            scored = [
                (c.score, n) for c, n in zip(choices, dist, strict=True) if c.score is not None
            ]
            entry["mean"] = _mean(scored)
        elif question.kind in (QuestionKind.GRID, QuestionKind.RATING):
            levels = list(question.scale)
            entry["levels"] = levels
            entry["rows"] = []
            # A rating question has neither rows nor columns: its cell is ("", "").
            row_codes = [row.code for row in questionnaire.rows(question)] or [""]
            column_codes = [col.code for col in questionnaire.columns(question)] or [""]
            for row_code in row_codes:
                for column_code in column_codes:
                    dist = [
                        counts.get((question.pk, row_code, column_code, lv), 0) for lv in levels
                    ]
                    entry["rows"].append(
                        {
                            "row": row_code,
                            "column": column_code,
                            "counts": dist,
                            "n": sum(dist),
                            "mean": _mean(list(zip(levels, dist, strict=True))),
                        }
                    )
        else:
            entry["n"] = texts.get(question.pk, 0)
        questions.append(entry)
    per_day = [
        {"date": day.isoformat(), "n": n}
        for day, n in submitted.annotate(day=TruncDate("submitted_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by("day")
        .values_list("day", "n")
    ]
    return {"responses": total, "questions": questions, "per_day": per_day}


def _mean(pairs: Sequence[tuple[int, int]]) -> float | None:
    n = sum(count for _score, count in pairs)
    return sum(score * count for score, count in pairs) / n if n else None


def feedback_summarise(report_id: int) -> None:
    """Recompute and store the summary; clears the pending flag first, so an answer that
    arrives during the computation schedules one more run rather than being missed."""
    Report.objects.filter(pk=report_id).update(summary_pending=False)
    report = Report.objects.select_related("survey").get(pk=report_id)
    summary = feedback_summary(report)
    Report.objects.filter(pk=report_id).update(summary=summary, summary_updated_at=timezone.now())


# --- Comments -------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    answer: Answer
    ratings: list[tuple[str, str]]  # (question text, answer label) of the same reader
    tags: list[Any]


def feedback_comments(report: Report, *, search: str = "", language: str) -> list[Comment]:
    """Free-text answers, newest first, each with the same reader's other answers; three
    queries whatever the number of comments."""
    from surveys.translations import pick

    survey = report.survey
    questionnaire = questionnaire_load(survey)
    comments = (
        Answer.objects.filter(response__survey=survey, response__status=ResponseStatus.SUBMITTED)
        .exclude(text="")
        .select_related("response")
        .prefetch_related("topic_tags__topic")
        .order_by("-response__submitted_at", "-pk")
    )
    if search:
        comments = comments.filter(Q(text__icontains=search))
    comments_list = list(comments[:500])
    labels: dict[tuple[int, str], str] = {}
    for question in questionnaire.questions:
        for option in questionnaire.choices(question):
            labels[(question.pk, option.code)] = pick(option.label, language)
    others: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for answer in Answer.objects.filter(
        response_id__in={c.response_id for c in comments_list}, text=""
    ).order_by("question__order", "row_code"):
        asked = questionnaire.question_by_id(answer.question_id)
        if asked is None:
            continue
        title = pick(asked.text, language)
        if answer.row_code:
            row = next((r for r in questionnaire.rows(asked) if r.code == answer.row_code), None)
            title = pick(row.label, language) if row else answer.row_code
        if answer.value is not None:
            value = asked.scale_label(answer.value, language) or str(answer.value)
        else:
            value = labels.get((asked.pk, answer.column_code), answer.column_code)
        others[answer.response_id].append((title, value))
    return [
        Comment(
            answer=c,
            ratings=others.get(c.response_id, []),
            tags=[t.topic for t in c.topic_tags.all()],
        )
        for c in comments_list
    ]


def comment_tag(*, answer: Answer, topic_ids: Sequence[int], user: Any) -> None:
    """Set the topics a comment is tagged with (replacing earlier tags)."""
    from materiality.models import CommentTag

    with transaction.atomic():
        CommentTag.objects.filter(answer=answer).exclude(topic_id__in=topic_ids).delete()
        existing = set(CommentTag.objects.filter(answer=answer).values_list("topic_id", flat=True))
        CommentTag.objects.bulk_create(
            CommentTag(answer=answer, topic_id=topic_id, tagged_by=user)
            for topic_id in topic_ids
            if topic_id not in existing
        )


def feedback_table(report: Report, language: str) -> tuple[list[str], list[list[Any]]]:
    """One row per reader for CSV/XLSX: answers as labels (ordinal scores beside them),
    comments as text. No contact addresses: those are for replying, not for analysis."""
    from surveys.translations import pick

    questionnaire = questionnaire_load(report.survey)
    columns: list[tuple[int, str, str]] = []  # (question id, row code, header)
    for question in questionnaire.questions:
        title = pick(question.text, language)
        if question.kind == QuestionKind.GRID:
            for row in questionnaire.rows(question):
                columns.append((question.pk, row.code, f"{title} — {pick(row.label, language)}"))
        else:
            columns.append((question.pk, "", title))
    choice_labels = {
        (q.pk, o.code): (pick(o.label, language), o.score)
        for q in questionnaire.questions
        for o in questionnaire.choices(q)
    }
    header = ["#", "submitted", "language"] + [h for _q, _r, h in columns]
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
                response.language,
            ]
            + ["; ".join(cells.get((q, r), [])) for q, r, _h in columns]
        )
    return header, rows
