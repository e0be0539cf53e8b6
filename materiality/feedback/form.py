"""The reader feedback form: the report's six questions as a survey template."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from materiality.feedback.summary import Text
from materiality.models import Report
from surveys.models import (
    QuestionKind,
    QuestionOption,
)
from surveys.selectors import Page, Questionnaire
from surveys.services import (
    OptionSpec,
    QuestionSpec,
    survey_create,
    survey_set_questions,
    survey_update,
)

COMMENT_MAX_LENGTH = 2000

# Every scale runs from low to high, as the rating rows do (1 on the left, 5 on the right):
# the choices are listed that way here, and `low_to_high` shows reports created while
# they were stored good → poor in the same direction. Codes and scores never change
# meaning: "good" is 5 whatever its place.
_POOR_TO_GOOD = [
    ("poor", "差", "Poor", 1),
    ("fairly-poor", "较差", "Fairly poor", 2),
    ("average", "一般", "Average", 3),
    ("fairly-good", "较好", "Fairly good", 4),
    ("good", "好", "Good", 5),
]
FIVE_POINT_LABELS = {
    str(score): {"zh-hans": zh, "en": en} for _code, zh, en, score in _POOR_TO_GOOD
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
        choices=_choices(_POOR_TO_GOOD),
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
                ("not-at-all", "不能反映", "Does not reflect it", 1),
                ("not-really", "不太能反映", "Does not really reflect it", 2),
                ("fairly", "能一般反映", "Reflects it fairly", 3),
                ("well", "能较好反映", "Reflects it well", 4),
                ("very-well", "能很好反映", "Reflects it very well", 5),
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
            [("no", "否", "No", 1), ("so-so", "一般", "So-so", 2), ("yes", "是", "Yes", 3)]
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
    survey = survey_create(
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


@transaction.atomic
def report_update(
    *,
    report: Report,
    title: Text | None = None,
    year: int | None = None,
    document_url: str | None = None,
) -> Report:
    """Change a report's title, year or link; its feedback form shows the new title."""
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = dict(title)
        survey_update(survey=report.survey, title=dict(title))
    if year is not None:
        changes["year"] = year
    if document_url is not None:
        changes["document_url"] = document_url
    if changes:
        Report.objects.filter(pk=report.pk).update(**changes)
        for name, value in changes.items():
            setattr(report, name, value)
    return report


# --- Showing the form -----------------------------------------------------------------


def low_to_high(options: Iterable[QuestionOption]) -> list[QuestionOption]:
    """Scored choices from the lowest score to the highest, the direction of the rating
    rows; choices without scores (a question the team added) stay in their order."""
    listed = list(options)
    if listed and all(option.score is not None for option in listed):
        return sorted(listed, key=lambda option: option.score or 0)
    return listed


def feedback_page(questionnaire: Questionnaire) -> Page:
    """Every question on one page, each scale from low to high."""
    page = questionnaire.single_page()
    items = tuple(replace(item, choices=tuple(low_to_high(item.choices))) for item in page.items)
    return replace(page, items=items)


def row_title(question: str, row: str, language: str) -> str:
    """A row of a multi-row question named with its question (charts, export headers)."""
    with translation.override(language):
        return gettext("%(question)s — %(row)s") % {"question": question, "row": row}
