"""The feedback summary as charts, in the viewer's language: one per choice question and
one per row of a multi-row question (each row is its own set of readers' answers, so
pooling the rows would count every reader once per row), every scale from low to high
as the form shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from materiality.feedback.form import low_to_high, row_title
from surveys.models import Question, QuestionKind
from surveys.selectors import Questionnaire


@dataclass(frozen=True)
class Chart:
    question: Question
    row: str  # the row's code, "" for a question with one set of answers
    title: str  # the question (and the row's name), never a code
    labels: list[str]  # one per level, low to high
    counts: list[int]
    n: int
    mean: float | None

    @property
    def rows(self) -> list[tuple[str, int]]:
        """(label, count) per level: the chart as a table, for the page."""
        return list(zip(self.labels, self.counts, strict=True))

    def notes(self) -> list[str]:
        """The chart's footnote, in the active language."""
        notes = [gettext("n = %(n)d") % {"n": self.n}]
        if self.mean is not None:
            notes.append(gettext("mean %(mean).2f") % {"mean": self.mean})
        return notes


def summary_charts(
    summary: dict[str, Any], questionnaire: Questionnaire, language: str
) -> list[Chart]:
    """The charts of a stored (or live) summary, questions in the form's order."""
    from surveys.translations import pick

    by_id = {entry["id"]: entry for entry in summary.get("questions", [])}
    charts: list[Chart] = []
    for question in questionnaire.questions:
        entry = by_id.get(question.pk)
        if entry is None or question.kind == QuestionKind.TEXT:
            continue
        text = pick(question.text, language)
        if "choices" in entry:
            counted = dict(zip(entry["choices"], entry["counts"], strict=True))
            options = low_to_high(questionnaire.choices(question))
            charts.append(
                Chart(
                    question=question,
                    row="",
                    title=text,
                    labels=[pick(option.label, language) for option in options],
                    counts=[counted.get(option.code, 0) for option in options],
                    n=entry["n"],
                    mean=entry.get("mean"),
                )
            )
        elif "rows" in entry:
            levels = entry["levels"]
            labels = [question.scale_label(level, language) or str(level) for level in levels]
            names = {row.code: pick(row.label, language) for row in questionnaire.rows(question)}
            for row in entry["rows"]:
                name = names.get(row["row"])
                charts.append(
                    Chart(
                        question=question,
                        row=row["row"],
                        title=row_title(text, name, language) if name else text,
                        labels=labels,
                        counts=list(row["counts"]),
                        n=row["n"],
                        mean=row["mean"],
                    )
                )
    return charts
