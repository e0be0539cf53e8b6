"""A report's feedback summary for the API: the summary the report page shows
(materiality.feedback.summary), each question, choice and row named beside its code."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from materiality.api.fields import TranslatedTextField
from materiality.feedback.summary import feedback_summary
from materiality.models import Report
from surveys.selectors import questionnaire_load


class NamedCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = TranslatedTextField()  # type: ignore[assignment]


class SummaryCellSerializer(serializers.Serializer):
    row = serializers.CharField(help_text="The row's code; empty for a rating question.")
    label = TranslatedTextField(help_text="The row's name.")  # type: ignore[assignment]
    column = serializers.CharField()
    counts = serializers.ListField(child=serializers.IntegerField(), help_text="Per level.")
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)


class SummaryQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    kind = serializers.CharField()
    text = TranslatedTextField()
    n = serializers.IntegerField(required=False, help_text="Choices and text: answers.")
    choices = NamedCodeSerializer(many=True, required=False)
    counts = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Per choice."
    )
    mean = serializers.FloatField(
        allow_null=True, required=False, help_text="Of the choices' scores."
    )
    levels = serializers.ListField(child=serializers.IntegerField(), required=False)
    rows = SummaryCellSerializer(many=True, required=False)


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    n = serializers.IntegerField()


class FeedbackSummarySerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    questions = SummaryQuestionSerializer(many=True)
    per_day = DayCountSerializer(many=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="When the summary was last computed (null: just now)."
    )


def summary_data(report: Report) -> dict[str, Any]:
    """The kept summary (computed now if there is none yet), with names."""
    summary = report.summary or feedback_summary(report)
    questionnaire = questionnaire_load(report.survey)
    by_id = {question.pk: question for question in questionnaire.questions}
    questions = []
    for entry in summary.get("questions", []):
        question = by_id.get(entry["id"])
        if question is None:  # retired since the summary was computed
            continue
        named = {**entry, "text": question.text or {}}
        if "choices" in entry:
            labels = {o.code: o.label for o in questionnaire.choices(question)}
            named["choices"] = [{"code": c, "label": labels.get(c, {})} for c in entry["choices"]]
        if "rows" in entry:
            labels = {o.code: o.label for o in questionnaire.rows(question)}
            named["rows"] = [{**row, "label": labels.get(row["row"], {})} for row in entry["rows"]]
        questions.append(named)
    return {
        "responses": summary.get("responses", 0),
        "questions": questions,
        "per_day": summary.get("per_day", []),
        "updated_at": report.summary_updated_at if report.summary else None,
    }
