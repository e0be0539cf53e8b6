"""The demo that `make run` loads: users for each role, last year's assessment
(closed, confirmed) and this year's (open, with 1,151 synthetic replies, scored), so a
new user sees a real matrix, group views, sensitivity and year-over-year at once.
Idempotent: running it again changes nothing that exists."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from materiality.demo.shape import DEMO_REPLIES_PER_GROUP
from materiality.demo.storing import replies_load
from materiality.feedback.comments import comment_tag
from materiality.feedback.form import report_create
from materiality.feedback.submitting import feedback_submit
from materiality.feedback.summary import feedback_summarise
from materiality.models import (
    AggregationRun,
    Assessment,
    Dimension,
    Report,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
    Topic,
)
from materiality.roles import Role, sync_roles
from materiality.runs.confirmation import run_confirm, run_submit_for_confirmation
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from materiality.services import (
    AssessmentInput,
    assessment_close,
    assessment_create,
    assessment_open,
    group_link_create,
    open_link_create,
)
from surveys.models import Answer, QuestionKind
from surveys.selectors import questionnaire_load
from surveys.services import AnswerInput, survey_open


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role | None  # None: administrator (superuser)
    description: str


DEMO_ACCOUNTS = (
    DemoAccount("admin", None, "administrator (Django admin)"),
    DemoAccount("esg", Role.ESG_TEAM, "ESG team member"),
    DemoAccount("decider", Role.DECISION_GROUP, "ESG decision group member"),
)

CURRENT_TITLE = {
    "zh-hans": "2021 年度实质性评估（演示）",
    "en": "2021 materiality assessment (demo)",
}
PREVIOUS_TITLE = {
    "zh-hans": "2020 年度实质性评估（演示）",
    "en": "2020 materiality assessment (demo)",
}
# Last year's list had economic performance and not yet climate change, so the
# year-over-year view shows one dropped and one new topic.
RETIRED_TOPIC = {
    "code": "economic-performance",
    "name": {"zh-hans": "经济绩效", "en": "Economic performance"},
    "description": {
        "zh-hans": "收入、利润与长期价值创造。",
        "en": "Revenue, profit and long-term value creation.",
    },
}
PREVIOUS_REPLIES_PER_GROUP = {code: count // 2 for code, count in DEMO_REPLIES_PER_GROUP.items()}


@dataclass(frozen=True)
class CreatedAccount:
    account: DemoAccount
    password: str | None  # None when the account already existed and was left alone


@transaction.atomic
def demo_accounts_ensure(*, reset_passwords: bool = False) -> list[CreatedAccount]:
    """Create the demo accounts that are missing; new (or reset) passwords are returned
    so they can be shown once, and are never stored anywhere in clear."""
    sync_roles()
    user_model = get_user_model()
    result = []
    for account in DEMO_ACCOUNTS:
        user, created = user_model.objects.get_or_create(username=account.username)
        password = None
        if created or reset_passwords:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = account.role is None
            user.is_superuser = account.role is None
            user.save()
        if account.role is not None:
            user.groups.add(Group.objects.get(name=account.role.value))
        result.append(CreatedAccount(account, password))
    return result


def _find(title: dict[str, str]) -> Assessment | None:
    return Assessment.objects.filter(survey__title__en=title["en"]).first()


def _score(assessment: Assessment) -> AggregationRun:
    run = aggregation_request(assessment=assessment, trigger=RunTrigger.COMMAND)
    return aggregation_execute(run.pk) or run


def demo_assessments_ensure() -> tuple[Assessment, Assessment]:
    """Last year's assessment (closed, confirmed, published) and this year's (open,
    1,151 replies, scored): created once, left alone afterwards."""
    user_model = get_user_model()
    esg = user_model.objects.filter(username="esg").first()
    decider = user_model.objects.filter(username="decider").first()
    groups = list(StakeholderGroup.objects.active())
    topics = list(Topic.objects.active())

    previous = _find(PREVIOUS_TITLE)
    if previous is None:
        retired, _created = Topic.objects.get_or_create(
            code=RETIRED_TOPIC["code"],
            defaults={
                "name": RETIRED_TOPIC["name"],
                "description": RETIRED_TOPIC["description"],
                "dimension": Dimension.GOVERNANCE,
                "active": False,
                "order": 5,
            },
        )
        previous = assessment_create(
            data=AssessmentInput(
                title=PREVIOUS_TITLE,
                period_start=date(2020, 1, 1),
                period_end=date(2020, 12, 31),
                topics=[retired] + [t for t in topics if t.code != "climate-change"],
                groups=groups,
            ),
            created_by=esg,
        )
        assessment_open(assessment=previous, actor=esg)
        replies_load(assessment=previous, replies_per_group=PREVIOUS_REPLIES_PER_GROUP, seed=2020)
        assessment_close(assessment=previous, actor=esg)
        run = AggregationRun.objects.filter(assessment=previous).latest("pk")
        run = aggregation_execute(run.pk) or run
        if run.status == RunStatus.SUCCEEDED:
            run_submit_for_confirmation(run=run, user=esg, note="Demo: last year's result.")
            run_confirm(run=run, user=decider, note="Demo: confirmed.")

    current = _find(CURRENT_TITLE)
    if current is None:
        current = assessment_create(
            data=AssessmentInput(
                title=CURRENT_TITLE,
                period_start=date(2021, 1, 1),
                period_end=date(2021, 12, 31),
                topics=topics,
                groups=groups,
                previous=previous,
            ),
            created_by=esg,
        )
        assessment_open(assessment=current, actor=esg)
        for group in groups:
            group_link_create(assessment=current, group=group)
        open_link_create(assessment=current)
        replies_load(assessment=current, replies_per_group=DEMO_REPLIES_PER_GROUP, seed=2021)
        _score(current)
    return previous, current


REPORT_TITLE = {"zh-hans": "2021 年环境、社会及管治报告（演示）", "en": "2021 ESG report (demo)"}
DEMO_COMMENTS = [
    ("zh-hans", "希望下一份报告披露更多关于数据安全的具体措施。", "data-security-privacy"),
    ("en", "Please add targets and progress on climate change.", "climate-change"),
    ("zh-hans", "普惠金融的案例很有说服力。", "inclusive-finance"),
    ("en", "The layout is clear; the data tables could be larger.", None),
]


def demo_report_ensure() -> Report:
    """A published report with its feedback form open and a few dozen reader answers."""
    report = Report.objects.filter(title__en=REPORT_TITLE["en"]).first()
    if report is not None:
        return report
    user_model = get_user_model()
    esg = user_model.objects.filter(username="esg").first()
    report = report_create(
        title=REPORT_TITLE, year=2021, languages=["zh-hans", "en"], created_by=esg
    )
    survey_open(survey=report.survey)
    questionnaire = questionnaire_load(report.survey)
    rng = random.Random(2021)  # noqa: S311 - demo data, not security
    for index in range(36):
        answers = []
        for question in questionnaire.questions:
            choices = questionnaire.choices(question)
            if question.kind == QuestionKind.SINGLE:
                # Mostly favourable: weighted from the best-scored choice down, whatever
                # order the form lists them in.
                ranked = sorted(choices, key=lambda choice: -(choice.score or 0))
                weights = [5, 4, 2, 1, 1][: len(ranked)]
                pick = rng.choices(ranked, weights=weights)[0]
                answers.append(AnswerInput(question.pk, column_code=pick.code))
            elif question.kind == QuestionKind.GRID:
                for row in questionnaire.rows(question):
                    for column in questionnaire.columns(question):
                        value = rng.choices([5, 4, 3, 2, 1], weights=[5, 4, 2, 1, 1])[0]
                        answers.append(AnswerInput(question.pk, row.code, column.code, value=value))
            elif question.kind == QuestionKind.TEXT and index < len(DEMO_COMMENTS):
                answers.append(AnswerInput(question.pk, text=DEMO_COMMENTS[index][1]))
        language = DEMO_COMMENTS[index][0] if index < len(DEMO_COMMENTS) else "zh-hans"
        feedback_submit(report=report, answers=answers, language=language, client_hash="")
    comments = Answer.objects.filter(response__survey=report.survey).exclude(text="")
    topics = {topic.code: topic.pk for topic in Topic.objects.all()}
    for answer in comments:
        code = next((c for _l, text, c in DEMO_COMMENTS if text == answer.text), None)
        if code in topics:
            comment_tag(answer=answer, topic_ids=[topics[code]], user=esg)
    feedback_summarise(report.pk)
    return report
