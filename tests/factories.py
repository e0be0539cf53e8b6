"""factory_boy factories: the one place that knows how to make valid test objects."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from materiality.demo.storing import replies_load
from materiality.feedback.comments import comment_tag
from materiality.feedback.form import report_create
from materiality.feedback.submitting import feedback_submit
from materiality.models import (
    AXES,
    AggregationRun,
    Assessment,
    Dimension,
    ExportJob,
    Framework,
    Report,
    RunStatus,
    RunTrigger,
    StakeholderGroup,
    Topic,
    TopicReference,
)
from materiality.questionnaire import (
    GROUP_QUESTION,
    IMPORTANCE_QUESTION,
    OVERALL_COMMENT_QUESTION,
    SIDE_QUESTION,
)
from materiality.reporting.jobs import ExportKind
from materiality.reporting.response_files import DONT_KNOW
from materiality.roles import Role
from materiality.runs.execution import aggregation_execute
from materiality.runs.requests import aggregation_request
from materiality.services import AssessmentInput, assessment_create, assessment_open
from surveys.models import Answer, Invitation, InvitationKind, Question, Response, ResponseStatus
from surveys.services import AnswerInput, survey_open


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[role.value for role in extracted]))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    code = factory.Sequence(lambda n: f"test-topic-{n}")
    name = factory.LazyAttribute(lambda t: {"en": f"Topic {t.code}", "zh-hans": f"议题 {t.code}"})
    dimension = Dimension.SOCIAL
    order = factory.Sequence(lambda n: 1000 + n)


class TopicReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TopicReference

    topic = factory.SubFactory(TopicFactory)
    framework = Framework.GRI
    reference = factory.Sequence(lambda n: f"9-{n}")


class StakeholderGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderGroup

    code = factory.Sequence(lambda n: f"test-group-{n}")
    name = factory.LazyAttribute(lambda g: {"en": f"Group {g.code}", "zh-hans": f"群体 {g.code}"})
    order = factory.Sequence(lambda n: 1000 + n)


def stakeholder_groups(count: int) -> list[StakeholderGroup]:
    """`count` groups: the seed ones in their order, then made-up ones past the eight."""
    seed = list(StakeholderGroup.objects.order_by("order", "code")[:count])
    return seed + StakeholderGroupFactory.create_batch(count - len(seed))


# --- Assessments, runs, exports -------------------------------------------------------


class AssessmentFactory(factory.django.DjangoModelFactory):
    """An assessment made by the real service, so its questionnaire exists: a draft over
    the 17 seed topics and 8 seed groups unless `topics`/`groups` say otherwise.
    `opened=True` opens it to respondents; `scoring={...}` sets its scoring options."""

    class Meta:
        model = Assessment

    title = factory.LazyFunction(
        lambda: {"zh-hans": "2026 年度实质性评估", "en": "2026 materiality assessment"}
    )
    period_start = date(2026, 1, 1)
    period_end = date(2026, 12, 31)
    topics = factory.LazyFunction(lambda: list(Topic.objects.all()))
    groups = factory.LazyFunction(lambda: list(StakeholderGroup.objects.all()))
    previous = None
    created_by = None
    opened = False
    scoring = None

    @classmethod
    def _create(
        cls,
        model_class: type[Assessment],
        *,
        created_by: Any,
        opened: bool,
        scoring: dict[str, Any] | None,
        **fields: Any,
    ) -> Assessment:
        assessment = assessment_create(data=AssessmentInput(**fields), created_by=created_by)
        if scoring is not None:
            Assessment.objects.filter(pk=assessment.pk).update(scoring=scoring)
            assessment.refresh_from_db()
        if opened:
            assessment_open(assessment=assessment)
        return assessment


class OpenAssessmentFactory(AssessmentFactory):
    """An assessment open to respondents (its questions are frozen)."""

    opened = True


# The replies most scored runs are computed from: 80 synthetic replies (the demo's
# generator) from two internal and two external groups.
SCORED_REPLIES = {"customers": 30, "employees": 30, "media": 10, "government-regulators": 10}


class AggregationRunFactory(factory.django.DjangoModelFactory):
    """A run computed the way production computes one: requested, then executed by the
    task's function, never score rows written by hand.

    Before the run, `scoring` (unless None) replaces the assessment's options (a small
    bootstrap by default, for speed) and `replies` are added: synthetic replies per group
    from the demo's generator with `seed` (a mapping), a function that writes replies
    into the assessment (e.g. `add_mixed_replies`), or None for none. Another run of an
    assessment that has one already: `AggregationRunFactory(assessment=..., replies=None)`.

    Never a failed run: a run the factory cannot compute is a broken test."""

    class Meta:
        model = AggregationRun

    assessment = factory.SubFactory(OpenAssessmentFactory)
    replies = factory.LazyFunction(lambda: dict(SCORED_REPLIES))
    seed = 5
    scoring = factory.LazyFunction(lambda: {"bootstrap_samples": 200})
    trigger = RunTrigger.MANUAL
    requested_by = None

    @classmethod
    def _create(
        cls,
        model_class: type[AggregationRun],
        *,
        assessment: Assessment,
        replies: Mapping[str, int] | Callable[[Assessment], object] | None,
        seed: int,
        scoring: dict[str, Any] | None,
        trigger: str,
        requested_by: Any,
    ) -> AggregationRun:
        if scoring is not None:
            Assessment.objects.filter(pk=assessment.pk).update(scoring=scoring)
            assessment.refresh_from_db()
        if callable(replies):
            replies(assessment)
        elif replies:
            replies_load(assessment=assessment, replies_per_group=replies, seed=seed)
        requested = aggregation_request(
            assessment=assessment, trigger=trigger, requested_by=requested_by
        )
        run = aggregation_execute(requested.pk)
        assert run is not None
        assert run.status != RunStatus.FAILED, run.error
        return run


class ExportJobFactory(factory.django.DjangoModelFactory):
    """An export job as the row the results page leaves (pending unless `status` says
    otherwise), for pages that show or refuse one; building it is the task's part."""

    class Meta:
        model = ExportJob

    run = factory.SubFactory(AggregationRunFactory)
    assessment = factory.SelfAttribute("run.assessment")
    kind = ExportKind.SCORES_CSV
    language = "en"


