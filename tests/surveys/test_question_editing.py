"""Building and editing a draft survey's questions: what a spec says is what is stored."""

from __future__ import annotations

import pytest
from django.utils import translation

from surveys.errors import SurveyLocked
from surveys.models import OptionRole, Question, QuestionKind, QuestionPurpose, SurveyStatus
from surveys.services import OptionSpec, QuestionSpec, question_add, survey_set_questions
from tests.surveys.factories import SurveyFactory

pytestmark = pytest.mark.django_db

GRID = QuestionSpec(
    code="services",
    kind=QuestionKind.GRID,
    text={"en": "How good is each service?"},
    help_text={"en": "Rate quality and value.", "zh-hans": "请为质量和性价比打分。"},
    required=True,
    page=2,
    rows=[
        OptionSpec(
            code="canteen",
            label={"en": "Canteen"},
            description={"en": "Both dining halls."},
        ),
    ],
    columns=[OptionSpec(code="quality", label={"en": "Quality"})],
    scale_min=0,
    scale_max=10,
    scale_labels={"0": {"en": "Awful"}},
    allow_dont_know=True,
    row_comments=True,
    max_length=500,
)
GROUP = QuestionSpec(
    code="group",
    kind=QuestionKind.SINGLE,
    text={"en": "Which group are you in?"},
    purpose=QuestionPurpose.RESPONDENT_GROUP,
    choices=[OptionSpec(code="staff", label={"en": "Staff"}, score=5)],
)


def stored(question: Question) -> dict[str, object]:
    """Everything a question holds but where it sits."""
    fields = {
        name: getattr(question, name)
        for name in (
            "code",
            "kind",
            "text",
            "help_text",
            "required",
            "page",
            "scale_min",
            "scale_max",
            "scale_labels",
            "allow_dont_know",
            "row_comments",
            "max_length",
            "purpose",
        )
    }
    fields["options"] = list(
        question.options.order_by("role", "order").values_list(
            "role", "code", "label", "description", "score", "order"
        )
    )
    return fields


def test_a_question_added_keeps_everything_its_spec_says() -> None:
    survey = SurveyFactory(status=SurveyStatus.DRAFT)
    grid = question_add(survey=survey, spec=GRID)
    group = question_add(survey=survey, spec=GROUP)
    assert grid.help_text == {"en": "Rate quality and value.", "zh-hans": "请为质量和性价比打分。"}
    assert grid.row_comments
    assert group.purpose == QuestionPurpose.RESPONDENT_GROUP
    canteen = grid.options.get(role=OptionRole.ROW)
    assert canteen.description == {"en": "Both dining halls."}
    assert group.options.get().score == 5
    assert group.order > grid.order

    # Exactly what building the whole questionnaire at once stores.
    built = SurveyFactory(status=SurveyStatus.DRAFT)
    survey_set_questions(survey=built, questions=[GRID, GROUP])
    assert [stored(q) for q in survey.questions.all()] == [stored(q) for q in built.questions.all()]


def test_no_question_is_added_once_the_survey_is_open_or_with_a_code_in_use() -> None:
    draft = SurveyFactory(status=SurveyStatus.DRAFT)
    question_add(survey=draft, spec=GROUP)
    with translation.override("en"), pytest.raises(SurveyLocked, match="exists already"):
        question_add(survey=draft, spec=GROUP)
    with pytest.raises(SurveyLocked):
        question_add(survey=SurveyFactory(status=SurveyStatus.OPEN), spec=GRID)
    assert Question.objects.count() == 1
