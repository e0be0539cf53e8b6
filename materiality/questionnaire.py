"""The materiality questionnaire an assessment generates: who you are, every topic rated
on both axes (with an optional comment per topic), and an overall comment.

Plain data in (topics, groups, scale, axis labels), question specifications out; the
survey engine stores them. Default wording is ours, in every supported language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from materiality.models import COMPANY_AXIS, STAKEHOLDER_AXIS, StakeholderGroup, Topic
from surveys.models import QuestionKind, QuestionPurpose
from surveys.services import OptionSpec, QuestionSpec

GROUP_QUESTION = "respondent-group"
SIDE_QUESTION = "respondent-side"
IMPORTANCE_QUESTION = "importance"
OVERALL_COMMENT_QUESTION = "overall-comment"
COMMENT_MAX_LENGTH = 1000
OVERALL_COMMENT_MAX_LENGTH = 3000

Text = Mapping[str, str]

DEFAULT_SCALE_LABELS: dict[str, Text] = {
    "1": {"zh-hans": "不重要", "en": "Not important"},
    "2": {"zh-hans": "较不重要", "en": "Slightly important"},
    "3": {"zh-hans": "一般", "en": "Moderately important"},
    "4": {"zh-hans": "重要", "en": "Important"},
    "5": {"zh-hans": "非常重要", "en": "Very important"},
}
DEFAULT_COMPANY_AXIS: Text = {"zh-hans": "对公司的重要性", "en": "Importance to the company"}
DEFAULT_STAKEHOLDER_AXIS: Text = {
    "zh-hans": "对利益相关方的重要性",
    "en": "Importance to stakeholders",
}
DEFAULT_INTRO: Text = {
    "zh-hans": (
        "我们正在编制本年度的环境、社会及管治（ESG）报告。请告诉我们每个 ESG 议题有多重要："
        "对公司的业务而言，以及对您作为利益相关方而言。答案没有对错之分。"
    ),
    "en": (
        "We are preparing this year's environmental, social and governance (ESG) report. "
        "Please tell us how important each ESG topic is: to the company's business, and to "
        "you as a stakeholder. There are no right or wrong answers."
    ),
}
DEFAULT_PRIVACY: Text = {
    "zh-hans": (
        "您的回答仅用于本报告的实质性评估，结果只按利益相关方群体汇总呈现。问卷不询问您的姓名。"
        "您可以随时要求我们导出或删除您的回答。"
    ),
    "en": (
        "Your answers are used only for this report's materiality assessment, and results "
        "are shown only in aggregate, by stakeholder group. The survey does not ask for your "
        "name. You may ask us at any time to export or delete your answers."
    ),
}
DEFAULT_THANKS: Text = {
    "zh-hans": "感谢您抽出时间参与。汇总结果将在我们的 ESG 报告中公布。",
    "en": "Thank you for your time. The combined results will be published in our ESG report.",
}


def questionnaire_specs(
    *,
    topics: Sequence[Topic],
    groups: Sequence[StakeholderGroup],
    scale_min: int,
    scale_max: int,
    scale_labels: Mapping[str, Text],
    company_axis: Text,
    stakeholder_axis: Text,
) -> list[QuestionSpec]:
    return [
        QuestionSpec(
            code=GROUP_QUESTION,
            kind=QuestionKind.SINGLE,
            purpose=QuestionPurpose.RESPONDENT_GROUP,
            required=True,
            page=1,
            text={
                "zh-hans": "您属于哪一类利益相关方？",
                "en": "Which stakeholder group do you belong to?",
            },
            choices=[OptionSpec(code=group.code, label=group.name) for group in groups],
        ),
        QuestionSpec(
            code=SIDE_QUESTION,
            kind=QuestionKind.SINGLE,
            purpose=QuestionPurpose.RESPONDENT_SIDE,
            required=True,
            page=1,
            text={
                "zh-hans": "您是公司内部还是外部的利益相关方？",
                "en": "Are you inside or outside the company?",
            },
            choices=[
                OptionSpec(
                    code="internal",
                    label={
                        "zh-hans": "内部（在公司工作）",
                        "en": "Internal (I work for the company)",
                    },
                ),
                OptionSpec(code="external", label={"zh-hans": "外部", "en": "External"}),
            ],
        ),
        QuestionSpec(
            code=IMPORTANCE_QUESTION,
            kind=QuestionKind.GRID,
            required=True,
            page=2,
            text={"zh-hans": "每个议题有多重要？", "en": "How important is each topic?"},
            help_text={
                "zh-hans": "请为每个议题打两次分：对公司业务的重要性，以及对您的重要性。",
                "en": (
                    "Rate each topic twice: how important it is to the company's business, "
                    "and how important it is to you."
                ),
            },
            rows=[
                OptionSpec(code=topic.code, label=topic.name, description=topic.description)
                for topic in topics
            ],
            columns=[
                OptionSpec(code=COMPANY_AXIS, label=company_axis),
                OptionSpec(code=STAKEHOLDER_AXIS, label=stakeholder_axis),
            ],
            scale_min=scale_min,
            scale_max=scale_max,
            scale_labels=scale_labels,
            allow_dont_know=True,
            row_comments=True,
            max_length=COMMENT_MAX_LENGTH,
        ),
        QuestionSpec(
            code=OVERALL_COMMENT_QUESTION,
            kind=QuestionKind.TEXT,
            page=2,  # under the last topics (Questionnaire.pages)
            text={
                "zh-hans": "您还有其他想告诉我们的吗？（选填）",
                "en": "Is there anything else you would like to tell us? (optional)",
            },
            max_length=OVERALL_COMMENT_MAX_LENGTH,
        ),
    ]