# --- Reports and their feedback forms -------------------------------------------------


class ReportFactory(factory.django.DjangoModelFactory):
    """A report with its six-question feedback form, made by the real service; the form
    is a draft unless `opened=True`."""

    class Meta:
        model = Report

    title = factory.LazyFunction(lambda: {"zh-hans": "2026 ESG 报告", "en": "2026 ESG report"})
    year = 2026
    languages = ("zh-hans", "en")
    document_url = ""
    created_by = None
    opened = False

    @classmethod
    def _create(cls, model_class: type[Report], *, opened: bool, **fields: Any) -> Report:
        report = report_create(**fields)
        if opened:
            survey_open(survey=report.survey)
        return report


class OpenReportFactory(ReportFactory):
    """A report whose feedback form is open to readers."""

    opened = True


def add_reader_comment(
    report: Report, text: str, *, topics: Sequence[Topic] = (), tagged_by: Any = None
) -> Answer:
    """A reader's comment on an open report's form, stored as the form stores it, and
    tagged with `topics` as the ESG team tags it."""
    comments = Question.objects.get(survey=report.survey, code="comments")
    response = feedback_submit(
        report=report,
        answers=[AnswerInput(comments.pk, text=text)],
        language="en",
        client_hash="",  # not rate-limited
    )
    answer = Answer.objects.get(response=response, question=comments)
    if topics:
        comment_tag(answer=answer, topic_ids=[topic.pk for topic in topics], user=tagged_by)
    return answer


# --- Replies written the way the engine stores them (fast: no HTTP walk) --------------

Rating = int | str | None  # a level, DONT_KNOW, or None for an unanswered cell


