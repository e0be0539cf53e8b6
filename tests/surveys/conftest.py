"""The engine's own fixtures: a generic survey that knows nothing of ESG, and seeded
replies to it.

The campus services survey asks who the respondent is (group and side, the questions a
link can answer instead), rates seven services on two columns on a 1–5 scale with
"don't know" and a comment per row (over two pages), and ends with an optional remark.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import pytest

from surveys.bulk import ReplyInput, responses_store_bulk
from surveys.models import Question, QuestionPurpose, ResponseSource, Survey
from surveys.services import AnswerInput
from tests.surveys.factories import (
    ChoiceQuestionFactory,
    GridQuestionFactory,
    QuestionFactory,
    SurveyFactory,
)

# Respondent groups, and whether each is internal.
GROUPS: dict[str, bool] = {"staff": True, "students": False, "visitors": False}
GROUP_LABELS = {
    "staff": {"zh-hans": "教职工", "en": "Staff"},
    "students": {"zh-hans": "学生", "en": "Students"},
    "visitors": {"zh-hans": "访客", "en": "Visitors"},
}
ROWS = (
    ("canteen", {"zh-hans": "食堂", "en": "Canteen"}),
    ("library", {"zh-hans": "图书馆", "en": "Library"}),
    ("gym", {"zh-hans": "健身房", "en": "Gym"}),
    ("shuttle", {"zh-hans": "班车", "en": "Shuttle bus"}),
    ("parking", {"zh-hans": "停车场", "en": "Parking"}),
    ("clinic", {"zh-hans": "医务室", "en": "Clinic"}),
    ("daycare", {"zh-hans": "托儿所", "en": "Daycare"}),
)
COLUMNS = (
    ("quality", {"zh-hans": "质量", "en": "Quality"}),
    ("value", {"zh-hans": "性价比", "en": "Value for money"}),
)
SCALE_LABELS = {
    "1": {"zh-hans": "很差", "en": "Poor"},
    "3": {"zh-hans": "一般", "en": "Fair"},
    "5": {"zh-hans": "很好", "en": "Excellent"},
}
COMMENT_MAX_LENGTH = 1000
# The grid's rows are shown over two pages (4 + 3), then the remark and the review: a
# respondent sent by a group link, who is not asked who they are, sees four steps.
STEPS_FROM_A_GROUP_LINK = 4


@dataclass(frozen=True)
class CampusSurvey:
    survey: Survey
    group: Question  # single choice: the respondent's group
    side: Question  # single choice: internal or external
    grid: Question  # ROWS × COLUMNS
    remarks: Question  # free text, optional


def campus_survey(**survey_fields: Any) -> CampusSurvey:
    """A new campus services survey (open unless `status` says otherwise)."""
    survey = SurveyFactory(**survey_fields)
    group = ChoiceQuestionFactory(
        survey=survey,
        code="respondent-group",
        purpose=QuestionPurpose.RESPONDENT_GROUP,
        required=True,
        page=1,
        text={"zh-hans": "您是哪一类人员？", "en": "Which group are you in?"},
        choices=[(code, GROUP_LABELS[code]) for code in GROUPS],
    )
    side = ChoiceQuestionFactory(
        survey=survey,
        code="respondent-side",
        purpose=QuestionPurpose.RESPONDENT_SIDE,
        required=True,
        page=1,
        text={"zh-hans": "您在校内工作吗？", "en": "Do you work on the campus?"},
        choices=[
            ("internal", {"zh-hans": "是", "en": "Yes, I work here"}),
            ("external", {"zh-hans": "否", "en": "No"}),
        ],
    )
    grid = GridQuestionFactory(
        survey=survey,
        code="services",
        required=True,
        page=2,
        text={"zh-hans": "各项服务怎么样？", "en": "How good is each service?"},
        rows=ROWS,
        columns=COLUMNS,
        scale_labels=SCALE_LABELS,
        allow_dont_know=True,
        row_comments=True,
        max_length=COMMENT_MAX_LENGTH,
    )
    remarks = QuestionFactory(
        survey=survey,
        code="remarks",
        page=3,
        text={"zh-hans": "还有什么想说的吗？", "en": "Anything else?"},
    )
    return CampusSurvey(survey, group, side, grid, remarks)


@pytest.fixture
def campus(db: None) -> CampusSurvey:
    return campus_survey()


@pytest.fixture
def survey(campus: CampusSurvey) -> Survey:
    return campus.survey


# --- Seeded replies ---------------------------------------------------------------------

COMMENTS = ("Too crowded at noon.", "工作人员很友好。", "Opening hours are too short.")


def campus_replies(campus: CampusSurvey, *, seed: int, per_group: int) -> list[ReplyInput]:
    """`per_group` whole replies for each group, depending only on the seed: ratings
    spread over the scale with a few "don't know", about one straight-liner in ten, some
    comments, completion times from under ten seconds to over half an hour."""
    rng = random.Random(seed)
    replies = []
    for group, internal in GROUPS.items():
        for _ in range(per_group):
            straight = rng.random() < 0.1
            level = rng.randint(1, 5)
            answers = [
                AnswerInput(campus.group.pk, column_code=group),
                AnswerInput(campus.side.pk, column_code="internal" if internal else "external"),
            ]
            for row, _label in ROWS:
                for column, _label in COLUMNS:
                    if not straight and rng.random() < 0.06:
                        answers.append(AnswerInput(campus.grid.pk, row, column, dont_know=True))
                    else:
                        value = level if straight else rng.randint(1, 5)
                        answers.append(AnswerInput(campus.grid.pk, row, column, value=value))
                if rng.random() < 0.1:
                    answers.append(AnswerInput(campus.grid.pk, row, text=rng.choice(COMMENTS)))
            if rng.random() < 0.2:
                answers.append(AnswerInput(campus.remarks.pk, text=rng.choice(COMMENTS)))
            replies.append(
                ReplyInput(
                    answers=answers,
                    duration_seconds=int(rng.lognormvariate(math.log(240), 1.0)),
                    language=rng.choice(["zh-hans", "en"]),
                )
            )
    return replies


def store_replies(
    campus: CampusSurvey, *, seed: int, per_group: int = 5, count: bool = False
) -> int:
    """Store `campus_replies` through the engine's bulk service (as an import would;
    `count`: folded into the rating counts as they are stored, as an import does)."""
    return responses_store_bulk(
        survey=campus.survey,
        replies=campus_replies(campus, seed=seed, per_group=per_group),
        source=ResponseSource.IMPORT,
        count=count,
    )
