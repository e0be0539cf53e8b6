"""Readers' comments: search and tagging with the topics they speak of."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from materiality.models import Report
from surveys.models import (
    Answer,
    ResponseStatus,
)
from surveys.selectors import questionnaire_load

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
