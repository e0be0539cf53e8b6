"""The demo that `make run` loads: users for each role, last year's assessment
(closed, confirmed) and this year's (open, with 1,151 synthetic replies, scored), so a
new user sees a real matrix, group views, sensitivity and year-over-year at once.
Idempotent: running it again changes nothing that exists."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from materiality.aggregation import aggregation_execute, aggregation_request
from materiality.confirmation import run_confirm, run_submit_for_confirmation
from materiality.models import (
    AggregationRun,
    Assessment,
    Dimension,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
    Topic,
)
from materiality.roles import Role, sync_roles
from materiality.services import (
    AssessmentInput,
    assessment_close,
    assessment_create,
    assessment_open,
    group_link_create,
    open_link_create,
)
from materiality.synthetic import DEMO_REPLIES_PER_GROUP, replies_load


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