def add_reply(
    assessment: Assessment,
    group: str,
    ratings: Mapping[tuple[str, str], Rating],
    *,
    internal: bool | None = None,
    duration: int | None = 600,
    straight_lined: bool = False,
    submitted: bool = True,
    language: str = "en",
    comments: Mapping[str, str] | None = None,
    overall_comment: str = "",
    at: Any = None,
) -> Response:
    questions = dict(
        Question.objects.filter(survey_id=assessment.survey_id).values_list("code", "pk")
    )
    if internal is None:
        internal = StakeholderGroup.objects.get(code=group).internal
    now = at or timezone.now()
    response = Response.objects.create(
        survey_id=assessment.survey_id,
        resume_hash=secrets.token_hex(32),
        status=ResponseStatus.SUBMITTED if submitted else ResponseStatus.IN_PROGRESS,
        language=language,
        respondent_group=group,
        respondent_internal=internal,
        started_at=now - timedelta(seconds=duration or 0),
        submitted_at=now if submitted else None,
        duration_seconds=duration if submitted else None,
        straight_lined=straight_lined,
    )
    answers = [
        Answer(response=response, question_id=questions[GROUP_QUESTION], column_code=group),
        Answer(
            response=response,
            question_id=questions[SIDE_QUESTION],
            column_code="internal" if internal else "external",
        ),
    ]
    for (topic, axis), value in ratings.items():
        if value is None:
            continue
        answers.append(
            Answer(
                response=response,
                question_id=questions[IMPORTANCE_QUESTION],
                row_code=topic,
                column_code=axis,
                value=None if value == DONT_KNOW else int(value),
                dont_know=value == DONT_KNOW,
            )
        )
    for topic, text in (comments or {}).items():
        answers.append(
            Answer(
                response=response,
                question_id=questions[IMPORTANCE_QUESTION],
                row_code=topic,
                text=text,
            )
        )
    if overall_comment:
        answers.append(
            Answer(
                response=response,
                question_id=questions[OVERALL_COMMENT_QUESTION],
                text=overall_comment,
            )
        )
    Answer.objects.bulk_create(answers)
    return response


def topic_codes(assessment: Assessment) -> list[str]:
    return list(assessment.topics.order_by("assessmenttopic__order").values_list("code", flat=True))


def random_ratings(assessment: Assessment, rng: random.Random) -> dict[tuple[str, str], Rating]:
    """Ratings that differ between topics (so ranks are not ties), with some DK."""
    ratings: dict[tuple[str, str], Rating] = {}
    for index, topic in enumerate(topic_codes(assessment)):
        for axis in AXES:
            if rng.random() < 0.07:
                ratings[(topic, axis)] = DONT_KNOW
            else:
                lean = 1 if index < 6 else 0 if index < 12 else -1
                ratings[(topic, axis)] = max(1, min(5, rng.choice([2, 3, 4, 4, 5]) + lean))
    return ratings


# Enough replies for the too-fast rule (it needs 10), from internal and external groups.
MIXED_REPLY_GROUPS = [
    "customers",
    "employees",
    "customers",
    "government-regulators",
    "employees",
    "shareholders-investors",
] * 3


def add_mixed_replies(assessment: Assessment, *, seed: int = 7) -> dict[str, Response]:
    """18 ordinary replies, plus one straight-lined, one too fast, one in progress; an
    employee answering as external (a side chosen per response, not per group)."""
    rng = random.Random(seed)
    base = timezone.now() - timedelta(days=3)
    for index, group in enumerate(MIXED_REPLY_GROUPS):
        add_reply(
            assessment,
            group,
            random_ratings(assessment, rng),
            duration=rng.randint(400, 900),
            at=base + timedelta(minutes=index),
            internal=False if index == 4 else None,
            comments={"risk-management": f"Comment from Ann Example number {index}"},
            overall_comment="Please call me, Ann Example" if index == 0 else "",
        )
    special = {
        "straight": add_reply(
            assessment,
            "customers",
            dict.fromkeys(((t, a) for t in topic_codes(assessment) for a in AXES), 5),
            straight_lined=True,
            at=base + timedelta(hours=1),
        ),
        "fast": add_reply(
            assessment,
            "media",
            random_ratings(assessment, rng),
            duration=20,
            at=base + timedelta(hours=2),
        ),
        "in_progress": add_reply(
            assessment, "customers", random_ratings(assessment, rng), submitted=False
        ),
    }
    Invitation.objects.create(
        survey_id=assessment.survey_id,
        kind=InvitationKind.PERSONAL,
        token_hash=secrets.token_hex(32),
        token_salt="salt",
        token_hint="abcd",
        email="ann@example.com",
        respondent_group="government-regulators",
        respondent_internal=False,
        responded_at=timezone.now(),
    )
    return special
