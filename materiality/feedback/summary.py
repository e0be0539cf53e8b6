"""A report's feedback summary: means and distributions, recomputed in the background."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from materiality.models import Report
from surveys.models import (
    Answer,
    QuestionKind,
    Response,
    ResponseStatus,
)
from surveys.selectors import questionnaire_load

Text = Mapping[str, str]


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
